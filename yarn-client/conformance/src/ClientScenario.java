import java.io.File;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.protocolrecords.GetNewApplicationResponse;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.NodeReport;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.api.records.YarnClusterMetrics;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException;

/**
 * Scenario {@code client}: everything a submitting client does, through Hadoop's YarnClient.
 *
 * <pre>
 * getNewApplication ─► submitApplication (AM = shell command, never registers)
 *   ─► getApplicationReport until ACCEPTED/RUNNING ─► report shape
 *   ─► getClusterNodes: the AM container is allocated somewhere
 *   ─► getApplications (type/state filters) ─► getClusterMetrics ─► getClusterNodes(RUNNING)
 *   ─► forceKillApplication (repeated by YarnClient until is_kill_completed) ─► report KILLED
 *   ─► kill again (no-op) ─► report / kill of an unknown id: ApplicationNotFoundException
 * </pre>
 */
final class ClientScenario {
  static final String NAME = "weir-conformance-client";
  static final String KILL_MESSAGE = "killed by weir conformance";

  private ClientScenario() {}

  static void run(Options options, YarnConfiguration conf, Report report) throws Exception {
    report.startScenario("client");
    YarnClient yarn = YarnClient.createYarnClient();
    yarn.init(conf);
    yarn.start();
    ApplicationId appId = null;
    try {
      appId = submit(options, report, yarn);
      checkLiveApplication(options, report, yarn, appId);
      checkCluster(report, yarn);
      kill(options, report, yarn, appId);
      checkUnknownApplication(report, yarn, appId);
    } catch (Report.ScenarioAborted aborted) {
      report.note(aborted.getMessage());
    } finally {
      if (appId != null) {
        Apps.killQuietly(report, yarn, appId);
      }
      yarn.stop();
    }
  }

  private static ApplicationId submit(Options options, Report report, YarnClient yarn)
      throws Report.ScenarioAborted {
    YarnClientApplication app = report.run("create-application", yarn::createApplication);
    GetNewApplicationResponse newApp = app.getNewApplicationResponse();
    ApplicationId appId = newApp.getApplicationId();
    report.require("create-application",
        appId != null && appId.getClusterTimestamp() > 0 && appId.getId() > 0,
        appId == null ? "" : appId.toString(),
        "GetNewApplicationResponse.application_id is " + appId
            + " (want cluster_timestamp > 0 and id > 0)");
    Resource max = newApp.getMaximumResourceCapability();
    report.check("maximum-capability",
        max != null && max.getMemorySize() >= options.containerMemoryMb
            && max.getVirtualCores() >= 1,
        String.valueOf(max),
        "maximumCapability " + max + " (want memory >= " + options.containerMemoryMb
            + " MiB and vcores >= 1)");

    ApplicationSubmissionContext context = Apps.newSubmission(app, NAME,
        options.containerMemoryMb,
        Apps.launchContext(Map.of("WEIR_CONFORMANCE", "client"), List.of(options.amCommand)),
        false);
    // YarnClient.submitApplication sends submitApplication, then polls getApplicationReport
    // until the state is past NEW/NEW_SAVING/SUBMITTED (FAILED/KILLED there throw).
    report.run("submit-application", () -> yarn.submitApplication(context));
    report.pass("submit-application", "AM command: " + options.amCommand);
    return appId;
  }

  private static void checkLiveApplication(Options options, Report report, YarnClient yarn,
      ApplicationId appId) throws Exception {
    ApplicationReport live = Apps.waitForReport(report, "report-accepted", yarn, appId,
        "state ACCEPTED or RUNNING",
        r -> r.getYarnApplicationState() == YarnApplicationState.ACCEPTED
            || r.getYarnApplicationState() == YarnApplicationState.RUNNING,
        options.timeout);
    report.pass("report-accepted", live.getYarnApplicationState().toString());
    String user = UserGroupInformation.getCurrentUser().getShortUserName();
    List<String> problems = Apps.liveReportProblems(live, appId, NAME, user, false);
    report.check("report-shape", problems.isEmpty(), Apps.describe(live),
        String.join("; ", problems) + " [" + Apps.describe(live) + "]");

    // The RM allocates the AM container on a node: the node reports show it.
    Waits.Outcome<List<NodeReport>> allocated = Waits.until(
        () -> yarn.getNodeReports(NodeState.RUNNING),
        nodes -> nodes.stream().mapToInt(NodeReport::getNumContainers).sum() >= 1,
        options.timeout, Apps.REPORT_POLL_INTERVAL);
    report.check("am-container-allocated", allocated.reached,
        "node reports show " + containerCount(allocated.last) + " container(s)",
        "no RUNNING node reports a container within " + options.timeout.toSeconds()
            + " s (NodeReport.numContainers); nodes: " + allocated.last);

    if (options.nmLogDirs.isEmpty()) {
      report.skip("am-container-log-dir", "no --nm-log-dir given");
    } else {
      Waits.Outcome<File> logDir = Waits.until(
          () -> LogDirs.findApplicationContainerDir(options.nmLogDirs, appId),
          dir -> dir != null, options.timeout, Apps.REPORT_POLL_INTERVAL);
      report.check("am-container-log-dir", logDir.reached, String.valueOf(logDir.last),
          "no <nm-log-dir>/" + appId + "/container_* directory appeared under "
              + options.nmLogDirs);
    }

    Set<String> ourType = Set.of(Apps.APPLICATION_TYPE);
    List<ApplicationReport> listed = report.run("get-applications",
        () -> yarn.getApplications(ourType,
            EnumSet.of(YarnApplicationState.ACCEPTED, YarnApplicationState.RUNNING)));
    ApplicationReport found = find(listed, appId);
    report.check("get-applications", found != null && NAME.equals(found.getName()),
        listed.size() + " application(s) of type " + Apps.APPLICATION_TYPE + " live",
        found == null ? appId + " missing from getApplications(type, [ACCEPTED, RUNNING]): "
            + listed.size() + " listed" : "listed report has name " + found.getName());
    // Hadoop lower-cases the requested types and the applications' types before comparing.
    List<ApplicationReport> lowerCase = report.run("get-applications-type-case",
        () -> yarn.getApplications(Set.of(Apps.APPLICATION_TYPE.toLowerCase())));
    report.check("get-applications-type-case", find(lowerCase, appId) != null, "",
        "type filter '" + Apps.APPLICATION_TYPE.toLowerCase()
            + "' does not find the application (Hadoop compares types case-insensitively)");
    String otherType = "NO-SUCH-TYPE-" + UUID.randomUUID();
    List<ApplicationReport> wrongType = report.run("get-applications-type-filter",
        () -> yarn.getApplications(Set.of(otherType)));
    report.check("get-applications-type-filter", find(wrongType, appId) == null, "",
        "the type filter is ignored: " + appId + " listed for type " + otherType);
    List<ApplicationReport> wrongState = report.run("get-applications-state-filter",
        () -> yarn.getApplications(Apps.FINAL_STATES));
    report.check("get-applications-state-filter", find(wrongState, appId) == null, "",
        "the state filter is ignored: live " + appId + " listed for [FINISHED, FAILED, KILLED]");
  }

  private static void checkCluster(Report report, YarnClient yarn) throws Exception {
    YarnClusterMetrics metrics = report.run("cluster-metrics", yarn::getYarnClusterMetrics);
    report.check("cluster-metrics",
        metrics != null && metrics.getNumNodeManagers() >= 1
            && metrics.getNumActiveNodeManagers() >= 1,
        metrics == null ? "" : "numNodeManagers=" + metrics.getNumNodeManagers()
            + " numActiveNodeManagers=" + metrics.getNumActiveNodeManagers(),
        metrics == null ? "GetClusterMetricsResponse.cluster_metrics missing"
            : "numNodeManagers=" + metrics.getNumNodeManagers() + " numActiveNodeManagers="
                + metrics.getNumActiveNodeManagers() + " (want >= 1 each)");

    List<NodeReport> nodes = report.run("node-reports", () -> yarn.getNodeReports(NodeState.RUNNING));
    StringBuilder problems = new StringBuilder();
    for (NodeReport node : nodes) {
      String nodeProblems = nodeProblems(node);
      if (!nodeProblems.isEmpty()) {
        problems.append(node.getNodeId()).append(": ").append(nodeProblems).append("; ");
      }
    }
    if (nodes.isEmpty()) {
      problems.append("getClusterNodes([RUNNING]) returned no node");
    }
    report.check("node-reports", problems.length() == 0,
        nodes.size() + " RUNNING node(s): " + describeNodes(nodes), problems.toString());
    if (metrics != null) {
      report.check("node-count-consistent", metrics.getNumActiveNodeManagers() == nodes.size(),
          "", "numActiveNodeManagers " + metrics.getNumActiveNodeManagers() + " but "
              + nodes.size() + " RUNNING node report(s)");
    }
    List<NodeReport> all = report.run("node-reports-all", () -> yarn.getNodeReports());
    report.check("node-reports-all", all.size() >= nodes.size(), all.size() + " node(s)",
        "getClusterNodes([all states]) lists " + all.size() + " < " + nodes.size()
            + " RUNNING node(s)");
  }

  private static void kill(Options options, Report report, YarnClient yarn, ApplicationId appId)
      throws Exception {
    // YarnClient repeats forceKillApplication every poll interval until is_kill_completed.
    long start = System.nanoTime();
    report.run("kill-application", () -> {
      yarn.killApplication(appId, KILL_MESSAGE);
      return null;
    });
    report.pass("kill-application",
        "is_kill_completed after " + (System.nanoTime() - start) / 1_000_000 + " ms");
    ApplicationReport killed = Apps.waitForReport(report, "report-killed", yarn, appId,
        "state KILLED", Apps.settled(
            r -> r.getYarnApplicationState() == YarnApplicationState.KILLED,
            r -> r.getDiagnostics() != null && r.getDiagnostics().contains(KILL_MESSAGE),
            Apps.DIAGNOSTICS_GRACE),
        options.timeout);
    StringBuilder problems = new StringBuilder();
    if (killed.getFinalApplicationStatus() != FinalApplicationStatus.KILLED) {
      problems.append("finalApplicationStatus ").append(killed.getFinalApplicationStatus())
          .append(" (want KILLED); ");
    }
    if (Apps.isBlank(killed.getDiagnostics())
        || !killed.getDiagnostics().contains(KILL_MESSAGE)) {
      problems.append("diagnostics '").append(killed.getDiagnostics())
          .append("' lack the kill message '").append(KILL_MESSAGE)
          .append("' (Hadoop: 'Application <id> was killed by user <u> at <ip> with diagnostic")
          .append(" message: <message>'); ");
    }
    if (killed.getFinishTime() < killed.getStartTime() || killed.getFinishTime() <= 0) {
      problems.append("finishTime ").append(killed.getFinishTime()).append(" vs startTime ")
          .append(killed.getStartTime()).append("; ");
    }
    report.check("report-killed", problems.length() == 0,
        "diagnostics: " + Apps.oneLine(killed.getDiagnostics()), problems.toString());

    List<ApplicationReport> finished = report.run("get-applications-killed",
        () -> yarn.getApplications(Set.of(Apps.APPLICATION_TYPE),
            EnumSet.of(YarnApplicationState.KILLED)));
    report.check("get-applications-killed", find(finished, appId) != null, "",
        appId + " missing from getApplications(type, [KILLED])");

    // Killing a finished application is a no-op that completes at once.
    long again = System.nanoTime();
    report.run("kill-finished-application", () -> {
      yarn.killApplication(appId);
      return null;
    });
    long againMs = (System.nanoTime() - again) / 1_000_000;
    report.check("kill-finished-application", againMs < 2000, againMs + " ms",
        "took " + againMs + " ms: the RM should answer is_kill_completed=true at once for a"
            + " finished application");
  }

  private static void checkUnknownApplication(Report report, YarnClient yarn,
      ApplicationId known) {
    ApplicationId unknown = ApplicationId.newInstance(known.getClusterTimestamp(), 987654);
    expectNotFound(report, "report-unknown-application", unknown,
        () -> yarn.getApplicationReport(unknown));
    expectNotFound(report, "kill-unknown-application", unknown, () -> {
      yarn.killApplication(unknown);
      return null;
    });
  }

  private static void expectNotFound(Report report, String check, ApplicationId unknown,
      java.util.concurrent.Callable<?> call) {
    try {
      Object result = call.call();
      report.fail(check, "no exception for " + unknown + "; got " + result);
    } catch (ApplicationNotFoundException e) {
      report.pass(check, e.getClass().getName() + ": " + Apps.oneLine(e.getMessage()));
    } catch (Exception e) {
      report.fail(check, "want " + ApplicationNotFoundException.class.getName()
          + " (the server must name it as the remote exception class), got "
          + Errors.describe(e));
    }
  }

  private static String nodeProblems(NodeReport node) {
    StringBuilder problems = new StringBuilder();
    if (node.getNodeId() == null || Apps.isBlank(node.getNodeId().getHost())
        || node.getNodeId().getPort() <= 0) {
      problems.append("nodeId ").append(node.getNodeId()).append(" ");
    }
    if (node.getNodeState() != NodeState.RUNNING) {
      problems.append("state ").append(node.getNodeState()).append(" ");
    }
    Resource capability = node.getCapability();
    if (capability == null || capability.getMemorySize() <= 0
        || capability.getVirtualCores() <= 0) {
      problems.append("capability ").append(capability).append(" ");
    }
    if (node.getUsed() == null) {
      problems.append("used missing ");
    }
    if (Apps.isBlank(node.getHttpAddress())) {
      problems.append("httpAddress missing ");
    }
    if (Apps.isBlank(node.getRackName())) {
      problems.append("rackName missing (Hadoop: /default-rack) ");
    }
    return problems.toString().strip();
  }

  private static String describeNodes(List<NodeReport> nodes) {
    StringBuilder text = new StringBuilder();
    for (NodeReport node : nodes) {
      text.append(node.getNodeId()).append(" cap=").append(node.getCapability())
          .append(" used=").append(node.getUsed()).append(" containers=")
          .append(node.getNumContainers()).append(" rack=").append(node.getRackName())
          .append(" http=").append(node.getHttpAddress()).append("; ");
    }
    return text.toString().strip();
  }

  private static int containerCount(List<NodeReport> nodes) {
    return nodes == null ? 0 : nodes.stream().mapToInt(NodeReport::getNumContainers).sum();
  }

  static ApplicationReport find(List<ApplicationReport> reports, ApplicationId appId) {
    for (ApplicationReport r : reports) {
      if (appId.equals(r.getApplicationId())) {
        return r;
      }
    }
    return null;
  }
}
