//! The ApplicationMaster shim end to end: `weir-yarn-shell submit` stages itself, submits itself
//! as the AM to a `MiniYarnCluster`, and the AM (`weir-yarn-shell am` in the AM container)
//! registers, runs the command in N containers through the NodeManagers and unregisters with
//! the outcome.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use weir_yarn::mini_cluster::{MiniYarnCluster, MiniYarnConfig};

const SHELL: &str = env!("CARGO_BIN_EXE_weir-yarn-shell");
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(60);

async fn submit(cluster: &MiniYarnCluster, staging: &Path, extra: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(SHELL);
    command
        .arg("submit")
        .arg("--rm-address")
        .arg(cluster.rm_address())
        .arg("--scheduler-address")
        .arg(cluster.scheduler_address())
        .arg("--staging-dir")
        .arg(format!("file://{}", staging.display()))
        .args(["--master-memory", "128", "--container-memory", "128"])
        .args(["--heartbeat-ms", "200"])
        .args(extra)
        .env("HADOOP_USER_NAME", "weir-test")
        .kill_on_drop(true);
    let output = tokio::time::timeout(SUBMIT_TIMEOUT, command.output())
        .await
        .expect("weir-yarn-shell submit did not finish in time")
        .unwrap();
    eprintln!(
        "--- weir-yarn-shell stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every file named `name` below `dir`.
fn files_named(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_named(&path, name));
        } else if path.file_name().is_some_and(|file| file == name) {
            found.push(path);
        }
    }
    found
}

fn dump_am_logs(cluster: &MiniYarnCluster) {
    for index in 0..cluster.config().node_managers {
        let Some(log_dir) = cluster.node_log_dir(index) else {
            continue;
        };
        for file in files_named(&log_dir, "AppMaster.stderr") {
            eprintln!(
                "--- {}\n{}",
                file.display(),
                std::fs::read_to_string(&file).unwrap_or_default()
            );
        }
    }
}

async fn start(
    work_dir: &tempfile::TempDir,
    config: impl FnOnce(&mut MiniYarnConfig),
) -> MiniYarnCluster {
    let mut cluster_config = MiniYarnConfig::with_work_dir(work_dir.path().join("cluster"));
    cluster_config.node_managers = 2;
    config(&mut cluster_config);
    MiniYarnCluster::start(cluster_config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_containers_that_succeed_finish_the_application_succeeded() {
    let work_dir = tempfile::tempdir().unwrap();
    let cluster = start(&work_dir, |_| {}).await;
    let staging = work_dir.path().join("staging");
    let output = submit(
        &cluster,
        &staging,
        &[
            "--shell-command",
            "sleep 1; echo hello from $CONTAINER_ID",
            "--num-containers",
            "3",
        ],
    )
    .await;
    if !output.status.success() {
        dump_am_logs(&cluster);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "exit {:?}", output.status);
    // (The containers sleep a second, so the 250 ms report poll sees RUNNING.)
    for state in ["ACCEPTED", "RUNNING", "FINISHED"] {
        assert!(
            stdout.contains(&format!(": {state}")),
            "no {state} line in\n{stdout}"
        );
    }
    assert!(stdout.contains("final status SUCCEEDED"), "{stdout}");
    assert!(
        stdout.contains("all 3 containers exited with status 0"),
        "{stdout}"
    );

    // Each worker container wrote its own line into <LOG_DIR>/stdout.
    let mut outputs = Vec::new();
    for index in 0..2 {
        let log_dir = cluster.node_log_dir(index).unwrap();
        for file in files_named(&log_dir, "stdout") {
            outputs.push(std::fs::read_to_string(file).unwrap());
        }
    }
    let greetings: Vec<&String> = outputs
        .iter()
        .filter(|text| text.starts_with("hello from container_"))
        .collect();
    assert_eq!(greetings.len(), 3, "{outputs:?}");
    // The application's staging directory is gone; the shared binary stays for reuse.
    let application_dirs: Vec<PathBuf> = std::fs::read_dir(staging.join(".weir"))
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("application_"))
        })
        .collect();
    assert!(application_dirs.is_empty(), "{application_dirs:?}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_fails_the_application_with_its_exit_status() {
    let work_dir = tempfile::tempdir().unwrap();
    let cluster = start(&work_dir, |_| {}).await;
    let output = submit(
        &cluster,
        &work_dir.path().join("staging"),
        &["--shell-command", "exit 5", "--num-containers", "2"],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(
        stdout.contains("final state FINISHED, final status FAILED"),
        "{stdout}"
    );
    assert!(stdout.contains("2 of 2 containers failed"), "{stdout}");
    assert!(stdout.contains("exit status 5"), "{stdout}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_am_survives_amrm_token_roll_overs() {
    let work_dir = tempfile::tempdir().unwrap();
    let cluster = start(&work_dir, |config| {
        config.am_rm_token_roll_interval = Some(Duration::from_millis(800));
    })
    .await;
    let output = submit(
        &cluster,
        &work_dir.path().join("staging"),
        &["--shell-command", "sleep 4", "--num-containers", "1"],
    )
    .await;
    if !output.status.success() {
        dump_am_logs(&cluster);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    // The AM took the rolled token (the RM sends it until a connection uses it).
    let am_log: String = (0..2)
        .filter_map(|index| cluster.node_log_dir(index))
        .flat_map(|dir| files_named(&dir, "AppMaster.stderr"))
        .map(|file| std::fs::read_to_string(file).unwrap_or_default())
        .collect();
    assert!(am_log.contains("rolled the AMRMToken"), "{am_log}");
    cluster.shutdown().await;
}

#[tokio::test]
async fn commands_with_double_quotes_are_refused_before_submission() {
    let output = tokio::process::Command::new(SHELL)
        .args([
            "submit",
            "--shell-command",
            "echo \"hi\"",
            "--rm-address",
            "127.0.0.1:1",
        ])
        .args([
            "--scheduler-address",
            "127.0.0.1:1",
            "--staging-dir",
            "file:///tmp/unused",
        ])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("double quotes"), "{stderr}");
}
