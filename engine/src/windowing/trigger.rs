//! [`Trigger`]: decides when a window's contents are emitted (Flink's `Trigger`).
//!
//! ```text
//!   element ──▶ on_element ─┐
//!   watermark ▶ on_event_time ─┼──▶ TriggerResult: Continue | Fire | Purge | FireAndPurge
//!   clock ────▶ on_processing_time ┘        Fire: emit the window function's result
//!                                            Purge: drop the window's contents
//!   session windows merge ──▶ on_merge (merge trigger state, re-register timers)
//!   window cleaned up ──────▶ clear (delete timers and trigger state)
//! ```
//!
//! A trigger sees its window through a [`TriggerContext`]: the current watermark and processing
//! time, timers for the current key and window, and **trigger state**: named `i64` values per
//! key and window (a count, the next fire time), kept in the operator's keyed state so they are
//! checkpointed and merged with the window ([`OnMergeContext::merge_state`]). A trigger is
//! shared by every key and window, so it holds only its parameters.

use crate::error::WeirError;

/// What a trigger decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerResult {
    /// Nothing happens.
    Continue,
    /// Emit the window's result; keep its contents.
    Fire,
    /// Drop the window's contents without emitting.
    Purge,
    /// Emit the window's result, then drop its contents.
    FireAndPurge,
}

impl TriggerResult {
    #[inline]
    pub fn is_fire(self) -> bool {
        matches!(self, TriggerResult::Fire | TriggerResult::FireAndPurge)
    }

    #[inline]
    pub fn is_purge(self) -> bool {
        matches!(self, TriggerResult::Purge | TriggerResult::FireAndPurge)
    }
}

/// What a trigger may do for the current key and window.
pub trait TriggerContext {
    fn current_processing_time(&self) -> i64;

    fn current_watermark(&self) -> i64;

    /// A processing-time timer at `time` for the current key and window (deduplicated).
    fn register_processing_time_timer(&mut self, time: i64);

    /// An event-time timer at `time` for the current key and window (deduplicated).
    fn register_event_time_timer(&mut self, time: i64);

    fn delete_processing_time_timer(&mut self, time: i64);

    fn delete_event_time_timer(&mut self, time: i64);

    /// The trigger state `name` of the current key and window.
    fn state(&mut self, name: &'static str) -> Result<Option<i64>, WeirError>;

    fn set_state(&mut self, name: &'static str, value: i64) -> Result<(), WeirError>;

    fn clear_state(&mut self, name: &'static str) -> Result<(), WeirError>;
}

/// The context of [`Trigger::on_merge`]: also merges trigger state of the merged windows.
pub trait OnMergeContext: TriggerContext {
    /// Folds the state `name` of every merged window into the merge result with `merge`
    /// (windows without the state are skipped).
    fn merge_state(
        &mut self,
        name: &'static str,
        merge: fn(i64, i64) -> i64,
    ) -> Result<(), WeirError>;
}

/// Decides when a window fires. See the module docs. `T` is the element type, `W` the window.
pub trait Trigger<T, W>: Send + Sync {
    /// An element was added to `window`. `timestamp` is the element's event time, if any.
    fn on_element(
        &self,
        element: &T,
        timestamp: Option<i64>,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError>;

    /// An event-time timer at `time` of `window` fired.
    fn on_event_time(
        &self,
        time: i64,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError>;

    /// A processing-time timer at `time` of `window` fired.
    fn on_processing_time(
        &self,
        time: i64,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult, WeirError>;

    /// True when [`Trigger::on_element`] does nothing but register an event-time timer at the
    /// window's max timestamp, or fire a window the watermark has passed, and nothing but
    /// [`Trigger::clear`] deletes that timer ([`EventTimeTrigger`](crate::windowing::EventTimeTrigger)).
    /// For a window that already has contents and whose end the watermark has not passed,
    /// the window operator then knows the timer (and its cleanup timer) are registered and
    /// skips both registrations: a timer-map lookup per element.
    fn registers_window_end_only(&self) -> bool {
        false
    }

    /// Whether [`Trigger::on_merge`] is supported (needed for session windows).
    fn can_merge(&self) -> bool {
        false
    }

    /// Windows were merged into `window`: merge trigger state and re-register timers.
    fn on_merge(&self, _window: &W, _ctx: &mut dyn OnMergeContext) -> Result<(), WeirError> {
        Ok(())
    }

    /// `window` is removed: delete its timers and trigger state.
    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<(), WeirError>;

    /// The trigger's name for errors and operator names ("EventTimeTrigger").
    fn name(&self) -> &'static str;
}

/// A [`TriggerContext`] over plain maps, for the unit tests of the triggers.
#[cfg(test)]
pub(crate) mod test_context {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    #[derive(Debug, Default)]
    pub(crate) struct MapTriggerContext {
        pub(crate) watermark: i64,
        pub(crate) processing_time: i64,
        pub(crate) event_timers: BTreeSet<i64>,
        pub(crate) processing_timers: BTreeSet<i64>,
        /// (window id, name) ──▶ value; `window` selects the current window.
        pub(crate) state: BTreeMap<(u32, &'static str), i64>,
        pub(crate) window: u32,
        /// Windows merged into `window` by `merge_state`.
        pub(crate) merged: Vec<u32>,
    }

    impl MapTriggerContext {
        pub(crate) fn new() -> MapTriggerContext {
            MapTriggerContext {
                watermark: i64::MIN,
                ..MapTriggerContext::default()
            }
        }
    }

    impl TriggerContext for MapTriggerContext {
        fn current_processing_time(&self) -> i64 {
            self.processing_time
        }
        fn current_watermark(&self) -> i64 {
            self.watermark
        }
        fn register_processing_time_timer(&mut self, time: i64) {
            self.processing_timers.insert(time);
        }
        fn register_event_time_timer(&mut self, time: i64) {
            self.event_timers.insert(time);
        }
        fn delete_processing_time_timer(&mut self, time: i64) {
            self.processing_timers.remove(&time);
        }
        fn delete_event_time_timer(&mut self, time: i64) {
            self.event_timers.remove(&time);
        }
        fn state(&mut self, name: &'static str) -> Result<Option<i64>, WeirError> {
            Ok(self.state.get(&(self.window, name)).copied())
        }
        fn set_state(&mut self, name: &'static str, value: i64) -> Result<(), WeirError> {
            self.state.insert((self.window, name), value);
            Ok(())
        }
        fn clear_state(&mut self, name: &'static str) -> Result<(), WeirError> {
            self.state.remove(&(self.window, name));
            Ok(())
        }
    }

    impl OnMergeContext for MapTriggerContext {
        fn merge_state(
            &mut self,
            name: &'static str,
            merge: fn(i64, i64) -> i64,
        ) -> Result<(), WeirError> {
            let mut result = self.state.remove(&(self.window, name));
            for source in self.merged.clone() {
                if let Some(value) = self.state.remove(&(source, name)) {
                    result = Some(result.map_or(value, |acc| merge(acc, value)));
                }
            }
            if let Some(value) = result {
                self.state.insert((self.window, name), value);
            }
            Ok(())
        }
    }
}
