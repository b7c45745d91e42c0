//! From a program to what runs: the logical [`plan`] the DataSet API builds, and the
//! [`job_graph`] that chains its operators into tasks (DESIGN §6).
//!
//! ```text
//!   DataSet calls ──▶ Plan (one node per operator, typed factories behind erased traits)
//!                       │ chaining: forward edge, equal parallelism, one consumer
//!                       ▼
//!                     JobGraph (one vertex per chain; edges = exchanges with a ship strategy)
//!                       │ the local executor: one subtask per vertex × parallelism
//!                       ▼
//!                     tasks on threads, result partitions, input gates
//! ```

pub mod job_graph;
pub mod plan;
pub mod stream_graph;
