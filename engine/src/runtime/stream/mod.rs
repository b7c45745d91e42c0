//! The streaming runtime: every task of a job runs at once, records flow through pipelined
//! exchanges with credit-based flow control, and watermarks, checkpoint barriers and timers
//! travel with them (DESIGN §6, §8).
//!
//! ```text
//!   source task:  SourceReader ─▶ op ─▶ op ─▶ writer ══ buffers + events ══▶ gate
//!   other tasks:  gate ─▶ input processor (watermark valve, barrier alignment) ─▶ op ─▶ … ─▶ writer
//!                 ▲ mailbox: checkpoint triggers (sources), checkpoint completion, cancel
//! ```
//!
//! Inside a task, operators form a tree of [`ChainLink`]s: each link is the input of one
//! operator (or the network writer at the end of the chain) and owns its downstream links.
//! Records, watermarks and every control call (processing-time timers, snapshots, checkpoint
//! completion, end of input) enter at the head and are passed down by call, so an operator is
//! only ever touched by its own task thread: nothing locks it.

pub mod chain_link;
pub mod stream_collector;

pub use chain_link::{ChainLink, OperatorSetup, TaskSnapshot};
pub use stream_collector::StreamCollector;
