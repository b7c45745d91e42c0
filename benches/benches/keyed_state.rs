//! Keyed state (hashmap backend): the per-event work of a tumbling-window aggregation —
//! `set_current_key` + `aggregating_add` into the event's window — against a baseline that
//! keeps the same accumulators in one std `HashMap<(key, window), acc>`.
//!
//! 10,000 keys, 100,000 events per second of event time, windows of 10 s: each key has one or
//! two open windows, as in the WindowAggregate job.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weir::state::{
    AggregateFunction, AggregatingStateDescriptor, KeyGroupRange, KeyedStateBackend,
};

const KEYS: i64 = 10_000;
const EVENTS: i64 = 1_000_000;
const WINDOW_MS: i64 = 10_000;
const MAX_PARALLELISM: u32 = 128;

struct CountSum;

impl AggregateFunction<i64, (u64, i64), (u64, i64)> for CountSum {
    fn create_accumulator(&self) -> (u64, i64) {
        (0, 0)
    }

    fn add(&self, value: &i64, acc: &mut (u64, i64)) {
        acc.0 += 1;
        acc.1 += value;
    }

    fn get_result(&self, acc: &(u64, i64)) -> (u64, i64) {
        *acc
    }

    fn merge(&self, a: (u64, i64), b: (u64, i64)) -> (u64, i64) {
        (a.0 + b.0, a.1 + b.1)
    }
}

/// Event `i`: (key, event time, value): keys in a scrambled order, 100,000 events per second
/// of event time.
fn event(i: i64) -> (i64, i64, i64) {
    let key = i.wrapping_mul(7919) % KEYS;
    (key, i / 100, i & 0xff)
}

fn window_of(timestamp_ms: i64) -> (i64, i64) {
    let start = timestamp_ms - timestamp_ms.rem_euclid(WINDOW_MS);
    (start, start + WINDOW_MS)
}

fn keyed_state(c: &mut Criterion) {
    let mut group = c.benchmark_group("keyed_state");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.bench_function("aggregating_add/hashmap_backend", |bench| {
        bench.iter(|| {
            let mut state = KeyedStateBackend::<i64>::new(
                "bench",
                MAX_PARALLELISM,
                KeyGroupRange::all(MAX_PARALLELISM),
                u64::MAX,
            );
            let handle = state
                .aggregating_state::<(i64, i64), i64, (u64, i64), (u64, i64)>(
                    &AggregatingStateDescriptor::new("window-contents", CountSum),
                )
                .unwrap();
            for i in 0..EVENTS {
                let (key, timestamp_ms, value) = event(i);
                state.set_current_key(key);
                state
                    .aggregating_add(handle, &window_of(timestamp_ms), &value)
                    .unwrap();
            }
            black_box(state.heap_bytes())
        })
    });
    group.bench_function("aggregating_add/std_hashmap_baseline", |bench| {
        bench.iter(|| {
            let mut accumulators: HashMap<(i64, (i64, i64)), (u64, i64)> = HashMap::new();
            for i in 0..EVENTS {
                let (key, timestamp_ms, value) = event(i);
                let acc = accumulators
                    .entry((key, window_of(timestamp_ms)))
                    .or_insert((0, 0));
                acc.0 += 1;
                acc.1 += value;
            }
            black_box(accumulators.len())
        })
    });
    group.finish();
}

criterion_group!(benches, keyed_state);
criterion_main!(benches);
