//! The streaming runtime: every task of a job runs at once, records flow through pipelined
//! exchanges with credit-based flow control, and watermarks, checkpoint barriers and timers
//! travel with them (DESIGN §6, §8).
//!
//! ```text
//!   source task:  SourceDriver ─▶ op ─▶ op ─▶ WriterLink ══ buffers + events ══▶ gate
//!   other tasks:  gate ─▶ InputProcessor (watermark valve, barrier alignment) ─▶ op ─▶ … ─▶ WriterLink
//!                 ▲ mailbox: checkpoint triggers (sources), checkpoint completion, cancel
//!   executor:     spawns every subtask, drives the checkpoint coordinator, restarts on failure
//! ```
//!
//! Inside a task, operators form a tree of [`ChainLink`]s: each link is the input of one
//! operator (or the network writer at the end of the chain) and owns its downstream links.
//! Records, watermarks and every control call (processing-time timers, snapshots, checkpoint
//! completion, end of input) enter at the head and are passed down by call, so an operator is
//! only ever touched by its own task thread: nothing locks it.

pub(crate) mod barrier_alignment;
pub(crate) mod chain_control;
pub mod chain_link;
pub(crate) mod downstream;
pub(crate) mod operators;
pub mod processing_time;
pub(crate) mod side_output;
pub(crate) mod source_driver;
pub mod stream_collector;
pub mod stream_executor;
pub(crate) mod stream_partitioner;
pub mod stream_record;
pub(crate) mod stream_task;
pub(crate) mod task_input;
pub mod task_report;
pub(crate) mod tee_link;
pub mod two_input_link;
pub(crate) mod typed_glue;
pub(crate) mod watermark_valve;
pub(crate) mod writer_link;

#[cfg(test)]
pub(crate) mod test_link;

pub use chain_link::{ChainLink, OperatorSetup, TaskSnapshot};
pub use processing_time::{ProcessingTimeClock, processing_time_now, system_clock};
pub use stream_collector::StreamCollector;
pub use stream_executor::StreamExecuteOptions;
pub use stream_record::{StreamRecord, StreamRecordSerializer};
pub use stream_task::FINAL_COMMIT;
pub use task_report::TaskMetrics;
pub use two_input_link::{TwoInputHead, TwoInputLink};
