//! Master keys and token passwords, computed the way Hadoop's `SecretManager` does: the
//! password of a token is `HMAC-SHA1(master key, identifier bytes)`, where the identifier bytes
//! are the serialized `…TokenIdentifierProto` exactly as they travel in `TokenProto.identifier`.
//! A verifier recomputes the HMAC from the identifier it receives; nothing else is stored.
//!
//! Key life cycle of a rolling key set (the AMRMToken keys; YARN's `AMRMTokenSecretManager`):
//!
//! ```text
//!   t=0        current = k1
//!   roll       current = k1, next = k2     tokens of k1 and k2 are both accepted;
//!                                          AMs get a k2 token in their next allocate
//!   activate   current = k2                k1 tokens are rejected from now on
//! ```
//!
//! Key ids start at a random value and increase by one per key, as in Hadoop.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::error::YarnError;
use crate::ids::ApplicationAttemptId;
use crate::proto::yarn_records::ApplicationAttemptIdProto;

/// Length of a generated master key (bytes).
const MASTER_KEY_BYTES: usize = 20;

/// One HMAC-SHA1 master key with its id.
#[derive(Clone)]
pub struct MasterKey {
    key_id: i32,
    secret: Vec<u8>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("MasterKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A new random key.
    pub fn generate(key_id: i32) -> Result<MasterKey, YarnError> {
        let mut secret = vec![0u8; MASTER_KEY_BYTES];
        getrandom::fill(&mut secret).map_err(|e| YarnError::ClusterRandom {
            detail: format!("cannot generate a master key: {e}"),
        })?;
        Ok(MasterKey { key_id, secret })
    }

    /// A key with a known secret (tests).
    #[cfg(test)]
    pub fn from_secret(key_id: i32, secret: Vec<u8>) -> MasterKey {
        MasterKey { key_id, secret }
    }

    pub fn key_id(&self) -> i32 {
        self.key_id
    }

    /// `HMAC-SHA1(secret, identifier)`, the token password Hadoop computes.
    pub fn password(&self, identifier: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail for our 20-byte secrets.
        let mut mac = match <Hmac<Sha1> as KeyInit>::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(identifier);
        mac.finalize().into_bytes().to_vec()
    }
}

/// A random initial key id (Hadoop seeds its serial number from `SecureRandom`), kept
/// positive so ids stay readable in logs.
pub fn random_key_id() -> Result<i32, YarnError> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|e| YarnError::ClusterRandom {
        detail: format!("cannot seed a key id: {e}"),
    })?;
    Ok((i32::from_be_bytes(bytes) & 0x3fff_ffff) + 1)
}

/// The current key and, between a roll and its activation, the next one.
#[derive(Debug)]
pub struct RollingMasterKeys {
    current: MasterKey,
    next: Option<MasterKey>,
    next_key_id: i32,
}

impl RollingMasterKeys {
    pub fn new() -> Result<RollingMasterKeys, YarnError> {
        let first_id = random_key_id()?;
        Ok(RollingMasterKeys {
            current: MasterKey::generate(first_id)?,
            next: None,
            next_key_id: first_id.wrapping_add(1),
        })
    }

    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    pub fn next(&self) -> Option<&MasterKey> {
        self.next.as_ref()
    }

    /// The key new tokens are minted with: the next key once rolled, else the current one
    /// (Hadoop mints with the next key so that AMs switch before the activation).
    pub fn minting_key(&self) -> &MasterKey {
        self.next.as_ref().unwrap_or(&self.current)
    }

    /// Creates the next key (a no-op if one is already waiting for activation).
    pub fn roll(&mut self) -> Result<(), YarnError> {
        if self.next.is_none() {
            let key = MasterKey::generate(self.next_key_id)?;
            self.next_key_id = self.next_key_id.wrapping_add(1);
            self.next = Some(key);
        }
        Ok(())
    }

    /// Makes the next key current and forgets the old current key.
    pub fn activate_next(&mut self) {
        if let Some(next) = self.next.take() {
            self.current = next;
        }
    }

    /// The key with this id if it is still accepted.
    pub fn key(&self, key_id: i32) -> Option<&MasterKey> {
        if self.current.key_id == key_id {
            Some(&self.current)
        } else {
            self.next.as_ref().filter(|k| k.key_id == key_id)
        }
    }
}

/// Compares two passwords without an early exit.
/// The attempt a token identifier names (`appAttemptId`), or why it names none.
pub fn identifier_attempt(
    attempt: Option<&ApplicationAttemptIdProto>,
    identifier_kind: &str,
) -> Result<ApplicationAttemptId, String> {
    let attempt = attempt.ok_or_else(|| format!("{identifier_kind} without appAttemptId"))?;
    ApplicationAttemptId::from_proto(attempt)
        .map_err(|e| format!("{identifier_kind} with a bad appAttemptId: {e}"))
}

pub fn passwords_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_rfc2202_hmac_sha1() {
        // RFC 2202 test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = MasterKey::from_secret(1, b"Jefe".to_vec());
        let mac = key.password(b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    #[test]
    fn rolling_keeps_current_and_next_until_activation() {
        let mut keys = RollingMasterKeys::new().unwrap();
        let first = keys.current().key_id();
        assert_eq!(keys.minting_key().key_id(), first);
        keys.roll().unwrap();
        let second = keys.next().unwrap().key_id();
        assert_eq!(second, first + 1);
        assert!(keys.key(first).is_some() && keys.key(second).is_some());
        assert_eq!(keys.minting_key().key_id(), second);
        keys.activate_next();
        assert!(keys.key(first).is_none());
        assert_eq!(keys.current().key_id(), second);
        assert!(keys.next().is_none());
    }

    #[test]
    fn generated_keys_differ() {
        let a = MasterKey::generate(1).unwrap();
        let b = MasterKey::generate(1).unwrap();
        assert_ne!(a.password(b"x"), b.password(b"x"));
    }

    #[test]
    fn password_comparison() {
        assert!(passwords_equal(b"abc", b"abc"));
        assert!(!passwords_equal(b"abc", b"abd"));
        assert!(!passwords_equal(b"abc", b"ab"));
    }
}
