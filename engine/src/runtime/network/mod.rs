//! The data exchange between tasks: result partitions, input gates, and the typed record
//! writers and readers on top of them (Flink's `ResultPartition`, `InputGate`, `RecordWriter`).
//!
//! ```text
//!  producer subtask                                                    consumer subtasks
//!  RecordWriter<S> ──records──▶ ResultPartition ──subpartition 0──▶ InputGate ─▶ RecordReader<S>
//!   serializes into network     (pipelined or      subpartition 1──▶ InputGate ─▶ RecordReader<S>
//!   buffers of the partition's   blocking)          …
//!   LocalBufferPool
//! ```
//!
//! * [`ResultPartition`] (`result_partition.rs`): one per producer subtask, one subpartition per
//!   consumer subtask. Pipelined partitions queue buffers to consumers as they fill, and the
//!   writer waits for buffers when consumers are slow (backpressure). Blocking partitions are
//!   produced completely, spill to disk through the I/O manager when the pool runs dry
//!   (`blocking_subpartition.rs`), and are read afterwards.
//! * [`RecordWriter`] (`record_writer.rs`) and [`RecordReader`] (`record_reader.rs`): records
//!   serialized by a [`crate::types::TypeSerializer`] straight into buffers; records straddle
//!   buffers. Every buffer carries a [`BufferHeader`] (`buffer_header.rs`: the framing and its
//!   byte diagram), so a reader deserializes records in place and copies only a record that
//!   spans buffers into a per-channel area (`spanning_record.rs`).
//! * [`InputGate`] (`input_gate.rs`): multiplexes the channels of a consumer without ever
//!   waiting for one particular channel.
//! * [`CancelToken`] (`cancel_token.rs`): every wait gives up when the job is canceled.
//!
//! Only the local (in-process) exchange exists so far; a TCP transport with credit-based flow
//! control will carry the same buffers and headers between TaskManagers.

mod blocking_subpartition;
mod buffer_header;
mod cancel_token;
mod channel_event;
mod input_gate;
mod record_reader;
mod record_writer;
mod result_partition;
mod spanning_record;

pub use buffer_header::BufferHeader;
pub use cancel_token::CancelToken;
pub use channel_event::{ChannelEvent, CheckpointBarrier, SnapshotKind};
pub use input_gate::InputGate;
pub use record_reader::RecordReader;
pub use record_writer::RecordWriter;
pub use result_partition::{PartitionKind, PartitionMetrics, ResultPartition};
