//! Checkpoints: what a snapshot of a job holds, where it is kept, and what happens after a
//! failure (DESIGN §8).
//!
//! ```text
//!   executor loop ──▶ CheckpointCoordinator ──trigger──▶ barrier into the sources
//!                          ▲    │
//!        acknowledge(task, │    └──▶ CheckpointStorage / SavepointStorage
//!        TaskSnapshot)     │           <dir>/<job>/chk-<id>/{<uid>-<subtask>…, _metadata}
//!                          │
//!   failure ──▶ RestartStrategy ──▶ restart after a delay ──▶ load_checkpoint(latest) ──▶
//!               RestoredCheckpoint::load_operator(uid) ──▶ redistribute ──▶ OperatorSetup
//! ```
//!
//! Every stateful operator subtask turns its state into an [`OperatorSnapshot`]: keyed state
//! and timers as bytes per key group, operator state as lists of entries. That shape is what
//! lets a checkpoint be restored at another parallelism ([`redistribute`]).

pub mod checkpoint_coordinator;
pub mod checkpoint_metadata;
pub mod checkpoint_stats;
pub mod checkpoint_storage;
pub mod completed_checkpoint;
pub mod operator_snapshot;
pub mod restart_strategy;
pub mod restored_checkpoint;
pub mod savepoint_storage;
pub mod section_bytes;
pub mod section_writer;
pub mod snapshot_folder;
pub mod state_file;
pub mod storage_location;

pub use checkpoint_coordinator::{
    CheckpointCoordinator, CheckpointCoordinatorConfig, MIN_CHECKPOINT_INTERVAL, TaskInfo,
    TaskOperator,
};
pub use checkpoint_metadata::{CheckpointMetadata, OperatorStateMeta, StateFileHandle};
pub use checkpoint_stats::CheckpointStats;
pub use checkpoint_storage::CheckpointStorage;
pub use completed_checkpoint::CompletedCheckpoint;
pub use operator_snapshot::{OperatorListState, OperatorSnapshot, RedistributeMode, redistribute};
pub use restart_strategy::{ExponentialDelaySettings, RestartDecision, RestartStrategy};
pub use restored_checkpoint::{RestoredCheckpoint, load_checkpoint};
pub use savepoint_storage::SavepointStorage;
pub use section_bytes::SectionBytes;
pub use section_writer::SectionWriter;
pub use snapshot_folder::{
    CheckpointIoAction, METADATA_FILE_NAME, SnapshotFolder, state_file_name,
};
pub use storage_location::resolve_storage_location;
