//! `weir run -m yarn-cluster`: a per-job cluster on YARN. The job runs inside the
//! ApplicationMaster's container, in local mode with the memory plan of
//! `taskmanager.memory.process.size`; the application ends with the job.
//!
//! ```text
//!  client (this process)                     YARN
//!  ─────────────────────                     ────
//!  getNewApplication ───────────────────────► RM: application id, largest container
//!  stage: weir binary (once per content), conf/weir-conf.yaml (the set values), ship files
//!  submitApplication(AM = ./weir yarn-am -c JOB args) ──► RM starts the AM container on an NM
//!  poll getApplicationReport every 250 ms:  ACCEPTED → RUNNING → FINISHED (final status)
//!  print the final status and diagnostics (the job's summary, or why it failed)
//! ```
//!
//! `-d` returns after the submission with the application id. Ctrl-C while following kills
//! the application. The client exits 0 only for FINISHED with final status SUCCEEDED; the AM
//! deletes the application's staging folder when it unregisters, the client does when the
//! application ends otherwise (killed, failed before the job ran).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use weir::MemoryPlan;
use weir::config::Configuration;
use weir::config::options::{
    JOB_MANAGER_PROCESS_SIZE, PROCESS_SIZE, YARN_APPLICATION_ATTEMPTS, YARN_APPLICATION_NAME,
    YARN_APPLICATION_QUEUE, YARN_APPLICATION_TYPE, YARN_APPMASTER_VCORES, YARN_SHIP_FILES,
    YARN_STAGING_DIRECTORY,
};
use weir::jobs::find_job;
use weir_memory::ByteSize;
use weir_yarn::am::WEIR_YARN_SCHEDULER_ADDRESS;
use weir_yarn::client::{
    ApplicationReport, FinalApplicationStatus, YarnApplicationState, YarnClient,
};
use weir_yarn::ids::ApplicationId;
use weir_yarn::proto::yarn_records::{
    ApplicationSubmissionContextProto, ContainerLaunchContextProto, ResourceProto,
    StringLocalResourceMapProto, StringStringMapProto,
};
use weir_yarn::staging::{Stager, file_system_for};

use crate::cli::run_command::RunRequest;
use crate::cli::yarn_settings::{YarnSettings, runtime};

/// The application's staging folder, which the ApplicationMaster deletes when it unregisters.
pub const STAGING_DIR_ENV: &str = "WEIR_YARN_STAGING_DIR";

/// The `-y…` options of `weir run`.
#[derive(Debug, Default)]
pub struct YarnOptions {
    pub jobmanager_memory: Option<String>,
    pub name: Option<String>,
    pub queue: Option<String>,
    pub detached: bool,
}

impl YarnOptions {
    pub fn is_empty(&self) -> bool {
        self.jobmanager_memory.is_none()
            && self.name.is_none()
            && self.queue.is_none()
            && !self.detached
    }
}

/// How often the client asks for the application's report (Flink's interval).
const REPORT_INTERVAL: Duration = Duration::from_millis(250);

pub fn run(request: RunRequest, yarn: YarnOptions) -> anyhow::Result<ExitCode> {
    let Some(job_name) = request.job.clone() else {
        bail!(
            "-m yarn-cluster runs a built-in job (-c JOB, see `weir examples`); job programs are \
             not shipped to YARN yet"
        );
    };
    find_job(&job_name)?;
    if request.metrics_json.is_some() {
        bail!(
            "--metrics-json is not available with -m yarn-cluster: the job runs in the \
             ApplicationMaster's container; its summary is in the application's diagnostics and \
             in the container's jobmanager.out"
        );
    }
    let mut overrides = request.overrides.clone();
    let properties = &mut overrides.dynamic_properties;
    if request.overwrite {
        properties.push("fs.overwrite-files=true".to_owned());
    }
    if let Some(parallelism) = request.parallelism {
        properties.push(format!("parallelism.default={parallelism}"));
    }
    if let Some(memory) = &yarn.jobmanager_memory {
        // Flink reads a bare number as MiB.
        let memory = if memory.chars().all(|c| c.is_ascii_digit()) {
            format!("{memory}m")
        } else {
            memory.clone()
        };
        properties.push(format!("{}={memory}", JOB_MANAGER_PROCESS_SIZE.key));
    }
    if let Some(name) = &yarn.name {
        properties.push(format!("{}={name}", YARN_APPLICATION_NAME.key));
    }
    if let Some(queue) = &yarn.queue {
        properties.push(format!("{}={queue}", YARN_APPLICATION_QUEUE.key));
    }
    let config = Configuration::load(&overrides)?;
    let settings = YarnSettings::from_config(&config)?;
    let submission = Submission::plan(&config, &job_name, &request.arguments)?;

    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&interrupted))
            .context("cannot install the signal handler")?;
    }
    runtime()?.block_on(async {
        let client = settings.client();
        let (application_id, staging_dir) = submission.submit(&client, &settings, &config).await?;
        if yarn.detached {
            println!("{application_id}");
            eprintln!(
                "weir: submitted {application_id} (detached); follow it with `weir yarn status \
                 {application_id}`, stop it with `weir yarn kill {application_id}`"
            );
            return Ok(ExitCode::SUCCESS);
        }
        let staging = StagingDir {
            uri: staging_dir,
            user: settings.user.clone(),
        };
        follow(&client, application_id, &interrupted, &staging).await
    })
}

/// What will be submitted, decided before anything touches the cluster.
struct Submission {
    job_name: String,
    command: String,
    container_mb: i64,
    vcores: i32,
    name: String,
    queue: Option<String>,
    application_type: String,
    attempts: i32,
    ship_files: Vec<PathBuf>,
    staging_root: Option<String>,
}

impl Submission {
    fn plan(config: &Configuration, job_name: &str, arguments: &[String]) -> anyhow::Result<Self> {
        // The job's memory plan is checked here, before anything reaches the cluster.
        MemoryPlan::from_config(config)?;
        let process = config.get(&PROCESS_SIZE);
        let container = config.get(&JOB_MANAGER_PROCESS_SIZE).unwrap_or(process);
        if container < process {
            eprintln!(
                "weir: warning: the ApplicationMaster container ({} = {container}) is smaller \
                 than the job's memory plan ({} = {process}); YARN may kill it for memory",
                JOB_MANAGER_PROCESS_SIZE.key, PROCESS_SIZE.key
            );
        }
        let mut command = format!("./weir yarn-am -c {}", shell_quote(job_name)?);
        for argument in arguments {
            command.push(' ');
            command.push_str(&shell_quote(argument)?);
        }
        command.push_str(" 1><LOG_DIR>/jobmanager.out 2><LOG_DIR>/jobmanager.err");
        let ship_files = config
            .get(&YARN_SHIP_FILES)
            .map(|files| {
                files
                    .split(';')
                    .map(str::trim)
                    .filter(|file| !file.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Submission {
            job_name: job_name.to_owned(),
            command,
            container_mb: mebibytes_rounded_up(container),
            vcores: i32::try_from(config.get(&YARN_APPMASTER_VCORES)).unwrap_or(i32::MAX),
            name: config
                .get(&YARN_APPLICATION_NAME)
                .unwrap_or_else(|| format!("Weir per-job cluster: {job_name}")),
            queue: config.get(&YARN_APPLICATION_QUEUE),
            application_type: config.get(&YARN_APPLICATION_TYPE),
            attempts: i32::try_from(config.get(&YARN_APPLICATION_ATTEMPTS)).unwrap_or(1),
            ship_files,
            staging_root: config.get(&YARN_STAGING_DIRECTORY),
        })
    }

    /// Stages the files and submits the application; returns its id and staging folder.
    async fn submit(
        &self,
        client: &YarnClient,
        settings: &YarnSettings,
        config: &Configuration,
    ) -> anyhow::Result<(ApplicationId, String)> {
        let application = client.new_application().await?;
        let id = application.application_id;
        let largest_mb = application.maximum_capability.memory.unwrap_or(i64::MAX);
        if self.container_mb > largest_mb {
            bail!(
                "the ApplicationMaster container needs {} MiB ({} or {}), more than the largest \
                 container YARN allows ({largest_mb} MiB, yarn.scheduler.maximum-allocation-mb)",
                self.container_mb,
                JOB_MANAGER_PROCESS_SIZE.key,
                PROCESS_SIZE.key
            );
        }
        let stager = Stager::open(
            self.staging_root.as_deref(),
            &settings.hadoop_conf.default_fs(),
            &settings.user,
            id,
        )?;
        let staging_dir = stager.application_dir().to_string();
        match self
            .stage_and_submit(client, settings, config, &stager, id)
            .await
        {
            Ok(()) => Ok((id, staging_dir)),
            Err(error) => {
                // Nothing runs that would clean up after us.
                if let Err(cleanup) = stager.cleanup().await {
                    eprintln!("weir: warning: cannot delete {staging_dir}: {cleanup}");
                }
                Err(error)
            }
        }
    }

    async fn stage_and_submit(
        &self,
        client: &YarnClient,
        settings: &YarnSettings,
        config: &Configuration,
        stager: &Stager,
        id: ApplicationId,
    ) -> anyhow::Result<()> {
        let binary = std::env::current_exe().context("cannot find the weir binary to ship")?;
        let mut resources = vec![("weir".to_owned(), stager.upload_binary(&binary).await?)];
        let conf_file =
            tempfile::NamedTempFile::new().context("cannot write the configuration to ship")?;
        std::fs::write(conf_file.path(), config.to_yaml())
            .context("cannot write the configuration to ship")?;
        resources.push((
            "conf/weir-conf.yaml".to_owned(),
            stager
                .upload_file(conf_file.path(), "conf/weir-conf.yaml")
                .await?,
        ));
        resources.extend(stager.ship_files(&self.ship_files).await?);

        let environment = [
            ("HADOOP_USER_NAME", settings.user.clone()),
            (
                WEIR_YARN_SCHEDULER_ADDRESS,
                settings.scheduler_addresses.join(","),
            ),
            (STAGING_DIR_ENV, stager.application_dir().to_string()),
            ("WEIR_CONF_DIR", "{{PWD}}/conf".to_owned()),
            // glibc's per-thread arenas inflate virtual memory (YARN's vmem check).
            ("MALLOC_ARENA_MAX", "2".to_owned()),
        ];
        let context = ApplicationSubmissionContextProto {
            application_id: Some(id.to_proto()),
            application_name: Some(self.name.clone()),
            queue: self.queue.clone(),
            am_container_spec: Some(ContainerLaunchContextProto {
                local_resources: resources
                    .into_iter()
                    .map(|(key, value)| StringLocalResourceMapProto {
                        key: Some(key),
                        value: Some(value),
                    })
                    .collect(),
                environment: environment
                    .into_iter()
                    .map(|(key, value)| StringStringMapProto {
                        key: Some(key.to_owned()),
                        value: Some(value),
                    })
                    .collect(),
                command: vec![self.command.clone()],
                ..ContainerLaunchContextProto::default()
            }),
            max_app_attempts: Some(self.attempts),
            resource: Some(ResourceProto {
                memory: Some(self.container_mb),
                virtual_cores: Some(self.vcores),
                ..ResourceProto::default()
            }),
            application_type: Some(self.application_type.clone()),
            ..ApplicationSubmissionContextProto::default()
        };
        client.submit_application(context).await?;
        eprintln!(
            "weir: submitted {id} ({}, job {}, AM container {} MiB)",
            self.name, self.job_name, self.container_mb
        );
        Ok(())
    }
}

/// Prints the application's state changes until it ends; the exit code says how it ended.
async fn follow(
    client: &YarnClient,
    id: ApplicationId,
    interrupted: &AtomicBool,
    staging: &StagingDir,
) -> anyhow::Result<ExitCode> {
    let mut last_state = None;
    let report = loop {
        if interrupted.load(Ordering::Relaxed) {
            eprintln!("weir: interrupted; killing {id}");
            client
                .kill_application(id, "Killed by the submitting client (interrupted)")
                .await?;
            staging.delete("weir").await;
            return Ok(ExitCode::from(130));
        }
        let report = client.application_report(id).await?;
        if last_state != Some(report.state) {
            last_state = Some(report.state);
            match report.state {
                YarnApplicationState::Accepted => eprintln!(
                    "weir: {id} is ACCEPTED (waiting for the ApplicationMaster container)"
                ),
                YarnApplicationState::Running => eprintln!(
                    "weir: {id} is RUNNING on {} (tracking URL: {})",
                    report.host.as_deref().unwrap_or("N/A"),
                    report.tracking_url.as_deref().unwrap_or("N/A")
                ),
                state => eprintln!("weir: {id} is {}", state.name()),
            }
        }
        if report.state.is_terminal() {
            break report;
        }
        tokio::time::sleep(REPORT_INTERVAL).await;
    };
    finish(report, staging).await
}

async fn finish(report: ApplicationReport, staging: &StagingDir) -> anyhow::Result<ExitCode> {
    let succeeded = report.state == YarnApplicationState::Finished
        && report.final_status == FinalApplicationStatus::Succeeded;
    eprintln!(
        "weir: {} ended: {} with final status {}",
        report.application_id,
        report.state.name(),
        report.final_status.name()
    );
    if !report.diagnostics.is_empty() && report.diagnostics != "N/A" {
        eprintln!("weir: diagnostics: {}", report.diagnostics);
    }
    if succeeded {
        return Ok(ExitCode::SUCCESS);
    }
    // The AM deletes the staging dir when it unregisters; after a kill or a failed AM nobody
    // else will.
    staging.delete("weir").await;
    bail!(
        "application {} {}: {}. The ApplicationMaster's logs (jobmanager.out, jobmanager.err) \
         are in its container's log directory (`yarn logs -applicationId {}` on a Hadoop \
         cluster; under the work dir of `weir mini-yarn`)",
        report.application_id,
        report.final_status.name(),
        report.diagnostics,
        report.application_id
    )
}

/// An application's staging folder: the AM deletes it when it unregisters, the client when the
/// application ended otherwise (killed, an AM that never ran its job).
#[derive(Debug)]
pub struct StagingDir {
    pub uri: String,
    pub user: String,
}

impl StagingDir {
    /// Deletes the folder (it may be gone already); a failure is a warning of `who`, since the
    /// application's outcome does not depend on it.
    pub async fn delete(&self, who: &str) {
        let deleted = async {
            let fs = file_system_for(&self.uri, &self.user)?;
            fs.delete(&self.uri, true).await
        };
        if let Err(error) = deleted.await {
            eprintln!(
                "{who}: warning: cannot delete the staging folder {}: {error}",
                self.uri
            );
        }
    }
}

/// `text` as one word for bash inside YARN's `bash -c "…"`: single-quoted, `'` as `'\''`.
/// YARN puts the command in double quotes without escaping, so a `"` cannot be passed.
fn shell_quote(text: &str) -> anyhow::Result<String> {
    if text.contains('"') {
        bail!("the argument {text:?} contains '\"', which YARN cannot pass to a container command");
    }
    Ok(format!("'{}'", text.replace('\'', r"'\''")))
}

fn mebibytes_rounded_up(size: ByteSize) -> i64 {
    i64::try_from(size.bytes().div_ceil(1024 * 1024)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_for_bash() {
        assert_eq!(shell_quote("a b").unwrap(), "'a b'");
        assert_eq!(shell_quote("it's").unwrap(), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME `x`").unwrap(), "'$HOME `x`'");
        assert!(shell_quote("say \"hi\"").is_err());
    }

    #[test]
    fn the_container_is_sized_from_the_process_size_unless_set() {
        let config =
            Configuration::from_pairs([("taskmanager.memory.process.size", "1g")]).unwrap();
        // A memory plan that cannot work is refused before submission.
        let too_small =
            Configuration::from_pairs([("taskmanager.memory.process.size", "256m")]).unwrap();
        assert!(Submission::plan(&too_small, "WordCount", &[]).is_err());
        let submission =
            Submission::plan(&config, "WordCount", &["--input".into(), "/x y".into()]).unwrap();
        assert_eq!(submission.container_mb, 1024);
        assert_eq!(
            submission.command,
            "./weir yarn-am -c 'WordCount' '--input' '/x y' 1><LOG_DIR>/jobmanager.out 2><LOG_DIR>/jobmanager.err"
        );
        assert_eq!(submission.name, "Weir per-job cluster: WordCount");
        let config = Configuration::from_pairs([
            ("jobmanager.memory.process.size", "1536m"),
            ("yarn.ship-files", "a;b ; ;c"),
        ])
        .unwrap();
        let submission = Submission::plan(&config, "WordCount", &[]).unwrap();
        assert_eq!(submission.container_mb, 1536);
        assert_eq!(
            submission.ship_files,
            [PathBuf::from("a"), PathBuf::from("b"), PathBuf::from("c")]
        );
    }
}
