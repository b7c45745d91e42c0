//! Sorting serialized records in pages.
//!
//! - `sort_index.rs`: the index of (normalized key prefix, record pointer) entries in pages;
//! - `radix_sort.rs`: an in-place MSD radix sort of the index on the prefix bytes;
//! - `indexed_sort.rs`: an introsort over anything that compares and swaps by index;
//! - `in_memory_sorter.rs`: records in a [`crate::operators::record_area::RecordArea`] and their
//!   index, sorted by the radix sort or the introsort.

mod in_memory_sorter;
mod indexed_sort;
mod radix_sort;
mod sort_index;

pub use in_memory_sorter::{
    InMemorySorter, MAX_PREFIX_BYTES, MIN_SORTER_PAGES, SortAlgorithm, SortOrder, SortedRecords,
};
pub use indexed_sort::{INSERTION_SORT_THRESHOLD, IndexedSortable, quick_sort};
pub use radix_sort::SMALL_BUCKET_ENTRIES;
