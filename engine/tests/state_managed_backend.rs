//! The managed keyed state backend against a BTreeMap model: random value / list / map /
//! reducing / aggregating operations over many keys and namespaces with a tiny share (4 KiB
//! pages: eviction, several runs, merges), every read and the full snapshot compared with the
//! model; snapshots restored into a hashmap backend and into managed ones at another
//! parallelism, and a hashmap snapshot restored into a managed backend.

mod state_managed_support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use state_managed_support::{CountSum, ManagedEnv, PAGE_BYTES};
use weir::WeirError;
use weir::checkpoint::{OperatorSnapshot, redistribute};
use weir::state::key_group::key_group_of;
use weir::state::managed::{MIN_STORE_PAGES, MIN_WORKING_SET_BYTES};
use weir::state::{
    AggregatingStateDescriptor, AggregatingStateHandle, KeyGroupRange, KeyedStateBackend,
    ListStateDescriptor, ListStateHandle, MapStateDescriptor, MapStateHandle,
    ReducingStateDescriptor, ReducingStateHandle, ValueStateDescriptor, ValueStateHandle,
};
use weir::types::DefaultComparator;

const MAX_PARALLELISM: u32 = 16;
const AMPLE_BYTES: u64 = 1 << 30;

/// The smallest share the backend accepts with 4 KiB pages.
const MIN_SHARE: u64 = MIN_STORE_PAGES as u64 * PAGE_BYTES as u64 + MIN_WORKING_SET_BYTES;

type TestKey = Option<String>;

#[derive(Debug, Clone)]
enum Op {
    SetKey(TestKey),
    UpdateValue(u8, String),
    ClearValue(u8),
    ListAdd(u8, String),
    ListUpdate(u8, Vec<String>),
    AggAdd(u8, i64),
    ReduceAdd(u8, i64),
    MapPut(u8, u16, String),
    MapRemove(u8, u16),
    MergeList(u8, Vec<u8>),
    MergeAgg(u8, Vec<u8>),
    SnapshotRestore,
}

fn key_strategy() -> impl Strategy<Value = TestKey> {
    prop_oneof![
        4 => Just(Some("hot".to_owned())),
        1 => Just(None),
        8 => (0u16..400).prop_map(|k| Some(format!("k{k}"))),
    ]
}

/// Small values, and now and then one longer than a page (values, not lists or maps, so that
/// one key's entries always fit in the working set).
fn value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "[a-z]{0,12}",
        1 => (1usize..5000).prop_map(|len| "p".repeat(len)),
    ]
}

fn small_value_strategy() -> impl Strategy<Value = String> {
    "[a-z]{0,12}"
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let ns = 0u8..4;
    prop_oneof![
        6 => key_strategy().prop_map(Op::SetKey),
        3 => (ns.clone(), value_strategy()).prop_map(|(n, v)| Op::UpdateValue(n, v)),
        1 => ns.clone().prop_map(Op::ClearValue),
        3 => (ns.clone(), small_value_strategy()).prop_map(|(n, v)| Op::ListAdd(n, v)),
        1 => (ns.clone(), proptest::collection::vec(small_value_strategy(), 0..3))
            .prop_map(|(n, v)| Op::ListUpdate(n, v)),
        3 => (ns.clone(), -50i64..50).prop_map(|(n, v)| Op::AggAdd(n, v)),
        2 => (ns.clone(), -50i64..50).prop_map(|(n, v)| Op::ReduceAdd(n, v)),
        2 => (ns.clone(), 0u16..5, small_value_strategy())
            .prop_map(|(n, k, v)| Op::MapPut(n, k, v)),
        1 => (ns.clone(), 0u16..5).prop_map(|(n, k)| Op::MapRemove(n, k)),
        1 => (ns.clone(), proptest::collection::vec(0u8..5, 0..3))
            .prop_map(|(t, s)| Op::MergeList(t, s)),
        1 => (ns.clone(), proptest::collection::vec(0u8..5, 0..3))
            .prop_map(|(t, s)| Op::MergeAgg(t, s)),
        1 => Just(Op::SnapshotRestore),
    ]
}

#[derive(Debug, Default, Clone)]
struct Model {
    values: BTreeMap<(TestKey, u8), String>,
    lists: BTreeMap<(TestKey, u8), Vec<String>>,
    aggs: BTreeMap<(TestKey, u8), (u64, i64)>,
    reduced: BTreeMap<(TestKey, u8), i64>,
    maps: BTreeMap<(TestKey, u8), BTreeMap<u16, String>>,
}

impl Model {
    fn entries(&self) -> usize {
        self.values.len()
            + self.lists.len()
            + self.aggs.len()
            + self.reduced.len()
            + self.maps.len()
    }
}

/// Flink's merge: the sources (in order, each once, not the target) appended to the target;
/// nothing changes when no source has an entry.
fn merge_model<V: Clone>(
    entries: &mut BTreeMap<(TestKey, u8), V>,
    key: &TestKey,
    target: u8,
    sources: &[u8],
    merge: impl Fn(V, V) -> V,
) {
    let mut merged: Option<V> = None;
    for &source in sources {
        if source == target {
            continue;
        }
        if let Some(value) = entries.remove(&(key.clone(), source)) {
            merged = Some(match merged {
                None => value,
                Some(so_far) => merge(so_far, value),
            });
        }
    }
    if let Some(merged) = merged {
        let value = match entries.remove(&(key.clone(), target)) {
            Some(existing) => merge(existing, merged),
            None => merged,
        };
        entries.insert((key.clone(), target), value);
    }
}

struct Handles {
    value: ValueStateHandle<u8, String>,
    list: ListStateHandle<u8, String>,
    agg: AggregatingStateHandle<u8, i64, (u64, i64), String>,
    reducing: ReducingStateHandle<u8, i64>,
    map: MapStateHandle<u8, u16, String>,
}

fn register(state: &mut KeyedStateBackend<TestKey>) -> Handles {
    Handles {
        value: state
            .value_state(&ValueStateDescriptor::new("value"))
            .unwrap(),
        list: state.list_state(&ListStateDescriptor::new("list")).unwrap(),
        agg: state
            .aggregating_state(&AggregatingStateDescriptor::new("agg", CountSum))
            .unwrap(),
        reducing: state
            .reducing_state(&ReducingStateDescriptor::new(
                "reduce",
                |a: &i64, b: &i64| a.wrapping_mul(3).wrapping_add(*b),
            ))
            .unwrap(),
        map: state.map_state(&MapStateDescriptor::new("map")).unwrap(),
    }
}

fn apply(
    state: &mut KeyedStateBackend<TestKey>,
    handles: &Handles,
    key: &TestKey,
    op: &Op,
) -> Result<Option<Option<String>>, WeirError> {
    match op.clone() {
        Op::SetKey(next) => state.set_current_key(next),
        Op::UpdateValue(ns, value) => state.update_value(handles.value, &ns, value)?,
        Op::ClearValue(ns) => state.clear(handles.value, &ns),
        Op::ListAdd(ns, value) => state.list_add(handles.list, &ns, value)?,
        Op::ListUpdate(ns, values) => state.list_update(handles.list, &ns, values)?,
        Op::AggAdd(ns, value) => state.aggregating_add(handles.agg, &ns, &value)?,
        Op::ReduceAdd(ns, value) => state.reducing_add(handles.reducing, &ns, value)?,
        Op::MapPut(ns, user_key, value) => state.map_put(handles.map, &ns, user_key, value)?,
        Op::MapRemove(ns, user_key) => {
            return Ok(Some(state.map_remove(handles.map, &ns, &user_key)?));
        }
        Op::MergeList(target, sources) => {
            state.merge_namespaces(handles.list, &target, &sources)?
        }
        Op::MergeAgg(target, sources) => state.merge_namespaces(handles.agg, &target, &sources)?,
        Op::SnapshotRestore => {}
    }
    let _ = key;
    Ok(None)
}

fn apply_model(model: &mut Model, key: &TestKey, op: &Op) -> Option<Option<String>> {
    match op.clone() {
        Op::SetKey(_) | Op::SnapshotRestore => {}
        Op::UpdateValue(ns, value) => {
            model.values.insert((key.clone(), ns), value);
        }
        Op::ClearValue(ns) => {
            model.values.remove(&(key.clone(), ns));
        }
        Op::ListAdd(ns, value) => model
            .lists
            .entry((key.clone(), ns))
            .or_default()
            .push(value),
        Op::ListUpdate(ns, values) => {
            if values.is_empty() {
                model.lists.remove(&(key.clone(), ns));
            } else {
                model.lists.insert((key.clone(), ns), values);
            }
        }
        Op::AggAdd(ns, value) => {
            let acc = model.aggs.entry((key.clone(), ns)).or_default();
            acc.0 += 1;
            acc.1 += value;
        }
        Op::ReduceAdd(ns, value) => {
            model
                .reduced
                .entry((key.clone(), ns))
                .and_modify(|acc| *acc = acc.wrapping_mul(3).wrapping_add(value))
                .or_insert(value);
        }
        Op::MapPut(ns, user_key, value) => {
            model
                .maps
                .entry((key.clone(), ns))
                .or_default()
                .insert(user_key, value);
        }
        Op::MapRemove(ns, user_key) => {
            let entry_key = (key.clone(), ns);
            let removed = model
                .maps
                .get_mut(&entry_key)
                .and_then(|m| m.remove(&user_key));
            if model.maps.get(&entry_key).is_some_and(BTreeMap::is_empty) {
                model.maps.remove(&entry_key);
            }
            return Some(removed);
        }
        Op::MergeList(target, sources) => {
            merge_model(&mut model.lists, key, target, &sources, |mut a, b| {
                a.extend(b);
                a
            })
        }
        Op::MergeAgg(target, sources) => {
            merge_model(&mut model.aggs, key, target, &sources, |a, b| {
                (a.0 + b.0, a.1 + b.1)
            })
        }
    }
    None
}

/// Checks every entry of the model for the keys of `state`'s range, and the entry count.
fn check_all(
    state: &mut KeyedStateBackend<TestKey>,
    handles: &Handles,
    model: &Model,
) -> Result<usize, TestCaseError> {
    let owned = |state: &KeyedStateBackend<TestKey>, key: &TestKey| {
        state
            .key_groups()
            .contains(key_group_of(&TestKey::comparator(), key, MAX_PARALLELISM))
    };
    let mut expected_count = 0;
    for ((key, ns), value) in &model.values {
        if owned(state, key) {
            state.set_current_key(key.clone());
            prop_assert_eq!(
                state.value_ref(handles.value, ns),
                Some(value),
                "value {:?} {}",
                key,
                ns
            );
            expected_count += 1;
        }
    }
    for ((key, ns), values) in &model.lists {
        if owned(state, key) {
            state.set_current_key(key.clone());
            prop_assert_eq!(state.list_get(handles.list, ns), Some(values.as_slice()));
            expected_count += 1;
        }
    }
    for ((key, ns), acc) in &model.aggs {
        if owned(state, key) {
            state.set_current_key(key.clone());
            prop_assert_eq!(state.aggregating_acc(handles.agg, ns), Some(acc));
            expected_count += 1;
        }
    }
    for ((key, ns), reduced) in &model.reduced {
        if owned(state, key) {
            state.set_current_key(key.clone());
            prop_assert_eq!(state.reducing_get(handles.reducing, ns), Some(reduced));
            expected_count += 1;
        }
    }
    for ((key, ns), map) in &model.maps {
        if owned(state, key) {
            state.set_current_key(key.clone());
            let mut entries = state.map_entries(handles.map, ns);
            entries.sort();
            let expected: Vec<(u16, String)> = map.iter().map(|(k, v)| (*k, v.clone())).collect();
            prop_assert_eq!(entries, expected);
            expected_count += 1;
        }
    }
    prop_assert_eq!(state.entry_count(), expected_count);
    state.check_failure().unwrap();
    Ok(expected_count)
}

fn snapshot_of(state: &KeyedStateBackend<TestKey>) -> OperatorSnapshot {
    let mut snapshot = OperatorSnapshot::default();
    state.snapshot_into(&mut snapshot).unwrap();
    snapshot
}

fn heap_backend(range: KeyGroupRange) -> KeyedStateBackend<TestKey> {
    KeyedStateBackend::new("op", MAX_PARALLELISM, range, AMPLE_BYTES)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_operations_over_a_tiny_share_agree_with_a_btree_map_model(
        ops in proptest::collection::vec(op_strategy(), 0..1500),
        share_kib in (MIN_SHARE / 1024 + 16)..100,
        new_parallelism in 2usize..5,
    ) {
        let env = ManagedEnv::new();
        let share = share_kib * 1024;
        let all = KeyGroupRange::all(MAX_PARALLELISM);
        let mut state = env.backend::<TestKey>(MAX_PARALLELISM, all, share);
        let mut handles = register(&mut state);
        // The same operations on the hashmap backend, for the other restore direction.
        let mut heap = heap_backend(all);
        let heap_handles = register(&mut heap);
        let mut model = Model::default();
        let mut key: TestKey = Some("hot".to_owned());
        state.set_current_key(key.clone());
        heap.set_current_key(key.clone());
        for op in &ops {
            if let Op::SetKey(next) = op {
                key = next.clone();
            }
            if let Op::SnapshotRestore = op {
                let snapshot = snapshot_of(&state);
                let entries = state.entry_count();
                state = env.backend::<TestKey>(MAX_PARALLELISM, all, share);
                state.restore_from(&snapshot).unwrap();
                handles = register(&mut state);
                prop_assert_eq!(state.entry_count(), entries);
                state.set_current_key(key.clone());
                continue;
            }
            let removed = apply(&mut state, &handles, &key, op).unwrap();
            apply(&mut heap, &heap_handles, &key, op).unwrap();
            let expected = apply_model(&mut model, &key, op);
            prop_assert_eq!(removed, expected);
        }
        let count = check_all(&mut state, &handles, &model)?;
        prop_assert_eq!(count, model.entries());

        // managed ──▶ hashmap, and managed ──▶ managed at another parallelism.
        let snapshot = snapshot_of(&state);
        let mut restored = heap_backend(all);
        restored.restore_from(&snapshot).unwrap();
        let restored_handles = register(&mut restored);
        check_all(&mut restored, &restored_handles, &model)?;
        let parts = redistribute("op", vec![snapshot], new_parallelism, MAX_PARALLELISM).unwrap();
        let mut total_entries = 0;
        for (subtask, part) in parts.iter().enumerate() {
            let range = KeyGroupRange::for_subtask(MAX_PARALLELISM, new_parallelism, subtask);
            let mut restored = env.backend::<TestKey>(MAX_PARALLELISM, range, share);
            restored.restore_from(part).unwrap();
            let restored_handles = register(&mut restored);
            total_entries += check_all(&mut restored, &restored_handles, &model)?;
        }
        prop_assert_eq!(total_entries, model.entries());

        // hashmap ──▶ managed.
        let mut from_heap = env.backend::<TestKey>(MAX_PARALLELISM, all, share);
        from_heap.restore_from(&snapshot_of(&heap)).unwrap();
        let from_heap_handles = register(&mut from_heap);
        check_all(&mut from_heap, &from_heap_handles, &model)?;

        // Every page back, every spill file gone (the snapshot's spool goes with the last
        // section that refers to it).
        drop((state, from_heap, parts));
        prop_assert_eq!(env.memory.used_pages(), 0);
        prop_assert_eq!(env.spill_files(), 0);
    }
}

/// Many keys through the smallest share: entries are evicted, loaded back, runs merged.
#[test]
fn state_far_larger_than_the_share_spills_and_reads_back() {
    let env = ManagedEnv::new();
    let all = KeyGroupRange::all(MAX_PARALLELISM);
    // About 9000 entries of ~100 heap bytes: ten times the share.
    let share = 96 * 1024;
    let mut state = env.backend::<TestKey>(MAX_PARALLELISM, all, share);
    let handles = register(&mut state);
    let mut model = Model::default();
    for round in 0..3i64 {
        for k in 0..3000 {
            let key = Some(format!("key-{k}"));
            state.set_current_key(key.clone());
            let ns = (k % 3) as u8;
            let op = match k % 4 {
                0 => Op::AggAdd(ns, k + round),
                1 => Op::ListAdd(ns, format!("v{k}-{round}")),
                2 => Op::MapPut(ns, (round % 5) as u16, format!("m{k}")),
                _ => Op::UpdateValue(ns, "x".repeat((k % 50) as usize)),
            };
            apply(&mut state, &handles, &key, &op).unwrap();
            apply_model(&mut model, &key, &op);
        }
    }
    let metrics = state.spill_metrics().unwrap();
    assert!(metrics.spill_files > 10, "{metrics:?}");
    assert!(metrics.compactions > 0, "{metrics:?}");
    assert!(metrics.loads > 1000, "{metrics:?}");
    assert!(state.evictions() > 1000);
    assert!(
        state.heap_bytes() <= state.heap_budget_bytes(),
        "{} > {}",
        state.heap_bytes(),
        state.heap_budget_bytes()
    );
    assert!(env.spill_files() > 0);
    check_all(&mut state, &handles, &model).unwrap();
    drop(state);
    assert_eq!(env.memory.used_pages(), 0);
    assert_eq!(env.spill_files(), 0);
}

/// One key whose namespaces (e.g. the windows of a hot key) hold several times the working
/// set: the current key's entries are evicted too when nothing else is left, instead of the
/// backend failing with ManagedStateWorkingSetExceeded.
#[test]
fn one_key_with_more_state_than_the_working_set_spills_its_own_namespaces() {
    let env = ManagedEnv::new();
    let all = KeyGroupRange::all(MAX_PARALLELISM);
    let mut state = env.backend::<TestKey>(MAX_PARALLELISM, all, MIN_SHARE + 16 * 1024);
    let handle = state
        .value_state::<u16, String>(&ValueStateDescriptor::new("windows"))
        .unwrap();
    let key = Some("hot".to_owned());
    state.set_current_key(key.clone());
    // 40 values of 6 KiB: 240 KiB for one key against a working set of a few dozen KiB.
    let value = |namespace: u16| format!("{namespace:05}").repeat(1200);
    for namespace in 0..40u16 {
        state
            .update_value(handle, &namespace, value(namespace))
            .unwrap();
    }
    // Another key in between, then the hot key again: every namespace reads back.
    state.set_current_key(Some("cold".to_owned()));
    state.update_value(handle, &0, "c".to_owned()).unwrap();
    state.set_current_key(key);
    let mut namespaces = state.namespaces(handle);
    namespaces.sort_unstable();
    assert_eq!(namespaces, (0..40).collect::<Vec<_>>());
    for namespace in 0..40u16 {
        let read = state.value_ref(handle, &namespace).cloned();
        assert_eq!(read, Some(value(namespace)), "{:?}", state.check_failure());
    }
    state.check_failure().unwrap();
    assert_eq!(state.entry_count(), 41);
    assert!(state.spill_metrics().unwrap().loads >= 30);
    drop(state);
    assert_eq!(env.memory.used_pages(), 0);
    assert_eq!(env.spill_files(), 0);
}

#[test]
fn too_small_a_share_fails_at_construction_naming_the_operator() {
    let env = ManagedEnv::new();
    let error = KeyedStateBackend::<i64>::new_managed(
        "Window(agg)",
        MAX_PARALLELISM,
        KeyGroupRange::all(MAX_PARALLELISM),
        &env.setup(MIN_SHARE - 1),
    )
    .unwrap_err();
    assert!(
        matches!(error, WeirError::ManagedStateShareTooSmall { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("Window(agg)"));
    assert_eq!(env.memory.used_pages(), 0);
}
