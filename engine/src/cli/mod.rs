//! Command-line parsing and the subcommands of `weir`.
//!
//! Global options apply to every subcommand and may come before or after it:
//!
//! ```text
//! weir [--conf FILE] [-D key=value]... <config | memory-plan | examples | run | yarn | mini-yarn ...>
//! ```
//!
//! Exit codes: 0 on success, 1 when the configuration or the command fails (every problem is
//! printed to stderr), 2 for a command line clap rejects, 130 for a job canceled by Ctrl-C. Output goes through one locked,
//! buffered stdout; a reader that stops early (`weir config | head`) ends the command quietly
//! with 0 instead of a panic.

mod config_command;
mod examples_command;
mod legacy_yarn_flags;
mod memory_plan_command;
mod mini_yarn_command;
mod run_command;
mod yarn_am_command;
mod yarn_cluster_run;
mod yarn_command;
mod yarn_settings;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use weir::config::ConfigOverrides;

#[derive(Debug, Parser)]
#[command(
    name = "weir",
    version,
    about = "Weir: a native batch + stream processing engine in the lineage of Apache Flink",
    after_help = "Configuration precedence: built-in defaults < conf/weir-conf.yaml \
                  (WEIR_CONF_DIR, else conf/ beside the binary, ../conf, ./conf) < --conf FILE \
                  < -D key=value."
)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,

    #[command(subcommand)]
    command: Command,
}

/// The configuration options, accepted before and after the subcommand. They are declared on
/// both levels rather than as clap `global` arguments, because a global argument given on both
/// levels keeps only the subcommand's values, and every `-D` must count.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct ConfigArgs {
    /// A YAML conf file applied over conf/weir-conf.yaml.
    #[arg(long = "conf", value_name = "FILE")]
    conf_file: Option<PathBuf>,

    /// Sets a configuration key, over every conf file (repeatable).
    #[arg(short = 'D', value_name = "KEY=VALUE")]
    dynamic_properties: Vec<String>,
}

impl ConfigArgs {
    /// These arguments (before the subcommand) followed by `later` (after it): `-D` values
    /// accumulate in order; a later `--conf` replaces an earlier one.
    fn then(self, later: ConfigArgs) -> ConfigOverrides {
        let merged = self.followed_by(later);
        ConfigOverrides {
            conf_file: merged.conf_file,
            dynamic_properties: merged.dynamic_properties,
        }
    }

    /// These arguments, then `later` ones (see [`ConfigArgs::then`]).
    fn followed_by(self, later: ConfigArgs) -> ConfigArgs {
        let mut dynamic_properties = self.dynamic_properties;
        dynamic_properties.extend(later.dynamic_properties);
        ConfigArgs {
            conf_file: later.conf_file.or(self.conf_file),
            dynamic_properties,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prints the resolved configuration: every key, its value and where it came from.
    Config {
        /// Prints the conf file with every key at its default (the text of
        /// conf/weir-conf.yaml) instead.
        #[arg(long)]
        print_defaults_yaml: bool,

        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Prints the TaskManager memory plan derived from taskmanager.memory.process.size.
    MemoryPlan {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Lists the built-in jobs of `weir run -c` and their arguments.
    Examples,
    /// Runs a built-in job (-c JOB) or a job program locally.
    #[command(
        after_help = "Examples:\n  weir run -p 2 -c WordCount --input text/ --output counts\n  \
                      weir run -D taskmanager.memory.process.size=1g -c TeraSort --input data \
                      --output sorted\n  weir run target/release/examples/word_count_program \
                      --input text/"
    )]
    Run {
        /// Parallelism of the job's operators (default: parallelism.default).
        #[arg(short = 'p', long = "parallelism", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
        parallelism: Option<u32>,

        /// The built-in job to run (`weir examples` lists them).
        #[arg(short = 'c', long = "class", value_name = "JOB")]
        job: Option<String>,

        /// Replace output paths that exist (fs.overwrite-files=true).
        #[arg(long)]
        overwrite: bool,

        /// Also write the end-of-job summary with per-operator metrics as JSON to FILE.
        #[arg(long, value_name = "FILE")]
        metrics_json: Option<PathBuf>,

        /// Streaming: start from this checkpoint or savepoint (a chk-<id> or savepoint folder,
        /// its _metadata file, or a job's checkpoint folder for its latest checkpoint);
        /// execution.savepoint.path.
        #[arg(short = 's', long = "fromSavepoint", value_name = "PATH")]
        from_savepoint: Option<String>,

        /// Streaming, with -s: drop state of operators the job no longer has
        /// (execution.savepoint.ignore-unclaimed-state=true).
        #[arg(short = 'n', long = "allowNonRestoredState")]
        allow_non_restored_state: bool,

        /// Streaming: on Ctrl-C, take a savepoint into DIR, then stop (state.savepoints.dir).
        #[arg(long = "savepoint-dir", value_name = "DIR")]
        savepoint_dir: Option<String>,

        /// Where the job runs: `yarn-cluster` submits a per-job cluster to YARN (the job runs
        /// inside the ApplicationMaster's container); default: here, in local mode.
        #[arg(short = 'm', long = "jobmanager", value_name = "TARGET")]
        target: Option<String>,

        /// With -m yarn-cluster: memory of the ApplicationMaster container
        /// (jobmanager.memory.process.size; MiB when no unit is given).
        #[arg(long = "yjm", value_name = "MEMORY")]
        yarn_jobmanager_memory: Option<String>,

        /// With -m yarn-cluster: name of the YARN application (yarn.application.name).
        #[arg(long = "ynm", value_name = "NAME")]
        yarn_name: Option<String>,

        /// With -m yarn-cluster: YARN queue (yarn.application.queue).
        #[arg(long = "yqu", value_name = "QUEUE")]
        yarn_queue: Option<String>,

        /// With -m yarn-cluster: return right after the submission, printing the application id.
        #[arg(short = 'd', long = "detached")]
        detached: bool,

        #[command(flatten)]
        config: ConfigArgs,

        /// The job's arguments; without -c, the job program's path and its arguments.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        arguments: Vec<String>,
    },
    /// Operates on the YARN cluster of yarn-site.xml (HADOOP_CONF_DIR / YARN_CONF_DIR).
    Yarn {
        #[command(subcommand)]
        command: yarn_command::YarnCommand,

        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Starts a YARN test cluster on this machine: a ResourceManager and NodeManagers in one
    /// process, speaking Hadoop's wire protocol, running containers as local processes.
    MiniYarn(mini_yarn_command::MiniYarnArgs),
    /// What the ApplicationMaster container of `weir run -m yarn-cluster` runs (not for
    /// direct use).
    #[command(hide = true)]
    YarnAm {
        #[arg(short = 'p', long = "parallelism", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
        parallelism: Option<u32>,

        #[arg(short = 'c', long = "class", value_name = "JOB")]
        job: String,

        #[command(flatten)]
        config: ConfigArgs,

        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        arguments: Vec<String>,
    },
}

/// Parses the command line, runs the command and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse_from(legacy_yarn_flags::normalize(std::env::args_os().collect()));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let outcome = match cli.command {
        Command::Config {
            print_defaults_yaml: true,
            ..
        } => write!(out, "{}", weir::config::conf_file_template()).map_err(anyhow::Error::from),
        Command::Config {
            print_defaults_yaml: false,
            config,
        } => config_command::run(&cli.config.then(config), &mut out),
        Command::MemoryPlan { config } => {
            memory_plan_command::run(&cli.config.then(config), &mut out)
        }
        Command::Examples => examples_command::run(&mut out),
        Command::Run {
            parallelism,
            job,
            overwrite,
            metrics_json,
            from_savepoint,
            allow_non_restored_state,
            savepoint_dir,
            target,
            yarn_jobmanager_memory,
            yarn_name,
            yarn_queue,
            detached,
            config,
            arguments,
        } => {
            let mut overrides = cli.config.then(config);
            if let Some(path) = from_savepoint {
                overrides
                    .dynamic_properties
                    .push(format!("execution.savepoint.path={path}"));
            }
            if allow_non_restored_state {
                overrides
                    .dynamic_properties
                    .push("execution.savepoint.ignore-unclaimed-state=true".to_owned());
            }
            if let Some(dir) = savepoint_dir {
                overrides
                    .dynamic_properties
                    .push(format!("state.savepoints.dir={dir}"));
            }
            let request = run_command::RunRequest {
                overrides,
                parallelism,
                overwrite,
                metrics_json,
                job,
                arguments,
            };
            // A job writes its own output, also from other threads: release stdout and its lock.
            drop(out);
            let yarn = yarn_cluster_run::YarnOptions {
                jobmanager_memory: yarn_jobmanager_memory,
                name: yarn_name,
                queue: yarn_queue,
                detached,
            };
            return finish(match target.as_deref() {
                None | Some("local") if yarn.is_empty() => run_command::run(request),
                None | Some("local") => Err(anyhow::anyhow!(
                    "--yjm, --ynm, --yqu and --detached need -m yarn-cluster"
                )),
                Some("yarn-cluster") => yarn_cluster_run::run(request, yarn),
                Some(other) => Err(anyhow::anyhow!(
                    "-m {other}: the target must be yarn-cluster (or local, the default); a \
                     standalone JobManager address is not supported yet"
                )),
            });
        }
        Command::Yarn { command, config } => {
            let overrides = cli
                .config
                .followed_by(config)
                .then(command.config_args().clone());
            yarn_command::run(command, &overrides, &mut out)
        }
        Command::MiniYarn(arguments) => {
            // Release stdout (the lock too): jobs print from their own threads.
            drop(out);
            return finish(mini_yarn_command::run(arguments));
        }
        Command::YarnAm {
            parallelism,
            job,
            config,
            arguments,
        } => {
            // Release stdout (the lock too): jobs print from their own threads.
            drop(out);
            return finish(yarn_am_command::run(yarn_am_command::AmRequest {
                overrides: cli.config.then(config),
                parallelism,
                job,
                arguments,
            }));
        }
    };
    // Flush what was written also when the command failed (`weir config` prints its table
    // before a memory plan conflict).
    let flushed = out.flush();
    let outcome = outcome.and_then(|()| flushed.map_err(anyhow::Error::from));
    finish(outcome.map(|()| ExitCode::SUCCESS))
}

/// The exit code of a command's outcome; errors are printed with their causes.
fn finish(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("weir: error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

/// True when stdout's reader went away: not a failure of the command.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|error| error.kind() == std::io::ErrorKind::BrokenPipe)
}
