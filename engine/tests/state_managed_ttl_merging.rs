//! TTL and namespace merging (session windows) over entries the managed backend spilled:
//! expired spilled entries are neither read, nor snapshotted, and `cleanup_expired` drops them
//! from the runs; merging namespaces loads spilled sources; `keys` and `namespaces` see spilled
//! entries.

mod state_managed_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use state_managed_support::{CountSum, ManagedEnv};
use weir::checkpoint::OperatorSnapshot;
use weir::state::{
    AggregatingStateDescriptor, KeyGroupRange, KeyedStateBackend, ListStateDescriptor,
    StateTtlConfig, ValueStateDescriptor, VoidNamespace,
};

const MAX_PARALLELISM: u32 = 8;
const SHARE_BYTES: u64 = 96 * 1024;
const KEYS: i64 = 3000;

#[test]
fn expired_spilled_entries_are_not_read_snapshotted_or_kept_by_cleanup() {
    let env = ManagedEnv::new();
    let all = KeyGroupRange::all(MAX_PARALLELISM);
    let mut state = env.backend::<i64>(MAX_PARALLELISM, all, SHARE_BYTES);
    let now = Arc::new(AtomicI64::new(1_000));
    let clock = Arc::clone(&now);
    state.set_ttl_clock(Arc::new(move || clock.load(Ordering::SeqCst)));
    let ttl = StateTtlConfig::new_builder(Duration::from_millis(100)).build();
    let value = state
        .value_state::<VoidNamespace, String>(
            &ValueStateDescriptor::new("v").enable_time_to_live(ttl),
        )
        .unwrap();
    let list = state
        .list_state::<VoidNamespace, i64>(&ListStateDescriptor::new("l").enable_time_to_live(ttl))
        .unwrap();
    for key in 0..KEYS {
        // Odd keys are written 80 ms later: they outlive the even ones.
        now.store(1_000 + (key % 2) * 80, Ordering::SeqCst);
        state.set_current_key(key);
        state
            .update_value(value, &VoidNamespace, format!("value of {key}"))
            .unwrap();
        state.list_add(list, &VoidNamespace, key).unwrap();
    }
    // A second list value for every key, later: lists keep it when their first one expires.
    now.store(1_090, Ordering::SeqCst);
    for key in (0..KEYS).step_by(3) {
        state.set_current_key(key);
        state.list_add(list, &VoidNamespace, -key).unwrap();
    }
    assert!(state.spill_metrics().unwrap().spill_files > 2);
    assert_eq!(state.entry_count(), 2 * KEYS as usize);

    now.store(1_120, Ordering::SeqCst);
    let mut snapshot = OperatorSnapshot::default();
    state.snapshot_into(&mut snapshot).unwrap();
    state.cleanup_expired().unwrap();
    let live_lists = (0..KEYS).filter(|key| key % 2 == 1 || key % 3 == 0).count();
    let live_values = (KEYS / 2) as usize;
    assert_eq!(state.entry_count(), live_values + live_lists);
    for key in 0..KEYS {
        state.set_current_key(key);
        let expected = (key % 2 == 1).then(|| format!("value of {key}"));
        assert_eq!(state.value(value, &VoidNamespace), expected, "key {key}");
        let mut expected_list = Vec::new();
        if key % 2 == 1 {
            expected_list.push(key);
        }
        if key % 3 == 0 {
            expected_list.push(-key);
        }
        assert_eq!(
            state.list_get(list, &VoidNamespace).map(<[i64]>::to_vec),
            (!expected_list.is_empty()).then_some(expected_list),
            "key {key}"
        );
    }
    state.check_failure().unwrap();

    // The snapshot taken at 1_120 holds exactly the live entries, in the hashmap format.
    let mut restored = KeyedStateBackend::<i64>::new("op", MAX_PARALLELISM, all, 1 << 30);
    let restored_now = Arc::new(AtomicI64::new(1_120));
    let restored_clock = Arc::clone(&restored_now);
    restored.set_ttl_clock(Arc::new(move || restored_clock.load(Ordering::SeqCst)));
    restored.restore_from(&snapshot).unwrap();
    restored
        .value_state::<VoidNamespace, String>(
            &ValueStateDescriptor::new("v").enable_time_to_live(ttl),
        )
        .unwrap();
    restored
        .list_state::<VoidNamespace, i64>(&ListStateDescriptor::new("l").enable_time_to_live(ttl))
        .unwrap();
    assert_eq!(restored.entry_count(), live_values + live_lists);
    // The snapshot's sections were spooled to a file that goes with the snapshot.
    assert!(
        snapshot
            .keyed
            .values()
            .flat_map(|sections| sections.values())
            .any(|section| matches!(section, weir::checkpoint::SectionBytes::InFile(_)))
    );
    drop((state, snapshot));
    assert_eq!(env.spill_files(), 0);
    assert_eq!(env.memory.used_pages(), 0);
}

#[test]
fn merging_namespaces_of_spilled_sessions_and_iterating_keys() {
    let env = ManagedEnv::new();
    let all = KeyGroupRange::all(MAX_PARALLELISM);
    let mut state = env.backend::<i64>(MAX_PARALLELISM, all, SHARE_BYTES);
    let aggregating = state
        .aggregating_state::<u32, i64, (u64, i64), String>(&AggregatingStateDescriptor::new(
            "sessions", CountSum,
        ))
        .unwrap();
    let list = state
        .list_state::<u32, i64>(&ListStateDescriptor::new("contents"))
        .unwrap();
    for round in 0..4u32 {
        for key in 0..KEYS {
            state.set_current_key(key);
            state
                .aggregating_add(aggregating, &round, &(key + i64::from(round)))
                .unwrap();
            state
                .list_add(list, &round, key * 10 + i64::from(round))
                .unwrap();
        }
    }
    assert!(state.evictions() > KEYS as u64);
    // keys() and namespaces() see spilled entries.
    let mut keys = state.keys(aggregating, &2);
    keys.sort();
    assert_eq!(keys, (0..KEYS).collect::<Vec<_>>());
    state.set_current_key(17);
    let mut namespaces = state.namespaces(list);
    namespaces.sort();
    assert_eq!(namespaces, [0, 1, 2, 3]);

    // Merge the sessions of every key: sources 1, 2, 3 into 0 (Flink's order).
    for key in 0..KEYS {
        state.set_current_key(key);
        state.merge_namespaces(aggregating, &0, &[1, 2, 3]).unwrap();
        state.merge_namespaces(list, &0, &[3, 1, 2]).unwrap();
    }
    assert_eq!(state.entry_count(), 2 * KEYS as usize);
    for key in 0..KEYS {
        state.set_current_key(key);
        assert_eq!(
            state.aggregating_acc(aggregating, &0),
            Some(&(4, 4 * key + 6)),
            "key {key}"
        );
        assert_eq!(state.aggregating_acc(aggregating, &2), None);
        assert_eq!(
            state.list_get(list, &0).unwrap(),
            [key * 10, key * 10 + 3, key * 10 + 1, key * 10 + 2]
        );
        if key % 500 == 0 {
            // A walk over the spilled entries each: a few keys only.
            assert_eq!(state.namespaces(list), [0]);
        }
    }
    state.check_failure().unwrap();
    drop(state);
    assert_eq!(env.spill_files(), 0);
}
