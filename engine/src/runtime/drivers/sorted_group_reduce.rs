//! Sort-based drivers: group-reduce (and group-combine, and first-n per group), which sort
//! their input by key with the external sorter and hand each group to the user function; and
//! sort-partition, which emits its input sorted.
//!
//! ```text
//!   collect ──▶ ExternalSorter (pages of the operator, spills) ──finish──▶ sorted runs merged
//!                                                                  │
//!               KeyGroups: [k1: r r r] [k2: r] ... ──▶ reduce_group(group, out)
//! ```

use std::sync::Arc;

use weir_memory::IoManager;

use crate::api::functions::{Group, GroupReduceFunction, RuntimeContext};
use crate::error::WeirError;
use crate::operators::sort::{ExternalSorter, SortOrder};
use crate::runtime::collector::{Collector, Output};
use crate::runtime::drivers::key_groups::{KeyFn, KeyGroups};
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::operator_context::{MetricsSlot, OperatorContext, record_operator_metrics};
use crate::types::{TypeComparator, TypeSerializer};

/// Group-reduce over a sort by `sort_comparator` (the key, then any secondary order), groups
/// cut by `key` under `key_comparator`.
pub(crate) struct SortedGroupReduce<S, C, K, KC, F, Out>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    sorter: Option<ExternalSorter<S, C>>,
    key: KeyFn<S::Value, K>,
    key_comparator: KC,
    function: F,
    context: RuntimeContext,
    metrics: MetricsSlot,
    out: Box<dyn Collector<Out>>,
}

impl<S, C, K, KC, F, Out> SortedGroupReduce<S, C, K, KC, F, Out>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
    KC: TypeComparator<Value = K>,
    F: GroupReduceFunction<S::Value, Out>,
{
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn open(
        context: &mut OperatorContext,
        serializer: S,
        sort_comparator: C,
        key: KeyFn<S::Value, K>,
        key_comparator: KC,
        mut function: F,
        out: Box<dyn Collector<Out>>,
    ) -> Result<Self, WeirError> {
        let io: Arc<IoManager> = Arc::clone(&context.io);
        let sorter = ExternalSorter::new(
            serializer,
            sort_comparator,
            SortOrder::Stable,
            context.take_pages(),
            io,
        )?;
        function
            .open(context.runtime())
            .map_err(|error| user_failure(context.runtime(), error))?;
        Ok(SortedGroupReduce {
            sorter: Some(sorter),
            key,
            key_comparator,
            function,
            context: context.runtime().clone(),
            metrics: context.metrics_slot(),
            out,
        })
    }
}

impl<S, C, K, KC, F, Out> Collector<S::Value> for SortedGroupReduce<S, C, K, KC, F, Out>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
    K: Send,
    KC: TypeComparator<Value = K>,
    F: GroupReduceFunction<S::Value, Out>,
    Out: Send,
{
    #[inline]
    fn collect(&mut self, record: S::Value) -> Result<(), WeirError> {
        match &mut self.sorter {
            Some(sorter) => sorter.write(&record),
            None => Err(WeirError::CollectAfterFinish {
                operator: self.context.operator_name.clone(),
            }),
        }
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        let Some(sorter) = self.sorter.take() else {
            return Ok(());
        };
        let mut sorted = sorter.finish()?;
        let mut groups = KeyGroups::new(
            &mut sorted,
            Arc::clone(&self.key),
            self.key_comparator.clone(),
        );
        while groups.next_key().is_some() {
            let mut records = groups.group();
            let mut group = Group::new(&mut records);
            let mut output = Output::new(&mut *self.out);
            let called = self.function.reduce_group(&mut group, &mut output);
            let emitted = output.into_result();
            called.map_err(|error| user_failure(&self.context, error))?;
            emitted?;
        }
        groups.take_error()?;
        record_operator_metrics(&self.metrics, sorted.metrics());
        drop(sorted);
        self.function
            .close()
            .map_err(|error| user_failure(&self.context, error))?;
        self.out.finish()
    }
}

/// Emits its input sorted by `comparator`.
pub(crate) struct SortPartition<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    sorter: Option<ExternalSorter<S, C>>,
    operator: String,
    metrics: MetricsSlot,
    out: Box<dyn Collector<S::Value>>,
}

impl<S, C> SortPartition<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    pub(crate) fn open(
        context: &mut OperatorContext,
        serializer: S,
        comparator: C,
        out: Box<dyn Collector<S::Value>>,
    ) -> Result<Self, WeirError> {
        let io = Arc::clone(&context.io);
        let sorter = ExternalSorter::new(
            serializer,
            comparator,
            SortOrder::Stable,
            context.take_pages(),
            io,
        )?;
        Ok(SortPartition {
            sorter: Some(sorter),
            operator: context.name().to_owned(),
            metrics: context.metrics_slot(),
            out,
        })
    }
}

impl<S, C> Collector<S::Value> for SortPartition<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    #[inline]
    fn collect(&mut self, record: S::Value) -> Result<(), WeirError> {
        match &mut self.sorter {
            Some(sorter) => sorter.write(&record),
            None => Err(WeirError::CollectAfterFinish {
                operator: self.operator.clone(),
            }),
        }
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        let Some(sorter) = self.sorter.take() else {
            return Ok(());
        };
        let mut sorted = sorter.finish()?;
        for record in &mut sorted {
            self.out.collect(record?)?;
        }
        record_operator_metrics(&self.metrics, sorted.metrics());
        drop(sorted);
        self.out.finish()
    }
}

/// Passes on the first `n` records of its input.
pub(crate) struct FirstN<T> {
    remaining: u64,
    out: Box<dyn Collector<T>>,
}

impl<T> FirstN<T> {
    pub(crate) fn new(n: u64, out: Box<dyn Collector<T>>) -> FirstN<T> {
        FirstN { remaining: n, out }
    }
}

impl<T: Send> Collector<T> for FirstN<T> {
    #[inline]
    fn collect(&mut self, record: T) -> Result<(), WeirError> {
        if self.remaining == 0 {
            return Ok(());
        }
        self.remaining -= 1;
        self.out.collect(record)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.out.finish()
    }
}
