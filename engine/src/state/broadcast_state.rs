//! [`BroadcastState`]: the map state of the broadcast state pattern (Flink's
//! `BroadcastState`), and [`BroadcastStates`], the ones an operator subtask declared.
//!
//! ```text
//!   rules.broadcast_state(&descriptor) ──▶ every subtask of the connected operator gets every rule
//!     process_broadcast_element(rule, ctx) ── ctx.broadcast_state(&descriptor)?.put(k, v)   (read-write)
//!     process_element(event, broadcast, ..) ── broadcast.get(&descriptor)?.get(&k)          (read-only)
//!
//!   snapshot: operator["broadcast:<name>"] = { Broadcast, [bytes of (k, v), …] }
//!   restore:  new subtask i gets the copy of old subtask i mod old parallelism
//! ```
//!
//! Every subtask sees the same broadcast elements, so (as in Flink) the function must update
//! the state the same way on every subtask; the non-broadcast side may only read it, which
//! keeps the copies equal. The states are declared by their descriptors up front (asking for
//! an undeclared one, or with other types, is a clear error) and live on the heap like operator
//! state, not counted against the keyed state's heap budget: broadcast state holds small
//! reference data (rules, configuration), replicated on every subtask.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};

use crate::api::Data;
use crate::checkpoint::{OperatorListState, OperatorSnapshot, RedistributeMode};
use crate::error::WeirError;
use crate::state::StateKey;
use crate::state::map_state::MapStateDescriptor;
use crate::state::state_bytes::{from_bytes, to_bytes};

/// Prefix of the operator-state names of broadcast states in snapshots.
pub const BROADCAST_STATE_PREFIX: &str = "broadcast:";

/// One broadcast map state. See the module docs.
#[derive(Debug, Clone)]
pub struct BroadcastState<K, V> {
    entries: HashMap<K, V>,
}

impl<K: StateKey, V: Data> BroadcastState<K, V> {
    fn new() -> BroadcastState<K, V> {
        BroadcastState {
            entries: HashMap::new(),
        }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets `key` to `value` (only from the broadcast side).
    pub fn put(&mut self, key: K, value: V) {
        self.entries.insert(key, value);
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Declares a broadcast state: creates it empty, by its descriptor's types.
pub(crate) trait BroadcastStateDeclaration: Send + Sync {
    fn name(&self) -> &str;
    fn create(&self) -> Box<dyn DeclaredState>;
}

/// A typed declaration from a [`MapStateDescriptor`].
pub(crate) struct TypedDeclaration<K, V> {
    name: String,
    _types: std::marker::PhantomData<fn() -> (K, V)>,
}

impl<K: StateKey, V: Data> TypedDeclaration<K, V> {
    pub(crate) fn declare(
        descriptor: &MapStateDescriptor<K, V>,
    ) -> Arc<dyn BroadcastStateDeclaration> {
        Arc::new(TypedDeclaration::<K, V> {
            name: descriptor.name().to_owned(),
            _types: std::marker::PhantomData,
        })
    }
}

impl<K: StateKey, V: Data> BroadcastStateDeclaration for TypedDeclaration<K, V> {
    fn name(&self) -> &str {
        &self.name
    }

    fn create(&self) -> Box<dyn DeclaredState> {
        Box::new(BroadcastState::<K, V>::new())
    }
}

/// A broadcast state of any types, for the store.
pub(crate) trait DeclaredState: Any {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn type_name(&self) -> &'static str;
    fn snapshot(&self) -> Result<Vec<Vec<u8>>, WeirError>;
    fn restore(&mut self, entries: &[Vec<u8>]) -> Result<(), WeirError>;
}

impl<K: StateKey, V: Data> DeclaredState for BroadcastState<K, V> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<(K, V)>()
    }

    fn snapshot(&self) -> Result<Vec<Vec<u8>>, WeirError> {
        let key_serializer = K::serializer();
        let value_serializer = V::serializer();
        // Sorted by the serialized entry, so every subtask writes the same bytes.
        let mut entries = Vec::with_capacity(self.entries.len());
        for (key, value) in &self.entries {
            let mut bytes = Vec::new();
            to_bytes(&key_serializer, key, &mut bytes)?;
            let key_len = bytes.len() as u32;
            to_bytes(&value_serializer, value, &mut bytes)?;
            let mut entry = key_len.to_le_bytes().to_vec();
            entry.extend_from_slice(&bytes);
            entries.push(entry);
        }
        entries.sort();
        Ok(entries)
    }

    fn restore(&mut self, entries: &[Vec<u8>]) -> Result<(), WeirError> {
        let key_serializer = K::serializer();
        let value_serializer = V::serializer();
        for entry in entries {
            let corrupt = || WeirError::CorruptSnapshot {
                what: format!("broadcast state entry of {}", self.type_name()),
                problem: format!("an entry of {} bytes has no valid key length", entry.len()),
            };
            let (length, rest) = entry.split_first_chunk::<4>().ok_or_else(corrupt)?;
            let key_len = u32::from_le_bytes(*length) as usize;
            if key_len > rest.len() {
                return Err(corrupt());
            }
            let key = from_bytes(&key_serializer, &rest[..key_len])?;
            let value = from_bytes(&value_serializer, &rest[key_len..])?;
            self.entries.insert(key, value);
        }
        Ok(())
    }
}

/// The broadcast states of one operator subtask, by name. See the module docs.
pub struct BroadcastStates {
    operator: String,
    states: BTreeMap<String, Box<dyn DeclaredState>>,
}

impl std::fmt::Debug for BroadcastStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastStates")
            .field("operator", &self.operator)
            .field("states", &self.states.keys())
            .finish()
    }
}

impl BroadcastStates {
    /// The declared states, empty, or restored from `restored`.
    pub(crate) fn open(
        operator: &str,
        declarations: &[Arc<dyn BroadcastStateDeclaration>],
        restored: Option<&OperatorSnapshot>,
    ) -> Result<BroadcastStates, WeirError> {
        let mut states = BTreeMap::new();
        for declaration in declarations {
            let mut state = declaration.create();
            let section = format!("{BROADCAST_STATE_PREFIX}{}", declaration.name());
            if let Some(list) = restored.and_then(|snapshot| snapshot.operator.get(&section)) {
                state.restore(&list.entries)?;
            }
            states.insert(declaration.name().to_owned(), state);
        }
        Ok(BroadcastStates {
            operator: operator.to_owned(),
            states,
        })
    }

    fn declared(&self, name: &str) -> Result<&dyn DeclaredState, WeirError> {
        self.states.get(name).map(|state| &**state).ok_or_else(|| {
            WeirError::UnknownBroadcastState {
                operator: self.operator.clone(),
                name: name.to_owned(),
                declared: self.names(),
            }
        })
    }

    fn names(&self) -> String {
        if self.states.is_empty() {
            "none".to_owned()
        } else {
            self.states.keys().cloned().collect::<Vec<_>>().join(", ")
        }
    }

    fn type_error<K, V>(&self, name: &str, declared: &'static str) -> WeirError {
        WeirError::BroadcastStateType {
            operator: self.operator.clone(),
            name: name.to_owned(),
            asked: std::any::type_name::<(K, V)>(),
            declared,
        }
    }

    /// The state of `descriptor`, to read.
    pub fn get<K: StateKey, V: Data>(
        &self,
        descriptor: &MapStateDescriptor<K, V>,
    ) -> Result<&BroadcastState<K, V>, WeirError> {
        let state = self.declared(descriptor.name())?;
        state
            .as_any()
            .downcast_ref::<BroadcastState<K, V>>()
            .ok_or_else(|| self.type_error::<K, V>(descriptor.name(), state.type_name()))
    }

    /// The state of `descriptor`, to change.
    pub(crate) fn get_mut<K: StateKey, V: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<K, V>,
    ) -> Result<&mut BroadcastState<K, V>, WeirError> {
        let declared = self.declared(descriptor.name())?.type_name();
        let error = self.type_error::<K, V>(descriptor.name(), declared);
        self.states
            .get_mut(descriptor.name())
            .and_then(|state| state.as_any_mut().downcast_mut::<BroadcastState<K, V>>())
            .ok_or(error)
    }

    /// Writes every state into `snapshot.operator` as a broadcast list.
    pub(crate) fn snapshot_into(&self, snapshot: &mut OperatorSnapshot) -> Result<(), WeirError> {
        for (name, state) in &self.states {
            snapshot.operator.insert(
                format!("{BROADCAST_STATE_PREFIX}{name}"),
                OperatorListState {
                    mode: RedistributeMode::Broadcast,
                    entries: state.snapshot()?,
                },
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> MapStateDescriptor<String, u64> {
        MapStateDescriptor::new("rules")
    }

    #[test]
    fn declared_states_are_read_written_snapshotted_and_restored() {
        let declarations = vec![TypedDeclaration::declare(&rules())];
        let mut states = BroadcastStates::open("op", &declarations, None).unwrap();
        let state = states.get_mut(&rules()).unwrap();
        state.put("a".into(), 1);
        state.put("b".into(), 2);
        state.put("c".into(), 3);
        state.remove(&"c".to_owned());
        let mut snapshot = OperatorSnapshot::default();
        states.snapshot_into(&mut snapshot).unwrap();
        assert_eq!(snapshot.operator["broadcast:rules"].entries.len(), 2);
        let restored = BroadcastStates::open("op", &declarations, Some(&snapshot)).unwrap();
        let state = restored.get(&rules()).unwrap();
        let mut entries: Vec<(String, u64)> = state.iter().map(|(k, v)| (k.clone(), *v)).collect();
        entries.sort();
        assert_eq!(entries, vec![("a".into(), 1), ("b".into(), 2)]);
    }

    #[test]
    fn undeclared_states_and_other_types_are_clear_errors() {
        let declarations = vec![TypedDeclaration::declare(&rules())];
        let mut states = BroadcastStates::open("Broadcast(rules)", &declarations, None).unwrap();
        let error = states
            .get(&MapStateDescriptor::<String, u64>::new("rulez"))
            .unwrap_err();
        assert!(error.to_string().contains("'rulez'"), "{error}");
        assert!(error.to_string().contains("declared: rules"), "{error}");
        let error = states
            .get_mut(&MapStateDescriptor::<u32, u64>::new("rules"))
            .unwrap_err();
        assert!(error.to_string().contains("Broadcast(rules)"), "{error}");
    }

    #[test]
    fn corrupt_entries_are_errors() {
        let declarations = vec![TypedDeclaration::declare(&rules())];
        let mut snapshot = OperatorSnapshot::default();
        snapshot.operator.insert(
            "broadcast:rules".into(),
            OperatorListState {
                mode: RedistributeMode::Broadcast,
                entries: vec![vec![200, 0, 0, 0, 1]],
            },
        );
        assert!(BroadcastStates::open("op", &declarations, Some(&snapshot)).is_err());
    }
}
