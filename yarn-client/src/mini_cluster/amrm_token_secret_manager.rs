//! AMRMTokens: minted per attempt, checked by the scheduler port's SASL layer (YARN's
//! `AMRMTokenSecretManager`).
//!
//! ```text
//!   identifier = AMRMTokenIdentifierProto { appAttemptId = 1, keyId = 2 }   (protobuf bytes)
//!   password   = HMAC-SHA1(master key[keyId], identifier)
//!   token      = { identifier, password, kind "YARN_AM_RM_TOKEN", service "" }
//!   SASL user  = the attempt id string, e.g. appattempt_1700000000000_0007_000001
//! ```
//!
//! A token is accepted while its key is the current or the next key and its attempt is live
//! (the RM forgets an attempt when it ends, so a dead attempt's AM cannot come back).

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use prost::Message;

use crate::error::YarnError;
use crate::ids::ApplicationAttemptId;
use crate::ipc::server::{TokenVerifier, VerifiedToken};
use crate::mini_cluster::secret_manager::{RollingMasterKeys, identifier_attempt};
use crate::proto::security_tokens::AMRMTokenIdentifierProto;
use crate::token::{AMRM_TOKEN_KIND, Token};

#[derive(Debug)]
struct State {
    keys: RollingMasterKeys,
    live_attempts: HashSet<ApplicationAttemptId>,
}

/// Mints and verifies AMRMTokens.
#[derive(Debug)]
pub struct AmrmTokenSecretManager {
    state: Mutex<State>,
}

impl AmrmTokenSecretManager {
    pub fn new() -> Result<AmrmTokenSecretManager, YarnError> {
        Ok(AmrmTokenSecretManager {
            state: Mutex::new(State {
                keys: RollingMasterKeys::new()?,
                live_attempts: HashSet::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A token for `attempt` with the newest key; the attempt becomes valid.
    pub fn create_token(&self, attempt: &ApplicationAttemptId) -> (Token, i32) {
        let mut state = self.lock();
        state.live_attempts.insert(*attempt);
        let key = state.keys.minting_key();
        let identifier = AMRMTokenIdentifierProto {
            app_attempt_id: Some(attempt.to_proto()),
            key_id: Some(key.key_id()),
        }
        .encode_to_vec();
        let password = key.password(&identifier);
        (
            Token {
                identifier,
                password,
                kind: AMRM_TOKEN_KIND.to_string(),
                service: String::new(),
            },
            key.key_id(),
        )
    }

    /// Forgets an ended attempt: its tokens stop working for new connections.
    pub fn remove_attempt(&self, attempt: &ApplicationAttemptId) {
        self.lock().live_attempts.remove(attempt);
    }

    /// The id of the rolled key waiting for activation, if any.
    pub fn next_key_id(&self) -> Option<i32> {
        self.lock().keys.next().map(|k| k.key_id())
    }

    /// Rolls the master key (the next key is used for new tokens from now on).
    pub fn roll(&self) -> Result<(), YarnError> {
        self.lock().keys.roll()
    }

    /// Activates the rolled key; tokens of the old key are rejected from now on.
    pub fn activate_next(&self) {
        self.lock().keys.activate_next();
    }

    /// Decodes an AMRMToken identifier into its attempt and key id.
    pub fn decode_identifier(identifier: &[u8]) -> Result<(ApplicationAttemptId, i32), String> {
        let proto = AMRMTokenIdentifierProto::decode(identifier)
            .map_err(|e| format!("cannot decode AMRMTokenIdentifier: {e}"))?;
        let attempt = identifier_attempt(proto.app_attempt_id.as_ref(), "AMRMTokenIdentifier")?;
        Ok((attempt, proto.key_id.unwrap_or(-1)))
    }
}

impl TokenVerifier for AmrmTokenSecretManager {
    fn verify(&self, identifier: &[u8]) -> Result<VerifiedToken, String> {
        let (attempt, key_id) = Self::decode_identifier(identifier)?;
        let state = self.lock();
        let key = state
            .keys
            .key(key_id)
            .ok_or_else(|| format!("Invalid AMRMToken from {attempt}"))?;
        if !state.live_attempts.contains(&attempt) {
            return Err(format!(
                "Password not found for ApplicationAttempt {attempt}"
            ));
        }
        Ok(VerifiedToken {
            password: key.password(identifier),
            user: attempt.to_string(),
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
                id: 3,
            },
            attempt_id: 1,
        }
    }

    #[test]
    fn minted_token_verifies_until_the_attempt_ends() {
        let manager = AmrmTokenSecretManager::new().unwrap();
        let (token, _) = manager.create_token(&attempt());
        assert_eq!(token.kind, "YARN_AM_RM_TOKEN");
        assert_eq!(token.service, "");
        let verified = manager.verify(&token.identifier).unwrap();
        assert_eq!(verified.password, token.password);
        assert_eq!(verified.user, "appattempt_1700000000000_0003_000001");
        manager.remove_attempt(&attempt());
        let err = manager.verify(&token.identifier).unwrap_err();
        assert!(err.contains("Password not found"), "{err}");
    }

    #[test]
    fn rolled_out_key_is_rejected_after_activation() {
        let manager = AmrmTokenSecretManager::new().unwrap();
        let (old, old_key) = manager.create_token(&attempt());
        manager.roll().unwrap();
        let next = manager.next_key_id().unwrap();
        assert_ne!(next, old_key);
        let (new, new_key) = manager.create_token(&attempt());
        assert_eq!(new_key, next);
        assert!(
            manager.verify(&old.identifier).is_ok(),
            "old key valid until activation"
        );
        manager.activate_next();
        assert!(manager.verify(&new.identifier).is_ok());
        let err = manager.verify(&old.identifier).unwrap_err();
        assert!(
            err.starts_with("Invalid AMRMToken from appattempt_"),
            "{err}"
        );
    }

    #[test]
    fn garbage_identifier_is_an_error() {
        let manager = AmrmTokenSecretManager::new().unwrap();
        assert!(manager.verify(&[0xff, 0xff, 0xff]).is_err());
        assert!(manager.verify(&[]).is_err());
    }
}
