//! [`MemoryError`]: every way the memory crate can fail, with the data to say why.

use std::path::PathBuf;

use crate::byte_size::ByteSize;

/// One error type for the whole `weir-memory` crate.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error(
        "invalid page size {bytes} bytes: taskmanager.memory.segment-size must be a power of two from 4kb to 1m"
    )]
    InvalidPageSize { bytes: u64 },

    #[error("cannot map {page_count} pages of {page_size} bytes: the size overflows")]
    MappingTooLarge { page_size: usize, page_count: usize },

    #[error("cannot map {} of memory: {source}", ByteSize::new(*bytes))]
    MappingFailed { bytes: u64, source: std::io::Error },

    #[error(
        "managed memory exhausted: '{owner}' requested {requested_pages} pages ({}), only {free_pages} of {total_pages} pages are free; largest holders: {}",
        ByteSize::new(*requested_pages as u64 * *page_size as u64),
        format_holders(largest_holders)
    )]
    Exhausted {
        owner: String,
        requested_pages: usize,
        free_pages: usize,
        total_pages: usize,
        page_size: usize,
        /// Up to three (owner, pages held) pairs, largest first.
        largest_holders: Vec<(String, usize)>,
    },

    #[error(
        "'{owner}' requested {requested_pages} more pages but already holds {held_pages} of its limit of {limit_pages} pages"
    )]
    OwnerLimitExceeded {
        owner: String,
        requested_pages: usize,
        held_pages: usize,
        limit_pages: usize,
    },

    #[error("memory manager closed with {} pages still held: {}", leaks.iter().map(|(_, n)| n).sum::<usize>(), format_holders(leaks))]
    Leak { leaks: Vec<(String, usize)> },

    #[error(
        "insufficient network buffers for '{pool}': required {required}, available {available} of {total}; raise taskmanager.memory.network.fraction, taskmanager.memory.network.min or taskmanager.memory.network.max"
    )]
    InsufficientNetworkBuffers {
        pool: String,
        required: usize,
        available: usize,
        total: usize,
    },

    #[error("local buffer pool '{pool}': maximum {max} is below the required {required} buffers")]
    InvalidBufferPoolSize {
        pool: String,
        required: usize,
        max: usize,
    },

    #[error("buffer pool '{pool}' was destroyed while waiting for a buffer")]
    BufferPoolDestroyed { pool: String },

    #[error("unexpected end of data: needed {needed} more bytes")]
    EndOfData { needed: usize },

    #[error("all {pages} pages given to the view are full")]
    PagesFull { pages: usize },

    #[error("length prefix {length} exceeds the limit of {max} bytes: corrupt data")]
    MalformedLength { length: u64, max: u64 },

    #[error("varint longer than 10 bytes or overflowing 64 bits")]
    MalformedVarint,

    #[error("spill directory {} does not exist: check io.tmp.dirs", path.display())]
    MissingDirectory { path: PathBuf },

    #[error("spill directory {} is not a directory: check io.tmp.dirs", path.display())]
    NotADirectory { path: PathBuf },

    #[error("io.tmp.dirs lists no directory to spill to")]
    NoSpillDirectories,

    #[error("permission denied on {}: check io.tmp.dirs", path.display())]
    PermissionDenied { path: PathBuf },

    #[error("disk full while writing {}: free space in io.tmp.dirs or add directories", path.display())]
    DiskFull { path: PathBuf },

    #[error("I/O error on {} while {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },

    #[error("corrupt block {block} in {} at byte {offset}: {reason}", path.display())]
    CorruptBlock {
        path: PathBuf,
        block: u64,
        offset: u64,
        reason: String,
    },

    #[error("the I/O manager has shut down")]
    IoManagerShutDown,
}

impl MemoryError {
    /// Maps an I/O error on the file or directory `path` to the specific variant a user can act
    /// on: permission denied (also a read-only file system), disk full (also a quota), not a
    /// directory, else [`MemoryError::Io`]. A missing *file* stays an `Io` error (its message
    /// names the path); use [`MemoryError::from_dir_io`] where the missing thing is a directory.
    pub fn from_io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> MemoryError {
        let path = path.into();
        match source.kind() {
            std::io::ErrorKind::NotADirectory => MemoryError::NotADirectory { path },
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                MemoryError::PermissionDenied { path }
            }
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                MemoryError::DiskFull { path }
            }
            _ => MemoryError::Io {
                path,
                action,
                source,
            },
        }
    }

    /// Like [`MemoryError::from_io`] for an operation on the directory `dir` (creating it or a
    /// file in it), where "not found" means the directory is missing.
    pub fn from_dir_io(
        dir: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> MemoryError {
        match source.kind() {
            std::io::ErrorKind::NotFound => MemoryError::MissingDirectory { path: dir.into() },
            _ => MemoryError::from_io(dir, action, source),
        }
    }
}

fn format_holders(holders: &[(String, usize)]) -> String {
    if holders.is_empty() {
        return "none".to_string();
    }
    holders
        .iter()
        .map(|(owner, pages)| format!("'{owner}' {pages} pages"))
        .collect::<Vec<_>>()
        .join(", ")
}
