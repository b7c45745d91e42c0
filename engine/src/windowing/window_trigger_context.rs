//! [`WindowTriggerContext`]: the [`TriggerContext`] a window operator gives its trigger, over
//! its keyed state backend and timer service, for one key and window.
//!
//! Trigger state `name` is a keyed `ValueState<i64>` named `"trigger:<name>"` in the window's
//! namespace, registered the first time a trigger uses the name ([`TriggerStates`]), so it is
//! checkpointed with the rest of the operator's state.

use crate::error::WeirError;
use crate::state::{KeyedStateBackend, StateKey, ValueStateDescriptor, ValueStateHandle};
use crate::windowing::internal_timer_service::InternalTimerService;
use crate::windowing::trigger::{OnMergeContext, TriggerContext};
use crate::windowing::window::Window;

/// The trigger states registered so far: name ──▶ handle.
#[derive(Debug, Default)]
pub(crate) struct TriggerStates<W> {
    handles: Vec<(&'static str, ValueStateHandle<W, i64>)>,
}

impl<W: Window> TriggerStates<W> {
    pub(crate) fn new() -> TriggerStates<W> {
        TriggerStates {
            handles: Vec::new(),
        }
    }

    fn handle<K: StateKey>(
        &mut self,
        backend: &mut KeyedStateBackend<K>,
        name: &'static str,
    ) -> Result<ValueStateHandle<W, i64>, WeirError> {
        if let Some((_, handle)) = self.handles.iter().find(|(n, _)| *n == name) {
            return Ok(*handle);
        }
        let handle =
            backend.value_state::<W, i64>(&ValueStateDescriptor::new(format!("trigger:{name}")))?;
        self.handles.push((name, handle));
        Ok(handle)
    }
}

/// A trigger's view of one key and window. See the module docs.
pub(crate) struct WindowTriggerContext<'a, K: StateKey, W> {
    pub(crate) backend: &'a mut KeyedStateBackend<K>,
    pub(crate) timers: &'a mut InternalTimerService<K, W>,
    pub(crate) states: &'a mut TriggerStates<W>,
    pub(crate) key: &'a K,
    pub(crate) window: &'a W,
    /// The windows merged into `window` (for `on_merge`).
    pub(crate) merged_windows: &'a [W],
    pub(crate) clock: &'a (dyn Fn() -> i64 + Send + Sync),
}

impl<K: StateKey, W: Window> TriggerContext for WindowTriggerContext<'_, K, W> {
    fn current_processing_time(&self) -> i64 {
        (self.clock)()
    }

    fn current_watermark(&self) -> i64 {
        self.timers.current_watermark()
    }

    fn register_processing_time_timer(&mut self, time: i64) {
        self.timers
            .register_processing_time_timer(self.key, self.window, time);
    }

    #[inline]
    fn register_event_time_timer(&mut self, time: i64) {
        self.timers
            .register_event_time_timer(self.key, self.window, time);
    }

    fn delete_processing_time_timer(&mut self, time: i64) {
        self.timers
            .delete_processing_time_timer(self.key, self.window, time);
    }

    fn delete_event_time_timer(&mut self, time: i64) {
        self.timers
            .delete_event_time_timer(self.key, self.window, time);
    }

    fn state(&mut self, name: &'static str) -> Result<Option<i64>, WeirError> {
        let handle = self.states.handle(self.backend, name)?;
        Ok(self.backend.value(handle, self.window))
    }

    fn set_state(&mut self, name: &'static str, value: i64) -> Result<(), WeirError> {
        let handle = self.states.handle(self.backend, name)?;
        self.backend.update_value(handle, self.window, value)
    }

    fn clear_state(&mut self, name: &'static str) -> Result<(), WeirError> {
        let handle = self.states.handle(self.backend, name)?;
        self.backend.clear(handle, self.window);
        Ok(())
    }
}

impl<K: StateKey, W: Window> OnMergeContext for WindowTriggerContext<'_, K, W> {
    fn merge_state(
        &mut self,
        name: &'static str,
        merge: fn(i64, i64) -> i64,
    ) -> Result<(), WeirError> {
        let handle = self.states.handle(self.backend, name)?;
        let mut merged = self.backend.value(handle, self.window);
        for source in self.merged_windows {
            if source == self.window {
                continue;
            }
            if let Some(value) = self.backend.value(handle, source) {
                merged = Some(merged.map_or(value, |acc| merge(acc, value)));
                self.backend.clear(handle, source);
            }
        }
        if let Some(value) = merged {
            self.backend.update_value(handle, self.window, value)?;
        }
        Ok(())
    }
}
