//! [`CheckpointCoordinator`]: decides when a checkpoint starts, collects the tasks'
//! acknowledgements, writes their state and completes the checkpoint. It is a passive state
//! machine: it owns no thread, and the executor calls it from its loop with the current time.
//!
//! ```text
//!             trigger(now) / trigger_savepoint              acknowledge from every task
//!   ┌──────┐ ─────────────────────────────▶ ┌─────────┐ ───────────────────────────────▶ completed
//!   │ idle │                                 │ pending │      (_metadata written, retention,
//!   └──────┘ ◀───────────────────────────── └─────────┘       stats; the executor notifies
//!       ▲        decline / check_timeout /          │            the tasks)
//!       │        a state file cannot be written     │
//!       └──────── (folder removed, counted failed) ◀┘
//! ```
//!
//! * One checkpoint at a time (`execution.checkpointing.max-concurrent-checkpoints` = 1).
//! * Periodic checkpoints start `interval` after the previous periodic trigger (the first one
//!   `interval` after [`CheckpointCoordinator::reset_schedule`]), and never sooner than
//!   `min-pause` after the previous checkpoint ended (completed or failed).
//! * A savepoint is not subject to the interval or the pause. Requested while a checkpoint is
//!   pending, it waits and starts as soon as that one ends: [`next_trigger_time`] then returns
//!   the moment it may start and the next [`trigger`] starts it (the barrier's kind says so).
//! * Acknowledgements may come in any order. Each task's operator states are written to their
//!   files when its acknowledgement arrives; operators a task does not mention have no state.
//!   An acknowledgement for a checkpoint that is no longer pending (timed out, declined) is
//!   ignored.
//! * Ids increase from 1, or from a restored checkpoint's id + 1
//!   ([`CheckpointCoordinator::set_next_checkpoint_id`]), savepoints included.
//! * Only periodic checkpoints count as "latest completed" for restarts (Flink does not recover
//!   from intermediate savepoints), and only they are subject to retention.
//!
//! [`next_trigger_time`]: CheckpointCoordinator::next_trigger_time
//! [`trigger`]: CheckpointCoordinator::trigger

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::checkpoint::checkpoint_metadata::{CheckpointMetadata, OperatorStateMeta};
use crate::checkpoint::checkpoint_stats::CheckpointStats;
use crate::checkpoint::checkpoint_storage::CheckpointStorage;
use crate::checkpoint::completed_checkpoint::CompletedCheckpoint;
use crate::checkpoint::savepoint_storage::SavepointStorage;
use crate::checkpoint::snapshot_folder::SnapshotFolder;
use crate::checkpoint::storage_location::resolve_storage_location;
use crate::config::options::{
    CHECKPOINTING_INTERVAL, CHECKPOINTING_MIN_PAUSE, CHECKPOINTING_MODE, CHECKPOINTING_TIMEOUT,
    CHECKPOINTS_DIRECTORY, CHECKPOINTS_NUM_RETAINED, SAVEPOINTS_DIRECTORY,
};
use crate::config::{CheckpointingMode, Configuration, format_duration};
use crate::error::WeirError;
use crate::runtime::network::{CheckpointBarrier, SnapshotKind};
use crate::runtime::stream::TaskSnapshot;
use crate::runtime::stream::processing_time_now;

/// The shortest checkpoint interval accepted (Flink's limit).
pub const MIN_CHECKPOINT_INTERVAL: Duration = Duration::from_millis(10);

/// The checkpointing settings of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointCoordinatorConfig {
    /// `execution.checkpointing.interval`.
    pub interval: Duration,
    /// `execution.checkpointing.mode` (the tasks align barriers for EXACTLY_ONCE).
    pub mode: CheckpointingMode,
    /// `execution.checkpointing.timeout`.
    pub timeout: Duration,
    /// `execution.checkpointing.min-pause`.
    pub min_pause: Duration,
    /// `state.checkpoints.num-retained`.
    pub num_retained: usize,
    /// `state.checkpoints.dir`, as given.
    pub checkpoints_directory: String,
    /// `state.savepoints.dir`, as given.
    pub savepoints_directory: Option<String>,
}

impl CheckpointCoordinatorConfig {
    /// The settings from `config`; `None` when `execution.checkpointing.interval` is unset
    /// (checkpointing off). An interval without `state.checkpoints.dir`, an interval below
    /// [`MIN_CHECKPOINT_INTERVAL`] and a directory with an unsupported scheme are errors.
    pub fn from_config(config: &Configuration) -> Result<Option<Self>, WeirError> {
        let Some(interval) = config.get(&CHECKPOINTING_INTERVAL) else {
            return Ok(None);
        };
        if interval < MIN_CHECKPOINT_INTERVAL {
            return Err(WeirError::CheckpointIntervalTooShort {
                interval,
                min: MIN_CHECKPOINT_INTERVAL,
            });
        }
        let Some(checkpoints_directory) = config.get(&CHECKPOINTS_DIRECTORY) else {
            return Err(WeirError::CheckpointDirectoryMissing { interval });
        };
        resolve_storage_location(&checkpoints_directory, CHECKPOINTS_DIRECTORY.key)?;
        let savepoints_directory = config.get(&SAVEPOINTS_DIRECTORY);
        if let Some(directory) = &savepoints_directory {
            resolve_storage_location(directory, SAVEPOINTS_DIRECTORY.key)?;
        }
        Ok(Some(CheckpointCoordinatorConfig {
            interval,
            mode: config.get(&CHECKPOINTING_MODE),
            timeout: config.get(&CHECKPOINTING_TIMEOUT),
            min_pause: config.get(&CHECKPOINTING_MIN_PAUSE),
            num_retained: config.get(&CHECKPOINTS_NUM_RETAINED) as usize,
            checkpoints_directory,
            savepoints_directory,
        }))
    }
}

/// One operator subtask running in a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskOperator {
    pub uid: String,
    pub name: String,
    pub subtask: usize,
    pub parallelism: usize,
}

/// The operators of one task (its chain), in the order the executor numbers tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskInfo {
    pub operators: Vec<TaskOperator>,
}

/// Where a pending snapshot goes.
#[derive(Debug)]
enum Target {
    Checkpoint,
    Savepoint(SavepointStorage),
}

/// A savepoint requested while a checkpoint was pending.
#[derive(Debug)]
struct QueuedSavepoint {
    storage: SavepointStorage,
    kind: SnapshotKind,
}

/// The checkpoint in progress.
#[derive(Debug)]
struct PendingCheckpoint {
    barrier: CheckpointBarrier,
    started: Instant,
    target: Target,
    folder: SnapshotFolder,
    /// Whether `folder` was prepared (it is, before the first state file is written).
    folder_prepared: bool,
    acknowledged: Vec<bool>,
    remaining: usize,
    operators: BTreeMap<String, OperatorStateMeta>,
    max_alignment: Duration,
}

/// See the module docs.
#[derive(Debug)]
pub struct CheckpointCoordinator {
    config: CheckpointCoordinatorConfig,
    storage: CheckpointStorage,
    job_name: String,
    max_parallelism: u32,
    tasks: Vec<TaskInfo>,
    next_checkpoint_id: u64,
    /// When the periodic schedule (re)started.
    schedule_start: Instant,
    last_periodic_trigger: Option<Instant>,
    /// When the last checkpoint or savepoint ended (completed or failed).
    last_end: Option<Instant>,
    pending: Option<PendingCheckpoint>,
    queued_savepoint: Option<QueuedSavepoint>,
    latest_completed: Option<CompletedCheckpoint>,
    stats: CheckpointStats,
}

impl CheckpointCoordinator {
    /// A coordinator for a job whose tasks run `tasks`. The periodic schedule starts now.
    ///
    /// # Panics
    /// If `tasks` is inconsistent: an operator uid with different names or parallelisms in
    /// different tasks, a subtask index not below its parallelism, or the same (uid, subtask)
    /// twice. The executor builds `tasks` from its graph, so that is a bug.
    pub fn new(
        config: CheckpointCoordinatorConfig,
        storage: CheckpointStorage,
        job_name: &str,
        max_parallelism: u32,
        tasks: Vec<TaskInfo>,
    ) -> CheckpointCoordinator {
        let mut seen: BTreeMap<&str, (&str, usize, Vec<bool>)> = BTreeMap::new();
        for operator in tasks.iter().flat_map(|task| &task.operators) {
            let (name, parallelism, subtasks) = seen.entry(&operator.uid).or_insert_with(|| {
                (
                    &operator.name,
                    operator.parallelism,
                    vec![false; operator.parallelism],
                )
            });
            assert!(
                *name == operator.name && *parallelism == operator.parallelism,
                "operator uid {} appears as {name} with parallelism {parallelism} and as {} with \
                 parallelism {}",
                operator.uid,
                operator.name,
                operator.parallelism
            );
            assert!(
                operator.subtask < operator.parallelism,
                "operator {} subtask {} of parallelism {}",
                operator.uid,
                operator.subtask,
                operator.parallelism
            );
            assert!(
                !std::mem::replace(&mut subtasks[operator.subtask], true),
                "operator {} subtask {} runs in two tasks",
                operator.uid,
                operator.subtask
            );
        }
        CheckpointCoordinator {
            config,
            storage,
            job_name: job_name.to_owned(),
            max_parallelism,
            tasks,
            next_checkpoint_id: 1,
            schedule_start: Instant::now(),
            last_periodic_trigger: None,
            last_end: None,
            pending: None,
            queued_savepoint: None,
            latest_completed: None,
            stats: CheckpointStats::default(),
        }
    }

    pub fn config(&self) -> &CheckpointCoordinatorConfig {
        &self.config
    }

    pub fn storage(&self) -> &CheckpointStorage {
        &self.storage
    }

    /// The next checkpoint gets id `id` (after a restore: the restored id + 1).
    pub fn set_next_checkpoint_id(&mut self, id: u64) {
        self.next_checkpoint_id = id.max(1);
    }

    /// The checkpoint a restart would restore, before any new one completes (after a restore
    /// from `weir run -s`).
    pub fn set_latest_completed(&mut self, completed: CompletedCheckpoint) {
        self.latest_completed = Some(completed);
    }

    /// Restarts the periodic schedule from `now` (after the job restarted): the next periodic
    /// checkpoint is due `interval` later. A pending checkpoint is aborted (counted failed).
    pub fn reset_schedule(&mut self, now: Instant) {
        if self.pending.is_some() {
            self.fail_pending(now, "the job restarted".to_owned());
        }
        self.schedule_start = now;
        self.last_periodic_trigger = None;
        self.last_end = None;
    }

    /// When [`trigger`](Self::trigger) would start something; `None` while a checkpoint is
    /// pending.
    pub fn next_trigger_time(&self) -> Option<Instant> {
        if self.pending.is_some() {
            return None;
        }
        if self.queued_savepoint.is_some() {
            return Some(self.last_end.unwrap_or(self.schedule_start));
        }
        let by_interval =
            self.last_periodic_trigger.unwrap_or(self.schedule_start) + self.config.interval;
        let by_pause = self
            .last_end
            .map(|end| end + self.config.min_pause)
            .unwrap_or(by_interval);
        Some(by_interval.max(by_pause))
    }

    /// Starts a checkpoint if one is due at `now` (or a savepoint that waited), returning the
    /// barrier the executor injects at the sources. With `kind` a savepoint kind, starts a
    /// savepoint into `state.savepoints.dir` (see [`trigger_savepoint`](Self::trigger_savepoint));
    /// without that key set it is counted failed and nothing starts.
    pub fn trigger(&mut self, now: Instant, kind: SnapshotKind) -> Option<CheckpointBarrier> {
        match kind {
            SnapshotKind::Checkpoint => {
                if self.pending.is_some() {
                    return None;
                }
                if let Some(queued) = self.queued_savepoint.take() {
                    return Some(self.start(now, queued.kind, Target::Savepoint(queued.storage)));
                }
                if now < self.next_trigger_time()? {
                    return None;
                }
                self.last_periodic_trigger = Some(now);
                Some(self.start(now, SnapshotKind::Checkpoint, Target::Checkpoint))
            }
            SnapshotKind::Savepoint | SnapshotKind::SavepointTerminate => {
                let terminate = kind == SnapshotKind::SavepointTerminate;
                let Some(directory) = self.config.savepoints_directory.clone() else {
                    self.stats.failed += 1;
                    self.stats.last_failure = Some(format!(
                        "savepoint: {} is not set; set it or give the folder explicitly \
                         (weir run --savepoint-dir)",
                        SAVEPOINTS_DIRECTORY.key
                    ));
                    return None;
                };
                self.trigger_savepoint(now, &directory, terminate)
                    .unwrap_or_else(|error| {
                        self.stats.failed += 1;
                        self.stats.last_failure = Some(format!("savepoint: {error}"));
                        None
                    })
            }
        }
    }

    /// Requests a savepoint into `directory`, then the job goes on (`terminate` false) or stops
    /// (true: stop-with-savepoint). Starts it now and returns its barrier, or, while a
    /// checkpoint is pending, queues it (`Ok(None)`; a later [`trigger`](Self::trigger) starts
    /// it). A second request while one is queued replaces it (a terminating request stays
    /// terminating). An unsupported `directory` is an error.
    pub fn trigger_savepoint(
        &mut self,
        now: Instant,
        directory: &str,
        terminate: bool,
    ) -> Result<Option<CheckpointBarrier>, WeirError> {
        let storage = SavepointStorage::new(directory, self.storage.job_id())?;
        let terminate = terminate
            || self
                .queued_savepoint
                .as_ref()
                .is_some_and(|queued| queued.kind == SnapshotKind::SavepointTerminate);
        let kind = if terminate {
            SnapshotKind::SavepointTerminate
        } else {
            SnapshotKind::Savepoint
        };
        if self.pending.is_some() {
            self.queued_savepoint = Some(QueuedSavepoint { storage, kind });
            return Ok(None);
        }
        self.queued_savepoint = None;
        Ok(Some(self.start(now, kind, Target::Savepoint(storage))))
    }

    fn start(&mut self, now: Instant, kind: SnapshotKind, target: Target) -> CheckpointBarrier {
        let id = self.next_checkpoint_id;
        self.next_checkpoint_id += 1;
        let barrier = CheckpointBarrier {
            id,
            timestamp_ms: processing_time_now(),
            kind,
        };
        let folder = match &target {
            Target::Checkpoint => self.storage.folder(id),
            Target::Savepoint(storage) => storage.folder(id),
        };
        let mut operators = BTreeMap::new();
        for operator in self.tasks.iter().flat_map(|task| &task.operators) {
            operators
                .entry(operator.uid.clone())
                .or_insert_with(|| OperatorStateMeta {
                    name: operator.name.clone(),
                    parallelism: operator.parallelism,
                    subtask_files: vec![None; operator.parallelism],
                });
        }
        self.pending = Some(PendingCheckpoint {
            barrier,
            started: now,
            target,
            folder,
            folder_prepared: false,
            acknowledged: vec![false; self.tasks.len()],
            remaining: self.tasks.len(),
            operators,
            max_alignment: Duration::ZERO,
        });
        barrier
    }

    /// [`acknowledge_at`](Self::acknowledge_at) now.
    pub fn acknowledge(
        &mut self,
        checkpoint_id: u64,
        task_index: usize,
        snapshot: TaskSnapshot,
        alignment: Duration,
    ) -> Result<Option<CompletedCheckpoint>, WeirError> {
        self.acknowledge_at(
            Instant::now(),
            checkpoint_id,
            task_index,
            snapshot,
            alignment,
        )
    }

    /// Task `task_index` took its snapshot for `checkpoint_id` (after aligning its inputs for
    /// `alignment`). Writes the task's operator states; when it was the last task, completes
    /// the checkpoint and returns it (the executor then notifies the tasks). An
    /// acknowledgement for a checkpoint no longer pending, or a repeated one, is ignored.
    ///
    /// If a state file or `_metadata` cannot be written, the checkpoint is aborted (its folder
    /// removed, counted failed) and the error returned.
    ///
    /// # Panics
    /// If `task_index` is not a task of the job.
    pub fn acknowledge_at(
        &mut self,
        now: Instant,
        checkpoint_id: u64,
        task_index: usize,
        snapshot: TaskSnapshot,
        alignment: Duration,
    ) -> Result<Option<CompletedCheckpoint>, WeirError> {
        assert!(
            task_index < self.tasks.len(),
            "task {task_index} acknowledged, but the job has {} tasks",
            self.tasks.len()
        );
        let Some(pending) = self
            .pending
            .as_mut()
            .filter(|pending| pending.barrier.id == checkpoint_id)
        else {
            return Ok(None);
        };
        if pending.acknowledged[task_index] {
            return Ok(None);
        }
        if let Err(error) = write_task_state(pending, &self.tasks[task_index], task_index, snapshot)
        {
            self.fail_pending(now, error.to_string());
            return Err(error);
        }
        pending.acknowledged[task_index] = true;
        pending.remaining -= 1;
        pending.max_alignment = pending.max_alignment.max(alignment);
        if pending.remaining > 0 {
            return Ok(None);
        }
        self.complete_pending(now).map(Some)
    }

    fn complete_pending(&mut self, now: Instant) -> Result<CompletedCheckpoint, WeirError> {
        let pending = self.pending.as_mut().expect("a checkpoint is pending");
        let metadata = CheckpointMetadata {
            checkpoint_id: pending.barrier.id,
            job_name: self.job_name.clone(),
            timestamp_ms: pending.barrier.timestamp_ms,
            kind: pending.barrier.kind,
            max_parallelism: self.max_parallelism,
            operators: std::mem::take(&mut pending.operators),
        };
        let written = prepare_folder(pending)
            .and_then(|()| CompletedCheckpoint::write(&pending.folder, &metadata));
        let completed = match written {
            Ok(completed) => completed,
            Err(error) => {
                self.fail_pending(now, error.to_string());
                return Err(error);
            }
        };
        let pending = self.pending.take().expect("a checkpoint is pending");
        let duration = now.saturating_duration_since(pending.started);
        self.last_end = Some(now);
        self.stats.completed += 1;
        self.stats.last_size_bytes = completed.size_bytes();
        self.stats.last_duration = Some(duration);
        self.stats.last_alignment = Some(pending.max_alignment);
        self.stats.max_duration = self.stats.max_duration.max(duration);
        self.stats.last_completed_path = Some(completed.path.clone());
        if let Target::Checkpoint = pending.target {
            self.latest_completed = Some(completed.clone());
            if let Err(error) = self.storage.retain(self.config.num_retained) {
                eprintln!(
                    "weir: warning: cannot delete an old checkpoint of {}: {error}",
                    self.storage.job_folder().display()
                );
            }
        }
        Ok(completed)
    }

    /// [`decline_at`](Self::decline_at) now.
    pub fn decline(&mut self, checkpoint_id: u64, reason: &str) -> bool {
        self.decline_at(Instant::now(), checkpoint_id, reason)
    }

    /// A task could not take its snapshot for `checkpoint_id`: the checkpoint is aborted and
    /// counted failed. Returns whether it was pending.
    pub fn decline_at(&mut self, now: Instant, checkpoint_id: u64, reason: &str) -> bool {
        if self.pending_checkpoint_id() != Some(checkpoint_id) {
            return false;
        }
        self.fail_pending(now, format!("declined: {reason}"));
        true
    }

    /// Aborts the pending checkpoint if it has been running for `execution.checkpointing.timeout`
    /// at `now`; returns its id.
    pub fn check_timeout(&mut self, now: Instant) -> Option<u64> {
        let pending = self.pending.as_ref()?;
        if now.saturating_duration_since(pending.started) < self.config.timeout {
            return None;
        }
        let id = pending.barrier.id;
        self.fail_pending(
            now,
            format!(
                "expired after {} (execution.checkpointing.timeout)",
                format_duration(self.config.timeout)
            ),
        );
        Some(id)
    }

    /// The id of the checkpoint in progress.
    pub fn pending_checkpoint_id(&self) -> Option<u64> {
        self.pending.as_ref().map(|pending| pending.barrier.id)
    }

    /// The barrier of the checkpoint in progress.
    pub fn pending_barrier(&self) -> Option<CheckpointBarrier> {
        self.pending.as_ref().map(|pending| pending.barrier)
    }

    /// Whether a savepoint waits for the pending checkpoint to end.
    pub fn has_queued_savepoint(&self) -> bool {
        self.queued_savepoint.is_some()
    }

    pub fn stats(&self) -> CheckpointStats {
        CheckpointStats {
            in_progress: usize::from(self.pending.is_some()),
            ..self.stats.clone()
        }
    }

    /// The newest completed periodic checkpoint (or the one set by
    /// [`set_latest_completed`](Self::set_latest_completed)): what a restart restores.
    pub fn latest_completed(&self) -> Option<&CompletedCheckpoint> {
        self.latest_completed.as_ref()
    }

    fn fail_pending(&mut self, now: Instant, reason: String) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        if let Err(error) = pending.folder.remove() {
            eprintln!("weir: warning: cannot remove aborted checkpoint: {error}");
        }
        self.last_end = Some(now);
        self.stats.failed += 1;
        let what = match pending.barrier.kind {
            SnapshotKind::Checkpoint => "checkpoint",
            SnapshotKind::Savepoint | SnapshotKind::SavepointTerminate => "savepoint",
        };
        self.stats.last_failure = Some(format!("{what} {}: {reason}", pending.barrier.id));
    }
}

/// Prepares the pending checkpoint's folder once, before anything is written into it.
fn prepare_folder(pending: &mut PendingCheckpoint) -> Result<(), WeirError> {
    if !pending.folder_prepared {
        pending.folder.prepare()?;
        pending.folder_prepared = true;
    }
    Ok(())
}

/// Writes the operator states of one task's acknowledgement and records their files.
fn write_task_state(
    pending: &mut PendingCheckpoint,
    task: &TaskInfo,
    task_index: usize,
    snapshot: TaskSnapshot,
) -> Result<(), WeirError> {
    if let Some(uid) = snapshot
        .keys()
        .find(|uid| !task.operators.iter().any(|operator| &operator.uid == *uid))
    {
        return Err(WeirError::UnknownOperatorInSnapshot {
            checkpoint_id: pending.barrier.id,
            task_index,
            uid: uid.clone(),
        });
    }
    for (uid, operator_snapshot) in snapshot {
        if operator_snapshot.is_empty() {
            continue;
        }
        let operator = task
            .operators
            .iter()
            .find(|operator| operator.uid == uid)
            .expect("checked above");
        prepare_folder(pending)?;
        let handle = pending
            .folder
            .write_state_file(&uid, operator.subtask, &operator_snapshot)?;
        pending
            .operators
            .get_mut(&uid)
            .expect("every operator of every task has an entry")
            .subtask_files[operator.subtask] = handle;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::OperatorSnapshot;
    use crate::checkpoint::restored_checkpoint::load_checkpoint;

    const SECOND: Duration = Duration::from_secs(1);

    fn config(dir: &std::path::Path) -> CheckpointCoordinatorConfig {
        CheckpointCoordinatorConfig {
            interval: 10 * SECOND,
            mode: CheckpointingMode::ExactlyOnce,
            timeout: 30 * SECOND,
            min_pause: 4 * SECOND,
            num_retained: 2,
            checkpoints_directory: dir.join("checkpoints").display().to_string(),
            savepoints_directory: None,
        }
    }

    fn operator(uid: &str, subtask: usize, parallelism: usize) -> TaskOperator {
        TaskOperator {
            uid: uid.to_owned(),
            name: format!("Op({uid})"),
            subtask,
            parallelism,
        }
    }

    /// Task 0: source (parallelism 1); tasks 1 and 2: map + window (parallelism 2).
    fn tasks() -> Vec<TaskInfo> {
        vec![
            TaskInfo {
                operators: vec![operator("source", 0, 1)],
            },
            TaskInfo {
                operators: vec![operator("map", 0, 2), operator("window", 0, 2)],
            },
            TaskInfo {
                operators: vec![operator("map", 1, 2), operator("window", 1, 2)],
            },
        ]
    }

    fn coordinator(dir: &std::path::Path, start: Instant) -> CheckpointCoordinator {
        let config = config(dir);
        let storage = CheckpointStorage::new(&config.checkpoints_directory, "job-1").unwrap();
        let mut coordinator = CheckpointCoordinator::new(config, storage, "job", 8, tasks());
        coordinator.reset_schedule(start);
        coordinator
    }

    fn window_state(group: u32, value: u8) -> TaskSnapshot {
        let mut snapshot = OperatorSnapshot::default();
        snapshot.put_keyed(group, "state:sum", vec![value; 3]);
        let mut task = TaskSnapshot::new();
        task.insert("window".to_owned(), snapshot);
        // A stateless operator may report an empty snapshot.
        task.insert("map".to_owned(), OperatorSnapshot::default());
        task
    }

    /// Acknowledges `id` from every task at `now`, in the order 2, 0, 1.
    fn acknowledge_all(
        coordinator: &mut CheckpointCoordinator,
        now: Instant,
        id: u64,
    ) -> CompletedCheckpoint {
        assert_eq!(
            coordinator
                .acknowledge_at(now, id, 2, window_state(7, 2), 3 * SECOND)
                .unwrap(),
            None
        );
        assert_eq!(
            coordinator
                .acknowledge_at(now, id, 0, TaskSnapshot::new(), SECOND)
                .unwrap(),
            None
        );
        coordinator
            .acknowledge_at(now, id, 1, window_state(1, 1), 2 * SECOND)
            .unwrap()
            .expect("the last acknowledgement completes it")
    }

    #[test]
    fn triggers_respect_the_interval_the_min_pause_and_one_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        let mut coordinator = coordinator(dir.path(), t0);
        assert_eq!(coordinator.next_trigger_time(), Some(t0 + 10 * SECOND));
        assert_eq!(
            coordinator.trigger(t0 + 5 * SECOND, SnapshotKind::Checkpoint),
            None
        );
        let first = coordinator
            .trigger(t0 + 10 * SECOND, SnapshotKind::Checkpoint)
            .unwrap();
        assert_eq!((first.id, first.kind), (1, SnapshotKind::Checkpoint));
        assert_eq!(coordinator.next_trigger_time(), None);
        assert_eq!(
            coordinator.trigger(t0 + 25 * SECOND, SnapshotKind::Checkpoint),
            None
        );
        assert_eq!(coordinator.stats().in_progress, 1);

        // Completes at 19 s: the interval allows 20 s, the pause only 23 s.
        acknowledge_all(&mut coordinator, t0 + 19 * SECOND, 1);
        assert_eq!(coordinator.next_trigger_time(), Some(t0 + 23 * SECOND));
        assert_eq!(
            coordinator.trigger(t0 + 22 * SECOND, SnapshotKind::Checkpoint),
            None
        );
        let second = coordinator
            .trigger(t0 + 23 * SECOND, SnapshotKind::Checkpoint)
            .unwrap();
        assert_eq!(second.id, 2);

        // Completes quickly: the interval (33 s) decides, not the pause (25 s).
        acknowledge_all(&mut coordinator, t0 + 24 * SECOND, 2);
        assert_eq!(coordinator.next_trigger_time(), Some(t0 + 33 * SECOND));
    }

    #[test]
    fn out_of_order_acknowledgements_complete_on_the_last_and_restore_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        let mut coordinator = coordinator(dir.path(), t0);
        coordinator.set_next_checkpoint_id(41);
        let barrier = coordinator
            .trigger(t0 + 10 * SECOND, SnapshotKind::Checkpoint)
            .unwrap();
        assert_eq!(barrier.id, 41);
        // A repeated acknowledgement and one for another id change nothing.
        coordinator
            .acknowledge_at(t0, 41, 2, window_state(7, 2), SECOND)
            .unwrap();
        assert_eq!(
            coordinator
                .acknowledge_at(t0, 41, 2, window_state(7, 9), SECOND)
                .unwrap(),
            None
        );
        assert_eq!(
            coordinator
                .acknowledge_at(t0, 40, 0, TaskSnapshot::new(), SECOND)
                .unwrap(),
            None
        );
        coordinator
            .acknowledge_at(t0, 41, 0, TaskSnapshot::new(), SECOND)
            .unwrap();
        assert!(!coordinator.storage().folder(41).is_complete());
        let completed = coordinator
            .acknowledge_at(t0 + 12 * SECOND, 41, 1, window_state(1, 1), 5 * SECOND)
            .unwrap()
            .unwrap();
        assert_eq!(completed.checkpoint_id, 41);
        assert_eq!(coordinator.latest_completed(), Some(&completed));

        let stats = coordinator.stats();
        assert_eq!(
            (stats.completed, stats.failed, stats.in_progress),
            (1, 0, 0)
        );
        assert_eq!(stats.last_duration, Some(2 * SECOND));
        assert_eq!(stats.last_alignment, Some(5 * SECOND));
        assert_eq!(stats.max_duration, 2 * SECOND);
        assert_eq!(stats.last_size_bytes, completed.size_bytes());
        assert_eq!(stats.last_completed_path.as_ref(), Some(&completed.path));

        let restored = load_checkpoint(completed.path.to_str().unwrap()).unwrap();
        assert_eq!(restored.metadata.job_name, "job");
        assert_eq!(restored.metadata.max_parallelism, 8);
        assert_eq!(restored.operator_uids(), vec!["map", "source", "window"]);
        let window = restored.load_operator("window").unwrap().unwrap();
        let section = |subtask: usize, group| {
            window[subtask]
                .keyed_section(group, "state:sum")
                .unwrap()
                .read()
                .unwrap()
                .to_vec()
        };
        assert_eq!(section(0, 1), [1u8; 3]);
        assert_eq!(section(1, 7), [2u8; 3]);
        let map = restored.load_operator("map").unwrap().unwrap();
        assert!(map.iter().all(OperatorSnapshot::is_empty) && map.len() == 2);
        assert!(restored.load_operator("missing").unwrap().is_none());
    }

    #[test]
    fn an_expired_checkpoint_is_aborted_and_late_acknowledgements_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        let mut coordinator = coordinator(dir.path(), t0);
        let start = t0 + 10 * SECOND;
        let barrier = coordinator
            .trigger(start, SnapshotKind::Checkpoint)
            .unwrap();
        coordinator
            .acknowledge_at(start, barrier.id, 1, window_state(1, 1), SECOND)
            .unwrap();
        assert!(coordinator.storage().folder(barrier.id).path().exists());
        assert_eq!(coordinator.check_timeout(start + 29 * SECOND), None);
        assert_eq!(
            coordinator.check_timeout(start + 30 * SECOND),
            Some(barrier.id)
        );
        assert!(!coordinator.storage().folder(barrier.id).path().exists());
        assert_eq!(coordinator.check_timeout(start + 31 * SECOND), None);
        assert_eq!(
            coordinator
                .acknowledge_at(
                    start + 31 * SECOND,
                    barrier.id,
                    0,
                    TaskSnapshot::new(),
                    SECOND
                )
                .unwrap(),
            None
        );
        let stats = coordinator.stats();
        assert_eq!(
            (stats.completed, stats.failed, stats.in_progress),
            (0, 1, 0)
        );
        assert!(
            stats
                .last_failure
                .unwrap()
                .contains("execution.checkpointing.timeout")
        );
        assert_eq!(coordinator.latest_completed(), None);
        // The next one waits for the pause after the abort, and gets the next id.
        assert_eq!(coordinator.next_trigger_time(), Some(start + 34 * SECOND));
        let next = coordinator
            .trigger(start + 34 * SECOND, SnapshotKind::Checkpoint)
            .unwrap();
        assert_eq!(next.id, barrier.id + 1);
    }

    #[test]
    fn a_decline_aborts_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        let mut coordinator = coordinator(dir.path(), t0);
        let barrier = coordinator
            .trigger(t0 + 10 * SECOND, SnapshotKind::Checkpoint)
            .unwrap();
        coordinator
            .acknowledge_at(t0, barrier.id, 2, window_state(7, 1), SECOND)
            .unwrap();
        assert!(!coordinator.decline_at(t0, barrier.id + 1, "not this one"));
        assert!(coordinator.decline_at(t0, barrier.id, "task 1 failed to snapshot"));
        assert!(!coordinator.decline_at(t0, barrier.id, "again"));
        assert!(!coordinator.storage().folder(barrier.id).path().exists());
        let stats = coordinator.stats();
        assert_eq!((stats.failed, stats.in_progress), (1, 0));
        assert!(
            stats
                .last_failure
                .unwrap()
                .contains("task 1 failed to snapshot")
        );
    }

    #[test]
    fn state_of_an_operator_the_task_does_not_run_aborts_with_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        let mut coordinator = coordinator(dir.path(), t0);
        let barrier = coordinator
            .trigger(t0 + 10 * SECOND, SnapshotKind::Checkpoint)
            .unwrap();
        let mut snapshot = window_state(1, 1);
        snapshot.remove("map");
        let error = coordinator
            .acknowledge_at(t0, barrier.id, 0, snapshot, SECOND)
            .unwrap_err();
        assert!(
            matches!(&error, WeirError::UnknownOperatorInSnapshot { uid, task_index: 0, .. } if uid == "window"),
            "{error}"
        );
        assert_eq!(coordinator.pending_checkpoint_id(), None);
        assert_eq!(coordinator.stats().failed, 1);
    }

    #[test]
    fn retention_keeps_the_newest_completed_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        let mut coordinator = coordinator(dir.path(), t0);
        let mut now = t0;
        for id in 1..=4 {
            now += 20 * SECOND;
            assert_eq!(
                coordinator
                    .trigger(now, SnapshotKind::Checkpoint)
                    .unwrap()
                    .id,
                id
            );
            acknowledge_all(&mut coordinator, now, id);
        }
        assert_eq!(
            coordinator.storage().completed_checkpoint_ids().unwrap(),
            vec![3, 4]
        );
        assert_eq!(coordinator.latest_completed().unwrap().checkpoint_id, 4);
        assert_eq!(coordinator.stats().completed, 4);
    }

    #[test]
    fn a_savepoint_waits_for_the_pending_checkpoint_and_is_not_latest_completed() {
        let dir = tempfile::tempdir().unwrap();
        let savepoints = dir.path().join("savepoints");
        let t0 = Instant::now();
        let mut coordinator = coordinator(dir.path(), t0);
        let checkpoint = coordinator
            .trigger(t0 + 10 * SECOND, SnapshotKind::Checkpoint)
            .unwrap();
        let queued = coordinator
            .trigger_savepoint(t0 + 11 * SECOND, savepoints.to_str().unwrap(), false)
            .unwrap();
        assert_eq!(queued, None);
        assert!(coordinator.has_queued_savepoint());
        // A second, terminating request replaces it and stays terminating.
        coordinator
            .trigger_savepoint(t0 + 11 * SECOND, savepoints.to_str().unwrap(), true)
            .unwrap();
        acknowledge_all(&mut coordinator, t0 + 12 * SECOND, checkpoint.id);
        // Due at once, not after the pause or the interval.
        assert_eq!(coordinator.next_trigger_time(), Some(t0 + 12 * SECOND));
        let savepoint = coordinator
            .trigger(t0 + 12 * SECOND, SnapshotKind::Checkpoint)
            .unwrap();
        assert_eq!(savepoint.kind, SnapshotKind::SavepointTerminate);
        assert_eq!(savepoint.id, checkpoint.id + 1);
        let completed = acknowledge_all(&mut coordinator, t0 + 13 * SECOND, savepoint.id);
        assert_eq!(completed.kind, SnapshotKind::SavepointTerminate);
        assert!(completed.path.starts_with(&savepoints));
        assert_eq!(
            coordinator.latest_completed().unwrap().checkpoint_id,
            checkpoint.id
        );
        assert_eq!(coordinator.stats().completed, 2);
        let restored = load_checkpoint(completed.path.to_str().unwrap()).unwrap();
        assert_eq!(restored.metadata.kind, SnapshotKind::SavepointTerminate);

        // Savepoints need a folder: without state.savepoints.dir the request fails visibly.
        assert_eq!(
            coordinator.trigger(t0 + 60 * SECOND, SnapshotKind::Savepoint),
            None
        );
        assert!(
            coordinator
                .stats()
                .last_failure
                .unwrap()
                .contains("state.savepoints.dir")
        );
        assert!(
            coordinator
                .trigger_savepoint(t0, "hdfs://nn/savepoints", false)
                .is_err()
        );
    }

    #[test]
    fn config_from_the_configuration() {
        let off = Configuration::defaults();
        assert_eq!(
            CheckpointCoordinatorConfig::from_config(&off).unwrap(),
            None
        );

        let no_dir =
            Configuration::from_pairs([("execution.checkpointing.interval", "10 s")]).unwrap();
        let message = CheckpointCoordinatorConfig::from_config(&no_dir)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("execution.checkpointing.interval")
                && message.contains("state.checkpoints.dir"),
            "{message}"
        );

        let hdfs = Configuration::from_pairs([
            ("execution.checkpointing.interval", "10 s"),
            ("state.checkpoints.dir", "hdfs://nn:8020/ckpt"),
        ])
        .unwrap();
        let message = CheckpointCoordinatorConfig::from_config(&hdfs)
            .unwrap_err()
            .to_string();
        assert!(message.contains("state.checkpoints.dir") && message.contains("only file://"));

        let short = Configuration::from_pairs([
            ("execution.checkpointing.interval", "1 ms"),
            ("state.checkpoints.dir", "/tmp/c"),
        ])
        .unwrap();
        assert!(matches!(
            CheckpointCoordinatorConfig::from_config(&short),
            Err(WeirError::CheckpointIntervalTooShort { .. })
        ));

        let full = Configuration::from_pairs([
            ("execution.checkpointing.interval", "10 s"),
            ("execution.checkpointing.mode", "AT_LEAST_ONCE"),
            ("execution.checkpointing.timeout", "1 min"),
            ("execution.checkpointing.min-pause", "2 s"),
            ("state.checkpoints.dir", "file:///tmp/c"),
            ("state.checkpoints.num-retained", "3"),
            ("state.savepoints.dir", "/tmp/s"),
        ])
        .unwrap();
        assert_eq!(
            CheckpointCoordinatorConfig::from_config(&full).unwrap(),
            Some(CheckpointCoordinatorConfig {
                interval: 10 * SECOND,
                mode: CheckpointingMode::AtLeastOnce,
                timeout: 60 * SECOND,
                min_pause: 2 * SECOND,
                num_retained: 3,
                checkpoints_directory: "file:///tmp/c".to_owned(),
                savepoints_directory: Some("/tmp/s".to_owned()),
            })
        );
    }

    #[test]
    #[should_panic(expected = "runs in two tasks")]
    fn the_same_subtask_in_two_tasks_is_a_bug() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        let storage = CheckpointStorage::new(&config.checkpoints_directory, "j").unwrap();
        let task = TaskInfo {
            operators: vec![operator("a", 0, 2)],
        };
        CheckpointCoordinator::new(config, storage, "j", 8, vec![task.clone(), task]);
    }
}
