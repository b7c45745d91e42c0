//! The built-in streaming jobs through `weir run`: WindowAggregate and SessionWindowing
//! against oracles computed here from the whole input (late records included), bad input,
//! a process killed with SIGKILL and resumed with `weir run -s` (committed output equal to an
//! undisturbed run), Ctrl-C taking a savepoint with `--savepoint-dir`, and SIGUSR1 taking one
//! while the job goes on (a crash after it resumed from it with exactly-once output).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod cli_support;

use cli_support::{completed_checkpoint, completed_snapshot, kill_when};

const WEIR: &str = env!("CARGO_BIN_EXE_weir");

/// `(key, time, value)` events: `count` of them at 100 per second of event time over `keys`
/// keys, each delayed by up to `max_delay_ms` (deterministic).
fn events(count: u64, keys: i64, max_delay_ms: i64) -> Vec<(i64, i64, i64)> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|i| {
            let delay = (next() % (max_delay_ms as u64 + 1)) as i64;
            let key = (next() % keys as u64) as i64;
            let value = (next() % 1000) as i64;
            (key, 1_000_000 + i as i64 * 10 - delay, value)
        })
        .collect()
}

fn write_events(path: &Path, events: &[(i64, i64, i64)]) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for (key, time, value) in events {
        writeln!(file, "{key},{time},{value}").unwrap();
    }
}

type WindowRow = (i64, i64, i64, u64, i64);

/// Tumbling windows of `size` per key as the job computes them with a bounded-out-of-orderness
/// watermark emitted after every record (pipeline.auto-watermark-interval: 0): an event is
/// dropped as late when its window ended at or before the watermark of the events before it.
fn tumbling_oracle(events: &[(i64, i64, i64)], size: i64, out_of_orderness: i64) -> Vec<WindowRow> {
    let mut windows: BTreeMap<(i64, i64), (u64, i64)> = BTreeMap::new();
    let mut max_time = i64::MIN;
    for &(key, time, value) in events {
        let start = time.div_euclid(size) * size;
        let watermark = max_time.saturating_sub(out_of_orderness + 1);
        if start + size - 1 > watermark || max_time == i64::MIN {
            let entry = windows.entry((key, start)).or_default();
            entry.0 += 1;
            entry.1 += value;
        }
        max_time = max_time.max(time);
    }
    windows
        .into_iter()
        .map(|((key, start), (count, sum))| (key, start, start + size, count, sum))
        .collect()
}

/// Sessions per key with `gap`, from all events (no late ones: the bound covers the delays).
fn session_oracle(events: &[(i64, i64, i64)], gap: i64) -> Vec<WindowRow> {
    let mut by_key: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for &(key, time, value) in events {
        by_key.entry(key).or_default().push((time, value));
    }
    let mut rows = Vec::new();
    for (key, mut list) in by_key {
        list.sort();
        let mut current: Option<(i64, i64, u64, i64)> = None;
        for (time, value) in list {
            match &mut current {
                // Flink's session windows [start, end) merge when they touch.
                Some((_, end, count, sum)) if time <= *end => {
                    *end = (*end).max(time + gap);
                    *count += 1;
                    *sum += value;
                }
                _ => {
                    if let Some((start, end, count, sum)) = current.take() {
                        rows.push((key, start, end, count, sum));
                    }
                    current = Some((time, time + gap, 1, value));
                }
            }
        }
        if let Some((start, end, count, sum)) = current {
            rows.push((key, start, end, count, sum));
        }
    }
    rows.sort();
    rows
}

/// Compares without printing thousands of rows: the first difference and the counts.
fn assert_rows_equal(found: &[WindowRow], expected: &[WindowRow]) {
    if found != expected {
        let first = found
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(found.len().min(expected.len()));
        panic!(
            "{} rows found, {} expected; first difference at {first}: found {:?}, expected {:?}",
            found.len(),
            expected.len(),
            found.get(first),
            expected.get(first)
        );
    }
}

/// The committed rows of the part files in `dir` (hidden files are not committed).
fn committed_rows(dir: &Path) -> Vec<WindowRow> {
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        for line in std::fs::read_to_string(entry.path()).unwrap().lines() {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 5, "{line}");
            rows.push((
                fields[0].parse().unwrap(),
                fields[1].parse().unwrap(),
                fields[2].parse().unwrap(),
                fields[3].parse().unwrap(),
                fields[4].parse().unwrap(),
            ));
        }
    }
    rows.sort();
    rows
}

fn weir(arguments: &[&str]) -> std::process::Output {
    Command::new(WEIR)
        .args(arguments)
        .env_remove("WEIR_CONF_DIR")
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

#[test]
fn window_aggregate_matches_the_oracle_with_late_records_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    // Delays up to 3 s against a 1 s bound: some events are late.
    let events = events(20_000, 50, 3_000);
    write_events(&input, &events);
    let output = dir.path().join("out");
    let run = weir(&[
        "run",
        "-p",
        "1",
        "-D",
        "pipeline.auto-watermark-interval=0 ms",
        "-c",
        "WindowAggregate",
        "--input",
        input.to_str().unwrap(),
        "--window",
        "2s",
        "--out-of-orderness",
        "1s",
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run));
    // The window task reports the lag of its input watermark behind processing time.
    assert!(
        text(&run)
            .lines()
            .any(|line| line.contains("task Window") && line.contains("watermark lag ")),
        "{}",
        text(&run)
    );
    let expected = tumbling_oracle(&events, 2_000, 1_000);
    let total: u64 = expected.iter().map(|row| row.3).sum();
    assert!(
        total < events.len() as u64,
        "the oracle drops some late events"
    );
    assert_rows_equal(&committed_rows(&output), &expected);
    // Every event read, every window row taken by the sink.
    let counts = format!(
        "{} records read by the sources, {} taken by the sinks",
        events.len(),
        expected.len()
    );
    assert!(text(&run).contains(&counts), "{counts} in {}", text(&run));
}

#[test]
fn window_aggregate_in_parallel_equals_a_batch_grouping_when_nothing_is_late() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    let events = events(30_000, 100, 500);
    write_events(&input, &events);
    let output = dir.path().join("out");
    let run = weir(&[
        "run",
        "-p",
        "2",
        "-c",
        "WindowAggregate",
        "--input",
        input.to_str().unwrap(),
        "--window",
        "1s",
        "--out-of-orderness",
        "1s",
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run));
    assert_rows_equal(
        &committed_rows(&output),
        &tumbling_oracle(&events, 1_000, 1_000),
    );
}

#[test]
fn session_windowing_merges_sessions_like_the_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    // Sparse keys: 10 ms between events, 400 keys, so sessions with a 1.5 s gap both merge and
    // split.
    let events = events(10_000, 400, 200);
    write_events(&input, &events);
    let output = dir.path().join("out");
    let run = weir(&[
        "run",
        "-p",
        "2",
        "-c",
        "SessionWindowing",
        "--input",
        input.to_str().unwrap(),
        "--gap",
        "1500ms",
        "--out-of-orderness",
        "1s",
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run));
    let expected = session_oracle(&events, 1_500);
    assert!(expected.len() > 400, "some keys have several sessions");
    assert_rows_equal(&committed_rows(&output), &expected);
}

#[test]
fn malformed_lines_name_file_and_line_or_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    std::fs::write(&input, "1,1000,5\n2,oops,7\n3,1200,9\n").unwrap();
    let run = weir(&[
        "run",
        "-c",
        "WindowAggregate",
        "--input",
        input.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let message = text(&run);
    assert!(
        message.contains("events.csv") && message.contains(":2"),
        "{message}"
    );
    let run = weir(&[
        "run",
        "-c",
        "WindowAggregate",
        "--input",
        input.to_str().unwrap(),
        "--skip-bad-records",
    ]);
    assert!(run.status.success(), "{}", text(&run));
    let message = text(&run);
    assert!(message.contains("skipped 1 bad input records"), "{message}");
    assert!(message.contains("1,0,10000,1,5"), "{message}");
    assert!(message.contains("3,0,10000,1,9"), "{message}");
}

#[test]
fn a_missing_checkpoint_for_minus_s_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    std::fs::write(&input, "1,1000,5\n").unwrap();
    let missing = dir.path().join("no-such-checkpoint");
    let run = weir(&[
        "run",
        "-s",
        missing.to_str().unwrap(),
        "-c",
        "WindowAggregate",
        "--input",
        input.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(text(&run).contains("no-such-checkpoint"), "{}", text(&run));
}

/// The arguments of `weir run` for WindowAggregate with 1 s windows from `input` to `output`.
fn window_aggregate_job(input: &Path, output: &Path) -> Vec<String> {
    [
        "-c",
        "WindowAggregate",
        "--input",
        input.to_str().unwrap(),
        "--window",
        "1s",
        "--output",
        output.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `weir run <common> <job>` started in the background (stdout discarded).
fn spawn_weir(common: &[String], job: &[String], stderr: Stdio) -> Child {
    Command::new(WEIR)
        .arg("run")
        .args(common)
        .args(job)
        .env_remove("WEIR_CONF_DIR")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// `weir run -s <from> <common> <job>` succeeds and the committed rows in `output` are
/// `expected` afterwards.
fn resume_and_check(
    from: &Path,
    common: &[String],
    job: &[String],
    output: &Path,
    expected: &[WindowRow],
) {
    let resumed = Command::new(WEIR)
        .arg("run")
        .args(["-s", from.to_str().unwrap()])
        .args(common)
        .args(job)
        .env_remove("WEIR_CONF_DIR")
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_rows_equal(&committed_rows(output), expected);
}

#[test]
fn a_job_killed_with_sigkill_resumes_from_its_checkpoint_with_exactly_once_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    let events = events(1_500_000, 1000, 500);
    write_events(&input, &events);
    let output = dir.path().join("out");
    let checkpoints = dir.path().join("checkpoints");
    let common = [
        "-p".to_owned(),
        "2".to_owned(),
        "-D".to_owned(),
        format!("state.checkpoints.dir={}", checkpoints.display()),
        "-D".to_owned(),
        "execution.checkpointing.interval=100 ms".to_owned(),
    ];
    let job = window_aggregate_job(&input, &output);
    let mut child = spawn_weir(&common, &job, Stdio::null());
    // Kill it as soon as a checkpoint completed (or let it finish if it is that fast).
    let killed = kill_when(&mut child, || completed_checkpoint(&checkpoints).is_some());
    let expected = tumbling_oracle(&events, 1_000, 2_000);
    if !killed {
        // The machine was too fast for a checkpoint before the end: nothing to resume.
        assert_rows_equal(&committed_rows(&output), &expected);
        return;
    }
    let job_folder = completed_checkpoint(&checkpoints).unwrap();
    resume_and_check(&job_folder, &common, &job, &output, &expected);
}

#[test]
fn ctrl_c_with_a_savepoint_dir_stops_with_a_savepoint() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let savepoints = dir.path().join("savepoints");
    let child = Command::new(WEIR)
        .args([
            "run",
            "--savepoint-dir",
            savepoints.to_str().unwrap(),
            "-c",
            "SocketWindowWordCount",
            "--hostname",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--window",
            "200ms",
        ])
        .env_remove("WEIR_CONF_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut socket, _) = listener.accept().unwrap();
    for _ in 0..20 {
        writeln!(socket, "to be or not to be").unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(400));
    send_signal("-INT", child.id());
    let output = child.wait_with_output().unwrap();
    let message = text(&output);
    assert!(output.status.success(), "{message}");
    assert!(message.contains("to : "), "windows were printed: {message}");
    assert!(message.contains("stopped with savepoint"), "{message}");
    assert!(
        completed_snapshot(&savepoints).is_some(),
        "a complete savepoint folder"
    );
}

#[test]
fn sigusr1_takes_a_savepoint_while_the_job_goes_on_and_a_resume_from_it_is_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.csv");
    let events = events(1_500_000, 1000, 500);
    write_events(&input, &events);
    let output = dir.path().join("out");
    let savepoints = dir.path().join("savepoints");
    let common = [
        "-p".to_owned(),
        "2".to_owned(),
        "--savepoint-dir".to_owned(),
        savepoints.to_str().unwrap().to_owned(),
    ];
    let job = window_aggregate_job(&input, &output);
    let mut child = spawn_weir(&common, &job, Stdio::piped());
    let savepoint = || completed_snapshot(&savepoints);
    // Ask (again, until one is there) for a savepoint; the handler is installed before the job
    // starts.
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let mut exited = None;
    while savepoint().is_none() && started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        send_signal("-USR1", child.id());
        std::thread::sleep(Duration::from_millis(50));
    }
    let expected = tumbling_oracle(&events, 1_000, 2_000);
    if exited.is_none() {
        // The job goes on after its savepoint.
        std::thread::sleep(Duration::from_millis(200));
        exited = child.try_wait().unwrap();
    }
    let Some(savepoint) = savepoint() else {
        // Finished before a savepoint could be taken: nothing to resume.
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
        assert_rows_equal(&committed_rows(&output), &expected);
        return;
    };
    match exited {
        Some(status) => {
            // It finished on its own after the savepoint: successfully, with every window.
            assert!(status.success(), "{status:?}");
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            assert!(stderr.contains("savepoint taken: "), "{stderr}");
            assert_rows_equal(&committed_rows(&output), &expected);
            return;
        }
        None => {
            // Still running after the savepoint: crash it and resume from the savepoint.
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
    }
    resume_and_check(&savepoint, &common, &job, &output, &expected);
}

/// Sends `signal` (e.g. `-USR1`) to `pid`.
fn send_signal(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
