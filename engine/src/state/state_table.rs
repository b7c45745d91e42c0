//! [`StateTable`]: the entries of one keyed state, split by key group, and their snapshot
//! section format.
//!
//! ```text
//!   StateTable<K, N, Kind>
//!   groups[g - range.start] : foldhash map  K ──▶ KeyEntry
//!                                                 └ NamespaceMap  N ──▶ Slot { entry: Kind::Entry, bytes }
//! ```
//!
//! One map per key group makes snapshotting a group a walk over exactly its keys, and a restore
//! at another parallelism a matter of handing out whole groups. An access is one hash lookup of
//! the key in its group's map and a (usually linear, tiny) search of the key's namespaces.
//!
//! The backend keeps tables as `Box<dyn KeyedTable<K>>` (the type-erased operations:
//! snapshot, restore, TTL cleanup) and gets the typed table back with [`downcast_table`].
//!
//! Section `"state:<name>"` of one key group:
//!
//! ```text
//!   u8 SECTION_FORMAT_VERSION
//!   varint len, fingerprint (UTF-8)        "value key=i64 namespace=…VoidNamespace value=i64 ttl=false"
//!   repeated: u8 1, key (K), namespace (N), entry (see state_kind)
//!   u8 0                                   end of entries
//! ```
//!
//! The fingerprint names the kind and the Rust types of key, namespace and values and whether
//! the state has a TTL; restoring into a state registered with another fingerprint fails with
//! [`WeirError::IncompatibleState`].

use std::any::Any;
use std::mem::size_of;

use foldhash::{HashMap, HashMapExt};
use weir_memory::{PagedInputView, SegmentSource};

use crate::error::WeirError;
use crate::state::heap_budget::HeapBudget;
use crate::state::key_group::key_group_of;
use crate::state::managed::spill_store::SpilledFate;
use crate::state::namespace_map::NamespaceMap;
use crate::state::state_access::StateAccess;
use crate::state::state_bytes::{read_with, write_with};
use crate::state::state_kind::{MergingKind, StateKind, variable_heap_bytes};
use crate::state::state_ttl_config::StateTtlConfig;
use crate::state::{StateKey, StateNamespace};
use crate::types::{DefaultSerializer, TypeSerializer};

/// Version byte in front of every state section.
pub const SECTION_FORMAT_VERSION: u8 = 1;

const ENTRY_MARKER: u8 = 1;
const END_MARKER: u8 = 0;

/// The byte that ends a section's entries.
pub const SECTION_END_MARKER: u8 = END_MARKER;

/// What one (key, namespace) holds, with its counted heap bytes.
#[derive(Debug)]
pub struct Slot<E> {
    pub entry: E,
    /// Inline size of the namespace map entry plus the namespace's variable bytes.
    pub base_bytes: u64,
    /// [`StateKind::payload_heap_bytes`] of `entry` when last measured.
    pub payload_bytes: u64,
}

/// The namespaces of one key, with the key's counted heap bytes.
#[derive(Debug)]
pub struct KeyEntry<N, E> {
    pub namespaces: NamespaceMap<N, Slot<E>>,
    pub key_bytes: u64,
}

/// The entries of one keyed state. See the module docs.
#[derive(Debug)]
pub struct StateTable<K: StateKey, N: StateNamespace, S: StateKind> {
    pub name: String,
    pub fingerprint: String,
    pub kind: S,
    pub ttl: Option<StateTtlConfig>,
    /// One map per key group of the backend's range.
    pub groups: Vec<HashMap<K, KeyEntry<N, S::Entry>>>,
    key_serializer: K::Serializer,
    namespace_serializer: N::Serializer,
}

/// The fingerprint of a state: kind, types and TTL.
pub fn fingerprint<K, N, S: StateKind>(kind: &S, ttl: Option<&StateTtlConfig>) -> String {
    format!(
        "{} key={} namespace={} ttl={}",
        kind.type_description(),
        std::any::type_name::<K>(),
        std::any::type_name::<N>(),
        ttl.is_some()
    )
}

impl<K: StateKey, N: StateNamespace, S: StateKind> StateTable<K, N, S> {
    pub fn new(
        name: &str,
        kind: S,
        ttl: Option<StateTtlConfig>,
        group_count: usize,
    ) -> StateTable<K, N, S> {
        StateTable {
            name: name.to_owned(),
            fingerprint: fingerprint::<K, N, S>(&kind, ttl.as_ref()),
            kind,
            ttl,
            groups: (0..group_count).map(|_| HashMap::new()).collect(),
            key_serializer: K::serializer(),
            namespace_serializer: N::serializer(),
        }
    }

    #[inline]
    pub fn slot(&self, group: usize, key: &K, namespace: &N) -> Option<&Slot<S::Entry>> {
        self.groups[group].get(key)?.namespaces.get(namespace)
    }

    #[inline]
    pub fn slot_mut(
        &mut self,
        group: usize,
        key: &K,
        namespace: &N,
    ) -> Option<&mut Slot<S::Entry>> {
        self.groups[group]
            .get_mut(key)?
            .namespaces
            .get_mut(namespace)
    }

    /// Stores `entry` for a (key, namespace) that has none, counting its bytes.
    pub fn insert(
        &mut self,
        group: usize,
        key: &K,
        namespace: &N,
        entry: S::Entry,
        budget: &mut HeapBudget,
    ) -> Result<(), WeirError> {
        let payload_bytes = self.kind.payload_heap_bytes(&entry)?;
        self.insert_measured(group, key, namespace, entry, payload_bytes, budget)
    }

    /// [`StateTable::insert`] with the payload bytes already measured.
    pub fn insert_measured(
        &mut self,
        group: usize,
        key: &K,
        namespace: &N,
        entry: S::Entry,
        payload_bytes: u64,
        budget: &mut HeapBudget,
    ) -> Result<(), WeirError> {
        let base_bytes = size_of::<(N, Slot<S::Entry>)>() as u64
            + variable_heap_bytes(&self.namespace_serializer, namespace)?;
        let slot = Slot {
            entry,
            base_bytes,
            payload_bytes,
        };
        let group_map = &mut self.groups[group];
        match group_map.get_mut(key) {
            Some(key_entry) => {
                budget.reserve(&self.name, base_bytes + payload_bytes)?;
                key_entry.namespaces.insert_new(namespace.clone(), slot);
            }
            None => {
                let key_bytes = size_of::<(K, KeyEntry<N, S::Entry>)>() as u64
                    + variable_heap_bytes(&self.key_serializer, key)?;
                budget.reserve(&self.name, key_bytes + base_bytes + payload_bytes)?;
                group_map.insert(
                    key.clone(),
                    KeyEntry {
                        namespaces: NamespaceMap::with_entry(namespace.clone(), slot),
                        key_bytes,
                    },
                );
            }
        }
        Ok(())
    }

    /// Removes the entry of (key, namespace) and its bytes; the key goes when it has no
    /// namespace left.
    pub fn remove(
        &mut self,
        group: usize,
        key: &K,
        namespace: &N,
        budget: &mut HeapBudget,
    ) -> Option<S::Entry> {
        let group_map = &mut self.groups[group];
        let key_entry = group_map.get_mut(key)?;
        let slot = key_entry.namespaces.remove(namespace)?;
        budget.release(slot.base_bytes + slot.payload_bytes);
        if key_entry.namespaces.is_empty() {
            budget.release(key_entry.key_bytes);
            group_map.remove(key);
        }
        Some(slot.entry)
    }

    /// Re-measures the entry of (key, namespace) after it changed in place.
    pub fn remeasure(
        &mut self,
        group: usize,
        key: &K,
        namespace: &N,
        budget: &mut HeapBudget,
    ) -> Result<(), WeirError> {
        let Some(slot) = self.groups[group]
            .get_mut(key)
            .and_then(|key_entry| key_entry.namespaces.get_mut(namespace))
        else {
            return Ok(());
        };
        let payload_bytes = self.kind.payload_heap_bytes(&slot.entry)?;
        let old_bytes = slot.payload_bytes;
        slot.payload_bytes = payload_bytes;
        budget.resize(&self.name, old_bytes, payload_bytes)
    }

    /// Keys of the state that hold `namespace`, in all groups.
    pub fn keys_with(&self, namespace: &N) -> Vec<K> {
        self.groups
            .iter()
            .flat_map(|group| group.iter())
            .filter(|(_, key_entry)| key_entry.namespaces.get(namespace).is_some())
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Namespaces `key` holds.
    pub fn namespaces_of(&self, group: usize, key: &K) -> Vec<N> {
        self.groups[group]
            .get(key)
            .map(|key_entry| {
                key_entry
                    .namespaces
                    .iter()
                    .map(|(namespace, _)| namespace.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Appends the serialized `key` and `namespace` to `out` (a lookup key of the spill
    /// store; the same bytes a snapshot section holds in front of an entry).
    pub fn append_key_and_namespace(
        &self,
        key: &K,
        namespace: &N,
        out: &mut Vec<u8>,
    ) -> Result<(), WeirError> {
        write_with(out, |view| {
            self.key_serializer.serialize(key, view)?;
            self.namespace_serializer.serialize(namespace, view)
        })
    }

    /// Reads key and namespace back from what [`StateTable::append_key_and_namespace`] wrote.
    pub fn decode_key_and_namespace(&self, bytes: &[u8]) -> Result<(K, N), WeirError> {
        read_with(bytes, |view| {
            let key = self.key_serializer.deserialize(view)?;
            let namespace = self.namespace_serializer.deserialize(view)?;
            Ok((key, namespace))
        })
    }

    /// Appends `entry` as the spill store keeps it: every part with its TTL timestamp (none
    /// filtered), so decoding gives the same entry back.
    pub fn encode_spilled(&self, entry: &S::Entry, out: &mut Vec<u8>) -> Result<(), WeirError> {
        let ttl = self.ttl.as_ref().map(|ttl| (ttl, i64::MIN));
        write_with(out, |view| self.kind.write_entry(entry, ttl, view))
    }

    /// Reads an entry written by [`StateTable::encode_spilled`].
    pub fn decode_spilled(&self, value: &[u8]) -> Result<S::Entry, WeirError> {
        read_with(value, |view| self.kind.read_entry(self.ttl.is_some(), view))
    }

    fn decode_error(&self, operator: &str, key_group: u32, problem: String) -> WeirError {
        WeirError::CorruptSnapshot {
            what: format!(
                "keyed state {} of operator {operator}, key group {key_group}",
                self.name
            ),
            problem,
        }
    }

    fn read_entries<R: SegmentSource>(
        &mut self,
        context: &RestoreContext<'_>,
        group: usize,
        key_group: u32,
        input: &mut PagedInputView<R>,
        budget: &mut HeapBudget,
    ) -> Result<(), WeirError> {
        let comparator = K::comparator();
        let with_ttl = self.ttl.is_some();
        loop {
            let marker = u8::serializer().deserialize(input)?;
            match marker {
                END_MARKER => break,
                ENTRY_MARKER => {}
                other => {
                    return Err(self.decode_error(
                        context.operator,
                        key_group,
                        format!("entry marker {other}, expected 0 or 1"),
                    ));
                }
            }
            let key = self.key_serializer.deserialize(input)?;
            let namespace = self.namespace_serializer.deserialize(input)?;
            let entry = self.kind.read_entry(with_ttl, input)?;
            let found_group = key_group_of(&comparator, &key, context.max_parallelism);
            if found_group != key_group {
                return Err(self.decode_error(
                    context.operator,
                    key_group,
                    format!(
                        "it holds a key of key group {found_group} (with pipeline.max-parallelism \
                         {})",
                        context.max_parallelism
                    ),
                ));
            }
            if self.slot(group, &key, &namespace).is_some() {
                return Err(self.decode_error(
                    context.operator,
                    key_group,
                    "a (key, namespace) appears twice".to_owned(),
                ));
            }
            self.insert(group, &key, &namespace, entry, budget)?;
        }
        if !input.at_end()? {
            return Err(self.decode_error(
                context.operator,
                key_group,
                "bytes after the end marker".to_owned(),
            ));
        }
        Ok(())
    }
}

impl<K: StateKey, N: StateNamespace, S: MergingKind> StateTable<K, N, S> {
    /// Merges the entries of `sources` into the entry of `target` for the current key (Flink's
    /// order: the sources' entries in order, then that into the target's), removing the
    /// sources. Expired entries take no part. Nothing changes when no source has an entry.
    pub fn merge_namespaces(
        &mut self,
        access: StateAccess<'_, K>,
        target: &N,
        sources: &[N],
    ) -> Result<(), WeirError> {
        let ttl = self.ttl;
        let now_ms = if ttl.is_some() { access.now_ms() } else { 0 };
        let (group, key) = (access.group, access.key);
        let mut merged: Option<S::Entry> = None;
        let mut any_source = false;
        for source in sources {
            if source == target {
                continue;
            }
            let Some(entry) = self.remove(group, key, source, access.budget) else {
                continue;
            };
            any_source = true;
            if let Some(entry) = live_part(&self.kind, ttl.as_ref(), entry, now_ms) {
                merged = Some(match merged {
                    None => entry,
                    Some(so_far) => self.kind.merge_entries(so_far, entry, now_ms),
                });
            }
        }
        if !any_source {
            return Ok(());
        }
        if let Some(entry) = self.remove(group, key, target, access.budget)
            && let Some(entry) = live_part(&self.kind, ttl.as_ref(), entry, now_ms)
        {
            merged = Some(match merged {
                None => entry,
                Some(sources_merged) => self.kind.merge_entries(entry, sources_merged, now_ms),
            });
        }
        match merged {
            Some(entry) => self.insert(group, key, target, entry, access.budget),
            None => Ok(()),
        }
    }
}

/// `entry` without its expired parts, `None` when nothing is left.
fn live_part<S: StateKind>(
    kind: &S,
    ttl: Option<&StateTtlConfig>,
    mut entry: S::Entry,
    now_ms: i64,
) -> Option<S::Entry> {
    match ttl {
        Some(ttl) if kind.remove_expired(&mut entry, ttl, now_ms) => None,
        _ => Some(entry),
    }
}

/// Takes an evicted entry: (lookup key, spilled value).
pub type EvictionSink<'a> = dyn FnMut(&[u8], &[u8]) -> Result<(), WeirError> + 'a;

/// What restoring a section needs to know about the backend.
#[derive(Debug, Clone, Copy)]
pub struct RestoreContext<'a> {
    pub operator: &'a str,
    pub max_parallelism: u32,
}

/// The type-erased operations of a [`StateTable`], for the backend's list of states.
pub trait KeyedTable<K>: Any + Send {
    fn name(&self) -> &str;

    fn fingerprint(&self) -> &str;

    /// Writes the start of a section (format version, fingerprint) to `out`.
    fn write_section_start(&self, out: &mut Vec<u8>) -> Result<(), WeirError>;

    /// Writes the live entries (at `now_ms`) of group index `group` to `out`; returns how
    /// many.
    fn write_group_entries(
        &self,
        group: usize,
        now_ms: i64,
        out: &mut Vec<u8>,
    ) -> Result<u64, WeirError>;

    /// Writes a spilled entry (key ‖ namespace bytes and the entry as
    /// [`StateTable::encode_spilled`] wrote it) to `out` as a section entry when it is live at
    /// `now_ms`; true when written.
    fn write_spilled_entry(
        &self,
        key_and_namespace: &[u8],
        value: &[u8],
        now_ms: i64,
        out: &mut Vec<u8>,
    ) -> Result<bool, WeirError>;

    /// Moves every entry of group index `group` except those of `keep` out of the table: each
    /// goes to `sink` as (lookup key = `lookup_prefix` ‖ key ‖ namespace, spilled value).
    fn evict_group(
        &mut self,
        group: usize,
        lookup_prefix: &[u8],
        keep: Option<&K>,
        budget: &mut HeapBudget,
        sink: &mut EvictionSink<'_>,
    ) -> Result<(), WeirError>;

    /// What TTL cleanup does with a spilled entry at `now_ms`.
    fn filter_spilled(&self, value: &[u8], now_ms: i64) -> Result<SpilledFate, WeirError>;

    /// Adds the entries of a section for key group `key_group` (index `group`).
    fn restore_group(
        &mut self,
        context: &RestoreContext<'_>,
        group: usize,
        key_group: u32,
        bytes: &[u8],
        budget: &mut HeapBudget,
    ) -> Result<(), WeirError>;

    /// Removes every entry (or part of one) that expired at `now_ms`.
    fn remove_expired(&mut self, now_ms: i64, budget: &mut HeapBudget) -> Result<(), WeirError>;

    fn has_ttl(&self) -> bool;

    /// Number of (key, namespace) entries.
    fn entry_count(&self) -> usize;
}

impl<K: StateKey, N: StateNamespace, S: StateKind> KeyedTable<K> for StateTable<K, N, S> {
    fn name(&self) -> &str {
        &self.name
    }

    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn write_section_start(&self, out: &mut Vec<u8>) -> Result<(), WeirError> {
        write_with(out, |view| {
            view.write_u8(SECTION_FORMAT_VERSION)?;
            String::serializer().serialize(&self.fingerprint, view)
        })
    }

    fn write_group_entries(
        &self,
        group: usize,
        now_ms: i64,
        out: &mut Vec<u8>,
    ) -> Result<u64, WeirError> {
        let ttl = self.ttl.as_ref().map(|ttl| (ttl, now_ms));
        let live = |slot: &Slot<S::Entry>| match ttl {
            Some((ttl, now_ms)) => self.kind.has_live_part(&slot.entry, ttl, now_ms),
            None => true,
        };
        write_with(out, |view| {
            let mut written = 0;
            for (key, key_entry) in &self.groups[group] {
                for (namespace, slot) in key_entry.namespaces.iter() {
                    if !live(slot) {
                        continue;
                    }
                    view.write_u8(ENTRY_MARKER)?;
                    self.key_serializer.serialize(key, view)?;
                    self.namespace_serializer.serialize(namespace, view)?;
                    self.kind.write_entry(&slot.entry, ttl, view)?;
                    written += 1;
                }
            }
            Ok(written)
        })
    }

    fn write_spilled_entry(
        &self,
        key_and_namespace: &[u8],
        value: &[u8],
        now_ms: i64,
        out: &mut Vec<u8>,
    ) -> Result<bool, WeirError> {
        let Some(ttl) = self.ttl else {
            // Without TTL a spilled entry is written exactly as a section holds it.
            out.push(ENTRY_MARKER);
            out.extend_from_slice(key_and_namespace);
            out.extend_from_slice(value);
            return Ok(true);
        };
        let entry = self.decode_spilled(value)?;
        if !self.kind.has_live_part(&entry, &ttl, now_ms) {
            return Ok(false);
        }
        out.push(ENTRY_MARKER);
        out.extend_from_slice(key_and_namespace);
        write_with(out, |view| {
            self.kind.write_entry(&entry, Some((&ttl, now_ms)), view)
        })?;
        Ok(true)
    }

    fn evict_group(
        &mut self,
        group: usize,
        lookup_prefix: &[u8],
        keep: Option<&K>,
        budget: &mut HeapBudget,
        sink: &mut EvictionSink<'_>,
    ) -> Result<(), WeirError> {
        if self.groups[group].is_empty() {
            return Ok(());
        }
        let map = std::mem::take(&mut self.groups[group]);
        let mut lookup_key = Vec::new();
        let mut value = Vec::new();
        for (key, key_entry) in map {
            if keep == Some(&key) {
                self.groups[group].insert(key, key_entry);
                continue;
            }
            for (namespace, slot) in key_entry.namespaces.iter() {
                lookup_key.clear();
                lookup_key.extend_from_slice(lookup_prefix);
                self.append_key_and_namespace(&key, namespace, &mut lookup_key)?;
                value.clear();
                self.encode_spilled(&slot.entry, &mut value)?;
                sink(&lookup_key, &value)?;
                budget.release(slot.base_bytes + slot.payload_bytes);
            }
            budget.release(key_entry.key_bytes);
        }
        Ok(())
    }

    fn filter_spilled(&self, value: &[u8], now_ms: i64) -> Result<SpilledFate, WeirError> {
        let Some(ttl) = self.ttl else {
            return Ok(SpilledFate::Keep);
        };
        let mut entry = self.decode_spilled(value)?;
        if !self.kind.has_live_part(&entry, &ttl, now_ms)
            || self.kind.remove_expired(&mut entry, &ttl, now_ms)
        {
            return Ok(SpilledFate::Drop);
        }
        let mut replaced = Vec::new();
        self.encode_spilled(&entry, &mut replaced)?;
        if replaced == value {
            Ok(SpilledFate::Keep)
        } else {
            Ok(SpilledFate::Replace(replaced))
        }
    }

    fn restore_group(
        &mut self,
        context: &RestoreContext<'_>,
        group: usize,
        key_group: u32,
        bytes: &[u8],
        budget: &mut HeapBudget,
    ) -> Result<(), WeirError> {
        let result = read_with(bytes, |input| {
            let version = u8::serializer().deserialize(input)?;
            if version != SECTION_FORMAT_VERSION {
                return Err(self.decode_error(
                    context.operator,
                    key_group,
                    format!(
                        "section format version {version}, this build reads version \
                         {SECTION_FORMAT_VERSION}"
                    ),
                ));
            }
            let found = String::serializer().deserialize(input)?;
            if found != self.fingerprint {
                return Err(WeirError::IncompatibleState {
                    operator: context.operator.to_owned(),
                    problem: format!(
                        "state {} is registered as [{}] but the snapshot holds [{found}]",
                        self.name, self.fingerprint
                    ),
                });
            }
            self.read_entries(context, group, key_group, input, budget)
        });
        result.map_err(|error| match error {
            WeirError::Deserialize { .. } | WeirError::Memory(_) => {
                self.decode_error(context.operator, key_group, error.to_string())
            }
            other => other,
        })
    }

    fn remove_expired(&mut self, now_ms: i64, budget: &mut HeapBudget) -> Result<(), WeirError> {
        let Some(ttl) = self.ttl else {
            return Ok(());
        };
        let kind = &self.kind;
        let mut result = Ok(());
        for group_map in &mut self.groups {
            group_map.retain(|_, key_entry| {
                key_entry.namespaces.retain(|_, slot| {
                    if !kind.has_live_part(&slot.entry, &ttl, now_ms) {
                        budget.release(slot.base_bytes + slot.payload_bytes);
                        return false;
                    }
                    if kind.remove_expired(&mut slot.entry, &ttl, now_ms) {
                        budget.release(slot.base_bytes + slot.payload_bytes);
                        return false;
                    }
                    match kind.payload_heap_bytes(&slot.entry) {
                        Ok(payload_bytes) => {
                            budget.release(slot.payload_bytes.saturating_sub(payload_bytes));
                            slot.payload_bytes = payload_bytes.min(slot.payload_bytes);
                        }
                        Err(error) => result = Err(error),
                    }
                    true
                });
                if key_entry.namespaces.is_empty() {
                    budget.release(key_entry.key_bytes);
                    return false;
                }
                true
            });
        }
        result
    }

    fn has_ttl(&self) -> bool {
        self.ttl.is_some()
    }

    fn entry_count(&self) -> usize {
        self.groups
            .iter()
            .flat_map(|group| group.values())
            .map(|key_entry| key_entry.namespaces.len())
            .sum()
    }
}

/// The typed table behind a boxed one.
///
/// Panics when the table has other types: a handle was used with a backend that did not
/// return it (a broken invariant of the operator, not bad input).
#[inline]
pub fn downcast_table<K: StateKey, N: StateNamespace, S: StateKind>(
    table: &mut dyn KeyedTable<K>,
) -> &mut StateTable<K, N, S> {
    let table: &mut dyn Any = table;
    table
        .downcast_mut()
        .expect("a state handle is used only with the backend that registered it")
}

/// [`downcast_table`] for reading.
#[inline]
pub fn downcast_table_ref<K: StateKey, N: StateNamespace, S: StateKind>(
    table: &dyn KeyedTable<K>,
) -> &StateTable<K, N, S> {
    let table: &dyn Any = table;
    table
        .downcast_ref()
        .expect("a state handle is used only with the backend that registered it")
}
