//! The server side of Hadoop's SASL exchange, as a state machine without I/O: the connection
//! task feeds it each `RpcSaslProto` (call id -33) and sends what it returns.
//!
//! ```text
//!  AwaitNegotiate ──NEGOTIATE──► (SimpleOnly: reply SUCCESS, switch to SIMPLE)
//!        │                        else reply NEGOTIATE [TOKEN/DIGEST-MD5 + challenge][SIMPLE]
//!        ▼
//!   Negotiated ──INITIATE [SIMPLE]──► switch to SIMPLE, no reply
//!        │  └──INITIATE [TOKEN] + response ──► verify ──► reply SUCCESS rspauth=…  ► Authenticated
//!        │  └──INITIATE [TOKEN], empty token ──► reply CHALLENGE ─┐
//!        ▼                                                        │
//!  AwaitResponse ──RESPONSE──► verify ──► reply SUCCESS rspauth=… ◄┘
//! ```
//!
//! Failures become [`SaslRejection`]s with the Java exception class and message Hadoop's
//! server would send; the connection answers them with a FATAL response and closes:
//!
//! | case | class | message |
//! |---|---|---|
//! | INITIATE with an auth not advertised | `org.apache.hadoop.security.AccessControlException` | `TOKEN authentication is not enabled.  Available:[SIMPLE]` |
//! | unknown/expired token (the [`TokenVerifier`] refuses it) | `org.apache.hadoop.security.token.SecretManager$InvalidToken` | the verifier's reason |
//! | wrong password | `javax.security.sasl.SaslException` | `DIGEST-MD5: digest response format violation. Mismatched response.` |
//! | malformed response, bad state | `javax.security.sasl.SaslException` | what is wrong |

use std::sync::Arc;

use super::digest_md5::{
    DigestMd5Server, DigestRejection, hadoop_password, identifier_from_username,
};
use super::sasl_client::{MECHANISM_DIGEST_MD5, METHOD_SIMPLE, METHOD_TOKEN};
use super::server::{ServerAuth, TokenVerifier, VerifiedToken};
use crate::proto::hadoop_common::RpcSaslProto;
use crate::proto::hadoop_common::rpc_sasl_proto::{SaslAuth, SaslState};

/// Java class of a refused authentication method.
pub const ACCESS_CONTROL_EXCEPTION: &str = "org.apache.hadoop.security.AccessControlException";
/// Java class of an unknown, expired or undecodable token.
pub const INVALID_TOKEN_EXCEPTION: &str =
    "org.apache.hadoop.security.token.SecretManager$InvalidToken";
/// Java class of a failed SASL mechanism step.
pub const SASL_EXCEPTION: &str = "javax.security.sasl.SaslException";
/// The protocol part of Hadoop's TOKEN digest-uri.
pub const TOKEN_SASL_PROTOCOL: &str = "";
/// The server id part of Hadoop's TOKEN digest-uri.
pub const TOKEN_SASL_SERVER_ID: &str = "default";

/// Why the server refuses a client; sent as a FATAL response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslRejection {
    pub class_name: &'static str,
    pub message: String,
}

impl SaslRejection {
    fn sasl(message: impl Into<String>) -> SaslRejection {
        SaslRejection {
            class_name: SASL_EXCEPTION,
            message: message.into(),
        }
    }
}

/// What the connection does after one SASL message.
#[derive(Clone, Debug, PartialEq)]
pub enum SaslStep {
    /// Send this reply (call id -33) and wait for the next SASL message.
    Reply(RpcSaslProto),
    /// The client uses SIMPLE: send the reply if any, then expect the connection context.
    SwitchToSimple(Option<RpcSaslProto>),
    /// Token authentication succeeded: send the reply, then expect the connection context.
    Authenticated {
        reply: RpcSaslProto,
        user: String,
        identifier: Vec<u8>,
    },
}

enum Phase {
    AwaitNegotiate,
    Negotiated { digest: Option<DigestMd5Server> },
    AwaitResponse { digest: DigestMd5Server },
    Done,
}

/// One connection's SASL negotiation.
pub struct SaslServerSession {
    auth: ServerAuth,
    tokens: Option<Arc<dyn TokenVerifier>>,
    /// The advertised auths without challenge (what an INITIATE must match).
    advertised: Vec<SaslAuth>,
    phase: Phase,
}

impl std::fmt::Debug for SaslServerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslServerSession")
            .field("auth", &self.auth)
            .field("advertised", &self.advertised)
            .finish_non_exhaustive()
    }
}

impl SaslServerSession {
    /// A session for a server that allows `auth`; `tokens` verifies token identifiers.
    pub fn new(auth: ServerAuth, tokens: Option<Arc<dyn TokenVerifier>>) -> SaslServerSession {
        let advertised = auth
            .enabled_methods()
            .iter()
            .map(|method| match *method {
                METHOD_TOKEN => SaslAuth {
                    method: METHOD_TOKEN.to_string(),
                    mechanism: MECHANISM_DIGEST_MD5.to_string(),
                    protocol: Some(TOKEN_SASL_PROTOCOL.to_string()),
                    server_id: Some(TOKEN_SASL_SERVER_ID.to_string()),
                    challenge: None,
                },
                _ => SaslAuth {
                    method: METHOD_SIMPLE.to_string(),
                    mechanism: String::new(),
                    ..Default::default()
                },
            })
            .collect();
        SaslServerSession {
            auth,
            tokens,
            advertised,
            phase: Phase::AwaitNegotiate,
        }
    }

    /// Handles one SASL message from the client.
    pub fn step(&mut self, message: &RpcSaslProto) -> Result<SaslStep, SaslRejection> {
        let state = SaslState::try_from(message.state).map_err(|_| {
            SaslRejection::sasl(format!("Client sent unsupported state {}", message.state))
        })?;
        match state {
            SaslState::Negotiate => {
                if !matches!(self.phase, Phase::AwaitNegotiate) {
                    return Err(SaslRejection {
                        class_name: ACCESS_CONTROL_EXCEPTION,
                        message: "Client already attempted negotiation".to_string(),
                    });
                }
                self.negotiate()
            }
            SaslState::Initiate => self.initiate(message),
            SaslState::Response => match std::mem::replace(&mut self.phase, Phase::Done) {
                Phase::AwaitResponse { digest } => {
                    let token = message
                        .token
                        .as_deref()
                        .ok_or_else(|| SaslRejection::sasl("Client did not send a token"))?;
                    self.verify(&digest, token)
                }
                _ => Err(SaslRejection::sasl(
                    "Client sent a SASL RESPONSE without a pending challenge",
                )),
            },
            other => Err(SaslRejection::sasl(format!(
                "Client sent unsupported state {}",
                other.as_str_name()
            ))),
        }
    }

    fn negotiate(&mut self) -> Result<SaslStep, SaslRejection> {
        if matches!(self.auth, ServerAuth::SimpleOnly) {
            // A SIMPLE-only server answers SUCCESS: the client switches to SIMPLE.
            self.phase = Phase::Done;
            return Ok(SaslStep::SwitchToSimple(Some(RpcSaslProto {
                state: SaslState::Success as i32,
                ..Default::default()
            })));
        }
        let mut auths = self.advertised.clone();
        let mut digest = None;
        if let Some(token_auth) = auths.iter_mut().find(|a| a.method == METHOD_TOKEN) {
            // Hadoop speeds TOKEN up by sending the first challenge with NEGOTIATE.
            let server = DigestMd5Server::new(token_digest_uri()).map_err(SaslRejection::sasl)?;
            token_auth.challenge = Some(server.challenge());
            digest = Some(server);
        }
        self.phase = Phase::Negotiated { digest };
        Ok(SaslStep::Reply(RpcSaslProto {
            state: SaslState::Negotiate as i32,
            auths,
            ..Default::default()
        }))
    }

    fn initiate(&mut self, message: &RpcSaslProto) -> Result<SaslStep, SaslRejection> {
        let [chosen] = message.auths.as_slice() else {
            return Err(SaslRejection::sasl("Client mechanism is malformed"));
        };
        if !self.advertised.contains(chosen) {
            if matches!(self.phase, Phase::AwaitNegotiate) {
                // Like Hadoop: a client that skipped NEGOTIATE gets the list.
                return self.negotiate();
            }
            return Err(SaslRejection {
                class_name: ACCESS_CONTROL_EXCEPTION,
                message: format!(
                    "{} authentication is not enabled.  Available:{}",
                    chosen.method,
                    self.auth.available_text()
                ),
            });
        }
        if chosen.method == METHOD_SIMPLE {
            self.phase = Phase::Done;
            return Ok(SaslStep::SwitchToSimple(None));
        }
        let digest = match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Negotiated {
                digest: Some(digest),
            } => digest,
            Phase::AwaitNegotiate | Phase::Negotiated { digest: None } => {
                DigestMd5Server::new(token_digest_uri()).map_err(SaslRejection::sasl)?
            }
            Phase::AwaitResponse { .. } | Phase::Done => {
                return Err(SaslRejection::sasl("Client sent a second SASL INITIATE"));
            }
        };
        let token = message
            .token
            .as_deref()
            .ok_or_else(|| SaslRejection::sasl("Client did not send a token"))?;
        if token.is_empty() {
            // The client did not use the challenge sent with NEGOTIATE: send it again.
            let reply = RpcSaslProto {
                state: SaslState::Challenge as i32,
                token: Some(digest.challenge()),
                ..Default::default()
            };
            self.phase = Phase::AwaitResponse { digest };
            return Ok(SaslStep::Reply(reply));
        }
        self.verify(&digest, token)
    }

    fn verify(
        &mut self,
        digest: &DigestMd5Server,
        token: &[u8],
    ) -> Result<SaslStep, SaslRejection> {
        self.phase = Phase::Done;
        let verifier = self.tokens.as_ref().ok_or_else(|| SaslRejection {
            class_name: ACCESS_CONTROL_EXCEPTION,
            message: "TOKEN authentication is not enabled (no secret manager)".to_string(),
        })?;
        let mut verified: Option<(Vec<u8>, VerifiedToken)> = None;
        let result = digest.verify(token, |username| {
            let identifier = identifier_from_username(username)
                .map_err(|_| "Can't de-serialize tokenIdentifier".to_string())?;
            let token = verifier.verify(&identifier)?;
            let password = hadoop_password(&token.password);
            verified = Some((identifier, token));
            Ok(password)
        });
        match result {
            Ok((_username, rspauth)) => {
                let (identifier, token) = verified
                    .ok_or_else(|| SaslRejection::sasl("DIGEST-MD5: no password was looked up"))?;
                Ok(SaslStep::Authenticated {
                    reply: RpcSaslProto {
                        state: SaslState::Success as i32,
                        token: Some(rspauth),
                        ..Default::default()
                    },
                    user: token.user,
                    identifier,
                })
            }
            Err(DigestRejection::UnknownUser(reason)) => Err(SaslRejection {
                class_name: INVALID_TOKEN_EXCEPTION,
                message: reason,
            }),
            Err(DigestRejection::WrongPassword) => Err(SaslRejection::sasl(
                "DIGEST-MD5: digest response format violation. Mismatched response.",
            )),
            Err(DigestRejection::Malformed(detail)) => Err(SaslRejection::sasl(detail)),
        }
    }
}

fn token_digest_uri() -> String {
    format!("{TOKEN_SASL_PROTOCOL}/{TOKEN_SASL_SERVER_ID}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::digest_md5::DigestMd5Client;

    struct OneToken;

    impl TokenVerifier for OneToken {
        fn verify(&self, identifier: &[u8]) -> Result<VerifiedToken, String> {
            if identifier == b"good-id" {
                Ok(VerifiedToken {
                    password: b"secret".to_vec(),
                    user: "appattempt_1_0001_000001".to_string(),
                })
            } else {
                Err(format!("unknown token {identifier:?}"))
            }
        }
    }

    fn session(auth: ServerAuth) -> SaslServerSession {
        SaslServerSession::new(auth, Some(Arc::new(OneToken)))
    }

    fn message(state: SaslState, auths: Vec<SaslAuth>, token: Option<Vec<u8>>) -> RpcSaslProto {
        RpcSaslProto {
            version: None,
            state: state as i32,
            token,
            auths,
        }
    }

    fn negotiate(session: &mut SaslServerSession) -> Vec<SaslAuth> {
        match session
            .step(&message(SaslState::Negotiate, vec![], None))
            .unwrap()
        {
            SaslStep::Reply(reply) => {
                assert_eq!(reply.state, SaslState::Negotiate as i32);
                reply.auths
            }
            other => panic!("{other:?}"),
        }
    }

    fn without_challenge(auth: &SaslAuth) -> SaslAuth {
        SaslAuth {
            challenge: None,
            ..auth.clone()
        }
    }

    #[test]
    fn negotiate_lists_token_first_with_a_challenge_then_simple() {
        let auths = negotiate(&mut session(ServerAuth::SimpleOrToken));
        assert_eq!(auths.len(), 2);
        assert_eq!(auths[0].method, "TOKEN");
        assert_eq!(auths[0].mechanism, "DIGEST-MD5");
        assert_eq!(auths[0].protocol.as_deref(), Some(""));
        assert_eq!(auths[0].server_id.as_deref(), Some("default"));
        let challenge = String::from_utf8(auths[0].challenge.clone().unwrap()).unwrap();
        assert!(challenge.contains("realm=\"default\""), "{challenge}");
        assert_eq!(auths[1].method, "SIMPLE");
        assert_eq!(auths[1].mechanism, "");
        assert_eq!(auths[1].protocol, None);
    }

    #[test]
    fn simple_only_server_answers_negotiate_with_success() {
        let mut session = session(ServerAuth::SimpleOnly);
        match session
            .step(&message(SaslState::Negotiate, vec![], None))
            .unwrap()
        {
            SaslStep::SwitchToSimple(Some(reply)) => {
                assert_eq!(reply.state, SaslState::Success as i32)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn client_choosing_simple_gets_no_reply() {
        let mut session = session(ServerAuth::SimpleOrToken);
        let auths = negotiate(&mut session);
        let step = session
            .step(&message(
                SaslState::Initiate,
                vec![without_challenge(&auths[1])],
                None,
            ))
            .unwrap();
        assert_eq!(step, SaslStep::SwitchToSimple(None));
    }

    #[test]
    fn token_authentication_succeeds_with_a_verifiable_rspauth() {
        let mut session = session(ServerAuth::TokenOnly);
        let auths = negotiate(&mut session);
        assert_eq!(auths.len(), 1);
        let mut client =
            DigestMd5Client::for_hadoop_token(b"good-id", b"secret", "/default".into());
        let response = client
            .respond(auths[0].challenge.as_ref().unwrap())
            .unwrap();
        let step = session
            .step(&message(
                SaslState::Initiate,
                vec![without_challenge(&auths[0])],
                Some(response),
            ))
            .unwrap();
        match step {
            SaslStep::Authenticated {
                reply,
                user,
                identifier,
            } => {
                assert_eq!(user, "appattempt_1_0001_000001");
                assert_eq!(identifier, b"good-id");
                assert_eq!(reply.state, SaslState::Success as i32);
                client.verify_rspauth(&reply.token.unwrap()).unwrap();
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_initiate_token_gets_a_challenge_round() {
        let mut session = session(ServerAuth::TokenOnly);
        let auths = negotiate(&mut session);
        let step = session
            .step(&message(
                SaslState::Initiate,
                vec![without_challenge(&auths[0])],
                Some(Vec::new()),
            ))
            .unwrap();
        let SaslStep::Reply(challenge) = step else {
            panic!("{step:?}")
        };
        assert_eq!(challenge.state, SaslState::Challenge as i32);
        let mut client =
            DigestMd5Client::for_hadoop_token(b"good-id", b"secret", "/default".into());
        let response = client.respond(&challenge.token.unwrap()).unwrap();
        let step = session
            .step(&message(SaslState::Response, vec![], Some(response)))
            .unwrap();
        assert!(matches!(step, SaslStep::Authenticated { .. }), "{step:?}");
    }

    #[test]
    fn wrong_password_and_unknown_token_are_rejected_like_hadoop() {
        let attempt = |identifier: &[u8], password: &[u8]| {
            let mut session = session(ServerAuth::TokenOnly);
            let auths = negotiate(&mut session);
            let mut client =
                DigestMd5Client::for_hadoop_token(identifier, password, "/default".into());
            let response = client
                .respond(auths[0].challenge.as_ref().unwrap())
                .unwrap();
            session
                .step(&message(
                    SaslState::Initiate,
                    vec![without_challenge(&auths[0])],
                    Some(response),
                ))
                .unwrap_err()
        };
        let wrong = attempt(b"good-id", b"guess");
        assert_eq!(wrong.class_name, SASL_EXCEPTION);
        assert!(wrong.message.contains("Mismatched response"), "{wrong:?}");
        let unknown = attempt(b"other-id", b"secret");
        assert_eq!(unknown.class_name, INVALID_TOKEN_EXCEPTION);
        assert!(unknown.message.contains("unknown token"), "{unknown:?}");
    }

    #[test]
    fn unadvertised_auth_and_bad_sequences_are_rejected() {
        let mut token_only = session(ServerAuth::TokenOnly);
        negotiate(&mut token_only);
        let simple = SaslAuth {
            method: "SIMPLE".into(),
            mechanism: String::new(),
            ..Default::default()
        };
        let err = token_only
            .step(&message(SaslState::Initiate, vec![simple], None))
            .unwrap_err();
        assert_eq!(err.class_name, ACCESS_CONTROL_EXCEPTION);
        assert_eq!(
            err.message,
            "SIMPLE authentication is not enabled.  Available:[TOKEN]"
        );

        let mut twice = session(ServerAuth::TokenOnly);
        negotiate(&mut twice);
        let err = twice
            .step(&message(SaslState::Negotiate, vec![], None))
            .unwrap_err();
        assert_eq!(err.message, "Client already attempted negotiation");

        let mut no_auth = session(ServerAuth::TokenOnly);
        negotiate(&mut no_auth);
        let err = no_auth
            .step(&message(SaslState::Initiate, vec![], None))
            .unwrap_err();
        assert_eq!(err.message, "Client mechanism is malformed");

        let mut early = session(ServerAuth::TokenOnly);
        assert!(
            early
                .step(&message(SaslState::Response, vec![], Some(vec![1])))
                .is_err()
        );
        assert!(early.step(&message(SaslState::Wrap, vec![], None)).is_err());
        let mut bad_state = session(ServerAuth::TokenOnly);
        let err = bad_state
            .step(&RpcSaslProto {
                state: 42,
                ..Default::default()
            })
            .unwrap_err();
        assert!(err.message.contains("unsupported state 42"), "{err:?}");
    }
}
