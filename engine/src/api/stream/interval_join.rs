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

use std::sync::Arc;

use crate::api::Data;
use crate::api::functions::{RuntimeContext, UserError};
use crate::api::stream::connected_streams::{downstream, two_input_head};
use crate::api::stream::data_stream::DataStream;
use crate::api::stream::keyed_co_process_function::KeyOf;
use crate::api::stream::keyed_stream::KeyedStream;
use crate::api::stream::node_factories::{OperatorFn, runtime_context};
use crate::api::stream::output_tag::OutputTag;
use crate::checkpoint::OperatorSnapshot;
use crate::error::WeirError;
use crate::eventtime::NO_TIMESTAMP;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{OperatorSetup, TaskSnapshot};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::runtime::stream::two_input_link::TwoInputLink;
use crate::state::{
    KeyedStateBackend, ListStateDescriptor, ListStateHandle, StateKey, VoidNamespace,
};
use crate::windowing::InternalTimerService;

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

/// The inclusive bounds of `b.ts - a.ts`.
#[derive(Debug, Clone, Copy)]
struct JoinBounds {
    lower: i64,
    upper: i64,
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
                        downstream(output, side),
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
    uid: String,
    bounds: JoinBounds,
    key1: KeyOf<A, K>,
    key2: KeyOf<B, K>,
    late: (Option<OutputTag<A>>, Option<OutputTag<B>>),
    backend: KeyedStateBackend<K>,
    /// Left and right buffers: the records of the current key, by timestamp.
    left: ListStateHandle<i64, A>,
    right: ListStateHandle<i64, B>,
    cleanup: InternalTimerService<K, VoidNamespace>,
    downstream: Downstream<O>,
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
        let mut backend = KeyedStateBackend::from_setup(setup)?;
        let mut cleanup = InternalTimerService::new(
            "interval-join-cleanup",
            setup.max_parallelism,
            setup.key_groups,
        );
        if let Some(restored) = &setup.restored {
            backend.restore_from(restored)?;
            cleanup.restore_from(restored)?;
        }
        let left = backend.list_state(&ListStateDescriptor::new("left-buffer"))?;
        let right = backend.list_state(&ListStateDescriptor::new("right-buffer"))?;
        function
            .open(&context)
            .map_err(|error| user_failure(&context, error))?;
        Ok(IntervalJoinLink {
            function,
            context,
            uid: setup.uid.clone(),
            bounds,
            key1: keys.0,
            key2: keys.1,
            late,
            backend,
            left,
            right,
            cleanup,
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

impl<K, A, B, O, F> TwoInputLink<A, B> for IntervalJoinLink<K, A, B, O, F>
where
    K: StateKey + Clone,
    A: Data,
    B: Data,
    F: ProcessJoinFunction<A, B, O>,
{
    fn process_element1(&mut self, value: A, timestamp: Option<i64>) -> Result<(), WeirError> {
        let ts = self.timestamp_of(timestamp, "first")?;
        if ts < self.cleanup.current_watermark() {
            return match &self.late.0 {
                Some(tag) => self.downstream.side.emit(tag.id(), value, timestamp),
                None => Ok(()),
            };
        }
        let key = (self.key1)(&value);
        self.backend.set_current_key(key.clone());
        let (lower, upper) = (
            ts.saturating_add(self.bounds.lower),
            ts.saturating_add(self.bounds.upper),
        );
        let mut buckets = self.backend.namespaces(self.right);
        buckets.retain(|bucket| (lower..=upper).contains(bucket));
        buckets.sort_unstable();
        for bucket in buckets {
            let rights = self
                .backend
                .list_get(self.right, &bucket)
                .map(<[B]>::to_vec)
                .unwrap_or_default();
            for right in &rights {
                Self::emit(
                    &mut self.function,
                    &mut self.downstream,
                    &self.context,
                    (&value, ts),
                    (right, bucket),
                )?;
            }
        }
        // A managed backend records a failed read of a spilled bucket for this check.
        self.backend.check_failure()?;
        self.backend.list_add(self.left, &ts, value)?;
        let cleanup_at = if self.bounds.upper > 0 {
            ts.saturating_add(self.bounds.upper)
        } else {
            ts
        };
        self.cleanup
            .register_event_time_timer(&key, &VoidNamespace, cleanup_at);
        Ok(())
    }

    fn process_element2(&mut self, value: B, timestamp: Option<i64>) -> Result<(), WeirError> {
        let ts = self.timestamp_of(timestamp, "second")?;
        if ts < self.cleanup.current_watermark() {
            return match &self.late.1 {
                Some(tag) => self.downstream.side.emit(tag.id(), value, timestamp),
                None => Ok(()),
            };
        }
        let key = (self.key2)(&value);
        self.backend.set_current_key(key.clone());
        let (lower, upper) = (
            ts.saturating_sub(self.bounds.upper),
            ts.saturating_sub(self.bounds.lower),
        );
        let mut buckets = self.backend.namespaces(self.left);
        buckets.retain(|bucket| (lower..=upper).contains(bucket));
        buckets.sort_unstable();
        for bucket in buckets {
            let lefts = self
                .backend
                .list_get(self.left, &bucket)
                .map(<[A]>::to_vec)
                .unwrap_or_default();
            for left in &lefts {
                Self::emit(
                    &mut self.function,
                    &mut self.downstream,
                    &self.context,
                    (left, bucket),
                    (&value, ts),
                )?;
            }
        }
        self.backend.check_failure()?;
        self.backend.list_add(self.right, &ts, value)?;
        let cleanup_at = if self.bounds.lower <= 0 {
            ts.saturating_sub(self.bounds.lower)
        } else {
            ts
        };
        self.cleanup
            .register_event_time_timer(&key, &VoidNamespace, cleanup_at);
        Ok(())
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        while let Some(timer) = self.cleanup.pop_event_timer(watermark) {
            self.backend.set_current_key(timer.key);
            let time = timer.timestamp;
            // The buckets whose cleanup time is `time` (see the module docs).
            let left_bucket = if self.bounds.upper > 0 {
                time.saturating_sub(self.bounds.upper)
            } else {
                time
            };
            let right_bucket = if self.bounds.lower <= 0 {
                time.saturating_add(self.bounds.lower)
            } else {
                time
            };
            self.backend.clear(self.left, &left_bucket);
            self.backend.clear(self.right, &right_bucket);
        }
        self.backend.check_failure()?;
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
        let mut state = OperatorSnapshot::default();
        self.backend.snapshot_into(&mut state)?;
        self.cleanup.snapshot_into(&mut state)?;
        snapshot.insert(self.uid.clone(), state);
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
        assert_eq!(link.backend.entry_count(), 4);
        // Left 10 is cleaned at 10 + 3; right 13 at 13 + 2 = 15, 14 at 16, 12 at 14.
        link.process_watermark(16).unwrap();
        assert_eq!(link.backend.entry_count(), 0);
        link.process_element1((7, 5), Some(15)).unwrap(); // behind the watermark
        assert_eq!(records(&late), vec![((7, 5), Some(15))]);
        link.process_element1((7, 6), Some(17)).unwrap();
        link.process_element2((7, 7), Some(15)).unwrap(); // late, no tag: dropped
        assert_eq!(records(&joined).len(), 1);
        let error = link.process_element1((7, 8), None).unwrap_err();
        assert!(error.to_string().contains("first input"), "{error}");
    }
}
