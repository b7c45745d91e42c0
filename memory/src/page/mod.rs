//! The only module of the workspace that contains `unsafe` code.
//!
//! Everything here touches raw memory, so everything here is small and documents its invariants:
//!
//! * [`PageArena`] maps one anonymous region and cuts it into equal, disjoint [`Page`]s. Each page
//!   is handed out exactly once, when the arena is created; a `Page` is therefore the unique owner
//!   of its byte range, and safe code can only reach those bytes through `&Page` / `&mut Page`,
//!   which gives Rust's usual aliasing guarantees. Every page keeps the arena (and so the mapping)
//!   alive through an `Arc`.
//! * [`CountingAllocator`] is a global allocator that counts the heap bytes in use, so a
//!   TaskManager can report resident heap beside managed and network memory.
//!
//! ```text
//!  one anonymous mapping (memmap2), page_size * page_count bytes
//!  +-----------+-----------+-----------+-----+-----------+
//!  |  page 0   |  page 1   |  page 2   | ... | page n-1  |
//!  +-----------+-----------+-----------+-----+-----------+
//!     ^ Page{ptr, len, index 0, Arc<PageArena>} owns exactly this range
//! ```
#![allow(unsafe_code)]

mod counting_allocator;
mod page_arena;

pub use counting_allocator::CountingAllocator;
pub(crate) use page_arena::{Page, PageArena};
