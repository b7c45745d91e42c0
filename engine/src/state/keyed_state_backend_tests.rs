//! Tests of [`KeyedStateBackend`]: every kind of state, namespaces, merging, snapshot and
//! restore (also at another parallelism), incompatible types, corrupt bytes.

use std::sync::Arc;

use super::*;
use crate::checkpoint::redistribute;
use crate::state::{
    AggregateFunction, AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor,
    ReducingStateDescriptor, ValueStateDescriptor, VoidNamespace,
};
use crate::types::DefaultComparator;

const MAX_PARALLELISM: u32 = 16;
const AMPLE_BYTES: u64 = 1 << 30;

fn backend<K: StateKey>() -> KeyedStateBackend<K> {
    KeyedStateBackend::new(
        "op",
        MAX_PARALLELISM,
        KeyGroupRange::all(MAX_PARALLELISM),
        AMPLE_BYTES,
    )
}

/// (count, sum) of i64 values; result "count/sum".
struct CountSum;

impl AggregateFunction<i64, (u64, i64), String> for CountSum {
    fn create_accumulator(&self) -> (u64, i64) {
        (0, 0)
    }

    fn add(&self, value: &i64, acc: &mut (u64, i64)) {
        acc.0 += 1;
        acc.1 += value;
    }

    fn get_result(&self, acc: &(u64, i64)) -> String {
        format!("{}/{}", acc.0, acc.1)
    }

    fn merge(&self, a: (u64, i64), b: (u64, i64)) -> (u64, i64) {
        (a.0 + b.0, a.1 + b.1)
    }
}

#[test]
fn every_kind_of_state_holds_per_key_and_namespace() {
    let mut state = backend::<String>();
    let value = state
        .value_state::<VoidNamespace, i64>(&ValueStateDescriptor::new("v"))
        .unwrap();
    let list = state
        .list_state::<u32, String>(&ListStateDescriptor::new("l"))
        .unwrap();
    let map = state
        .map_state::<VoidNamespace, String, i64>(&MapStateDescriptor::new("m"))
        .unwrap();
    let reducing = state
        .reducing_state::<u32, i64>(&ReducingStateDescriptor::new("r", |a: &i64, b: &i64| a + b))
        .unwrap();
    let aggregating = state
        .aggregating_state::<u32, i64, (u64, i64), String>(&AggregatingStateDescriptor::new(
            "a", CountSum,
        ))
        .unwrap();
    let ns = VoidNamespace;
    for key in ["a", "b"] {
        state.set_current_key(key.to_owned());
        assert_eq!(state.value(value, &ns), None);
        state
            .update_value(value, &ns, key.len() as i64 * 10)
            .unwrap();
        state.list_add(list, &1, format!("{key}1")).unwrap();
        state.list_add(list, &1, format!("{key}2")).unwrap();
        state.list_add(list, &2, format!("{key}3")).unwrap();
        state.map_put(map, &ns, "x".into(), 1).unwrap();
        state.map_put(map, &ns, "y".into(), 2).unwrap();
        state.map_put(map, &ns, "x".into(), 3).unwrap();
        for v in 1..=4 {
            state.reducing_add(reducing, &7, v).unwrap();
            state.aggregating_add(aggregating, &7, &v).unwrap();
        }
    }
    state.set_current_key("b".to_owned());
    assert_eq!(state.value(value, &ns), Some(10));
    assert_eq!(state.list_get(list, &1).unwrap(), ["b1", "b2"]);
    assert_eq!(state.list_get(list, &2).unwrap(), ["b3"]);
    assert_eq!(state.list_get(list, &3), None);
    assert_eq!(state.map_get(map, &ns, &"x".to_owned()), Some(&3));
    assert!(state.map_contains(map, &ns, &"y".to_owned()));
    let mut entries = state.map_entries(map, &ns);
    entries.sort();
    assert_eq!(entries, [("x".to_owned(), 3), ("y".to_owned(), 2)]);
    assert_eq!(
        state.map_remove(map, &ns, &"y".to_owned()).unwrap(),
        Some(2)
    );
    assert_eq!(state.map_remove(map, &ns, &"y".to_owned()).unwrap(), None);
    assert_eq!(state.reducing_get(reducing, &7), Some(&10));
    assert_eq!(
        state.aggregating_get(aggregating, &7).as_deref(),
        Some("4/10")
    );
    assert_eq!(state.aggregating_acc(aggregating, &7), Some(&(4, 10)));
    let mut namespaces = state.namespaces(list);
    namespaces.sort();
    assert_eq!(namespaces, [1, 2]);
    let mut keys = state.keys(list, &2);
    keys.sort();
    assert_eq!(keys, ["a", "b"]);

    state.clear(list, &1);
    assert_eq!(state.list_get(list, &1), None);
    state.list_update(list, &2, Vec::new()).unwrap();
    assert_eq!(state.list_get(list, &2), None);
    state.clear(value, &ns);
    assert_eq!(state.value(value, &ns), None);
    state.set_current_key("a".to_owned());
    assert_eq!(state.value(value, &ns), Some(10));
    assert_eq!(state.list_get(list, &1).unwrap(), ["a1", "a2"]);
}

#[test]
fn merge_namespaces_combines_sources_into_the_target() {
    let mut state = backend::<i64>();
    let list = state
        .list_state::<u32, i64>(&ListStateDescriptor::new("l"))
        .unwrap();
    let aggregating = state
        .aggregating_state::<u32, i64, (u64, i64), String>(&AggregatingStateDescriptor::new(
            "a", CountSum,
        ))
        .unwrap();
    let reducing = state
        .reducing_state::<u32, i64>(&ReducingStateDescriptor::new("r", |a: &i64, b: &i64| {
            a.max(b).to_owned()
        }))
        .unwrap();
    state.set_current_key(5);
    for (ns, value) in [(1u32, 10i64), (2, 20), (2, 21), (3, 30)] {
        state.list_add(list, &ns, value).unwrap();
        state.aggregating_add(aggregating, &ns, &value).unwrap();
        state.reducing_add(reducing, &ns, value).unwrap();
    }
    state.merge_namespaces(list, &1, &[2, 3, 4]).unwrap();
    state.merge_namespaces(aggregating, &1, &[2, 3]).unwrap();
    state.merge_namespaces(reducing, &9, &[1, 2, 3]).unwrap();
    assert_eq!(state.list_get(list, &1).unwrap(), [10, 20, 21, 30]);
    assert_eq!(state.list_get(list, &2), None);
    assert_eq!(state.aggregating_acc(aggregating, &1), Some(&(4, 81)));
    assert_eq!(state.aggregating_acc(aggregating, &3), None);
    assert_eq!(state.reducing_get(reducing, &9), Some(&30));
    assert_eq!(state.namespaces(reducing), [9]);
    // Merging nothing leaves the target as it is.
    state.merge_namespaces(list, &1, &[7]).unwrap();
    assert_eq!(state.list_get(list, &1).unwrap(), [10, 20, 21, 30]);
}

#[test]
fn snapshot_and_restore_round_trip_and_unregistered_states_survive() {
    let mut state = backend::<i64>();
    let value = state
        .value_state::<VoidNamespace, String>(&ValueStateDescriptor::new("v"))
        .unwrap();
    let map = state
        .map_state::<u32, i64, Vec<u8>>(&MapStateDescriptor::new("m"))
        .unwrap();
    for key in 0..200i64 {
        state.set_current_key(key);
        state
            .update_value(value, &VoidNamespace, "v".repeat(key as usize * 40))
            .unwrap();
        state
            .map_put(map, &(key as u32 % 3), key, vec![key as u8; 3])
            .unwrap();
    }
    let mut snapshot = OperatorSnapshot::default();
    state.snapshot_into(&mut snapshot).unwrap();
    assert!(snapshot.keyed.len() > 1);

    let mut restored = backend::<i64>();
    restored.restore_from(&snapshot).unwrap();
    let value2 = restored
        .value_state::<VoidNamespace, String>(&ValueStateDescriptor::new("v"))
        .unwrap();
    assert_eq!(restored.heap_bytes() > 0, true);
    for key in 0..200i64 {
        restored.set_current_key(key);
        assert_eq!(
            restored.value(value2, &VoidNamespace),
            Some("v".repeat(key as usize * 40))
        );
    }
    // "m" was not registered: a snapshot of the restored backend still holds it.
    let mut again = OperatorSnapshot::default();
    restored.snapshot_into(&mut again).unwrap();
    let mut third = backend::<i64>();
    third.restore_from(&again).unwrap();
    let map3 = third
        .map_state::<u32, i64, Vec<u8>>(&MapStateDescriptor::new("m"))
        .unwrap();
    third.set_current_key(77);
    assert_eq!(third.map_get(map3, &(77 % 3), &77), Some(&vec![77u8; 3]));
    assert_eq!(third.entry_count(), 200);
}

#[test]
fn restoring_with_other_types_names_operator_state_and_both_fingerprints() {
    let mut state = backend::<i64>();
    let value = state
        .value_state::<VoidNamespace, i64>(&ValueStateDescriptor::new("count"))
        .unwrap();
    state.set_current_key(1);
    state.update_value(value, &VoidNamespace, 5).unwrap();
    let mut snapshot = OperatorSnapshot::default();
    state.snapshot_into(&mut snapshot).unwrap();

    let mut restored = backend::<i64>();
    restored.restore_from(&snapshot).unwrap();
    let error = restored
        .value_state::<VoidNamespace, String>(&ValueStateDescriptor::new("count"))
        .unwrap_err();
    let WeirError::IncompatibleState { operator, problem } = &error else {
        panic!("{error}");
    };
    assert_eq!(operator, "op");
    assert!(problem.contains("count") && problem.contains("value=i64"));
    assert!(problem.contains("value=alloc::string::String"), "{problem}");

    let mut restored = backend::<i64>();
    restored.restore_from(&snapshot).unwrap();
    assert!(matches!(
        restored.list_state::<VoidNamespace, i64>(&ListStateDescriptor::new("count")),
        Err(WeirError::IncompatibleState { .. })
    ));
    // Registering one name twice with other types fails the same way.
    assert!(matches!(
        state.reducing_state::<VoidNamespace, i64>(&ReducingStateDescriptor::from_arc(
            "count",
            Arc::new(|a: &i64, b: &i64| a + b)
        )),
        Err(WeirError::IncompatibleState { .. })
    ));
    assert_eq!(
        state
            .value_state::<VoidNamespace, i64>(&ValueStateDescriptor::new("count"))
            .unwrap()
            .state_index(),
        value.state_index()
    );
}

#[test]
fn restore_at_another_parallelism_gives_every_subtask_its_keys() {
    let descriptor = ValueStateDescriptor::<i64>::new("v");
    let mut old = Vec::new();
    for subtask in 0..2 {
        let range = KeyGroupRange::for_subtask(MAX_PARALLELISM, 2, subtask);
        let mut state = KeyedStateBackend::<i64>::new("op", MAX_PARALLELISM, range, AMPLE_BYTES);
        let handle = state
            .value_state::<VoidNamespace, i64>(&descriptor)
            .unwrap();
        for key in 0..500i64 {
            let group = key_group_of(&i64::comparator(), &key, MAX_PARALLELISM);
            if range.contains(group) {
                state.set_current_key(key);
                state.update_value(handle, &VoidNamespace, key * 2).unwrap();
            }
        }
        let mut snapshot = OperatorSnapshot::default();
        state.snapshot_into(&mut snapshot).unwrap();
        old.push(snapshot);
    }
    let new = redistribute("op", old, 3, MAX_PARALLELISM).unwrap();
    let mut seen = 0;
    for (subtask, snapshot) in new.iter().enumerate() {
        let range = KeyGroupRange::for_subtask(MAX_PARALLELISM, 3, subtask);
        let mut state = KeyedStateBackend::<i64>::new("op", MAX_PARALLELISM, range, AMPLE_BYTES);
        state.restore_from(snapshot).unwrap();
        let handle = state
            .value_state::<VoidNamespace, i64>(&descriptor)
            .unwrap();
        for key in 0..500i64 {
            let group = key_group_of(&i64::comparator(), &key, MAX_PARALLELISM);
            if range.contains(group) {
                state.set_current_key(key);
                assert_eq!(state.value(handle, &VoidNamespace), Some(key * 2));
                seen += 1;
            }
        }
        assert_eq!(
            state.entry_count(),
            state.keys(handle, &VoidNamespace).len()
        );
    }
    assert_eq!(seen, 500);
}
