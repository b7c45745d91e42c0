//! Stateless one-record-in operators of a streaming chain (map, filter, flat_map): one
//! [`RecordFunctionLink`] running a [`StreamRecordFunction`] — the batch API's `MapFunction` /
//! `FilterFunction` (closures or structs with `open`/`close`) or the streaming
//! [`FlatMapFunction`], whose output is a [`StreamCollector`]. What a function emits gets the
//! timestamp of its input record; every other call passes through untouched.

use crate::api::functions::{FilterFunction, MapFunction, RuntimeContext, UserError};
use crate::error::WeirError;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};
use crate::runtime::stream::stream_collector::StreamCollector;

/// A streaming flat-map function (Flink's `FlatMapFunction` with a `Collector`): each instance
/// is a clone; `open` runs before the first record, `close` at the end of the input.
pub trait FlatMapFunction<T, U>: Clone + Send + Sync + 'static {
    fn open(&mut self, _context: &RuntimeContext) -> Result<(), UserError> {
        Ok(())
    }

    fn flat_map(&mut self, value: T, out: &mut StreamCollector<'_, U>) -> Result<(), UserError>;

    fn close(&mut self) -> Result<(), UserError> {
        Ok(())
    }
}

/// A closure as a [`FlatMapFunction`].
#[derive(Clone)]
pub(crate) struct FlatMapClosure<F>(pub(crate) F);

impl<T, U, F> FlatMapFunction<T, U> for FlatMapClosure<F>
where
    F: FnMut(T, &mut StreamCollector<'_, U>) + Clone + Send + Sync + 'static,
{
    #[inline]
    fn flat_map(&mut self, value: T, out: &mut StreamCollector<'_, U>) -> Result<(), UserError> {
        (self.0)(value, out);
        Ok(())
    }
}

/// Forwards every call but records to `$output`.
macro_rules! forward_control {
    ($output:ident) => {
        fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
            self.$output.process_watermark(watermark)
        }

        fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
            self.$output.process_watermark_status(idle)
        }

        fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
            self.$output.on_processing_time(now_ms)
        }

        fn next_processing_time(&self) -> Option<i64> {
            self.$output.next_processing_time()
        }

        fn snapshot_state(
            &mut self,
            barrier: &CheckpointBarrier,
            snapshot: &mut TaskSnapshot,
        ) -> Result<(), WeirError> {
            self.$output.snapshot_state(barrier, snapshot)
        }

        fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
            self.$output.notify_checkpoint_complete(checkpoint_id)
        }
    };
}

/// One record in, records out through a [`StreamCollector`]: what [`RecordFunctionLink`] runs.
pub(crate) trait StreamRecordFunction<In, Out> {
    fn open(&mut self, context: &RuntimeContext) -> Result<(), UserError>;
    fn apply(&mut self, value: In, out: &mut StreamCollector<'_, Out>) -> Result<(), UserError>;
    fn close(&mut self) -> Result<(), UserError>;
}

/// `map` with a [`MapFunction`].
pub(crate) struct Mapping<F>(pub(crate) F);

impl<In, Out, F: MapFunction<In, Out>> StreamRecordFunction<In, Out> for Mapping<F> {
    fn open(&mut self, context: &RuntimeContext) -> Result<(), UserError> {
        self.0.open(context)
    }

    #[inline]
    fn apply(&mut self, value: In, out: &mut StreamCollector<'_, Out>) -> Result<(), UserError> {
        out.collect(self.0.map(value)?);
        Ok(())
    }

    fn close(&mut self) -> Result<(), UserError> {
        self.0.close()
    }
}

/// `filter` with a [`FilterFunction`].
pub(crate) struct Filtering<F>(pub(crate) F);

impl<T, F: FilterFunction<T>> StreamRecordFunction<T, T> for Filtering<F> {
    fn open(&mut self, context: &RuntimeContext) -> Result<(), UserError> {
        self.0.open(context)
    }

    #[inline]
    fn apply(&mut self, value: T, out: &mut StreamCollector<'_, T>) -> Result<(), UserError> {
        if self.0.filter(&value)? {
            out.collect(value);
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), UserError> {
        self.0.close()
    }
}

/// `flat_map` with a [`FlatMapFunction`].
pub(crate) struct FlatMapping<F>(pub(crate) F);

impl<In, Out, F: FlatMapFunction<In, Out>> StreamRecordFunction<In, Out> for FlatMapping<F> {
    fn open(&mut self, context: &RuntimeContext) -> Result<(), UserError> {
        self.0.open(context)
    }

    #[inline]
    fn apply(&mut self, value: In, out: &mut StreamCollector<'_, Out>) -> Result<(), UserError> {
        self.0.flat_map(value, out)
    }

    fn close(&mut self) -> Result<(), UserError> {
        self.0.close()
    }
}

/// The operator running a [`StreamRecordFunction`].
pub(crate) struct RecordFunctionLink<In, Out, F: StreamRecordFunction<In, Out>> {
    function: F,
    context: RuntimeContext,
    output: Box<dyn ChainLink<Out>>,
    _in: std::marker::PhantomData<fn(In)>,
}

impl<In, Out, F: StreamRecordFunction<In, Out>> RecordFunctionLink<In, Out, F> {
    /// Opens `function` (its `open` hook runs here).
    pub(crate) fn open(
        mut function: F,
        context: RuntimeContext,
        output: Box<dyn ChainLink<Out>>,
    ) -> Result<Self, WeirError> {
        function
            .open(&context)
            .map_err(|error| user_failure(&context, error))?;
        Ok(RecordFunctionLink {
            function,
            context,
            output,
            _in: std::marker::PhantomData,
        })
    }
}

impl<In, Out, F: StreamRecordFunction<In, Out>> ChainLink<In> for RecordFunctionLink<In, Out, F> {
    #[inline]
    fn process_element(&mut self, value: In, timestamp: Option<i64>) -> Result<(), WeirError> {
        let mut out = StreamCollector::new(self.output.as_mut(), timestamp);
        let applied = self.function.apply(value, &mut out);
        out.into_result()?;
        applied.map_err(|error| user_failure(&self.context, error))
    }

    forward_control!(output);

    fn finish(&mut self) -> Result<(), WeirError> {
        self.function
            .close()
            .map_err(|error| user_failure(&self.context, error))?;
        self.output.finish()
    }
}
