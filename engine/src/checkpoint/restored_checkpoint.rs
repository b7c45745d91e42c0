//! [`load_checkpoint`]: finding and reading a completed checkpoint or savepoint to start a job
//! from (`weir run -s PATH`, or a restart after a failure).
//!
//! ```text
//!  PATH given                             what is read
//!  ───────────────────────────────────    ──────────────────────────────────────────────
//!  …/chk-7  or  …/savepoint-x-7           its _metadata (none there: incomplete, refused)
//!  …/chk-7/_metadata                      that file
//!  …/<job_id>  (a job folder)             the completed chk-<id> with the highest id;
//!                                         folders without _metadata are skipped
//!  file:// URI of any of these            the same
//! ```
//!
//! Only `_metadata` is read up front; [`RestoredCheckpoint::load_operator`] opens the state
//! files of one operator when the job asks, checking each file's size and checksum against the
//! metadata so a damaged file is reported by name; keyed sections stay in the files until an
//! operator restores them.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::checkpoint::checkpoint_metadata::CheckpointMetadata;
use crate::checkpoint::checkpoint_storage::{CHECKPOINT_FOLDER_PREFIX, checkpoint_folders};
use crate::checkpoint::completed_checkpoint::CompletedCheckpoint;
use crate::checkpoint::operator_snapshot::OperatorSnapshot;
use crate::checkpoint::snapshot_folder::{
    CheckpointIoAction, METADATA_FILE_NAME, SnapshotFolder, io_error,
};
use crate::checkpoint::state_file::open_state_file;
use crate::checkpoint::storage_location::resolve_storage_location;
use crate::error::WeirError;

/// What names a restore path in errors.
const RESTORE_SETTING: &str = "the checkpoint or savepoint path (weir run -s)";

/// A completed checkpoint or savepoint, its metadata read. See the module docs.
#[derive(Debug, Clone)]
pub struct RestoredCheckpoint {
    pub metadata: CheckpointMetadata,
    /// Its folder.
    pub path: PathBuf,
}

/// Finds and reads the checkpoint or savepoint at `path` (see the module docs).
pub fn load_checkpoint(path: &str) -> Result<RestoredCheckpoint, WeirError> {
    let given = resolve_storage_location(path, RESTORE_SETTING)?;
    let folder = find_snapshot_folder(&given)?;
    let metadata_path = folder.join(METADATA_FILE_NAME);
    let bytes =
        fs::read(&metadata_path).map_err(io_error(CheckpointIoAction::Read, &metadata_path))?;
    let metadata = CheckpointMetadata::decode(&bytes, &metadata_path.display().to_string())?;
    Ok(RestoredCheckpoint {
        metadata,
        path: folder,
    })
}

/// The folder holding the `_metadata` to read for `given`.
fn find_snapshot_folder(given: &Path) -> Result<PathBuf, WeirError> {
    let not_found = |problem| WeirError::CheckpointNotFound {
        path: given.to_path_buf(),
        problem,
    };
    let found = match fs::metadata(given) {
        Ok(found) => found,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            return Err(not_found("the path does not exist"));
        }
        Err(source) => return Err(io_error(CheckpointIoAction::Read, given)(source)),
    };
    if found.is_file() {
        return match given.file_name().and_then(|name| name.to_str()) {
            Some(METADATA_FILE_NAME) => Ok(given
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf()),
            _ => Err(not_found(
                "it is a file but not a _metadata file; give a chk-<id> or savepoint folder, its \
                 _metadata file, or a job folder",
            )),
        };
    }
    if given.join(METADATA_FILE_NAME).is_file() {
        return Ok(given.to_path_buf());
    }
    let mut checkpoints = checkpoint_folders(given)?;
    if !checkpoints.is_empty() {
        checkpoints.sort_unstable_by_key(|(id, _)| std::cmp::Reverse(*id));
        return checkpoints
            .into_iter()
            .map(|(_, path)| path)
            .find(|path| path.join(METADATA_FILE_NAME).is_file())
            .ok_or_else(|| {
                not_found(
                    "the job folder has chk-<id> folders, but none completed (none has a \
                     _metadata file)",
                )
            });
    }
    if looks_like_snapshot_folder(given)? {
        return Err(WeirError::IncompleteCheckpoint {
            path: given.to_path_buf(),
        });
    }
    Err(not_found(
        "the folder holds neither a _metadata file nor chk-<id> folders",
    ))
}

/// A folder named like a checkpoint or savepoint, or holding files (state files written before
/// the job stopped).
fn looks_like_snapshot_folder(folder: &Path) -> Result<bool, WeirError> {
    let name = folder
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    if name.starts_with(CHECKPOINT_FOLDER_PREFIX) || name.starts_with("savepoint-") {
        return Ok(true);
    }
    let entries = fs::read_dir(folder).map_err(io_error(CheckpointIoAction::ListFolder, folder))?;
    for entry in entries {
        let entry = entry.map_err(io_error(CheckpointIoAction::ListFolder, folder))?;
        if entry.path().is_file() {
            return Ok(true);
        }
    }
    Ok(false)
}

impl RestoredCheckpoint {
    pub fn checkpoint_id(&self) -> u64 {
        self.metadata.checkpoint_id
    }

    /// The uids of the operators with an entry in the metadata.
    pub fn operator_uids(&self) -> Vec<&str> {
        self.metadata.operators.keys().map(String::as_str).collect()
    }

    /// The snapshots of operator `uid`, one per subtask it was written with (empty snapshots
    /// for subtasks without state); `None` when the checkpoint has no entry for `uid`.
    pub fn load_operator(&self, uid: &str) -> Result<Option<Vec<OperatorSnapshot>>, WeirError> {
        let Some(operator) = self.metadata.operators.get(uid) else {
            return Ok(None);
        };
        let metadata_path = self.path.join(METADATA_FILE_NAME);
        let mut snapshots = Vec::with_capacity(operator.subtask_files.len());
        for (subtask, handle) in operator.subtask_files.iter().enumerate() {
            let Some(handle) = handle else {
                snapshots.push(OperatorSnapshot::default());
                continue;
            };
            let file = self.path.join(&handle.file_name);
            if !file.is_file() {
                return Err(WeirError::StateFileMissing {
                    metadata: metadata_path,
                    file,
                    uid: uid.to_owned(),
                    subtask,
                });
            }
            snapshots.push(open_state_file(&self.path, handle)?);
        }
        Ok(Some(snapshots))
    }

    /// The checkpoint as a [`CompletedCheckpoint`] (for the coordinator's "latest completed"
    /// after a restore).
    pub fn completed_checkpoint(&self) -> CompletedCheckpoint {
        let metadata_size_bytes = fs::metadata(self.path.join(METADATA_FILE_NAME))
            .map(|found| found.len())
            .unwrap_or(0);
        CompletedCheckpoint::described(
            &SnapshotFolder::new(self.path.clone()),
            &self.metadata,
            metadata_size_bytes,
        )
    }
}
