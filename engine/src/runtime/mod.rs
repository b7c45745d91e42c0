//! The runtime: tasks on threads, the exchanges between them, and the local executor that runs
//! a job graph (DESIGN §6).
//!
//! ```text
//!   local_executor ── regions in order ──▶ task threads (one per subtask)
//!                                           │ chain of operators (drivers), records by call
//!                                           ▼
//!                              partitioner ══ network: result partitions ══▶ input gates
//! ```

pub mod collector;
pub(crate) mod drivers;
pub mod job_result;
pub mod local_executor;
pub mod mailbox;
pub mod network;
pub mod operator_context;
pub(crate) mod partitioner;
pub mod progress;
pub(crate) mod range_boundaries;
pub mod record_source;
pub mod stream;
pub(crate) mod task;

pub use collector::{Collector, Output};
pub use job_result::{JobExecutionResult, OperatorSummary};
pub use local_executor::ExecuteOptions;
pub use progress::JobProgress;
