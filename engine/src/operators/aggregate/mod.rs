//! Hash aggregation over serialized records in pages, with spilling and recursion
//! (DESIGN §5 "Aggregation"; the sort-based aggregation is
//! [`crate::operators::sort::SortAggregator`]).
//!
//! - `table_partition.rs`: the pages of one hash partition, holding its entries (stored hash,
//!   length, serialized record);
//! - `reduce_hash_table.rs`: one level: an open-addressing slot table in pages over the
//!   partitions, folding records per key in place, growing inside the budget and spilling whole
//!   partitions when the pages run out;
//! - `hash_aggregator.rs`: the operator: the first level over the input, then every spilled
//!   partition aggregated one level deeper with a new hash seed, and a sort-based fallback for
//!   runs that recursion cannot shrink; distinct on the same machinery.

mod hash_aggregator;
mod reduce_hash_table;
mod table_partition;

pub use hash_aggregator::{
    FinishedAggregation, HashAggregator, HashDistinct, KeepFirst, MAX_RECURSION_DEPTH,
    MIN_HASH_AGGREGATOR_PAGES, READ_AHEAD_PAGES,
};
pub use reduce_hash_table::{MAX_PARTITIONS, MIN_TABLE_PAGES};
