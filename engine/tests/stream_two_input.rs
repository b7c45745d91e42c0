//! Two-input operators end to end through the DataStream API: connect with co-map and
//! co-flat-map, keyed co-process functions with shared state and timers, the broadcast state
//! pattern, interval joins and window joins — each against an oracle computed in the test,
//! at several parallelisms, and exactly-once through a failure and restart.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use weir::api::functions::UserError;
use weir::api::stream::{
    BroadcastContext, JoinContext, KeyedBroadcastProcessFunction, KeyedCoProcessFunction,
    KeyedContext, KeyedStateContext, ListState, ProcessJoinFunction, StreamCollector,
    StreamExecutionEnvironment, ValueState,
};
use weir::config::Configuration;
use weir::eventtime::WatermarkStrategy;
use weir::state::{BroadcastStates, ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor};
use weir::windowing::TumblingEventTimeWindows;

fn env(parallelism: usize, pairs: &[(&str, &str)]) -> StreamExecutionEnvironment {
    let mut all: Vec<(&str, &str)> = vec![
        ("taskmanager.memory.process.size", "512m"),
        ("execution.buffer-timeout", "5 ms"),
    ];
    all.extend_from_slice(pairs);
    let env = StreamExecutionEnvironment::new(Configuration::from_pairs(all).unwrap());
    env.set_parallelism(parallelism);
    env
}

fn sorted<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values
}

#[test]
fn co_map_and_co_flat_map_merge_both_inputs_at_several_parallelisms() {
    let numbers: Vec<u64> = (0..3000).collect();
    let words: Vec<String> = (0..2000).map(|i| "x".repeat(i % 17)).collect();
    let mut expected_map: Vec<u64> = numbers.iter().map(|n| n * 2).collect();
    expected_map.extend(words.iter().map(|w| w.len() as u64 + 1_000_000));
    let mut expected_flat: Vec<u64> = numbers.iter().flat_map(|n| [*n, *n]).collect();
    expected_flat.extend(
        words
            .iter()
            .filter(|w| !w.is_empty())
            .map(|w| w.len() as u64),
    );
    for parallelism in 1..=3 {
        let env = env(parallelism, &[]);
        let a = env.from_collection(numbers.clone());
        let b = env.from_collection(words.clone());
        let mapped = a
            .connect(&b.clone().rebalance())
            .map(|n| n * 2, |w: String| w.len() as u64 + 1_000_000)
            .collect_sink();
        let flat = a
            .connect(&b)
            .flat_map(
                |n, out: &mut StreamCollector<'_, u64>| {
                    out.collect(n);
                    out.collect(n);
                },
                |w: String, out: &mut StreamCollector<'_, u64>| {
                    if !w.is_empty() {
                        out.collect(w.len() as u64);
                    }
                },
            )
            .collect_sink();
        env.execute("co-map").unwrap();
        assert_eq!(sorted(mapped.records()), sorted(expected_map.clone()));
        assert_eq!(sorted(flat.records()), sorted(expected_flat.clone()));
    }
}

/// Pairs each order `(id, order_ms)` with its payment `(id, payment_ms)`, in whichever order
/// they arrive: `(id, payment_ms - order_ms)`; an order without a payment by `order_ms + 10`
/// (event time) expires as `(id, -1)`.
#[derive(Clone, Default)]
struct PairPayments {
    order: Option<ValueState<i64>>,
    payment: Option<ValueState<i64>>,
}

impl KeyedCoProcessFunction<u64, (u64, i64), (u64, i64), (u64, i64)> for PairPayments {
    fn open(&mut self, context: &mut KeyedStateContext<'_, u64>) -> Result<(), UserError> {
        self.order = Some(context.value_state(&ValueStateDescriptor::new("order"))?);
        self.payment = Some(context.value_state(&ValueStateDescriptor::new("payment"))?);
        Ok(())
    }

    fn process_element1(
        &mut self,
        (id, order_ms): (u64, i64),
        context: &mut KeyedContext<'_, u64>,
        out: &mut StreamCollector<'_, (u64, i64)>,
    ) -> Result<(), UserError> {
        let payment = self.payment.unwrap();
        match context.value(payment) {
            Some(payment_ms) => {
                context.clear(payment);
                out.collect((id, payment_ms - order_ms));
            }
            None => {
                context.update(self.order.unwrap(), order_ms)?;
                context.register_event_time_timer(order_ms + 10);
            }
        }
        Ok(())
    }

    fn process_element2(
        &mut self,
        (id, payment_ms): (u64, i64),
        context: &mut KeyedContext<'_, u64>,
        out: &mut StreamCollector<'_, (u64, i64)>,
    ) -> Result<(), UserError> {
        let order = self.order.unwrap();
        match context.value(order) {
            Some(order_ms) => {
                context.clear(order);
                out.collect((id, payment_ms - order_ms));
            }
            None => context.update(self.payment.unwrap(), payment_ms)?,
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        _timestamp: i64,
        context: &mut KeyedContext<'_, u64>,
        out: &mut StreamCollector<'_, (u64, i64)>,
    ) -> Result<(), UserError> {
        let order = self.order.unwrap();
        if context.value(order).is_some() {
            context.clear(order);
            out.collect((*context.current_key(), -1));
        }
        Ok(())
    }
}

/// `(id, ms)` records: orders, payments, or the expected pairing output.
type Timed = Vec<(u64, i64)>;

/// Orders every 2 ms; ids divisible by 3 are never paid, the others within 0..=9 ms.
fn orders_and_payments(count: u64) -> (Timed, Timed, Timed) {
    let orders: Vec<(u64, i64)> = (0..count).map(|id| (id, id as i64 * 2)).collect();
    let mut payments: Vec<(u64, i64)> = (0..count)
        .filter(|id| id % 3 != 0)
        .map(|id| (id, id as i64 * 2 + (id % 10) as i64))
        .collect();
    payments.sort_by_key(|(_, ms)| *ms);
    let expected = (0..count)
        .map(|id| match id % 3 {
            0 => (id, -1),
            _ => (id, (id % 10) as i64),
        })
        .collect();
    (orders, payments, expected)
}

fn timestamps_of_second() -> WatermarkStrategy<(u64, i64)> {
    WatermarkStrategy::for_monotonous_timestamps()
        .with_timestamp_assigner(|record: &(u64, i64), _| record.1)
}

#[test]
fn keyed_co_process_shares_state_and_timers_between_both_inputs() {
    let (orders, payments, expected) = orders_and_payments(4000);
    for parallelism in 1..=3 {
        let env = env(parallelism, &[]);
        let orders = env
            .from_collection(orders.clone())
            .assign_timestamps_and_watermarks(timestamps_of_second());
        let payments = env
            .from_collection(payments.clone())
            .assign_timestamps_and_watermarks(timestamps_of_second());
        let result = orders
            .connect(&payments)
            .key_by(|order| order.0, |payment| payment.0)
            .process(PairPayments::default())
            .collect_sink();
        env.execute("pair-payments").unwrap();
        assert_eq!(sorted(result.records()), expected, "p = {parallelism}");
    }
}

/// Fails the job once, after `after` records went through it in the first attempt.
fn fail_once<T>(after: u64) -> impl FnMut(T) -> T + Clone + Send + Sync + 'static {
    let seen = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    move |value| {
        if failed.load(Ordering::SeqCst) == 0 && seen.fetch_add(1, Ordering::SeqCst) == after {
            failed.store(1, Ordering::SeqCst);
            panic!("failing on purpose after {after} records");
        }
        value
    }
}

#[test]
fn a_two_input_job_restarts_from_its_checkpoint_exactly_once() {
    let checkpoints = tempfile::tempdir().unwrap();
    let dir = checkpoints.path().to_str().unwrap().to_owned();
    let count = 12_000u64;
    let (_, _, expected) = orders_and_payments(count);
    let env = env(
        2,
        &[
            ("execution.checkpointing.interval", "40 ms"),
            ("state.checkpoints.dir", &dir),
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "3"),
            ("restart-strategy.fixed-delay.delay", "10 ms"),
        ],
    );
    // Generated at a limited rate so checkpoints complete before the failure.
    let orders = env
        .generate(Some(count), Some(30_000.0), |id| (id, id as i64 * 2))
        .assign_timestamps_and_watermarks(timestamps_of_second());
    let payments = env
        .generate(Some(count), Some(30_000.0), |id| {
            (id, id as i64 * 2 + (id % 10) as i64)
        })
        .filter(|(id, _)| id % 3 != 0)
        .map(fail_once(count / 3))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(10))
                .with_timestamp_assigner(|record: &(u64, i64), _| record.1),
        );
    let result = orders
        .connect(&payments)
        .key_by(|order| order.0, |payment| payment.0)
        .process(PairPayments::default())
        .collect_sink();
    let outcome = env.execute("pair-payments-exactly-once").unwrap();
    let summary = outcome.streaming.unwrap();
    assert_eq!(summary.restarts, 1, "{summary:?}");
    assert!(summary.checkpoints.completed >= 1, "{summary:?}");
    let records = sorted(result.records());
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    for (id, _) in &records {
        *seen.entry(*id).or_default() += 1;
    }
    assert!(seen.values().all(|n| *n == 1), "a record twice");
    assert_eq!(records, expected);
}

fn prices() -> MapStateDescriptor<String, u64> {
    MapStateDescriptor::new("prices")
}

/// Prices every order `(customer, product, ms)` with the broadcast price list once event time
/// passed the order (so every price published before it is in): `(customer, product, price)`,
/// price 0 for an unknown product.
#[derive(Clone, Default)]
struct PriceOrders {
    pending: Option<ListState<(u32, String, i64)>>,
}

impl KeyedBroadcastProcessFunction<u32, (u32, String, i64), (String, u64, i64), (u32, String, u64)>
    for PriceOrders
{
    fn open(&mut self, context: &mut KeyedStateContext<'_, u32>) -> Result<(), UserError> {
        self.pending = Some(context.list_state(&ListStateDescriptor::new("pending"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        order: (u32, String, i64),
        _broadcast: &BroadcastStates,
        context: &mut KeyedContext<'_, u32>,
        _out: &mut StreamCollector<'_, (u32, String, u64)>,
    ) -> Result<(), UserError> {
        context.register_event_time_timer(order.2);
        context.list_add(self.pending.unwrap(), order)?;
        Ok(())
    }

    fn process_broadcast_element(
        &mut self,
        (product, price, _): (String, u64, i64),
        context: &mut BroadcastContext<'_, u32>,
        _out: &mut StreamCollector<'_, (u32, String, u64)>,
    ) -> Result<(), UserError> {
        context.broadcast_state(&prices())?.put(product, price);
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: i64,
        broadcast: &BroadcastStates,
        context: &mut KeyedContext<'_, u32>,
        out: &mut StreamCollector<'_, (u32, String, u64)>,
    ) -> Result<(), UserError> {
        let pending = self.pending.unwrap();
        let prices = broadcast.get(&prices())?;
        let (due, later): (Vec<_>, Vec<_>) = context
            .list(pending)
            .into_iter()
            .partition(|order| order.2 <= timestamp);
        for (customer, product, _) in due {
            let price = prices.get(&product).copied().unwrap_or(0);
            out.collect((customer, product, price));
        }
        context.list_update(pending, later)?;
        Ok(())
    }
}

#[test]
fn keyed_broadcast_state_reaches_every_subtask_and_prices_every_order() {
    let products = ["apple", "pear", "plum", "fig", "kiwi"];
    // Prices published at 0..5 ms; "kiwi" has none.
    let price_list: Vec<(String, u64, i64)> = products[..4]
        .iter()
        .enumerate()
        .map(|(i, p)| (p.to_string(), 10 * (i as u64 + 1), i as i64))
        .collect();
    let orders: Vec<(u32, String, i64)> = (0..3000u32)
        .map(|i| (i % 97, products[i as usize % 5].to_owned(), 1000 + i as i64))
        .collect();
    let expected: Vec<(u32, String, u64)> = sorted(
        orders
            .iter()
            .map(|(customer, product, _)| {
                let price = price_list
                    .iter()
                    .find(|(p, _, _)| p == product)
                    .map_or(0, |(_, price, _)| *price);
                (*customer, product.clone(), price)
            })
            .collect(),
    );
    for parallelism in 1..=3 {
        let env = env(parallelism, &[]);
        let rules = env
            .from_collection(price_list.clone())
            .assign_timestamps_and_watermarks(
                WatermarkStrategy::for_monotonous_timestamps()
                    .with_timestamp_assigner(|rule: &(String, u64, i64), _| rule.2),
            )
            .broadcast_state(&prices());
        let result = env
            .from_collection(orders.clone())
            .assign_timestamps_and_watermarks(
                WatermarkStrategy::for_monotonous_timestamps()
                    .with_timestamp_assigner(|order: &(u32, String, i64), _| order.2),
            )
            .key_by(|order| order.0)
            .connect_broadcast(&rules)
            .process(PriceOrders::default())
            .collect_sink();
        env.execute("broadcast-prices").unwrap();
        assert_eq!(sorted(result.records()), expected, "p = {parallelism}");
    }
}

/// Deterministic pseudo-random numbers (a 64-bit LCG) for generated inputs.
fn lcg(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed;
    move |bound| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % bound
    }
}

/// `(key, ts, id)` records sorted by time, `count` of them over `keys` keys.
fn timed_records(seed: u64, count: usize, keys: u64, id_base: u64) -> Vec<(u64, i64, u64)> {
    let mut next = lcg(seed);
    let mut ts = 0i64;
    (0..count as u64)
        .map(|i| {
            ts += next(4) as i64; // several records per millisecond, gaps up to 3 ms
            (next(keys), ts, id_base + i)
        })
        .collect()
}

fn by_ts() -> WatermarkStrategy<(u64, i64, u64)> {
    WatermarkStrategy::for_monotonous_timestamps()
        .with_timestamp_assigner(|record: &(u64, i64, u64), _| record.1)
}

#[test]
fn interval_joins_match_a_nested_loop_oracle() {
    type Pair = (u64, u64, u64, i64);
    // (lower, upper, lower exclusive, upper exclusive, parallelism)
    let cases = [
        (-5i64, 10i64, false, false, 2usize),
        (0, 0, false, false, 1),
        (3, 7, true, true, 3),
        (-20, -2, false, true, 2),
    ];
    for (case, (lower, upper, lower_exclusive, upper_exclusive, parallelism)) in
        cases.into_iter().enumerate()
    {
        let left = timed_records(case as u64 + 1, 1500, 13, 0);
        let right = timed_records(case as u64 + 100, 1200, 13, 1_000_000);
        let (low, high) = (
            lower + i64::from(lower_exclusive),
            upper - i64::from(upper_exclusive),
        );
        let mut expected: Vec<Pair> = Vec::new();
        for a in &left {
            for b in &right {
                if a.0 == b.0 && b.1 - a.1 >= low && b.1 - a.1 <= high {
                    expected.push((a.0, a.2, b.2, a.1.max(b.1)));
                }
            }
        }
        let env = env(parallelism, &[]);
        let lefts = env
            .from_collection(left)
            .assign_timestamps_and_watermarks(by_ts())
            .key_by(|record| record.0);
        let rights = env
            .from_collection(right)
            .assign_timestamps_and_watermarks(by_ts())
            .key_by(|record| record.0);
        let mut joined = lefts.interval_join(&rights).between(lower, upper).unwrap();
        if lower_exclusive {
            joined = joined.lower_bound_exclusive();
        }
        if upper_exclusive {
            joined = joined.upper_bound_exclusive();
        }
        let result = joined.process(PairWithTimestamp).collect_sink();
        env.execute("interval-join").unwrap();
        assert!(!expected.is_empty());
        assert_eq!(
            sorted(result.records()),
            sorted(expected),
            "bounds {lower}..{upper} exclusive {lower_exclusive}/{upper_exclusive}"
        );
    }
}

/// Emits `(key, left id, right id, the pair's timestamp)`.
#[derive(Clone)]
struct PairWithTimestamp;

impl ProcessJoinFunction<(u64, i64, u64), (u64, i64, u64), (u64, u64, u64, i64)>
    for PairWithTimestamp
{
    fn process_element(
        &mut self,
        left: &(u64, i64, u64),
        right: &(u64, i64, u64),
        context: &mut JoinContext<'_>,
        out: &mut StreamCollector<'_, (u64, u64, u64, i64)>,
    ) -> Result<(), UserError> {
        assert_eq!(context.left_timestamp(), left.1);
        assert_eq!(context.right_timestamp(), right.1);
        out.collect((left.0, left.2, right.2, context.timestamp()));
        Ok(())
    }
}

#[test]
fn interval_join_bounds_in_the_wrong_order_are_an_error_and_records_need_timestamps() {
    let env = env(1, &[]);
    let a = env
        .from_collection(vec![(1u64, 5i64, 1u64)])
        .key_by(|r| r.0);
    let b = env
        .from_collection(vec![(1u64, 5i64, 2u64)])
        .key_by(|r| r.0);
    let error = a.interval_join(&b).between(10, -10).unwrap_err();
    assert!(error.to_string().contains("lower bound 10 ms"), "{error}");
    let _sink = a
        .interval_join(&b)
        .between(-1, 1)
        .unwrap()
        .apply(|x, y| (x.2, y.2))
        .collect_sink();
    let error = env.execute("no-timestamps").unwrap_err().to_string();
    assert!(error.contains("without a timestamp"), "{error}");
    assert!(error.contains("IntervalJoin"), "{error}");
}

#[test]
fn window_joins_and_co_groups_match_an_oracle_of_the_same_windows() {
    let window_ms = 20i64;
    let left = timed_records(7, 1500, 11, 0);
    let right = timed_records(8, 1300, 11, 1_000_000);
    let window_of = |ts: i64| ts.div_euclid(window_ms);
    let mut expected_join: Vec<(u64, u64, u64)> = Vec::new();
    let mut groups: BTreeMap<(u64, i64), (u64, u64)> = BTreeMap::new();
    for a in &left {
        groups.entry((a.0, window_of(a.1))).or_default().0 += 1;
        for b in &right {
            if a.0 == b.0 && window_of(a.1) == window_of(b.1) {
                expected_join.push((a.0, a.2, b.2));
            }
        }
    }
    for b in &right {
        groups.entry((b.0, window_of(b.1))).or_default().1 += 1;
    }
    let expected_groups: Vec<(u64, u64, u64)> = groups
        .into_iter()
        .map(|((key, _), (lefts, rights))| (key, lefts, rights))
        .collect();
    for parallelism in [1, 3] {
        let env = env(parallelism, &[]);
        let lefts = env
            .from_collection(left.clone())
            .assign_timestamps_and_watermarks(by_ts());
        let rights = env
            .from_collection(right.clone())
            .assign_timestamps_and_watermarks(by_ts());
        let joined = lefts
            .join(&rights)
            .where_key(|a: &(u64, i64, u64)| a.0)
            .equal_to(|b: &(u64, i64, u64)| b.0)
            .window(TumblingEventTimeWindows::of(window_ms).unwrap())
            .apply(|a, b| (a.0, a.2, b.2))
            .collect_sink();
        let grouped = lefts
            .co_group(&rights)
            .where_key(|a: &(u64, i64, u64)| a.0)
            .equal_to(|b: &(u64, i64, u64)| b.0)
            .window(TumblingEventTimeWindows::of(window_ms).unwrap())
            .co_group_apply(
                |firsts, seconds, out: &mut StreamCollector<'_, (u64, u64, u64)>| {
                    let key = firsts.first().map(|a| a.0).or(seconds.first().map(|b| b.0));
                    out.collect((key.unwrap(), firsts.len() as u64, seconds.len() as u64));
                },
            )
            .collect_sink();
        env.execute("window-join").unwrap();
        assert_eq!(
            sorted(joined.records()),
            sorted(expected_join.clone()),
            "p = {parallelism}"
        );
        assert_eq!(
            sorted(grouped.records()),
            sorted(expected_groups.clone()),
            "p = {parallelism}"
        );
    }
}

#[test]
fn an_interval_join_on_the_managed_backend_spills_its_buffers_and_gives_the_same_pairs() {
    // Wide bounds keep thousands of records buffered: more than the join's share of 256 KiB
    // of managed memory (4 KiB pages) holds, so the buffers spill.
    let left = timed_records(21, 1000, 40, 0);
    let right = timed_records(22, 1000, 40, 1_000_000);
    let run = |pairs: &[(&str, &str)]| {
        let env = env(1, pairs);
        let lefts = env
            .from_collection(left.clone())
            .assign_timestamps_and_watermarks(by_ts())
            .key_by(|record| record.0);
        let rights = env
            .from_collection(right.clone())
            .assign_timestamps_and_watermarks(by_ts())
            .key_by(|record| record.0);
        let result = lefts
            .interval_join(&rights)
            .between(-3000, 3000)
            .unwrap()
            .apply(|a, b| (a.2, b.2))
            .collect_sink();
        let outcome = env.execute("interval-join-managed").unwrap();
        (sorted(result.records()), outcome)
    };
    let spill = tempfile::tempdir().unwrap();
    let (managed, outcome) = run(&[
        ("state.backend.type", "managed"),
        ("taskmanager.memory.managed.size", "256k"),
        ("taskmanager.memory.segment-size", "4k"),
        ("io.tmp.dirs", spill.path().to_str().unwrap()),
    ]);
    assert!(outcome.bytes_spilled > 0, "{outcome:?}");
    assert_eq!(std::fs::read_dir(spill.path()).unwrap().count(), 0);
    let (heap, _) = run(&[]);
    assert!(heap.len() > 500);
    assert_eq!(managed, heap);
}
