//! The typed implementations of the plan's node traits: closures that build collectors (one
//! input), run two inputs, or read a source, wrapped so the plan can hold them untyped.
//!
//! Every node's input collector is wrapped in a [`CountingCollector`] that counts records in
//! and publishes the count to the node's metrics slot when the input ends.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::WeirError;
use crate::graph::plan::{
    AnyBox, ExchangeFactory, OneInputNode, OutputFactory, SourceNode, TwoInputNode,
};
use crate::runtime::collector::{Collector, DiscardCollector, TeeCollector};
use crate::runtime::mailbox::CONTROL_CHECK_INTERVAL;
use crate::runtime::network::{InputGate, RecordReader, RecordWriter, ResultPartition};
use crate::runtime::operator_context::{MetricsSlot, OperatorContext};
use crate::runtime::partitioner::{ExchangeWriter, Partitioner};
use crate::runtime::record_source::RecordSource;
use crate::types::DefaultSerializer;

/// Takes a typed value out of a `Box<dyn Any>`; the plan guarantees the type.
pub(crate) fn downcast<T: 'static>(value: AnyBox) -> T {
    match (value as Box<dyn Any>).downcast::<T>() {
        Ok(value) => *value,
        Err(_) => panic!(
            "plan type mismatch: expected {} (a bug in Weir's DataSet API)",
            std::any::type_name::<T>()
        ),
    }
}

/// Which counter a [`CountingCollector`] adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counted {
    RecordsIn,
    RecordsOut,
}

/// Counts the records passing into an operator, or out of the last one of a chain (see the
/// module docs).
pub(crate) struct CountingCollector<T> {
    inner: Box<dyn Collector<T>>,
    count: u64,
    slot: MetricsSlot,
    counted: Counted,
}

impl<T> CountingCollector<T> {
    pub(crate) fn new(inner: Box<dyn Collector<T>>, slot: MetricsSlot) -> CountingCollector<T> {
        CountingCollector::counting(inner, slot, Counted::RecordsIn)
    }

    pub(crate) fn counting(
        inner: Box<dyn Collector<T>>,
        slot: MetricsSlot,
        counted: Counted,
    ) -> CountingCollector<T> {
        CountingCollector {
            inner,
            count: 0,
            slot,
            counted,
        }
    }
}

impl<T: Send> Collector<T> for CountingCollector<T> {
    #[inline]
    fn collect(&mut self, record: T) -> Result<(), WeirError> {
        self.count += 1;
        self.inner.collect(record)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        let count = std::mem::take(&mut self.count);
        {
            let mut metrics = self
                .slot
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match self.counted {
                Counted::RecordsIn => metrics.records_in += count,
                Counted::RecordsOut => metrics.records_out += count,
            }
        }
        self.inner.finish()
    }
}

/// `collector` wrapped to count its records into the operator's metrics, as a plan value.
pub(crate) fn counted_input<T: Send + 'static>(
    collector: Box<dyn Collector<T>>,
    context: &OperatorContext,
) -> AnyBox {
    let counted: Box<dyn Collector<T>> =
        Box::new(CountingCollector::new(collector, context.metrics_slot()));
    Box::new(counted)
}

/// Builds a one-input operator's collector from its downstream.
pub(crate) type CreateCollector<In, Out> = dyn Fn(&mut OperatorContext, Box<dyn Collector<Out>>) -> Result<Box<dyn Collector<In>>, WeirError>
    + Send
    + Sync;

/// A [`OneInputNode`] from a closure that builds its collector.
pub(crate) struct OneInput<In, Out> {
    create: Box<CreateCollector<In, Out>>,
    types: PhantomData<fn(In) -> Out>,
}

impl<In: Send + 'static, Out: Send + 'static> OneInput<In, Out> {
    pub(crate) fn new(
        create: impl Fn(
            &mut OperatorContext,
            Box<dyn Collector<Out>>,
        ) -> Result<Box<dyn Collector<In>>, WeirError>
        + Send
        + Sync
        + 'static,
    ) -> Arc<OneInput<In, Out>> {
        Arc::new(OneInput {
            create: Box::new(create),
            types: PhantomData,
        })
    }
}

impl<In: Send + 'static, Out: Send + 'static> OneInputNode for OneInput<In, Out> {
    fn create(&self, context: &mut OperatorContext, out: AnyBox) -> Result<AnyBox, WeirError> {
        let out: Box<dyn Collector<Out>> = downcast(out);
        let collector = (self.create)(context, out)?;
        Ok(counted_input(collector, context))
    }

    fn pump(
        &self,
        context: &OperatorContext,
        input: AnyBox,
        collector: AnyBox,
    ) -> Result<(), WeirError> {
        pump_into::<In>(context, input, collector)
    }
}

/// Reads every record of `input` (`Box<dyn RecordSource<T>>`) into `collector`
/// (`Box<dyn Collector<T>>`), reading the task's mailbox now and then, and finishes it.
pub(crate) fn pump_into<T: 'static>(
    context: &OperatorContext,
    input: AnyBox,
    collector: AnyBox,
) -> Result<(), WeirError> {
    let mut input: Box<dyn RecordSource<T>> = downcast(input);
    let mut collector: Box<dyn Collector<T>> = downcast(collector);
    let mut since_check = 0u64;
    while let Some(record) = input.next_record()? {
        collector.collect(record)?;
        since_check += 1;
        if since_check == CONTROL_CHECK_INTERVAL {
            since_check = 0;
            context.check_control()?;
        }
    }
    collector.finish()
}

/// Runs a two-input operator over its two record sources.
pub(crate) type RunTwoInputs<A, B, Out> = dyn Fn(
        &mut OperatorContext,
        Box<dyn RecordSource<A>>,
        Box<dyn RecordSource<B>>,
        Box<dyn Collector<Out>>,
    ) -> Result<(), WeirError>
    + Send
    + Sync;

/// A [`TwoInputNode`] from a closure.
pub(crate) struct TwoInput<A, B, Out> {
    run: Box<RunTwoInputs<A, B, Out>>,
}

impl<A: Send + 'static, B: Send + 'static, Out: Send + 'static> TwoInput<A, B, Out> {
    pub(crate) fn new(
        run: impl Fn(
            &mut OperatorContext,
            Box<dyn RecordSource<A>>,
            Box<dyn RecordSource<B>>,
            Box<dyn Collector<Out>>,
        ) -> Result<(), WeirError>
        + Send
        + Sync
        + 'static,
    ) -> Arc<TwoInput<A, B, Out>> {
        Arc::new(TwoInput { run: Box::new(run) })
    }
}

impl<A: Send + 'static, B: Send + 'static, Out: Send + 'static> TwoInputNode
    for TwoInput<A, B, Out>
{
    fn run(
        &self,
        context: &mut OperatorContext,
        first: AnyBox,
        second: AnyBox,
        out: AnyBox,
    ) -> Result<(), WeirError> {
        let first: Box<dyn RecordSource<A>> = downcast(first);
        let second: Box<dyn RecordSource<B>> = downcast(second);
        let out: Box<dyn Collector<Out>> = downcast(out);
        let slot = context.metrics_slot();
        let first = CountingSource::new(first);
        let second = CountingSource::new(second);
        let (first_count, second_count) = (first.counter(), second.counter());
        let outcome = (self.run)(context, Box::new(first), Box::new(second), out);
        slot.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .records_in += first_count.load() + second_count.load();
        outcome
    }
}

/// A shared counter of records read from a source.
#[derive(Clone, Default)]
pub(crate) struct ReadCounter(Arc<std::sync::atomic::AtomicU64>);

impl ReadCounter {
    fn load(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

struct CountingSource<T> {
    inner: Box<dyn RecordSource<T>>,
    counter: ReadCounter,
    count: u64,
}

impl<T> CountingSource<T> {
    fn new(inner: Box<dyn RecordSource<T>>) -> CountingSource<T> {
        CountingSource {
            inner,
            counter: ReadCounter::default(),
            count: 0,
        }
    }

    fn counter(&self) -> ReadCounter {
        self.counter.clone()
    }
}

impl<T> Drop for CountingSource<T> {
    fn drop(&mut self) {
        self.counter
            .0
            .fetch_add(self.count, std::sync::atomic::Ordering::Relaxed);
    }
}

impl<T: Send> RecordSource<T> for CountingSource<T> {
    #[inline]
    fn next_record(&mut self) -> Result<Option<T>, WeirError> {
        let next = self.inner.next_record()?;
        self.count += u64::from(next.is_some());
        Ok(next)
    }

    fn records_read(&self) -> u64 {
        self.count
    }
}

/// Plans a source's work per subtask.
pub(crate) type PlanSourceWork<W> = dyn Fn(usize) -> Result<Vec<W>, WeirError> + Send + Sync;
/// Reads one subtask's work into a collector.
pub(crate) type RunSource<W, T> =
    dyn Fn(&mut OperatorContext, W, &mut dyn Collector<T>) -> Result<(), WeirError> + Send + Sync;

/// A [`SourceNode`] from two closures: plan the work, run one subtask's share.
pub(crate) struct Source<W, T> {
    plan: Box<PlanSourceWork<W>>,
    run: Box<RunSource<W, T>>,
}

impl<W: Send + 'static, T: Send + 'static> Source<W, T> {
    pub(crate) fn new(
        plan: impl Fn(usize) -> Result<Vec<W>, WeirError> + Send + Sync + 'static,
        run: impl Fn(&mut OperatorContext, W, &mut dyn Collector<T>) -> Result<(), WeirError>
        + Send
        + Sync
        + 'static,
    ) -> Arc<Source<W, T>> {
        Arc::new(Source {
            plan: Box::new(plan),
            run: Box::new(run),
        })
    }
}

impl<W: Send + 'static, T: Send + 'static> SourceNode for Source<W, T> {
    fn plan_work(&self, parallelism: usize) -> Result<Vec<AnyBox>, WeirError> {
        let work = (self.plan)(parallelism)?;
        Ok(work.into_iter().map(|w| Box::new(w) as AnyBox).collect())
    }

    fn run(
        &self,
        context: &mut OperatorContext,
        work: AnyBox,
        out: AnyBox,
    ) -> Result<(), WeirError> {
        let work: W = downcast(work);
        let mut out: Box<dyn Collector<T>> = downcast(out);
        (self.run)(context, work, &mut *out)?;
        out.finish()
    }
}

/// The exchange ends for records of type `T` with a partitioner.
pub(crate) struct TypedExchange<T: DefaultSerializer> {
    partitioner: Partitioner<T>,
}

impl<T: DefaultSerializer + Send + 'static> TypedExchange<T> {
    pub(crate) fn new(partitioner: Partitioner<T>) -> Arc<TypedExchange<T>> {
        Arc::new(TypedExchange { partitioner })
    }
}

impl<T: DefaultSerializer + Send + 'static> ExchangeFactory for TypedExchange<T> {
    fn writer(
        &self,
        partition: Arc<ResultPartition>,
        subpartitions: usize,
        subtask: usize,
        operator: &str,
    ) -> Result<AnyBox, WeirError> {
        let writer = RecordWriter::new(partition, T::serializer())?;
        let exchange = ExchangeWriter::new(
            writer,
            self.partitioner.clone(),
            subpartitions,
            subtask,
            operator,
        )?;
        let collector: Box<dyn Collector<T>> = Box::new(exchange);
        Ok(Box::new(collector))
    }

    fn reader(&self, gate: InputGate) -> AnyBox {
        let reader: Box<dyn RecordSource<T>> = Box::new(RecordReader::new(gate, T::serializer()));
        Box::new(reader)
    }
}

/// Fan-out of outputs of type `T`.
pub(crate) struct TypedOutput<T>(PhantomData<fn(T)>);

impl<T: Clone + Send + 'static> TypedOutput<T> {
    pub(crate) fn new() -> Arc<TypedOutput<T>> {
        Arc::new(TypedOutput(PhantomData))
    }
}

impl<T: Clone + Send + 'static> OutputFactory for TypedOutput<T> {
    fn fan_out(&self, targets: Vec<AnyBox>, slot: MetricsSlot) -> AnyBox {
        let mut targets: Vec<Box<dyn Collector<T>>> = targets.into_iter().map(downcast).collect();
        let collector: Box<dyn Collector<T>> = match targets.len() {
            0 => Box::new(DiscardCollector),
            1 => targets.pop().expect("one target"),
            _ => Box::new(TeeCollector::new(targets)),
        };
        let counted: Box<dyn Collector<T>> = Box::new(CountingCollector::counting(
            collector,
            slot,
            Counted::RecordsOut,
        ));
        Box::new(counted)
    }
}
