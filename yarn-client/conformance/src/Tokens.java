import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

import org.apache.hadoop.security.token.Token;
import org.apache.hadoop.security.token.TokenIdentifier;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptId;
import org.apache.hadoop.yarn.api.records.Container;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.security.AMRMTokenIdentifier;
import org.apache.hadoop.yarn.security.ContainerTokenIdentifier;
import org.apache.hadoop.yarn.security.NMTokenIdentifier;

/**
 * Decodes the three YARN token identifiers with Hadoop's own classes, so that tokens minted by
 * the Rust cluster are known to have the layout a Hadoop cluster gives them.
 */
final class Tokens {
  private Tokens() {}

  /** Problems of an AMRMToken for {@code attempt}; empty when none. */
  static String amrmTokenProblems(Token<AMRMTokenIdentifier> token, ApplicationAttemptId attempt) {
    StringBuilder problems = new StringBuilder();
    if (!AMRMTokenIdentifier.KIND_NAME.equals(token.getKind())) {
      problems.append("kind '").append(token.getKind()).append("' (want ")
          .append(AMRMTokenIdentifier.KIND_NAME).append("); ");
    }
    if (token.getPassword().length == 0) {
      problems.append("empty password; ");
    }
    try {
      AMRMTokenIdentifier id = decode(new AMRMTokenIdentifier(), token.getIdentifier());
      if (!attempt.equals(id.getApplicationAttemptId())) {
        problems.append("identifier names attempt ").append(id.getApplicationAttemptId())
            .append(", report says ").append(attempt).append("; ");
      }
    } catch (IOException | RuntimeException e) {
      problems.append("identifier does not decode as AMRMTokenIdentifierProto: ")
          .append(Errors.describe(e)).append("; ");
    }
    return tidy(problems);
  }

  /** Problems of the NMToken for {@code node}; empty when none. */
  static String nmTokenProblems(org.apache.hadoop.yarn.api.records.Token token, NodeId node,
      ApplicationAttemptId attempt, String user) {
    if (token == null) {
      return "no NMToken for " + node + " (AllocateResponse.nm_tokens must carry one per node,"
          + " keyed by the same host:port as ContainerProto.nodeId)";
    }
    StringBuilder problems = new StringBuilder();
    if (!NMTokenIdentifier.KIND.toString().equals(token.getKind())) {
      problems.append("kind '").append(token.getKind()).append("' (want ")
          .append(NMTokenIdentifier.KIND).append("); ");
    }
    try {
      NMTokenIdentifier id = decode(new NMTokenIdentifier(), token.getIdentifier());
      if (!attempt.equals(id.getApplicationAttemptId())) {
        problems.append("attempt ").append(id.getApplicationAttemptId()).append(" != ")
            .append(attempt).append("; ");
      }
      if (!node.equals(id.getNodeId())) {
        problems.append("nodeId ").append(id.getNodeId()).append(" != ").append(node).append("; ");
      }
      if (!user.equals(id.getApplicationSubmitter())) {
        problems.append("applicationSubmitter '").append(id.getApplicationSubmitter())
            .append("' != '").append(user).append("'; ");
      }
    } catch (IOException | RuntimeException e) {
      problems.append("identifier does not decode as NMTokenIdentifierProto: ")
          .append(Errors.describe(e)).append("; ");
    }
    return tidy(problems);
  }

  /** Problems of a container's ContainerToken; empty when none. */
  static String containerTokenProblems(Container container, String user) {
    org.apache.hadoop.yarn.api.records.Token token = container.getContainerToken();
    if (token == null) {
      return "no container_token (NMClient passes it to startContainers; the NM needs it)";
    }
    StringBuilder problems = new StringBuilder();
    if (!ContainerTokenIdentifier.KIND.toString().equals(token.getKind())) {
      problems.append("kind '").append(token.getKind()).append("' (want ")
          .append(ContainerTokenIdentifier.KIND).append("); ");
    }
    try {
      ContainerTokenIdentifier id = decode(new ContainerTokenIdentifier(), token.getIdentifier());
      if (!container.getId().equals(id.getContainerID())) {
        problems.append("containerId ").append(id.getContainerID()).append(" != ")
            .append(container.getId()).append("; ");
      }
      if (!container.getNodeId().toString().equals(id.getNmHostAddress())) {
        problems.append("nmHostAddress '").append(id.getNmHostAddress()).append("' != nodeId ")
            .append(container.getNodeId()).append("; ");
      }
      if (!user.equals(id.getApplicationSubmitter())) {
        problems.append("appSubmitter '").append(id.getApplicationSubmitter()).append("' != '")
            .append(user).append("'; ");
      }
      if (id.getResource() == null || !id.getResource().equals(container.getResource())) {
        problems.append("resource ").append(id.getResource()).append(" != container resource ")
            .append(container.getResource()).append("; ");
      }
      if (id.getExpiryTimeStamp() <= System.currentTimeMillis()) {
        problems.append("expiryTimeStamp ").append(id.getExpiryTimeStamp())
            .append(" is not in the future; ");
      }
    } catch (IOException | RuntimeException e) {
      problems.append("identifier does not decode as ContainerTokenIdentifierProto: ")
          .append(Errors.describe(e)).append("; ");
    }
    return tidy(problems);
  }

  /** The problems joined by "; ", without a trailing separator. */
  private static String tidy(StringBuilder problems) {
    String text = problems.toString().strip();
    return text.endsWith(";") ? text.substring(0, text.length() - 1) : text;
  }

  private static <T extends TokenIdentifier> T decode(T identifier, byte[] bytes)
      throws IOException {
    identifier.readFields(new DataInputStream(new ByteArrayInputStream(bytes)));
    return identifier;
  }

  private static <T extends TokenIdentifier> T decode(T identifier, ByteBuffer bytes)
      throws IOException {
    ByteBuffer copy = bytes.duplicate();
    byte[] array = new byte[copy.remaining()];
    copy.get(array);
    return decode(identifier, array);
  }
}
