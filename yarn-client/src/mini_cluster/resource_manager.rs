//! The ResourceManager: applications, attempts, containers and the scheduler under one lock,
//! driven by three kinds of input:
//!
//! ```text
//!   ClientRMService (client port)  ─┐
//!   ApplicationMasterService (AMs) ─┼─► ResourceManager { Mutex<RmState> } ──► NodeManager::start/kill
//!   NodeEvent channel (from NMs)   ─┤        │                                   (RM → NM calls only)
//!   monitor ticks (liveness, expiry)┘        └─ every entry point ends with a scheduling pass
//! ```
//!
//! Lock order: the RM lock may be held while calling into a NodeManager; a NodeManager never
//! calls the RM, it sends [`NodeEvent`]s that a dispatcher task feeds to
//! [`ResourceManager::handle_node_event`]. So there is no lock cycle.
//!
//! What happens to containers when things end (RM-side status → what the NodeManager does):
//!
//! | cause | status the AM sees | NodeManager |
//! |---|---|---|
//! | AM releases it | -100 `Container released by application` | killed, -106 |
//! | attempt fails (no keep-containers) | — (attempt gone) | killed, -106 |
//! | application finishes / is killed | — | killed, -107 `Container killed on application-finish event: …` |
//! | AM container of an ended attempt | — | stopped like AMLauncher's cleanup, -105 |
//! | allocated, never started within the expiry | -100 `Container expired since it was unused` | — |

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::ids::{ApplicationAttemptId, ApplicationId, ContainerId};
use crate::mini_cluster::amrm_token_secret_manager::AmrmTokenSecretManager;
use crate::mini_cluster::config::MiniYarnConfig;
use crate::mini_cluster::container_token_secret_manager::{
    CONTAINER_TYPE_APPLICATION_MASTER, CONTAINER_TYPE_TASK, ContainerTokenSecretManager,
    ContainerTokenSpec,
};
use crate::mini_cluster::nm_token_secret_manager::NmTokenSecretManager;
use crate::mini_cluster::node_manager::NodeManager;
use crate::mini_cluster::resource::Resource;
use crate::mini_cluster::rm_app::{
    self, AppState, AttemptState, FinalStatus, RmApp, RmAppAttempt, RmContainer, exit_status,
};
use crate::mini_cluster::scheduler::{Placement, Scheduler};
use crate::mini_cluster::yarn_exception::{INVALID_RESOURCE_REQUEST, YarnException};
use crate::proto::yarn_records::ApplicationSubmissionContextProto;

/// Longest application type YARN keeps (`YarnConfiguration.APPLICATION_TYPE_LENGTH`).
const APPLICATION_TYPE_LENGTH: usize = 20;

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What a NodeManager tells the ResourceManager (YARN sends these in node heartbeats).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeEvent {
    /// `startContainers` accepted the container.
    ContainerStarted { container: ContainerId },
    /// The container's process ended (or its launch failed).
    ContainerCompleted {
        container: ContainerId,
        exit_status: i32,
        diagnostics: String,
    },
}

/// Everything the RM lock protects.
#[derive(Debug)]
pub struct RmState {
    pub next_app_seq: i32,
    pub apps: BTreeMap<ApplicationId, RmApp>,
    pub scheduler: Scheduler,
}

/// The ResourceManager of the mini cluster.
#[derive(Debug)]
pub struct ResourceManager {
    pub(super) config: MiniYarnConfig,
    pub(super) cluster_timestamp: i64,
    pub(super) state: Mutex<RmState>,
    pub(super) nodes: Vec<Arc<NodeManager>>,
    pub(super) amrm_tokens: Arc<AmrmTokenSecretManager>,
    pub(super) nm_tokens: Arc<NmTokenSecretManager>,
    pub(super) container_tokens: Arc<ContainerTokenSecretManager>,
}

impl ResourceManager {
    pub fn new(
        config: MiniYarnConfig,
        cluster_timestamp: i64,
        nodes: Vec<Arc<NodeManager>>,
        amrm_tokens: Arc<AmrmTokenSecretManager>,
        nm_tokens: Arc<NmTokenSecretManager>,
        container_tokens: Arc<ContainerTokenSecretManager>,
    ) -> ResourceManager {
        let scheduler = Scheduler::new(
            nodes.len(),
            Resource::new(config.node_memory_mb, config.node_vcores),
            config.minimum_allocation_mb,
            Resource::new(
                config.maximum_allocation_mb,
                config.maximum_allocation_vcores,
            ),
        );
        ResourceManager {
            config,
            cluster_timestamp,
            state: Mutex::new(RmState {
                next_app_seq: 1,
                apps: BTreeMap::new(),
                scheduler,
            }),
            nodes,
            amrm_tokens,
            nm_tokens,
            container_tokens,
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, RmState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn cluster_timestamp(&self) -> i64 {
        self.cluster_timestamp
    }

    // ---- applications ----

    /// `getNewApplication`: a fresh id and the largest container size.
    pub fn new_application(&self) -> (ApplicationId, Resource) {
        let mut state = self.lock();
        let id = ApplicationId {
            cluster_timestamp: self.cluster_timestamp,
            id: state.next_app_seq,
        };
        state.next_app_seq = state.next_app_seq.saturating_add(1);
        (id, state.scheduler.maximum_allocation())
    }

    /// `submitApplication` (YARN's `RMAppManager.submitApplication` + CapacityScheduler
    /// admission): validates, records the application ACCEPTED (or FAILED for an unknown
    /// queue) and starts its first attempt. A known id is accepted again without change.
    pub fn submit_application(
        &self,
        user: &str,
        context: ApplicationSubmissionContextProto,
    ) -> Result<(), YarnException> {
        let id_proto = context.application_id.as_ref().ok_or_else(|| {
            YarnException::remote("Application id is missing in the submission context")
        })?;
        let id = ApplicationId::from_proto(id_proto)
            .map_err(|e| YarnException::remote(format!("Invalid application id: {e}")))?;
        let mut state = self.lock();
        if state.apps.contains_key(&id) {
            // Hadoop: "This is an earlier submitted application" → success, no change.
            return Ok(());
        }
        let unmanaged = context.unmanaged_am.unwrap_or(false);
        let am_container_spec = match context.am_container_spec.clone() {
            Some(spec) => spec,
            None if unmanaged => Default::default(),
            None => {
                return Err(YarnException::remote(format!(
                    "Missing the AM container launch context (am_container_spec) in the \
                     submission of {id}"
                )));
            }
        };
        let asked_am = context
            .resource
            .as_ref()
            .map(Resource::from_proto)
            .or_else(|| {
                context
                    .am_container_resource_request
                    .first()
                    .and_then(|r| r.capability.as_ref())
                    .map(Resource::from_proto)
            });
        let am_resource = if unmanaged {
            Resource::default()
        } else {
            let asked = asked_am.ok_or_else(|| {
                YarnException::new(
                    INVALID_RESOURCE_REQUEST,
                    format!(
                        "Invalid resource request, no resource request specified with AM \
                         container of {id}"
                    ),
                )
            })?;
            state
                .scheduler
                .validate(&asked)
                .map_err(|message| YarnException::new(INVALID_RESOURCE_REQUEST, message))?;
            state.scheduler.normalize(&asked)
        };
        let global = self.config.am_max_attempts;
        let asked_attempts = context.max_app_attempts.unwrap_or(0);
        let max_app_attempts = if asked_attempts <= 0 || asked_attempts > global {
            global
        } else {
            asked_attempts
        };
        let mut application_type = context
            .application_type
            .clone()
            .unwrap_or_else(|| "YARN".to_string());
        if application_type.chars().count() > APPLICATION_TYPE_LENGTH {
            application_type = application_type
                .chars()
                .take(APPLICATION_TYPE_LENGTH)
                .collect();
        }
        let queue = context
            .queue
            .clone()
            .filter(|q| !q.is_empty())
            .unwrap_or_else(|| "default".to_string());
        let now = now_ms();
        let mut app = RmApp {
            id,
            user: user.to_string(),
            queue: queue.clone(),
            name: context
                .application_name
                .clone()
                .unwrap_or_else(|| "N/A".to_string()),
            application_type,
            tags: context
                .application_tags
                .iter()
                .map(|t| t.trim().to_lowercase())
                .filter(|t| !t.is_empty())
                .collect(),
            // yarn.cluster.max-application-priority defaults to 0: priorities are capped there.
            priority: context
                .priority
                .as_ref()
                .and_then(|p| p.priority)
                .unwrap_or(0)
                .min(0),
            unmanaged,
            keep_containers: context
                .keep_containers_across_application_attempts
                .unwrap_or(false),
            am_resource,
            am_container_spec,
            max_app_attempts,
            state: AppState::Accepted,
            final_status: FinalStatus::Undefined,
            diagnostics: String::new(),
            submit_time_ms: now,
            start_time_ms: now,
            launch_time_ms: 0,
            finish_time_ms: 0,
            attempts: BTreeMap::new(),
            containers: BTreeMap::new(),
            memory_seconds: 0,
            vcore_seconds: 0,
            last_am_log_dir: None,
        };
        if !self.config.queues.contains(&queue) {
            // CapacityScheduler rejects the application after accepting the submission call.
            app.state = AppState::Failed;
            app.final_status = FinalStatus::Failed;
            app.diagnostics = rm_app::unknown_queue(&id, user, &queue);
            app.finish_time_ms = now;
            tracing::info!(application = %id, queue = %queue, "rejected: unknown queue");
            state.apps.insert(id, app);
            return Ok(());
        }
        tracing::info!(application = %id, user, unmanaged, "application accepted");
        state.apps.insert(id, app);
        self.start_attempt(&mut state, &id);
        self.run_scheduler(&mut state);
        Ok(())
    }

    /// Creates the next attempt of an application (YARN's `createNewAttempt` + schedule).
    pub(super) fn start_attempt(&self, state: &mut RmState, app_id: &ApplicationId) {
        let RmState {
            apps, scheduler, ..
        } = state;
        let Some(app) = apps.get_mut(app_id) else {
            return;
        };
        let attempt_id = ApplicationAttemptId {
            application_id: *app_id,
            attempt_id: app.attempts.len() as i32 + 1,
        };
        let (token, key_id) = self.amrm_tokens.create_token(&attempt_id);
        let mut attempt = RmAppAttempt::new(attempt_id, token, key_id);
        if app.unmanaged {
            // No AM container: the attempt is launched the moment it exists.
            attempt.state = AttemptState::Launched;
            attempt.last_heartbeat = Instant::now();
            scheduler.add_attempt(attempt_id, None);
        } else {
            scheduler.add_attempt(attempt_id, Some((app.am_resource, 0)));
        }
        app.attempts.insert(attempt_id.attempt_id, attempt);
        tracing::info!(attempt = %attempt_id, "attempt created");
    }

    /// Places what fits and turns each placement into a container: AM containers are launched
    /// on their node right away, task containers wait for the AM's next `allocate`.
    pub(super) fn run_scheduler(&self, state: &mut RmState) {
        loop {
            let placements = state.scheduler.schedule();
            if placements.is_empty() {
                return;
            }
            for placement in placements {
                self.materialize(state, placement);
            }
        }
    }

    fn materialize(&self, state: &mut RmState, placement: Placement) {
        let app_id = placement.attempt.application_id;
        let live = state
            .apps
            .get(&app_id)
            .and_then(|a| a.attempts.get(&placement.attempt.attempt_id))
            .is_some_and(|a| a.is_live());
        let Some(node) = self.nodes.get(placement.node).cloned() else {
            state.scheduler.release(placement.node, &placement.resource);
            return;
        };
        if !live {
            state.scheduler.release(placement.node, &placement.resource);
            return;
        }
        let Some(app) = state.apps.get_mut(&app_id) else {
            return;
        };
        let user = app.user.clone();
        let Some(attempt) = app.attempts.get_mut(&placement.attempt.attempt_id) else {
            return;
        };
        let container_id = attempt.new_container_id();
        let now = now_ms();
        let token = self.container_tokens.create_token(&ContainerTokenSpec {
            container_id,
            node: node.address(),
            app_submitter: user,
            resource: placement.resource,
            priority: placement.priority,
            expiry_time_ms: now.saturating_add(
                i64::try_from(self.config.container_allocation_expiry.as_millis())
                    .unwrap_or(i64::MAX),
            ),
            creation_time_ms: now,
            container_type: if placement.is_am_container {
                CONTAINER_TYPE_APPLICATION_MASTER
            } else {
                CONTAINER_TYPE_TASK
            },
            allocation_request_id: placement.allocation_request_id,
        });
        let container = RmContainer {
            id: container_id,
            node: placement.node,
            resource: placement.resource,
            priority: placement.priority,
            allocation_request_id: placement.allocation_request_id,
            is_am_container: placement.is_am_container,
            allocated_at: Instant::now(),
            allocated_at_ms: now,
            acquired: placement.is_am_container,
            started: false,
            container_token: token,
            completion: None,
        };
        if placement.is_am_container {
            attempt.master_container = Some((container_id, placement.node));
            app.containers.insert(container_id, container);
            let attempt_id = placement.attempt;
            match self.launch_am_container(app, &attempt_id, &node) {
                Ok(()) => {
                    app.launch_time_ms = now_ms();
                    if let Some(attempt) = app.attempts.get_mut(&attempt_id.attempt_id) {
                        attempt.state = AttemptState::Launched;
                        attempt.last_heartbeat = Instant::now();
                    }
                    tracing::info!(attempt = %attempt_id, container = %container_id, node = %node.address(), "AM container launched");
                }
                Err(e) => {
                    let diagnostics = format!(
                        "Error launching {attempt_id}. Got exception: {}: {}",
                        e.class_name, e.message
                    );
                    self.complete_container(
                        state,
                        &container_id,
                        exit_status::ABORTED,
                        &diagnostics,
                        None,
                    );
                    self.fail_attempt(state, &attempt_id, diagnostics);
                }
            }
        } else {
            attempt.newly_allocated.push(container_id);
            app.containers.insert(container_id, container);
        }
    }

    // ---- container completion ----

    /// Records a container's completion on the RM side (once): frees its resources, accounts
    /// its usage and queues its status for the current attempt's next `allocate`. With
    /// `nm_kill`, also tells its NodeManager to kill it with that exit status and text.
    pub(super) fn complete_container(
        &self,
        state: &mut RmState,
        container_id: &ContainerId,
        exit_status: i32,
        diagnostics: &str,
        nm_kill: Option<(i32, &str)>,
    ) {
        let RmState {
            apps, scheduler, ..
        } = state;
        let Some(app) = apps.get_mut(&container_id.attempt_id.application_id) else {
            return;
        };
        let Some(container) = app.containers.get_mut(container_id) else {
            return;
        };
        if container.completion.is_some() {
            return;
        }
        container.completion = Some(rm_app::ContainerCompletion {
            exit_status,
            diagnostics: diagnostics.to_string(),
            finished_at_ms: now_ms(),
        });
        let node = container.node;
        let resource = container.resource;
        let is_am = container.is_am_container;
        let seconds = container.allocated_at.elapsed().as_secs() as i64;
        scheduler.release(node, &resource);
        app.memory_seconds = app
            .memory_seconds
            .saturating_add(resource.memory_mb.saturating_mul(seconds));
        app.vcore_seconds = app
            .vcore_seconds
            .saturating_add(i64::from(resource.vcores).saturating_mul(seconds));
        if !is_am
            && let Some(attempt) = app.current_attempt_mut()
            && attempt.is_live()
        {
            attempt.just_finished.push(*container_id);
        }
        // The NodeManager may know the container before the RM has seen its start event, so
        // the kill is always sent (a NodeManager ignores containers it never started).
        if let Some((kill_status, kill_text)) = nm_kill
            && let Some(nm) = self.nodes.get(node)
        {
            nm.kill_container(container_id, kill_status, kill_text);
        }
    }

    /// Input from a NodeManager.
    pub fn handle_node_event(&self, event: NodeEvent) {
        let mut state = self.lock();
        match event {
            NodeEvent::ContainerStarted { container } => {
                if let Some(c) = state
                    .apps
                    .get_mut(&container.attempt_id.application_id)
                    .and_then(|a| a.containers.get_mut(&container))
                {
                    c.started = true;
                }
            }
            NodeEvent::ContainerCompleted {
                container,
                exit_status,
                diagnostics,
            } => {
                let app_id = container.attempt_id.application_id;
                let Some(app) = state.apps.get(&app_id) else {
                    return;
                };
                let Some(record) = app.containers.get(&container) else {
                    return;
                };
                let already_completed = record.completion.is_some();
                let is_am = record.is_am_container;
                let log_dir = self
                    .nodes
                    .get(record.node)
                    .map(|nm| nm.container_log_dir(&container));
                self.complete_container(&mut state, &container, exit_status, &diagnostics, None);
                if is_am && !already_completed {
                    if let Some(app) = state.apps.get_mut(&app_id) {
                        app.last_am_log_dir = log_dir.clone();
                    }
                    self.am_container_finished(
                        &mut state,
                        &container.attempt_id,
                        exit_status,
                        &diagnostics,
                        log_dir.as_deref(),
                    );
                }
            }
        }
        self.run_scheduler(&mut state);
    }

    /// The AM container of `attempt_id` ended.
    fn am_container_finished(
        &self,
        state: &mut RmState,
        attempt_id: &ApplicationAttemptId,
        exit_status: i32,
        diagnostics: &str,
        log_dir: Option<&std::path::Path>,
    ) {
        let Some(attempt_state) = state
            .apps
            .get(&attempt_id.application_id)
            .and_then(|a| a.attempts.get(&attempt_id.attempt_id))
            .map(|a| a.state)
        else {
            return;
        };
        match attempt_state {
            AttemptState::Finishing => self.finish_application(state, &attempt_id.application_id),
            AttemptState::Scheduled | AttemptState::Launched | AttemptState::Running => {
                let text =
                    rm_app::am_container_crashed(attempt_id, exit_status, diagnostics, log_dir);
                tracing::info!(attempt = %attempt_id, exit_status, "AM container exited");
                self.fail_attempt(state, attempt_id, text);
            }
            AttemptState::Finished | AttemptState::Failed | AttemptState::Killed => {}
        }
    }

    // ---- attempt and application endings ----

    /// Ends an attempt as FAILED and either starts the next one or fails the application.
    pub(super) fn fail_attempt(
        &self,
        state: &mut RmState,
        attempt_id: &ApplicationAttemptId,
        diagnostics: String,
    ) {
        let app_id = attempt_id.application_id;
        let (more_attempts, keep_containers) = {
            let Some(app) = state.apps.get_mut(&app_id) else {
                return;
            };
            let Some(attempt) = app.attempts.get_mut(&attempt_id.attempt_id) else {
                return;
            };
            if attempt.state.is_final() {
                return;
            }
            attempt.end(AttemptState::Failed);
            attempt.diagnostics = diagnostics.clone();
            // A failed attempt's AM address is no longer valid (invalidateAMHostAndPort).
            attempt.host = "N/A".to_string();
            attempt.rpc_port = -1;
            let more = !app.unmanaged && (app.attempts.len() as i32) < app.max_app_attempts;
            (more, app.keep_containers && more)
        };
        self.amrm_tokens.remove_attempt(attempt_id);
        state.scheduler.remove_attempt(attempt_id);
        self.end_attempt_containers(state, attempt_id, keep_containers);
        if more_attempts {
            if let Some(app) = state.apps.get_mut(&app_id) {
                app.state = AppState::Accepted;
            }
            self.start_attempt(state, &app_id);
        } else {
            let global = self.config.am_max_attempts;
            if let Some(app) = state.apps.get_mut(&app_id) {
                app.diagnostics = rm_app::application_failed(
                    &app_id,
                    app.unmanaged,
                    app.max_app_attempts,
                    global,
                    &diagnostics,
                );
                app.state = AppState::Failed;
                app.final_status = FinalStatus::Failed;
                app.finish_time_ms = now_ms();
                tracing::info!(application = %app_id, "application failed");
            }
            self.end_application_containers(state, &app_id);
        }
    }

    /// Stops the containers of an ended attempt: its AM container as AMLauncher's cleanup
    /// does, its task containers unless they are kept for the next attempt.
    fn end_attempt_containers(
        &self,
        state: &mut RmState,
        attempt_id: &ApplicationAttemptId,
        keep_task_containers: bool,
    ) {
        let Some(app) = state.apps.get(&attempt_id.application_id) else {
            return;
        };
        let live: Vec<(ContainerId, bool)> = app
            .live_containers()
            .filter(|c| c.id.attempt_id == *attempt_id)
            .map(|c| (c.id, c.is_am_container))
            .collect();
        for (id, is_am) in live {
            if is_am {
                self.complete_container(
                    state,
                    &id,
                    exit_status::KILLED_BY_APPMASTER,
                    "Container killed by the ApplicationMaster.",
                    Some((
                        exit_status::KILLED_BY_APPMASTER,
                        "Container killed by the ApplicationMaster.",
                    )),
                );
            } else if !keep_task_containers {
                self.complete_container(
                    state,
                    &id,
                    exit_status::ABORTED,
                    rm_app::COMPLETED_APPLICATION,
                    Some((
                        exit_status::KILLED_BY_RESOURCEMANAGER,
                        "Container Killed by ResourceManager",
                    )),
                );
            }
        }
    }

    /// Completes every live container of an ended application and lets each NodeManager kill
    /// what it still runs for it (`KILLED_AFTER_APP_COMPLETION`).
    fn end_application_containers(&self, state: &mut RmState, app_id: &ApplicationId) {
        let live: Vec<(ContainerId, bool)> = match state.apps.get(app_id) {
            Some(app) => app
                .live_containers()
                .map(|c| (c.id, c.is_am_container))
                .collect(),
            None => return,
        };
        for (id, is_am) in live {
            let (status, text) = if is_am {
                (
                    exit_status::KILLED_BY_APPMASTER,
                    "Container killed by the ApplicationMaster.",
                )
            } else {
                (exit_status::ABORTED, rm_app::COMPLETED_APPLICATION)
            };
            // The NodeManager-side kill comes from finish_application below (or, for the AM
            // container, from the cleanup stop).
            let nm_kill = is_am.then_some((status, text));
            self.complete_container(state, &id, status, text, nm_kill);
        }
        for node in &self.nodes {
            node.finish_application(app_id);
        }
    }

    /// The AM unregistered and (for managed AMs) its container is gone: FINISHED.
    pub(super) fn finish_application(&self, state: &mut RmState, app_id: &ApplicationId) {
        let attempt_id = {
            let Some(app) = state.apps.get_mut(app_id) else {
                return;
            };
            if app.state.is_final() {
                return;
            }
            let Some(attempt) = app.current_attempt_mut() else {
                return;
            };
            attempt.end(AttemptState::Finished);
            let attempt_id = attempt.id;
            if let Some(unregistration) = attempt.unregistration.clone() {
                app.final_status = unregistration.final_status;
            }
            app.state = AppState::Finished;
            if app.finish_time_ms == 0 {
                app.finish_time_ms = now_ms();
            }
            tracing::info!(application = %app_id, final_status = ?app.final_status, "application finished");
            attempt_id
        };
        self.amrm_tokens.remove_attempt(&attempt_id);
        state.scheduler.remove_attempt(&attempt_id);
        self.end_application_containers(state, app_id);
    }

    /// `forceKillApplication`: whether the kill is complete (YARN answers `false` first while
    /// it stores the final state, unless the AM is unmanaged).
    pub fn kill_application(
        &self,
        app_id: &ApplicationId,
        user: &str,
        peer: std::net::IpAddr,
        request_diagnostics: Option<&str>,
    ) -> Result<bool, YarnException> {
        let mut state = self.lock();
        let Some(app) = state.apps.get_mut(app_id) else {
            return Err(YarnException::new(
                crate::mini_cluster::yarn_exception::APPLICATION_NOT_FOUND,
                format!("Trying to kill an absent application {app_id}"),
            ));
        };
        if app.state.is_final_stored() {
            return Ok(true);
        }
        let mut message = format!("Application {app_id} was killed by user {user} at {peer}");
        if let Some(extra) = request_diagnostics.map(str::trim).filter(|d| !d.is_empty()) {
            message.push_str(" with diagnostic message: ");
            message.push_str(extra);
        }
        let unmanaged = app.unmanaged;
        app.state = AppState::Killed;
        app.final_status = FinalStatus::Killed;
        app.diagnostics = message;
        app.finish_time_ms = now_ms();
        let attempt_id = app.current_attempt_mut().and_then(|attempt| {
            if attempt.state.is_final() {
                None
            } else {
                attempt.end(AttemptState::Killed);
                attempt.host = "N/A".to_string();
                attempt.rpc_port = -1;
                Some(attempt.id)
            }
        });
        if let Some(attempt_id) = attempt_id {
            self.amrm_tokens.remove_attempt(&attempt_id);
            state.scheduler.remove_attempt(&attempt_id);
        }
        tracing::info!(application = %app_id, user, "application killed");
        self.end_application_containers(&mut state, app_id);
        self.run_scheduler(&mut state);
        Ok(unmanaged)
    }

    // ---- monitors ----

    /// One tick of the AM liveness monitor and the container allocation expirer.
    pub fn check_expiries(&self) {
        let mut state = self.lock();
        let expiry = self.config.am_liveness_expiry;
        let allocation_expiry = self.config.container_allocation_expiry;
        let mut expired_attempts = Vec::new();
        let mut expired_containers = Vec::new();
        for app in state.apps.values() {
            if let Some(attempt) = app.current_attempt() {
                let monitored = matches!(
                    attempt.state,
                    AttemptState::Launched | AttemptState::Running | AttemptState::Finishing
                );
                if monitored && attempt.last_heartbeat.elapsed() > expiry {
                    expired_attempts.push((attempt.id, attempt.state));
                }
            }
            for container in app.live_containers() {
                if !container.is_am_container
                    && !container.started
                    && container.allocated_at.elapsed() > allocation_expiry
                {
                    expired_containers.push(container.id);
                }
            }
        }
        for id in expired_containers {
            tracing::info!(container = %id, "allocated container expired unused");
            self.complete_container(
                &mut state,
                &id,
                exit_status::ABORTED,
                rm_app::EXPIRED_CONTAINER,
                None,
            );
        }
        for (attempt_id, attempt_state) in expired_attempts {
            tracing::info!(attempt = %attempt_id, "AM liveness expired");
            if attempt_state == AttemptState::Finishing {
                self.finish_application(&mut state, &attempt_id.application_id);
            } else {
                self.fail_attempt(&mut state, &attempt_id, rm_app::am_expired(&attempt_id));
            }
        }
        self.run_scheduler(&mut state);
    }

    /// How often [`Self::check_expiries`] should run.
    pub fn expiry_check_interval(&self) -> Duration {
        let shortest = self
            .config
            .am_liveness_expiry
            .min(self.config.container_allocation_expiry);
        (shortest / 10).clamp(Duration::from_millis(20), Duration::from_secs(1))
    }

    /// The state of an application as clients see it (tests).
    pub fn application_state(&self, app_id: &ApplicationId) -> Option<AppState> {
        self.lock().apps.get(app_id).map(|a| a.state)
    }

    /// Attempt ids of an application, oldest first (tests).
    pub fn attempt_ids(&self, app_id: &ApplicationId) -> Vec<ApplicationAttemptId> {
        self.lock()
            .apps
            .get(app_id)
            .map(|a| a.attempts.values().map(|at| at.id).collect())
            .unwrap_or_default()
    }

    /// Fails every application that is not final, for shutdown.
    pub fn stop_all_applications(&self) {
        let mut state = self.lock();
        let ids: Vec<ApplicationId> = state
            .apps
            .iter()
            .filter(|(_, a)| !a.state.is_final())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(app) = state.apps.get_mut(&id) {
                app.state = AppState::Killed;
                app.final_status = FinalStatus::Killed;
                app.diagnostics = "Application killed on shutdown of the mini cluster".into();
                app.finish_time_ms = now_ms();
                if let Some(attempt) = app.current_attempt_mut() {
                    attempt.end(AttemptState::Killed);
                }
            }
            self.end_application_containers(&mut state, &id);
        }
    }
}
