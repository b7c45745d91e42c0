//! [`ProcessFunction`]: the lowest-level function of a (non-keyed) stream: one record in,
//! any number out, with the record's timestamp, the current watermark and side outputs
//! (Flink's `ProcessFunction`; timers need a keyed stream, see
//! [`crate::api::stream::KeyedProcessFunction`]).

use crate::api::functions::{RuntimeContext, UserError};
use crate::api::stream::output_tag::OutputTag;
use crate::error::WeirError;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};
use crate::runtime::stream::downstream::Downstream;
use crate::runtime::stream::processing_time::processing_time_now;
use crate::runtime::stream::side_output::SideOutputLinks;
use crate::runtime::stream::stream_collector::StreamCollector;

/// See the module docs. Each parallel instance is a clone; `open` runs before the first
/// record, `close` at the end of the input.
pub trait ProcessFunction<I, O>: Clone + Send + Sync + 'static {
    fn open(&mut self, _context: &RuntimeContext) -> Result<(), UserError> {
        Ok(())
    }

    fn process_element(
        &mut self,
        value: I,
        context: &mut ProcessContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError>;

    fn close(&mut self) -> Result<(), UserError> {
        Ok(())
    }
}

/// What a process function sees of the record and the operator.
pub struct ProcessContext<'a> {
    timestamp: Option<i64>,
    watermark: i64,
    side: &'a mut SideOutputLinks,
    error: Option<WeirError>,
}

impl std::fmt::Debug for ProcessContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessContext")
            .field("timestamp", &self.timestamp)
            .field("watermark", &self.watermark)
            .finish()
    }
}

impl<'a> ProcessContext<'a> {
    pub(crate) fn new(
        timestamp: Option<i64>,
        watermark: i64,
        side: &'a mut SideOutputLinks,
    ) -> ProcessContext<'a> {
        ProcessContext {
            timestamp,
            watermark,
            side,
            error: None,
        }
    }

    /// The timestamp of the record (event time), if it has one.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// The operator's current event-time watermark (`i64::MIN` before the first).
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }

    /// Processing time now, in milliseconds since the epoch.
    pub fn current_processing_time(&self) -> i64 {
        processing_time_now()
    }

    /// Emits `value` to the side output `tag`, with the record's timestamp.
    pub fn output<X: 'static>(&mut self, tag: &OutputTag<X>, value: X) {
        if self.error.is_none()
            && let Err(error) = self.side.emit(tag.id(), value, self.timestamp)
        {
            self.error = Some(error);
        }
    }

    pub(crate) fn into_result(self) -> Result<(), WeirError> {
        self.error.map_or(Ok(()), Err)
    }
}

/// A closure as a [`ProcessFunction`].
#[derive(Clone)]
pub(crate) struct ProcessClosure<F>(pub(crate) F);

impl<I, O, F> ProcessFunction<I, O> for ProcessClosure<F>
where
    F: FnMut(I, &mut ProcessContext<'_>, &mut StreamCollector<'_, O>)
        + Clone
        + Send
        + Sync
        + 'static,
{
    fn process_element(
        &mut self,
        value: I,
        context: &mut ProcessContext<'_>,
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), UserError> {
        (self.0)(value, context, out);
        Ok(())
    }
}

/// Runs `body` for a record at `timestamp` with a [`ProcessContext`] over `downstream`'s side
/// outputs and a collector into its output; reports the collector's, the side outputs' and
/// then the user's failure.
pub(crate) fn call_with_context<O>(
    downstream: &mut Downstream<O>,
    timestamp: Option<i64>,
    watermark: i64,
    runtime: &RuntimeContext,
    body: impl FnOnce(&mut ProcessContext<'_>, &mut StreamCollector<'_, O>) -> Result<(), UserError>,
) -> Result<(), WeirError> {
    let mut out = StreamCollector::new(downstream.output.as_mut(), timestamp);
    let mut context = ProcessContext::new(timestamp, watermark, &mut downstream.side);
    let applied = body(&mut context, &mut out);
    out.into_result()?;
    context.into_result()?;
    applied.map_err(|error| user_failure(runtime, error))
}

/// The operator running a [`ProcessFunction`].
pub(crate) struct ProcessLink<I, O, F: ProcessFunction<I, O>> {
    function: F,
    context: RuntimeContext,
    downstream: Downstream<O>,
    watermark: i64,
    _in: std::marker::PhantomData<fn(I)>,
}

impl<I, O, F: ProcessFunction<I, O>> ProcessLink<I, O, F> {
    pub(crate) fn open(
        mut function: F,
        context: RuntimeContext,
        downstream: Downstream<O>,
    ) -> Result<Self, WeirError> {
        function
            .open(&context)
            .map_err(|error| user_failure(&context, error))?;
        Ok(ProcessLink {
            function,
            context,
            downstream,
            watermark: i64::MIN,
            _in: std::marker::PhantomData,
        })
    }
}

impl<I, O, F: ProcessFunction<I, O>> ChainLink<I> for ProcessLink<I, O, F> {
    fn process_element(&mut self, value: I, timestamp: Option<i64>) -> Result<(), WeirError> {
        let function = &mut self.function;
        call_with_context(
            &mut self.downstream,
            timestamp,
            self.watermark,
            &self.context,
            |context, out| function.process_element(value, context, out),
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
