import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import org.apache.hadoop.io.Text;
import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.security.token.TokenIdentifier;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Priority;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.ClientRMProxy;
import org.apache.hadoop.yarn.client.api.AMRMClient;
import org.apache.hadoop.yarn.client.api.NMClient;
import org.apache.hadoop.yarn.client.api.NMTokenCache;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.security.AMRMTokenIdentifier;
import org.apache.hadoop.yarn.security.ContainerTokenIdentifier;
import org.apache.hadoop.yarn.security.NMTokenIdentifier;

/**
 * Scenario {@code self-check}: needs no cluster. Proves that the classpath carries every class
 * the scenarios load (AMRMClient, NMClient, the token identifiers, the AM token service) and
 * that the token checks of {@link Tokens} accept Hadoop-made tokens and reject wrong ones.
 */
final class SelfCheck {
  private SelfCheck() {}

  static void run(YarnConfiguration conf, Report report) throws Exception {
    report.startScenario("self-check");
    AMRMClient<AMRMClient.ContainerRequest> amrm = AMRMClient.createAMRMClient();
    amrm.init(conf);
    amrm.start();
    amrm.stop();
    NMClient nm = NMClient.createNMClient();
    nm.init(conf);
    nm.start();
    nm.stop();
    report.pass("clients-load", "AMRMClient and NMClient init/start/stop");
    report.pass("amrm-token-service", "scheduler address -> token service '"
        + ClientRMProxy.getAMRMTokenService(conf) + "'");

    ApplicationAttemptId attempt =
        ApplicationAttemptId.newInstance(ApplicationId.newInstance(1700000000000L, 7), 1);
    ApplicationAttemptId otherAttempt =
        ApplicationAttemptId.newInstance(ApplicationId.newInstance(1700000000000L, 8), 1);
    NodeId node = NodeId.newInstance("127.0.0.1", 45454);
    String user = "alice";

    Token<AMRMTokenIdentifier> amrm1 = new Token<>(bytes(new AMRMTokenIdentifier(attempt, 3)),
        new byte[] {1, 2, 3}, AMRMTokenIdentifier.KIND_NAME, new Text(""));
    expect(report, "amrm-token-decodes", Tokens.amrmTokenProblems(amrm1, attempt), true);
    expect(report, "amrm-token-wrong-attempt", Tokens.amrmTokenProblems(amrm1, otherAttempt), false);

    org.apache.hadoop.yarn.api.records.Token nmToken = yarnToken(
        new NMTokenIdentifier(attempt, node, user, 5), NMTokenIdentifier.KIND);
    expect(report, "nm-token-decodes", Tokens.nmTokenProblems(nmToken, node, attempt, user), true);
    expect(report, "nm-token-wrong-node", Tokens.nmTokenProblems(nmToken,
        NodeId.newInstance("127.0.0.1", 45455), attempt, user), false);
    expect(report, "nm-token-missing", Tokens.nmTokenProblems(null, node, attempt, user), false);

    ContainerId containerId = ContainerId.newContainerId(attempt, 2);
    Resource resource = Resource.newInstance(128, 1);
    Priority priority = Priority.newInstance(1);
    ContainerTokenIdentifier containerIdentifier = new ContainerTokenIdentifier(containerId,
        node.toString(), user, resource, System.currentTimeMillis() + 600_000, 9, 1700000000000L,
        priority, System.currentTimeMillis());
    Container container = Container.newInstance(containerId, node, "127.0.0.1:8042", resource,
        priority, yarnToken(containerIdentifier, ContainerTokenIdentifier.KIND));
    expect(report, "container-token-decodes", Tokens.containerTokenProblems(container, user), true);
    Container bigger = Container.newInstance(containerId, node, "127.0.0.1:8042",
        Resource.newInstance(256, 1), priority, container.getContainerToken());
    expect(report, "container-token-wrong-resource", Tokens.containerTokenProblems(bigger, user), false);
    Container garbage = Container.newInstance(containerId, node, "127.0.0.1:8042", resource,
        priority, org.apache.hadoop.yarn.api.records.Token.newInstance(new byte[] {(byte) 0xff, 1},
            ContainerTokenIdentifier.KIND.toString(), new byte[] {1}, ""));
    expect(report, "container-token-garbage", Tokens.containerTokenProblems(garbage, user), false);

    NMTokenCache cache = new NMTokenCache();
    cache.setToken(node.toString(), nmToken);
    report.check("nm-token-cache", cache.containsToken("127.0.0.1:45454"), "keyed by host:port",
        "NMTokenCache does not find the token by NodeId.toString()");
  }

  private static void expect(Report report, String check, String problems, boolean clean) {
    if (clean) {
      report.check(check, problems.isEmpty(), "", "a Hadoop-made token was rejected: " + problems);
    } else {
      report.check(check, !problems.isEmpty(), problems.strip(),
          "a wrong token was accepted by the check");
    }
  }

  private static byte[] bytes(TokenIdentifier identifier) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      identifier.write(out);
    }
    return buffer.toByteArray();
  }

  private static org.apache.hadoop.yarn.api.records.Token yarnToken(TokenIdentifier identifier,
      Text kind) throws IOException {
    return org.apache.hadoop.yarn.api.records.Token.newInstance(bytes(identifier),
        kind.toString(), new byte[] {7, 7, 7}, "");
  }
}
