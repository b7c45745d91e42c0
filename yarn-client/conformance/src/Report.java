import java.io.PrintStream;

/**
 * The result lines of a conformance run.
 *
 * <p>Every check prints exactly one line on standard output:
 * <pre>
 *   PASS &lt;scenario&gt;.&lt;check&gt;[: detail]
 *   FAIL &lt;scenario&gt;.&lt;check&gt;: reason
 *   SKIP &lt;scenario&gt;.&lt;check&gt;: why it could not be checked
 * </pre>
 * A failed step that later steps depend on aborts its scenario with {@link ScenarioAborted};
 * the scenario's clean-up still runs. The run ends with the line {@code N passed, N failed}.
 */
final class Report {
  /**
   * Thrown after a FAIL line when the rest of the scenario cannot go on. Unchecked so that it
   * passes unchanged through {@code UserGroupInformation.doAs}.
   */
  static final class ScenarioAborted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ScenarioAborted(String check) {
      super("scenario aborted at " + check);
    }
  }

  private final PrintStream out;
  private String scenario = "setup";
  private int passed;
  private int failed;
  private int skipped;

  Report(PrintStream out) {
    this.out = out;
  }

  /** Names the scenario that the following checks belong to. */
  synchronized void startScenario(String name) {
    scenario = name;
    out.println("# scenario " + name);
    out.flush();
  }

  synchronized void pass(String check, String detail) {
    passed++;
    out.println("PASS " + scenario + "." + check + (detail.isEmpty() ? "" : ": " + detail));
    out.flush();
  }

  synchronized void fail(String check, String reason) {
    failed++;
    out.println("FAIL " + scenario + "." + check + ": " + reason);
    out.flush();
  }

  synchronized void skip(String check, String reason) {
    skipped++;
    out.println("SKIP " + scenario + "." + check + ": " + reason);
    out.flush();
  }

  /** A comment line: context for a human reading the output, never a result. */
  synchronized void note(String text) {
    out.println("# " + text);
    out.flush();
  }

  /** Records a PASS when {@code ok}, otherwise a FAIL with {@code reason}; returns {@code ok}. */
  boolean check(String check, boolean ok, String passDetail, String failReason) {
    if (ok) {
      pass(check, passDetail);
    } else {
      fail(check, failReason);
    }
    return ok;
  }

  /** Like {@link #check}, but a failure aborts the scenario. */
  void require(String check, boolean ok, String passDetail, String failReason)
      throws ScenarioAborted {
    if (!check(check, ok, passDetail, failReason)) {
      throw new ScenarioAborted(check);
    }
  }

  /** Runs one step; an exception becomes a FAIL line for {@code check} and aborts the scenario. */
  <T> T run(String check, java.util.concurrent.Callable<T> step) throws ScenarioAborted {
    try {
      return step.call();
    } catch (Exception e) {
      throw abort(check, e);
    }
  }

  /** Records a FAIL for an exception and aborts the scenario. */
  ScenarioAborted abort(String check, Throwable error) {
    fail(check, Errors.describe(error));
    return new ScenarioAborted(check);
  }

  synchronized int failures() {
    return failed;
  }

  synchronized void printSummary() {
    out.println(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
    out.flush();
  }
}
