//! `ApplicationMasterProtocol` on the RM scheduler port (YARN's `ApplicationMasterService` +
//! `DefaultAMSProcessor`): TOKEN auth only; the caller's attempt is the one in its AMRMToken.
//!
//! Sequencing (yarn-protocol.md §2.5):
//!
//! ```text
//!   register ─► last response = (id 0, empty)          second register → InvalidApplicationMasterRequestException
//!   allocate(response_id = r):
//!       not registered                    → ApplicationMasterNotRegisteredException
//!       (r + 1) & 0x7fffffff == last id   → the cached last response, byte for byte
//!       r != last id                      → InvalidApplicationMasterRequestException
//!       else: progress, releases (-100), asks (replace-table), schedule, build response,
//!             response_id = (last + 1) & 0x7fffffff, cache it
//!   finish: false first for a managed AM (the RM is "saving" the final state), true once the
//!           application's final state is stored; true at once for an unmanaged AM
//! ```
//!
//! A response carries each newly allocated container once, an NMToken the first time the
//! attempt gets a container on a node, each completed container status once, and the new
//! AMRMToken while a rolled key waits for activation and the caller's token has the old key.

use std::sync::Arc;
use std::time::Instant;

use prost::Message;

use crate::ids::{ApplicationAttemptId, ContainerId};
use crate::ipc::APPLICATION_MASTER_PROTOCOL;
use crate::ipc::server::{Caller, CallerAuth, RemoteException, RpcService};
use crate::mini_cluster::amrm_token_secret_manager::AmrmTokenSecretManager;
use crate::mini_cluster::application_report::final_status_from_proto;
use crate::mini_cluster::resource::Resource;
use crate::mini_cluster::resource_manager::ResourceManager;
use crate::mini_cluster::rm_app::{
    self, AppState, AttemptState, RmApp, RmContainer, Unregistration, exit_status,
};
use crate::mini_cluster::scheduler::AskKey;
use crate::mini_cluster::yarn_exception::{
    ACCESS_CONTROL, APPLICATION_ATTEMPT_NOT_FOUND, APPLICATION_MASTER_NOT_REGISTERED,
    INVALID_APPLICATION_MASTER_REQUEST, INVALID_CONTAINER_RELEASE, INVALID_RESOURCE_REQUEST,
    YarnException,
};
use crate::proto::am_protocol::{
    AllocateRequestProto, AllocateResponseProto, FinishApplicationMasterRequestProto,
    FinishApplicationMasterResponseProto, NMTokenProto, RegisterApplicationMasterRequestProto,
    RegisterApplicationMasterResponseProto, SchedulerResourceTypes,
};
use crate::proto::yarn_records::{
    ContainerProto, ContainerStateProto, ContainerStatusProto, ContainerSubStateProto,
    ExecutionTypeProto, PriorityProto,
};

/// `(id + 1) & Integer.MAX_VALUE`.
pub fn next_response_id(id: i32) -> i32 {
    id.wrapping_add(1) & i32::MAX
}

/// The RPC face of the RM for ApplicationMasters.
#[derive(Debug)]
pub struct ApplicationMasterService {
    rm: Arc<ResourceManager>,
}

impl ApplicationMasterService {
    pub fn new(rm: Arc<ResourceManager>) -> ApplicationMasterService {
        ApplicationMasterService { rm }
    }

    fn dispatch(
        &self,
        caller: &Caller,
        method: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, YarnException> {
        // YarnServerSecurityUtils.authorizeRequest: the attempt comes from the AMRMToken.
        let identifier = match &caller.auth {
            CallerAuth::Token { identifier } => identifier,
            CallerAuth::Simple => {
                return Err(YarnException::new(
                    ACCESS_CONTROL,
                    format!("No AMRMToken found for user {}", caller.user),
                ));
            }
        };
        let (attempt, key_id) = AmrmTokenSecretManager::decode_identifier(identifier)
            .map_err(|e| YarnException::new(ACCESS_CONTROL, e))?;
        match method {
            "registerApplicationMaster" => {
                let request = YarnException::decode_request::<RegisterApplicationMasterRequestProto>(
                    method, request,
                )?;
                Ok(self.rm.register_am(&attempt, &request)?.encode_to_vec())
            }
            "allocate" => {
                let request =
                    YarnException::decode_request::<AllocateRequestProto>(method, request)?;
                self.rm.allocate(&attempt, key_id, &request)
            }
            "finishApplicationMaster" => {
                let request = YarnException::decode_request::<FinishApplicationMasterRequestProto>(
                    method, request,
                )?;
                let unregistered = self.rm.finish_am(&attempt, &request)?;
                Ok(FinishApplicationMasterResponseProto {
                    is_unregistered: Some(unregistered),
                }
                .encode_to_vec())
            }
            other => Err(YarnException::no_such_method(
                other,
                APPLICATION_MASTER_PROTOCOL,
            )),
        }
    }
}

impl RpcService for ApplicationMasterService {
    fn protocol(&self) -> &'static str {
        APPLICATION_MASTER_PROTOCOL
    }

    fn call(
        &self,
        caller: &Caller,
        method: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, RemoteException> {
        self.dispatch(caller, method, request)
            .map_err(YarnException::into_remote)
    }
}

fn not_in_cache(attempt: &ApplicationAttemptId) -> YarnException {
    YarnException::new(
        INVALID_APPLICATION_MASTER_REQUEST,
        format!("Application doesn't exist in cache {attempt}"),
    )
}

impl ResourceManager {
    /// `registerApplicationMaster`.
    pub(super) fn register_am(
        &self,
        attempt_id: &ApplicationAttemptId,
        request: &RegisterApplicationMasterRequestProto,
    ) -> Result<RegisterApplicationMasterResponseProto, YarnException> {
        let mut state = self.lock();
        let maximum = state.scheduler.maximum_allocation();
        let app_id = attempt_id.application_id;
        let app = state
            .apps
            .get_mut(&app_id)
            .ok_or_else(|| not_in_cache(attempt_id))?;
        let attempt = app
            .attempts
            .get_mut(&attempt_id.attempt_id)
            .filter(|a| a.is_live())
            .ok_or_else(|| not_in_cache(attempt_id))?;
        if attempt.is_registered() {
            return Err(YarnException::new(
                INVALID_APPLICATION_MASTER_REQUEST,
                format!("Application Master is already registered : {app_id}"),
            ));
        }
        attempt.last_heartbeat = Instant::now();
        attempt.last_allocate_response = Some((
            0,
            AllocateResponseProto {
                response_id: Some(0),
                ..Default::default()
            }
            .encode_to_vec(),
        ));
        attempt.host = request.host.clone().unwrap_or_default();
        attempt.rpc_port = request.rpc_port.unwrap_or(-1);
        attempt.original_tracking_url = request
            .tracking_url
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "N/A".to_string());
        attempt.state = AttemptState::Running;
        if app.state == AppState::Accepted {
            app.state = AppState::Running;
        }
        tracing::info!(attempt = %attempt_id, host = %attempt.host, rpc_port = attempt.rpc_port, "AM registered");
        // Work-preserving AM restart: running containers of earlier attempts, and NMTokens
        // for their nodes.
        let mut previous = Vec::new();
        let mut previous_tokens = Vec::new();
        if app.keep_containers {
            let kept: Vec<RmContainer> = app
                .live_containers()
                .filter(|c| c.id.attempt_id != *attempt_id && !c.is_am_container)
                .cloned()
                .collect();
            let user = app.user.clone();
            if let Some(attempt) = app.attempts.get_mut(&attempt_id.attempt_id) {
                for container in &kept {
                    if let Some(node) = self.nodes.get(container.node) {
                        previous.push(container_proto(container, node));
                        if attempt.nm_token_nodes.insert(container.node) {
                            previous_tokens.push(NMTokenProto {
                                node_id: Some(node.node_id_proto()),
                                token: Some(
                                    self.nm_tokens
                                        .create_token(attempt_id, node.host(), node.port(), &user)
                                        .to_proto(),
                                ),
                            });
                        }
                    }
                }
            }
        }
        Ok(RegisterApplicationMasterResponseProto {
            maximum_capability: Some(maximum.to_proto()),
            client_to_am_token_master_key: None,
            application_acls: app.am_container_spec.application_acls.clone(),
            containers_from_previous_attempts: previous,
            queue: Some(app.queue.clone()),
            nm_tokens_from_previous_attempts: previous_tokens,
            scheduler_resource_types: vec![SchedulerResourceTypes::Memory as i32],
            resource_types: Vec::new(),
        })
    }

    /// `allocate`: returns the encoded response (cached for a repeated call).
    pub(super) fn allocate(
        &self,
        attempt_id: &ApplicationAttemptId,
        caller_key_id: i32,
        request: &AllocateRequestProto,
    ) -> Result<Vec<u8>, YarnException> {
        let mut state = self.lock();
        let app_id = attempt_id.application_id;
        let not_found = || {
            YarnException::new(
                APPLICATION_ATTEMPT_NOT_FOUND,
                format!(
                    "Application attempt {attempt_id} doesn't exist in ApplicationMasterService \
                     cache."
                ),
            )
        };
        let (last_id, cached, keep_containers, attempt_state) = {
            let app = state.apps.get_mut(&app_id).ok_or_else(not_found)?;
            let keep = app.keep_containers;
            let attempt = app
                .attempts
                .get_mut(&attempt_id.attempt_id)
                .filter(|a| a.is_live())
                .ok_or_else(not_found)?;
            attempt.last_heartbeat = Instant::now();
            let Some((last_id, cached)) = attempt.last_allocate_response.clone() else {
                return Err(YarnException::new(
                    APPLICATION_MASTER_NOT_REGISTERED,
                    format!(
                        "AM is not registered for known application attempt: {attempt_id} or \
                         RM had restarted after AM registered.  AM should re-register."
                    ),
                ));
            };
            (last_id, cached, keep, attempt.state)
        };
        let asked_id = request.response_id.unwrap_or(0);
        if next_response_id(asked_id) == last_id {
            return Ok(cached);
        }
        if asked_id != last_id {
            return Err(YarnException::new(
                INVALID_APPLICATION_MASTER_REQUEST,
                format!(
                    "Invalid responseId in AllocateRequest from application attempt: \
                     {attempt_id} expect responseId to be {last_id} but get {asked_id}"
                ),
            ));
        }
        // Validate everything before changing anything.
        let mut asks = Vec::with_capacity(request.ask.len());
        for ask in &request.ask {
            let capability = ask
                .capability
                .as_ref()
                .map(Resource::from_proto)
                .ok_or_else(|| {
                    YarnException::new(
                        INVALID_RESOURCE_REQUEST,
                        "Invalid resource request, no capability given".to_string(),
                    )
                })?;
            state
                .scheduler
                .validate(&capability)
                .map_err(|m| YarnException::new(INVALID_RESOURCE_REQUEST, m))?;
            let num_containers = ask.num_containers.unwrap_or(0);
            if num_containers < 0 {
                return Err(YarnException::new(
                    INVALID_RESOURCE_REQUEST,
                    format!(
                        "Invalid resource request, requested number of containers \
                         {num_containers} is less than 0"
                    ),
                ));
            }
            let key = AskKey {
                priority: ask.priority.as_ref().and_then(|p| p.priority).unwrap_or(0),
                allocation_request_id: ask.allocation_request_id.unwrap_or(-1),
                resource_name: ask.resource_name.clone().unwrap_or_else(|| "*".into()),
            };
            asks.push((
                key,
                capability,
                num_containers,
                ask.relax_locality.unwrap_or(true),
            ));
        }
        let mut releases = Vec::with_capacity(request.release.len());
        for proto in &request.release {
            let id = ContainerId::from_proto(proto).map_err(|e| {
                YarnException::new(
                    INVALID_CONTAINER_RELEASE,
                    format!("Invalid container id: {e}"),
                )
            })?;
            if !keep_containers && id.attempt_id != *attempt_id {
                return Err(YarnException::new(
                    INVALID_CONTAINER_RELEASE,
                    format!(
                        "Cannot release container : {id} not belonging to this application \
                         attempt : {attempt_id}"
                    ),
                ));
            }
            releases.push(id);
        }
        // Progress (clamped like DefaultAMSProcessor) and a changed tracking URL.
        if let Some(attempt) = state
            .apps
            .get_mut(&app_id)
            .and_then(|a| a.attempts.get_mut(&attempt_id.attempt_id))
        {
            let progress = request.progress.unwrap_or(0.0);
            attempt.progress = if progress.is_nan() || progress < 0.0 {
                0.0
            } else if progress > 1.0 {
                1.0
            } else {
                progress
            };
            if let Some(url) = request.tracking_url.as_ref().filter(|u| !u.is_empty()) {
                attempt.original_tracking_url = url.clone();
            }
        }
        for id in releases {
            let owned = state
                .apps
                .get(&app_id)
                .is_some_and(|a| a.containers.contains_key(&id));
            if owned {
                self.complete_container(
                    &mut state,
                    &id,
                    exit_status::ABORTED,
                    rm_app::RELEASED_CONTAINER,
                    Some((
                        exit_status::KILLED_BY_RESOURCEMANAGER,
                        "Container Killed by ResourceManager",
                    )),
                );
            } else {
                tracing::info!(container = %id, "release of an unknown container ignored");
            }
        }
        if attempt_state == AttemptState::Running {
            state.scheduler.update_asks(attempt_id, asks);
            self.run_scheduler(&mut state);
        }
        let available = state.scheduler.available();
        let next_key = self.amrm_tokens.next_key_id();
        let num_nodes = i32::try_from(self.nodes.len()).unwrap_or(i32::MAX);
        let app = state.apps.get_mut(&app_id).ok_or_else(not_found)?;
        let response = self.build_allocate_response(
            app,
            attempt_id,
            caller_key_id,
            next_key,
            available,
            num_nodes,
            next_response_id(last_id),
        );
        let bytes = response.encode_to_vec();
        if let Some(attempt) = app.attempts.get_mut(&attempt_id.attempt_id) {
            attempt.last_allocate_response = Some((next_response_id(last_id), bytes.clone()));
        }
        Ok(bytes)
    }

    #[allow(clippy::too_many_arguments)]
    fn build_allocate_response(
        &self,
        app: &mut RmApp,
        attempt_id: &ApplicationAttemptId,
        caller_key_id: i32,
        next_key: Option<i32>,
        available: Resource,
        num_cluster_nodes: i32,
        response_id: i32,
    ) -> AllocateResponseProto {
        let user = app.user.clone();
        let priority = app.priority;
        let Some(attempt) = app.attempts.get_mut(&attempt_id.attempt_id) else {
            return AllocateResponseProto::default();
        };
        let allocated_ids = std::mem::take(&mut attempt.newly_allocated);
        let finished_ids = std::mem::take(&mut attempt.just_finished);
        let mut allocated = Vec::with_capacity(allocated_ids.len());
        let mut nm_tokens = Vec::new();
        for id in &allocated_ids {
            let Some(container) = app.containers.get_mut(id) else {
                continue;
            };
            if container.completion.is_some() {
                continue;
            }
            container.acquired = true;
            let Some(node) = self.nodes.get(container.node) else {
                continue;
            };
            allocated.push(container_proto(container, node));
            if attempt.nm_token_nodes.insert(container.node) {
                nm_tokens.push(NMTokenProto {
                    node_id: Some(node.node_id_proto()),
                    token: Some(
                        self.nm_tokens
                            .create_token(attempt_id, node.host(), node.port(), &user)
                            .to_proto(),
                    ),
                });
            }
        }
        let completed = finished_ids
            .iter()
            .filter_map(|id| app.containers.get(id))
            .filter_map(|c| {
                c.completion.as_ref().map(|done| ContainerStatusProto {
                    container_id: Some(c.id.to_proto()),
                    state: Some(ContainerStateProto::CComplete as i32),
                    diagnostics: Some(done.diagnostics.clone()),
                    exit_status: Some(done.exit_status),
                    capability: Some(c.resource.to_proto()),
                    execution_type: Some(ExecutionTypeProto::Guaranteed as i32),
                    container_attributes: Vec::new(),
                    container_sub_state: Some(ContainerSubStateProto::CssDone as i32),
                })
            })
            .collect();
        let am_rm_token = match next_key {
            Some(next) if next != caller_key_id => {
                if attempt.am_rm_token_key_id != next {
                    let (token, key_id) = self.amrm_tokens.create_token(attempt_id);
                    attempt.am_rm_token = token;
                    attempt.am_rm_token_key_id = key_id;
                    tracing::info!(attempt = %attempt_id, "AMRMToken rolled over");
                }
                Some(attempt.am_rm_token.to_proto())
            }
            _ => None,
        };
        AllocateResponseProto {
            response_id: Some(response_id),
            allocated_containers: allocated,
            completed_container_statuses: completed,
            limit: Some(available.to_proto()),
            num_cluster_nodes: Some(num_cluster_nodes),
            nm_tokens,
            am_rm_token,
            application_priority: Some(PriorityProto {
                priority: Some(priority),
            }),
            ..Default::default()
        }
    }

    /// `finishApplicationMaster`: whether the AM is unregistered.
    pub(super) fn finish_am(
        &self,
        attempt_id: &ApplicationAttemptId,
        request: &FinishApplicationMasterRequestProto,
    ) -> Result<bool, YarnException> {
        let mut state = self.lock();
        let app_id = attempt_id.application_id;
        let app = state
            .apps
            .get_mut(&app_id)
            .ok_or_else(|| not_in_cache(attempt_id))?;
        if app.state.is_final_stored() {
            return Ok(true);
        }
        let unmanaged = app.unmanaged;
        let attempt = app
            .attempts
            .get_mut(&attempt_id.attempt_id)
            .filter(|a| a.is_live())
            .ok_or_else(|| not_in_cache(attempt_id))?;
        if !attempt.is_registered() {
            return Err(YarnException::new(
                APPLICATION_MASTER_NOT_REGISTERED,
                format!(
                    "Application Master is trying to unregister before registering for: {app_id}"
                ),
            ));
        }
        attempt.last_heartbeat = Instant::now();
        let unregistration = Unregistration {
            final_status: final_status_from_proto(request.final_application_status),
            diagnostics: request.diagnostics.clone().unwrap_or_default(),
            tracking_url: request.tracking_url.clone().unwrap_or_default(),
        };
        if !unregistration.tracking_url.is_empty() {
            attempt.original_tracking_url = unregistration.tracking_url.clone();
        }
        attempt.progress = 1.0;
        attempt.state = AttemptState::Finishing;
        attempt.unregistration = Some(unregistration.clone());
        app.state = AppState::Finishing;
        app.final_status = unregistration.final_status;
        app.diagnostics = unregistration.diagnostics;
        app.finish_time_ms = crate::mini_cluster::resource_manager::now_ms();
        tracing::info!(attempt = %attempt_id, final_status = ?app.final_status, "AM unregistered");
        state.scheduler.remove_attempt(attempt_id);
        if unmanaged {
            self.finish_application(&mut state, &app_id);
            self.run_scheduler(&mut state);
            return Ok(true);
        }
        self.run_scheduler(&mut state);
        Ok(false)
    }
}

/// The `ContainerProto` the AM gets for a container.
fn container_proto(
    container: &RmContainer,
    node: &crate::mini_cluster::node_manager::NodeManager,
) -> ContainerProto {
    ContainerProto {
        id: Some(container.id.to_proto()),
        node_id: Some(node.node_id_proto()),
        node_http_address: Some(node.http_address()),
        resource: Some(container.resource.to_proto()),
        priority: Some(PriorityProto {
            priority: Some(container.priority),
        }),
        container_token: Some(container.container_token.to_proto()),
        execution_type: Some(ExecutionTypeProto::Guaranteed as i32),
        allocation_request_id: Some(container.allocation_request_id),
        version: Some(0),
        allocation_tags: Vec::new(),
        exposed_ports: None,
    }
}

#[cfg(test)]
mod tests {
    use super::next_response_id;

    #[test]
    fn response_ids_wrap_to_zero() {
        assert_eq!(next_response_id(0), 1);
        assert_eq!(next_response_id(i32::MAX), 0);
        assert_eq!(next_response_id(-1), 0);
    }
}
