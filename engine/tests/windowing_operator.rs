//! The window operator against oracles: event-time tumbling and sliding windows with
//! out-of-order input, watermarks, allowed lateness (re-firing) and the late output; session
//! windows against sort-and-split; count windows (tumbling and sliding, with an evictor);
//! processing-time windows with an injected clock; snapshot mid-stream and restore (also at
//! another parallelism) against an uninterrupted run.

mod windowing_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use proptest::prelude::*;
use weir::WeirError;
use weir::checkpoint::{OperatorSnapshot, redistribute};
use weir::runtime::network::{CheckpointBarrier, SnapshotKind};
use weir::runtime::stream::{ChainLink, StreamCollector, TaskSnapshot};
use weir::state::AggregateFunction;
use weir::state::key_group::key_group_of;
use weir::types::DefaultComparator;
use weir::windowing::{
    CountEvictor, EventTimeSessionWindows, GlobalWindow, ProcessWindowContext,
    ProcessWindowFunction, SlidingEventTimeWindows, TimeWindow, TumblingEventTimeWindows,
    TumblingProcessingTimeWindows, WindowAssigner, WindowFunction, WindowOperatorBuilder,
    window_operator,
};
use windowing_support::{MAX_PARALLELISM, Recorder, setup};

/// (key, timestamp, value)
type Event = (i64, i64, i64);
/// (key, window start, window end, count, sum)
type WindowResult = (i64, i64, i64, u64, i64);

#[derive(Debug, Clone)]
enum Step {
    Element(Event),
    Watermark(i64),
}

/// (count, sum) of the values.
struct CountSum;

impl AggregateFunction<Event, (u64, i64), (u64, i64)> for CountSum {
    fn create_accumulator(&self) -> (u64, i64) {
        (0, 0)
    }
    fn add(&self, value: &Event, acc: &mut (u64, i64)) {
        acc.0 += 1;
        acc.1 += value.2;
    }
    fn get_result(&self, acc: &(u64, i64)) -> (u64, i64) {
        *acc
    }
    fn merge(&self, a: (u64, i64), b: (u64, i64)) -> (u64, i64) {
        (a.0 + b.0, a.1 + b.1)
    }
}

/// Adds key and window to the aggregate's result.
struct WithWindow;

impl ProcessWindowFunction<i64, (u64, i64), WindowResult, TimeWindow> for WithWindow {
    fn process(
        &self,
        key: &i64,
        context: &mut ProcessWindowContext<'_, i64, TimeWindow>,
        elements: &[(u64, i64)],
        out: &mut StreamCollector<'_, WindowResult>,
    ) -> Result<(), WeirError> {
        let window = *context.window();
        for &(count, sum) in elements {
            out.collect((*key, window.start, window.end, count, sum));
        }
        Ok(())
    }
}

fn key_of() -> Arc<dyn Fn(&Event) -> i64 + Send + Sync> {
    Arc::new(|event: &Event| event.0)
}

fn barrier() -> CheckpointBarrier {
    CheckpointBarrier {
        id: 1,
        timestamp_ms: 0,
        kind: SnapshotKind::Checkpoint,
    }
}

/// One subtask of an event-time window operator with count/sum results per window.
struct Subtask {
    operator: Box<dyn ChainLink<Event>>,
    out: Recorder<WindowResult>,
    late: Recorder<Event>,
}

fn event_time_subtask(
    assigner: Arc<dyn WindowAssigner<Event, TimeWindow>>,
    lateness: i64,
    subtask: usize,
    parallelism: usize,
    restored: Option<OperatorSnapshot>,
) -> Subtask {
    let out = Recorder::new();
    let late = Recorder::new();
    let operator = window_operator(
        &setup(subtask, parallelism, restored),
        key_of(),
        assigner,
        None,
        None,
        lateness,
        Some(Box::new(late.clone())),
        WindowFunction::aggregate_with_process(Arc::new(CountSum), Arc::new(WithWindow)),
        Box::new(out.clone()),
    )
    .unwrap();
    Subtask {
        operator,
        out,
        late,
    }
}

/// What a run produced: results per (key, start, end) in emission order, late elements.
#[derive(Debug, PartialEq, Default)]
struct Outcome {
    fired: BTreeMap<(i64, i64, i64), Vec<(u64, i64)>>,
    late: Vec<Event>,
}

fn collect(subtasks: &[&Subtask], outcome: &mut Outcome) {
    for subtask in subtasks {
        for ((key, start, end, count, sum), ts) in subtask.out.elements() {
            assert_eq!(
                ts,
                Some(end - 1),
                "results carry the window's max timestamp"
            );
            outcome
                .fired
                .entry((key, start, end))
                .or_default()
                .push((count, sum));
        }
        outcome
            .late
            .extend(subtask.late.elements().into_iter().map(|(e, _)| e));
    }
}

/// Flink's semantics recomputed from the script: windows of each element, late when
/// `max_timestamp + lateness <= watermark` at arrival; a window fires when the watermark
/// reaches its max timestamp and again for each element admitted after that.
fn oracle(steps: &[Step], windows_of: &dyn Fn(i64) -> Vec<(i64, i64)>, lateness: i64) -> Outcome {
    let mut watermark = i64::MIN;
    let mut contents: BTreeMap<(i64, i64, i64), (u64, i64)> = BTreeMap::new();
    let mut outcome = Outcome::default();
    for step in steps {
        match *step {
            Step::Element((key, ts, value)) => {
                let mut skipped = true;
                for (start, end) in windows_of(ts) {
                    let max = end - 1;
                    if max + lateness <= watermark {
                        continue;
                    }
                    skipped = false;
                    let acc = contents.entry((key, start, end)).or_default();
                    acc.0 += 1;
                    acc.1 += value;
                    if max <= watermark {
                        let acc = *acc;
                        outcome
                            .fired
                            .entry((key, start, end))
                            .or_default()
                            .push(acc);
                    }
                }
                if skipped && ts + lateness <= watermark {
                    outcome.late.push((key, ts, value));
                }
            }
            Step::Watermark(new) => {
                for (&(key, start, end), &acc) in &contents {
                    if watermark < end - 1 && end - 1 <= new {
                        outcome
                            .fired
                            .entry((key, start, end))
                            .or_default()
                            .push(acc);
                    }
                }
                watermark = watermark.max(new);
            }
        }
    }
    outcome
}

/// A script: elements with out-of-order timestamps and a bounded-out-of-orderness watermark
/// every few elements, then the final watermark.
fn script(events: Vec<(i64, i64, i64, bool)>, out_of_orderness: i64) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut max_ts = i64::MIN;
    let mut last_watermark = i64::MIN;
    for (key, ts, value, watermark_after) in events {
        steps.push(Step::Element((key, ts, value)));
        max_ts = max_ts.max(ts);
        if watermark_after && max_ts - out_of_orderness > last_watermark {
            last_watermark = max_ts - out_of_orderness;
            steps.push(Step::Watermark(last_watermark));
        }
    }
    steps.push(Step::Watermark(i64::MAX));
    steps
}

fn run(subtask: &mut Subtask, steps: &[Step]) {
    for step in steps {
        match *step {
            Step::Element(event) => subtask
                .operator
                .process_element(event, Some(event.1))
                .unwrap(),
            Step::Watermark(wm) => subtask.operator.process_watermark(wm).unwrap(),
        }
    }
}

fn events_strategy() -> impl Strategy<Value = Vec<(i64, i64, i64, bool)>> {
    // Keys 0..4 with key 0 holding about half the input; timestamps that drift forward with
    // jitter (negative ones too); a watermark after some elements.
    prop::collection::vec(
        (
            prop_oneof![Just(0i64), 0i64..4],
            -40i64..40,
            -5i64..50,
            prop::bool::weighted(0.3),
        ),
        0..120,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (key, jitter, value, wm))| (key, i as i64 * 3 + jitter - 30, value, wm))
            .collect()
    })
}

fn tumbling_windows_of(size: i64, offset: i64) -> impl Fn(i64) -> Vec<(i64, i64)> {
    move |ts| {
        let start = ts - (ts - offset).rem_euclid(size);
        vec![(start, start + size)]
    }
}

fn sliding_windows_of(size: i64, slide: i64) -> impl Fn(i64) -> Vec<(i64, i64)> {
    move |ts| {
        let mut windows = Vec::new();
        let mut start = ts - ts.rem_euclid(slide);
        while start > ts - size {
            windows.push((start, start + size));
            start -= slide;
        }
        windows
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn tumbling_windows_match_the_oracle(
        events in events_strategy(),
        out_of_orderness in 0i64..20,
        lateness in prop_oneof![Just(0i64), 1i64..40],
        offset in -9i64..10,
    ) {
        let steps = script(events, out_of_orderness);
        let assigner = Arc::new(TumblingEventTimeWindows::of(10).unwrap().with_offset(offset).unwrap());
        let mut subtask = event_time_subtask(assigner, lateness, 0, 1, None);
        run(&mut subtask, &steps);
        let mut outcome = Outcome::default();
        collect(&[&subtask], &mut outcome);
        prop_assert_eq!(outcome, oracle(&steps, &tumbling_windows_of(10, offset), lateness));
        let fed: Vec<i64> = steps.iter().filter_map(|s| match s { Step::Watermark(w) => Some(*w), _ => None }).collect();
        prop_assert_eq!(subtask.out.watermarks(), fed.clone());
        prop_assert_eq!(subtask.late.watermarks(), fed);
    }

    #[test]
    fn sliding_windows_match_the_oracle(
        events in events_strategy(),
        out_of_orderness in 0i64..20,
        lateness in prop_oneof![Just(0i64), 1i64..30],
        (size, slide) in prop_oneof![Just((12i64, 4i64)), Just((10, 3)), Just((5, 5))],
    ) {
        let steps = script(events, out_of_orderness);
        let assigner = Arc::new(SlidingEventTimeWindows::of(size, slide).unwrap());
        let mut subtask = event_time_subtask(assigner, lateness, 0, 1, None);
        run(&mut subtask, &steps);
        let mut outcome = Outcome::default();
        collect(&[&subtask], &mut outcome);
        prop_assert_eq!(outcome, oracle(&steps, &sliding_windows_of(size, slide), lateness));
    }

    #[test]
    fn snapshot_and_restore_at_another_parallelism_equal_an_uninterrupted_run(
        events in events_strategy(),
        lateness in prop_oneof![Just(0i64), 1i64..30],
        cut in 0usize..200,
        new_parallelism in 1usize..4,
    ) {
        let steps = script(events, 10);
        let cut = cut.min(steps.len());
        let assigner = || Arc::new(TumblingEventTimeWindows::of(10).unwrap());
        let mut whole = event_time_subtask(assigner(), lateness, 0, 1, None);
        run(&mut whole, &steps);
        let mut expected = Outcome::default();
        collect(&[&whole], &mut expected);

        let mut first = event_time_subtask(assigner(), lateness, 0, 1, None);
        run(&mut first, &steps[..cut]);
        let mut snapshot = TaskSnapshot::new();
        first.operator.snapshot_state(&barrier(), &mut snapshot).unwrap();
        let state = snapshot.remove("window-uid").unwrap();
        let parts = redistribute("Window(test)", vec![state], new_parallelism, MAX_PARALLELISM).unwrap();
        let mut restored: Vec<Subtask> = parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| event_time_subtask(assigner(), lateness, i, new_parallelism, Some(part)))
            .collect();
        // The restored operators start without a watermark, as in Flink: repeat the last one.
        let last_watermark = steps[..cut].iter().rev().find_map(|s| match s { Step::Watermark(w) => Some(*w), _ => None });
        let comparator = i64::comparator();
        for step in last_watermark.map(Step::Watermark).iter().chain(&steps[cut..]) {
            match *step {
                Step::Element(event) => {
                    let group = key_group_of(&comparator, &event.0, MAX_PARALLELISM);
                    let owner = weir::state::key_group::subtask_for_key_group(MAX_PARALLELISM, new_parallelism, group);
                    restored[owner].operator.process_element(event, Some(event.1)).unwrap();
                }
                Step::Watermark(wm) => {
                    for subtask in &mut restored {
                        subtask.operator.process_watermark(wm).unwrap();
                    }
                }
            }
        }
        let mut actual = Outcome::default();
        let mut all: Vec<&Subtask> = vec![&first];
        all.extend(restored.iter());
        collect(&all, &mut actual);
        actual.late.sort_unstable();
        expected.late.sort_unstable();
        prop_assert_eq!(actual, expected);
    }

    #[test]
    fn session_windows_match_sort_and_split(
        mut events in prop::collection::vec((prop_oneof![Just(0i64), 0i64..4], 0i64..300, -5i64..50), 0..80),
        gap in 1i64..25,
        shuffle_seed in any::<u64>(),
    ) {
        // Arrival order: a deterministic shuffle of the events.
        let mut order: Vec<usize> = (0..events.len()).collect();
        order.sort_by_key(|&i| (i as u64).wrapping_mul(shuffle_seed | 1).rotate_left(17));
        let arrivals: Vec<Event> = order.iter().map(|&i| events[i]).collect();

        let out = Recorder::new();
        let mut operator = WindowOperatorBuilder::new(key_of(), Arc::new(EventTimeSessionWindows::with_gap(gap).unwrap()))
            .build(
                &setup(0, 1, None),
                WindowFunction::aggregate_with_process(Arc::new(CountSum), Arc::new(WithWindow)),
                Box::new(out.clone()),
                None,
            )
            .unwrap();
        for (i, event) in arrivals.iter().enumerate() {
            operator.process_element(*event, Some(event.1)).unwrap();
            // A watermark that cannot cut a session that later elements would extend.
            if i % 7 == 6 {
                let lowest = arrivals[i + 1..].iter().map(|e| e.1).min().unwrap_or(i64::MAX - 2);
                operator.process_watermark(lowest - 2).unwrap();
            }
        }
        operator.process_watermark(i64::MAX).unwrap();
        let mut actual: Vec<WindowResult> = out.elements().into_iter().map(|(r, _)| r).collect();
        actual.sort_unstable();

        events.sort_by_key(|e| (e.0, e.1));
        let mut expected: Vec<WindowResult> = Vec::new();
        for event in &events {
            match expected.last_mut() {
                Some(session) if session.0 == event.0 && event.1 <= session.2 => {
                    session.2 = session.2.max(event.1 + gap);
                    session.3 += 1;
                    session.4 += event.2;
                }
                _ => expected.push((event.0, event.1, event.1 + gap, 1, event.2)),
            }
        }
        expected.sort_unstable();
        prop_assert_eq!(actual, expected);
        prop_assert_eq!(operator.num_event_time_timers(), 0);
    }

    #[test]
    fn count_windows_tumbling_and_sliding(
        events in prop::collection::vec((prop_oneof![Just(0i64), 0i64..4], -5i64..50), 0..100),
        size in 1u64..6,
        slide in 1u64..4,
    ) {
        let tumbling_out = Recorder::new();
        let mut tumbling = WindowOperatorBuilder::count_window(key_of(), size)
            .build(
                &setup(0, 1, None),
                WindowFunction::<i64, Event, Event, GlobalWindow>::reduce(Arc::new(|a: &Event, b: &Event| (a.0, 0, a.2 + b.2))),
                Box::new(tumbling_out.clone()),
                None,
            )
            .unwrap();
        let sliding_out = Recorder::new();
        let mut sliding = WindowOperatorBuilder::count_window_sliding(key_of(), size, slide)
            .build(
                &setup(0, 1, None),
                WindowFunction::<i64, Event, Event, GlobalWindow>::reduce(Arc::new(|a: &Event, b: &Event| (a.0, 0, a.2 + b.2))),
                Box::new(sliding_out.clone()),
                None,
            )
            .unwrap();
        for &(key, value) in &events {
            tumbling.process_element((key, 0, value), None).unwrap();
            sliding.process_element((key, 0, value), None).unwrap();
        }
        tumbling.process_watermark(i64::MAX).unwrap();
        sliding.process_watermark(i64::MAX).unwrap();

        let mut per_key: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        let mut expected_tumbling = Vec::new();
        let mut expected_sliding = Vec::new();
        for &(key, value) in &events {
            let seen = per_key.entry(key).or_default();
            seen.push(value);
            if (seen.len() as u64).is_multiple_of(size) {
                let chunk = &seen[seen.len() - size as usize..];
                expected_tumbling.push((key, 0, chunk.iter().sum::<i64>()));
            }
            if (seen.len() as u64).is_multiple_of(slide) {
                let last = &seen[seen.len().saturating_sub(size as usize)..];
                expected_sliding.push((key, 0, last.iter().sum::<i64>()));
            }
        }
        let values = |r: &Recorder<Event>| r.elements().into_iter().map(|(v, ts)| { assert_eq!(ts, Some(i64::MAX)); v }).collect::<Vec<_>>();
        prop_assert_eq!(values(&tumbling_out), expected_tumbling);
        prop_assert_eq!(values(&sliding_out), expected_sliding);
    }
}

#[test]
fn processing_time_windows_fire_on_the_injected_clock() {
    let now = Arc::new(AtomicI64::new(1_000));
    let clock_now = Arc::clone(&now);
    let out = Recorder::new();
    let mut operator = WindowOperatorBuilder::new(
        key_of(),
        Arc::new(TumblingProcessingTimeWindows::of(100).unwrap()),
    )
    .clock(Arc::new(move || clock_now.load(Ordering::SeqCst)))
    .build(
        &setup(0, 1, None),
        WindowFunction::aggregate_with_process(Arc::new(CountSum), Arc::new(WithWindow)),
        Box::new(out.clone()),
        None,
    )
    .unwrap();
    for (at, key, value) in [
        (1_000, 1, 5),
        (1_050, 1, 6),
        (1_099, 2, 1),
        (1_100, 1, 7),
        (1_250, 1, 8),
    ] {
        now.store(at, Ordering::SeqCst);
        operator.process_element((key, -1, value), None).unwrap();
        assert_eq!(operator.next_processing_time(), Some(1_099));
    }
    operator.on_processing_time(1_098).unwrap();
    assert!(out.elements().is_empty());
    operator.on_processing_time(1_199).unwrap();
    let fired: Vec<WindowResult> = out.elements().into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        fired,
        [
            (1, 1_000, 1_100, 2, 11),
            (2, 1_000, 1_100, 1, 1),
            (1, 1_100, 1_200, 1, 7)
        ]
    );
    assert_eq!(operator.next_processing_time(), Some(1_299));
    // The watermark does not fire processing-time windows.
    operator.process_watermark(i64::MAX).unwrap();
    assert_eq!(out.elements().len(), 3);
    operator.on_processing_time(i64::MAX).unwrap();
    assert_eq!(out.elements().len(), 4);
    assert_eq!(operator.next_processing_time(), None);
}

#[test]
fn bad_configurations_fail_at_construction() {
    let out: Recorder<WindowResult> = Recorder::new();
    let error = window_operator(
        &setup(0, 1, None),
        key_of(),
        Arc::new(TumblingEventTimeWindows::of(10).unwrap()),
        None,
        None,
        -1,
        None,
        WindowFunction::aggregate_with_process(Arc::new(CountSum), Arc::new(WithWindow)),
        Box::new(out.clone()),
    )
    .err()
    .unwrap();
    assert!(
        matches!(error, WeirError::NegativeAllowedLateness { .. }),
        "{error}"
    );
    let error = window_operator(
        &setup(0, 1, None),
        key_of(),
        Arc::new(EventTimeSessionWindows::with_gap(10).unwrap()),
        Some(Arc::new(weir::windowing::PurgingTrigger::of(Arc::new(
            NoMerge,
        )))),
        None,
        0,
        None,
        WindowFunction::aggregate_with_process(Arc::new(CountSum), Arc::new(WithWindow)),
        Box::new(out),
    )
    .err()
    .unwrap();
    assert!(
        matches!(error, WeirError::TriggerCannotMerge { .. }),
        "{error}"
    );
    let mut missing = event_time_subtask(
        Arc::new(TumblingEventTimeWindows::of(10).unwrap()),
        0,
        0,
        1,
        None,
    );
    let error = missing
        .operator
        .process_element((1, 0, 0), None)
        .unwrap_err();
    assert!(
        matches!(error, WeirError::MissingEventTimestamp { .. }),
        "{error}"
    );
}

/// A trigger without merge support.
struct NoMerge;

impl weir::windowing::Trigger<Event, TimeWindow> for NoMerge {
    fn on_element(
        &self,
        _: &Event,
        _: Option<i64>,
        _: &TimeWindow,
        _: &mut dyn weir::windowing::TriggerContext,
    ) -> Result<weir::windowing::TriggerResult, WeirError> {
        Ok(weir::windowing::TriggerResult::Continue)
    }
    fn on_event_time(
        &self,
        _: i64,
        _: &TimeWindow,
        _: &mut dyn weir::windowing::TriggerContext,
    ) -> Result<weir::windowing::TriggerResult, WeirError> {
        Ok(weir::windowing::TriggerResult::Continue)
    }
    fn on_processing_time(
        &self,
        _: i64,
        _: &TimeWindow,
        _: &mut dyn weir::windowing::TriggerContext,
    ) -> Result<weir::windowing::TriggerResult, WeirError> {
        Ok(weir::windowing::TriggerResult::Continue)
    }
    fn clear(
        &self,
        _: &TimeWindow,
        _: &mut dyn weir::windowing::TriggerContext,
    ) -> Result<(), WeirError> {
        Ok(())
    }
    fn name(&self) -> &'static str {
        "NoMerge"
    }
}

#[test]
fn an_evictor_keeps_the_last_elements_of_a_time_window() {
    let out = Recorder::new();
    let mut operator = WindowOperatorBuilder::new(
        key_of(),
        Arc::new(TumblingEventTimeWindows::of(100).unwrap()),
    )
    .evictor(Arc::new(CountEvictor::of(2)))
    .build(
        &setup(0, 1, None),
        WindowFunction::aggregate_with_process(Arc::new(CountSum), Arc::new(WithWindow)),
        Box::new(out.clone()),
        None,
    )
    .unwrap();
    for (ts, value) in [(1, 1), (2, 10), (3, 100), (150, 7)] {
        operator.process_element((9, ts, value), Some(ts)).unwrap();
    }
    operator.process_watermark(i64::MAX).unwrap();
    let fired: Vec<WindowResult> = out.elements().into_iter().map(|(r, _)| r).collect();
    assert_eq!(fired, [(9, 0, 100, 2, 110), (9, 100, 200, 1, 7)]);
}

/// A trigger that deletes the timer at its window's end on every element (which, without
/// allowed lateness, is the window's cleanup timer) and fires when that time comes.
struct DeletesEndTimer;

impl weir::windowing::Trigger<Event, TimeWindow> for DeletesEndTimer {
    fn on_element(
        &self,
        _: &Event,
        _: Option<i64>,
        window: &TimeWindow,
        ctx: &mut dyn weir::windowing::TriggerContext,
    ) -> Result<weir::windowing::TriggerResult, WeirError> {
        ctx.delete_event_time_timer(window.max_timestamp());
        Ok(weir::windowing::TriggerResult::Continue)
    }
    fn on_event_time(
        &self,
        time: i64,
        window: &TimeWindow,
        _: &mut dyn weir::windowing::TriggerContext,
    ) -> Result<weir::windowing::TriggerResult, WeirError> {
        Ok(if time == window.max_timestamp() {
            weir::windowing::TriggerResult::Fire
        } else {
            weir::windowing::TriggerResult::Continue
        })
    }
    fn on_processing_time(
        &self,
        _: i64,
        _: &TimeWindow,
        _: &mut dyn weir::windowing::TriggerContext,
    ) -> Result<weir::windowing::TriggerResult, WeirError> {
        Ok(weir::windowing::TriggerResult::Continue)
    }
    fn clear(
        &self,
        _: &TimeWindow,
        _: &mut dyn weir::windowing::TriggerContext,
    ) -> Result<(), WeirError> {
        Ok(())
    }
    fn name(&self) -> &'static str {
        "DeletesEndTimer"
    }
}

#[test]
fn the_cleanup_timer_survives_a_trigger_that_deletes_it() {
    let out = Recorder::new();
    let mut operator = WindowOperatorBuilder::new(
        key_of(),
        Arc::new(TumblingEventTimeWindows::of(100).unwrap()),
    )
    .trigger(Arc::new(DeletesEndTimer))
    .build(
        &setup(0, 1, None),
        WindowFunction::aggregate_with_process(Arc::new(CountSum), Arc::new(WithWindow)),
        Box::new(out.clone()),
        None,
    )
    .unwrap();
    for (key, ts, value) in [(1, 1, 1), (1, 2, 10), (2, 3, 5), (1, 150, 7), (1, 160, 8)] {
        operator
            .process_element((key, ts, value), Some(ts))
            .unwrap();
        assert!(operator.num_event_time_timers() > 0, "after ({key}, {ts})");
    }
    // One cleanup timer per (key, window), each registered again after the trigger.
    assert_eq!(operator.num_event_time_timers(), 3);
    operator.process_watermark(99).unwrap();
    assert_eq!(operator.num_event_time_timers(), 1);
    operator.process_watermark(i64::MAX).unwrap();
    assert_eq!(operator.num_event_time_timers(), 0);
    assert_eq!(operator.state_heap_bytes(), 0);
    let fired: Vec<WindowResult> = out.elements().into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        fired,
        [(1, 0, 100, 2, 11), (2, 0, 100, 1, 5), (1, 100, 200, 2, 15)]
    );
}
