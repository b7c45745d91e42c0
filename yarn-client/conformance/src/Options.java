import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Command-line options of {@link WeirYarnConformance}. */
final class Options {
  static final String USAGE = String.join("\n",
      "usage: WeirYarnConformance <client|unmanaged-am|wrong-token|all|self-check> [options]",
      "  self-check needs no cluster: it proves the classpath and the token checks",
      "  --rm HOST:PORT            ResourceManager client address (yarn.resourcemanager.address); required",
      "  --scheduler HOST:PORT     ResourceManager scheduler address (yarn.resourcemanager.scheduler.address);",
      "                            required for unmanaged-am, wrong-token and all",
      "  --am-command CMD          shell command of the AM container in 'client' (default: sleep 30)",
      "  --nm-log-dir DIR          a NodeManager's log-dir root (yarn.nodemanager.log-dirs); repeatable;",
      "                            without it the <LOG_DIR> file check is skipped",
      "  --container-memory-mb N   memory of every container asked for (default 128)",
      "  --timeout-s N             limit of each wait for a state (default 60)",
      "  --connect-wait-ms N       how long the client retries connecting to the RM / an NM (default 3000)",
      "  --rpc-timeout-ms N        a call without an answer fails after this (default 10000)",
      "  --deadline-s N            the whole run is failed and stopped after this (default 600)");

  String command;
  String rmAddress;
  String schedulerAddress;
  String amCommand = "sleep 30";
  final List<String> nmLogDirs = new ArrayList<>();
  int containerMemoryMb = 128;
  Duration timeout = Duration.ofSeconds(60);
  long connectWaitMs = 3000;
  long rpcTimeoutMs = 10000;
  Duration deadline = Duration.ofSeconds(600);

  /** Parses the arguments; throws IllegalArgumentException with the reason when they are wrong. */
  static Options parse(String[] args) {
    Options options = new Options();
    int i = 0;
    if (args.length == 0 || args[0].startsWith("--")) {
      throw new IllegalArgumentException("missing subcommand");
    }
    options.command = args[i++];
    if (!List.of("client", "unmanaged-am", "wrong-token", "all", "self-check").contains(options.command)) {
      throw new IllegalArgumentException("unknown subcommand '" + options.command + "'");
    }
    while (i < args.length) {
      String flag = args[i++];
      if (flag.equals("--help") || flag.equals("-h")) {
        throw new IllegalArgumentException("help requested");
      }
      if (i >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      String value = args[i++];
      switch (flag) {
        case "--rm":
          options.rmAddress = hostPort(flag, value);
          break;
        case "--scheduler":
          options.schedulerAddress = hostPort(flag, value);
          break;
        case "--am-command":
          options.amCommand = value;
          break;
        case "--nm-log-dir":
          options.nmLogDirs.add(value);
          break;
        case "--container-memory-mb":
          options.containerMemoryMb = positive(flag, value);
          break;
        case "--timeout-s":
          options.timeout = Duration.ofSeconds(positive(flag, value));
          break;
        case "--connect-wait-ms":
          options.connectWaitMs = positive(flag, value);
          break;
        case "--rpc-timeout-ms":
          options.rpcTimeoutMs = positive(flag, value);
          break;
        case "--deadline-s":
          options.deadline = Duration.ofSeconds(positive(flag, value));
          break;
        default:
          throw new IllegalArgumentException("unknown option " + flag);
      }
    }
    if (options.command.equals("self-check")) {
      // The clients are only created, never connected; any address will do.
      if (options.rmAddress == null) {
        options.rmAddress = "127.0.0.1:8032";
      }
      if (options.schedulerAddress == null) {
        options.schedulerAddress = "127.0.0.1:8030";
      }
      return options;
    }
    if (options.rmAddress == null) {
      throw new IllegalArgumentException("--rm HOST:PORT is required");
    }
    if (!options.command.equals("client") && options.schedulerAddress == null) {
      throw new IllegalArgumentException("--scheduler HOST:PORT is required for " + options.command);
    }
    return options;
  }

  private static String hostPort(String flag, String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new IllegalArgumentException(flag + " wants HOST:PORT, got '" + value + "'");
    }
    try {
      int port = Integer.parseInt(value.substring(colon + 1));
      if (port <= 0 || port > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " has no valid port in '" + value + "'");
    }
    return value;
  }

  private static int positive(String flag, String value) {
    try {
      int number = Integer.parseInt(value);
      if (number > 0) {
        return number;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(flag + " wants a positive integer, got '" + value + "'");
  }
}
