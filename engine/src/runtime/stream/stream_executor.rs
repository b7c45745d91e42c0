//! The streaming executor: runs a [`StreamGraph`] in this process (local mode), every task at
//! once, with checkpoints, restarts and the final commit (Flink's JobMaster with its
//! CheckpointCoordinator and failover, in one loop).
//!
//! ```text
//!  build StreamJobGraph ─▶ restore? (weir run -s: load, redistribute per operator uid)
//!  attempt:
//!    result partitions (pipelined, one per producer subtask and edge), one thread per subtask
//!    loop on task reports (bounded waits):
//!      trigger time ─▶ TriggerCheckpoint to every source task
//!      Acknowledge ─▶ coordinator; last one ─▶ CheckpointComplete(id) to every task
//!      EndOfInput from every task ─▶ CheckpointComplete(FINAL_COMMIT) to every task
//!      Ended(Err) ─▶ cancel the attempt, wait for every task; restart strategy:
//!                    restart from the latest completed checkpoint, or fail
//!      Ctrl-C ─▶ with a savepoint dir: savepoint, then stop; else cancel
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use weir_memory::{ByteSize, IoManager, MemoryManager, NetworkBufferPool};

use crate::checkpoint::{
    CheckpointCoordinator, CheckpointCoordinatorConfig, CheckpointStorage, OperatorSnapshot,
    RestartDecision, RestartStrategy, RestoredCheckpoint, TaskInfo, TaskOperator, load_checkpoint,
    redistribute,
};
use crate::config::options::{
    BUFFER_TIMEOUT, BUFFERS_PER_CHANNEL, CHECKPOINTING_INTERVAL, CHECKPOINTING_MODE,
    CHECKPOINTING_TIMEOUT, FLOATING_BUFFERS_PER_GATE, IO_TMP_DIRS, MAX_PARALLELISM,
    SAVEPOINT_IGNORE_UNCLAIMED_STATE, SAVEPOINT_PATH, SAVEPOINTS_DIRECTORY, STATE_BACKEND_TYPE,
};
use crate::config::{Configuration, StateBackendType};
use crate::error::WeirError;
use crate::graph::stream_graph::{
    LinkBox, SideOutputs, StreamGraph, StreamJobGraph, StreamNodeId, StreamOperatorKind,
    StreamPartitioning,
};
use crate::memory_plan::MemoryPlan;
use crate::runtime::job_result::{JobExecutionResult, StreamingSummary, VertexTimes};
use crate::runtime::mailbox::{Mailbox, MailboxSender, TaskEvent};
use crate::runtime::network::{
    CancelToken, InputGate, PartitionKind, ResultPartition, SnapshotKind,
};
use crate::runtime::progress::JobProgress;
use crate::runtime::stream::chain_link::OperatorSetup;
use crate::runtime::stream::processing_time::processing_time_now;
use crate::runtime::stream::stream_task::{FINAL_COMMIT, StreamTask, TaskBody};
use crate::runtime::stream::task_report::{TaskMetrics, TaskReport, TaskReporter};
use crate::runtime::stream::writer_link::{FlushRegistry, WriterContext};
use crate::runtime::task::{TaskName, run_task};
use crate::state::key_group::KeyGroupRange;
use crate::state::managed::{ManagedStateSetup, StateSpillCounters};

/// How often the executor loop wakes up at least (cancellation, timeouts).
const LOOP_WAKEUP: Duration = Duration::from_millis(20);
/// The "interval" of a coordinator that only takes savepoints (about 136 years).
const SAVEPOINTS_ONLY_INTERVAL: Duration = Duration::from_secs(u32::MAX as u64);
/// Buffers of a partition beyond one per subpartition and the floating ones.
const PARTITION_BASE_EXTRA: usize = 1;

/// How a streaming job runs and reports. Where it starts from (`execution.savepoint.path`,
/// `weir run -s`) and where Ctrl-C and SIGUSR1 put their savepoints (`state.savepoints.dir`,
/// `weir run --savepoint-dir`) come from the configuration.
#[derive(Debug, Clone, Default)]
pub struct StreamExecuteOptions {
    pub progress: Arc<JobProgress>,
    /// Set to stop the job (Ctrl-C): after a savepoint when `state.savepoints.dir` is set.
    pub cancel: Option<CancelToken>,
    /// Set (SIGUSR1) to take a savepoint into `state.savepoints.dir` while the job goes on;
    /// the executor clears it when it takes the request.
    pub savepoint_request: Option<Arc<AtomicBool>>,
}

/// The state each operator subtask starts from: node ──▶ one snapshot per subtask.
type RestoredState = BTreeMap<StreamNodeId, Vec<OperatorSnapshot>>;

/// A running subtask's mailbox and thread.
struct RunningTask {
    name: TaskName,
    mailbox: MailboxSender,
    thread: Option<JoinHandle<()>>,
}

/// Runs the sinks of `graph` and what they depend on.
pub(crate) fn execute_stream(
    graph: &StreamGraph,
    job_name: &str,
    config: &Configuration,
    options: &StreamExecuteOptions,
) -> Result<JobExecutionResult, WeirError> {
    let started = Instant::now();
    let resolved = graph.with_unions_resolved();
    let graph = &resolved;
    let job = StreamJobGraph::build(graph)?;
    let max_parallelism = config.get(&MAX_PARALLELISM);
    for vertex in &job.vertices {
        if vertex.parallelism > max_parallelism as usize {
            return Err(WeirError::ParallelismAboveMax {
                operator: vertex.name.clone(),
                parallelism: vertex.parallelism,
                max_parallelism,
            });
        }
    }
    let memory_plan = MemoryPlan::from_config(config)?;
    let network = NetworkBufferPool::new(memory_plan.network_buffers(), memory_plan.page_size)?;
    let io = Arc::new(IoManager::new(config.get(&IO_TMP_DIRS).paths())?);
    // state.backend.type: managed — keyed state in pages of the job's managed memory.
    let managed_state = match config.get(&STATE_BACKEND_TYPE) {
        StateBackendType::Managed => Some(JobManagedState {
            memory: MemoryManager::new(memory_plan.managed.size, memory_plan.page_size)?,
            counters: Arc::default(),
        }),
        StateBackendType::HashMap => None,
    };
    let external_cancel = options.cancel.clone().unwrap_or_default();

    let savepoint_dir = config.get(&SAVEPOINTS_DIRECTORY);
    let checkpointing = config.get(&CHECKPOINTING_INTERVAL).is_some();
    let coordinator_config = match CheckpointCoordinatorConfig::from_config(config)? {
        Some(coordinator_config) => Some(coordinator_config),
        // Savepoints without periodic checkpoints: a coordinator that never triggers on its
        // own, storing into the savepoint folder.
        None => savepoint_dir
            .as_ref()
            .map(|dir| CheckpointCoordinatorConfig {
                interval: SAVEPOINTS_ONLY_INTERVAL,
                mode: config.get(&CHECKPOINTING_MODE),
                timeout: config.get(&CHECKPOINTING_TIMEOUT),
                min_pause: Duration::ZERO,
                num_retained: 1,
                checkpoints_directory: dir.clone(),
                savepoints_directory: Some(dir.clone()),
            }),
    };
    let mut restart = RestartStrategy::from_config(config, checkpointing)?;
    let tasks_info = task_infos(graph, &job);
    let job_id = job_id(job_name);
    let mut coordinator = match coordinator_config {
        Some(coordinator_config) => {
            let storage =
                CheckpointStorage::new(&coordinator_config.checkpoints_directory, &job_id)?;
            Some(CheckpointCoordinator::new(
                coordinator_config,
                storage,
                job_name,
                max_parallelism,
                tasks_info.clone(),
            ))
        }
        None => None,
    };
    let restore_from = config.get(&SAVEPOINT_PATH);
    let ignore_unclaimed = config.get(&SAVEPOINT_IGNORE_UNCLAIMED_STATE);
    let mut restored = match &restore_from {
        Some(path) => {
            let checkpoint = load_checkpoint(path)?;
            if let Some(coordinator) = coordinator.as_mut() {
                coordinator.set_next_checkpoint_id(checkpoint.metadata.checkpoint_id + 1);
            }
            Some(restored_state(
                graph,
                &job,
                &checkpoint,
                max_parallelism,
                ignore_unclaimed,
            )?)
        }
        None => None,
    };
    for &node in job.vertices.iter().flat_map(|vertex| vertex.nodes.iter()) {
        if let StreamOperatorKind::OneInput(factory) = &graph.nodes[node].operator {
            factory.prepare(graph.nodes[node].parallelism)?;
        }
    }

    let mut summary = StreamingSummary::default();
    let mut vertex_metrics: Vec<TaskMetrics> = vec![TaskMetrics::default(); job.vertices.len()];
    loop {
        let attempt = Attempt {
            graph,
            job: &job,
            config,
            memory_plan: &memory_plan,
            network: &network,
            io: &io,
            managed_state: managed_state.as_ref(),
            max_parallelism,
            restored: restored.take().unwrap_or_default(),
            progress: &options.progress,
        };
        let outcome = attempt.run(
            coordinator.as_mut(),
            &external_cancel,
            savepoint_dir.as_deref(),
            options.savepoint_request.as_deref(),
            &mut vertex_metrics,
            &mut summary,
        );
        match outcome {
            AttemptOutcome::Finished => break,
            AttemptOutcome::Stopped { savepoint } => {
                summary.stopped_with_savepoint = Some(savepoint);
                break;
            }
            AttemptOutcome::Canceled(error) => return Err(error),
            AttemptOutcome::Failed(error) => match restart.on_failure(Instant::now()) {
                RestartDecision::Fail { reason } => {
                    return Err(WeirError::JobFailedAfterRestarts {
                        restarts: summary.restarts,
                        reason,
                        cause: Box::new(error),
                    });
                }
                RestartDecision::Restart { delay } => {
                    summary.restarts += 1;
                    summary.last_failure = Some(error.to_string());
                    if wait_or_cancel(delay, &external_cancel) {
                        return Err(WeirError::Canceled {
                            component: format!("job {job_name} (while waiting to restart)"),
                        });
                    }
                    let latest = coordinator
                        .as_ref()
                        .and_then(|coordinator| coordinator.latest_completed())
                        .map(|completed| completed.path.to_string_lossy().into_owned())
                        .or_else(|| restore_from.clone());
                    if let Some(path) = latest {
                        let checkpoint = load_checkpoint(&path)?;
                        restored = Some(restored_state(
                            graph,
                            &job,
                            &checkpoint,
                            max_parallelism,
                            ignore_unclaimed,
                        )?);
                    }
                }
            },
        }
    }
    io.shutdown();
    if let Some(coordinator) = &coordinator {
        summary.checkpoints = coordinator.stats();
    }
    summary.vertices = job
        .vertices
        .iter()
        .zip(vertex_metrics)
        .map(|(vertex, metrics)| VertexTimes {
            name: vertex.name.clone(),
            parallelism: vertex.parallelism,
            metrics,
        })
        .collect();
    Ok(JobExecutionResult {
        job_name: job_name.to_owned(),
        wall_time: started.elapsed(),
        records_in: options.progress.records_read(),
        records_out: options.progress.records_written(),
        bytes_read: options.progress.bytes_read(),
        bytes_written: options.progress.bytes_written(),
        records_skipped: options.progress.records_skipped(),
        peak_managed: ByteSize::new(0),
        peak_managed_used: ByteSize::new(managed_state.as_ref().map_or(0, |managed| {
            (managed.memory.peak_used_pages() * memory_plan.page_size.bytes()) as u64
        })),
        managed_total: memory_plan.managed.size,
        bytes_spilled: managed_state
            .as_ref()
            .map_or(0, |managed| managed.counters.bytes_spilled()),
        spill_files: managed_state
            .as_ref()
            .map_or(0, |managed| managed.counters.spill_files()),
        exchange_bytes_spilled: 0,
        operators: Vec::new(),
        streaming: Some(summary),
    })
}

/// A job id for checkpoint folders: the job name and the start time (the checkpoint storage
/// makes it path-safe).
fn job_id(job_name: &str) -> String {
    format!("{job_name}-{}", processing_time_now())
}

/// Sleeps `delay` unless the job is canceled first (`true`).
fn wait_or_cancel(delay: Duration, cancel: &CancelToken) -> bool {
    let until = Instant::now() + delay;
    while Instant::now() < until {
        if cancel.is_canceled() {
            return true;
        }
        std::thread::sleep(LOOP_WAKEUP.min(until.saturating_duration_since(Instant::now())));
    }
    cancel.is_canceled()
}

/// The operators of every task, in task order, for the checkpoint coordinator.
fn task_infos(graph: &StreamGraph, job: &StreamJobGraph) -> Vec<TaskInfo> {
    let mut infos = Vec::new();
    for vertex in &job.vertices {
        for subtask in 0..vertex.parallelism {
            infos.push(TaskInfo {
                operators: vertex
                    .nodes
                    .iter()
                    .map(|&node| TaskOperator {
                        uid: graph.nodes[node].state_uid(node),
                        name: graph.nodes[node].name.clone(),
                        subtask,
                        parallelism: vertex.parallelism,
                    })
                    .collect(),
            });
        }
    }
    infos
}

/// The state of every operator of the job from `checkpoint`, redistributed to the operators'
/// parallelisms. State of an operator the job does not have is an error unless
/// `ignore_unclaimed` (Flink's `--allowNonRestoredState`).
fn restored_state(
    graph: &StreamGraph,
    job: &StreamJobGraph,
    checkpoint: &RestoredCheckpoint,
    max_parallelism: u32,
    ignore_unclaimed: bool,
) -> Result<RestoredState, WeirError> {
    if checkpoint.metadata.max_parallelism != max_parallelism {
        return Err(WeirError::IncompatibleState {
            operator: "(all keyed operators)".to_owned(),
            problem: format!(
                "the checkpoint at {} was taken with pipeline.max-parallelism {}, the job runs \
                 with {max_parallelism}",
                checkpoint.path.display(),
                checkpoint.metadata.max_parallelism
            ),
        });
    }
    let mut state = RestoredState::new();
    let mut known = Vec::new();
    for &node in job.vertices.iter().flat_map(|vertex| vertex.nodes.iter()) {
        let uid = graph.nodes[node].state_uid(node);
        if let Some(old) = checkpoint.load_operator(&uid)? {
            let snapshots = redistribute(
                &graph.nodes[node].name,
                old,
                graph.nodes[node].parallelism,
                max_parallelism,
            )?;
            state.insert(node, snapshots);
        }
        known.push(uid);
    }
    if let Some(unknown) = checkpoint
        .operator_uids()
        .into_iter()
        .find(|uid| !known.iter().any(|known| known == uid) && !ignore_unclaimed)
    {
        return Err(WeirError::IncompatibleState {
            operator: unknown.to_owned(),
            problem: format!(
                "the checkpoint at {} holds state of this operator, but the job has no \
                 operator with that uid (give operators stable names with .uid(...), or set \
                 execution.savepoint.ignore-unclaimed-state: true to drop it)",
                checkpoint.path.display()
            ),
        });
    }
    Ok(state)
}

enum AttemptOutcome {
    Finished,
    Stopped { savepoint: String },
    Canceled(WeirError),
    Failed(WeirError),
}

/// The managed memory of a job whose keyed state uses the managed backend.
struct JobManagedState {
    memory: MemoryManager,
    counters: Arc<StateSpillCounters>,
}

/// One run of every task of the job.
struct Attempt<'a> {
    graph: &'a StreamGraph,
    job: &'a StreamJobGraph,
    config: &'a Configuration,
    memory_plan: &'a MemoryPlan,
    network: &'a NetworkBufferPool,
    io: &'a Arc<IoManager>,
    managed_state: Option<&'a JobManagedState>,
    max_parallelism: u32,
    restored: RestoredState,
    progress: &'a Arc<JobProgress>,
}

/// Partitions of one job edge: one per producer subtask.
type EdgePartitions = Vec<Arc<ResultPartition>>;

impl Attempt<'_> {
    fn run(
        self,
        mut coordinator: Option<&mut CheckpointCoordinator>,
        external_cancel: &CancelToken,
        savepoint_dir: Option<&str>,
        savepoint_request: Option<&AtomicBool>,
        vertex_metrics: &mut [TaskMetrics],
        summary: &mut StreamingSummary,
    ) -> AttemptOutcome {
        let cancel = CancelToken::new();
        let (reports_sender, reports) = crossbeam_channel::unbounded::<TaskReport>();
        let mut tasks: Vec<RunningTask> = Vec::new();
        let mut task_vertex: Vec<usize> = Vec::new();
        let spawned = self.spawn_all(&cancel, &reports_sender, &mut tasks, &mut task_vertex);
        drop(reports_sender);
        if let Err(error) = spawned {
            cancel.cancel();
            join_all(&mut tasks, &reports, vertex_metrics, &task_vertex);
            return AttemptOutcome::Failed(error);
        }
        let source_tasks: Vec<usize> = task_vertex
            .iter()
            .enumerate()
            .filter(|(_, vertex)| {
                matches!(
                    self.graph.nodes[self.job.vertices[**vertex].head].operator,
                    StreamOperatorKind::Source(_)
                )
            })
            .map(|(task, _)| task)
            .collect();
        let mut end_of_input = vec![false; tasks.len()];
        let mut ended = vec![false; tasks.len()];
        let mut any_end_of_input = false;
        let mut final_commit_sent = false;
        let mut pending_stop: Option<u64> = None;
        let mut stop_requested = false;
        let outcome = loop {
            if external_cancel.is_canceled() && !stop_requested {
                stop_requested = true;
                match (savepoint_dir, coordinator.as_deref_mut()) {
                    (Some(dir), Some(coordinator)) if !any_end_of_input => {
                        match coordinator.trigger_savepoint(Instant::now(), dir, true) {
                            Ok(Some(barrier)) => {
                                pending_stop = Some(barrier.id);
                                for &task in &source_tasks {
                                    tasks[task]
                                        .mailbox
                                        .send(TaskEvent::TriggerCheckpoint(barrier));
                                }
                            }
                            // A checkpoint is in progress: the coordinator starts the
                            // savepoint right after it (the trigger below).
                            Ok(None) => {}
                            Err(error) => break AttemptOutcome::Canceled(error),
                        }
                    }
                    _ => {
                        break AttemptOutcome::Canceled(WeirError::Canceled {
                            component: "the job".to_owned(),
                        });
                    }
                }
            }
            if savepoint_request.is_some_and(|request| request.swap(false, Ordering::SeqCst)) {
                match (savepoint_dir, coordinator.as_deref_mut()) {
                    (Some(dir), Some(coordinator)) if !any_end_of_input && !stop_requested => {
                        match coordinator.trigger_savepoint(Instant::now(), dir, false) {
                            Ok(Some(barrier)) => {
                                for &task in &source_tasks {
                                    tasks[task]
                                        .mailbox
                                        .send(TaskEvent::TriggerCheckpoint(barrier));
                                }
                            }
                            // Taken right after the checkpoint in progress.
                            Ok(None) => {}
                            Err(error) => {
                                eprintln!("weir: no savepoint taken: {error}");
                                summary
                                    .checkpoint_problems
                                    .push(format!("savepoint on request: {error}"));
                            }
                        }
                    }
                    (Some(_), Some(_)) => {
                        eprintln!("weir: no savepoint taken: the job is finishing");
                    }
                    _ => eprintln!(
                        "weir: no savepoint taken: no savepoint directory (set \
                         state.savepoints.dir or weir run --savepoint-dir)"
                    ),
                }
            }
            let now = Instant::now();
            let mut wait = LOOP_WAKEUP;
            if let Some(coordinator) = coordinator.as_deref_mut() {
                if let Some(expired) = coordinator.check_timeout(now) {
                    summary.checkpoint_problems.push(format!(
                        "checkpoint {expired} expired before every task acknowledged it"
                    ));
                    if pending_stop == Some(expired) {
                        break AttemptOutcome::Canceled(WeirError::SavepointNotTaken {
                            reason: "it timed out".to_owned(),
                        });
                    }
                }
                if !any_end_of_input && pending_stop.is_none() {
                    match coordinator.next_trigger_time() {
                        Some(time) if time <= now => {
                            if let Some(barrier) =
                                coordinator.trigger(now, SnapshotKind::Checkpoint)
                            {
                                if barrier.kind == SnapshotKind::SavepointTerminate {
                                    pending_stop = Some(barrier.id);
                                }
                                for &task in &source_tasks {
                                    tasks[task]
                                        .mailbox
                                        .send(TaskEvent::TriggerCheckpoint(barrier));
                                }
                            }
                        }
                        Some(time) => wait = wait.min(time - now),
                        None => {}
                    }
                }
            }
            let report = match reports.recv_timeout(wait) {
                Ok(report) => report,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break AttemptOutcome::Finished,
            };
            match report {
                TaskReport::Acknowledge {
                    task,
                    barrier,
                    snapshot,
                    alignment,
                } => {
                    let Some(coordinator) = coordinator.as_deref_mut() else {
                        continue;
                    };
                    match coordinator.acknowledge(barrier.id, task, snapshot, alignment) {
                        Ok(Some(completed)) => {
                            for running in &tasks {
                                running
                                    .mailbox
                                    .send(TaskEvent::CheckpointComplete(completed.checkpoint_id));
                            }
                            if pending_stop == Some(completed.checkpoint_id) {
                                break AttemptOutcome::Stopped {
                                    savepoint: completed.path.to_string_lossy().into_owned(),
                                };
                            }
                            if completed.kind == SnapshotKind::Savepoint {
                                let path = completed.path.display().to_string();
                                eprintln!("weir: savepoint completed: {path}");
                                summary.savepoints.push(path);
                            }
                        }
                        Ok(None) => {}
                        Err(error) => {
                            // Writing the checkpoint failed: it is lost, the job goes on.
                            summary
                                .checkpoint_problems
                                .push(format!("checkpoint {}: {error}", barrier.id));
                            coordinator.decline(barrier.id, &error.to_string());
                            if pending_stop == Some(barrier.id) {
                                break AttemptOutcome::Canceled(error);
                            }
                        }
                    }
                }
                TaskReport::Decline {
                    checkpoint_id,
                    reason,
                } => {
                    if let Some(coordinator) = coordinator.as_deref_mut() {
                        coordinator.decline(checkpoint_id, &reason);
                    }
                    if pending_stop == Some(checkpoint_id) {
                        break AttemptOutcome::Canceled(WeirError::SavepointNotTaken { reason });
                    }
                }
                TaskReport::EndOfInput { task } => {
                    end_of_input[task] = true;
                    any_end_of_input = true;
                    if end_of_input.iter().all(|&done| done) && !final_commit_sent {
                        final_commit_sent = true;
                        for running in &tasks {
                            running
                                .mailbox
                                .send(TaskEvent::CheckpointComplete(FINAL_COMMIT));
                        }
                    }
                }
                TaskReport::Ended {
                    task,
                    outcome,
                    metrics,
                } => {
                    ended[task] = true;
                    add_metrics(&mut vertex_metrics[task_vertex[task]], &metrics);
                    if let Err(error) = outcome {
                        break AttemptOutcome::Failed(error);
                    }
                    if ended.iter().all(|&done| done) {
                        break AttemptOutcome::Finished;
                    }
                }
            }
        };
        if !matches!(outcome, AttemptOutcome::Finished) {
            cancel.cancel();
            for running in &tasks {
                running.mailbox.send(TaskEvent::Cancel);
            }
        }
        join_all(&mut tasks, &reports, vertex_metrics, &task_vertex);
        if let Some(coordinator) = coordinator
            && let Some(pending) = coordinator.pending_checkpoint_id()
        {
            coordinator.decline(pending, "the job attempt ended");
        }
        outcome
    }

    /// Creates the partitions and spawns every subtask.
    fn spawn_all(
        &self,
        cancel: &CancelToken,
        reports: &crossbeam_channel::Sender<TaskReport>,
        tasks: &mut Vec<RunningTask>,
        task_vertex: &mut Vec<usize>,
    ) -> Result<(), WeirError> {
        let floating = self.config.get(&FLOATING_BUFFERS_PER_GATE) as usize;
        let mut partitions: Vec<EdgePartitions> = Vec::new();
        for edge in &self.job.edges {
            let producers = self.job.vertices[edge.source_vertex].parallelism;
            let consumers = self.job.vertices[edge.target_vertex].parallelism;
            let mut list = Vec::with_capacity(producers);
            for subtask in 0..producers {
                let name = format!(
                    "{} ({}/{}) → {} [{}]",
                    self.graph.nodes[edge.source_node].name,
                    subtask + 1,
                    producers,
                    self.job.vertices[edge.target_vertex].name,
                    edge.edge.partitioning.name()
                );
                let required = consumers + PARTITION_BASE_EXTRA;
                let pool = self.network.create_local_pool(
                    &name,
                    required,
                    required + consumers + floating,
                )?;
                list.push(ResultPartition::new(
                    name,
                    PartitionKind::Pipelined,
                    consumers,
                    pool,
                    Arc::clone(self.io),
                    cancel.clone(),
                ));
            }
            partitions.push(list);
        }
        let partitions = Arc::new(partitions);
        let exactly_once = self.config.get(&crate::config::options::CHECKPOINTING_MODE)
            == crate::config::CheckpointingMode::ExactlyOnce;
        let buffer_timeout = self.config.get(&BUFFER_TIMEOUT);
        let credits = self.config.get(&BUFFERS_PER_CHANNEL) as usize;
        for (vertex_index, vertex) in self.job.vertices.iter().enumerate() {
            for subtask in 0..vertex.parallelism {
                let task = tasks.len();
                let name = TaskName {
                    vertex: vertex.name.clone(),
                    subtask,
                    parallelism: vertex.parallelism,
                };
                let thread_name =
                    format!("{} ({}/{})", vertex.name, subtask + 1, vertex.parallelism);
                let (mailbox_sender, mailbox) = Mailbox::new(thread_name.clone(), cancel.clone());
                let gate = self.input_gate(vertex_index, subtask, &partitions, cancel, credits)?;
                let setups = self.setups(vertex_index, subtask);
                let builder = TaskBuilder {
                    progress: Arc::clone(self.progress),
                    graph: self.graph.clone(),
                    job: self.job.clone(),
                    vertex: vertex_index,
                    subtask,
                    partitions: Arc::clone(&partitions),
                    setups,
                    gate,
                    exactly_once,
                    buffer_timeout,
                };
                let reporter = TaskReporter::new(task, reports.clone());
                let thread_reporter = reporter.clone();
                let task_name = name.clone();
                let thread = std::thread::Builder::new()
                    .name(thread_name.chars().take(60).collect())
                    .spawn(move || {
                        let mut metrics = TaskMetrics::default();
                        let outcome = run_task(&task_name, || {
                            let task = builder.build(mailbox, thread_reporter.clone())?;
                            let (outcome, task_metrics) = task.run();
                            metrics = task_metrics;
                            outcome
                        });
                        thread_reporter.send(TaskReport::Ended {
                            task: thread_reporter.task,
                            outcome,
                            metrics,
                        });
                    })
                    .map_err(|source| WeirError::SpawnThread {
                        name: "stream task",
                        source,
                    })?;
                tasks.push(RunningTask {
                    name,
                    mailbox: mailbox_sender,
                    thread: Some(thread),
                });
                task_vertex.push(vertex_index);
            }
        }
        Ok(())
    }

    /// The gate of subtask `subtask` of `vertex`: subpartition `subtask` of every producer of
    /// every input edge, in edge order.
    fn input_gate(
        &self,
        vertex: usize,
        subtask: usize,
        partitions: &[EdgePartitions],
        cancel: &CancelToken,
        credits: usize,
    ) -> Result<Option<InputGate>, WeirError> {
        let channels: Vec<(Arc<ResultPartition>, usize)> = self
            .job
            .edges
            .iter()
            .enumerate()
            .filter(|(_, edge)| edge.target_vertex == vertex)
            .flat_map(|(index, _)| {
                partitions[index]
                    .iter()
                    .map(move |partition| (Arc::clone(partition), subtask))
            })
            .collect();
        if channels.is_empty() {
            return Ok(None);
        }
        let name = format!(
            "{} ({}/{})",
            self.job.vertices[vertex].name,
            subtask + 1,
            self.job.vertices[vertex].parallelism
        );
        let pool = self.network.create_local_pool(&name, 1, 1)?;
        Ok(Some(InputGate::with_credits(
            name,
            channels,
            pool,
            cancel.clone(),
            credits,
        )?))
    }

    /// True when `node` reads an input partitioned by key (so it holds keyed state).
    fn reads_keyed_input(&self, node: StreamNodeId) -> bool {
        self.graph.nodes[node]
            .inputs
            .iter()
            .any(|edge| matches!(edge.partitioning, StreamPartitioning::Hash))
    }

    /// The setup of every operator of subtask `subtask` of `vertex`, by node.
    fn setups(&self, vertex: usize, subtask: usize) -> BTreeMap<StreamNodeId, OperatorSetup> {
        let parallelism = self.job.vertices[vertex].parallelism;
        // Every subtask of a streaming job runs at once: the task heap is split among them.
        let subtasks: usize = self.job.vertices.iter().map(|v| v.parallelism).sum();
        let heap_budget = self.memory_plan.task_heap.bytes() / subtasks.max(1) as u64;
        // Managed backend: the job's managed memory is split among the subtasks that hold
        // keyed state. Those are the subtasks of vertices whose head reads a keyed (hash)
        // input: a keyed read never chains, so a vertex has at most one keyed operator, and
        // nothing else of a streaming job takes managed memory.
        let keyed_subtasks: usize = self
            .job
            .vertices
            .iter()
            .filter(|vertex| self.reads_keyed_input(vertex.head))
            .map(|vertex| vertex.parallelism)
            .sum();
        let managed_state = self.managed_state.map(|managed| ManagedStateSetup {
            memory: managed.memory.clone(),
            io: Arc::clone(self.io),
            share_bytes: managed.memory.total_bytes().bytes() / keyed_subtasks.max(1) as u64,
            counters: Arc::clone(&managed.counters),
        });
        self.job.vertices[vertex]
            .nodes
            .iter()
            .map(|&node| {
                let restored = self
                    .restored
                    .get(&node)
                    .and_then(|snapshots| snapshots.get(subtask))
                    .cloned();
                (
                    node,
                    OperatorSetup {
                        name: self.graph.nodes[node].name.clone(),
                        uid: self.graph.nodes[node].state_uid(node),
                        subtask,
                        parallelism,
                        max_parallelism: self.max_parallelism,
                        key_groups: KeyGroupRange::for_subtask(
                            self.max_parallelism,
                            parallelism,
                            subtask,
                        ),
                        restored,
                        state_heap_budget_bytes: heap_budget,
                        managed_state: managed_state.clone(),
                        snapshot_spool: Some(Arc::clone(self.io)),
                        progress: Arc::clone(self.progress),
                        config: self.config.clone(),
                    },
                )
            })
            .collect()
    }
}

fn add_metrics(total: &mut TaskMetrics, metrics: &TaskMetrics) {
    total.busy += metrics.busy;
    total.backpressured += metrics.backpressured;
    total.idle += metrics.idle;
    total.records_in += metrics.records_in;
    total.watermark_lag_ms = total.watermark_lag_ms.max(metrics.watermark_lag_ms);
}

/// Waits for every task thread; collects the metrics of tasks whose Ended report was not
/// read yet.
fn join_all(
    tasks: &mut [RunningTask],
    reports: &Receiver<TaskReport>,
    vertex_metrics: &mut [TaskMetrics],
    task_vertex: &[usize],
) {
    for task in tasks.iter_mut() {
        if let Some(thread) = task.thread.take()
            && thread.join().is_err()
        {
            // run_task catches panics; a panic here would be in the reporting itself.
            eprintln!("task {} ended abnormally", task.name.vertex);
        }
    }
    while let Ok(report) = reports.try_recv() {
        if let TaskReport::Ended { task, metrics, .. } = report {
            add_metrics(&mut vertex_metrics[task_vertex[task]], &metrics);
        }
    }
}

/// Everything a task thread needs to build its chain (moved into the thread).
struct TaskBuilder {
    progress: Arc<JobProgress>,
    graph: StreamGraph,
    job: StreamJobGraph,
    vertex: usize,
    subtask: usize,
    partitions: Arc<Vec<EdgePartitions>>,
    setups: BTreeMap<StreamNodeId, OperatorSetup>,
    gate: Option<InputGate>,
    exactly_once: bool,
    buffer_timeout: Duration,
}

impl TaskBuilder {
    fn build(mut self, mailbox: Mailbox, reporter: TaskReporter) -> Result<StreamTask, WeirError> {
        let flush = FlushRegistry::default();
        let head = self.job.vertices[self.vertex].head;
        let output = self.node_output(head, None, &flush)?;
        let body = match self.graph.nodes[head].operator.clone() {
            StreamOperatorKind::Source(factory) => {
                TaskBody::Source(factory.create(&self.setups[&head], output)?)
            }
            StreamOperatorKind::OneInput(factory) => {
                let side = self.side_outputs(head, &flush)?;
                let head_link = factory.create(&self.setups[&head], output, side)?;
                let gate = self.gate.take().ok_or_else(|| WeirError::Canceled {
                    component: format!("{} has no input", self.graph.nodes[head].name),
                })?;
                let edge = &self.graph.nodes[head].inputs[0];
                TaskBody::Input(edge.exchange.input(gate, head_link, self.exactly_once))
            }
        };
        let partitions = self
            .job
            .edges
            .iter()
            .enumerate()
            .filter(|(_, edge)| edge.source_vertex == self.vertex)
            .map(|(index, _)| Arc::clone(&self.partitions[index][self.subtask]))
            .collect();
        Ok(StreamTask {
            body,
            mailbox,
            reporter,
            flush,
            buffer_timeout: self.buffer_timeout,
            partitions,
            progress: self.progress,
        })
    }

    /// The link fed by `node`'s main output: chained operators and network writers, fanned
    /// out.
    fn node_output(
        &self,
        node: StreamNodeId,
        tag: Option<&str>,
        flush: &FlushRegistry,
    ) -> Result<LinkBox, WeirError> {
        let targets = self.output_targets(node, tag, flush)?;
        Ok(self.graph.nodes[node].output.fan_out(targets))
    }

    /// The links reading `node`'s main output (`tag` None) or side output `tag`.
    fn output_targets(
        &self,
        node: StreamNodeId,
        tag: Option<&str>,
        flush: &FlushRegistry,
    ) -> Result<Vec<LinkBox>, WeirError> {
        let mut targets: Vec<LinkBox> = Vec::new();
        for consumer in self
            .job
            .chained_consumers(&self.graph, self.vertex, node, tag)
        {
            let output = self.node_output(consumer, None, flush)?;
            let side = self.side_outputs(consumer, flush)?;
            let StreamOperatorKind::OneInput(factory) = &self.graph.nodes[consumer].operator else {
                unreachable!("only one-input operators are chained");
            };
            targets.push(factory.create(&self.setups[&consumer], output, side)?);
        }
        for edge_index in self.job.network_outputs(node, tag) {
            let edge = &self.job.edges[edge_index];
            let context = WriterContext {
                operator: self.graph.nodes[node].name.clone(),
                subtask: self.subtask,
                producers: self.job.vertices[self.vertex].parallelism,
                consumers: self.job.vertices[edge.target_vertex].parallelism,
                max_parallelism: self.setups[&node].max_parallelism,
                flush_every_record: self.buffer_timeout.is_zero(),
                flush: flush.clone(),
            };
            let partition = Arc::clone(&self.partitions[edge_index][self.subtask]);
            targets.push(edge.edge.exchange.writer(partition, context)?);
        }
        Ok(targets)
    }

    fn side_outputs(
        &self,
        node: StreamNodeId,
        flush: &FlushRegistry,
    ) -> Result<SideOutputs, WeirError> {
        self.graph.nodes[node]
            .side_output_types
            .iter()
            .map(|(tag, factory)| {
                let targets = self.output_targets(node, Some(tag), flush)?;
                Ok((tag.clone(), factory.side_output(targets)))
            })
            .collect()
    }
}
