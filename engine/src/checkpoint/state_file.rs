//! The state file of one operator subtask in a checkpoint or savepoint folder (format 2):
//! written as a stream and read section by section, so neither side needs the whole state in
//! memory.
//!
//! ```text
//!   offset 0   u8 2                                  format version
//!   1          keyed section bytes, back to back     (key group order, then section name)
//!   I          index: postcard(StateFileIndex)       every section's (key group, name,
//!                                                    offset, length); the operator list state
//!   end − 16   u64 LE I, u64 LE index length
//! ```
//!
//! Writing ([`write_state_file`]) copies each section through a 64 KiB chunk (a section the
//! managed backend spooled to disk is never read whole) and hashes the bytes on the way for
//! the checksum in `_metadata`. Reading ([`open_state_file`]) checks size and checksum in one
//! streaming pass, reads the index, and returns an [`OperatorSnapshot`] whose keyed sections are
//! ranges of the open file, read when an operator restores them. Operator list state (source
//! positions, pending sink files, broadcast state) is small and lives in the index.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, ErrorKind, Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::checkpoint::checkpoint_metadata::StateFileHandle;
use crate::checkpoint::operator_snapshot::{OperatorListState, OperatorSnapshot};
use crate::checkpoint::section_bytes::{COPY_CHUNK_BYTES, FileRange, SectionBytes, SnapshotFile};
use crate::checkpoint::snapshot_folder::{CheckpointIoAction, io_error};
use crate::error::WeirError;

/// Format version in the first byte of a state file.
pub const STATE_FILE_FORMAT_VERSION: u8 = 2;

/// Bytes of the trailer (index offset and length).
const TRAILER_BYTES: u64 = 16;

/// Where the sections of a state file are, and its operator list state.
#[derive(Debug, Serialize, Deserialize)]
struct StateFileIndex {
    sections: Vec<IndexedSection>,
    operator: BTreeMap<String, OperatorListState>,
}

#[derive(Debug, Serialize, Deserialize)]
struct IndexedSection {
    key_group: u32,
    name: String,
    offset: u64,
    len: u64,
}

/// Writes `snapshot` to a new file `file_name` in `folder` and syncs it (see the module
/// docs); returns its handle for `_metadata` (name, size, checksum).
pub fn write_state_file(
    folder: &Path,
    file_name: &str,
    snapshot: &OperatorSnapshot,
) -> Result<StateFileHandle, WeirError> {
    let path = &folder.join(file_name);
    let file = File::create(path).map_err(io_error(CheckpointIoAction::Write, path))?;
    let mut out = BufWriter::with_capacity(COPY_CHUNK_BYTES, file);
    let mut hasher = Xxh3::new();
    let mut position = 0u64;
    let mut written = |bytes: &[u8]| {
        hasher.update(bytes);
        position += bytes.len() as u64;
    };
    let put = |out: &mut BufWriter<File>, bytes: &[u8], written: &mut dyn FnMut(&[u8])| {
        written(bytes);
        out.write_all(bytes)
            .map_err(io_error(CheckpointIoAction::Write, path))
    };
    put(&mut out, &[STATE_FILE_FORMAT_VERSION], &mut written)?;
    let mut chunk = vec![0u8; COPY_CHUNK_BYTES];
    let mut sections = Vec::new();
    let mut offset = 1u64;
    for (&key_group, named) in &snapshot.keyed {
        for (name, section) in named {
            section.copy_to(&mut out, path, &mut chunk, &mut written)?;
            sections.push(IndexedSection {
                key_group,
                name: name.clone(),
                offset,
                len: section.len(),
            });
            offset += section.len();
        }
    }
    let index = StateFileIndex {
        sections,
        operator: snapshot.operator.clone(),
    };
    let index_bytes = postcard::to_stdvec(&index).map_err(|error| WeirError::CorruptSnapshot {
        what: path.display().to_string(),
        problem: format!("its index cannot be encoded: {error}"),
    })?;
    put(&mut out, &index_bytes, &mut written)?;
    let mut trailer = [0u8; TRAILER_BYTES as usize];
    trailer[..8].copy_from_slice(&offset.to_le_bytes());
    trailer[8..].copy_from_slice(&(index_bytes.len() as u64).to_le_bytes());
    put(&mut out, &trailer, &mut written)?;
    let file = out
        .into_inner()
        .map_err(|error| io_error(CheckpointIoAction::Write, path)(error.into_error()))?;
    file.sync_all()
        .map_err(io_error(CheckpointIoAction::Sync, path))?;
    Ok(StateFileHandle {
        file_name: file_name.to_owned(),
        size_bytes: position,
        checksum_xxh3: hasher.digest(),
    })
}

/// Opens the state file of `expected` in `folder`, checking that it has the size and checksum
/// the metadata records, and returns its snapshot with the keyed sections left in the file.
/// A damaged file is [`WeirError::CorruptSnapshot`] naming it.
pub fn open_state_file(
    folder: &Path,
    expected: &StateFileHandle,
) -> Result<OperatorSnapshot, WeirError> {
    let path = &folder.join(&expected.file_name);
    let what = path.display().to_string();
    let corrupt = |problem: String| WeirError::CorruptSnapshot {
        what: what.clone(),
        problem,
    };
    let mut file = File::open(path).map_err(io_error(CheckpointIoAction::Read, path))?;
    let size_bytes = file
        .metadata()
        .map_err(io_error(CheckpointIoAction::Read, path))?
        .len();
    if size_bytes != expected.size_bytes {
        return Err(corrupt(format!(
            "it holds {size_bytes} bytes, the metadata records {}",
            expected.size_bytes
        )));
    }
    let mut hasher = Xxh3::new();
    let mut chunk = vec![0u8; COPY_CHUNK_BYTES];
    let mut first = None;
    loop {
        let read = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(source) => return Err(io_error(CheckpointIoAction::Read, path)(source)),
        };
        first.get_or_insert(chunk[0]);
        hasher.update(&chunk[..read]);
    }
    if hasher.digest() != expected.checksum_xxh3 {
        return Err(corrupt(
            "its checksum does not match the one in the metadata".to_owned(),
        ));
    }
    match first {
        Some(STATE_FILE_FORMAT_VERSION) => {}
        Some(version) => {
            return Err(corrupt(format!(
                "format version {version}, this build reads version {STATE_FILE_FORMAT_VERSION} \
                 (the file was written by another Weir build)"
            )));
        }
        None => return Err(corrupt("the file is empty".to_owned())),
    }
    if size_bytes < 1 + TRAILER_BYTES {
        return Err(corrupt(format!(
            "{size_bytes} bytes cannot hold a state file"
        )));
    }
    let file = Arc::new(SnapshotFile::kept(path.to_path_buf(), file));
    let mut trailer = [0u8; TRAILER_BYTES as usize];
    file.read_at(size_bytes - TRAILER_BYTES, &mut trailer)?;
    let index_offset = u64::from_le_bytes(trailer[..8].try_into().expect("8 bytes"));
    let index_len = u64::from_le_bytes(trailer[8..].try_into().expect("8 bytes"));
    if index_offset < 1
        || index_offset
            .checked_add(index_len)
            .and_then(|end| end.checked_add(TRAILER_BYTES))
            != Some(size_bytes)
    {
        return Err(corrupt(format!(
            "its trailer places the index at {index_offset} (+{index_len}) in a file of \
             {size_bytes} bytes"
        )));
    }
    let mut index_bytes = vec![0u8; index_len as usize];
    file.read_at(index_offset, &mut index_bytes)?;
    let index: StateFileIndex = postcard::from_bytes(&index_bytes)
        .map_err(|error| corrupt(format!("its index cannot be read: {error}")))?;
    let mut snapshot = OperatorSnapshot {
        operator: index.operator,
        ..OperatorSnapshot::default()
    };
    for section in index.sections {
        let within = section.offset >= 1
            && section
                .offset
                .checked_add(section.len)
                .is_some_and(|end| end <= index_offset);
        if !within {
            return Err(corrupt(format!(
                "section {} of key group {} lies at {} (+{}), outside the section bytes",
                section.name, section.key_group, section.offset, section.len
            )));
        }
        snapshot.put_keyed_section(
            section.key_group,
            &section.name,
            SectionBytes::InFile(FileRange {
                file: Arc::clone(&file),
                offset: section.offset,
                len: section.len,
            }),
        );
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::checkpoint_metadata::StateFileHandle;
    use crate::checkpoint::operator_snapshot::RedistributeMode;

    fn snapshot() -> OperatorSnapshot {
        let mut snapshot = OperatorSnapshot::default();
        snapshot.put_keyed(3, "state:count", vec![7; 100_000]);
        snapshot.put_keyed(3, "timers:window", vec![1, 2, 3]);
        snapshot.put_keyed(90, "state:count", vec![9; 10]);
        snapshot.operator.insert(
            "splits".into(),
            OperatorListState {
                mode: RedistributeMode::Split,
                entries: vec![b"a".to_vec(), b"bc".to_vec()],
            },
        );
        snapshot
    }

    fn sections(snapshot: &OperatorSnapshot) -> Vec<(u32, String, Vec<u8>)> {
        snapshot
            .keyed
            .iter()
            .flat_map(|(&group, named)| {
                named
                    .iter()
                    .map(move |(name, bytes)| (group, name.clone(), bytes.read().unwrap().to_vec()))
            })
            .collect()
    }

    #[test]
    fn a_written_file_opens_to_the_same_sections_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("window-0");
        let original = snapshot();
        let written = write_state_file(dir.path(), "window-0", &original).unwrap();
        assert_eq!(written.size_bytes, std::fs::metadata(&path).unwrap().len());
        let opened = open_state_file(dir.path(), &written).unwrap();
        assert_eq!(sections(&opened), sections(&original));
        assert_eq!(opened.operator, original.operator);
        // Written again from the file's ranges: the same bytes.
        let rewritten = write_state_file(dir.path(), "window-1", &opened).unwrap();
        assert_eq!(
            (rewritten.size_bytes, rewritten.checksum_xxh3),
            (written.size_bytes, written.checksum_xxh3)
        );
    }

    #[test]
    fn damaged_files_are_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("window-0");
        let written = write_state_file(dir.path(), "window-0", &snapshot()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let check = |bytes: &[u8], expected: StateFileHandle, needle: &str| {
            std::fs::write(&path, bytes).unwrap();
            let error = open_state_file(dir.path(), &expected).unwrap_err();
            let message = error.to_string();
            assert!(message.contains("window-0"), "{message}");
            assert!(message.contains(needle), "{needle} not in {message}");
        };
        check(&bytes[..bytes.len() - 1], written.clone(), "bytes");
        let mut flipped = bytes.clone();
        flipped[50] ^= 1;
        check(&flipped, written.clone(), "checksum");
        // A consistent file of another version, and one whose trailer lies.
        let mut other = bytes.clone();
        other[0] = 1;
        let rehashed = |bytes: &[u8]| StateFileHandle {
            file_name: "window-0".to_owned(),
            size_bytes: bytes.len() as u64,
            checksum_xxh3: xxhash_rust::xxh3::xxh3_64(bytes),
        };
        check(&other, rehashed(&other), "format version 1");
        let mut lying = bytes.clone();
        let at = lying.len() - 16;
        lying[at..at + 8].copy_from_slice(&5u64.to_le_bytes());
        check(&lying, rehashed(&lying), "trailer");
        check(&[], rehashed(&[]), "empty");
    }
}
