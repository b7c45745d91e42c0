//! [`BlockChannelReader`]: reads the blocks of a spill file into pages, asynchronously, in file
//! order.
//!
//! ```text
//!  caller ──read_block(page)──▶ queue of the file's I/O thread ──preadv──▶ page filled with block k
//!    ▲                                                                        │
//!    └──next_block() ◀── FilledBlock { page, payload length } ◀── return queue ┘ (also on error)
//! ```
//!
//! Every page handed to [`BlockChannelReader::read_block`] is filled with the next block of the
//! file that no earlier page was given, so blocks come back in file order. A caller that keeps
//! `n` pages issues `n` reads up front and gives each page back with `read_block` once it has
//! consumed it (read-ahead). Pages given after the last block are not sent to the I/O thread;
//! the reader keeps them. At the end, [`BlockChannelReader::next_block`] returns `None` and
//! [`BlockChannelReader::close`] returns every page the reader holds.
//!
//! The I/O thread reads the payload of block `k` and the header of block `k + 1` with one
//! `preadv`, so reading costs one system call per block, like writing. Every header is checked
//! (magic, sequence number, length against the page size) and every payload against its CRC32C;
//! a short file is a corrupt block too. The first error makes the reader failed: later calls
//! report it, and the pages stay with the reader until `close`.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSliceMut};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crossbeam_channel::{Receiver, Sender};

use crate::error::MemoryError;
use crate::io::block_header::{BLOCK_HEADER_BYTES, BlockHeader};
use crate::io::first_error::FirstError;
use crate::io::io_manager::IoShared;
use crate::io::io_thread::IoRequest;
use crate::io::spill_file::SpillFile;
use crate::memory_segment::MemorySegment;

/// Reads the blocks of one [`SpillFile`]. Made by [`crate::IoManager::create_block_reader`];
/// see the module docs.
pub struct BlockChannelReader {
    io: Arc<IoShared>,
    channel: Arc<ReadChannel>,
    returns: Receiver<ReadCompletion>,
    /// Pages queued or being filled.
    in_flight: usize,
    /// Blocks asked of the I/O thread.
    requested: u64,
    /// Blocks handed to the caller.
    delivered: u64,
    /// Pages the reader keeps: given after the last block, or back after a failure.
    spare: Vec<MemorySegment>,
    error: FirstError,
}

/// A page filled with one block: the payload is its first `payload_len` bytes.
#[derive(Debug)]
pub struct FilledBlock {
    segment: MemorySegment,
    payload_len: usize,
}

impl FilledBlock {
    /// Length of the block's payload in bytes.
    pub fn payload_len(&self) -> usize {
        self.payload_len
    }

    /// The block's payload.
    pub fn payload(&self) -> &[u8] {
        &self.segment.as_slice()[..self.payload_len]
    }

    /// The whole page; bytes from `payload_len` on are left over from earlier use.
    pub fn segment(&self) -> &MemorySegment {
        &self.segment
    }

    pub fn into_segment(self) -> MemorySegment {
        self.segment
    }

    pub fn into_parts(self) -> (MemorySegment, usize) {
        (self.segment, self.payload_len)
    }
}

/// What the I/O thread needs of a reader: shared by the reader and its queued requests.
pub(crate) struct ReadChannel {
    file: Arc<SpillFile>,
    handle: File,
    /// Only the I/O thread takes it (one request at a time), so it is never contended.
    cursor: Mutex<ReadCursor>,
    /// Set by the I/O thread before it sends back the failed block.
    failed: AtomicBool,
    returns: Sender<ReadCompletion>,
}

/// Where the next block starts.
struct ReadCursor {
    block: u64,
    offset: u64,
    /// Its header, when it was read with the previous payload.
    header: Option<[u8; BLOCK_HEADER_BYTES]>,
}

/// Fill `segment` with the next block.
pub(crate) struct ReadRequest {
    channel: Arc<ReadChannel>,
    segment: MemorySegment,
}

struct ReadCompletion {
    segment: MemorySegment,
    outcome: ReadOutcome,
}

enum ReadOutcome {
    Filled(usize),
    Failed(MemoryError),
    /// Not read because an earlier block failed.
    Skipped,
}

impl fmt::Debug for BlockChannelReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockChannelReader")
            .field("path", &self.channel.file.path())
            .field("block_count", &self.block_count())
            .field("delivered", &self.delivered)
            .field("in_flight", &self.in_flight)
            .field("spare", &self.spare.len())
            .field("failed", &self.error.is_set())
            .finish()
    }
}

impl BlockChannelReader {
    pub(crate) fn new(io: Arc<IoShared>, file: Arc<SpillFile>, handle: File) -> BlockChannelReader {
        BlockChannelReader::new_at(io, file, handle, 0, 0)
    }

    /// A reader whose first block is `first_block`, whose header starts at byte `offset` of
    /// the file (blocks before it are skipped, as if delivered already).
    pub(crate) fn new_at(
        io: Arc<IoShared>,
        file: Arc<SpillFile>,
        handle: File,
        first_block: u64,
        offset: u64,
    ) -> BlockChannelReader {
        let (sender, returns) = crossbeam_channel::unbounded();
        BlockChannelReader {
            io,
            channel: Arc::new(ReadChannel {
                file,
                handle,
                cursor: Mutex::new(ReadCursor {
                    block: first_block,
                    offset,
                    header: None,
                }),
                failed: AtomicBool::new(false),
                returns: sender,
            }),
            returns,
            in_flight: 0,
            requested: first_block,
            delivered: first_block,
            spare: Vec::new(),
            error: FirstError::default(),
        }
    }

    pub fn file(&self) -> &Arc<SpillFile> {
        &self.channel.file
    }

    /// Blocks in the file.
    pub fn block_count(&self) -> u64 {
        self.channel.file.block_count()
    }

    /// Blocks returned by [`BlockChannelReader::next_block`] so far.
    pub fn blocks_delivered(&self) -> u64 {
        self.delivered
    }

    /// Pages the reader holds: queued, being filled, filled and not yet taken, or spare.
    pub fn pages_held(&self) -> usize {
        self.in_flight + self.spare.len()
    }

    /// Queues `segment` to be filled with the next block not yet asked for, and returns at once.
    /// After the last block, the reader just keeps the page (`close` returns it).
    ///
    /// Fails when an earlier read failed or the I/O manager shut down; the reader then keeps
    /// `segment`.
    pub fn read_block(&mut self, segment: MemorySegment) -> Result<(), MemoryError> {
        if let Some(error) = self.error.report() {
            self.spare.push(segment);
            return Err(error);
        }
        if self.requested == self.block_count() {
            self.spare.push(segment);
            return Ok(());
        }
        let request = ReadRequest {
            channel: Arc::clone(&self.channel),
            segment,
        };
        match self
            .io
            .submit(self.channel.file.thread(), IoRequest::Read(request))
        {
            Ok(()) => {
                self.in_flight += 1;
                self.requested += 1;
                Ok(())
            }
            Err(request) => {
                let IoRequest::Read(request) = request else {
                    unreachable!("submit gives back the request it was given")
                };
                self.spare.push(request.segment);
                self.error.record(MemoryError::IoManagerShutDown);
                Err(MemoryError::IoManagerShutDown)
            }
        }
    }

    /// Waits for the next block in file order; `Ok(None)` after the last block.
    ///
    /// Fails with [`MemoryError::CorruptBlock`] (naming the file, block and byte offset), an
    /// I/O error, or [`MemoryError::IoManagerShutDown`]; the reader then keeps the page.
    ///
    /// # Panics
    /// If blocks remain but no page was given to read them into.
    pub fn next_block(&mut self) -> Result<Option<FilledBlock>, MemoryError> {
        loop {
            if let Some(error) = self.error.report() {
                return Err(error);
            }
            if self.in_flight == 0 {
                assert!(
                    self.delivered == self.block_count(),
                    "next_block on {}: block {} of {} was not asked for (call read_block first)",
                    self.channel.file.path().display(),
                    self.delivered,
                    self.block_count()
                );
                return Ok(None);
            }
            let completion = self.receive();
            match completion.outcome {
                ReadOutcome::Filled(payload_len) => {
                    self.delivered += 1;
                    return Ok(Some(FilledBlock {
                        segment: completion.segment,
                        payload_len,
                    }));
                }
                ReadOutcome::Failed(error) => {
                    self.spare.push(completion.segment);
                    self.error.record(error);
                }
                ReadOutcome::Skipped => self.spare.push(completion.segment),
            }
        }
    }

    /// Waits for the reads in flight and returns every page the reader holds (filled blocks not
    /// taken yet included).
    pub fn close(mut self) -> Vec<MemorySegment> {
        self.wait_for_all();
        std::mem::take(&mut self.spare)
    }

    fn receive(&mut self) -> ReadCompletion {
        let completion = self
            .returns
            .recv()
            .expect("the reader holds a sender of its own return queue");
        self.in_flight -= 1;
        completion
    }

    fn wait_for_all(&mut self) {
        while self.in_flight > 0 {
            let completion = self.receive();
            self.spare.push(completion.segment);
        }
    }
}

impl Drop for BlockChannelReader {
    fn drop(&mut self) {
        // Pages go back to their pools when the reader drops, not some time later.
        self.wait_for_all();
    }
}

impl ReadRequest {
    /// Runs on the I/O thread; always sends the page back.
    pub(crate) fn serve(self, shutting_down: bool) {
        let ReadRequest {
            channel,
            mut segment,
        } = self;
        let outcome = if channel.failed.load(Ordering::Relaxed) {
            ReadOutcome::Skipped
        } else {
            let result = if shutting_down {
                Err(MemoryError::IoManagerShutDown)
            } else {
                let mut cursor = channel
                    .cursor
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                match catch_unwind(AssertUnwindSafe(|| {
                    read_next_block(&channel, &mut cursor, &mut segment)
                })) {
                    Ok(result) => result,
                    Err(_) => Err(MemoryError::Io {
                        path: channel.file.path().to_path_buf(),
                        action: "reading a spill block",
                        source: io::Error::other("the I/O thread panicked"),
                    }),
                }
            };
            match result {
                Ok(payload_len) => ReadOutcome::Filled(payload_len),
                Err(error) => {
                    channel.failed.store(true, Ordering::Release);
                    ReadOutcome::Failed(error)
                }
            }
        };
        // Let go of the channel before the reader can see the page: once the reader has its
        // pages back it may drop the last handle of the file, and the file must be deleted by
        // that drop, on the reader's thread, not a moment later by this one.
        let returns = channel.returns.clone();
        drop(channel);
        // A reader that is gone no longer wants the page; dropping it returns it to its pool.
        let _ = returns.send(ReadCompletion { segment, outcome });
    }
}

/// Reads the block at `cursor` into `segment`, with the next block's header if there is one;
/// returns the payload length.
fn read_next_block(
    channel: &ReadChannel,
    cursor: &mut ReadCursor,
    segment: &mut MemorySegment,
) -> Result<usize, MemoryError> {
    let file = &channel.file;
    let (block, offset) = (cursor.block, cursor.offset);
    let corrupt = |reason: String| corrupt_block(file, block, offset, reason);
    let io_error = |error| read_error(file, error);

    let header_bytes = match cursor.header.take() {
        Some(header) => header,
        None => {
            let mut header = [0u8; BLOCK_HEADER_BYTES];
            let read = read_at(&channel.handle, &mut [IoSliceMut::new(&mut header)], offset)
                .map_err(io_error)?;
            if read < BLOCK_HEADER_BYTES {
                return Err(corrupt(truncated(read, BLOCK_HEADER_BYTES, "header", file)));
            }
            header
        }
    };
    let header = BlockHeader::decode(&header_bytes, block, segment.size()).map_err(corrupt)?;
    let payload_len = header.payload_len as usize;
    let payload = &mut segment.as_mut_slice()[..payload_len];

    let payload_offset = offset + BLOCK_HEADER_BYTES as u64;
    let mut next_header = [0u8; BLOCK_HEADER_BYTES];
    let more_blocks = block + 1 < file.block_count();
    let read = if more_blocks {
        let mut slices = [IoSliceMut::new(payload), IoSliceMut::new(&mut next_header)];
        read_at(&channel.handle, &mut slices, payload_offset)
    } else {
        read_at(
            &channel.handle,
            &mut [IoSliceMut::new(payload)],
            payload_offset,
        )
    }
    .map_err(io_error)?;
    if read < payload_len {
        return Err(corrupt(truncated(read, payload_len, "payload", file)));
    }
    header
        .verify(&segment.as_slice()[..payload_len])
        .map_err(corrupt)?;

    cursor.block += 1;
    cursor.offset = payload_offset + payload_len as u64;
    // A short next header is read again, and reported, as part of its own block.
    if more_blocks && read == payload_len + BLOCK_HEADER_BYTES {
        cursor.header = Some(next_header);
    }
    Ok(payload_len)
}

/// The error for block `block` (at byte `offset`) of `file` that fails its checks.
pub(crate) fn corrupt_block(
    file: &SpillFile,
    block: u64,
    offset: u64,
    reason: String,
) -> MemoryError {
    MemoryError::CorruptBlock {
        path: file.path().to_path_buf(),
        block,
        offset,
        reason,
    }
}

/// The error for a failed read of a block of `file`.
pub(crate) fn read_error(file: &SpillFile, error: std::io::Error) -> MemoryError {
    MemoryError::from_io(file.path(), "reading a spill block", error)
}

pub(crate) fn truncated(read: usize, expected: usize, part: &str, file: &SpillFile) -> String {
    let short = if read == 0 && part == "header" {
        "the file ends before this block".to_string()
    } else {
        format!("the file ends inside the block {part} ({read} of {expected} bytes)")
    };
    format!(
        "{short}; it should hold {} blocks in {} bytes",
        file.block_count(),
        file.file_bytes()
    )
}

/// Reads into `slices` from `offset` until they are full or the file ends; returns the bytes
/// read.
pub(crate) fn read_at(
    file: &File,
    mut slices: &mut [IoSliceMut<'_>],
    mut offset: u64,
) -> io::Result<usize> {
    let mut total = 0;
    while !slices.is_empty() {
        match rustix::io::preadv(file, slices, offset) {
            Ok(0) => break,
            Ok(read) => {
                total += read;
                offset += read as u64;
                IoSliceMut::advance_slices(&mut slices, read);
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(total)
}
