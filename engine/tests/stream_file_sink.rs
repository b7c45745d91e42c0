//! The two-phase-commit file sink: parts become visible only when their checkpoint completes,
//! a restore after a crash commits what the checkpoint recorded and removes the rest (no loss,
//! no duplicates, also at another parallelism), rolling, and the end of input without
//! checkpoints.

mod stream_support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;
use stream_support::{UID, barrier, setup};
use weir::WeirError;
use weir::checkpoint::{OperatorSnapshot, redistribute};
use weir::connectors::stream::{RollingPolicy, csv_encoder, file_sink_operator, text_line_encoder};
use weir::runtime::stream::{ChainLink, TaskSnapshot};

type Sink = Box<dyn ChainLink<u64>>;

fn sink(
    base: &Path,
    subtask: usize,
    parallelism: usize,
    restored: Option<OperatorSnapshot>,
) -> Sink {
    sink_with(
        base,
        subtask,
        parallelism,
        restored,
        RollingPolicy::default(),
        true,
    )
}

fn sink_with(
    base: &Path,
    subtask: usize,
    parallelism: usize,
    restored: Option<OperatorSnapshot>,
    rolling: RollingPolicy,
    checkpointing: bool,
) -> Sink {
    file_sink_operator(
        &setup(subtask, parallelism, restored, &[]),
        base,
        text_line_encoder::<u64>(),
        rolling,
        checkpointing,
    )
    .unwrap()
}

fn snapshot(sink: &mut Sink, id: u64) -> OperatorSnapshot {
    let mut snapshot = TaskSnapshot::new();
    sink.snapshot_state(&barrier(id), &mut snapshot).unwrap();
    snapshot.remove(UID).unwrap()
}

/// Visible (committed) files and their contents.
fn visible(base: &Path) -> BTreeMap<String, String> {
    fs::read_dir(base)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.starts_with('.'))
        .map(|name| {
            let text = fs::read_to_string(base.join(&name)).unwrap();
            (name, text)
        })
        .collect()
}

fn hidden_count(base: &Path) -> usize {
    fs::read_dir(base)
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count()
}

/// Every committed line as a number, sorted.
fn committed_records(base: &Path) -> Vec<u64> {
    let mut records: Vec<u64> = visible(base)
        .values()
        .flat_map(|text| {
            text.lines()
                .map(|line| line.parse().unwrap())
                .collect::<Vec<u64>>()
        })
        .collect();
    records.sort();
    records
}

fn write(sink: &mut Sink, records: std::ops::Range<u64>) {
    for record in records {
        sink.process_element(record, None).unwrap();
    }
}

#[test]
fn pending_files_stay_hidden_until_their_checkpoint_completes() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("out");
    let mut sink = sink(&base, 0, 1, None);
    write(&mut sink, 0..3);
    assert!(visible(&base).is_empty());
    snapshot(&mut sink, 1);
    write(&mut sink, 3..5);
    snapshot(&mut sink, 2);
    assert!(visible(&base).is_empty());
    assert_eq!(hidden_count(&base), 2);
    sink.notify_checkpoint_complete(1).unwrap();
    assert_eq!(
        visible(&base),
        BTreeMap::from([("part-0-0".into(), "0\n1\n2\n".into())])
    );
    // Completing an older checkpoint again changes nothing; 2 commits the rest.
    sink.notify_checkpoint_complete(1).unwrap();
    sink.notify_checkpoint_complete(2).unwrap();
    assert_eq!(committed_records(&base), [0, 1, 2, 3, 4]);
    assert_eq!(hidden_count(&base), 0);
    // A checkpoint with nothing written adds no file.
    snapshot(&mut sink, 3);
    sink.notify_checkpoint_complete(3).unwrap();
    assert_eq!(visible(&base).len(), 2);
}

#[test]
fn a_crash_after_a_snapshot_is_recovered_without_loss_or_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("out");
    let mut first = sink(&base, 0, 1, None);
    write(&mut first, 0..10);
    snapshot(&mut first, 1);
    first.notify_checkpoint_complete(1).unwrap();
    write(&mut first, 10..20);
    let checkpoint_2 = snapshot(&mut first, 2);
    // Checkpoint 2 completed, but the notification never arrived; records after it are in
    // an in-progress file and a pending one of checkpoint 3, which never completed.
    write(&mut first, 20..25);
    snapshot(&mut first, 3);
    write(&mut first, 25..27);
    drop(first);
    assert_eq!(committed_records(&base), (0..10).collect::<Vec<_>>());
    assert_eq!(hidden_count(&base), 3);

    // Restore from checkpoint 2: the source replays from 20.
    let mut second = sink(&base, 0, 1, Some(checkpoint_2.clone()));
    assert_eq!(committed_records(&base), (0..20).collect::<Vec<_>>());
    assert_eq!(
        hidden_count(&base),
        0,
        "the failed attempt's files are gone"
    );
    write(&mut second, 20..30);
    snapshot(&mut second, 3);
    second.notify_checkpoint_complete(3).unwrap();
    assert_eq!(committed_records(&base), (0..30).collect::<Vec<_>>());

    // Restoring the same checkpoint again (another failure) is harmless: already committed.
    let mut third = sink(&base, 0, 1, Some(checkpoint_2));
    write(&mut third, 30..31);
    third.finish().unwrap();
    let names: Vec<String> = visible(&base).into_keys().collect();
    assert_eq!(names.len(), 3);
    assert!(
        names.iter().all(|name| name.starts_with("part-0-")),
        "{names:?}"
    );
}

#[test]
fn restoring_at_another_parallelism_gives_every_file_one_owner() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("out");
    let mut snapshots = Vec::new();
    for subtask in 0..3 {
        let mut sink = sink(&base, subtask, 3, None);
        let start = subtask as u64 * 100;
        write(&mut sink, start..start + 5);
        snapshots.push(snapshot(&mut sink, 7));
        write(&mut sink, start + 5..start + 9); // lost with the crash
        drop(sink);
    }
    assert_eq!(hidden_count(&base), 6);
    let restored = redistribute("sink", snapshots, 2, 128).unwrap();
    let sinks: Vec<Sink> = restored
        .into_iter()
        .enumerate()
        .map(|(subtask, snapshot)| sink(&base, subtask, 2, Some(snapshot)))
        .collect();
    let expected: Vec<u64> = (0..3).flat_map(|s| s * 100..s * 100 + 5).collect();
    assert_eq!(committed_records(&base), expected);
    assert_eq!(hidden_count(&base), 0);
    drop(sinks);
}

#[test]
fn without_checkpointing_the_end_of_input_commits_and_parts_roll_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("out");
    let rolling = RollingPolicy::default().with_max_part_size_bytes(10);
    let mut sink = sink_with(&base, 1, 2, None, rolling, false);
    write(&mut sink, 1000..1006); // 5 bytes per line: two lines per part
    assert!(visible(&base).is_empty());
    sink.finish().unwrap();
    let files = visible(&base);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["part-1-0", "part-1-1", "part-1-2"]
    );
    assert_eq!(committed_records(&base), (1000..1006).collect::<Vec<_>>());

    // A new run into the same directory never replaces a committed part.
    let mut again = sink_with(&base, 1, 2, None, RollingPolicy::default(), false);
    write(&mut again, 7..8);
    again.finish().unwrap();
    assert_eq!(visible(&base)["part-1-3"], "7\n");
}

#[test]
fn parts_roll_over_after_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("out");
    let rolling = RollingPolicy::default().with_rollover_interval(Some(Duration::from_secs(60)));
    let mut sink = sink_with(&base, 0, 1, None, rolling, true);
    assert_eq!(sink.next_processing_time(), None);
    write(&mut sink, 0..2);
    let due = sink.next_processing_time().unwrap();
    sink.on_processing_time(due - 1).unwrap();
    assert_eq!(hidden_count(&base), 1);
    sink.on_processing_time(due).unwrap();
    assert_eq!(sink.next_processing_time(), None);
    write(&mut sink, 2..3);
    snapshot(&mut sink, 1);
    sink.notify_checkpoint_complete(1).unwrap();
    assert_eq!(
        visible(&base).len(),
        2,
        "one rolled by time, one on the checkpoint"
    );
}

#[test]
fn csv_lines_and_output_path_errors() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("csv");
    let mut sink = file_sink_operator(
        &setup(0, 1, None, &[]),
        &base,
        csv_encoder::<(i64, String)>(b','),
        RollingPolicy::default(),
        false,
    )
    .unwrap();
    sink.process_element((1, "a,b".into()), None).unwrap();
    sink.process_element((2, "c".into()), None).unwrap();
    sink.finish().unwrap();
    assert_eq!(
        fs::read_to_string(base.join("part-0-0")).unwrap(),
        "1,\"a,b\"\n2,c\n"
    );

    let file = dir.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let error = file_sink_operator(
        &setup(0, 1, None, &[]),
        &file,
        text_line_encoder::<u64>(),
        RollingPolicy::default(),
        true,
    )
    .err()
    .unwrap();
    assert!(
        matches!(error, WeirError::OutputPathNotADirectory { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("a-file"), "{error}");
    let below_file = file.join("out");
    let error = file_sink_operator(
        &setup(0, 1, None, &[]),
        &below_file,
        text_line_encoder::<u64>(),
        RollingPolicy::default(),
        true,
    )
    .err()
    .unwrap();
    assert!(error.to_string().contains("a-file/out"), "{error}");
}

/// One step of a sink's life in the property test.
#[derive(Debug, Clone, Copy)]
enum Op {
    Write(u8),
    Checkpoint { notify: bool },
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..20).prop_map(Op::Write),
        2 => any::<bool>().prop_map(|notify| Op::Checkpoint { notify }),
        1 => Just(Op::Crash),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A source replaying from the restored checkpoint plus the sink give exactly-once output:
    /// after a final checkpoint every record is committed once.
    #[test]
    fn committed_output_is_exactly_once_across_crashes(
        ops in prop::collection::vec(op(), 1..30),
        max_part_bytes in 3u64..40,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("out");
        let rolling = RollingPolicy::default().with_max_part_size_bytes(max_part_bytes);
        let mut sink = sink_with(&base, 0, 1, None, rolling, true);
        let mut next_record = 0u64;
        let mut next_checkpoint = 1u64;
        // The last completed checkpoint: its snapshot and the source position it covers.
        let mut completed: Option<(OperatorSnapshot, u64)> = None;
        for op in ops {
            match op {
                Op::Write(count) => {
                    write(&mut sink, next_record..next_record + u64::from(count));
                    next_record += u64::from(count);
                }
                Op::Checkpoint { notify } => {
                    let state = snapshot(&mut sink, next_checkpoint);
                    completed = Some((state, next_record));
                    if notify {
                        sink.notify_checkpoint_complete(next_checkpoint).unwrap();
                    }
                    next_checkpoint += 1;
                }
                Op::Crash => {
                    drop(sink);
                    let (restored, position) = match &completed {
                        Some((state, position)) => (Some(state.clone()), *position),
                        None => (None, 0),
                    };
                    if restored.is_none() {
                        // No checkpoint: a fresh start; the failed attempt's hidden files are
                        // never committed.
                        for entry in fs::read_dir(&base).unwrap() {
                            fs::remove_file(entry.unwrap().path()).unwrap();
                        }
                    }
                    sink = sink_with(&base, 0, 1, restored, rolling, true);
                    next_record = position;
                }
            }
            let committed = committed_records(&base);
            let mut deduplicated = committed.clone();
            deduplicated.dedup();
            prop_assert_eq!(&committed, &deduplicated, "a record was committed twice");
        }
        snapshot(&mut sink, next_checkpoint);
        sink.notify_checkpoint_complete(next_checkpoint).unwrap();
        prop_assert_eq!(committed_records(&base), (0..next_record).collect::<Vec<_>>());
        prop_assert_eq!(hidden_count(&base), 0);
    }
}
