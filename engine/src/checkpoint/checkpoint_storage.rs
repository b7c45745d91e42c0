//! [`CheckpointStorage`]: the periodic checkpoints of one job under `state.checkpoints.dir`.
//!
//! ```text
//!  <state.checkpoints.dir>/
//!  └── <job_id>/
//!      ├── chk-6/        completed (has _metadata)      ◀── kept: the newest N completed
//!      ├── chk-7/        completed                          (state.checkpoints.num-retained)
//!      └── chk-8/        in progress (no _metadata yet)
//! ```
//!
//! Each `chk-<id>` folder has the format of [`snapshot_folder`](super::snapshot_folder). After a
//! checkpoint completes, [`CheckpointStorage::retain`] deletes the older completed ones beyond
//! the number retained, and incomplete folders older than the newest completed one (leftovers
//! of aborted checkpoints or crashed runs). Savepoints live elsewhere
//! ([`SavepointStorage`](super::SavepointStorage)) and are never deleted by retention.
//!
//! The job folder is named after the job id with every character outside `[A-Za-z0-9._-]`
//! replaced by `_`.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::checkpoint::checkpoint_metadata::{CheckpointMetadata, StateFileHandle};
use crate::checkpoint::completed_checkpoint::CompletedCheckpoint;
use crate::checkpoint::operator_snapshot::OperatorSnapshot;
use crate::checkpoint::snapshot_folder::{CheckpointIoAction, SnapshotFolder, io_error};
use crate::checkpoint::storage_location::resolve_storage_location;
use crate::config::options::CHECKPOINTS_DIRECTORY;
use crate::error::WeirError;

/// The prefix of a checkpoint folder's name: `chk-<id>`.
pub const CHECKPOINT_FOLDER_PREFIX: &str = "chk-";

/// The checkpoints of one job. See the module docs.
#[derive(Debug, Clone)]
pub struct CheckpointStorage {
    job_id: String,
    job_folder: PathBuf,
}

impl CheckpointStorage {
    /// Checkpoints of job `job_id` under `location` (a `file://` URI or a local path, as
    /// `state.checkpoints.dir` gives it). Creates nothing yet.
    pub fn new(location: &str, job_id: &str) -> Result<CheckpointStorage, WeirError> {
        let root = resolve_storage_location(location, CHECKPOINTS_DIRECTORY.key)?;
        Ok(CheckpointStorage {
            job_id: job_id.to_owned(),
            job_folder: root.join(job_folder_name(job_id)),
        })
    }

    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// `<dir>/<job_id>`: what `weir run -s` takes to restore the latest completed checkpoint.
    pub fn job_folder(&self) -> &Path {
        &self.job_folder
    }

    /// The folder of checkpoint `checkpoint_id`.
    pub fn folder(&self, checkpoint_id: u64) -> SnapshotFolder {
        SnapshotFolder::new(
            self.job_folder
                .join(format!("{CHECKPOINT_FOLDER_PREFIX}{checkpoint_id}")),
        )
    }

    /// Makes an empty folder for checkpoint `checkpoint_id` (removing an incomplete leftover of
    /// the same id; a completed one is an error).
    pub fn begin(&self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.folder(checkpoint_id).prepare()
    }

    /// Writes the state of operator `uid`, subtask `subtask`. An empty snapshot writes no file
    /// and returns `None`.
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

    /// Writes `_metadata` last, atomically: from now on the checkpoint can be restored.
    pub fn complete(
        &self,
        metadata: &CheckpointMetadata,
    ) -> Result<CompletedCheckpoint, WeirError> {
        CompletedCheckpoint::write(&self.folder(metadata.checkpoint_id), metadata)
    }

    /// Removes the folder of a checkpoint that will not complete.
    pub fn abort(&self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.folder(checkpoint_id).remove()
    }

    /// The ids of the completed checkpoints (with `_metadata`), oldest first.
    pub fn completed_checkpoint_ids(&self) -> Result<Vec<u64>, WeirError> {
        let mut ids: Vec<u64> = checkpoint_folders(&self.job_folder)?
            .into_iter()
            .filter(|(_, path)| {
                path.join(super::snapshot_folder::METADATA_FILE_NAME)
                    .is_file()
            })
            .map(|(id, _)| id)
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// The highest id of any `chk-<id>` folder, complete or not. A run that reuses a job id
    /// continues after it ([`CheckpointCoordinator::set_next_checkpoint_id`]), so it never
    /// collides with an earlier run's folders.
    ///
    /// [`CheckpointCoordinator::set_next_checkpoint_id`]:
    ///     super::CheckpointCoordinator::set_next_checkpoint_id
    pub fn highest_checkpoint_id(&self) -> Result<Option<u64>, WeirError> {
        Ok(checkpoint_folders(&self.job_folder)?
            .into_iter()
            .map(|(id, _)| id)
            .max())
    }

    /// Keeps the newest `num_retained` completed checkpoints and deletes the older ones, and
    /// every incomplete folder older than the newest completed one. Returns the ids deleted.
    /// A folder that cannot be deleted is skipped and reported in the error after the others
    /// were tried.
    pub fn retain(&self, num_retained: usize) -> Result<Vec<u64>, WeirError> {
        let mut folders = checkpoint_folders(&self.job_folder)?;
        folders.sort_unstable_by_key(|(id, _)| *id);
        let completed: Vec<u64> = folders
            .iter()
            .filter(|(_, path)| {
                path.join(super::snapshot_folder::METADATA_FILE_NAME)
                    .is_file()
            })
            .map(|(id, _)| *id)
            .collect();
        let Some(&newest) = completed.last() else {
            return Ok(Vec::new());
        };
        let keep_from = completed[completed.len().saturating_sub(num_retained.max(1))];
        let mut removed = Vec::new();
        let mut first_error = None;
        for (id, path) in folders {
            let is_complete = completed.binary_search(&id).is_ok();
            let delete = if is_complete {
                id < keep_from
            } else {
                id < newest
            };
            if !delete {
                continue;
            }
            match SnapshotFolder::new(path).remove() {
                Ok(()) => removed.push(id),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(removed),
        }
    }
}

/// The `chk-<id>` folders directly in `job_folder` (none when it does not exist).
pub(crate) fn checkpoint_folders(job_folder: &Path) -> Result<Vec<(u64, PathBuf)>, WeirError> {
    let entries = match fs::read_dir(job_folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(io_error(CheckpointIoAction::ListFolder, job_folder)(source)),
    };
    let mut folders = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error(CheckpointIoAction::ListFolder, job_folder))?;
        let name = entry.file_name();
        let Some(id) = name
            .to_str()
            .and_then(|name| name.strip_prefix(CHECKPOINT_FOLDER_PREFIX))
            .and_then(|id| id.parse::<u64>().ok())
        else {
            continue;
        };
        if entry.path().is_dir() {
            folders.push((id, entry.path()));
        }
    }
    Ok(folders)
}

/// `job_id` with every character outside `[A-Za-z0-9._-]` replaced by `_` (never empty, never
/// `.` or `..`).
pub(crate) fn job_folder_name(job_id: &str) -> String {
    let name: String = job_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.as_str() {
        "" | "." | ".." => format!("job{name}"),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_folder_names_are_plain() {
        assert_eq!(job_folder_name("WindowAggregate"), "WindowAggregate");
        assert_eq!(job_folder_name("a/b c"), "a_b_c");
        assert_eq!(job_folder_name(".."), "job..");
        assert_eq!(job_folder_name(""), "job");
    }

    #[test]
    fn hdfs_is_refused_naming_the_key() {
        let error = CheckpointStorage::new("hdfs://nn:8020/ckpt", "job").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("state.checkpoints.dir"), "{message}");
        assert!(message.contains("only file://"), "{message}");
    }

    #[test]
    fn retention_without_completed_checkpoints_deletes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let storage = CheckpointStorage::new(dir.path().to_str().unwrap(), "j").unwrap();
        assert_eq!(storage.retain(1).unwrap(), Vec::<u64>::new());
        assert_eq!(storage.highest_checkpoint_id().unwrap(), None);
        storage.begin(3).unwrap();
        assert_eq!(storage.highest_checkpoint_id().unwrap(), Some(3));
        assert_eq!(storage.retain(1).unwrap(), Vec::<u64>::new());
        assert!(storage.folder(3).path().is_dir());
    }
}
