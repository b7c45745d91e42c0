//! [`ChannelEvent`]: what travels through a pipelined subpartition besides records, in order
//! with them.
//!
//! An event is never mixed into a buffer of records: the writer seals the open buffer of each
//! subpartition first, then queues the event, so an event always sits at a buffer boundary. A
//! reader can therefore stop reading one channel right after an event (barrier alignment)
//! without holding half a buffer.

/// What a snapshot is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotKind {
    /// A periodic checkpoint (`execution.checkpointing.interval`).
    Checkpoint,
    /// A savepoint; the job goes on.
    Savepoint,
    /// A savepoint after which the job stops (stop-with-savepoint).
    SavepointTerminate,
}

/// Flink's `CheckpointBarrier`: everything before it on a channel belongs to checkpoint `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointBarrier {
    pub id: u64,
    /// When the checkpoint was triggered (milliseconds since the epoch).
    pub timestamp_ms: i64,
    pub kind: SnapshotKind,
}

/// An in-order event of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelEvent {
    /// The sender's watermark (milliseconds of event time).
    Watermark(i64),
    /// The sender became idle (`true`: its watermark must not hold back the receiver) or
    /// active again (`false`).
    Idle(bool),
    /// A checkpoint barrier.
    Barrier(CheckpointBarrier),
}
