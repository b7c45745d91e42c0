//! List state (Flink's `ListState`): a list of values per (key, namespace).
//!
//! With TTL every value carries its own timestamp (Flink's TTL list state): values expire one
//! by one, and a read drops the expired ones (returning them this once when the visibility
//! allows). An empty list is no entry: updating to an empty list clears the state.
//! Namespaces merge by concatenating their lists (session windows).

use std::marker::PhantomData;
use std::mem::size_of;

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::api::Data;
use crate::error::WeirError;
use crate::state::state_access::StateAccess;
use crate::state::state_handle::{MergingStateHandle, state_handle};
use crate::state::state_kind::{
    MAX_RESTORED_ELEMENTS, MergingKind, StateKind, bounded_capacity, read_length, read_timestamp,
    variable_heap_bytes, write_length, write_timestamp,
};
use crate::state::state_table::StateTable;
use crate::state::state_ttl_config::StateTtlConfig;
use crate::state::{StateKey, StateNamespace};
use crate::types::TypeSerializer;

/// Describes a list state: its name and TTL.
pub struct ListStateDescriptor<T> {
    name: String,
    ttl: Option<StateTtlConfig>,
    _type: PhantomData<fn() -> T>,
}

impl<T: Data> ListStateDescriptor<T> {
    pub fn new(name: impl Into<String>) -> ListStateDescriptor<T> {
        ListStateDescriptor {
            name: name.into(),
            ttl: None,
            _type: PhantomData,
        }
    }

    /// Values expire `ttl` after they were added (or read, see [`StateTtlConfig`]).
    pub fn enable_time_to_live(mut self, ttl: StateTtlConfig) -> ListStateDescriptor<T> {
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

impl<T> Clone for ListStateDescriptor<T> {
    fn clone(&self) -> Self {
        ListStateDescriptor {
            name: self.name.clone(),
            ttl: self.ttl,
            _type: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for ListStateDescriptor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListStateDescriptor")
            .field("name", &self.name)
            .field("type", &std::any::type_name::<T>())
            .field("ttl", &self.ttl)
            .finish()
    }
}

state_handle! {
    /// A registered list state with namespace type `N` and element type `T`.
    ListStateHandle<N, T> => ListKind<T>, where T: Data,
}

impl<N: StateNamespace, T: Data> MergingStateHandle for ListStateHandle<N, T> {}

/// The values of one list, with one timestamp per value when the state has TTL (else no
/// timestamps).
#[derive(Debug, Clone, PartialEq)]
pub struct ListEntry<T> {
    pub values: Vec<T>,
    pub timestamps_ms: Vec<i64>,
}

impl<T> ListEntry<T> {
    fn is_expired(&self, index: usize, ttl: &StateTtlConfig, now_ms: i64) -> bool {
        ttl.is_expired(self.timestamps_ms[index], now_ms)
    }
}

/// How list state stores its entries.
pub struct ListKind<T: Data> {
    serializer: T::Serializer,
}

impl<T: Data> ListKind<T> {
    pub(crate) fn new() -> ListKind<T> {
        ListKind {
            serializer: T::serializer(),
        }
    }

    /// Heap bytes of one value (and its timestamp, if any).
    fn value_heap_bytes(&self, value: &T, with_ttl: bool) -> Result<u64, WeirError> {
        let timestamp_bytes = if with_ttl { size_of::<i64>() } else { 0 };
        Ok((size_of::<T>() + timestamp_bytes) as u64
            + variable_heap_bytes(&self.serializer, value)?)
    }
}

impl<T: Data> std::fmt::Debug for ListKind<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.type_description())
    }
}

impl<T: Data> StateKind for ListKind<T> {
    type Entry = ListEntry<T>;

    fn type_description(&self) -> String {
        format!("list={}", std::any::type_name::<T>())
    }

    fn payload_heap_bytes(&self, entry: &ListEntry<T>) -> Result<u64, WeirError> {
        let with_ttl = !entry.timestamps_ms.is_empty();
        let mut bytes = 0;
        for value in &entry.values {
            bytes += self.value_heap_bytes(value, with_ttl)?;
        }
        Ok(bytes)
    }

    fn has_live_part(&self, entry: &ListEntry<T>, ttl: &StateTtlConfig, now_ms: i64) -> bool {
        entry
            .timestamps_ms
            .iter()
            .any(|&timestamp_ms| !ttl.is_expired(timestamp_ms, now_ms))
    }

    fn remove_expired(&self, entry: &mut ListEntry<T>, ttl: &StateTtlConfig, now_ms: i64) -> bool {
        let mut index = 0;
        entry.values.retain(|_| {
            let keep = !ttl.is_expired(entry.timestamps_ms[index], now_ms);
            index += 1;
            keep
        });
        entry
            .timestamps_ms
            .retain(|&timestamp_ms| !ttl.is_expired(timestamp_ms, now_ms));
        entry.values.is_empty()
    }

    fn write_entry<W: SegmentTarget>(
        &self,
        entry: &ListEntry<T>,
        ttl: Option<(&StateTtlConfig, i64)>,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        match ttl {
            None => {
                write_length(entry.values.len(), out)?;
                for value in &entry.values {
                    self.serializer.serialize(value, out)?;
                }
            }
            Some((ttl, now_ms)) => {
                let live = (0..entry.values.len()).filter(|&i| !entry.is_expired(i, ttl, now_ms));
                write_length(live.clone().count(), out)?;
                for index in live {
                    write_timestamp(entry.timestamps_ms[index], out)?;
                    self.serializer.serialize(&entry.values[index], out)?;
                }
            }
        }
        Ok(())
    }

    fn read_entry<R: SegmentSource>(
        &self,
        with_ttl: bool,
        input: &mut PagedInputView<R>,
    ) -> Result<ListEntry<T>, WeirError> {
        let len = read_length(MAX_RESTORED_ELEMENTS, input)?;
        let mut entry = ListEntry {
            values: Vec::with_capacity(bounded_capacity(len)),
            timestamps_ms: Vec::with_capacity(if with_ttl { bounded_capacity(len) } else { 0 }),
        };
        for _ in 0..len {
            if with_ttl {
                entry.timestamps_ms.push(read_timestamp(input)?);
            }
            entry.values.push(self.serializer.deserialize(input)?);
        }
        Ok(entry)
    }
}

impl<T: Data> MergingKind for ListKind<T> {
    fn merge_entries(
        &self,
        mut into: ListEntry<T>,
        from: ListEntry<T>,
        _now_ms: i64,
    ) -> ListEntry<T> {
        into.values.extend(from.values);
        into.timestamps_ms.extend(from.timestamps_ms);
        into
    }
}

impl<K: StateKey, N: StateNamespace, T: Data> StateTable<K, N, ListKind<T>> {
    /// The values of (current key, `namespace`); `None` when there are none.
    ///
    /// With TTL: expired values are dropped (returned this once when the visibility allows);
    /// with [`crate::state::UpdateType::OnReadAndWrite`] the live values' timestamps are
    /// refreshed.
    pub fn list_get<'a>(
        &'a mut self,
        access: StateAccess<'a, K>,
        namespace: &N,
    ) -> Option<&'a [T]> {
        let Some(ttl) = self.ttl else {
            return self
                .slot(access.group, access.key, namespace)
                .map(|slot| slot.entry.values.as_slice());
        };
        let now_ms = access.now_ms();
        let expired_count = {
            let slot = self.slot_mut(access.group, access.key, namespace)?;
            let expired_count = slot
                .entry
                .timestamps_ms
                .iter()
                .filter(|&&timestamp_ms| ttl.is_expired(timestamp_ms, now_ms))
                .count();
            if ttl.updates_on_read() {
                for timestamp_ms in &mut slot.entry.timestamps_ms {
                    if !ttl.is_expired(*timestamp_ms, now_ms) {
                        *timestamp_ms = now_ms;
                    }
                }
            }
            expired_count
        };
        if expired_count == 0 {
            return self
                .slot(access.group, access.key, namespace)
                .map(|slot| slot.entry.values.as_slice());
        }
        let mut entry = self.remove(access.group, access.key, namespace, access.budget)?;
        let all_values = ttl.returns_expired().then(|| entry.values.clone());
        let empty = self.kind.remove_expired(&mut entry, &ttl, now_ms);
        if !empty {
            // Live values go back (insert measures them; the budget only shrinks here).
            if let Err(error) =
                self.insert(access.group, access.key, namespace, entry, access.budget)
            {
                debug_assert!(
                    false,
                    "re-inserting fewer values cannot pass the budget: {error}"
                );
            }
        }
        match all_values {
            Some(values) => Some(access.hold_expired(values).as_slice()),
            None if empty => None,
            None => self
                .slot(access.group, access.key, namespace)
                .map(|slot| slot.entry.values.as_slice()),
        }
    }

    /// Appends `value` to the list of (current key, `namespace`).
    pub fn list_add(
        &mut self,
        access: StateAccess<'_, K>,
        namespace: &N,
        value: T,
    ) -> Result<(), WeirError> {
        let with_ttl = self.ttl.is_some();
        let now_ms = if with_ttl { access.now_ms() } else { 0 };
        let value_bytes = self.kind.value_heap_bytes(&value, with_ttl)?;
        let slot = self.groups[access.group]
            .get_mut(access.key)
            .and_then(|key_entry| key_entry.namespaces.get_mut(namespace));
        match slot {
            Some(slot) => {
                access.budget.reserve(&self.name, value_bytes)?;
                slot.entry.values.push(value);
                if with_ttl {
                    slot.entry.timestamps_ms.push(now_ms);
                }
                slot.payload_bytes += value_bytes;
                Ok(())
            }
            None => {
                let entry = ListEntry {
                    values: vec![value],
                    timestamps_ms: if with_ttl { vec![now_ms] } else { Vec::new() },
                };
                self.insert_measured(
                    access.group,
                    access.key,
                    namespace,
                    entry,
                    value_bytes,
                    access.budget,
                )
            }
        }
    }

    /// Replaces the list of (current key, `namespace`) by `values` (empty: clears it).
    pub fn list_update(
        &mut self,
        access: StateAccess<'_, K>,
        namespace: &N,
        values: Vec<T>,
    ) -> Result<(), WeirError> {
        self.remove(access.group, access.key, namespace, access.budget);
        if values.is_empty() {
            return Ok(());
        }
        let timestamps_ms = match self.ttl {
            Some(_) => vec![access.now_ms(); values.len()],
            None => Vec::new(),
        };
        let entry = ListEntry {
            values,
            timestamps_ms,
        };
        self.insert(access.group, access.key, namespace, entry, access.budget)
    }
}
