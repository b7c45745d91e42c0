//! [`DataSet`]: a handle to one operator of a batch program, with the transformations and
//! sinks of Flink's DataSet API.

use std::fmt::Display;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::api::data::{Data, Key};
use crate::api::execution_environment::ExecutionEnvironment;
use crate::api::functions::{
    CoGroupClosure, CoGroupFunction, CrossClosure, CrossFunction, FilterClosure, FilterFunction,
    FlatMapClosure, FlatMapFunction, Group, MapClosure, MapFunction, MapPartitionClosure,
    MapPartitionFunction,
};
use crate::api::grouping::Grouping;
use crate::api::join::JoinOperator;
use crate::config::options::{ALWAYS_CREATE_DIRECTORY, OVERWRITE_FILES};
use crate::connectors::{ToCsvRecord, WriteMode};
use crate::error::WeirError;
use crate::graph::plan::{MemoryUse, NodeId, NodeOperator, PlanEdge, PlanNode, ShipStrategy};
use crate::operators::join::JoinType;
use crate::operators::sort::MIN_EXTERNAL_SORTER_PAGES;
use crate::runtime::collector::{Collector, Output};
use crate::runtime::drivers::co_group_driver::{MIN_CO_GROUP_PAGES, run_co_group};
use crate::runtime::drivers::cross_driver::{MIN_CROSS_PAGES, run_cross};
use crate::runtime::drivers::erased::{OneInput, TwoInput, TypedExchange, TypedOutput};
use crate::runtime::drivers::key_groups::KeyFn;
use crate::runtime::drivers::map_partition::MapPartitionDriver;
use crate::runtime::drivers::record_functions::{
    Filtering, FlatMapping, Mapping, RecordFunctionDriver,
};
use crate::runtime::drivers::sinks::{CollectSinkNode, FileSinkConfig, FileSinkNode, FormatLine};
use crate::runtime::drivers::sorted_group_reduce::{FirstN, SortPartition};
use crate::runtime::partitioner::{PARTITION_SEED, Partitioner};
use crate::runtime::range_boundaries::{RangeBoundaries, RangeSampler};
use crate::types::{ComputedKeyComparator, Order, TypeComparator};

/// A bounded collection of records of type `T`, defined by the operators that produce it.
pub struct DataSet<T> {
    pub(crate) env: ExecutionEnvironment,
    pub(crate) node: NodeId,
    record: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for DataSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSet")
            .field("node", &self.node)
            .field("record", &std::any::type_name::<T>())
            .finish()
    }
}

impl<T> Clone for DataSet<T> {
    fn clone(&self) -> Self {
        DataSet {
            env: self.env.clone(),
            node: self.node,
            record: PhantomData,
        }
    }
}

/// Memory of an operator with one sort or hash table.
pub(crate) fn memory_use(min_pages: usize) -> Option<MemoryUse> {
    Some(MemoryUse {
        weight: 1,
        min_pages,
    })
}

/// A hash partitioner on a key.
pub(crate) fn hash_partitioner<T: 'static, K: Key>(key: &KeyFn<T, K>) -> Partitioner<T> {
    let key = Arc::clone(key);
    let comparator = K::comparator();
    Partitioner::Hash(Arc::new(move |record: &T| {
        comparator.hash(&key(record), PARTITION_SEED)
    }))
}

impl<T: Data> DataSet<T> {
    pub(crate) fn from_node(env: ExecutionEnvironment, node: NodeId) -> DataSet<T> {
        DataSet {
            env,
            node,
            record: PhantomData,
        }
    }

    pub(crate) fn parallelism_of_node(&self) -> usize {
        self.env.state.borrow().plan.nodes[self.node].parallelism
    }

    pub(crate) fn estimated_bytes(&self) -> Option<u64> {
        self.env.state.borrow().plan.nodes[self.node].estimated_bytes
    }

    /// An edge from this data set into input `input` of a new node.
    pub(crate) fn edge(
        &self,
        input: usize,
        ship: ShipStrategy,
        partitioner: Partitioner<T>,
    ) -> PlanEdge {
        PlanEdge {
            source: self.node,
            input,
            ship,
            exchange: TypedExchange::new(partitioner),
            force_blocking: false,
        }
    }

    /// A forward edge when `parallelism` equals this data set's, else a rebalancing one.
    pub(crate) fn forward_edge(&self, input: usize, parallelism: usize) -> PlanEdge {
        if parallelism == self.parallelism_of_node() {
            self.edge(input, ShipStrategy::Forward, Partitioner::Forward)
        } else {
            self.edge(input, ShipStrategy::Rebalance, Partitioner::Rebalance)
        }
    }

    /// Adds a one-input node reading this data set through `edge`.
    pub(crate) fn one_input<U: Data>(
        &self,
        name: String,
        parallelism: usize,
        edge: PlanEdge,
        operator: Arc<OneInput<T, U>>,
        memory: Option<MemoryUse>,
        estimated_bytes: Option<u64>,
    ) -> DataSet<U> {
        let node = self.env.add_node(PlanNode {
            name,
            parallelism,
            inputs: vec![edge],
            operator: NodeOperator::OneInput(operator),
            output: TypedOutput::<U>::new(),
            memory,
            estimated_bytes,
            is_sink: false,
        });
        DataSet::from_node(self.env.clone(), node)
    }

    /// Adds a one-input node chained after this data set (forward, same parallelism).
    fn chained<U: Data>(
        &self,
        name: &str,
        operator: Arc<OneInput<T, U>>,
        memory: Option<MemoryUse>,
        estimated_bytes: Option<u64>,
    ) -> DataSet<U> {
        let parallelism = self.parallelism_of_node();
        let edge = self.forward_edge(0, parallelism);
        self.one_input(
            name.to_owned(),
            parallelism,
            edge,
            operator,
            memory,
            estimated_bytes,
        )
    }

    /// Names the operator that produces this data set (shown in errors and metrics).
    pub fn name(self, name: &str) -> DataSet<T> {
        self.env.state.borrow_mut().plan.nodes[self.node].name = name.to_owned();
        self
    }

    /// Sets the parallelism of the operator that produces this data set.
    pub fn set_parallelism(self, parallelism: usize) -> DataSet<T> {
        let parallelism = parallelism.max(1);
        let mut state = self.env.state.borrow_mut();
        let is_source = matches!(
            state.plan.nodes[self.node].operator,
            NodeOperator::Source(_)
        );
        let inputs: Vec<usize> = state.plan.nodes[self.node]
            .inputs
            .iter()
            .map(|e| e.source)
            .collect();
        let one_forward_input = inputs.len() == 1
            && state.plan.nodes[self.node].inputs[0].ship == ShipStrategy::Forward;
        if !is_source
            && !one_forward_input
            && !matches!(
                state.plan.nodes[self.node].operator,
                NodeOperator::OneInput(_)
            )
        {
            let problem = format!(
                "set_parallelism({parallelism}) on {}: only sources and one-input operators can change their parallelism",
                state.plan.nodes[self.node].name
            );
            state.problems.push(problem);
        }
        state.plan.nodes[self.node].parallelism = parallelism;
        drop(state);
        self
    }

    /// `map` on every record.
    pub fn map<U: Data, F>(&self, function: F) -> DataSet<U>
    where
        F: FnMut(T) -> U + Clone + Send + Sync + 'static,
    {
        self.map_with(MapClosure(function)).name("Map")
    }

    /// `map` with a function struct (open/close hooks).
    pub fn map_with<U: Data, F: MapFunction<T, U>>(&self, function: F) -> DataSet<U> {
        let operator = OneInput::new(move |context, out| {
            Ok(Box::new(RecordFunctionDriver::open(
                Mapping(function.clone()),
                context.runtime(),
                out,
            )?) as Box<dyn Collector<T>>)
        });
        let estimate = self.estimated_bytes();
        self.chained("Map", operator, None, estimate)
    }

    /// Any number of records per record: `flat_map(|line, out| out.emit(..))`.
    pub fn flat_map<U: Data, F>(&self, function: F) -> DataSet<U>
    where
        F: FnMut(T, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
    {
        self.flat_map_with(FlatMapClosure(function)).name("FlatMap")
    }

    pub fn flat_map_with<U: Data, F: FlatMapFunction<T, U>>(&self, function: F) -> DataSet<U> {
        let operator = OneInput::new(move |context, out| {
            Ok(Box::new(RecordFunctionDriver::open(
                FlatMapping(function.clone()),
                context.runtime(),
                out,
            )?) as Box<dyn Collector<T>>)
        });
        let estimate = self.estimated_bytes();
        self.chained("FlatMap", operator, None, estimate)
    }

    /// The records `function` returns true for.
    pub fn filter<F>(&self, function: F) -> DataSet<T>
    where
        F: FnMut(&T) -> bool + Clone + Send + Sync + 'static,
    {
        self.filter_with(FilterClosure(function)).name("Filter")
    }

    pub fn filter_with<F: FilterFunction<T>>(&self, function: F) -> DataSet<T> {
        let operator = OneInput::new(move |context, out| {
            Ok(Box::new(RecordFunctionDriver::open(
                Filtering(function.clone()),
                context.runtime(),
                out,
            )?) as Box<dyn Collector<T>>)
        });
        let estimate = self.estimated_bytes();
        self.chained("Filter", operator, None, estimate)
    }

    /// The whole partition of each subtask as one iterator.
    pub fn map_partition<U: Data, F>(&self, function: F) -> DataSet<U>
    where
        F: FnMut(&mut Group<'_, T>, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
    {
        self.map_partition_with(MapPartitionClosure(function))
            .name("MapPartition")
    }

    pub fn map_partition_with<U: Data, F: MapPartitionFunction<T, U>>(
        &self,
        function: F,
    ) -> DataSet<U> {
        let operator = OneInput::new(move |context, out| {
            Ok(Box::new(MapPartitionDriver::open(
                function.clone(),
                context.runtime(),
                out,
            )?) as Box<dyn Collector<T>>)
        });
        self.chained("MapPartition", operator, None, None)
    }

    /// Groups records by `key` for a group-wise transformation.
    pub fn group_by<K: Key, F>(&self, key: F) -> Grouping<T, K>
    where
        F: Fn(&T) -> K + Send + Sync + 'static,
    {
        Grouping::new(self.clone(), Arc::new(key))
    }

    /// Every distinct record once.
    pub fn distinct(&self) -> DataSet<T>
    where
        T: Key,
    {
        self.distinct_by(|record: &T| record.clone())
            .name("Distinct")
    }

    /// One record (the first one seen) per distinct `key`.
    pub fn distinct_by<K: Key, F>(&self, key: F) -> DataSet<T>
    where
        F: Fn(&T) -> K + Send + Sync + 'static,
    {
        self.group_by(key).reduce(|first, _| first).name("Distinct")
    }

    /// A join of `join_type` of this data set (left) and `other` (right) on equal keys.
    pub fn join_of_type<R: Data, K: Key>(
        &self,
        other: &DataSet<R>,
        join_type: JoinType,
        left_key: impl Fn(&T) -> K + Send + Sync + 'static,
        right_key: impl Fn(&R) -> K + Send + Sync + 'static,
    ) -> JoinOperator<T, R, K> {
        JoinOperator::new(
            self.clone(),
            other.clone(),
            join_type,
            Arc::new(left_key),
            Arc::new(right_key),
        )
    }

    /// Records of this and `other` with equal keys, joined by an inner join.
    pub fn join<R: Data, K: Key>(
        &self,
        other: &DataSet<R>,
        left_key: impl Fn(&T) -> K + Send + Sync + 'static,
        right_key: impl Fn(&R) -> K + Send + Sync + 'static,
    ) -> JoinOperator<T, R, K> {
        self.join_of_type(other, JoinType::Inner, left_key, right_key)
    }

    /// A left outer join: every record of this data set, with its matches or alone.
    pub fn left_outer_join<R: Data, K: Key>(
        &self,
        other: &DataSet<R>,
        left_key: impl Fn(&T) -> K + Send + Sync + 'static,
        right_key: impl Fn(&R) -> K + Send + Sync + 'static,
    ) -> JoinOperator<T, R, K> {
        self.join_of_type(other, JoinType::LeftOuter, left_key, right_key)
    }

    /// A right outer join: every record of `other`, with its matches or alone.
    pub fn right_outer_join<R: Data, K: Key>(
        &self,
        other: &DataSet<R>,
        left_key: impl Fn(&T) -> K + Send + Sync + 'static,
        right_key: impl Fn(&R) -> K + Send + Sync + 'static,
    ) -> JoinOperator<T, R, K> {
        self.join_of_type(other, JoinType::RightOuter, left_key, right_key)
    }

    /// A full outer join: every record of both sides, with matches or alone.
    pub fn full_outer_join<R: Data, K: Key>(
        &self,
        other: &DataSet<R>,
        left_key: impl Fn(&T) -> K + Send + Sync + 'static,
        right_key: impl Fn(&R) -> K + Send + Sync + 'static,
    ) -> JoinOperator<T, R, K> {
        self.join_of_type(other, JoinType::FullOuter, left_key, right_key)
    }

    /// For every key on either side, the group of records of each side with that key.
    pub fn co_group<R: Data, K: Key, U: Data, F>(
        &self,
        other: &DataSet<R>,
        left_key: impl Fn(&T) -> K + Send + Sync + 'static,
        right_key: impl Fn(&R) -> K + Send + Sync + 'static,
        function: F,
    ) -> DataSet<U>
    where
        F: FnMut(&mut Group<'_, T>, &mut Group<'_, R>, &mut Output<'_, U>)
            + Clone
            + Send
            + Sync
            + 'static,
    {
        self.co_group_with(other, left_key, right_key, CoGroupClosure(function))
    }

    pub fn co_group_with<R: Data, K: Key, U: Data, F: CoGroupFunction<T, R, U>>(
        &self,
        other: &DataSet<R>,
        left_key: impl Fn(&T) -> K + Send + Sync + 'static,
        right_key: impl Fn(&R) -> K + Send + Sync + 'static,
        function: F,
    ) -> DataSet<U> {
        let left_key: KeyFn<T, K> = Arc::new(left_key);
        let right_key: KeyFn<R, K> = Arc::new(right_key);
        let parallelism = self.env.parallelism();
        let first = self.edge(0, ShipStrategy::Hash, hash_partitioner(&left_key));
        let second = other.edge(1, ShipStrategy::Hash, hash_partitioner(&right_key));
        let operator = TwoInput::new(move |context, a, b, out| {
            run_co_group(context, &left_key, &right_key, &function, a, b, out)
        });
        self.two_input(
            "CoGroup".to_owned(),
            parallelism,
            first,
            second,
            operator,
            memory_use(MIN_CO_GROUP_PAGES),
            None,
        )
    }

    /// Every pair of a record of this data set and one of `other` (`other` is sent whole to
    /// every subtask, so it should be the smaller one).
    pub fn cross<R: Data, U: Data, F>(&self, other: &DataSet<R>, function: F) -> DataSet<U>
    where
        F: FnMut(&T, &R) -> U + Clone + Send + Sync + 'static,
    {
        self.cross_with(other, CrossClosure(function))
    }

    pub fn cross_with<R: Data, U: Data, F: CrossFunction<T, R, U>>(
        &self,
        other: &DataSet<R>,
        function: F,
    ) -> DataSet<U> {
        let parallelism = self.parallelism_of_node();
        let first = self.forward_edge(0, parallelism);
        let second = other.edge(1, ShipStrategy::Broadcast, Partitioner::Broadcast);
        let operator =
            TwoInput::new(move |context, a, b, out| run_cross(context, &function, a, b, out));
        self.two_input(
            "Cross".to_owned(),
            parallelism,
            first,
            second,
            operator,
            memory_use(MIN_CROSS_PAGES),
            None,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn two_input<R: Data, U: Data>(
        &self,
        name: String,
        parallelism: usize,
        first: PlanEdge,
        second: PlanEdge,
        operator: Arc<TwoInput<T, R, U>>,
        memory: Option<MemoryUse>,
        estimated_bytes: Option<u64>,
    ) -> DataSet<U> {
        let node = self.env.add_node(PlanNode {
            name,
            parallelism,
            inputs: vec![first, second],
            operator: NodeOperator::TwoInput(operator),
            output: TypedOutput::<U>::new(),
            memory,
            estimated_bytes,
            is_sink: false,
        });
        DataSet::from_node(self.env.clone(), node)
    }

    /// The records of this data set and of `other` (Flink's `union`).
    pub fn union(&self, other: &DataSet<T>) -> DataSet<T> {
        let parallelism = self.parallelism_of_node().max(other.parallelism_of_node());
        let operator = OneInput::<T, T>::new(|_context, out| Ok(out));
        let estimate = self
            .estimated_bytes()
            .zip(other.estimated_bytes())
            .map(|(a, b)| a + b);
        let node = self.env.add_node(PlanNode {
            name: "Union".to_owned(),
            parallelism,
            inputs: vec![
                self.forward_edge(0, parallelism),
                other.forward_edge(0, parallelism),
            ],
            operator: NodeOperator::OneInput(operator),
            output: TypedOutput::<T>::new(),
            memory: None,
            estimated_bytes: estimate,
            is_sink: false,
        });
        DataSet::from_node(self.env.clone(), node)
    }

    /// Each subtask's records sorted by `key` in `order` (a global order needs a range
    /// partitioning first).
    pub fn sort_partition<K: Key, F>(&self, key: F, order: Order) -> DataSet<T>
    where
        F: Fn(&T) -> K + Clone + Send + Sync + 'static,
    {
        let operator = OneInput::new(move |context, out| {
            let comparator =
                ComputedKeyComparator::new(key.clone(), K::comparator().with_order(order));
            Ok(Box::new(SortPartition::open(
                context,
                T::serializer(),
                comparator,
                out,
            )?) as Box<dyn Collector<T>>)
        });
        let estimate = self.estimated_bytes();
        self.chained(
            "SortPartition",
            operator,
            memory_use(MIN_EXTERNAL_SORTER_PAGES),
            estimate,
        )
    }

    /// A pass-through node whose input is shipped by `ship`.
    fn repartitioned(
        &self,
        name: &str,
        parallelism: usize,
        ship: ShipStrategy,
        partitioner: Partitioner<T>,
    ) -> DataSet<T> {
        let operator = OneInput::new(|_context, out| Ok(out));
        let estimate = self.estimated_bytes();
        let edge = self.edge(0, ship, partitioner);
        self.one_input(name.to_owned(), parallelism, edge, operator, None, estimate)
    }

    /// Records with equal keys go to the same subtask.
    pub fn partition_by_hash<K: Key, F>(&self, key: F) -> DataSet<T>
    where
        F: Fn(&T) -> K + Send + Sync + 'static,
    {
        let key: KeyFn<T, K> = Arc::new(key);
        self.repartitioned(
            "PartitionByHash",
            self.env.parallelism(),
            ShipStrategy::Hash,
            hash_partitioner(&key),
        )
    }

    /// Subtask i gets the i-th range of keys, from boundaries sampled from the data, so the
    /// subtasks' outputs in order are ordered by key.
    pub fn partition_by_range<K: Key, F>(&self, key: F) -> DataSet<T>
    where
        F: Fn(&T) -> K + Send + Sync + 'static,
    {
        let key: Arc<dyn Fn(&T) -> K + Send + Sync> = Arc::new(key);
        let samplers = self.parallelism_of_node();
        let boundaries = RangeBoundaries::new(key, K::comparator(), samplers);
        let sampling = Arc::clone(&boundaries);
        let sampler = OneInput::new(move |context, out| {
            Ok(Box::new(RangeSampler::new(
                Arc::clone(&sampling),
                out,
                context.runtime().subtask_index,
            )) as Box<dyn Collector<T>>)
        });
        let sampled = self.chained("RangeSample", sampler, None, self.estimated_bytes());
        let mut edge = sampled.edge(0, ShipStrategy::Forward, Partitioner::Forward);
        edge.force_blocking = true;
        let pass = OneInput::new(|_context, out| Ok(out));
        let staged = sampled.one_input(
            "RangePartition".to_owned(),
            samplers,
            edge,
            pass,
            None,
            self.estimated_bytes(),
        );
        staged.repartitioned(
            "PartitionByRange",
            self.env.parallelism(),
            ShipStrategy::Range,
            Partitioner::Range(boundaries),
        )
    }

    /// Subtask `partitioner(key, n)` gets each record.
    pub fn partition_custom<K: Key, F, P>(&self, key: F, partitioner: P) -> DataSet<T>
    where
        F: Fn(&T) -> K + Send + Sync + 'static,
        P: Fn(&K, usize) -> usize + Send + Sync + 'static,
    {
        let custom = Partitioner::Custom(Arc::new(move |record: &T, n: usize| {
            partitioner(&key(record), n)
        }));
        self.repartitioned(
            "PartitionCustom",
            self.env.parallelism(),
            ShipStrategy::Custom,
            custom,
        )
    }

    /// Spreads records round robin over the subtasks (evens out skew).
    pub fn rebalance(&self) -> DataSet<T> {
        self.repartitioned(
            "Rebalance",
            self.env.parallelism(),
            ShipStrategy::Rebalance,
            Partitioner::Rebalance,
        )
    }

    /// The first `n` records of the whole data set (any `n`; in input order per subtask).
    pub fn first(&self, n: u64) -> DataSet<T> {
        let local = OneInput::new(move |_context, out| {
            Ok(Box::new(FirstN::new(n, out)) as Box<dyn Collector<T>>)
        });
        let local = self.chained("FirstN (local)", local, None, self.estimated_bytes());
        let global = OneInput::new(move |_context, out| {
            Ok(Box::new(FirstN::new(n, out)) as Box<dyn Collector<T>>)
        });
        let edge = local.edge(0, ShipStrategy::Rebalance, Partitioner::Rebalance);
        local.one_input("FirstN".to_owned(), 1, edge, global, None, None)
    }

    fn sink(&self, name: String, operator: Arc<dyn crate::graph::plan::OneInputNode>) -> NodeId {
        let parallelism = self.parallelism_of_node();
        let node = self.env.add_node(PlanNode {
            name,
            parallelism,
            inputs: vec![self.forward_edge(0, parallelism)],
            operator: NodeOperator::OneInput(operator),
            output: TypedOutput::<T>::new(),
            memory: None,
            estimated_bytes: None,
            is_sink: true,
        });
        self.env.add_sink(node);
        node
    }

    /// Writes one line per record, formatted by `format` (which writes the line without its
    /// newline), into part files under `path` (committed when the job succeeds).
    pub fn write_as_text_with<F>(&self, path: &str, format: F)
    where
        F: Fn(&T, &mut Vec<u8>) + Send + Sync + 'static,
    {
        self.file_sink(format!("TextSink ({path})"), path, Arc::new(format), true);
    }

    /// Writes the bytes `format` produces for each record, with nothing in between (binary
    /// records), into part files under `path`.
    pub fn write_as_binary_with<F>(&self, path: &str, format: F)
    where
        F: Fn(&T, &mut Vec<u8>) + Send + Sync + 'static,
    {
        self.file_sink(
            format!("BinarySink ({path})"),
            path,
            Arc::new(format),
            false,
        );
    }

    fn file_sink(&self, name: String, path: &str, format: FormatLine<T>, terminate_lines: bool) {
        let config = self.env.config();
        let sink_config = FileSinkConfig {
            path: path.into(),
            mode: if config.get(&OVERWRITE_FILES) {
                WriteMode::Overwrite
            } else {
                WriteMode::NoOverwrite
            },
            always_create_directory: config.get(&ALWAYS_CREATE_DIRECTORY),
            terminate_lines,
        };
        self.sink(name, FileSinkNode::new(sink_config, format));
    }

    /// Writes each record's `Display` form as a line.
    pub fn write_as_text(&self, path: &str)
    where
        T: Display,
    {
        self.write_as_text_with(path, |record, line| {
            use std::io::Write;
            let _ = write!(line, "{record}");
        });
    }

    /// Writes each record as a CSV line (fields quoted when needed).
    pub fn write_as_csv(&self, path: &str)
    where
        T: ToCsvRecord,
    {
        let format: FormatLine<T> =
            Arc::new(|record: &T, line: &mut Vec<u8>| record.write_csv_record(line, b','));
        self.file_sink(format!("CsvSink ({path})"), path, format, false);
    }

    /// Executes the program and returns every record (Flink's `collect`).
    pub fn collect(&self) -> Result<Vec<T>, WeirError> {
        let sink = CollectSinkNode::<T>::new();
        self.sink("CollectSink".to_owned(), sink.clone());
        self.env.execute("collect")?;
        Ok(sink.take_results())
    }

    /// Executes the program and returns the number of records.
    pub fn count(&self) -> Result<u64, WeirError> {
        let counts = self
            .map_partition(|records: &mut Group<'_, T>, out: &mut Output<'_, u64>| {
                out.emit(records.count() as u64)
            })
            .name("Count");
        Ok(counts.collect()?.into_iter().sum())
    }

    /// Executes the program and prints each record's `Display` form on a line of stdout.
    pub fn print(&self) -> Result<(), WeirError>
    where
        T: Display,
    {
        use std::io::Write;
        let records = self.collect()?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for record in records {
            if writeln!(out, "{record}").is_err() {
                break;
            }
        }
        let _ = out.flush();
        Ok(())
    }
}
