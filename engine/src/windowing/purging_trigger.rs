//! [`PurgingTrigger`]: turns every `Fire` of a nested trigger into `FireAndPurge`, so a window
//! starts empty after each firing (count windows: `PurgingTrigger::of(CountTrigger::of(n))`).

use std::sync::Arc;

use crate::error::WeirError;
use crate::windowing::trigger::{OnMergeContext, Trigger, TriggerContext, TriggerResult};

/// See the module docs.
pub struct PurgingTrigger<T, W> {
    nested: Arc<dyn Trigger<T, W>>,
}

impl<T, W> std::fmt::Debug for PurgingTrigger<T, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PurgingTrigger")
            .field("nested", &self.nested.name())
            .finish()
    }
}

impl<T, W> PurgingTrigger<T, W> {
    pub fn of(nested: Arc<dyn Trigger<T, W>>) -> PurgingTrigger<T, W> {
        PurgingTrigger { nested }
    }

    fn purging(result: TriggerResult) -> TriggerResult {
        if result.is_fire() {
            TriggerResult::FireAndPurge
        } else {
            result
        }
    }
}

impl<T, W> Trigger<T, W> for PurgingTrigger<T, W> {
    fn on_element(
        &self,
        element: &T,
        timestamp: Option<i64>,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        let result = self.nested.on_element(element, timestamp, window, ctx)?;
        Ok(Self::purging(result))
    }

    fn on_event_time(
        &self,
        time: i64,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        Ok(Self::purging(self.nested.on_event_time(time, window, ctx)?))
    }

    fn on_processing_time(
        &self,
        time: i64,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError> {
        Ok(Self::purging(
            self.nested.on_processing_time(time, window, ctx)?,
        ))
    }

    fn can_merge(&self) -> bool {
        self.nested.can_merge()
    }

    fn on_merge(&self, window: &W, ctx: &mut dyn OnMergeContext) -> Result<(), WeirError> {
        self.nested.on_merge(window, ctx)
    }

    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<(), WeirError> {
        self.nested.clear(window, ctx)
    }

    fn name(&self) -> &'static str {
        "PurgingTrigger"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windowing::count_trigger::CountTrigger;
    use crate::windowing::event_time_trigger::EventTimeTrigger;
    use crate::windowing::trigger::test_context::MapTriggerContext;
    use crate::windowing::window::{GlobalWindow, TimeWindow};

    #[test]
    fn fire_becomes_fire_and_purge() {
        let trigger: PurgingTrigger<u8, GlobalWindow> =
            PurgingTrigger::of(Arc::new(CountTrigger::of(2)));
        let mut ctx = MapTriggerContext::new();
        let first = trigger
            .on_element(&0, None, &GlobalWindow, &mut ctx)
            .unwrap();
        let second = trigger
            .on_element(&0, None, &GlobalWindow, &mut ctx)
            .unwrap();
        assert_eq!(
            (first, second),
            (TriggerResult::Continue, TriggerResult::FireAndPurge)
        );
        assert!(trigger.can_merge());

        let event: PurgingTrigger<u8, TimeWindow> = PurgingTrigger::of(Arc::new(EventTimeTrigger));
        let window = TimeWindow::new(0, 10);
        assert_eq!(
            event.on_event_time(9, &window, &mut ctx).unwrap(),
            TriggerResult::FireAndPurge
        );
        assert_eq!(
            event.on_event_time(5, &window, &mut ctx).unwrap(),
            TriggerResult::Continue
        );
    }
}
