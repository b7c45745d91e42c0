//! [`BlockChannelWriter`]: writes pages as blocks to a spill file, asynchronously, and gives the
//! pages back.
//!
//! ```text
//!  caller ──write_block(page, len)──▶ queue of the file's I/O thread ──header+payload──▶ file
//!    ▲                                                                     │
//!    └──next_returned_segment() ◀── return queue of this writer ◀──────────┘ page (also on error)
//! ```
//!
//! The pages come back in the order they were written. A caller that keeps `n` pages keeps up
//! to `n - 1` writes in flight while it fills the next page (write-behind).
//!
//! Errors: the first failed write makes the writer failed. The I/O thread skips the blocks
//! queued after it (a file with a hole is useless), and every later call reports the first error.
//! From then on the writer keeps the pages that come back and [`BlockChannelWriter::close`]
//! hands all of them over with the error, so a failed writer never loses a page. A writer
//! dropped without `close` waits for its writes, then deletes its file; so does a `close` that
//! fails.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender};

use crate::error::MemoryError;
use crate::io::block_header::BlockHeader;
use crate::io::file_channel_id::FileChannelId;
use crate::io::first_error::FirstError;
use crate::io::io_manager::IoShared;
use crate::io::io_thread::IoRequest;
use crate::io::spill_file::{SpillFile, remove_spill_file};
use crate::memory_segment::MemorySegment;

/// Writes blocks to one spill file. Made by [`crate::IoManager::create_block_writer`]; see the
/// module docs.
pub struct BlockChannelWriter {
    io: Arc<IoShared>,
    id: FileChannelId,
    channel: Arc<WriteChannel>,
    returns: Receiver<WriteCompletion>,
    /// Pages queued or being written.
    in_flight: usize,
    /// Pages that came back and were not handed out yet. Once failed, the writer keeps every
    /// page here for `close`.
    returned: Vec<MemorySegment>,
    error: FirstError,
    blocks: u64,
    payload_bytes: u64,
    /// Set by `close`: the file belongs to a `SpillFile` or is deleted already.
    closed: bool,
}

/// What the I/O thread needs of a writer: shared by the writer and its queued requests.
pub(crate) struct WriteChannel {
    path: PathBuf,
    file: File,
    /// Set by the I/O thread before it sends back the failed block.
    failed: AtomicBool,
    returns: Sender<WriteCompletion>,
}

/// Write `len` bytes of `segment` as block number `block`.
pub(crate) struct WriteRequest {
    channel: Arc<WriteChannel>,
    segment: MemorySegment,
    len: usize,
    block: u64,
}

struct WriteCompletion {
    segment: MemorySegment,
    outcome: WriteOutcome,
}

enum WriteOutcome {
    Written,
    Failed(MemoryError),
    /// Not written because an earlier block of the file failed.
    Skipped,
}

impl fmt::Debug for BlockChannelWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockChannelWriter")
            .field("path", &self.channel.path)
            .field("blocks", &self.blocks)
            .field("in_flight", &self.in_flight)
            .field("returned", &self.returned.len())
            .field("failed", &self.error.is_set())
            .finish()
    }
}

impl BlockChannelWriter {
    pub(crate) fn new(io: Arc<IoShared>, id: FileChannelId, file: File) -> BlockChannelWriter {
        let (sender, returns) = crossbeam_channel::unbounded();
        BlockChannelWriter {
            io,
            channel: Arc::new(WriteChannel {
                path: id.path().to_path_buf(),
                file,
                failed: AtomicBool::new(false),
                returns: sender,
            }),
            id,
            returns,
            in_flight: 0,
            returned: Vec::new(),
            error: FirstError::default(),
            blocks: 0,
            payload_bytes: 0,
            closed: false,
        }
    }

    pub fn channel_id(&self) -> &FileChannelId {
        &self.id
    }

    pub fn path(&self) -> &Path {
        self.id.path()
    }

    /// Blocks handed to [`BlockChannelWriter::write_block`] so far (queued or written).
    pub fn blocks_written(&self) -> u64 {
        self.blocks
    }

    /// Pages the writer holds: queued, being written, or back and not yet taken.
    pub fn pages_held(&self) -> usize {
        self.in_flight + self.returned.len()
    }

    /// Queues the first `len` bytes of `segment` as the next block of the file and returns at
    /// once; the page comes back through [`BlockChannelWriter::next_returned_segment`] after the
    /// write.
    ///
    /// Fails when an earlier write failed or the I/O manager shut down; the writer then keeps
    /// `segment` and [`BlockChannelWriter::close`] returns it.
    ///
    /// # Panics
    /// If `len` exceeds the segment size.
    pub fn write_block(&mut self, segment: MemorySegment, len: usize) -> Result<(), MemoryError> {
        assert!(
            len <= segment.size(),
            "block length {len} exceeds the page size {}",
            segment.size()
        );
        self.absorb_failure();
        if let Some(error) = self.error.report() {
            self.returned.push(segment);
            return Err(error);
        }
        let request = WriteRequest {
            channel: Arc::clone(&self.channel),
            segment,
            len,
            block: self.blocks,
        };
        match self.io.submit(self.id.thread(), IoRequest::Write(request)) {
            Ok(()) => {
                self.in_flight += 1;
                self.blocks += 1;
                self.payload_bytes += len as u64;
                Ok(())
            }
            Err(request) => {
                let IoRequest::Write(request) = request else {
                    unreachable!("submit gives back the request it was given")
                };
                self.returned.push(request.segment);
                self.error.record(MemoryError::IoManagerShutDown);
                Err(MemoryError::IoManagerShutDown)
            }
        }
    }

    /// Waits for the next page to come back (the oldest write) and returns it.
    ///
    /// Fails when a write failed or the I/O manager shut down; the writer then keeps the page
    /// and [`BlockChannelWriter::close`] returns it.
    ///
    /// # Panics
    /// If the writer holds no page (nothing to wait for).
    pub fn next_returned_segment(&mut self) -> Result<MemorySegment, MemoryError> {
        loop {
            if let Some(error) = self.error.report() {
                return Err(error);
            }
            if let Some(segment) = self.returned.pop() {
                return Ok(segment);
            }
            assert!(
                self.in_flight > 0,
                "next_returned_segment on {}: the writer holds no page",
                self.channel.path.display()
            );
            let completion = self.receive();
            if let Some(segment) = self.absorb(completion) {
                return Ok(segment);
            }
        }
    }

    /// Returns a page that came back, without waiting; `Ok(None)` when none is back yet.
    /// Fails like [`BlockChannelWriter::next_returned_segment`].
    pub fn try_returned_segment(&mut self) -> Result<Option<MemorySegment>, MemoryError> {
        loop {
            if let Some(error) = self.error.report() {
                return Err(error);
            }
            if let Some(segment) = self.returned.pop() {
                return Ok(Some(segment));
            }
            if self.in_flight == 0 {
                return Ok(None);
            }
            let Ok(completion) = self.returns.try_recv() else {
                return Ok(None);
            };
            self.in_flight -= 1;
            if let Some(segment) = self.absorb(completion) {
                return Ok(Some(segment));
            }
        }
    }

    /// Writes a block and waits for a page to come back: the same page when no other write was
    /// in flight (synchronous writing), else the oldest one.
    pub fn write_block_and_wait(
        &mut self,
        segment: MemorySegment,
        len: usize,
    ) -> Result<MemorySegment, MemoryError> {
        self.write_block(segment, len)?;
        self.next_returned_segment()
    }

    /// Waits for every write, then returns the finished file (or the first error) and every page
    /// the writer still holds, in both cases. A failed file is deleted.
    pub fn close(mut self) -> (Result<SpillFile, MemoryError>, Vec<MemorySegment>) {
        self.wait_for_all();
        self.closed = true;
        let pages = std::mem::take(&mut self.returned);
        let result = match self.error.take() {
            Some(error) => {
                remove_spill_file(&self.channel.path);
                Err(error)
            }
            None => Ok(SpillFile::new(
                self.channel.path.clone(),
                self.id.thread(),
                self.blocks,
                self.payload_bytes,
            )),
        };
        (result, pages)
    }

    fn receive(&mut self) -> WriteCompletion {
        let completion = self
            .returns
            .recv()
            .expect("the writer holds a sender of its own return queue");
        self.in_flight -= 1;
        completion
    }

    /// Takes in a completion: a written page is handed out; a page whose write failed or was
    /// skipped stays with the writer, and a failure is recorded.
    fn absorb(&mut self, completion: WriteCompletion) -> Option<MemorySegment> {
        match completion.outcome {
            WriteOutcome::Written if !self.error.is_set() => return Some(completion.segment),
            WriteOutcome::Written | WriteOutcome::Skipped => {}
            WriteOutcome::Failed(error) => self.error.record(error),
        }
        self.returned.push(completion.segment);
        None
    }

    /// When the I/O thread flagged a failed block that this writer has not seen yet, waits for
    /// it, so the failure is reported at once.
    fn absorb_failure(&mut self) {
        if self.error.is_set() || !self.channel.failed.load(Ordering::Acquire) {
            return;
        }
        while !self.error.is_set() && self.in_flight > 0 {
            let completion = self.receive();
            if let Some(segment) = self.absorb(completion) {
                self.returned.push(segment);
            }
        }
    }

    fn wait_for_all(&mut self) {
        while self.in_flight > 0 {
            let completion = self.receive();
            if let Some(segment) = self.absorb(completion) {
                self.returned.push(segment);
            }
        }
    }
}

impl Drop for BlockChannelWriter {
    fn drop(&mut self) {
        if !self.closed {
            // The I/O thread must be done with the file before it goes away.
            self.wait_for_all();
            remove_spill_file(&self.channel.path);
        }
    }
}

impl WriteRequest {
    /// Runs on the I/O thread; always sends the page back.
    pub(crate) fn serve(self, shutting_down: bool) {
        let WriteRequest {
            channel,
            segment,
            len,
            block,
        } = self;
        let outcome = if channel.failed.load(Ordering::Relaxed) {
            WriteOutcome::Skipped
        } else {
            let result = if shutting_down {
                Err(MemoryError::IoManagerShutDown)
            } else {
                let payload = &segment.as_slice()[..len];
                match catch_unwind(AssertUnwindSafe(|| {
                    write_block_to(&channel.file, payload, block)
                })) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(error)) => Err(MemoryError::from_io(
                        &channel.path,
                        "writing a spill block",
                        error,
                    )),
                    Err(_) => Err(MemoryError::Io {
                        path: channel.path.clone(),
                        action: "writing a spill block",
                        source: io::Error::other("the I/O thread panicked"),
                    }),
                }
            };
            match result {
                Ok(()) => WriteOutcome::Written,
                Err(error) => {
                    channel.failed.store(true, Ordering::Release);
                    WriteOutcome::Failed(error)
                }
            }
        };
        // A writer that is gone no longer wants the page; dropping it returns it to its pool.
        let _ = channel.returns.send(WriteCompletion { segment, outcome });
    }
}

/// Writes header and payload of one block at the file's position, with as few `writev` calls as
/// the kernel allows (one, normally).
fn write_block_to(mut file: &File, payload: &[u8], block: u64) -> io::Result<()> {
    let header = BlockHeader::for_payload(payload, block).encode();
    let mut slices = [IoSlice::new(&header), IoSlice::new(payload)];
    let mut remaining = &mut slices[..];
    while !remaining.is_empty() {
        match file.write_vectored(remaining) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => IoSlice::advance_slices(&mut remaining, written),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::io_manager::IoManager;
    use crate::{ByteSize, MemoryManager, PageSize};
    use std::fs::OpenOptions;

    fn manager() -> MemoryManager {
        MemoryManager::new(ByteSize::mib(1), PageSize::new(4096).unwrap()).unwrap()
    }

    #[test]
    fn header_and_payload_go_out_in_one_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("block");
        let file = File::create(&path).unwrap();
        write_block_to(&file, b"abc", 0).unwrap();
        write_block_to(&file, b"", 1).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 16 + 3 + 16);
        assert_eq!(&bytes[..4], b"WBLK");
        assert_eq!(&bytes[16..19], b"abc");
        assert_eq!(&bytes[19..23], b"WBLK");
    }

    /// `/dev/full` answers every write with ENOSPC: a real disk-full error from the kernel. The
    /// writer writes through a symlink to it, so deleting "its file" deletes only the link.
    #[test]
    fn disk_full_is_reported_naming_the_file_and_pages_come_back() {
        let memory = manager();
        let owner = memory.reservation("spill-test");
        let root = tempfile::tempdir().unwrap();
        let io = IoManager::new(&[root.path().to_path_buf()]).unwrap();
        let link = root.path().join("full.channel");
        std::os::unix::fs::symlink("/dev/full", &link).unwrap();
        let Ok(file) = OpenOptions::new().write(true).open(&link) else {
            eprintln!("no /dev/full here: skipping the disk-full test");
            return;
        };
        let id = FileChannelId::new(link.clone(), 0);
        let mut writer = BlockChannelWriter::new(Arc::clone(io.shared()), id, file);
        let mut failures = 0;
        for page in owner.allocate_pages(4).unwrap() {
            // Fails at once when the I/O thread already flagged the first failure.
            failures += writer.write_block(page, 4096).is_err() as usize;
        }
        let error = writer.next_returned_segment().unwrap_err();
        assert!(
            matches!(&error, MemoryError::DiskFull { path } if path == &link),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains(&format!("disk full while writing {}", link.display())),
            "{error}"
        );
        assert!(matches!(
            writer.write_block(owner.allocate_page().unwrap(), 1),
            Err(MemoryError::DiskFull { .. })
        ));
        assert_eq!(writer.pages_held(), 5);
        let (result, pages) = writer.close();
        assert!(matches!(result, Err(MemoryError::DiskFull { .. })));
        assert_eq!(pages.len(), 5, "{failures} writes failed at once");
        assert!(!link.exists(), "a failed file is deleted");
        assert!(Path::new("/dev/full").exists());
        drop(pages);
        assert_eq!(memory.free_pages(), memory.total_pages());
    }
}
