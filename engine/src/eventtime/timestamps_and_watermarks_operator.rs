//! [`TimestampsAndWatermarksOperator`]: `DataStream::assign_timestamps_and_watermarks` in the
//! middle of a stream (Flink's `TimestampsAndWatermarksOperator`).
//!
//! ```text
//!   process_element ─▶ assigner ─ts─▶ generator.on_event ─▶ record (with ts) downstream
//!                                                          ─▶ watermark if on_event emitted one
//!   on_processing_time(now >= next emit) ─▶ generator.on_periodic_emit ─▶ watermark / idle
//!                                           next emit = now + pipeline.auto-watermark-interval
//!   upstream watermarks and idle/active ─▶ swallowed (this operator makes the watermarks),
//!                                          except the final i64::MAX, which is passed on
//! ```
//!
//! The first periodic emit is due at once (the operator learns the time from the first
//! `on_processing_time`). With an interval of 0 the generator's periodic emit runs after every
//! record instead, and there is no timer. The operator has no state of its own.

use std::sync::Arc;

use super::{
    MAX_WATERMARK, TimestampAssigner, WatermarkGenerator, WatermarkOutput, WatermarkStrategy,
    WatermarkUpdate,
};
use crate::api::Data;
use crate::config::options::AUTO_WATERMARK_INTERVAL;
use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::{ChainLink, OperatorSetup, TaskSnapshot};

/// Builds the operator as a chain link. See the module docs.
pub fn timestamps_and_watermarks_operator<T: Data>(
    setup: &OperatorSetup,
    strategy: WatermarkStrategy<T>,
    output: Box<dyn ChainLink<T>>,
) -> Box<dyn ChainLink<T>> {
    Box::new(TimestampsAndWatermarksOperator::new(
        setup, strategy, output,
    ))
}

/// See the module docs.
pub struct TimestampsAndWatermarksOperator<T> {
    assigner: Arc<dyn TimestampAssigner<T>>,
    generator: Box<dyn WatermarkGenerator<T>>,
    watermarks: WatermarkOutput,
    interval_ms: i64,
    /// When the next periodic emit is due; `None` with an interval of 0 or after the end.
    next_emit_ms: Option<i64>,
    /// The final watermark went through: nothing more is emitted.
    ended: bool,
    output: Box<dyn ChainLink<T>>,
}

impl<T> std::fmt::Debug for TimestampsAndWatermarksOperator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimestampsAndWatermarksOperator")
            .field("watermarks", &self.watermarks)
            .field("interval_ms", &self.interval_ms)
            .finish_non_exhaustive()
    }
}

impl<T: Data> TimestampsAndWatermarksOperator<T> {
    pub fn new(
        setup: &OperatorSetup,
        strategy: WatermarkStrategy<T>,
        output: Box<dyn ChainLink<T>>,
    ) -> Self {
        let interval = setup.config.get(&AUTO_WATERMARK_INTERVAL);
        let interval_ms = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        TimestampsAndWatermarksOperator {
            assigner: strategy.timestamp_assigner(),
            generator: strategy.create_generator(),
            watermarks: WatermarkOutput::new(),
            interval_ms,
            next_emit_ms: (interval_ms > 0).then_some(i64::MIN),
            ended: false,
            output,
        }
    }

    /// The highest watermark emitted (`i64::MIN` if none).
    pub fn current_watermark(&self) -> i64 {
        self.watermarks.current_watermark()
    }

    fn forward(&mut self) -> Result<(), WeirError> {
        let update = self.watermarks.take_update();
        self.emit(update)
    }

    /// Passes `update` downstream: active before the watermark, idle after it.
    fn emit(&mut self, update: WatermarkUpdate) -> Result<(), WeirError> {
        let WatermarkUpdate { watermark, idle } = update;
        if self.ended {
            return Ok(());
        }
        if idle == Some(false) {
            self.output.process_watermark_status(false)?;
        }
        if let Some(watermark) = watermark {
            self.output.process_watermark(watermark)?;
        }
        if idle == Some(true) {
            self.output.process_watermark_status(true)?;
        }
        Ok(())
    }
}

impl<T: Data> ChainLink<T> for TimestampsAndWatermarksOperator<T> {
    #[inline]
    fn process_element(&mut self, value: T, timestamp: Option<i64>) -> Result<(), WeirError> {
        let timestamp = self.assigner.extract_timestamp(&value, timestamp);
        self.generator
            .on_event(&value, timestamp, &mut self.watermarks);
        let before = self.watermarks.take_update();
        if before.idle == Some(false) && !self.ended {
            // The record's input is active again: say so before the record.
            self.output.process_watermark_status(false)?;
        }
        self.output.process_element(value, Some(timestamp))?;
        if self.interval_ms == 0 {
            self.generator.on_periodic_emit(&mut self.watermarks);
        }
        let after = self.watermarks.take_update();
        self.emit(WatermarkUpdate {
            watermark: after.watermark.or(before.watermark),
            idle: after.idle.or(before.idle.filter(|&idle| idle)),
        })
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        if watermark == MAX_WATERMARK && !self.ended {
            if self.watermarks.is_idle() {
                self.output.process_watermark_status(false)?;
            }
            self.watermarks.emit_watermark(MAX_WATERMARK);
            self.watermarks.take_update();
            self.ended = true;
            self.next_emit_ms = None;
            self.output.process_watermark(MAX_WATERMARK)?;
        }
        Ok(())
    }

    fn process_watermark_status(&mut self, _idle: bool) -> Result<(), WeirError> {
        // This operator decides the idleness of its output itself.
        Ok(())
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        self.watermarks.set_processing_time_ms(now_ms);
        if let Some(due) = self.next_emit_ms
            && now_ms >= due
        {
            self.generator.on_periodic_emit(&mut self.watermarks);
            self.forward()?;
            self.next_emit_ms = Some(now_ms.saturating_add(self.interval_ms));
        }
        self.output.on_processing_time(now_ms)
    }

    fn next_processing_time(&self) -> Option<i64> {
        match (self.next_emit_ms, self.output.next_processing_time()) {
            (Some(own), Some(downstream)) => Some(own.min(downstream)),
            (own, downstream) => own.or(downstream),
        }
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.output.snapshot_state(barrier, snapshot)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.output.notify_checkpoint_complete(checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.output.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::Configuration;
    use crate::runtime::stream::test_link::{Recorded, RecordingLink};
    use crate::state::key_group::KeyGroupRange;

    fn setup_with(pairs: &[(&str, &str)]) -> OperatorSetup {
        OperatorSetup {
            name: "test operator".into(),
            uid: "test-uid".into(),
            subtask: 0,
            parallelism: 1,
            max_parallelism: 128,
            key_groups: KeyGroupRange::all(128),
            restored: None,
            state_heap_budget_bytes: 1 << 20,
            managed_state: None,
            snapshot_spool: None,
            progress: Default::default(),
            config: Configuration::from_pairs(pairs.iter().copied()).unwrap(),
        }
    }

    type Event = (i64, u8);

    fn operator(
        interval: &str,
        strategy: WatermarkStrategy<Event>,
    ) -> (Box<dyn ChainLink<Event>>, RecordingLink<Event>) {
        let link = RecordingLink::new();
        let setup = setup_with(&[("pipeline.auto-watermark-interval", interval)]);
        let operator = timestamps_and_watermarks_operator(&setup, strategy, Box::new(link.clone()));
        (operator, link)
    }

    #[test]
    fn assigns_timestamps_and_emits_periodically() {
        let strategy = WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(10))
            .with_timestamp_assigner(|event: &(i64, u8), _| event.0);
        let (mut operator, link) = operator("200 ms", strategy);
        assert_eq!(operator.next_processing_time(), Some(i64::MIN));
        operator.on_processing_time(1_000).unwrap();
        assert_eq!(operator.next_processing_time(), Some(1_200));
        operator.process_element((100, 1), Some(5)).unwrap();
        operator.process_element((50, 2), None).unwrap();
        operator.process_watermark(10_000).unwrap(); // swallowed
        operator.process_watermark_status(true).unwrap(); // swallowed
        operator.on_processing_time(1_100).unwrap(); // not due
        operator.on_processing_time(1_200).unwrap();
        operator.process_element((300, 3), None).unwrap();
        operator.on_processing_time(1_400).unwrap();
        operator.on_processing_time(1_600).unwrap(); // no change, nothing emitted
        operator.process_watermark(i64::MAX).unwrap();
        operator.on_processing_time(1_800).unwrap();
        operator.finish().unwrap();
        assert_eq!(
            link.calls(),
            [
                Recorded::Record((100, 1), Some(100)),
                Recorded::Record((50, 2), Some(50)),
                Recorded::Watermark(89),
                Recorded::Record((300, 3), Some(300)),
                Recorded::Watermark(289),
                Recorded::Watermark(i64::MAX),
                Recorded::Finish,
            ]
        );
        assert_eq!(operator.next_processing_time(), None);
    }

    #[test]
    fn interval_zero_emits_after_every_record() {
        let strategy = WatermarkStrategy::for_monotonous_timestamps();
        let (mut operator, link) = operator("0 ms", strategy);
        assert_eq!(operator.next_processing_time(), None);
        operator.process_element((0, 1), Some(7)).unwrap();
        operator.process_element((0, 2), Some(9)).unwrap();
        assert_eq!(link.watermarks(), [6, 8]);
    }

    #[test]
    fn idleness_is_emitted_and_cleared() {
        let strategy = WatermarkStrategy::for_monotonous_timestamps()
            .with_idleness(Duration::from_millis(500));
        let (mut operator, link) = operator("100 ms", strategy);
        operator.process_element((0, 1), Some(7)).unwrap();
        for now in (0..=800).step_by(100) {
            operator.on_processing_time(now).unwrap();
        }
        operator.process_element((0, 2), Some(20)).unwrap();
        operator.on_processing_time(900).unwrap();
        // Idle at the end, then the final watermark wakes the output first.
        for now in (1_000..=1_800).step_by(100) {
            operator.on_processing_time(now).unwrap();
        }
        operator.process_watermark(i64::MAX).unwrap();
        assert_eq!(
            link.calls()[1..],
            [
                Recorded::Watermark(6),
                Recorded::Idle(true),
                Recorded::Idle(false),
                Recorded::Record((0, 2), Some(20)),
                Recorded::Watermark(19),
                Recorded::Idle(true),
                Recorded::Idle(false),
                Recorded::Watermark(i64::MAX),
            ]
        );
    }
}
