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
    assert!(restored.heap_bytes() > 0);
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

// ---- TTL ----

mod ttl {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::state::{StateTtlConfig, StateVisibility, UpdateType};

    struct ManualClock(Arc<AtomicI64>);

    impl ManualClock {
        fn install<K: StateKey>(state: &mut KeyedStateBackend<K>) -> ManualClock {
            let now = Arc::new(AtomicI64::new(1_000));
            let read = Arc::clone(&now);
            state.set_ttl_clock(Arc::new(move || read.load(Ordering::SeqCst)));
            ManualClock(now)
        }

        fn set(&self, now_ms: i64) {
            self.0.store(1_000 + now_ms, Ordering::SeqCst);
        }
    }

    fn ttl(update: UpdateType, visibility: StateVisibility) -> StateTtlConfig {
        StateTtlConfig::new_builder(Duration::from_millis(100))
            .set_update_type(update)
            .set_state_visibility(visibility)
            .build()
    }

    const NS: VoidNamespace = VoidNamespace;

    #[test]
    fn value_expires_after_its_last_write() {
        let mut state = backend::<i64>();
        let clock = ManualClock::install(&mut state);
        let descriptor = ValueStateDescriptor::<String>::new("v").enable_time_to_live(ttl(
            UpdateType::OnCreateAndWrite,
            StateVisibility::NeverReturnExpired,
        ));
        let value = state
            .value_state::<VoidNamespace, String>(&descriptor)
            .unwrap();
        state.set_current_key(1);
        state.update_value(value, &NS, "a".into()).unwrap();
        clock.set(99);
        assert_eq!(state.value(value, &NS).as_deref(), Some("a"));
        clock.set(100);
        assert_eq!(state.value(value, &NS), None);
        assert_eq!(state.entry_count(), 0);
        assert_eq!(state.heap_bytes(), 0);
        // A write starts a new lifetime.
        state.update_value(value, &NS, "b".into()).unwrap();
        clock.set(199);
        assert_eq!(state.value(value, &NS).as_deref(), Some("b"));
    }

    #[test]
    fn reads_refresh_with_on_read_and_write() {
        let mut state = backend::<i64>();
        let clock = ManualClock::install(&mut state);
        let descriptor = ValueStateDescriptor::<i64>::new("v").enable_time_to_live(ttl(
            UpdateType::OnReadAndWrite,
            StateVisibility::NeverReturnExpired,
        ));
        let value = state
            .value_state::<VoidNamespace, i64>(&descriptor)
            .unwrap();
        state.set_current_key(1);
        state.update_value(value, &NS, 5).unwrap();
        clock.set(60);
        assert_eq!(state.value(value, &NS), Some(5));
        clock.set(150);
        assert_eq!(
            state.value(value, &NS),
            Some(5),
            "the read at 60 refreshed it"
        );
        clock.set(250);
        assert_eq!(state.value(value, &NS), None);
    }

    #[test]
    fn return_expired_if_not_cleaned_up_returns_it_once() {
        let mut state = backend::<i64>();
        let clock = ManualClock::install(&mut state);
        let descriptor = ValueStateDescriptor::<String>::new("v").enable_time_to_live(ttl(
            UpdateType::OnCreateAndWrite,
            StateVisibility::ReturnExpiredIfNotCleanedUp,
        ));
        let value = state
            .value_state::<VoidNamespace, String>(&descriptor)
            .unwrap();
        state.set_current_key(1);
        state.update_value(value, &NS, "old".into()).unwrap();
        clock.set(500);
        assert_eq!(state.value_ref(value, &NS).map(String::as_str), Some("old"));
        assert_eq!(state.value_ref(value, &NS), None, "the read cleaned it up");
        assert_eq!(state.heap_bytes(), 0);
    }

    #[test]
    fn list_values_expire_one_by_one() {
        for visibility in [
            StateVisibility::NeverReturnExpired,
            StateVisibility::ReturnExpiredIfNotCleanedUp,
        ] {
            let mut state = backend::<i64>();
            let clock = ManualClock::install(&mut state);
            let descriptor = ListStateDescriptor::<String>::new("l")
                .enable_time_to_live(ttl(UpdateType::OnCreateAndWrite, visibility));
            let list = state
                .list_state::<VoidNamespace, String>(&descriptor)
                .unwrap();
            state.set_current_key(1);
            state.list_add(list, &NS, "a".into()).unwrap();
            clock.set(50);
            state.list_add(list, &NS, "b".into()).unwrap();
            clock.set(120);
            let expected: &[&str] = match visibility {
                StateVisibility::NeverReturnExpired => &["b"],
                StateVisibility::ReturnExpiredIfNotCleanedUp => &["a", "b"],
            };
            assert_eq!(state.list_get(list, &NS).unwrap(), expected);
            assert_eq!(state.list_get(list, &NS).unwrap(), ["b"]);
            clock.set(150);
            match visibility {
                StateVisibility::NeverReturnExpired => {
                    assert_eq!(state.list_get(list, &NS), None)
                }
                StateVisibility::ReturnExpiredIfNotCleanedUp => {
                    assert_eq!(state.list_get(list, &NS).unwrap(), ["b"]);
                    assert_eq!(state.list_get(list, &NS), None);
                }
            }
            assert_eq!(state.heap_bytes(), 0);
        }
    }

    #[test]
    fn map_entries_expire_one_by_one() {
        for update in [UpdateType::OnCreateAndWrite, UpdateType::OnReadAndWrite] {
            let mut state = backend::<i64>();
            let clock = ManualClock::install(&mut state);
            let descriptor = MapStateDescriptor::<u32, String>::new("m")
                .enable_time_to_live(ttl(update, StateVisibility::ReturnExpiredIfNotCleanedUp));
            let map = state
                .map_state::<VoidNamespace, u32, String>(&descriptor)
                .unwrap();
            state.set_current_key(1);
            state.map_put(map, &NS, 1, "x".into()).unwrap();
            clock.set(50);
            state.map_put(map, &NS, 2, "y".into()).unwrap();
            clock.set(90);
            assert!(state.map_contains(map, &NS, &1));
            clock.set(120);
            match update {
                UpdateType::OnCreateAndWrite => {
                    assert_eq!(state.map_get(map, &NS, &1).map(String::as_str), Some("x"));
                    assert_eq!(state.map_get(map, &NS, &1), None, "returned once");
                }
                UpdateType::OnReadAndWrite => {
                    assert_eq!(state.map_get(map, &NS, &1).map(String::as_str), Some("x"));
                    clock.set(195);
                    assert!(state.map_contains(map, &NS, &1), "refreshed at 120");
                    clock.set(120);
                }
            }
            assert_eq!(state.map_get(map, &NS, &2).map(String::as_str), Some("y"));
            clock.set(1_000);
            let mut entries = state.map_entries(map, &NS);
            entries.sort();
            let expected_len = match update {
                UpdateType::OnCreateAndWrite => 1,
                UpdateType::OnReadAndWrite => 2,
            };
            assert_eq!(
                entries.len(),
                expected_len,
                "expired ones returned this once"
            );
            assert!(state.map_entries(map, &NS).is_empty());
            assert_eq!(state.heap_bytes(), 0);
        }
    }

    #[test]
    fn expired_accumulators_and_reductions_start_again() {
        let mut state = backend::<i64>();
        let clock = ManualClock::install(&mut state);
        let config = ttl(
            UpdateType::OnCreateAndWrite,
            StateVisibility::NeverReturnExpired,
        );
        let aggregating = state
            .aggregating_state::<u8, i64, (u64, i64), String>(
                &AggregatingStateDescriptor::new("a", CountSum).enable_time_to_live(config),
            )
            .unwrap();
        let reducing = state
            .reducing_state::<u8, i64>(
                &ReducingStateDescriptor::new("r", |a: &i64, b: &i64| a + b)
                    .enable_time_to_live(config),
            )
            .unwrap();
        state.set_current_key(3);
        state.aggregating_add(aggregating, &0, &5).unwrap();
        state.reducing_add(reducing, &0, 5).unwrap();
        clock.set(90);
        state.aggregating_add(aggregating, &0, &6).unwrap();
        state.reducing_add(reducing, &0, 6).unwrap();
        clock.set(180);
        assert_eq!(
            state.aggregating_get(aggregating, &0).as_deref(),
            Some("2/11")
        );
        assert_eq!(state.reducing_get(reducing, &0), Some(&11));
        clock.set(190);
        state.aggregating_add(aggregating, &0, &7).unwrap();
        state.reducing_add(reducing, &0, 7).unwrap();
        assert_eq!(
            state.aggregating_get(aggregating, &0).as_deref(),
            Some("1/7")
        );
        assert_eq!(state.reducing_get(reducing, &0), Some(&7));
        // Merging leaves expired namespaces out.
        state.aggregating_add(aggregating, &1, &100).unwrap();
        clock.set(250);
        state.aggregating_add(aggregating, &2, &1000).unwrap();
        clock.set(295);
        state.merge_namespaces(aggregating, &2, &[0, 1]).unwrap();
        assert_eq!(
            state.aggregating_get(aggregating, &2).as_deref(),
            Some("1/1000")
        );
        assert_eq!(state.namespaces(aggregating), [2]);
    }

    #[test]
    fn snapshots_and_cleanup_leave_expired_entries_out() {
        let mut state = backend::<i64>();
        let clock = ManualClock::install(&mut state);
        let descriptor = ValueStateDescriptor::<String>::new("v").enable_time_to_live(ttl(
            UpdateType::OnCreateAndWrite,
            StateVisibility::NeverReturnExpired,
        ));
        let value = state
            .value_state::<VoidNamespace, String>(&descriptor)
            .unwrap();
        for key in 0..100i64 {
            clock.set(if key % 2 == 0 { 0 } else { 80 });
            state.set_current_key(key);
            state.update_value(value, &NS, format!("v{key}")).unwrap();
        }
        clock.set(120);
        let mut snapshot = OperatorSnapshot::default();
        state.snapshot_into(&mut snapshot).unwrap();
        assert_eq!(
            state.entry_count(),
            100,
            "a snapshot does not change the state"
        );
        let bytes_before = state.heap_bytes();
        state.cleanup_expired().unwrap();
        assert_eq!(state.entry_count(), 50);
        assert!(state.heap_bytes() < bytes_before);

        let mut restored = backend::<i64>();
        let restored_clock = ManualClock::install(&mut restored);
        restored_clock.set(120);
        restored.restore_from(&snapshot).unwrap();
        let value = restored
            .value_state::<VoidNamespace, String>(&descriptor)
            .unwrap();
        assert_eq!(restored.entry_count(), 50);
        assert_eq!(restored.heap_bytes(), state.heap_bytes());
        restored.set_current_key(7);
        assert_eq!(restored.value(value, &NS).as_deref(), Some("v7"));
        restored_clock.set(180);
        assert_eq!(
            restored.value(value, &NS),
            None,
            "timestamps survive the restore"
        );

        // TTL on one side only: incompatible.
        let mut without_ttl = backend::<i64>();
        without_ttl.restore_from(&snapshot).unwrap();
        assert!(matches!(
            without_ttl.value_state::<VoidNamespace, String>(&ValueStateDescriptor::new("v")),
            Err(WeirError::IncompatibleState { .. })
        ));
    }
}

// ---- heap budget ----

#[test]
fn exceeding_the_heap_budget_fails_and_clearing_gives_every_byte_back() {
    let mut state = KeyedStateBackend::<String>::new(
        "Window(sum)",
        MAX_PARALLELISM,
        KeyGroupRange::all(MAX_PARALLELISM),
        64 * 1024,
    );
    let value = state
        .value_state::<VoidNamespace, String>(&ValueStateDescriptor::new("big"))
        .unwrap();
    let list = state
        .list_state::<u8, Vec<u8>>(&ListStateDescriptor::new("l"))
        .unwrap();
    state.set_current_key("k".repeat(100));
    state
        .update_value(value, &VoidNamespace, "x".repeat(10_000))
        .unwrap();
    assert!(state.heap_bytes() >= 10_100, "{}", state.heap_bytes());
    state
        .update_value(value, &VoidNamespace, "x".repeat(10))
        .unwrap();
    assert!(state.heap_bytes() < 1_000, "{}", state.heap_bytes());
    let mut added = 0;
    let error = loop {
        match state.list_add(list, &(added % 3), vec![1u8; 1000]) {
            Ok(()) => added += 1,
            Err(error) => break error,
        }
        assert!(added < 100, "the budget is never reached");
    };
    assert!(added >= 50, "{added}");
    let WeirError::StateHeapBudgetExceeded {
        operator,
        state: state_name,
        used_bytes,
        budget_bytes,
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(
        (operator.as_str(), state_name.as_str()),
        ("Window(sum)", "l")
    );
    assert!(*used_bytes > 64 * 1024 && *budget_bytes == 64 * 1024);
    assert!(
        error
            .to_string()
            .contains("taskmanager.memory.task.heap.size")
    );
    assert!(state.heap_bytes() <= 64 * 1024);
    for ns in 0..3 {
        state.clear(list, &ns);
    }
    state.clear(value, &VoidNamespace);
    assert_eq!(state.heap_bytes(), 0);

    // Restoring more than the budget fails too.
    let mut big = backend::<String>();
    let value_big = big
        .value_state::<VoidNamespace, String>(&ValueStateDescriptor::new("big"))
        .unwrap();
    for key in 0..20 {
        big.set_current_key(key.to_string());
        big.update_value(value_big, &VoidNamespace, "y".repeat(5_000))
            .unwrap();
    }
    let mut snapshot = OperatorSnapshot::default();
    big.snapshot_into(&mut snapshot).unwrap();
    let mut small = KeyedStateBackend::<String>::new(
        "op",
        MAX_PARALLELISM,
        KeyGroupRange::all(MAX_PARALLELISM),
        50_000,
    );
    small.restore_from(&snapshot).unwrap();
    assert!(matches!(
        small.value_state::<VoidNamespace, String>(&ValueStateDescriptor::new("big")),
        Err(WeirError::StateHeapBudgetExceeded { .. })
    ));
}

// ---- corrupt bytes ----

fn one_state_snapshot() -> OperatorSnapshot {
    let mut state = backend::<String>();
    let list = state
        .list_state::<u32, String>(&ListStateDescriptor::new("l"))
        .unwrap();
    for key in 0..40 {
        state.set_current_key(format!("key{key}"));
        state
            .list_add(list, &(key % 4), "z".repeat(key as usize * 200))
            .unwrap();
        state.list_add(list, &7, "w".into()).unwrap();
    }
    let mut snapshot = OperatorSnapshot::default();
    state.snapshot_into(&mut snapshot).unwrap();
    snapshot
}

fn restore_list(snapshot: &OperatorSnapshot) -> Result<(), WeirError> {
    let mut state = backend::<String>();
    state.restore_from(snapshot)?;
    state
        .list_state::<u32, String>(&ListStateDescriptor::new("l"))
        .map(drop)
}

#[test]
fn truncated_or_altered_sections_are_errors_not_panics() {
    let snapshot = one_state_snapshot();
    restore_list(&snapshot).unwrap();
    let (&group, sections) = snapshot
        .keyed
        .iter()
        .max_by_key(|(_, sections)| sections["state:l"].len())
        .unwrap();
    let bytes = sections["state:l"].read().unwrap().to_vec();
    for cut in (0..bytes.len()).step_by(bytes.len() / 200 + 1) {
        let mut corrupt = snapshot.clone();
        corrupt.put_keyed(group, "state:l", bytes[..cut].to_vec());
        let error = restore_list(&corrupt).unwrap_err();
        assert!(
            matches!(
                error,
                WeirError::CorruptSnapshot { .. } | WeirError::IncompatibleState { .. }
            ),
            "cut {cut}: {error}"
        );
    }
    let mut longer = snapshot.clone();
    let mut extended = bytes.clone();
    extended.push(0);
    longer.put_keyed(group, "state:l", extended);
    assert!(matches!(
        restore_list(&longer),
        Err(WeirError::CorruptSnapshot { .. })
    ));
    // The section of another key group: its keys are in the wrong group.
    let other = *snapshot.keyed.keys().find(|&&g| g != group).unwrap();
    let mut moved = snapshot.clone();
    moved.put_keyed(other, "state:l", bytes.clone());
    let error = restore_list(&moved).unwrap_err();
    assert!(error.to_string().contains("key group"), "{error}");
    // Another format version.
    let mut versioned = snapshot.clone();
    let mut bumped = bytes.clone();
    bumped[0] = 9;
    versioned.put_keyed(group, "state:l", bumped);
    assert!(
        restore_list(&versioned)
            .unwrap_err()
            .to_string()
            .contains("version")
    );
    // Key groups outside the range.
    let mut outside = snapshot.clone();
    outside.put_keyed(MAX_PARALLELISM + 3, "state:l", bytes.clone());
    assert!(matches!(
        backend::<String>().restore_from(&outside),
        Err(WeirError::IncompatibleState { .. })
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn random_bytes_in_a_section_never_panic(
        garbage in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        keep in 0usize..120,
        flips in proptest::collection::vec((0usize..5000, 1u8..=255), 0..4),
    ) {
        let snapshot = one_state_snapshot();
        let (&group, sections) = snapshot.keyed.iter().next().unwrap();
        let bytes = sections["state:l"].read().unwrap().to_vec();
        // A valid prefix (header and some entries) followed by garbage.
        let mut corrupt_bytes = bytes[..keep.min(bytes.len())].to_vec();
        corrupt_bytes.extend_from_slice(&garbage);
        let mut corrupt = snapshot.clone();
        corrupt.put_keyed(group, "state:l", corrupt_bytes);
        let _ = restore_list(&corrupt);
        // Flipped bytes in a valid section.
        let mut flipped_bytes = bytes.clone();
        for (position, mask) in flips {
            let index = position % flipped_bytes.len();
            flipped_bytes[index] ^= mask;
        }
        let mut flipped = snapshot.clone();
        flipped.put_keyed(group, "state:l", flipped_bytes);
        let _ = restore_list(&flipped);
    }
}

// ---- against an oracle ----

mod oracle {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// Keys: None, a hot key, and a few others (duplicate-heavy).
    type TestKey = Option<String>;

    #[derive(Debug, Clone)]
    enum Op {
        SetKey(TestKey),
        UpdateValue(u8, String),
        ClearValue(u8),
        ListAdd(u8, String),
        ListUpdate(u8, Vec<String>),
        AggAdd(u8, i64),
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
            3 => (0u8..6).prop_map(|k| Some(format!("k{k}"))),
        ]
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "[a-z]{0,6}",
            1 => (1usize..9000).prop_map(|len| "p".repeat(len)),
        ]
    }

    fn op_strategy() -> impl Strategy<Value = Op> {
        let ns = 0u8..4;
        prop_oneof![
            3 => key_strategy().prop_map(Op::SetKey),
            2 => (ns.clone(), value_strategy()).prop_map(|(n, v)| Op::UpdateValue(n, v)),
            1 => ns.clone().prop_map(Op::ClearValue),
            3 => (ns.clone(), value_strategy()).prop_map(|(n, v)| Op::ListAdd(n, v)),
            1 => (ns.clone(), proptest::collection::vec(value_strategy(), 0..3))
                .prop_map(|(n, v)| Op::ListUpdate(n, v)),
            3 => (ns.clone(), -50i64..50).prop_map(|(n, v)| Op::AggAdd(n, v)),
            2 => (ns.clone(), 0u16..5, value_strategy()).prop_map(|(n, k, v)| Op::MapPut(n, k, v)),
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
        maps: BTreeMap<(TestKey, u8), BTreeMap<u16, String>>,
    }

    /// Flink's merge: the sources (in order, each once, not the target) appended to the
    /// target; nothing changes when no source has an entry.
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
            map: state.map_state(&MapStateDescriptor::new("map")).unwrap(),
        }
    }

    /// Checks every entry of the model for the keys of `state`'s range, and the entry count.
    fn check_all(
        state: &mut KeyedStateBackend<TestKey>,
        handles: &Handles,
        model: &Model,
    ) -> Result<(), TestCaseError> {
        let owned = |state: &KeyedStateBackend<TestKey>, key: &TestKey| {
            state
                .key_groups()
                .contains(key_group_of(&TestKey::comparator(), key, MAX_PARALLELISM))
        };
        let mut expected_count = 0;
        for ((key, ns), value) in &model.values {
            if owned(state, key) {
                state.set_current_key(key.clone());
                prop_assert_eq!(state.value_ref(handles.value, ns), Some(value));
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
        for ((key, ns), map) in &model.maps {
            if owned(state, key) {
                state.set_current_key(key.clone());
                let mut entries = state.map_entries(handles.map, ns);
                entries.sort();
                let expected: Vec<(u16, String)> =
                    map.iter().map(|(k, v)| (*k, v.clone())).collect();
                prop_assert_eq!(entries, expected);
                expected_count += 1;
            }
        }
        prop_assert_eq!(state.entry_count(), expected_count);
        Ok(())
    }

    fn snapshot_of(state: &KeyedStateBackend<TestKey>) -> OperatorSnapshot {
        let mut snapshot = OperatorSnapshot::default();
        state.snapshot_into(&mut snapshot).unwrap();
        snapshot
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn random_operations_agree_with_a_btree_map_model(
            ops in proptest::collection::vec(op_strategy(), 0..120),
            new_parallelism in 2usize..5,
        ) {
            let mut state = backend::<TestKey>();
            let mut handles = register(&mut state);
            let mut model = Model::default();
            let mut key: TestKey = Some("hot".to_owned());
            state.set_current_key(key.clone());
            for op in ops {
                match op {
                    Op::SetKey(next) => {
                        key = next;
                        state.set_current_key(key.clone());
                    }
                    Op::UpdateValue(ns, value) => {
                        state.update_value(handles.value, &ns, value.clone()).unwrap();
                        model.values.insert((key.clone(), ns), value);
                    }
                    Op::ClearValue(ns) => {
                        state.clear(handles.value, &ns);
                        model.values.remove(&(key.clone(), ns));
                    }
                    Op::ListAdd(ns, value) => {
                        state.list_add(handles.list, &ns, value.clone()).unwrap();
                        model.lists.entry((key.clone(), ns)).or_default().push(value);
                    }
                    Op::ListUpdate(ns, values) => {
                        state.list_update(handles.list, &ns, values.clone()).unwrap();
                        if values.is_empty() {
                            model.lists.remove(&(key.clone(), ns));
                        } else {
                            model.lists.insert((key.clone(), ns), values);
                        }
                    }
                    Op::AggAdd(ns, value) => {
                        state.aggregating_add(handles.agg, &ns, &value).unwrap();
                        let acc = model.aggs.entry((key.clone(), ns)).or_default();
                        acc.0 += 1;
                        acc.1 += value;
                    }
                    Op::MapPut(ns, user_key, value) => {
                        state.map_put(handles.map, &ns, user_key, value.clone()).unwrap();
                        model.maps.entry((key.clone(), ns)).or_default().insert(user_key, value);
                    }
                    Op::MapRemove(ns, user_key) => {
                        let removed = state.map_remove(handles.map, &ns, &user_key).unwrap();
                        let entry_key = (key.clone(), ns);
                        let expected = model.maps.get_mut(&entry_key).and_then(|m| m.remove(&user_key));
                        if model.maps.get(&entry_key).is_some_and(BTreeMap::is_empty) {
                            model.maps.remove(&entry_key);
                        }
                        prop_assert_eq!(removed, expected);
                    }
                    Op::MergeList(target, sources) => {
                        state.merge_namespaces(handles.list, &target, &sources).unwrap();
                        merge_model(&mut model.lists, &key, target, &sources, |mut a, b| {
                            a.extend(b);
                            a
                        });
                    }
                    Op::MergeAgg(target, sources) => {
                        state.merge_namespaces(handles.agg, &target, &sources).unwrap();
                        merge_model(&mut model.aggs, &key, target, &sources, |a, b| {
                            (a.0 + b.0, a.1 + b.1)
                        });
                    }
                    Op::SnapshotRestore => {
                        let snapshot = snapshot_of(&state);
                        let bytes_before = state.heap_bytes();
                        state = backend::<TestKey>();
                        state.restore_from(&snapshot).unwrap();
                        handles = register(&mut state);
                        prop_assert_eq!(state.heap_bytes(), bytes_before);
                        state.set_current_key(key.clone());
                    }
                }
            }
            check_all(&mut state, &handles, &model)?;

            // Restore at another parallelism: the subtasks hold exactly the model between them.
            let snapshot = snapshot_of(&state);
            let parts = redistribute("op", vec![snapshot], new_parallelism, MAX_PARALLELISM).unwrap();
            let mut total_entries = 0;
            for (subtask, part) in parts.iter().enumerate() {
                let range = KeyGroupRange::for_subtask(MAX_PARALLELISM, new_parallelism, subtask);
                let mut restored = KeyedStateBackend::<TestKey>::new("op", MAX_PARALLELISM, range, AMPLE_BYTES);
                restored.restore_from(part).unwrap();
                let restored_handles = register(&mut restored);
                check_all(&mut restored, &restored_handles, &model)?;
                total_entries += restored.entry_count();
            }
            prop_assert_eq!(total_entries, state.entry_count());

            // Clearing everything gives every counted byte back.
            let namespaces: Vec<(TestKey, u8)> = model
                .values
                .keys()
                .chain(model.lists.keys())
                .chain(model.aggs.keys())
                .chain(model.maps.keys())
                .cloned()
                .collect();
            for (key, ns) in namespaces {
                state.set_current_key(key);
                state.clear(handles.value, &ns);
                state.clear(handles.list, &ns);
                state.clear(handles.agg, &ns);
                state.clear(handles.map, &ns);
            }
            prop_assert_eq!(state.entry_count(), 0);
            prop_assert_eq!(state.heap_bytes(), 0);
        }
    }
}
