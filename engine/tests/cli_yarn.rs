//! `weir run -m yarn-cluster`, `weir yarn` and `weir mini-yarn` end to end: a `weir mini-yarn`
//! test cluster runs as a child process (ResourceManager + NodeManager speaking Hadoop's wire
//! protocol, containers as local processes with a 100 ms memory check), and the `weir` client
//! talks to it through the `yarn-site.xml` it writes, like a user with HADOOP_CONF_DIR.
//!
//! Covered: a per-job WordCount whose output equals a local run and whose staging folder is
//! deleted (the binary stays for reuse); a failing job (missing input) → FAILED, the job's error
//! and the log location, exit 1; a detached submission seen by `weir yarn list` / `status`;
//! `weir yarn kill` of a running job; an ApplicationMaster container killed for exceeding its
//! memory → YARN's PHYSICAL memory diagnostics, exit 1; `weir yarn nodes`; a ResourceManager that
//! is down → a clear error within seconds.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const WEIR: &str = env!("CARGO_BIN_EXE_weir");

/// A `weir mini-yarn` child process; stopped (SIGTERM, then waited for) on drop.
struct MiniYarn {
    child: Child,
    conf_dir: PathBuf,
    staging: PathBuf,
    _dir: tempfile::TempDir,
}

impl MiniYarn {
    fn start() -> MiniYarn {
        let dir = tempfile::tempdir().unwrap();
        let conf_dir = dir.path().join("conf");
        let staging = dir.path().join("staging");
        std::fs::create_dir_all(&staging).unwrap();
        let mut child = Command::new(WEIR)
            .args([
                "mini-yarn",
                "--node-memory",
                "4g",
                "--minimum-allocation",
                "64m",
            ])
            .arg("--monitor-interval-ms")
            .arg("100")
            .arg("--work-dir")
            .arg(dir.path().join("work"))
            .arg("--conf-dir")
            .arg(&conf_dir)
            .env_remove("WEIR_CONF_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("weir mini-yarn starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        loop {
            let line = lines
                .next()
                .expect("weir mini-yarn prints that it runs")
                .unwrap();
            if line.contains("running; Ctrl-C stops it") {
                break;
            }
        }
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        MiniYarn {
            child,
            conf_dir,
            staging,
            _dir: dir,
        }
    }

    /// `weir <args>` as a client of this cluster.
    fn weir(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("weir runs")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(WEIR);
        // A global option, before the subcommand, so it never mixes with a job's arguments.
        command
            .arg("-D")
            .arg(format!(
                "yarn.staging-directory=file://{}",
                self.staging.display()
            ))
            .args(args)
            .env("HADOOP_CONF_DIR", &self.conf_dir)
            .env_remove("YARN_CONF_DIR")
            .env_remove("WEIR_CONF_DIR");
        command
    }
}

impl Drop for MiniYarn {
    fn drop(&mut self) {
        // SIGTERM lets it stop its containers first.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

fn sorted_lines(path: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

fn application_id(stderr: &str) -> String {
    stderr
        .split_whitespace()
        .find(|word| word.starts_with("application_"))
        .unwrap_or_else(|| panic!("no application id in:\n{stderr}"))
        .trim_end_matches([':', ',', '.', ')'])
        .to_owned()
}

#[test]
fn per_job_clusters_run_fail_detach_and_are_killed() {
    let cluster = MiniYarn::start();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.txt");
    std::fs::write(
        &input,
        "the quick brown fox\njumps over the lazy dog\nThe end, the END\n".repeat(200),
    )
    .unwrap();

    // A local run is the oracle.
    let local_output = dir.path().join("local");
    let local = Command::new(WEIR)
        .args(["run", "-c", "WordCount", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&local_output)
        .env_remove("WEIR_CONF_DIR")
        .output()
        .unwrap();
    assert!(local.status.success(), "{}", describe(&local));

    let yarn_output = dir.path().join("on-yarn");
    let input_arg = input.display().to_string();
    let output_arg = yarn_output.display().to_string();
    let run = cluster.weir(&[
        "run",
        "-m",
        "yarn-cluster",
        "-yjm",
        "512",
        "-ynm",
        "word count on yarn",
        "-D",
        "taskmanager.memory.process.size=512m",
        "-c",
        "WordCount",
        "--input",
        &input_arg,
        "--output",
        &output_arg,
    ]);
    let stderr = text(&run.stderr);
    assert!(run.status.success(), "{}", describe(&run));
    // (RUNNING may pass between two reports of so short a job.)
    for state in ["ACCEPTED", "FINISHED", "SUCCEEDED"] {
        assert!(stderr.contains(state), "{state} missing:\n{stderr}");
    }
    assert!(stderr.contains("Job WordCount succeeded"), "{stderr}");
    assert_eq!(sorted_lines(&yarn_output), sorted_lines(&local_output));
    // The ApplicationMaster deletes the application's staging folder after it unregistered
    // (YARN reports FINISHED from then on, so allow it a moment); the binary stays for the next
    // submission.
    let application = application_id(&stderr);
    let deadline = Instant::now() + Duration::from_secs(10);
    let staged = loop {
        let staged: Vec<String> = walk(&cluster.staging);
        if staged.iter().all(|path| !path.contains(&application)) {
            break staged;
        }
        assert!(Instant::now() < deadline, "never deleted: {staged:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        staged.iter().any(|path| path.contains("/bin/weir-")),
        "{staged:?}"
    );

    // A job that fails: the application fails with the job's error and the log location.
    let missing = dir.path().join("missing.txt").display().to_string();
    let failed = cluster.weir(&[
        "run",
        "-m",
        "yarn-cluster",
        "-D",
        "taskmanager.memory.process.size=512m",
        "-c",
        "WordCount",
        "--input",
        &missing,
    ]);
    let stderr = text(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{}", describe(&failed));
    assert!(stderr.contains("FAILED"), "{stderr}");
    assert!(stderr.contains("missing.txt"), "{stderr}");
    assert!(stderr.contains("jobmanager.err"), "{stderr}");

    // Detached: the id comes back at once; `weir yarn status` and `list` see the application.
    let long_output = dir.path().join("teragen").display().to_string();
    let detached = cluster.weir(&[
        "run",
        "-m",
        "yarn-cluster",
        "-d",
        "-D",
        "taskmanager.memory.process.size=512m",
        "-c",
        "TeraGen",
        "--records",
        "100000000",
        "--output",
        &long_output,
    ]);
    assert!(detached.status.success(), "{}", describe(&detached));
    let id = text(&detached.stdout).trim().to_owned();
    assert!(id.starts_with("application_"), "{}", describe(&detached));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = cluster.weir(&["yarn", "status", &id]);
        assert!(status.status.success(), "{}", describe(&status));
        if text(&status.stdout).contains("RUNNING") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never RUNNING: {}",
            describe(&status)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let list = cluster.weir(&["yarn", "list"]);
    assert!(list.status.success(), "{}", describe(&list));
    assert!(text(&list.stdout).contains(&id), "{}", describe(&list));

    // Kill it: YARN reports KILLED and the job's output was not committed.
    let kill = cluster.weir(&["yarn", "kill", &id]);
    assert!(kill.status.success(), "{}", describe(&kill));
    let status = cluster.weir(&["yarn", "status", &id]);
    assert!(
        text(&status.stdout).contains("KILLED"),
        "{}",
        describe(&status)
    );
    let list = cluster.weir(&["yarn", "list"]);
    assert!(!text(&list.stdout).contains(&id), "{}", describe(&list));

    let nodes = cluster.weir(&["yarn", "nodes"]);
    assert!(nodes.status.success(), "{}", describe(&nodes));
    assert!(
        text(&nodes.stdout).contains("RUNNING"),
        "{}",
        describe(&nodes)
    );
    assert!(
        text(&nodes.stdout).contains("1 node(s)"),
        "{}",
        describe(&nodes)
    );
}

#[test]
fn a_container_over_its_memory_is_killed_and_reported() {
    let cluster = MiniYarn::start();
    let dir = tempfile::tempdir().unwrap();
    // 300 MB of records, sorted with 1 GiB of memory planned in a 128 MiB container: the sort
    // buffer grows past the container's limit and the NodeManager kills it.
    let data = dir.path().join("data").display().to_string();
    let generated = Command::new(WEIR)
        .args([
            "run",
            "-c",
            "TeraGen",
            "--records",
            "3000000",
            "--output",
            &data,
        ])
        .env_remove("WEIR_CONF_DIR")
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", describe(&generated));
    let sorted = dir.path().join("sorted").display().to_string();
    let run = cluster.weir(&[
        "run",
        "-m",
        "yarn-cluster",
        "-yjm",
        "128m",
        "-D",
        "taskmanager.memory.process.size=1g",
        "-c",
        "TeraSort",
        "--input",
        &data,
        "--output",
        &sorted,
    ]);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{}", describe(&run));
    assert!(
        stderr.contains("warning: the ApplicationMaster container"),
        "{stderr}"
    );
    assert!(
        stderr.contains("beyond the 'PHYSICAL' memory limit"),
        "{stderr}"
    );
    assert!(stderr.contains("FAILED"), "{stderr}");
    assert!(!Path::new(&sorted).exists(), "no output may appear");
}

#[test]
fn a_resource_manager_that_is_down_is_reported_within_seconds() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    let started = Instant::now();
    let output = Command::new(WEIR)
        .args(["yarn", "list", "-D"])
        .arg(format!("yarn.resourcemanager.address={address}"))
        .args(["-D", "yarn.resourcemanager.connect.max-wait=2 s"])
        .env_remove("HADOOP_CONF_DIR")
        .env_remove("YARN_CONF_DIR")
        .env_remove("WEIR_CONF_DIR")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains(&address),
        "{}",
        describe(&output)
    );
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
}

/// Every path under `dir`, as text.
fn walk(dir: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            paths.push(path.display().to_string());
            if path.is_dir() {
                paths.extend(walk(&path));
            }
        }
    }
    paths
}
