//! [`WatermarkOutput`]: where a [`WatermarkGenerator`](super::WatermarkGenerator) emits.
//!
//! The output keeps the highest watermark emitted and whether the input is idle, and remembers
//! what changed since the operator last took the changes ([`WatermarkOutput::take_update`]):
//!
//! ```text
//!   emit_watermark(5)  emit_watermark(3)  emit_watermark(9)  mark_idle()   take_update()
//!   wm 5, changed      ignored (lower)    wm 9, changed      idle          ─▶ { watermark: 9, idle: Some(true) }
//! ```
//!
//! Emitting a higher watermark makes an idle output active again (Flink's
//! `WatermarkToDataOutput`).

use super::NO_TIMESTAMP;

/// What changed on a [`WatermarkOutput`] since the last [`WatermarkOutput::take_update`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatermarkUpdate {
    /// The new (higher) watermark, if it advanced.
    pub watermark: Option<i64>,
    /// The new status if it changed: `Some(true)` idle, `Some(false)` active again.
    pub idle: Option<bool>,
}

impl WatermarkUpdate {
    pub fn is_empty(&self) -> bool {
        self.watermark.is_none() && self.idle.is_none()
    }
}

/// Collects the watermarks and the idleness of one input. See the module docs.
#[derive(Debug, Clone)]
pub struct WatermarkOutput {
    watermark: i64,
    idle: bool,
    watermark_changed: bool,
    /// The status at the last `take_update`.
    reported_idle: bool,
    processing_time_ms: i64,
}

impl Default for WatermarkOutput {
    fn default() -> Self {
        WatermarkOutput::new()
    }
}

impl WatermarkOutput {
    /// No watermark yet (`i64::MIN`), active.
    pub fn new() -> WatermarkOutput {
        WatermarkOutput {
            watermark: NO_TIMESTAMP,
            idle: false,
            watermark_changed: false,
            reported_idle: false,
            processing_time_ms: 0,
        }
    }

    /// Emits `watermark` if it is higher than every watermark emitted before (otherwise it is
    /// ignored); a higher watermark also makes an idle output active.
    #[inline]
    pub fn emit_watermark(&mut self, watermark: i64) {
        if watermark > self.watermark {
            self.watermark = watermark;
            self.watermark_changed = true;
            self.idle = false;
        }
    }

    /// The input has no data for now: it must not hold back the watermark downstream.
    pub fn mark_idle(&mut self) {
        self.idle = true;
    }

    /// The input has data again.
    pub fn mark_active(&mut self) {
        self.idle = false;
    }

    /// The highest watermark emitted (`i64::MIN` if none).
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }

    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// The processing time (milliseconds since the epoch) of the call the operator is making.
    pub fn processing_time_ms(&self) -> i64 {
        self.processing_time_ms
    }

    /// Sets the processing time generators see (the operator, before calling them).
    pub fn set_processing_time_ms(&mut self, now_ms: i64) {
        self.processing_time_ms = now_ms;
    }

    /// What changed since the last call; resets the change flags.
    pub fn take_update(&mut self) -> WatermarkUpdate {
        let update = WatermarkUpdate {
            watermark: self.watermark_changed.then_some(self.watermark),
            idle: (self.idle != self.reported_idle).then_some(self.idle),
        };
        self.watermark_changed = false;
        self.reported_idle = self.idle;
        update
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermarks_only_increase_and_wake_an_idle_output() {
        let mut output = WatermarkOutput::new();
        assert!(output.take_update().is_empty());
        output.emit_watermark(5);
        output.emit_watermark(3);
        assert_eq!(
            output.take_update(),
            WatermarkUpdate {
                watermark: Some(5),
                idle: None
            }
        );
        output.emit_watermark(5);
        assert!(output.take_update().is_empty());
        output.mark_idle();
        assert_eq!(output.take_update().idle, Some(true));
        output.emit_watermark(4);
        assert!(output.is_idle());
        output.emit_watermark(9);
        assert_eq!(
            output.take_update(),
            WatermarkUpdate {
                watermark: Some(9),
                idle: Some(false)
            }
        );
        // Idle and back within one round is no change.
        output.mark_idle();
        output.mark_active();
        assert!(output.take_update().is_empty());
        assert_eq!(output.current_watermark(), 9);
    }
}
