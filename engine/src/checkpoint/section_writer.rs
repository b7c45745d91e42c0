//! [`SectionWriter`]: builds the keyed sections of a snapshot one after another, either in
//! memory or streamed into a spool file, so that writing a section never needs more than a
//! bounded buffer.
//!
//! ```text
//!   in memory (hashmap backend: the state is on the heap anyway)
//!     begin ─ write into buffer() … ─ finish_section ──▶ SectionBytes::Inline(buffer)
//!
//!   spooling (managed backend: the state may be far larger than memory)
//!     begin ─ write into buffer() ─ flush_if_full ──▶ buffer appended to the spool file
//!           … (buffer ≥ SPOOL_BUFFER_BYTES)            (io.tmp.dirs, created on first use)
//!           ─ finish_section ──▶ rest appended ──▶ SectionBytes::InFile(spool, start, len)
//! ```
//!
//! A spooled section is whole in the file when `finish_section` returns its range. The spool
//! is deleted when the last range of it drops: after the checkpoint coordinator copied the
//! sections into the checkpoint's state file, or when the checkpoint is abandoned.

use std::fs::File;
use std::sync::Arc;

use weir_memory::IoManager;

use crate::checkpoint::section_bytes::{FileRange, SectionBytes, SnapshotFile};
use crate::checkpoint::snapshot_folder::{CheckpointIoAction, io_error};
use crate::error::WeirError;

/// Bytes a spooling writer buffers before appending them to the spool file.
pub const SPOOL_BUFFER_BYTES: usize = 64 * 1024;

/// Where finished sections go.
#[derive(Debug)]
enum Target {
    Memory,
    Spool {
        io: Arc<IoManager>,
        /// Created with the first flush.
        file: Option<Arc<SnapshotFile>>,
        /// End of what was appended to the file.
        position: u64,
        /// Where the current section starts in the file.
        section_start: u64,
    },
}

/// Builds sections. See the module docs.
#[derive(Debug)]
pub struct SectionWriter {
    target: Target,
    buffer: Vec<u8>,
}

impl SectionWriter {
    /// Sections held in memory.
    pub fn in_memory() -> SectionWriter {
        SectionWriter {
            target: Target::Memory,
            buffer: Vec::new(),
        }
    }

    /// Sections streamed into a spool file of `io`'s directories.
    pub fn spooling(io: Arc<IoManager>) -> SectionWriter {
        SectionWriter {
            target: Target::Spool {
                io,
                file: None,
                position: 0,
                section_start: 0,
            },
            buffer: Vec::with_capacity(SPOOL_BUFFER_BYTES),
        }
    }

    /// Where the current section's next bytes go; call [`SectionWriter::flush_if_full`] after
    /// writing a piece of bounded size.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }

    /// Spooling: appends the buffer to the spool file once it holds
    /// [`SPOOL_BUFFER_BYTES`] or more.
    pub fn flush_if_full(&mut self) -> Result<(), WeirError> {
        if matches!(self.target, Target::Spool { .. }) && self.buffer.len() >= SPOOL_BUFFER_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), WeirError> {
        let Target::Spool {
            io, file, position, ..
        } = &mut self.target
        else {
            return Ok(());
        };
        if self.buffer.is_empty() {
            return Ok(());
        }
        let spool = match file {
            Some(spool) => spool,
            None => {
                let path = io.create_channel().path().to_path_buf();
                let created =
                    File::create_new(&path).map_err(io_error(CheckpointIoAction::Write, &path))?;
                file.insert(Arc::new(SnapshotFile::temporary(path, created)))
            }
        };
        spool.write_at(*position, &self.buffer)?;
        *position += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// Ends the current section and returns its bytes; the next write begins a new section.
    pub fn finish_section(&mut self) -> Result<SectionBytes, WeirError> {
        if matches!(self.target, Target::Memory) {
            return Ok(SectionBytes::Inline(std::mem::take(&mut self.buffer)));
        }
        self.flush()?;
        let Target::Spool {
            file,
            position,
            section_start,
            ..
        } = &mut self.target
        else {
            unreachable!("checked above");
        };
        let Some(spool) = file.as_ref().filter(|_| *position > *section_start) else {
            return Ok(SectionBytes::Inline(Vec::new()));
        };
        let range = FileRange {
            file: Arc::clone(spool),
            offset: *section_start,
            len: *position - *section_start,
        };
        *section_start = *position;
        Ok(SectionBytes::InFile(range))
    }

    /// Drops the current section (nothing of it is kept).
    pub fn discard_section(&mut self) {
        self.buffer.clear();
        if let Target::Spool {
            position,
            section_start,
            ..
        } = &mut self.target
        {
            // Flushed parts are overwritten by the next section.
            *position = *section_start;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(dir: &std::path::Path) -> Arc<IoManager> {
        Arc::new(IoManager::new(&[dir.to_path_buf()]).unwrap())
    }

    fn write_section(writer: &mut SectionWriter, byte: u8, len: usize) {
        for _ in 0..len / 1000 {
            writer.buffer().extend_from_slice(&[byte; 1000]);
            writer.flush_if_full().unwrap();
        }
    }

    #[test]
    fn spooled_sections_hold_what_was_written_and_the_spool_goes_with_them() {
        let dir = tempfile::tempdir().unwrap();
        // The spool lives in the IoManager's directories (deleted when it drops).
        let io = io(dir.path());
        let mut writer = SectionWriter::spooling(Arc::clone(&io));
        write_section(&mut writer, 1, 200_000);
        let first = writer.finish_section().unwrap();
        write_section(&mut writer, 9, 150_000);
        writer.discard_section();
        write_section(&mut writer, 2, 3_000);
        let second = writer.finish_section().unwrap();
        assert!(matches!(first, SectionBytes::InFile(_)));
        assert_eq!(&*first.read().unwrap(), &[1u8; 200_000][..]);
        assert_eq!(&*second.read().unwrap(), &[2u8; 3_000][..]);
        drop(writer);
        let spool_files = || {
            walk(dir.path())
                .into_iter()
                .filter(|path| path.is_file())
                .count()
        };
        assert_eq!(spool_files(), 1);
        drop((first, second));
        assert_eq!(spool_files(), 0);
    }

    #[test]
    fn in_memory_sections_are_inline() {
        let mut writer = SectionWriter::in_memory();
        write_section(&mut writer, 3, 100_000);
        let section = writer.finish_section().unwrap();
        assert!(matches!(&section, SectionBytes::Inline(bytes) if bytes.len() == 100_000));
        writer.buffer().push(1);
        writer.discard_section();
        assert!(writer.finish_section().unwrap().is_empty());
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
        found
    }
}
