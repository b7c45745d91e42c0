//! Interval join of two keyed streams (Flink's `intervalJoin`): a record `a` of the first
//! stream joins every record `b` of the second with the same key and
//! `a.ts + lower <= b.ts <= a.ts + upper` (event time; either bound exclusive on request).
//!
//! ```text
//!   a (key k, ts t) ─▶ late (t < watermark)? ─yes─▶ dropped or side output
//!                   ─▶ left buffer of k at t  (list state, namespace = timestamp)
//!                   ─▶ for every right bucket of k with t + lower <= ts_b <= t + upper:
//!                         process_element(a, b, ctx, out)   result timestamp max(t, ts_b)
//!                   ─▶ cleanup timer at t + upper (t when upper <= 0)
//!   b: the same against the left buffers with ts_b - upper <= ts_a <= ts_b - lower;
//!      cleanup timer at ts_b - lower (ts_b when lower > 0)
//!   timer at T (watermark >= T): drops the left bucket whose cleanup time is T and the right
//!   bucket whose cleanup time is T — no later record can join them
//! ```
//!
//! The buffers are keyed state and the cleanup timers are keyed timers, so both checkpoint and
//! restore (also at another parallelism) with the operator. Records without a timestamp fail
//! the job with a clear error: the join is defined in event time only. Bound arithmetic
//! saturates at the ends of the `i64` range. A record's cleanup time saturated at `i64::MAX`
//! is only reached by the final watermark.

use std::ops::RangeInclusive;
use std::sync::Arc;

use crate::api::Data;
use crate::api::functions::{RuntimeContext, UserError};
use crate::api::stream::connected_streams::two_input_head;
use crate::api::stream::data_stream::DataStream;
use crate::api::stream::keyed_co_process_function::KeyOf;
use crate::api::stream::keyed_operator_state::KeyedOperatorState;
use crate::api::stream::keyed_stream::KeyedStream;
use crate::api::stream::node_factories::{OperatorFn, runtime_context};
use crate::api::stream::output_tag::OutputTag;
use crate::error::WeirError;
use crate::eventtime::NO_TIMESTAMP;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{OperatorSetup, TaskSnapshot};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::runtime::stream::two_input_link::TwoInputLink;
use crate::state::{ListStateDescriptor, ListStateHandle, StateKey, VoidNamespace};

/// The function of an interval join: called once per joined pair.
pub trait ProcessJoinFunction<A, B, O>: Clone + Send + Sync + 'static {
    fn open(&mut self, _context: &RuntimeContext) -> Result<(), UserError> {
        Ok(())
    }

    fn process_element(
        &mut self,
        left: &A,
        right: &B,
        context: &mut JoinContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    fn close(&mut self) -> Result<(), UserError> {
        Ok(())
    }
}

/// A closure as a [`ProcessJoinFunction`] emitting one record per pair.
#[derive(Clone)]
struct JoinClosure<F>(F);

impl<A, B, O, F> ProcessJoinFunction<A, B, O> for JoinClosure<F>
where
    F: FnMut(&A, &B) -> O + Clone + Send + Sync + 'static,
{
    fn process_element(
        &mut self,
        left: &A,
        right: &B,
        _context: &mut JoinContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError> {
        out.collect((self.0)(left, right));
        Ok(())
    }
}

/// The timestamps of a joined pair.
#[derive(Debug)]
pub struct JoinContext<'a> {
    left_timestamp: i64,
    right_timestamp: i64,
    _lifetime: std::marker::PhantomData<&'a ()>,
}

impl JoinContext<'_> {
    pub fn left_timestamp(&self) -> i64 {
        self.left_timestamp
    }

    pub fn right_timestamp(&self) -> i64 {
        self.right_timestamp
    }

    /// The timestamp of the joined record: the larger of the two.
    pub fn timestamp(&self) -> i64 {
        self.left_timestamp.max(self.right_timestamp)
    }
}

impl<K: StateKey + Clone, A: Data> KeyedStream<K, A> {
    /// Joins this stream with `other` on their keys within a time interval; choose it with
    /// [`IntervalJoin::between`].
    pub fn interval_join<B: Data>(&self, other: &KeyedStream<K, B>) -> IntervalJoin<K, A, B> {
        IntervalJoin {
            left: self.clone(),
            right: other.clone(),
        }
    }
}

/// See the module docs.
pub struct IntervalJoin<K, A, B> {
    left: KeyedStream<K, A>,
    right: KeyedStream<K, B>,
}

impl<K, A, B> std::fmt::Debug for IntervalJoin<K, A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntervalJoin").finish_non_exhaustive()
    }
}

impl<K: StateKey + Clone, A: Data, B: Data> IntervalJoin<K, A, B> {
    /// Joins `b` to `a` when `a.ts + lower_ms <= b.ts <= a.ts + upper_ms` (both inclusive;
    /// negative bounds reach into the past). `lower_ms > upper_ms` is an error.
    pub fn between(
        self,
        lower_ms: i64,
        upper_ms: i64,
    ) -> Result<IntervalJoined<K, A, B>, WeirError> {
        if lower_ms > upper_ms {
            return Err(WeirError::InvalidProgram {
                problems: vec![format!(
                    "interval join bounds: the lower bound {lower_ms} ms is above the upper \
                     bound {upper_ms} ms"
                )],
            });
        }
        Ok(IntervalJoined {
            join: self,
            bounds: JoinBounds {
                lower: lower_ms,
                upper: upper_ms,
            },
            lower_exclusive: false,
            upper_exclusive: false,
            late_left: None,
            late_right: None,
        })
    }
}

/// The inclusive bounds of `b.ts - a.ts`, and the times derived from them (saturating at the
/// ends of the `i64` range).
#[derive(Debug, Clone, Copy)]
struct JoinBounds {
    lower: i64,
    upper: i64,
}

impl JoinBounds {
    /// The timestamps of the second input that a first-input record at `ts` joins.
    fn seconds_joined_by(self, ts: i64) -> RangeInclusive<i64> {
        ts.saturating_add(self.lower)..=ts.saturating_add(self.upper)
    }

    /// The timestamps of the first input that a second-input record at `ts` joins.
    fn firsts_joined_by(self, ts: i64) -> RangeInclusive<i64> {
        ts.saturating_sub(self.upper)..=ts.saturating_sub(self.lower)
    }

    /// When a first-input record at `ts` can join nothing more (Flink's cleanup time).
    fn first_cleanup(self, ts: i64) -> i64 {
        if self.upper > 0 {
            ts.saturating_add(self.upper)
        } else {
            ts
        }
    }

    /// When a second-input record at `ts` can join nothing more.
    fn second_cleanup(self, ts: i64) -> i64 {
        if self.lower <= 0 {
            ts.saturating_sub(self.lower)
        } else {
            ts
        }
    }

    /// The first-input bucket whose cleanup time is `time`.
    fn first_bucket_due(self, time: i64) -> i64 {
        if self.upper > 0 {
            time.saturating_sub(self.upper)
        } else {
            time
        }
    }

    /// The second-input bucket whose cleanup time is `time`.
    fn second_bucket_due(self, time: i64) -> i64 {
        if self.lower <= 0 {
            time.saturating_add(self.lower)
        } else {
            time
        }
    }
}

/// An interval join with its bounds; finish with [`IntervalJoined::process`].
pub struct IntervalJoined<K, A, B> {
    join: IntervalJoin<K, A, B>,
    bounds: JoinBounds,
    lower_exclusive: bool,
    upper_exclusive: bool,
    late_left: Option<OutputTag<A>>,
    late_right: Option<OutputTag<B>>,
}

impl<K, A, B> std::fmt::Debug for IntervalJoined<K, A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntervalJoined")
            .field("bounds", &self.bounds)
            .field("lower_exclusive", &self.lower_exclusive)
            .field("upper_exclusive", &self.upper_exclusive)
            .finish()
    }
}

impl<K: StateKey + Clone, A: Data, B: Data> IntervalJoined<K, A, B> {
    /// `b.ts` must be strictly above `a.ts + lower`.
    pub fn lower_bound_exclusive(mut self) -> Self {
        self.lower_exclusive = true;
        self
    }

    /// `b.ts` must be strictly below `a.ts + upper`.
    pub fn upper_bound_exclusive(mut self) -> Self {
        self.upper_exclusive = true;
        self
    }

    /// Late records of the first stream (behind the watermark) go to `tag` instead of being
    /// dropped.
    pub fn side_output_left_late_data(mut self, tag: &OutputTag<A>) -> Self {
        self.late_left = Some(tag.clone());
        self
    }

    /// Late records of the second stream go to `tag` instead of being dropped.
    pub fn side_output_right_late_data(mut self, tag: &OutputTag<B>) -> Self {
        self.late_right = Some(tag.clone());
        self
    }

    /// One record per joined pair: `join(a, b)`, stamped with the larger timestamp.
    pub fn apply<O: Data, F>(self, join: F) -> DataStream<O>
    where
        F: FnMut(&A, &B) -> O + Clone + Send + Sync + 'static,
    {
        self.process(JoinClosure(join))
    }

    /// Runs `function` on every joined pair.
    pub fn process<O: Data, F: ProcessJoinFunction<A, B, O>>(self, function: F) -> DataStream<O> {
        let bounds = JoinBounds {
            lower: self
                .bounds
                .lower
                .saturating_add(i64::from(self.lower_exclusive)),
            upper: self
                .bounds
                .upper
                .saturating_sub(i64::from(self.upper_exclusive)),
        };
        let keys = (
            Arc::clone(&self.join.left.key),
            Arc::clone(&self.join.right.key),
        );
        let late = (self.late_left.clone(), self.late_right.clone());
        self.join
            .left
            .connect(&self.join.right)
            .streams
            .add_operator(
                "IntervalJoin",
                OperatorFn::new(move |setup, output, side| {
                    let link = IntervalJoinLink::open(
                        function.clone(),
                        setup,
                        bounds,
                        (Arc::clone(&keys.0), Arc::clone(&keys.1)),
                        late.clone(),
                        Downstream::from_factory(output, side),
                    )?;
                    Ok(two_input_head(link))
                }),
            )
    }
}

/// The operator. See the module docs.
struct IntervalJoinLink<K: StateKey, A, B, O, F> {
    function: F,
    context: RuntimeContext,
    bounds: JoinBounds,
    key1: KeyOf<A, K>,
    key2: KeyOf<B, K>,
    late: (Option<OutputTag<A>>, Option<OutputTag<B>>),
    /// The buffers (keyed list state) and their cleanup timers.
    keyed: KeyedOperatorState<K>,
    /// Left and right buffers: the records of the current key, by timestamp.
    left: ListStateHandle<i64, A>,
    right: ListStateHandle<i64, B>,
    downstream: Downstream<O>,
}

/// One side's view of the join: its buffer, the other side's, and its record's place.
struct Side<Own, Other> {
    own: ListStateHandle<i64, Own>,
    other: ListStateHandle<i64, Other>,
    ts: i64,
    joins: RangeInclusive<i64>,
    cleanup_at: i64,
}

impl<K, A, B, O, F> IntervalJoinLink<K, A, B, O, F>
where
    K: StateKey + Clone,
    A: Data,
    B: Data,
    F: ProcessJoinFunction<A, B, O>,
{
    fn open(
        mut function: F,
        setup: &OperatorSetup,
        bounds: JoinBounds,
        keys: (KeyOf<A, K>, KeyOf<B, K>),
        late: (Option<OutputTag<A>>, Option<OutputTag<B>>),
        downstream: Downstream<O>,
    ) -> Result<Self, WeirError> {
        let context = runtime_context(setup);
        let mut keyed = KeyedOperatorState::open(setup)?;
        let left = keyed
            .backend
            .list_state(&ListStateDescriptor::new("left-buffer"))?;
        let right = keyed
            .backend
            .list_state(&ListStateDescriptor::new("right-buffer"))?;
        function
            .open(&context)
            .map_err(|error| user_failure(&context, error))?;
        Ok(IntervalJoinLink {
            function,
            context,
            bounds,
            key1: keys.0,
            key2: keys.1,
            late,
            keyed,
            left,
            right,
            downstream,
        })
    }

    fn timestamp_of(&self, timestamp: Option<i64>, input: &'static str) -> Result<i64, WeirError> {
        match timestamp {
            Some(timestamp) if timestamp != NO_TIMESTAMP => Ok(timestamp),
            _ => Err(WeirError::MissingTimestamp {
                operator: self.context.operator_name.clone(),
                input,
            }),
        }
    }

    /// Calls the function on `(left, right)` with their timestamps.
    fn emit(
        function: &mut F,
        downstream: &mut Downstream<O>,
        runtime: &RuntimeContext,
        (left, left_ts): (&A, i64),
        (right, right_ts): (&B, i64),
    ) -> Result<(), WeirError> {
        let mut context = JoinContext {
            left_timestamp: left_ts,
            right_timestamp: right_ts,
            _lifetime: std::marker::PhantomData,
        };
        let mut out = StreamCollector::new(downstream.output.as_mut(), Some(context.timestamp()));
        let applied = function.process_element(left, right, &mut context, &mut out);
        out.into_result()?;
        applied.map_err(|error| user_failure(runtime, error))
    }
}

/// Joins `value` of one side (key `key`) with the other side's buffered records whose
/// timestamps `side.joins` holds (`emit(value, other, other_ts)`, by ascending timestamp),
/// then buffers it and registers its cleanup timer.
fn join_and_buffer<K: StateKey + Clone, Own: Data, Other: Data>(
    keyed: &mut KeyedOperatorState<K>,
    key: K,
    value: Own,
    side: Side<Own, Other>,
    mut emit: impl FnMut(&Own, &Other, i64) -> Result<(), WeirError>,
) -> Result<(), WeirError> {
    keyed.backend.set_current_key(key.clone());
    let mut buckets = keyed.backend.namespaces(side.other);
    buckets.retain(|bucket| side.joins.contains(bucket));
    buckets.sort_unstable();
    for bucket in buckets {
        if let Some(others) = keyed.backend.list_get(side.other, &bucket) {
            for other in others {
                emit(&value, other, bucket)?;
            }
        }
    }
    // A managed backend records a failed read of a spilled bucket for this check.
    keyed.check_failure()?;
    keyed.backend.list_add(side.own, &side.ts, value)?;
    keyed
        .timers
        .register_event_time_timer(&key, &VoidNamespace, side.cleanup_at);
    Ok(())
}

impl<K, A, B, O, F> TwoInputLink<A, B> for IntervalJoinLink<K, A, B, O, F>
where
    K: StateKey + Clone,
    A: Data,
    B: Data,
    F: ProcessJoinFunction<A, B, O>,
{
    fn process_element1(&mut self, value: A, timestamp: Option<i64>) -> Result<(), WeirError> {
        let ts = self.timestamp_of(timestamp, "first")?;
        if ts < self.keyed.timers.current_watermark() {
            return match &self.late.0 {
                Some(tag) => self.downstream.side.emit(tag.id(), value, timestamp),
                None => Ok(()),
            };
        }
        let key = (self.key1)(&value);
        let side = Side {
            own: self.left,
            other: self.right,
            ts,
            joins: self.bounds.seconds_joined_by(ts),
            cleanup_at: self.bounds.first_cleanup(ts),
        };
        let (function, downstream, context) =
            (&mut self.function, &mut self.downstream, &self.context);
        join_and_buffer(
            &mut self.keyed,
            key,
            value,
            side,
            |left, right, right_ts| {
                Self::emit(function, downstream, context, (left, ts), (right, right_ts))
            },
        )
    }

    fn process_element2(&mut self, value: B, timestamp: Option<i64>) -> Result<(), WeirError> {
        let ts = self.timestamp_of(timestamp, "second")?;
        if ts < self.keyed.timers.current_watermark() {
            return match &self.late.1 {
                Some(tag) => self.downstream.side.emit(tag.id(), value, timestamp),
                None => Ok(()),
            };
        }
        let key = (self.key2)(&value);
        let side = Side {
            own: self.right,
            other: self.left,
            ts,
            joins: self.bounds.firsts_joined_by(ts),
            cleanup_at: self.bounds.second_cleanup(ts),
        };
        let (function, downstream, context) =
            (&mut self.function, &mut self.downstream, &self.context);
        join_and_buffer(&mut self.keyed, key, value, side, |right, left, left_ts| {
            Self::emit(function, downstream, context, (left, left_ts), (right, ts))
        })
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        while let Some(timer) = self.keyed.timers.pop_event_timer(watermark) {
            self.keyed.backend.set_current_key(timer.key);
            // The buckets whose cleanup time is the timer's (see the module docs).
            let time = timer.timestamp;
            let (left, right) = (self.left, self.right);
            self.keyed
                .backend
                .clear(left, &self.bounds.first_bucket_due(time));
            self.keyed
                .backend
                .clear(right, &self.bounds.second_bucket_due(time));
        }
        self.keyed.check_failure()?;
        self.downstream.process_watermark(watermark)
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.downstream.process_watermark_status(idle)
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        self.downstream.on_processing_time(now_ms)
    }

    fn next_processing_time(&self) -> Option<i64> {
        self.downstream.next_processing_time(None)
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.keyed.snapshot_into(snapshot)?;
        self.downstream.snapshot_state(barrier, snapshot)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.downstream.notify_checkpoint_complete(checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.function
            .close()
            .map_err(|error| user_failure(&self.context, error))?;
        self.downstream.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::stream::side_output::{SideOutputLinks, TypedSideOutput};
    use crate::runtime::stream::test_link::{Recorded, RecordingLink};

    type Link = IntervalJoinLink<
        u32,
        (u32, u64),
        (u32, u64),
        (u64, u64),
        JoinClosure<fn(&(u32, u64), &(u32, u64)) -> (u64, u64)>,
    >;

    fn ids(left: &(u32, u64), right: &(u32, u64)) -> (u64, u64) {
        (left.1, right.1)
    }

    fn open(late: RecordingLink<(u32, u64)>) -> (Link, RecordingLink<(u64, u64)>) {
        let joined = RecordingLink::new();
        let side = SideOutputLinks::new(vec![(
            "late-left".to_owned(),
            Box::new(TypedSideOutput::<(u32, u64)> {
                link: Box::new(late),
            }) as Box<dyn crate::runtime::stream::side_output::SideOutput>,
        )]);
        let link = IntervalJoinLink::open(
            JoinClosure(ids as fn(&(u32, u64), &(u32, u64)) -> (u64, u64)),
            &OperatorSetup::for_test("IntervalJoin", None),
            JoinBounds {
                lower: -2,
                upper: 3,
            },
            (
                Arc::new(|r: &(u32, u64)| r.0),
                Arc::new(|r: &(u32, u64)| r.0),
            ),
            (Some(OutputTag::new("late-left")), None),
            Downstream::new(Box::new(joined.clone()), side),
        )
        .unwrap();
        (link, joined)
    }

    fn records<T: Clone>(link: &RecordingLink<T>) -> Vec<(T, Option<i64>)> {
        link.calls()
            .into_iter()
            .filter_map(|call| match call {
                Recorded::Record(value, timestamp) => Some((value, timestamp)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn buffers_are_cleaned_once_the_watermark_passes_and_late_records_go_to_the_side_output() {
        let late = RecordingLink::new();
        let (mut link, joined) = open(late.clone());
        link.process_element1((7, 1), Some(10)).unwrap();
        link.process_element2((7, 2), Some(13)).unwrap(); // 13 - 10 = 3: joins
        link.process_element2((7, 3), Some(14)).unwrap(); // 4: outside
        link.process_element2((8, 4), Some(12)).unwrap(); // other key
        assert_eq!(records(&joined), vec![((1, 2), Some(13))]);
        assert_eq!(link.keyed.backend.entry_count(), 4);
        // Left 10 is cleaned at 10 + 3; right 13 at 13 + 2 = 15, 14 at 16, 12 at 14.
        link.process_watermark(16).unwrap();
        assert_eq!(link.keyed.backend.entry_count(), 0);
        link.process_element1((7, 5), Some(15)).unwrap(); // behind the watermark
        assert_eq!(records(&late), vec![((7, 5), Some(15))]);
        link.process_element1((7, 6), Some(17)).unwrap();
        link.process_element2((7, 7), Some(15)).unwrap(); // late, no tag: dropped
        assert_eq!(records(&joined).len(), 1);
        let error = link.process_element1((7, 8), None).unwrap_err();
        assert!(error.to_string().contains("first input"), "{error}");
    }
}
