import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/** Polling with a deadline. */
final class Waits {
  private Waits() {}

  /** The last value polled and whether it satisfied the condition before the deadline. */
  static final class Outcome<T> {
    final T last;
    final boolean reached;
    final long elapsedMs;

    Outcome(T last, boolean reached, long elapsedMs) {
      this.last = last;
      this.reached = reached;
      this.elapsedMs = elapsedMs;
    }
  }

  /**
   * Calls {@code poll} every {@code interval} until {@code done} holds or {@code timeout} has
   * passed. Exceptions from {@code poll} propagate.
   */
  static <T> Outcome<T> until(Callable<T> poll, Predicate<T> done, Duration timeout,
      Duration interval) throws Exception {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (true) {
      T value = poll.call();
      long now = System.nanoTime();
      if (done.test(value)) {
        return new Outcome<>(value, true, (now - start) / 1_000_000);
      }
      if (now >= deadline) {
        return new Outcome<>(value, false, (now - start) / 1_000_000);
      }
      Thread.sleep(interval.toMillis());
    }
  }
}
