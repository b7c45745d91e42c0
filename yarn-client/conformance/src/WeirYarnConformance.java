import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.util.VersionInfo;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * Checks a YARN cluster (Weir's Rust ResourceManager + NodeManagers, or a real one) with the
 * real Hadoop YARN Java client: YarnClient, AMRMClient and NMClient.
 *
 * <p>Subcommands: {@code client}, {@code unmanaged-am}, {@code wrong-token}, {@code all} (the
 * three in order) and {@code self-check} (no cluster needed). Each
 * check prints a {@code PASS}/{@code FAIL}/{@code SKIP} line ({@link Report}); the exit code is
 * 0 when nothing failed, 1 when something did, 2 for bad arguments, 3 when the deadline hit.
 */
public final class WeirYarnConformance {
  private WeirYarnConformance() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println(Options.USAGE);
      return;
    }
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println(Options.USAGE);
      System.exit(2);
      return;
    }
    Report report = new Report(System.out);
    startWatchdog(options.deadline, report);

    YarnConfiguration conf = ClusterConf.build(options);
    UserGroupInformation.setConfiguration(conf);
    report.note("Hadoop client " + VersionInfo.getVersion() + ", user "
        + UserGroupInformation.getCurrentUser().getShortUserName() + ", rm " + options.rmAddress
        + ", scheduler " + options.schedulerAddress + ", nm-log-dirs " + options.nmLogDirs);

    List<String> scenarios = options.command.equals("all")
        ? List.of("client", "unmanaged-am", "wrong-token") : List.of(options.command);
    for (String scenario : scenarios) {
      try {
        switch (scenario) {
          case "client":
            ClientScenario.run(options, conf, report);
            break;
          case "unmanaged-am":
            UnmanagedAmScenario.runUnmanagedAm(options, conf, report);
            break;
          case "self-check":
            SelfCheck.run(conf, report);
            break;
          case "wrong-token":
            UnmanagedAmScenario.runWrongToken(options, conf, report);
            break;
          default:
            throw new IllegalStateException("unknown scenario " + scenario);
        }
      } catch (Exception | Error e) {
        report.fail("unexpected-error", Errors.describe(e));
        e.printStackTrace();
      }
    }
    report.printSummary();
    System.out.flush();
    System.exit(report.failures() == 0 ? 0 : 1);
  }

  /** Fails and stops the run if it takes longer than {@code deadline} (a hung server). */
  private static void startWatchdog(Duration deadline, Report report) {
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(deadline.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      report.fail("deadline", "the run took longer than " + deadline.toSeconds()
          + " s (--deadline-s); stacks of the running threads follow on stderr");
      for (Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet()) {
        System.err.println("thread " + entry.getKey().getName());
        for (StackTraceElement frame : entry.getValue()) {
          System.err.println("    at " + frame);
        }
      }
      report.printSummary();
      System.out.flush();
      Runtime.getRuntime().halt(3);
    }, "conformance-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
