//! Spill I/O: pages to files in `io.tmp.dirs` and back (Flink's `IOManager`).
//!
//! Sort, hash join and aggregation spill when their managed memory runs out: they write full
//! pages to a file as *blocks* and read them back later, page by page. The [`IoManager`] owns the
//! spill directories and their I/O threads; a [`BlockChannelWriter`] writes one file, a
//! [`SpillFile`] is a finished file, and any number of [`BlockChannelReader`]s read it.
//!
//! # Threads and ordering
//!
//! ```text
//!   io.tmp.dirs = /data1,/data2
//!
//!   writer of 0.channel ─┐                   ┌─▶ thread weir-io-0 ─▶ /data1/weir-io-…/0.channel
//!   reader of 2.channel ─┼─ queue of dir 0 ──┘                        /data1/weir-io-…/2.channel
//!   writer of 1.channel ─── queue of dir 1 ────▶ thread weir-io-1 ─▶ /data2/weir-io-…/1.channel
//!          ▲                                            │
//!          └──── return queue of each writer/reader ◀───┘  every page comes back, also on error
//! ```
//!
//! There is one I/O thread per spill directory (one per disk, if each entry of `io.tmp.dirs` is
//! its own disk), each fed by its own queue. New files go to the directories in turn
//! (round-robin). All requests for one file go to the thread of its directory, so they run one
//! after another in the order they were queued: a file is written and read sequentially, and
//! pages come back in request order.
//!
//! # Who owns a page
//!
//! A page handed to `write_block` or `read_block` belongs to the writer or reader until it comes
//! back: through `next_returned_segment` / `next_block` after the I/O, or through `close`. On an
//! error the page still comes back to its writer or reader, which keeps it (and the first error)
//! until `close` hands over every page it holds; dropping a writer or reader waits for its I/O, so
//! its pages are back in their pools when the drop returns. Nothing on this path allocates per
//! block except the queue messages, and nothing logs per block.
//!
//! # On disk
//!
//! A spill file is a sequence of blocks, each a 16-byte header and its payload, without padding
//! and without a file header (`block_header.rs` checks each field):
//!
//! ```text
//!  offset 0                 16            16+len0              32+len0
//!         +-----------------+-------------+--------------------+-------------+---
//!         | header block 0  | payload 0   | header block 1     | payload 1   | …
//!         | WBLK len0 crc 0 | len0 bytes  | WBLK len1 crc 1    | len1 bytes  |
//!         +-----------------+-------------+--------------------+-------------+---
//!         header = magic "WBLK" | payload length u32 | CRC32C of payload u32 | block number u32,
//!         little-endian
//! ```
//!
//! A block is written with one `writev` (header and payload) and read with one `preadv` (payload
//! and the next block's header). A [`SynchronousBlockReader`] reads single blocks of a finished
//! file at known offsets on the caller's thread instead (point lookups; the file no longer
//! changes, so this bypasses the I/O thread safely). Spill files are temporary: no `fdatasync`, no `O_DIRECT`; the
//! page cache absorbs what is read back soon. A reader checks every header and checksum and
//! reports any mismatch, and a file shorter than its blocks, as [`crate::MemoryError::CorruptBlock`]
//! naming the file, the block number and the byte offset of the block.
//!
//! # Names and cleanup
//!
//! ```text
//!   <io.tmp.dir>/weir-io-<scope>-<pid>-<start time>-<n>/<channel number>.channel
//! ```
//!
//! Each configured directory gets one spill directory per I/O manager, named after the process
//! (`spill_directory.rs` explains the name). Files are deleted when their writer drops
//! without finishing, when a `close` fails, and when their [`SpillFile`] drops; the spill
//! directories with everything left in them when the I/O manager shuts down or drops. A process
//! that died without cleaning up leaves its directory behind: the next I/O manager to start on
//! that directory removes it, after checking that no process with that pid and start time runs.
//!
//! # Errors
//!
//! Every error names the file or directory: a missing, non-directory or unwritable configured
//! directory fails [`IoManager::new`] ([`MissingDirectory`], [`NotADirectory`],
//! [`PermissionDenied`]); `ENOSPC`/`EDQUOT` while writing is [`DiskFull`]; `EACCES`, `EPERM` and
//! `EROFS` are [`PermissionDenied`]; other I/O errors are [`Io`] with the action that failed.
//! Requests after shutdown fail with [`IoManagerShutDown`].
//!
//! [`MissingDirectory`]: crate::MemoryError::MissingDirectory
//! [`NotADirectory`]: crate::MemoryError::NotADirectory
//! [`PermissionDenied`]: crate::MemoryError::PermissionDenied
//! [`DiskFull`]: crate::MemoryError::DiskFull
//! [`Io`]: crate::MemoryError::Io
//! [`IoManagerShutDown`]: crate::MemoryError::IoManagerShutDown

mod block_channel_reader;
mod block_channel_writer;
mod block_header;
mod file_channel_id;
mod first_error;
mod io_manager;
mod io_thread;
mod spill_directory;
mod spill_file;
mod synchronous_block_reader;

pub use block_channel_reader::{BlockChannelReader, FilledBlock};
pub use block_channel_writer::BlockChannelWriter;
pub use block_header::BLOCK_HEADER_BYTES;
pub use file_channel_id::FileChannelId;
pub use io_manager::IoManager;
pub use spill_file::SpillFile;
pub use synchronous_block_reader::SynchronousBlockReader;
