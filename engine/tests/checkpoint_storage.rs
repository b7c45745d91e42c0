//! Checkpoint storage on disk: write / complete / load round trips, incomplete and damaged
//! checkpoints, retention, savepoints; restart strategies from the configuration.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use weir::WeirError;
use weir::checkpoint::{
    CheckpointMetadata, CheckpointStorage, CompletedCheckpoint, METADATA_FILE_NAME,
    OperatorListState, OperatorSnapshot, OperatorStateMeta, RedistributeMode, RestartDecision,
    RestartStrategy, SavepointStorage, load_checkpoint, redistribute,
};
use weir::config::Configuration;
use weir::runtime::network::SnapshotKind;
use weir::state::key_group::KeyGroupRange;

const MAX_PARALLELISM: u32 = 16;

/// The state of one window subtask: a section per owned key group (every third group empty, so
/// some subtasks write no file at high parallelism) of a size that depends on the group.
fn window_snapshot(parallelism: usize, subtask: usize) -> OperatorSnapshot {
    let mut snapshot = OperatorSnapshot::default();
    for group in KeyGroupRange::for_subtask(MAX_PARALLELISM, parallelism, subtask).iter() {
        if group % 3 != 0 {
            snapshot.put_keyed(group, "state:sum", vec![group as u8; group as usize * 37]);
            snapshot.put_keyed(group, "timers:window", group.to_le_bytes().to_vec());
        }
    }
    snapshot
}

/// What a snapshot holds, its keyed sections read into memory (sections of a restored
/// snapshot stay in their file until read).
type Contents = (
    BTreeMap<u32, BTreeMap<String, Vec<u8>>>,
    BTreeMap<String, OperatorListState>,
);

fn contents(snapshots: &[OperatorSnapshot]) -> Vec<Contents> {
    snapshots
        .iter()
        .map(|snapshot| {
            let keyed = snapshot
                .keyed
                .iter()
                .map(|(&group, named)| {
                    let named = named
                        .iter()
                        .map(|(name, section)| (name.clone(), section.read().unwrap().to_vec()))
                        .collect();
                    (group, named)
                })
                .collect();
            (keyed, snapshot.operator.clone())
        })
        .collect()
}

fn source_snapshot() -> OperatorSnapshot {
    let mut snapshot = OperatorSnapshot::default();
    snapshot.operator.insert(
        "splits".to_owned(),
        OperatorListState {
            mode: RedistributeMode::Split,
            entries: vec![b"file-a:120".to_vec(), b"file-b:0".to_vec()],
        },
    );
    snapshot
}

/// Writes a whole checkpoint of a job with a source (parallelism 1) and a window operator
/// (`parallelism`) and completes it; returns what each operator's subtasks wrote.
fn write_checkpoint(
    storage: &CheckpointStorage,
    id: u64,
    parallelism: usize,
) -> (CompletedCheckpoint, BTreeMap<String, Vec<OperatorSnapshot>>) {
    storage.begin(id).unwrap();
    let mut written = BTreeMap::new();
    written.insert("source".to_owned(), vec![source_snapshot()]);
    written.insert(
        "window".to_owned(),
        (0..parallelism)
            .map(|subtask| window_snapshot(parallelism, subtask))
            .collect::<Vec<_>>(),
    );
    let mut operators = BTreeMap::new();
    for (uid, snapshots) in &written {
        let subtask_files = snapshots
            .iter()
            .enumerate()
            .map(|(subtask, snapshot)| {
                storage
                    .write_operator_state(id, uid, subtask, snapshot)
                    .unwrap()
            })
            .collect();
        operators.insert(
            uid.clone(),
            OperatorStateMeta {
                name: format!("Op({uid})"),
                parallelism: snapshots.len(),
                subtask_files,
            },
        );
    }
    let metadata = CheckpointMetadata {
        checkpoint_id: id,
        job_name: "WindowAggregate".to_owned(),
        timestamp_ms: 1_700_000_000_000 + id as i64,
        kind: SnapshotKind::Checkpoint,
        max_parallelism: MAX_PARALLELISM,
        operators,
    };
    (storage.complete(&metadata).unwrap(), written)
}

fn storage(root: &Path) -> CheckpointStorage {
    CheckpointStorage::new(root.to_str().unwrap(), "job-7").unwrap()
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn round_trips_at_several_parallelisms_from_every_form_of_path() {
    for parallelism in [1, 2, 5, 16] {
        let dir = tempfile::tempdir().unwrap();
        let storage = storage(dir.path());
        let (completed, written) = write_checkpoint(&storage, 3, parallelism);
        assert_eq!(completed.checkpoint_id, 3);
        assert_eq!(completed.path, storage.job_folder().join("chk-3"));
        let file_bytes: u64 = fs::read_dir(&completed.path)
            .unwrap()
            .map(|entry| entry.unwrap().metadata().unwrap().len())
            .sum();
        assert_eq!(completed.size_bytes(), file_bytes);

        let chk = completed.path.clone();
        for given in [
            text(&chk).to_owned(),
            text(&chk.join(METADATA_FILE_NAME)).to_owned(),
            text(storage.job_folder()).to_owned(),
            format!("file://{}", text(&chk)),
            format!("file:{}", text(storage.job_folder())),
        ] {
            let restored = load_checkpoint(&given).unwrap();
            assert_eq!(restored.path, chk, "{given}");
            assert_eq!(restored.checkpoint_id(), 3);
            assert_eq!(restored.metadata.max_parallelism, MAX_PARALLELISM);
            assert_eq!(restored.operator_uids(), vec!["source", "window"]);
            for (uid, snapshots) in &written {
                let loaded = restored.load_operator(uid).unwrap().unwrap();
                assert_eq!(
                    contents(&loaded),
                    contents(snapshots),
                    "{uid} at parallelism {parallelism} from {given}"
                );
            }
            assert_eq!(restored.completed_checkpoint(), completed);
        }

        // Restoring at another parallelism hands every key group to exactly one new subtask.
        let restored = load_checkpoint(text(&chk)).unwrap();
        let old = restored.load_operator("window").unwrap().unwrap();
        let new = redistribute("window", old, 3, MAX_PARALLELISM).unwrap();
        let groups: Vec<u32> = new.iter().flat_map(|s| s.keyed.keys().copied()).collect();
        let expected: Vec<u32> = (0..MAX_PARALLELISM).filter(|g| g % 3 != 0).collect();
        assert_eq!(groups, expected);
    }
}

#[test]
fn empty_snapshots_write_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let storage = storage(dir.path());
    storage.begin(1).unwrap();
    let handle = storage
        .write_operator_state(1, "map", 0, &OperatorSnapshot::default())
        .unwrap();
    assert_eq!(handle, None);
    assert_eq!(fs::read_dir(storage.folder(1).path()).unwrap().count(), 0);
}

#[test]
fn an_incomplete_checkpoint_is_skipped_in_a_job_folder_and_refused_when_named() {
    let dir = tempfile::tempdir().unwrap();
    let storage = storage(dir.path());
    write_checkpoint(&storage, 1, 2);
    // Checkpoint 2: every state file written, but the job died before _metadata.
    storage.begin(2).unwrap();
    storage
        .write_operator_state(2, "window", 0, &window_snapshot(1, 0))
        .unwrap();
    // It even wrote its metadata, but died before renaming it into place.
    fs::copy(
        storage.folder(1).path().join(METADATA_FILE_NAME),
        storage.folder(2).path().join("_metadata.inprogress"),
    )
    .unwrap();

    let latest = load_checkpoint(text(storage.job_folder())).unwrap();
    assert_eq!(latest.checkpoint_id(), 1);

    let incomplete = storage.folder(2).path().to_path_buf();
    let error = load_checkpoint(text(&incomplete)).unwrap_err();
    assert!(
        matches!(error, WeirError::IncompleteCheckpoint { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.starts_with("incomplete checkpoint"), "{message}");
    assert!(message.contains(text(&incomplete)), "{message}");

    // A job folder with only incomplete checkpoints has nothing to restore.
    storage.abort(1).unwrap();
    let message = load_checkpoint(text(storage.job_folder()))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("no checkpoint or savepoint at"),
        "{message}"
    );
    assert!(message.contains("none completed"), "{message}");
}

#[test]
fn paths_without_a_checkpoint_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let message = load_checkpoint(text(&missing)).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "no checkpoint or savepoint at {}: the path does not exist",
            missing.display()
        )
    );

    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let message = load_checkpoint(text(&empty)).unwrap_err().to_string();
    assert!(
        message.contains("neither a _metadata file nor chk-<id>"),
        "{message}"
    );

    let file = dir.path().join("some.txt");
    fs::write(&file, b"x").unwrap();
    let message = load_checkpoint(text(&file)).unwrap_err().to_string();
    assert!(message.contains("not a _metadata file"), "{message}");

    let message = load_checkpoint("hdfs://nn:8020/ckpt/job/chk-1")
        .unwrap_err()
        .to_string();
    assert!(message.contains("only file://"), "{message}");
}

#[test]
fn damaged_files_are_reported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let storage = storage(dir.path());
    let (completed, _) = write_checkpoint(&storage, 4, 2);
    let metadata_path = completed.path.join(METADATA_FILE_NAME);
    let state_file = completed.path.join("window-1");
    let pristine_metadata = fs::read(&metadata_path).unwrap();
    let pristine_state = fs::read(&state_file).unwrap();

    // _metadata: a flipped byte, a torn tail, something else entirely.
    let mut flipped = pristine_metadata.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    for damaged in [
        flipped,
        pristine_metadata[..pristine_metadata.len() - 5].to_vec(),
        b"hello".to_vec(),
    ] {
        fs::write(&metadata_path, &damaged).unwrap();
        let error = load_checkpoint(text(&completed.path)).unwrap_err();
        assert!(
            matches!(error, WeirError::CorruptSnapshot { .. }),
            "{error}"
        );
        assert!(error.to_string().contains(text(&metadata_path)), "{error}");
    }
    fs::write(&metadata_path, &pristine_metadata).unwrap();

    // A state file: a flipped byte (same size), a torn tail, gone.
    let mut flipped = pristine_state.clone();
    flipped[pristine_state.len() / 2] ^= 1;
    for damaged in [flipped, pristine_state[..pristine_state.len() - 1].to_vec()] {
        fs::write(&state_file, &damaged).unwrap();
        let restored = load_checkpoint(text(&completed.path)).unwrap();
        assert!(restored.load_operator("source").unwrap().is_some());
        let error = restored.load_operator("window").unwrap_err();
        assert!(
            matches!(error, WeirError::CorruptSnapshot { .. }),
            "{error}"
        );
        assert!(error.to_string().contains(text(&state_file)), "{error}");
    }
    fs::remove_file(&state_file).unwrap();
    let restored = load_checkpoint(text(&completed.path)).unwrap();
    let error = restored.load_operator("window").unwrap_err();
    assert!(
        matches!(&error, WeirError::StateFileMissing { uid, subtask: 1, .. } if uid == "window"),
        "{error}"
    );
    assert!(error.to_string().contains(text(&state_file)), "{error}");
}

fn folder_names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn retention_keeps_the_newest_completed_and_removes_older_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let storage = storage(dir.path());
    for id in [1, 2, 4, 5] {
        write_checkpoint(&storage, id, 2);
    }
    storage.begin(3).unwrap(); // aborted long ago, never removed
    storage.begin(6).unwrap(); // in progress now
    storage
        .write_operator_state(6, "window", 0, &window_snapshot(1, 0))
        .unwrap();

    // Retaining more than exist keeps every completed one; the leftover goes.
    assert_eq!(storage.retain(10).unwrap(), vec![3]);
    assert_eq!(
        storage.completed_checkpoint_ids().unwrap(),
        vec![1, 2, 4, 5]
    );
    assert!(storage.folder(6).path().is_dir());

    assert_eq!(storage.retain(2).unwrap(), vec![1, 2]);
    assert_eq!(
        folder_names(storage.job_folder()),
        vec!["chk-4", "chk-5", "chk-6"]
    );
    assert_eq!(
        load_checkpoint(text(storage.job_folder()))
            .unwrap()
            .checkpoint_id(),
        5
    );

    assert_eq!(storage.retain(1).unwrap(), vec![4]);
    assert_eq!(storage.completed_checkpoint_ids().unwrap(), vec![5]);
}

#[test]
fn savepoints_are_self_contained_and_survive_retention() {
    let dir = tempfile::tempdir().unwrap();
    let storage = storage(dir.path());
    // Savepoints written into the same root as the checkpoints.
    let savepoints = SavepointStorage::new(text(dir.path()), "job-7").unwrap();
    let (checkpoint, _) = write_checkpoint(&storage, 1, 2);

    savepoints.begin(2).unwrap();
    let snapshot = window_snapshot(1, 0);
    let handle = savepoints
        .write_operator_state(2, "window", 0, &snapshot)
        .unwrap();
    let mut operators = BTreeMap::new();
    operators.insert(
        "window".to_owned(),
        OperatorStateMeta {
            name: "Window".to_owned(),
            parallelism: 1,
            subtask_files: vec![handle],
        },
    );
    let savepoint = savepoints
        .complete(&CheckpointMetadata {
            checkpoint_id: 2,
            job_name: "WindowAggregate".to_owned(),
            timestamp_ms: 0,
            kind: SnapshotKind::Savepoint,
            max_parallelism: MAX_PARALLELISM,
            operators,
        })
        .unwrap();
    assert_eq!(savepoint.path, dir.path().join("savepoint-job-7-2"));

    for id in 3..=5 {
        write_checkpoint(&storage, id, 2);
    }
    storage.retain(1).unwrap();
    assert!(!checkpoint.path.exists());
    assert_eq!(storage.completed_checkpoint_ids().unwrap(), vec![5]);

    let restored = load_checkpoint(text(&savepoint.path)).unwrap();
    assert_eq!(restored.metadata.kind, SnapshotKind::Savepoint);
    let loaded = restored.load_operator("window").unwrap().unwrap();
    assert_eq!(contents(&loaded), contents(&[snapshot]));
    // A completed savepoint is never overwritten.
    assert!(savepoints.begin(2).is_err());
    assert!(restored.path.join(METADATA_FILE_NAME).is_file());

    let error = SavepointStorage::new("s3://bucket/sp", "job").unwrap_err();
    assert!(
        error.to_string().contains("state.savepoints.dir"),
        "{error}"
    );
}

#[test]
fn a_job_id_with_separators_stays_one_folder() {
    let dir = tempfile::tempdir().unwrap();
    let storage = CheckpointStorage::new(text(dir.path()), "../escape/job").unwrap();
    write_checkpoint(&storage, 1, 1);
    assert_eq!(folder_names(dir.path()), vec![".._escape_job"]);
    let expected: PathBuf = dir.path().join(".._escape_job").join("chk-1");
    assert_eq!(load_checkpoint(text(&expected)).unwrap().path, expected);
}

// ---- restart strategies ----

fn decision_delay(decision: RestartDecision) -> Duration {
    match decision {
        RestartDecision::Restart { delay } => delay,
        RestartDecision::Fail { reason } => panic!("expected a restart, got: {reason}"),
    }
}

fn fail_reason(decision: RestartDecision) -> String {
    match decision {
        RestartDecision::Fail { reason } => reason,
        RestartDecision::Restart { delay } => {
            panic!("expected a failure, got a restart after {delay:?}")
        }
    }
}

#[test]
fn restart_defaults_follow_flink() {
    let defaults = Configuration::defaults();
    let now = Instant::now();
    let mut without = RestartStrategy::from_config(&defaults, false).unwrap();
    let reason = fail_reason(without.on_failure(now));
    assert!(reason.contains("restart-strategy.type"), "{reason}");
    assert!(without.describe().starts_with("none"));

    let mut with = RestartStrategy::from_config(&defaults, true)
        .unwrap()
        .with_jitter_seed(1);
    assert!(
        with.describe().starts_with("exponential-delay"),
        "{}",
        with.describe()
    );
    // Initial backoff 1 s with a jitter of 10 %.
    let delay = decision_delay(with.on_failure(now));
    assert!(
        (Duration::from_millis(900)..=Duration::from_millis(1100)).contains(&delay),
        "{delay:?}"
    );

    let explicit_none = Configuration::from_pairs([("restart-strategy.type", "none")]).unwrap();
    let mut none = RestartStrategy::from_config(&explicit_none, true).unwrap();
    assert_eq!(
        fail_reason(none.on_failure(now)),
        "restart-strategy.type is none"
    );
}

#[test]
fn fixed_delay_restarts_a_number_of_times_then_fails_naming_the_key() {
    let config = Configuration::from_pairs([
        ("restart-strategy.type", "fixed-delay"),
        ("restart-strategy.fixed-delay.attempts", "3"),
        ("restart-strategy.fixed-delay.delay", "250 ms"),
    ])
    .unwrap();
    let mut strategy = RestartStrategy::from_config(&config, false).unwrap();
    assert_eq!(
        strategy.describe(),
        "fixed-delay (3 attempts, 250 ms delay)"
    );
    let now = Instant::now();
    for _ in 0..3 {
        assert_eq!(
            decision_delay(strategy.on_failure(now)),
            Duration::from_millis(250)
        );
    }
    let reason = fail_reason(strategy.on_failure(now));
    assert!(
        reason.contains("restart-strategy.fixed-delay.attempts"),
        "{reason}"
    );
    assert!(reason.contains("3 restarts"), "{reason}");
    assert_eq!(strategy.restarts(), 3);
}

fn exponential(pairs: &[(&str, &str)]) -> RestartStrategy {
    let mut all = vec![("restart-strategy.type", "exponential-delay")];
    all.extend_from_slice(pairs);
    RestartStrategy::from_config(&Configuration::from_pairs(all).unwrap(), true).unwrap()
}

#[test]
fn exponential_delay_grows_is_capped_and_jitters_within_bounds() {
    for seed in 0..20 {
        let mut strategy = exponential(&[
            (
                "restart-strategy.exponential-delay.initial-backoff",
                "100 ms",
            ),
            ("restart-strategy.exponential-delay.max-backoff", "2 s"),
            ("restart-strategy.exponential-delay.backoff-multiplier", "3"),
            ("restart-strategy.exponential-delay.jitter-factor", "0.25"),
        ])
        .with_jitter_seed(seed);
        let start = Instant::now();
        let mut base = 0.1_f64;
        let mut jittered = false;
        for failure in 0..8u64 {
            // Failures one second apart: far below the reset threshold (1 h).
            let delay = decision_delay(strategy.on_failure(start + Duration::from_secs(failure)));
            let low = base * 0.75;
            let high = (base * 1.25).min(2.0);
            let seconds = delay.as_secs_f64();
            assert!(
                seconds >= low - 1e-9 && seconds <= high + 1e-9,
                "seed {seed}, failure {failure}: {seconds} outside [{low}, {high}]"
            );
            jittered |= (seconds - base).abs() > 1e-6;
            base = (base * 3.0).min(2.0);
        }
        assert!(jittered, "seed {seed}: no delay was spread");
    }
}

#[test]
fn exponential_delay_resets_after_running_long_enough() {
    let mut strategy = exponential(&[
        ("restart-strategy.exponential-delay.initial-backoff", "1 s"),
        ("restart-strategy.exponential-delay.max-backoff", "1 min"),
        ("restart-strategy.exponential-delay.backoff-multiplier", "2"),
        ("restart-strategy.exponential-delay.jitter-factor", "0"),
        (
            "restart-strategy.exponential-delay.reset-backoff-threshold",
            "10 min",
        ),
        (
            "restart-strategy.exponential-delay.attempts-before-reset-backoff",
            "3",
        ),
    ]);
    let t0 = Instant::now();
    let secs = Duration::from_secs;
    assert_eq!(decision_delay(strategy.on_failure(t0)), secs(1));
    assert_eq!(decision_delay(strategy.on_failure(t0 + secs(5))), secs(2));
    // The job ran 10 min after its restart (failure at 5 s + 2 s delay), minus one second: no
    // reset yet.
    let almost = t0 + secs(5) + secs(2) + secs(600) - secs(1);
    assert_eq!(decision_delay(strategy.on_failure(almost)), secs(4));
    // The fourth restart without a reset is refused, naming the key.
    let reason = fail_reason(strategy.on_failure(almost + secs(1)));
    assert!(
        reason.contains("restart-strategy.exponential-delay.attempts-before-reset-backoff"),
        "{reason}"
    );

    let mut strategy = exponential(&[
        ("restart-strategy.exponential-delay.jitter-factor", "0"),
        ("restart-strategy.exponential-delay.backoff-multiplier", "2"),
        (
            "restart-strategy.exponential-delay.reset-backoff-threshold",
            "10 min",
        ),
        (
            "restart-strategy.exponential-delay.attempts-before-reset-backoff",
            "2",
        ),
    ]);
    assert_eq!(decision_delay(strategy.on_failure(t0)), secs(1));
    assert_eq!(decision_delay(strategy.on_failure(t0 + secs(5))), secs(2));
    // Ran exactly the threshold after the restart: back to the initial backoff, attempts reset.
    let later = t0 + secs(5) + secs(2) + secs(600);
    assert_eq!(decision_delay(strategy.on_failure(later)), secs(1));
    assert_eq!(
        decision_delay(strategy.on_failure(later + secs(1))),
        secs(2)
    );
    assert!(matches!(
        strategy.on_failure(later + secs(2)),
        RestartDecision::Fail { .. }
    ));
}

#[test]
fn an_initial_backoff_above_the_maximum_is_an_error() {
    let config = Configuration::from_pairs([
        ("restart-strategy.type", "exponential-delay"),
        (
            "restart-strategy.exponential-delay.initial-backoff",
            "2 min",
        ),
        ("restart-strategy.exponential-delay.max-backoff", "1 min"),
    ])
    .unwrap();
    let message = RestartStrategy::from_config(&config, true)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("initial-backoff (2 min)") && message.contains("max-backoff (1 min)"),
        "{message}"
    );
}
