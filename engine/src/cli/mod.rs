//! Command-line parsing and the subcommands of `weir`.
//!
//! Global options apply to every subcommand and may come before or after it:
//!
//! ```text
//! weir [--conf FILE] [-D key=value]... <config | memory-plan>
//! ```
//!
//! Exit codes: 0 on success, 1 when the configuration or the command fails (every problem is
//! printed to stderr), 2 for a command line clap rejects. Output goes through one locked,
//! buffered stdout; a reader that stops early (`weir config | head`) ends the command quietly
//! with 0 instead of a panic.

mod config_command;
mod memory_plan_command;

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
struct ConfigArgs {
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
        let mut dynamic_properties = self.dynamic_properties;
        dynamic_properties.extend(later.dynamic_properties);
        ConfigOverrides {
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
}

/// Parses the command line, runs the command and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
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
    };
    // Flush what was written also when the command failed (`weir config` prints its table
    // before a memory plan conflict).
    let flushed = out.flush();
    let outcome = outcome.and_then(|()| flushed.map_err(anyhow::Error::from));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
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
