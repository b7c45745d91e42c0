//! `namespaces()` and `keys()` of the managed backend against a BTreeMap model: keys with many
//! namespaces (one hot key with up to 40), None keys, keys whose serialized bytes start alike,
//! two states (their spilled entries must not mix), entries in the working set and spilled
//! over several runs, cleared entries (tombstones), loads back, and values longer than a page.
//! The managed backend answers them with prefix scans of its runs.

mod state_managed_support;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use state_managed_support::{ManagedEnv, PAGE_BYTES};
use weir::state::managed::{MIN_STORE_PAGES, MIN_WORKING_SET_BYTES};
use weir::state::{KeyGroupRange, KeyedStateBackend, ValueStateDescriptor, ValueStateHandle};

const MAX_PARALLELISM: u32 = 8;

/// The smallest share the backend accepts with 4 KiB pages.
const MIN_SHARE: u64 = MIN_STORE_PAGES as u64 * PAGE_BYTES as u64 + MIN_WORKING_SET_BYTES;

type TestKey = Option<String>;

#[derive(Debug, Clone)]
enum Op {
    SetKey(TestKey),
    /// Sets the value of namespace in state 0 or 1.
    Put(usize, u16, String),
    /// Clears the namespace in state 0 or 1.
    Clear(usize, u16),
    /// Checks namespaces() of the current key in state 0 or 1.
    Namespaces(usize),
    /// Checks keys() of a namespace in state 0 or 1.
    Keys(usize, u16),
}

fn key_strategy() -> impl Strategy<Value = TestKey> {
    prop_oneof![
        3 => Just(Some("hot".to_owned())),
        1 => Just(None),
        // "k1", "k10", "k100": serialized keys that share leading bytes.
        6 => (0u16..300).prop_map(|k| Some(format!("k{k}"))),
    ]
}

fn value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        16 => "[a-z]{0,10}",
        1 => (PAGE_BYTES..2 * PAGE_BYTES).prop_map(|len| "v".repeat(len)),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let state = 0usize..2;
    let ns = prop_oneof![4 => 0u16..8, 1 => 8u16..40];
    prop_oneof![
        6 => key_strategy().prop_map(Op::SetKey),
        8 => (state.clone(), ns.clone(), value_strategy()).prop_map(|(s, n, v)| Op::Put(s, n, v)),
        2 => (state.clone(), ns.clone()).prop_map(|(s, n)| Op::Clear(s, n)),
        3 => state.clone().prop_map(Op::Namespaces),
        1 => (state, ns).prop_map(|(s, n)| Op::Keys(s, n)),
    ]
}

type Model = [BTreeMap<(TestKey, u16), String>; 2];

fn sorted<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values
}

fn model_namespaces(model: &Model, state: usize, key: &TestKey) -> Vec<u16> {
    model[state]
        .keys()
        .filter(|(k, _)| k == key)
        .map(|(_, ns)| *ns)
        .collect()
}

fn model_keys(model: &Model, state: usize, namespace: u16) -> Vec<TestKey> {
    sorted(
        model[state]
            .keys()
            .filter(|(_, ns)| *ns == namespace)
            .map(|(k, _)| k.clone())
            .collect(),
    )
}

fn check_everything(
    state: &mut KeyedStateBackend<TestKey>,
    handles: &[ValueStateHandle<u16, String>; 2],
    model: &Model,
) -> Result<(), TestCaseError> {
    let keys: BTreeSet<TestKey> = model
        .iter()
        .flat_map(|m| m.keys().map(|(k, _)| k.clone()))
        .collect();
    for key in keys {
        state.set_current_key(key.clone());
        for (index, handle) in handles.iter().enumerate() {
            prop_assert_eq!(
                sorted(state.namespaces(*handle)),
                model_namespaces(model, index, &key),
                "namespaces of {:?} in state {}",
                key,
                index
            );
        }
    }
    for (index, handle) in handles.iter().enumerate() {
        for namespace in 0..40 {
            prop_assert_eq!(
                sorted(state.keys(*handle, &namespace)),
                model_keys(model, index, namespace)
            );
        }
    }
    state.check_failure().unwrap();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn namespaces_and_keys_agree_with_a_model(
        ops in proptest::collection::vec(op_strategy(), 0..1200),
        share_kib in (MIN_SHARE / 1024 + 8)..80,
    ) {
        let env = ManagedEnv::new();
        let all = KeyGroupRange::all(MAX_PARALLELISM);
        let mut state = env.backend::<TestKey>(MAX_PARALLELISM, all, share_kib * 1024);
        let handles = [
            state.value_state(&ValueStateDescriptor::new("first")).unwrap(),
            state.value_state(&ValueStateDescriptor::new("second")).unwrap(),
        ];
        let mut model: Model = Default::default();
        let mut key: TestKey = Some("hot".to_owned());
        state.set_current_key(key.clone());
        for op in ops {
            match op {
                Op::SetKey(next) => {
                    key = next;
                    state.set_current_key(key.clone());
                }
                Op::Put(index, namespace, value) => {
                    state.update_value(handles[index], &namespace, value.clone()).unwrap();
                    model[index].insert((key.clone(), namespace), value);
                }
                Op::Clear(index, namespace) => {
                    state.clear(handles[index], &namespace);
                    model[index].remove(&(key.clone(), namespace));
                }
                Op::Namespaces(index) => {
                    prop_assert_eq!(
                        sorted(state.namespaces(handles[index])),
                        model_namespaces(&model, index, &key)
                    );
                }
                Op::Keys(index, namespace) => {
                    prop_assert_eq!(
                        sorted(state.keys(handles[index], &namespace)),
                        model_keys(&model, index, namespace)
                    );
                }
            }
        }
        state.check_failure().unwrap();
        check_everything(&mut state, &handles, &model)?;
        // Values are read back too (namespaces() must not have lost or duplicated entries).
        for (index, entries) in model.iter().enumerate() {
            for ((entry_key, namespace), value) in entries {
                state.set_current_key(entry_key.clone());
                // A failed access reads as None: its cause is in check_failure.
                let read = state.value_ref(handles[index], namespace).cloned();
                prop_assert_eq!(read.as_ref(), Some(value), "{:?}", state.check_failure());
            }
        }
        prop_assert_eq!(
            state.entry_count(),
            model.iter().map(BTreeMap::len).sum::<usize>()
        );
        drop(state);
        prop_assert_eq!(env.memory.used_pages(), 0);
        prop_assert_eq!(env.spill_files(), 0);
    }
}

/// A spilled state of many keys with 8 namespaces each beside a second state: namespaces() of
/// a key and keys() of a state see exactly their own entries.
#[test]
fn namespaces_and_keys_of_a_spilled_state_with_eight_namespaces_per_key() {
    let env = ManagedEnv::new();
    let all = KeyGroupRange::all(MAX_PARALLELISM);
    let mut state = env.backend::<i64>(MAX_PARALLELISM, all, 96 * 1024);
    let handle = state
        .value_state::<i64, i64>(&ValueStateDescriptor::new("buckets"))
        .unwrap();
    let other = state
        .value_state::<i64, i64>(&ValueStateDescriptor::new("other"))
        .unwrap();
    const KEYS: i64 = 3000;
    for key in 0..KEYS {
        state.set_current_key(key);
        for namespace in 0..8 {
            state
                .update_value(handle, &namespace, key * namespace)
                .unwrap();
        }
        state.update_value(other, &0, key).unwrap();
    }
    let metrics = state.spill_metrics().unwrap();
    assert!(metrics.spill_files > 3, "{metrics:?}");
    for key in (0..KEYS).step_by(7) {
        state.set_current_key(key);
        assert_eq!(sorted(state.namespaces(handle)), (0..8).collect::<Vec<_>>());
        assert_eq!(state.namespaces(other), [0]);
    }
    assert_eq!(sorted(state.keys(other, &0)), (0..KEYS).collect::<Vec<_>>());
    assert_eq!(
        sorted(state.keys(handle, &5)),
        (0..KEYS).collect::<Vec<_>>()
    );
    assert!(state.keys(handle, &8).is_empty());
    state.check_failure().unwrap();
    drop(state);
    assert_eq!(env.memory.used_pages(), 0);
    assert_eq!(env.spill_files(), 0);
}
