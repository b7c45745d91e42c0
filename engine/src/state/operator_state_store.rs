//! [`OperatorStateStore`]: non-keyed state of an operator subtask (Flink's
//! `OperatorStateStore`): named lists whose elements are handed out again on restore.
//!
//! ```text
//!   list_state::<T>("offsets")        ──▶ Split: the elements of all old subtasks, dealt out in
//!                                           even contiguous slices to the new subtasks
//!   union_list_state::<T>("pending")  ──▶ Union: every new subtask gets every element
//!
//!   snapshot_into ──▶ OperatorSnapshot.operator["offsets"] = { Split, [bytes of each element] }
//! ```
//!
//! Each element is stored as its own entry (the bytes of [`crate::state::state_bytes::to_bytes`]),
//! so [`crate::checkpoint::redistribute`] can split the list without knowing its type.
//! [`OperatorStateStore::restore_from`] keeps what redistribution handed to this subtask and
//! decodes a list when it is registered; registering it with the other mode, or elements that
//! do not decode as the registered type, is [`WeirError::IncompatibleState`]. Restored split
//! lists that are not registered again are written back by later snapshots; restored union lists
//! that are not registered again are dropped (every subtask holds a copy, so writing them back
//! would multiply them).
//!
//! Operator state is not counted against the keyed state's heap budget: it holds small
//! bookkeeping (source positions, pending transactions).

use std::any::Any;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use crate::api::Data;
use crate::checkpoint::{OperatorListState, OperatorSnapshot, RedistributeMode};
use crate::error::WeirError;
use crate::state::state_bytes::{from_bytes, to_bytes};

/// A registered operator list state with elements of type `T`.
pub struct OperatorListStateHandle<T> {
    index: u32,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for OperatorListStateHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for OperatorListStateHandle<T> {}

impl<T> std::fmt::Debug for OperatorListStateHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorListStateHandle")
            .field("index", &self.index)
            .finish()
    }
}

/// The elements of one operator list state.
struct OperatorList<T: Data> {
    name: String,
    mode: RedistributeMode,
    values: Vec<T>,
    serializer: T::Serializer,
}

/// The type-erased operations of an [`OperatorList`].
trait OperatorListTable: Any + Send {
    fn name(&self) -> &str;
    fn mode(&self) -> RedistributeMode;
    fn type_name(&self) -> &'static str;
    fn snapshot(&self) -> Result<OperatorListState, WeirError>;
}

impl<T: Data> OperatorListTable for OperatorList<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn mode(&self) -> RedistributeMode {
        self.mode
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn snapshot(&self) -> Result<OperatorListState, WeirError> {
        let mut entries = Vec::with_capacity(self.values.len());
        for value in &self.values {
            let mut bytes = Vec::new();
            to_bytes(&self.serializer, value, &mut bytes)?;
            entries.push(bytes);
        }
        Ok(OperatorListState {
            mode: self.mode,
            entries,
        })
    }
}

/// The operator list states of one operator subtask. See the module docs.
pub struct OperatorStateStore {
    operator: String,
    states: Vec<Box<dyn OperatorListTable>>,
    /// Restored lists not registered yet.
    pending_restore: BTreeMap<String, OperatorListState>,
}

impl std::fmt::Debug for OperatorStateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let states: Vec<&str> = self.states.iter().map(|state| state.name()).collect();
        f.debug_struct("OperatorStateStore")
            .field("operator", &self.operator)
            .field("states", &states)
            .field("pending_restore", &self.pending_restore.keys())
            .finish()
    }
}

impl OperatorStateStore {
    pub fn new(operator: &str) -> OperatorStateStore {
        OperatorStateStore {
            operator: operator.to_owned(),
            states: Vec::new(),
            pending_restore: BTreeMap::new(),
        }
    }

    /// Registers (or finds again) list state `name`, split among subtasks on restore.
    pub fn list_state<T: Data>(
        &mut self,
        name: &str,
    ) -> Result<OperatorListStateHandle<T>, WeirError> {
        self.register(name, RedistributeMode::Split)
    }

    /// Registers (or finds again) union list state `name`: every subtask gets all elements on
    /// restore.
    pub fn union_list_state<T: Data>(
        &mut self,
        name: &str,
    ) -> Result<OperatorListStateHandle<T>, WeirError> {
        self.register(name, RedistributeMode::Union)
    }

    fn register<T: Data>(
        &mut self,
        name: &str,
        mode: RedistributeMode,
    ) -> Result<OperatorListStateHandle<T>, WeirError> {
        let handle = |index: usize| OperatorListStateHandle {
            index: u32::try_from(index).expect("fewer than 2^32 operator states"),
            _type: PhantomData,
        };
        if let Some(index) = self.states.iter().position(|state| state.name() == name) {
            let state = &self.states[index];
            let table: &dyn Any = &**state;
            if state.mode() == mode && table.is::<OperatorList<T>>() {
                return Ok(handle(index));
            }
            return Err(WeirError::IncompatibleState {
                operator: self.operator.clone(),
                problem: format!(
                    "operator state {name} is registered twice: as {:?} list of {} and as {mode:?} \
                     list of {}",
                    state.mode(),
                    state.type_name(),
                    std::any::type_name::<T>()
                ),
            });
        }
        let mut list = OperatorList::<T> {
            name: name.to_owned(),
            mode,
            values: Vec::new(),
            serializer: T::serializer(),
        };
        if let Some(restored) = self.pending_restore.remove(name) {
            self.decode_into(&mut list, &restored)?;
        }
        self.states.push(Box::new(list));
        Ok(handle(self.states.len() - 1))
    }

    fn decode_into<T: Data>(
        &self,
        list: &mut OperatorList<T>,
        restored: &OperatorListState,
    ) -> Result<(), WeirError> {
        if restored.mode != list.mode {
            return Err(WeirError::IncompatibleState {
                operator: self.operator.clone(),
                problem: format!(
                    "operator state {} is registered as a {:?} list but was written as a {:?} list",
                    list.name, list.mode, restored.mode
                ),
            });
        }
        list.values.reserve(restored.entries.len());
        for (position, entry) in restored.entries.iter().enumerate() {
            let value = from_bytes(&list.serializer, entry).map_err(|error| {
                WeirError::IncompatibleState {
                    operator: self.operator.clone(),
                    problem: format!(
                        "element {position} of operator state {} cannot be read as {}: {error}",
                        list.name,
                        std::any::type_name::<T>()
                    ),
                }
            })?;
            list.values.push(value);
        }
        Ok(())
    }

    fn list<T: Data>(&self, handle: OperatorListStateHandle<T>) -> &OperatorList<T> {
        let table: &dyn Any = &*self.states[handle.index as usize];
        table
            .downcast_ref()
            .expect("an operator state handle is used only with the store that registered it")
    }

    fn list_mut<T: Data>(&mut self, handle: OperatorListStateHandle<T>) -> &mut OperatorList<T> {
        let table: &mut dyn Any = &mut *self.states[handle.index as usize];
        table
            .downcast_mut()
            .expect("an operator state handle is used only with the store that registered it")
    }

    /// The elements of the list.
    pub fn get<T: Data>(&self, handle: OperatorListStateHandle<T>) -> &[T] {
        &self.list(handle).values
    }

    /// Appends `value`.
    pub fn add<T: Data>(&mut self, handle: OperatorListStateHandle<T>, value: T) {
        self.list_mut(handle).values.push(value);
    }

    /// Replaces the elements by `values`.
    pub fn update<T: Data>(&mut self, handle: OperatorListStateHandle<T>, values: Vec<T>) {
        self.list_mut(handle).values = values;
    }

    /// Removes every element.
    pub fn clear<T: Data>(&mut self, handle: OperatorListStateHandle<T>) {
        self.list_mut(handle).values.clear();
    }

    /// Writes every list into `snapshot.operator` (and restored split lists not registered
    /// again, unchanged).
    pub fn snapshot_into(&self, snapshot: &mut OperatorSnapshot) -> Result<(), WeirError> {
        for state in &self.states {
            snapshot
                .operator
                .insert(state.name().to_owned(), state.snapshot()?);
        }
        for (name, restored) in &self.pending_restore {
            if restored.mode == RedistributeMode::Split {
                snapshot.operator.insert(name.clone(), restored.clone());
            }
        }
        Ok(())
    }

    /// Takes the operator lists of `snapshot` (already redistributed to this subtask); each is
    /// decoded when registered. Lists registered already get the restored elements appended.
    pub fn restore_from(&mut self, snapshot: &OperatorSnapshot) -> Result<(), WeirError> {
        for (name, restored) in &snapshot.operator {
            if self.states.iter().any(|state| state.name() == name) {
                return Err(WeirError::IncompatibleState {
                    operator: self.operator.clone(),
                    problem: format!(
                        "operator state {name} is restored after it was registered; restore \
                         before registering states"
                    ),
                });
            }
            let pending =
                self.pending_restore
                    .entry(name.clone())
                    .or_insert_with(|| OperatorListState {
                        mode: restored.mode,
                        entries: Vec::new(),
                    });
            if pending.mode != restored.mode {
                return Err(WeirError::IncompatibleState {
                    operator: self.operator.clone(),
                    problem: format!(
                        "operator state {name} was restored as a {:?} and as a {:?} list",
                        pending.mode, restored.mode
                    ),
                });
            }
            pending.entries.extend(restored.entries.iter().cloned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::redistribute;

    fn store_with(split: &[&str], union: &[u64]) -> OperatorStateStore {
        let mut store = OperatorStateStore::new("source");
        let offsets = store.list_state::<String>("splits").unwrap();
        for &value in split {
            store.add(offsets, value.to_owned());
        }
        let pending = store.union_list_state::<u64>("pending").unwrap();
        store.update(pending, union.to_vec());
        store
    }

    #[test]
    fn lists_hold_and_change() {
        let mut store = store_with(&["a", "b"], &[7]);
        let splits = store.list_state::<String>("splits").unwrap();
        assert_eq!(store.get(splits), ["a", "b"]);
        store.update(splits, vec!["c".into()]);
        assert_eq!(store.get(splits), ["c"]);
        store.clear(splits);
        assert!(store.get(splits).is_empty());
        assert!(matches!(
            store.union_list_state::<String>("splits"),
            Err(WeirError::IncompatibleState { .. })
        ));
        assert!(matches!(
            store.list_state::<u64>("splits"),
            Err(WeirError::IncompatibleState { .. })
        ));
    }

    #[test]
    fn restore_at_another_parallelism_splits_or_unions_exactly() {
        let old: Vec<OperatorSnapshot> = [
            store_with(&["s0", "s1", "s2"], &[1, 2]),
            store_with(&["s3", "s4"], &[3]),
        ]
        .iter()
        .map(|store| {
            let mut snapshot = OperatorSnapshot::default();
            store.snapshot_into(&mut snapshot).unwrap();
            snapshot
        })
        .collect();
        for parallelism in [1usize, 2, 3, 7] {
            let new = redistribute("source", old.clone(), parallelism, 128).unwrap();
            let mut all_splits = Vec::new();
            for snapshot in &new {
                let mut store = OperatorStateStore::new("source");
                store.restore_from(snapshot).unwrap();
                let splits = store.list_state::<String>("splits").unwrap();
                let pending = store.union_list_state::<u64>("pending").unwrap();
                all_splits.extend(store.get(splits).iter().cloned());
                let mut union = store.get(pending).to_vec();
                union.sort();
                assert_eq!(union, [1, 2, 3], "parallelism {parallelism}");
            }
            all_splits.sort();
            assert_eq!(all_splits, ["s0", "s1", "s2", "s3", "s4"]);
        }
    }

    #[test]
    fn unregistered_split_lists_survive_and_bad_restores_are_errors() {
        let mut snapshot = OperatorSnapshot::default();
        store_with(&["x"], &[5])
            .snapshot_into(&mut snapshot)
            .unwrap();

        let mut store = OperatorStateStore::new("source");
        store.restore_from(&snapshot).unwrap();
        let mut again = OperatorSnapshot::default();
        store.snapshot_into(&mut again).unwrap();
        assert_eq!(again.operator["splits"], snapshot.operator["splits"]);
        assert!(!again.operator.contains_key("pending"));

        let mut store = OperatorStateStore::new("source");
        store.restore_from(&snapshot).unwrap();
        let error = store.union_list_state::<String>("splits").unwrap_err();
        assert!(error.to_string().contains("splits"), "{error}");

        // Elements that are not u64 (a string "x" is 2 bytes: varint length 1, 'x').
        let mut store = OperatorStateStore::new("source");
        store.restore_from(&snapshot).unwrap();
        assert!(matches!(
            store.list_state::<bool>("splits"),
            Err(WeirError::IncompatibleState { .. })
        ));
        let mut corrupt = snapshot.clone();
        corrupt.operator.get_mut("pending").unwrap().entries[0].truncate(3);
        let mut store = OperatorStateStore::new("source");
        store.restore_from(&corrupt).unwrap();
        let error = store.union_list_state::<u64>("pending").unwrap_err();
        assert!(error.to_string().contains("pending"), "{error}");
    }
}
