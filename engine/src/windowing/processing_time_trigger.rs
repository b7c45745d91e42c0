//! [`ProcessingTimeTrigger`]: fires when processing time reaches the window's end (the default
//! trigger of processing-time assigners).
//!
//! ```text
//!   on_element:         processing-time timer at max_timestamp, Continue
//!   on_processing_time: Fire
//!   on_merge:           timer at the merged window's max_timestamp unless the clock passed it
//! ```

use crate::error::WeirError;
use crate::windowing::trigger::{OnMergeContext, Trigger, TriggerContext, TriggerResult};
use crate::windowing::window::Window;

/// See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessingTimeTrigger;

impl ProcessingTimeTrigger {
    pub fn create() -> ProcessingTimeTrigger {
        ProcessingTimeTrigger
    }
}

impl<T, W: Window> Trigger<T, W> for ProcessingTimeTrigger {
    fn on_element(
        &self,
        _element: &T,
        _timestamp: Option<i64>,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        ctx.register_processing_time_timer(window.max_timestamp());
        Ok(TriggerResult::Continue)
    }

    fn on_event_time(
        &self,
        _time: i64,
        _window: &W,
        _ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        Ok(TriggerResult::Continue)
    }

    fn on_processing_time(
        &self,
        _time: i64,
        _window: &W,
        _ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        Ok(TriggerResult::Fire)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&self, window: &W, ctx: &mut dyn OnMergeContext) -> Result<(), WeirError> {
        if window.max_timestamp() > ctx.current_processing_time() {
            ctx.register_processing_time_timer(window.max_timestamp());
        }
        Ok(())
    }

    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<(), WeirError> {
        ctx.delete_processing_time_timer(window.max_timestamp());
        Ok(())
    }

    fn name(&self) -> &'static str {
        "ProcessingTimeTrigger"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windowing::trigger::test_context::MapTriggerContext;
    use crate::windowing::window::TimeWindow;

    #[test]
    fn registers_a_processing_timer_and_fires_on_it() {
        let trigger = ProcessingTimeTrigger;
        let window = TimeWindow::new(100, 200);
        let mut ctx = MapTriggerContext::new();
        ctx.processing_time = 150;
        let result = Trigger::<u8, _>::on_element(&trigger, &1, None, &window, &mut ctx);
        assert_eq!(result.unwrap(), TriggerResult::Continue);
        assert_eq!(
            ctx.processing_timers.iter().copied().collect::<Vec<_>>(),
            vec![199]
        );
        let fired = Trigger::<u8, _>::on_processing_time(&trigger, 199, &window, &mut ctx);
        assert_eq!(fired.unwrap(), TriggerResult::Fire);
        let event = Trigger::<u8, _>::on_event_time(&trigger, 199, &window, &mut ctx);
        assert_eq!(event.unwrap(), TriggerResult::Continue);
        Trigger::<u8, _>::clear(&trigger, &window, &mut ctx).unwrap();
        assert!(ctx.processing_timers.is_empty());
        ctx.processing_time = 300;
        Trigger::<u8, _>::on_merge(&trigger, &window, &mut ctx).unwrap();
        assert!(
            ctx.processing_timers.is_empty(),
            "the clock passed the window"
        );
    }
}
