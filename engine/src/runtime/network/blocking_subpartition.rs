//! [`BlockingSubpartition`]: the buffers of one subpartition of a blocking result partition,
//! in memory or spilled, and [`BlockingSubpartitionReader`], which reads them back in order.
//!
//! ```text
//!  producer ──sealed buffer──▶ in_memory: [b7 b8 b9]          pool exhausted ──▶ spill_all:
//!                                                              every in-memory buffer goes to
//!  spill file <n>.channel: [b0 b1 … b6]   headers: [h0 … h6]   the end of the file, oldest first
//!
//!  consumer:  b0 … b6 from the file (read ahead into the gate's buffers), then b7 b8 b9
//! ```
//!
//! A subpartition's data is therefore always a spilled prefix followed by an in-memory suffix,
//! and the consumer reads the file first, then the memory. Headers ([`BufferHeader`]) stay in
//! memory for spilled buffers too. The spill file is deleted when the reader is dropped (it holds
//! the only reference once the consumer took the data) or, if nobody read it, with the
//! partition.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use weir_memory::{
    BlockChannelReader, BlockChannelWriter, IoManager, LocalBufferPool, NetworkBuffer, SpillFile,
};

use crate::error::WeirError;
use crate::runtime::network::buffer_header::BufferHeader;
use crate::runtime::network::cancel_token::CancelToken;

/// Blocks a reader keeps in flight ahead of the one being consumed (fewer when the gate's pool
/// has no more buffers to spare).
const READ_AHEAD_BLOCKS: usize = 4;

/// How long one wait for a buffer lasts before the cancel token is checked again.
pub(crate) const WAIT_SLICE: Duration = Duration::from_millis(20);

/// Producer-side data of one blocking subpartition. See the module docs.
#[derive(Debug, Default)]
pub(crate) struct BlockingSubpartition {
    in_memory: VecDeque<(NetworkBuffer, BufferHeader)>,
    spill_writer: Option<BlockChannelWriter>,
    spilled_headers: VecDeque<BufferHeader>,
    spill_file: Option<Arc<SpillFile>>,
    /// The consumer went away before reading: drop whatever arrives.
    pub(crate) released: bool,
}

/// What one spill pass wrote.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SpillCount {
    pub(crate) buffers: u64,
    pub(crate) bytes: u64,
    pub(crate) files_created: u64,
}

impl BlockingSubpartition {
    pub(crate) fn add(&mut self, buffer: NetworkBuffer, header: BufferHeader) {
        if !self.released {
            self.in_memory.push_back((buffer, header));
        }
    }

    pub(crate) fn buffers_in_memory(&self) -> usize {
        self.in_memory.len()
    }

    /// Writes every in-memory buffer to the end of this subpartition's spill file (created on
    /// first use). The pages come back to the partition's pool through
    /// [`BlockingSubpartition::reclaim_returned`] once written.
    pub(crate) fn spill_all(&mut self, io: &IoManager) -> Result<SpillCount, WeirError> {
        let mut count = SpillCount::default();
        if self.in_memory.is_empty() {
            return Ok(count);
        }
        let writer = match &mut self.spill_writer {
            Some(writer) => writer,
            None => {
                count.files_created = 1;
                self.spill_writer
                    .insert(io.create_block_writer(io.create_channel())?)
            }
        };
        while let Some((buffer, header)) = self.in_memory.pop_front() {
            let len = buffer.len();
            writer.write_block(buffer.into_segment(), len)?;
            self.spilled_headers.push_back(header);
            count.buffers += 1;
            count.bytes += len as u64;
        }
        Ok(count)
    }

    /// Drops the pages whose writes are done (back to the pool); with `wait`, first waits for
    /// one write if any is in flight. Returns whether a page came back.
    pub(crate) fn reclaim_returned(&mut self, wait: bool) -> Result<bool, WeirError> {
        let Some(writer) = &mut self.spill_writer else {
            return Ok(false);
        };
        let mut reclaimed = false;
        if wait && writer.pages_held() > 0 {
            drop(writer.next_returned_segment()?);
            reclaimed = true;
        }
        while let Some(segment) = writer.try_returned_segment()? {
            drop(segment);
            reclaimed = true;
        }
        Ok(reclaimed)
    }

    pub(crate) fn has_writes_in_flight(&self) -> bool {
        self.spill_writer
            .as_ref()
            .is_some_and(|writer| writer.pages_held() > 0)
    }

    /// Ends production: closes the spill file (its pages go back to the pool).
    pub(crate) fn finish(&mut self) -> Result<(), WeirError> {
        if let Some(writer) = self.spill_writer.take() {
            let (result, pages) = writer.close();
            drop(pages);
            self.spill_file = Some(Arc::new(result?));
        }
        if self.released {
            self.release();
        }
        Ok(())
    }

    /// Drops every buffer and the spill file (the consumer is gone or the partition failed).
    pub(crate) fn release(&mut self) {
        self.released = true;
        self.in_memory.clear();
        self.spilled_headers.clear();
        self.spill_writer = None;
        self.spill_file = None;
    }

    /// Hands the finished data to its consumer.
    pub(crate) fn take_for_reading(
        &mut self,
        io: &IoManager,
    ) -> Result<BlockingSubpartitionReader, WeirError> {
        let spilled = match self.spill_file.take() {
            Some(file) => Some(SpilledBlocks {
                reader: io.create_block_reader(&file)?,
                headers: std::mem::take(&mut self.spilled_headers),
                requested: 0,
                in_flight: 0,
            }),
            None => None,
        };
        Ok(BlockingSubpartitionReader {
            spilled,
            in_memory: std::mem::take(&mut self.in_memory),
        })
    }
}

/// Reads a finished blocking subpartition: spilled blocks first, then in-memory buffers.
#[derive(Debug)]
pub(crate) struct BlockingSubpartitionReader {
    spilled: Option<SpilledBlocks>,
    in_memory: VecDeque<(NetworkBuffer, BufferHeader)>,
}

#[derive(Debug)]
struct SpilledBlocks {
    reader: BlockChannelReader,
    headers: VecDeque<BufferHeader>,
    requested: u64,
    in_flight: usize,
}

impl BlockingSubpartitionReader {
    /// The next buffer in order, `None` at the end. Spilled blocks are read into buffers of
    /// `pool` (the gate's), a few ahead; the caller drops each buffer when done with it, which
    /// returns it to `pool` for the next read.
    pub(crate) fn next_buffer(
        &mut self,
        pool: &LocalBufferPool,
        cancel: &CancelToken,
        gate: &str,
    ) -> Result<Option<(NetworkBuffer, BufferHeader)>, WeirError> {
        if let Some(spilled) = &mut self.spilled {
            if let Some(next) = spilled.next_buffer(pool, cancel, gate)? {
                return Ok(Some(next));
            }
            // Every block read: the reader (and with it the file) goes away now.
            self.spilled = None;
        }
        Ok(self.in_memory.pop_front())
    }
}

impl SpilledBlocks {
    fn next_buffer(
        &mut self,
        pool: &LocalBufferPool,
        cancel: &CancelToken,
        gate: &str,
    ) -> Result<Option<(NetworkBuffer, BufferHeader)>, WeirError> {
        let blocks = self.reader.block_count();
        while self.in_flight < READ_AHEAD_BLOCKS && self.requested < blocks {
            let buffer = if self.in_flight == 0 {
                wait_for_buffer(pool, cancel, gate)?
            } else {
                match pool.request_buffer()? {
                    Some(buffer) => buffer,
                    None => break,
                }
            };
            self.reader.read_block(buffer.into_segment())?;
            self.requested += 1;
            self.in_flight += 1;
        }
        let Some(block) = self.reader.next_block()? else {
            return Ok(None);
        };
        self.in_flight -= 1;
        let header = self
            .headers
            .pop_front()
            .expect("one header was kept per spilled block");
        let (segment, len) = block.into_parts();
        Ok(Some((NetworkBuffer::from_segment(segment, len), header)))
    }
}

/// Waits for a buffer of `pool`, checking `cancel` every [`WAIT_SLICE`].
pub(crate) fn wait_for_buffer(
    pool: &LocalBufferPool,
    cancel: &CancelToken,
    component: &str,
) -> Result<NetworkBuffer, WeirError> {
    loop {
        if cancel.is_canceled() {
            return Err(WeirError::Canceled {
                component: component.to_string(),
            });
        }
        if let Some(buffer) = pool.request_buffer_timeout(WAIT_SLICE)? {
            return Ok(buffer);
        }
    }
}
