import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.yarn.api.ApplicationConstants;
import org.apache.hadoop.yarn.api.protocolrecords.AllocateResponse;
import org.apache.hadoop.yarn.api.protocolrecords.RegisterApplicationMasterResponse;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerExitStatus;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.ContainerState;
import org.apache.hadoop.yarn.api.records.ContainerStatus;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.ResourceRequest;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.ClientRMProxy;
import org.apache.hadoop.yarn.client.api.AMRMClient;
import org.apache.hadoop.yarn.client.api.AMRMClient.ContainerRequest;
import org.apache.hadoop.yarn.client.api.NMClient;
import org.apache.hadoop.yarn.client.api.NMTokenCache;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.security.AMRMTokenIdentifier;

/**
 * Scenarios {@code unmanaged-am} and {@code wrong-token}: this JVM is the ApplicationMaster of
 * an unmanaged application, using Hadoop's AMRMClient and NMClient the way a real AM does.
 *
 * <pre>
 * YarnClient: submit (unmanaged_am=true) ─► report until ACCEPTED + am_rm_token
 * UGI(attempt id) + AMRMToken (service = scheduler address), inside doAs:
 *   AMRMClient: register ─► addContainerRequest ×4 ─► allocate until 4 containers
 *               (removeContainerRequest per container: the ask shrinks to 0)
 *               ─► a few more heartbeats: no 5th container
 *   NMClient (NMTokens from the AMRMClient's NMTokenCache):
 *     start: echo → &lt;LOG_DIR&gt;/out.txt (×2), exit 7, sleep 600
 *     getContainerStatus(sleep) until RUNNING ─► stopContainer(sleep)
 *   AMRMClient: allocate until 4 completed statuses: 0, 0, 7, -105 (killed by the AM)
 *               ─► unregister(SUCCEEDED, "done") ─► report FINISHED/SUCCEEDED
 * </pre>
 */
final class UnmanagedAmScenario {
  static final String AM_HOST = "localhost";
  static final String UNREGISTER_MESSAGE = "done";
  static final int CONTAINERS = 4;
  static final Priority PRIORITY = Priority.newInstance(1);
  static final Duration HEARTBEAT = Duration.ofMillis(250);
  /** Heartbeats after the last wanted container during which no further one may arrive. */
  static final int EXTRA_HEARTBEATS = 8;
  static final Set<String> AUTH_FAILURE_CLASSES = Set.of(
      "javax.security.sasl.SaslException",
      "org.apache.hadoop.security.AccessControlException",
      "org.apache.hadoop.security.token.SecretManager$InvalidToken",
      "org.apache.hadoop.security.authorize.AuthorizationException");

  /** The roles of the four containers, in allocation order. */
  private enum Role {
    ECHO_1("echo hello-from-$" + ApplicationConstants.Environment.CONTAINER_ID.name() + " > "
        + ApplicationConstants.LOG_DIR_EXPANSION_VAR + "/out.txt; exit 0", 0),
    ECHO_2(ECHO_1.command, 0),
    EXIT_7("exit 7", 7),
    STOPPED("sleep 600", ContainerExitStatus.KILLED_BY_APPMASTER);

    final String command;
    final int expectedExitStatus;

    Role(String command, int expectedExitStatus) {
      this.command = command;
      this.expectedExitStatus = expectedExitStatus;
    }
  }

  /** An unmanaged application whose attempt has its AMRMToken. */
  private static final class Launched {
    final ApplicationId appId;
    final ApplicationAttemptId attemptId;
    final Token<AMRMTokenIdentifier> token;

    Launched(ApplicationId appId, ApplicationAttemptId attemptId, Token<AMRMTokenIdentifier> token) {
      this.appId = appId;
      this.attemptId = attemptId;
      this.token = token;
    }
  }

  private UnmanagedAmScenario() {}

  static void runUnmanagedAm(Options options, YarnConfiguration conf, Report report)
      throws Exception {
    report.startScenario("unmanaged-am");
    YarnClient yarn = YarnClient.createYarnClient();
    yarn.init(conf);
    yarn.start();
    ApplicationId[] appId = new ApplicationId[1];
    try {
      Launched launched = submitUnmanaged(options, report, yarn, "weir-conformance-unmanaged-am", appId);
      UserGroupInformation ugi = amUser(conf, launched.attemptId, launched.token);
      ugi.doAs((PrivilegedExceptionAction<Void>) () -> {
        runAm(options, conf, report, yarn, launched);
        return null;
      });
    } catch (Report.ScenarioAborted aborted) {
      report.note(aborted.getMessage());
    } finally {
      if (appId[0] != null) {
        Apps.killQuietly(report, yarn, appId[0]);
      }
      yarn.stop();
    }
  }

  static void runWrongToken(Options options, YarnConfiguration conf, Report report)
      throws Exception {
    report.startScenario("wrong-token");
    YarnClient yarn = YarnClient.createYarnClient();
    yarn.init(conf);
    yarn.start();
    ApplicationId[] appId = new ApplicationId[1];
    try {
      Launched launched = submitUnmanaged(options, report, yarn, "weir-conformance-wrong-token", appId);
      Token<AMRMTokenIdentifier> genuine = launched.token;
      byte[] password = genuine.getPassword().clone();
      report.require("corrupt-password", password.length > 0, password.length + " byte(s) flipped",
          "the AMRMToken has an empty password");
      for (int i = 0; i < password.length; i++) {
        password[i] ^= 0x5a;
      }
      Token<AMRMTokenIdentifier> corrupted = new Token<>(genuine.getIdentifier(), password,
          genuine.getKind(), genuine.getService());

      UserGroupInformation badUser = amUser(conf, launched.attemptId, corrupted);
      long start = System.nanoTime();
      Throwable failure = badUser.doAs((PrivilegedExceptionAction<Throwable>) () -> {
        AMRMClient<ContainerRequest> amrm = AMRMClient.createAMRMClient();
        amrm.init(conf);
        amrm.start();
        try {
          amrm.registerApplicationMaster(AM_HOST, 0, "");
          return null;
        } catch (Exception e) {
          return e;
        } finally {
          amrm.stop();
        }
      });
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      if (failure == null) {
        report.fail("register-rejected",
            "registerApplicationMaster with a corrupted AMRMToken password succeeded");
      } else {
        String authClass = Errors.findInChain(failure, AUTH_FAILURE_CLASSES);
        report.check("register-rejected", authClass != null,
            "after " + elapsedMs + " ms: " + Errors.describe(failure),
            "registration failed after " + elapsedMs + " ms, but not with an authentication"
                + " error (want one of " + AUTH_FAILURE_CLASSES + " as the FATAL response's"
                + " exception class): " + Errors.describe(failure));
      }

      // The failed handshake must not spoil the attempt: the genuine token still registers.
      UserGroupInformation goodUser = amUser(conf, launched.attemptId, genuine);
      goodUser.doAs((PrivilegedExceptionAction<Void>) () -> {
        AMRMClient<ContainerRequest> amrm = AMRMClient.createAMRMClient();
        amrm.init(conf);
        amrm.start();
        try {
          report.run("genuine-token-registers",
              () -> amrm.registerApplicationMaster(AM_HOST, 0, ""));
          report.pass("genuine-token-registers", "");
          report.run("unregister-failed", () -> {
            amrm.unregisterApplicationMaster(FinalApplicationStatus.FAILED,
                "wrong-token scenario over", null);
            return null;
          });
          report.pass("unregister-failed", "");
        } finally {
          amrm.stop();
        }
        return null;
      });
      ApplicationReport finished = Apps.waitForReport(report, "report-finished-failed", yarn,
          launched.appId, "a final state", Apps.settled(
              r -> Apps.FINAL_STATES.contains(r.getYarnApplicationState()),
              r -> r.getFinalApplicationStatus() != FinalApplicationStatus.UNDEFINED,
              Apps.DIAGNOSTICS_GRACE),
          options.timeout);
      report.check("report-finished-failed",
          finished.getYarnApplicationState() == YarnApplicationState.FINISHED
              && finished.getFinalApplicationStatus() == FinalApplicationStatus.FAILED,
          "FINISHED/FAILED",
          "an AM that unregisters with FAILED leaves the application FINISHED with final status"
              + " FAILED; got " + Apps.describe(finished));
    } catch (Report.ScenarioAborted aborted) {
      report.note(aborted.getMessage());
    } finally {
      if (appId[0] != null) {
        Apps.killQuietly(report, yarn, appId[0]);
      }
      yarn.stop();
    }
  }

  /**
   * Submits an unmanaged application and waits until its report carries the AMRMToken (a
   * Hadoop RM adds it, for the submitting user only, once the attempt is LAUNCHED; the
   * application is then ACCEPTED).
   */
  private static Launched submitUnmanaged(Options options, Report report, YarnClient yarn,
      String name, ApplicationId[] submitted) throws Exception {
    YarnClientApplication app = report.run("create-application", yarn::createApplication);
    ApplicationId appId = app.getNewApplicationResponse().getApplicationId();
    report.require("create-application", appId != null, String.valueOf(appId),
        "GetNewApplicationResponse.application_id missing");
    var context = Apps.newSubmission(app, name, options.containerMemoryMb,
        Apps.launchContext(Map.of(), List.of()), true);
    report.run("submit-application", () -> yarn.submitApplication(context));
    submitted[0] = appId;
    report.pass("submit-application", appId + " (unmanaged)");

    Waits.Outcome<ApplicationReport> withToken = report.run("amrm-token",
        () -> Waits.until(() -> yarn.getApplicationReport(appId),
            r -> r.getAMRMToken() != null || Apps.FINAL_STATES.contains(r.getYarnApplicationState()),
            options.timeout, Apps.REPORT_POLL_INTERVAL));
    ApplicationReport r = withToken.last;
    report.require("amrm-token", withToken.reached && r.getAMRMToken() != null,
        "after " + withToken.elapsedMs + " ms",
        "no ApplicationReport.am_rm_token within " + options.timeout.toSeconds()
            + " s (unmanaged AMs get it from the report); last: " + Apps.describe(r));
    String user = UserGroupInformation.getCurrentUser().getShortUserName();
    List<String> problems = Apps.liveReportProblems(r, appId, name, user, true);
    if (r.getYarnApplicationState() != YarnApplicationState.ACCEPTED) {
      problems.add("state " + r.getYarnApplicationState() + " (want ACCEPTED until the AM registers)");
    }
    report.check("report-shape", problems.isEmpty(), Apps.describe(r),
        String.join("; ", problems) + " [" + Apps.describe(r) + "]");
    ApplicationAttemptId attemptId = r.getCurrentApplicationAttemptId();
    report.require("attempt-id", attemptId != null, String.valueOf(attemptId),
        "ApplicationReport.currentApplicationAttemptId missing");
    // YarnClient.getAMRMToken converts the report's token exactly as an unmanaged AM launcher does.
    Token<AMRMTokenIdentifier> token = report.run("amrm-token-identifier",
        () -> yarn.getAMRMToken(appId));
    String tokenProblems = Tokens.amrmTokenProblems(token, attemptId);
    report.check("amrm-token-identifier", tokenProblems.isEmpty(),
        "kind " + token.getKind() + ", service '" + token.getService() + "'", tokenProblems);
    return new Launched(appId, attemptId, token);
  }

  /**
   * The UGI an AM runs as: the attempt id as user name, holding the AMRMToken whose service is
   * the scheduler address (ClientRMProxy also sets that when it creates the AM proxy).
   */
  private static UserGroupInformation amUser(YarnConfiguration conf, ApplicationAttemptId attempt,
      Token<AMRMTokenIdentifier> token) {
    Token<AMRMTokenIdentifier> copy = new Token<>(token.getIdentifier(), token.getPassword(),
        token.getKind(), ClientRMProxy.getAMRMTokenService(conf));
    UserGroupInformation ugi = UserGroupInformation.createRemoteUser(attempt.toString());
    ugi.addToken(copy);
    return ugi;
  }

  /** The AM's life; runs inside doAs of the attempt's UGI. */
  private static void runAm(Options options, YarnConfiguration conf, Report report,
      YarnClient yarn, Launched launched) throws Exception {
    String user = UserGroupInformation.getLoginUser().getShortUserName();
    NMTokenCache nmTokens = new NMTokenCache();
    AMRMClient<ContainerRequest> amrm = AMRMClient.createAMRMClient();
    amrm.setNMTokenCache(nmTokens);
    amrm.init(conf);
    amrm.start();
    NMClient nm = null;
    try {
      register(options, report, yarn, launched, amrm);
      Set<ContainerId> released = new HashSet<>();
      Map<ContainerId, Container> containers = allocate(options, report, amrm, released);
      checkContainers(report, launched, containers, nmTokens, user, options.containerMemoryMb);

      nm = NMClient.createNMClient();
      nm.setNMTokenCache(nmTokens);
      nm.init(conf);
      nm.start();
      // Completed containers stay "running" in NMClient's own table; do not stop them on stop().
      nm.cleanupRunningContainersOnStop(false);
      Map<ContainerId, Role> roles = startContainers(report, nm, containers);
      stopSleeper(options, report, nm, containers, roles);
      awaitCompletion(options, report, amrm, roles, released);
      checkLogDirs(options, report, launched.appId, roles);
      unregister(options, report, yarn, launched, amrm);
    } finally {
      if (nm != null) {
        nm.stop();
      }
      amrm.stop();
    }
  }

  private static void register(Options options, Report report, YarnClient yarn, Launched launched,
      AMRMClient<ContainerRequest> amrm) throws Exception {
    RegisterApplicationMasterResponse registered = report.run("register",
        () -> amrm.registerApplicationMaster(AM_HOST, 0, ""));
    Resource max = registered.getMaximumResourceCapability();
    report.check("register", max != null && max.getMemorySize() >= options.containerMemoryMb,
        "maximumCapability=" + max + " queue=" + registered.getQueue()
            + " schedulerResourceTypes=" + registered.getSchedulerResourceTypes(),
        "RegisterApplicationMasterResponse.maximumCapability " + max + " (want memory >= "
            + options.containerMemoryMb + " MiB)");
    ApplicationReport running = Apps.waitForReport(report, "report-running", yarn, launched.appId,
        "state RUNNING", r -> r.getYarnApplicationState() == YarnApplicationState.RUNNING
            || Apps.FINAL_STATES.contains(r.getYarnApplicationState()), options.timeout);
    report.check("report-running",
        running.getYarnApplicationState() == YarnApplicationState.RUNNING
            && AM_HOST.equals(running.getHost()) && running.getRpcPort() == 0,
        "host:rpcPort " + running.getHost() + ":" + running.getRpcPort(),
        "after registration want RUNNING with the registered host:rpcPort " + AM_HOST
            + ":0; got " + Apps.describe(running));
  }

  /**
   * Asks for {@link #CONTAINERS} containers and heartbeats until they are allocated, removing
   * each matched request (so the next ask carries the remaining count, finally 0), then checks
   * that no further container arrives. Surplus containers are released and added to
   * {@code released}.
   */
  private static Map<ContainerId, Container> allocate(Options options, Report report,
      AMRMClient<ContainerRequest> amrm, Set<ContainerId> released) throws Exception {
    Resource capability = Resource.newInstance(options.containerMemoryMb, 1);
    for (int i = 0; i < CONTAINERS; i++) {
      amrm.addContainerRequest(new ContainerRequest(capability, null, null, PRIORITY));
    }
    Map<ContainerId, Container> allocated = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    long deadline = System.nanoTime() + options.timeout.toNanos();
    int heartbeats = 0;
    while (allocated.size() < CONTAINERS && System.nanoTime() < deadline) {
      AllocateResponse response = report.run("allocate", () -> amrm.allocate(0.1f));
      heartbeats++;
      take(amrm, response, allocated, problems);
      if (!response.getCompletedContainersStatuses().isEmpty()) {
        problems.add("completed statuses before any container was started: "
            + response.getCompletedContainersStatuses());
      }
      Thread.sleep(HEARTBEAT.toMillis());
    }
    report.require("allocate", allocated.size() >= CONTAINERS && problems.isEmpty(),
        allocated.size() + " container(s) in " + heartbeats + " heartbeat(s): "
            + allocated.keySet(),
        "got " + allocated.size() + " of " + CONTAINERS + " container(s) in " + heartbeats
            + " heartbeat(s) / " + options.timeout.toSeconds() + " s"
            + (problems.isEmpty() ? "" : "; " + String.join("; ", problems)));

    int before = allocated.size();
    for (int i = 0; i < EXTRA_HEARTBEATS; i++) {
      take(amrm, report.run("no-over-allocation", () -> amrm.allocate(0.2f)), allocated, problems);
      Thread.sleep(HEARTBEAT.toMillis());
    }
    List<ContainerId> extra = new ArrayList<>(allocated.keySet()).subList(CONTAINERS, allocated.size());
    for (ContainerId id : extra) {
      amrm.releaseAssignedContainer(id);
      released.add(id);
    }
    report.check("no-over-allocation", allocated.size() == CONTAINERS && problems.isEmpty(),
        EXTRA_HEARTBEATS + " more heartbeat(s), no further container",
        (allocated.size() - CONTAINERS) + " container(s) beyond the " + CONTAINERS + " asked for"
            + (before > CONTAINERS ? " (some in the same heartbeats as the wanted ones)" : "")
            + ": " + extra + (problems.isEmpty() ? "" : "; " + String.join("; ", problems))
            + " (the ask table is replaced by each ask: num_containers is the remaining total)");
    Map<ContainerId, Container> wanted = new LinkedHashMap<>();
    for (Container c : allocated.values()) {
      if (wanted.size() < CONTAINERS) {
        wanted.put(c.getId(), c);
      }
    }
    return wanted;
  }

  /** Adds the response's containers and removes one matching request per container. */
  private static void take(AMRMClient<ContainerRequest> amrm, AllocateResponse response,
      Map<ContainerId, Container> allocated, List<String> problems) {
    for (Container c : response.getAllocatedContainers()) {
      if (c.getId() == null || c.getPriority() == null || c.getResource() == null) {
        problems.add("allocated container without id/priority/resource: " + c);
        continue;
      }
      if (allocated.putIfAbsent(c.getId(), c) != null) {
        problems.add("container " + c.getId() + " allocated twice");
        continue;
      }
      List<? extends Collection<ContainerRequest>> matching =
          amrm.getMatchingRequests(c.getPriority(), ResourceRequest.ANY, c.getResource());
      if (!matching.isEmpty() && !matching.get(0).isEmpty()) {
        amrm.removeContainerRequest(matching.get(0).iterator().next());
      }
    }
  }

  private static void checkContainers(Report report, Launched launched,
      Map<ContainerId, Container> containers, NMTokenCache nmTokens, String user,
      int askedMemoryMb) {
    List<String> problems = new ArrayList<>();
    Map<NodeId, String> nodeProblems = new HashMap<>();
    for (Container c : containers.values()) {
      String prefix = c.getId() + ": ";
      if (!launched.attemptId.equals(c.getId().getApplicationAttemptId())) {
        problems.add(prefix + "belongs to attempt " + c.getId().getApplicationAttemptId());
      }
      if (c.getNodeId() == null || c.getNodeId().getPort() <= 0) {
        problems.add(prefix + "nodeId " + c.getNodeId());
        continue;
      }
      if (Apps.isBlank(c.getNodeHttpAddress())) {
        problems.add(prefix + "node_http_address missing");
      }
      // The scheduler normalizes a request up to its allocation increment, never down.
      if (c.getResource().getMemorySize() < askedMemoryMb || c.getResource().getVirtualCores() < 1) {
        problems.add(prefix + "resource " + c.getResource() + " is less than asked for (<memory:"
            + askedMemoryMb + ", vCores:1>)");
      }
      if (!PRIORITY.equals(c.getPriority())) {
        problems.add(prefix + "priority " + c.getPriority() + " (want the request's, 1)");
      }
      String tokenProblems = Tokens.containerTokenProblems(c, user);
      if (!tokenProblems.isEmpty()) {
        problems.add(prefix + "container token: " + tokenProblems);
      }
      nodeProblems.computeIfAbsent(c.getNodeId(), node -> Tokens.nmTokenProblems(
          nmTokens.getToken(node.toString()), node, launched.attemptId, user));
    }
    report.check("containers", problems.isEmpty(),
        "ids, nodes, resources, priorities and container tokens as Hadoop's",
        String.join("; ", problems));
    List<String> tokenProblems = new ArrayList<>();
    nodeProblems.forEach((node, text) -> {
      if (!text.isEmpty()) {
        tokenProblems.add(node + ": " + text);
      }
    });
    report.check("nm-tokens", tokenProblems.isEmpty(),
        "one per node " + nodeProblems.keySet(), String.join("; ", tokenProblems));
  }

  private static Map<ContainerId, Role> startContainers(Report report, NMClient nm,
      Map<ContainerId, Container> containers) {
    Map<ContainerId, Role> roles = new LinkedHashMap<>();
    Role[] order = Role.values();
    int i = 0;
    for (Container c : containers.values()) {
      Role role = order[i++];
      // Real AMs send the whole command as one string; the NM runs it with bash -c.
      var context = Apps.launchContext(Map.of("WEIR_CONFORMANCE_ROLE", role.name()),
          List.of(role.command));
      report.run("start-container", () -> nm.startContainer(c, context));
      roles.put(c.getId(), role);
    }
    report.pass("start-container", roles.size() + " container(s) started: " + roles);
    return roles;
  }

  private static void stopSleeper(Options options, Report report, NMClient nm,
      Map<ContainerId, Container> containers, Map<ContainerId, Role> roles) throws Exception {
    Container sleeper = null;
    for (Map.Entry<ContainerId, Role> entry : roles.entrySet()) {
      if (entry.getValue() == Role.STOPPED) {
        sleeper = containers.get(entry.getKey());
      }
    }
    Container target = sleeper;
    Waits.Outcome<ContainerStatus> running = report.run("container-status",
        () -> Waits.until(() -> nm.getContainerStatus(target.getId(), target.getNodeId()),
            s -> s != null && s.getState() == ContainerState.RUNNING, options.timeout,
            Apps.REPORT_POLL_INTERVAL));
    ContainerStatus status = running.last;
    report.check("container-status",
        running.reached && target.getId().equals(status.getContainerId()),
        target.getId() + " " + status.getState() + " after " + running.elapsedMs + " ms",
        "getContainerStatuses of " + target.getId() + " never said RUNNING with that id within "
            + options.timeout.toSeconds() + " s; last: " + describe(status));
    report.run("stop-container", () -> {
      nm.stopContainer(target.getId(), target.getNodeId());
      return null;
    });
    report.pass("stop-container", target.getId().toString());
  }

  /**
   * Heartbeats until every started container has exactly one completed status. Statuses of
   * {@code released} (surplus) containers are expected and ignored.
   */
  private static void awaitCompletion(Options options, Report report,
      AMRMClient<ContainerRequest> amrm, Map<ContainerId, Role> roles, Set<ContainerId> released)
      throws Exception {
    Map<ContainerId, ContainerStatus> completed = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    long deadline = System.nanoTime() + options.timeout.toNanos();
    while (completed.size() < roles.size() && System.nanoTime() < deadline) {
      AllocateResponse response = report.run("completed-statuses", () -> amrm.allocate(0.5f));
      for (ContainerStatus s : response.getCompletedContainersStatuses()) {
        if (s.getContainerId() == null) {
          problems.add("completed status without container_id: " + s);
        } else if (released.contains(s.getContainerId())) {
          continue;
        } else if (!roles.containsKey(s.getContainerId())) {
          problems.add("completed status of unknown container " + s.getContainerId());
        } else if (completed.putIfAbsent(s.getContainerId(), s) != null) {
          problems.add("second completed status for " + s.getContainerId());
        }
      }
      if (!response.getAllocatedContainers().isEmpty()) {
        problems.add("unasked containers allocated: " + response.getAllocatedContainers());
      }
      Thread.sleep(HEARTBEAT.toMillis());
    }
    for (Map.Entry<ContainerId, Role> entry : roles.entrySet()) {
      ContainerStatus s = completed.get(entry.getKey());
      Role role = entry.getValue();
      if (s == null) {
        problems.add(entry.getKey() + " (" + role + "): no completed status");
      } else if (s.getState() != ContainerState.COMPLETE
          || s.getExitStatus() != role.expectedExitStatus) {
        problems.add(entry.getKey() + " (" + role + "): want COMPLETE exit "
            + role.expectedExitStatus + ", got " + describe(s));
      } else if (role == Role.STOPPED && Apps.isBlank(s.getDiagnostics())) {
        problems.add(entry.getKey() + " (" + role + "): no diagnostics (Hadoop: 'Container"
            + " killed by the ApplicationMaster.')");
      }
    }
    StringBuilder summary = new StringBuilder();
    completed.forEach((id, s) -> summary.append(id).append("=").append(s.getExitStatus()).append(' '));
    report.check("completed-statuses", problems.isEmpty(), summary.toString().strip(),
        String.join("; ", problems));
  }

  private static void checkLogDirs(Options options, Report report, ApplicationId appId,
      Map<ContainerId, Role> roles) throws Exception {
    if (options.nmLogDirs.isEmpty()) {
      report.skip("log-dir-expansion", "no --nm-log-dir given");
      return;
    }
    List<String> problems = new ArrayList<>();
    List<String> found = new ArrayList<>();
    for (Map.Entry<ContainerId, Role> entry : roles.entrySet()) {
      if (entry.getValue() != Role.ECHO_1 && entry.getValue() != Role.ECHO_2) {
        continue;
      }
      ContainerId id = entry.getKey();
      File file = LogDirs.containerFile(options.nmLogDirs, appId, id, "out.txt");
      if (file == null) {
        List<Path> elsewhere = LogDirs.findAnywhere(options.nmLogDirs, id, "out.txt");
        problems.add("no <nm-log-dir>/" + appId + "/" + id + "/out.txt under "
            + options.nmLogDirs + (elsewhere.isEmpty() ? "" : "; found instead at " + elsewhere));
        continue;
      }
      String content = Files.readString(file.toPath(), StandardCharsets.UTF_8).strip();
      String expected = "hello-from-" + id;
      if (!content.equals(expected)) {
        problems.add(file + " holds '" + content + "', want '" + expected
            + "' (CONTAINER_ID must be in the container's environment)");
      } else {
        found.add(file.toString());
      }
    }
    report.check("log-dir-expansion", problems.isEmpty(), String.join(", ", found),
        String.join("; ", problems));
  }

  private static void unregister(Options options, Report report, YarnClient yarn, Launched launched,
      AMRMClient<ContainerRequest> amrm) throws Exception {
    // AMRMClient repeats finishApplicationMaster every 100 ms until is_unregistered.
    long start = System.nanoTime();
    report.run("unregister", () -> {
      amrm.unregisterApplicationMaster(FinalApplicationStatus.SUCCEEDED, UNREGISTER_MESSAGE, null);
      return null;
    });
    report.pass("unregister", "is_unregistered after " + (System.nanoTime() - start) / 1_000_000 + " ms");
    ApplicationReport finished = Apps.waitForReport(report, "report-finished", yarn,
        launched.appId, "a final state", Apps.settled(
            r -> Apps.FINAL_STATES.contains(r.getYarnApplicationState()),
            r -> r.getDiagnostics() != null && r.getDiagnostics().contains(UNREGISTER_MESSAGE)
                && r.getFinalApplicationStatus() != FinalApplicationStatus.UNDEFINED,
            Apps.DIAGNOSTICS_GRACE),
        options.timeout);
    List<String> problems = new ArrayList<>();
    if (finished.getYarnApplicationState() != YarnApplicationState.FINISHED
        || finished.getFinalApplicationStatus() != FinalApplicationStatus.SUCCEEDED) {
      problems.add("want FINISHED/SUCCEEDED, got " + finished.getYarnApplicationState() + "/"
          + finished.getFinalApplicationStatus());
    }
    if (finished.getDiagnostics() == null || !finished.getDiagnostics().contains(UNREGISTER_MESSAGE)) {
      problems.add("diagnostics '" + finished.getDiagnostics() + "' lack the AM's unregister"
          + " message '" + UNREGISTER_MESSAGE + "'");
    }
    if (finished.getFinishTime() <= 0) {
      problems.add("finishTime " + finished.getFinishTime());
    }
    report.check("report-finished", problems.isEmpty(), Apps.describe(finished),
        String.join("; ", problems));
  }

  private static String describe(ContainerStatus s) {
    if (s == null) {
      return "null";
    }
    return "id=" + s.getContainerId() + " state=" + s.getState() + " exit=" + s.getExitStatus()
        + " diagnostics=" + Apps.oneLine(s.getDiagnostics());
  }
}
