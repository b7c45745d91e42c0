//! [`WatermarksWithIdleness`]: marks the output idle when no event arrived for a timeout
//! (Flink's `WatermarksWithIdleness` with its `IdlenessTimer`).
//!
//! ```text
//!   periodic check:  events since the last check?  yes ─▶ active, inner generator emits
//!                                                   no  ─▶ first quiet check: remember now
//!                                                          later: now - quiet_since > timeout
//!                                                                 ─▶ mark_idle (once)
//!   on_event ─▶ inner.on_event, count the activity, active again
//! ```
//!
//! The clock is the processing time the operator puts on the output
//! ([`WatermarkOutput::processing_time_ms`]), so the idleness is noticed at most one watermark
//! interval after the timeout.

use std::time::Duration;

use super::{WatermarkGenerator, WatermarkOutput};

/// Wraps a generator with idleness detection. See the module docs.
pub struct WatermarksWithIdleness<T> {
    inner: Box<dyn WatermarkGenerator<T>>,
    timeout_ms: i64,
    events: u64,
    events_at_last_check: u64,
    quiet_since_ms: Option<i64>,
    idle: bool,
}

impl<T> std::fmt::Debug for WatermarksWithIdleness<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatermarksWithIdleness")
            .field("timeout_ms", &self.timeout_ms)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl<T> WatermarksWithIdleness<T> {
    pub fn new(inner: Box<dyn WatermarkGenerator<T>>, timeout: Duration) -> Self {
        WatermarksWithIdleness {
            inner,
            timeout_ms: i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX),
            events: 0,
            events_at_last_check: 0,
            quiet_since_ms: None,
            idle: false,
        }
    }

    /// Whether the input counts as idle at `now_ms`; see the module docs.
    fn check_if_idle(&mut self, now_ms: i64) -> bool {
        if self.events != self.events_at_last_check {
            self.events_at_last_check = self.events;
            self.quiet_since_ms = None;
            return false;
        }
        match self.quiet_since_ms {
            None => {
                self.quiet_since_ms = Some(now_ms);
                false
            }
            Some(since) => now_ms.saturating_sub(since) > self.timeout_ms,
        }
    }
}

impl<T> WatermarkGenerator<T> for WatermarksWithIdleness<T> {
    #[inline]
    fn on_event(&mut self, value: &T, timestamp: i64, output: &mut WatermarkOutput) {
        self.inner.on_event(value, timestamp, output);
        self.events += 1;
        if self.idle {
            self.idle = false;
            output.mark_active();
        }
    }

    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput) {
        if self.check_if_idle(output.processing_time_ms()) {
            if !self.idle {
                self.idle = true;
                output.mark_idle();
            }
        } else {
            self.inner.on_periodic_emit(output);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventtime::BoundedOutOfOrdernessWatermarks;

    fn periodic(
        generator: &mut WatermarksWithIdleness<()>,
        output: &mut WatermarkOutput,
        now: i64,
    ) {
        output.set_processing_time_ms(now);
        generator.on_periodic_emit(output);
    }

    #[test]
    fn idle_after_the_timeout_without_events_and_active_on_the_next() {
        let inner = Box::new(BoundedOutOfOrdernessWatermarks::new(Duration::ZERO));
        let mut generator = WatermarksWithIdleness::new(inner, Duration::from_millis(1000));
        let mut output = WatermarkOutput::new();
        generator.on_event(&(), 10, &mut output);
        periodic(&mut generator, &mut output, 0);
        assert_eq!(output.current_watermark(), 9);
        periodic(&mut generator, &mut output, 200); // quiet since 200
        periodic(&mut generator, &mut output, 1200);
        assert!(!output.is_idle(), "exactly the timeout is not yet idle");
        periodic(&mut generator, &mut output, 1201);
        assert!(output.is_idle());
        periodic(&mut generator, &mut output, 5000);
        assert!(output.is_idle());
        generator.on_event(&(), 11, &mut output);
        assert!(!output.is_idle());
        periodic(&mut generator, &mut output, 5200);
        assert_eq!(output.current_watermark(), 10);
        assert!(!output.is_idle());
    }
}
