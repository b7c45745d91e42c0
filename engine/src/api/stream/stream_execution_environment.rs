//! [`StreamExecutionEnvironment`]: where a streaming program defines its sources and runs.
//!
//! ```text
//!   let env = StreamExecutionEnvironment::get_execution_environment()?;
//!   env.enable_checkpointing(Duration::from_secs(10));
//!   env.read_text_file("in/")
//!       .flat_map(|line, out| for word in line.split(' ') { out.collect((word.to_owned(), 1u64)) })
//!       .key_by(|(word, _)| word.clone())
//!       .sum(1)
//!       .print();
//!   env.execute("WordCount")?;
//! ```
//!
//! Like the batch environment it is a handle to a program under construction; nothing runs
//! until [`StreamExecutionEnvironment::execute`]. Settings a program makes
//! (`enable_checkpointing`, `set_max_parallelism`) override the configuration, as in Flink.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::api::Data;
use crate::api::execution_environment::{
    ExecutionEnvironment, ProgramSettings, ReportOptions, execute_reported, savepoint_requested,
};
use crate::api::stream::data_stream::DataStream;
use crate::api::stream::node_factories::SourceFn;
use crate::config::options::{CHECKPOINTING_INTERVAL, MAX_PARALLELISM, PARALLELISM_DEFAULT};
use crate::config::{ConfigOption, Configuration, OptionValue};
use crate::connectors::CsvOptions;
use crate::connectors::stream::{
    CollectionSource, CsvSource, GeneratorSource, SocketTextSource, TextLineSource,
};
use crate::connectors::stream::{Source, SourceOperator};
use crate::error::WeirError;
use crate::eventtime::WatermarkStrategy;
use crate::graph::stream_graph::{StreamGraph, StreamNode, StreamOperatorKind};
use crate::runtime::job_result::JobExecutionResult;
use crate::runtime::stream::source_driver::{SourceDriver, TypedSourceDriver};
use crate::runtime::stream::stream_executor::{StreamExecuteOptions, execute_stream};
use crate::runtime::stream::typed_glue::{TypedOutput, unbox_link};

pub(crate) struct StreamEnvState {
    pub(crate) config: Configuration,
    pub(crate) parallelism: usize,
    pub(crate) graph: StreamGraph,
    pub(crate) problems: Vec<String>,
    report: ReportOptions,
    results: Vec<JobExecutionResult>,
}

/// See the module docs. Cheap to clone; clones share the program.
#[derive(Clone)]
pub struct StreamExecutionEnvironment {
    pub(crate) state: Rc<RefCell<StreamEnvState>>,
}

impl std::fmt::Debug for StreamExecutionEnvironment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("StreamExecutionEnvironment")
            .field("parallelism", &state.parallelism)
            .field("operators", &state.graph.nodes.len())
            .finish()
    }
}

impl StreamExecutionEnvironment {
    /// An environment with `config` (parallelism from `parallelism.default`).
    pub fn new(config: Configuration) -> StreamExecutionEnvironment {
        let parallelism = config.get(&PARALLELISM_DEFAULT) as usize;
        StreamExecutionEnvironment {
            state: Rc::new(RefCell::new(StreamEnvState {
                config,
                parallelism,
                graph: StreamGraph::default(),
                problems: Vec::new(),
                report: ReportOptions::default(),
                results: Vec::new(),
            })),
        }
    }

    /// The environment of a program started by `weir run` (configuration, `-p`, reporting).
    pub fn get_execution_environment() -> Result<StreamExecutionEnvironment, WeirError> {
        let settings = ProgramSettings::from_environment()?;
        let env = StreamExecutionEnvironment::new(settings.config);
        if let Some(parallelism) = settings.parallelism {
            env.set_parallelism(parallelism);
        }
        env.set_report_options(settings.report);
        Ok(env)
    }

    /// A streaming environment with the settings of a batch one (built-in jobs of `weir run`).
    pub fn like(env: &ExecutionEnvironment) -> StreamExecutionEnvironment {
        let stream = StreamExecutionEnvironment::new(env.config());
        stream.set_parallelism(env.parallelism());
        stream.set_report_options(env.report_options());
        stream
    }

    /// Sets the default parallelism of operators defined from now on.
    pub fn set_parallelism(&self, parallelism: usize) {
        self.state.borrow_mut().parallelism = parallelism.max(1);
    }

    pub fn parallelism(&self) -> usize {
        self.state.borrow().parallelism
    }

    /// `pipeline.max-parallelism`: the number of key groups.
    pub fn set_max_parallelism(&self, max_parallelism: u32) {
        self.set_config(&MAX_PARALLELISM, max_parallelism);
    }

    /// Turns checkpointing on (`execution.checkpointing.interval`).
    pub fn enable_checkpointing(&self, interval: Duration) {
        self.set_config(&CHECKPOINTING_INTERVAL, Some(interval));
    }

    /// Sets a configuration option from the program.
    pub fn set_config<T: OptionValue>(&self, option: &ConfigOption<T>, value: T) {
        self.state.borrow_mut().config.set(option, value);
    }

    /// The configuration jobs of this environment run with.
    pub fn config(&self) -> Configuration {
        self.state.borrow().config.clone()
    }

    pub fn set_report_options(&self, report: ReportOptions) {
        self.state.borrow_mut().report = report;
    }

    /// Results of every job executed so far.
    pub fn job_results(&self) -> Vec<JobExecutionResult> {
        self.state.borrow().results.clone()
    }

    pub(crate) fn add_problem(&self, problem: String) {
        self.state.borrow_mut().problems.push(problem);
    }

    /// A stream from a split-based source, with timestamps and watermarks from `strategy`
    /// (per split, inside the source: Flink's `fromSource`).
    pub fn from_source<T: Data>(
        &self,
        source: impl Source<T> + 'static,
        strategy: WatermarkStrategy<T>,
        name: &str,
    ) -> DataStream<T> {
        let source: Arc<dyn Source<T>> = Arc::new(source);
        let bounded_parallelism = self.parallelism();
        let factory = SourceFn::new(move |setup, output| {
            let operator = SourceOperator::new(setup, Arc::clone(&source), strategy.clone())?;
            Ok(
                Box::new(TypedSourceDriver::new(operator, unbox_link::<T>(output)))
                    as Box<dyn SourceDriver>,
            )
        });
        let node = StreamNode {
            name: name.to_owned(),
            uid: None,
            parallelism: bounded_parallelism,
            inputs: Vec::new(),
            operator: StreamOperatorKind::Source(Arc::new(factory)),
            output: TypedOutput::<T>::new(),
            side_output_types: Vec::new(),
            chain_to_input: true,
            chain_from_here: false,
            is_sink: false,
            is_union: false,
        };
        let id = self.state.borrow_mut().graph.add(node);
        DataStream::new(self.clone(), id)
    }

    /// The records of `records`, in order when the parallelism is 1 (Flink's
    /// `fromCollection`; bounded, replayed exactly after a restore).
    pub fn from_collection<T: Data>(&self, records: Vec<T>) -> DataStream<T> {
        self.from_source(
            CollectionSource::new(records),
            WatermarkStrategy::no_watermarks(),
            "Collection Source",
        )
    }

    /// The lines of a text file, a directory's files or a glob (bounded).
    pub fn read_text_file(&self, path: &str) -> DataStream<String> {
        self.from_source(
            TextLineSource::new(path),
            WatermarkStrategy::no_watermarks(),
            "Text File Source",
        )
    }

    /// The lines of the files of a directory, watched for new files every `interval`
    /// (unbounded: Flink's `FileSource.monitorContinuously`).
    pub fn monitor_text_files(&self, path: &str, interval: Duration) -> DataStream<String> {
        self.from_source(
            TextLineSource::monitoring(path, interval),
            WatermarkStrategy::no_watermarks(),
            "Monitoring Text File Source",
        )
    }

    /// The rows of CSV files as tuples (bounded).
    pub fn read_csv_file<T>(&self, path: &str, options: CsvOptions) -> DataStream<T>
    where
        T: Data + crate::connectors::FromCsvRecord,
    {
        self.from_source(
            CsvSource::<T>::new(path, options),
            WatermarkStrategy::no_watermarks(),
            "CSV Source",
        )
    }

    /// Lines of text from a TCP socket (unbounded, not replayable). One subtask reads the
    /// socket; at a higher parallelism the other subtasks end at once.
    pub fn socket_text_stream(&self, host: &str, port: u16) -> DataStream<String> {
        let stream = self.from_source(
            SocketTextSource::new(host, port, b'\n'),
            WatermarkStrategy::no_watermarks(),
            "Socket Stream",
        );
        stream.set_parallelism(1)
    }

    /// `count` records (unbounded when `None`) made by `generate(index)`, at most
    /// `records_per_second` over all subtasks when given (Flink's `DataGeneratorSource`).
    pub fn generate<T, F>(
        &self,
        count: Option<u64>,
        records_per_second: Option<f64>,
        generate: F,
    ) -> DataStream<T>
    where
        T: Data,
        F: Fn(u64) -> T + Send + Sync + 'static,
    {
        self.from_source(
            GeneratorSource::new(count, records_per_second, generate),
            WatermarkStrategy::no_watermarks(),
            "Generator Source",
        )
    }

    /// Runs the program's sinks and what they depend on.
    pub fn execute(&self, job_name: &str) -> Result<JobExecutionResult, WeirError> {
        let (graph, config, report) = {
            let mut state = self.state.borrow_mut();
            if !state.problems.is_empty() {
                return Err(WeirError::InvalidProgram {
                    problems: std::mem::take(&mut state.problems),
                });
            }
            (
                std::mem::take(&mut state.graph),
                state.config.clone(),
                state.report.clone(),
            )
        };
        let result = execute_reported(&config, &report, true, |progress, cancel| {
            let options = StreamExecuteOptions {
                progress,
                cancel: Some(cancel),
                savepoint_request: Some(Arc::clone(savepoint_requested())),
            };
            execute_stream(&graph, job_name, &config, &options)
        })?;
        self.state.borrow_mut().results.push(result.clone());
        Ok(result)
    }
}
