import java.util.HashSet;
import java.util.Set;

/** One-line descriptions of exceptions, for FAIL lines. */
final class Errors {
  private static final int MAX_MESSAGE_CHARS = 400;

  private Errors() {}

  /**
   * {@code Class: first line of message} for the exception and each distinct cause,
   * joined by {@code " <- caused by "}. Remote messages often carry a whole server stack
   * trace; only its first line is kept.
   */
  static String describe(Throwable error) {
    StringBuilder text = new StringBuilder();
    Set<Throwable> seen = new HashSet<>();
    String previousMessage = null;
    for (Throwable t = error; t != null && seen.add(t); t = t.getCause()) {
      String message = firstLine(t.getMessage());
      if (text.length() > 0) {
        text.append(" <- caused by ");
      }
      text.append(t.getClass().getName());
      // Hadoop often wraps an exception in one that repeats its message.
      if (!message.isEmpty() && !message.equals(previousMessage)) {
        text.append(": ").append(message);
      }
      previousMessage = message;
    }
    return text.toString();
  }

  /** Whether the exception or one of its causes is of a class named in {@code classNames}. */
  static String findInChain(Throwable error, Set<String> classNames) {
    Set<Throwable> seen = new HashSet<>();
    for (Throwable t = error; t != null && seen.add(t); t = t.getCause()) {
      if (classNames.contains(t.getClass().getName())) {
        return t.getClass().getName();
      }
      if (t instanceof org.apache.hadoop.ipc.RemoteException) {
        String remoteClass = ((org.apache.hadoop.ipc.RemoteException) t).getClassName();
        if (classNames.contains(remoteClass)) {
          return remoteClass;
        }
      }
    }
    return null;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    String line = message.strip();
    int newline = line.indexOf('\n');
    if (newline >= 0) {
      line = line.substring(0, newline).strip();
    }
    if (line.length() > MAX_MESSAGE_CHARS) {
      line = line.substring(0, MAX_MESSAGE_CHARS) + "...";
    }
    return line;
  }
}
