//! End to end on the mini cluster with Weir's own client and ApplicationMaster shim: the
//! `weir-yarn-shell` binary stages itself (file://), submits itself as the AM, and the AM
//! registers, allocates, launches and unregisters through the cluster's real IPC ports.

mod mini_cluster_support;

use std::process::Command;

use mini_cluster_support::*;

fn shell(test: &TestCluster, command: &str, containers: u32) -> (bool, String) {
    let conf = test.dir.path().join("conf");
    test.cluster.write_hadoop_conf_dir(&conf).unwrap();
    let staging = test.dir.path().join("staging");
    let output = Command::new(env!("CARGO_BIN_EXE_weir-yarn-shell"))
        .args([
            "submit",
            "--shell-command",
            command,
            "-n",
            &containers.to_string(),
            "--container-memory",
            "128",
            "--master-memory",
            "128",
            "--heartbeat-ms",
            "100",
            "--staging-dir",
            &format!("file://{}", staging.display()),
        ])
        .env("HADOOP_CONF_DIR", &conf)
        .env_remove("YARN_CONF_DIR")
        .env("HADOOP_USER_NAME", USER)
        .output()
        .expect("weir-yarn-shell runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weir_shell_runs_containers_and_reports_their_exit_statuses() {
    let test = TestCluster::start(|c| c.node_managers = 2).await;
    let cluster = &test;
    let (ok, output) =
        tokio::task::block_in_place(|| shell(cluster, "echo hello from $CONTAINER_ID", 3));
    assert!(ok, "{output}");
    assert!(output.contains("final status SUCCEEDED"), "{output}");
    let (ok, output) = tokio::task::block_in_place(|| shell(cluster, "exit 5", 1));
    assert!(!ok, "{output}");
    assert!(output.contains("FAILED"), "{output}");
    assert!(output.contains("exit code 5"), "{output}");
    // The shell returns once the report says FINISHED; the AM container exits right after.
    wait_until(
        "the AM containers to exit",
        std::time::Duration::from_secs(10),
        || test.cluster.live_container_count() == 0,
    )
    .await;
    test.cluster.shutdown().await;
}
