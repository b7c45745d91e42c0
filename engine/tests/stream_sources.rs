//! Streaming sources: split positions in checkpoints (exactly once across snapshot + restore,
//! also at another parallelism), per-split watermarks and idleness, the watermark formulas,
//! CSV errors and skipping, the rate-limited generator, monitoring, and the socket source.

mod stream_support;

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde::Deserialize;
use stream_support::{Recorded, RecordingLink, run_to_end, setup, snapshot_source};
use weir::WeirError;
use weir::checkpoint::{OperatorSnapshot, redistribute};
use weir::connectors::CsvOptions;
use weir::connectors::stream::{
    CollectionSource, CsvSource, GeneratorSource, InputStatus, ReaderOutput, SocketTextSource,
    Source, SourceOperator, SourceReader, TextLineSource,
};
use weir::eventtime::WatermarkStrategy;

const INTERVAL_100MS: &[(&str, &str)] = &[("pipeline.auto-watermark-interval", "100 ms")];

fn operator<T: weir::api::Data>(
    source: Arc<dyn Source<T>>,
    subtask: usize,
    parallelism: usize,
    restored: Option<OperatorSnapshot>,
    strategy: WatermarkStrategy<T>,
) -> SourceOperator<T> {
    SourceOperator::new(
        &setup(subtask, parallelism, restored, INTERVAL_100MS),
        source,
        strategy,
    )
    .unwrap()
}

/// The lines of `content` as a reader of lines sees them (the oracle).
fn expected_lines(content: &str) -> Vec<String> {
    if content.is_empty() {
        return Vec::new();
    }
    let body = content.strip_suffix('\n').unwrap_or(content);
    body.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line).to_owned())
        .collect()
}

/// Reads with `parallelism` subtasks for `polls_before` polls each, snapshots, restores at
/// `new_parallelism` and reads to the end: the records before and after.
fn read_with_restore<T: weir::api::Data>(
    source: Arc<dyn Source<T>>,
    parallelism: usize,
    new_parallelism: usize,
    polls_before: usize,
) -> (Vec<Vec<T>>, Vec<Vec<T>>) {
    let mut before = Vec::new();
    let mut snapshots = Vec::new();
    for subtask in 0..parallelism {
        let mut op = operator(
            Arc::clone(&source),
            subtask,
            parallelism,
            None,
            WatermarkStrategy::no_watermarks(),
        );
        let mut link = RecordingLink::new();
        for poll in 0..polls_before {
            if op.poll(&mut link, poll as i64).unwrap() == InputStatus::EndOfInput {
                break;
            }
        }
        snapshots.push(snapshot_source(&mut op, 1));
        before.push(link.records());
    }
    let restored = redistribute("source", snapshots, new_parallelism, 128).unwrap();
    let mut after = Vec::new();
    for (subtask, snapshot) in restored.into_iter().enumerate() {
        let mut op = operator(
            Arc::clone(&source),
            subtask,
            new_parallelism,
            Some(snapshot),
            WatermarkStrategy::no_watermarks(),
        );
        let mut link = RecordingLink::new();
        run_to_end(&mut op, &mut link, 100_000);
        after.push(link.records());
    }
    (before, after)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn text_lines_restored_from_any_point_are_read_exactly_once(
        files in prop::collection::vec(prop::collection::vec("[a-z]{0,12}", 0..50), 1..4),
        crlf in any::<bool>(),
        trailing_newline in any::<bool>(),
        parallelism in 1usize..4,
        new_parallelism in 1usize..4,
        batch in 1usize..7,
        polls_before in 0usize..40,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let separator = if crlf { "\r\n" } else { "\n" };
        let mut all_lines = Vec::new();
        for (index, lines) in files.iter().enumerate() {
            let mut content = lines.join(separator);
            if trailing_newline && !lines.is_empty() {
                content.push_str(separator);
            }
            fs::write(dir.path().join(format!("f{index}.txt")), &content).unwrap();
            all_lines.extend(expected_lines(&content));
        }
        let source = TextLineSource::new(dir.path().to_str().unwrap()).with_batch_records(batch);
        let (before, after) = read_with_restore(Arc::new(source), parallelism, new_parallelism, polls_before);
        if parallelism == 1 && new_parallelism == 1 {
            // One reader: the exact file order, every line once.
            let read: Vec<String> = before.concat().into_iter().chain(after.concat()).collect();
            prop_assert_eq!(read, all_lines);
        } else {
            let mut read: Vec<String> = before.concat().into_iter().chain(after.concat()).collect();
            read.sort();
            all_lines.sort();
            prop_assert_eq!(read, all_lines);
        }
    }

    #[test]
    fn collections_and_generators_restore_exactly_once(
        count in 0u64..300,
        parallelism in 1usize..4,
        new_parallelism in 1usize..4,
        polls_before in 0usize..3,
    ) {
        let elements: Vec<u64> = (0..count).collect();
        let (before, after) = read_with_restore(
            Arc::new(CollectionSource::new(elements.clone())),
            parallelism,
            new_parallelism,
            polls_before,
        );
        let mut read: Vec<u64> = before.concat().into_iter().chain(after.concat()).collect();
        read.sort();
        prop_assert_eq!(&read, &elements);

        let (before, after) = read_with_restore(
            Arc::new(GeneratorSource::new(Some(count), None, |i| i * 3)),
            parallelism,
            new_parallelism,
            polls_before,
        );
        let mut read: Vec<u64> = before.concat().into_iter().chain(after.concat()).collect();
        read.sort();
        prop_assert_eq!(read, elements.iter().map(|i| i * 3).collect::<Vec<_>>());
    }
}

#[test]
fn large_text_files_are_split_and_resume_mid_split() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.txt");
    let lines: Vec<String> = (0..20_000).map(|i| format!("line {i}")).collect();
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let source = TextLineSource::new(path.to_str().unwrap());
    let (before, after) = read_with_restore(Arc::new(source), 2, 3, 2);
    assert!(
        before.iter().all(|records| records.len() == 8192),
        "two batches each"
    );
    let mut read: Vec<String> = before.concat().into_iter().chain(after.concat()).collect();
    read.sort();
    let mut expected = lines;
    expected.sort();
    assert_eq!(read, expected);
}

#[test]
fn a_missing_input_fails_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let source: Arc<dyn Source<String>> = Arc::new(TextLineSource::new(missing.to_str().unwrap()));
    let error = SourceOperator::new(
        &setup(0, 1, None, &[]),
        source,
        WatermarkStrategy::no_watermarks(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, WeirError::InputPathNotFound { path } if *path == missing),
        "{error}"
    );
}

#[test]
fn invalid_utf8_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    fs::write(&path, b"ok\nfine\nb\xffd\n").unwrap();
    let mut op = operator(
        Arc::new(TextLineSource::new(path.to_str().unwrap())),
        0,
        1,
        None,
        WatermarkStrategy::no_watermarks(),
    );
    let error = op.poll(&mut RecordingLink::new(), 0).unwrap_err();
    assert!(
        matches!(
            &error,
            WeirError::InvalidUtf8 {
                line: 3,
                byte: 2,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("bad.txt"), "{error}");
}

// ---- CSV ----

#[test]
fn csv_rows_become_tuples_with_event_time_and_resume_after_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    let mut text = String::from("key,event_time_ms,value\n");
    for i in 0..100i64 {
        text.push_str(&format!("{},{},{}\n", i % 7, 1_000 + i * 10, i * i));
    }
    fs::write(&path, text).unwrap();
    let source = || -> Arc<dyn Source<(i64, i64, i64)>> {
        Arc::new(
            CsvSource::<(i64, i64, i64)>::new(
                path.to_str().unwrap(),
                CsvOptions::default().with_header(true),
            )
            .with_batch_records(30),
        )
    };
    let strategy = || {
        WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(50))
            .with_timestamp_assigner(|row: &(i64, i64, i64), _| row.1)
    };
    // Snapshot before the first poll: the header is skipped again on restore.
    let mut op = operator(source(), 0, 1, None, strategy());
    let snapshot = snapshot_source(&mut op, 1);
    let mut op = operator(source(), 0, 1, Some(snapshot), strategy());
    let mut link = RecordingLink::new();
    op.poll(&mut link, 0).unwrap();
    let snapshot = snapshot_source(&mut op, 2);
    let mut restored = operator(source(), 0, 1, Some(snapshot), strategy());
    let mut rest = RecordingLink::new();
    run_to_end(&mut restored, &mut rest, 100);
    let rows: Vec<(i64, i64, i64)> = link.records().into_iter().chain(rest.records()).collect();
    let expected: Vec<(i64, i64, i64)> = (0..100i64)
        .map(|i| (i % 7, 1_000 + i * 10, i * i))
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(link.timestamps()[0], Some(1_000));
    // First batch: 30 rows up to 1290 ─▶ watermark 1290 - 50 - 1.
    assert_eq!(link.watermarks(), [1_239]);
    assert_eq!(rest.watermarks().last(), Some(&i64::MAX));
}

#[test]
fn malformed_csv_names_file_and_line_or_is_counted_when_skipping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    fs::write(&path, "1,10,100\n2,x,200\n3,30\n4,40,400\n").unwrap();
    let strict: Arc<dyn Source<(i64, i64, i64)>> = Arc::new(CsvSource::<(i64, i64, i64)>::new(
        path.to_str().unwrap(),
        CsvOptions::default(),
    ));
    let mut op = operator(strict, 0, 1, None, WatermarkStrategy::no_watermarks());
    let error = op.poll(&mut RecordingLink::new(), 0).unwrap_err();
    match &error {
        WeirError::BadRecord {
            path: bad,
            line,
            column,
            value,
            ..
        } => {
            assert_eq!(bad, &path);
            assert_eq!((*line, *column, value.as_str()), (2, Some(2), "x"));
        }
        other => panic!("{other}"),
    }
    assert!(error.to_string().contains("bad.csv:2"), "{error}");

    let skipping: Arc<dyn Source<(i64, i64, i64)>> = Arc::new(CsvSource::<(i64, i64, i64)>::new(
        path.to_str().unwrap(),
        CsvOptions::default().with_skip_bad_records(true),
    ));
    let mut op = operator(skipping, 0, 1, None, WatermarkStrategy::no_watermarks());
    let mut link = RecordingLink::new();
    run_to_end(&mut op, &mut link, 10);
    assert_eq!(link.records(), [(1, 10, 100), (4, 40, 400)]);
    assert_eq!(op.skipped_records(), 2);
    assert_eq!(op.records_emitted(), 2);
}

#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
struct Event {
    key: String,
    time_ms: i64,
    amount: Option<f64>,
}
weir::serde_record!(Event);

#[test]
fn csv_rows_become_serde_structs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    fs::write(&path, "a,5,1.5\n\"b,c\",6,\n").unwrap();
    let source: Arc<dyn Source<Event>> = Arc::new(CsvSource::<Event>::serde(
        path.to_str().unwrap(),
        CsvOptions::default(),
    ));
    let mut op = operator(source, 0, 1, None, WatermarkStrategy::no_watermarks());
    let mut link = RecordingLink::new();
    run_to_end(&mut op, &mut link, 10);
    assert_eq!(
        link.records(),
        [
            Event {
                key: "a".into(),
                time_ms: 5,
                amount: Some(1.5)
            },
            Event {
                key: "b,c".into(),
                time_ms: 6,
                amount: None
            },
        ]
    );
}

// ---- watermarks ----

/// One poll of a [`ScriptedSource`]: what each step emits.
#[derive(Debug, Clone, Copy)]
enum Step {
    Emit { split: usize, timestamp: i64 },
    Finish { split: usize },
}

/// A source whose subtask 0 holds `splits` splits and emits the steps of one poll per call.
#[derive(Debug, Clone)]
struct ScriptedSource {
    splits: usize,
    polls: Arc<Vec<Vec<Step>>>,
}

impl Source<(u32, i64)> for ScriptedSource {
    fn name(&self) -> String {
        "ScriptedSource".into()
    }

    fn is_bounded(&self) -> bool {
        true
    }

    fn initial_splits(&self, parallelism: usize) -> Result<Vec<Vec<Vec<u8>>>, WeirError> {
        let mut splits = vec![Vec::new(); parallelism];
        splits[0] = vec![Vec::new(); self.splits];
        Ok(splits)
    }

    fn create_reader(
        &self,
        _subtask: usize,
        _parallelism: usize,
        splits: Vec<Vec<u8>>,
    ) -> Result<Box<dyn SourceReader<(u32, i64)>>, WeirError> {
        Ok(Box::new(ScriptedReader {
            splits: splits.len(),
            polls: if splits.is_empty() {
                Arc::new(Vec::new())
            } else {
                Arc::clone(&self.polls)
            },
            next: 0,
        }))
    }
}

struct ScriptedReader {
    splits: usize,
    polls: Arc<Vec<Vec<Step>>>,
    next: usize,
}

impl SourceReader<(u32, i64)> for ScriptedReader {
    fn poll_next(
        &mut self,
        output: &mut dyn ReaderOutput<(u32, i64)>,
    ) -> Result<InputStatus, WeirError> {
        let Some(steps) = self.polls.get(self.next) else {
            return Ok(InputStatus::EndOfInput);
        };
        self.next += 1;
        for step in steps {
            match *step {
                Step::Emit { split, timestamp } => {
                    output.collect(split, (split as u32, timestamp), Some(timestamp))?
                }
                Step::Finish { split } => output.split_finished(split),
            }
        }
        Ok(InputStatus::NothingAvailable {
            retry_after: Duration::from_millis(1),
        })
    }

    fn snapshot_state(&mut self, _checkpoint_id: u64) -> Result<Vec<Vec<u8>>, WeirError> {
        Ok(vec![Vec::new(); self.splits])
    }

    fn split_count(&self) -> usize {
        self.splits
    }
}

fn emit(split: usize, timestamp: i64) -> Step {
    Step::Emit { split, timestamp }
}

/// Runs the script with a poll every 100 ms of processing time; the calls downstream.
fn run_script(
    splits: usize,
    subtask: usize,
    polls: Vec<Vec<Step>>,
    strategy: WatermarkStrategy<(u32, i64)>,
) -> Vec<Recorded<(u32, i64)>> {
    let source = ScriptedSource {
        splits,
        polls: Arc::new(polls),
    };
    let mut op = operator(Arc::new(source), subtask, 2, None, strategy);
    let mut link = RecordingLink::new();
    let mut now = 0;
    while op.poll(&mut link, now).unwrap() != InputStatus::EndOfInput {
        now += 100;
    }
    op.finish(&mut link).unwrap();
    link.calls()
}

fn watermarks_and_statuses(calls: &[Recorded<(u32, i64)>]) -> Vec<String> {
    calls
        .iter()
        .map(|call| match call {
            Recorded::Record(value, _) => format!("r{}@{}", value.0, value.1),
            Recorded::Watermark(watermark) => format!("wm {watermark}"),
            Recorded::Idle(idle) => format!("idle {idle}"),
            Recorded::Finish => "finish".into(),
        })
        .collect()
}

#[test]
fn the_source_watermark_is_the_minimum_over_its_splits() {
    let calls = run_script(
        2,
        0,
        vec![
            vec![emit(0, 1000)],
            vec![emit(1, 500)],
            vec![emit(0, 2000)],
            vec![emit(1, 1500)],
            vec![Step::Finish { split: 1 }],
            vec![emit(0, 3000)],
        ],
        WatermarkStrategy::for_monotonous_timestamps(),
    );
    assert_eq!(
        watermarks_and_statuses(&calls),
        [
            "r0@1000", // split 1 has no watermark yet: nothing
            "r1@500",
            "wm 499",
            "r0@2000",
            "r1@1500",
            "wm 1499",
            "wm 1999", // split 1 finished: only split 0 counts
            "r0@3000",
            "wm 2999",
            "wm 9223372036854775807",
        ]
    );
}

#[test]
fn an_idle_split_stops_holding_back_the_watermark_and_wakes_up_on_data() {
    // Split 0 has data every 100 ms; split 1 none until the end.
    let mut polls: Vec<Vec<Step>> = (0..15).map(|i| vec![emit(0, 10_000 + i * 100)]).collect();
    polls.push(vec![emit(1, 50)]);
    // Then both are quiet until both are idle.
    polls.extend((0..15).map(|_| Vec::new()));
    polls.push(vec![emit(0, 20_000)]);
    let calls = run_script(
        2,
        0,
        polls,
        WatermarkStrategy::for_monotonous_timestamps().with_idleness(Duration::from_millis(1000)),
    );
    let shown = watermarks_and_statuses(&calls);
    let first_watermark = shown
        .iter()
        .position(|call| call.starts_with("wm"))
        .unwrap();
    // Split 1 is quiet from the first check (0 ms) and idle once more than 1000 ms passed:
    // at the poll of 1100 ms, the 12th record.
    assert_eq!(shown[first_watermark - 1], "r0@11100");
    assert_eq!(shown[first_watermark], "wm 11099");
    // Split 1 wakes up far behind: the watermark does not go back.
    let wake = shown.iter().position(|call| call == "r1@50").unwrap();
    assert!(
        shown[wake..].iter().all(|call| !call.starts_with("wm")
            || call == "wm 9223372036854775807"
            || call == "wm 19999"),
        "{shown:?}"
    );
    // Both idle: the source is idle; the next record makes it active first.
    let idle = shown.iter().position(|call| call == "idle true").unwrap();
    assert!(idle > wake);
    assert_eq!(shown[idle + 1], "idle false");
    assert_eq!(shown[idle + 2], "r0@20000");
    assert_eq!(shown.last().unwrap(), "wm 9223372036854775807");
}

#[test]
fn a_subtask_without_splits_is_idle_until_its_final_watermark() {
    let calls = run_script(
        2,
        1,
        vec![vec![emit(0, 5)]],
        WatermarkStrategy::for_monotonous_timestamps(),
    );
    assert_eq!(
        watermarks_and_statuses(&calls),
        ["idle true", "idle false", "wm 9223372036854775807"]
    );
}

#[test]
fn bounded_out_of_orderness_follows_the_formula_and_monotonous_is_bound_zero() {
    let timestamps = vec![1_000i64, 3_000, 2_500, 2_999, 5_000, 4_000];
    let run = |strategy: WatermarkStrategy<i64>| {
        let source: Arc<dyn Source<i64>> = Arc::new(CollectionSource::new(timestamps.clone()));
        let mut op = SourceOperator::new(
            &setup(0, 1, None, &[("pipeline.auto-watermark-interval", "0 ms")]),
            source,
            strategy,
        )
        .unwrap();
        let mut link = RecordingLink::new();
        run_to_end(&mut op, &mut link, 10);
        assert_eq!(
            link.timestamps(),
            timestamps.iter().map(|&ts| Some(ts)).collect::<Vec<_>>()
        );
        link.watermarks()
    };
    let bounded = run(
        WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(1_000))
            .with_timestamp_assigner(|ts: &i64, _| *ts),
    );
    assert_eq!(bounded, [-1, 1_999, 3_999, i64::MAX]);
    let monotonous =
        run(WatermarkStrategy::for_monotonous_timestamps()
            .with_timestamp_assigner(|ts: &i64, _| *ts));
    assert_eq!(monotonous, [999, 2_999, 4_999, i64::MAX]);
}

// ---- generator ----

#[test]
fn the_generator_keeps_to_its_rate() {
    let source: Arc<dyn Source<u64>> =
        Arc::new(GeneratorSource::new(Some(300), Some(1_000.0), |i| i));
    let mut op = operator(source, 0, 1, None, WatermarkStrategy::no_watermarks());
    let mut link = RecordingLink::new();
    let started = Instant::now();
    run_to_end(&mut op, &mut link, 100_000);
    let elapsed = started.elapsed();
    assert_eq!(link.records(), (0..300).collect::<Vec<u64>>());
    // 300 records at 1000/s cannot take less than 0.3 s; the upper bound is loose.
    assert!(elapsed >= Duration::from_millis(299), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

#[test]
fn an_unbounded_generator_interleaves_subtasks() {
    let source: Arc<dyn Source<u64>> = Arc::new(GeneratorSource::new(None, None, |i| i));
    assert!(!source.is_bounded());
    let mut all = Vec::new();
    for subtask in 0..3 {
        let mut op = operator(
            Arc::clone(&source),
            subtask,
            3,
            None,
            WatermarkStrategy::no_watermarks(),
        );
        let mut link = RecordingLink::new();
        assert_eq!(op.poll(&mut link, 0).unwrap(), InputStatus::MoreAvailable);
        let records = link.records();
        assert!(records.iter().all(|&i| i % 3 == subtask as u64));
        all.extend(records.into_iter().take(100));
    }
    all.sort();
    assert_eq!(all, (0..300).collect::<Vec<u64>>());
}

// ---- monitoring ----

/// Polls until `count` records arrived (or 10 s passed).
fn poll_until(op: &mut SourceOperator<String>, link: &mut RecordingLink<String>, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while link.records().len() < count && Instant::now() < deadline {
        match op.poll(link, 0).unwrap() {
            InputStatus::NothingAvailable { retry_after } => {
                std::thread::sleep(retry_after.min(Duration::from_millis(10)))
            }
            InputStatus::EndOfInput => panic!("a monitoring source does not end"),
            InputStatus::MoreAvailable => {}
        }
    }
    assert_eq!(link.records().len(), count, "{:?}", link.records());
}

fn write_complete(dir: &Path, name: &str, text: &str) {
    let hidden = dir.join(format!(".{name}.tmp"));
    fs::write(&hidden, text).unwrap();
    fs::rename(hidden, dir.join(name)).unwrap();
}

#[test]
fn monitoring_picks_up_new_files_once_also_after_restore() {
    let dir = tempfile::tempdir().unwrap();
    write_complete(dir.path(), "a.txt", "a1\na2\n");
    let spec = dir.path().to_str().unwrap().to_owned();
    let source = || -> Arc<dyn Source<String>> {
        Arc::new(TextLineSource::monitoring(&spec, Duration::from_millis(20)))
    };
    assert!(!source().is_bounded());
    let mut op = operator(source(), 0, 1, None, WatermarkStrategy::no_watermarks());
    let mut link = RecordingLink::new();
    poll_until(&mut op, &mut link, 2);
    write_complete(dir.path(), "b.txt", "b1\n");
    poll_until(&mut op, &mut link, 3);
    let snapshot = snapshot_source(&mut op, 1);
    drop(op);

    // Restored at parallelism 2 (the state is a union: each subtask keeps its own files).
    let restored = redistribute("source", vec![snapshot], 2, 128).unwrap();
    write_complete(dir.path(), "c.txt", "c1\nc2\n");
    write_complete(dir.path(), "d.txt", "d1\n");
    let mut after = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ops: Vec<_> = restored
        .into_iter()
        .enumerate()
        .map(|(subtask, snapshot)| {
            operator(
                source(),
                subtask,
                2,
                Some(snapshot),
                WatermarkStrategy::no_watermarks(),
            )
        })
        .collect();
    let mut links = vec![RecordingLink::new(), RecordingLink::new()];
    while Instant::now() < deadline {
        for (op, link) in ops.iter_mut().zip(&mut links) {
            op.poll(link, 0).unwrap();
        }
        if links.iter().map(|link| link.records().len()).sum::<usize>() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // A little longer, to see that nothing is read twice.
    std::thread::sleep(Duration::from_millis(60));
    for (op, link) in ops.iter_mut().zip(&mut links) {
        op.poll(link, 0).unwrap();
        after.extend(link.records());
    }
    after.sort();
    assert_eq!(after, ["c1", "c2", "d1"]);
}

// ---- socket ----

#[test]
fn the_socket_source_reads_lines_until_the_peer_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let writer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.write_all(b"hello world\r\nsecond").unwrap();
        std::thread::sleep(Duration::from_millis(30));
        stream.write_all(b" line\n\nlast without newline").unwrap();
    });
    let source: Arc<dyn Source<String>> = Arc::new(SocketTextSource::new("127.0.0.1", port, b'\n'));
    assert!(!source.is_bounded());
    let mut op = operator(
        Arc::clone(&source),
        0,
        2,
        None,
        WatermarkStrategy::no_watermarks(),
    );
    let mut link = RecordingLink::new();
    run_to_end(&mut op, &mut link, 100_000);
    writer.join().unwrap();
    assert_eq!(
        link.records(),
        ["hello world", "second line", "", "last without newline"]
    );
    // Not replayable: the state holds no position.
    let snapshot = snapshot_source(&mut op, 1);
    assert_eq!(snapshot.operator["splits"].entries, [Vec::<u8>::new()]);

    // The second subtask has no split: it ends at once, without connecting.
    let mut other = operator(source, 1, 2, None, WatermarkStrategy::no_watermarks());
    assert_eq!(other.poll(&mut link, 0).unwrap(), InputStatus::EndOfInput);
}

#[test]
fn a_refused_connection_names_host_and_port() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let source: Arc<dyn Source<String>> = Arc::new(SocketTextSource::new("127.0.0.1", port, b'\n'));
    let error = SourceOperator::new(
        &setup(0, 1, None, &[]),
        source,
        WatermarkStrategy::no_watermarks(),
    )
    .unwrap_err();
    assert!(matches!(error, WeirError::SocketConnect { .. }), "{error}");
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}
