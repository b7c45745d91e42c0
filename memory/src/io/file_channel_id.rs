//! [`FileChannelId`]: the name of a spill file before it is written.

use std::path::{Path, PathBuf};

/// A spill file to be: its path (`<spill directory>/<n>.channel`) and the I/O thread that serves
/// it. Made by [`crate::IoManager::create_channel`], which picks the spill directories in turn.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileChannelId {
    path: PathBuf,
    thread: usize,
}

impl FileChannelId {
    pub(crate) fn new(path: PathBuf, thread: usize) -> FileChannelId {
        FileChannelId { path, thread }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Index of the spill directory, and so of the I/O thread, of this channel.
    pub(crate) fn thread(&self) -> usize {
        self.thread
    }
}
