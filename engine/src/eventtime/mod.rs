//! Event time: timestamps, watermarks and idleness (Flink's `org.apache.flink.api.common.eventtime`).
//!
//! ```text
//!   record ──▶ TimestampAssigner ──ts──▶ WatermarkGenerator.on_event ─┐
//!                                                                     ├──▶ WatermarkOutput
//!   every pipeline.auto-watermark-interval ──▶ on_periodic_emit ──────┘    (only increases;
//!                                                                           idle / active)
//!                                                       │
//!                    one output per split ──▶ WatermarkOutputMultiplexer ──▶ min over the
//!                                               active (non-idle) splits ──▶ downstream
//! ```
//!
//! A [`WatermarkStrategy`] bundles the assigner and a factory of generators, so every source
//! split (or every subtask of a `assign_timestamps_and_watermarks` operator) gets its own
//! generator. Watermarks are milliseconds of event time: `i64::MIN` means none yet, `i64::MAX`
//! the end of the input. A generator that sees no events for the idleness timeout
//! ([`WatermarkStrategy::with_idleness`]) marks its output idle, so it no longer holds back the
//! minimum; the next event makes it active again.
//!
//! Generators that need the processing time (idleness) read it from the output
//! ([`WatermarkOutput::processing_time_ms`]): the operator sets it from the task's clock before
//! every call, which keeps tests deterministic.

mod bounded_out_of_orderness;
mod timestamp_assigner;
mod timestamps_and_watermarks_operator;
mod watermark_generator;
mod watermark_output;
mod watermark_output_multiplexer;
mod watermark_strategy;
mod watermarks_with_idleness;

pub use bounded_out_of_orderness::BoundedOutOfOrdernessWatermarks;
pub use timestamp_assigner::{RecordTimestampAssigner, TimestampAssigner};
pub use timestamps_and_watermarks_operator::{
    TimestampsAndWatermarksOperator, timestamps_and_watermarks_operator,
};
pub use watermark_generator::{NoWatermarksGenerator, WatermarkGenerator};
pub use watermark_output::{WatermarkOutput, WatermarkUpdate};
pub use watermark_output_multiplexer::WatermarkOutputMultiplexer;
pub use watermark_strategy::WatermarkStrategy;
pub use watermarks_with_idleness::WatermarksWithIdleness;

/// The timestamp of a record without one (Flink's `TimestampAssigner.NO_TIMESTAMP`).
pub const NO_TIMESTAMP: i64 = i64::MIN;

/// The final watermark of a bounded input: every timer and window fires.
pub const MAX_WATERMARK: i64 = i64::MAX;
