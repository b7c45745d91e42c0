//! Sorting serialized records in pages.
//!
//! - `indexed_sort.rs`: an introsort over anything that compares and swaps by index;
//! - `in_memory_sorter.rs`: records in a [`crate::operators::record_area::RecordArea`], an
//!   index of (normalized key prefix, pointer) entries in pages, sorted by the introsort.

mod in_memory_sorter;
mod indexed_sort;

pub use in_memory_sorter::{
    InMemorySorter, MAX_PREFIX_BYTES, MIN_SORTER_PAGES, SortOrder, SortedRecords,
};
pub use indexed_sort::{INSERTION_SORT_THRESHOLD, IndexedSortable, quick_sort};
