//! [`SavepointStorage`]: savepoints, self-contained folders under `state.savepoints.dir` (or
//! `weir run --savepoint-dir`).
//!
//! ```text
//!  <savepoints dir>/
//!  ├── savepoint-WindowAg-12/      the same format as a chk-<id> folder:
//!  │   ├── window-2-0              state files, then _metadata written last
//!  │   └── _metadata
//!  └── savepoint-WindowAg-31/
//! ```
//!
//! The name is `savepoint-<the first 8 characters of the job folder name>-<checkpoint id>`.
//! Retention never touches savepoints; they belong to the user. A savepoint folder that already
//! holds a completed savepoint is never overwritten.

use std::path::{Path, PathBuf};

use crate::checkpoint::checkpoint_metadata::{CheckpointMetadata, StateFileHandle};
use crate::checkpoint::checkpoint_storage::job_folder_name;
use crate::checkpoint::completed_checkpoint::CompletedCheckpoint;
use crate::checkpoint::operator_snapshot::OperatorSnapshot;
use crate::checkpoint::snapshot_folder::SnapshotFolder;
use crate::checkpoint::storage_location::resolve_storage_location;
use crate::error::WeirError;

/// What names a savepoint folder in errors.
const SAVEPOINT_SETTING: &str = "state.savepoints.dir (or weir run --savepoint-dir)";

/// The savepoints of one job. See the module docs.
#[derive(Debug, Clone)]
pub struct SavepointStorage {
    directory: PathBuf,
    job_short: String,
}

impl SavepointStorage {
    /// Savepoints of job `job_id` in `location` (a `file://` URI or a local path).
    pub fn new(location: &str, job_id: &str) -> Result<SavepointStorage, WeirError> {
        let directory = resolve_storage_location(location, SAVEPOINT_SETTING)?;
        Ok(SavepointStorage {
            directory,
            job_short: job_folder_name(job_id).chars().take(8).collect(),
        })
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The folder of savepoint `checkpoint_id`.
    pub fn folder(&self, checkpoint_id: u64) -> SnapshotFolder {
        SnapshotFolder::new(
            self.directory
                .join(format!("savepoint-{}-{checkpoint_id}", self.job_short)),
        )
    }

    /// Makes an empty folder for savepoint `checkpoint_id` (a completed one is an error).
    pub fn begin(&self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.folder(checkpoint_id).prepare()
    }

    /// Writes the state of operator `uid`, subtask `subtask`; an empty snapshot writes nothing.
    pub fn write_operator_state(
        &self,
        checkpoint_id: u64,
        uid: &str,
        subtask: usize,
        snapshot: &OperatorSnapshot,
    ) -> Result<Option<StateFileHandle>, WeirError> {
        self.folder(checkpoint_id)
            .write_state_file(uid, subtask, snapshot)
    }

    /// Writes `_metadata` last, atomically.
    pub fn complete(
        &self,
        metadata: &CheckpointMetadata,
    ) -> Result<CompletedCheckpoint, WeirError> {
        CompletedCheckpoint::write(&self.folder(metadata.checkpoint_id), metadata)
    }

    /// Removes the folder of a savepoint that will not complete.
    pub fn abort(&self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.folder(checkpoint_id).remove()
    }
}
