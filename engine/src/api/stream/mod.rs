//! The DataStream API: what a program writes to define a streaming job (Flink's DataStream
//! API; its documentation is the map for names and semantics).
//!
//! ```text
//!   StreamExecutionEnvironment ── from_source / read_text_file / from_collection / socket ──▶ DataStream<T>
//!   DataStream<T> ── map / flat_map / filter / process / union / rebalance / … ──▶ DataStream<U>
//!                 ── key_by(key) ──▶ KeyedStream<K, T> ── reduce / sum / process / window ──▶ …
//!                 ── connect(other) ──▶ ConnectedStreams<T, U> ── map / flat_map / process / key_by ──▶ …
//!                 ── print / collect_sink / sink_to_files ──▶ sink
//!   env.execute("name") runs every sink and what it depends on
//! ```

pub mod broadcast_process_function;
pub mod co_process_function;
pub mod connected_streams;
pub mod data_stream;
pub mod interval_join;
pub mod keyed_co_process_function;
pub(crate) mod keyed_operator_state;
pub mod keyed_process_function;
pub mod keyed_stream;
pub(crate) mod node_factories;
pub mod output_tag;
pub mod process_function;
pub mod stream_execution_environment;
pub mod window_join;
pub mod windowed_stream;

pub use crate::runtime::stream::operators::record_function_link::FlatMapFunction;
pub use crate::runtime::stream::stream_collector::StreamCollector;
pub use broadcast_process_function::{
    BroadcastConnectedStream, BroadcastContext, BroadcastProcessFunction, BroadcastStream,
    KeyedBroadcastConnectedStream, KeyedBroadcastProcessFunction,
};
pub use co_process_function::CoProcessFunction;
pub use connected_streams::{ConnectedStreams, KeyedConnectedStreams};
pub use data_stream::{CollectedStream, DataStream};
pub use interval_join::{IntervalJoin, IntervalJoined, JoinContext, ProcessJoinFunction};
pub use keyed_co_process_function::KeyedCoProcessFunction;
pub use keyed_process_function::{
    AggregatingState, KeyedContext, KeyedProcessFunction, KeyedStateContext, ListState, MapState,
    ReducingState, TimeDomain, ValueState,
};
pub use keyed_stream::KeyedStream;
pub use output_tag::OutputTag;
pub use process_function::{ProcessContext, ProcessFunction};
pub use stream_execution_environment::StreamExecutionEnvironment;
pub use window_join::{JoinedStreams, JoinedStreamsKeyed, JoinedStreamsWhere, WindowJoin};
pub use windowed_stream::WindowedStream;
