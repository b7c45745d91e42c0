//! Reducing state (Flink's `ReducingState`): one value per (key, namespace), combined with
//! each added value by a reduce function.
//!
//! ```text
//!   add(v):  none ──▶ v          some(acc) ──▶ reduce(&acc, &v)
//! ```
//!
//! Namespaces merge by reducing their values (session windows).

use std::marker::PhantomData;
use std::sync::Arc;

use crate::api::Data;
use crate::error::WeirError;
use crate::state::state_access::StateAccess;
use crate::state::state_handle::{MergingStateHandle, state_handle};
use crate::state::state_kind::{MergingKind, SingleValueKind, StateKind, TtlValue};
use crate::state::state_table::StateTable;
use crate::state::state_ttl_config::StateTtlConfig;
use crate::state::{StateKey, StateNamespace};
use crate::types::DefaultSerializer;

/// A reduce function: combines two values into one.
pub type ReduceFn<T> = Arc<dyn Fn(&T, &T) -> T + Send + Sync>;

/// Describes a reducing state: its name, reduce function and TTL.
pub struct ReducingStateDescriptor<T> {
    name: String,
    reduce: ReduceFn<T>,
    ttl: Option<StateTtlConfig>,
    _type: PhantomData<fn() -> T>,
}

impl<T: Data> ReducingStateDescriptor<T> {
    pub fn new(
        name: impl Into<String>,
        reduce: impl Fn(&T, &T) -> T + Send + Sync + 'static,
    ) -> ReducingStateDescriptor<T> {
        ReducingStateDescriptor::from_arc(name, Arc::new(reduce))
    }

    /// A descriptor with a shared reduce function.
    pub fn from_arc(name: impl Into<String>, reduce: ReduceFn<T>) -> ReducingStateDescriptor<T> {
        ReducingStateDescriptor {
            name: name.into(),
            reduce,
            ttl: None,
            _type: PhantomData,
        }
    }

    /// Entries expire `ttl` after their last write (or read, see [`StateTtlConfig`]).
    pub fn enable_time_to_live(mut self, ttl: StateTtlConfig) -> ReducingStateDescriptor<T> {
        self.ttl = Some(ttl);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn reduce_fn(&self) -> &ReduceFn<T> {
        &self.reduce
    }

    pub fn ttl_config(&self) -> Option<&StateTtlConfig> {
        self.ttl.as_ref()
    }
}

impl<T> Clone for ReducingStateDescriptor<T> {
    fn clone(&self) -> Self {
        ReducingStateDescriptor {
            name: self.name.clone(),
            reduce: Arc::clone(&self.reduce),
            ttl: self.ttl,
            _type: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for ReducingStateDescriptor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReducingStateDescriptor")
            .field("name", &self.name)
            .field("type", &std::any::type_name::<T>())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

state_handle! {
    /// A registered reducing state with namespace type `N` and value type `T`.
    ReducingStateHandle<N, T> => ReducingKind<T>, where T: Data,
}

impl<N: StateNamespace, T: Data> MergingStateHandle for ReducingStateHandle<N, T> {}

/// How reducing state stores its entries.
pub struct ReducingKind<T: Data> {
    serializer: T::Serializer,
    reduce: ReduceFn<T>,
}

impl<T: Data> ReducingKind<T> {
    pub(crate) fn new(reduce: ReduceFn<T>) -> ReducingKind<T> {
        ReducingKind {
            serializer: T::serializer(),
            reduce,
        }
    }
}

impl<T: Data> std::fmt::Debug for ReducingKind<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.kind_description())
    }
}

impl<T: Data> SingleValueKind for ReducingKind<T> {
    type Value = T;
    type Serializer = <T as DefaultSerializer>::Serializer;

    fn serializer(&self) -> &Self::Serializer {
        &self.serializer
    }

    fn kind_description(&self) -> String {
        format!("reducing={}", std::any::type_name::<T>())
    }
}

impl<T: Data> MergingKind for ReducingKind<T> {
    fn merge_entries(&self, into: TtlValue<T>, from: TtlValue<T>, now_ms: i64) -> TtlValue<T> {
        TtlValue::new((self.reduce)(&into.value, &from.value), now_ms)
    }
}

impl<K: StateKey, N: StateNamespace, T: Data> StateTable<K, N, ReducingKind<T>> {
    /// Reduces `value` into the value of (current key, `namespace`).
    #[inline]
    pub fn reducing_add(
        &mut self,
        access: StateAccess<'_, K>,
        namespace: &N,
        value: T,
    ) -> Result<(), WeirError> {
        let now_ms = if self.ttl.is_some() {
            access.now_ms()
        } else {
            0
        };
        let ttl = self.ttl;
        let slot = self.groups[access.group]
            .get_mut(access.key)
            .and_then(|key_entry| key_entry.namespaces.get_mut(namespace));
        let Some(slot) = slot else {
            return self.insert(
                access.group,
                access.key,
                namespace,
                TtlValue::new(value, now_ms),
                access.budget,
            );
        };
        let reduced = if slot.entry.is_expired(ttl.as_ref(), now_ms) {
            value
        } else {
            (self.kind.reduce)(&slot.entry.value, &value)
        };
        let entry = TtlValue::new(reduced, now_ms);
        let payload_bytes = self.kind.payload_heap_bytes(&entry)?;
        access
            .budget
            .resize(&self.name, slot.payload_bytes, payload_bytes)?;
        slot.entry = entry;
        slot.payload_bytes = payload_bytes;
        Ok(())
    }
}
