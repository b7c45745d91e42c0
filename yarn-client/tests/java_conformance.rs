//! The test cluster against the real Hadoop YARN Java client: `scripts/yarn-conformance.sh all`
//! (YarnClient new-app / submit / report / list / kill, an unmanaged AM with AMRMClient +
//! NMClient launching and stopping containers, a wrong AMRMToken refused) against a
//! `MiniYarnCluster` with two NodeManagers.
//!
//! The script installs the Hadoop client from PyPI (pyspark bundles it; ~460 MB once, cached in
//! `target/java-conformance`) and needs a JDK 17; it fits CI's time budget, so the check runs by
//! default. Set `WEIR_SKIP_JAVA_CONFORMANCE=1` to leave it out on a machine without network or
//! Java; the test then says so on stderr.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use weir_yarn::mini_cluster::{MiniYarnCluster, MiniYarnConfig};

#[test]
fn the_hadoop_java_client_works_against_the_test_cluster() {
    if std::env::var("WEIR_SKIP_JAVA_CONFORMANCE").is_ok_and(|value| value == "1") {
        eprintln!("WEIR_SKIP_JAVA_CONFORMANCE=1: the Java client conformance check was skipped");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = MiniYarnConfig {
        node_managers: 2,
        node_memory_mb: 2048,
        monitor_interval: Duration::from_millis(500),
        ..MiniYarnConfig::with_work_dir(work.path())
    };
    let cluster = runtime.block_on(MiniYarnCluster::start(config)).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/yarn-conformance.sh");
    let mut command = Command::new("bash");
    command
        .arg(&script)
        .arg("all")
        .arg("--rm")
        .arg(cluster.rm_address())
        .arg("--scheduler")
        .arg(cluster.scheduler_address());
    for index in 0..2 {
        command
            .arg("--nm-log-dir")
            .arg(cluster.node_log_dir(index).unwrap());
    }
    let output = command.output().expect("bash runs the conformance script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    runtime.block_on(cluster.shutdown());
    assert!(
        output.status.success(),
        "the Hadoop Java client found differences (exit {:?}):\n{stdout}\n{stderr}",
        output.status.code()
    );
    let passed = stdout
        .lines()
        .filter(|line| line.starts_with("PASS "))
        .count();
    let failed = stdout
        .lines()
        .filter(|line| line.starts_with("FAIL "))
        .count();
    assert!(
        passed >= 40 && failed == 0,
        "{passed} passed, {failed} failed:\n{stdout}\n{stderr}"
    );
}
