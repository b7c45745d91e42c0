//! [`WatermarkStrategy`]: how a stream gets timestamps and watermarks (Flink's
//! `WatermarkStrategy`).
//!
//! ```text
//!   WatermarkStrategy::for_bounded_out_of_orderness(2s)     generator factory
//!       .with_timestamp_assigner(|event, _| event.time_ms)  assigner (default: keep the
//!       .with_idleness(30s)                                  record's timestamp)
//!                                                            idleness wrapper
//!   create_generator() ──▶ one generator per split / subtask
//! ```
//!
//! The strategy is cheap to clone (everything is behind `Arc`s) and `Send + Sync`, so the
//! job graph hands a copy to every subtask.

use std::sync::Arc;
use std::time::Duration;

use super::{
    BoundedOutOfOrdernessWatermarks, NoWatermarksGenerator, RecordTimestampAssigner,
    TimestampAssigner, WatermarkGenerator, WatermarksWithIdleness,
};

type GeneratorFactory<T> = Arc<dyn Fn() -> Box<dyn WatermarkGenerator<T>> + Send + Sync>;

/// Timestamps and watermarks of a stream. See the module docs.
pub struct WatermarkStrategy<T> {
    generator: GeneratorFactory<T>,
    assigner: Arc<dyn TimestampAssigner<T>>,
    idle_timeout: Option<Duration>,
}

impl<T> Clone for WatermarkStrategy<T> {
    fn clone(&self) -> Self {
        WatermarkStrategy {
            generator: Arc::clone(&self.generator),
            assigner: Arc::clone(&self.assigner),
            idle_timeout: self.idle_timeout,
        }
    }
}

impl<T> std::fmt::Debug for WatermarkStrategy<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatermarkStrategy")
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl<T: 'static> WatermarkStrategy<T> {
    /// Records arrive at most `max` late: watermark = highest timestamp - `max` - 1.
    pub fn for_bounded_out_of_orderness(max: Duration) -> Self {
        WatermarkStrategy::for_generator(move || {
            Box::new(BoundedOutOfOrdernessWatermarks::<T>::new(max))
        })
    }

    /// Timestamps never decrease: bounded out-of-orderness of 0.
    pub fn for_monotonous_timestamps() -> Self {
        WatermarkStrategy::for_bounded_out_of_orderness(Duration::ZERO)
    }

    /// A custom generator; `f` makes one per split or subtask.
    pub fn for_generator(
        f: impl Fn() -> Box<dyn WatermarkGenerator<T>> + Send + Sync + 'static,
    ) -> Self {
        WatermarkStrategy {
            generator: Arc::new(f),
            assigner: Arc::new(RecordTimestampAssigner),
            idle_timeout: None,
        }
    }

    /// No watermarks (processing-time jobs): event time only moves at the end of the input.
    pub fn no_watermarks() -> Self {
        WatermarkStrategy::for_generator(|| Box::new(NoWatermarksGenerator::<T>::default()))
    }

    /// Extracts the timestamp from the record (`f(value, timestamp it carries)`).
    pub fn with_timestamp_assigner(
        self,
        f: impl Fn(&T, Option<i64>) -> i64 + Send + Sync + 'static,
    ) -> Self {
        WatermarkStrategy {
            assigner: Arc::new(f),
            ..self
        }
    }

    /// An input without events for `timeout` (processing time) is marked idle, so it does not
    /// hold back the watermark; its next event makes it active again.
    pub fn with_idleness(self, timeout: Duration) -> Self {
        WatermarkStrategy {
            idle_timeout: Some(timeout),
            ..self
        }
    }

    /// A new generator (wrapped for idleness if configured).
    pub fn create_generator(&self) -> Box<dyn WatermarkGenerator<T>> {
        let generator = (self.generator)();
        match self.idle_timeout {
            Some(timeout) => Box::new(WatermarksWithIdleness::new(generator, timeout)),
            None => generator,
        }
    }

    /// The timestamp assigner.
    pub fn timestamp_assigner(&self) -> Arc<dyn TimestampAssigner<T>> {
        Arc::clone(&self.assigner)
    }

    /// The idleness timeout, if set.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventtime::WatermarkOutput;

    fn assert_send_sync<S: Send + Sync>() {}

    #[test]
    fn strategies_create_independent_generators() {
        assert_send_sync::<WatermarkStrategy<String>>();
        let strategy = WatermarkStrategy::<(i64, i64)>::for_bounded_out_of_orderness(
            Duration::from_millis(100),
        )
        .with_timestamp_assigner(|event, _| event.0);
        let assigner = strategy.timestamp_assigner();
        assert_eq!(assigner.extract_timestamp(&(500, 1), Some(3)), 500);
        let mut first = strategy.create_generator();
        let mut second = strategy.clone().create_generator();
        let (mut out1, mut out2) = (WatermarkOutput::new(), WatermarkOutput::new());
        first.on_event(&(500, 1), 500, &mut out1);
        first.on_periodic_emit(&mut out1);
        second.on_periodic_emit(&mut out2);
        assert_eq!(out1.current_watermark(), 399);
        assert_eq!(out2.current_watermark(), i64::MIN);
    }

    #[test]
    fn monotonous_and_none() {
        let strategy = WatermarkStrategy::<i64>::for_monotonous_timestamps();
        let mut generator = strategy.create_generator();
        let mut output = WatermarkOutput::new();
        generator.on_event(&0, 42, &mut output);
        generator.on_periodic_emit(&mut output);
        assert_eq!(output.current_watermark(), 41);
        assert_eq!(
            strategy.timestamp_assigner().extract_timestamp(&0, None),
            i64::MIN
        );

        let mut none = WatermarkStrategy::<i64>::no_watermarks().create_generator();
        none.on_event(&0, 42, &mut output);
        let mut fresh = WatermarkOutput::new();
        none.on_periodic_emit(&mut fresh);
        assert_eq!(fresh.current_watermark(), i64::MIN);
    }

    #[test]
    fn idleness_wraps_the_generator() {
        let strategy = WatermarkStrategy::<i64>::for_monotonous_timestamps()
            .with_idleness(Duration::from_millis(10));
        assert_eq!(strategy.idle_timeout(), Some(Duration::from_millis(10)));
        let mut generator = strategy.create_generator();
        let mut output = WatermarkOutput::new();
        for now in [0, 5, 20] {
            output.set_processing_time_ms(now);
            generator.on_periodic_emit(&mut output);
        }
        assert!(output.is_idle());
    }
}
