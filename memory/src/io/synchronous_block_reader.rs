//! [`SynchronousBlockReader`]: reads single blocks of a finished spill file on the caller's
//! thread, at byte offsets the caller knows (Flink's `SynchronousFileIOChannel` for reads).
//!
//! ```text
//!   caller ── read_block_at(block k, offset of its header, payload hint, page) ──▶ one preadv:
//!                                       [16-byte header] [page: hint bytes of payload (or more)]
//!          ◀── payload length (header fields and CRC32C checked) ─────────┘
//!              (a payload longer than the hint: a second pread for the rest)
//! ```
//!
//! A [`crate::BlockChannelReader`] streams a file in order through its directory's I/O
//! thread, which pays a thread hand-off per block and an `open` per reader. Point lookups in a
//! sorted spill file (the managed keyed state reads one block found through an index) want
//! one block now, so this reader keeps the file open and reads on the calling thread: one
//! positioned read per block when the caller's hint covers the payload (the header and the
//! hinted bytes; whatever follows the payload is ignored), no queue, no allocation, no state
//! between calls. The file is finished and
//! read-only, so reading it outside its I/O thread races with nothing; the reader keeps an
//! `Arc` of the [`SpillFile`], so the file lives until the reader drops.
//!
//! Every header field and the payload checksum are checked exactly as the streaming reader
//! checks them; a mismatch or a short file is [`MemoryError::CorruptBlock`] naming the file,
//! the block and its byte offset.

use std::fmt;
use std::fs::File;
use std::io::IoSliceMut;
use std::sync::Arc;

use crate::error::MemoryError;
use crate::io::block_channel_reader::{corrupt_block, read_at, read_error, truncated};
use crate::io::block_header::{BLOCK_HEADER_BYTES, BlockHeader};
use crate::io::spill_file::SpillFile;
use crate::memory_segment::MemorySegment;

/// Reads blocks of one [`SpillFile`] at known offsets, synchronously. Made by
/// [`crate::IoManager::create_synchronous_block_reader`]; see the module docs.
pub struct SynchronousBlockReader {
    file: Arc<SpillFile>,
    handle: File,
}

impl fmt::Debug for SynchronousBlockReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SynchronousBlockReader")
            .field("path", &self.file.path())
            .field("block_count", &self.file.block_count())
            .finish()
    }
}

impl SynchronousBlockReader {
    pub(crate) fn new(file: Arc<SpillFile>, handle: File) -> SynchronousBlockReader {
        SynchronousBlockReader { file, handle }
    }

    pub fn file(&self) -> &Arc<SpillFile> {
        &self.file
    }

    /// Blocks in the file.
    pub fn block_count(&self) -> u64 {
        self.file.block_count()
    }

    /// Reads block number `block`, whose header starts at byte `offset` of the file, into the
    /// front of `segment`; returns its payload length. The next block's header starts at
    /// `offset + BLOCK_HEADER_BYTES + payload length`.
    ///
    /// `payload_hint_bytes` is how much payload to read together with the header (what the
    /// caller expects the block to hold; more is read with a second call, bytes read past the
    /// payload are ignored): a caller that knows where blocks end reads each with one call
    /// and no more bytes than it needs. The page size is always enough.
    ///
    /// Fails with [`MemoryError::CorruptBlock`] for a block number past the end, a header
    /// that does not check (a wrong `offset` lands on bytes whose magic or sequence number
    /// differ), a payload longer than `segment`, a checksum mismatch or a short file; an I/O
    /// error is [`MemoryError::Io`] naming the file.
    pub fn read_block_at(
        &self,
        block: u64,
        offset: u64,
        payload_hint_bytes: usize,
        segment: &mut MemorySegment,
    ) -> Result<usize, MemoryError> {
        let file = &self.file;
        let corrupt = |reason: String| corrupt_block(file, block, offset, reason);
        let io_error = |error| read_error(file, error);
        if block >= file.block_count() {
            return Err(corrupt(format!(
                "block {block} asked for; the file holds {} blocks",
                file.block_count()
            )));
        }
        let first_bytes = payload_hint_bytes.min(segment.size());
        let mut header_bytes = [0u8; BLOCK_HEADER_BYTES];
        let read = read_at(
            &self.handle,
            &mut [
                IoSliceMut::new(&mut header_bytes),
                IoSliceMut::new(&mut segment.as_mut_slice()[..first_bytes]),
            ],
            offset,
        )
        .map_err(io_error)?;
        if read < BLOCK_HEADER_BYTES {
            return Err(corrupt(truncated(read, BLOCK_HEADER_BYTES, "header", file)));
        }
        let header = BlockHeader::decode(&header_bytes, block, segment.size()).map_err(corrupt)?;
        let payload_len = header.payload_len as usize;
        let mut payload_read = read - BLOCK_HEADER_BYTES;
        if payload_read == first_bytes && payload_read < payload_len {
            // The hint was short: the rest of the payload.
            payload_read += read_at(
                &self.handle,
                &mut [IoSliceMut::new(
                    &mut segment.as_mut_slice()[first_bytes..payload_len],
                )],
                offset + (BLOCK_HEADER_BYTES + first_bytes) as u64,
            )
            .map_err(io_error)?;
        }
        if payload_read < payload_len {
            return Err(corrupt(truncated(
                payload_read,
                payload_len,
                "payload",
                file,
            )));
        }
        header
            .verify(&segment.as_slice()[..payload_len])
            .map_err(corrupt)?;
        Ok(payload_len)
    }
}
