//! `weir-yarn-shell`: Weir's counterpart of Hadoop's DistributedShell. It tries a YARN cluster
//! end to end and exercises the ApplicationMaster shim:
//!
//! ```text
//!  weir-yarn-shell submit --shell-command CMD -n N          (on the client)
//!     getNewApplication → stage this executable (staging dir, file:// or hdfs://)
//!     submitApplication(AM = "./weir-yarn-shell am", env: WEIR_YARN_SCHEDULER_ADDRESS, …)
//!     poll the report, print each state change, then the final status and diagnostics
//!     exit 0 only on FINISHED/SUCCEEDED; Ctrl-C kills the application
//!
//!  weir-yarn-shell am                                        (in the AM container)
//!     ContainerEnvironment → register → request N containers of the given size
//!     run "( CMD ) 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr" in each
//!     all completed → unregister SUCCEEDED if every exit status was 0,
//!                     else FAILED listing each failed container's exit status and diagnostics
//! ```
//!
//! The shell command travels to the AM base64-encoded in its environment (launch scripts put
//! environment values inside double quotes, where `$` and backticks would expand). The command
//! run in the worker containers is part of their launch command, which YARN also wraps in
//! double quotes: like DistributedShell, `$VAR` is expanded by the container's shell, and a
//! command containing `"` is refused at submission.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use clap::{Args, Parser, Subcommand};

use weir_yarn::am::{
    AllocatedContainer, AmConfig, AmHandle, AmHandler, AmOutcome, ApplicationMaster,
    CompletedContainer, ContainerEnvironment, ContainerLaunchDecision, ContainerSpec,
    WEIR_YARN_SCHEDULER_ADDRESS, describe_exit_status,
};
use weir_yarn::client::{
    ApplicationReport, FinalApplicationStatus, YarnClient, YarnClientConfig, current_user,
};
use weir_yarn::error::YarnError;
use weir_yarn::hadoop_conf::HadoopConf;
use weir_yarn::ids::ContainerId;
use weir_yarn::proto::yarn_records::{
    ApplicationSubmissionContextProto, ContainerLaunchContextProto, ResourceProto,
    StringLocalResourceMapProto, StringStringMapProto,
};
use weir_yarn::staging::Stager;

/// The application type the shell submits as.
const APPLICATION_TYPE: &str = "WEIR-SHELL";
/// The link name of the staged executable in the AM container.
const EXECUTABLE_LINK: &str = "weir-yarn-shell";

const ENV_COMMAND: &str = "WEIR_SHELL_COMMAND_BASE64";
const ENV_NUM_CONTAINERS: &str = "WEIR_SHELL_NUM_CONTAINERS";
const ENV_CONTAINER_MEMORY_MB: &str = "WEIR_SHELL_CONTAINER_MEMORY_MB";
const ENV_CONTAINER_VCORES: &str = "WEIR_SHELL_CONTAINER_VCORES";
const ENV_HEARTBEAT_MS: &str = "WEIR_SHELL_HEARTBEAT_MS";

#[derive(Debug, Parser)]
#[command(
    name = "weir-yarn-shell",
    about = "Run a shell command in YARN containers (Weir's DistributedShell)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Submit an application that runs the command in N containers and follow it to the end.
    Submit(SubmitArgs),
    /// The ApplicationMaster (what the AM container runs; configured through its environment).
    Am(AmArgs),
}

#[derive(Debug, Args)]
struct SubmitArgs {
    /// The command to run in every container (through bash; no `"` characters).
    #[arg(long)]
    shell_command: String,
    /// How many containers run the command.
    #[arg(long, short = 'n', default_value_t = 1)]
    num_containers: u32,
    /// Memory of each worker container in MiB.
    #[arg(long, default_value_t = 256)]
    container_memory: i64,
    /// Virtual cores of each worker container.
    #[arg(long, default_value_t = 1)]
    container_vcores: i32,
    /// Memory of the ApplicationMaster container in MiB.
    #[arg(long, default_value_t = 256)]
    master_memory: i64,
    /// YARN queue.
    #[arg(long)]
    queue: Option<String>,
    /// Application name.
    #[arg(long, default_value = "weir-yarn-shell")]
    name: String,
    /// Staging directory (`file:///tmp/staging`, `hdfs://nn:8020/user/me`; a bare path is on
    /// fs.defaultFS); default: the user's home directory on fs.defaultFS.
    #[arg(long)]
    staging_dir: Option<String>,
    /// ResourceManager client address(es) host:port; default: yarn-site.xml.
    #[arg(long = "rm-address", value_delimiter = ',')]
    rm_addresses: Vec<String>,
    /// ResourceManager scheduler address(es) host:port the AM registers with; default:
    /// yarn-site.xml.
    #[arg(long = "scheduler-address", value_delimiter = ',')]
    scheduler_addresses: Vec<String>,
    /// The AM's heartbeat interval in ms while no containers are pending.
    #[arg(long, default_value_t = 1000)]
    heartbeat_ms: u64,
}

#[derive(Debug, Args)]
struct AmArgs {
    /// The command, base64 (standard alphabet) of its UTF-8 bytes.
    #[arg(long, env = ENV_COMMAND)]
    shell_command_base64: String,
    #[arg(long, env = ENV_NUM_CONTAINERS)]
    num_containers: u32,
    #[arg(long, env = ENV_CONTAINER_MEMORY_MB)]
    container_memory: i64,
    #[arg(long, env = ENV_CONTAINER_VCORES, default_value_t = 1)]
    container_vcores: i32,
    #[arg(long, env = ENV_HEARTBEAT_MS, default_value_t = 1000)]
    heartbeat_ms: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("weir-yarn-shell: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Submit(args) => {
            init_logging("warn");
            runtime.block_on(submit(args))
        }
        Command::Am(args) => {
            // The AM's stderr (<LOG_DIR>/AppMaster.stderr) is its only diagnostics.
            init_logging("info");
            runtime.block_on(run_application_master(args))
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("weir-yarn-shell: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Library logs to stderr; `RUST_LOG` overrides `default_level`.
fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

// ---------------------------------------------------------------------------------------------
// submit

async fn submit(args: SubmitArgs) -> anyhow::Result<ExitCode> {
    if args.shell_command.contains('"') {
        bail!(
            "the shell command must not contain '\"': YARN puts container commands inside \
             double quotes without escaping"
        );
    }
    if args.num_containers == 0 {
        bail!("--num-containers must be at least 1");
    }
    let conf = if args.rm_addresses.is_empty()
        || args.scheduler_addresses.is_empty()
        || args.staging_dir.is_none()
    {
        Some(HadoopConf::load_default().context("reading the Hadoop configuration")?)
    } else {
        None
    };
    let rm_addresses = match (&conf, args.rm_addresses.is_empty()) {
        (Some(conf), true) => conf.resource_manager_addresses()?,
        _ => args.rm_addresses.clone(),
    };
    let scheduler_addresses = match (&conf, args.scheduler_addresses.is_empty()) {
        (Some(conf), true) => conf.scheduler_addresses()?,
        _ => args.scheduler_addresses.clone(),
    };
    let user = current_user()?;
    let client = YarnClient::new(YarnClientConfig::for_addresses(rm_addresses)?);

    let new_application = client.new_application().await?;
    let application_id = new_application.application_id;
    check_fits(
        "--master-memory",
        args.master_memory,
        1,
        &new_application.maximum_capability,
    )?;
    check_fits(
        "--container-memory",
        args.container_memory,
        args.container_vcores,
        &new_application.maximum_capability,
    )?;
    println!("application {application_id}: created");

    // A staging dir with a scheme needs no default file system; a bare path is on fs.defaultFS.
    let default_fs = match &conf {
        Some(conf) => conf.default_fs(),
        None => "file:///".to_string(),
    };
    let executable = std::env::current_exe().context("locating this executable")?;
    let stager = Stager::open(
        args.staging_dir.as_deref(),
        &default_fs,
        &user,
        application_id,
    )
    .context("opening the staging directory")?;
    let executable_resource = stager
        .upload_binary(&executable)
        .await
        .with_context(|| format!("staging {}", executable.display()))?;

    let environment = [
        ("HADOOP_USER_NAME", user.clone()),
        (WEIR_YARN_SCHEDULER_ADDRESS, scheduler_addresses.join(",")),
        (
            ENV_COMMAND,
            base64::engine::general_purpose::STANDARD.encode(args.shell_command.as_bytes()),
        ),
        (ENV_NUM_CONTAINERS, args.num_containers.to_string()),
        (ENV_CONTAINER_MEMORY_MB, args.container_memory.to_string()),
        (ENV_CONTAINER_VCORES, args.container_vcores.to_string()),
        (ENV_HEARTBEAT_MS, args.heartbeat_ms.to_string()),
    ];
    let am_container_spec = ContainerLaunchContextProto {
        local_resources: vec![StringLocalResourceMapProto {
            key: Some(EXECUTABLE_LINK.to_string()),
            value: Some(executable_resource),
        }],
        environment: environment
            .into_iter()
            .map(|(key, value)| StringStringMapProto {
                key: Some(key.to_string()),
                value: Some(value),
            })
            .collect(),
        command: vec![format!(
            "./{EXECUTABLE_LINK} am 1><LOG_DIR>/AppMaster.stdout 2><LOG_DIR>/AppMaster.stderr"
        )],
        ..Default::default()
    };
    let context = ApplicationSubmissionContextProto {
        application_id: Some(application_id.to_proto()),
        application_name: Some(args.name.clone()),
        queue: args.queue.clone(),
        am_container_spec: Some(am_container_spec),
        max_app_attempts: Some(1),
        resource: Some(ResourceProto {
            memory: Some(args.master_memory),
            virtual_cores: Some(1),
            ..Default::default()
        }),
        application_type: Some(APPLICATION_TYPE.to_string()),
        ..Default::default()
    };
    client.submit_application(context).await?;
    println!(
        "application {application_id}: submitted to {}",
        client.current_address()
    );

    let follow = client.wait_for_state(application_id, |state| state.is_terminal(), print_state);
    let report = tokio::select! {
        report = follow => report,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("application {application_id}: interrupted; killing it");
            client.kill_application(application_id, "killed by weir-yarn-shell (interrupted)").await?;
            let _ = stager.cleanup().await;
            return Ok(ExitCode::from(130));
        }
    };
    if let Err(error) = stager.cleanup().await {
        eprintln!("warning: could not delete the staging files: {error}");
    }
    let report = report?;
    println!(
        "application {application_id}: final state {}, final status {}",
        report.state, report.final_status
    );
    if !report.diagnostics.is_empty() {
        println!("diagnostics: {}", report.diagnostics);
    }
    if report.is_successful() {
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{}", report.am_container_logs_hint());
        Ok(ExitCode::FAILURE)
    }
}

fn print_state(report: &ApplicationReport) {
    let mut line = format!("application {}: {}", report.application_id, report.state);
    if let Some(url) = &report.tracking_url {
        line.push_str(&format!(" (tracking URL {url})"));
    }
    println!("{line}");
}

fn check_fits(
    option: &str,
    memory_mb: i64,
    vcores: i32,
    maximum: &ResourceProto,
) -> anyhow::Result<()> {
    let maximum_memory_mb = maximum.memory.unwrap_or(i64::MAX);
    let maximum_vcores = maximum.virtual_cores.unwrap_or(i32::MAX);
    if memory_mb > maximum_memory_mb || vcores > maximum_vcores {
        bail!(
            "{option} {memory_mb} MiB / {vcores} vcores exceeds the cluster's maximum container \
             of {maximum_memory_mb} MiB / {maximum_vcores} vcores"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// am

async fn run_application_master(args: AmArgs) -> anyhow::Result<ExitCode> {
    let command_bytes = base64::engine::general_purpose::STANDARD
        .decode(args.shell_command_base64.trim())
        .with_context(|| format!("{ENV_COMMAND} is not base64"))?;
    let shell_command =
        String::from_utf8(command_bytes).with_context(|| format!("{ENV_COMMAND} is not UTF-8"))?;
    let environment = ContainerEnvironment::from_env()?;
    eprintln!(
        "weir-yarn-shell AM {} on {} registering with {}",
        environment.attempt_id,
        environment.nm_address(),
        environment.scheduler_addresses.join(",")
    );
    let mut config = AmConfig::from_environment(&environment);
    config.heartbeat_interval = Duration::from_millis(args.heartbeat_ms.max(1));
    config.container_request_heartbeat_interval =
        config.heartbeat_interval.min(Duration::from_millis(500));
    let master = ApplicationMaster::register(config).await?;
    let handle = master.handle();
    let spec = ContainerSpec::new(args.container_memory, args.container_vcores);
    if let Err(error) = handle.request_containers(spec, args.num_containers) {
        master
            .finish(FinalApplicationStatus::Failed, &error.to_string())
            .await?;
        return Ok(ExitCode::FAILURE);
    }
    let handler = ShellHandler {
        handle,
        shell_command,
        hadoop_user_name: environment.hadoop_user_name.clone(),
        expected: args.num_containers,
        results: Vec::new(),
    };
    match master.run(handler).await? {
        AmOutcome::Unregistered {
            status,
            diagnostics,
        } => {
            eprintln!("unregistered with {status}: {diagnostics}");
            Ok(ExitCode::SUCCESS)
        }
        AmOutcome::ShutdownRequested { reason } => {
            eprintln!("the ResourceManager ordered a shutdown: {reason}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// One worker container's end.
#[derive(Debug)]
struct ContainerResult {
    container_id: ContainerId,
    exit_status: i32,
    diagnostics: String,
}

/// Launches the command in every allocated container and finishes the AM when all ended.
struct ShellHandler {
    handle: AmHandle,
    shell_command: String,
    hadoop_user_name: Option<String>,
    expected: u32,
    results: Vec<ContainerResult>,
}

impl ShellHandler {
    fn launch_context(&self) -> ContainerLaunchContextProto {
        let environment = self
            .hadoop_user_name
            .iter()
            .map(|user| StringStringMapProto {
                key: Some("HADOOP_USER_NAME".to_string()),
                value: Some(user.clone()),
            })
            .collect();
        ContainerLaunchContextProto {
            environment,
            command: vec![format!(
                "( {} ) 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr",
                self.shell_command
            )],
            ..Default::default()
        }
    }

    fn record(&mut self, result: ContainerResult) {
        eprintln!(
            "container {} ended: {}{}",
            result.container_id,
            describe_exit_status(result.exit_status),
            if result.diagnostics.is_empty() {
                String::new()
            } else {
                format!(" ({})", result.diagnostics.trim())
            }
        );
        self.results.push(result);
        if self.results.len() as u32 >= self.expected {
            self.finish();
        }
    }

    fn finish(&self) {
        let failed: Vec<&ContainerResult> = self
            .results
            .iter()
            .filter(|result| result.exit_status != 0)
            .collect();
        let (status, diagnostics) = if failed.is_empty() {
            (
                FinalApplicationStatus::Succeeded,
                format!("all {} containers exited with status 0", self.results.len()),
            )
        } else {
            let details: Vec<String> = failed
                .iter()
                .map(|result| {
                    let mut line = format!(
                        "container {} exit status {} ({})",
                        result.container_id,
                        result.exit_status,
                        describe_exit_status(result.exit_status)
                    );
                    if !result.diagnostics.trim().is_empty() {
                        line.push_str(&format!(": {}", result.diagnostics.trim()));
                    }
                    line
                })
                .collect();
            (
                FinalApplicationStatus::Failed,
                format!(
                    "{} of {} containers failed: {}",
                    failed.len(),
                    self.results.len(),
                    details.join("; ")
                ),
            )
        };
        if let Err(error) = self.handle.finish(status, diagnostics) {
            eprintln!("cannot finish the application master: {error}");
        }
    }
}

impl AmHandler for ShellHandler {
    fn on_containers_allocated(
        &mut self,
        containers: Vec<AllocatedContainer>,
    ) -> Vec<ContainerLaunchDecision> {
        containers
            .into_iter()
            .map(|container| {
                eprintln!(
                    "container {} allocated on {}",
                    container.container_id, container.node_address
                );
                ContainerLaunchDecision::Launch {
                    container_id: container.container_id,
                    launch_context: self.launch_context(),
                }
            })
            .collect()
    }

    fn on_container_started(&mut self, container_id: ContainerId) {
        eprintln!("container {container_id} started");
    }

    fn on_start_failed(&mut self, container_id: ContainerId, error: &YarnError) {
        self.record(ContainerResult {
            container_id,
            exit_status: weir_yarn::am::container_exit_status::INVALID,
            diagnostics: format!("start failed: {error}"),
        });
    }

    fn on_containers_completed(&mut self, containers: Vec<CompletedContainer>) {
        for container in containers {
            self.record(ContainerResult {
                container_id: container.container_id,
                exit_status: container.exit_status,
                diagnostics: container.diagnostics,
            });
        }
    }

    fn on_shutdown_request(&mut self) {
        eprintln!("shutdown requested by the ResourceManager");
    }

    fn on_error(&mut self, error: &YarnError) {
        eprintln!("fatal: {error}");
    }

    fn progress(&self) -> f32 {
        if self.expected == 0 {
            return 1.0;
        }
        self.results.len() as f32 / self.expected as f32
    }
}
