//! [`WatermarkOutputMultiplexer`]: one watermark from the outputs of many splits (Flink's
//! `WatermarkOutputMultiplexer` with its `CombinedWatermarkStatus`).
//!
//! ```text
//!   split 0 output  wm 1200  active ─┐
//!   split 1 output  wm  900  active ─┼─▶ min over active = 900 ─▶ emitted if > last emitted
//!   split 2 output  wm  100  idle   ─┘   (idle outputs do not count)
//!   split 3         released (finished: does not count either)
//!
//!   no active output (every one idle, released, or none at all) ─▶ combined idle
//! ```
//!
//! The combined watermark never decreases: a split added later starts at `i64::MIN` and holds
//! the combined watermark where it is until it catches up.

use super::{NO_TIMESTAMP, WatermarkOutput, WatermarkUpdate};

#[derive(Debug, Clone)]
enum SplitOutput {
    Unregistered,
    Live(WatermarkOutput),
    Released,
}

/// Combines per-split watermark outputs. See the module docs.
#[derive(Debug, Clone)]
pub struct WatermarkOutputMultiplexer {
    outputs: Vec<SplitOutput>,
    processing_time_ms: i64,
    combined_watermark: i64,
    combined_idle: bool,
}

impl Default for WatermarkOutputMultiplexer {
    fn default() -> Self {
        WatermarkOutputMultiplexer::new()
    }
}

impl WatermarkOutputMultiplexer {
    /// No outputs; the combined watermark is `i64::MIN` and the status active (the first
    /// [`update_combined`](Self::update_combined) reports idle if no output is registered).
    pub fn new() -> WatermarkOutputMultiplexer {
        WatermarkOutputMultiplexer {
            outputs: Vec::new(),
            processing_time_ms: 0,
            combined_watermark: NO_TIMESTAMP,
            combined_idle: false,
        }
    }

    /// Registers the output of `split` (no effect if it is registered or released).
    pub fn register(&mut self, split: usize) {
        if split >= self.outputs.len() {
            self.outputs.resize(split + 1, SplitOutput::Unregistered);
        }
        if matches!(self.outputs[split], SplitOutput::Unregistered) {
            let mut output = WatermarkOutput::new();
            output.set_processing_time_ms(self.processing_time_ms);
            self.outputs[split] = SplitOutput::Live(output);
        }
    }

    /// The output of `split`, registered if it was not. A released split's output is
    /// registered again (its reader emitted after finishing it).
    #[inline]
    pub fn output(&mut self, split: usize) -> &mut WatermarkOutput {
        if !matches!(self.outputs.get(split), Some(SplitOutput::Live(_))) {
            if let Some(slot @ SplitOutput::Released) = self.outputs.get_mut(split) {
                *slot = SplitOutput::Unregistered;
            }
            self.register(split);
        }
        match &mut self.outputs[split] {
            SplitOutput::Live(output) => output,
            _ => unreachable!("the split's output was registered just above"),
        }
    }

    /// The split finished: its output no longer counts.
    pub fn release(&mut self, split: usize) {
        if split >= self.outputs.len() {
            self.outputs.resize(split + 1, SplitOutput::Unregistered);
        }
        self.outputs[split] = SplitOutput::Released;
    }

    /// The processing time every output reports to its generator.
    pub fn set_processing_time_ms(&mut self, now_ms: i64) {
        self.processing_time_ms = now_ms;
        for output in &mut self.outputs {
            if let SplitOutput::Live(output) = output {
                output.set_processing_time_ms(now_ms);
            }
        }
    }

    /// Every live output, with its split index.
    pub fn live_outputs(&mut self) -> impl Iterator<Item = (usize, &mut WatermarkOutput)> {
        self.outputs
            .iter_mut()
            .enumerate()
            .filter_map(|(split, output)| match output {
                SplitOutput::Live(output) => Some((split, output)),
                _ => None,
            })
    }

    /// Splits whose output counts (registered, not released).
    pub fn live_count(&self) -> usize {
        self.outputs
            .iter()
            .filter(|output| matches!(output, SplitOutput::Live(_)))
            .count()
    }

    /// Recomputes the combined watermark and status; returns what changed since the last call.
    pub fn update_combined(&mut self) -> WatermarkUpdate {
        let min_active = self
            .outputs
            .iter()
            .filter_map(|output| match output {
                SplitOutput::Live(output) if !output.is_idle() => Some(output.current_watermark()),
                _ => None,
            })
            .min();
        let mut update = WatermarkUpdate::default();
        let idle = min_active.is_none();
        if idle != self.combined_idle {
            self.combined_idle = idle;
            update.idle = Some(idle);
        }
        if let Some(watermark) = min_active
            && watermark > self.combined_watermark
        {
            self.combined_watermark = watermark;
            update.watermark = Some(watermark);
        }
        update
    }

    /// The last combined watermark (`i64::MIN` if none).
    pub fn combined_watermark(&self) -> i64 {
        self.combined_watermark
    }

    /// Whether the combined status is idle.
    pub fn is_idle(&self) -> bool {
        self.combined_idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_over_active_splits() {
        let mut multiplexer = WatermarkOutputMultiplexer::new();
        multiplexer.register(0);
        multiplexer.register(1);
        multiplexer.output(0).emit_watermark(1200);
        assert!(
            multiplexer.update_combined().is_empty(),
            "split 1 holds it back"
        );
        multiplexer.output(1).emit_watermark(900);
        assert_eq!(multiplexer.update_combined().watermark, Some(900));
        multiplexer.output(1).mark_idle();
        assert_eq!(multiplexer.update_combined().watermark, Some(1200));
        // Split 1 wakes up behind: the combined watermark does not go back.
        multiplexer.output(1).mark_active();
        assert!(multiplexer.update_combined().is_empty());
        multiplexer.release(1);
        multiplexer.output(0).emit_watermark(1300);
        assert_eq!(multiplexer.update_combined().watermark, Some(1300));
        assert_eq!(multiplexer.live_count(), 1);
    }

    #[test]
    fn no_active_split_is_idle() {
        let mut multiplexer = WatermarkOutputMultiplexer::new();
        assert_eq!(multiplexer.update_combined().idle, Some(true));
        multiplexer.output(2).emit_watermark(5);
        assert_eq!(
            multiplexer.update_combined(),
            WatermarkUpdate {
                watermark: Some(5),
                idle: Some(false)
            }
        );
        multiplexer.release(2);
        assert_eq!(multiplexer.update_combined().idle, Some(true));
        assert!(multiplexer.is_idle());
    }
}
