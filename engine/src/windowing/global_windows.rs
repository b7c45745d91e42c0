//! [`GlobalWindows`]: every element of a key goes into the one [`GlobalWindow`]. Useful only
//! with a trigger that fires (count windows: [`GlobalWindows::create`] with
//! `PurgingTrigger::of(CountTrigger::of(n))`).
//!
//! Default triggers: [`NeverTrigger`] (never fires; the window's contents stay until a custom
//! trigger purges them) or, with [`GlobalWindows::create_with_end_of_stream_trigger`],
//! [`EndOfStreamTrigger`] (fires once, when the final watermark `i64::MAX` arrives).

use std::sync::Arc;

use crate::error::WeirError;
use crate::windowing::trigger::{OnMergeContext, Trigger, TriggerContext, TriggerResult};
use crate::windowing::window::GlobalWindow;
use crate::windowing::window_assigner::{WindowAssigner, WindowAssignerContext};

/// See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalWindows {
    end_of_stream: bool,
}

impl GlobalWindows {
    /// Global windows whose default trigger never fires.
    pub fn create() -> GlobalWindows {
        GlobalWindows {
            end_of_stream: false,
        }
    }

    /// Global windows whose default trigger fires at the end of a bounded input.
    pub fn create_with_end_of_stream_trigger() -> GlobalWindows {
        GlobalWindows {
            end_of_stream: true,
        }
    }
}

impl<T: 'static> WindowAssigner<T, GlobalWindow> for GlobalWindows {
    #[inline]
    fn assign_windows(
        &self,
        _element: &T,
        _timestamp: Option<i64>,
        _context: &WindowAssignerContext<'_>,
        windows: &mut Vec<GlobalWindow>,
    ) -> Result<(), WeirError> {
        windows.push(GlobalWindow);
        Ok(())
    }

    fn default_trigger(&self) -> Arc<dyn Trigger<T, GlobalWindow>> {
        if self.end_of_stream {
            Arc::new(EndOfStreamTrigger)
        } else {
            Arc::new(NeverTrigger)
        }
    }

    fn is_event_time(&self) -> bool {
        false
    }

    fn name(&self) -> &'static str {
        "GlobalWindows"
    }
}

/// A trigger that never fires.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverTrigger;

impl<T, W> Trigger<T, W> for NeverTrigger {
    fn on_element(
        &self,
        _element: &T,
        _timestamp: Option<i64>,
        _window: &W,
        _ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
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
        Ok(TriggerResult::Continue)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&self, _window: &W, _ctx: &mut dyn OnMergeContext) -> Result<(), WeirError> {
        Ok(())
    }

    fn clear(&self, _window: &W, _ctx: &mut dyn TriggerContext) -> Result<(), WeirError> {
        Ok(())
    }

    fn name(&self) -> &'static str {
        "NeverTrigger"
    }
}

/// Fires the global window once, at the final watermark (`i64::MAX`).
#[derive(Debug, Clone, Copy, Default)]
pub struct EndOfStreamTrigger;

impl<T> Trigger<T, GlobalWindow> for EndOfStreamTrigger {
    fn on_element(
        &self,
        _element: &T,
        _timestamp: Option<i64>,
        window: &GlobalWindow,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        ctx.register_event_time_timer(crate::windowing::window::Window::max_timestamp(window));
        Ok(TriggerResult::Continue)
    }

    fn on_event_time(
        &self,
        time: i64,
        _window: &GlobalWindow,
        _ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        Ok(if time == i64::MAX {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        })
    }

    fn on_processing_time(
        &self,
        _time: i64,
        _window: &GlobalWindow,
        _ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        Ok(TriggerResult::Continue)
    }

    fn clear(&self, _window: &GlobalWindow, ctx: &mut dyn TriggerContext) -> Result<(), WeirError> {
        ctx.delete_event_time_timer(i64::MAX);
        Ok(())
    }

    fn name(&self) -> &'static str {
        "EndOfStreamTrigger"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windowing::trigger::test_context::MapTriggerContext;

    #[test]
    fn one_window_and_the_default_triggers() {
        let assigner = GlobalWindows::create();
        let mut windows = Vec::new();
        let clock = move || 0;
        let context = WindowAssignerContext::new(&clock);
        WindowAssigner::<u8, _>::assign_windows(&assigner, &1, None, &context, &mut windows)
            .unwrap();
        assert_eq!(windows, [GlobalWindow]);
        let mut ctx = MapTriggerContext::new();
        let never = WindowAssigner::<u8, _>::default_trigger(&assigner);
        assert_eq!(never.name(), "NeverTrigger");
        assert_eq!(
            never
                .on_event_time(i64::MAX, &GlobalWindow, &mut ctx)
                .unwrap(),
            TriggerResult::Continue
        );
        let end = WindowAssigner::<u8, _>::default_trigger(
            &GlobalWindows::create_with_end_of_stream_trigger(),
        );
        end.on_element(&1, None, &GlobalWindow, &mut ctx).unwrap();
        assert_eq!(
            ctx.event_timers.iter().copied().collect::<Vec<_>>(),
            [i64::MAX]
        );
        assert_eq!(
            end.on_event_time(i64::MAX, &GlobalWindow, &mut ctx)
                .unwrap(),
            TriggerResult::Fire
        );
    }
}
