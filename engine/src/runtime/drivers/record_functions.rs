//! Drivers of the record-at-a-time functions: map, flat_map, filter. One driver runs them all
//! through [`RecordFunction`]: `open` when built, the function per record, and `close` when its
//! input ends, before finishing downstream.

use crate::api::functions::{
    FilterFunction, FlatMapFunction, MapFunction, RuntimeContext, UserError,
};
use crate::error::WeirError;
use crate::runtime::collector::{Collector, Output};

/// A user function's failure as the job's error: operator, subtask, message.
pub(crate) fn user_failure(context: &RuntimeContext, error: UserError) -> WeirError {
    WeirError::UserFunction {
        operator: context.operator_name.clone(),
        subtask: context.subtask_index,
        parallelism: context.parallelism,
        message: error.to_string(),
    }
}

/// A function applied to one record at a time, emitting into an [`Output`].
pub(crate) trait RecordFunction<In, Out>: Send {
    fn open(&mut self, context: &RuntimeContext) -> Result<(), UserError>;
    fn apply(&mut self, record: In, out: &mut Output<'_, Out>) -> Result<(), UserError>;
    fn close(&mut self) -> Result<(), UserError>;
}

/// A [`MapFunction`] as a record function.
pub(crate) struct Mapping<F>(pub F);
/// A [`FlatMapFunction`] as a record function.
pub(crate) struct FlatMapping<F>(pub F);
/// A [`FilterFunction`] as a record function.
pub(crate) struct Filtering<F>(pub F);

impl<In, Out, F: MapFunction<In, Out>> RecordFunction<In, Out> for Mapping<F> {
    fn open(&mut self, context: &RuntimeContext) -> Result<(), UserError> {
        self.0.open(context)
    }

    #[inline]
    fn apply(&mut self, record: In, out: &mut Output<'_, Out>) -> Result<(), UserError> {
        out.emit(self.0.map(record)?);
        Ok(())
    }

    fn close(&mut self) -> Result<(), UserError> {
        self.0.close()
    }
}

impl<In, Out, F: FlatMapFunction<In, Out>> RecordFunction<In, Out> for FlatMapping<F> {
    fn open(&mut self, context: &RuntimeContext) -> Result<(), UserError> {
        self.0.open(context)
    }

    #[inline]
    fn apply(&mut self, record: In, out: &mut Output<'_, Out>) -> Result<(), UserError> {
        self.0.flat_map(record, out)
    }

    fn close(&mut self) -> Result<(), UserError> {
        self.0.close()
    }
}

impl<T, F: FilterFunction<T>> RecordFunction<T, T> for Filtering<F> {
    fn open(&mut self, context: &RuntimeContext) -> Result<(), UserError> {
        self.0.open(context)
    }

    #[inline]
    fn apply(&mut self, record: T, out: &mut Output<'_, T>) -> Result<(), UserError> {
        if self.0.filter(&record)? {
            out.emit(record);
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), UserError> {
        self.0.close()
    }
}

/// Runs a [`RecordFunction`] between its input and `out`.
pub(crate) struct RecordFunctionDriver<F, Out> {
    function: F,
    context: RuntimeContext,
    out: Box<dyn Collector<Out>>,
}

impl<F, Out> RecordFunctionDriver<F, Out> {
    /// Opens `function` (an error fails the task before any record).
    pub(crate) fn open<In>(
        mut function: F,
        context: &RuntimeContext,
        out: Box<dyn Collector<Out>>,
    ) -> Result<RecordFunctionDriver<F, Out>, WeirError>
    where
        F: RecordFunction<In, Out>,
    {
        function
            .open(context)
            .map_err(|error| user_failure(context, error))?;
        Ok(RecordFunctionDriver {
            function,
            context: context.clone(),
            out,
        })
    }
}

impl<In, Out, F> Collector<In> for RecordFunctionDriver<F, Out>
where
    F: RecordFunction<In, Out>,
    Out: Send,
{
    #[inline]
    fn collect(&mut self, record: In) -> Result<(), WeirError> {
        let mut output = Output::new(&mut *self.out);
        let applied = self.function.apply(record, &mut output);
        let emitted = output.into_result();
        applied.map_err(|error| user_failure(&self.context, error))?;
        emitted
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.function
            .close()
            .map_err(|error| user_failure(&self.context, error))?;
        self.out.finish()
    }
}
