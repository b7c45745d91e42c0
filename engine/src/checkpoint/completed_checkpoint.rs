//! [`CompletedCheckpoint`]: a checkpoint or savepoint whose `_metadata` is written, so it can be
//! restored from.

use std::path::PathBuf;

use crate::checkpoint::checkpoint_metadata::CheckpointMetadata;
use crate::checkpoint::snapshot_folder::SnapshotFolder;
use crate::error::WeirError;
use crate::runtime::network::SnapshotKind;

/// A completed checkpoint or savepoint on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedCheckpoint {
    pub checkpoint_id: u64,
    pub kind: SnapshotKind,
    /// The `chk-<id>` or `savepoint-…` folder (what `weir run -s` takes).
    pub path: PathBuf,
    /// When it was triggered (milliseconds since the epoch).
    pub timestamp_ms: i64,
    /// Bytes of the state files.
    pub state_size_bytes: u64,
    /// Bytes of `_metadata`.
    pub metadata_size_bytes: u64,
}

impl CompletedCheckpoint {
    /// Everything it holds on disk.
    pub fn size_bytes(&self) -> u64 {
        self.state_size_bytes + self.metadata_size_bytes
    }

    /// Writes `metadata` into `folder` (completing it) and describes the result.
    pub(crate) fn write(
        folder: &SnapshotFolder,
        metadata: &CheckpointMetadata,
    ) -> Result<CompletedCheckpoint, WeirError> {
        let metadata_size_bytes = folder.write_metadata(metadata)?;
        Ok(CompletedCheckpoint::described(
            folder,
            metadata,
            metadata_size_bytes,
        ))
    }

    pub(crate) fn described(
        folder: &SnapshotFolder,
        metadata: &CheckpointMetadata,
        metadata_size_bytes: u64,
    ) -> CompletedCheckpoint {
        CompletedCheckpoint {
            checkpoint_id: metadata.checkpoint_id,
            kind: metadata.kind,
            path: folder.path().to_path_buf(),
            timestamp_ms: metadata.timestamp_ms,
            state_size_bytes: metadata.state_size_bytes(),
            metadata_size_bytes,
        }
    }
}
