//! [`WindowFunction`]: what a window operator computes when a window fires, and how the
//! window's contents are kept in keyed state until then.
//!
//! ```text
//!   constructor                         contents in keyed state (namespace = state window)
//!   ─────────────────────────────────   ───────────────────────────────────────────────────
//!   reduce(f)                           ReducingState<In>            fire: emit the value
//!   reduce_with_process(f, p)           ReducingState<In>            fire: p(key, [value])
//!   aggregate(a)                        AggregatingState<In, Acc, R> fire: emit get_result
//!   aggregate_with_process(a, p)        AggregatingState<In, Acc, R> fire: p(key, [result])
//!   process(p)                          ListState<(In, timestamp)>   fire: p(key, elements)
//!   any of them + an evictor            ListState<(In, timestamp)>   fire: evict_before, compute
//!                                                                    from the elements,
//!                                                                    evict_after, store the rest
//! ```
//!
//! The accumulator and result types of an aggregate are erased behind [`WindowContents`]
//! (built by the generic constructor), so the operator is generic only over key, input,
//! output and window. All state is registered as `"window-contents"`.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::api::Data;
use crate::error::WeirError;
use crate::runtime::stream::{ChainLink, StreamCollector};
use crate::state::{
    AggregateFunction, AggregatingStateDescriptor, AggregatingStateHandle, KeyedStateBackend,
    ListStateDescriptor, ListStateHandle, ReduceFn, ReducingStateDescriptor, ReducingStateHandle,
    StateKey,
};
use crate::windowing::evictor::{Evictor, EvictorContext, TimestampedValue};
use crate::windowing::process_window_function::{ProcessWindowContext, ProcessWindowFunction};
use crate::windowing::window::Window;

/// The keyed-state name of a window's contents.
const CONTENTS_STATE: &str = "window-contents";

/// A firing (or cleanup) of one window of one key.
pub(crate) struct Fire<'a, K, In, W> {
    pub(crate) key: &'a K,
    /// The window as the trigger and the user see it.
    pub(crate) window: &'a W,
    /// The namespace that holds its contents (differs from `window` for merged windows).
    pub(crate) state_window: &'a W,
    pub(crate) current_watermark: i64,
    pub(crate) current_processing_time: i64,
    pub(crate) merging: bool,
    pub(crate) operator: &'a str,
    pub(crate) evictor: Option<&'a dyn Evictor<In, W>>,
}

impl<'a, K: StateKey, In, W: Window> Fire<'a, K, In, W> {
    fn context<'b>(
        &'b self,
        backend: &'b mut KeyedStateBackend<K>,
    ) -> ProcessWindowContext<'b, K, W> {
        ProcessWindowContext {
            window: self.window,
            current_watermark: self.current_watermark,
            current_processing_time: self.current_processing_time,
            merging: self.merging,
            operator: self.operator,
            backend,
        }
    }
}

/// The contents of the windows of a window operator. See the module docs.
pub(crate) trait WindowContents<K: StateKey, In, Out, W>: Send {
    /// Adds `value` to the contents in `state_window`.
    fn add(
        &self,
        backend: &mut KeyedStateBackend<K>,
        state_window: &W,
        value: &In,
        timestamp: Option<i64>,
    ) -> Result<(), WeirError>;

    /// True when `state_window` has contents.
    fn contains(&self, backend: &mut KeyedStateBackend<K>, state_window: &W) -> bool;

    /// Emits the window function's output for `fire` into `out` (nothing for empty contents).
    fn emit(
        &self,
        backend: &mut KeyedStateBackend<K>,
        fire: &Fire<'_, K, In, W>,
        out: &mut dyn ChainLink<Out>,
    ) -> Result<(), WeirError>;

    /// Drops the contents in `state_window`.
    fn clear(&self, backend: &mut KeyedStateBackend<K>, state_window: &W);

    /// Merges the contents of `sources` into `target`.
    fn merge(
        &self,
        backend: &mut KeyedStateBackend<K>,
        target: &W,
        sources: &[W],
    ) -> Result<(), WeirError>;

    /// Lets the user function clear its per-window state (window cleanup).
    fn clear_function(
        &self,
        backend: &mut KeyedStateBackend<K>,
        fire: &Fire<'_, K, In, W>,
    ) -> Result<(), WeirError>;
}

/// Turns one incremental result `R` into output: emitted as is, or through a process function.
trait ResultEmitter<K: StateKey, R, Out, W>: Send + Sync {
    fn emit(
        &self,
        key: &K,
        context: &mut ProcessWindowContext<'_, K, W>,
        result: R,
        out: &mut StreamCollector<'_, Out>,
    ) -> Result<(), WeirError>;

    fn clear(&self, context: &mut ProcessWindowContext<'_, K, W>) -> Result<(), WeirError>;
}

/// Emits the result itself (`Out = R`).
struct EmitResult;

impl<K: StateKey, R, W> ResultEmitter<K, R, R, W> for EmitResult {
    #[inline]
    fn emit(
        &self,
        _key: &K,
        _context: &mut ProcessWindowContext<'_, K, W>,
        result: R,
        out: &mut StreamCollector<'_, R>,
    ) -> Result<(), WeirError> {
        out.collect(result);
        Ok(())
    }

    fn clear(&self, _context: &mut ProcessWindowContext<'_, K, W>) -> Result<(), WeirError> {
        Ok(())
    }
}

/// Hands the result to a process window function as its only element.
struct ProcessResult<K: StateKey, R, Out, W>(Arc<dyn ProcessWindowFunction<K, R, Out, W>>);

impl<K: StateKey, R, Out, W> ResultEmitter<K, R, Out, W> for ProcessResult<K, R, Out, W> {
    fn emit(
        &self,
        key: &K,
        context: &mut ProcessWindowContext<'_, K, W>,
        result: R,
        out: &mut StreamCollector<'_, Out>,
    ) -> Result<(), WeirError> {
        self.0
            .process(key, context, std::slice::from_ref(&result), out)
    }

    fn clear(&self, context: &mut ProcessWindowContext<'_, K, W>) -> Result<(), WeirError> {
        self.0.clear(context)
    }
}

/// Computes the output from all elements of a window (process functions, evicting windows).
trait ElementsFunction<K: StateKey, In, Out, W>: Send + Sync {
    fn apply(
        &self,
        key: &K,
        context: &mut ProcessWindowContext<'_, K, W>,
        elements: &[In],
        out: &mut StreamCollector<'_, Out>,
    ) -> Result<(), WeirError>;

    fn clear(&self, context: &mut ProcessWindowContext<'_, K, W>) -> Result<(), WeirError>;
}

struct ReduceElements<K: StateKey, In, Out, W> {
    reduce: ReduceFn<In>,
    emitter: Arc<dyn ResultEmitter<K, In, Out, W>>,
}

impl<K: StateKey, In: Clone, Out, W> ElementsFunction<K, In, Out, W>
    for ReduceElements<K, In, Out, W>
{
    fn apply(
        &self,
        key: &K,
        context: &mut ProcessWindowContext<'_, K, W>,
        elements: &[In],
        out: &mut StreamCollector<'_, Out>,
    ) -> Result<(), WeirError> {
        let Some((first, rest)) = elements.split_first() else {
            return Ok(());
        };
        let reduced = rest
            .iter()
            .fold(first.clone(), |acc, value| (self.reduce)(&acc, value));
        self.emitter.emit(key, context, reduced, out)
    }

    fn clear(&self, context: &mut ProcessWindowContext<'_, K, W>) -> Result<(), WeirError> {
        self.emitter.clear(context)
    }
}

struct AggregateElements<K: StateKey, In, Acc, R, Out, W> {
    aggregate: Arc<dyn AggregateFunction<In, Acc, R>>,
    emitter: Arc<dyn ResultEmitter<K, R, Out, W>>,
}

impl<K: StateKey, In, Acc, R, Out, W> ElementsFunction<K, In, Out, W>
    for AggregateElements<K, In, Acc, R, Out, W>
{
    fn apply(
        &self,
        key: &K,
        context: &mut ProcessWindowContext<'_, K, W>,
        elements: &[In],
        out: &mut StreamCollector<'_, Out>,
    ) -> Result<(), WeirError> {
        let mut accumulator = self.aggregate.create_accumulator();
        for value in elements {
            self.aggregate.add(value, &mut accumulator);
        }
        let result = self.aggregate.get_result(&accumulator);
        self.emitter.emit(key, context, result, out)
    }

    fn clear(&self, context: &mut ProcessWindowContext<'_, K, W>) -> Result<(), WeirError> {
        self.emitter.clear(context)
    }
}

struct ProcessElements<K: StateKey, In, Out, W>(Arc<dyn ProcessWindowFunction<K, In, Out, W>>);

impl<K: StateKey, In, Out, W> ElementsFunction<K, In, Out, W> for ProcessElements<K, In, Out, W> {
    fn apply(
        &self,
        key: &K,
        context: &mut ProcessWindowContext<'_, K, W>,
        elements: &[In],
        out: &mut StreamCollector<'_, Out>,
    ) -> Result<(), WeirError> {
        self.0.process(key, context, elements, out)
    }

    fn clear(&self, context: &mut ProcessWindowContext<'_, K, W>) -> Result<(), WeirError> {
        self.0.clear(context)
    }
}

/// Runs `emit` with a process context and a collector stamped with the window's max timestamp.
fn with_collector<K: StateKey, In, Out, W: Window>(
    backend: &mut KeyedStateBackend<K>,
    fire: &Fire<'_, K, In, W>,
    out: &mut dyn ChainLink<Out>,
    emit: impl FnOnce(
        &mut ProcessWindowContext<'_, K, W>,
        &mut StreamCollector<'_, Out>,
    ) -> Result<(), WeirError>,
) -> Result<(), WeirError> {
    let mut collector = StreamCollector::new(out, Some(fire.window.max_timestamp()));
    let mut context = fire.context(backend);
    emit(&mut context, &mut collector)?;
    collector.into_result()
}

/// Incremental reduce: one value per window.
struct ReducingContents<K: StateKey, In, Out, W> {
    handle: ReducingStateHandle<W, In>,
    emitter: Arc<dyn ResultEmitter<K, In, Out, W>>,
}

impl<K: StateKey, In: Data, Out, W: Window> WindowContents<K, In, Out, W>
    for ReducingContents<K, In, Out, W>
{
    #[inline]
    fn add(
        &self,
        backend: &mut KeyedStateBackend<K>,
        state_window: &W,
        value: &In,
        _timestamp: Option<i64>,
    ) -> Result<(), WeirError> {
        backend.reducing_add(self.handle, state_window, value.clone())
    }

    #[inline]
    fn contains(&self, backend: &mut KeyedStateBackend<K>, state_window: &W) -> bool {
        backend.has_entry(self.handle, state_window)
    }

    fn emit(
        &self,
        backend: &mut KeyedStateBackend<K>,
        fire: &Fire<'_, K, In, W>,
        out: &mut dyn ChainLink<Out>,
    ) -> Result<(), WeirError> {
        let Some(value) = backend
            .reducing_get(self.handle, fire.state_window)
            .cloned()
        else {
            return Ok(());
        };
        with_collector(backend, fire, out, |context, collector| {
            self.emitter.emit(fire.key, context, value, collector)
        })
    }

    fn clear(&self, backend: &mut KeyedStateBackend<K>, state_window: &W) {
        backend.clear(self.handle, state_window);
    }

    fn merge(
        &self,
        backend: &mut KeyedStateBackend<K>,
        target: &W,
        sources: &[W],
    ) -> Result<(), WeirError> {
        backend.merge_namespaces(self.handle, target, sources)
    }

    fn clear_function(
        &self,
        backend: &mut KeyedStateBackend<K>,
        fire: &Fire<'_, K, In, W>,
    ) -> Result<(), WeirError> {
        self.emitter.clear(&mut fire.context(backend))
    }
}

/// Incremental aggregation: one accumulator per window.
struct AggregatingContents<K: StateKey, In, Acc, R, Out, W> {
    handle: AggregatingStateHandle<W, In, Acc, R>,
    emitter: Arc<dyn ResultEmitter<K, R, Out, W>>,
}

impl<K, In, Acc, R, Out, W> WindowContents<K, In, Out, W>
    for AggregatingContents<K, In, Acc, R, Out, W>
where
    K: StateKey,
    In: Send + 'static,
    Acc: Data,
    R: Send + 'static,
    W: Window,
{
    #[inline]
    fn add(
        &self,
        backend: &mut KeyedStateBackend<K>,
        state_window: &W,
        value: &In,
        _timestamp: Option<i64>,
    ) -> Result<(), WeirError> {
        backend.aggregating_add(self.handle, state_window, value)
    }

    #[inline]
    fn contains(&self, backend: &mut KeyedStateBackend<K>, state_window: &W) -> bool {
        backend.has_entry(self.handle, state_window)
    }

    fn emit(
        &self,
        backend: &mut KeyedStateBackend<K>,
        fire: &Fire<'_, K, In, W>,
        out: &mut dyn ChainLink<Out>,
    ) -> Result<(), WeirError> {
        let Some(result) = backend.aggregating_get(self.handle, fire.state_window) else {
            return Ok(());
        };
        with_collector(backend, fire, out, |context, collector| {
            self.emitter.emit(fire.key, context, result, collector)
        })
    }

    fn clear(&self, backend: &mut KeyedStateBackend<K>, state_window: &W) {
        backend.clear(self.handle, state_window);
    }

    fn merge(
        &self,
        backend: &mut KeyedStateBackend<K>,
        target: &W,
        sources: &[W],
    ) -> Result<(), WeirError> {
        backend.merge_namespaces(self.handle, target, sources)
    }

    fn clear_function(
        &self,
        backend: &mut KeyedStateBackend<K>,
        fire: &Fire<'_, K, In, W>,
    ) -> Result<(), WeirError> {
        self.emitter.clear(&mut fire.context(backend))
    }
}

/// Every element with its timestamp (process functions and evictors).
struct ElementContents<K: StateKey, In, Out, W> {
    handle: ListStateHandle<W, (In, Option<i64>)>,
    function: Arc<dyn ElementsFunction<K, In, Out, W>>,
}

impl<K: StateKey, In: Data, Out, W: Window> WindowContents<K, In, Out, W>
    for ElementContents<K, In, Out, W>
{
    fn add(
        &self,
        backend: &mut KeyedStateBackend<K>,
        state_window: &W,
        value: &In,
        timestamp: Option<i64>,
    ) -> Result<(), WeirError> {
        backend.list_add(self.handle, state_window, (value.clone(), timestamp))
    }

    #[inline]
    fn contains(&self, backend: &mut KeyedStateBackend<K>, state_window: &W) -> bool {
        backend.has_entry(self.handle, state_window)
    }

    fn emit(
        &self,
        backend: &mut KeyedStateBackend<K>,
        fire: &Fire<'_, K, In, W>,
        out: &mut dyn ChainLink<Out>,
    ) -> Result<(), WeirError> {
        let Some(stored) = backend.list_get(self.handle, fire.state_window) else {
            return Ok(());
        };
        let Some(evictor) = fire.evictor else {
            let values: Vec<In> = stored.iter().map(|(value, _)| value.clone()).collect();
            return with_collector(backend, fire, out, |context, collector| {
                self.function.apply(fire.key, context, &values, collector)
            });
        };
        let mut elements: Vec<TimestampedValue<In>> = stored
            .iter()
            .map(|(value, timestamp)| TimestampedValue {
                value: value.clone(),
                timestamp: *timestamp,
            })
            .collect();
        let evictor_context = EvictorContext {
            current_processing_time: fire.current_processing_time,
            current_watermark: fire.current_watermark,
        };
        evictor.evict_before(&mut elements, fire.window, &evictor_context)?;
        let values: Vec<In> = elements.iter().map(|e| e.value.clone()).collect();
        with_collector(backend, fire, out, |context, collector| {
            self.function.apply(fire.key, context, &values, collector)
        })?;
        evictor.evict_after(&mut elements, fire.window, &evictor_context)?;
        let kept = elements
            .into_iter()
            .map(|element| (element.value, element.timestamp))
            .collect();
        backend.list_update(self.handle, fire.state_window, kept)
    }

    fn clear(&self, backend: &mut KeyedStateBackend<K>, state_window: &W) {
        backend.clear(self.handle, state_window);
    }

    fn merge(
        &self,
        backend: &mut KeyedStateBackend<K>,
        target: &W,
        sources: &[W],
    ) -> Result<(), WeirError> {
        backend.merge_namespaces(self.handle, target, sources)
    }

    fn clear_function(
        &self,
        backend: &mut KeyedStateBackend<K>,
        fire: &Fire<'_, K, In, W>,
    ) -> Result<(), WeirError> {
        self.function.clear(&mut fire.context(backend))
    }
}

/// Registers the incremental contents of a function in a backend.
type IncrementalFactory<K, In, Out, W> = Arc<
    dyn Fn(&mut KeyedStateBackend<K>) -> Result<Box<dyn WindowContents<K, In, Out, W>>, WeirError>
        + Send
        + Sync,
>;

/// What a window operator computes. See the module docs.
pub struct WindowFunction<K: StateKey, In, Out, W> {
    kind: &'static str,
    /// `None` for process functions, which always keep every element.
    incremental: Option<IncrementalFactory<K, In, Out, W>>,
    elements: Arc<dyn ElementsFunction<K, In, Out, W>>,
    _types: PhantomData<fn(K, In, W) -> Out>,
}

impl<K: StateKey, In, Out, W> Clone for WindowFunction<K, In, Out, W> {
    fn clone(&self) -> Self {
        WindowFunction {
            kind: self.kind,
            incremental: self.incremental.clone(),
            elements: Arc::clone(&self.elements),
            _types: PhantomData,
        }
    }
}

impl<K: StateKey, In, Out, W> std::fmt::Debug for WindowFunction<K, In, Out, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowFunction")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<K: StateKey, In: Data, W: Window> WindowFunction<K, In, In, W> {
    /// Incremental reduce; emits the reduced value.
    pub fn reduce(reduce: ReduceFn<In>) -> WindowFunction<K, In, In, W> {
        WindowFunction::reduce_emitting(reduce, Arc::new(EmitResult))
    }
}

impl<K: StateKey, In: Data, Out: 'static, W: Window> WindowFunction<K, In, Out, W> {
    /// Incremental reduce; the process function gets the reduced value as its one element.
    pub fn reduce_with_process(
        reduce: ReduceFn<In>,
        process: Arc<dyn ProcessWindowFunction<K, In, Out, W>>,
    ) -> WindowFunction<K, In, Out, W> {
        WindowFunction::reduce_emitting(reduce, Arc::new(ProcessResult(process)))
    }

    fn reduce_emitting(
        reduce: ReduceFn<In>,
        emitter: Arc<dyn ResultEmitter<K, In, Out, W>>,
    ) -> WindowFunction<K, In, Out, W> {
        let factory_reduce = Arc::clone(&reduce);
        let factory_emitter = Arc::clone(&emitter);
        WindowFunction {
            kind: "Reduce",
            incremental: Some(Arc::new(move |backend: &mut KeyedStateBackend<K>| {
                let descriptor =
                    ReducingStateDescriptor::from_arc(CONTENTS_STATE, Arc::clone(&factory_reduce));
                let contents: Box<dyn WindowContents<K, In, Out, W>> = Box::new(ReducingContents {
                    handle: backend.reducing_state::<W, In>(&descriptor)?,
                    emitter: Arc::clone(&factory_emitter),
                });
                Ok(contents)
            })),
            elements: Arc::new(ReduceElements { reduce, emitter }),
            _types: PhantomData,
        }
    }

    /// Incremental aggregation; emits the aggregate's result.
    pub fn aggregate<Acc: Data>(
        aggregate: Arc<dyn AggregateFunction<In, Acc, Out>>,
    ) -> WindowFunction<K, In, Out, W>
    where
        Out: Send + Sync,
    {
        WindowFunction::aggregate_emitting(aggregate, Arc::new(EmitResult))
    }

    /// Incremental aggregation; the process function gets the aggregate's result as its one
    /// element.
    pub fn aggregate_with_process<Acc: Data, R: Send + Sync + 'static>(
        aggregate: Arc<dyn AggregateFunction<In, Acc, R>>,
        process: Arc<dyn ProcessWindowFunction<K, R, Out, W>>,
    ) -> WindowFunction<K, In, Out, W> {
        WindowFunction::aggregate_emitting(aggregate, Arc::new(ProcessResult(process)))
    }

    fn aggregate_emitting<Acc: Data, R: Send + 'static>(
        aggregate: Arc<dyn AggregateFunction<In, Acc, R>>,
        emitter: Arc<dyn ResultEmitter<K, R, Out, W>>,
    ) -> WindowFunction<K, In, Out, W> {
        let factory_aggregate = Arc::clone(&aggregate);
        let factory_emitter = Arc::clone(&emitter);
        WindowFunction {
            kind: "Aggregate",
            incremental: Some(Arc::new(move |backend: &mut KeyedStateBackend<K>| {
                let descriptor = AggregatingStateDescriptor::from_arc(
                    CONTENTS_STATE,
                    Arc::clone(&factory_aggregate),
                );
                let contents: Box<dyn WindowContents<K, In, Out, W>> =
                    Box::new(AggregatingContents {
                        handle: backend.aggregating_state::<W, In, Acc, R>(&descriptor)?,
                        emitter: Arc::clone(&factory_emitter),
                    });
                Ok(contents)
            })),
            elements: Arc::new(AggregateElements { aggregate, emitter }),
            _types: PhantomData,
        }
    }

    /// A process window function over every element of the window (kept in list state).
    pub fn process(
        process: Arc<dyn ProcessWindowFunction<K, In, Out, W>>,
    ) -> WindowFunction<K, In, Out, W> {
        WindowFunction {
            kind: "Process",
            incremental: None,
            elements: Arc::new(ProcessElements(process)),
            _types: PhantomData,
        }
    }

    /// "Reduce", "Aggregate" or "Process".
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Registers the contents state: incremental, or every element when `keep_elements`
    /// (evictors) or the function needs them.
    pub(crate) fn contents(
        &self,
        backend: &mut KeyedStateBackend<K>,
        keep_elements: bool,
    ) -> Result<Box<dyn WindowContents<K, In, Out, W>>, WeirError> {
        match &self.incremental {
            Some(factory) if !keep_elements => factory(backend),
            _ => {
                let descriptor = ListStateDescriptor::<(In, Option<i64>)>::new(CONTENTS_STATE);
                Ok(Box::new(ElementContents {
                    handle: backend.list_state::<W, (In, Option<i64>)>(&descriptor)?,
                    function: Arc::clone(&self.elements),
                }))
            }
        }
    }
}
