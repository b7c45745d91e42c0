//! The ApplicationMaster shim the engine plugs into: registration, the heartbeat loop, the
//! container request table, container launches, and unregistration — shaped like Flink's
//! `YarnResourceManagerDriver` over `AMRMClientAsync` + `NMClientAsync`, but in one task.
//!
//! ```text
//!  engine threads ──AmHandle (Send, cheap clone)──► command channel ─┐
//!    request_containers / cancel / stop_container / finish            │
//!                                                                     ▼
//!  ApplicationMaster::run (one tokio task) ────────────────────────────────────────────────
//!   loop:  select { command  → request table / stop (NM stopContainers + release) / finish
//!                   launch or stop result → handler.on_container_started / on_start_failed
//!                   heartbeat timer (5 s idle, 500 ms while requests are pending) }
//!   heartbeat: allocate(asks that changed, releases, progress)
//!      → NMTokens cached; rolled AMRMToken taken (AmRmClient)
//!      → previous attempts' running containers (also at registration) → tracked as launched,
//!        handler.on_containers_recovered
//!      → completed statuses of launched containers → handler.on_containers_completed
//!      → allocated containers matched by priority:
//!            surplus → released at once (next heartbeat is immediate)
//!            wanted  → handler.on_containers_allocated → Launch(CLC) → NmClient, concurrently
//!                                                      → Release     → next allocate
//!      → re-registered after an RM restart → the whole ask table is sent again
//!      → AM_SHUTDOWN / attempt unknown → handler.on_shutdown_request, run ends
//!   finish: unregister (finishApplicationMaster until isUnregistered), run returns
//! ```
//!
//! Usage (the engine's AM entry point):
//!
//! ```text
//!   let environment = ContainerEnvironment::from_env()?;
//!   let mut config = AmConfig::from_environment(&environment);  // + host, rpc_port, tracking_url
//!   let master = ApplicationMaster::register(config).await?;
//!   let handle = master.handle();            // clone into the engine (any thread)
//!   let run = tokio::spawn(master.run(my_handler));
//!   ... handle.request_containers(spec, n) / stop_container(id) ...
//!   handle.finish(FinalApplicationStatus::Succeeded, "job finished")?;
//!   run.await?? → AmOutcome::Unregistered { .. }
//! ```
//!
//! Keep `run` going for as long as the attempt lives, even when no container is needed (a job
//! running inside the AM container): the heartbeat is what keeps the RM from expiring the
//! attempt (`yarn.am.liveness-monitor.expiry-interval-ms`, 10–15 min).
//!
//! Handler callbacks run on the AM task, one at a time; they must return quickly (hand work
//! to other threads). A handler that wants more containers (e.g. replacements after a
//! completion) calls its own clone of the [`AmHandle`]; the request goes out with the next
//! heartbeat. A container the handler neither launches nor releases is released, so an
//! allocation is never left to expire.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::am::container_environment::ContainerEnvironment;
use crate::am::container_request_table::{
    AllocationMatch, Ask, ContainerRequestTable, ContainerSpec,
};
use crate::client::am_rm_client::{
    APPLICATION_ATTEMPT_NOT_FOUND, AllocateOutcome, AmRmClient, AmRmClientConfig, RegisterResponse,
};
use crate::client::application_report::FinalApplicationStatus;
use crate::client::nm_client::{NmClient, node_address};
use crate::error::YarnError;
use crate::ids::{ApplicationAttemptId, ContainerId};
use crate::ipc::RetryPolicy;
use crate::proto::am_protocol::{AllocateRequestProto, AllocateResponseProto};
use crate::proto::yarn_records::{
    ContainerLaunchContextProto, ContainerProto, NodeIdProto, PriorityProto, ResourceProto,
    ResourceRequestProto,
};
use crate::token::Token;

/// `AMCommandProto.AM_RESYNC` (legacy RMs): register again.
const AM_COMMAND_RESYNC: i32 = 1;
/// `AMCommandProto.AM_SHUTDOWN` (legacy RMs): stop.
const AM_COMMAND_SHUTDOWN: i32 = 2;
/// `ResourceRequestProto.resource_name` for "any node".
const ANY_RESOURCE_NAME: &str = "*";

/// A container the RM allocated for an outstanding request.
#[derive(Clone, Debug, PartialEq)]
pub struct AllocatedContainer {
    pub container_id: ContainerId,
    /// The spec of the request it fills (matched by priority).
    pub spec: ContainerSpec,
    /// `host:port` of its NodeManager.
    pub node_address: String,
    /// The NodeManager's web address (`host:8042`).
    pub node_http_address: String,
    /// Its actual size (the scheduler may round the request up).
    pub resource: ResourceProto,
    /// The container as allocated.
    pub raw: ContainerProto,
}

/// What to do with an allocated container.
// Decisions live for one callback; boxing the launch context would only burden the handler.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum ContainerLaunchDecision {
    /// Start it on its NodeManager with this launch context.
    Launch {
        container_id: ContainerId,
        launch_context: ContainerLaunchContextProto,
    },
    /// Give it back to the RM.
    Release { container_id: ContainerId },
}

/// A container that ended, as the RM reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct CompletedContainer {
    pub container_id: ContainerId,
    /// The process's exit code, or one of YARN's negative codes
    /// (see [`crate::am::container_exit_status`]).
    pub exit_status: i32,
    /// YARN's diagnostics (empty when none).
    pub diagnostics: String,
    /// The spec it was allocated for.
    pub spec: ContainerSpec,
}

/// The engine's side of the ApplicationMaster: decisions and notifications. Every method runs
/// on the AM's task; keep them short.
pub trait AmHandler: Send {
    /// New containers for outstanding requests; decide for each: launch or release.
    /// Containers left out of the returned list are released.
    fn on_containers_allocated(
        &mut self,
        containers: Vec<AllocatedContainer>,
    ) -> Vec<ContainerLaunchDecision>;

    /// The NodeManager accepted the launch of `container_id`.
    fn on_container_started(&mut self, container_id: ContainerId) {
        let _ = container_id;
    }

    /// Launching `container_id` failed; it has been released. Request a replacement through
    /// the handle if needed.
    fn on_start_failed(&mut self, container_id: ContainerId, error: &YarnError) {
        let _ = (container_id, error);
    }

    /// Stopping `container_id` through its NodeManager failed (it is released anyway).
    fn on_stop_failed(&mut self, container_id: ContainerId, error: &YarnError) {
        let _ = (container_id, error);
    }

    /// Launched containers ended. The handler decides whether to request replacements.
    fn on_containers_completed(&mut self, containers: Vec<CompletedContainer>);

    /// Containers of earlier attempts that are still running (the application was submitted
    /// with `keep_containers_across_application_attempts`), from the registration or from
    /// late-reporting NodeManagers. They are tracked like launched containers: their
    /// completions are reported and `AmHandle::stop_container` works on them. `spec` is their
    /// actual size.
    fn on_containers_recovered(&mut self, containers: Vec<AllocatedContainer>) {
        let _ = containers;
    }

    /// The RM ordered this attempt to stop (it no longer knows it, or sent AM_SHUTDOWN);
    /// `run` returns [`AmOutcome::ShutdownRequested`] right after.
    fn on_shutdown_request(&mut self) {}

    /// A fatal error ended the heartbeat loop (RM unreachable beyond the retry policy, a
    /// rejected allocate); `run` returns it right after.
    fn on_error(&mut self, error: &YarnError) {
        let _ = error;
    }

    /// The application's progress, 0.0 ..= 1.0, sent with every heartbeat.
    fn progress(&self) -> f32 {
        0.0
    }
}

/// How the ApplicationMaster registers and heartbeats.
#[derive(Clone, Debug)]
pub struct AmConfig {
    pub attempt_id: ApplicationAttemptId,
    pub amrm_token: Token,
    /// `host:port` of the RM scheduler(s).
    pub scheduler_addresses: Vec<String>,
    /// Registered host (clients read it from the report; Weir: the JobManager's host).
    pub host: String,
    /// Registered port (Weir: the JobManager's REST port); -1 for none.
    pub rpc_port: i32,
    /// Registered tracking URL (AM web UI); empty for none.
    pub tracking_url: String,
    /// Heartbeat interval with no requests pending (Flink `yarn.heartbeat.interval`, 5 s).
    pub heartbeat_interval: Duration,
    /// Heartbeat interval while requests are pending (Flink
    /// `yarn.heartbeat.container-request-interval`, 500 ms).
    pub container_request_heartbeat_interval: Duration,
    /// Policy of the RM scheduler connection.
    pub am_rm_retry_policy: RetryPolicy,
    /// Policy of each NodeManager connection.
    pub nm_retry_policy: RetryPolicy,
    /// How long unregistration keeps asking.
    pub unregister_timeout: Duration,
}

impl AmConfig {
    /// Defaults for an AM running in the container described by `environment`: registers its
    /// NodeManager host, no port, no tracking URL.
    pub fn from_environment(environment: &ContainerEnvironment) -> AmConfig {
        AmConfig {
            attempt_id: environment.attempt_id,
            amrm_token: environment.amrm_token.clone(),
            scheduler_addresses: environment.scheduler_addresses.clone(),
            host: environment.nm_host.clone(),
            rpc_port: -1,
            tracking_url: String::new(),
            heartbeat_interval: Duration::from_secs(5),
            container_request_heartbeat_interval: Duration::from_millis(500),
            am_rm_retry_policy: AmRmClientConfig::default_retry_policy(),
            nm_retry_policy: RetryPolicy {
                connect_timeout: Duration::from_secs(5),
                call_timeout: Duration::from_secs(60),
                max_wait: Duration::from_secs(30),
                retry_interval: Duration::from_secs(1),
            },
            unregister_timeout: Duration::from_secs(60),
        }
    }
}

/// How `run` ended.
#[derive(Clone, Debug, PartialEq)]
pub enum AmOutcome {
    /// The AM unregistered with this status.
    Unregistered {
        status: FinalApplicationStatus,
        diagnostics: String,
    },
    /// The RM ordered the attempt to stop; nothing was unregistered.
    ShutdownRequested { reason: String },
}

#[derive(Debug)]
enum AmCommand {
    Request {
        spec: ContainerSpec,
        count: u32,
    },
    Cancel {
        spec: ContainerSpec,
        count: u32,
    },
    Stop {
        container_id: ContainerId,
    },
    Finish {
        status: FinalApplicationStatus,
        diagnostics: String,
        tracking_url: Option<String>,
    },
}

/// The engine's handle on a running ApplicationMaster; cheap to clone, usable from any thread.
#[derive(Clone, Debug)]
pub struct AmHandle {
    commands: mpsc::UnboundedSender<AmCommand>,
    maximum_capability: ContainerSpec,
}

impl AmHandle {
    /// Wants `count` more containers of `spec` (added to what is outstanding for that size).
    /// Fails at once if `spec` exceeds the scheduler's maximum allocation.
    pub fn request_containers(&self, spec: ContainerSpec, count: u32) -> Result<(), YarnError> {
        let maximum = self.maximum_capability;
        if spec.memory_mb > maximum.memory_mb || spec.vcores > maximum.vcores {
            return Err(YarnError::ContainerTooLarge {
                requested_memory_mb: spec.memory_mb,
                requested_vcores: spec.vcores,
                maximum_memory_mb: maximum.memory_mb,
                maximum_vcores: maximum.vcores,
            });
        }
        self.send(AmCommand::Request { spec, count }, "request_containers")
    }

    /// Wants up to `count` fewer containers of `spec` (only those not yet allocated).
    pub fn cancel_container_requests(
        &self,
        spec: ContainerSpec,
        count: u32,
    ) -> Result<(), YarnError> {
        self.send(
            AmCommand::Cancel { spec, count },
            "cancel_container_requests",
        )
    }

    /// Stops a launched container (NodeManager `stopContainers`, and a release to the RM).
    /// Its completion arrives through `on_containers_completed`.
    pub fn stop_container(&self, container_id: ContainerId) -> Result<(), YarnError> {
        self.send(AmCommand::Stop { container_id }, "stop_container")
    }

    /// Ends the heartbeat loop and unregisters with `status` and `diagnostics`.
    pub fn finish(
        &self,
        status: FinalApplicationStatus,
        diagnostics: impl Into<String>,
    ) -> Result<(), YarnError> {
        self.finish_with_tracking_url(status, diagnostics, None)
    }

    /// [`AmHandle::finish`] with a final tracking URL (e.g. a history server).
    pub fn finish_with_tracking_url(
        &self,
        status: FinalApplicationStatus,
        diagnostics: impl Into<String>,
        tracking_url: Option<String>,
    ) -> Result<(), YarnError> {
        let command = AmCommand::Finish {
            status,
            diagnostics: diagnostics.into(),
            tracking_url,
        };
        self.send(command, "finish")
    }

    /// The largest container the scheduler allows.
    pub fn maximum_capability(&self) -> ContainerSpec {
        self.maximum_capability
    }

    fn send(&self, command: AmCommand, operation: &'static str) -> Result<(), YarnError> {
        self.commands
            .send(command)
            .map_err(|_| YarnError::AmStopped { operation })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LaunchState {
    Starting,
    Running,
}

#[derive(Clone, Debug)]
struct LaunchedContainer {
    node_id: NodeIdProto,
    spec: ContainerSpec,
    state: LaunchState,
}

/// What a finished background NodeManager call reports back to the loop.
enum NmCallResult {
    Started(ContainerId, Result<(), YarnError>),
    Stopped(ContainerId, Result<(), YarnError>),
}

/// A registered ApplicationMaster; [`ApplicationMaster::run`] drives it.
pub struct ApplicationMaster {
    config: AmConfig,
    am_rm: AmRmClient,
    nm: Arc<NmClient>,
    registration: RegisterResponse,
    commands_tx: Option<mpsc::UnboundedSender<AmCommand>>,
    commands_rx: mpsc::UnboundedReceiver<AmCommand>,
    table: ContainerRequestTable,
    pending_releases: Vec<ContainerId>,
    /// Containers released without the handler ever launching them (surplus, start failures,
    /// handler releases): their completions are not reported.
    released: HashSet<ContainerId>,
    launched: HashMap<ContainerId, LaunchedContainer>,
    nm_calls: JoinSet<NmCallResult>,
    /// Previous attempts' containers from the registration, handed to the handler when `run`
    /// starts.
    recovered_at_registration: Vec<ContainerProto>,
}

impl std::fmt::Debug for ApplicationMaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicationMaster")
            .field("attempt_id", &self.config.attempt_id)
            .field("table", &self.table)
            .field("launched", &self.launched.len())
            .finish()
    }
}

impl ApplicationMaster {
    /// Connects to the RM scheduler with the AMRMToken and registers the attempt.
    pub async fn register(config: AmConfig) -> Result<ApplicationMaster, YarnError> {
        let mut am_rm_config = AmRmClientConfig::new(config.scheduler_addresses.clone());
        am_rm_config.retry_policy = config.am_rm_retry_policy.clone();
        am_rm_config.unregister_timeout = config.unregister_timeout;
        let mut am_rm = AmRmClient::new(am_rm_config, config.attempt_id, config.amrm_token.clone());
        let registration = am_rm
            .register(&config.host, config.rpc_port, &config.tracking_url)
            .await?;
        let nm = Arc::new(NmClient::new(config.nm_retry_policy.clone()));
        nm.add_nm_tokens(&registration.raw.nm_tokens_from_previous_attempts);
        tracing::info!(
            attempt = %config.attempt_id,
            scheduler = %am_rm.current_address(),
            "application master registered"
        );
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let recovered_at_registration = registration.raw.containers_from_previous_attempts.clone();
        Ok(ApplicationMaster {
            config,
            am_rm,
            nm,
            registration,
            commands_tx: Some(commands_tx),
            commands_rx,
            table: ContainerRequestTable::new(),
            pending_releases: Vec::new(),
            released: HashSet::new(),
            launched: HashMap::new(),
            nm_calls: JoinSet::new(),
            recovered_at_registration,
        })
    }

    /// What registration returned (maximum capability, queue, …).
    pub fn registration(&self) -> &RegisterResponse {
        &self.registration
    }

    /// The attempt this AM runs.
    pub fn attempt_id(&self) -> ApplicationAttemptId {
        self.config.attempt_id
    }

    /// A handle for the engine. Take every handle needed before `run`; once `run` started and
    /// every handle is gone, nobody could finish the AM, so it unregisters as FAILED.
    pub fn handle(&self) -> AmHandle {
        let maximum = &self.registration.maximum_capability;
        AmHandle {
            // Present until `run` takes it away.
            commands: self
                .commands_tx
                .clone()
                .unwrap_or_else(|| mpsc::unbounded_channel().0),
            maximum_capability: ContainerSpec {
                memory_mb: maximum.memory.unwrap_or(i64::MAX),
                vcores: maximum.virtual_cores.unwrap_or(i32::MAX),
            },
        }
    }

    /// Unregisters without running the loop (e.g. the job failed before asking for anything).
    pub async fn finish(
        mut self,
        status: FinalApplicationStatus,
        diagnostics: &str,
    ) -> Result<(), YarnError> {
        self.am_rm.finish(status, diagnostics, None).await
    }

    /// Runs the heartbeat loop with `handler` until a handle calls `finish` (then unregisters),
    /// the RM orders a shutdown, or a fatal error occurs (returned after `handler.on_error`).
    pub async fn run<H: AmHandler>(mut self, mut handler: H) -> Result<AmOutcome, YarnError> {
        // From here on only the handles keep the channel open.
        self.commands_tx = None;
        let recovered = std::mem::take(&mut self.recovered_at_registration);
        self.recover(&recovered, &mut handler);
        let mut next_heartbeat = Instant::now();
        loop {
            tokio::select! {
                biased;
                command = self.commands_rx.recv() => {
                    let Some(command) = command else {
                        let diagnostics = "every AmHandle was dropped without finish".to_string();
                        return self.unregister(FinalApplicationStatus::Failed, diagnostics, None).await;
                    };
                    match command {
                        AmCommand::Finish { status, diagnostics, tracking_url } => {
                            return self.unregister(status, diagnostics, tracking_url).await;
                        }
                        command => {
                            if self.apply(command) {
                                next_heartbeat = Instant::now();
                            }
                        }
                    }
                }
                Some(result) = self.nm_calls.join_next(), if !self.nm_calls.is_empty() => {
                    match result {
                        Ok(result) => {
                            if self.nm_call_finished(result, &mut handler) {
                                next_heartbeat = Instant::now();
                            }
                        }
                        Err(join_error) => {
                            tracing::error!("a NodeManager call task failed: {join_error}");
                        }
                    }
                }
                _ = tokio::time::sleep_until(next_heartbeat) => {
                    match self.heartbeat(&mut handler).await {
                        Ok(Heartbeat::Continue { soon }) => {
                            let interval = if soon {
                                Duration::ZERO
                            } else if self.table.outstanding() > 0 {
                                self.config.container_request_heartbeat_interval
                            } else {
                                self.config.heartbeat_interval
                            };
                            next_heartbeat = Instant::now() + interval;
                        }
                        Ok(Heartbeat::Shutdown { reason }) => {
                            tracing::warn!(attempt = %self.config.attempt_id, "shutdown requested: {reason}");
                            handler.on_shutdown_request();
                            return Ok(AmOutcome::ShutdownRequested { reason });
                        }
                        Err(error) => {
                            tracing::error!(attempt = %self.config.attempt_id, "heartbeat failed: {error}");
                            handler.on_error(&error);
                            return Err(error);
                        }
                    }
                }
            }
        }
    }

    /// Applies a handle command; true if a heartbeat should go out now.
    fn apply(&mut self, command: AmCommand) -> bool {
        match command {
            AmCommand::Request { spec, count } => {
                let priority = self.table.add(spec, count);
                tracing::debug!(%spec, count, priority, "containers requested");
                count > 0
            }
            AmCommand::Cancel { spec, count } => self.table.cancel(spec, count) > 0,
            AmCommand::Stop { container_id } => {
                let Some(container) = self.launched.get(&container_id) else {
                    tracing::warn!(%container_id, "stop of a container this AM does not run");
                    return false;
                };
                let nm = Arc::clone(&self.nm);
                let node_id = container.node_id.clone();
                self.nm_calls.spawn(async move {
                    let result = nm.stop_container(container_id, &node_id).await;
                    NmCallResult::Stopped(container_id, result)
                });
                self.pending_releases.push(container_id);
                true
            }
            AmCommand::Finish { .. } => false,
        }
    }

    /// Handles a finished NodeManager call; true if a heartbeat should go out now.
    fn nm_call_finished(&mut self, result: NmCallResult, handler: &mut impl AmHandler) -> bool {
        match result {
            NmCallResult::Started(container_id, Ok(())) => {
                if let Some(container) = self.launched.get_mut(&container_id) {
                    container.state = LaunchState::Running;
                }
                handler.on_container_started(container_id);
                false
            }
            NmCallResult::Started(container_id, Err(error)) => {
                tracing::warn!(%container_id, "container start failed: {error}");
                self.launched.remove(&container_id);
                self.release(container_id);
                handler.on_start_failed(container_id, &error);
                true
            }
            NmCallResult::Stopped(_, Ok(())) => false,
            NmCallResult::Stopped(container_id, Err(error)) => {
                tracing::warn!(%container_id, "container stop failed: {error}");
                handler.on_stop_failed(container_id, &error);
                false
            }
        }
    }

    fn release(&mut self, container_id: ContainerId) {
        self.released.insert(container_id);
        self.pending_releases.push(container_id);
    }

    async fn heartbeat(&mut self, handler: &mut impl AmHandler) -> Result<Heartbeat, YarnError> {
        let asks = self.table.pending_asks();
        let releases = self.pending_releases.clone();
        let request = AllocateRequestProto {
            ask: asks.iter().map(resource_request).collect(),
            release: releases.iter().map(|id| id.to_proto()).collect(),
            progress: Some(handler.progress().clamp(0.0, 1.0)),
            ..Default::default()
        };
        let result = self.am_rm.allocate(request).await;
        let response = match result {
            Ok(AllocateOutcome::Allocated(response)) => response,
            Ok(AllocateOutcome::Reregistered(registration)) => {
                self.after_reregister(*registration, handler);
                return Ok(Heartbeat::Continue { soon: true });
            }
            Err(error) if error.remote_class() == Some(APPLICATION_ATTEMPT_NOT_FOUND) => {
                return Ok(Heartbeat::Shutdown {
                    reason: error.to_string(),
                });
            }
            Err(error) => return Err(error),
        };
        match response.a_m_command {
            Some(AM_COMMAND_SHUTDOWN) => {
                return Ok(Heartbeat::Shutdown {
                    reason: "the ResourceManager sent AM_SHUTDOWN".to_string(),
                });
            }
            Some(AM_COMMAND_RESYNC) => {
                let registration = self.am_rm.register_again().await?;
                self.after_reregister(registration, handler);
                return Ok(Heartbeat::Continue { soon: true });
            }
            _ => {}
        }
        // The RM has the asks and releases now.
        self.table.mark_sent(&asks);
        self.pending_releases.drain(..releases.len());
        self.nm.add_nm_tokens(&response.nm_tokens);
        self.recover(&response.containers_from_previous_attempts, handler);
        self.report_completed(&response, handler);
        self.place_allocated(*response, handler);
        Ok(Heartbeat::Continue {
            soon: !self.pending_releases.is_empty(),
        })
    }

    fn after_reregister(&mut self, registration: RegisterResponse, handler: &mut impl AmHandler) {
        tracing::warn!(
            attempt = %self.config.attempt_id,
            "re-registered with the ResourceManager; re-sending every outstanding request"
        );
        self.nm
            .add_nm_tokens(&registration.raw.nm_tokens_from_previous_attempts);
        let recovered = registration.raw.containers_from_previous_attempts.clone();
        self.registration = registration;
        self.table.mark_all_unsent();
        self.recover(&recovered, handler);
    }

    /// Tracks previous attempts' running containers as launched and tells the handler.
    fn recover(&mut self, containers: &[ContainerProto], handler: &mut impl AmHandler) {
        let mut recovered = Vec::new();
        for container in containers {
            let (Some(container_id), Some(node_id)) = (
                container
                    .id
                    .as_ref()
                    .and_then(|id| ContainerId::from_proto(id).ok()),
                container.node_id.as_ref(),
            ) else {
                tracing::warn!("ignoring a previous attempt's container without id or node");
                continue;
            };
            if self.launched.contains_key(&container_id) {
                continue;
            }
            let resource = container.resource.clone().unwrap_or_default();
            let spec = ContainerSpec {
                memory_mb: resource.memory.unwrap_or(0),
                vcores: resource.virtual_cores.unwrap_or(0),
            };
            self.launched.insert(
                container_id,
                LaunchedContainer {
                    node_id: node_id.clone(),
                    spec,
                    state: LaunchState::Running,
                },
            );
            recovered.push(AllocatedContainer {
                container_id,
                spec,
                node_address: node_address(node_id),
                node_http_address: container.node_http_address.clone().unwrap_or_default(),
                resource,
                raw: container.clone(),
            });
        }
        if !recovered.is_empty() {
            tracing::info!(
                count = recovered.len(),
                "recovered containers of previous attempts"
            );
            handler.on_containers_recovered(recovered);
        }
    }

    fn report_completed(&mut self, response: &AllocateResponseProto, handler: &mut impl AmHandler) {
        let mut completed = Vec::new();
        for status in &response.completed_container_statuses {
            let Some(container_id) = status
                .container_id
                .as_ref()
                .and_then(|id| ContainerId::from_proto(id).ok())
            else {
                tracing::warn!("ignoring a completed container status without a valid id");
                continue;
            };
            if let Some(container) = self.launched.remove(&container_id) {
                completed.push(CompletedContainer {
                    container_id,
                    exit_status: status
                        .exit_status
                        .unwrap_or(crate::am::container_exit_status::INVALID),
                    diagnostics: status
                        .diagnostics
                        .clone()
                        .filter(|text| text != "N/A")
                        .unwrap_or_default(),
                    spec: container.spec,
                });
            } else if !self.released.remove(&container_id) {
                tracing::debug!(%container_id, "completion of a container this AM never launched");
            }
        }
        if !completed.is_empty() {
            handler.on_containers_completed(completed);
        }
    }

    fn place_allocated(&mut self, response: AllocateResponseProto, handler: &mut impl AmHandler) {
        let mut offered: HashMap<ContainerId, (ContainerProto, ContainerSpec)> = HashMap::new();
        let mut allocated = Vec::new();
        for container in response.allocated_containers {
            let Some(container_id) = container
                .id
                .as_ref()
                .and_then(|id| ContainerId::from_proto(id).ok())
            else {
                tracing::warn!("ignoring an allocated container without a valid id");
                continue;
            };
            let priority = container
                .priority
                .as_ref()
                .and_then(|p| p.priority)
                .unwrap_or(-1);
            match (self.table.match_allocated(priority), &container.node_id) {
                (AllocationMatch::Requested(spec), Some(node_id)) => {
                    allocated.push(AllocatedContainer {
                        container_id,
                        spec,
                        node_address: node_address(node_id),
                        node_http_address: container.node_http_address.clone().unwrap_or_default(),
                        resource: container.resource.clone().unwrap_or_default(),
                        raw: container.clone(),
                    });
                    offered.insert(container_id, (container, spec));
                }
                (AllocationMatch::Requested(spec), None) => {
                    tracing::warn!(%container_id, "allocated container without node id; released");
                    // The request it filled is still wanted.
                    self.table.add(spec, 1);
                    self.release(container_id);
                }
                (AllocationMatch::Surplus, _) => {
                    tracing::info!(%container_id, priority, "surplus container released");
                    self.release(container_id);
                }
            }
        }
        if allocated.is_empty() {
            return;
        }
        for decision in handler.on_containers_allocated(allocated) {
            match decision {
                ContainerLaunchDecision::Launch {
                    container_id,
                    launch_context,
                } => {
                    let Some((container, spec)) = offered.remove(&container_id) else {
                        tracing::warn!(%container_id, "launch decision for a container not offered");
                        continue;
                    };
                    self.launch(container_id, container, spec, launch_context);
                }
                ContainerLaunchDecision::Release { container_id } => {
                    if offered.remove(&container_id).is_some() {
                        self.release(container_id);
                    }
                }
            }
        }
        for container_id in offered.into_keys() {
            tracing::warn!(%container_id, "the handler made no decision; container released");
            self.release(container_id);
        }
    }

    fn launch(
        &mut self,
        container_id: ContainerId,
        container: ContainerProto,
        spec: ContainerSpec,
        launch_context: ContainerLaunchContextProto,
    ) {
        // place_allocated offers only containers with a node id.
        let Some(node_id) = container.node_id.clone() else {
            self.release(container_id);
            return;
        };
        self.launched.insert(
            container_id,
            LaunchedContainer {
                node_id,
                spec,
                state: LaunchState::Starting,
            },
        );
        let nm = Arc::clone(&self.nm);
        self.nm_calls.spawn(async move {
            let result = nm.start_container(&container, launch_context).await;
            NmCallResult::Started(container_id, result)
        });
    }

    async fn unregister(
        mut self,
        status: FinalApplicationStatus,
        diagnostics: String,
        tracking_url: Option<String>,
    ) -> Result<AmOutcome, YarnError> {
        let starting = self
            .launched
            .values()
            .filter(|container| container.state == LaunchState::Starting)
            .count();
        if starting > 0 {
            tracing::info!(starting, "unregistering with container starts in flight");
        }
        self.nm_calls.abort_all();
        self.am_rm
            .finish(status, &diagnostics, tracking_url.as_deref())
            .await?;
        tracing::info!(attempt = %self.config.attempt_id, %status, "application master unregistered");
        Ok(AmOutcome::Unregistered {
            status,
            diagnostics,
        })
    }
}

enum Heartbeat {
    /// Keep going; `soon` = heartbeat again right away (releases or a resync to send).
    Continue {
        soon: bool,
    },
    Shutdown {
        reason: String,
    },
}

/// The ANY request of one table row.
fn resource_request(ask: &Ask) -> ResourceRequestProto {
    ResourceRequestProto {
        priority: Some(PriorityProto {
            priority: Some(ask.priority),
        }),
        resource_name: Some(ANY_RESOURCE_NAME.to_string()),
        capability: Some(ResourceProto {
            memory: Some(ask.spec.memory_mb),
            virtual_cores: Some(ask.spec.vcores),
            ..Default::default()
        }),
        num_containers: Some(i32::try_from(ask.count).unwrap_or(i32::MAX)),
        relax_locality: Some(true),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ask_becomes_an_any_request_with_the_absolute_count() {
        let request = resource_request(&Ask {
            priority: 2,
            spec: ContainerSpec::new(2048, 3),
            count: 4,
        });
        assert_eq!(request.resource_name.as_deref(), Some("*"));
        assert_eq!(request.num_containers, Some(4));
        assert_eq!(request.priority.and_then(|p| p.priority), Some(2));
        let capability = request.capability.unwrap();
        assert_eq!(
            (capability.memory, capability.virtual_cores),
            (Some(2048), Some(3))
        );
    }

    #[test]
    fn handles_can_be_shared_between_threads() {
        // (The `run` future is spawned on tokio's multi-thread runtime by the shim tests.)
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<AmHandle>();
    }

    #[test]
    fn the_handle_refuses_containers_above_the_maximum_and_after_stop() {
        let (commands, receiver) = mpsc::unbounded_channel();
        let handle = AmHandle {
            commands,
            maximum_capability: ContainerSpec::new(4096, 4),
        };
        let error = handle
            .request_containers(ContainerSpec::new(8192, 1), 1)
            .unwrap_err();
        assert!(matches!(
            error,
            YarnError::ContainerTooLarge {
                requested_memory_mb: 8192,
                ..
            }
        ));
        assert!(
            handle
                .request_containers(ContainerSpec::new(4096, 4), 2)
                .is_ok()
        );
        drop(receiver);
        let error = handle
            .stop_container("container_1_0001_01_000002".parse().unwrap())
            .unwrap_err();
        assert!(matches!(
            error,
            YarnError::AmStopped {
                operation: "stop_container"
            }
        ));
    }
}
