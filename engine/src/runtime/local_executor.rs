//! The local executor: runs a job graph in this process, one TaskManager with as many slots as
//! the job's highest parallelism (DESIGN §6, local mode).
//!
//! ```text
//!   JobGraph ──▶ regions (vertices joined by pipelined exchanges) in dependency order
//!                 │ per region: result partitions for its outgoing edges,
//!                 │             one thread per subtask of each vertex (slot i runs subtask i)
//!                 ▼
//!               wait; on the first failure cancel every task, keep the root cause
//! ```
//!
//! **Exchanges.** Under `ALL_EXCHANGES_BLOCKING` (the default) every exchange is blocking, so a
//! region is one vertex and the job runs stage by stage; a blocking partition keeps its data
//! (spilling when its buffers run out) until the next stage reads it. Under
//! `ALL_EXCHANGES_PIPELINED` one-input exchanges are pipelined and producer and consumer run
//! at once; inputs of two-input operators and range-sampling edges stay blocking.
//!
//! **Memory.** Slot `i` has `managed pages / slots` pages. The memory-using operators of all
//! vertices of a region share their slot by weight (Flink's operator weights):
//! `pages(op) = slot pages × weight(op) / Σ weights`. Before anything runs, every operator's
//! share is checked against its minimum, so a job that cannot fit fails at once, naming the
//! operator and the keys to raise.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use weir_memory::{ByteSize, IoManager, MemoryManager, NetworkBufferPool, ResidentSetSampler};

use crate::api::functions::RuntimeContext;
use crate::config::options::{BATCH_SHUFFLE_MODE, IO_TMP_DIRS};
use crate::config::{BatchShuffleMode, Configuration};
use crate::error::WeirError;
use crate::graph::job_graph::{JobEdge, JobGraph};
use crate::graph::plan::{AnyBox, NodeId, NodeOperator, Plan, ShipStrategy};
use crate::memory_plan::MemoryPlan;
use crate::operators::metrics::OperatorMetrics;
use crate::runtime::job_result::{JobExecutionResult, OperatorSummary};
use crate::runtime::mailbox::{Mailbox, MailboxSender, TaskEvent};
use crate::runtime::network::{CancelToken, InputGate, PartitionKind, ResultPartition};
use crate::runtime::operator_context::{MetricsSlot, OperatorContext};
use crate::runtime::progress::JobProgress;
use crate::runtime::task::{TaskName, spawn_task};

/// Network buffers a blocking or pipelined partition may hold beyond its required ones.
const PARTITION_EXTRA_BUFFERS: usize = 16;
/// How often the executor looks for a cancellation from outside while its tasks run.
const CANCEL_WATCH_INTERVAL: Duration = Duration::from_millis(20);

/// A running task's name and thread.
type TaskHandle = (TaskName, JoinHandle<Result<(), WeirError>>);

/// Buffers of an input gate (read-ahead of spilled blocks).
const GATE_REQUIRED_BUFFERS: usize = 2;
const GATE_MAX_BUFFERS: usize = 8;

/// How a job is run and reported.
#[derive(Debug, Clone, Default)]
pub struct ExecuteOptions {
    /// Shared counters the caller may show as a progress line.
    pub progress: Arc<JobProgress>,
    /// Set to cancel the running job (Ctrl-C).
    pub cancel: Option<CancelToken>,
}

/// Runs the nodes of `plan` that `sinks` need.
pub(crate) fn execute(
    plan: &Plan,
    sinks: &[NodeId],
    job_name: &str,
    config: &Configuration,
    options: &ExecuteOptions,
) -> Result<JobExecutionResult, WeirError> {
    let started = Instant::now();
    let graph = JobGraph::build(plan, sinks);
    let slots = graph
        .vertices
        .iter()
        .map(|vertex| vertex.parallelism)
        .max()
        .unwrap_or(1);
    let mut memory_plan = MemoryPlan::from_config(config)?;
    memory_plan.slots = slots as u32;
    let mode = config.get(&BATCH_SHUFFLE_MODE);
    let blocking: Vec<bool> = graph
        .edges
        .iter()
        .map(|edge| edge_is_blocking(plan, &graph, edge, mode))
        .collect();
    let regions = Regions::build(&graph, &blocking);
    let page_shares = plan_page_shares(plan, &graph, &regions, &memory_plan)?;

    let memory = MemoryManager::new(memory_plan.managed.size, memory_plan.page_size)?;
    let network = NetworkBufferPool::new(memory_plan.network_buffers(), memory_plan.page_size)?;
    let io = Arc::new(IoManager::new(config.get(&IO_TMP_DIRS).paths())?);
    let cancel = options.cancel.clone().unwrap_or_default();

    // Work of the sources and the sinks' outputs, decided before anything runs.
    let mut source_work: HashMap<NodeId, Vec<Option<AnyBox>>> = HashMap::new();
    let mut prepared_sinks: Vec<NodeId> = Vec::new();
    let prepared = (|| {
        for vertex in &graph.vertices {
            for &node in &vertex.chain {
                match &plan.nodes[node].operator {
                    NodeOperator::Source(source) => {
                        let work = source.plan_work(vertex.parallelism)?;
                        source_work.insert(node, work.into_iter().map(Some).collect());
                    }
                    NodeOperator::OneInput(operator) => {
                        operator.prepare(vertex.parallelism)?;
                        prepared_sinks.push(node);
                    }
                    NodeOperator::TwoInput(_) => {}
                }
            }
        }
        Ok::<(), WeirError>(())
    })();
    let end_sinks = |succeeded: bool| -> Result<(), WeirError> {
        let mut first_error = None;
        for &node in &prepared_sinks {
            if let NodeOperator::OneInput(operator) = &plan.nodes[node].operator
                && let Err(error) = operator.end_job(succeeded)
            {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    };
    if let Err(error) = prepared {
        let _ = end_sinks(false);
        return Err(error);
    }

    let metrics: Vec<Vec<MetricsSlot>> = plan
        .nodes
        .iter()
        .map(|node| {
            (0..node.parallelism)
                .map(|_| Arc::new(Mutex::new(OperatorMetrics::default())))
                .collect()
        })
        .collect();
    let shared = Arc::new(SharedJob {
        plan: plan.clone(),
        graph: graph.clone(),
        io: Arc::clone(&io),
        cancel: cancel.clone(),
        progress: Arc::clone(&options.progress),
        metrics: metrics.clone(),
    });

    let mut partitions: HashMap<usize, Vec<Arc<ResultPartition>>> = HashMap::new();
    let mut exchange_spill = ExchangeSpill::default();
    let mut outcome = Ok(());
    for (position, region) in regions.order.iter().enumerate() {
        let names: Vec<&str> = region
            .iter()
            .map(|&vertex| graph.vertices[vertex].name.as_str())
            .collect();
        options.progress.set_stage(format!(
            "stage {}/{} {}",
            position + 1,
            regions.order.len(),
            names.join(" | ")
        ));
        outcome = run_region(
            &shared,
            region,
            &blocking,
            &network,
            &memory,
            &page_shares,
            &mut partitions,
            &mut source_work,
            &mut exchange_spill,
        );
        if outcome.is_err() {
            break;
        }
    }
    drop(partitions);
    drop(shared);
    // Every task has ended: all pages must be back. A page still held is a bug in an operator;
    // it fails the job before its output is committed.
    let peak_managed =
        ByteSize::new(memory.peak_used_pages() as u64 * memory_plan.page_size.bytes() as u64);
    let outcome = outcome.and_then(|()| memory.close().map_err(WeirError::from));
    io.shutdown();
    let ended = end_sinks(outcome.is_ok());
    outcome?;
    ended?;

    let operators = summarize(plan, &graph, &metrics);
    // Pages the operators of one stage held at their peaks, summed: the most managed memory in
    // use at once (a bound: their peaks need not coincide).
    let peak_used_pages = regions
        .order
        .iter()
        .map(|region| {
            region
                .iter()
                .flat_map(|&vertex| graph.vertices[vertex].chain.iter())
                .map(|&node| operators_metrics(&metrics, node).peak_pages_used)
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    let bytes_spilled = operators
        .iter()
        .map(|op| op.metrics.bytes_spilled)
        .sum::<u64>()
        + exchange_spill.bytes;
    let spill_files = operators
        .iter()
        .map(|op| op.metrics.spill_files)
        .sum::<u64>()
        + exchange_spill.files;
    let records_out = graph
        .vertices
        .iter()
        .filter(|vertex| plan.nodes[vertex.tail()].is_sink)
        .map(|vertex| operators_metrics(&metrics, vertex.tail()).records_in)
        .sum();
    Ok(JobExecutionResult {
        job_name: job_name.to_owned(),
        wall_time: started.elapsed(),
        records_in: options.progress.records_read(),
        records_out,
        bytes_read: options.progress.bytes_read(),
        bytes_written: options.progress.bytes_written(),
        records_skipped: options.progress.records_skipped(),
        peak_managed,
        peak_managed_used: ByteSize::new(
            peak_used_pages as u64 * memory_plan.page_size.bytes() as u64,
        ),
        managed_total: memory_plan.managed.size,
        bytes_spilled,
        spill_files,
        exchange_bytes_spilled: exchange_spill.bytes,
        operators,
        streaming: None,
    })
}

/// Whether an exchange is blocking under `mode` (see the module docs).
fn edge_is_blocking(plan: &Plan, graph: &JobGraph, edge: &JobEdge, mode: BatchShuffleMode) -> bool {
    let head = graph.vertices[edge.target].head();
    mode == BatchShuffleMode::AllExchangesBlocking
        || edge.plan_edge.force_blocking
        || matches!(plan.nodes[head].operator, NodeOperator::TwoInput(_))
}

/// Vertices joined by pipelined edges, in an order where every region's blocking inputs come
/// from earlier regions.
struct Regions {
    order: Vec<Vec<usize>>,
}

impl Regions {
    fn build(graph: &JobGraph, blocking: &[bool]) -> Regions {
        let n = graph.vertices.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for (index, edge) in graph.edges.iter().enumerate() {
            if !blocking[index] {
                let (a, b) = (
                    find(&mut parent, edge.source),
                    find(&mut parent, edge.target),
                );
                parent[a.max(b)] = a.min(b);
            }
        }
        let roots: Vec<usize> = (0..n).map(|v| find(&mut parent, v)).collect();
        let mut ids: Vec<usize> = roots.clone();
        ids.sort_unstable();
        ids.dedup();
        let of_vertex: Vec<usize> = roots
            .iter()
            .map(|root| ids.binary_search(root).expect("a root"))
            .collect();
        // Kahn's algorithm over region dependencies (blocking edges between regions).
        let count = ids.len();
        let mut depends: Vec<Vec<usize>> = vec![Vec::new(); count];
        let mut waiting = vec![0usize; count];
        for edge in &graph.edges {
            let (from, to) = (of_vertex[edge.source], of_vertex[edge.target]);
            if from != to && !depends[from].contains(&to) {
                depends[from].push(to);
                waiting[to] += 1;
            }
        }
        let mut ready: Vec<usize> = (0..count).filter(|&r| waiting[r] == 0).collect();
        ready.reverse();
        let mut order = Vec::with_capacity(count);
        while let Some(region) = ready.pop() {
            order.push(region);
            for &next in &depends[region] {
                waiting[next] -= 1;
                if waiting[next] == 0 {
                    ready.push(next);
                }
            }
        }
        assert_eq!(
            order.len(),
            count,
            "regions form a cycle (a bug in the job graph)"
        );
        let order = order
            .into_iter()
            .map(|region| (0..n).filter(|&v| of_vertex[v] == region).collect())
            .collect();
        Regions { order }
    }
}

/// Pages per memory-using node (see the module docs), checked against each one's minimum.
fn plan_page_shares(
    plan: &Plan,
    graph: &JobGraph,
    regions: &Regions,
    memory_plan: &MemoryPlan,
) -> Result<HashMap<NodeId, usize>, WeirError> {
    let slot_pages = memory_plan.managed_pages_per_slot();
    let mut shares = HashMap::new();
    for region in &regions.order {
        let users: Vec<NodeId> = region
            .iter()
            .flat_map(|&vertex| graph.vertices[vertex].chain.iter().copied())
            .filter(|&node| plan.nodes[node].memory.is_some())
            .collect();
        let total_weight: u64 = users
            .iter()
            .map(|&node| u64::from(plan.nodes[node].memory.expect("a user").weight.max(1)))
            .sum();
        for &node in &users {
            let memory = plan.nodes[node].memory.expect("a user");
            let pages = (slot_pages as u64 * u64::from(memory.weight.max(1)) / total_weight.max(1))
                as usize;
            if pages < memory.min_pages {
                return Err(WeirError::NotEnoughManagedMemory {
                    operator: plan.nodes[node].name.clone(),
                    required_pages: memory.min_pages,
                    given_pages: pages,
                    page_bytes: memory_plan.page_size.bytes(),
                    slot_pages,
                    operators_in_slot: users.len(),
                });
            }
            shares.insert(node, pages);
        }
    }
    Ok(shares)
}

/// Spill of the blocking exchanges, summed over the job.
#[derive(Debug, Default)]
struct ExchangeSpill {
    bytes: u64,
    files: u64,
}

/// What every task of a job shares.
struct SharedJob {
    plan: Plan,
    graph: JobGraph,
    io: Arc<IoManager>,
    cancel: CancelToken,
    progress: Arc<JobProgress>,
    metrics: Vec<Vec<MetricsSlot>>,
}

/// One subtask's inputs and outputs, handed to its thread.
struct SubtaskIo {
    outputs: Vec<(usize, Arc<ResultPartition>, usize)>,
    gates: Vec<Option<(usize, InputGate)>>,
    pages: HashMap<NodeId, Vec<weir_memory::MemorySegment>>,
    source_work: Option<AnyBox>,
}

#[allow(clippy::too_many_arguments)]
fn run_region(
    job: &Arc<SharedJob>,
    region: &[usize],
    blocking: &[bool],
    network: &NetworkBufferPool,
    memory: &MemoryManager,
    page_shares: &HashMap<NodeId, usize>,
    partitions: &mut HashMap<usize, Vec<Arc<ResultPartition>>>,
    source_work: &mut HashMap<NodeId, Vec<Option<AnyBox>>>,
    exchange_spill: &mut ExchangeSpill,
) -> Result<(), WeirError> {
    let graph = &job.graph;
    // Result partitions of every edge leaving the region's vertices.
    for &vertex in region {
        for &edge_index in &graph.vertices[vertex].outputs {
            let edge = &graph.edges[edge_index];
            let producers = graph.vertices[edge.source].parallelism;
            let subpartitions = subpartitions_of(graph, edge);
            let kind = if blocking[edge_index] {
                PartitionKind::Blocking
            } else {
                PartitionKind::Pipelined
            };
            let mut list = Vec::with_capacity(producers);
            for subtask in 0..producers {
                let name = format!(
                    "{} ({}/{}) → {} [{}]",
                    graph.vertices[edge.source].name,
                    subtask + 1,
                    producers,
                    graph.vertices[edge.target].name,
                    edge.plan_edge.ship.name()
                );
                let required = subpartitions + 1;
                let pool = network.create_local_pool(
                    &name,
                    required,
                    required + PARTITION_EXTRA_BUFFERS,
                )?;
                list.push(ResultPartition::new(
                    name,
                    kind,
                    subpartitions,
                    pool,
                    Arc::clone(&job.io),
                    job.cancel.clone(),
                ));
            }
            partitions.insert(edge_index, list);
        }
    }
    // Spawn every subtask of the region.
    let mut handles: Vec<Option<TaskHandle>> = Vec::new();
    let (done, finished) = crossbeam_channel::unbounded::<usize>();
    let mut mailboxes: Vec<MailboxSender> = Vec::new();
    let mut spawn_failure = None;
    'spawn: for &vertex_index in region {
        let vertex = &graph.vertices[vertex_index];
        for subtask in 0..vertex.parallelism {
            let name = TaskName {
                vertex: vertex.name.clone(),
                subtask,
                parallelism: vertex.parallelism,
            };
            let (sender, mailbox) = Mailbox::new(
                format!("{} ({}/{})", vertex.name, subtask + 1, vertex.parallelism),
                job.cancel.clone(),
            );
            mailboxes.push(sender);
            let mailbox = Arc::new(mailbox);
            let io = match subtask_io(
                job,
                vertex_index,
                subtask,
                network,
                memory,
                page_shares,
                partitions,
                source_work,
            ) {
                Ok(io) => io,
                Err(error) => {
                    spawn_failure = Some(error);
                    break 'spawn;
                }
            };
            let job = Arc::clone(job);
            let task_name = name.clone();
            let index = handles.len();
            match spawn_task(name.clone(), index, done.clone(), move || {
                run_subtask(&job, vertex_index, subtask, io, &mailbox, &task_name)
            }) {
                Ok(handle) => handles.push(Some((name, handle))),
                Err(error) => {
                    spawn_failure = Some(error);
                    break 'spawn;
                }
            }
        }
    }
    if spawn_failure.is_some() {
        job.cancel.cancel();
    }
    drop(done);
    let root_cause = wait_for(handles, &finished, &job.cancel, &mailboxes);
    // What the exchanges this region produced spilled (final once their producers ended).
    for &vertex in region {
        for &edge_index in &graph.vertices[vertex].outputs {
            for partition in partitions.get(&edge_index).into_iter().flatten() {
                let metrics = partition.metrics();
                exchange_spill.bytes += metrics.bytes_spilled;
                exchange_spill.files += metrics.spill_files;
            }
        }
    }
    // Partitions consumed by this region are done with.
    for &vertex in region {
        for &edge_index in &graph.vertices[vertex].inputs {
            partitions.remove(&edge_index);
        }
    }
    match spawn_failure.or(root_cause) {
        Some(error) => {
            partitions.clear();
            Err(error)
        }
        None => Ok(()),
    }
}

/// Joins the task threads; on the first failure cancels the others. Returns the root cause:
/// the first failure that is not a consequence of the cancellation.
fn wait_for(
    mut handles: Vec<Option<TaskHandle>>,
    finished: &crossbeam_channel::Receiver<usize>,
    cancel: &CancelToken,
    mailboxes: &[MailboxSender],
) -> Option<WeirError> {
    let cancel_all = || {
        cancel.cancel();
        for mailbox in mailboxes {
            mailbox.send(TaskEvent::Cancel);
        }
    };
    let mut root_cause: Option<WeirError> = None;
    let mut canceled_error: Option<WeirError> = None;
    let mut running = handles.len();
    while running > 0 {
        let index = match finished.recv_timeout(CANCEL_WATCH_INTERVAL) {
            Ok(index) => index,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                // Canceled from outside (Ctrl-C): tell every task.
                if cancel.is_canceled() && root_cause.is_none() && canceled_error.is_none() {
                    cancel_all();
                    canceled_error = Some(WeirError::Canceled {
                        component: "the job".to_owned(),
                    });
                }
                continue;
            }
            // Every task thread has ended; join those that could not say so.
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                match handles.iter().position(Option::is_some) {
                    Some(index) => index,
                    None => break,
                }
            }
        };
        let Some((name, handle)) = handles[index].take() else {
            continue;
        };
        running -= 1;
        let outcome = handle.join().unwrap_or_else(|_| {
            Err(WeirError::TaskPanicked {
                task: name.vertex.clone(),
                subtask: name.subtask,
                parallelism: name.parallelism,
                message: "the task thread panicked outside its body".to_owned(),
            })
        });
        if let Err(error) = outcome {
            cancel_all();
            let is_consequence = matches!(error, WeirError::Canceled { .. });
            let error = match error {
                error @ (WeirError::UserFunction { .. }
                | WeirError::TaskPanicked { .. }
                | WeirError::Canceled { .. }) => error,
                error => WeirError::TaskFailed {
                    task: name.vertex.clone(),
                    subtask: name.subtask,
                    parallelism: name.parallelism,
                    source: Box::new(error),
                },
            };
            if is_consequence {
                canceled_error.get_or_insert(error);
            } else {
                root_cause.get_or_insert(error);
            }
        }
    }
    root_cause.or(canceled_error)
}

fn subpartitions_of(graph: &JobGraph, edge: &JobEdge) -> usize {
    if edge.plan_edge.ship == ShipStrategy::Forward {
        1
    } else {
        graph.vertices[edge.target].parallelism
    }
}

#[allow(clippy::too_many_arguments)]
fn subtask_io(
    job: &SharedJob,
    vertex_index: usize,
    subtask: usize,
    network: &NetworkBufferPool,
    memory: &MemoryManager,
    page_shares: &HashMap<NodeId, usize>,
    partitions: &HashMap<usize, Vec<Arc<ResultPartition>>>,
    source_work: &mut HashMap<NodeId, Vec<Option<AnyBox>>>,
) -> Result<SubtaskIo, WeirError> {
    let graph = &job.graph;
    let vertex = &graph.vertices[vertex_index];
    let outputs = vertex
        .outputs
        .iter()
        .map(|&edge_index| {
            let partition = Arc::clone(&partitions[&edge_index][subtask]);
            (
                edge_index,
                partition,
                subpartitions_of(graph, &graph.edges[edge_index]),
            )
        })
        .collect();
    let mut gates = Vec::new();
    for input in 0..2 {
        let edges: Vec<usize> = vertex
            .inputs
            .iter()
            .copied()
            .filter(|&edge_index| graph.edges[edge_index].plan_edge.input == input)
            .collect();
        if edges.is_empty() {
            gates.push(None);
            continue;
        }
        let mut channels = Vec::new();
        for &edge_index in &edges {
            let edge = &graph.edges[edge_index];
            let producers = &partitions[&edge_index];
            if edge.plan_edge.ship == ShipStrategy::Forward {
                channels.push((Arc::clone(&producers[subtask]), 0));
            } else {
                channels.extend(
                    producers
                        .iter()
                        .map(|partition| (Arc::clone(partition), subtask)),
                );
            }
        }
        let name = format!(
            "{} ({}/{}) input {}",
            vertex.name,
            subtask + 1,
            vertex.parallelism,
            input + 1
        );
        let pool = network.create_local_pool(&name, GATE_REQUIRED_BUFFERS, GATE_MAX_BUFFERS)?;
        gates.push(Some((
            edges[0],
            InputGate::new(name, channels, pool, job.cancel.clone())?,
        )));
    }
    let reservation = memory.reservation(format!(
        "{} ({}/{})",
        vertex.name,
        subtask + 1,
        vertex.parallelism
    ));
    let mut pages = HashMap::new();
    for &node in &vertex.chain {
        if let Some(&count) = page_shares.get(&node) {
            pages.insert(node, reservation.allocate_pages(count)?);
        }
    }
    let source_work = match &job.plan.nodes[vertex.head()].operator {
        NodeOperator::Source(_) => source_work
            .get_mut(&vertex.head())
            .and_then(|work| work.get_mut(subtask))
            .and_then(Option::take),
        _ => None,
    };
    Ok(SubtaskIo {
        outputs,
        gates,
        pages,
        source_work,
    })
}

fn run_subtask(
    job: &SharedJob,
    vertex_index: usize,
    subtask: usize,
    mut io: SubtaskIo,
    mailbox: &Arc<Mailbox>,
    name: &TaskName,
) -> Result<(), WeirError> {
    let outputs: Vec<Arc<ResultPartition>> = io
        .outputs
        .iter()
        .map(|(_, partition, _)| Arc::clone(partition))
        .collect();
    let outcome = run_chain(job, vertex_index, subtask, &mut io, mailbox);
    if let Err(error) = &outcome {
        for partition in &outputs {
            partition.fail(format!(
                "{} ({}/{}) failed: {error}",
                name.vertex,
                subtask + 1,
                name.parallelism
            ));
        }
    }
    outcome
}

fn run_chain(
    job: &SharedJob,
    vertex_index: usize,
    subtask: usize,
    io: &mut SubtaskIo,
    mailbox: &Arc<Mailbox>,
) -> Result<(), WeirError> {
    let plan = &job.plan;
    let graph = &job.graph;
    let vertex = &graph.vertices[vertex_index];
    let tail = &plan.nodes[vertex.tail()];
    let mut targets = Vec::new();
    for (edge_index, partition, subpartitions) in io.outputs.drain(..) {
        let edge = &graph.edges[edge_index];
        targets.push(edge.plan_edge.exchange.writer(
            partition,
            subpartitions,
            subtask,
            &tail.name,
        )?);
    }
    let mut downstream = tail
        .output
        .fan_out(targets, Arc::clone(&job.metrics[vertex.tail()][subtask]));
    let context_for = |node: NodeId, pages: Vec<weir_memory::MemorySegment>| {
        OperatorContext::new(
            RuntimeContext {
                operator_name: plan.nodes[node].name.clone(),
                subtask_index: subtask,
                parallelism: plan.nodes[node].parallelism,
            },
            Arc::clone(&job.io),
            Arc::clone(mailbox),
            Arc::clone(&job.progress),
            pages,
            Arc::clone(&job.metrics[node][subtask]),
        )
    };
    for &node in vertex.chain.iter().skip(1).rev() {
        let NodeOperator::OneInput(operator) = &plan.nodes[node].operator else {
            unreachable!("only one-input operators are chained");
        };
        let mut context = context_for(node, io.pages.remove(&node).unwrap_or_default());
        downstream = operator.create(&mut context, downstream)?;
    }
    let head = vertex.head();
    let mut context = context_for(head, io.pages.remove(&head).unwrap_or_default());
    let mut reader = |input: usize| -> Option<AnyBox> {
        io.gates[input]
            .take()
            .map(|(edge_index, gate)| graph.edges[edge_index].plan_edge.exchange.reader(gate))
    };
    match &plan.nodes[head].operator {
        NodeOperator::Source(source) => {
            let work = io
                .source_work
                .take()
                .expect("planned work for every source subtask");
            source.run(&mut context, work, downstream)
        }
        NodeOperator::OneInput(operator) => {
            let input = reader(0).expect("a one-input head has an input");
            let collector = operator.create(&mut context, downstream)?;
            operator.pump(&context, input, collector)
        }
        NodeOperator::TwoInput(operator) => {
            let first = reader(0).expect("a two-input head has a first input");
            let second = reader(1).expect("a two-input head has a second input");
            operator.run(&mut context, first, second, downstream)
        }
    }
}

fn operators_metrics(metrics: &[Vec<MetricsSlot>], node: NodeId) -> OperatorMetrics {
    let mut total = OperatorMetrics::default();
    for slot in &metrics[node] {
        let m = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        total.pages_reserved += m.pages_reserved;
        total.peak_pages_used += m.peak_pages_used;
        total.records_in += m.records_in;
        total.records_out += m.records_out;
        total.bytes_spilled += m.bytes_spilled;
        total.spill_files += m.spill_files;
        total.merge_passes += m.merge_passes;
        total.recursion_depth = total.recursion_depth.max(m.recursion_depth);
        total.sort_merge_fallbacks += m.sort_merge_fallbacks;
        total.nested_loop_fallbacks += m.nested_loop_fallbacks;
        total.bloom_filtered_records += m.bloom_filtered_records;
    }
    total
}

/// Per-operator figures; records out of a node are the records into its consumers (for a
/// chained node, the next node of its chain).
fn summarize(plan: &Plan, graph: &JobGraph, metrics: &[Vec<MetricsSlot>]) -> Vec<OperatorSummary> {
    let mut summaries: Vec<OperatorSummary> = Vec::new();
    for vertex in &graph.vertices {
        for (position, &node) in vertex.chain.iter().enumerate() {
            let mut m = operators_metrics(metrics, node);
            if let Some(&next) = vertex.chain.get(position + 1) {
                m.records_out = operators_metrics(metrics, next).records_in;
            }
            summaries.push(OperatorSummary {
                name: plan.nodes[node].name.clone(),
                parallelism: plan.nodes[node].parallelism,
                metrics: m,
            });
        }
    }
    summaries
}

/// Samples this process's resident memory while a job runs.
pub(crate) fn start_rss_sampler() -> ResidentSetSampler {
    ResidentSetSampler::start(Duration::from_millis(20))
}
