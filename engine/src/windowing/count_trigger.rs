//! [`CountTrigger`]: fires every `n` elements of a window (count windows).
//!
//! ```text
//!   trigger state "count" per key and window
//!   on_element: count += 1; count >= n ? (count = 0, Fire) : Continue
//!   on_merge:   counts of the merged windows are summed
//! ```

use crate::error::WeirError;
use crate::windowing::trigger::{OnMergeContext, Trigger, TriggerContext, TriggerResult};
use crate::windowing::window::Window;

/// The trigger state that holds the count.
const COUNT_STATE: &str = "count";

/// See the module docs.
#[derive(Debug, Clone, Copy)]
pub struct CountTrigger {
    max_count: u64,
}

impl CountTrigger {
    /// Fires once a window holds `max_count` elements (every element when it is 0 or 1).
    pub fn of(max_count: u64) -> CountTrigger {
        CountTrigger { max_count }
    }

    pub fn max_count(&self) -> u64 {
        self.max_count
    }
}

impl<T, W: Window> Trigger<T, W> for CountTrigger {
    fn on_element(
        &self,
        _element: &T,
        _timestamp: Option<i64>,
        _window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        let count = ctx.state(COUNT_STATE)?.unwrap_or(0) + 1;
        if count as u64 >= self.max_count {
            ctx.clear_state(COUNT_STATE)?;
            Ok(TriggerResult::Fire)
        } else {
            ctx.set_state(COUNT_STATE, count)?;
            Ok(TriggerResult::Continue)
        }
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

    fn on_merge(&self, _window: &W, ctx: &mut dyn OnMergeContext) -> Result<(), WeirError> {
        ctx.merge_state(COUNT_STATE, |a, b| a + b)
    }

    fn clear(&self, _window: &W, ctx: &mut dyn TriggerContext) -> Result<(), WeirError> {
        ctx.clear_state(COUNT_STATE)
    }

    fn name(&self) -> &'static str {
        "CountTrigger"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windowing::trigger::test_context::MapTriggerContext;
    use crate::windowing::window::GlobalWindow;

    fn add(trigger: &CountTrigger, ctx: &mut MapTriggerContext) -> TriggerResult {
        Trigger::<u8, _>::on_element(trigger, &0, None, &GlobalWindow, ctx).unwrap()
    }

    #[test]
    fn fires_every_n_elements() {
        let trigger = CountTrigger::of(3);
        let mut ctx = MapTriggerContext::new();
        let results: Vec<bool> = (0..7).map(|_| add(&trigger, &mut ctx).is_fire()).collect();
        assert_eq!(results, [false, false, true, false, false, true, false]);
        Trigger::<u8, _>::clear(&trigger, &GlobalWindow, &mut ctx).unwrap();
        assert!(ctx.state.is_empty());
        assert!(add(&CountTrigger::of(1), &mut ctx).is_fire());
    }

    #[test]
    fn merging_sums_the_counts() {
        let trigger = CountTrigger::of(5);
        let mut ctx = MapTriggerContext::new();
        for window in [1, 2] {
            ctx.window = window;
            add(&trigger, &mut ctx);
            add(&trigger, &mut ctx);
        }
        ctx.window = 3;
        ctx.merged = vec![1, 2];
        Trigger::<u8, _>::on_merge(&trigger, &GlobalWindow, &mut ctx).unwrap();
        assert_eq!(ctx.state.get(&(3, COUNT_STATE)), Some(&4));
        assert!(add(&trigger, &mut ctx).is_fire());
    }
}
