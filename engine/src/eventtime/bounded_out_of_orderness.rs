//! [`BoundedOutOfOrdernessWatermarks`]: records arrive at most `max_out_of_orderness` late
//! (Flink's `BoundedOutOfOrdernessWatermarks`).
//!
//! ```text
//!   watermark = (highest timestamp seen) - max_out_of_orderness - 1
//!   events 1000, 3000, 2500 with 1000 ms:  max 3000 ─▶ watermark 1999
//!   (a record at 2000 is still on time, one at 1999 is late)
//! ```
//!
//! The `- 1` makes a record whose timestamp is exactly `max - out_of_orderness` on time.
//! Monotonous timestamps are the case `max_out_of_orderness = 0`: watermark = max - 1.
//! Arithmetic saturates at the ends of `i64`.

use std::marker::PhantomData;
use std::time::Duration;

use super::{WatermarkGenerator, WatermarkOutput};

/// See the module docs.
pub struct BoundedOutOfOrdernessWatermarks<T> {
    max_timestamp: i64,
    out_of_orderness_ms: i64,
    record: PhantomData<fn(&T)>,
}

impl<T> std::fmt::Debug for BoundedOutOfOrdernessWatermarks<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundedOutOfOrdernessWatermarks")
            .field("max_timestamp", &self.max_timestamp)
            .field("out_of_orderness_ms", &self.out_of_orderness_ms)
            .finish_non_exhaustive()
    }
}

impl<T> BoundedOutOfOrdernessWatermarks<T> {
    pub fn new(max_out_of_orderness: Duration) -> Self {
        let out_of_orderness_ms =
            i64::try_from(max_out_of_orderness.as_millis()).unwrap_or(i64::MAX);
        BoundedOutOfOrdernessWatermarks {
            // So the first periodic emit, before any event, yields i64::MIN (no watermark).
            max_timestamp: i64::MIN
                .saturating_add(out_of_orderness_ms)
                .saturating_add(1),
            out_of_orderness_ms,
            record: PhantomData,
        }
    }

    /// The watermark the events so far allow.
    pub fn current_watermark(&self) -> i64 {
        self.max_timestamp
            .saturating_sub(self.out_of_orderness_ms)
            .saturating_sub(1)
    }
}

impl<T> WatermarkGenerator<T> for BoundedOutOfOrdernessWatermarks<T> {
    #[inline]
    fn on_event(&mut self, _value: &T, timestamp: i64, _output: &mut WatermarkOutput) {
        self.max_timestamp = self.max_timestamp.max(timestamp);
    }

    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput) {
        output.emit_watermark(self.current_watermark());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_is_max_minus_bound_minus_one() {
        let mut generator = BoundedOutOfOrdernessWatermarks::<()>::new(Duration::from_millis(1000));
        let mut output = WatermarkOutput::new();
        generator.on_periodic_emit(&mut output);
        assert_eq!(output.current_watermark(), i64::MIN);
        for ts in [1000, 3000, 2500] {
            generator.on_event(&(), ts, &mut output);
        }
        assert_eq!(
            output.current_watermark(),
            i64::MIN,
            "on_event emits nothing"
        );
        generator.on_periodic_emit(&mut output);
        assert_eq!(output.current_watermark(), 1999);

        let mut monotonous = BoundedOutOfOrdernessWatermarks::<()>::new(Duration::ZERO);
        monotonous.on_event(&(), 10, &mut output);
        assert_eq!(monotonous.current_watermark(), 9);
    }

    #[test]
    fn extremes_saturate() {
        let mut generator = BoundedOutOfOrdernessWatermarks::<()>::new(Duration::MAX);
        let mut output = WatermarkOutput::new();
        generator.on_event(&(), i64::MIN, &mut output);
        generator.on_periodic_emit(&mut output);
        assert_eq!(output.current_watermark(), i64::MIN);
        let mut generator = BoundedOutOfOrdernessWatermarks::<()>::new(Duration::ZERO);
        generator.on_event(&(), i64::MAX, &mut output);
        assert_eq!(generator.current_watermark(), i64::MAX - 1);
    }
}
