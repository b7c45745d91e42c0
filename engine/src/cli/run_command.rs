//! `weir run`: runs a built-in job (`-c <JOB>`) in this process, or a user's job program (a
//! binary linking `weir`) as a child process with the same configuration.
//!
//! ```text
//! weir run [-p N] [-D key=value]... [--conf FILE] [--overwrite] [--metrics-json FILE] -c <JOB> [job args]
//! weir run [same options] <PROGRAM> [program args]
//! ```
//!
//! A program learns the configuration through the environment (`WEIR_CONF_FILE`,
//! `WEIR_DYNAMIC_PROPERTIES`, `WEIR_PARALLELISM`, `WEIR_REPORT`, `WEIR_METRICS_JSON`), which
//! `ExecutionEnvironment::get_execution_environment` reads. Exit codes: 0 success, 1 failure (or
//! a failed check such as TeraValidate's), 130 after Ctrl-C; a program's own exit code is passed
//! on. SIGUSR1 takes a savepoint of the running streaming job into `state.savepoints.dir`
//! (`--savepoint-dir`) while it goes on; for a program, `weir run` passes the signal on.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use weir::api::ExecutionEnvironment;
use weir::api::execution_environment::{ReportOptions, savepoint_requested, was_interrupted};
use weir::config::{ConfigOverrides, Configuration};
use weir::jobs::{JobOutcome, find_job};

/// What `weir run` was asked to do.
#[derive(Debug)]
pub struct RunRequest {
    pub overrides: ConfigOverrides,
    pub parallelism: Option<u32>,
    pub overwrite: bool,
    pub metrics_json: Option<PathBuf>,
    pub job: Option<String>,
    pub arguments: Vec<String>,
}

/// Exit code after Ctrl-C (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;

/// How often `weir run` looks whether its job program ended or a SIGUSR1 is to be passed on.
const PROGRAM_POLL_INTERVAL: Duration = Duration::from_millis(20);

pub fn run(mut request: RunRequest) -> anyhow::Result<ExitCode> {
    if request.overwrite {
        request
            .overrides
            .dynamic_properties
            .push("fs.overwrite-files=true".to_owned());
    }
    match request.job.take() {
        Some(job) => run_built_in(&job, request),
        None => run_program(request),
    }
}

fn run_built_in(name: &str, request: RunRequest) -> anyhow::Result<ExitCode> {
    let job = find_job(name)?;
    // Installed before the job starts, so a SIGUSR1 never ends the process.
    savepoint_requested();
    let config = Configuration::load(&request.overrides)?;
    let env = ExecutionEnvironment::new(config);
    if let Some(parallelism) = request.parallelism {
        env.set_parallelism(parallelism as usize);
    }
    env.set_report_options(ReportOptions {
        report: true,
        metrics_json: request.metrics_json,
    });
    match job.run(&env, &request.arguments) {
        Ok(JobOutcome::Succeeded) => Ok(ExitCode::SUCCESS),
        Ok(JobOutcome::CheckFailed) => Ok(ExitCode::FAILURE),
        Err(_) if was_interrupted() => {
            eprintln!("weir: job {name} canceled (Ctrl-C); no output was committed");
            Ok(ExitCode::from(EXIT_INTERRUPTED))
        }
        Err(error) => Err(anyhow::Error::new(error).context(format!("job {name} failed"))),
    }
}

fn run_program(request: RunRequest) -> anyhow::Result<ExitCode> {
    let Some((program, arguments)) = request.arguments.split_first() else {
        anyhow::bail!(
            "weir run needs -c <JOB> or the path of a job program (`weir examples` lists the built-in jobs)"
        );
    };
    let path = PathBuf::from(program);
    if !path.is_file() {
        anyhow::bail!(
            "job program {} does not exist (build it first, e.g. cargo build --release -p weir --example word_count_program)",
            path.display()
        );
    }
    // Checks the configuration before starting the program, so mistakes show at once.
    Configuration::load(&request.overrides)?;
    let mut command = std::process::Command::new(&path);
    command.args(arguments).env("WEIR_REPORT", "1");
    if let Some(conf) = &request.overrides.conf_file {
        command.env("WEIR_CONF_FILE", conf);
    }
    command.env(
        "WEIR_DYNAMIC_PROPERTIES",
        request.overrides.dynamic_properties.join("\n"),
    );
    if let Some(parallelism) = request.parallelism {
        command.env("WEIR_PARALLELISM", parallelism.to_string());
    }
    if let Some(metrics) = &request.metrics_json {
        command.env("WEIR_METRICS_JSON", metrics);
    }
    // Ctrl-C reaches the program too (same process group); this process only waits for it.
    let interrupted = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, interrupted);
    // SIGUSR1 (take a savepoint) is sent to this process's pid: passed on to the program.
    let savepoint_requested = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(
        signal_hook::consts::SIGUSR1,
        Arc::clone(&savepoint_requested),
    )
    .context("cannot install the SIGUSR1 handler")?;
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start job program {}", path.display()))?;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .context("cannot wait for the job program")?
        {
            break status;
        }
        if savepoint_requested.swap(false, Ordering::SeqCst) {
            let pid = i32::try_from(child.id())
                .ok()
                .and_then(rustix::process::Pid::from_raw);
            if let Some(pid) = pid {
                // The program may have just ended; try_wait reports that next.
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::USR1);
            }
        }
        std::thread::sleep(PROGRAM_POLL_INTERVAL);
    };
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::from(EXIT_INTERRUPTED),
    })
}
