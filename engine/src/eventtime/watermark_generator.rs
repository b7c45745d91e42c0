//! [`WatermarkGenerator`]: decides the watermarks of one input from its events and from the
//! periodic calls (Flink's `WatermarkGenerator`).
//!
//! ```text
//!   on_event(value, ts, out)     every record, after its timestamp is assigned
//!                                (punctuated generators emit here)
//!   on_periodic_emit(out)        every pipeline.auto-watermark-interval of processing time
//!                                (periodic generators emit here)
//! ```

use std::marker::PhantomData;

use super::WatermarkOutput;

/// Generates the watermarks of one input. See the module docs.
pub trait WatermarkGenerator<T>: Send {
    /// One event with its assigned timestamp.
    fn on_event(&mut self, value: &T, timestamp: i64, output: &mut WatermarkOutput);

    /// Called periodically (processing time): emit the watermark the events seen so far allow.
    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput);
}

/// Emits no watermark at all (Flink's `NoWatermarksGenerator`): only the final watermark of a
/// bounded input advances event time.
pub struct NoWatermarksGenerator<T> {
    record: PhantomData<fn(&T)>,
}

impl<T> std::fmt::Debug for NoWatermarksGenerator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoWatermarksGenerator")
            .finish_non_exhaustive()
    }
}

impl<T> Default for NoWatermarksGenerator<T> {
    fn default() -> Self {
        NoWatermarksGenerator {
            record: PhantomData,
        }
    }
}

impl<T> WatermarkGenerator<T> for NoWatermarksGenerator<T> {
    fn on_event(&mut self, _value: &T, _timestamp: i64, _output: &mut WatermarkOutput) {}

    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}
