//! The test NodeManager's process side with real processes: environment, localization, exit
//! codes, stop (SIGTERM, then SIGKILL), process-group cleanup and the memory monitor, each
//! checked against the exit status and diagnostics text YARN would report.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use weir_yarn::YarnError;
use weir_yarn::mini_cluster::container_launcher::{
    ContainerExit, ContainerLauncher, LaunchSpec, RunningContainer, StopCause,
};
use weir_yarn::mini_cluster::localizer::{LocalResourceKind, ResourceToLocalize, timestamp_ms_of};
use weir_yarn::mini_cluster::memory_monitor::{is_process_alive, live_members_of_process_group};

const APP_ID: &str = "application_1700000000000_0007";
const MIB: u64 = 1 << 20;
/// Upper bound for anything that should take well under a second.
const PATIENCE: Duration = Duration::from_secs(20);

struct Node {
    _root: tempfile::TempDir,
    root: PathBuf,
    local_dir: PathBuf,
    app_dir: PathBuf,
}

impl Node {
    fn new() -> Node {
        let root = tempfile::tempdir().expect("temp dir");
        let path = root.path().to_path_buf();
        let local_dir = path.join("nm-local");
        let app_dir = local_dir.join("usercache/alice/appcache").join(APP_ID);
        Node {
            _root: root,
            root: path,
            local_dir,
            app_dir,
        }
    }

    fn spec(&self, container_number: u32, commands: &[&str]) -> LaunchSpec {
        let container_id = format!("container_1700000000000_0007_01_{container_number:06}");
        let mut spec = LaunchSpec::new(
            container_id.clone(),
            "alice",
            self.app_dir.clone(),
            self.app_dir.join(&container_id),
            self.root.join("logs").join(APP_ID).join(&container_id),
            vec![self.local_dir.clone()],
        );
        spec.nm_environment = vec![
            (
                "PATH".to_string(),
                std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string()),
            ),
            ("TZ".to_string(), "UTC".to_string()),
            ("JAVA_HOME".to_string(), "/opt/jdk-for-test".to_string()),
            ("SECRET_OF_THE_NM".to_string(), "must not leak".to_string()),
        ];
        spec.nm_host = "nm-test-host".to_string();
        spec.nm_port = 45454;
        spec.nm_http_port = 8042;
        spec.commands = commands.iter().map(|c| c.to_string()).collect();
        spec.monitor_interval = Duration::from_millis(100);
        spec.sigkill_delay = Duration::from_millis(250);
        spec
    }

    /// A file to ship, with its exact size and mtime as the client would record them.
    fn resource(
        &self,
        name: &str,
        content: &[u8],
        link_name: &str,
        kind: LocalResourceKind,
    ) -> ResourceToLocalize {
        let source = self.root.join("staging").join(name);
        std::fs::create_dir_all(source.parent().unwrap()).unwrap();
        std::fs::write(&source, content).unwrap();
        described(&source, link_name, kind)
    }
}

fn described(source: &Path, link_name: &str, kind: LocalResourceKind) -> ResourceToLocalize {
    ResourceToLocalize {
        link_name: link_name.to_string(),
        source: source.to_path_buf(),
        expected_size_bytes: std::fs::metadata(source).unwrap().len() as i64,
        expected_timestamp_ms: timestamp_ms_of(source).unwrap(),
        kind,
    }
}

async fn finish(container: &RunningContainer) -> ContainerExit {
    tokio::time::timeout(PATIENCE, container.wait())
        .await
        .expect("the container finishes in time")
}

async fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + PATIENCE;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn read_pid(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn parse_env(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn the_container_sees_yarns_environment_and_files() {
    let node = Node::new();
    let mut spec = node.spec(2, &["env", "1><LOG_DIR>/env.txt"]);
    spec.environment = vec![
        ("GC_LOG".to_string(), "<LOG_DIR>/gc.log".to_string()),
        ("CP".to_string(), "a.jar<CPS>b.jar".to_string()),
        ("REF".to_string(), "{{HOME}}/ref".to_string()),
        ("LANG".to_string(), "C".to_string()),
        (
            "CONTAINER_ID".to_string(),
            "an attempt to override".to_string(),
        ),
    ];
    spec.extra_environment = vec![
        (
            "APPLICATION_WEB_PROXY_BASE".to_string(),
            format!("/proxy/{APP_ID}"),
        ),
        (
            "APP_SUBMIT_TIME_ENV".to_string(),
            "1700000000123".to_string(),
        ),
    ];
    spec.credentials = b"HDTS\x00\x00\x00".to_vec();
    let launcher = ContainerLauncher::new();
    let container = launcher.launch(spec.clone()).await.expect("launches");
    let exit = finish(&container).await;
    assert_eq!(
        exit,
        ContainerExit {
            exit_status: 0,
            diagnostics: String::new(),
            process_exit_code: Some(0)
        }
    );

    let env = parse_env(&std::fs::read_to_string(spec.log_dir.join("env.txt")).unwrap());
    let log_dir = spec.log_dir.display().to_string();
    let work_dir = spec.work_dir.display().to_string();
    let expected = [
        ("CONTAINER_ID", spec.container_id.clone()),
        ("NM_HOST", "nm-test-host".to_string()),
        ("NM_PORT", "45454".to_string()),
        ("NM_HTTP_PORT", "8042".to_string()),
        ("LOCAL_DIRS", node.app_dir.display().to_string()),
        (
            "LOCAL_USER_DIRS",
            format!("{}/", node.local_dir.join("usercache/alice").display()),
        ),
        ("LOG_DIRS", log_dir.clone()),
        ("USER", "alice".to_string()),
        ("LOGNAME", "alice".to_string()),
        ("HOME", "/home/".to_string()),
        ("PWD", work_dir.clone()),
        (
            "HADOOP_TOKEN_FILE_LOCATION",
            format!("{work_dir}/container_tokens"),
        ),
        ("JVM_PID", container.pid().expect("started").to_string()),
        ("APPLICATION_WEB_PROXY_BASE", format!("/proxy/{APP_ID}")),
        ("APP_SUBMIT_TIME_ENV", "1700000000123".to_string()),
        ("GC_LOG", format!("{log_dir}/gc.log")),
        ("CP", "a.jar:b.jar".to_string()),
        ("REF", "/home//ref".to_string()),
        ("LANG", "C".to_string()),
        ("TZ", "UTC".to_string()),
        ("JAVA_HOME", "/opt/jdk-for-test".to_string()),
        ("MALLOC_ARENA_MAX", String::new()),
    ];
    for (name, value) in expected {
        assert_eq!(env.get(name), Some(&value), "{name} in {env:?}");
    }
    assert!(
        env["LOCALIZATION_COUNTERS"].starts_with("0,0,0,0,"),
        "no resources: {env:?}"
    );
    assert!(
        !env.contains_key("SECRET_OF_THE_NM"),
        "only whitelisted NM variables reach the container"
    );

    assert_eq!(
        std::fs::read(spec.work_dir.join("container_tokens")).unwrap(),
        b"HDTS\x00\x00\x00"
    );
    let script = std::fs::read_to_string(spec.work_dir.join("launch_container.sh")).unwrap();
    assert!(
        script.ends_with(&format!("exec /bin/bash -c \"env 1>{log_dir}/env.txt\"\n")),
        "{script}"
    );
    assert_eq!(
        std::fs::read_to_string(spec.log_dir.join("launch_container.sh")).unwrap(),
        script
    );
    assert_eq!(
        std::fs::read_to_string(spec.log_dir.join("prelaunch.out")).unwrap(),
        "Setting up env variables\nSetting up job resources\nCopying debugging information\nLaunching container\n"
    );
    assert!(
        std::fs::read_to_string(spec.log_dir.join("directory.info"))
            .unwrap()
            .contains("container_tokens")
    );
    assert!(spec.work_dir.join("tmp").is_dir());
}

#[tokio::test]
async fn shipped_files_and_archives_are_linked_into_the_working_directory() {
    let node = Node::new();
    let tool = node.resource(
        "weir-tool.sh",
        b"#!/bin/sh\necho \"tool ran with $1\" > \"$2\"\n",
        "bin/tool.sh",
        LocalResourceKind::File,
    );
    let content = node.root.join("archive-content");
    std::fs::create_dir_all(content.join("settings")).unwrap();
    std::fs::write(content.join("settings/app.conf"), b"answer=42\n").unwrap();
    let archive = node.root.join("staging/conf.tar.gz");
    std::fs::create_dir_all(archive.parent().unwrap()).unwrap();
    let tar = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&content)
        .arg("settings")
        .status()
        .expect("tar runs");
    assert!(tar.success());
    let mut spec = node.spec(
        3,
        &[
            "./bin/tool.sh hello <LOG_DIR>/tool.out &&",
            "cat conf/settings/app.conf >> <LOG_DIR>/tool.out",
        ],
    );
    spec.local_resources = vec![
        tool.clone(),
        described(&archive, "conf", LocalResourceKind::Archive),
    ];
    let launcher = ContainerLauncher::new();
    let container = launcher.launch(spec.clone()).await.expect("launches");
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, 0, "{}", exit.diagnostics);
    assert_eq!(
        std::fs::read_to_string(spec.log_dir.join("tool.out")).unwrap(),
        "tool ran with hello\nanswer=42\n"
    );
    let link = spec.work_dir.join("bin/tool.sh");
    let target = std::fs::read_link(&link).expect("a symlink");
    assert!(
        target.starts_with(node.app_dir.join("filecache")),
        "{}",
        target.display()
    );
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o500
    );

    // A second container of the application reuses the cached copies.
    let mut second = node.spec(4, &["./bin/tool.sh again <LOG_DIR>/tool.out"]);
    second.local_resources = vec![tool];
    let container = launcher.launch(second.clone()).await.expect("launches");
    assert_eq!(finish(&container).await.exit_status, 0);
    assert_eq!(
        std::fs::read_link(second.work_dir.join("bin/tool.sh")).unwrap(),
        target
    );
    let script = std::fs::read_to_string(second.work_dir.join("launch_container.sh")).unwrap();
    let counters = format!(
        "export LOCALIZATION_COUNTERS=\"0,{},0,1,",
        std::fs::metadata(&target).unwrap().len()
    );
    assert!(
        script.contains(&counters),
        "a cache hit is counted: {script}"
    );
}

#[tokio::test]
async fn zip_archives_are_unpacked_when_the_host_has_unzip() {
    let has = |tool: &str| std::process::Command::new(tool).arg("-v").output().is_ok();
    if !has("zip") || !has("unzip") {
        eprintln!(
            "zip/unzip not installed: a .zip ARCHIVE fails with a clear error instead (see the localizer)"
        );
        return;
    }
    let node = Node::new();
    let content = node.root.join("zip-content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("inside.txt"), b"zipped\n").unwrap();
    let archive = node.root.join("bundle.zip");
    let zip = std::process::Command::new("zip")
        .arg("-q")
        .arg(&archive)
        .arg("inside.txt")
        .current_dir(&content)
        .status()
        .unwrap();
    assert!(zip.success());
    let mut spec = node.spec(5, &["cat bundle/inside.txt > <LOG_DIR>/zip.out"]);
    spec.local_resources = vec![described(&archive, "bundle", LocalResourceKind::Archive)];
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, 0, "{}", exit.diagnostics);
    assert_eq!(
        std::fs::read_to_string(spec.log_dir.join("zip.out")).unwrap(),
        "zipped\n"
    );
}

#[tokio::test]
async fn a_resource_that_changed_fails_the_launch_like_yarn() {
    let node = Node::new();
    let launcher = ContainerLauncher::new();
    let good = node.resource("weir.bin", b"binary", "weir", LocalResourceKind::File);

    let mut stale = good.clone();
    stale.expected_timestamp_ms += 1;
    let mut spec = node.spec(6, &["touch <LOG_DIR>/must-not-run"]);
    spec.local_resources = vec![stale.clone()];
    let container = launcher
        .launch(spec.clone())
        .await
        .expect("accepted; fails while localizing");
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, -1000);
    assert_eq!(exit.process_exit_code, None);
    assert_eq!(container.pid(), None);
    let source = good.source.display();
    assert!(
        exit.diagnostics.contains(&format!(
            "]Failed to download resource {{ {{ file:{source}, {}, FILE, null }},pending,[({})],",
            stale.expected_timestamp_ms, spec.container_id
        )),
        "{}",
        exit.diagnostics
    );
    assert!(
        exit.diagnostics.contains(&format!(
            ",DOWNLOADING}}\njava.io.IOException: Resource file:{source} changed on src filesystem - expected: \""
        )),
        "{}",
        exit.diagnostics
    );
    assert!(!spec.log_dir.join("must-not-run").exists());

    let mut wrong_size = good.clone();
    wrong_size.expected_size_bytes = 5;
    let mut spec = node.spec(7, &["true"]);
    spec.local_resources = vec![wrong_size];
    let exit = finish(&launcher.launch(spec).await.unwrap()).await;
    assert_eq!(exit.exit_status, -1000);
    assert!(
        exit.diagnostics
            .contains("expected size: 5 bytes, was: 6 bytes"),
        "{}",
        exit.diagnostics
    );

    let mut missing = good;
    missing.source = node.root.join("staging/not-uploaded.bin");
    let mut spec = node.spec(8, &["true"]);
    spec.local_resources = vec![missing.clone()];
    let exit = finish(&launcher.launch(spec).await.unwrap()).await;
    assert_eq!(exit.exit_status, -1000);
    assert!(
        exit.diagnostics.contains(&format!(
            "\njava.io.FileNotFoundException: File file:{} does not exist\n",
            missing.source.display()
        )),
        "{}",
        exit.diagnostics
    );
}

#[tokio::test]
async fn the_process_exit_code_and_its_stderr_are_reported() {
    let node = Node::new();
    let spec = node.spec(
        9,
        &["echo boom 1>&2;", "echo oops 1><LOG_DIR>/stderr;", "exit 3"],
    );
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, 3);
    assert_eq!(exit.process_exit_code, Some(3));
    let expected_first = format!(
        "]Exception from container-launch.\nContainer id: {}\nExit code: 3\n\n[",
        spec.container_id
    );
    assert!(exit.diagnostics.starts_with('['), "{}", exit.diagnostics);
    assert!(
        exit.diagnostics.contains(&expected_first),
        "{}",
        exit.diagnostics
    );
    assert!(
        exit.diagnostics.ends_with(
            "]Container exited with a non-zero exit code 3. Error file: prelaunch.err.\n\
             Last 4096 bytes of prelaunch.err :\nboom\nLast 4096 bytes of stderr :\noops\n\n\n"
        ),
        "{}",
        exit.diagnostics
    );
}

#[tokio::test]
async fn stop_sends_sigterm_and_reports_the_cause() {
    let node = Node::new();
    let spec = node.spec(10, &["touch <LOG_DIR>/ready;", "sleep 30"]);
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    wait_for_file(&spec.log_dir.join("ready")).await;
    let stopper = container.clone();
    let started = Instant::now();
    tokio::spawn(async move { stopper.stop(StopCause::ApplicationMaster) });
    let exit = finish(&container).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(exit.exit_status, -105);
    assert_eq!(exit.process_exit_code, Some(143));
    let lines: Vec<&str> = exit
        .diagnostics
        .lines()
        .map(|l| l.split_once(']').map_or(l, |(_, text)| text))
        .collect();
    assert_eq!(
        lines,
        vec![
            "Container killed by the ApplicationMaster.",
            "Container killed on request. Exit code is 143",
            "Container exited with a non-zero exit code 143. ",
        ],
        "{}",
        exit.diagnostics
    );
    // A later stop changes nothing.
    container.stop(StopCause::ResourceManager);
    assert_eq!(container.wait().await, exit);
}

#[tokio::test]
async fn a_process_ignoring_sigterm_gets_sigkill_after_the_delay() {
    let node = Node::new();
    let mut spec = node.spec(11, &["trap '' TERM;", "touch <LOG_DIR>/ready;", "sleep 30"]);
    spec.sigkill_delay = Duration::from_millis(600);
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    wait_for_file(&spec.log_dir.join("ready")).await;
    let started = Instant::now();
    container.stop(StopCause::ResourceManager);
    let exit = finish(&container).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(550),
        "SIGKILL came after {elapsed:?}"
    );
    assert_eq!(exit.exit_status, -106);
    assert_eq!(exit.process_exit_code, Some(137));
    assert!(
        exit.diagnostics
            .contains("]Container Killed by ResourceManager\n"),
        "{}",
        exit.diagnostics
    );
    assert!(
        exit.diagnostics
            .contains("]Container killed on request. Exit code is 137\n"),
        "{}",
        exit.diagnostics
    );
}

#[tokio::test]
async fn stopping_leaves_no_process_of_the_container_behind() {
    let node = Node::new();
    let spec = node.spec(
        12,
        &[
            "sleep 300 & echo \\$! > <LOG_DIR>/child.pid;",
            "(trap '' TERM; exec sleep 301) & echo \\$! > <LOG_DIR>/stubborn.pid;",
            "wait",
        ],
    );
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    wait_for_file(&spec.log_dir.join("child.pid")).await;
    wait_for_file(&spec.log_dir.join("stubborn.pid")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let root = container.pid().unwrap() as i32;
    let child = read_pid(&spec.log_dir.join("child.pid"));
    let stubborn = read_pid(&spec.log_dir.join("stubborn.pid"));
    assert!(is_process_alive(child) && is_process_alive(stubborn));
    container.stop(StopCause::ApplicationMaster);
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, -105);
    for pid in [root, child, stubborn] {
        assert!(!is_process_alive(pid), "process {pid} survived the stop");
    }
    assert_eq!(
        live_members_of_process_group(root).unwrap(),
        Vec::<i32>::new()
    );
}

#[tokio::test]
async fn background_processes_die_with_a_container_that_exits() {
    let node = Node::new();
    let spec = node.spec(
        13,
        &["sleep 300 & echo \\$! > <LOG_DIR>/child.pid;", "exit 0"],
    );
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, 0);
    let child = read_pid(&spec.log_dir.join("child.pid"));
    assert!(
        !is_process_alive(child),
        "the background child was cleaned up"
    );
}

#[tokio::test]
async fn a_signal_from_outside_is_reported_as_such() {
    let node = Node::new();
    let spec = node.spec(14, &["touch <LOG_DIR>/ready;", "sleep 30"]);
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    wait_for_file(&spec.log_dir.join("ready")).await;
    let pid = rustix::process::Pid::from_raw(container.pid().unwrap() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, 143);
    assert!(
        exit.diagnostics.ends_with("]Killed by external signal\n"),
        "{}",
        exit.diagnostics
    );
}

/// Holds ~80 MB in a shell variable of the command's bash (it stays: the last command is not
/// `exec`ed). `\$(` keeps the launch script itself from running the substitution, which YARN's
/// unescaped double quotes would otherwise make it do.
const MEMORY_HOG: &[&str] = &[
    "x=\\$(head -c 80000000 /dev/zero | tr '\\0' a);",
    "sleep 30;",
    "echo survived",
];

#[tokio::test]
async fn a_container_over_its_physical_memory_is_killed_with_yarns_diagnostics() {
    let node = Node::new();
    let mut spec = node.spec(15, MEMORY_HOG);
    spec.memory_limit_bytes = 64 * MIB;
    spec.pmem_check = true;
    spec.vmem_check = false;
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, -104, "{}", exit.diagnostics);
    assert_eq!(exit.process_exit_code, Some(143));
    let pid = container.pid().unwrap();
    let head = format!(
        "]Container [pid={pid},containerID={}] is running ",
        spec.container_id
    );
    assert!(
        exit.diagnostics.starts_with('[') && exit.diagnostics.contains(&head),
        "{}",
        exit.diagnostics
    );
    for needle in [
        "B beyond the 'PHYSICAL' memory limit. Current usage: ",
        " of 64 MB physical memory used; ",
        " of 134.4 MB virtual memory used. Killing container.\n",
        &format!("Dump of the process-tree for {} :\n", spec.container_id),
        "\t|- PID PPID PGRPID SESSID CMD_NAME USER_MODE_TIME(MILLIS) SYSTEM_TIME(MILLIS) VMEM_USAGE(BYTES) RSSMEM_USAGE(PAGES) FULL_CMD_LINE\n",
        &format!("\t|- {pid} "),
        "]Container killed on request. Exit code is 143\n",
        "]Container exited with a non-zero exit code 143. \n",
    ] {
        assert!(
            exit.diagnostics.contains(needle),
            "missing {needle:?} in {}",
            exit.diagnostics
        );
    }
    let usage = container.memory_usage().expect("sampled");
    assert!(usage.rss_bytes > 64 * MIB, "{usage:?}");
    assert!(!spec.log_dir.join("survived").exists());
}

#[tokio::test]
async fn a_container_over_its_virtual_memory_is_killed_when_the_vmem_check_is_on() {
    let node = Node::new();
    let mut spec = node.spec(16, MEMORY_HOG);
    spec.memory_limit_bytes = 64 * MIB;
    spec.pmem_check = false;
    spec.vmem_check = true;
    spec.vmem_pmem_ratio = 1.0;
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, -103, "{}", exit.diagnostics);
    assert!(
        exit.diagnostics
            .contains("B beyond the 'VIRTUAL' memory limit."),
        "{}",
        exit.diagnostics
    );
    assert!(
        exit.diagnostics
            .contains(" of 64 MB virtual memory used. Killing container.\n"),
        "{}",
        exit.diagnostics
    );
}

#[tokio::test]
async fn a_container_within_its_limits_is_left_alone() {
    let node = Node::new();
    let mut spec = node.spec(17, &["sleep 0.5"]);
    spec.memory_limit_bytes = 64 * MIB;
    spec.vmem_check = true;
    spec.vmem_pmem_ratio = 4.0;
    let container = ContainerLauncher::new().launch(spec).await.unwrap();
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, 0, "{}", exit.diagnostics);
    let usage = container.memory_usage().expect("sampled while running");
    assert!(
        usage.rss_bytes > 0 && usage.rss_bytes < 64 * MIB,
        "{usage:?}"
    );
}

#[tokio::test]
async fn a_double_quote_is_rejected_before_anything_is_written() {
    let node = Node::new();
    let spec = node.spec(18, &["echo \"quoted\""]);
    let error = ContainerLauncher::new()
        .launch(spec.clone())
        .await
        .expect_err("rejected");
    assert!(
        matches!(error, YarnError::ContainerLaunchSpec { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "container {}: cannot launch: command 'echo \"quoted\"' contains a double quote",
            spec.container_id
        )),
        "{message}"
    );
    assert!(!spec.work_dir.exists());

    let mut quoted_env = node.spec(19, &["true"]);
    quoted_env.environment = vec![("JAVA_OPTS".to_string(), "-Dname=\"x\"".to_string())];
    let message = ContainerLauncher::new()
        .launch(quoted_env)
        .await
        .expect_err("rejected")
        .to_string();
    assert!(
        message.contains("environment variable JAVA_OPTS contains a double quote"),
        "{message}"
    );
}

#[tokio::test]
async fn a_stop_while_localizing_ends_the_container_before_it_runs() {
    let node = Node::new();
    // Reading a FIFO blocks until a writer closes it: localization hangs until the test says so.
    let fifo = node.root.join("staging/slow-download");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    let mkfifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(mkfifo.success());
    let mut spec = node.spec(20, &["touch <LOG_DIR>/must-not-run"]);
    spec.local_resources = vec![described(&fifo, "slow", LocalResourceKind::File)];
    let container = ContainerLauncher::new().launch(spec.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!container.is_finished(), "still localizing");
    container.stop(StopCause::ApplicationMaster);
    let exit = finish(&container).await;
    assert_eq!(exit.exit_status, -105);
    assert_eq!((exit.process_exit_code, container.pid()), (None, None));
    let lines: Vec<&str> = exit
        .diagnostics
        .lines()
        .map(|l| l.split_once(']').map_or(l, |(_, text)| text))
        .collect();
    assert_eq!(
        lines,
        vec![
            "Container killed by the ApplicationMaster.",
            "Container is killed before being launched."
        ]
    );
    // Let the abandoned copy finish.
    drop(std::fs::OpenOptions::new().write(true).open(&fifo).unwrap());
    assert!(!spec.log_dir.join("must-not-run").exists());
}
