//! `state.backend.type: managed` end to end through `weir run -c WindowAggregate`: with a
//! managed size so small that the window state spills, the output equals the hashmap run's,
//! the summary reports the spilled bytes, and the spill directory is empty afterwards; with a
//! task heap too small for the state, the hashmap backend fails with its clear error while the
//! managed one finishes. A managed job killed with SIGKILL after a checkpoint of its spilled
//! state resumes from it (at another parallelism) with the hashmap run's output.

mod cli_support;
mod state_managed_support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use cli_support::{completed_checkpoint, kill_when};
use state_managed_support::count_files;

const WEIR: &str = env!("CARGO_BIN_EXE_weir");

/// `(key, time, value)` lines: `count` events at 100 per second of event time over `keys`
/// keys, each delayed by up to 500 ms (deterministic).
fn write_events(path: &Path, count: u64, keys: u64) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..count {
        let delay = next() % 501;
        let key = next() % keys;
        let value = next() % 1000;
        writeln!(file, "{key},{},{value}", 1_000_000 + i * 10 - delay).unwrap();
    }
}

/// The sorted lines of the committed part files in `dir`.
fn committed_lines(dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        lines.extend(
            std::fs::read_to_string(entry.path())
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    lines.sort();
    lines
}

/// `weir run` of WindowAggregate with `run_args` (e.g. `-p`, `-s`) and `-D` `properties`.
fn window_aggregate(
    input: &Path,
    output: &Path,
    run_args: &[&str],
    properties: &[String],
) -> Command {
    let mut command = Command::new(WEIR);
    command.arg("run").args(run_args);
    for property in properties {
        command.args(["-D", property]);
    }
    command
        .args(["-c", "WindowAggregate", "--input"])
        .arg(input)
        .args(["--window", "100s", "--out-of-orderness", "1s", "--output"])
        .arg(output)
        .env_remove("WEIR_CONF_DIR");
    command
}

fn run_window_aggregate(
    input: &Path,
    output: &Path,
    properties: &[String],
) -> std::process::Output {
    window_aggregate(input, output, &["-p", "1"], properties)
        .output()
        .unwrap()
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The job's managed memory goes to the subtasks with keyed state only: at -p 2 the two
/// window subtasks get half each (256 KiB, too small), the two source subtasks nothing.
#[test]
fn managed_memory_is_split_among_the_keyed_subtasks_only() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    write_events(&input, 100, 10);
    let output = window_aggregate(
        &input,
        &dir.path().join("out"),
        &["-p", "2"],
        &[
            "state.backend.type=managed".to_owned(),
            "taskmanager.memory.managed.size=512k".to_owned(),
        ],
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    let message = text(&output);
    assert!(
        message.contains("managed-memory share of 262144 bytes is too small"),
        "{message}"
    );
}

#[test]
fn window_state_larger_than_its_share_spills_and_gives_the_hashmap_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    // 100 s windows over 10,000 keys: several thousand (key, window) accumulators open at
    // once, far more than the 2 MiB of managed memory (all of it the share of the one window
    // subtask: the source holds no keyed state) hold.
    write_events(&input, 30_000, 10_000);
    let spill_dir = dir.path().join("spill");
    std::fs::create_dir(&spill_dir).unwrap();
    let small_heap = "taskmanager.memory.task.heap.size=1m".to_owned();
    let process = "taskmanager.memory.process.size=512m".to_owned();

    let managed_out = dir.path().join("managed");
    let managed = run_window_aggregate(
        &input,
        &managed_out,
        &[
            "state.backend.type=managed".to_owned(),
            "taskmanager.memory.managed.size=2m".to_owned(),
            small_heap.clone(),
            process.clone(),
            format!("io.tmp.dirs={}", spill_dir.display()),
        ],
    );
    assert!(managed.status.success(), "{}", text(&managed));
    let summary = text(&managed);
    let spilled_line = summary
        .lines()
        .find(|line| line.contains("spilled"))
        .unwrap_or_else(|| panic!("no spill line in {summary}"));
    assert!(
        !spilled_line.contains("spilled 0 B in 0 files"),
        "{summary}"
    );
    assert_eq!(count_files(&spill_dir), 0, "spill files left behind");

    let heap_out = dir.path().join("hashmap");
    let hashmap = run_window_aggregate(&input, &heap_out, &[]);
    assert!(hashmap.status.success(), "{}", text(&hashmap));
    let expected = committed_lines(&heap_out);
    assert!(expected.len() > 10_000, "{} windows", expected.len());
    assert_eq!(committed_lines(&managed_out), expected);

    // The same small task heap with the hashmap backend: its clear budget error.
    let failed = run_window_aggregate(&input, &dir.path().join("failed"), &[small_heap, process]);
    assert!(!failed.status.success());
    let message = text(&failed);
    assert!(
        message.contains("needs more heap than its budget")
            && message.contains("state.backend.type: managed"),
        "{message}"
    );
}

#[test]
fn a_killed_managed_job_resumes_from_a_checkpoint_of_its_spilled_state() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    write_events(&input, 60_000, 20_000);
    let checkpoints = dir.path().join("checkpoints");
    let output = dir.path().join("managed");
    let properties = |spill_dir: &Path| {
        std::fs::create_dir_all(spill_dir).unwrap();
        vec![
            "state.backend.type=managed".to_owned(),
            "taskmanager.memory.managed.size=2m".to_owned(),
            format!("io.tmp.dirs={}", spill_dir.display()),
            format!("state.checkpoints.dir={}", checkpoints.display()),
            "execution.checkpointing.interval=100 ms".to_owned(),
        ]
    };
    // (A process killed with SIGKILL leaves its spill directory behind, as Flink's does.)
    let killed_spill_dir = dir.path().join("spill-killed");
    let mut child = window_aggregate(
        &input,
        &output,
        &["-p", "1"],
        &properties(&killed_spill_dir),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let killed = kill_when(&mut child, || completed_checkpoint(&checkpoints).is_some());

    let heap_out = dir.path().join("hashmap");
    let hashmap = run_window_aggregate(&input, &heap_out, &[]);
    assert!(hashmap.status.success(), "{}", text(&hashmap));
    let expected = committed_lines(&heap_out);
    let spill_dir = dir.path().join("spill");
    if killed {
        let job_folder = completed_checkpoint(&checkpoints).unwrap();
        // At parallelism 2: the spilled state's key groups go to two new subtasks.
        let resumed = window_aggregate(
            &input,
            &output,
            &["-s", job_folder.to_str().unwrap(), "-p", "2"],
            &properties(&spill_dir),
        )
        .output()
        .unwrap();
        assert!(resumed.status.success(), "{}", text(&resumed));
        assert_eq!(
            count_files(&spill_dir),
            0,
            "spill or spool files left behind"
        );
    }
    assert_eq!(committed_lines(&output), expected);
}
