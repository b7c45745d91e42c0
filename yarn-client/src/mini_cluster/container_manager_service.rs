//! `ContainerManagementProtocol` on a NodeManager's port (YARN's `ContainerManagerImpl` RPC
//! face): TOKEN auth only with the NMToken of this node; the caller is the attempt in it.
//! Per-container problems go into `failed_requests` (`SerializedExceptionProto`), the call
//! itself succeeds — except a container token that is forged, for another node or
//! undecodable, which fails the whole `startContainers` call as in YARN.

use std::sync::Arc;

use prost::Message;

use crate::ids::ContainerId;
use crate::ipc::CONTAINER_MANAGEMENT_PROTOCOL;
use crate::ipc::server::{
    Caller, CallerAuth, RemoteException, RpcService, TokenVerifier, VerifiedToken,
};
use crate::mini_cluster::nm_token_secret_manager::{NmTokenIdentity, NmTokenSecretManager};
use crate::mini_cluster::node_manager::NodeManager;
use crate::mini_cluster::yarn_exception::YarnException;
use crate::proto::nm_protocol::{
    ContainerExceptionMapProto, GetContainerStatusesRequestProto,
    GetContainerStatusesResponseProto, StartContainersRequestProto, StopContainersRequestProto,
    StopContainersResponseProto,
};

/// The SASL token check of one NodeManager: NMTokens of this cluster for this node.
#[derive(Debug)]
pub struct NmTokenVerifier {
    nm: Arc<NodeManager>,
    tokens: Arc<NmTokenSecretManager>,
}

impl NmTokenVerifier {
    pub fn new(nm: Arc<NodeManager>, tokens: Arc<NmTokenSecretManager>) -> NmTokenVerifier {
        NmTokenVerifier { nm, tokens }
    }
}

impl TokenVerifier for NmTokenVerifier {
    fn verify(&self, identifier: &[u8]) -> Result<VerifiedToken, String> {
        self.tokens.verify_for_node(identifier, &self.nm.address())
    }
}

/// The RPC face of one NodeManager.
#[derive(Debug)]
pub struct ContainerManagerService {
    nm: Arc<NodeManager>,
}

impl ContainerManagerService {
    pub fn new(nm: Arc<NodeManager>) -> ContainerManagerService {
        ContainerManagerService { nm }
    }

    fn dispatch(
        &self,
        caller: &Caller,
        method: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, YarnException> {
        let nm_token = caller_nm_token(caller)?;
        match method {
            "startContainers" => {
                let request =
                    YarnException::decode_request::<StartContainersRequestProto>(method, request)?;
                Ok(self
                    .nm
                    .start_containers(&nm_token, request)?
                    .encode_to_vec())
            }
            "stopContainers" => {
                let request =
                    YarnException::decode_request::<StopContainersRequestProto>(method, request)?;
                let mut response = StopContainersResponseProto::default();
                for proto in request.container_id {
                    let result = ContainerId::from_proto(&proto)
                        .map_err(|e| YarnException::remote(format!("Invalid container id: {e}")))
                        .and_then(|id| self.nm.stop_container(&nm_token, &id));
                    match result {
                        Ok(()) => response.succeeded_requests.push(proto),
                        Err(e) => response.failed_requests.push(ContainerExceptionMapProto {
                            container_id: Some(proto),
                            exception: Some(e.to_serialized()),
                        }),
                    }
                }
                Ok(response.encode_to_vec())
            }
            "getContainerStatuses" => {
                let request = YarnException::decode_request::<GetContainerStatusesRequestProto>(
                    method, request,
                )?;
                let mut response = GetContainerStatusesResponseProto::default();
                for proto in request.container_id {
                    let result = ContainerId::from_proto(&proto)
                        .map_err(|e| YarnException::remote(format!("Invalid container id: {e}")))
                        .and_then(|id| self.nm.container_status(&nm_token, &id));
                    match result {
                        Ok(status) => response.status.push(status),
                        Err(e) => response.failed_requests.push(ContainerExceptionMapProto {
                            container_id: Some(proto),
                            exception: Some(e.to_serialized()),
                        }),
                    }
                }
                Ok(response.encode_to_vec())
            }
            other => Err(YarnException::no_such_method(
                other,
                CONTAINER_MANAGEMENT_PROTOCOL,
            )),
        }
    }
}

/// The NMToken identity of the caller (`selectNMTokenIdentifier`).
fn caller_nm_token(caller: &Caller) -> Result<NmTokenIdentity, YarnException> {
    match &caller.auth {
        CallerAuth::Token { identifier } => NmTokenSecretManager::decode_identifier(identifier)
            .map_err(|e| YarnException::remote(format!("Invalid NMToken: {e}"))),
        CallerAuth::Simple => Err(YarnException::remote("Invalid NMToken")),
    }
}

impl RpcService for ContainerManagerService {
    fn protocol(&self) -> &'static str {
        CONTAINER_MANAGEMENT_PROTOCOL
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
