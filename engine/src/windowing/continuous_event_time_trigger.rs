//! [`ContinuousEventTimeTrigger`]: fires at the window's end and, before that, every `interval`
//! of event time (early results of long windows).
//!
//! ```text
//!   trigger state "fire-time": the next early fire time of the key's window
//!   on_element:    watermark past the window ? Fire
//!                  : timer at max_timestamp; if no fire time yet:
//!                    fire time = min(ts - ts % interval + interval, max_timestamp), timer at it
//!   on_event_time: time == max_timestamp ? Fire
//!                  : time == fire time ? (next fire time = min(time + interval, max_ts), Fire)
//!                  : Continue
//!   on_merge:      fire times merged by min, timer at the merged fire time
//! ```

use crate::error::WeirError;
use crate::windowing::trigger::{OnMergeContext, Trigger, TriggerContext, TriggerResult};
use crate::windowing::window::Window;

/// The trigger state that holds the next early fire time.
const FIRE_TIME_STATE: &str = "fire-time";

/// See the module docs.
#[derive(Debug, Clone, Copy)]
pub struct ContinuousEventTimeTrigger {
    interval_ms: i64,
}

impl ContinuousEventTimeTrigger {
    /// Fires every `interval_ms` of event time; the interval must be positive.
    pub fn of(interval_ms: i64) -> Result<ContinuousEventTimeTrigger, WeirError> {
        if interval_ms <= 0 {
            return Err(WeirError::InvalidTriggerInterval {
                trigger: "ContinuousEventTimeTrigger",
                interval_ms,
            });
        }
        Ok(ContinuousEventTimeTrigger { interval_ms })
    }

    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    fn register_next_fire_time<W: Window>(
        &self,
        time: i64,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<(), WeirError> {
        let next = time
            .saturating_add(self.interval_ms)
            .min(window.max_timestamp());
        ctx.set_state(FIRE_TIME_STATE, next)?;
        ctx.register_event_time_timer(next);
        Ok(())
    }
}

impl<T, W: Window> Trigger<T, W> for ContinuousEventTimeTrigger {
    fn on_element(
        &self,
        _element: &T,
        timestamp: Option<i64>,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        if window.max_timestamp() <= ctx.current_watermark() {
            return Ok(TriggerResult::Fire);
        }
        ctx.register_event_time_timer(window.max_timestamp());
        // An element without a timestamp sets no early fire time (Flink would compute one from
        // its "no timestamp" marker, i64::MIN).
        if let Some(timestamp) = timestamp
            && ctx.state(FIRE_TIME_STATE)?.is_none()
        {
            let start = timestamp - timestamp % self.interval_ms;
            self.register_next_fire_time(start, window, ctx)?;
        }
        Ok(TriggerResult::Continue)
    }

    fn on_event_time(
        &self,
        time: i64,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        if time == window.max_timestamp() {
            return Ok(TriggerResult::Fire);
        }
        if ctx.state(FIRE_TIME_STATE)? == Some(time) {
            ctx.clear_state(FIRE_TIME_STATE)?;
            self.register_next_fire_time(time, window, ctx)?;
            return Ok(TriggerResult::Fire);
        }
        Ok(TriggerResult::Continue)
    }

    fn on_processing_time(
        &self,
        _time: i64,
        _window: &W,
        _ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        Ok(TriggerResult::Continue)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&self, _window: &W, ctx: &mut dyn OnMergeContext) -> Result<(), WeirError> {
        ctx.merge_state(FIRE_TIME_STATE, i64::min)?;
        if let Some(next) = ctx.state(FIRE_TIME_STATE)? {
            ctx.register_event_time_timer(next);
        }
        Ok(())
    }

    fn clear(&self, _window: &W, ctx: &mut dyn TriggerContext) -> Result<(), WeirError> {
        if let Some(next) = ctx.state(FIRE_TIME_STATE)? {
            ctx.delete_event_time_timer(next);
            ctx.clear_state(FIRE_TIME_STATE)?;
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "ContinuousEventTimeTrigger"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windowing::trigger::test_context::MapTriggerContext;
    use crate::windowing::window::TimeWindow;

    #[test]
    fn fires_every_interval_and_at_the_end() {
        let trigger = ContinuousEventTimeTrigger::of(10).unwrap();
        let window = TimeWindow::new(0, 35);
        let mut ctx = MapTriggerContext::new();
        let on_element = |ts, ctx: &mut MapTriggerContext| {
            Trigger::<u8, _>::on_element(&trigger, &0, Some(ts), &window, ctx).unwrap()
        };
        assert_eq!(on_element(3, &mut ctx), TriggerResult::Continue);
        // Timers at the end (34) and the first early fire time (0 + 10).
        assert_eq!(
            ctx.event_timers.iter().copied().collect::<Vec<_>>(),
            [10, 34]
        );
        on_element(7, &mut ctx);
        assert_eq!(ctx.state.get(&(0, FIRE_TIME_STATE)), Some(&10));

        let fire = |time, ctx: &mut MapTriggerContext| {
            ctx.event_timers.remove(&time);
            Trigger::<u8, _>::on_event_time(&trigger, time, &window, ctx).unwrap()
        };
        assert_eq!(fire(10, &mut ctx), TriggerResult::Fire);
        assert_eq!(fire(20, &mut ctx), TriggerResult::Fire);
        assert_eq!(fire(30, &mut ctx), TriggerResult::Fire);
        // The next early time is capped at the end, which fires as the end.
        assert_eq!(ctx.state.get(&(0, FIRE_TIME_STATE)), Some(&34));
        assert_eq!(fire(34, &mut ctx), TriggerResult::Fire);
        assert_eq!(fire(25, &mut ctx), TriggerResult::Continue);
        Trigger::<u8, _>::clear(&trigger, &window, &mut ctx).unwrap();
        assert!(ctx.state.is_empty());
        assert!(ctx.event_timers.is_empty());
    }

    #[test]
    fn negative_timestamps_and_bad_intervals() {
        assert!(matches!(
            ContinuousEventTimeTrigger::of(0),
            Err(WeirError::InvalidTriggerInterval { interval_ms: 0, .. })
        ));
        let trigger = ContinuousEventTimeTrigger::of(10).unwrap();
        let window = TimeWindow::new(-100, 0);
        let mut ctx = MapTriggerContext::new();
        Trigger::<u8, _>::on_element(&trigger, &0, Some(-15), &window, &mut ctx).unwrap();
        // Flink's truncating remainder: -15 - (-5) = -10, next fire time 0 capped at -1.
        assert_eq!(ctx.state.get(&(0, FIRE_TIME_STATE)), Some(&-1));
    }

    #[test]
    fn merging_keeps_the_earliest_fire_time() {
        let trigger = ContinuousEventTimeTrigger::of(10).unwrap();
        let mut ctx = MapTriggerContext::new();
        ctx.window = 1;
        let first = TimeWindow::new(0, 100);
        Trigger::<u8, _>::on_element(&trigger, &0, Some(25), &first, &mut ctx).unwrap();
        ctx.window = 2;
        Trigger::<u8, _>::on_element(&trigger, &0, Some(42), &first, &mut ctx).unwrap();
        ctx.window = 3;
        ctx.merged = vec![1, 2];
        ctx.event_timers.clear();
        Trigger::<u8, _>::on_merge(&trigger, &first, &mut ctx).unwrap();
        assert_eq!(ctx.state.get(&(3, FIRE_TIME_STATE)), Some(&30));
        assert_eq!(ctx.event_timers.iter().copied().collect::<Vec<_>>(), [30]);
    }
}
