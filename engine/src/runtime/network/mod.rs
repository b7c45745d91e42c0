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
//!   consumer subtask. Pipelined partitions (`pipelined_subpartition.rs`) hand buffers to
//!   consumers against credits the consumers announce (credit-based flow control: a buffer
//!   without credit waits in the subpartition's backlog), carry in-order [`ChannelEvent`]s
//!   (watermarks, idleness, checkpoint barriers), and make the writer wait for buffers when
//!   consumers are slow (backpressure). Blocking partitions are produced completely, spill to
//!   disk through the I/O manager when the pool runs dry (`blocking_subpartition.rs`), and are
//!   read afterwards.
//! * [`RecordWriter`] (`record_writer.rs`) and [`RecordReader`] (`record_reader.rs`): records
//!   serialized by a [`crate::types::TypeSerializer`] straight into buffers; records straddle
//!   buffers. Every buffer carries a [`BufferHeader`] (`buffer_header.rs`: the framing and its
//!   byte diagram), so a reader deserializes records in place and copies only a record that
//!   spans buffers into a per-channel area (`spanning_record.rs`). The writer flushes partly
//!   filled buffers (the buffer timeout) and broadcasts events between records; the reader
//!   hands out records, events and channel ends as [`ReaderItem`]s with a timeout, and can block
//!   single channels (barrier alignment).
//! * [`InputGate`] (`input_gate.rs`): multiplexes the channels of a consumer without ever
//!   waiting for one particular channel; returns a credit to a channel's sender whenever the
//!   reader is done with one of its buffers.
//! * [`CancelToken`] (`cancel_token.rs`): every wait gives up when the job is canceled.
//!
//! ```text
//!  one pipelined channel, credit 2:
//!   writer ─▶ [backlog: b5 b6 Wm b7] ─(credit)─▶ queue: [b3 b4] ─▶ reader ─drop b3─▶ credit +1
//!                                                                                 ─▶ b5 sent
//! ```
//!
//! Metrics: [`ResultPartition::backpressured_time`] (the writer waited for a buffer) and
//! [`RecordReader::idle_time`] (the reader waited for input), both measured only around waits.
//!
//! Only the local (in-process) exchange exists so far; a TCP transport will carry the same
//! buffers, headers, events and credits between TaskManagers.

mod blocking_subpartition;
mod buffer_header;
mod cancel_token;
mod channel_event;
mod input_gate;
mod pipelined_subpartition;
mod record_reader;
mod record_writer;
mod result_partition;
mod spanning_record;

pub use buffer_header::BufferHeader;
pub use cancel_token::CancelToken;
pub use channel_event::{ChannelEvent, CheckpointBarrier, SnapshotKind};
pub use input_gate::{DEFAULT_BUFFERS_PER_CHANNEL, InputGate};
pub use pipelined_subpartition::SubpartitionFlow;
pub use record_reader::{ReaderItem, RecordReader};
pub use record_writer::RecordWriter;
pub use result_partition::{PartitionKind, PartitionMetrics, ResultPartition};
