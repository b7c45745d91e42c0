//! [`KeyedStream`]: a stream partitioned by key (Flink's `KeyedStream`): rolling
//! aggregations, keyed process functions with state and timers, and windows.
//!
//! Rolling aggregations (`reduce`, `sum`, `min`, `max`, `min_by`, `max_by`) keep one value
//! per key in keyed state and emit the updated value for every record, like Flink's. They
//! are keyed process functions themselves, so they checkpoint and restore like any other.

use std::sync::Arc;

use crate::api::Data;
use crate::api::aggregation::{Aggregation, TupleAggregate};
use crate::api::functions::{ReduceClosure, ReduceFunction, UserError};
use crate::api::stream::data_stream::DataStream;
use crate::api::stream::keyed_process_function::{
    KeyedContext, KeyedProcessFunction, KeyedProcessLink, KeyedStateContext, ValueState,
};
use crate::api::stream::node_factories::{OperatorFn, runtime_context};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::runtime::stream::typed_glue::link_box;
use crate::state::{StateKey, ValueStateDescriptor};

/// The key of a record.
pub(crate) type KeySelector<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// See the module docs.
pub struct KeyedStream<K, T> {
    pub(crate) stream: DataStream<T>,
    pub(crate) key: KeySelector<T, K>,
}

impl<K, T> Clone for KeyedStream<K, T> {
    fn clone(&self) -> Self {
        KeyedStream {
            stream: self.stream.clone(),
            key: Arc::clone(&self.key),
        }
    }
}

impl<K, T> std::fmt::Debug for KeyedStream<K, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedStream")
            .field("stream", &self.stream)
            .finish()
    }
}

impl<K: StateKey + Clone, T: Data> KeyedStream<K, T> {
    pub(crate) fn new(stream: DataStream<T>, key: KeySelector<T, K>) -> KeyedStream<K, T> {
        KeyedStream { stream, key }
    }

    /// Runs `function` on every record with the state and timers of its key.
    pub fn process<U: Data, F: KeyedProcessFunction<K, T, U>>(&self, function: F) -> DataStream<U> {
        let key = Arc::clone(&self.key);
        self.stream.add_operator(
            "KeyedProcess",
            OperatorFn::new(move |setup, output, side| {
                let link = KeyedProcessLink::open(
                    function.clone(),
                    setup,
                    runtime_context(setup),
                    Arc::clone(&key),
                    Downstream::from_factory(output, side),
                )?;
                Ok(link_box::<T>(Box::new(link)))
            }),
            false,
        )
    }

    /// Rolling reduce: emits `reduce(previous, record)` for every record of a key.
    pub fn reduce<F>(&self, reduce: F) -> DataStream<T>
    where
        F: Fn(T, T) -> T + Clone + Send + Sync + 'static,
    {
        self.reduce_with(ReduceClosure(reduce))
    }

    /// [`KeyedStream::reduce`] with a struct implementing [`ReduceFunction`].
    pub fn reduce_with<F: ReduceFunction<T>>(&self, reduce: F) -> DataStream<T> {
        self.process(RollingReduce {
            reduce,
            state: None,
        })
        .name("Keyed Reduce")
    }

    fn aggregate(&self, aggregation: Aggregation, field: usize, name: &str) -> DataStream<T>
    where
        T: TupleAggregate,
    {
        if !T::supports(field, aggregation) {
            self.stream.env.add_problem(format!(
                "{name}({field}) on a tuple of {} fields: {}",
                T::ARITY,
                if field >= T::ARITY {
                    "there is no such field"
                } else {
                    "the field is not a number"
                }
            ));
        }
        self.reduce(move |mut accumulated: T, record: T| {
            accumulated.aggregate_field(&record, field, aggregation);
            accumulated
        })
        .name(name)
    }

    /// Rolling sum of tuple field `field` (the other fields are those of the key's first record).
    pub fn sum(&self, field: usize) -> DataStream<T>
    where
        T: TupleAggregate,
    {
        self.aggregate(Aggregation::Sum, field, "sum")
    }

    /// Rolling minimum of tuple field `field` (the other fields are those of the first record).
    pub fn min(&self, field: usize) -> DataStream<T>
    where
        T: TupleAggregate,
    {
        self.aggregate(Aggregation::Min, field, "min")
    }

    /// Rolling maximum of tuple field `field` (the other fields are those of the first record).
    pub fn max(&self, field: usize) -> DataStream<T>
    where
        T: TupleAggregate,
    {
        self.aggregate(Aggregation::Max, field, "max")
    }

    fn select_by(&self, aggregation: Aggregation, field: usize, name: &str) -> DataStream<T>
    where
        T: TupleAggregate + PartialEq,
    {
        if !T::supports(field, aggregation) {
            self.stream.env.add_problem(format!(
                "{name}({field}) on a tuple of {} fields: the field does not exist or is not a number",
                T::ARITY
            ));
        }
        self.reduce(move |kept: T, record: T| {
            // The record replaces the kept one only when strictly better (ties keep the first).
            let mut probe = kept.clone();
            probe.aggregate_field(&record, field, aggregation);
            if probe == kept { kept } else { record }
        })
        .name(name)
    }

    /// Rolling: the whole record with the smallest tuple field `field` so far.
    pub fn min_by(&self, field: usize) -> DataStream<T>
    where
        T: TupleAggregate + PartialEq,
    {
        self.select_by(Aggregation::Min, field, "minBy")
    }

    /// Rolling: the whole record with the largest tuple field `field` so far.
    pub fn max_by(&self, field: usize) -> DataStream<T>
    where
        T: TupleAggregate + PartialEq,
    {
        self.select_by(Aggregation::Max, field, "maxBy")
    }
}

/// The rolling reduce as a keyed process function over one value state.
struct RollingReduce<F, T> {
    reduce: F,
    state: Option<ValueState<T>>,
}

impl<F: Clone, T> Clone for RollingReduce<F, T> {
    fn clone(&self) -> Self {
        RollingReduce {
            reduce: self.reduce.clone(),
            state: self.state,
        }
    }
}

impl<K, T, F> KeyedProcessFunction<K, T, T> for RollingReduce<F, T>
where
    K: StateKey + Clone,
    T: Data,
    F: ReduceFunction<T>,
{
    fn open(&mut self, context: &mut KeyedStateContext<'_, K>) -> Result<(), UserError> {
        self.reduce.open(context.runtime_context())?;
        self.state = Some(context.value_state(&ValueStateDescriptor::new("rolling-reduce"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        value: T,
        context: &mut KeyedContext<'_, K>,
        out: &mut StreamCollector<'_, T>,
    ) -> Result<(), UserError> {
        let state = self.state.expect("open registers the state");
        let reduced = match context.value(state) {
            Some(previous) => self.reduce.reduce(previous, value)?,
            None => value,
        };
        context.update(state, reduced.clone())?;
        out.collect(reduced);
        Ok(())
    }

    fn close(&mut self) -> Result<(), UserError> {
        self.reduce.close()
    }
}
