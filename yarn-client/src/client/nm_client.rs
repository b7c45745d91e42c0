//! `NmClient`: the ApplicationMaster's side of `ContainerManagementProtocol` on every
//! NodeManager it got containers on (TOKEN auth with that node's NMToken; yarn-protocol.md §2.6).
//!
//! ```text
//!   allocate/register responses ──nm_tokens──► token cache  host:port → NMToken
//!                                                   │ (a newer token for a node replaces the old
//!                                                   │  one and is used by new connections)
//!   start_container(container, CLC) ──► proxy for container.nodeId (one per NM, reused)
//!        StartContainersRequest{[CLC + container.container_token]}
//!        ◄── succeeded_requests / failed_requests{container id → SerializedException}
//! ```
//!
//! Per-container failures come back inside a successful RPC (`failed_requests`); they are
//! turned into [`YarnError::ContainerRequestFailed`] carrying the Java exception class and
//! message. The NMToken is sent only with an attempt's first container on a node, so the cache
//! lives as long as the attempt; a container on a node without a cached token is an error.
//!
//! All methods take `&self` (the cache sits behind a mutex that is never held across an
//! await), so one `NmClient` in an `Arc` serves concurrent container starts.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::YarnError;
use crate::ids::ContainerId;
use crate::ipc::{CONTAINER_MANAGEMENT_PROTOCOL, ClientAuth, FailoverProxy, RetryPolicy};
use crate::proto::am_protocol::NMTokenProto;
use crate::proto::nm_protocol::{
    ContainerExceptionMapProto, GetContainerStatusesRequestProto,
    GetContainerStatusesResponseProto, StartContainerRequestProto, StartContainersRequestProto,
    StartContainersResponseProto, StopContainersRequestProto, StopContainersResponseProto,
};
use crate::proto::yarn_records::{
    ContainerLaunchContextProto, ContainerProto, ContainerStatusProto, NodeIdProto,
};
use crate::token::Token;

/// `host:port` of a node id, the key of the token cache and the address to connect to.
pub fn node_address(node_id: &NodeIdProto) -> String {
    format!(
        "{}:{}",
        node_id.host.as_deref().unwrap_or_default(),
        node_id.port.unwrap_or(0)
    )
}

#[derive(Default)]
struct NodeEntry {
    token: Option<Token>,
    proxy: Option<FailoverProxy>,
}

/// A client of the NodeManagers an ApplicationMaster's containers run on.
pub struct NmClient {
    retry_policy: RetryPolicy,
    nodes: Mutex<HashMap<String, NodeEntry>>,
}

impl std::fmt::Debug for NmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nodes: Vec<String> = self.lock_nodes().keys().cloned().collect();
        f.debug_struct("NmClient").field("nodes", &nodes).finish()
    }
}

impl NmClient {
    /// An empty client; `retry_policy` applies to each NodeManager connection.
    pub fn new(retry_policy: RetryPolicy) -> NmClient {
        NmClient {
            retry_policy,
            nodes: Mutex::new(HashMap::new()),
        }
    }

    /// Caches the NMTokens of an allocate or register response (`nm_tokens`,
    /// `nm_tokens_from_previous_attempts`). A token for a node that already has one replaces it
    /// (the RM rolled its key) for every new connection.
    pub fn add_nm_tokens(&self, tokens: &[NMTokenProto]) {
        let mut nodes = self.lock_nodes();
        for nm_token in tokens {
            let (Some(node_id), Some(token)) = (&nm_token.node_id, &nm_token.token) else {
                tracing::warn!("ignoring an NMToken without node id or token");
                continue;
            };
            let token = Token::from_proto(token);
            let entry = nodes.entry(node_address(node_id)).or_default();
            if let Some(proxy) = &entry.proxy {
                proxy.set_auth(ClientAuth::Token(token.clone()));
            }
            entry.token = Some(token);
        }
    }

    /// Whether a token for `node` (`host:port`) is cached.
    pub fn has_nm_token(&self, node: &str) -> bool {
        self.lock_nodes()
            .get(node)
            .is_some_and(|entry| entry.token.is_some())
    }

    /// `startContainers` for one allocated container with `launch_context`.
    pub async fn start_container(
        &self,
        container: &ContainerProto,
        launch_context: ContainerLaunchContextProto,
    ) -> Result<(), YarnError> {
        const METHOD: &str = "startContainers";
        let (node_id, container_id) = identify(container)?;
        let node = node_address(node_id);
        let proxy = self.proxy_for(&node)?;
        let request = StartContainersRequestProto {
            start_container_request: vec![StartContainerRequestProto {
                container_launch_context: Some(launch_context),
                container_token: container.container_token.clone(),
            }],
        };
        let response: StartContainersResponseProto = proxy.call(METHOD, &request).await?;
        check_failed(&response.failed_requests, &node, "start", container_id)?;
        confirm_succeeded(&response.succeeded_requests, &node, METHOD, container_id)
    }

    /// `stopContainers` for one container on `node_id` (SIGTERM, then SIGKILL after the NM's
    /// grace period). Also release it in the next allocate, as Flink does.
    pub async fn stop_container(
        &self,
        container_id: ContainerId,
        node_id: &NodeIdProto,
    ) -> Result<(), YarnError> {
        const METHOD: &str = "stopContainers";
        let node = node_address(node_id);
        let proxy = self.proxy_for(&node)?;
        let request = StopContainersRequestProto {
            container_id: vec![container_id.to_proto()],
        };
        let response: StopContainersResponseProto = proxy.call(METHOD, &request).await?;
        check_failed(&response.failed_requests, &node, "stop", container_id)?;
        confirm_succeeded(&response.succeeded_requests, &node, METHOD, container_id)
    }

    /// `getContainerStatuses` for one container on `node_id`.
    pub async fn container_status(
        &self,
        container_id: ContainerId,
        node_id: &NodeIdProto,
    ) -> Result<ContainerStatusProto, YarnError> {
        const METHOD: &str = "getContainerStatuses";
        let node = node_address(node_id);
        let proxy = self.proxy_for(&node)?;
        let request = GetContainerStatusesRequestProto {
            container_id: vec![container_id.to_proto()],
        };
        let response: GetContainerStatusesResponseProto = proxy.call(METHOD, &request).await?;
        check_failed(
            &response.failed_requests,
            &node,
            "status query",
            container_id,
        )?;
        let wanted = container_id.to_proto();
        response
            .status
            .into_iter()
            .find(|status| status.container_id.as_ref() == Some(&wanted))
            .ok_or(YarnError::MissingResponseField {
                address: node,
                method: METHOD,
                field: "status",
            })
    }

    /// The proxy of `node`, created on first use with the node's NMToken.
    fn proxy_for(&self, node: &str) -> Result<FailoverProxy, YarnError> {
        let mut nodes = self.lock_nodes();
        let entry = nodes.entry(node.to_string()).or_default();
        if let Some(proxy) = &entry.proxy {
            return Ok(proxy.clone());
        }
        let token = entry
            .token
            .clone()
            .ok_or_else(|| YarnError::MissingNmToken {
                node: node.to_string(),
            })?;
        let proxy = FailoverProxy::new(
            vec![node.to_string()],
            CONTAINER_MANAGEMENT_PROTOCOL,
            ClientAuth::Token(token),
            self.retry_policy.clone(),
        );
        entry.proxy = Some(proxy.clone());
        Ok(proxy)
    }

    fn lock_nodes(&self) -> std::sync::MutexGuard<'_, HashMap<String, NodeEntry>> {
        // The map stays consistent even if a holder panicked: every update is a single insert.
        self.nodes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The node id and container id of an allocated container.
fn identify(container: &ContainerProto) -> Result<(&NodeIdProto, ContainerId), YarnError> {
    let missing = |field: &'static str| YarnError::MissingResponseField {
        address: "allocate response".to_string(),
        method: "allocate",
        field,
    };
    let node_id = container
        .node_id
        .as_ref()
        .ok_or_else(|| missing("nodeId"))?;
    let container_id =
        ContainerId::from_proto(container.id.as_ref().ok_or_else(|| missing("id"))?)?;
    Ok((node_id, container_id))
}

/// The error for `container_id` in `failed`, if it is there.
fn check_failed(
    failed: &[ContainerExceptionMapProto],
    node: &str,
    operation: &'static str,
    container_id: ContainerId,
) -> Result<(), YarnError> {
    let wanted = container_id.to_proto();
    let Some(failure) = failed
        .iter()
        .find(|entry| entry.container_id.as_ref() == Some(&wanted))
        .or_else(|| failed.first())
    else {
        return Ok(());
    };
    let exception = failure.exception.clone().unwrap_or_default();
    Err(YarnError::ContainerRequestFailed {
        node: node.to_string(),
        operation,
        container_id: container_id.to_string(),
        class_name: exception
            .class_name
            .unwrap_or_else(|| "(no exception class)".to_string()),
        message: exception.message.unwrap_or_default(),
    })
}

/// Checks that the NM listed `container_id` as succeeded.
fn confirm_succeeded(
    succeeded: &[crate::proto::yarn_records::ContainerIdProto],
    node: &str,
    method: &'static str,
    container_id: ContainerId,
) -> Result<(), YarnError> {
    let wanted = container_id.to_proto();
    if succeeded.contains(&wanted) {
        Ok(())
    } else {
        Err(YarnError::MalformedResponseField {
            address: node.to_string(),
            method,
            field: "succeeded_requests",
            detail: format!("neither succeeded nor failed lists container {container_id}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::hadoop_common::TokenProto;
    use crate::proto::yarn_records::SerializedExceptionProto;

    fn container_id() -> ContainerId {
        "container_1700000000000_0007_01_000002".parse().unwrap()
    }

    fn nm_token(host: &str, port: i32, password: &[u8]) -> NMTokenProto {
        NMTokenProto {
            node_id: Some(NodeIdProto {
                host: Some(host.to_string()),
                port: Some(port),
            }),
            token: Some(TokenProto {
                identifier: b"id".to_vec(),
                password: password.to_vec(),
                kind: "NMToken".to_string(),
                service: format!("{host}:{port}"),
            }),
        }
    }

    fn no_retry_policy() -> RetryPolicy {
        RetryPolicy {
            connect_timeout: std::time::Duration::from_millis(200),
            call_timeout: std::time::Duration::from_secs(1),
            max_wait: std::time::Duration::from_millis(200),
            retry_interval: std::time::Duration::from_millis(50),
        }
    }

    #[test]
    fn tokens_are_cached_per_node_address() {
        let client = NmClient::new(no_retry_policy());
        assert!(!client.has_nm_token("nm1:45454"));
        client.add_nm_tokens(&[nm_token("nm1", 45454, b"a"), nm_token("nm2", 1, b"b")]);
        assert!(client.has_nm_token("nm1:45454"));
        assert!(client.has_nm_token("nm2:1"));
        assert!(!client.has_nm_token("nm1:1"));
    }

    #[tokio::test]
    async fn a_container_on_a_node_without_token_is_a_clear_error() {
        let client = NmClient::new(no_retry_policy());
        let node = NodeIdProto {
            host: Some("nm9".to_string()),
            port: Some(4),
        };
        let error = client
            .stop_container(container_id(), &node)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, YarnError::MissingNmToken { node } if node == "nm9:4"),
            "{error}"
        );
    }

    #[test]
    fn failed_requests_become_errors_with_the_remote_class() {
        let failed = vec![ContainerExceptionMapProto {
            container_id: Some(container_id().to_proto()),
            exception: Some(SerializedExceptionProto {
                message: Some("container token expired".to_string()),
                class_name: Some("org.apache.hadoop.yarn.exceptions.YarnException".to_string()),
                ..Default::default()
            }),
        }];
        let error = check_failed(&failed, "nm1:45454", "start", container_id()).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("org.apache.hadoop.yarn.exceptions.YarnException"),
            "{text}"
        );
        assert!(text.contains("container token expired"), "{text}");
        assert!(
            text.contains("container_1700000000000_0007_01_000002"),
            "{text}"
        );
        assert!(check_failed(&[], "nm1:45454", "start", container_id()).is_ok());
        assert!(
            confirm_succeeded(
                &[container_id().to_proto()],
                "nm",
                "startContainers",
                container_id()
            )
            .is_ok()
        );
        assert!(confirm_succeeded(&[], "nm", "startContainers", container_id()).is_err());
    }
}
