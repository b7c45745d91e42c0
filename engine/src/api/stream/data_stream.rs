//! [`DataStream`]: a handle to one operator's output (or side output) in a streaming program,
//! with the transformations that add operators after it.
//!
//! A `DataStream` also remembers how the *next* operator reads it: `rebalance()`,
//! `rescale()`, `broadcast()`, `global()`, `forward()` and `partition_custom()` return the
//! same stream with that partitioning (Flink's virtual partition nodes); by default the next
//! operator is chained when it has the same parallelism and reads round robin otherwise.
//! Methods that configure an operator (`name`, `uid`, `set_parallelism`, `disable_chaining`,
//! `start_new_chain`) apply to the operator this stream comes from.

use std::fmt::Display;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::api::data::Data;
use crate::api::functions::{FilterClosure, FilterFunction, MapClosure, MapFunction};
use crate::api::stream::keyed_stream::KeyedStream;
use crate::api::stream::node_factories::{OperatorFn, runtime_context};
use crate::api::stream::output_tag::OutputTag;
use crate::api::stream::process_function::{
    ProcessClosure, ProcessContext, ProcessFunction, ProcessLink,
};
use crate::api::stream::stream_execution_environment::StreamExecutionEnvironment;
use crate::connectors::stream::{RecordEncoder, RollingPolicy, file_sink_operator};
use crate::eventtime::{WatermarkStrategy, timestamps_and_watermarks_operator};
use crate::graph::stream_graph::{
    StreamEdge, StreamNode, StreamNodeId, StreamOperatorKind, StreamPartitioning,
};
use crate::runtime::stream::chain_link::{ChainLink, OperatorSetup};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::operators::collect_sink::{
    CollectSink, CollectedRecords, SharedCollected,
};
use crate::runtime::stream::operators::counting_sink::CountingSink;
use crate::runtime::stream::operators::print_sink::PrintSink;
use crate::runtime::stream::operators::record_function_link::{
    Filtering, FlatMapClosure, FlatMapFunction, FlatMapping, Mapping, RecordFunctionLink,
};
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::runtime::stream::stream_partitioner::{CustomPartitioner, StreamPartitioner};
use crate::runtime::stream::tee_link::DiscardLink;
use crate::runtime::stream::typed_glue::{TypedExchange, TypedOutput, link_box, unbox_link};
use crate::state::StateKey;
use crate::state::key_group::KEY_GROUP_HASH_SEED;
use crate::types::TypeComparator;

/// How the next operator reads a stream (see the module docs).
pub(crate) struct Partitioning<T> {
    pub(crate) kind: StreamPartitioning,
    pub(crate) partitioner: StreamPartitioner<T>,
}

impl<T> Clone for Partitioning<T> {
    fn clone(&self) -> Self {
        Partitioning {
            kind: self.kind.clone(),
            partitioner: self.partitioner.clone(),
        }
    }
}

/// See the module docs.
pub struct DataStream<T> {
    pub(crate) env: StreamExecutionEnvironment,
    pub(crate) node: StreamNodeId,
    pub(crate) side_output: Option<String>,
    pub(crate) partitioning: Partitioning<T>,
}

impl<T> Clone for DataStream<T> {
    fn clone(&self) -> Self {
        DataStream {
            env: self.env.clone(),
            node: self.node,
            side_output: self.side_output.clone(),
            partitioning: self.partitioning.clone(),
        }
    }
}

impl<T> std::fmt::Debug for DataStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataStream")
            .field("node", &self.node)
            .field("side_output", &self.side_output)
            .field("partitioning", &self.partitioning.kind.name())
            .finish()
    }
}

/// The results of [`DataStream::collect_sink`], filled while the job runs and complete once
/// `execute` returned.
#[derive(Debug, Clone)]
pub struct CollectedStream<T> {
    records: SharedCollected<T>,
}

impl<T: Clone> CollectedStream<T> {
    /// The records committed so far (all of them after `execute`).
    pub fn records(&self) -> Vec<T> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .records()
    }
}

impl<T: Data> DataStream<T> {
    pub(crate) fn new(env: StreamExecutionEnvironment, node: StreamNodeId) -> DataStream<T> {
        DataStream {
            env,
            node,
            side_output: None,
            partitioning: Partitioning {
                kind: StreamPartitioning::Default,
                partitioner: StreamPartitioner::Forward,
            },
        }
    }

    /// The environment this stream belongs to.
    pub fn env(&self) -> &StreamExecutionEnvironment {
        &self.env
    }

    fn with_node<R>(&self, body: impl FnOnce(&mut StreamNode) -> R) -> R {
        let mut state = self.env.state.borrow_mut();
        body(&mut state.graph.nodes[self.node])
    }

    // ---- configuring the operator this stream comes from ----

    /// Names the operator (shown in errors, metrics and thread names).
    pub fn name(self, name: &str) -> Self {
        self.with_node(|node| node.name = name.to_owned());
        self
    }

    /// The operator's stable id: its state is found by it when a job restarts from a
    /// checkpoint or savepoint, also after the program changed.
    pub fn uid(self, uid: &str) -> Self {
        self.with_node(|node| node.uid = Some(uid.to_owned()));
        self
    }

    /// The operator's parallelism.
    pub fn set_parallelism(self, parallelism: usize) -> Self {
        self.with_node(|node| node.parallelism = parallelism.max(1));
        self
    }

    /// The operator neither chains to its input nor lets its consumers chain to it.
    pub fn disable_chaining(self) -> Self {
        self.with_node(|node| {
            node.chain_to_input = false;
            node.chain_from_here = true;
        });
        self
    }

    /// The operator begins a new chain (its consumers may still chain to it).
    pub fn start_new_chain(self) -> Self {
        self.with_node(|node| node.chain_to_input = false);
        self
    }

    // ---- partitioning of the next operator's input ----

    fn partitioned(mut self, kind: StreamPartitioning, partitioner: StreamPartitioner<T>) -> Self {
        self.partitioning = Partitioning { kind, partitioner };
        self
    }

    /// Round robin over all subtasks of the next operator.
    pub fn rebalance(self) -> Self {
        self.partitioned(StreamPartitioning::Rebalance, StreamPartitioner::Rebalance)
    }

    /// Round robin over a slice of the next operator's subtasks (cheaper than rebalance
    /// between parallelisms that are multiples).
    pub fn rescale(self) -> Self {
        self.partitioned(StreamPartitioning::Rescale, StreamPartitioner::Rescale)
    }

    /// Every record to every subtask of the next operator.
    pub fn broadcast(self) -> Self {
        self.partitioned(StreamPartitioning::Broadcast, StreamPartitioner::Broadcast)
    }

    /// Everything to the first subtask of the next operator.
    pub fn global(self) -> Self {
        self.partitioned(StreamPartitioning::Global, StreamPartitioner::Global)
    }

    /// Subtask i to subtask i; the next operator must have the same parallelism.
    pub fn forward(self) -> Self {
        self.partitioned(StreamPartitioning::Forward, StreamPartitioner::Forward)
    }

    /// `partitioner(key, subtasks)` picks the subtask of each record's key.
    pub fn partition_custom<K, P, F>(self, partitioner: P, key: F) -> Self
    where
        P: Fn(&K, usize) -> usize + Send + Sync + 'static,
        F: Fn(&T) -> K + Send + Sync + 'static,
    {
        let custom: CustomPartitioner<T> =
            Arc::new(move |record: &T, subtasks| partitioner(&key(record), subtasks));
        self.partitioned(
            StreamPartitioning::Custom,
            StreamPartitioner::Custom(custom),
        )
    }

    /// Partitions by `key`: records with equal keys go to the same subtask, where keyed state
    /// and timers are kept per key (Flink's `keyBy`).
    pub fn key_by<K, F>(&self, key: F) -> KeyedStream<K, T>
    where
        K: StateKey,
        F: Fn(&T) -> K + Clone + Send + Sync + 'static,
    {
        let comparator = K::comparator();
        let hash_key = key.clone();
        let key_hash =
            Arc::new(move |record: &T| comparator.hash(&hash_key(record), KEY_GROUP_HASH_SEED));
        let stream = self.clone().partitioned(
            StreamPartitioning::Hash,
            StreamPartitioner::KeyGroups(key_hash),
        );
        KeyedStream::new(stream, Arc::new(key))
    }

    // ---- adding operators ----

    /// Adds an operator reading this stream; `create` builds it for one subtask.
    pub(crate) fn add_operator<Out: Data>(
        &self,
        name: &str,
        factory: OperatorFn,
        is_sink: bool,
    ) -> DataStream<Out> {
        let parallelism = self.env.parallelism();
        let edge = StreamEdge {
            source: self.node,
            side_output: self.side_output.clone(),
            partitioning: self.partitioning.kind.clone(),
            exchange: TypedExchange::new(self.partitioning.partitioner.clone()),
        };
        let node = StreamNode {
            name: name.to_owned(),
            uid: None,
            parallelism,
            inputs: vec![edge],
            operator: StreamOperatorKind::OneInput(Arc::new(factory)),
            output: TypedOutput::<Out>::new(),
            side_output_types: Vec::new(),
            chain_to_input: true,
            chain_from_here: false,
            is_sink,
            is_union: false,
        };
        let id = self.env.state.borrow_mut().graph.add(node);
        DataStream::new(self.env.clone(), id)
    }

    /// Applies `function` to every record.
    pub fn map<U: Data, F>(&self, function: F) -> DataStream<U>
    where
        F: FnMut(T) -> U + Clone + Send + Sync + 'static,
    {
        self.map_with(MapClosure(function)).name("Map")
    }

    /// [`DataStream::map`] with a struct implementing [`MapFunction`] (open/close hooks).
    pub fn map_with<U: Data, F: MapFunction<T, U>>(&self, function: F) -> DataStream<U> {
        self.add_operator(
            "Map",
            OperatorFn::new(move |setup, output, _side| {
                let link = RecordFunctionLink::open(
                    Mapping(function.clone()),
                    runtime_context(setup),
                    unbox_link(output),
                )?;
                Ok(link_box::<T>(Box::new(link)))
            }),
            false,
        )
    }

    /// Emits zero or more records for every record: `|value, out| out.collect(...)`.
    pub fn flat_map<U: Data, F>(&self, function: F) -> DataStream<U>
    where
        F: FnMut(T, &mut StreamCollector<'_, U>) + Clone + Send + Sync + 'static,
    {
        self.flat_map_with(FlatMapClosure(function)).name("FlatMap")
    }

    /// [`DataStream::flat_map`] with a struct implementing [`FlatMapFunction`].
    pub fn flat_map_with<U: Data, F: FlatMapFunction<T, U>>(&self, function: F) -> DataStream<U> {
        self.add_operator(
            "FlatMap",
            OperatorFn::new(move |setup, output, _side| {
                let link = RecordFunctionLink::open(
                    FlatMapping(function.clone()),
                    runtime_context(setup),
                    unbox_link(output),
                )?;
                Ok(link_box::<T>(Box::new(link)))
            }),
            false,
        )
    }

    /// Keeps the records `function` accepts.
    pub fn filter<F>(&self, function: F) -> DataStream<T>
    where
        F: FnMut(&T) -> bool + Clone + Send + Sync + 'static,
    {
        self.filter_with(FilterClosure(function)).name("Filter")
    }

    /// [`DataStream::filter`] with a struct implementing [`FilterFunction`].
    pub fn filter_with<F: FilterFunction<T>>(&self, function: F) -> DataStream<T> {
        self.add_operator(
            "Filter",
            OperatorFn::new(move |setup, output, _side| {
                let link = RecordFunctionLink::open(
                    Filtering(function.clone()),
                    runtime_context(setup),
                    unbox_link(output),
                )?;
                Ok(link_box::<T>(Box::new(link)))
            }),
            false,
        )
    }

    /// Runs `function(value, context, out)` on every record (side outputs through the
    /// context).
    pub fn process<U: Data, F>(&self, function: F) -> DataStream<U>
    where
        F: FnMut(T, &mut ProcessContext<'_>, &mut StreamCollector<'_, U>)
            + Clone
            + Send
            + Sync
            + 'static,
    {
        self.process_with(ProcessClosure(function))
    }

    /// Runs a [`ProcessFunction`] on every record (side outputs through its context).
    pub fn process_with<U: Data, F: ProcessFunction<T, U>>(&self, function: F) -> DataStream<U> {
        self.add_operator(
            "Process",
            OperatorFn::new(move |setup, output, side| {
                let link = ProcessLink::open(
                    function.clone(),
                    runtime_context(setup),
                    Downstream::from_factory(output, side),
                )?;
                Ok(link_box::<T>(Box::new(link)))
            }),
            false,
        )
    }

    /// Assigns timestamps and generates watermarks mid-stream (Flink's
    /// `assignTimestampsAndWatermarks`); watermarks from upstream are dropped.
    pub fn assign_timestamps_and_watermarks(
        &self,
        strategy: WatermarkStrategy<T>,
    ) -> DataStream<T> {
        self.add_operator(
            "Timestamps/Watermarks",
            OperatorFn::new(move |setup, output, _side| {
                Ok(link_box::<T>(timestamps_and_watermarks_operator(
                    setup,
                    strategy.clone(),
                    unbox_link(output),
                )))
            }),
            false,
        )
    }

    /// This stream and `others` as one (same record type). A forward read of the union is
    /// chained to a pass-through of its inputs; a partitioned read (`key_by`, `rebalance`, …)
    /// reads the inputs directly (see `StreamGraph::with_unions_resolved`), as Flink's
    /// virtual union does.
    pub fn union(&self, others: &[DataStream<T>]) -> DataStream<T> {
        let mut inputs = vec![self.clone()];
        inputs.extend(others.iter().cloned());
        let parallelism = self.env.parallelism();
        let edges = inputs
            .iter()
            .map(|input| StreamEdge {
                source: input.node,
                side_output: input.side_output.clone(),
                partitioning: match input.partitioning.kind {
                    // Forwarding is per input; a union reads round robin unless asked otherwise.
                    StreamPartitioning::Default => StreamPartitioning::Rebalance,
                    ref other => other.clone(),
                },
                exchange: TypedExchange::new(match input.partitioning.kind {
                    StreamPartitioning::Default => StreamPartitioner::Rebalance,
                    _ => input.partitioning.partitioner.clone(),
                }),
            })
            .collect();
        // A pass-through operator reads every input and forwards what it gets; partitioned
        // reads of it are resolved to its inputs when the job is built.
        let node = StreamNode {
            name: "Union".to_owned(),
            uid: None,
            parallelism,
            inputs: edges,
            operator: StreamOperatorKind::OneInput(Arc::new(OperatorFn::new(
                |_setup, output, _side| Ok(link_box::<T>(unbox_link::<T>(output))),
            ))),
            output: TypedOutput::<T>::new(),
            side_output_types: Vec::new(),
            chain_to_input: false,
            chain_from_here: false,
            is_sink: false,
            is_union: true,
        };
        let id = self.env.state.borrow_mut().graph.add(node);
        DataStream::new(self.env.clone(), id)
    }

    /// The records the operator of this stream emitted to `tag`.
    pub fn get_side_output<X: Data>(&self, tag: &OutputTag<X>) -> DataStream<X> {
        self.with_node(|node| {
            if !node.side_output_types.iter().any(|(id, _)| id == tag.id()) {
                node.side_output_types
                    .push((tag.id().to_owned(), TypedOutput::<X>::new()));
            }
        });
        let mut stream = DataStream::new(self.env.clone(), self.node);
        stream.side_output = Some(tag.id().to_owned());
        stream
    }

    // ---- sinks ----

    /// Adds a sink built by `create` for each subtask.
    pub(crate) fn add_sink_operator(&self, name: &str, factory: OperatorFn) -> DataStream<()> {
        self.add_operator::<()>(name, factory, true)
    }

    /// Prints each record's `Display` form on a line of stdout (`n> ` in front when the sink
    /// runs in parallel). At least once: records replayed after a restart print again.
    pub fn print(&self) -> DataStream<()>
    where
        T: Display,
    {
        self.add_sink_operator(
            "Print to Std. Out",
            OperatorFn::new(|setup, _output, _side| {
                let sink = PrintSink::new(setup.subtask, setup.parallelism);
                Ok(link_box::<T>(counted(sink, setup)))
            }),
        )
    }

    /// Collects the records into the program, exactly once (see [`CollectedStream`]).
    pub fn collect_sink(&self) -> CollectedStream<T> {
        let records: SharedCollected<T> = Arc::new(Mutex::new(CollectedRecords::default()));
        let shared = Arc::clone(&records);
        self.add_sink_operator(
            "Collect Sink",
            OperatorFn::new(move |setup, _output, _side| {
                let sink = CollectSink::new(setup, Arc::clone(&shared))?;
                Ok(link_box::<T>(counted(sink, setup)))
            }),
        );
        CollectedStream { records }
    }

    /// Writes lines made by `encode` into rolling part files under `path`, exactly once with
    /// checkpointing (two-phase commit: part files become visible when the checkpoint that
    /// covers them completes, or at the end of a bounded job).
    pub fn sink_to_files<F>(&self, path: &str, encode: F, rolling: RollingPolicy) -> DataStream<()>
    where
        F: Fn(&T, &mut Vec<u8>) + Send + Sync + 'static,
    {
        let base = PathBuf::from(path);
        let encoder: RecordEncoder<T> = Arc::new(encode);
        self.add_sink_operator(
            "File Sink",
            OperatorFn::new(move |setup, _output, _side| {
                // Always two-phase: without checkpoints the final commit at the end of the input
                // publishes everything.
                let sink = file_sink_operator(setup, &base, Arc::clone(&encoder), rolling, true)?;
                Ok(link_box::<T>(counted(sink, setup)))
            }),
        )
    }

    /// Each record's `Display` form as a line, into rolling part files under `path`.
    pub fn write_as_text(&self, path: &str) -> DataStream<()>
    where
        T: Display,
    {
        self.sink_to_files(
            path,
            |record, out| {
                use std::io::Write;
                let _ = writeln!(out, "{record}");
            },
            RollingPolicy::default(),
        )
        .name("Text File Sink")
    }

    /// Drops every record (a sink for benchmarks and tests).
    pub fn discard(&self) -> DataStream<()> {
        self.add_sink_operator(
            "Discarding Sink",
            OperatorFn::new(|setup, _output, _side| Ok(link_box::<T>(counted(DiscardLink, setup)))),
        )
    }
}

/// `sink` counting its records into the job's progress, boxed as the link of its input.
fn counted<T: 'static, L: ChainLink<T> + 'static>(
    sink: L,
    setup: &OperatorSetup,
) -> Box<dyn ChainLink<T>> {
    Box::new(CountingSink::new(sink, &setup.progress))
}
