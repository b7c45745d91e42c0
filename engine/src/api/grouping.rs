//! [`Grouping`] and [`SortedGrouping`]: a data set grouped by a key, and the group-wise
//! transformations (Flink's `groupBy(..)`).
//!
//! | transformation        | how it runs                                                        |
//! |-----------------------|--------------------------------------------------------------------|
//! | `reduce`, `aggregate`, `count` | hash combiner before the exchange, hash exchange, hash reduce |
//! | `reduce_group`, `first` | hash exchange, external sort by key, one call per group          |
//! | `combine_group`       | external sort by key in the producing subtask, no exchange        |
//! | `sort_group(..)`      | as `reduce_group`, sorted by the key then the secondary key       |

use std::sync::Arc;

use crate::api::aggregation::{Aggregation, TupleAggregate};
use crate::api::data::{Data, Key};
use crate::api::data_set::{DataSet, hash_partitioner, memory_use};
use crate::api::functions::{
    Group, GroupReduceClosure, GroupReduceFunction, ReduceClosure, ReduceFunction, RuntimeContext,
};
use crate::error::WeirError;
use crate::graph::plan::ShipStrategy;
use crate::operators::aggregate::MIN_HASH_AGGREGATOR_PAGES;
use crate::operators::sort::MIN_EXTERNAL_SORTER_PAGES;
use crate::runtime::collector::{Collector, Output};
use crate::runtime::drivers::erased::OneInput;
use crate::runtime::drivers::hash_reduce::HashReduce;
use crate::runtime::drivers::key_groups::KeyFn;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::drivers::sorted_group_reduce::SortedGroupReduce;
use crate::types::{ComputedKeyComparator, Order, TypeComparator};

/// A data set grouped by a key.
pub struct Grouping<T, K> {
    input: DataSet<T>,
    key: KeyFn<T, K>,
}

/// A grouping whose groups are sorted by a secondary key.
pub struct SortedGrouping<T, K, K2> {
    grouping: Grouping<T, K>,
    sort_key: KeyFn<T, K2>,
    order: Order,
}

impl<T, K> std::fmt::Debug for Grouping<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grouping")
            .field("input", &self.input)
            .finish_non_exhaustive()
    }
}

impl<T, K, K2> std::fmt::Debug for SortedGrouping<T, K, K2> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SortedGrouping")
            .field("grouping", &self.grouping)
            .field("order", &self.order)
            .finish_non_exhaustive()
    }
}

/// A comparator ordering records by `key`.
fn key_order<T: 'static, K: Key>(
    key: KeyFn<T, K>,
) -> ComputedKeyComparator<T, K::Comparator, impl Fn(&T) -> K + Clone + Send + Sync + 'static> {
    ComputedKeyComparator::new(move |record: &T| key(record), K::comparator())
}

/// Calls `close` on a reduce function once its operator has emitted everything.
struct CloseReduce<F, T> {
    function: Arc<F>,
    context: RuntimeContext,
    out: Box<dyn Collector<T>>,
}

impl<F: ReduceFunction<T>, T: Send> Collector<T> for CloseReduce<F, T> {
    #[inline]
    fn collect(&mut self, record: T) -> Result<(), WeirError> {
        self.out.collect(record)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        if let Some(function) = Arc::get_mut(&mut self.function) {
            function
                .close()
                .map_err(|error| user_failure(&self.context, error))?;
        }
        self.out.finish()
    }
}

/// A hash-reduce operator (combiner or final reduce) with `function`.
fn hash_reduce_operator<T: Data, K: Key, F: ReduceFunction<T>>(
    key: &KeyFn<T, K>,
    function: F,
    combining: bool,
) -> Arc<OneInput<T, T>> {
    let key = Arc::clone(key);
    OneInput::new(move |context, out| {
        let runtime = context.runtime().clone();
        let mut instance = function.clone();
        instance
            .open(&runtime)
            .map_err(|error| user_failure(&runtime, error))?;
        let instance = Arc::new(instance);
        let reducer = Arc::clone(&instance);
        let reduce_context = runtime.clone();
        let reduce = move |a: T, b: T| {
            reducer
                .reduce(a, b)
                .map_err(|error| user_failure(&reduce_context, error))
        };
        let out: Box<dyn Collector<T>> = Box::new(CloseReduce {
            function: instance,
            context: runtime,
            out,
        });
        let key = Arc::clone(&key);
        let key_of = move |record: &T| key(record);
        Ok(Box::new(HashReduce::open(
            context,
            T::serializer(),
            key_of,
            K::comparator(),
            reduce,
            combining,
            out,
        )?) as Box<dyn Collector<T>>)
    })
}

impl<T: Data, K: Key> Grouping<T, K> {
    pub(crate) fn new(input: DataSet<T>, key: KeyFn<T, K>) -> Grouping<T, K> {
        Grouping { input, key }
    }

    /// Folds each group into one record with `function(a, b)` (associative; combined before
    /// the exchange).
    pub fn reduce<F>(&self, function: F) -> DataSet<T>
    where
        F: Fn(T, T) -> T + Clone + Send + Sync + 'static,
    {
        self.reduce_with(ReduceClosure(function))
    }

    pub fn reduce_with<F: ReduceFunction<T>>(&self, function: F) -> DataSet<T> {
        let estimate = self.input.estimated_bytes();
        let combiner = hash_reduce_operator(&self.key, function.clone(), true);
        let combined = self.input.one_input(
            "Combine".to_owned(),
            self.input.parallelism_of_node(),
            self.input.forward_edge(0, self.input.parallelism_of_node()),
            combiner,
            memory_use(MIN_HASH_AGGREGATOR_PAGES),
            estimate,
        );
        let edge = combined.edge(0, ShipStrategy::Hash, hash_partitioner(&self.key));
        combined.one_input(
            "Reduce".to_owned(),
            self.input.env.parallelism(),
            edge,
            hash_reduce_operator(&self.key, function, false),
            memory_use(MIN_HASH_AGGREGATOR_PAGES),
            estimate,
        )
    }

    /// Aggregates tuple field `field` of each group (Flink's `aggregate(SUM, 1)`).
    pub fn aggregate(&self, aggregation: Aggregation, field: usize) -> DataSet<T>
    where
        T: TupleAggregate + Sync,
    {
        self.aggregate_fields(&[(aggregation, field)])
    }

    /// Several field aggregations at once (Flink's `aggregate(..).and(..)`).
    pub fn aggregate_fields(&self, aggregations: &[(Aggregation, usize)]) -> DataSet<T>
    where
        T: TupleAggregate + Sync,
    {
        for &(aggregation, field) in aggregations {
            if !T::supports(field, aggregation) {
                self.input.env.add_problem(format!(
                    "aggregate({aggregation:?}, {field}) on a tuple of {} fields: {}",
                    T::ARITY,
                    if field >= T::ARITY {
                        "there is no such field"
                    } else {
                        "the field is not a number"
                    }
                ));
            }
        }
        let aggregations: Arc<[(Aggregation, usize)]> = aggregations.into();
        self.reduce(move |mut a: T, b: T| {
            for &(aggregation, field) in aggregations.iter() {
                a.aggregate_field(&b, field, aggregation);
            }
            a
        })
        .name("Aggregate")
    }

    pub fn sum(&self, field: usize) -> DataSet<T>
    where
        T: TupleAggregate + Sync,
    {
        self.aggregate(Aggregation::Sum, field)
    }

    pub fn min(&self, field: usize) -> DataSet<T>
    where
        T: TupleAggregate + Sync,
    {
        self.aggregate(Aggregation::Min, field)
    }

    pub fn max(&self, field: usize) -> DataSet<T>
    where
        T: TupleAggregate + Sync,
    {
        self.aggregate(Aggregation::Max, field)
    }

    /// The number of records per key: `(key, count)`.
    pub fn count(&self) -> DataSet<(K, u64)>
    where
        (K, u64): Data,
    {
        let key = Arc::clone(&self.key);
        self.input
            .map(move |record: T| (key(&record), 1u64))
            .group_by(|pair: &(K, u64)| pair.0.clone())
            .reduce(|a, b| (a.0, a.1 + b.1))
            .name("Count")
    }

    /// Calls `function` once per group with all of its records.
    pub fn reduce_group<U: Data, F>(&self, function: F) -> DataSet<U>
    where
        F: FnMut(&mut Group<'_, T>, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
    {
        self.reduce_group_with(GroupReduceClosure(function))
    }

    pub fn reduce_group_with<U: Data, F: GroupReduceFunction<T, U>>(
        &self,
        function: F,
    ) -> DataSet<U> {
        let key = Arc::clone(&self.key);
        let sort_key = Arc::clone(&self.key);
        let comparator = move || key_order(Arc::clone(&sort_key));
        self.sorted_group_operator("GroupReduce", comparator, key, function, true)
    }

    /// Calls `function` on groups of the records each subtask has, before any exchange
    /// (Flink's `combineGroup`: partial groups, to shrink data cheaply).
    pub fn combine_group<U: Data, F>(&self, function: F) -> DataSet<U>
    where
        F: FnMut(&mut Group<'_, T>, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
    {
        let key = Arc::clone(&self.key);
        let sort_key = Arc::clone(&self.key);
        let comparator = move || key_order(Arc::clone(&sort_key));
        self.sorted_group_operator(
            "CombineGroup",
            comparator,
            key,
            GroupReduceClosure(function),
            false,
        )
    }

    /// The first `n` records of each group.
    pub fn first(&self, n: u64) -> DataSet<T> {
        self.reduce_group(move |group: &mut Group<'_, T>, out: &mut Output<'_, T>| {
            for record in group.take(n as usize) {
                out.emit(record);
            }
        })
        .name("GroupFirstN")
    }

    /// Sorts each group by `sort_key` in `order` before a group-wise function sees it.
    pub fn sort_group<K2: Key, F>(&self, sort_key: F, order: Order) -> SortedGrouping<T, K, K2>
    where
        F: Fn(&T) -> K2 + Send + Sync + 'static,
    {
        SortedGrouping {
            grouping: Grouping::new(self.input.clone(), Arc::clone(&self.key)),
            sort_key: Arc::new(sort_key),
            order,
        }
    }

    /// A sort-based group operator: after a hash exchange when `exchange`, else chained.
    fn sorted_group_operator<U, C, MakeC, F>(
        &self,
        name: &str,
        comparator: MakeC,
        key: KeyFn<T, K>,
        function: F,
        exchange: bool,
    ) -> DataSet<U>
    where
        U: Data,
        C: TypeComparator<Value = T>,
        MakeC: Fn() -> C + Send + Sync + 'static,
        F: GroupReduceFunction<T, U>,
    {
        let group_key = Arc::clone(&key);
        let operator = OneInput::new(move |context, out| {
            Ok(Box::new(SortedGroupReduce::open(
                context,
                T::serializer(),
                comparator(),
                Arc::clone(&group_key),
                K::comparator(),
                function.clone(),
                out,
            )?) as Box<dyn Collector<T>>)
        });
        let input = &self.input;
        let (parallelism, edge) = if exchange {
            (
                input.env.parallelism(),
                input.edge(0, ShipStrategy::Hash, hash_partitioner(&key)),
            )
        } else {
            (
                input.parallelism_of_node(),
                input.forward_edge(0, input.parallelism_of_node()),
            )
        };
        input.one_input(
            name.to_owned(),
            parallelism,
            edge,
            operator,
            memory_use(MIN_EXTERNAL_SORTER_PAGES),
            None,
        )
    }
}

impl<T: Data, K: Key, K2: Key> SortedGrouping<T, K, K2> {
    /// Calls `function` once per group, its records sorted by the secondary key.
    pub fn reduce_group<U: Data, F>(&self, function: F) -> DataSet<U>
    where
        F: FnMut(&mut Group<'_, T>, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
    {
        self.reduce_group_with(GroupReduceClosure(function))
    }

    pub fn reduce_group_with<U: Data, F: GroupReduceFunction<T, U>>(
        &self,
        function: F,
    ) -> DataSet<U> {
        let key = Arc::clone(&self.grouping.key);
        let sort_key = Arc::clone(&self.sort_key);
        let order = self.order;
        let comparator = move || {
            let sort_key = Arc::clone(&sort_key);
            key_order(Arc::clone(&key)).then(ComputedKeyComparator::new(
                move |record: &T| sort_key(record),
                K2::comparator().with_order(order),
            ))
        };
        self.grouping.sorted_group_operator(
            "SortedGroupReduce",
            comparator,
            Arc::clone(&self.grouping.key),
            function,
            true,
        )
    }

    /// The first `n` records of each group in the secondary order.
    pub fn first(&self, n: u64) -> DataSet<T> {
        self.reduce_group(move |group: &mut Group<'_, T>, out: &mut Output<'_, T>| {
            for record in group.take(n as usize) {
                out.emit(record);
            }
        })
        .name("SortedGroupFirstN")
    }
}
