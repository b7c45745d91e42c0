import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * The Hadoop configuration of a run, built in code: no *-site.xml is read (the classpath holds
 * none), so only the defaults bundled in the Hadoop jars and the keys below apply.
 *
 * <p>The retry settings are small on purpose: against a cluster that is down or a server that
 * closes the connection, Hadoop's defaults retry for 15 minutes (RM) or 3 minutes (NM); here a
 * failure is reported after {@code --connect-wait-ms}.
 */
final class ClusterConf {
  private ClusterConf() {}

  static YarnConfiguration build(Options options) {
    YarnConfiguration conf = new YarnConfiguration(new Configuration());
    conf.set("fs.defaultFS", "file:///");
    conf.set("hadoop.security.authentication", "simple");
    conf.set(YarnConfiguration.RM_ADDRESS, options.rmAddress);
    if (options.schedulerAddress != null) {
      conf.set(YarnConfiguration.RM_SCHEDULER_ADDRESS, options.schedulerAddress);
    }
    // IPC layer: one connection attempt per try, short connect timeout, bounded call time.
    conf.setInt("ipc.client.connect.max.retries", 0);
    conf.setInt("ipc.client.connect.max.retries.on.timeouts", 0);
    conf.setInt("ipc.client.connect.timeout", 2000);
    // A call without an answer fails after this; the YARN proxies then retry it (below).
    conf.setLong("ipc.client.rpc-timeout.ms", options.rpcTimeoutMs);
    // YARN proxies retry connection-level failures (refused, reset, EOF, socket time-out)
    // max-wait / retry-interval times (a count, not a time limit): here twice, so a server
    // that accepts and never answers costs 3 x the RPC timeout per call.
    long retryIntervalMs = Math.max(1, options.connectWaitMs / 2);
    conf.setLong(YarnConfiguration.RESOURCEMANAGER_CONNECT_MAX_WAIT_MS, options.connectWaitMs);
    conf.setLong(YarnConfiguration.RESOURCEMANAGER_CONNECT_RETRY_INTERVAL_MS, retryIntervalMs);
    conf.setLong(YarnConfiguration.CLIENT_NM_CONNECT_MAX_WAIT_MS, options.connectWaitMs);
    conf.setLong(YarnConfiguration.CLIENT_NM_CONNECT_RETRY_INTERVAL_MS, retryIntervalMs);
    // YarnClient polls getApplicationReport (submit) and forceKillApplication (kill) at this
    // interval; bound the loops so that a server that never gets there fails the check.
    conf.setLong(YarnConfiguration.YARN_CLIENT_APPLICATION_CLIENT_PROTOCOL_POLL_INTERVAL_MS, 200);
    conf.setLong(YarnConfiguration.YARN_CLIENT_APPLICATION_CLIENT_PROTOCOL_POLL_TIMEOUT_MS,
        options.timeout.toMillis());
    // No timeline / history servers: YarnClient would otherwise try to reach them.
    conf.setBoolean(YarnConfiguration.TIMELINE_SERVICE_ENABLED, false);
    conf.setBoolean(YarnConfiguration.APPLICATION_HISTORY_ENABLED, false);
    return conf;
  }
}
