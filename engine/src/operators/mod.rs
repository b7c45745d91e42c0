//! Operators over serialized records in pages: sort, hash and sort-merge joins, aggregation.
//!
//! Operators work only in the pages they are given from managed memory and spill through the
//! `IoManager` when those are full; they are driven by the runtime (or by tests and benches),
//! never driving it.

pub mod aggregate;
pub mod join;
pub mod metrics;
pub mod record_area;
pub mod sort;
pub mod spill;
