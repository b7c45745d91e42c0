//! Writing one subtask's output file so that a failed job leaves nothing that looks complete.
//!
//! ```text
//!   OutputLayout::open_part ──▶ PartFileWriter ──finish──▶ PendingFile ──commit──▶ final file
//!        creates .part-00003.inprogress   (flush)            rename to part-00003
//!                        │                                    │
//!                        └── dropped: temporary deleted ◀─────┘ dropped uncommitted
//! ```
//!
//! The runtime commits every subtask's [`PendingFile`] only after all subtasks have finished,
//! so the final names appear only for a job that succeeded (the commit phase of Flink's
//! two-phase file sink, for a batch job with one checkpoint at its end). The temporary file is
//! hidden (`.` prefix) and sits in the final file's directory, so the commit is a rename within
//! one file system.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::WeirError;

/// Buffered writes of this size reach the file system.
pub const PART_FILE_BUFFER_BYTES: usize = 1 << 20;

/// Writes a part file under its temporary name; see the module docs.
#[derive(Debug)]
pub struct PartFileWriter {
    /// `None` only once finished.
    writer: Option<BufWriter<File>>,
    temporary: PathBuf,
    path: PathBuf,
    bytes_written: u64,
}

impl PartFileWriter {
    /// Creates (or truncates) the temporary file of the part file `path`.
    pub(crate) fn create(path: PathBuf) -> Result<PartFileWriter, WeirError> {
        let temporary = temporary_path(&path);
        let file = File::create(&temporary).map_err(|source| WeirError::WriteOutputFile {
            path: path.clone(),
            temporary: temporary.clone(),
            source,
        })?;
        Ok(PartFileWriter {
            writer: Some(BufWriter::with_capacity(PART_FILE_BUFFER_BYTES, file)),
            temporary,
            path,
            bytes_written: 0,
        })
    }

    /// Appends `bytes`.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), WeirError> {
        let writer = self
            .writer
            .as_mut()
            .expect("a PartFileWriter is used until finished");
        writer
            .write_all(bytes)
            .map_err(|source| WeirError::WriteOutputFile {
                path: self.path.clone(),
                temporary: self.temporary.clone(),
                source,
            })?;
        self.bytes_written += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// The name the file gets when committed.
    pub fn final_path(&self) -> &Path {
        &self.path
    }

    /// Flushes the file; it stays under its temporary name until [`PendingFile::commit`].
    pub fn finish(self) -> Result<PendingFile, WeirError> {
        self.finish_with(false)
    }

    /// Like [`finish`](Self::finish), and also waits until the data is on the device (fsync).
    pub fn finish_durable(self) -> Result<PendingFile, WeirError> {
        self.finish_with(true)
    }

    fn finish_with(mut self, sync: bool) -> Result<PendingFile, WeirError> {
        let writer = self.writer.take().expect("finish is called once");
        let write_error = |source| WeirError::WriteOutputFile {
            path: self.path.clone(),
            temporary: self.temporary.clone(),
            source,
        };
        // On an error, `self` drops here and deletes the temporary file.
        let file = writer
            .into_inner()
            .map_err(|error| write_error(error.into_error()))?;
        if sync {
            file.sync_all().map_err(write_error)?;
        }
        drop(file);
        Ok(PendingFile {
            temporary: std::mem::take(&mut self.temporary),
            path: std::mem::take(&mut self.path),
            committed: false,
        })
    }
}

impl Drop for PartFileWriter {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            // Discard the buffer instead of flushing it into a file about to be deleted.
            let (file, _unwritten) = writer.into_parts();
            drop(file);
        }
        if !self.temporary.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// A finished part file under its temporary name: [`commit`](Self::commit) it, or drop it to
/// delete it.
#[derive(Debug)]
pub struct PendingFile {
    temporary: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl PendingFile {
    /// Renames the file to its final name and returns that name.
    pub fn commit(mut self) -> Result<PathBuf, WeirError> {
        fs::rename(&self.temporary, &self.path).map_err(|source| WeirError::CommitOutputFile {
            path: self.path.clone(),
            temporary: self.temporary.clone(),
            source,
        })?;
        self.committed = true;
        Ok(self.path.clone())
    }

    /// The name the file gets when committed.
    pub fn final_path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// `dir/.name.inprogress` for `dir/name`.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.inprogress"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_hidden_siblings() {
        assert_eq!(
            temporary_path(Path::new("/out/part-00001")),
            Path::new("/out/.part-00001.inprogress")
        );
    }

    #[test]
    fn finish_then_commit_renames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("result.csv");
        let mut writer = PartFileWriter::create(path.clone()).unwrap();
        writer.write_all(b"a,b\n").unwrap();
        writer.write_all(b"c,d\n").unwrap();
        assert_eq!(writer.bytes_written(), 8);
        assert!(!path.exists());
        let pending = writer.finish_durable().unwrap();
        assert!(!path.exists());
        assert_eq!(pending.commit().unwrap(), path);
        assert_eq!(fs::read(&path).unwrap(), b"a,b\nc,d\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let error =
            PartFileWriter::create(PathBuf::from("/nonexistent-weir/out/part-00000")).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("/nonexistent-weir/out/part-00000"),
            "{error}"
        );
    }
}
