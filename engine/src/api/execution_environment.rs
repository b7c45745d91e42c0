//! [`ExecutionEnvironment`]: where a DataSet program starts: its configuration and default
//! parallelism, the sources, and `execute`.
//!
//! A program run by `weir run` gets the command line's configuration (`--conf`, `-D`, `-p`)
//! through [`ExecutionEnvironment::get_execution_environment`], which reads what `weir run`
//! passes in the environment (`WEIR_CONF_FILE`, `WEIR_DYNAMIC_PROPERTIES`, `WEIR_PARALLELISM`,
//! `WEIR_REPORT`, `WEIR_METRICS_JSON`); run on its own, the same call uses
//! `conf/weir-conf.yaml` and the defaults. With reporting on (as under `weir run`), `execute`
//! prints the memory plan in one line when it starts, a progress line on a terminal while it
//! runs, and a summary at the end, all to stderr; Ctrl-C cancels the job.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::api::data::Data;
use crate::api::data_set::DataSet;
use crate::api::generator::RecordRandom;
use crate::config::options::PARALLELISM_DEFAULT;
use crate::config::{ConfigOverrides, Configuration};
use crate::connectors::{
    CsvOptions, FileInputSplit, FromCsvRecord, SerdeCsv, assign_splits, create_input_splits,
    enumerate_input_files,
};
use crate::error::WeirError;
use crate::graph::plan::{NodeId, NodeOperator, Plan, PlanNode};
use crate::memory_plan::MemoryPlan;
use crate::runtime::drivers::erased::{Source, TypedOutput};
use crate::runtime::drivers::sources::{
    plan_fixed_record_splits, run_collection, run_csv_splits, run_fixed_record_splits,
    run_generator, run_text_splits, split_evenly, split_range,
};
use crate::runtime::job_result::JobExecutionResult;
use crate::runtime::local_executor::{ExecuteOptions, execute, start_rss_sampler};
use crate::runtime::network::CancelToken;
use crate::runtime::progress::JobProgress;

/// How `execute` reports (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Print the memory plan, the progress line and the summary to stderr.
    pub report: bool,
    /// Also write the summary with per-operator metrics as JSON here.
    pub metrics_json: Option<PathBuf>,
}

pub(crate) struct EnvState {
    pub(crate) config: Configuration,
    pub(crate) parallelism: usize,
    pub(crate) plan: Plan,
    pub(crate) sinks: Vec<NodeId>,
    pub(crate) problems: Vec<String>,
    pub(crate) report: ReportOptions,
    results: Vec<JobExecutionResult>,
    plan_printed: bool,
}

/// See the module docs. Cheap to clone; clones share the program.
#[derive(Clone)]
pub struct ExecutionEnvironment {
    pub(crate) state: Rc<RefCell<EnvState>>,
}

impl std::fmt::Debug for ExecutionEnvironment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("ExecutionEnvironment")
            .field("parallelism", &state.parallelism)
            .field("operators", &state.plan.nodes.len())
            .field("sinks", &state.sinks.len())
            .finish()
    }
}

/// What `weir run` hands a job program through the environment (`WEIR_CONF_FILE`,
/// `WEIR_DYNAMIC_PROPERTIES`, `WEIR_PARALLELISM`, `WEIR_REPORT`, `WEIR_METRICS_JSON`).
pub(crate) struct ProgramSettings {
    pub(crate) config: Configuration,
    pub(crate) parallelism: Option<usize>,
    pub(crate) report: ReportOptions,
}

impl ProgramSettings {
    pub(crate) fn from_environment() -> Result<ProgramSettings, WeirError> {
        let conf_file = std::env::var_os("WEIR_CONF_FILE").map(PathBuf::from);
        let dynamic_properties = std::env::var("WEIR_DYNAMIC_PROPERTIES")
            .map(|text| {
                text.lines()
                    .filter(|line| !line.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let config = Configuration::load(&ConfigOverrides {
            conf_file,
            dynamic_properties,
        })?;
        let parallelism = match std::env::var("WEIR_PARALLELISM") {
            Ok(text) => Some(
                text.parse::<usize>()
                    .ok()
                    .filter(|&p| (1..=1024).contains(&p))
                    .ok_or_else(|| WeirError::InvalidProgram {
                        problems: vec![format!(
                            "WEIR_PARALLELISM={text} is not a parallelism in 1..=1024"
                        )],
                    })?,
            ),
            Err(_) => None,
        };
        Ok(ProgramSettings {
            config,
            parallelism,
            report: ReportOptions {
                report: std::env::var("WEIR_REPORT").is_ok_and(|value| value == "1"),
                metrics_json: std::env::var_os("WEIR_METRICS_JSON").map(PathBuf::from),
            },
        })
    }
}

/// Set by the Ctrl-C handler; every running job watches it.
pub(crate) fn interrupted() -> &'static Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        // Without a handler Ctrl-C ends the process at once, which also loses no data (no
        // output is committed); with it, the job cancels and cleans up.
        let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&flag));
        let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&flag));
        flag
    })
}

/// Set by the SIGUSR1 handler (installed on first use): the running streaming job takes a
/// savepoint and goes on (Flink's `flink savepoint <job id>`); the executor clears it.
pub fn savepoint_requested() -> &'static Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        // Without the handler SIGUSR1 would end the process.
        let _ = signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&flag));
        flag
    })
}

/// True when a job of this process was canceled by Ctrl-C (the CLI exits 130 then).
pub fn was_interrupted() -> bool {
    interrupted().load(Ordering::SeqCst)
}

impl ExecutionEnvironment {
    /// An environment with `config` (parallelism from `parallelism.default`).
    pub fn new(config: Configuration) -> ExecutionEnvironment {
        let parallelism = config.get(&PARALLELISM_DEFAULT) as usize;
        ExecutionEnvironment {
            state: Rc::new(RefCell::new(EnvState {
                config,
                parallelism,
                plan: Plan::default(),
                sinks: Vec::new(),
                problems: Vec::new(),
                report: ReportOptions::default(),
                results: Vec::new(),
                plan_printed: false,
            })),
        }
    }

    /// The environment of a program started by `weir run` (or run on its own; see the module
    /// docs).
    pub fn get_execution_environment() -> Result<ExecutionEnvironment, WeirError> {
        let settings = ProgramSettings::from_environment()?;
        // A program started by `weir run` gets SIGUSR1 passed on: never let it end the process.
        savepoint_requested();
        let env = ExecutionEnvironment::new(settings.config);
        if let Some(parallelism) = settings.parallelism {
            env.set_parallelism(parallelism);
        }
        env.set_report_options(settings.report);
        Ok(env)
    }

    /// Sets the default parallelism of operators defined from now on.
    pub fn set_parallelism(&self, parallelism: usize) {
        self.state.borrow_mut().parallelism = parallelism.max(1);
    }

    pub fn parallelism(&self) -> usize {
        self.state.borrow().parallelism
    }

    /// The configuration jobs of this environment run with.
    pub fn config(&self) -> Configuration {
        self.state.borrow().config.clone()
    }

    /// How jobs of this environment report.
    pub fn report_options(&self) -> ReportOptions {
        self.state.borrow().report.clone()
    }

    pub fn set_report_options(&self, report: ReportOptions) {
        self.state.borrow_mut().report = report;
    }

    /// Results of every job executed so far.
    pub fn job_results(&self) -> Vec<JobExecutionResult> {
        self.state.borrow().results.clone()
    }

    pub(crate) fn add_node(&self, node: PlanNode) -> NodeId {
        self.state.borrow_mut().plan.add(node)
    }

    pub(crate) fn add_problem(&self, problem: String) {
        self.state.borrow_mut().problems.push(problem);
    }

    pub(crate) fn add_sink(&self, node: NodeId) {
        self.state.borrow_mut().sinks.push(node);
    }

    fn source<T: Data, W: Send + 'static>(
        &self,
        name: String,
        parallelism: usize,
        source: Arc<Source<W, T>>,
        estimated_bytes: Option<u64>,
    ) -> DataSet<T> {
        let node = self.add_node(PlanNode {
            name,
            parallelism,
            inputs: Vec::new(),
            operator: NodeOperator::Source(source),
            output: TypedOutput::<T>::new(),
            memory: None,
            estimated_bytes,
            is_sink: false,
        });
        DataSet::from_node(self.clone(), node)
    }

    /// The records of `records`, read by one subtask (Flink's `fromCollection`).
    pub fn from_collection<T: Data + Sync + Clone>(&self, records: Vec<T>) -> DataSet<T> {
        let estimated = Some(records.len() as u64 * std::mem::size_of::<T>() as u64);
        let records = Arc::new(records);
        let source = Source::new(
            move |parallelism| Ok(split_evenly((*records).clone(), parallelism)),
            |context, chunk, out| run_collection(context, chunk, out),
        );
        self.source("CollectionSource".to_owned(), 1, source, estimated)
    }

    /// The numbers `from..=to`, split among the subtasks (Flink's `generateSequence`).
    pub fn generate_sequence(&self, from: u64, to: u64) -> DataSet<u64> {
        let end = to.saturating_add(1);
        let source = Source::new(
            move |parallelism| Ok(split_range(from, end, parallelism)),
            |context, range, out| run_generator(context, range, &|index| index, out),
        );
        self.source(
            format!("Sequence [{from}, {to}]"),
            self.parallelism(),
            source,
            Some(end.saturating_sub(from) * 8),
        )
    }

    /// `count` records made by `generate(index, random)`, where `random` is seeded from
    /// `(seed, index)` only, so the output does not depend on the parallelism.
    pub fn generate<T, F>(&self, count: u64, seed: u64, generate: F) -> DataSet<T>
    where
        T: Data,
        F: Fn(u64, &mut RecordRandom) -> T + Send + Sync + 'static,
    {
        let generate = Arc::new(generate);
        let source = Source::new(
            move |parallelism| Ok(split_range(0, count, parallelism)),
            move |context, range, out| {
                let generate = Arc::clone(&generate);
                run_generator(
                    context,
                    range,
                    &move |index| generate(index, &mut RecordRandom::for_record(seed, index)),
                    out,
                )
            },
        );
        self.source(
            format!("Generator ({count} records)"),
            self.parallelism(),
            source,
            None,
        )
    }

    /// The lines of a file, of every file in a directory (recursively; names starting with `.`
    /// or `_` skipped), or of the files a glob matches; large files are split among subtasks.
    pub fn read_text_file(&self, path: &str) -> DataSet<String> {
        let spec = path.to_owned();
        let estimated = estimate_input_bytes(path);
        let source = Source::new(
            move |parallelism| plan_file_splits(&spec, parallelism),
            |context, splits, out| run_text_splits(context, splits, out),
        );
        self.source(
            format!("TextSource ({path})"),
            self.parallelism(),
            source,
            estimated,
        )
    }

    /// The rows of CSV files parsed into `T` (a tuple of field types, or a serde struct through
    /// [`crate::connectors::SerdeCsv`]), with `options` (delimiter, quotes, header,
    /// skipping bad records).
    pub fn read_csv_file<T>(&self, path: &str, options: CsvOptions) -> DataSet<T>
    where
        T: Data + FromCsvRecord,
    {
        let spec = path.to_owned();
        let estimated = estimate_input_bytes(path);
        let options = Arc::new(options);
        let source = Source::new(
            move |parallelism| plan_file_splits(&spec, parallelism),
            move |context, splits, out| run_csv_splits(context, splits, &options, out),
        );
        self.source(
            format!("CsvSource ({path})"),
            self.parallelism(),
            source,
            estimated,
        )
    }

    /// The rows of CSV files deserialized into a serde struct `T` by field order
    /// (`#[derive(Deserialize)]`; `T` also needs [`crate::serde_record!`] to be a record).
    pub fn read_csv_serde<T>(&self, path: &str, options: CsvOptions) -> DataSet<T>
    where
        T: Data + serde::de::DeserializeOwned,
    {
        let spec = path.to_owned();
        let estimated = estimate_input_bytes(path);
        let options = Arc::new(options);
        let source = Source::new(
            move |parallelism| plan_file_splits(&spec, parallelism),
            move |context, splits, out| {
                run_csv_splits::<SerdeCsv<T>>(context, splits, &options, &mut Unwrapped(out))
            },
        );
        self.source(
            format!("CsvSource ({path})"),
            self.parallelism(),
            source,
            estimated,
        )
    }

    /// The rows of TPC-H style `.tbl` files (`|`-delimited, a trailing `|`, no quotes).
    pub fn read_tbl_file<T>(&self, path: &str) -> DataSet<T>
    where
        T: Data + FromCsvRecord,
    {
        self.read_csv_file(path, CsvOptions::tbl())
    }

    /// Files of fixed-length `N`-byte binary records (no separators), split among the
    /// subtasks on record boundaries.
    pub fn read_fixed_length_records<const N: usize>(&self, path: &str) -> DataSet<[u8; N]> {
        let spec = path.to_owned();
        let estimated = estimate_input_bytes(path);
        let source = Source::new(
            move |parallelism| {
                let files = enumerate_input_files(&spec)?;
                plan_fixed_record_splits::<N>(&files, parallelism)
            },
            |context, splits, out| run_fixed_record_splits::<N>(context, splits, out),
        );
        self.source(
            format!("FixedLengthSource ({path}, {N} bytes)"),
            self.parallelism(),
            source,
            estimated,
        )
    }

    /// Runs every sink defined since the last execution.
    pub fn execute(&self, job_name: &str) -> Result<JobExecutionResult, WeirError> {
        let (plan, sinks, config, report) = {
            let mut state = self.state.borrow_mut();
            if !state.problems.is_empty() {
                return Err(WeirError::InvalidProgram {
                    problems: std::mem::take(&mut state.problems),
                });
            }
            if state.sinks.is_empty() {
                return Err(WeirError::NoSinks);
            }
            let sinks = std::mem::take(&mut state.sinks);
            (
                state.plan.clone(),
                sinks,
                state.config.clone(),
                state.report.clone(),
            )
        };
        let print_plan = !std::mem::replace(&mut self.state.borrow_mut().plan_printed, true);
        let result = execute_reported(&config, &report, print_plan, |progress, cancel| {
            let options = ExecuteOptions {
                progress,
                cancel: Some(cancel),
            };
            execute(&plan, &sinks, job_name, &config, &options)
        })?;
        self.state.borrow_mut().results.push(result.clone());
        Ok(result)
    }
}

/// Runs a job (batch or streaming) with `weir run`'s reporting: the memory plan line (when
/// `print_plan`), the progress line on a terminal, Ctrl-C watching, the peak resident memory,
/// the summary and the metrics JSON as `report` asks.
pub(crate) fn execute_reported(
    config: &Configuration,
    report: &ReportOptions,
    print_plan: bool,
    run: impl FnOnce(Arc<JobProgress>, CancelToken) -> Result<JobExecutionResult, WeirError>,
) -> Result<JobExecutionResult, WeirError> {
    let progress = Arc::new(JobProgress::default());
    let cancel = CancelToken::new();
    let mut stderr = std::io::stderr();
    if report.report && print_plan {
        let memory_plan = MemoryPlan::from_config(config)?;
        let _ = writeln!(stderr, "{}", memory_plan.summary_line());
    }
    let watcher = JobWatcher::start(
        Arc::clone(&progress),
        cancel.clone(),
        report.report && stderr.is_terminal(),
    );
    let sampler = start_rss_sampler();
    let outcome = run(progress, cancel);
    watcher.stop();
    let peak_rss = sampler.stop();
    let result = outcome?;
    if report.report {
        for line in result.summary_lines() {
            let _ = writeln!(stderr, "{line}");
        }
        let _ = writeln!(stderr, "peak resident memory {}", peak_rss.human());
    }
    if let Some(path) = &report.metrics_json {
        std::fs::write(path, result.to_json(Some(peak_rss)) + "\n").map_err(|source| {
            WeirError::WriteMetrics {
                path: path.clone(),
                source,
            }
        })?;
    }
    Ok(result)
}

/// Passes the values of [`SerdeCsv`] rows on.
struct Unwrapped<'a, T>(&'a mut dyn crate::runtime::collector::Collector<T>);

impl<T: Send> crate::runtime::collector::Collector<SerdeCsv<T>> for Unwrapped<'_, T> {
    #[inline]
    fn collect(&mut self, record: SerdeCsv<T>) -> Result<(), WeirError> {
        self.0.collect(record.0)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.0.finish()
    }
}

/// Watches Ctrl-C (cancels the job) and draws the progress line while a job runs.
struct JobWatcher {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl JobWatcher {
    pub(crate) fn start(progress: Arc<JobProgress>, cancel: CancelToken, draw: bool) -> JobWatcher {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(interrupted());
        let thread_done = Arc::clone(&done);
        let thread = std::thread::Builder::new()
            .name("job watcher".into())
            .spawn(move || {
                let mut ticks = 0u32;
                while !thread_done.load(Ordering::SeqCst) {
                    if flag.load(Ordering::SeqCst) {
                        cancel.cancel();
                    }
                    ticks += 1;
                    if draw && ticks.is_multiple_of(25) {
                        let mut stderr = std::io::stderr().lock();
                        let _ = write!(stderr, "\r\x1b[2K{}", progress.line());
                        let _ = stderr.flush();
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                if draw {
                    let _ = write!(std::io::stderr(), "\r\x1b[2K");
                }
            })
            .ok();
        JobWatcher { done, thread }
    }

    fn stop(mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The byte-range splits of the files `spec` names, dealt out to `parallelism` subtasks.
fn plan_file_splits(spec: &str, parallelism: usize) -> Result<Vec<Vec<FileInputSplit>>, WeirError> {
    let files = enumerate_input_files(spec)?;
    Ok(assign_splits(
        create_input_splits(&files, parallelism),
        parallelism,
    ))
}

/// Total size of the files `path` names, when they can be listed now.
fn estimate_input_bytes(path: &str) -> Option<u64> {
    enumerate_input_files(path)
        .ok()
        .map(|files| files.iter().map(|file| file.len).sum())
}
