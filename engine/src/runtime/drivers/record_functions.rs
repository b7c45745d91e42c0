//! Drivers of the record-at-a-time functions: map, flat_map, filter. Each calls `open` when
//! built, the function per record, and `close` when its input ends, before finishing
//! downstream.

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

pub(crate) struct MapDriver<F, Out> {
    function: F,
    context: RuntimeContext,
    out: Box<dyn Collector<Out>>,
}

impl<F, Out> MapDriver<F, Out> {
    pub(crate) fn open<In>(
        mut function: F,
        context: &RuntimeContext,
        out: Box<dyn Collector<Out>>,
    ) -> Result<MapDriver<F, Out>, WeirError>
    where
        F: MapFunction<In, Out>,
    {
        function
            .open(context)
            .map_err(|error| user_failure(context, error))?;
        Ok(MapDriver {
            function,
            context: context.clone(),
            out,
        })
    }
}

impl<In, Out, F> Collector<In> for MapDriver<F, Out>
where
    F: MapFunction<In, Out>,
    Out: Send,
{
    #[inline]
    fn collect(&mut self, record: In) -> Result<(), WeirError> {
        match self.function.map(record) {
            Ok(mapped) => self.out.collect(mapped),
            Err(error) => Err(user_failure(&self.context, error)),
        }
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.function
            .close()
            .map_err(|error| user_failure(&self.context, error))?;
        self.out.finish()
    }
}

pub(crate) struct FlatMapDriver<F, Out> {
    function: F,
    context: RuntimeContext,
    out: Box<dyn Collector<Out>>,
}

impl<F, Out> FlatMapDriver<F, Out> {
    pub(crate) fn open<In>(
        mut function: F,
        context: &RuntimeContext,
        out: Box<dyn Collector<Out>>,
    ) -> Result<FlatMapDriver<F, Out>, WeirError>
    where
        F: FlatMapFunction<In, Out>,
    {
        function
            .open(context)
            .map_err(|error| user_failure(context, error))?;
        Ok(FlatMapDriver {
            function,
            context: context.clone(),
            out,
        })
    }
}

impl<In, Out, F> Collector<In> for FlatMapDriver<F, Out>
where
    F: FlatMapFunction<In, Out>,
    Out: Send,
{
    #[inline]
    fn collect(&mut self, record: In) -> Result<(), WeirError> {
        let mut output = Output::new(&mut *self.out);
        let called = self.function.flat_map(record, &mut output);
        let emitted = output.into_result();
        called.map_err(|error| user_failure(&self.context, error))?;
        emitted
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.function
            .close()
            .map_err(|error| user_failure(&self.context, error))?;
        self.out.finish()
    }
}

pub(crate) struct FilterDriver<F, T> {
    function: F,
    context: RuntimeContext,
    out: Box<dyn Collector<T>>,
}

impl<F, T> FilterDriver<F, T>
where
    F: FilterFunction<T>,
{
    pub(crate) fn open(
        mut function: F,
        context: &RuntimeContext,
        out: Box<dyn Collector<T>>,
    ) -> Result<FilterDriver<F, T>, WeirError> {
        function
            .open(context)
            .map_err(|error| user_failure(context, error))?;
        Ok(FilterDriver {
            function,
            context: context.clone(),
            out,
        })
    }
}

impl<T, F> Collector<T> for FilterDriver<F, T>
where
    F: FilterFunction<T>,
    T: Send,
{
    #[inline]
    fn collect(&mut self, record: T) -> Result<(), WeirError> {
        match self.function.filter(&record) {
            Ok(true) => self.out.collect(record),
            Ok(false) => Ok(()),
            Err(error) => Err(user_failure(&self.context, error)),
        }
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.function
            .close()
            .map_err(|error| user_failure(&self.context, error))?;
        self.out.finish()
    }
}
