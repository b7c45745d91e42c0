//! The DataSet API: what a program writes to define a bounded (batch) job.
//!
//! ```text
//!   let env = ExecutionEnvironment::get_execution_environment()?;
//!   let counts = env
//!       .read_text_file("input.txt")
//!       .flat_map(|line, out| for word in line.split(' ') { out.emit((word.to_owned(), 1u64)) })
//!       .group_by(|(word, _)| word.clone())
//!       .reduce(|a, b| (a.0, a.1 + b.1));
//!   counts.write_as_csv("counts.csv");
//!   env.execute("WordCount")?;
//! ```
//!
//! A [`DataSet`] is a handle to one operator of the program's plan; transformations add
//! operators and return new handles. Nothing runs until [`ExecutionEnvironment::execute`] (or
//! `collect`, `count`, `print`, which execute at once, as in Flink). Mistakes a program makes
//! while defining the plan (a tuple field that does not exist, an outer join with a broadcast
//! hint that cannot work) are collected and reported together when it executes.

pub mod aggregation;
pub mod data;
pub mod data_set;
pub mod execution_environment;
pub mod functions;
pub mod generator;
pub mod grouping;
pub mod join;
pub mod stream;

pub use crate::operators::join::JoinType;
pub use crate::runtime::collector::Output;
pub use crate::types::Order;
pub use aggregation::{Aggregation, TupleAggregate};
pub use data::{Data, Key};
pub use data_set::DataSet;
pub use execution_environment::ExecutionEnvironment;
pub use functions::{
    CoGroupFunction, CrossFunction, FilterFunction, FlatJoinFunction, FlatMapFunction, Group,
    GroupReduceFunction, MapFunction, MapPartitionFunction, ReduceFunction, RuntimeContext,
    UserError,
};
pub use generator::RecordRandom;
pub use grouping::{Grouping, SortedGrouping};
pub use join::{JoinHint, JoinOperator};
