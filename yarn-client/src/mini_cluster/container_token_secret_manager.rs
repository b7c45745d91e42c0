//! Container tokens: minted by the RM with every allocated container, checked by the
//! NodeManager in `startContainers` (YARN's `RMContainerTokenSecretManager` /
//! `NMContainerTokenSecretManager`).
//!
//! ```text
//!   identifier = ContainerTokenIdentifierProto { containerId = 1, nmHostAddr = 2 ("host:port"),
//!                appSubmitter = 3, resource = 4, expiryTimeStamp = 5, masterKeyId = 6,
//!                rmIdentifier = 7 (RM start time), priority = 8, creationTime = 9,
//!                containerType = 12 (APPLICATION_MASTER = 1, TASK = 2), version = 14,
//!                allocation_request_id = 15 }
//!   password   = HMAC-SHA1(container master key, identifier)
//!   token      = { identifier, password, kind "ContainerToken", service "host:port" }
//! ```
//!
//! Verification order and texts follow the NodeManager: a token that does not decode, is for
//! another node, has an unknown key or a wrong password fails the whole `startContainers` call
//! (`SecretManager$InvalidToken`); the checks of [`ContainerTokenIdentity`] against the caller
//! (same application, not started before, not expired, this RM) fail just that container.

use prost::Message;

use crate::error::YarnError;
use crate::ids::ContainerId;
use crate::mini_cluster::resource::Resource;
use crate::mini_cluster::secret_manager::{MasterKey, passwords_equal, random_key_id};
use crate::mini_cluster::yarn_exception::{INVALID_TOKEN, YarnException};
use crate::proto::hadoop_common::TokenProto;
use crate::proto::security_tokens::ContainerTokenIdentifierProto;
use crate::proto::yarn_records::{PriorityProto, ResourceProto};
use crate::token::{CONTAINER_TOKEN_KIND, Token};

/// `ContainerTypeProto.APPLICATION_MASTER`.
pub const CONTAINER_TYPE_APPLICATION_MASTER: i32 = 1;
/// `ContainerTypeProto.TASK`.
pub const CONTAINER_TYPE_TASK: i32 = 2;

/// What goes into a new container token.
#[derive(Clone, Debug)]
pub struct ContainerTokenSpec {
    pub container_id: ContainerId,
    /// `host:port` of the NodeManager.
    pub node: String,
    pub app_submitter: String,
    pub resource: Resource,
    pub priority: i32,
    pub expiry_time_ms: i64,
    pub creation_time_ms: i64,
    pub container_type: i32,
    pub allocation_request_id: i64,
}

/// A verified container token's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerTokenIdentity {
    pub container_id: ContainerId,
    pub node: String,
    pub app_submitter: String,
    pub resource: Resource,
    pub priority: i32,
    pub expiry_time_ms: i64,
    pub rm_identifier: i64,
    pub container_type: i32,
}

/// Mints and verifies container tokens.
#[derive(Debug)]
pub struct ContainerTokenSecretManager {
    key: MasterKey,
    rm_identifier: i64,
}

impl ContainerTokenSecretManager {
    /// `rm_identifier` is the RM's start time, stamped into every token.
    pub fn new(rm_identifier: i64) -> Result<ContainerTokenSecretManager, YarnError> {
        Ok(ContainerTokenSecretManager {
            key: MasterKey::generate(random_key_id()?)?,
            rm_identifier,
        })
    }

    pub fn rm_identifier(&self) -> i64 {
        self.rm_identifier
    }

    pub fn create_token(&self, spec: &ContainerTokenSpec) -> Token {
        let identifier = ContainerTokenIdentifierProto {
            container_id: Some(spec.container_id.to_proto()),
            nm_host_addr: Some(spec.node.clone()),
            app_submitter: Some(spec.app_submitter.clone()),
            resource: Some(ResourceProto {
                memory: Some(spec.resource.memory_mb),
                virtual_cores: Some(spec.resource.vcores),
                ..Default::default()
            }),
            expiry_time_stamp: Some(spec.expiry_time_ms),
            master_key_id: Some(self.key.key_id()),
            rm_identifier: Some(self.rm_identifier),
            priority: Some(PriorityProto {
                priority: Some(spec.priority),
            }),
            creation_time: Some(spec.creation_time_ms),
            container_type: Some(spec.container_type),
            version: Some(0),
            allocation_request_id: Some(spec.allocation_request_id),
            ..Default::default()
        }
        .encode_to_vec();
        Token {
            password: self.key.password(&identifier),
            identifier,
            kind: CONTAINER_TOKEN_KIND.to_string(),
            service: spec.node.clone(),
        }
    }

    /// Checks a container token presented to the NodeManager at `node` (`host:port`): that it
    /// decodes, is for this node, and was signed with our key. An error fails the whole
    /// `startContainers` call.
    pub fn verify(
        &self,
        token: Option<&TokenProto>,
        node: &str,
    ) -> Result<ContainerTokenIdentity, YarnException> {
        let Some(token) = token else {
            return Err(YarnException::remote(
                "java.io.IOException: Invalid ContainerToken",
            ));
        };
        let identifier = &token.identifier;
        if identifier.is_empty() {
            return Err(YarnException::remote(
                "java.io.IOException: Invalid ContainerToken",
            ));
        }
        let proto = ContainerTokenIdentifierProto::decode(identifier.as_slice()).map_err(|e| {
            YarnException::remote(format!(
                "java.io.IOException: cannot decode the ContainerTokenIdentifier: {e}"
            ))
        })?;
        let container_id = proto
            .container_id
            .as_ref()
            .ok_or_else(|| {
                YarnException::remote(
                    "java.io.IOException: ContainerTokenIdentifier without a containerId",
                )
            })
            .and_then(|p| {
                ContainerId::from_proto(p).map_err(|e| {
                    YarnException::remote(format!(
                        "java.io.IOException: ContainerTokenIdentifier with a bad containerId: {e}"
                    ))
                })
            })?;
        let token_node = proto.nm_host_addr.clone().unwrap_or_default();
        if token_node != node {
            return Err(YarnException::new(
                INVALID_TOKEN,
                format!(
                    "Given Container {container_id} identifier is not valid for current Node \
                     manager. Expected : {node} Found : {token_node}"
                ),
            ));
        }
        if proto.master_key_id != Some(self.key.key_id()) {
            return Err(YarnException::new(
                INVALID_TOKEN,
                format!(
                    "Given Container {container_id} seems to have an illegally generated token."
                ),
            ));
        }
        if !passwords_equal(&self.key.password(identifier), &token.password) {
            return Err(YarnException::new(
                INVALID_TOKEN,
                format!("Invalid container token used for starting container on : {node}"),
            ));
        }
        let resource = proto
            .resource
            .as_ref()
            .map(|r| Resource::new(r.memory.unwrap_or(0), r.virtual_cores.unwrap_or(0)))
            .unwrap_or_default();
        Ok(ContainerTokenIdentity {
            container_id,
            node: token_node,
            app_submitter: proto.app_submitter.clone().unwrap_or_default(),
            resource,
            priority: proto
                .priority
                .as_ref()
                .and_then(|p| p.priority)
                .unwrap_or(0),
            expiry_time_ms: proto.expiry_time_stamp.unwrap_or(0),
            rm_identifier: proto.rm_identifier.unwrap_or(0),
            container_type: proto.container_type.unwrap_or(CONTAINER_TYPE_TASK),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ApplicationAttemptId, ApplicationId};

    fn spec() -> ContainerTokenSpec {
        ContainerTokenSpec {
            container_id: ContainerId {
                attempt_id: ApplicationAttemptId {
                    application_id: ApplicationId {
                        cluster_timestamp: 1_700_000_000_000,
                        id: 1,
                    },
                    attempt_id: 1,
                },
                id: 2,
            },
            node: "127.0.0.1:5000".into(),
            app_submitter: "alice".into(),
            resource: Resource::new(256, 1),
            priority: 3,
            expiry_time_ms: 2_000_000_000_000,
            creation_time_ms: 1_700_000_000_100,
            container_type: CONTAINER_TYPE_TASK,
            allocation_request_id: -1,
        }
    }

    #[test]
    fn minted_token_verifies_on_its_node() {
        let manager = ContainerTokenSecretManager::new(1_700_000_000_000).unwrap();
        let token = manager.create_token(&spec());
        let identity = manager
            .verify(Some(&token.to_proto()), "127.0.0.1:5000")
            .unwrap();
        assert_eq!(identity.container_id, spec().container_id);
        assert_eq!(identity.resource, Resource::new(256, 1));
        assert_eq!(identity.priority, 3);
        assert_eq!(identity.rm_identifier, 1_700_000_000_000);
        let err = manager
            .verify(Some(&token.to_proto()), "127.0.0.1:5001")
            .unwrap_err();
        assert_eq!(err.class_name, INVALID_TOKEN);
        assert!(
            err.message
                .contains("is not valid for current Node manager")
        );
    }

    #[test]
    fn forged_password_and_garbage_are_rejected() {
        let manager = ContainerTokenSecretManager::new(1).unwrap();
        let mut token = manager.create_token(&spec()).to_proto();
        token.password[0] ^= 1;
        let err = manager.verify(Some(&token), "127.0.0.1:5000").unwrap_err();
        assert_eq!(err.class_name, INVALID_TOKEN);
        assert_eq!(
            err.message,
            "Invalid container token used for starting container on : 127.0.0.1:5000"
        );
        let garbage = TokenProto {
            identifier: vec![0xff; 5],
            password: vec![1],
            kind: "ContainerToken".into(),
            service: String::new(),
        };
        assert!(manager.verify(Some(&garbage), "127.0.0.1:5000").is_err());
        assert!(manager.verify(None, "127.0.0.1:5000").is_err());
    }
}
