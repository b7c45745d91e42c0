//! [`SpillFile`]: a finished spill file, deleted when its last owner drops it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::io::block_header::BLOCK_HEADER_BYTES;

/// A spill file that a [`crate::BlockChannelWriter`] finished writing: its path and how many
/// blocks and bytes it holds. It owns the file on disk and deletes it on drop. Share it as an
/// `Arc<SpillFile>` to read it several times or concurrently (a hash join re-reads its
/// partitions); every [`crate::BlockChannelReader`] keeps its own `Arc`, so the file lives until
/// the last reader is done with it.
#[derive(Debug)]
pub struct SpillFile {
    path: PathBuf,
    thread: usize,
    block_count: u64,
    payload_bytes: u64,
}

impl SpillFile {
    pub(crate) fn new(
        path: PathBuf,
        thread: usize,
        block_count: u64,
        payload_bytes: u64,
    ) -> SpillFile {
        SpillFile {
            path,
            thread,
            block_count,
            payload_bytes,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of blocks in the file.
    pub fn block_count(&self) -> u64 {
        self.block_count
    }

    /// Sum of the payload lengths of all blocks.
    pub fn payload_bytes(&self) -> u64 {
        self.payload_bytes
    }

    /// Size of the file on disk: payloads plus one header per block.
    pub fn file_bytes(&self) -> u64 {
        self.payload_bytes + self.block_count * BLOCK_HEADER_BYTES as u64
    }

    /// Index of the spill directory, and so of the I/O thread, of this file.
    pub(crate) fn thread(&self) -> usize {
        self.thread
    }
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        remove_spill_file(&self.path);
    }
}

/// Deletes a spill file. Already gone is fine (the I/O manager shut down and removed its whole
/// directory); anything else is logged, as there is no caller left to tell.
pub(crate) fn remove_spill_file(path: &Path) {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(path = %path.display(), %error, "cannot delete spill file"),
    }
}
