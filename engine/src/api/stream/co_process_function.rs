//! [`CoProcessFunction`]: a function over two connected streams (Flink's `CoProcessFunction`,
//! with `CoMapFunction` / `CoFlatMapFunction` as closures), and the two-input operator that runs
//! it.
//!
//! ```text
//!   input 1 ─▶ process_element1(a, ctx, out) ─┐
//!                                               ├─▶ out (one output type), ctx.output(tag, x)
//!   input 2 ─▶ process_element2(b, ctx, out) ─┘
//!   watermark = min of both inputs (idle inputs excluded) ─▶ forwarded
//! ```
//!
//! The two inputs are not ordered against each other: records of either side come as they
//! arrive. Timers and keyed state need connected *keyed* streams, see
//! [`crate::api::stream::KeyedCoProcessFunction`].

use crate::api::functions::{RuntimeContext, UserError};
use crate::api::stream::process_function::{ProcessContext, call_with_context};
use crate::error::WeirError;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::TaskSnapshot;
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::runtime::stream::two_input_link::TwoInputLink;

/// See the module docs. Each parallel instance is a clone.
pub trait CoProcessFunction<A, B, O>: Clone + Send + Sync + 'static {
    fn open(&mut self, _context: &RuntimeContext) -> Result<(), UserError> {
        Ok(())
    }

    /// A record of the first input.
    fn process_element1(
        &mut self,
        value: A,
        context: &mut ProcessContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    /// A record of the second input.
    fn process_element2(
        &mut self,
        value: B,
        context: &mut ProcessContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    fn close(&mut self) -> Result<(), UserError> {
        Ok(())
    }
}

/// Two closures, one per input, each emitting one record (Flink's `CoMapFunction`).
#[derive(Clone)]
pub(crate) struct CoMapClosures<F1, F2>(pub(crate) F1, pub(crate) F2);

impl<A, B, O, F1, F2> CoProcessFunction<A, B, O> for CoMapClosures<F1, F2>
where
    F1: FnMut(A) -> O + Clone + Send + Sync + 'static,
    F2: FnMut(B) -> O + Clone + Send + Sync + 'static,
{
    fn process_element1(
        &mut self,
        value: A,
        _context: &mut ProcessContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError> {
        out.collect((self.0)(value));
        Ok(())
    }

    fn process_element2(
        &mut self,
        value: B,
        _context: &mut ProcessContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError> {
        out.collect((self.1)(value));
        Ok(())
    }
}

/// Two closures, one per input, each emitting any number of records (Flink's
/// `CoFlatMapFunction`).
#[derive(Clone)]
pub(crate) struct CoFlatMapClosures<F1, F2>(pub(crate) F1, pub(crate) F2);

impl<A, B, O, F1, F2> CoProcessFunction<A, B, O> for CoFlatMapClosures<F1, F2>
where
    F1: FnMut(A, &mut StreamCollector<'_, O>) + Clone + Send + Sync + 'static,
    F2: FnMut(B, &mut StreamCollector<'_, O>) + Clone + Send + Sync + 'static,
{
    fn process_element1(
        &mut self,
        value: A,
        _context: &mut ProcessContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError> {
        (self.0)(value, out);
        Ok(())
    }

    fn process_element2(
        &mut self,
        value: B,
        _context: &mut ProcessContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError> {
        (self.1)(value, out);
        Ok(())
    }
}

/// The operator running a [`CoProcessFunction`].
pub(crate) struct CoProcessLink<A, B, O, F: CoProcessFunction<A, B, O>> {
    function: F,
    context: RuntimeContext,
    downstream: Downstream<O>,
    watermark: i64,
    _inputs: std::marker::PhantomData<fn(A, B)>,
}

impl<A, B, O, F: CoProcessFunction<A, B, O>> CoProcessLink<A, B, O, F> {
    pub(crate) fn open(
        mut function: F,
        context: RuntimeContext,
        downstream: Downstream<O>,
    ) -> Result<Self, WeirError> {
        function
            .open(&context)
            .map_err(|error| user_failure(&context, error))?;
        Ok(CoProcessLink {
            function,
            context,
            downstream,
            watermark: i64::MIN,
            _inputs: std::marker::PhantomData,
        })
    }
}

impl<A, B, O, F: CoProcessFunction<A, B, O>> TwoInputLink<A, B> for CoProcessLink<A, B, O, F> {
    fn process_element1(&mut self, value: A, timestamp: Option<i64>) -> Result<(), WeirError> {
        let function = &mut self.function;
        call_with_context(
            &mut self.downstream,
            timestamp,
            self.watermark,
            &self.context,
            |context, out| function.process_element1(value, context, out),
        )
    }

    fn process_element2(&mut self, value: B, timestamp: Option<i64>) -> Result<(), WeirError> {
        let function = &mut self.function;
        call_with_context(
            &mut self.downstream,
            timestamp,
            self.watermark,
            &self.context,
            |context, out| function.process_element2(value, context, out),
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
