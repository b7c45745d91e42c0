//! [`SnapshotFolder`]: one checkpoint or savepoint on disk, and the order it is written in.
//!
//! ```text
//!  chk-7/                        (or savepoint-<job>-7/: the same format)
//!  ├── map-1-0                   state file (see state_file) of operator uid "map-1", subtask 0
//!  ├── window-2-0                 … one file per (uid, subtask) that has state; subtasks
//!  ├── window-2-1                   without state write no file
//!  └── _metadata                 CheckpointMetadata, written LAST
//!
//!  write order:  state files (each fsynced)
//!                ──▶ _metadata.inprogress, fsync
//!                ──▶ rename to _metadata, fsync the folder and its parent
//! ```
//!
//! A folder without `_metadata` is an incomplete checkpoint: the job stopped (or the checkpoint
//! was aborted) before every task acknowledged. Nothing ever restores from it. The rename is
//! atomic, so `_metadata` is either absent or whole, and because every state file was synced
//! before it, a visible `_metadata` means all the state it lists is durable.
//!
//! State file names are `<uid>-<subtask>` when the uid is short and made of `[A-Za-z0-9._-]`;
//! otherwise `<the uid's safe characters, at most 64>~<xxh3-64 of the uid in hex>-<subtask>`, so
//! any uid maps to a distinct plain file name.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::xxh3_64;

use crate::checkpoint::checkpoint_metadata::{CheckpointMetadata, StateFileHandle};
use crate::checkpoint::operator_snapshot::OperatorSnapshot;
use crate::checkpoint::state_file::write_state_file;
use crate::error::WeirError;

/// The name of the file that completes a checkpoint.
pub const METADATA_FILE_NAME: &str = "_metadata";

/// Where `_metadata` is written before it is renamed into place.
const METADATA_TEMPORARY_NAME: &str = "_metadata.inprogress";

/// Longest uid used verbatim in a state file name.
const MAX_VERBATIM_UID_CHARS: usize = 128;

/// What a file-system call on checkpoint storage failed to do (in
/// [`WeirError::CheckpointIo`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointIoAction {
    CreateFolder,
    Write,
    Sync,
    Rename,
    Read,
    ListFolder,
    Remove,
}

impl std::fmt::Display for CheckpointIoAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CheckpointIoAction::CreateFolder => "create checkpoint folder",
            CheckpointIoAction::Write => "write checkpoint file",
            CheckpointIoAction::Sync => "sync checkpoint file or folder",
            CheckpointIoAction::Rename => "move into place checkpoint file",
            CheckpointIoAction::Read => "read checkpoint file",
            CheckpointIoAction::ListFolder => "list checkpoint folder",
            CheckpointIoAction::Remove => "remove checkpoint folder",
        })
    }
}

pub(crate) fn io_error(
    action: CheckpointIoAction,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> WeirError + '_ {
    move |source| WeirError::CheckpointIo {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The file name of the state of operator `uid`, subtask `subtask` (see the module docs).
pub fn state_file_name(uid: &str, subtask: usize) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !uid.is_empty() && uid.len() <= MAX_VERBATIM_UID_CHARS && uid.chars().all(safe) {
        format!("{uid}-{subtask}")
    } else {
        let prefix: String = uid.chars().filter(|&c| safe(c)).take(64).collect();
        format!("{prefix}~{:016x}-{subtask}", xxh3_64(uid.as_bytes()))
    }
}

/// One checkpoint or savepoint folder. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFolder {
    path: PathBuf,
}

impl SnapshotFolder {
    pub fn new(path: PathBuf) -> SnapshotFolder {
        SnapshotFolder { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn metadata_path(&self) -> PathBuf {
        self.path.join(METADATA_FILE_NAME)
    }

    /// Whether `_metadata` is there (the checkpoint completed).
    pub fn is_complete(&self) -> bool {
        self.metadata_path().is_file()
    }

    /// Makes an empty folder to write into. A leftover folder of the same name without
    /// `_metadata` (a checkpoint a crashed run never completed) is removed first; a completed one
    /// is never overwritten.
    pub fn prepare(&self) -> Result<(), WeirError> {
        if self.is_complete() {
            return Err(WeirError::CheckpointIo {
                action: CheckpointIoAction::CreateFolder,
                path: self.path.clone(),
                source: std::io::Error::new(
                    ErrorKind::AlreadyExists,
                    "a completed checkpoint or savepoint is already there",
                ),
            });
        }
        match fs::remove_dir_all(&self.path) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::NotFound => {}
            Err(source) => return Err(io_error(CheckpointIoAction::Remove, &self.path)(source)),
        }
        fs::create_dir_all(&self.path)
            .map_err(io_error(CheckpointIoAction::CreateFolder, &self.path))
    }

    /// Writes and syncs the state of `uid`/`subtask`; an empty snapshot writes nothing.
    pub fn write_state_file(
        &self,
        uid: &str,
        subtask: usize,
        snapshot: &OperatorSnapshot,
    ) -> Result<Option<StateFileHandle>, WeirError> {
        if snapshot.is_empty() {
            return Ok(None);
        }
        let file_name = state_file_name(uid, subtask);
        fs::create_dir_all(&self.path)
            .map_err(io_error(CheckpointIoAction::CreateFolder, &self.path))?;
        write_state_file(&self.path, &file_name, snapshot).map(Some)
    }

    /// Completes the checkpoint: checks that every state file `metadata` lists is there with its
    /// size, then writes `_metadata` atomically (see the module docs). Returns its size.
    pub fn write_metadata(&self, metadata: &CheckpointMetadata) -> Result<u64, WeirError> {
        let metadata_path = self.metadata_path();
        for (uid, operator) in &metadata.operators {
            for (subtask, handle) in operator.subtask_files.iter().enumerate() {
                let Some(handle) = handle else { continue };
                let file = self.path.join(&handle.file_name);
                let missing = || WeirError::StateFileMissing {
                    metadata: metadata_path.clone(),
                    file: file.clone(),
                    uid: uid.clone(),
                    subtask,
                };
                match fs::metadata(&file) {
                    Ok(found) if found.len() == handle.size_bytes => {}
                    Ok(found) => {
                        return Err(WeirError::CorruptSnapshot {
                            what: file.display().to_string(),
                            problem: format!(
                                "{} bytes on disk, {} bytes were written",
                                found.len(),
                                handle.size_bytes
                            ),
                        });
                    }
                    Err(error) if error.kind() == ErrorKind::NotFound => return Err(missing()),
                    Err(source) => return Err(io_error(CheckpointIoAction::Read, &file)(source)),
                }
            }
        }
        let bytes = metadata.encode()?;
        fs::create_dir_all(&self.path)
            .map_err(io_error(CheckpointIoAction::CreateFolder, &self.path))?;
        let temporary = self.path.join(METADATA_TEMPORARY_NAME);
        write_synced(&temporary, &bytes)?;
        fs::rename(&temporary, &metadata_path)
            .map_err(io_error(CheckpointIoAction::Rename, &metadata_path))?;
        sync_folder(&self.path)?;
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_folder(parent)?;
        }
        Ok(bytes.len() as u64)
    }

    /// Deletes the folder and everything in it; a folder that is already gone is fine.
    pub fn remove(&self) -> Result<(), WeirError> {
        match fs::remove_dir_all(&self.path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(()),
            Err(source) => Err(io_error(CheckpointIoAction::Remove, &self.path)(source)),
        }
    }
}

/// Creates (or truncates) `path`, writes `bytes` and waits until they are on the device.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), WeirError> {
    let mut file = File::create(path).map_err(io_error(CheckpointIoAction::Write, path))?;
    file.write_all(bytes)
        .map_err(io_error(CheckpointIoAction::Write, path))?;
    file.sync_all()
        .map_err(io_error(CheckpointIoAction::Sync, path))
}

/// Makes the entries of folder `path` (created, renamed files) durable.
fn sync_folder(path: &Path) -> Result<(), WeirError> {
    File::open(path)
        .and_then(|folder| folder.sync_all())
        .map_err(io_error(CheckpointIoAction::Sync, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};

    #[test]
    fn state_file_names_are_plain_and_distinct() {
        let uids = [
            "map-1",
            "map",
            "map-1-0",
            "Window(Tumbling)",
            "Window(Tumbling) ",
            "a/b",
            "a\\b",
            "..",
            "_metadata",
            "ünïcode",
            &"x".repeat(500),
            &"x".repeat(501),
        ];
        let mut names = HashSet::new();
        for uid in uids {
            for subtask in [0, 1, 10] {
                let name = state_file_name(uid, subtask);
                assert!(
                    crate::checkpoint::checkpoint_metadata::is_plain_file_name(&name),
                    "{name}"
                );
                assert!(name.len() < 120, "{name}");
                assert_ne!(name, METADATA_FILE_NAME);
                assert_ne!(name, METADATA_TEMPORARY_NAME);
                assert!(
                    names.insert(name.clone()),
                    "{uid}/{subtask} -> {name} twice"
                );
            }
        }
        assert_eq!(state_file_name("map-1", 3), "map-1-3");
    }

    #[test]
    fn metadata_is_refused_while_a_listed_state_file_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let folder = SnapshotFolder::new(dir.path().join("chk-1"));
        folder.prepare().unwrap();
        let mut snapshot = OperatorSnapshot::default();
        snapshot.put_keyed(3, "state:s", vec![1, 2, 3]);
        let handle = folder
            .write_state_file("op", 0, &snapshot)
            .unwrap()
            .unwrap();
        fs::remove_file(folder.path().join(&handle.file_name)).unwrap();
        let mut operators = BTreeMap::new();
        operators.insert(
            "op".to_owned(),
            crate::checkpoint::checkpoint_metadata::OperatorStateMeta {
                name: "Op".to_owned(),
                parallelism: 1,
                subtask_files: vec![Some(handle)],
            },
        );
        let metadata = CheckpointMetadata {
            checkpoint_id: 1,
            job_name: "j".to_owned(),
            timestamp_ms: 0,
            kind: crate::runtime::network::SnapshotKind::Checkpoint,
            max_parallelism: 8,
            operators,
        };
        let error = folder.write_metadata(&metadata).unwrap_err();
        assert!(
            matches!(error, WeirError::StateFileMissing { .. }),
            "{error}"
        );
        assert!(!folder.is_complete());
        assert!(!folder.path().join(METADATA_TEMPORARY_NAME).exists());
    }

    #[test]
    fn prepare_clears_an_incomplete_leftover_and_refuses_a_completed_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = SnapshotFolder::new(dir.path().join("chk-5"));
        fs::create_dir_all(folder.path()).unwrap();
        fs::write(folder.path().join("stale-0"), b"old").unwrap();
        folder.prepare().unwrap();
        assert_eq!(fs::read_dir(folder.path()).unwrap().count(), 0);
        fs::write(folder.metadata_path(), b"done").unwrap();
        let error = folder.prepare().unwrap_err();
        assert!(error.to_string().contains("chk-5"), "{error}");
        assert!(folder.metadata_path().exists());
        folder.remove().unwrap();
        folder.remove().unwrap();
        assert!(!folder.path().exists());
    }
}
