//! [`WindowOperator`]: the window operator of a keyed stream as a [`ChainLink`] (Flink 1.20's
//! `WindowOperator`, and `EvictingWindowOperator` when an evictor is set).
//!
//! ```text
//!  process_element(v, ts)
//!    key = key_selector(v); backend.set_current_key(key)
//!    windows = assigner.assign_windows(v, ts)            (merging: MergingWindowSet.add_window,
//!    for each window w:                                   merging state and triggers)
//!      late?  cleanup_time(w) <= watermark ──▶ skip
//!      contents[w] += v                                   (reduce / aggregate / list)
//!      trigger.on_element ──▶ Fire: emit(w) │ Purge: clear contents[w]
//!      timer at cleanup_time(w) = w.max_timestamp + allowed lateness
//!    every window skipped and ts + allowed lateness <= watermark ──▶ late output / dropped
//!
//!  process_watermark(wm)                   on_processing_time(now)
//!    timers <= wm in time order:             processing-time timers <= now, the same way
//!      trigger.on_event_time ──▶ Fire / Purge
//!      timer == cleanup_time(w) ──▶ clear contents, trigger state, user per-window state
//!    forward wm
//! ```
//!
//! Output records carry the window's max timestamp. A late element of a window still kept for
//! the allowed lateness fires it again (the event-time trigger fires at once behind the
//! watermark). Window contents, trigger state and the session windows of each key live in the
//! [`KeyedStateBackend`] (namespace = the window); timers in an [`InternalTimerService`];
//! both are written into the operator's snapshot under its uid and restored from
//! [`OperatorSetup::restored`] (at any parallelism: both are per key group).

use std::sync::Arc;

use crate::api::Data;
use crate::checkpoint::OperatorSnapshot;
use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::processing_time::{ProcessingTimeClock, system_clock};
use crate::runtime::stream::{ChainLink, OperatorSetup, TaskSnapshot};
use crate::state::{
    KeyedStateBackend, ListStateDescriptor, ListStateHandle, StateKey, VoidNamespace,
};
use crate::windowing::count_evictor::CountEvictor;
use crate::windowing::count_trigger::CountTrigger;
use crate::windowing::evictor::Evictor;
use crate::windowing::global_windows::GlobalWindows;
use crate::windowing::internal_timer_service::{InternalTimerService, Timer};
use crate::windowing::merging_window_set::MergingWindowSet;
use crate::windowing::purging_trigger::PurgingTrigger;
use crate::windowing::trigger::Trigger;
use crate::windowing::window::{GlobalWindow, Window};
use crate::windowing::window_assigner::{WindowAssigner, WindowAssignerContext};
use crate::windowing::window_function::{Fire, WindowContents, WindowFunction};
use crate::windowing::window_trigger_context::{TriggerStates, WindowTriggerContext};

/// Extracts the key of a record.
pub type KeySelector<In, K> = Arc<dyn Fn(&In) -> K + Send + Sync>;

/// Name of the timer service (snapshot section `"timers:window"`).
const TIMER_SERVICE_NAME: &str = "window";

/// Keyed-state name of the session windows of each key.
const MERGING_WINDOWS_STATE: &str = "merging-window-set";

/// The time after which `window`'s state is dropped: its max timestamp plus the allowed
/// lateness for event time (`i64::MAX` on overflow: never), its max timestamp for processing
/// time.
#[inline]
fn cleanup_time<W: Window>(is_event_time: bool, allowed_lateness_ms: i64, window: &W) -> i64 {
    if is_event_time {
        window.max_timestamp().saturating_add(allowed_lateness_ms)
    } else {
        window.max_timestamp()
    }
}

/// How a window operator is set up: assigner, trigger, evictor, lateness, clock.
pub struct WindowOperatorBuilder<K, In, W> {
    key_selector: KeySelector<In, K>,
    assigner: Arc<dyn WindowAssigner<In, W>>,
    trigger: Option<Arc<dyn Trigger<In, W>>>,
    evictor: Option<Arc<dyn Evictor<In, W>>>,
    allowed_lateness_ms: i64,
    clock: ProcessingTimeClock,
}

impl<K, In, W> std::fmt::Debug for WindowOperatorBuilder<K, In, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowOperatorBuilder")
            .field("assigner", &self.assigner.name())
            .field("trigger", &self.trigger.as_ref().map(|t| t.name()))
            .field("evictor", &self.evictor.as_ref().map(|e| e.name()))
            .field("allowed_lateness_ms", &self.allowed_lateness_ms)
            .finish()
    }
}

impl<K: StateKey, In: Data, W: Window> WindowOperatorBuilder<K, In, W> {
    /// Windows of `assigner` with its default trigger, no evictor, no allowed lateness.
    pub fn new(
        key_selector: KeySelector<In, K>,
        assigner: Arc<dyn WindowAssigner<In, W>>,
    ) -> WindowOperatorBuilder<K, In, W> {
        WindowOperatorBuilder {
            key_selector,
            assigner,
            trigger: None,
            evictor: None,
            allowed_lateness_ms: 0,
            clock: system_clock(),
        }
    }

    pub fn trigger(mut self, trigger: Arc<dyn Trigger<In, W>>) -> Self {
        self.trigger = Some(trigger);
        self
    }

    pub fn evictor(mut self, evictor: Arc<dyn Evictor<In, W>>) -> Self {
        self.evictor = Some(evictor);
        self
    }

    /// Keeps event-time windows `allowed_lateness_ms` past their end (ignored for processing
    /// time, as in Flink).
    pub fn allowed_lateness_ms(mut self, allowed_lateness_ms: i64) -> Self {
        self.allowed_lateness_ms = allowed_lateness_ms;
        self
    }

    /// The processing-time clock (the wall clock by default).
    pub fn clock(mut self, clock: ProcessingTimeClock) -> Self {
        self.clock = clock;
        self
    }

    /// The operator: `function` over the windows, results into `output`, late elements into
    /// `late_output` (dropped and counted without one).
    pub fn build<Out: 'static>(
        self,
        setup: &OperatorSetup,
        function: WindowFunction<K, In, Out, W>,
        output: Box<dyn ChainLink<Out>>,
        late_output: Option<Box<dyn ChainLink<In>>>,
    ) -> Result<WindowOperator<K, In, Out, W>, WeirError> {
        WindowOperator::new(setup, self, function, output, late_output)
    }
}

impl<K: StateKey, In: Data> WindowOperatorBuilder<K, In, GlobalWindow> {
    /// Tumbling count windows: fire and purge every `size` elements of a key.
    pub fn count_window(
        key_selector: KeySelector<In, K>,
        size: u64,
    ) -> WindowOperatorBuilder<K, In, GlobalWindow> {
        WindowOperatorBuilder::new(key_selector, Arc::new(GlobalWindows::create())).trigger(
            Arc::new(PurgingTrigger::of(Arc::new(CountTrigger::of(size)))),
        )
    }

    /// Sliding count windows: every `slide` elements, fire over the last `size` elements.
    pub fn count_window_sliding(
        key_selector: KeySelector<In, K>,
        size: u64,
        slide: u64,
    ) -> WindowOperatorBuilder<K, In, GlobalWindow> {
        WindowOperatorBuilder::new(key_selector, Arc::new(GlobalWindows::create()))
            .evictor(Arc::new(CountEvictor::of(
                usize::try_from(size).unwrap_or(usize::MAX),
            )))
            .trigger(Arc::new(CountTrigger::of(slide)))
    }
}

/// The window operator as a chain link (the shape the stream graph wires).
#[allow(clippy::too_many_arguments)]
pub fn window_operator<K: StateKey, In: Data, Out: 'static, W: Window>(
    setup: &OperatorSetup,
    key_selector: KeySelector<In, K>,
    assigner: Arc<dyn WindowAssigner<In, W>>,
    trigger: Option<Arc<dyn Trigger<In, W>>>,
    evictor: Option<Arc<dyn Evictor<In, W>>>,
    allowed_lateness_ms: i64,
    late_output: Option<Box<dyn ChainLink<In>>>,
    function: WindowFunction<K, In, Out, W>,
    output: Box<dyn ChainLink<Out>>,
) -> Result<Box<dyn ChainLink<In>>, WeirError> {
    let mut builder =
        WindowOperatorBuilder::new(key_selector, assigner).allowed_lateness_ms(allowed_lateness_ms);
    builder.trigger = trigger;
    builder.evictor = evictor;
    Ok(Box::new(builder.build(
        setup,
        function,
        output,
        late_output,
    )?))
}

/// The window operator. See the module docs.
pub struct WindowOperator<K: StateKey, In, Out, W: Window> {
    name: String,
    uid: String,
    key_selector: KeySelector<In, K>,
    assigner: Arc<dyn WindowAssigner<In, W>>,
    trigger: Arc<dyn Trigger<In, W>>,
    /// The trigger's [`Trigger::registers_window_end_only`].
    trigger_registers_window_end_only: bool,
    evictor: Option<Arc<dyn Evictor<In, W>>>,
    allowed_lateness_ms: i64,
    is_event_time: bool,
    clock: ProcessingTimeClock,
    backend: KeyedStateBackend<K>,
    timers: InternalTimerService<K, W>,
    contents: Box<dyn WindowContents<K, In, Out, W>>,
    trigger_states: TriggerStates<W>,
    /// The session windows of each key (merging assigners only).
    merging_windows: Option<ListStateHandle<VoidNamespace, (W, W)>>,
    /// Reused buffer for the windows of one element.
    windows: Vec<W>,
    output: Box<dyn ChainLink<Out>>,
    late_output: Option<Box<dyn ChainLink<In>>>,
    late_records_dropped: u64,
    late_records_emitted: u64,
}

impl<K: StateKey, In, Out, W: Window> std::fmt::Debug for WindowOperator<K, In, Out, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowOperator")
            .field("name", &self.name)
            .field("assigner", &self.assigner.name())
            .field("trigger", &self.trigger.name())
            .field("allowed_lateness_ms", &self.allowed_lateness_ms)
            .field("timers", &self.timers.num_event_time_timers())
            .finish_non_exhaustive()
    }
}

impl<K: StateKey, In: Data, Out: 'static, W: Window> WindowOperator<K, In, Out, W> {
    fn new(
        setup: &OperatorSetup,
        builder: WindowOperatorBuilder<K, In, W>,
        function: WindowFunction<K, In, Out, W>,
        output: Box<dyn ChainLink<Out>>,
        late_output: Option<Box<dyn ChainLink<In>>>,
    ) -> Result<WindowOperator<K, In, Out, W>, WeirError> {
        let assigner = builder.assigner;
        if builder.allowed_lateness_ms < 0 {
            return Err(WeirError::NegativeAllowedLateness {
                operator: setup.name.clone(),
                allowed_lateness_ms: builder.allowed_lateness_ms,
            });
        }
        let trigger = builder
            .trigger
            .unwrap_or_else(|| assigner.default_trigger());
        if assigner.is_merging() && !trigger.can_merge() {
            return Err(WeirError::TriggerCannotMerge {
                trigger: trigger.name(),
                assigner: assigner.name(),
            });
        }
        let is_event_time = assigner.is_event_time();
        let mut backend = KeyedStateBackend::from_setup(setup)?;
        let mut timers =
            InternalTimerService::new(TIMER_SERVICE_NAME, setup.max_parallelism, setup.key_groups);
        if let Some(restored) = &setup.restored {
            backend.restore_from(restored)?;
            timers.restore_from(restored)?;
        }
        let contents = function.contents(&mut backend, builder.evictor.is_some())?;
        let merging_windows = if assigner.is_merging() {
            Some(
                backend.list_state::<VoidNamespace, (W, W)>(&ListStateDescriptor::new(
                    MERGING_WINDOWS_STATE,
                ))?,
            )
        } else {
            None
        };
        Ok(WindowOperator {
            name: setup.name.clone(),
            uid: setup.uid.clone(),
            key_selector: builder.key_selector,
            assigner,
            trigger_registers_window_end_only: trigger.registers_window_end_only(),
            trigger,
            evictor: builder.evictor,
            // Flink ignores the allowed lateness of processing-time windows.
            allowed_lateness_ms: if is_event_time {
                builder.allowed_lateness_ms
            } else {
                0
            },
            is_event_time,
            clock: builder.clock,
            backend,
            timers,
            contents,
            trigger_states: TriggerStates::new(),
            merging_windows,
            windows: Vec::new(),
            output,
            late_output,
            late_records_dropped: 0,
            late_records_emitted: 0,
        })
    }

    /// Late elements dropped (no late output).
    pub fn late_records_dropped(&self) -> u64 {
        self.late_records_dropped
    }

    /// Late elements sent to the late output.
    pub fn late_records_emitted(&self) -> u64 {
        self.late_records_emitted
    }

    /// Event-time timers pending (windows waiting for the watermark, cleanups).
    pub fn num_event_time_timers(&self) -> usize {
        self.timers.num_event_time_timers()
    }

    /// Heap bytes of the window state.
    pub fn state_heap_bytes(&self) -> u64 {
        self.backend.heap_bytes()
    }

    #[inline]
    fn is_window_late(&self, window: &W) -> bool {
        self.is_event_time
            && cleanup_time(true, self.allowed_lateness_ms, window)
                <= self.timers.current_watermark()
    }

    fn is_element_late(&self, timestamp: Option<i64>) -> bool {
        self.is_event_time
            && timestamp.is_some_and(|ts| {
                ts.saturating_add(self.allowed_lateness_ms) <= self.timers.current_watermark()
            })
    }

    #[inline]
    fn register_cleanup_timer(&mut self, key: &K, window: &W) {
        let time = cleanup_time(self.is_event_time, self.allowed_lateness_ms, window);
        if time == i64::MAX {
            // Never cleaned up (global windows, or an end that overflows).
            return;
        }
        if self.is_event_time {
            self.timers.register_event_time_timer(key, window, time);
        } else {
            self.timers
                .register_processing_time_timer(key, window, time);
        }
    }

    /// Emits the contents of `state_window` as `window`.
    fn emit(&mut self, key: &K, window: &W, state_window: &W) -> Result<(), WeirError> {
        let fire = Fire {
            key,
            window,
            state_window,
            current_watermark: self.timers.current_watermark(),
            current_processing_time: (self.clock)(),
            merging: self.merging_windows.is_some(),
            operator: &self.name,
            evictor: self.evictor.as_deref(),
        };
        self.contents
            .emit(&mut self.backend, &fire, &mut *self.output)
    }

    /// Adds the element to `window` (contents in `state_window`) and runs the trigger.
    fn add_to_window(
        &mut self,
        key: &K,
        value: &In,
        timestamp: Option<i64>,
        window: &W,
        state_window: &W,
    ) -> Result<(), WeirError> {
        self.contents
            .add(&mut self.backend, state_window, value, timestamp)?;
        let result = {
            let mut ctx = WindowTriggerContext {
                backend: &mut self.backend,
                timers: &mut self.timers,
                states: &mut self.trigger_states,
                key,
                window,
                merged_windows: &[],
                clock: &*self.clock,
            };
            self.trigger
                .on_element(value, timestamp, window, &mut ctx)?
        };
        if result.is_fire() {
            self.emit(key, window, state_window)?;
        }
        if result.is_purge() {
            self.contents.clear(&mut self.backend, state_window);
        }
        self.register_cleanup_timer(key, window);
        Ok(())
    }

    /// Non-merging windows; `true` when every window was late.
    fn process_windows(
        &mut self,
        key: &K,
        value: &In,
        timestamp: Option<i64>,
        windows: &[W],
    ) -> Result<bool, WeirError> {
        let mut skipped = true;
        for window in windows {
            if self.is_window_late(window) {
                continue;
            }
            skipped = false;
            if self.trigger_registers_window_end_only
                && window.max_timestamp() > self.timers.current_watermark()
                && self.contents.contains(&mut self.backend, window)
            {
                // The window got its end timer and cleanup timer with its first element, and
                // only their firing (which clears the contents) removes them: registering
                // them again would be a no-op, and the trigger would return Continue.
                self.contents
                    .add(&mut self.backend, window, value, timestamp)?;
                continue;
            }
            self.add_to_window(key, value, timestamp, window, window)?;
        }
        Ok(skipped)
    }

    fn load_merging_windows(
        &mut self,
        handle: ListStateHandle<VoidNamespace, (W, W)>,
    ) -> MergingWindowSet<W> {
        let mapping = self
            .backend
            .list_get(handle, &VoidNamespace)
            .map(<[(W, W)]>::to_vec)
            .unwrap_or_default();
        MergingWindowSet::new(mapping)
    }

    fn store_merging_windows(
        &mut self,
        handle: ListStateHandle<VoidNamespace, (W, W)>,
        set: MergingWindowSet<W>,
    ) -> Result<(), WeirError> {
        if set.is_changed() {
            self.backend
                .list_update(handle, &VoidNamespace, set.into_mapping())?;
        }
        Ok(())
    }

    /// Merging (session) windows; `true` when every window was late.
    fn process_merging_windows(
        &mut self,
        handle: ListStateHandle<VoidNamespace, (W, W)>,
        key: &K,
        value: &In,
        timestamp: Option<i64>,
        windows: &[W],
    ) -> Result<bool, WeirError> {
        let mut set = self.load_merging_windows(handle);
        let mut skipped = true;
        for window in windows {
            let actual = {
                let backend = &mut self.backend;
                let timers = &mut self.timers;
                let states = &mut self.trigger_states;
                let trigger = &*self.trigger;
                let contents = &*self.contents;
                let clock = &*self.clock;
                let (is_event_time, lateness) = (self.is_event_time, self.allowed_lateness_ms);
                set.add_window(
                    window.clone(),
                    &*self.assigner,
                    |merge_result, merged_windows, state_window, merged_state_windows| {
                        let mut ctx = WindowTriggerContext {
                            backend: &mut *backend,
                            timers: &mut *timers,
                            states: &mut *states,
                            key,
                            window: merge_result,
                            merged_windows,
                            clock,
                        };
                        trigger.on_merge(merge_result, &mut ctx)?;
                        for merged in merged_windows {
                            ctx.window = merged;
                            trigger.clear(merged, &mut ctx)?;
                            let time = cleanup_time(is_event_time, lateness, merged);
                            if is_event_time {
                                ctx.timers.delete_event_time_timer(key, merged, time);
                            } else {
                                ctx.timers.delete_processing_time_timer(key, merged, time);
                            }
                        }
                        contents.merge(&mut *backend, state_window, merged_state_windows)
                    },
                )?
            };
            if self.is_window_late(&actual) {
                set.retire_window(&actual);
                continue;
            }
            skipped = false;
            let state_window = set
                .state_window(&actual)
                .cloned()
                .expect("a window just added is in flight");
            self.add_to_window(key, value, timestamp, &actual, &state_window)?;
        }
        self.store_merging_windows(handle, set)?;
        Ok(skipped)
    }

    /// A timer of `window` fired (event time or processing time).
    fn on_timer(&mut self, timer: Timer<K, W>, event_time: bool) -> Result<(), WeirError> {
        let Timer {
            key,
            namespace: window,
            timestamp,
        } = timer;
        self.backend.set_current_key(key.clone());
        let mut merging = None;
        let state_window = match self.merging_windows {
            Some(handle) => {
                let set = self.load_merging_windows(handle);
                // A timer of a window that was merged away (its trigger left it).
                let Some(state_window) = set.state_window(&window).cloned() else {
                    return Ok(());
                };
                merging = Some((handle, set));
                state_window
            }
            None => window.clone(),
        };
        let result = {
            let mut ctx = WindowTriggerContext {
                backend: &mut self.backend,
                timers: &mut self.timers,
                states: &mut self.trigger_states,
                key: &key,
                window: &window,
                merged_windows: &[],
                clock: &*self.clock,
            };
            if event_time {
                self.trigger.on_event_time(timestamp, &window, &mut ctx)?
            } else {
                self.trigger
                    .on_processing_time(timestamp, &window, &mut ctx)?
            }
        };
        if result.is_fire() {
            self.emit(&key, &window, &state_window)?;
        }
        if result.is_purge() {
            self.contents.clear(&mut self.backend, &state_window);
        }
        let is_cleanup = event_time == self.is_event_time
            && timestamp == cleanup_time(self.is_event_time, self.allowed_lateness_ms, &window);
        if is_cleanup {
            self.clear_all_state(&key, &window, &state_window)?;
            if let Some((_, set)) = &mut merging {
                set.retire_window(&window);
            }
        }
        if let Some((handle, set)) = merging {
            self.store_merging_windows(handle, set)?;
        }
        Ok(())
    }

    /// Window cleanup: contents, trigger state and timers, the user function's window state.
    fn clear_all_state(&mut self, key: &K, window: &W, state_window: &W) -> Result<(), WeirError> {
        self.contents.clear(&mut self.backend, state_window);
        {
            let mut ctx = WindowTriggerContext {
                backend: &mut self.backend,
                timers: &mut self.timers,
                states: &mut self.trigger_states,
                key,
                window,
                merged_windows: &[],
                clock: &*self.clock,
            };
            self.trigger.clear(window, &mut ctx)?;
        }
        let fire = Fire {
            key,
            window,
            state_window,
            current_watermark: self.timers.current_watermark(),
            current_processing_time: (self.clock)(),
            merging: self.merging_windows.is_some(),
            operator: &self.name,
            evictor: self.evictor.as_deref(),
        };
        self.contents.clear_function(&mut self.backend, &fire)
    }
}

impl<K: StateKey, In: Data, Out: 'static, W: Window> ChainLink<In>
    for WindowOperator<K, In, Out, W>
{
    fn process_element(&mut self, value: In, timestamp: Option<i64>) -> Result<(), WeirError> {
        let key = (self.key_selector)(&value);
        self.backend.set_current_key(key.clone());
        let mut windows = std::mem::take(&mut self.windows);
        windows.clear();
        let clock = &*self.clock;
        let assigned = self.assigner.assign_windows(
            &value,
            timestamp,
            &WindowAssignerContext::new(clock),
            &mut windows,
        );
        let skipped = assigned.and_then(|()| match self.merging_windows {
            Some(handle) => self.process_merging_windows(handle, &key, &value, timestamp, &windows),
            None => self.process_windows(&key, &value, timestamp, &windows),
        });
        self.windows = windows;
        if skipped? && self.is_element_late(timestamp) {
            match &mut self.late_output {
                Some(late) => {
                    self.late_records_emitted += 1;
                    late.process_element(value, timestamp)?;
                }
                None => self.late_records_dropped += 1,
            }
        }
        Ok(())
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        while let Some(timer) = self.timers.pop_event_timer(watermark) {
            self.on_timer(timer, true)?;
        }
        self.backend.check_failure()?;
        self.output.process_watermark(watermark)?;
        if let Some(late) = &mut self.late_output {
            late.process_watermark(watermark)?;
        }
        Ok(())
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.output.process_watermark_status(idle)?;
        if let Some(late) = &mut self.late_output {
            late.process_watermark_status(idle)?;
        }
        Ok(())
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        while let Some(timer) = self.timers.pop_processing_timer(now_ms) {
            self.on_timer(timer, false)?;
        }
        self.backend.check_failure()?;
        self.output.on_processing_time(now_ms)?;
        if let Some(late) = &mut self.late_output {
            late.on_processing_time(now_ms)?;
        }
        Ok(())
    }

    fn next_processing_time(&self) -> Option<i64> {
        [
            self.timers.next_processing_time(),
            self.output.next_processing_time(),
            self.late_output
                .as_ref()
                .and_then(|late| late.next_processing_time()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        let mut state = OperatorSnapshot::default();
        self.backend.snapshot_into(&mut state)?;
        self.timers.snapshot_into(&mut state)?;
        snapshot.insert(self.uid.clone(), state);
        self.output.snapshot_state(barrier, snapshot)?;
        if let Some(late) = &mut self.late_output {
            late.snapshot_state(barrier, snapshot)?;
        }
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.output.notify_checkpoint_complete(checkpoint_id)?;
        if let Some(late) = &mut self.late_output {
            late.notify_checkpoint_complete(checkpoint_id)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.backend.check_failure()?;
        self.output.finish()?;
        if let Some(late) = &mut self.late_output {
            late.finish()?;
        }
        Ok(())
    }
}
