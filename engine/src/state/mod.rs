//! Keyed and operator state (DESIGN §8).
//!
//! Keyed state is partitioned into key groups ([`key_group`]): a key's group is a stable hash of
//! the key modulo `pipeline.max-parallelism`, and each subtask of a keyed operator owns a
//! contiguous range of groups. State is snapshotted per key group, so a job's state can be
//! restored at another parallelism by handing out the groups again.
//!
//! ```text
//!   KeyedStateBackend<K>  (hashmap backend: typed objects on the heap, counted against a budget;
//!                          managed backend: the same tables as a bounded working set that
//!                          evicts into a spill store on disk, see [`managed`])
//!   ├─ value / list / map / reducing / aggregating states, registered by descriptor
//!   │    └─ per key group: K ──▶ namespace N ──▶ entry       (VoidNamespace outside windows)
//!   ├─ TTL (StateTtlConfig), heap budget (HeapBudget)
//!   └─ snapshot_into / restore_from  ──▶  OperatorSnapshot.keyed[group]["state:<name>"]
//!
//!   OperatorStateStore  (operator list state: split or union on restore)
//!   └─ snapshot_into / restore_from  ──▶  OperatorSnapshot.operator[name]
//! ```
//!
//! [`state_bytes`] turns any serializer's values into byte vectors and back (snapshots, and
//! anyone else who needs it).

use std::hash::Hash;

use crate::api::{Data, Key};

pub mod aggregate_function;
pub mod aggregating_state;
pub mod broadcast_state;
pub mod heap_budget;
pub mod key_group;
pub mod keyed_snapshot_writer;
pub mod keyed_state_backend;
pub mod list_state;
pub mod managed;
pub mod map_state;
pub mod namespace_map;
pub mod operator_state_store;
pub mod reducing_state;
pub mod state_access;
pub mod state_bytes;
pub mod state_handle;
pub mod state_kind;
pub mod state_table;
pub mod state_ttl_config;
pub mod value_state;
pub mod void_namespace;

pub use aggregate_function::AggregateFunction;
pub use aggregating_state::{AggregatingStateDescriptor, AggregatingStateHandle};
pub use broadcast_state::{BroadcastState, BroadcastStates};
pub use heap_budget::HeapBudget;
pub use key_group::KeyGroupRange;
pub use keyed_state_backend::KeyedStateBackend;
pub use list_state::{ListStateDescriptor, ListStateHandle};
pub use map_state::{MapStateDescriptor, MapStateHandle};
pub use operator_state_store::{OperatorListStateHandle, OperatorStateStore};
pub use reducing_state::{ReduceFn, ReducingStateDescriptor, ReducingStateHandle};
pub use state_handle::{MergingStateHandle, StateHandle};
pub use state_ttl_config::{StateTtlConfig, StateVisibility, UpdateType};
pub use value_state::{ValueStateDescriptor, ValueStateHandle};
pub use void_namespace::{VoidNamespace, VoidNamespaceSerializer};

/// A key of keyed streams and keyed state: a [`Key`] (serialized, compared, hashed into key
/// groups with xxh3) that can also be hashed in process (heap hash maps) and compared for
/// equality.
pub trait StateKey: Key + Hash + Eq {}

impl<T: Key + Hash + Eq> StateKey for T {}

/// A namespace of keyed state (a window, or [`VoidNamespace`]).
pub trait StateNamespace: Data + Hash + Eq {}

impl<T: Data + Hash + Eq> StateNamespace for T {}
