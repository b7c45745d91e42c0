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
//!  IoManager ─────────────── spill: pages to files in io.tmp.dirs and back
//!  heap_accounting ───────── heap bytes (CountingAllocator) and resident set size
//! ```
//!
//! All `unsafe` code of the workspace lives in the [`page`](crate::page) module.

mod byte_size;
mod error;
mod heap_accounting;
mod io;
mod memory_manager;
mod memory_segment;
mod page;
mod page_size;

pub use byte_size::{ByteSize, ByteSizeParseError};
pub use error::MemoryError;
pub use heap_accounting::{
    HeapUsage, ResidentSetSampler, heap_usage, peak_resident_set_size, resident_set_size,
};
// io re-exports: see io/mod.rs
pub use memory_manager::{MemoryManager, MemoryReservation};
pub use memory_segment::MemorySegment;
pub use page::CountingAllocator;
pub use page_size::PageSize;
