//! [`CheckpointMetadata`]: the `_metadata` file of a checkpoint or savepoint folder, the index of
//! its state files. Its presence is what makes a checkpoint complete (see
//! [`snapshot_folder`](super::snapshot_folder)).
//!
//! Byte layout of `_metadata` (integers little-endian):
//!
//! ```text
//!  offset  size  field
//!       0     8  magic "WEIRMETA"
//!       8     1  format version (1)
//!       9     8  body length in bytes
//!      17     8  xxh3-64 of the body
//!      25     …  body: postcard of CheckpointMetadata
//!                  checkpoint_id u64, job_name str, timestamp_ms i64, kind u8
//!                  (0 checkpoint, 1 savepoint, 2 savepoint-terminate), max_parallelism u32,
//!                  operators: map uid ──▶ { name, parallelism,
//!                                          subtask_files: [Option<{file_name, size_bytes,
//!                                                                  checksum_xxh3}>] }
//! ```
//!
//! The checksum covers the body, and each state file's size and xxh3-64 are recorded, so a torn
//! or altered file is reported as corrupt instead of being decoded into wrong state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::error::WeirError;
use crate::runtime::network::SnapshotKind;

const MAGIC: &[u8; 8] = b"WEIRMETA";
const FORMAT_VERSION: u8 = 1;
const HEADER_BYTES: usize = 8 + 1 + 8 + 8;

/// One state file of an operator subtask, as the metadata records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFileHandle {
    /// The file's name inside the checkpoint folder.
    pub file_name: String,
    pub size_bytes: u64,
    /// xxh3-64 of the file's bytes.
    pub checksum_xxh3: u64,
}

/// The state of one operator in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorStateMeta {
    /// The operator's name, for messages.
    pub name: String,
    /// The parallelism the state was written at.
    pub parallelism: usize,
    /// One entry per subtask; `None` when the subtask had no state (no file written).
    pub subtask_files: Vec<Option<StateFileHandle>>,
}

/// The contents of `_metadata`. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointMetadata {
    pub checkpoint_id: u64,
    pub job_name: String,
    /// When the checkpoint was triggered (milliseconds since the epoch).
    pub timestamp_ms: i64,
    #[serde(with = "snapshot_kind_code")]
    pub kind: SnapshotKind,
    /// `pipeline.max-parallelism` of the job that wrote it: the number of key groups.
    pub max_parallelism: u32,
    /// Operator uid ──▶ its state.
    pub operators: BTreeMap<String, OperatorStateMeta>,
}

impl CheckpointMetadata {
    /// Bytes of all state files.
    pub fn state_size_bytes(&self) -> u64 {
        self.operators
            .values()
            .flat_map(|operator| operator.subtask_files.iter().flatten())
            .map(|file| file.size_bytes)
            .sum()
    }

    /// The `_metadata` bytes (see the module docs).
    pub fn encode(&self) -> Result<Vec<u8>, WeirError> {
        let body = postcard::to_stdvec(self).map_err(|error| WeirError::CorruptSnapshot {
            what: format!("the metadata of checkpoint {} (encode)", self.checkpoint_id),
            problem: error.to_string(),
        })?;
        let mut out = Vec::with_capacity(HEADER_BYTES + body.len());
        out.extend_from_slice(MAGIC);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&xxh3_64(&body).to_le_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Reads what [`CheckpointMetadata::encode`] wrote; `what` names the file for errors.
    pub fn decode(bytes: &[u8], what: &str) -> Result<CheckpointMetadata, WeirError> {
        let corrupt = |problem: String| WeirError::CorruptSnapshot {
            what: what.to_owned(),
            problem,
        };
        if bytes.len() < HEADER_BYTES {
            return Err(corrupt(format!(
                "{} bytes is shorter than the {HEADER_BYTES}-byte header",
                bytes.len()
            )));
        }
        if &bytes[..8] != MAGIC {
            return Err(corrupt(
                "it is not a Weir checkpoint metadata file".to_owned(),
            ));
        }
        if bytes[8] != FORMAT_VERSION {
            return Err(corrupt(format!(
                "format version {}, this build reads version {FORMAT_VERSION}",
                bytes[8]
            )));
        }
        let body_len = u64::from_le_bytes(bytes[9..17].try_into().expect("8 bytes"));
        let checksum = u64::from_le_bytes(bytes[17..25].try_into().expect("8 bytes"));
        let body = &bytes[HEADER_BYTES..];
        if body.len() as u64 != body_len {
            return Err(corrupt(format!(
                "the header announces {body_len} bytes of body, the file holds {}",
                body.len()
            )));
        }
        if xxh3_64(body) != checksum {
            return Err(corrupt(
                "the checksum does not match the contents".to_owned(),
            ));
        }
        let metadata: CheckpointMetadata =
            postcard::from_bytes(body).map_err(|error| corrupt(error.to_string()))?;
        metadata.check().map_err(corrupt)?;
        Ok(metadata)
    }

    /// Checks what the type cannot: one file entry per subtask, and file names that stay inside
    /// the folder.
    fn check(&self) -> Result<(), String> {
        for (uid, operator) in &self.operators {
            if operator.subtask_files.len() != operator.parallelism {
                return Err(format!(
                    "operator {uid} has parallelism {} but {} subtask entries",
                    operator.parallelism,
                    operator.subtask_files.len()
                ));
            }
            for file in operator.subtask_files.iter().flatten() {
                if !is_plain_file_name(&file.file_name) {
                    return Err(format!(
                        "operator {uid} names the state file '{}', which is not a plain file name",
                        file.file_name
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A name without separators that cannot leave its folder.
pub(crate) fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// [`SnapshotKind`] as one byte (the runtime's type has no serde form of its own).
mod snapshot_kind_code {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::runtime::network::SnapshotKind;

    pub fn serialize<S: Serializer>(kind: &SnapshotKind, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(match kind {
            SnapshotKind::Checkpoint => 0,
            SnapshotKind::Savepoint => 1,
            SnapshotKind::SavepointTerminate => 2,
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SnapshotKind, D::Error> {
        match u8::deserialize(deserializer)? {
            0 => Ok(SnapshotKind::Checkpoint),
            1 => Ok(SnapshotKind::Savepoint),
            2 => Ok(SnapshotKind::SavepointTerminate),
            other => Err(serde::de::Error::custom(format!(
                "unknown snapshot kind {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> CheckpointMetadata {
        let mut operators = BTreeMap::new();
        operators.insert(
            "window-1".to_owned(),
            OperatorStateMeta {
                name: "Window(Tumbling)".to_owned(),
                parallelism: 2,
                subtask_files: vec![
                    Some(StateFileHandle {
                        file_name: "window-1-0".to_owned(),
                        size_bytes: 10,
                        checksum_xxh3: 7,
                    }),
                    None,
                ],
            },
        );
        CheckpointMetadata {
            checkpoint_id: 42,
            job_name: "job".to_owned(),
            timestamp_ms: 1_700_000_000_000,
            kind: SnapshotKind::SavepointTerminate,
            max_parallelism: 128,
            operators,
        }
    }

    #[test]
    fn round_trips() {
        let original = metadata();
        let bytes = original.encode().unwrap();
        assert_eq!(CheckpointMetadata::decode(&bytes, "m").unwrap(), original);
        assert_eq!(original.state_size_bytes(), 10);
    }

    #[test]
    fn every_damage_is_reported_as_corrupt_with_the_file_name() {
        let bytes = metadata().encode().unwrap();
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let mut other_version = bytes.clone();
        other_version[8] = 9;
        let mut not_ours = bytes.clone();
        not_ours[0] = b'X';
        for (case, damaged) in [
            ("truncated", bytes[..bytes.len() - 3].to_vec()),
            ("short", bytes[..5].to_vec()),
            ("flipped", flipped),
            ("version", other_version),
            ("magic", not_ours),
            ("empty", Vec::new()),
        ] {
            let error = CheckpointMetadata::decode(&damaged, "/c/chk-1/_metadata").unwrap_err();
            assert!(
                matches!(&error, WeirError::CorruptSnapshot { what, .. } if what == "/c/chk-1/_metadata"),
                "{case}: {error}"
            );
        }
    }

    #[test]
    fn file_names_that_leave_the_folder_and_wrong_entry_counts_are_corrupt() {
        let mut escaping = metadata();
        escaping
            .operators
            .get_mut("window-1")
            .unwrap()
            .subtask_files[0]
            .as_mut()
            .unwrap()
            .file_name = "../../etc/passwd".to_owned();
        let mut short = metadata();
        short.operators.get_mut("window-1").unwrap().parallelism = 3;
        for bad in [escaping, short] {
            let bytes = bad.encode().unwrap();
            assert!(CheckpointMetadata::decode(&bytes, "m").is_err());
        }
    }
}
