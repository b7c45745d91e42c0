//! One NodeManager: the containers of this node, the checks of `startContainers` (YARN's
//! `ContainerManagerImpl`), and the hand-over to the process side
//! ([`ContainerLauncher`]: localization, `launch_container.sh`, process group, memory monitor,
//! exit statuses).
//!
//! ```text
//!   startContainers / RM's AM launch
//!     │ container token: decodes, this node, our key, HMAC      → else the whole call fails
//!     │ same application as the NMToken, not started before,
//!     │ not expired, issued by this RM                          → else failed_requests entry
//!     ▼
//!   record (C_NEW) ── NodeEvent::ContainerStarted ──► RM
//!     │ task: LaunchSpec from the launch context (file:// resources only; other schemes end
//!     │       the container with -1000 and a localization diagnostic)
//!     │       launcher.launch(spec) → RunningContainer (C_RUNNING) → wait()
//!     ▼
//!   exit recorded (C_COMPLETE) ── NodeEvent::ContainerCompleted ──► RM
//! ```
//!
//! Directory layout under the cluster's work dir (YARN's):
//!
//! ```text
//!   nm-<i>/local/usercache/<user>/appcache/<appId>/<containerId>/   working dir (PWD)
//!   nm-<i>/logs/<appId>/<containerId>/                              container log dir
//! ```
//!
//! A container stays known (for `getContainerStatuses`) until its application finishes on
//! this node; then it is "recently stopped" and the application's local directory is removed
//! (logs are kept).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::ids::{ApplicationId, ContainerId};
use crate::mini_cluster::application_report::NM_HTTP_PORT;
use crate::mini_cluster::container_launcher::{
    ContainerExit, ContainerLauncher, EXIT_STATUS_INVALID, EXIT_STATUS_LAUNCH_FAILED, LaunchSpec,
    RunningContainer, StopCause, diagnostics_entry,
};
use crate::mini_cluster::container_token_secret_manager::{
    ContainerTokenIdentity, ContainerTokenSecretManager,
};
use crate::mini_cluster::localizer::{LocalResourceKind, ResourceToLocalize};
use crate::mini_cluster::nm_token_secret_manager::NmTokenIdentity;
use crate::mini_cluster::resource::Resource;
use crate::mini_cluster::resource_manager::{NodeEvent, now_ms};
use crate::mini_cluster::yarn_exception::{INVALID_CONTAINER, YarnException};
use crate::proto::nm_protocol::{
    ContainerExceptionMapProto, StartContainerRequestProto, StartContainersRequestProto,
    StartContainersResponseProto,
};
use crate::proto::yarn_records::{
    ContainerLaunchContextProto, ContainerStateProto, ContainerStatusProto, ContainerSubStateProto,
    ExecutionTypeProto, LocalResourceProto, LocalResourceTypeProto, NodeIdProto,
};

/// How long [`NodeManager::shutdown`] waits for its containers to be gone.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(20);

/// Settings of a NodeManager.
#[derive(Clone, Debug)]
pub struct NodeManagerConfig {
    pub index: usize,
    pub host: String,
    /// `<work_dir>/nm-<i>/local`.
    pub local_dir: PathBuf,
    /// `<work_dir>/nm-<i>/logs`.
    pub log_dir: PathBuf,
    pub pmem_check: bool,
    pub vmem_check: bool,
    pub monitor_interval: Duration,
}

#[derive(Debug)]
struct NmContainer {
    resource: Resource,
    app_dir: PathBuf,
    /// Set once the launcher accepted the spec.
    running: Option<RunningContainer>,
    /// A stop requested before `running` existed.
    pending_stop: Option<StopCause>,
    exit: Option<ContainerExit>,
}

#[derive(Debug, Default)]
struct NmState {
    containers: BTreeMap<ContainerId, NmContainer>,
    /// Every container ever started here (YARN's recently-started tracker: a container token
    /// starts one container once).
    started: HashSet<ContainerId>,
    /// Containers of finished applications that are gone from `containers`.
    recently_stopped: HashSet<ContainerId>,
    finished_apps: HashSet<ApplicationId>,
    shutting_down: bool,
    tasks: Vec<JoinHandle<()>>,
}

/// A NodeManager of the mini cluster.
#[derive(Debug)]
pub struct NodeManager {
    config: NodeManagerConfig,
    port: OnceLock<u16>,
    launcher: ContainerLauncher,
    container_tokens: Arc<ContainerTokenSecretManager>,
    events: UnboundedSender<NodeEvent>,
    state: Mutex<NmState>,
    runtime: tokio::runtime::Handle,
}

impl NodeManager {
    pub fn new(
        config: NodeManagerConfig,
        container_tokens: Arc<ContainerTokenSecretManager>,
        events: UnboundedSender<NodeEvent>,
        runtime: tokio::runtime::Handle,
    ) -> NodeManager {
        NodeManager {
            config,
            port: OnceLock::new(),
            launcher: ContainerLauncher::new(),
            container_tokens,
            events,
            state: Mutex::new(NmState::default()),
            runtime,
        }
    }

    fn lock(&self) -> MutexGuard<'_, NmState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the IPC port once the server is bound.
    pub fn set_port(&self, port: u16) {
        let _ = self.port.set(port);
    }

    pub fn index(&self) -> usize {
        self.config.index
    }

    pub fn host(&self) -> &str {
        &self.config.host
    }

    /// The IPC port (0 until the server is bound).
    pub fn port(&self) -> i32 {
        i32::from(self.port.get().copied().unwrap_or(0))
    }

    /// `host:port`, the node id string.
    pub fn address(&self) -> String {
        format!("{}:{}", self.config.host, self.port())
    }

    pub fn node_id_proto(&self) -> NodeIdProto {
        NodeIdProto {
            host: Some(self.config.host.clone()),
            port: Some(self.port()),
        }
    }

    /// `host:8042` (no web server runs).
    pub fn http_address(&self) -> String {
        format!("{}:{NM_HTTP_PORT}", self.config.host)
    }

    pub fn local_dir(&self) -> &Path {
        &self.config.local_dir
    }

    pub fn log_root(&self) -> &Path {
        &self.config.log_dir
    }

    /// `<logs>/<appId>/<containerId>`.
    pub fn container_log_dir(&self, id: &ContainerId) -> PathBuf {
        self.config
            .log_dir
            .join(id.attempt_id.application_id.to_string())
            .join(id.to_string())
    }

    fn app_dir(&self, user: &str, app: &ApplicationId) -> PathBuf {
        self.config
            .local_dir
            .join("usercache")
            .join(user)
            .join("appcache")
            .join(app.to_string())
    }

    // ---- startContainers ----

    /// `startContainers` for the caller holding `nm_token`.
    pub fn start_containers(
        self: &Arc<Self>,
        nm_token: &NmTokenIdentity,
        request: StartContainersRequestProto,
    ) -> Result<StartContainersResponseProto, YarnException> {
        let mut response = StartContainersResponseProto::default();
        for start in request.start_container_request {
            // A bad token fails the whole call, like InvalidToken does in YARN.
            let identity = self
                .container_tokens
                .verify(start.container_token.as_ref(), &self.address())?;
            let id = identity.container_id;
            match self.start_one(nm_token, &identity, start.container_launch_context) {
                Ok(()) => response.succeeded_requests.push(id.to_proto()),
                Err(e) => response.failed_requests.push(ContainerExceptionMapProto {
                    container_id: Some(id.to_proto()),
                    exception: Some(e.to_serialized()),
                }),
            }
        }
        Ok(response)
    }

    /// The RM's AM launcher: one container, its failure as an error.
    pub fn start_container_for_rm(
        self: &Arc<Self>,
        nm_token: &NmTokenIdentity,
        start: StartContainerRequestProto,
    ) -> Result<(), YarnException> {
        let identity = self
            .container_tokens
            .verify(start.container_token.as_ref(), &self.address())?;
        self.start_one(nm_token, &identity, start.container_launch_context)
    }

    fn start_one(
        self: &Arc<Self>,
        nm_token: &NmTokenIdentity,
        identity: &ContainerTokenIdentity,
        launch_context: Option<ContainerLaunchContextProto>,
    ) -> Result<(), YarnException> {
        let id = identity.container_id;
        let app = id.attempt_id.application_id;
        // authorizeStartAndResourceIncreaseRequest
        let unauthorized = |detail: String| {
            YarnException::remote(format!("Unauthorized request to start container.{detail}"))
        };
        if nm_token.attempt.application_id != app {
            return Err(unauthorized(format!(
                "\nNMToken for application attempt : {} was used for starting container with \
                 container token issued for application attempt : {}",
                nm_token.attempt, id.attempt_id
            )));
        }
        let now = now_ms();
        let mut state = self.lock();
        if state.started.contains(&id) {
            return Err(unauthorized(format!(
                "\n Attempt to relaunch the same container with id {id}."
            )));
        }
        if identity.expiry_time_ms < now {
            return Err(unauthorized(format!(
                "\nThis token is expired. current time is {now} found {}\nNote: System times \
                 on machines may be out of sync. Check system time and time zones.",
                identity.expiry_time_ms
            )));
        }
        if identity.rm_identifier != self.container_tokens.rm_identifier() {
            return Err(YarnException::new(
                INVALID_CONTAINER,
                format!("\nContainer {id} rejected as it is allocated by a previous RM"),
            ));
        }
        if state.shutting_down {
            return Err(YarnException::remote(
                "Container start failed as the NodeManager is in the process of shutting down",
            ));
        }
        if state.finished_apps.contains(&app) {
            return Err(YarnException::remote(format!(
                "Container {id} cannot start: application {app} has already finished on this \
                 NodeManager"
            )));
        }
        let user = identity.app_submitter.clone();
        if user.is_empty() || user == "." || user == ".." || user.contains(['/', '\0']) {
            return Err(YarnException::remote(format!(
                "Container {id} cannot start: invalid user name '{user}'"
            )));
        }
        let launch_context = launch_context.unwrap_or_default();
        let app_dir = self.app_dir(&user, &app);
        let log_dir = self.container_log_dir(&id);
        state.started.insert(id);
        state.containers.insert(
            id,
            NmContainer {
                resource: identity.resource,
                app_dir: app_dir.clone(),
                running: None,
                pending_stop: None,
                exit: None,
            },
        );
        let spec = self.launch_spec(
            &id,
            &user,
            identity.resource,
            app_dir,
            log_dir,
            &launch_context,
        );
        let nm = Arc::clone(self);
        let task = self
            .runtime
            .spawn(async move { nm.run_container(id, spec).await });
        state.tasks.retain(|t| !t.is_finished());
        state.tasks.push(task);
        drop(state);
        tracing::info!(container = %id, node = %self.address(), user, "container start accepted");
        let _ = self
            .events
            .send(NodeEvent::ContainerStarted { container: id });
        Ok(())
    }

    /// The launcher's spec for a container, or the localization diagnostic of a resource this
    /// NodeManager cannot fetch.
    fn launch_spec(
        &self,
        id: &ContainerId,
        user: &str,
        resource: Resource,
        app_dir: PathBuf,
        log_dir: PathBuf,
        context: &ContainerLaunchContextProto,
    ) -> Result<LaunchSpec, String> {
        let work_dir = app_dir.join(id.to_string());
        let mut spec = LaunchSpec::new(
            id.to_string(),
            user,
            app_dir,
            work_dir,
            log_dir,
            vec![self.config.local_dir.clone()],
        );
        spec.environment = context
            .environment
            .iter()
            .map(|e| {
                (
                    e.key.clone().unwrap_or_default(),
                    e.value.clone().unwrap_or_default(),
                )
            })
            .collect();
        spec.nm_host = self.config.host.clone();
        spec.nm_port = self.port.get().copied().unwrap_or(0);
        spec.nm_http_port = NM_HTTP_PORT;
        spec.commands = context.command.clone();
        spec.credentials = context.tokens.clone().unwrap_or_default();
        spec.memory_limit_bytes = u64::try_from(resource.memory_mb.max(0))
            .unwrap_or(0)
            .saturating_mul(1024 * 1024);
        spec.pmem_check = self.config.pmem_check;
        spec.vmem_check = self.config.vmem_check;
        spec.monitor_interval = self.config.monitor_interval;
        for entry in &context.local_resources {
            let link_name = entry.key.clone().unwrap_or_default();
            let Some(resource) = entry.value.as_ref() else {
                return Err(format!(
                    "Failed to download resource {link_name}: the local resource has no value"
                ));
            };
            spec.local_resources
                .push(resource_to_localize(id, link_name, resource)?);
        }
        Ok(spec)
    }

    /// The container's task: launch, wait, report.
    async fn run_container(self: Arc<Self>, id: ContainerId, spec: Result<LaunchSpec, String>) {
        let exit = match spec {
            Err(localization_diagnostics) => ContainerExit {
                exit_status: EXIT_STATUS_INVALID,
                diagnostics: diagnostics_entry(now_ms(), &localization_diagnostics),
                process_exit_code: None,
            },
            Ok(spec) => match self.launcher.launch(spec).await {
                Err(e) => ContainerExit {
                    exit_status: EXIT_STATUS_LAUNCH_FAILED,
                    diagnostics: diagnostics_entry(
                        now_ms(),
                        &format!(
                            "Exception from container-launch.\nContainer id: {id}\nExit code: \
                             {EXIT_STATUS_LAUNCH_FAILED}\n{e}"
                        ),
                    ),
                    process_exit_code: None,
                },
                Ok(running) => {
                    {
                        let mut state = self.lock();
                        if let Some(container) = state.containers.get_mut(&id) {
                            if let Some(cause) = container.pending_stop.take() {
                                running.stop(cause);
                            }
                            container.running = Some(running.clone());
                        }
                    }
                    running.wait().await
                }
            },
        };
        self.container_exited(id, exit);
    }

    /// Records a container's end and tells the RM.
    fn container_exited(&self, id: ContainerId, exit: ContainerExit) {
        let app = id.attempt_id.application_id;
        let app_dir_to_remove = {
            let mut state = self.lock();
            let Some(container) = state.containers.get_mut(&id) else {
                return;
            };
            container.exit = Some(exit.clone());
            container.running = None;
            if state.finished_apps.contains(&app) {
                self.forget_finished_containers(&mut state, &app)
            } else {
                None
            }
        };
        if let Some(dir) = app_dir_to_remove {
            self.remove_app_dir(dir);
        }
        tracing::info!(container = %id, exit_status = exit.exit_status, "container completed");
        let _ = self.events.send(NodeEvent::ContainerCompleted {
            container: id,
            exit_status: exit.exit_status,
            diagnostics: exit.diagnostics,
        });
    }

    // ---- stop and status ----

    /// Kills a container with an exit status chosen by the RM (-105 cleanup, -106, -107, …).
    pub fn kill_container(&self, id: &ContainerId, exit_status: i32, diagnostics: &str) {
        self.stop(id, stop_cause(exit_status, diagnostics));
    }

    fn stop(&self, id: &ContainerId, cause: StopCause) {
        let mut state = self.lock();
        let Some(container) = state.containers.get_mut(id) else {
            return;
        };
        if container.exit.is_some() {
            return;
        }
        match &container.running {
            Some(running) => running.stop(cause),
            None => {
                if container.pending_stop.is_none() {
                    container.pending_stop = Some(cause);
                }
            }
        }
    }

    /// `stopContainers` for one container.
    pub fn stop_container(
        &self,
        nm_token: &NmTokenIdentity,
        id: &ContainerId,
    ) -> Result<(), YarnException> {
        self.authorize_get_or_stop(nm_token, id, true)?;
        let known = {
            let state = self.lock();
            if state.containers.contains_key(id) {
                true
            } else if state.recently_stopped.contains(id) {
                return Ok(());
            } else {
                false
            }
        };
        if !known {
            return Err(YarnException::remote(format!(
                "Container {id} is not handled by this NodeManager"
            )));
        }
        self.stop(id, StopCause::ApplicationMaster);
        Ok(())
    }

    /// `getContainerStatuses` for one container.
    pub fn container_status(
        &self,
        nm_token: &NmTokenIdentity,
        id: &ContainerId,
    ) -> Result<ContainerStatusProto, YarnException> {
        self.authorize_get_or_stop(nm_token, id, false)?;
        let state = self.lock();
        let Some(container) = state.containers.get(id) else {
            return Err(YarnException::remote(
                if state.recently_stopped.contains(id) {
                    format!("Container {id} was recently stopped on node manager.")
                } else {
                    format!("Container {id} is not handled by this NodeManager")
                },
            ));
        };
        let (state_proto, sub_state, exit_status, diagnostics) =
            match (&container.exit, &container.running) {
                (Some(exit), _) => (
                    ContainerStateProto::CComplete,
                    ContainerSubStateProto::CssDone,
                    exit.exit_status,
                    exit.diagnostics.clone(),
                ),
                (None, Some(running)) if running.pid().is_some() => (
                    ContainerStateProto::CRunning,
                    ContainerSubStateProto::CssRunning,
                    EXIT_STATUS_INVALID,
                    String::new(),
                ),
                _ => (
                    ContainerStateProto::CNew,
                    ContainerSubStateProto::CssScheduled,
                    EXIT_STATUS_INVALID,
                    String::new(),
                ),
            };
        Ok(ContainerStatusProto {
            container_id: Some(id.to_proto()),
            state: Some(state_proto as i32),
            diagnostics: Some(diagnostics),
            exit_status: Some(exit_status),
            capability: Some(container.resource.to_proto()),
            execution_type: Some(ExecutionTypeProto::Guaranteed as i32),
            container_attributes: Vec::new(),
            container_sub_state: Some(sub_state as i32),
        })
    }

    fn authorize_get_or_stop(
        &self,
        nm_token: &NmTokenIdentity,
        id: &ContainerId,
        stop: bool,
    ) -> Result<(), YarnException> {
        if nm_token.attempt.application_id != id.attempt_id.application_id {
            let action = if stop { "stop" } else { "get status for" };
            return Err(YarnException::remote(format!(
                "{} attempted to {action} non-application container : {id}",
                nm_token.attempt
            )));
        }
        Ok(())
    }

    // ---- application end, shutdown ----

    /// The RM says the application is over: kill what still runs (-107) and forget it.
    pub fn finish_application(&self, app: &ApplicationId) {
        let (to_stop, dir) = {
            let mut state = self.lock();
            if !state.finished_apps.insert(*app) {
                return;
            }
            let to_stop: Vec<ContainerId> = state
                .containers
                .iter()
                .filter(|(id, c)| id.attempt_id.application_id == *app && c.exit.is_none())
                .map(|(id, _)| *id)
                .collect();
            let dir = self.forget_finished_containers(&mut state, app);
            (to_stop, dir)
        };
        for id in to_stop {
            self.stop(&id, StopCause::ApplicationFinished);
        }
        if let Some(dir) = dir {
            self.remove_app_dir(dir);
        }
    }

    /// Moves the completed containers of a finished application to "recently stopped"; the
    /// application's local dir once none of its containers is left.
    fn forget_finished_containers(
        &self,
        state: &mut NmState,
        app: &ApplicationId,
    ) -> Option<PathBuf> {
        let done: Vec<ContainerId> = state
            .containers
            .iter()
            .filter(|(id, c)| id.attempt_id.application_id == *app && c.exit.is_some())
            .map(|(id, _)| *id)
            .collect();
        let mut app_dir = None;
        for id in done {
            if let Some(container) = state.containers.remove(&id) {
                app_dir = Some(container.app_dir);
            }
            state.recently_stopped.insert(id);
        }
        let still_running = state
            .containers
            .keys()
            .any(|id| id.attempt_id.application_id == *app);
        if still_running { None } else { app_dir }
    }

    fn remove_app_dir(&self, dir: PathBuf) {
        self.launcher.file_cache().forget_application(&dir);
        self.runtime.spawn(async move {
            if let Err(e) = tokio::fs::remove_dir_all(&dir).await
                && e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(dir = %dir.display(), error = %e, "cannot remove an application directory");
                }
        });
    }

    /// Pids of the containers' root processes that are still running (tests).
    pub fn running_pids(&self) -> Vec<u32> {
        self.lock()
            .containers
            .values()
            .filter(|c| c.exit.is_none())
            .filter_map(|c| c.running.as_ref().and_then(RunningContainer::pid))
            .collect()
    }

    /// Number of containers that have not completed.
    pub fn live_container_count(&self) -> usize {
        self.lock()
            .containers
            .values()
            .filter(|c| c.exit.is_none())
            .count()
    }

    /// Asks every container to stop without waiting (for `Drop`).
    pub fn stop_all(&self) {
        let ids: Vec<ContainerId> = {
            let mut state = self.lock();
            state.shutting_down = true;
            state.containers.keys().copied().collect()
        };
        for id in ids {
            self.stop(&id, shutdown_cause());
        }
    }

    /// Stops every container and waits until each one's process group is gone.
    pub async fn shutdown(&self) {
        let tasks = {
            let mut state = self.lock();
            state.shutting_down = true;
            std::mem::take(&mut state.tasks)
        };
        let ids: Vec<ContainerId> = self.lock().containers.keys().copied().collect();
        for id in ids {
            self.stop(&id, shutdown_cause());
        }
        let all = futures_join_all(tasks);
        if tokio::time::timeout(SHUTDOWN_WAIT, all).await.is_err() {
            tracing::warn!(node = %self.address(), "containers did not stop within {SHUTDOWN_WAIT:?}");
        }
    }
}

/// How containers end when the NodeManager shuts down (YARN: the application-finish kill with
/// reason "on shutdown").
fn shutdown_cause() -> StopCause {
    StopCause::Other {
        exit_status: crate::mini_cluster::container_launcher::KILLED_AFTER_APP_COMPLETION,
        diagnostic: "Container killed on application-finish event: Application killed on shutdown"
            .to_string(),
    }
}

/// Awaits every task (their panics are logged, not propagated).
async fn futures_join_all(tasks: Vec<JoinHandle<()>>) {
    for task in tasks {
        if let Err(e) = task.await {
            tracing::warn!(error = %e, "a container task ended abnormally");
        }
    }
}

/// The launcher's stop cause for an RM-chosen exit status.
fn stop_cause(exit_status: i32, diagnostics: &str) -> StopCause {
    use crate::mini_cluster::container_launcher::{
        KILLED_AFTER_APP_COMPLETION, KILLED_BY_APPMASTER, KILLED_BY_RESOURCEMANAGER,
    };
    match exit_status {
        KILLED_BY_APPMASTER => StopCause::ApplicationMaster,
        KILLED_BY_RESOURCEMANAGER => StopCause::ResourceManager,
        KILLED_AFTER_APP_COMPLETION => StopCause::ApplicationFinished,
        other => StopCause::Other {
            exit_status: other,
            diagnostic: diagnostics.to_string(),
        },
    }
}

/// A launch context resource as the localizer wants it; resources this NodeManager cannot
/// fetch (any scheme but `file`) give YARN's localization failure text.
fn resource_to_localize(
    id: &ContainerId,
    link_name: String,
    resource: &LocalResourceProto,
) -> Result<ResourceToLocalize, String> {
    let url = resource.resource.clone().unwrap_or_default();
    let scheme = url.scheme.clone().unwrap_or_default();
    let file = url.file.clone().unwrap_or_default();
    let kind = match resource
        .r#type
        .and_then(|t| LocalResourceTypeProto::try_from(t).ok())
    {
        Some(LocalResourceTypeProto::Archive) => LocalResourceKind::Archive,
        Some(LocalResourceTypeProto::File) | None => LocalResourceKind::File,
        Some(LocalResourceTypeProto::Pattern) => {
            return Err(format!(
                "Failed to download resource {link_name} ({scheme}:{file}): PATTERN resources \
                 are not supported by the test cluster's NodeManager"
            ));
        }
    };
    let timestamp = resource.timestamp.unwrap_or(0);
    if !(scheme.is_empty() || scheme == "file") {
        let host = url.host.clone().unwrap_or_default();
        let port = url
            .port
            .filter(|p| *p >= 0)
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        return Err(format!(
            "Failed to download resource {{ {{ {scheme}://{host}{port}{file}, {timestamp}, {}, \
             null }},pending,[({id})],0,DOWNLOADING}}\n\
             org.apache.hadoop.fs.UnsupportedFileSystemException: No FileSystem for scheme \
             \"{scheme}\" (the test cluster's NodeManager localizes file:// resources only)",
            kind.yarn_name()
        ));
    }
    if !file.starts_with('/') {
        return Err(format!(
            "Failed to download resource {link_name}: file:{file} is not an absolute path"
        ));
    }
    Ok(ResourceToLocalize {
        link_name,
        source: PathBuf::from(file),
        expected_size_bytes: resource.size.unwrap_or(0),
        expected_timestamp_ms: timestamp,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ApplicationAttemptId, ApplicationId};
    use crate::proto::yarn_records::URLProto;

    fn container() -> ContainerId {
        ContainerId {
            attempt_id: ApplicationAttemptId {
                application_id: ApplicationId {
                    cluster_timestamp: 1_700_000_000_000,
                    id: 1,
                },
                attempt_id: 1,
            },
            id: 2,
        }
    }

    fn resource(scheme: &str, file: &str, kind: LocalResourceTypeProto) -> LocalResourceProto {
        LocalResourceProto {
            resource: Some(URLProto {
                scheme: Some(scheme.into()),
                host: Some("nn".into()),
                port: Some(8020),
                file: Some(file.into()),
                user_info: None,
            }),
            size: Some(10),
            timestamp: Some(1234),
            r#type: Some(kind as i32),
            visibility: Some(3),
            pattern: None,
            should_be_uploaded_to_shared_cache: None,
        }
    }

    #[test]
    fn file_urls_become_paths() {
        let r = resource_to_localize(
            &container(),
            "weir".into(),
            &resource("file", "/tmp/x/weir", LocalResourceTypeProto::File),
        )
        .unwrap();
        assert_eq!(r.source, PathBuf::from("/tmp/x/weir"));
        assert_eq!(r.expected_timestamp_ms, 1234);
        assert_eq!(r.kind, LocalResourceKind::File);
    }

    #[test]
    fn other_schemes_fail_with_the_scheme_named() {
        let err = resource_to_localize(
            &container(),
            "weir".into(),
            &resource("hdfs", "/user/a/weir", LocalResourceTypeProto::Archive),
        )
        .unwrap_err();
        assert!(
            err.starts_with(
                "Failed to download resource { { hdfs://nn:8020/user/a/weir, 1234, ARCHIVE"
            ),
            "{err}"
        );
        assert!(err.contains("No FileSystem for scheme \"hdfs\""), "{err}");
    }

    #[test]
    fn stop_causes_map_yarn_exit_statuses() {
        assert_eq!(stop_cause(-105, "x"), StopCause::ApplicationMaster);
        assert_eq!(stop_cause(-106, "x"), StopCause::ResourceManager);
        assert_eq!(stop_cause(-107, "x"), StopCause::ApplicationFinished);
        assert_eq!(
            stop_cause(-102, "preempted"),
            StopCause::Other {
                exit_status: -102,
                diagnostic: "preempted".into()
            }
        );
    }
}
