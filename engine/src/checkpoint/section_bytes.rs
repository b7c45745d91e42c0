//! [`SectionBytes`]: the bytes of one keyed snapshot section, held in memory or left in a file,
//! so a snapshot of state larger than memory never has to be in memory at once.
//!
//! ```text
//!   SectionBytes::Inline(Vec<u8>)          small sections (timers, the hashmap backend's state)
//!   SectionBytes::InFile(FileRange)        ──▶ SnapshotFile (an open file, shared by Arc)
//!                                               bytes [offset, offset + len)
//!
//!   where a FileRange points:
//!     taking a snapshot   a spool file in io.tmp.dirs that the managed backend streamed its
//!                         sections into (temporary: deleted when the last range drops)
//!     restoring           the state file of a completed checkpoint (kept; read on demand)
//! ```
//!
//! A range is read only when its section is used ([`SectionBytes::read`], one section at a
//! time) or copied into a new state file in bounded chunks ([`SectionBytes::copy_to`]). The
//! file stays open while any range of it lives, so a restored section that an operator writes
//! back unchanged at its next checkpoint is still readable after retention deleted the old
//! checkpoint folder.

use std::borrow::Cow;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::checkpoint::snapshot_folder::{CheckpointIoAction, io_error};
use crate::error::WeirError;

/// Bytes copied at a time by [`SectionBytes::copy_to`].
pub const COPY_CHUNK_BYTES: usize = 64 * 1024;

/// An open file that sections live in. See the module docs.
#[derive(Debug)]
pub struct SnapshotFile {
    path: PathBuf,
    file: File,
    /// Deleted when dropped (a spool file).
    temporary: bool,
}

impl SnapshotFile {
    /// A file to read sections of (a checkpoint's state file); never deleted by this.
    pub fn kept(path: PathBuf, file: File) -> SnapshotFile {
        SnapshotFile {
            path,
            file,
            temporary: false,
        }
    }

    /// A spool file, deleted when the last user drops it.
    pub fn temporary(path: PathBuf, file: File) -> SnapshotFile {
        SnapshotFile {
            path,
            file,
            temporary: true,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` at `offset`.
    pub fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<(), WeirError> {
        self.file
            .write_all_at(bytes, offset)
            .map_err(io_error(CheckpointIoAction::Write, &self.path))
    }

    /// Fills `out` from `offset`.
    pub fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<(), WeirError> {
        self.file
            .read_exact_at(out, offset)
            .map_err(io_error(CheckpointIoAction::Read, &self.path))
    }
}

impl Drop for SnapshotFile {
    fn drop(&mut self) {
        if self.temporary {
            // Best effort (nobody to report to while dropping): a spool lives in the
            // IoManager's directory, which is deleted as a whole when the IoManager drops.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A range of a [`SnapshotFile`].
#[derive(Debug, Clone)]
pub struct FileRange {
    pub file: Arc<SnapshotFile>,
    pub offset: u64,
    pub len: u64,
}

/// The bytes of one keyed section. See the module docs.
#[derive(Debug, Clone)]
pub enum SectionBytes {
    Inline(Vec<u8>),
    InFile(FileRange),
}

impl SectionBytes {
    pub fn len(&self) -> u64 {
        match self {
            SectionBytes::Inline(bytes) => bytes.len() as u64,
            SectionBytes::InFile(range) => range.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole section (a file range is read now).
    pub fn read(&self) -> Result<Cow<'_, [u8]>, WeirError> {
        match self {
            SectionBytes::Inline(bytes) => Ok(Cow::Borrowed(bytes)),
            SectionBytes::InFile(range) => {
                let len = usize::try_from(range.len).map_err(|_| WeirError::CorruptSnapshot {
                    what: range.file.path().display().to_string(),
                    problem: format!("a section of {} bytes does not fit in memory", range.len),
                })?;
                let mut bytes = vec![0u8; len];
                range.file.read_at(range.offset, &mut bytes)?;
                Ok(Cow::Owned(bytes))
            }
        }
    }

    /// Writes the section to `out` through `chunk` (a file range in pieces of at most
    /// `chunk.len()` bytes), calling `written` with each piece (for a checksum).
    pub fn copy_to(
        &self,
        out: &mut dyn Write,
        out_path: &Path,
        chunk: &mut [u8],
        written: &mut dyn FnMut(&[u8]),
    ) -> Result<(), WeirError> {
        let mut write = |bytes: &[u8]| {
            written(bytes);
            out.write_all(bytes)
                .map_err(io_error(CheckpointIoAction::Write, out_path))
        };
        match self {
            SectionBytes::Inline(bytes) => write(bytes),
            SectionBytes::InFile(range) => {
                let mut offset = range.offset;
                let end = range.offset + range.len;
                while offset < end {
                    let take = ((end - offset) as usize).min(chunk.len());
                    range.file.read_at(offset, &mut chunk[..take])?;
                    write(&chunk[..take])?;
                    offset += take as u64;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_ranges_read_and_copy_in_chunks_and_a_temporary_file_goes_with_its_last_range() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spool");
        let file = File::create_new(&path).unwrap();
        let file = Arc::new(SnapshotFile::temporary(path.clone(), file));
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        file.write_at(0, &data).unwrap();
        let range = SectionBytes::InFile(FileRange {
            file: Arc::clone(&file),
            offset: 100,
            len: 9_000,
        });
        drop(file);
        assert_eq!(range.len(), 9_000);
        assert_eq!(&*range.read().unwrap(), &data[100..9_100]);
        let mut out = Vec::new();
        let mut pieces = 0;
        range
            .copy_to(&mut out, Path::new("out"), &mut [0u8; 4096], &mut |_| {
                pieces += 1
            })
            .unwrap();
        assert_eq!(out, &data[100..9_100]);
        assert_eq!(pieces, 3);
        assert!(path.exists());
        drop(range);
        assert!(!path.exists(), "the spool goes with its last range");
    }

    #[test]
    fn a_range_beyond_the_end_of_its_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state-0");
        std::fs::write(&path, b"short").unwrap();
        let file = Arc::new(SnapshotFile::kept(path.clone(), File::open(&path).unwrap()));
        let range = SectionBytes::InFile(FileRange {
            file,
            offset: 2,
            len: 10,
        });
        let error = range.read().unwrap_err();
        assert!(error.to_string().contains("state-0"), "{error}");
        drop(range);
        assert!(path.exists(), "a kept file is not deleted");
    }
}
