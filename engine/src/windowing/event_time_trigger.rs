//! [`EventTimeTrigger`]: fires once the watermark passes the window's end (the default trigger
//! of event-time assigners).
//!
//! ```text
//!   on_element:    max_timestamp <= watermark ? Fire (a late element of a window that is still
//!                  kept for allowed lateness) : timer at max_timestamp, Continue
//!   on_event_time: time == max_timestamp ? Fire : Continue
//!   on_merge:      timer at the merged window's max_timestamp unless the watermark passed it
//! ```

use crate::error::WeirError;
use crate::windowing::trigger::{OnMergeContext, Trigger, TriggerContext, TriggerResult};
use crate::windowing::window::Window;

/// See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventTimeTrigger;

impl EventTimeTrigger {
    pub fn create() -> EventTimeTrigger {
        EventTimeTrigger
    }
}

impl<T, W: Window> Trigger<T, W> for EventTimeTrigger {
    fn on_element(
        &self,
        _element: &T,
        _timestamp: Option<i64>,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        if window.max_timestamp() <= ctx.current_watermark() {
            Ok(TriggerResult::Fire)
        } else {
            ctx.register_event_time_timer(window.max_timestamp());
            Ok(TriggerResult::Continue)
        }
    }

    fn registers_window_end_only(&self) -> bool {
        true
    }

    fn on_event_time(
        &self,
        time: i64,
        window: &W,
        _ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        Ok(if time == window.max_timestamp() {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        })
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

    fn on_merge(&self, window: &W, ctx: &mut dyn OnMergeContext) -> Result<(), WeirError> {
        // Only while the watermark has not passed the merged window: a timer behind the
        // watermark would fire at once, and the merged window is handled by the element.
        if window.max_timestamp() > ctx.current_watermark() {
            ctx.register_event_time_timer(window.max_timestamp());
        }
        Ok(())
    }

    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<(), WeirError> {
        ctx.delete_event_time_timer(window.max_timestamp());
        Ok(())
    }

    fn name(&self) -> &'static str {
        "EventTimeTrigger"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windowing::trigger::test_context::MapTriggerContext;
    use crate::windowing::window::TimeWindow;

    #[test]
    fn registers_the_window_end_and_fires_on_it() {
        let trigger = EventTimeTrigger;
        let window = TimeWindow::new(0, 10);
        let mut ctx = MapTriggerContext::new();
        let result = Trigger::<u8, _>::on_element(&trigger, &1, Some(3), &window, &mut ctx);
        assert_eq!(result.unwrap(), TriggerResult::Continue);
        assert_eq!(
            ctx.event_timers.iter().copied().collect::<Vec<_>>(),
            vec![9]
        );
        let on = |time, ctx: &mut MapTriggerContext| {
            Trigger::<u8, _>::on_event_time(&trigger, time, &window, ctx).unwrap()
        };
        assert_eq!(on(8, &mut ctx), TriggerResult::Continue);
        assert_eq!(on(9, &mut ctx), TriggerResult::Fire);
        Trigger::<u8, _>::clear(&trigger, &window, &mut ctx).unwrap();
        assert!(ctx.event_timers.is_empty());
    }

    #[test]
    fn an_element_behind_the_watermark_fires_at_once() {
        let trigger = EventTimeTrigger;
        let mut ctx = MapTriggerContext::new();
        ctx.watermark = 9;
        let window = TimeWindow::new(0, 10);
        let result = Trigger::<u8, _>::on_element(&trigger, &1, Some(3), &window, &mut ctx);
        assert_eq!(result.unwrap(), TriggerResult::Fire);
        assert!(ctx.event_timers.is_empty());
        // Merging into a window the watermark already passed registers nothing.
        Trigger::<u8, _>::on_merge(&trigger, &window, &mut ctx).unwrap();
        assert!(ctx.event_timers.is_empty());
        Trigger::<u8, _>::on_merge(&trigger, &TimeWindow::new(0, 20), &mut ctx).unwrap();
        assert_eq!(
            ctx.event_timers.iter().copied().collect::<Vec<_>>(),
            vec![19]
        );
    }
}
