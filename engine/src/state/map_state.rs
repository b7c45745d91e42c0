//! Map state (Flink's `MapState`): a map of user keys to user values per (key, namespace).
//!
//! With TTL every user entry carries its own timestamp (Flink's TTL map state): entries expire
//! one by one; a read of an expired entry removes it (returning it this once when the
//! visibility allows). An empty map is no entry.

use std::marker::PhantomData;
use std::mem::size_of;

use foldhash::{HashMap, HashMapExt};
use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::api::Data;
use crate::error::WeirError;
use crate::state::state_access::StateAccess;
use crate::state::state_handle::state_handle;
use crate::state::state_kind::{
    MAX_RESTORED_ELEMENTS, StateKind, TtlValue, bounded_capacity, read_length, read_ttl_value,
    variable_heap_bytes, write_length, write_ttl_value,
};
use crate::state::state_table::StateTable;
use crate::state::state_ttl_config::StateTtlConfig;
use crate::state::{StateKey, StateNamespace};
use crate::types::TypeSerializer;

/// Describes a map state: its name and TTL.
pub struct MapStateDescriptor<UK, UV> {
    name: String,
    ttl: Option<StateTtlConfig>,
    _types: PhantomData<fn() -> (UK, UV)>,
}

impl<UK: StateKey, UV: Data> MapStateDescriptor<UK, UV> {
    pub fn new(name: impl Into<String>) -> MapStateDescriptor<UK, UV> {
        MapStateDescriptor {
            name: name.into(),
            ttl: None,
            _types: PhantomData,
        }
    }

    /// User entries expire `ttl` after their last write (or read, see [`StateTtlConfig`]).
    pub fn enable_time_to_live(mut self, ttl: StateTtlConfig) -> MapStateDescriptor<UK, UV> {
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

impl<UK, UV> Clone for MapStateDescriptor<UK, UV> {
    fn clone(&self) -> Self {
        MapStateDescriptor {
            name: self.name.clone(),
            ttl: self.ttl,
            _types: PhantomData,
        }
    }
}

impl<UK, UV> std::fmt::Debug for MapStateDescriptor<UK, UV> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapStateDescriptor")
            .field("name", &self.name)
            .field("user_key", &std::any::type_name::<UK>())
            .field("user_value", &std::any::type_name::<UV>())
            .field("ttl", &self.ttl)
            .finish()
    }
}

state_handle! {
    /// A registered map state with namespace type `N`, user keys `UK` and user values `UV`.
    MapStateHandle<N, UK, UV> => MapKind<UK, UV>, where UK: StateKey, UV: Data,
}

/// The user entries of one map.
pub type MapEntry<UK, UV> = HashMap<UK, TtlValue<UV>>;

/// How map state stores its entries.
pub struct MapKind<UK: StateKey, UV: Data> {
    key_serializer: UK::Serializer,
    value_serializer: UV::Serializer,
}

impl<UK: StateKey, UV: Data> MapKind<UK, UV> {
    pub(crate) fn new() -> MapKind<UK, UV> {
        MapKind {
            key_serializer: UK::serializer(),
            value_serializer: UV::serializer(),
        }
    }

    /// Heap bytes of one user entry: its inline size, one control byte of the hash table and
    /// the variable bytes of key and value.
    fn user_entry_heap_bytes(&self, user_key: &UK, user_value: &UV) -> Result<u64, WeirError> {
        Ok((size_of::<(UK, TtlValue<UV>)>() + 1) as u64
            + variable_heap_bytes(&self.key_serializer, user_key)?
            + variable_heap_bytes(&self.value_serializer, user_value)?)
    }
}

impl<UK: StateKey, UV: Data> std::fmt::Debug for MapKind<UK, UV> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.type_description())
    }
}

impl<UK: StateKey, UV: Data> StateKind for MapKind<UK, UV> {
    type Entry = MapEntry<UK, UV>;

    fn type_description(&self) -> String {
        format!(
            "map={},{}",
            std::any::type_name::<UK>(),
            std::any::type_name::<UV>()
        )
    }

    fn payload_heap_bytes(&self, entry: &MapEntry<UK, UV>) -> Result<u64, WeirError> {
        let mut bytes = 0;
        for (user_key, user_value) in entry {
            bytes += self.user_entry_heap_bytes(user_key, &user_value.value)?;
        }
        Ok(bytes)
    }

    fn has_live_part(&self, entry: &MapEntry<UK, UV>, ttl: &StateTtlConfig, now_ms: i64) -> bool {
        entry
            .values()
            .any(|user_value| !ttl.is_expired(user_value.timestamp_ms, now_ms))
    }

    fn remove_expired(
        &self,
        entry: &mut MapEntry<UK, UV>,
        ttl: &StateTtlConfig,
        now_ms: i64,
    ) -> bool {
        entry.retain(|_, user_value| !ttl.is_expired(user_value.timestamp_ms, now_ms));
        entry.is_empty()
    }

    fn write_entry<W: SegmentTarget>(
        &self,
        entry: &MapEntry<UK, UV>,
        ttl: Option<(&StateTtlConfig, i64)>,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        let live = |user_value: &TtlValue<UV>| match ttl {
            Some((ttl, now_ms)) => !ttl.is_expired(user_value.timestamp_ms, now_ms),
            None => true,
        };
        write_length(entry.values().filter(|v| live(v)).count(), out)?;
        for (user_key, user_value) in entry {
            if live(user_value) {
                self.key_serializer.serialize(user_key, out)?;
                write_ttl_value(&self.value_serializer, user_value, ttl.is_some(), out)?;
            }
        }
        Ok(())
    }

    fn read_entry<R: SegmentSource>(
        &self,
        with_ttl: bool,
        input: &mut PagedInputView<R>,
    ) -> Result<MapEntry<UK, UV>, WeirError> {
        let len = read_length(MAX_RESTORED_ELEMENTS, input)?;
        let mut entry = HashMap::with_capacity(bounded_capacity(len));
        for _ in 0..len {
            let user_key = self.key_serializer.deserialize(input)?;
            let user_value = read_ttl_value(&self.value_serializer, with_ttl, input)?;
            entry.insert(user_key, user_value);
        }
        Ok(entry)
    }
}

/// What a read of one user key found.
enum UserEntryStatus {
    Missing,
    Live,
    Expired,
}

impl<K: StateKey, N: StateNamespace, UK: StateKey, UV: Data> StateTable<K, N, MapKind<UK, UV>> {
    /// Looks `user_key` up for a read: refreshes a live entry's timestamp on read when
    /// configured; an expired entry is removed and returned (for the visibility to decide).
    fn read_user_entry(
        &mut self,
        access: &mut StateAccess<'_, K>,
        namespace: &N,
        user_key: &UK,
    ) -> (UserEntryStatus, Option<UV>) {
        let Some(ttl) = self.ttl else {
            let found = self
                .slot(access.group, access.key, namespace)
                .is_some_and(|slot| slot.entry.contains_key(user_key));
            let status = if found {
                UserEntryStatus::Live
            } else {
                UserEntryStatus::Missing
            };
            return (status, None);
        };
        let now_ms = access.now_ms();
        let Some(slot) = self.groups[access.group]
            .get_mut(access.key)
            .and_then(|key_entry| key_entry.namespaces.get_mut(namespace))
        else {
            return (UserEntryStatus::Missing, None);
        };
        let Some(user_value) = slot.entry.get_mut(user_key) else {
            return (UserEntryStatus::Missing, None);
        };
        if !ttl.is_expired(user_value.timestamp_ms, now_ms) {
            if ttl.updates_on_read() {
                user_value.timestamp_ms = now_ms;
            }
            return (UserEntryStatus::Live, None);
        }
        let removed = slot
            .entry
            .remove(user_key)
            .map(|user_value| user_value.value);
        let removed_bytes = match &removed {
            Some(value) => self
                .kind
                .user_entry_heap_bytes(user_key, value)
                .unwrap_or(0),
            None => 0,
        };
        let removed_bytes = removed_bytes.min(slot.payload_bytes);
        slot.payload_bytes -= removed_bytes;
        access.budget.release(removed_bytes);
        if slot.entry.is_empty() {
            self.remove(access.group, access.key, namespace, access.budget);
        }
        (UserEntryStatus::Expired, removed)
    }

    /// The value of `user_key` in the map of (current key, `namespace`).
    pub fn map_get<'a>(
        &'a mut self,
        mut access: StateAccess<'a, K>,
        namespace: &N,
        user_key: &UK,
    ) -> Option<&'a UV> {
        match self.read_user_entry(&mut access, namespace, user_key) {
            (UserEntryStatus::Missing, _) => None,
            (UserEntryStatus::Live, _) => self
                .slot(access.group, access.key, namespace)
                .and_then(|slot| slot.entry.get(user_key))
                .map(|user_value| &user_value.value),
            (UserEntryStatus::Expired, removed) => match (self.ttl, removed) {
                (Some(ttl), Some(value)) if ttl.returns_expired() => {
                    Some(access.hold_expired(value))
                }
                _ => None,
            },
        }
    }

    /// True when the map of (current key, `namespace`) holds `user_key`.
    pub fn map_contains(
        &mut self,
        mut access: StateAccess<'_, K>,
        namespace: &N,
        user_key: &UK,
    ) -> bool {
        match self.read_user_entry(&mut access, namespace, user_key) {
            (UserEntryStatus::Missing, _) => false,
            (UserEntryStatus::Live, _) => true,
            (UserEntryStatus::Expired, _) => self.ttl.is_some_and(|ttl| ttl.returns_expired()),
        }
    }

    /// Puts `user_key` ──▶ `user_value` into the map of (current key, `namespace`).
    pub fn map_put(
        &mut self,
        access: StateAccess<'_, K>,
        namespace: &N,
        user_key: UK,
        user_value: UV,
    ) -> Result<(), WeirError> {
        let now_ms = if self.ttl.is_some() {
            access.now_ms()
        } else {
            0
        };
        let new_bytes = self.kind.user_entry_heap_bytes(&user_key, &user_value)?;
        let slot = self.groups[access.group]
            .get_mut(access.key)
            .and_then(|key_entry| key_entry.namespaces.get_mut(namespace));
        let Some(slot) = slot else {
            let mut entry = HashMap::with_capacity(1);
            entry.insert(user_key, TtlValue::new(user_value, now_ms));
            return self.insert_measured(
                access.group,
                access.key,
                namespace,
                entry,
                new_bytes,
                access.budget,
            );
        };
        let old_bytes = match slot.entry.get(&user_key) {
            Some(old) => self.kind.user_entry_heap_bytes(&user_key, &old.value)?,
            None => 0,
        };
        access.budget.resize(&self.name, old_bytes, new_bytes)?;
        slot.payload_bytes = slot.payload_bytes - old_bytes.min(slot.payload_bytes) + new_bytes;
        slot.entry
            .insert(user_key, TtlValue::new(user_value, now_ms));
        Ok(())
    }

    /// Removes `user_key` from the map of (current key, `namespace`); returns its value.
    pub fn map_remove(
        &mut self,
        access: StateAccess<'_, K>,
        namespace: &N,
        user_key: &UK,
    ) -> Result<Option<UV>, WeirError> {
        let now_ms = if self.ttl.is_some() {
            access.now_ms()
        } else {
            0
        };
        let Some(slot) = self.groups[access.group]
            .get_mut(access.key)
            .and_then(|key_entry| key_entry.namespaces.get_mut(namespace))
        else {
            return Ok(None);
        };
        let Some(removed) = slot.entry.remove(user_key) else {
            return Ok(None);
        };
        let removed_bytes = self
            .kind
            .user_entry_heap_bytes(user_key, &removed.value)?
            .min(slot.payload_bytes);
        slot.payload_bytes -= removed_bytes;
        access.budget.release(removed_bytes);
        if slot.entry.is_empty() {
            self.remove(access.group, access.key, namespace, access.budget);
        }
        let visible = !removed.is_expired(self.ttl.as_ref(), now_ms)
            || self.ttl.is_some_and(|ttl| ttl.returns_expired());
        Ok(visible.then_some(removed.value))
    }

    /// The entries of the map of (current key, `namespace`), in no particular order. With TTL,
    /// expired entries are removed (and included this once when the visibility allows).
    pub fn map_entries(&mut self, access: StateAccess<'_, K>, namespace: &N) -> Vec<(UK, UV)> {
        let Some(ttl) = self.ttl else {
            return self
                .slot(access.group, access.key, namespace)
                .map(|slot| {
                    slot.entry
                        .iter()
                        .map(|(user_key, user_value)| (user_key.clone(), user_value.value.clone()))
                        .collect()
                })
                .unwrap_or_default();
        };
        let now_ms = access.now_ms();
        let Some(slot) = self.groups[access.group]
            .get_mut(access.key)
            .and_then(|key_entry| key_entry.namespaces.get_mut(namespace))
        else {
            return Vec::new();
        };
        let mut entries = Vec::with_capacity(slot.entry.len());
        let mut any_expired = false;
        for (user_key, user_value) in &mut slot.entry {
            let expired = ttl.is_expired(user_value.timestamp_ms, now_ms);
            any_expired |= expired;
            if !expired && ttl.updates_on_read() {
                user_value.timestamp_ms = now_ms;
            }
            if !expired || ttl.returns_expired() {
                entries.push((user_key.clone(), user_value.value.clone()));
            }
        }
        if any_expired {
            let empty = self.kind.remove_expired(&mut slot.entry, &ttl, now_ms);
            if empty {
                self.remove(access.group, access.key, namespace, access.budget);
            } else if let Ok(payload_bytes) = self.kind.payload_heap_bytes(&slot.entry) {
                let freed = slot.payload_bytes.saturating_sub(payload_bytes);
                slot.payload_bytes -= freed;
                access.budget.release(freed);
            }
        }
        entries
    }
}
