//! Weir: a native batch + stream processing engine in the lineage of Apache Flink.
//!
//! This crate is the engine and the `weir` command. What exists so far:
//!
//! - [`config`]: every configuration key (Flink's names), read from defaults,
//!   `conf/weir-conf.yaml`, `--conf FILE` and `-D key=value`, with every problem reported at
//!   once;
//! - [`memory_plan`]: how `taskmanager.memory.process.size` splits into runtime overhead, task
//!   heap, managed memory and network buffers;
//! - [`types`]: record serializers over paged views and key comparators with normalized keys
//!   (built-in types, tuples, `Option`, serde-derived structs via postcard);
//! - [`connectors`]: file inputs in splits (lines, CSV, TPC-H `.tbl`) and part-file outputs;
//! - [`operators`]: operators over serialized records in pages (so far the in-memory sorter);
//! - [`runtime`]: so far the data exchange between tasks ([`runtime::network`]: result
//!   partitions, input gates, record writers and readers);
//! - the managed-memory core lives in the `weir-memory` crate, re-exported as [`memory`].

pub mod api;
pub mod checkpoint;
pub mod config;
pub mod connectors;
pub mod error;
pub mod eventtime;
pub mod graph;
pub mod jobs;
pub mod memory_plan;
pub mod operators;
pub mod runtime;
pub mod state;
pub mod types;
pub mod windowing;

pub use error::WeirError;
pub use memory_plan::MemoryPlan;
pub use weir_memory as memory;
