//! [`KeyedStateBackend`]: the keyed state of one operator subtask — the heap ("hashmap")
//! backend, or the managed one ([`KeyedStateBackend::new_managed`], see
//! [`crate::state::managed`]): the same tables as a bounded working set; before each access
//! the backend evicts when the working set is over its limit and loads the accessed entry back
//! from the spill store. Reads that cannot return an error (`value`, `list_get`, …) record a
//! spill-store failure for [`KeyedStateBackend::check_failure`] and return nothing; every
//! fallible method returns it.
//!
//! ```text
//!   set_current_key(k) ──▶ key group g = xxh3(k) mod max_parallelism   (must be in the range)
//!
//!   states: [ Box<dyn KeyedTable<K>> ]          one per registered state, indexed by handle
//!             └ StateTable<K, N, Kind>
//!                 groups[g - start]: K ──▶ N ──▶ entry
//!
//!   value_state(&descriptor)   ──▶ ValueStateHandle<N, T>        (Copy: index + types)
//!   update_value(handle, &ns, v)  ──▶ states[handle] (downcast) ──▶ group map ──▶ key ──▶ ns
//! ```
//!
//! Every access works on the current key (set by the operator per record or timer). A handle
//! is a table index; the access downcasts the boxed table to its concrete type (a type-id
//! compare), looks the key up in its group's map and the namespace among the key's namespaces.
//! Nothing is serialized per access; variable-size values are measured (serialized into a
//! counting target) only when an entry is created, replaced or grows, for the
//! [`HeapBudget`].
//!
//! Snapshots: [`KeyedStateBackend::snapshot_into`] writes one section `"state:<name>"` per key
//! group that holds live entries (format in [`crate::state::state_table`]).
//! [`KeyedStateBackend::restore_from`] keeps the sections of its key groups as bytes and
//! decodes a state's sections when the state is registered, checking its fingerprint (kind,
//! key, namespace and value types, TTL): a mismatch is [`WeirError::IncompatibleState`] naming
//! the operator, the state, and both fingerprints. Sections of states that are never
//! registered again are written back unchanged by later snapshots.
//!
//! TTL uses a processing-time clock ([`KeyedStateBackend::set_ttl_clock`], the wall clock by
//! default); see [`crate::state::state_ttl_config`].

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};
use weir_memory::IoManager;

use crate::api::Data;
use crate::checkpoint::{OperatorSnapshot, SectionBytes, SectionWriter};
use crate::error::WeirError;
use crate::runtime::stream::chain_link::OperatorSetup;
use crate::runtime::stream::processing_time::{ProcessingTimeClock, system_clock};
use crate::state::aggregating_state::{
    AggregatingKind, AggregatingStateDescriptor, AggregatingStateHandle,
};
use crate::state::heap_budget::HeapBudget;
use crate::state::key_group::{KeyGroupRange, key_group_of};
use crate::state::keyed_snapshot_writer::KeyedSnapshotWriter;
use crate::state::list_state::{ListKind, ListStateDescriptor, ListStateHandle};
use crate::state::managed::spill_store::{SpillStore, SpillStoreMetrics, SpilledFate};
use crate::state::managed::store_record::{LOOKUP_PREFIX_BYTES, start_lookup_key};
use crate::state::managed::{ManagedStateBudget, ManagedStateSetup};
use crate::state::map_state::{MapKind, MapStateDescriptor, MapStateHandle};
use crate::state::reducing_state::{ReducingKind, ReducingStateDescriptor, ReducingStateHandle};
use crate::state::state_access::StateAccess;
use crate::state::state_bytes::write_with;
use crate::state::state_handle::{MergingStateHandle, StateHandle};
use crate::state::state_kind::StateKind;
use crate::state::state_table::{
    KeyedTable, RestoreContext, StateTable, downcast_table, downcast_table_ref, fingerprint,
};
use crate::state::state_ttl_config::StateTtlConfig;
use crate::state::value_state::{ValueKind, ValueStateDescriptor, ValueStateHandle};
use crate::state::{StateKey, StateNamespace};
use crate::types::TypeSerializer;

/// The typed table of a handle and an access for the current key.
type TableAccess<'a, K, H> = (
    &'a mut StateTable<K, <H as StateHandle>::Namespace, <H as StateHandle>::Kind>,
    StateAccess<'a, K>,
);

/// Prefix of the keyed snapshot sections of states.
pub const STATE_SECTION_PREFIX: &str = "state:";

/// The heap keyed state of one operator subtask. See the module docs.
pub struct KeyedStateBackend<K: StateKey> {
    operator: String,
    max_parallelism: u32,
    key_groups: KeyGroupRange,
    key_comparator: K::Comparator,
    current_key: Option<K>,
    /// Index of the current key's group in `key_groups`.
    current_group: usize,
    states: Vec<Box<dyn KeyedTable<K>>>,
    /// Snapshot section name of each state (`"state:<name>"`).
    section_names: Vec<String>,
    state_indices: HashMap<String, usize>,
    /// Restored sections of states not registered yet: name ──▶ [(key group, bytes)].
    pending_restore: BTreeMap<String, Vec<(u32, SectionBytes)>>,
    budget: HeapBudget,
    ttl_clock: ProcessingTimeClock,
    /// An expired value a read returns once after removing it (TTL visibility).
    returned_expired: Option<Box<dyn Any + Send>>,
    /// The managed backend's spill store and eviction state; `None`: hashmap backend.
    managed: Option<ManagedState>,
    /// Where snapshots spool their sections; `None`: sections in memory.
    snapshot_spool: Option<Arc<IoManager>>,
    /// Set when an access failed (managed backend: a spill file could not be read or
    /// written); see [`KeyedStateBackend::check_failure`].
    failed: Cell<bool>,
    /// The failure of an access that could not return it (not reported yet).
    failure: RefCell<Option<WeirError>>,
}

/// What the managed backend adds to the working set (the tables). See
/// [`crate::state::managed`].
struct ManagedState {
    store: SpillStore,
    working_set_bytes: u64,
    /// Clock hand over (state, key group index) for eviction.
    hand: usize,
    lookup_key: Vec<u8>,
    evictions: u64,
}

impl<K: StateKey> std::fmt::Debug for KeyedStateBackend<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedStateBackend")
            .field("operator", &self.operator)
            .field("max_parallelism", &self.max_parallelism)
            .field("key_groups", &self.key_groups)
            .field("states", &self.section_names)
            .field("pending_restore", &self.pending_restore.keys())
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl<K: StateKey> KeyedStateBackend<K> {
    /// A backend for `operator` (named in errors) owning `key_groups` of `max_parallelism`,
    /// whose state may hold `heap_budget_bytes`.
    pub fn new(
        operator: &str,
        max_parallelism: u32,
        key_groups: KeyGroupRange,
        heap_budget_bytes: u64,
    ) -> KeyedStateBackend<K> {
        assert!(
            key_groups.end <= max_parallelism,
            "key groups {key_groups:?} outside max parallelism {max_parallelism}"
        );
        KeyedStateBackend {
            operator: operator.to_owned(),
            max_parallelism,
            key_groups,
            key_comparator: K::comparator(),
            current_key: None,
            current_group: 0,
            states: Vec::new(),
            section_names: Vec::new(),
            state_indices: HashMap::new(),
            pending_restore: BTreeMap::new(),
            budget: HeapBudget::new(operator, heap_budget_bytes),
            ttl_clock: system_clock(),
            returned_expired: None,
            managed: None,
            snapshot_spool: None,
            failed: Cell::new(false),
            failure: RefCell::new(None),
        }
    }

    /// A managed backend (`state.backend.type: managed`): its working set and spill store
    /// split `managed.share_bytes` (see [`crate::state::managed`]); pages come from a
    /// reservation of `managed.memory` named after the operator, spill files go through
    /// `managed.io`. Too small a share fails here, naming the operator.
    pub fn new_managed(
        operator: &str,
        max_parallelism: u32,
        key_groups: KeyGroupRange,
        managed: &ManagedStateSetup,
    ) -> Result<KeyedStateBackend<K>, WeirError> {
        let page_bytes = managed.memory.page_size().bytes();
        let budget = ManagedStateBudget::split(operator, managed.share_bytes, page_bytes)?;
        let reservation = managed
            .memory
            .reservation_with_limit(format!("keyed state of {operator}"), budget.store_pages);
        let store = SpillStore::new(
            Arc::clone(&managed.io),
            reservation,
            budget.buffer_pages,
            Arc::clone(&managed.counters),
        )?;
        let mut backend = KeyedStateBackend::new(operator, max_parallelism, key_groups, 0);
        backend.budget = HeapBudget::evicting(operator, budget.working_set_bytes);
        backend.managed = Some(ManagedState {
            store,
            working_set_bytes: budget.working_set_bytes,
            hand: 0,
            lookup_key: Vec::new(),
            evictions: 0,
        });
        backend.snapshot_spool = Some(Arc::clone(&managed.io));
        Ok(backend)
    }

    /// The backend an operator's setup asks for: managed when the setup carries a managed
    /// share (`state.backend.type: managed`), else the hashmap backend within the setup's heap
    /// budget.
    pub fn from_setup(setup: &OperatorSetup) -> Result<KeyedStateBackend<K>, WeirError> {
        match &setup.managed_state {
            Some(managed) => KeyedStateBackend::new_managed(
                &setup.name,
                setup.max_parallelism,
                setup.key_groups,
                managed,
            ),
            None => {
                let mut backend = KeyedStateBackend::new(
                    &setup.name,
                    setup.max_parallelism,
                    setup.key_groups,
                    setup.state_heap_budget_bytes,
                );
                backend.snapshot_spool = setup.snapshot_spool.clone();
                Ok(backend)
            }
        }
    }

    /// True for the managed backend.
    pub fn is_managed(&self) -> bool {
        self.managed.is_some()
    }

    /// The spill store's counters (managed backend).
    pub fn spill_metrics(&self) -> Option<SpillStoreMetrics> {
        self.managed.as_ref().map(|managed| managed.store.metrics())
    }

    /// Entries evicted from the working set so far (managed backend).
    pub fn evictions(&self) -> u64 {
        self.managed.as_ref().map_or(0, |managed| managed.evictions)
    }

    /// Managed pages the backend holds now (write buffer and lookup page; 0 for hashmap).
    pub fn managed_pages(&self) -> usize {
        self.managed
            .as_ref()
            .map_or(0, |managed| managed.store.held_pages())
    }

    /// Fails with the failure of an earlier access that could not report it (a read of
    /// managed state whose spill file could not be read returns nothing and records the
    /// error here); operators call it after each record or timer. Every fallible method checks
    /// it too.
    pub fn check_failure(&self) -> Result<(), WeirError> {
        if !self.failed.get() {
            return Ok(());
        }
        let pending = self.failure.borrow_mut().take();
        Err(pending.unwrap_or_else(|| WeirError::ManagedStateUnusable {
            operator: self.operator.clone(),
        }))
    }

    /// Keeps `error` of an access that cannot return it (the first one, until it is
    /// reported; the access may already have marked the backend failed on the way).
    fn record_failure(&self, error: WeirError) {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(error);
        }
        self.failed.set(true);
    }

    /// Marks the backend failed by `error`, which the caller returns.
    fn fail(&self, error: WeirError) -> WeirError {
        if self.managed.is_some() {
            self.failed.set(true);
        }
        error
    }

    // ---- managed backend: working set ----

    /// Before an access of (current key, `namespace`) in state `handle` (managed backend):
    /// evicts when the working set is over its limit, then loads the entry back from the
    /// spill store when it is there.
    #[inline]
    fn prepare<H: StateHandle>(
        &mut self,
        handle: H,
        namespace: &H::Namespace,
    ) -> Result<(), WeirError> {
        if self.managed.is_none() {
            return Ok(());
        }
        self.check_failure()?;
        self.make_room()
            .and_then(|()| self.load_if_spilled(handle, namespace))
            .map_err(|error| self.fail(error))
    }

    /// [`KeyedStateBackend::prepare`] for accesses that cannot return an error: false (and
    /// the error recorded) when it failed.
    #[inline]
    fn prepare_or_record<H: StateHandle>(&mut self, handle: H, namespace: &H::Namespace) -> bool {
        if self.managed.is_none() {
            return true;
        }
        match self.prepare(handle, namespace) {
            Ok(()) => true,
            Err(error) => {
                self.record_failure(error);
                false
            }
        }
    }

    /// Runs an eviction round when the working set is over its limit.
    fn make_room(&mut self) -> Result<(), WeirError> {
        let Some(managed) = &self.managed else {
            return Ok(());
        };
        if self.budget.used_bytes() + managed.store.heap_bytes() <= managed.working_set_bytes {
            return Ok(());
        }
        self.evict_round()
    }

    /// Moves whole key groups of the states (clock order) into the spill store until half the
    /// working set is free, then flushes. The current key's entries stay in a first sweep
    /// over all (state, group) slots (they are the likeliest to be accessed next); when that
    /// is not enough (one key holding most of the working set, e.g. many windows of a hot
    /// key), a second sweep evicts them too: the entry about to be accessed is loaded back
    /// after the round.
    fn evict_round(&mut self) -> Result<(), WeirError> {
        let Some(managed) = self.managed.as_mut() else {
            return Ok(());
        };
        let target_bytes = managed.working_set_bytes / 2;
        let groups = self.key_groups.len();
        let slots = self.states.len() * groups;
        let mut prefix = Vec::with_capacity(LOOKUP_PREFIX_BYTES);
        let mut steps = 0;
        let mut keep_current_key = true;
        while self.budget.used_bytes() + managed.store.index_heap_bytes() > target_bytes {
            if steps == slots {
                if !keep_current_key {
                    break;
                }
                keep_current_key = false;
                steps = 0;
            }
            let position = managed.hand % slots;
            managed.hand = (position + 1) % slots;
            steps += 1;
            let (state, group) = (position % self.states.len(), position / self.states.len());
            let keep = if keep_current_key && group == self.current_group {
                self.current_key.as_ref()
            } else {
                None
            };
            start_lookup_key(
                state as u32,
                self.key_groups.start + group as u32,
                &mut prefix,
            );
            let store = &mut managed.store;
            let evictions = &mut managed.evictions;
            self.states[state].evict_group(
                group,
                &prefix,
                keep,
                &mut self.budget,
                &mut |lookup_key, value| {
                    *evictions += 1;
                    store.evict(lookup_key, value)
                },
            )?;
        }
        managed.store.finish_round()?;
        let mut used_bytes = self.budget.used_bytes() + managed.store.heap_bytes();
        if used_bytes > managed.working_set_bytes {
            // The run indexes may still count dead copies: a merge of all runs drops them.
            managed.store.compact(&mut |_, _| Ok(SpilledFate::Keep))?;
            used_bytes = self.budget.used_bytes() + managed.store.heap_bytes();
        }
        if used_bytes > managed.working_set_bytes {
            return Err(WeirError::ManagedStateWorkingSetExceeded {
                operator: self.operator.clone(),
                used_bytes,
                working_set_bytes: managed.working_set_bytes,
            });
        }
        Ok(())
    }

    /// Loads (current key, `namespace`) of state `handle` from the spill store into the
    /// working set when it is not there but spilled.
    fn load_if_spilled<H: StateHandle>(
        &mut self,
        handle: H,
        namespace: &H::Namespace,
    ) -> Result<(), WeirError> {
        let Some(managed) = self.managed.as_mut() else {
            return Ok(());
        };
        let state_id = handle.state_index() as u32;
        if !managed.store.has_state(state_id) {
            return Ok(());
        }
        let key = self
            .current_key
            .as_ref()
            .expect("keyed state is accessed only after set_current_key");
        let table =
            downcast_table::<K, H::Namespace, H::Kind>(&mut *self.states[handle.state_index()]);
        if table.slot(self.current_group, key, namespace).is_some() {
            return Ok(());
        }
        let key_group = self.key_groups.start + self.current_group as u32;
        start_lookup_key(state_id, key_group, &mut managed.lookup_key);
        table.append_key_and_namespace(key, namespace, &mut managed.lookup_key)?;
        if let Some(value) = managed.store.take(&managed.lookup_key)? {
            let entry = table.decode_spilled(&value)?;
            table.insert(self.current_group, key, namespace, entry, &mut self.budget)?;
        }
        Ok(())
    }

    pub fn operator(&self) -> &str {
        &self.operator
    }

    pub fn key_groups(&self) -> KeyGroupRange {
        self.key_groups
    }

    pub fn max_parallelism(&self) -> u32 {
        self.max_parallelism
    }

    /// The processing-time clock of TTL (milliseconds); tests set a manual one.
    pub fn set_ttl_clock(&mut self, clock: ProcessingTimeClock) {
        self.ttl_clock = clock;
    }

    /// Makes `key` the key every following access works on.
    ///
    /// Panics when the key belongs to a key group this subtask does not own: records are
    /// routed by key group, so that is a broken invariant of the job, not bad input.
    #[inline]
    pub fn set_current_key(&mut self, key: K) {
        let key_group = key_group_of(&self.key_comparator, &key, self.max_parallelism);
        self.set_current_key_in_group(key, key_group);
    }

    /// [`KeyedStateBackend::set_current_key`] for a key whose group the caller already
    /// computed (e.g. from the keyBy partitioner).
    #[inline]
    pub fn set_current_key_in_group(&mut self, key: K, key_group: u32) {
        debug_assert_eq!(
            key_group,
            key_group_of(&self.key_comparator, &key, self.max_parallelism)
        );
        assert!(
            self.key_groups.contains(key_group),
            "operator {}: key group {key_group} is not in this subtask's range {:?}",
            self.operator,
            self.key_groups
        );
        self.current_group = (key_group - self.key_groups.start) as usize;
        self.current_key = Some(key);
    }

    pub fn current_key(&self) -> Option<&K> {
        self.current_key.as_ref()
    }

    /// The key group of the current key.
    pub fn current_key_group(&self) -> u32 {
        self.key_groups.start + self.current_group as u32
    }

    /// Heap bytes the state holds (approximate; see [`HeapBudget`]).
    pub fn heap_bytes(&self) -> u64 {
        self.budget.used_bytes()
    }

    pub fn heap_budget_bytes(&self) -> u64 {
        self.budget.budget_bytes()
    }

    /// Number of (key, namespace) entries of all states.
    pub fn entry_count(&self) -> usize {
        let spilled = self
            .managed
            .as_ref()
            .map_or(0, |managed| managed.store.spilled_entries() as usize);
        self.states
            .iter()
            .map(|table| table.entry_count())
            .sum::<usize>()
            + spilled
    }

    // ---- registration ----

    /// Registers (or finds again) the value state `descriptor`.
    pub fn value_state<N: StateNamespace, T: Data>(
        &mut self,
        descriptor: &ValueStateDescriptor<T>,
    ) -> Result<ValueStateHandle<N, T>, WeirError> {
        let index = self.register::<N, _>(
            descriptor.name(),
            ValueKind::<T>::new(),
            descriptor.ttl_config().copied(),
        )?;
        Ok(ValueStateHandle::new(index))
    }

    /// Registers (or finds again) the list state `descriptor`.
    pub fn list_state<N: StateNamespace, T: Data>(
        &mut self,
        descriptor: &ListStateDescriptor<T>,
    ) -> Result<ListStateHandle<N, T>, WeirError> {
        let index = self.register::<N, _>(
            descriptor.name(),
            ListKind::<T>::new(),
            descriptor.ttl_config().copied(),
        )?;
        Ok(ListStateHandle::new(index))
    }

    /// Registers (or finds again) the map state `descriptor`.
    pub fn map_state<N: StateNamespace, UK: StateKey, UV: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<MapStateHandle<N, UK, UV>, WeirError> {
        let index = self.register::<N, _>(
            descriptor.name(),
            MapKind::<UK, UV>::new(),
            descriptor.ttl_config().copied(),
        )?;
        Ok(MapStateHandle::new(index))
    }

    /// Registers (or finds again) the reducing state `descriptor`.
    pub fn reducing_state<N: StateNamespace, T: Data>(
        &mut self,
        descriptor: &ReducingStateDescriptor<T>,
    ) -> Result<ReducingStateHandle<N, T>, WeirError> {
        let index = self.register::<N, _>(
            descriptor.name(),
            ReducingKind::new(Arc::clone(descriptor.reduce_fn())),
            descriptor.ttl_config().copied(),
        )?;
        Ok(ReducingStateHandle::new(index))
    }

    /// Registers (or finds again) the aggregating state `descriptor`.
    pub fn aggregating_state<N: StateNamespace, In: 'static, Acc: Data, Out: 'static>(
        &mut self,
        descriptor: &AggregatingStateDescriptor<In, Acc, Out>,
    ) -> Result<AggregatingStateHandle<N, In, Acc, Out>, WeirError> {
        let index = self.register::<N, _>(
            descriptor.name(),
            AggregatingKind::new(Arc::clone(descriptor.function())),
            descriptor.ttl_config().copied(),
        )?;
        Ok(AggregatingStateHandle::new(index))
    }

    /// The table index of state `name`: the existing one when registered again with the same
    /// fingerprint, else a new table filled from the restored sections.
    fn register<N: StateNamespace, S: StateKind>(
        &mut self,
        name: &str,
        kind: S,
        ttl: Option<StateTtlConfig>,
    ) -> Result<usize, WeirError> {
        if let Some(&index) = self.state_indices.get(name) {
            let expected = fingerprint::<K, N, S>(&kind, ttl.as_ref());
            let existing = &self.states[index];
            let table: &dyn Any = &**existing;
            if existing.fingerprint() == expected && table.is::<StateTable<K, N, S>>() {
                return Ok(index);
            }
            return Err(WeirError::IncompatibleState {
                operator: self.operator.clone(),
                problem: format!(
                    "state {name} is registered twice with different types: [{}] and [{expected}]",
                    existing.fingerprint()
                ),
            });
        }
        self.check_failure()?;
        let table: StateTable<K, N, S> = StateTable::new(name, kind, ttl, self.key_groups.len());
        let index = self.states.len();
        self.states.push(Box::new(table));
        self.section_names
            .push(format!("{STATE_SECTION_PREFIX}{name}"));
        self.state_indices.insert(name.to_owned(), index);
        if let Some(sections) = self.pending_restore.remove(name) {
            for (key_group, bytes) in sections {
                let restored = bytes
                    .read()
                    .and_then(|bytes| self.restore_section(index, key_group, &bytes));
                if let Err(error) = restored {
                    // Not registered after all (the managed store may hold some of its
                    // entries: the backend is unusable then).
                    self.states.pop();
                    self.section_names.pop();
                    self.state_indices.remove(name);
                    if self.managed.is_some() {
                        return Err(self.fail(error));
                    }
                    return Err(error);
                }
            }
        }
        Ok(index)
    }

    /// Adds the entries of a restored section of key group `key_group` to state `index`; the
    /// managed backend evicts afterwards when the working set is over its limit.
    fn restore_section(
        &mut self,
        index: usize,
        key_group: u32,
        bytes: &[u8],
    ) -> Result<(), WeirError> {
        let context = RestoreContext {
            operator: &self.operator,
            max_parallelism: self.max_parallelism,
        };
        let group = (key_group - self.key_groups.start) as usize;
        self.states[index].restore_group(&context, group, key_group, bytes, &mut self.budget)?;
        self.make_room()
    }

    /// The typed table of `handle` and an access for the current key.
    #[inline]
    fn access<H: StateHandle>(&mut self, handle: H) -> TableAccess<'_, K, H> {
        let key = self
            .current_key
            .as_ref()
            .expect("keyed state is accessed only after set_current_key");
        let table =
            downcast_table::<K, H::Namespace, H::Kind>(&mut *self.states[handle.state_index()]);
        let access = StateAccess {
            key,
            group: self.current_group,
            budget: &mut self.budget,
            clock: &self.ttl_clock,
            returned_expired: &mut self.returned_expired,
        };
        (table, access)
    }

    // ---- access for the current key ----

    /// The value of `namespace` (a clone), if set and not expired.
    pub fn value<N: StateNamespace, T: Data>(
        &mut self,
        handle: ValueStateHandle<N, T>,
        namespace: &N,
    ) -> Option<T> {
        self.value_ref(handle, namespace).cloned()
    }

    /// The value of `namespace`, if set and not expired.
    #[inline]
    pub fn value_ref<N: StateNamespace, T: Data>(
        &mut self,
        handle: ValueStateHandle<N, T>,
        namespace: &N,
    ) -> Option<&T> {
        if !self.prepare_or_record(handle, namespace) {
            return None;
        }
        let (table, access) = self.access(handle);
        table.read_single(access, namespace)
    }

    /// Sets the value of `namespace`.
    #[inline]
    pub fn update_value<N: StateNamespace, T: Data>(
        &mut self,
        handle: ValueStateHandle<N, T>,
        namespace: &N,
        value: T,
    ) -> Result<(), WeirError> {
        self.prepare(handle, namespace)?;
        let (table, access) = self.access(handle);
        table.write_single(access, namespace, value)
    }

    /// True when state `handle` holds an entry for (current key, `namespace`), an expired
    /// one not yet cleaned up included (managed backend: loaded back when spilled). The
    /// window operator asks before adding to a window's contents.
    pub(crate) fn has_entry<H: StateHandle>(
        &mut self,
        handle: H,
        namespace: &H::Namespace,
    ) -> bool {
        if !self.prepare_or_record(handle, namespace) {
            return false;
        }
        let (table, access) = self.access(handle);
        table.slot(access.group, access.key, namespace).is_some()
    }

    /// Removes what state `handle` holds for `namespace` (any kind of state).
    pub fn clear<H: StateHandle>(&mut self, handle: H, namespace: &H::Namespace) {
        if !self.prepare_or_record(handle, namespace) {
            return;
        }
        let (table, access) = self.access(handle);
        table.remove(access.group, access.key, namespace, access.budget);
    }

    /// The values of the list of `namespace` (`None` when empty).
    pub fn list_get<N: StateNamespace, T: Data>(
        &mut self,
        handle: ListStateHandle<N, T>,
        namespace: &N,
    ) -> Option<&[T]> {
        if !self.prepare_or_record(handle, namespace) {
            return None;
        }
        let (table, access) = self.access(handle);
        table.list_get(access, namespace)
    }

    /// Appends `value` to the list of `namespace`.
    #[inline]
    pub fn list_add<N: StateNamespace, T: Data>(
        &mut self,
        handle: ListStateHandle<N, T>,
        namespace: &N,
        value: T,
    ) -> Result<(), WeirError> {
        self.prepare(handle, namespace)?;
        let (table, access) = self.access(handle);
        table.list_add(access, namespace, value)
    }

    /// Replaces the list of `namespace` by `values` (an empty vector clears it).
    pub fn list_update<N: StateNamespace, T: Data>(
        &mut self,
        handle: ListStateHandle<N, T>,
        namespace: &N,
        values: Vec<T>,
    ) -> Result<(), WeirError> {
        self.prepare(handle, namespace)?;
        let (table, access) = self.access(handle);
        table.list_update(access, namespace, values)
    }

    /// The value of `user_key` in the map of `namespace`.
    pub fn map_get<N: StateNamespace, UK: StateKey, UV: Data>(
        &mut self,
        handle: MapStateHandle<N, UK, UV>,
        namespace: &N,
        user_key: &UK,
    ) -> Option<&UV> {
        if !self.prepare_or_record(handle, namespace) {
            return None;
        }
        let (table, access) = self.access(handle);
        table.map_get(access, namespace, user_key)
    }

    /// Puts `user_key` ──▶ `user_value` into the map of `namespace`.
    pub fn map_put<N: StateNamespace, UK: StateKey, UV: Data>(
        &mut self,
        handle: MapStateHandle<N, UK, UV>,
        namespace: &N,
        user_key: UK,
        user_value: UV,
    ) -> Result<(), WeirError> {
        self.prepare(handle, namespace)?;
        let (table, access) = self.access(handle);
        table.map_put(access, namespace, user_key, user_value)
    }

    /// Removes `user_key` from the map of `namespace`, returning its value.
    pub fn map_remove<N: StateNamespace, UK: StateKey, UV: Data>(
        &mut self,
        handle: MapStateHandle<N, UK, UV>,
        namespace: &N,
        user_key: &UK,
    ) -> Result<Option<UV>, WeirError> {
        self.prepare(handle, namespace)?;
        let (table, access) = self.access(handle);
        table.map_remove(access, namespace, user_key)
    }

    /// True when the map of `namespace` holds `user_key`.
    pub fn map_contains<N: StateNamespace, UK: StateKey, UV: Data>(
        &mut self,
        handle: MapStateHandle<N, UK, UV>,
        namespace: &N,
        user_key: &UK,
    ) -> bool {
        if !self.prepare_or_record(handle, namespace) {
            return false;
        }
        let (table, access) = self.access(handle);
        table.map_contains(access, namespace, user_key)
    }

    /// The entries of the map of `namespace` (clones, in no particular order).
    pub fn map_entries<N: StateNamespace, UK: StateKey, UV: Data>(
        &mut self,
        handle: MapStateHandle<N, UK, UV>,
        namespace: &N,
    ) -> Vec<(UK, UV)> {
        if !self.prepare_or_record(handle, namespace) {
            return Vec::new();
        }
        let (table, access) = self.access(handle);
        table.map_entries(access, namespace)
    }

    /// Reduces `value` into the value of `namespace`.
    #[inline]
    pub fn reducing_add<N: StateNamespace, T: Data>(
        &mut self,
        handle: ReducingStateHandle<N, T>,
        namespace: &N,
        value: T,
    ) -> Result<(), WeirError> {
        self.prepare(handle, namespace)?;
        let (table, access) = self.access(handle);
        table.reducing_add(access, namespace, value)
    }

    /// The reduced value of `namespace`.
    pub fn reducing_get<N: StateNamespace, T: Data>(
        &mut self,
        handle: ReducingStateHandle<N, T>,
        namespace: &N,
    ) -> Option<&T> {
        if !self.prepare_or_record(handle, namespace) {
            return None;
        }
        let (table, access) = self.access(handle);
        table.read_single(access, namespace)
    }

    /// Adds `value` to the accumulator of `namespace` (creating it).
    #[inline]
    pub fn aggregating_add<N: StateNamespace, In: 'static, Acc: Data, Out: 'static>(
        &mut self,
        handle: AggregatingStateHandle<N, In, Acc, Out>,
        namespace: &N,
        value: &In,
    ) -> Result<(), WeirError> {
        self.prepare(handle, namespace)?;
        let (table, access) = self.access(handle);
        table.aggregating_add(access, namespace, value)
    }

    /// The aggregate's result for `namespace`.
    pub fn aggregating_get<N: StateNamespace, In: 'static, Acc: Data, Out: 'static>(
        &mut self,
        handle: AggregatingStateHandle<N, In, Acc, Out>,
        namespace: &N,
    ) -> Option<Out> {
        if !self.prepare_or_record(handle, namespace) {
            return None;
        }
        let (table, access) = self.access(handle);
        let function = Arc::clone(table.kind.function());
        table
            .read_single(access, namespace)
            .map(|accumulator| function.get_result(accumulator))
    }

    /// The accumulator of `namespace`.
    pub fn aggregating_acc<N: StateNamespace, In: 'static, Acc: Data, Out: 'static>(
        &mut self,
        handle: AggregatingStateHandle<N, In, Acc, Out>,
        namespace: &N,
    ) -> Option<&Acc> {
        if !self.prepare_or_record(handle, namespace) {
            return None;
        }
        let (table, access) = self.access(handle);
        table.read_single(access, namespace)
    }

    /// Merges the entries of `sources` into `target` for the current key (list, reducing and
    /// aggregating state; merging windows).
    pub fn merge_namespaces<H: MergingStateHandle>(
        &mut self,
        handle: H,
        target: &H::Namespace,
        sources: &[H::Namespace],
    ) -> Result<(), WeirError> {
        if self.managed.is_some() {
            self.check_failure()?;
            self.make_room().map_err(|error| self.fail(error))?;
            for namespace in std::iter::once(target).chain(sources) {
                self.load_if_spilled(handle, namespace)
                    .map_err(|error| self.fail(error))?;
            }
        }
        let (table, access) = self.access(handle);
        table.merge_namespaces(access, target, sources)
    }

    // ---- iteration ----

    /// The keys (of every group of this subtask) that hold an entry of `namespace` in state
    /// `handle` (clones, in no particular order). Costs a walk over the state's keys (managed
    /// backend: and over the state's spilled entries, not those of other states).
    pub fn keys<H: StateHandle>(&self, handle: H, namespace: &H::Namespace) -> Vec<K> {
        let table =
            downcast_table_ref::<K, H::Namespace, H::Kind>(&*self.states[handle.state_index()]);
        let mut keys = table.keys_with(namespace);
        let state_id = handle.state_index() as u32;
        self.for_each_spilled(&state_id.to_be_bytes(), |key_and_namespace| {
            let (key, spilled_namespace) = table.decode_key_and_namespace(key_and_namespace)?;
            if spilled_namespace == *namespace {
                keys.push(key);
            }
            Ok(())
        });
        keys
    }

    /// Calls `visit` with the key ‖ namespace bytes of every spilled entry whose lookup key
    /// starts with `prefix` (managed backend; `prefix` begins with the state id); a failure is
    /// recorded for [`KeyedStateBackend::check_failure`].
    fn for_each_spilled(
        &self,
        prefix: &[u8],
        mut visit: impl FnMut(&[u8]) -> Result<(), WeirError>,
    ) {
        let Some(managed) = &self.managed else {
            return;
        };
        let result = managed
            .store
            .for_each_live_with_prefix(prefix, |record| visit(record.key_and_namespace()));
        if let Err(error) = result {
            self.record_failure(error);
        }
    }

    /// The namespaces the current key holds in state `handle`. Managed backend: the spilled
    /// ones are a prefix scan of (state, key group, key) in each run, from the block that can
    /// hold the first of them (lookup keys sort a key's namespaces together).
    pub fn namespaces<H: StateHandle>(&self, handle: H) -> Vec<H::Namespace> {
        let key = self
            .current_key
            .as_ref()
            .expect("keyed state is accessed only after set_current_key");
        let table =
            downcast_table_ref::<K, H::Namespace, H::Kind>(&*self.states[handle.state_index()]);
        let mut namespaces = table.namespaces_of(self.current_group, key);
        let Some(managed) = &self.managed else {
            return namespaces;
        };
        let state_id = handle.state_index() as u32;
        if !managed.store.has_state(state_id) {
            return namespaces;
        }
        let mut prefix = Vec::new();
        start_lookup_key(state_id, self.current_key_group(), &mut prefix);
        if let Err(error) = write_with(&mut prefix, |view| K::serializer().serialize(key, view)) {
            self.record_failure(error);
            return namespaces;
        }
        self.for_each_spilled(&prefix, |key_and_namespace| {
            let (spilled_key, namespace) = table.decode_key_and_namespace(key_and_namespace)?;
            // Serialized keys are self-delimiting (prefix-free), so every entry under the
            // prefix is of this key; the compare only guards that.
            if spilled_key == *key {
                namespaces.push(namespace);
            }
            Ok(())
        });
        namespaces
    }

    // ---- TTL, snapshot, restore ----

    /// Removes every expired entry of every state with TTL now.
    pub fn cleanup_expired(&mut self) -> Result<(), WeirError> {
        if !self.states.iter().any(|table| table.has_ttl()) {
            return Ok(());
        }
        self.check_failure()?;
        let now_ms = (self.ttl_clock)();
        for table in &mut self.states {
            table.remove_expired(now_ms, &mut self.budget)?;
        }
        if let Some(managed) = self.managed.as_mut() {
            // Spilled entries: one merge of every run that drops (or trims) expired entries.
            let states = &self.states;
            managed
                .store
                .compact(&mut |record, _| {
                    states[record.state_id() as usize].filter_spilled(record.value, now_ms)
                })
                .inspect_err(|_| self.failed.set(true))?;
        }
        Ok(())
    }

    /// Writes the live entries of every state into `snapshot`, one section `"state:<name>"`
    /// per key group that holds any (see [`KeyedSnapshotWriter`]; in a job the sections stream
    /// into a spool file, so a snapshot never holds a second copy of the state in memory and
    /// the managed backend's state larger than memory is never in memory at all);
    /// restored sections of states not registered (again) are written back as they were.
    pub fn snapshot_into(&self, snapshot: &mut OperatorSnapshot) -> Result<(), WeirError> {
        let now_ms = if self.states.iter().any(|table| table.has_ttl()) {
            (self.ttl_clock)()
        } else {
            0
        };
        self.check_failure()?;
        let writer = match &self.snapshot_spool {
            Some(io) => SectionWriter::spooling(Arc::clone(io)),
            None => SectionWriter::in_memory(),
        };
        let mut sections = KeyedSnapshotWriter::new(
            &self.states,
            &self.section_names,
            self.key_groups,
            now_ms,
            writer,
            snapshot,
        );
        if let Some(managed) = &self.managed {
            managed
                .store
                .for_each_live(|record| sections.add_spilled(record))?;
        }
        sections.finish()?;
        for (name, sections) in &self.pending_restore {
            let section = format!("{STATE_SECTION_PREFIX}{name}");
            for (key_group, bytes) in sections {
                snapshot.put_keyed_section(*key_group, &section, bytes.clone());
            }
        }
        Ok(())
    }

    /// Takes the state sections of `snapshot` (already redistributed to this subtask): they are
    /// decoded into a state when it is registered (at once for states registered already).
    /// Other keyed sections (timers) are left to their owners.
    pub fn restore_from(&mut self, snapshot: &OperatorSnapshot) -> Result<(), WeirError> {
        for (&key_group, sections) in &snapshot.keyed {
            for (section, bytes) in sections {
                let Some(name) = section.strip_prefix(STATE_SECTION_PREFIX) else {
                    continue;
                };
                if !self.key_groups.contains(key_group) {
                    return Err(WeirError::IncompatibleState {
                        operator: self.operator.clone(),
                        problem: format!(
                            "the restored state {name} holds key group {key_group}, outside this \
                             subtask's key groups {}..{} (of pipeline.max-parallelism {})",
                            self.key_groups.start, self.key_groups.end, self.max_parallelism
                        ),
                    });
                }
                match self.state_indices.get(name) {
                    Some(&index) => {
                        let bytes = bytes.read()?;
                        self.restore_section(index, key_group, &bytes)
                            .map_err(|error| self.fail(error))?;
                    }
                    None => self
                        .pending_restore
                        .entry(name.to_owned())
                        .or_default()
                        .push((key_group, bytes.clone())),
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "keyed_state_backend_tests.rs"]
mod tests;
