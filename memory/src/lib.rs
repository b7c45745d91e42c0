//! # weir-memory
//!
//! Weir's managed memory. Records live serialized in fixed-size pages ([`MemorySegment`]), never
//! as heap objects, so every byte an operator or the network uses is counted against a budget
//! that was derived from `taskmanager.memory.process.size`:
//!
//! ```text
//!  MemoryManager ─────────── pages for sort / join / aggregation (managed memory)
//!  NetworkBufferPool ──┬──── LocalBufferPool (result partition)   network buffers
//!                      └──── LocalBufferPool (input gate)
//!  paged views ───────────── records written / read across page boundaries
//!  page cursors ──────────── those views over pages an operator owns (append, overwrite, read)
//!  IoManager ─────────────── spill: pages to files in io.tmp.dirs and back
//!  heap_accounting ───────── heap bytes (CountingAllocator) and resident set size
//! ```
//!
//! All `unsafe` code of the workspace lives in the [`page`](crate::page) module.

mod byte_size;
mod error;
mod heap_accounting;
mod io;
mod local_buffer_pool;
mod memory_manager;
mod memory_segment;
mod network_buffer;
mod network_buffer_pool;
mod page;
mod page_cursor;
mod page_size;
mod paged_view;

pub use byte_size::{ByteSize, ByteSizeParseError};
pub use error::MemoryError;
pub use heap_accounting::{
    HeapUsage, ResidentSetSampler, heap_usage, peak_resident_set_size, resident_set_size,
};
// io re-exports: see io/mod.rs
pub use io::{
    BLOCK_HEADER_BYTES, BlockChannelReader, BlockChannelWriter, FileChannelId, FilledBlock,
    IoManager, SpillFile, SynchronousBlockReader,
};
pub use local_buffer_pool::{BufferRequest, LocalBufferPool, LocalBufferPoolStats};
pub use memory_manager::{MemoryManager, MemoryReservation};
pub use memory_segment::MemorySegment;
pub use network_buffer::NetworkBuffer;
pub use network_buffer_pool::NetworkBufferPool;
pub use page::CountingAllocator;
pub use page_cursor::{AppendTarget, OnePageSource, OnePageTarget, OverwriteTarget, PagesSource};
pub use page_size::PageSize;
pub use paged_view::{
    PagedInputView, PagedOutputView, SegmentListSource, SegmentListTarget, SegmentSource,
    SegmentTarget,
};
