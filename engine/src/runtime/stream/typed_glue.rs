//! The typed implementations of the stream graph's erased factories: fan-out of an output
//! type ([`TypedOutput`]) and both ends of an exchange ([`TypedExchange`]).

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
        let writer = RecordWriter::new(partition, StreamRecordSerializer::new(T::serializer()))?;
        let selector = ChannelSelector::new(
            self.partitioner.clone(),
            context.producers,
            context.subtask,
            context.consumers,
            context.max_parallelism,
            &context.operator,
        );
        Ok(link_box(Box::new(WriterLink::new(
            writer, selector, &context,
        ))))
    }

    fn input(&self, gate: InputGate, head: LinkBox, exactly_once: bool) -> Box<dyn TaskInput> {
        let reader = RecordReader::new(gate, StreamRecordSerializer::new(T::serializer()));
        Box::new(InputProcessor::new(
            reader,
            unbox_link::<T>(head),
            exactly_once,
        ))
    }
}
