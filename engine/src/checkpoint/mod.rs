//! Checkpoints: what a snapshot of a job holds and where it is kept (DESIGN §8).
//!
//! Every stateful operator subtask turns its state into an [`OperatorSnapshot`]: keyed state
//! and timers as bytes per key group, operator state as lists of entries. That shape is what
//! lets a checkpoint be restored at another parallelism ([`redistribute`]).

pub mod operator_snapshot;

pub use operator_snapshot::{OperatorListState, OperatorSnapshot, RedistributeMode, redistribute};
