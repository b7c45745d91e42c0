//! The typed implementations of the stream graph's erased factories: fan-out of an output
//! type ([`TypedOutput`]) and both ends of an exchange ([`TypedExchange`], and
//! [`TwoInputExchange`] for an input of a two-input operator: its producers write their side's
//! records in the [`TaggedUnion`] format and the consumer reads the union).

use std::marker::PhantomData;
use std::sync::Arc;

use crate::api::Data;
use crate::error::WeirError;
use crate::graph::stream_graph::{LinkBox, StreamExchangeFactory, StreamOutputFactory, downcast};
use crate::runtime::network::{InputGate, RecordReader, RecordWriter, ResultPartition};
use crate::runtime::stream::chain_link::ChainLink;
use crate::runtime::stream::side_output::{SideOutput, TypedSideOutput};
use crate::runtime::stream::stream_partitioner::{ChannelSelector, StreamPartitioner};
use crate::runtime::stream::stream_record::StreamRecordSerializer;
use crate::runtime::stream::task_input::{InputProcessor, TaskInput};
use crate::runtime::stream::tee_link::{DiscardLink, TeeLink};
use crate::runtime::stream::writer_link::{WriterContext, WriterLink};
use crate::types::{InputTagSerializer, TaggedUnion, TypeSerializer};

/// A `Box<dyn ChainLink<T>>` as a [`LinkBox`].
pub(crate) fn link_box<T: 'static>(link: Box<dyn ChainLink<T>>) -> LinkBox {
    Box::new(link)
}

/// The `Box<dyn ChainLink<T>>` inside a [`LinkBox`].
pub(crate) fn unbox_link<T: 'static>(link: LinkBox) -> Box<dyn ChainLink<T>> {
    *downcast::<Box<dyn ChainLink<T>>>(link, "chain link")
}

/// Fan-out for records of `T`.
pub(crate) struct TypedOutput<T>(PhantomData<fn() -> T>);

impl<T> TypedOutput<T> {
    pub(crate) fn new() -> Arc<TypedOutput<T>> {
        Arc::new(TypedOutput(PhantomData))
    }
}

impl<T: Data> TypedOutput<T> {
    fn link(targets: Vec<LinkBox>) -> Box<dyn ChainLink<T>> {
        let mut links: Vec<Box<dyn ChainLink<T>>> = targets.into_iter().map(unbox_link).collect();
        match links.len() {
            0 => Box::new(DiscardLink),
            1 => links.pop().expect("one link"),
            _ => Box::new(TeeLink::new(links)),
        }
    }
}

impl<T: Data> StreamOutputFactory for TypedOutput<T> {
    fn fan_out(&self, targets: Vec<LinkBox>) -> LinkBox {
        link_box(Self::link(targets))
    }

    fn side_output(&self, targets: Vec<LinkBox>) -> Box<dyn SideOutput> {
        Box::new(TypedSideOutput {
            link: Self::link(targets),
        })
    }
}

/// Both ends of an exchange of `T`, with its typed partitioner.
pub(crate) struct TypedExchange<T> {
    partitioner: StreamPartitioner<T>,
}

impl<T: Data> TypedExchange<T> {
    pub(crate) fn new(partitioner: StreamPartitioner<T>) -> Arc<TypedExchange<T>> {
        Arc::new(TypedExchange { partitioner })
    }
}

impl<T: Data> StreamExchangeFactory for TypedExchange<T> {
    fn writer(
        &self,
        partition: Arc<ResultPartition>,
        context: WriterContext,
    ) -> Result<LinkBox, WeirError> {
        writer_link(
            T::serializer(),
            self.partitioner.clone(),
            partition,
            context,
        )
    }

    fn input(&self, gate: InputGate, head: LinkBox, exactly_once: bool) -> Box<dyn TaskInput> {
        typed_input::<T>(gate, head, exactly_once)
    }
}

/// The task input reading records of `T` from `gate` into `head` (a `Box<dyn ChainLink<T>>`).
fn typed_input<T: Data>(gate: InputGate, head: LinkBox, exactly_once: bool) -> Box<dyn TaskInput> {
    let reader = RecordReader::new(gate, StreamRecordSerializer::new(T::serializer()));
    Box::new(InputProcessor::new(
        reader,
        unbox_link::<T>(head),
        exactly_once,
    ))
}

/// A writer link serializing `T` through `serializer` into `partition`.
fn writer_link<T: Data, S: TypeSerializer<Value = T>>(
    serializer: S,
    partitioner: StreamPartitioner<T>,
    partition: Arc<ResultPartition>,
    context: WriterContext,
) -> Result<LinkBox, WeirError> {
    let writer = RecordWriter::new(partition, StreamRecordSerializer::new(serializer))?;
    let selector = ChannelSelector::new(
        partitioner,
        context.producers,
        context.subtask,
        context.consumers,
        context.max_parallelism,
        &context.operator,
    );
    Ok(link_box::<T>(Box::new(WriterLink::new(
        writer, selector, &context,
    ))))
}

/// The exchange of one input (records `T`, the first input's `A` or the second's `B`) of a
/// two-input operator reading `TaggedUnion<A, B>`.
pub(crate) struct TwoInputExchange<T, A, B> {
    partitioner: StreamPartitioner<T>,
    second: bool,
    _inputs: PhantomData<fn() -> (A, B)>,
}

impl<A: Data, B: Data> TwoInputExchange<A, A, B> {
    /// The exchange of the first input.
    pub(crate) fn first(partitioner: StreamPartitioner<A>) -> Arc<TwoInputExchange<A, A, B>> {
        Arc::new(TwoInputExchange {
            partitioner,
            second: false,
            _inputs: PhantomData,
        })
    }
}

impl<A: Data, B: Data> TwoInputExchange<B, A, B> {
    /// The exchange of the second input.
    pub(crate) fn second(partitioner: StreamPartitioner<B>) -> Arc<TwoInputExchange<B, A, B>> {
        Arc::new(TwoInputExchange {
            partitioner,
            second: true,
            _inputs: PhantomData,
        })
    }
}

impl<T: Data, A: Data, B: Data> StreamExchangeFactory for TwoInputExchange<T, A, B> {
    fn writer(
        &self,
        partition: Arc<ResultPartition>,
        context: WriterContext,
    ) -> Result<LinkBox, WeirError> {
        let serializer = match self.second {
            false => InputTagSerializer::first(T::serializer()),
            true => InputTagSerializer::second(T::serializer()),
        };
        writer_link(serializer, self.partitioner.clone(), partition, context)
    }

    fn input(&self, gate: InputGate, head: LinkBox, exactly_once: bool) -> Box<dyn TaskInput> {
        typed_input::<TaggedUnion<A, B>>(gate, head, exactly_once)
    }
}
