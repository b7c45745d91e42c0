//! Value state (Flink's `ValueState`): one value per (key, namespace).
//!
//! [`ValueStateDescriptor`] names and configures it, [`ValueStateHandle`] is what registration
//! returns, [`ValueKind`] stores each value as a [`TtlValue`]. The single-value read and write
//! here are shared with reducing and aggregating state (same entry shape).

use std::marker::PhantomData;

use crate::api::Data;
use crate::error::WeirError;
use crate::state::state_access::StateAccess;
use crate::state::state_handle::state_handle;
use crate::state::state_kind::{SingleValueKind, StateKind, TtlValue};
use crate::state::state_table::StateTable;
use crate::state::state_ttl_config::StateTtlConfig;
use crate::state::{StateKey, StateNamespace};
use crate::types::DefaultSerializer;

/// Describes a value state: its name (unique in the operator) and TTL.
pub struct ValueStateDescriptor<T> {
    name: String,
    ttl: Option<StateTtlConfig>,
    _type: PhantomData<fn() -> T>,
}

impl<T: Data> ValueStateDescriptor<T> {
    pub fn new(name: impl Into<String>) -> ValueStateDescriptor<T> {
        ValueStateDescriptor {
            name: name.into(),
            ttl: None,
            _type: PhantomData,
        }
    }

    /// Entries expire `ttl` after their last write (or read, see [`StateTtlConfig`]).
    pub fn enable_time_to_live(mut self, ttl: StateTtlConfig) -> ValueStateDescriptor<T> {
        self.ttl = Some(ttl);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn ttl_config(&self) -> Option<&StateTtlConfig> {
        self.ttl.as_ref()
    }
}

impl<T> Clone for ValueStateDescriptor<T> {
    fn clone(&self) -> Self {
        ValueStateDescriptor {
            name: self.name.clone(),
            ttl: self.ttl,
            _type: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for ValueStateDescriptor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueStateDescriptor")
            .field("name", &self.name)
            .field("type", &std::any::type_name::<T>())
            .field("ttl", &self.ttl)
            .finish()
    }
}

state_handle! {
    /// A registered value state with namespace type `N` and value type `T`.
    ValueStateHandle<N, T> => ValueKind<T>, where T: Data,
}

/// How value state stores its entries.
pub struct ValueKind<T: Data> {
    serializer: T::Serializer,
}

impl<T: Data> ValueKind<T> {
    pub(crate) fn new() -> ValueKind<T> {
        ValueKind {
            serializer: T::serializer(),
        }
    }
}

impl<T: Data> std::fmt::Debug for ValueKind<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.kind_description())
    }
}

impl<T: Data> SingleValueKind for ValueKind<T> {
    type Value = T;
    type Serializer = <T as DefaultSerializer>::Serializer;

    fn serializer(&self) -> &Self::Serializer {
        &self.serializer
    }

    fn kind_description(&self) -> String {
        format!("value={}", std::any::type_name::<T>())
    }
}

/// Reads and writes of kinds whose entry is one [`TtlValue`] (value, reducing, aggregating).
impl<K, N, S, V> StateTable<K, N, S>
where
    K: StateKey,
    N: StateNamespace,
    S: StateKind<Entry = TtlValue<V>>,
    V: Send + 'static,
{
    /// The value of (current key, `namespace`), if it has one that has not expired.
    ///
    /// With TTL: a read refreshes the timestamp ([`crate::state::UpdateType::OnReadAndWrite`]);
    /// an expired value is removed, and returned this once when the visibility allows it.
    #[inline]
    pub fn read_single<'a>(
        &'a mut self,
        access: StateAccess<'a, K>,
        namespace: &N,
    ) -> Option<&'a V> {
        let Some(ttl) = self.ttl else {
            return self
                .slot(access.group, access.key, namespace)
                .map(|slot| &slot.entry.value);
        };
        let now_ms = access.now_ms();
        let expired = {
            let slot = self.slot_mut(access.group, access.key, namespace)?;
            let expired = ttl.is_expired(slot.entry.timestamp_ms, now_ms);
            if !expired && ttl.updates_on_read() {
                slot.entry.timestamp_ms = now_ms;
            }
            expired
        };
        if !expired {
            return self
                .slot(access.group, access.key, namespace)
                .map(|slot| &slot.entry.value);
        }
        let entry = self.remove(access.group, access.key, namespace, access.budget)?;
        if ttl.returns_expired() {
            Some(access.hold_expired(entry.value))
        } else {
            None
        }
    }

    /// Sets the value of (current key, `namespace`) (a write: refreshes the TTL timestamp).
    pub fn write_single(
        &mut self,
        access: StateAccess<'_, K>,
        namespace: &N,
        value: V,
    ) -> Result<(), WeirError> {
        let now_ms = if self.ttl.is_some() {
            access.now_ms()
        } else {
            0
        };
        let entry = TtlValue::new(value, now_ms);
        let payload_bytes = self.kind.payload_heap_bytes(&entry)?;
        let slot = self.groups[access.group]
            .get_mut(access.key)
            .and_then(|key_entry| key_entry.namespaces.get_mut(namespace));
        match slot {
            Some(slot) => {
                access
                    .budget
                    .resize(&self.name, slot.payload_bytes, payload_bytes)?;
                slot.entry = entry;
                slot.payload_bytes = payload_bytes;
                Ok(())
            }
            None => self.insert_measured(
                access.group,
                access.key,
                namespace,
                entry,
                payload_bytes,
                access.budget,
            ),
        }
    }
}
