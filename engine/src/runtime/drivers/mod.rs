//! The typed operators the runtime runs for the DataSet API: user-function drivers over the
//! page-based operators, sources and sinks, and the glue that puts them behind the plan's
//! untyped node traits.

pub(crate) mod co_group_driver;
pub(crate) mod cross_driver;
pub(crate) mod erased;
pub(crate) mod hash_reduce;
pub(crate) mod join_driver;
pub(crate) mod key_groups;
pub(crate) mod map_partition;
pub(crate) mod record_functions;
pub(crate) mod sinks;
pub(crate) mod sorted_group_reduce;
pub(crate) mod sources;
