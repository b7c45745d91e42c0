//! [`KeyedOperatorState`]: the keyed state and user timers of one keyed operator subtask, and
//! the calls of its user function with a [`KeyedContext`] — shared by the one-input
//! ([`crate::api::stream::KeyedProcessFunction`]) and two-input
//! ([`crate::api::stream::KeyedCoProcessFunction`], keyed broadcast, interval join) operators.
//!
//! ```text
//!   open(setup) ─▶ backend + timer service, restored from setup.restored
//!   call(key, timestamp, body) ─▶ set_current_key ─▶ body(KeyedContext, StreamCollector)
//!                                 ─▶ errors: collector, side output, then the user's
//!   advance_watermark(w, on_timer) ─▶ every event-time timer <= w, in time order, then w on
//!   advance_processing_time(now, on_timer) ─▶ every processing-time timer <= now
//!   snapshot_into ─▶ "state:*" and "timers:user-timers" sections under the operator's uid
//! ```

use crate::api::functions::{RuntimeContext, UserError};
use crate::api::stream::keyed_process_function::{KeyedContext, KeyedStateContext, TimeDomain};
use crate::checkpoint::OperatorSnapshot;
use crate::error::WeirError;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::stream::chain_link::{OperatorSetup, TaskSnapshot};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::state::{KeyedStateBackend, StateKey, VoidNamespace};
use crate::windowing::InternalTimerService;

/// See the module docs.
pub(crate) struct KeyedOperatorState<K: StateKey> {
    pub(crate) backend: KeyedStateBackend<K>,
    pub(crate) timers: InternalTimerService<K, VoidNamespace>,
    uid: String,
}

impl<K: StateKey + Clone> KeyedOperatorState<K> {
    pub(crate) fn open(setup: &OperatorSetup) -> Result<KeyedOperatorState<K>, WeirError> {
        let mut backend = KeyedStateBackend::from_setup(setup)?;
        let mut timers =
            InternalTimerService::new("user-timers", setup.max_parallelism, setup.key_groups);
        if let Some(restored) = &setup.restored {
            backend.restore_from(restored)?;
            timers.restore_from(restored)?;
        }
        Ok(KeyedOperatorState {
            backend,
            timers,
            uid: setup.uid.clone(),
        })
    }

    /// What the user function's `open` sees to register its state.
    pub(crate) fn state_context<'a>(
        &'a mut self,
        runtime: &'a RuntimeContext,
    ) -> KeyedStateContext<'a, K> {
        KeyedStateContext::new(runtime, &mut self.backend)
    }

    /// Runs `body` for `key` with the key's context and a collector stamping `timestamp`;
    /// `domain` is the clock of a firing timer (`None` for a record).
    pub(crate) fn call<O>(
        &mut self,
        key: K,
        timestamp: Option<i64>,
        domain: Option<TimeDomain>,
        downstream: &mut Downstream<O>,
        runtime: &RuntimeContext,
        body: impl FnOnce(
            &mut KeyedContext<'_, K>,
            &mut StreamCollector<'_, O>,
        ) -> Result<(), UserError>,
    ) -> Result<(), WeirError> {
        self.backend.set_current_key(key);
        let mut out = StreamCollector::new(downstream.output.as_mut(), timestamp);
        let mut context = KeyedContext::new(
            &mut self.backend,
            &mut self.timers,
            &mut downstream.side,
            timestamp,
            domain,
        );
        let applied = body(&mut context, &mut out);
        let side_error = context.take_error();
        out.into_result()?;
        side_error.map_or(Ok(()), Err)?;
        // A managed backend records a failed read (spill file I/O) for the call to report.
        self.backend.check_failure()?;
        applied.map_err(|error| user_failure(runtime, error))
    }

    /// Fires every event-time timer `<= watermark` in time order through `on_timer(time,
    /// context, out)` (the context set to the timer's key, the output stamped with its time),
    /// then passes the watermark on.
    pub(crate) fn advance_watermark<O>(
        &mut self,
        watermark: i64,
        downstream: &mut Downstream<O>,
        runtime: &RuntimeContext,
        mut on_timer: impl FnMut(
            i64,
            &mut KeyedContext<'_, K>,
            &mut StreamCollector<'_, O>,
        ) -> Result<(), UserError>,
    ) -> Result<(), WeirError> {
        while let Some(timer) = self.timers.pop_event_timer(watermark) {
            let time = timer.timestamp;
            self.call(
                timer.key,
                Some(time),
                Some(TimeDomain::EventTime),
                downstream,
                runtime,
                |context, out| on_timer(time, context, out),
            )?;
        }
        downstream.process_watermark(watermark)
    }

    /// Fires every processing-time timer `<= now_ms` through `on_timer` (outputs without a
    /// timestamp), then passes the call on.
    pub(crate) fn advance_processing_time<O>(
        &mut self,
        now_ms: i64,
        downstream: &mut Downstream<O>,
        runtime: &RuntimeContext,
        mut on_timer: impl FnMut(
            i64,
            &mut KeyedContext<'_, K>,
            &mut StreamCollector<'_, O>,
        ) -> Result<(), UserError>,
    ) -> Result<(), WeirError> {
        while let Some(timer) = self.timers.pop_processing_timer(now_ms) {
            let time = timer.timestamp;
            self.call(
                timer.key,
                None,
                Some(TimeDomain::ProcessingTime),
                downstream,
                runtime,
                |context, out| on_timer(time, context, out),
            )?;
        }
        downstream.on_processing_time(now_ms)
    }

    /// The earliest processing-time timer of this operator and downstream.
    pub(crate) fn next_processing_time<O>(&self, downstream: &Downstream<O>) -> Option<i64> {
        downstream.next_processing_time(self.timers.next_processing_time())
    }

    /// A failed read of a managed backend since the last check (see [`KeyedStateBackend::check_failure`]).
    pub(crate) fn check_failure(&self) -> Result<(), WeirError> {
        self.backend.check_failure()
    }

    /// Writes the keyed state and timers into `snapshot` under the operator's uid.
    pub(crate) fn snapshot_into(&self, snapshot: &mut TaskSnapshot) -> Result<(), WeirError> {
        let mut state = OperatorSnapshot::default();
        self.backend.snapshot_into(&mut state)?;
        self.timers.snapshot_into(&mut state)?;
        snapshot.insert(self.uid.clone(), state);
        Ok(())
    }
}
