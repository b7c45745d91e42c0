//! The built-in operators of the streaming runtime, each a [`ChainLink`] of its input type:
//! record functions (map, flat_map, filter), process functions (plain and keyed, with
//! timers), rolling aggregations, and the print and collect sinks. Windows live in
//! `crate::windowing`, sources and file sinks in `crate::connectors::stream`.
//!
//! [`ChainLink`]: crate::runtime::stream::ChainLink

pub(crate) mod collect_sink;
pub(crate) mod counting_sink;
pub(crate) mod print_sink;
pub(crate) mod record_function_link;
