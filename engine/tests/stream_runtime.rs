//! The streaming runtime end to end through the DataStream API: transformations against
//! oracles at several parallelisms, keyed state and timers, side outputs, partitioning,
//! exactly-once after a failure (restart from the latest checkpoint), restore at another
//! parallelism, and backpressure.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use weir::api::functions::UserError;
use weir::api::stream::{
    KeyedContext, KeyedProcessFunction, KeyedStateContext, OutputTag, StreamCollector,
    StreamExecutionEnvironment, ValueState,
};
use weir::config::Configuration;
use weir::connectors::stream::RollingPolicy;
use weir::eventtime::WatermarkStrategy;
use weir::state::ValueStateDescriptor;

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
fn map_filter_flat_map_match_the_oracle_at_several_parallelisms() {
    let input: Vec<u64> = (0..5000).collect();
    let expected: Vec<u64> = sorted(
        input
            .iter()
            .map(|x| x * 3)
            .filter(|x| x % 2 == 0)
            .flat_map(|x| [x, x + 1])
            .collect(),
    );
    for parallelism in 1..=3 {
        let env = env(parallelism, &[]);
        let result = env
            .from_collection(input.clone())
            .map(|x| x * 3)
            .filter(|x| x % 2 == 0)
            .rebalance()
            .flat_map(|x, out: &mut StreamCollector<'_, u64>| {
                out.collect(x);
                out.collect(x + 1);
            })
            .collect_sink();
        env.execute("map-filter-flat-map").unwrap();
        assert_eq!(
            sorted(result.records()),
            expected,
            "parallelism {parallelism}"
        );
    }
}

#[test]
fn rolling_sum_per_key_emits_every_intermediate_value() {
    let input: Vec<(u32, i64)> = (0..3000).map(|i| ((i % 7) as u32, i as i64)).collect();
    for parallelism in [1, 2] {
        let env = env(parallelism, &[]);
        let result = env
            .from_collection(input.clone())
            .key_by(|(key, _)| *key)
            .sum(1)
            .collect_sink();
        env.execute("rolling-sum").unwrap();
        let records = result.records();
        assert_eq!(records.len(), input.len());
        let mut finals: BTreeMap<u32, i64> = BTreeMap::new();
        for (key, sum) in &records {
            let entry = finals.entry(*key).or_insert(i64::MIN);
            *entry = (*entry).max(*sum);
        }
        let mut expected: BTreeMap<u32, i64> = BTreeMap::new();
        for (key, value) in &input {
            *expected.entry(*key).or_default() += value;
        }
        assert_eq!(finals, expected);
    }
}

#[test]
fn union_partitioning_and_side_outputs() {
    let env = env(2, &[]);
    let evens = env.from_collection((0..100u64).filter(|x| x % 2 == 0).collect());
    let odds = env.from_collection((0..100u64).filter(|x| x % 2 == 1).collect());
    let small = OutputTag::<u64>::new("small");
    let tag = small.clone();
    let main = evens.union(&[odds]).process(
        move |value: u64, context, out: &mut StreamCollector<'_, u64>| {
            if value < 10 {
                context.output(&tag, value);
            } else {
                out.collect(value);
            }
        },
    );
    let side = main.get_side_output(&small).global().collect_sink();
    let broadcast = main.broadcast().map(|x| x).collect_sink();
    env.execute("union").unwrap();
    assert_eq!(sorted(side.records()), (0..10).collect::<Vec<u64>>());
    // Broadcast: each of the two map subtasks saw every record.
    let mut expected: Vec<u64> = (10..100).flat_map(|x| [x, x]).collect();
    expected.sort();
    assert_eq!(sorted(broadcast.records()), expected);
}

#[test]
fn a_keyed_read_of_a_union_reads_its_inputs_directly_without_a_union_task() {
    for parallelism in [1, 2, 3] {
        let env = env(parallelism, &[]);
        let first = env.from_collection((0..3000u32).map(|i| (i % 17, 1i64)).collect());
        let second = env.from_collection((0..2000u32).map(|i| (i % 5, 10i64)).collect());
        let third = second.map(|(key, value)| (key + 100, value * 2));
        let sums = first
            .union(&[second, third])
            .key_by(|record: &(u32, i64)| record.0)
            .reduce(|a, b| (a.0, a.1 + b.1))
            .collect_sink();
        let result = env.execute("keyed union").unwrap();
        let mut finals: BTreeMap<u32, i64> = BTreeMap::new();
        for (key, sum) in sums.records() {
            let entry = finals.entry(key).or_insert(i64::MIN);
            *entry = (*entry).max(sum);
        }
        let mut expected: BTreeMap<u32, i64> = BTreeMap::new();
        for i in 0..3000u32 {
            *expected.entry(i % 17).or_default() += 1;
        }
        for i in 0..2000u32 {
            *expected.entry(i % 5).or_default() += 10;
            *expected.entry(i % 5 + 100).or_default() += 20;
        }
        assert_eq!(finals, expected, "parallelism {parallelism}");
        let tasks: Vec<String> = result
            .streaming
            .unwrap()
            .vertices
            .iter()
            .map(|vertex| vertex.name.clone())
            .collect();
        assert!(
            tasks.iter().all(|name| !name.contains("Union")),
            "{tasks:?}"
        );
    }
}

/// Emits `(key, count)` for each key when an event-time timer at the key's last timestamp + 10
/// fires.
#[derive(Clone, Default)]
struct CountUntilQuiet {
    count: Option<ValueState<u64>>,
}

impl KeyedProcessFunction<u32, (u32, i64), (u32, u64, i64)> for CountUntilQuiet {
    fn open(&mut self, context: &mut KeyedStateContext<'_, u32>) -> Result<(), UserError> {
        self.count = Some(context.value_state(&ValueStateDescriptor::new("count"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        value: (u32, i64),
        context: &mut KeyedContext<'_, u32>,
        _out: &mut StreamCollector<'_, (u32, u64, i64)>,
    ) -> Result<(), UserError> {
        let state = self.count.unwrap();
        let count = context.value(state).unwrap_or(0) + 1;
        context.update(state, count)?;
        context.register_event_time_timer(value.1 + 10);
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: i64,
        context: &mut KeyedContext<'_, u32>,
        out: &mut StreamCollector<'_, (u32, u64, i64)>,
    ) -> Result<(), UserError> {
        let state = self.count.unwrap();
        let key = *context.current_key();
        out.collect((key, context.value(state).unwrap_or(0), timestamp));
        Ok(())
    }
}

#[test]
fn keyed_timers_fire_in_time_order_with_their_state() {
    // Key k has events at k*100 .. k*100+4: one timer per distinct time (dedup per key+time).
    let input: Vec<(u32, i64)> = (0..5u32)
        .flat_map(|key| (0..5).map(move |i| (key, key as i64 * 100 + i)))
        .collect();
    let env = env(2, &[]);
    let result = env
        .from_collection(input)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps()
                .with_timestamp_assigner(|record: &(u32, i64), _| record.1),
        )
        .key_by(|record| record.0)
        .process(CountUntilQuiet::default())
        .collect_sink();
    env.execute("timers").unwrap();
    let records = result.records();
    // 5 timers per key; the last one sees all 5 records.
    for key in 0..5u32 {
        let mut fired: Vec<(u64, i64)> = records
            .iter()
            .filter(|(k, _, _)| *k == key)
            .map(|(_, count, time)| (*count, *time))
            .collect();
        fired.sort_by_key(|(_, time)| *time);
        assert_eq!(fired.len(), 5, "key {key}: {fired:?}");
        assert_eq!(fired.last().unwrap().0, 5);
        let times: Vec<i64> = fired.iter().map(|(_, t)| *t).collect();
        let expected: Vec<i64> = (0..5).map(|i| key as i64 * 100 + i + 10).collect();
        assert_eq!(times, expected);
    }
}

/// Fails the job once, after `after` records went through it in the first attempt.
fn fail_once(after: u64) -> impl FnMut(u64) -> u64 + Clone + Send + Sync + 'static {
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
fn a_failure_restarts_from_the_latest_checkpoint_and_loses_or_duplicates_nothing() {
    let checkpoints = tempfile::tempdir().unwrap();
    let dir = checkpoints.path().to_str().unwrap().to_owned();
    let count = 20_000u64;
    let env = env(
        2,
        &[
            ("execution.checkpointing.interval", "50 ms"),
            ("state.checkpoints.dir", &dir),
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "3"),
            ("restart-strategy.fixed-delay.delay", "10 ms"),
        ],
    );
    let result = env
        .generate(Some(count), Some(40_000.0), |index| index)
        .map(fail_once(count / 2))
        .map(|value| (value % 10, value))
        .key_by(|pair: &(u64, u64)| pair.0)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .collect_sink();
    let outcome = env.execute("exactly-once").unwrap();
    let summary = outcome.streaming.unwrap();
    assert_eq!(summary.restarts, 1, "{summary:?}");
    assert!(summary.checkpoints.completed >= 1, "{summary:?}");
    assert_exactly_once(&result.records(), count);
}

/// The rolling sums per key of `0..count` keyed by `value % 10`: exactly one output per input
/// record (a lost record is missing, a replayed one counted twice) and, since the values are
/// non-negative, the largest sum of a key is the sum of all its values whatever the order the
/// records arrived in.
fn assert_exactly_once(records: &[(u64, u64)], count: u64) {
    assert_eq!(records.len() as u64, count, "one output per input record");
    let mut per_key: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for (key, sum) in records {
        let entry = per_key.entry(*key).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(*sum);
    }
    for key in 0..10u64 {
        let expected_count = (0..count).filter(|v| v % 10 == key).count() as u64;
        let expected_sum: u64 = (0..count).filter(|v| v % 10 == key).sum();
        assert_eq!(per_key[&key], (expected_count, expected_sum), "key {key}");
    }
}

#[test]
fn without_a_restart_strategy_a_failure_fails_the_job_with_its_cause() {
    let env = env(1, &[]);
    env.generate(Some(1000), None, |index| index)
        .map(fail_once(10))
        .discard();
    let error = env.execute("fails").unwrap_err().to_string();
    assert!(error.contains("failing on purpose"), "{error}");
}

/// `(key, sum)` lines of the committed part files in `dir` (hidden files are not committed).
fn committed_pairs(dir: &std::path::Path) -> Vec<(u64, u64)> {
    let mut pairs = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        for line in std::fs::read_to_string(entry.path()).unwrap().lines() {
            let (key, sum) = line.split_once(',').unwrap();
            pairs.push((key.parse().unwrap(), sum.parse().unwrap()));
        }
    }
    pairs
}

fn write_pair(pair: &(u64, u64), out: &mut Vec<u8>) {
    use std::io::Write;
    let _ = writeln!(out, "{},{}", pair.0, pair.1);
}

#[test]
fn restore_from_a_retained_checkpoint_at_another_parallelism() {
    let checkpoints = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let out = output.path().to_str().unwrap().to_owned();
    let dir = checkpoints.path().to_str().unwrap().to_owned();
    let count = 20_000u64;
    // First run: fails for good half way (no restart strategy), leaving checkpoints and
    // uncommitted part files behind.
    let first = env(
        2,
        &[
            ("execution.checkpointing.interval", "50 ms"),
            ("state.checkpoints.dir", &dir),
            ("restart-strategy.type", "none"),
        ],
    );
    first
        .generate(Some(count), Some(40_000.0), |index| index)
        .uid("numbers")
        .map(fail_once(count / 2))
        .uid("fail")
        .map(|value| (value % 10, value))
        .uid("pair")
        .key_by(|pair: &(u64, u64)| pair.0)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .uid("sums")
        .sink_to_files(&out, write_pair, RollingPolicy::default())
        .uid("sink");
    assert!(first.execute("restore-1").is_err());
    assert!(
        !committed_pairs(output.path()).is_empty(),
        "a checkpoint completed before the failure"
    );
    // Second run at parallelism 3 from the job folder's latest checkpoint (like `weir run -s`).
    let job_folder = std::fs::read_dir(checkpoints.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let second = env(
        3,
        &[("execution.savepoint.path", job_folder.to_str().unwrap())],
    );
    second
        .generate(Some(count), Some(200_000.0), |index| index)
        .uid("numbers")
        .map(|value| value)
        .uid("fail")
        .map(|value| (value % 10, value))
        .uid("pair")
        .key_by(|pair: &(u64, u64)| pair.0)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .uid("sums")
        .sink_to_files(&out, write_pair, RollingPolicy::default())
        .uid("sink");
    second.execute("restore-2").unwrap();
    assert_exactly_once(&committed_pairs(output.path()), count);
}

#[test]
fn restoring_state_into_a_changed_job_names_the_operator() {
    let checkpoints = tempfile::tempdir().unwrap();
    let dir = checkpoints.path().to_str().unwrap().to_owned();
    let first = env(
        1,
        &[
            ("execution.checkpointing.interval", "20 ms"),
            ("state.checkpoints.dir", &dir),
        ],
    );
    first
        .generate(Some(3000), Some(10_000.0), |index| index)
        .map(|value| (value % 3, value))
        .key_by(|pair: &(u64, u64)| pair.0)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .uid("sums")
        .discard();
    first.execute("incompatible-1").unwrap();
    let job_folder = std::fs::read_dir(checkpoints.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // The same uid now holds a reduce over strings: the state cannot be read as that.
    let second = env(
        1,
        &[
            ("execution.savepoint.path", job_folder.to_str().unwrap()),
            ("execution.savepoint.ignore-unclaimed-state", "true"),
        ],
    );
    second
        .generate(Some(10), None, |index| index)
        .map(|value| (value % 3, value.to_string()))
        .key_by(|pair: &(u64, String)| pair.0)
        .reduce(|a, b| (a.0, a.1 + &b.1))
        .uid("sums")
        .discard();
    let error = second.execute("incompatible-2").unwrap_err().to_string();
    assert!(error.contains("Keyed Reduce"), "{error}");
}

#[test]
fn a_missing_restore_path_is_a_clear_error() {
    let env = env(
        1,
        &[("execution.savepoint.path", "/nonexistent/weir/chk-7")],
    );
    env.from_collection(vec![1u64]).discard();
    let error = env.execute("restore-missing").unwrap_err().to_string();
    assert!(error.contains("/nonexistent/weir/chk-7"), "{error}");
}

#[test]
fn a_slow_sink_backpressures_the_source() {
    let env = env(1, &[("taskmanager.memory.network.min", "64m")]);
    // 1 KiB records: a network buffer holds 32 of them, so the partition's pool fills fast.
    env.generate(Some(4_000), None, |index| format!("{index:01024}"))
        .rebalance()
        .map(|value| {
            std::thread::sleep(Duration::from_micros(200));
            value
        })
        .discard();
    let result = env.execute("backpressure").unwrap();
    let summary = result.streaming.unwrap();
    let source = &summary.vertices[0];
    assert!(
        source.metrics.backpressured > Duration::from_millis(100),
        "{:?}",
        summary.vertices
    );
}

#[test]
fn the_managed_state_backend_is_accepted() {
    // Refused before it existed; its behaviour is tested in state_managed_*.rs.
    let env = env(1, &[("state.backend.type", "managed")]);
    env.from_collection(vec![1u64]).discard();
    env.execute("managed").unwrap();
}

#[test]
fn a_side_output_tag_reused_with_another_type_is_a_clear_error() {
    let env = env(1, &[]);
    let numbers = OutputTag::<u64>::new("odd");
    let texts = OutputTag::<String>::new("odd");
    let main = env.from_collection((0..10u64).collect()).process(
        move |value: u64, context, out: &mut StreamCollector<'_, u64>| {
            if value % 2 == 1 {
                context.output(&texts, value.to_string());
            } else {
                out.collect(value);
            }
        },
    );
    main.get_side_output(&numbers).discard();
    main.discard();
    let error = env.execute("tags").unwrap_err().to_string();
    assert!(error.contains("side output odd"), "{error}");
}
