//! Joins of two inputs of serialized records in pages: a hybrid hash join and a sort-merge
//! join, both inner, left outer, right outer and full outer ([`JoinType`]).
//!
//! ```text
//!   left input (probe) ──┐                                   ┌─▶ emit(Some(l), Some(r))
//!                        ├─▶ HybridHashJoin (right = build) ─┤   emit(Some(l), None)   left outer
//!   right input (build) ─┘   SortMergeJoin (both sorted)     └─▶ emit(None, Some(r))   right outer
//! ```
//!
//! Both operators take a [`JoinSchema`] (usually [`JoinInputs`]: two serializers, a key
//! comparator, two key extractors), work only in the pages they are given, spill through the
//! `IoManager`, report [`crate::operators::metrics::OperatorMetrics`], and give every page back.
//!
//! Files:
//! - `join_type.rs`, `join_inputs.rs`: what is joined and how keys are found;
//! - `hybrid_hash_join.rs`: the operator and its recursion over spilled partitions;
//! - `hash_join_level.rs`: one level: partitions, spilling, bloom filters, index, probe;
//! - `hash_index.rs`: the open-addressing table in pages; `hash_prefixed.rs`: records with
//!   their key hash in front; `record_pointers.rs`: walking a record area;
//! - `bloom_filter.rs`: a bit set in pages;
//! - `block_nested_loop_join.rs`: the fallback for partitions recursion cannot split;
//! - `sort_merge_join.rs`, `group_buffer.rs`: the sort-merge join and its buffer of one key's
//!   right records.

mod block_nested_loop_join;
mod bloom_filter;
mod group_buffer;
mod hash_index;
mod hash_join_level;
mod hash_prefixed;
mod hybrid_hash_join;
mod join_inputs;
mod join_type;
mod record_pointers;
mod sort_merge_join;

pub use block_nested_loop_join::{MIN_BLOCK_NESTED_LOOP_PAGES, STREAM_READ_AHEAD_MIN_PAGES};
pub use hash_join_level::{MAX_FAN_OUT, MIN_LEVEL_PAGES};
pub use hybrid_hash_join::{
    HybridHashJoin, MAX_RECURSION_DEPTH, MIN_HYBRID_HASH_JOIN_PAGES, READ_AHEAD_MIN_PAGES,
};
pub use join_inputs::{JoinInputs, JoinSchema, KeyOf, LeftOf, RightOf};
pub use join_type::JoinType;
pub use sort_merge_join::{MIN_SORT_MERGE_JOIN_PAGES, SortMergeJoin};
