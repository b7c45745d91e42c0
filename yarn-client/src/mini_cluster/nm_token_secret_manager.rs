//! NMTokens: minted by the RM the first time an attempt gets a container on a node, checked by
//! that node's SASL layer (YARN's `NMTokenSecretManagerInRM` / `…InNM`; RM and NMs share the
//! key in memory instead of over the resource-tracker protocol).
//!
//! ```text
//!   identifier = NMTokenIdentifierProto { appAttemptId = 1, nodeId = 2, appSubmitter = 3, keyId = 4 }
//!   password   = HMAC-SHA1(NM master key, identifier)
//!   token      = { identifier, password, kind "NMToken", service "<host>:<port>" }
//!   SASL user  = the attempt id string
//! ```

use prost::Message;

use crate::error::YarnError;
use crate::ids::ApplicationAttemptId;
use crate::ipc::server::VerifiedToken;
use crate::mini_cluster::secret_manager::{MasterKey, identifier_attempt, random_key_id};
use crate::proto::security_tokens::NMTokenIdentifierProto;
use crate::proto::yarn_records::NodeIdProto;
use crate::token::{NM_TOKEN_KIND, Token};

/// A decoded NMToken identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NmTokenIdentity {
    pub attempt: ApplicationAttemptId,
    /// `host:port` of the node the token is for.
    pub node: String,
    pub app_submitter: String,
    pub key_id: i32,
}

/// Mints NMTokens (RM side) and hands out per-node verifiers (NM side).
#[derive(Debug)]
pub struct NmTokenSecretManager {
    key: MasterKey,
}

impl NmTokenSecretManager {
    pub fn new() -> Result<NmTokenSecretManager, YarnError> {
        Ok(NmTokenSecretManager {
            key: MasterKey::generate(random_key_id()?)?,
        })
    }

    /// An NMToken for `attempt` on the node at `host:port`.
    pub fn create_token(
        &self,
        attempt: &ApplicationAttemptId,
        host: &str,
        port: i32,
        app_submitter: &str,
    ) -> Token {
        let identifier = NMTokenIdentifierProto {
            app_attempt_id: Some(attempt.to_proto()),
            node_id: Some(NodeIdProto {
                host: Some(host.to_string()),
                port: Some(port),
            }),
            app_submitter: Some(app_submitter.to_string()),
            key_id: Some(self.key.key_id()),
        }
        .encode_to_vec();
        Token {
            password: self.key.password(&identifier),
            identifier,
            kind: NM_TOKEN_KIND.to_string(),
            service: format!("{host}:{port}"),
        }
    }

    /// Decodes an NMToken identifier.
    pub fn decode_identifier(identifier: &[u8]) -> Result<NmTokenIdentity, String> {
        let proto = NMTokenIdentifierProto::decode(identifier)
            .map_err(|e| format!("cannot decode NMTokenIdentifier: {e}"))?;
        let attempt = identifier_attempt(proto.app_attempt_id.as_ref(), "NMTokenIdentifier")?;
        let node = proto
            .node_id
            .as_ref()
            .map(|n| {
                format!(
                    "{}:{}",
                    n.host.as_deref().unwrap_or(""),
                    n.port.unwrap_or(0)
                )
            })
            .ok_or_else(|| format!("NMTokenIdentifier of {attempt} without nodeId"))?;
        Ok(NmTokenIdentity {
            attempt,
            node,
            app_submitter: proto.app_submitter.unwrap_or_default(),
            key_id: proto.key_id.unwrap_or(-1),
        })
    }

    /// Checks an NMToken presented to the NodeManager at `node` (`host:port`): our key, this
    /// node. Returns the SASL password and user.
    pub fn verify_for_node(&self, identifier: &[u8], node: &str) -> Result<VerifiedToken, String> {
        let identity = Self::decode_identifier(identifier)?;
        if identity.key_id != self.key.key_id() {
            return Err(format!(
                "Given NMToken for application : {} seems to have been generated illegally.",
                identity.attempt
            ));
        }
        if identity.node != node {
            return Err(format!(
                "Given NMToken for application : {} is not valid for current node manager.\
                 expected : {} found : {}",
                identity.attempt, node, identity.node
            ));
        }
        Ok(VerifiedToken {
            password: self.key.password(identifier),
            user: identity.attempt.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ApplicationId;

    fn attempt() -> ApplicationAttemptId {
        ApplicationAttemptId {
            application_id: ApplicationId {
                cluster_timestamp: 1_700_000_000_000,
                id: 9,
            },
            attempt_id: 1,
        }
    }

    #[test]
    fn token_verifies_on_its_node_only() {
        let manager = NmTokenSecretManager::new().unwrap();
        let token = manager.create_token(&attempt(), "127.0.0.1", 4000, "alice");
        assert_eq!(token.service, "127.0.0.1:4000");
        assert_eq!(token.kind, "NMToken");
        let verified = manager
            .verify_for_node(&token.identifier, "127.0.0.1:4000")
            .unwrap();
        assert_eq!(verified.password, token.password);
        assert_eq!(verified.user, "appattempt_1700000000000_0009_000001");
        let err = manager
            .verify_for_node(&token.identifier, "127.0.0.1:4001")
            .unwrap_err();
        assert!(
            err.contains("is not valid for current node manager"),
            "{err}"
        );
        let identity = NmTokenSecretManager::decode_identifier(&token.identifier).unwrap();
        assert_eq!(identity.app_submitter, "alice");
    }

    #[test]
    fn token_of_another_cluster_is_rejected() {
        let ours = NmTokenSecretManager::new().unwrap();
        let theirs = NmTokenSecretManager::new().unwrap();
        let token = theirs.create_token(&attempt(), "127.0.0.1", 4000, "alice");
        // Key ids are random, so a foreign token fails on the key id or, if the ids happen to
        // match, produces a different password.
        match ours.verify_for_node(&token.identifier, "127.0.0.1:4000") {
            Err(e) => assert!(e.contains("generated illegally"), "{e}"),
            Ok(v) => assert_ne!(v.password, token.password),
        }
    }
}
