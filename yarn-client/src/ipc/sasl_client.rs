//! The client side of Hadoop's SASL exchange (auth byte `DF`), for a client that holds a token.
//!
//! ```text
//! client                                                  server
//!   NEGOTIATE                                        ──►
//!                                                    ◄──  NEGOTIATE [TOKEN/DIGEST-MD5 + challenge, SIMPLE, …]
//!                                                         or SUCCESS (SIMPLE-only server: fall back)
//!   INITIATE [chosen auth, challenge cleared] + response ──►     (TOKEN)
//!                                                    ◄──  CHALLENGE … (only if no challenge came
//!   RESPONSE                                         ──►             with NEGOTIATE)
//!                                                    ◄──  SUCCESS rspauth=…  (verified here)
//!
//!   INITIATE [SIMPLE]                                ──►  (no TOKEN offered: the server switches
//!                                                          to SIMPLE and sends no reply)
//! ```
//!
//! Every message travels with call id -33, an empty client id and retry count -1. An ERROR or
//! FATAL response during the exchange (wrong password, unknown token, SIMPLE not enabled) ends
//! it with [`YarnError::ConnectionRejected`] carrying the server's exception class and message.
//! Only `qop=auth` is supported (see [`super::digest_md5`]).

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::digest_md5::DigestMd5Client;
use super::frame::{
    FrameBuilder, FramePayload, INVALID_RETRY_COUNT, MAX_FRAME_BYTES, SASL_CALL_ID, read_frame,
    request_header,
};
use crate::YarnError;
use crate::proto::hadoop_common::rpc_response_header_proto::RpcStatusProto;
use crate::proto::hadoop_common::rpc_sasl_proto::{SaslAuth, SaslState};
use crate::proto::hadoop_common::{RpcResponseHeaderProto, RpcSaslProto};
use crate::token::Token;

/// SASL method name of token authentication.
pub const METHOD_TOKEN: &str = "TOKEN";
/// SASL method name of SIMPLE (no SASL mechanism).
pub const METHOD_SIMPLE: &str = "SIMPLE";
/// The mechanism of TOKEN authentication.
pub const MECHANISM_DIGEST_MD5: &str = "DIGEST-MD5";

/// How the exchange ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslOutcome {
    /// Authenticated with the token; the connection context must carry an empty user.
    Token,
    /// The server does not offer TOKEN but allows SIMPLE; the connection context must carry an
    /// effective user.
    SimpleFallback,
}

/// The user name sent when a token-holding client falls back to SIMPLE, picked like Hadoop's
/// `UserGroupInformation` on an insecure cluster: `HADOOP_USER_NAME`, else `USER`, else
/// `LOGNAME`, else the login name of the process's user in `/etc/passwd`, else its numeric uid.
pub fn simple_fallback_user() -> String {
    if let Some(user) = ["HADOOP_USER_NAME", "USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    {
        return user;
    }
    let uid = rustix::process::getuid().as_raw();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                let entry_uid = fields.nth(1)?;
                (entry_uid == uid.to_string() && !name.is_empty()).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| uid.to_string())
}

/// Runs the SASL exchange on a stream right after the `DF` preamble.
pub async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    address: &str,
    token: &Token,
) -> Result<SaslOutcome, YarnError> {
    send(
        stream,
        address,
        &RpcSaslProto {
            state: SaslState::Negotiate as i32,
            ..Default::default()
        },
    )
    .await?;
    let mut digest: Option<DigestMd5Client> = None;
    loop {
        let reply = receive(stream, address).await?;
        let state = SaslState::try_from(reply.state)
            .map_err(|_| protocol_error(address, format!("unknown SASL state {}", reply.state)))?;
        match (state, digest.as_mut()) {
            (SaslState::Success, None) => return Ok(SaslOutcome::SimpleFallback),
            (SaslState::Negotiate, None) => {
                let chosen = match choose_auth(&reply.auths, address)? {
                    ChosenAuth::Token(auth) => auth,
                    ChosenAuth::Simple(auth) => {
                        send(stream, address, &initiate(auth, None)).await?;
                        return Ok(SaslOutcome::SimpleFallback);
                    }
                };
                let digest_uri = format!(
                    "{}/{}",
                    chosen.protocol.as_deref().unwrap_or(""),
                    chosen.server_id.as_deref().unwrap_or("")
                );
                let mut client = DigestMd5Client::for_hadoop_token(
                    &token.identifier,
                    &token.password,
                    digest_uri,
                );
                let first_response = match &chosen.challenge {
                    Some(challenge) => client
                        .respond(challenge)
                        .map_err(|detail| sasl_error(address, detail))?,
                    None => Vec::new(),
                };
                let advertised = SaslAuth {
                    challenge: None,
                    ..chosen
                };
                send(stream, address, &initiate(advertised, Some(first_response))).await?;
                digest = Some(client);
            }
            (SaslState::Challenge, Some(client)) => {
                let challenge = reply.token.unwrap_or_default();
                let response = client
                    .respond(&challenge)
                    .map_err(|detail| sasl_error(address, detail))?;
                let message = RpcSaslProto {
                    state: SaslState::Response as i32,
                    token: Some(response),
                    ..Default::default()
                };
                send(stream, address, &message).await?;
            }
            (SaslState::Success, Some(client)) => {
                client
                    .verify_rspauth(reply.token.as_deref().unwrap_or_default())
                    .map_err(|detail| sasl_error(address, detail))?;
                return Ok(SaslOutcome::Token);
            }
            (SaslState::Wrap, _) => {
                return Err(sasl_error(
                    address,
                    "the server wraps SASL data (hadoop.rpc.protection above `authentication`), \
                     which is not supported yet"
                        .to_string(),
                ));
            }
            (state, _) => {
                return Err(protocol_error(
                    address,
                    format!("unexpected SASL state {state:?} from the server"),
                ));
            }
        }
    }
}

/// What the client answers a NEGOTIATE list with (the entry as advertised, challenge cleared
/// by the caller for TOKEN).
enum ChosenAuth {
    Token(SaslAuth),
    Simple(SaslAuth),
}

/// TOKEN/DIGEST-MD5 when offered (we hold a token), else SIMPLE, else an error naming what the
/// server offers.
fn choose_auth(auths: &[SaslAuth], address: &str) -> Result<ChosenAuth, YarnError> {
    if let Some(token_auth) = auths
        .iter()
        .find(|auth| auth.method == METHOD_TOKEN && auth.mechanism == MECHANISM_DIGEST_MD5)
    {
        return Ok(ChosenAuth::Token(token_auth.clone()));
    }
    if let Some(simple) = auths.iter().find(|auth| auth.method == METHOD_SIMPLE) {
        return Ok(ChosenAuth::Simple(SaslAuth {
            challenge: None,
            ..simple.clone()
        }));
    }
    let offered: Vec<String> = auths
        .iter()
        .map(|auth| format!("{}/{}", auth.method, auth.mechanism))
        .collect();
    Err(sasl_error(
        address,
        format!(
            "the server offers {offered:?}; weir supports TOKEN/DIGEST-MD5 and SIMPLE \
             (Kerberos is not supported)"
        ),
    ))
}

fn initiate(auth: SaslAuth, token: Option<Vec<u8>>) -> RpcSaslProto {
    RpcSaslProto {
        state: SaslState::Initiate as i32,
        token,
        auths: vec![auth],
        ..Default::default()
    }
}

async fn send<S: AsyncWrite + Unpin>(
    stream: &mut S,
    address: &str,
    message: &RpcSaslProto,
) -> Result<(), YarnError> {
    let frame = FrameBuilder::new()
        .message(&request_header(SASL_CALL_ID, &[], INVALID_RETRY_COUNT))
        .message(message)
        .finish();
    stream
        .write_all(&frame)
        .await
        .map_err(|e| YarnError::ConnectionClosed {
            address: address.to_string(),
            reason: format!("sending a SASL message: {e}"),
        })
}

async fn receive<S: AsyncRead + Unpin>(
    stream: &mut S,
    address: &str,
) -> Result<RpcSaslProto, YarnError> {
    let payload = read_frame(stream, MAX_FRAME_BYTES, address)
        .await?
        .ok_or_else(|| YarnError::ConnectionClosed {
            address: address.to_string(),
            reason: "the server closed the connection during SASL negotiation".to_string(),
        })?;
    let mut payload = FramePayload::new(payload, address);
    let header: RpcResponseHeaderProto = payload.next_message("RpcResponseHeaderProto")?;
    match RpcStatusProto::try_from(header.status) {
        Ok(RpcStatusProto::Success) => {}
        Ok(RpcStatusProto::Error | RpcStatusProto::Fatal) => {
            return Err(YarnError::ConnectionRejected {
                address: address.to_string(),
                class_name: header.exception_class_name.unwrap_or_default(),
                message: header.error_msg.unwrap_or_default(),
            });
        }
        Err(_) => {
            return Err(protocol_error(
                address,
                format!("unknown response status {}", header.status),
            ));
        }
    }
    if header.call_id as i32 != SASL_CALL_ID {
        return Err(protocol_error(
            address,
            format!(
                "a response to call {} during SASL negotiation",
                header.call_id as i32
            ),
        ));
    }
    let message = payload.next_message("RpcSaslProto")?;
    payload.expect_end("RpcSaslProto")?;
    Ok(message)
}

fn sasl_error(address: &str, detail: String) -> YarnError {
    YarnError::Sasl {
        address: address.to_string(),
        detail,
    }
}

fn protocol_error(address: &str, detail: String) -> YarnError {
    YarnError::IpcProtocol {
        address: address.to_string(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::DuplexStream;

    use super::*;
    use crate::ipc::sasl_server::{SaslServerSession, SaslStep};
    use crate::ipc::server::{ServerAuth, TokenVerifier, VerifiedToken};
    use crate::proto::hadoop_common::RpcRequestHeaderProto;

    struct Verifier;

    impl TokenVerifier for Verifier {
        fn verify(&self, _identifier: &[u8]) -> Result<VerifiedToken, String> {
            Ok(VerifiedToken {
                password: b"pw".to_vec(),
                user: "attempt".into(),
            })
        }
    }

    fn token() -> Token {
        Token {
            identifier: b"id".to_vec(),
            password: b"pw".to_vec(),
            kind: "k".into(),
            service: String::new(),
        }
    }

    async fn read_sasl(stream: &mut DuplexStream) -> Option<RpcSaslProto> {
        let payload = read_frame(stream, MAX_FRAME_BYTES, "client")
            .await
            .unwrap()?;
        let mut payload = FramePayload::new(payload, "client");
        let header: RpcRequestHeaderProto = payload.next_message("header").unwrap();
        assert_eq!(header.call_id, SASL_CALL_ID);
        assert!(header.client_id.is_empty());
        assert_eq!(header.retry_count, Some(-1));
        Some(payload.next_message("sasl").unwrap())
    }

    async fn reply(stream: &mut DuplexStream, message: &RpcSaslProto) {
        let header = RpcResponseHeaderProto {
            call_id: SASL_CALL_ID as u32,
            status: RpcStatusProto::Success as i32,
            ..Default::default()
        };
        let frame = FrameBuilder::new()
            .message(&header)
            .message(message)
            .finish();
        stream.write_all(&frame).await.unwrap();
    }

    /// A server that runs SaslServerSession but edits what it sends with `edit`.
    async fn scripted_server(
        mut stream: DuplexStream,
        auth: ServerAuth,
        edit: impl Fn(RpcSaslProto) -> RpcSaslProto,
    ) {
        let mut session = SaslServerSession::new(auth, Some(Arc::new(Verifier)));
        while let Some(message) = read_sasl(&mut stream).await {
            match session.step(&message) {
                Ok(SaslStep::Reply(r)) | Ok(SaslStep::SwitchToSimple(Some(r))) => {
                    reply(&mut stream, &edit(r)).await
                }
                Ok(SaslStep::Authenticated { reply: r, .. }) => {
                    reply(&mut stream, &edit(r)).await;
                    return;
                }
                Ok(SaslStep::SwitchToSimple(None)) => return,
                Err(rejection) => panic!("{rejection:?}"),
            }
        }
    }

    async fn run_client(
        auth: ServerAuth,
        edit: impl Fn(RpcSaslProto) -> RpcSaslProto + Send + 'static,
    ) -> Result<SaslOutcome, YarnError> {
        let (mut client_end, server_end) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(scripted_server(server_end, auth, edit));
        let outcome = authenticate(&mut client_end, "server:1", &token()).await;
        drop(client_end);
        let _ = server.await;
        outcome
    }

    #[tokio::test]
    async fn token_exchange_with_the_challenge_in_negotiate() {
        assert_eq!(
            run_client(ServerAuth::TokenOnly, |m| m).await.unwrap(),
            SaslOutcome::Token
        );
    }

    #[tokio::test]
    async fn token_exchange_with_a_separate_challenge_round() {
        let strip_challenge = |mut message: RpcSaslProto| {
            for auth in &mut message.auths {
                auth.challenge = None;
            }
            message
        };
        assert_eq!(
            run_client(ServerAuth::TokenOnly, strip_challenge)
                .await
                .unwrap(),
            SaslOutcome::Token
        );
    }

    #[tokio::test]
    async fn a_wrong_rspauth_is_detected() {
        let forge = |mut message: RpcSaslProto| {
            if message.state == SaslState::Success as i32 {
                message.token = Some(b"rspauth=00000000000000000000000000000000".to_vec());
            }
            message
        };
        let err = run_client(ServerAuth::TokenOnly, forge).await.unwrap_err();
        assert!(matches!(err, YarnError::Sasl { .. }), "{err:?}");
        assert!(err.to_string().contains("rspauth does not match"), "{err}");
    }

    #[tokio::test]
    async fn simple_servers_and_simple_choices_fall_back_to_simple() {
        assert_eq!(
            run_client(ServerAuth::SimpleOnly, |m| m).await.unwrap(),
            SaslOutcome::SimpleFallback
        );
        let only_simple = |mut message: RpcSaslProto| {
            message.auths.retain(|auth| auth.method == METHOD_SIMPLE);
            message
        };
        assert_eq!(
            run_client(ServerAuth::SimpleOrToken, only_simple)
                .await
                .unwrap(),
            SaslOutcome::SimpleFallback
        );
    }

    #[tokio::test]
    async fn kerberos_only_servers_are_refused_clearly() {
        let kerberos = |mut message: RpcSaslProto| {
            message.auths = vec![SaslAuth {
                method: "KERBEROS".into(),
                mechanism: "GSSAPI".into(),
                protocol: Some("yarn".into()),
                server_id: Some("rm.example.com".into()),
                challenge: None,
            }];
            message
        };
        let err = run_client(ServerAuth::TokenOnly, kerberos)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("KERBEROS/GSSAPI") && text.contains("server:1"),
            "{text}"
        );
    }

    #[test]
    fn the_fallback_user_is_never_empty() {
        assert!(!simple_fallback_user().is_empty());
    }
}
