//! Shared test service and helpers for the IPC integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use weir_yarn::ipc::{
    APPLICATION_CLIENT_PROTOCOL, Caller, CallerAuth, ClientAuth, ConnectionConfig, IpcServer,
    RemoteException, RpcService, ServerAuth, TokenVerifier, VerifiedToken,
};
use weir_yarn::token::Token;

/// Request of the test service.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EchoRequestProto {
    #[prost(string, optional, tag = "1")]
    pub text: Option<String>,
    #[prost(uint64, optional, tag = "2")]
    pub delay_ms: Option<u64>,
}

/// Response of the test service.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EchoResponseProto {
    #[prost(string, optional, tag = "1")]
    pub text: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub user: Option<String>,
    #[prost(bool, optional, tag = "3")]
    pub token_auth: Option<bool>,
}

pub const APPLICATION_NOT_FOUND: &str =
    "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException";

/// Methods: `echo` (after `delay_ms`), `fail` (an ApplicationNotFoundException), anything else
/// → no such method.
#[derive(Default)]
pub struct EchoService {
    pub calls: AtomicUsize,
}

impl RpcService for EchoService {
    fn protocol(&self) -> &'static str {
        APPLICATION_CLIENT_PROTOCOL
    }

    fn call(
        &self,
        caller: &Caller,
        method: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, RemoteException> {
        use prost::Message;
        self.calls.fetch_add(1, Ordering::SeqCst);
        let request = EchoRequestProto::decode(request)
            .map_err(|e| RemoteException::new("java.io.IOException", e.to_string()))?;
        match method {
            "echo" => {
                if let Some(delay_ms) = request.delay_ms {
                    std::thread::sleep(Duration::from_millis(delay_ms));
                }
                Ok(EchoResponseProto {
                    text: request.text,
                    user: Some(caller.user.clone()),
                    token_auth: Some(matches!(caller.auth, CallerAuth::Token { .. })),
                }
                .encode_to_vec())
            }
            "fail" => Err(RemoteException::new(
                APPLICATION_NOT_FOUND,
                format!(
                    "Application with id '{}' doesn't exist in RM.",
                    request.text.unwrap_or_default()
                ),
            )),
            other => Err(RemoteException::no_such_method(
                APPLICATION_CLIENT_PROTOCOL,
                other,
            )),
        }
    }
}

/// Knows one token identifier.
pub struct OneTokenVerifier {
    pub identifier: Vec<u8>,
    pub password: Vec<u8>,
    pub user: String,
}

impl TokenVerifier for OneTokenVerifier {
    fn verify(&self, identifier: &[u8]) -> Result<VerifiedToken, String> {
        if identifier == self.identifier.as_slice() {
            Ok(VerifiedToken {
                password: self.password.clone(),
                user: self.user.clone(),
            })
        } else {
            Err("Invalid AMRMToken from appattempt_1700000000000_0001_000002".to_string())
        }
    }
}

pub const ATTEMPT_USER: &str = "appattempt_1700000000000_0001_000001";

pub fn test_token() -> Token {
    Token {
        identifier: b"\x0a\x0c\x0a\x06\x08\x01\x10\x80\xc8\x02\x10\x01\x10\x07".to_vec(),
        password: b"0123456789abcdef0123".to_vec(),
        kind: weir_yarn::token::AMRM_TOKEN_KIND.to_string(),
        service: String::new(),
    }
}

pub fn verifier() -> Arc<dyn TokenVerifier> {
    let token = test_token();
    Arc::new(OneTokenVerifier {
        identifier: token.identifier,
        password: token.password,
        user: ATTEMPT_USER.to_string(),
    })
}

pub async fn start_server(auth: ServerAuth) -> (IpcServer, Arc<EchoService>) {
    let service = Arc::new(EchoService::default());
    let tokens = if auth == ServerAuth::SimpleOnly {
        None
    } else {
        Some(verifier())
    };
    let server = IpcServer::bind("127.0.0.1:0", service.clone(), auth, tokens)
        .await
        .expect("bind");
    (server, service)
}

pub fn config(address: String, auth: ClientAuth) -> ConnectionConfig {
    ConnectionConfig {
        address,
        protocol: APPLICATION_CLIENT_PROTOCOL,
        auth,
        connect_timeout: Duration::from_secs(5),
        call_timeout: Duration::from_secs(10),
        ping_interval: weir_yarn::ipc::DEFAULT_PING_INTERVAL,
        max_idle: weir_yarn::ipc::DEFAULT_MAX_IDLE,
    }
}

pub fn simple(user: &str) -> ClientAuth {
    ClientAuth::Simple {
        user: user.to_string(),
    }
}

pub fn echo(text: &str) -> EchoRequestProto {
    EchoRequestProto {
        text: Some(text.to_string()),
        delay_ms: None,
    }
}

/// A hand-driven client for wire-level tests: writes exactly the frames it is told to.
pub struct RawClient {
    pub stream: tokio::net::TcpStream,
}

/// One server response: the header and the rest of the frame.
#[derive(Debug)]
pub struct RawResponse {
    pub header: weir_yarn::proto::hadoop_common::RpcResponseHeaderProto,
    pub rest: bytes::Bytes,
}

impl RawResponse {
    /// Decodes the delimited message after the header.
    pub fn message<M: prost::Message + Default>(&self) -> M {
        let mut payload = weir_yarn::ipc::frame::FramePayload::new(self.rest.clone(), "server");
        let message = payload.next_message("message").unwrap();
        payload.expect_end("message").unwrap();
        message
    }

    pub fn status(&self) -> i32 {
        self.header.status
    }
}

impl RawClient {
    pub async fn connect(address: std::net::SocketAddr) -> RawClient {
        RawClient {
            stream: tokio::net::TcpStream::connect(address).await.unwrap(),
        }
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(bytes).await.unwrap();
    }

    pub async fn send_frame(&mut self, frame: bytes::Bytes) {
        self.send_bytes(&frame).await;
    }

    /// The next response, or `None` when the server closed the connection.
    pub async fn read_response(&mut self) -> Option<RawResponse> {
        let payload = tokio::time::timeout(
            Duration::from_secs(5),
            weir_yarn::ipc::frame::read_frame(&mut self.stream, 1 << 20, "server"),
        )
        .await
        .expect("no response within 5 s")
        .ok()??;
        let mut payload = weir_yarn::ipc::frame::FramePayload::new(payload, "server");
        let header = payload.next_message("RpcResponseHeaderProto").unwrap();
        Some(RawResponse {
            header,
            rest: payload.into_remaining(),
        })
    }

    /// Reads until the server closes; fails if it sends anything but end of stream.
    pub async fn expect_closed(&mut self) {
        assert!(
            self.read_response().await.is_none(),
            "expected the server to close"
        );
    }
}

/// A FATAL response's (class, message), after which the server closes.
pub async fn expect_fatal(client: &mut RawClient) -> (String, String) {
    let response = client.read_response().await.expect("a FATAL response");
    assert_eq!(response.status(), 2, "{response:?}");
    client.expect_closed().await;
    (
        response.header.exception_class_name.unwrap_or_default(),
        response.header.error_msg.unwrap_or_default(),
    )
}
