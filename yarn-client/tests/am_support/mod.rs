//! Scripted fakes of the RM scheduler (`ApplicationMasterProtocol`) and of a NodeManager
//! (`ContainerManagementProtocol`) on weir-yarn's own `IpcServer`, with TOKEN-only auth like the
//! real daemons. They record every call so tests can check the exact conversation (response
//! ids, asks, releases, which token a connection used) without a full cluster.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use prost::Message;
use weir_yarn::ids::{ApplicationAttemptId, ContainerId};
use weir_yarn::ipc::{
    APPLICATION_MASTER_PROTOCOL, CONTAINER_MANAGEMENT_PROTOCOL, Caller, CallerAuth, IpcServer,
    RemoteException, RpcService, ServerAuth, TokenVerifier, VerifiedToken,
};
use weir_yarn::proto::am_protocol::{
    AllocateRequestProto, AllocateResponseProto, FinishApplicationMasterRequestProto,
    FinishApplicationMasterResponseProto, NMTokenProto, RegisterApplicationMasterRequestProto,
    RegisterApplicationMasterResponseProto,
};
use weir_yarn::proto::hadoop_common::TokenProto;
use weir_yarn::proto::nm_protocol::{
    ContainerExceptionMapProto, StartContainersRequestProto, StartContainersResponseProto,
    StopContainersRequestProto, StopContainersResponseProto,
};
use weir_yarn::proto::yarn_records::{
    ContainerIdProto, ContainerProto, ContainerStatusProto, NodeIdProto, PriorityProto,
    ResourceProto, SerializedExceptionProto,
};
use weir_yarn::token::{AMRM_TOKEN_KIND, NM_TOKEN_KIND, Token};

pub const NOT_REGISTERED: &str =
    "org.apache.hadoop.yarn.exceptions.ApplicationMasterNotRegisteredException";
pub const INVALID_REQUEST: &str =
    "org.apache.hadoop.yarn.exceptions.InvalidApplicationMasterRequestException";

pub fn attempt() -> ApplicationAttemptId {
    "appattempt_1700000000000_0001_000001".parse().unwrap()
}

pub fn container_id(sequence: i64) -> ContainerId {
    format!("container_1700000000000_0001_01_{sequence:06}")
        .parse()
        .unwrap()
}

/// A token whose identifier is `name` and password `name` + "-password".
pub fn token(kind: &str, name: &str) -> Token {
    Token {
        identifier: name.as_bytes().to_vec(),
        password: format!("{name}-password").into_bytes(),
        kind: kind.to_string(),
        service: String::new(),
    }
}

/// Accepts the identifiers it was told about, as the attempt's user.
#[derive(Default)]
pub struct FakeVerifier {
    accepted: Mutex<HashSet<Vec<u8>>>,
}

impl FakeVerifier {
    pub fn accepting(names: &[&str]) -> Arc<FakeVerifier> {
        let verifier = FakeVerifier::default();
        for name in names {
            verifier.accept(name);
        }
        Arc::new(verifier)
    }

    pub fn accept(&self, name: &str) {
        self.accepted
            .lock()
            .unwrap()
            .insert(name.as_bytes().to_vec());
    }

    pub fn revoke(&self, name: &str) {
        self.accepted.lock().unwrap().remove(name.as_bytes());
    }
}

impl TokenVerifier for FakeVerifier {
    fn verify(&self, identifier: &[u8]) -> Result<VerifiedToken, String> {
        if !self.accepted.lock().unwrap().contains(identifier) {
            return Err(format!(
                "unknown token {}",
                String::from_utf8_lossy(identifier)
            ));
        }
        let mut password = identifier.to_vec();
        password.extend_from_slice(b"-password");
        Ok(VerifiedToken {
            password,
            user: attempt().to_string(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// scheduler

/// What the fake scheduler saw and will do next.
#[derive(Default)]
pub struct SchedulerState {
    pub registered: bool,
    pub registrations: u32,
    pub last_response_id: i32,
    pub last_response: Option<AllocateResponseProto>,
    /// Every allocate request received, in order.
    pub allocates: Vec<AllocateRequestProto>,
    /// When each allocate arrived.
    pub allocate_times: Vec<Instant>,
    /// Token identifiers of the connections that made calls.
    pub caller_tokens: Vec<Vec<u8>>,
    /// Put into the next allocate response.
    pub next_allocated: Vec<ContainerProto>,
    pub next_completed: Vec<ContainerStatusProto>,
    pub next_nm_tokens: Vec<NMTokenProto>,
    pub next_am_rm_token: Option<TokenProto>,
    pub next_am_command: Option<i32>,
    /// finishApplicationMaster answers `isUnregistered = false` this many times first.
    pub unregister_refusals: u32,
    pub finishes: Vec<(Instant, FinishApplicationMasterRequestProto)>,
    pub maximum_capability: (i64, i32),
    /// Sent in every registration response (keep-containers-across-attempts).
    pub previous_containers: Vec<ContainerProto>,
    pub previous_nm_tokens: Vec<NMTokenProto>,
}

pub struct FakeScheduler {
    state: Mutex<SchedulerState>,
}

impl FakeScheduler {
    pub fn new() -> Arc<FakeScheduler> {
        Arc::new(FakeScheduler {
            state: Mutex::new(SchedulerState {
                maximum_capability: (4096, 4),
                ..Default::default()
            }),
        })
    }

    pub fn state(&self) -> MutexGuard<'_, SchedulerState> {
        self.state.lock().unwrap()
    }

    fn register(&self, request: &[u8]) -> Result<Vec<u8>, RemoteException> {
        RegisterApplicationMasterRequestProto::decode(request)
            .map_err(|e| RemoteException::new("java.io.IOException", e.to_string()))?;
        let mut state = self.state();
        if state.registered {
            return Err(RemoteException::new(
                INVALID_REQUEST,
                "Application Master is already registered",
            ));
        }
        state.registered = true;
        state.registrations += 1;
        state.last_response_id = 0;
        state.last_response = None;
        let (memory, vcores) = state.maximum_capability;
        Ok(RegisterApplicationMasterResponseProto {
            maximum_capability: Some(ResourceProto {
                memory: Some(memory),
                virtual_cores: Some(vcores),
                ..Default::default()
            }),
            queue: Some("default".to_string()),
            containers_from_previous_attempts: state.previous_containers.clone(),
            nm_tokens_from_previous_attempts: state.previous_nm_tokens.clone(),
            ..Default::default()
        }
        .encode_to_vec())
    }

    fn allocate(&self, request: &[u8]) -> Result<Vec<u8>, RemoteException> {
        let request = AllocateRequestProto::decode(request)
            .map_err(|e| RemoteException::new("java.io.IOException", e.to_string()))?;
        let mut state = self.state();
        let response_id = request.response_id.unwrap_or(0);
        state.allocates.push(request);
        state.allocate_times.push(Instant::now());
        if !state.registered {
            return Err(RemoteException::new(
                NOT_REGISTERED,
                "AM is not registered for known application attempt",
            ));
        }
        if response_id + 1 == state.last_response_id
            && let Some(cached) = &state.last_response
        {
            return Ok(cached.encode_to_vec());
        }
        if response_id != state.last_response_id {
            return Err(RemoteException::new(
                INVALID_REQUEST,
                format!(
                    "Invalid responseId in AllocateRequest from application attempt: {}, expect responseId to be {}, but get {response_id}",
                    attempt(),
                    state.last_response_id
                ),
            ));
        }
        let next = (state.last_response_id + 1) & i32::MAX;
        let response = AllocateResponseProto {
            response_id: Some(next),
            a_m_command: state.next_am_command.take(),
            allocated_containers: std::mem::take(&mut state.next_allocated),
            completed_container_statuses: std::mem::take(&mut state.next_completed),
            nm_tokens: std::mem::take(&mut state.next_nm_tokens),
            am_rm_token: state.next_am_rm_token.take(),
            num_cluster_nodes: Some(1),
            ..Default::default()
        };
        state.last_response_id = next;
        state.last_response = Some(response.clone());
        Ok(response.encode_to_vec())
    }

    fn finish(&self, request: &[u8]) -> Result<Vec<u8>, RemoteException> {
        let request = FinishApplicationMasterRequestProto::decode(request)
            .map_err(|e| RemoteException::new("java.io.IOException", e.to_string()))?;
        let mut state = self.state();
        if !state.registered {
            return Err(RemoteException::new(NOT_REGISTERED, "not registered"));
        }
        state.finishes.push((Instant::now(), request));
        let unregistered = if state.unregister_refusals > 0 {
            state.unregister_refusals -= 1;
            false
        } else {
            true
        };
        Ok(FinishApplicationMasterResponseProto {
            is_unregistered: Some(unregistered),
        }
        .encode_to_vec())
    }
}

impl RpcService for FakeScheduler {
    fn protocol(&self) -> &'static str {
        APPLICATION_MASTER_PROTOCOL
    }

    fn call(
        &self,
        caller: &Caller,
        method: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, RemoteException> {
        if let CallerAuth::Token { identifier } = &caller.auth {
            self.state().caller_tokens.push(identifier.clone());
        }
        match method {
            "registerApplicationMaster" => self.register(request),
            "allocate" => self.allocate(request),
            "finishApplicationMaster" => self.finish(request),
            other => Err(RemoteException::no_such_method(
                APPLICATION_MASTER_PROTOCOL,
                other,
            )),
        }
    }
}

/// A fake scheduler listening on a free loopback port (TOKEN only).
pub async fn start_scheduler(
    scheduler: Arc<FakeScheduler>,
    verifier: Arc<FakeVerifier>,
) -> IpcServer {
    start_scheduler_at("127.0.0.1:0", scheduler, verifier).await
}

pub async fn start_scheduler_at(
    address: &str,
    scheduler: Arc<FakeScheduler>,
    verifier: Arc<FakeVerifier>,
) -> IpcServer {
    IpcServer::bind(address, scheduler, ServerAuth::TokenOnly, Some(verifier))
        .await
        .unwrap()
}

/// Waits until `condition` holds on the scheduler state, at most `timeout`.
pub async fn wait_for(
    scheduler: &FakeScheduler,
    timeout: Duration,
    what: &str,
    condition: impl Fn(&SchedulerState) -> bool,
) {
    let started = Instant::now();
    while !condition(&scheduler.state()) {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// An allocated container on `node` with an AMRM-style container token.
pub fn allocated_container(
    sequence: i64,
    priority: i32,
    node: &str,
    memory_mb: i64,
) -> ContainerProto {
    let (host, port) = node.rsplit_once(':').unwrap();
    ContainerProto {
        id: Some(container_id(sequence).to_proto()),
        node_id: Some(NodeIdProto {
            host: Some(host.to_string()),
            port: Some(port.parse().unwrap()),
        }),
        node_http_address: Some(format!("{host}:8042")),
        resource: Some(ResourceProto {
            memory: Some(memory_mb),
            virtual_cores: Some(1),
            ..Default::default()
        }),
        priority: Some(PriorityProto {
            priority: Some(priority),
        }),
        container_token: Some(token("ContainerToken", &format!("container-{sequence}")).to_proto()),
        ..Default::default()
    }
}

pub fn completed(sequence: i64, exit_status: i32, diagnostics: &str) -> ContainerStatusProto {
    ContainerStatusProto {
        container_id: Some(container_id(sequence).to_proto()),
        state: Some(3),
        diagnostics: Some(diagnostics.to_string()),
        exit_status: Some(exit_status),
        ..Default::default()
    }
}

pub fn nm_token_for(node: &str, name: &str) -> NMTokenProto {
    let (host, port) = node.rsplit_once(':').unwrap();
    let mut token = token(NM_TOKEN_KIND, name);
    token.service = node.to_string();
    NMTokenProto {
        node_id: Some(NodeIdProto {
            host: Some(host.to_string()),
            port: Some(port.parse().unwrap()),
        }),
        token: Some(token.to_proto()),
    }
}

pub fn amrm_token(name: &str) -> Token {
    token(AMRM_TOKEN_KIND, name)
}

// ---------------------------------------------------------------------------------------------
// node manager

#[derive(Default)]
pub struct NodeState {
    /// Containers started, with the command of their launch context.
    pub started: HashMap<ContainerId, Vec<String>>,
    pub stopped: Vec<ContainerId>,
    /// Starting these fails with the given (class, message).
    pub refuse: HashMap<ContainerId, (String, String)>,
    pub caller_tokens: Vec<Vec<u8>>,
}

#[derive(Default)]
pub struct FakeNodeManager {
    state: Mutex<NodeState>,
}

impl FakeNodeManager {
    pub fn new() -> Arc<FakeNodeManager> {
        Arc::new(FakeNodeManager::default())
    }

    pub fn state(&self) -> MutexGuard<'_, NodeState> {
        self.state.lock().unwrap()
    }
}

fn exception(id: &ContainerIdProto, class_name: &str, message: &str) -> ContainerExceptionMapProto {
    ContainerExceptionMapProto {
        container_id: Some(id.clone()),
        exception: Some(SerializedExceptionProto {
            message: Some(message.to_string()),
            class_name: Some(class_name.to_string()),
            ..Default::default()
        }),
    }
}

impl RpcService for FakeNodeManager {
    fn protocol(&self) -> &'static str {
        CONTAINER_MANAGEMENT_PROTOCOL
    }

    fn call(
        &self,
        caller: &Caller,
        method: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, RemoteException> {
        let mut state = self.state();
        if let CallerAuth::Token { identifier } = &caller.auth {
            state.caller_tokens.push(identifier.clone());
        }
        let decode_error =
            |e: prost::DecodeError| RemoteException::new("java.io.IOException", e.to_string());
        match method {
            "startContainers" => {
                let request = StartContainersRequestProto::decode(request).map_err(decode_error)?;
                let mut response = StartContainersResponseProto::default();
                for start in request.start_container_request {
                    let token = start.container_token.unwrap_or_default();
                    let name = String::from_utf8_lossy(&token.identifier).to_string();
                    let Some(sequence) = name
                        .strip_prefix("container-")
                        .and_then(|s| s.parse::<i64>().ok())
                    else {
                        continue;
                    };
                    let id = container_id(sequence);
                    let id_proto = id.to_proto();
                    if let Some((class_name, message)) = state.refuse.get(&id).cloned() {
                        response
                            .failed_requests
                            .push(exception(&id_proto, &class_name, &message));
                    } else if let std::collections::hash_map::Entry::Vacant(entry) =
                        state.started.entry(id)
                    {
                        let command = start
                            .container_launch_context
                            .map(|clc| clc.command)
                            .unwrap_or_default();
                        entry.insert(command);
                        response.succeeded_requests.push(id_proto);
                    } else {
                        response.failed_requests.push(exception(
                            &id_proto,
                            "org.apache.hadoop.yarn.exceptions.YarnException",
                            "Container already started",
                        ));
                    }
                }
                Ok(response.encode_to_vec())
            }
            "stopContainers" => {
                let request = StopContainersRequestProto::decode(request).map_err(decode_error)?;
                let mut response = StopContainersResponseProto::default();
                for id_proto in request.container_id {
                    let known = ContainerId::from_proto(&id_proto)
                        .ok()
                        .filter(|id| state.started.contains_key(id));
                    if let Some(id) = known {
                        state.stopped.push(id);
                        response.succeeded_requests.push(id_proto);
                    } else {
                        response.failed_requests.push(exception(
                            &id_proto,
                            "org.apache.hadoop.yarn.exceptions.YarnException",
                            "Container is not handled by this NodeManager",
                        ));
                    }
                }
                Ok(response.encode_to_vec())
            }
            other => Err(RemoteException::no_such_method(
                CONTAINER_MANAGEMENT_PROTOCOL,
                other,
            )),
        }
    }
}

pub async fn start_node_manager(
    node: Arc<FakeNodeManager>,
    verifier: Arc<FakeVerifier>,
) -> IpcServer {
    IpcServer::bind("127.0.0.1:0", node, ServerAuth::TokenOnly, Some(verifier))
        .await
        .unwrap()
}
