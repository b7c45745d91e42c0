//! `weir yarn-am`: the ApplicationMaster of a per-job cluster (`weir run -m yarn-cluster`), as
//! started by YARN in the AM container.
//!
//! ```text
//!  read the container's environment (CONTAINER_ID, token file with the AMRMToken, …)
//!  register with the RM scheduler (WEIR_YARN_SCHEDULER_ADDRESS)
//!  run the job on its own thread, in local mode ─┐      heartbeat (allocate) every
//!                                                │      yarn.heartbeat.interval meanwhile
//!  job ends ◄────────────────────────────────────┘
//!  unregister: SUCCEEDED with the job's summary, or FAILED with the error
//!  delete the application's staging folder (WEIR_YARN_STAGING_DIR)
//! ```
//!
//! The job's own output (its summary, printed results) goes to stdout, which the launch command
//! redirects to `<LOG_DIR>/jobmanager.out`. The process exits 0 once unregistered, so the
//! application's final status is the one reported here; it exits 1 when it could not
//! unregister, and 143 without unregistering after SIGTERM (YARN stopping the container: a
//! kill, the memory check, preemption), so YARN's own diagnostics and attempt retries apply.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use weir::api::ExecutionEnvironment;
use weir::api::execution_environment::{ReportOptions, was_interrupted};
use weir::config::options::{YARN_CONTAINER_REQUEST_HEARTBEAT_INTERVAL, YARN_HEARTBEAT_INTERVAL};
use weir::config::{ConfigOverrides, Configuration};
use weir::jobs::{JobOutcome, find_job};
use weir_yarn::am::{
    AllocatedContainer, AmConfig, AmHandler, AmOutcome, ApplicationMaster, CompletedContainer,
    ContainerEnvironment, ContainerLaunchDecision,
};
use weir_yarn::client::FinalApplicationStatus;

use crate::cli::yarn_cluster_run::{STAGING_DIR_ENV, StagingDir};

/// Exit code after SIGTERM (128 + 15), as YARN reports a terminated container.
const EXIT_TERMINATED: u8 = 143;

/// What the AM container was asked to run.
#[derive(Debug)]
pub struct AmRequest {
    pub overrides: ConfigOverrides,
    pub parallelism: Option<u32>,
    pub job: String,
    pub arguments: Vec<String>,
}

/// How the job ended, as the AM reports it to YARN.
struct JobEnd {
    status: FinalApplicationStatus,
    diagnostics: String,
}

pub fn run(request: AmRequest) -> anyhow::Result<ExitCode> {
    let environment = ContainerEnvironment::from_env()?;
    let config = Configuration::load(&request.overrides)?;
    let mut am_config = AmConfig::from_environment(&environment);
    am_config.heartbeat_interval = config.get(&YARN_HEARTBEAT_INTERVAL);
    am_config.container_request_heartbeat_interval =
        config.get(&YARN_CONTAINER_REQUEST_HEARTBEAT_INTERVAL);
    let log_dir = environment.log_dirs.first().cloned();
    let user = environment
        .hadoop_user_name
        .clone()
        .unwrap_or_else(|| environment.user.clone());
    let staging = std::env::var(STAGING_DIR_ENV)
        .ok()
        .map(|uri| StagingDir { uri, user });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async move {
        let master = ApplicationMaster::register(am_config)
            .await
            .context("cannot register the ApplicationMaster with the ResourceManager")?;
        println!(
            "weir yarn-am: registered {}; running job {}",
            master.attempt_id(),
            request.job
        );
        let handle = master.handle();
        // The heartbeat loop runs until the handle finishes it.
        let heartbeats = tokio::spawn(master.run(JobInContainer));

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let job_thread = std::thread::Builder::new()
            .name("job".to_owned())
            .spawn(move || {
                let end = run_job(&request, config);
                let _ = sender.send(end);
            })
            .context("cannot start the job thread")?;
        let end = receiver.await.unwrap_or_else(|_| JobEnd {
            status: FinalApplicationStatus::Failed,
            diagnostics: "the job thread ended without a result (it panicked)".to_owned(),
        });
        let _ = job_thread.join();
        if end.status == FinalApplicationStatus::Killed {
            // SIGTERM comes from YARN (a kill, the memory check, preemption): the RM reports
            // the container's exit with its own diagnostics, and may start another attempt,
            // which needs the staging folder. Unregistering here would hide both.
            println!("weir yarn-am: stopped by a signal; exiting without unregistering");
            // Stop the heartbeat loop before the handle goes: a loop that outlives every handle
            // unregisters as FAILED.
            heartbeats.abort();
            let _ = heartbeats.await;
            drop(handle);
            return Ok(None);
        }
        let diagnostics = match (&log_dir, end.status) {
            (Some(dir), FinalApplicationStatus::Failed) => format!(
                "{} (ApplicationMaster logs: {}/jobmanager.out and jobmanager.err)",
                end.diagnostics,
                dir.display()
            ),
            _ => end.diagnostics,
        };
        println!(
            "weir yarn-am: unregistering with final status {}",
            end.status.name()
        );
        // If the loop already ended (RM shutdown order, heartbeat failure), `finish` fails and
        // the loop's own outcome says why.
        let _ = handle.finish(end.status, diagnostics);
        let outcome = heartbeats
            .await
            .context("the ApplicationMaster's heartbeat loop panicked")?;
        if let Some(staging) = staging {
            staging.delete("weir yarn-am").await;
        }
        anyhow::Ok(Some(outcome?))
    })?;
    match outcome {
        None => return Ok(ExitCode::from(EXIT_TERMINATED)),
        Some(AmOutcome::ShutdownRequested { reason }) => anyhow::bail!(
            "the ResourceManager ordered this attempt to stop before it unregistered: {reason}"
        ),
        Some(AmOutcome::Unregistered { .. }) => {}
    }
    // Give the log lines a moment to reach the files before YARN collects the container.
    std::thread::sleep(Duration::from_millis(10));
    Ok(ExitCode::SUCCESS)
}

/// The job runs inside this container: it asks for no containers, so any that arrive are
/// released.
struct JobInContainer;

impl AmHandler for JobInContainer {
    fn on_containers_allocated(
        &mut self,
        containers: Vec<AllocatedContainer>,
    ) -> Vec<ContainerLaunchDecision> {
        containers
            .into_iter()
            .map(|container| ContainerLaunchDecision::Release {
                container_id: container.container_id,
            })
            .collect()
    }

    fn on_containers_completed(&mut self, _containers: Vec<CompletedContainer>) {}
}

/// Runs the job in local mode on this thread.
fn run_job(request: &AmRequest, config: Configuration) -> JobEnd {
    let failed = |diagnostics: String| JobEnd {
        status: FinalApplicationStatus::Failed,
        diagnostics,
    };
    let job = match find_job(&request.job) {
        Ok(job) => job,
        Err(error) => return failed(error.to_string()),
    };
    let env = ExecutionEnvironment::new(config);
    if let Some(parallelism) = request.parallelism {
        env.set_parallelism(parallelism as usize);
    }
    env.set_report_options(ReportOptions {
        report: true,
        metrics_json: None,
    });
    let outcome = job.run(&env, &request.arguments);
    let summary = env
        .job_results()
        .iter()
        .flat_map(|result| result.summary_lines())
        .collect::<Vec<_>>()
        .join("; ");
    match outcome {
        Ok(JobOutcome::Succeeded) => JobEnd {
            status: FinalApplicationStatus::Succeeded,
            diagnostics: format!("Job {} succeeded. {summary}", request.job),
        },
        Ok(JobOutcome::CheckFailed) => failed(format!(
            "Job {} ran, but its check failed (see jobmanager.out). {summary}",
            request.job
        )),
        Err(_) if was_interrupted() => JobEnd {
            status: FinalApplicationStatus::Killed,
            diagnostics: format!(
                "Job {} canceled (the container was asked to stop); no output was committed",
                request.job
            ),
        },
        Err(error) => failed(format!("Job {} failed: {error}", request.job)),
    }
}
