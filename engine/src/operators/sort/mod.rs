//! Sorting serialized records in pages.
//!
//! - `sort_index.rs`: the index of (normalized key prefix, record pointer) entries in pages;
//! - `radix_sort.rs`: an in-place MSD radix sort of the index on the prefix bytes;
//! - `indexed_sort.rs`: an introsort over anything that compares and swaps by index;
//! - `in_memory_sorter.rs`: records in a [`crate::operators::record_area::RecordArea`] and their
//!   index, sorted by the radix sort or the introsort;
//! - `external_sorter.rs`: sorted runs spilled while input continues, merged by
//!   `run_merger.rs` through `loser_tree.rs`, with an optional combiner (`combiner.rs`);
//! - `sort_aggregator.rs`: grouping, reduce and distinct on top of the external sorter.

mod combiner;
mod external_sorter;
mod in_memory_sorter;
mod indexed_sort;
mod loser_tree;
mod radix_sort;
mod run_merger;
mod sort_aggregator;
mod sort_index;

pub use combiner::{Combiner, CombiningWriter};
pub use external_sorter::{ExternalSorter, MIN_EXTERNAL_SORTER_PAGES, SortedOutput};
pub use in_memory_sorter::{
    InMemorySorter, MAX_PREFIX_BYTES, MIN_SORTER_PAGES, SortAlgorithm, SortOrder, SortedRecords,
};
pub use indexed_sort::{INSERTION_SORT_THRESHOLD, IndexedSortable, quick_sort};
pub use loser_tree::LoserTree;
pub use radix_sort::SMALL_BUCKET_ENTRIES;
pub use run_merger::RunMerger;
pub use sort_aggregator::{GroupedOutput, SortAggregator};
