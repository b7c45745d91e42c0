//! [`KeyedCoProcessFunction`]: a function over two connected streams keyed by the same key
//! type (Flink's `KeyedCoProcessFunction`): keyed state shared by both inputs, event- and
//! processing-time timers, side outputs.
//!
//! ```text
//!   input 1 record a ──key1(a)──▶ set key ─▶ process_element1(a, ctx, out) ─┐ one keyed state
//!   input 2 record b ──key2(b)──▶ set key ─▶ process_element2(b, ctx, out) ─┤ and timer service
//!   watermark w (min of both inputs) ──▶ timers <= w ─▶ on_timer(t, ctx, out)┘ per subtask
//! ```
//!
//! Both inputs are partitioned by key groups, so the records of a key from either input meet
//! at the same subtask with the same state; the state and timers checkpoint and restore (also
//! at another parallelism) like a keyed process function's.

use std::sync::Arc;

use crate::api::functions::{RuntimeContext, UserError};
use crate::api::stream::keyed_operator_state::KeyedOperatorState;
use crate::api::stream::keyed_process_function::{KeyedContext, KeyedStateContext};
use crate::error::WeirError;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{OperatorSetup, TaskSnapshot};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::runtime::stream::two_input_link::TwoInputLink;
use crate::state::StateKey;

/// See the module docs. Each parallel instance is a clone.
pub trait KeyedCoProcessFunction<K: StateKey, A, B, O>: Clone + Send + Sync + 'static {
    /// Registers state; runs before the first record.
    fn open(&mut self, _context: &mut KeyedStateContext<'_, K>) -> Result<(), UserError> {
        Ok(())
    }

    fn process_element1(
        &mut self,
        value: A,
        context: &mut KeyedContext<'_, K>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    fn process_element2(
        &mut self,
        value: B,
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

/// The key of a record of one input.
pub(crate) type KeyOf<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// The operator running a [`KeyedCoProcessFunction`].
pub(crate) struct KeyedCoProcessLink<K: StateKey, A, B, O, F> {
    function: F,
    context: RuntimeContext,
    key1: KeyOf<A, K>,
    key2: KeyOf<B, K>,
    keyed: KeyedOperatorState<K>,
    downstream: Downstream<O>,
}

impl<K, A, B, O, F> KeyedCoProcessLink<K, A, B, O, F>
where
    K: StateKey + Clone,
    F: KeyedCoProcessFunction<K, A, B, O>,
{
    pub(crate) fn open(
        mut function: F,
        setup: &OperatorSetup,
        context: RuntimeContext,
        keys: (KeyOf<A, K>, KeyOf<B, K>),
        downstream: Downstream<O>,
    ) -> Result<Self, WeirError> {
        let mut keyed = KeyedOperatorState::open(setup)?;
        function
            .open(&mut keyed.state_context(&context))
            .map_err(|error| user_failure(&context, error))?;
        Ok(KeyedCoProcessLink {
            function,
            context,
            key1: keys.0,
            key2: keys.1,
            keyed,
            downstream,
        })
    }
}

impl<K, A, B, O, F> TwoInputLink<A, B> for KeyedCoProcessLink<K, A, B, O, F>
where
    K: StateKey + Clone,
    F: KeyedCoProcessFunction<K, A, B, O>,
{
    fn process_element1(&mut self, value: A, timestamp: Option<i64>) -> Result<(), WeirError> {
        let key = (self.key1)(&value);
        let function = &mut self.function;
        self.keyed.call(
            key,
            timestamp,
            None,
            &mut self.downstream,
            &self.context,
            |context, out| function.process_element1(value, context, out),
        )
    }

    fn process_element2(&mut self, value: B, timestamp: Option<i64>) -> Result<(), WeirError> {
        let key = (self.key2)(&value);
        let function = &mut self.function;
        self.keyed.call(
            key,
            timestamp,
            None,
            &mut self.downstream,
            &self.context,
            |context, out| function.process_element2(value, context, out),
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
