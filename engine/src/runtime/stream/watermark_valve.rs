//! [`WatermarkValve`]: a task's watermark from the watermarks and idleness of its input
//! channels (Flink's `StatusWatermarkValve`).
//!
//! ```text
//!   channel 0: wm 12  active ─┐
//!   channel 1: wm  7  active ─┼─▶ min over active, live channels = 7 ──▶ emitted if > last (5)
//!   channel 2: wm  3  idle   ─┤   (idle and ended channels do not hold it back)
//!   channel 3: ended         ─┘
//! ```
//!
//! * A channel's watermark only moves forward; a smaller one is ignored.
//! * The output watermark only moves forward too.
//! * When every live channel is idle the task is idle (status `idle` downstream); when one
//!   becomes active again the task is active, and a channel that comes back below the current
//!   output watermark does not pull it back.
//! * An ended channel leaves the minimum (a bounded upstream sent its final watermark before
//!   ending; one without event time must not hold the others back).

/// What the valve tells the task to pass downstream: a status change and/or a new watermark.
/// Passed on in order: `active` first, then the watermark, then `idle`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ValveOutput {
    pub(crate) idle: Option<bool>,
    pub(crate) watermark: Option<i64>,
}

impl ValveOutput {
    fn watermark(watermark: Option<i64>) -> ValveOutput {
        ValveOutput {
            idle: None,
            watermark,
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.idle.is_none() && self.watermark.is_none()
    }
}

#[derive(Debug, Clone, Copy)]
struct ChannelState {
    watermark: i64,
    idle: bool,
    ended: bool,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct WatermarkValve {
    channels: Vec<ChannelState>,
    last_output: i64,
    idle: bool,
}

impl WatermarkValve {
    pub(crate) fn new(channels: usize) -> WatermarkValve {
        WatermarkValve {
            channels: vec![
                ChannelState {
                    watermark: i64::MIN,
                    idle: false,
                    ended: false,
                };
                channels
            ],
            last_output: i64::MIN,
            idle: false,
        }
    }

    /// The last watermark passed downstream.
    #[cfg(test)]
    pub(crate) fn current(&self) -> i64 {
        self.last_output
    }

    pub(crate) fn input_watermark(&mut self, channel: usize, watermark: i64) -> ValveOutput {
        let state = &mut self.channels[channel];
        if state.ended || watermark <= state.watermark {
            return ValveOutput::default();
        }
        state.watermark = watermark;
        if state.idle {
            // A watermark from an idle channel makes it active (Flink does the same).
            return self.input_status(channel, false);
        }
        ValveOutput::watermark(self.advance())
    }

    /// `idle` status of `channel`: may change the task's status and its watermark (the
    /// minimum leaves or joins the channel).
    pub(crate) fn input_status(&mut self, channel: usize, idle: bool) -> ValveOutput {
        let state = &mut self.channels[channel];
        if state.ended || state.idle == idle {
            return ValveOutput::default();
        }
        state.idle = idle;
        let all_idle = self.live().all(|state| state.idle);
        let status = if idle && all_idle && !self.idle {
            self.idle = true;
            Some(true)
        } else if !idle && self.idle {
            self.idle = false;
            Some(false)
        } else {
            None
        };
        ValveOutput {
            idle: status,
            watermark: self.advance(),
        }
    }

    /// `channel` ended: it leaves the minimum.
    pub(crate) fn channel_ended(&mut self, channel: usize) -> ValveOutput {
        self.channels[channel].ended = true;
        if self.live().next().is_none() {
            return ValveOutput::default();
        }
        ValveOutput::watermark(self.advance())
    }

    fn live(&self) -> impl Iterator<Item = &ChannelState> {
        self.channels.iter().filter(|state| !state.ended)
    }

    /// The new output watermark, if the minimum over active, live channels moved forward.
    /// The new output watermark, if the minimum over active, live channels moved forward.
    fn advance(&mut self) -> Option<i64> {
        let min = self
            .live()
            .filter(|state| !state.idle)
            .map(|state| state.watermark)
            .min()?;
        if min > self.last_output {
            self.last_output = min;
            Some(min)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_minimum_of_active_channels_goes_out_and_never_back() {
        let mut valve = WatermarkValve::new(2);
        assert!(valve.input_watermark(0, 10).is_empty());
        assert_eq!(valve.input_watermark(1, 5), watermark(5));
        assert!(valve.input_watermark(1, 4).is_empty());
        assert_eq!(valve.input_watermark(1, 20), watermark(10));
        assert_eq!(valve.current(), 10);
    }

    #[test]
    fn an_idle_channel_does_not_hold_back_and_all_idle_is_idle() {
        let mut valve = WatermarkValve::new(2);
        valve.input_watermark(0, 100);
        assert_eq!(valve.input_status(1, true), watermark(100));
        assert_eq!(
            valve.input_status(0, true),
            ValveOutput {
                idle: Some(true),
                watermark: None
            }
        );
        assert_eq!(
            valve.input_status(0, false),
            ValveOutput {
                idle: Some(false),
                watermark: None
            }
        );
        // Channel 1 comes back with an old watermark: the output stays.
        assert!(valve.input_watermark(1, 50).is_empty());
        assert_eq!(valve.current(), 100);
    }

    #[test]
    fn ended_channels_leave_the_minimum() {
        let mut valve = WatermarkValve::new(3);
        valve.input_watermark(0, 7);
        valve.input_watermark(1, 9);
        assert_eq!(valve.channel_ended(2), watermark(7));
        assert_eq!(valve.channel_ended(0), watermark(9));
        assert!(valve.channel_ended(1).is_empty());
    }

    fn watermark(watermark: i64) -> ValveOutput {
        ValveOutput {
            idle: None,
            watermark: Some(watermark),
        }
    }

    proptest! {
        /// Oracle: the output is always the running maximum of the minimum over active,
        /// live channels.
        #[test]
        fn output_is_monotone_and_equals_the_oracle(
            ops in proptest::collection::vec((0usize..3, 0u8..4, -50i64..50), 1..80)
        ) {
            let mut valve = WatermarkValve::new(3);
            let mut wm = [i64::MIN; 3];
            let mut idle = [false; 3];
            let mut ended = [false; 3];
            let mut expected = i64::MIN;
            for (channel, op, value) in ops {
                match op {
                    0 | 1 => {
                        valve.input_watermark(channel, value);
                        if !ended[channel] && value > wm[channel] {
                            wm[channel] = value;
                            idle[channel] = false;
                        }
                    }
                    2 => {
                        let flag = value % 2 == 0;
                        valve.input_status(channel, flag);
                        if !ended[channel] {
                            idle[channel] = flag;
                        }
                    }
                    _ => {
                        valve.channel_ended(channel);
                        ended[channel] = true;
                    }
                }
                let min = (0..3).filter(|&c| !ended[c] && !idle[c]).map(|c| wm[c]).min();
                if let Some(min) = min && (0..3).any(|c| !ended[c]) {
                    expected = expected.max(min);
                }
                prop_assert_eq!(valve.current(), expected);
            }
        }
    }
}
