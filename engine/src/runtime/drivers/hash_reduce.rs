//! The hash-based reduce driver (also distinct: a reduce keeping the first record), over the
//! [`HashAggregator`] in the operator's pages. As the final reduce after the exchange it
//! spills partitions and recurses when the groups do not fit; as the combiner before the
//! exchange it never spills: when its table is nearly full it sends the partial groups on and
//! starts over (Flink's combiner does the same), since the final reduce folds them again.

use std::sync::Arc;

use crate::error::WeirError;
use crate::operators::aggregate::HashAggregator;
use crate::runtime::collector::Collector;
use crate::runtime::operator_context::{MetricsSlot, OperatorContext, record_operator_metrics};
use crate::types::{TypeComparator, TypeSerializer};

/// Folds records of equal key with a reduce function in a hash table; emits one record per
/// key when the input ends.
pub(crate) struct HashReduce<S, KC, KF, R>
where
    S: TypeSerializer,
{
    aggregator: Option<HashAggregator<S, KC, KF, R>>,
    /// A combiner: flush partial groups instead of spilling.
    combining: bool,
    operator: String,
    metrics: MetricsSlot,
    out: Box<dyn Collector<S::Value>>,
}

impl<S, KC, KF, R> HashReduce<S, KC, KF, R>
where
    S: TypeSerializer,
    KC: TypeComparator,
    KF: Fn(&S::Value) -> KC::Value + Clone + Send + Sync + 'static,
    R: Fn(S::Value, S::Value) -> Result<S::Value, WeirError> + Clone + Send + Sync + 'static,
{
    pub(crate) fn open(
        context: &mut OperatorContext,
        serializer: S,
        key: KF,
        key_comparator: KC,
        reduce: R,
        combining: bool,
        out: Box<dyn Collector<S::Value>>,
    ) -> Result<Self, WeirError> {
        let io = Arc::clone(&context.io);
        let aggregator = HashAggregator::new(
            serializer,
            key,
            key_comparator,
            reduce,
            context.take_pages(),
            io,
        )?;
        Ok(HashReduce {
            aggregator: Some(aggregator),
            combining,
            operator: context.name().to_owned(),
            metrics: context.metrics_slot(),
            out,
        })
    }
}

impl<S, KC, KF, R> Collector<S::Value> for HashReduce<S, KC, KF, R>
where
    S: TypeSerializer,
    KC: TypeComparator,
    KC::Value: Send,
    KF: Fn(&S::Value) -> KC::Value + Clone + Send + Sync + 'static,
    R: Fn(S::Value, S::Value) -> Result<S::Value, WeirError> + Clone + Send + Sync + 'static,
{
    #[inline]
    fn collect(&mut self, record: S::Value) -> Result<(), WeirError> {
        match &mut self.aggregator {
            Some(aggregator) if self.combining => {
                let out = &mut self.out;
                aggregator.write_combining(record, |partial| out.collect(partial))
            }
            Some(aggregator) => aggregator.write(record),
            None => Err(WeirError::CollectAfterFinish {
                operator: self.operator.clone(),
            }),
        }
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        let Some(aggregator) = self.aggregator.take() else {
            return Ok(());
        };
        let out = &mut self.out;
        let finished = aggregator.finish(|record| out.collect(record))?;
        record_operator_metrics(&self.metrics, &finished.metrics);
        drop(finished);
        self.out.finish()
    }
}
