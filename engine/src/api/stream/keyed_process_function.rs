//! [`KeyedProcessFunction`]: a function of a keyed stream with keyed state and timers
//! (Flink's `KeyedProcessFunction`), and the operator that runs it.
//!
//! ```text
//!   record ──key──▶ backend.set_current_key ──▶ process_element(value, ctx, out)
//!                                                  ctx: state of the key, timers, side outputs
//!   watermark w ──▶ every event-time timer <= w, in time order ──▶ on_timer(t, ctx, out) ──▶ forward w
//!   processing time now ──▶ every processing-time timer <= now ──▶ on_timer(t, ctx, out)
//!   checkpoint ──▶ keyed state + timers, per key group, under the operator's uid
//! ```
//!
//! State is registered in `open` through [`KeyedStateContext`] and read or written for the
//! current key through the [`KeyedContext`] of each call. Timers are deduplicated per key and
//! time, as in Flink.

use std::sync::Arc;

use crate::api::Data;
use crate::api::functions::{RuntimeContext, UserError};
use crate::api::stream::keyed_operator_state::KeyedOperatorState;
use crate::api::stream::output_tag::OutputTag;
use crate::error::WeirError;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, OperatorSetup, TaskSnapshot};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::processing_time::processing_time_now;
use crate::runtime::stream::side_output::SideOutputLinks;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::state::{
    AggregatingStateDescriptor, AggregatingStateHandle, KeyedStateBackend, ListStateDescriptor,
    ListStateHandle, MapStateDescriptor, MapStateHandle, ReducingStateDescriptor,
    ReducingStateHandle, StateHandle, StateKey, ValueStateDescriptor, ValueStateHandle,
    VoidNamespace,
};
use crate::windowing::InternalTimerService;

/// A keyed value state of the current key.
pub type ValueState<T> = ValueStateHandle<VoidNamespace, T>;
/// A keyed list state of the current key.
pub type ListState<T> = ListStateHandle<VoidNamespace, T>;
/// A keyed map state of the current key.
pub type MapState<UK, UV> = MapStateHandle<VoidNamespace, UK, UV>;
/// A keyed reducing state of the current key.
pub type ReducingState<T> = ReducingStateHandle<VoidNamespace, T>;
/// A keyed aggregating state of the current key.
pub type AggregatingState<In, Acc, Out> = AggregatingStateHandle<VoidNamespace, In, Acc, Out>;

/// Which clock a timer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeDomain {
    EventTime,
    ProcessingTime,
}

/// See the module docs. Each parallel instance is a clone.
pub trait KeyedProcessFunction<K: StateKey, I, O>: Clone + Send + Sync + 'static {
    /// Registers state; runs before the first record.
    fn open(&mut self, _context: &mut KeyedStateContext<'_, K>) -> Result<(), UserError> {
        Ok(())
    }

    fn process_element(
        &mut self,
        value: I,
        context: &mut KeyedContext<'_, K>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    /// A timer of the current key fired (`context.time_domain()` says which clock).
    fn on_timer(
        &mut self,
        _timestamp: i64,
        _context: &mut KeyedContext<'_, K>,
        _out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError> {
        Ok(())
    }

    fn close(&mut self) -> Result<(), UserError> {
        Ok(())
    }
}

/// What `open` sees: the runtime context and state registration.
pub struct KeyedStateContext<'a, K: StateKey> {
    runtime: &'a RuntimeContext,
    backend: &'a mut KeyedStateBackend<K>,
}

impl<K: StateKey> std::fmt::Debug for KeyedStateContext<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedStateContext")
            .field("runtime", self.runtime)
            .finish()
    }
}

impl<'a, K: StateKey> KeyedStateContext<'a, K> {
    pub(crate) fn new(
        runtime: &'a RuntimeContext,
        backend: &'a mut KeyedStateBackend<K>,
    ) -> KeyedStateContext<'a, K> {
        KeyedStateContext { runtime, backend }
    }

    pub fn runtime_context(&self) -> &RuntimeContext {
        self.runtime
    }

    pub fn value_state<T: Data>(
        &mut self,
        descriptor: &ValueStateDescriptor<T>,
    ) -> Result<ValueState<T>, WeirError> {
        self.backend.value_state(descriptor)
    }

    pub fn list_state<T: Data>(
        &mut self,
        descriptor: &ListStateDescriptor<T>,
    ) -> Result<ListState<T>, WeirError> {
        self.backend.list_state(descriptor)
    }

    pub fn map_state<UK: StateKey, UV: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<MapState<UK, UV>, WeirError> {
        self.backend.map_state(descriptor)
    }

    pub fn reducing_state<T: Data>(
        &mut self,
        descriptor: &ReducingStateDescriptor<T>,
    ) -> Result<ReducingState<T>, WeirError> {
        self.backend.reducing_state(descriptor)
    }

    pub fn aggregating_state<In: 'static, Acc: Data, Out: 'static>(
        &mut self,
        descriptor: &AggregatingStateDescriptor<In, Acc, Out>,
    ) -> Result<AggregatingState<In, Acc, Out>, WeirError> {
        self.backend.aggregating_state(descriptor)
    }
}

/// What a call of a keyed process function sees: the current key and its state, timers, the
/// record's timestamp and side outputs.
pub struct KeyedContext<'a, K: StateKey> {
    backend: &'a mut KeyedStateBackend<K>,
    timers: &'a mut InternalTimerService<K, VoidNamespace>,
    side: &'a mut SideOutputLinks,
    timestamp: Option<i64>,
    time_domain: Option<TimeDomain>,
    error: Option<WeirError>,
}

impl<K: StateKey> std::fmt::Debug for KeyedContext<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedContext")
            .field("timestamp", &self.timestamp)
            .field("time_domain", &self.time_domain)
            .finish()
    }
}

impl<'a, K: StateKey> KeyedContext<'a, K> {
    pub(crate) fn new(
        backend: &'a mut KeyedStateBackend<K>,
        timers: &'a mut InternalTimerService<K, VoidNamespace>,
        side: &'a mut SideOutputLinks,
        timestamp: Option<i64>,
        time_domain: Option<TimeDomain>,
    ) -> KeyedContext<'a, K> {
        KeyedContext {
            backend,
            timers,
            side,
            timestamp,
            time_domain,
            error: None,
        }
    }

    /// The first failure of a side output emit, if any.
    pub(crate) fn take_error(&mut self) -> Option<WeirError> {
        self.error.take()
    }
}

impl<K: StateKey + Clone> KeyedContext<'_, K> {
    /// The key of the record (or of the timer) being processed.
    pub fn current_key(&self) -> &K {
        self.backend
            .current_key()
            .expect("the operator sets the key before every call")
    }

    /// The record's timestamp; in `on_timer`, the timer's time for event-time timers.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// In `on_timer`: the clock of the timer that fired.
    pub fn time_domain(&self) -> Option<TimeDomain> {
        self.time_domain
    }

    pub fn current_watermark(&self) -> i64 {
        self.timers.current_watermark()
    }

    pub fn current_processing_time(&self) -> i64 {
        processing_time_now()
    }

    /// A timer of the current key at event time `time` (fires when the watermark reaches it).
    pub fn register_event_time_timer(&mut self, time: i64) {
        let key = self.current_key().clone();
        self.timers
            .register_event_time_timer(&key, &VoidNamespace, time);
    }

    pub fn delete_event_time_timer(&mut self, time: i64) {
        let key = self.current_key().clone();
        self.timers
            .delete_event_time_timer(&key, &VoidNamespace, time);
    }

    /// A timer of the current key at processing time `time` (ms since the epoch).
    pub fn register_processing_time_timer(&mut self, time: i64) {
        let key = self.current_key().clone();
        self.timers
            .register_processing_time_timer(&key, &VoidNamespace, time);
    }

    pub fn delete_processing_time_timer(&mut self, time: i64) {
        let key = self.current_key().clone();
        self.timers
            .delete_processing_time_timer(&key, &VoidNamespace, time);
    }

    /// Emits `value` to the side output `tag` with the current timestamp.
    pub fn output<X: 'static>(&mut self, tag: &OutputTag<X>, value: X) {
        if self.error.is_none()
            && let Err(error) = self.side.emit(tag.id(), value, self.timestamp)
        {
            self.error = Some(error);
        }
    }

    /// The keyed state backend, for namespaced access.
    pub fn state(&mut self) -> &mut KeyedStateBackend<K> {
        self.backend
    }

    pub fn value<T: Data>(&mut self, state: ValueState<T>) -> Option<T> {
        self.backend.value(state, &VoidNamespace)
    }

    pub fn update<T: Data>(&mut self, state: ValueState<T>, value: T) -> Result<(), WeirError> {
        self.backend.update_value(state, &VoidNamespace, value)
    }

    pub fn list<T: Data>(&mut self, state: ListState<T>) -> Vec<T> {
        self.backend
            .list_get(state, &VoidNamespace)
            .map(<[T]>::to_vec)
            .unwrap_or_default()
    }

    pub fn list_add<T: Data>(&mut self, state: ListState<T>, value: T) -> Result<(), WeirError> {
        self.backend.list_add(state, &VoidNamespace, value)
    }

    pub fn list_update<T: Data>(
        &mut self,
        state: ListState<T>,
        values: Vec<T>,
    ) -> Result<(), WeirError> {
        self.backend.list_update(state, &VoidNamespace, values)
    }

    pub fn map_get<UK: StateKey, UV: Data>(
        &mut self,
        state: MapState<UK, UV>,
        key: &UK,
    ) -> Option<UV> {
        self.backend.map_get(state, &VoidNamespace, key).cloned()
    }

    pub fn map_put<UK: StateKey, UV: Data>(
        &mut self,
        state: MapState<UK, UV>,
        key: UK,
        value: UV,
    ) -> Result<(), WeirError> {
        self.backend.map_put(state, &VoidNamespace, key, value)
    }

    pub fn map_remove<UK: StateKey, UV: Data>(
        &mut self,
        state: MapState<UK, UV>,
        key: &UK,
    ) -> Result<(), WeirError> {
        self.backend
            .map_remove(state, &VoidNamespace, key)
            .map(drop)
    }

    pub fn map_entries<UK: StateKey, UV: Data>(
        &mut self,
        state: MapState<UK, UV>,
    ) -> Vec<(UK, UV)> {
        self.backend.map_entries(state, &VoidNamespace)
    }

    pub fn reducing_add<T: Data>(
        &mut self,
        state: ReducingState<T>,
        value: T,
    ) -> Result<(), WeirError> {
        self.backend.reducing_add(state, &VoidNamespace, value)
    }

    pub fn reducing_get<T: Data>(&mut self, state: ReducingState<T>) -> Option<T> {
        self.backend.reducing_get(state, &VoidNamespace).cloned()
    }

    pub fn aggregating_add<In: 'static, Acc: Data, Out: 'static>(
        &mut self,
        state: AggregatingState<In, Acc, Out>,
        value: &In,
    ) -> Result<(), WeirError> {
        self.backend.aggregating_add(state, &VoidNamespace, value)
    }

    pub fn aggregating_get<In: 'static, Acc: Data, Out: 'static>(
        &mut self,
        state: AggregatingState<In, Acc, Out>,
    ) -> Option<Out> {
        self.backend.aggregating_get(state, &VoidNamespace)
    }

    /// Clears any state of the current key.
    pub fn clear<H: StateHandle<Namespace = VoidNamespace>>(&mut self, state: H) {
        self.backend.clear(state, &VoidNamespace);
    }
}

/// The operator running a [`KeyedProcessFunction`].
pub(crate) struct KeyedProcessLink<K: StateKey, I, O, F: KeyedProcessFunction<K, I, O>> {
    function: F,
    context: RuntimeContext,
    key_selector: Arc<dyn Fn(&I) -> K + Send + Sync>,
    keyed: KeyedOperatorState<K>,
    downstream: Downstream<O>,
}

impl<K, I, O, F> KeyedProcessLink<K, I, O, F>
where
    K: StateKey + Clone,
    F: KeyedProcessFunction<K, I, O>,
{
    pub(crate) fn open(
        mut function: F,
        setup: &OperatorSetup,
        context: RuntimeContext,
        key_selector: Arc<dyn Fn(&I) -> K + Send + Sync>,
        downstream: Downstream<O>,
    ) -> Result<Self, WeirError> {
        let mut keyed = KeyedOperatorState::open(setup)?;
        function
            .open(&mut keyed.state_context(&context))
            .map_err(|error| user_failure(&context, error))?;
        Ok(KeyedProcessLink {
            function,
            context,
            key_selector,
            keyed,
            downstream,
        })
    }
}

impl<K, I, O, F> ChainLink<I> for KeyedProcessLink<K, I, O, F>
where
    K: StateKey + Clone,
    F: KeyedProcessFunction<K, I, O>,
{
    fn process_element(&mut self, value: I, timestamp: Option<i64>) -> Result<(), WeirError> {
        let key = (self.key_selector)(&value);
        let function = &mut self.function;
        self.keyed.call(
            key,
            timestamp,
            None,
            &mut self.downstream,
            &self.context,
            |context, out| function.process_element(value, context, out),
        )
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        let function = &mut self.function;
        self.keyed.advance_watermark(
            watermark,
            &mut self.downstream,
            &self.context,
            |time, context, out| function.on_timer(time, context, out),
        )
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.downstream.process_watermark_status(idle)
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        let function = &mut self.function;
        self.keyed.advance_processing_time(
            now_ms,
            &mut self.downstream,
            &self.context,
            |time, context, out| function.on_timer(time, context, out),
        )
    }

    fn next_processing_time(&self) -> Option<i64> {
        self.keyed.next_processing_time(&self.downstream)
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.keyed.snapshot_into(snapshot)?;
        self.downstream.snapshot_state(barrier, snapshot)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.downstream.notify_checkpoint_complete(checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.function
            .close()
            .map_err(|error| user_failure(&self.context, error))?;
        self.downstream.finish()
    }
}
