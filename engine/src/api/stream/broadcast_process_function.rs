//! The broadcast state pattern (Flink's `BroadcastStream`, `BroadcastProcessFunction` and
//! `KeyedBroadcastProcessFunction`): a low-rate stream of rules or configuration goes to every
//! subtask of an operator and lands in broadcast state; the other stream reads that state.
//!
//! ```text
//!   rules.broadcast_state(&descriptor) ─▶ BroadcastStream<R> ─ broadcast exchange: every subtask
//!   events (or keyed events).connect_broadcast(&rules) ─▶ process(function)
//!     rule  ─▶ process_broadcast_element(rule, ctx: BroadcastContext, out)    broadcast state read-write
//!     event ─▶ process_element(event, broadcast: &BroadcastStates, ctx, out)  broadcast state read-only
//!              keyed: ctx is the KeyedContext (keyed state, timers); on_timer likewise
//! ```
//!
//! The broadcast states checkpoint with the operator (every subtask writes its copy; on
//! restore each new subtask takes one copy, also at another parallelism); keyed state and
//! timers of the keyed variant checkpoint like any keyed operator's. A keyed function can
//! visit the state of every key from the broadcast side with
//! [`BroadcastContext::apply_to_keyed_state`].

use std::sync::Arc;

use crate::api::Data;
use crate::api::functions::{RuntimeContext, UserError};
use crate::api::stream::connected_streams::two_input_head;
use crate::api::stream::data_stream::DataStream;
use crate::api::stream::keyed_co_process_function::KeyOf;
use crate::api::stream::keyed_operator_state::KeyedOperatorState;
use crate::api::stream::keyed_process_function::{KeyedContext, KeyedStateContext};
use crate::api::stream::keyed_stream::KeyedStream;
use crate::api::stream::node_factories::{OperatorFn, runtime_context};
use crate::api::stream::output_tag::OutputTag;
use crate::api::stream::process_function::{ProcessContext, call_with_context};
use crate::error::WeirError;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{OperatorSetup, TaskSnapshot};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::runtime::stream::two_input_link::TwoInputLink;
use crate::state::broadcast_state::{BroadcastStateDeclaration, TypedDeclaration};
use crate::state::{
    BroadcastState, BroadcastStates, KeyedStateBackend, MapStateDescriptor, StateHandle, StateKey,
    VoidNamespace,
};

/// A stream broadcast to every subtask of the operator it is connected to, with the broadcast
/// states that operator keeps. See the module docs.
pub struct BroadcastStream<T> {
    stream: DataStream<T>,
    declarations: Vec<Arc<dyn BroadcastStateDeclaration>>,
}

impl<T> Clone for BroadcastStream<T> {
    fn clone(&self) -> Self {
        BroadcastStream {
            stream: self.stream.clone(),
            declarations: self.declarations.clone(),
        }
    }
}

impl<T> std::fmt::Debug for BroadcastStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.declarations.iter().map(|d| d.name()).collect();
        f.debug_struct("BroadcastStream")
            .field("stream", &self.stream)
            .field("states", &names)
            .finish()
    }
}

impl<T: Data> DataStream<T> {
    /// This stream sent to every subtask of the operator it is connected to, which keeps the
    /// broadcast state `descriptor` (Flink's `broadcast(MapStateDescriptor...)`); more states
    /// with [`BroadcastStream::and_state`].
    pub fn broadcast_state<K: StateKey, V: Data>(
        &self,
        descriptor: &MapStateDescriptor<K, V>,
    ) -> BroadcastStream<T> {
        BroadcastStream {
            stream: self.clone().broadcast(),
            declarations: vec![TypedDeclaration::declare(descriptor)],
        }
    }

    /// This stream and the broadcast `rules` as the inputs of one operator.
    pub fn connect_broadcast<B: Data>(
        &self,
        rules: &BroadcastStream<B>,
    ) -> BroadcastConnectedStream<T, B> {
        BroadcastConnectedStream {
            events: self.clone(),
            rules: rules.clone(),
        }
    }
}

impl<T: Data> BroadcastStream<T> {
    /// Declares one more broadcast state.
    pub fn and_state<K: StateKey, V: Data>(
        mut self,
        descriptor: &MapStateDescriptor<K, V>,
    ) -> BroadcastStream<T> {
        self.declarations
            .push(TypedDeclaration::declare(descriptor));
        self
    }
}

impl<K: StateKey + Clone, A: Data> KeyedStream<K, A> {
    /// This keyed stream and the broadcast `rules` as the inputs of one keyed operator.
    pub fn connect_broadcast<B: Data>(
        &self,
        rules: &BroadcastStream<B>,
    ) -> KeyedBroadcastConnectedStream<K, A, B> {
        KeyedBroadcastConnectedStream {
            events: self.clone(),
            rules: rules.clone(),
        }
    }
}

/// What the broadcast side of a function sees: the broadcast states to change, the record's
/// timestamp, the watermark, side outputs, and — for a keyed function, whose key type is `K`
/// — the state of every key (a non-keyed function's context has no keyed state; its `K` is
/// not used).
pub struct BroadcastContext<'a, K: StateKey = u64> {
    states: &'a mut BroadcastStates,
    process: ProcessContext<'a>,
    keyed: Option<&'a mut KeyedStateBackend<K>>,
}

impl<K: StateKey> std::fmt::Debug for BroadcastContext<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastContext")
            .field("states", &self.states)
            .field("process", &self.process)
            .finish()
    }
}

impl<K: StateKey + Clone> BroadcastContext<'_, K> {
    /// The broadcast state of `descriptor`, to change (it must be declared on the stream).
    pub fn broadcast_state<UK: StateKey, UV: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<&mut BroadcastState<UK, UV>, WeirError> {
        self.states.get_mut(descriptor)
    }

    pub fn timestamp(&self) -> Option<i64> {
        self.process.timestamp()
    }

    pub fn current_watermark(&self) -> i64 {
        self.process.current_watermark()
    }

    pub fn current_processing_time(&self) -> i64 {
        self.process.current_processing_time()
    }

    /// Emits `value` to the side output `tag`.
    pub fn output<X: 'static>(&mut self, tag: &OutputTag<X>, value: X) {
        self.process.output(tag, value);
    }

    /// Keyed functions: calls `function(key, backend)` for every key that has a value in
    /// `state`, with the backend set to that key (Flink's `applyToKeyedState`). Non-keyed
    /// functions have no keyed state: nothing is called.
    pub fn apply_to_keyed_state<H>(
        &mut self,
        state: H,
        mut function: impl FnMut(&K, &mut KeyedStateBackend<K>) -> Result<(), WeirError>,
    ) -> Result<(), WeirError>
    where
        H: StateHandle<Namespace = VoidNamespace>,
    {
        let Some(backend) = self.keyed.as_deref_mut() else {
            return Ok(());
        };
        for key in backend.keys(state, &VoidNamespace) {
            backend.set_current_key(key.clone());
            function(&key, backend)?;
        }
        Ok(())
    }
}

/// The non-keyed function of the pattern. Each parallel instance is a clone.
pub trait BroadcastProcessFunction<A, B, O>: Clone + Send + Sync + 'static {
    fn open(&mut self, _context: &RuntimeContext) -> Result<(), UserError> {
        Ok(())
    }

    /// A record of the non-broadcast input; the broadcast states are read-only here.
    fn process_element(
        &mut self,
        value: A,
        broadcast: &BroadcastStates,
        context: &mut ProcessContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    /// A broadcast record (every subtask gets each).
    fn process_broadcast_element(
        &mut self,
        value: B,
        context: &mut BroadcastContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    fn close(&mut self) -> Result<(), UserError> {
        Ok(())
    }
}

/// The keyed function of the pattern. Each parallel instance is a clone.
pub trait KeyedBroadcastProcessFunction<K: StateKey, A, B, O>:
    Clone + Send + Sync + 'static
{
    /// Registers keyed state; runs before the first record.
    fn open(&mut self, _context: &mut KeyedStateContext<'_, K>) -> Result<(), UserError> {
        Ok(())
    }

    /// A record of the keyed input with its key's state and timers; broadcast states
    /// read-only.
    fn process_element(
        &mut self,
        value: A,
        broadcast: &BroadcastStates,
        context: &mut KeyedContext<'_, K>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    /// A broadcast record (every subtask gets each); no current key.
    fn process_broadcast_element(
        &mut self,
        value: B,
        context: &mut BroadcastContext<'_, K>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    /// A timer of the current key fired.
    fn on_timer(
        &mut self,
        _timestamp: i64,
        _broadcast: &BroadcastStates,
        _context: &mut KeyedContext<'_, K>,
        _out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError> {
        Ok(())
    }

    fn close(&mut self) -> Result<(), UserError> {
        Ok(())
    }
}

/// A stream connected to a broadcast stream. See the module docs.
pub struct BroadcastConnectedStream<A, B> {
    events: DataStream<A>,
    rules: BroadcastStream<B>,
}

impl<A, B> std::fmt::Debug for BroadcastConnectedStream<A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastConnectedStream")
            .field("events", &self.events)
            .field("rules", &self.rules)
            .finish()
    }
}

impl<A: Data, B: Data> BroadcastConnectedStream<A, B> {
    /// Runs a [`BroadcastProcessFunction`].
    pub fn process<O: Data, F: BroadcastProcessFunction<A, B, O>>(
        &self,
        function: F,
    ) -> DataStream<O> {
        let declarations = self.rules.declarations.clone();
        self.events.connect(&self.rules.stream).add_operator(
            "Broadcast-Process",
            OperatorFn::new(move |setup, output, side| {
                let link = BroadcastLink::open(
                    function.clone(),
                    setup,
                    &declarations,
                    Downstream::from_factory(output, side),
                )?;
                Ok(two_input_head(link))
            }),
        )
    }
}

/// A keyed stream connected to a broadcast stream. See the module docs.
pub struct KeyedBroadcastConnectedStream<K, A, B> {
    events: KeyedStream<K, A>,
    rules: BroadcastStream<B>,
}

impl<K, A, B> std::fmt::Debug for KeyedBroadcastConnectedStream<K, A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedBroadcastConnectedStream")
            .field("events", &self.events)
            .field("rules", &self.rules)
            .finish()
    }
}

impl<K: StateKey + Clone, A: Data, B: Data> KeyedBroadcastConnectedStream<K, A, B> {
    /// Runs a [`KeyedBroadcastProcessFunction`].
    pub fn process<O: Data, F: KeyedBroadcastProcessFunction<K, A, B, O>>(
        &self,
        function: F,
    ) -> DataStream<O> {
        let declarations = self.rules.declarations.clone();
        let key = Arc::clone(&self.events.key);
        self.events.stream.connect(&self.rules.stream).add_operator(
            "KeyedBroadcast-Process",
            OperatorFn::new(move |setup, output, side| {
                let link = KeyedBroadcastLink::open(
                    function.clone(),
                    setup,
                    Arc::clone(&key),
                    &declarations,
                    Downstream::from_factory(output, side),
                )?;
                Ok(two_input_head(link))
            }),
        )
    }
}

/// Writes the broadcast states (and `keyed`, if any) under the operator's uid.
fn snapshot_operator<K: StateKey + Clone>(
    uid: &str,
    states: &BroadcastStates,
    keyed: Option<&KeyedOperatorState<K>>,
    snapshot: &mut TaskSnapshot,
) -> Result<(), WeirError> {
    if let Some(keyed) = keyed {
        keyed.snapshot_into(snapshot)?;
    }
    let entry = snapshot.entry(uid.to_owned()).or_default();
    states.snapshot_into(entry)
}

/// The operator running a [`BroadcastProcessFunction`].
struct BroadcastLink<A, B, O, F> {
    function: F,
    context: RuntimeContext,
    uid: String,
    states: BroadcastStates,
    downstream: Downstream<O>,
    watermark: i64,
    _inputs: std::marker::PhantomData<fn(A, B)>,
}

impl<A, B, O, F: BroadcastProcessFunction<A, B, O>> BroadcastLink<A, B, O, F> {
    fn open(
        mut function: F,
        setup: &OperatorSetup,
        declarations: &[Arc<dyn BroadcastStateDeclaration>],
        downstream: Downstream<O>,
    ) -> Result<Self, WeirError> {
        let context = runtime_context(setup);
        let states = BroadcastStates::open(&setup.name, declarations, setup.restored.as_ref())?;
        function
            .open(&context)
            .map_err(|error| user_failure(&context, error))?;
        Ok(BroadcastLink {
            function,
            context,
            uid: setup.uid.clone(),
            states,
            downstream,
            watermark: i64::MIN,
            _inputs: std::marker::PhantomData,
        })
    }
}

impl<A, B, O, F: BroadcastProcessFunction<A, B, O>> TwoInputLink<A, B>
    for BroadcastLink<A, B, O, F>
{
    fn process_element1(&mut self, value: A, timestamp: Option<i64>) -> Result<(), WeirError> {
        let (function, states) = (&mut self.function, &self.states);
        call_with_context(
            &mut self.downstream,
            timestamp,
            self.watermark,
            &self.context,
            |context, out| function.process_element(value, states, context, out),
        )
    }

    fn process_element2(&mut self, value: B, timestamp: Option<i64>) -> Result<(), WeirError> {
        broadcast_call::<u64, O>(
            &mut self.states,
            None,
            &mut self.downstream,
            timestamp,
            self.watermark,
            &self.context,
            |context, out| self.function.process_broadcast_element(value, context, out),
        )
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.watermark = watermark;
        self.downstream.process_watermark(watermark)
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.downstream.process_watermark_status(idle)
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        self.downstream.on_processing_time(now_ms)
    }

    fn next_processing_time(&self) -> Option<i64> {
        self.downstream.next_processing_time(None)
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        snapshot_operator::<u64>(&self.uid, &self.states, None, snapshot)?;
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

/// Runs `body` for a broadcast record with a [`BroadcastContext`].
fn broadcast_call<K: StateKey + Clone, O>(
    states: &mut BroadcastStates,
    keyed: Option<&mut KeyedStateBackend<K>>,
    downstream: &mut Downstream<O>,
    timestamp: Option<i64>,
    watermark: i64,
    runtime: &RuntimeContext,
    body: impl FnOnce(
        &mut BroadcastContext<'_, K>,
        &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>,
) -> Result<(), WeirError> {
    let mut out = StreamCollector::new(downstream.output.as_mut(), timestamp);
    let mut context = BroadcastContext {
        states,
        process: ProcessContext::new(timestamp, watermark, &mut downstream.side),
        keyed,
    };
    let applied = body(&mut context, &mut out);
    out.into_result()?;
    context.process.into_result()?;
    applied.map_err(|error| user_failure(runtime, error))
}

/// The operator running a [`KeyedBroadcastProcessFunction`].
struct KeyedBroadcastLink<K: StateKey, A, B, O, F> {
    function: F,
    context: RuntimeContext,
    uid: String,
    key: KeyOf<A, K>,
    keyed: KeyedOperatorState<K>,
    states: BroadcastStates,
    downstream: Downstream<O>,
    _rules: std::marker::PhantomData<fn(B)>,
}

impl<K, A, B, O, F> KeyedBroadcastLink<K, A, B, O, F>
where
    K: StateKey + Clone,
    F: KeyedBroadcastProcessFunction<K, A, B, O>,
{
    fn open(
        mut function: F,
        setup: &OperatorSetup,
        key: KeyOf<A, K>,
        declarations: &[Arc<dyn BroadcastStateDeclaration>],
        downstream: Downstream<O>,
    ) -> Result<Self, WeirError> {
        let context = runtime_context(setup);
        let mut keyed = KeyedOperatorState::open(setup)?;
        let states = BroadcastStates::open(&setup.name, declarations, setup.restored.as_ref())?;
        function
            .open(&mut keyed.state_context(&context))
            .map_err(|error| user_failure(&context, error))?;
        Ok(KeyedBroadcastLink {
            function,
            context,
            uid: setup.uid.clone(),
            key,
            keyed,
            states,
            downstream,
            _rules: std::marker::PhantomData,
        })
    }
}

impl<K, A, B, O, F> TwoInputLink<A, B> for KeyedBroadcastLink<K, A, B, O, F>
where
    K: StateKey + Clone,
    F: KeyedBroadcastProcessFunction<K, A, B, O>,
{
    fn process_element1(&mut self, value: A, timestamp: Option<i64>) -> Result<(), WeirError> {
        let key = (self.key)(&value);
        let (function, states) = (&mut self.function, &self.states);
        self.keyed.call(
            key,
            timestamp,
            None,
            &mut self.downstream,
            &self.context,
            |context, out| function.process_element(value, states, context, out),
        )
    }

    fn process_element2(&mut self, value: B, timestamp: Option<i64>) -> Result<(), WeirError> {
        let watermark = self.keyed.timers.current_watermark();
        broadcast_call(
            &mut self.states,
            Some(&mut self.keyed.backend),
            &mut self.downstream,
            timestamp,
            watermark,
            &self.context,
            |context, out| self.function.process_broadcast_element(value, context, out),
        )?;
        // apply_to_keyed_state may have read spilled state.
        self.keyed.check_failure()
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        let (function, states) = (&mut self.function, &self.states);
        self.keyed.advance_watermark(
            watermark,
            &mut self.downstream,
            &self.context,
            |time, context, out| function.on_timer(time, states, context, out),
        )
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.downstream.process_watermark_status(idle)
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        let (function, states) = (&mut self.function, &self.states);
        self.keyed.advance_processing_time(
            now_ms,
            &mut self.downstream,
            &self.context,
            |time, context, out| function.on_timer(time, states, context, out),
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
        snapshot_operator(&self.uid, &self.states, Some(&self.keyed), snapshot)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::stream::ValueState;
    use crate::checkpoint::OperatorSnapshot;
    use crate::runtime::network::SnapshotKind;
    use crate::runtime::stream::side_output::SideOutputLinks;
    use crate::runtime::stream::test_link::{Recorded, RecordingLink};
    use crate::state::ValueStateDescriptor;

    fn thresholds() -> MapStateDescriptor<String, u64> {
        MapStateDescriptor::new("thresholds")
    }

    /// Counts events per key; emits `(key, count, threshold)` once a key's count reaches its
    /// color's threshold; the rule `("reset", _)` clears every key's count.
    #[derive(Clone, Default)]
    struct Alerts {
        count: Option<ValueState<u64>>,
    }

    impl KeyedBroadcastProcessFunction<u32, (u32, String), (String, u64), (u32, u64, u64)> for Alerts {
        fn open(&mut self, context: &mut KeyedStateContext<'_, u32>) -> Result<(), UserError> {
            self.count = Some(context.value_state(&ValueStateDescriptor::new("count"))?);
            Ok(())
        }

        fn process_element(
            &mut self,
            (key, color): (u32, String),
            broadcast: &BroadcastStates,
            context: &mut KeyedContext<'_, u32>,
            out: &mut StreamCollector<'_, (u32, u64, u64)>,
        ) -> Result<(), UserError> {
            let state = self.count.unwrap();
            let count = context.value(state).unwrap_or(0) + 1;
            context.update(state, count)?;
            if let Some(threshold) = broadcast.get(&thresholds())?.get(&color)
                && count >= *threshold
            {
                out.collect((key, count, *threshold));
            }
            Ok(())
        }

        fn process_broadcast_element(
            &mut self,
            (color, threshold): (String, u64),
            context: &mut BroadcastContext<'_, u32>,
            _out: &mut StreamCollector<'_, (u32, u64, u64)>,
        ) -> Result<(), UserError> {
            if color == "reset" {
                let state = self.count.unwrap();
                context.apply_to_keyed_state(state, |_, backend| {
                    backend.clear(state, &VoidNamespace);
                    Ok(())
                })?;
            } else {
                context
                    .broadcast_state(&thresholds())?
                    .put(color, threshold);
            }
            Ok(())
        }
    }

    type Link = KeyedBroadcastLink<u32, (u32, String), (String, u64), (u32, u64, u64), Alerts>;

    fn open(restored: Option<OperatorSnapshot>) -> (Link, RecordingLink<(u32, u64, u64)>) {
        let recorded = RecordingLink::new();
        let link = KeyedBroadcastLink::open(
            Alerts::default(),
            &OperatorSetup::for_test("alerts", restored),
            Arc::new(|event: &(u32, String)| event.0),
            &[TypedDeclaration::declare(&thresholds())],
            Downstream::new(Box::new(recorded.clone()), SideOutputLinks::new(Vec::new())),
        )
        .unwrap();
        (link, recorded)
    }

    fn records(recorded: &RecordingLink<(u32, u64, u64)>) -> Vec<(u32, u64, u64)> {
        recorded
            .calls()
            .into_iter()
            .filter_map(|call| match call {
                Recorded::Record(value, _) => Some(value),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn rules_apply_to_later_events_reset_visits_every_key_and_state_survives_a_restore() {
        let (mut link, recorded) = open(None);
        let event = |key: u32, color: &str| (key, color.to_owned());
        link.process_element1(event(1, "red"), None).unwrap(); // no rule yet
        link.process_element2(("red".into(), 2), None).unwrap();
        link.process_element1(event(1, "red"), None).unwrap(); // count 2 >= 2
        link.process_element1(event(2, "red"), None).unwrap(); // count 1
        link.process_element2(("reset".into(), 0), None).unwrap();
        link.process_element1(event(1, "red"), None).unwrap(); // count 1 after the reset
        link.process_element1(event(2, "red"), None).unwrap(); // count 1 after the reset
        assert_eq!(records(&recorded), vec![(1, 2, 2)]);

        let mut snapshot = TaskSnapshot::new();
        let barrier = CheckpointBarrier {
            id: 1,
            timestamp_ms: 0,
            kind: SnapshotKind::Checkpoint,
        };
        link.snapshot_state(&barrier, &mut snapshot).unwrap();
        let state = snapshot.remove("alerts").unwrap();
        assert!(state.operator.contains_key("broadcast:thresholds"));
        let (mut restored, recorded) = open(Some(state));
        restored.process_element1(event(1, "red"), None).unwrap(); // count 2, rule restored
        assert_eq!(records(&recorded), vec![(1, 2, 2)]);
    }

    #[test]
    fn an_undeclared_broadcast_state_fails_the_operator_with_its_name() {
        #[derive(Clone)]
        struct Undeclared;
        impl BroadcastProcessFunction<u32, u32, u32> for Undeclared {
            fn process_element(
                &mut self,
                _value: u32,
                broadcast: &BroadcastStates,
                _context: &mut ProcessContext<'_>,
                _out: &mut StreamCollector<'_, u32>,
            ) -> Result<(), UserError> {
                broadcast.get(&MapStateDescriptor::<String, u64>::new("other"))?;
                Ok(())
            }

            fn process_broadcast_element(
                &mut self,
                _value: u32,
                _context: &mut BroadcastContext<'_>,
                _out: &mut StreamCollector<'_, u32>,
            ) -> Result<(), UserError> {
                Ok(())
            }
        }
        let mut link = BroadcastLink::open(
            Undeclared,
            &OperatorSetup::for_test("Broadcast-Process", None),
            &[TypedDeclaration::declare(&thresholds())],
            Downstream::new(
                Box::new(RecordingLink::<u32>::new()),
                SideOutputLinks::new(Vec::new()),
            ),
        )
        .unwrap();
        let error = link.process_element1(1, None).unwrap_err().to_string();
        assert!(error.contains("Broadcast-Process"), "{error}");
        assert!(error.contains("'other'"), "{error}");
    }
}
