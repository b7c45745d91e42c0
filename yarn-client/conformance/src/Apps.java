import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;

/** Application submission, report polling and report checks shared by the scenarios. */
final class Apps {
  /** The application type of every conformance application (filtering is checked on it). */
  static final String APPLICATION_TYPE = "WEIR-CONFORMANCE";
  static final Duration REPORT_POLL_INTERVAL = Duration.ofMillis(200);
  /** How long a final report may lack its final diagnostics; see {@link #settled}. */
  static final Duration DIAGNOSTICS_GRACE = Duration.ofSeconds(5);
  static final EnumSet<YarnApplicationState> FINAL_STATES =
      EnumSet.of(YarnApplicationState.FINISHED, YarnApplicationState.FAILED,
          YarnApplicationState.KILLED);

  private Apps() {}

  /**
   * getNewApplication, then an ApplicationSubmissionContext with our name, type, one attempt
   * and an AM of {@code memoryMb} MiB / 1 vcore.
   */
  static ApplicationSubmissionContext newSubmission(YarnClientApplication app, String name,
      int memoryMb, ContainerLaunchContext amSpec, boolean unmanaged) {
    ApplicationSubmissionContext context = app.getApplicationSubmissionContext();
    context.setApplicationName(name);
    context.setApplicationType(APPLICATION_TYPE);
    context.setMaxAppAttempts(1);
    context.setResource(Resource.newInstance(memoryMb, 1));
    context.setAMContainerSpec(amSpec);
    context.setUnmanagedAM(unmanaged);
    return context;
  }

  static ContainerLaunchContext launchContext(Map<String, String> environment,
      List<String> commands) {
    return ContainerLaunchContext.newInstance(Map.of(), environment, commands, null, null, null);
  }

  /**
   * Polls getApplicationReport until {@code done} holds; on time-out records a FAIL for
   * {@code check} naming the last report, and aborts the scenario.
   */
  static ApplicationReport waitForReport(Report report, String check, YarnClient yarn,
      ApplicationId appId, String wanted, Predicate<ApplicationReport> done, Duration timeout)
      throws Report.ScenarioAborted {
    Waits.Outcome<ApplicationReport> outcome = report.run(check,
        () -> Waits.until(() -> yarn.getApplicationReport(appId), done, timeout,
            REPORT_POLL_INTERVAL));
    if (!outcome.reached) {
      report.fail(check, "no report with " + wanted + " within " + timeout.toSeconds()
          + " s; last: " + describe(outcome.last));
      throw new Report.ScenarioAborted(check);
    }
    return outcome.last;
  }

  /**
   * A condition for report polling: {@code reached} holds and either {@code complete} holds too
   * or {@code reached} has held for {@code grace}. A Hadoop RM may show the final state a moment
   * before the final diagnostics; the grace waits for them without waiting the whole time-out
   * for a server that never sends them (the caller checks {@code complete} itself).
   */
  static Predicate<ApplicationReport> settled(Predicate<ApplicationReport> reached,
      Predicate<ApplicationReport> complete, Duration grace) {
    long[] firstReachedNanos = {0};
    return r -> {
      if (!reached.test(r)) {
        return false;
      }
      if (complete.test(r)) {
        return true;
      }
      long now = System.nanoTime();
      if (firstReachedNanos[0] == 0) {
        firstReachedNanos[0] = now;
      }
      return now - firstReachedNanos[0] >= grace.toNanos();
    };
  }

  /** The fields of a report that the checks look at, on one line. */
  static String describe(ApplicationReport r) {
    if (r == null) {
      return "null report";
    }
    return "id=" + r.getApplicationId() + " state=" + r.getYarnApplicationState()
        + " final=" + r.getFinalApplicationStatus() + " user=" + r.getUser()
        + " queue=" + r.getQueue() + " name=" + r.getName() + " type=" + r.getApplicationType()
        + " attempt=" + r.getCurrentApplicationAttemptId() + " host=" + r.getHost()
        + " rpcPort=" + r.getRpcPort() + " progress=" + r.getProgress()
        + " start=" + r.getStartTime() + " finish=" + r.getFinishTime()
        + " unmanaged=" + r.isUnmanagedApp() + " diagnostics=" + oneLine(r.getDiagnostics());
  }

  /**
   * What is wrong with a report of a live (not yet finished) application, compared with what a
   * Hadoop ResourceManager reports. Empty when nothing is.
   */
  static List<String> liveReportProblems(ApplicationReport r, ApplicationId appId, String name,
      String user, boolean unmanaged) {
    List<String> problems = new ArrayList<>();
    if (!appId.equals(r.getApplicationId())) {
      problems.add("applicationId " + r.getApplicationId() + " != " + appId);
    }
    if (!user.equals(r.getUser())) {
      problems.add("user '" + r.getUser() + "' != submitting user '" + user + "'");
    }
    if (isBlank(r.getQueue())) {
      problems.add("queue missing");
    }
    if (!name.equals(r.getName())) {
      problems.add("name '" + r.getName() + "' != '" + name + "'");
    }
    if (!APPLICATION_TYPE.equals(r.getApplicationType())) {
      problems.add("applicationType '" + r.getApplicationType() + "' != '" + APPLICATION_TYPE
          + "' (the RM keeps the submitted spelling; only filtering ignores case)");
    }
    if (r.getFinalApplicationStatus() != FinalApplicationStatus.UNDEFINED) {
      problems.add("finalApplicationStatus " + r.getFinalApplicationStatus()
          + " while running (want UNDEFINED)");
    }
    if (r.getStartTime() <= 0) {
      problems.add("startTime " + r.getStartTime());
    }
    if (r.getSubmitTime() <= 0) {
      problems.add("submitTime " + r.getSubmitTime() + " (field 28, set by Hadoop 3 RMs)");
    }
    if (r.getFinishTime() != 0) {
      problems.add("finishTime " + r.getFinishTime() + " before the application finished");
    }
    if (r.getCurrentApplicationAttemptId() == null) {
      problems.add("currentApplicationAttemptId missing");
    } else if (!appId.equals(r.getCurrentApplicationAttemptId().getApplicationId())
        || r.getCurrentApplicationAttemptId().getAttemptId() < 1) {
      problems.add("currentApplicationAttemptId " + r.getCurrentApplicationAttemptId()
          + " does not belong to " + appId);
    }
    if (!(r.getProgress() >= 0 && r.getProgress() <= 1)) {
      problems.add("progress " + r.getProgress() + " outside [0, 1]");
    }
    if (r.getDiagnostics() == null) {
      problems.add("diagnostics missing (Hadoop RMs send at least an empty string)");
    }
    if (r.isUnmanagedApp() != unmanaged) {
      problems.add("unmanagedApplication " + r.isUnmanagedApp() + " != " + unmanaged);
    }
    if (r.getYarnApplicationState() == YarnApplicationState.ACCEPTED) {
      // Before the AM registers, a Hadoop RM reports host "N/A" and rpc port -1.
      if (!"N/A".equals(r.getHost()) || r.getRpcPort() != -1) {
        problems.add("host:rpcPort " + r.getHost() + ":" + r.getRpcPort()
            + " before registration (Hadoop: N/A:-1)");
      }
    }
    return problems;
  }

  /** Kills an application during clean-up; errors are only noted. */
  static void killQuietly(Report report, YarnClient yarn, ApplicationId appId) {
    try {
      ApplicationReport r = yarn.getApplicationReport(appId);
      if (!FINAL_STATES.contains(r.getYarnApplicationState())) {
        yarn.killApplication(appId, "weir conformance clean-up");
        report.note("clean-up: killed " + appId);
      }
    } catch (Exception e) {
      report.note("clean-up of " + appId + " failed: " + Errors.describe(e));
    }
  }

  static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  static String oneLine(String s) {
    if (s == null) {
      return "null";
    }
    String line = s.replace('\n', ' ').strip();
    return line.length() > 300 ? line.substring(0, 300) + "..." : line;
  }
}
