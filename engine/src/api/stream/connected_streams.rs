//! [`ConnectedStreams`]: two streams of possibly different types read by one two-input
//! operator (Flink's `connect`), and [`KeyedConnectedStreams`], the same with both inputs
//! partitioned by a key of one type so they share keyed state and timers.
//!
//! ```text
//!   a: DataStream<A> ──┐ connect                    ┌─ map(f1, f2) / flat_map(f1, f2) / process(CoProcessFunction)
//!   b: DataStream<B> ──┴──────▶ ConnectedStreams<A, B>
//!                                  └─ key_by(k1, k2) ─▶ KeyedConnectedStreams ─ process(KeyedCoProcessFunction)
//!   keyed a ── connect(keyed b) ─────────────────────▶ KeyedConnectedStreams
//! ```
//!
//! The operator heads a new task: each input keeps the partitioning asked for on its stream
//! (forward at equal parallelism by default), and both arrive through one input gate (see
//! [`crate::runtime::stream::two_input_link`]).

use std::sync::Arc;

use crate::api::Data;
use crate::api::stream::co_process_function::{
    CoFlatMapClosures, CoMapClosures, CoProcessFunction, CoProcessLink,
};
use crate::api::stream::data_stream::DataStream;
use crate::api::stream::keyed_co_process_function::{
    KeyOf, KeyedCoProcessFunction, KeyedCoProcessLink,
};
use crate::api::stream::keyed_stream::KeyedStream;
use crate::api::stream::node_factories::{OperatorFn, runtime_context};
use crate::graph::stream_graph::{LinkBox, StreamEdge, StreamNode, StreamOperatorKind};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::runtime::stream::two_input_link::{TwoInputHead, TwoInputLink};
use crate::runtime::stream::typed_glue::{TwoInputExchange, TypedOutput, link_box};
use crate::state::StateKey;
use crate::types::TaggedUnion;

/// See the module docs.
pub struct ConnectedStreams<A, B> {
    pub(crate) first: DataStream<A>,
    pub(crate) second: DataStream<B>,
}

impl<A, B> Clone for ConnectedStreams<A, B> {
    fn clone(&self) -> Self {
        ConnectedStreams {
            first: self.first.clone(),
            second: self.second.clone(),
        }
    }
}

impl<A, B> std::fmt::Debug for ConnectedStreams<A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectedStreams")
            .field("first", &self.first)
            .field("second", &self.second)
            .finish()
    }
}

/// A two-input operator as the head link of its task.
pub(crate) fn two_input_head<A: 'static, B: 'static>(
    link: impl TwoInputLink<A, B> + 'static,
) -> LinkBox {
    link_box::<TaggedUnion<A, B>>(Box::new(TwoInputHead::new(link)))
}

impl<A: Data> DataStream<A> {
    /// This stream and `other` as the two inputs of one operator (Flink's `connect`).
    pub fn connect<B: Data>(&self, other: &DataStream<B>) -> ConnectedStreams<A, B> {
        ConnectedStreams {
            first: self.clone(),
            second: other.clone(),
        }
    }
}

impl<K: StateKey + Clone, A: Data> KeyedStream<K, A> {
    /// This keyed stream and `other` (keyed by the same key type) as the two inputs of one
    /// keyed operator: records of equal keys meet at the same subtask and state.
    pub fn connect<B: Data>(&self, other: &KeyedStream<K, B>) -> KeyedConnectedStreams<K, A, B> {
        KeyedConnectedStreams {
            streams: self.stream.connect(&other.stream),
            key1: Arc::clone(&self.key),
            key2: Arc::clone(&other.key),
        }
    }
}

impl<A: Data, B: Data> ConnectedStreams<A, B> {
    /// Adds the two-input operator built by `factory` (its link is a [`two_input_head`]).
    pub(crate) fn add_operator<O: Data>(&self, name: &str, factory: OperatorFn) -> DataStream<O> {
        let env = self.first.env.clone();
        let edges = vec![
            StreamEdge {
                source: self.first.node,
                side_output: self.first.side_output.clone(),
                partitioning: self.first.partitioning.kind.clone(),
                exchange: TwoInputExchange::<A, A, B>::first(
                    self.first.partitioning.partitioner.clone(),
                ),
            },
            StreamEdge {
                source: self.second.node,
                side_output: self.second.side_output.clone(),
                partitioning: self.second.partitioning.kind.clone(),
                exchange: TwoInputExchange::<B, A, B>::second(
                    self.second.partitioning.partitioner.clone(),
                ),
            },
        ];
        let node = StreamNode {
            name: name.to_owned(),
            uid: None,
            parallelism: env.parallelism(),
            inputs: edges,
            operator: StreamOperatorKind::OneInput(Arc::new(factory)),
            output: TypedOutput::<O>::new(),
            side_output_types: Vec::new(),
            chain_to_input: false,
            chain_from_here: false,
            is_sink: false,
            is_union: false,
        };
        let id = env.state.borrow_mut().graph.add(node);
        DataStream::new(env, id)
    }

    /// `f1` maps the records of the first input, `f2` those of the second, into one output
    /// type (Flink's `CoMapFunction`).
    pub fn map<O: Data, F1, F2>(&self, f1: F1, f2: F2) -> DataStream<O>
    where
        F1: FnMut(A) -> O + Clone + Send + Sync + 'static,
        F2: FnMut(B) -> O + Clone + Send + Sync + 'static,
    {
        self.process_named("Co-Map", CoMapClosures(f1, f2))
    }

    /// `f1` and `f2` emit any number of records per record of their input (Flink's
    /// `CoFlatMapFunction`).
    pub fn flat_map<O: Data, F1, F2>(&self, f1: F1, f2: F2) -> DataStream<O>
    where
        F1: FnMut(A, &mut StreamCollector<'_, O>) + Clone + Send + Sync + 'static,
        F2: FnMut(B, &mut StreamCollector<'_, O>) + Clone + Send + Sync + 'static,
    {
        self.process_named("Co-Flat Map", CoFlatMapClosures(f1, f2))
    }

    /// Runs a [`CoProcessFunction`] over both inputs.
    pub fn process<O: Data, F: CoProcessFunction<A, B, O>>(&self, function: F) -> DataStream<O> {
        self.process_named("Co-Process", function)
    }

    fn process_named<O: Data, F: CoProcessFunction<A, B, O>>(
        &self,
        name: &str,
        function: F,
    ) -> DataStream<O> {
        self.add_operator(
            name,
            OperatorFn::new(move |setup, output, side| {
                let link = CoProcessLink::open(
                    function.clone(),
                    runtime_context(setup),
                    Downstream::from_factory(output, side),
                )?;
                Ok(two_input_head(link))
            }),
        )
    }

    /// Partitions both inputs by a key of one type (`key1` of the first input's records,
    /// `key2` of the second's).
    pub fn key_by<K, F1, F2>(&self, key1: F1, key2: F2) -> KeyedConnectedStreams<K, A, B>
    where
        K: StateKey + Clone,
        F1: Fn(&A) -> K + Clone + Send + Sync + 'static,
        F2: Fn(&B) -> K + Clone + Send + Sync + 'static,
    {
        self.first.key_by(key1).connect(&self.second.key_by(key2))
    }
}

/// See the module docs.
pub struct KeyedConnectedStreams<K, A, B> {
    pub(crate) streams: ConnectedStreams<A, B>,
    pub(crate) key1: KeyOf<A, K>,
    pub(crate) key2: KeyOf<B, K>,
}

impl<K, A, B> std::fmt::Debug for KeyedConnectedStreams<K, A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedConnectedStreams")
            .field("streams", &self.streams)
            .finish()
    }
}

impl<K: StateKey + Clone, A: Data, B: Data> KeyedConnectedStreams<K, A, B> {
    /// Runs a [`KeyedCoProcessFunction`]: keyed state and timers shared by both inputs.
    pub fn process<O: Data, F: KeyedCoProcessFunction<K, A, B, O>>(
        &self,
        function: F,
    ) -> DataStream<O> {
        let keys = (Arc::clone(&self.key1), Arc::clone(&self.key2));
        self.streams.add_operator(
            "KeyedCo-Process",
            OperatorFn::new(move |setup, output, side| {
                let link = KeyedCoProcessLink::open(
                    function.clone(),
                    setup,
                    runtime_context(setup),
                    (Arc::clone(&keys.0), Arc::clone(&keys.1)),
                    Downstream::from_factory(output, side),
                )?;
                Ok(two_input_head(link))
            }),
        )
    }

    /// [`ConnectedStreams::map`] over the key-partitioned inputs.
    pub fn map<O: Data, F1, F2>(&self, f1: F1, f2: F2) -> DataStream<O>
    where
        F1: FnMut(A) -> O + Clone + Send + Sync + 'static,
        F2: FnMut(B) -> O + Clone + Send + Sync + 'static,
    {
        self.streams.map(f1, f2)
    }

    /// [`ConnectedStreams::flat_map`] over the key-partitioned inputs.
    pub fn flat_map<O: Data, F1, F2>(&self, f1: F1, f2: F2) -> DataStream<O>
    where
        F1: FnMut(A, &mut StreamCollector<'_, O>) + Clone + Send + Sync + 'static,
        F2: FnMut(B, &mut StreamCollector<'_, O>) + Clone + Send + Sync + 'static,
    {
        self.streams.flat_map(f1, f2)
    }
}
