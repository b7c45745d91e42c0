//! [`WindowedStream`]: a keyed stream cut into windows (Flink's `WindowedStream`).
//!
//! ```text
//!   keyed.window(TumblingEventTimeWindows::of(10_000)?)
//!        .allowed_lateness(Duration::from_secs(5))     // late firings, then cleanup
//!        .side_output_late_data(&late)                  // later still: to a side output
//!        .aggregate(CountSum)                           // or reduce / process / *_process
//! ```
//!
//! The window function decides what the window keeps: `reduce` and `aggregate` fold every
//! record into one value per key and window as it arrives; `process` keeps the records and
//! sees them all when the window fires; `reduce_process` / `aggregate_process` fold
//! incrementally and hand the result to a process function (with the window and its state).
//! Window contents and timers are keyed state, so they are checkpointed and restored (also
//! at another parallelism).

use std::sync::Arc;
use std::time::Duration;

use crate::api::Data;
use crate::api::stream::data_stream::DataStream;
use crate::api::stream::keyed_stream::KeyedStream;
use crate::api::stream::node_factories::OperatorFn;
use crate::api::stream::output_tag::OutputTag;
use crate::error::WeirError;
use crate::runtime::stream::chain_link::ChainLink;
use crate::runtime::stream::side_output::TypedSideOutput;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::runtime::stream::typed_glue::{link_box, unbox_link};
use crate::state::{AggregateFunction, StateKey};
use crate::windowing::{
    CountEvictor, CountTrigger, Evictor, GlobalWindow, GlobalWindows, ProcessWindowContext,
    ProcessWindowFunction, PurgingTrigger, Trigger, Window, WindowAssigner, WindowFunction,
    window_operator,
};

/// See the module docs.
pub struct WindowedStream<K, T, W> {
    keyed: KeyedStream<K, T>,
    assigner: Arc<dyn WindowAssigner<T, W>>,
    trigger: Option<Arc<dyn Trigger<T, W>>>,
    evictor: Option<Arc<dyn Evictor<T, W>>>,
    allowed_lateness_ms: i64,
    late_tag: Option<String>,
}

impl<K, T, W> std::fmt::Debug for WindowedStream<K, T, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowedStream")
            .field("assigner", &self.assigner.name())
            .field("allowed_lateness_ms", &self.allowed_lateness_ms)
            .finish()
    }
}

impl<K: StateKey + Clone, T: Data> KeyedStream<K, T> {
    /// Windows of `assigner` per key (tumbling, sliding, session or global windows).
    pub fn window<W: Window>(
        &self,
        assigner: impl WindowAssigner<T, W> + 'static,
    ) -> WindowedStream<K, T, W> {
        WindowedStream {
            keyed: self.clone(),
            assigner: Arc::new(assigner),
            trigger: None,
            evictor: None,
            allowed_lateness_ms: 0,
            late_tag: None,
        }
    }

    /// Windows of `size` records per key (Flink's `countWindow(size)`).
    pub fn count_window(&self, size: u64) -> WindowedStream<K, T, GlobalWindow> {
        self.window(GlobalWindows::create())
            .trigger(PurgingTrigger::of(Arc::new(CountTrigger::of(size))))
    }

    /// Windows of the last `size` records per key, firing every `slide` records (Flink's
    /// `countWindow(size, slide)`).
    pub fn count_window_sliding(
        &self,
        size: u64,
        slide: u64,
    ) -> WindowedStream<K, T, GlobalWindow> {
        self.window(GlobalWindows::create())
            .evictor(CountEvictor::of(
                usize::try_from(size).unwrap_or(usize::MAX),
            ))
            .trigger(CountTrigger::of(slide))
    }
}

/// A process-window closure: `(key, window, result, out)` for each result of the window.
struct ResultClosure<F>(F);

impl<K, R, O, W, F> ProcessWindowFunction<K, R, O, W> for ResultClosure<F>
where
    K: StateKey,
    R: Clone,
    W: Clone,
    F: Fn(&K, &W, R, &mut StreamCollector<'_, O>) + Send + Sync,
{
    fn process(
        &self,
        key: &K,
        context: &mut ProcessWindowContext<'_, K, W>,
        elements: &[R],
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), WeirError> {
        let window = context.window().clone();
        for element in elements {
            (self.0)(key, &window, element.clone(), out);
        }
        Ok(())
    }
}

impl<K: StateKey + Clone, T: Data, W: Window> WindowedStream<K, T, W> {
    /// Replaces the assigner's default trigger.
    pub fn trigger(mut self, trigger: impl Trigger<T, W> + 'static) -> Self {
        self.trigger = Some(Arc::new(trigger));
        self
    }

    /// Removes records from a window before (or after) its function runs.
    pub fn evictor(mut self, evictor: impl Evictor<T, W> + 'static) -> Self {
        self.evictor = Some(Arc::new(evictor));
        self
    }

    /// Keeps windows this long after the watermark passed their end: late records fire them
    /// again. Event-time windows only.
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.allowed_lateness_ms = i64::try_from(lateness.as_millis()).unwrap_or(i64::MAX);
        self
    }

    /// Records later than the allowed lateness go to `tag` instead of being dropped (read it
    /// with `get_side_output` on the windowed result).
    pub fn side_output_late_data(mut self, tag: &OutputTag<T>) -> Self {
        self.late_tag = Some(tag.id().to_owned());
        self
    }

    fn build<Out: Data>(
        &self,
        name: &str,
        function: WindowFunction<K, T, Out, W>,
    ) -> DataStream<Out> {
        let key = Arc::clone(&self.keyed.key);
        let assigner = Arc::clone(&self.assigner);
        let trigger = self.trigger.clone();
        let evictor = self.evictor.clone();
        let lateness = self.allowed_lateness_ms;
        let late_tag = self.late_tag.clone();
        let function = Arc::new(function);
        let name = format!("Window({}, {name})", self.assigner.name());
        self.keyed.stream.add_operator(
            &name,
            OperatorFn::new(move |setup, output, side| {
                let mut late_output: Option<Box<dyn ChainLink<T>>> = None;
                for (tag, output) in side {
                    if late_tag.as_deref() == Some(tag.as_str()) {
                        let typed = output.into_any().downcast::<TypedSideOutput<T>>().map_err(
                            |_| WeirError::InvalidProgram {
                                problems: vec![format!(
                                    "the late-data side output {tag} is read with another record type"
                                )],
                            },
                        )?;
                        late_output = Some(typed.link);
                    }
                }
                let link = window_operator(
                    setup,
                    Arc::clone(&key),
                    Arc::clone(&assigner),
                    trigger.clone(),
                    evictor.clone(),
                    lateness,
                    late_output,
                    (*function).clone(),
                    unbox_link(output),
                )?;
                Ok(link_box::<T>(link))
            }),
            false,
        )
    }

    /// Folds the records of each window with `reduce` as they arrive; emits the result.
    pub fn reduce<F>(&self, reduce: F) -> DataStream<T>
    where
        F: Fn(&T, &T) -> T + Send + Sync + 'static,
    {
        self.build("reduce", WindowFunction::reduce(Arc::new(reduce)))
    }

    /// Folds with `reduce`, then `process(key, window, reduced, out)` emits the output.
    pub fn reduce_process<O: Data, F, P>(&self, reduce: F, process: P) -> DataStream<O>
    where
        F: Fn(&T, &T) -> T + Send + Sync + 'static,
        P: Fn(&K, &W, T, &mut StreamCollector<'_, O>) + Send + Sync + 'static,
    {
        self.build(
            "reduce+process",
            WindowFunction::reduce_with_process(Arc::new(reduce), Arc::new(ResultClosure(process))),
        )
    }

    /// Aggregates the records of each window incrementally; emits the result.
    pub fn aggregate<Acc: Data, R: Data>(
        &self,
        aggregate: impl AggregateFunction<T, Acc, R> + 'static,
    ) -> DataStream<R> {
        self.build("aggregate", WindowFunction::aggregate(Arc::new(aggregate)))
    }

    /// Aggregates incrementally, then `process(key, window, result, out)` emits the output.
    pub fn aggregate_process<Acc: Data, R: Data, O: Data, P>(
        &self,
        aggregate: impl AggregateFunction<T, Acc, R> + 'static,
        process: P,
    ) -> DataStream<O>
    where
        P: Fn(&K, &W, R, &mut StreamCollector<'_, O>) + Send + Sync + 'static,
    {
        self.build(
            "aggregate+process",
            WindowFunction::aggregate_with_process(
                Arc::new(aggregate),
                Arc::new(ResultClosure(process)),
            ),
        )
    }

    /// Keeps the records of each window and hands them all to `process` when it fires
    /// (with the window's context and per-window state).
    pub fn process<O: Data>(
        &self,
        process: impl ProcessWindowFunction<K, T, O, W> + 'static,
    ) -> DataStream<O> {
        self.build("process", WindowFunction::process(Arc::new(process)))
    }
}
