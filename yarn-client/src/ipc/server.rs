//! An async Hadoop IPC server: what the test cluster's ResourceManager and NodeManagers (and
//! the IPC tests) listen with. It speaks the same wire protocol as Hadoop's `ipc.Server`, so
//! the real Java client can talk to it.
//!
//! ```text
//! IpcServer::bind ─► accept loop ─► one task per connection:
//!
//!   preamble ── wrong magic/version ─► (HTTP GET: short text reply; version > 9: FATAL) close
//!      │ auth 00 (SIMPLE) ── not allowed ─► FATAL AccessControlException, close
//!      │ auth DF (SASL)   ─► SaslServerSession (NEGOTIATE / INITIATE / RESPONSE, call id -33)
//!      ▼
//!   connection context (call id -3): user (SIMPLE: effectiveUser; TOKEN: the token's user)
//!      │                              protocol must be the service's protocol
//!      ▼
//!   calls (call id ≥ 0) ─► spawn_blocking(RpcService::call) ─► response frames ─► writer
//!   ping (call id -4)   ─► ignored
//! ```
//!
//! Each call runs on tokio's blocking pool, so a slow call does not hold up the others on the
//! connection and responses go out in completion order (Hadoop's handlers behave the same);
//! at most [`MAX_IN_FLIGHT_CALLS_PER_CONNECTION`] calls of one connection run at once, after
//! which the connection stops reading. A reader half and a writer half run in the same task,
//! joined; responses reach the writer through a channel.
//!
//! Every protocol violation (malformed frame, bad header, unknown out-of-band call id, wrong
//! order) is answered with a FATAL response carrying Hadoop's exception class and a message
//! like Hadoop's, then the connection closes: the write side is shut down and the read side is
//! drained briefly so the client reads the FATAL response instead of a reset. Nothing on the
//! wire can panic the server; a panicking [`RpcService`] fails only its call.

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use super::frame::{
    AUTHORIZATION_FAILED_CALL_ID, AuthProtocol, CONNECTION_CONTEXT_CALL_ID, FrameBuilder,
    FramePayload, INVALID_RETRY_COUNT, IPC_VERSION, MAX_FRAME_BYTES, PING_CALL_ID, RPC_MAGIC,
    SASL_CALL_ID, YARN_PROTOCOL_VERSION, read_frame,
};
use super::sasl_client::{METHOD_SIMPLE, METHOD_TOKEN};
use super::sasl_server::{ACCESS_CONTROL_EXCEPTION, SaslServerSession, SaslStep};
use crate::YarnError;
use crate::proto::hadoop_common::rpc_request_header_proto::OperationProto;
use crate::proto::hadoop_common::rpc_response_header_proto::{RpcErrorCodeProto, RpcStatusProto};
use crate::proto::hadoop_common::{
    IpcConnectionContextProto, RequestHeaderProto, RpcKindProto, RpcRequestHeaderProto,
    RpcResponseHeaderProto, RpcSaslProto,
};

/// Calls of one connection that may run at once before the server stops reading from it.
pub const MAX_IN_FLIGHT_CALLS_PER_CONNECTION: usize = 256;
/// How long the server keeps reading (and discarding) after a FATAL response before closing.
const DRAIN_AFTER_FATAL: Duration = Duration::from_secs(1);

/// Java class of errors in the RPC layer itself (bad header, wrong order).
pub const RPC_SERVER_EXCEPTION: &str = "org.apache.hadoop.ipc.RpcServerException";
/// Java class of a call for a protocol the server does not serve.
pub const NO_SUCH_PROTOCOL_EXCEPTION: &str = "org.apache.hadoop.ipc.RpcNoSuchProtocolException";
/// Java class of a call of a method the protocol does not have.
pub const NO_SUCH_METHOD_EXCEPTION: &str = "org.apache.hadoop.ipc.RpcNoSuchMethodException";
/// Java class of a protocol or IPC version mismatch.
pub const VERSION_MISMATCH_EXCEPTION: &str = "org.apache.hadoop.ipc.RPC$VersionMismatch";
/// Java class of a refused proxy user.
pub const AUTHORIZATION_EXCEPTION: &str =
    "org.apache.hadoop.security.authorize.AuthorizationException";
/// Java class of an unknown auth protocol byte.
pub const IPC_EXCEPTION: &str = "org.apache.hadoop.ipc.IpcException";

/// Which authentication methods a server allows (Hadoop's enabled auth methods).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerAuth {
    /// An insecure server without a secret manager.
    SimpleOnly,
    /// An insecure server with a secret manager (RM client port): TOKEN preferred.
    SimpleOrToken,
    /// RM scheduler port and NodeManagers: the caller must hold a token.
    TokenOnly,
}

impl ServerAuth {
    /// The SASL method names, most preferred first, as Hadoop lists them.
    pub fn enabled_methods(self) -> &'static [&'static str] {
        match self {
            ServerAuth::SimpleOnly => &[METHOD_SIMPLE],
            ServerAuth::SimpleOrToken => &[METHOD_TOKEN, METHOD_SIMPLE],
            ServerAuth::TokenOnly => &[METHOD_TOKEN],
        }
    }

    /// Whether SIMPLE is allowed.
    pub fn allows_simple(self) -> bool {
        self != ServerAuth::TokenOnly
    }

    /// Whether TOKEN is allowed.
    pub fn allows_token(self) -> bool {
        self != ServerAuth::SimpleOnly
    }

    /// Java's `List.toString` of the enabled methods, e.g. `[TOKEN, SIMPLE]`.
    pub fn available_text(self) -> String {
        format!("[{}]", self.enabled_methods().join(", "))
    }
}

/// What a [`TokenVerifier`] knows about a valid token.
#[derive(Clone)]
pub struct VerifiedToken {
    /// The token password (the issuer's HMAC of the identifier).
    pub password: Vec<u8>,
    /// The user the token authenticates (an AMRMToken's attempt id, for example).
    pub user: String,
}

impl std::fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("user", &self.user)
            .field(
                "password",
                &format_args!("<{} bytes hidden>", self.password.len()),
            )
            .finish()
    }
}

/// Hadoop's secret manager, as far as the IPC server needs it.
pub trait TokenVerifier: Send + Sync + 'static {
    /// The password and user of a token identifier, or why it is not valid (unknown key,
    /// expired, wrong kind). The reason is sent to the client as the message of an
    /// `InvalidToken` exception.
    fn verify(&self, identifier: &[u8]) -> Result<VerifiedToken, String>;
}

/// How the caller of a call authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallerAuth {
    Simple,
    /// The identifier of the token the connection authenticated with.
    Token {
        identifier: Vec<u8>,
    },
}

/// Who is calling.
#[derive(Clone, Debug)]
pub struct Caller {
    /// SIMPLE: the effective user of the connection context; TOKEN: the token's user.
    pub user: String,
    pub auth: CallerAuth,
    pub peer: SocketAddr,
}

/// A Java exception to return from a call (an ERROR response).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteException {
    /// Fully qualified Java class, e.g.
    /// `org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException`.
    pub class_name: String,
    pub message: String,
}

impl RemoteException {
    /// An exception of `class_name` with `message`.
    pub fn new(class_name: impl Into<String>, message: impl Into<String>) -> RemoteException {
        RemoteException {
            class_name: class_name.into(),
            message: message.into(),
        }
    }

    /// Hadoop's answer to a method the protocol does not have.
    pub fn no_such_method(protocol: &str, method: &str) -> RemoteException {
        RemoteException::new(
            NO_SUCH_METHOD_EXCEPTION,
            format!("Unknown method {method} called on {protocol} protocol."),
        )
    }

    fn error_code(&self) -> RpcErrorCodeProto {
        match self.class_name.as_str() {
            NO_SUCH_METHOD_EXCEPTION => RpcErrorCodeProto::ErrorNoSuchMethod,
            NO_SUCH_PROTOCOL_EXCEPTION => RpcErrorCodeProto::ErrorNoSuchProtocol,
            VERSION_MISMATCH_EXCEPTION => RpcErrorCodeProto::ErrorRpcVersionMismatch,
            _ => RpcErrorCodeProto::ErrorApplication,
        }
    }
}

/// The protocol implementation behind a server.
pub trait RpcService: Send + Sync + 'static {
    /// The PB protocol name clients must name in their context and request headers.
    fn protocol(&self) -> &'static str;
    /// One call; `request` is the undelimited request message; returns the undelimited
    /// response. Runs on tokio's blocking pool; may block briefly.
    fn call(
        &self,
        caller: &Caller,
        method: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, RemoteException>;
}

/// A listening IPC server. Dropping it stops accepting and closes every connection;
/// [`IpcServer::shutdown`] does the same and waits until it is done.
pub struct IpcServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    accept_task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for IpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpcServer")
            .field("local_addr", &self.local_addr)
            .finish()
    }
}

impl Drop for IpcServer {
    fn drop(&mut self) {
        if let Some(task) = &self.accept_task {
            task.abort();
        }
    }
}

struct ServerShared {
    service: Arc<dyn RpcService>,
    auth: ServerAuth,
    tokens: Option<Arc<dyn TokenVerifier>>,
}

impl IpcServer {
    /// Listens on `address` (`host:port`; port 0 picks a free port) and serves `service`.
    /// `tokens` is required when `auth` allows TOKEN.
    pub async fn bind(
        address: &str,
        service: Arc<dyn RpcService>,
        auth: ServerAuth,
        tokens: Option<Arc<dyn TokenVerifier>>,
    ) -> Result<IpcServer, YarnError> {
        let bind_error = |source| YarnError::Bind {
            address: address.to_string(),
            source,
        };
        if auth.allows_token() && tokens.is_none() {
            return Err(bind_error(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{auth:?} allows TOKEN authentication, which needs a TokenVerifier"),
            )));
        }
        let listener = TcpListener::bind(address).await.map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        let shared = Arc::new(ServerShared {
            service,
            auth,
            tokens,
        });
        let (stop, stop_signal) = oneshot::channel();
        let accept_task = tokio::spawn(accept_loop(listener, shared, stop_signal));
        tracing::debug!(%local_addr, ?auth, "IPC server listening");
        Ok(IpcServer {
            local_addr,
            stop: Some(stop),
            accept_task: Some(accept_task),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, closes every connection and waits for their tasks to end (calls
    /// already running on the blocking pool finish, their responses are dropped).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.accept_task.take() {
            let _ = task.await;
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<ServerShared>,
    mut stop_signal: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop_signal => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, shared.clone()));
                }
                Err(error) => {
                    // e.g. too many open files: back off instead of spinning.
                    tracing::warn!(%error, "IPC server accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// What the writer half sends.
enum Outgoing {
    Frame(Bytes),
    /// Send, then shut the write side down.
    FatalAndClose(Bytes),
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, shared: Arc<ServerShared>) {
    let _ = stream.set_nodelay(true);
    let (mut read_half, write_half) = stream.into_split();
    let (out, out_receiver) = mpsc::unbounded_channel();
    let handler = ConnectionHandler {
        shared,
        peer,
        peer_text: peer.to_string(),
        state: ConnectionState::AwaitPreamble,
        out,
        in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT_CALLS_PER_CONNECTION)),
    };
    tokio::join!(
        handler.run(&mut read_half),
        write_responses(write_half, out_receiver)
    );
}

async fn write_responses(mut socket: OwnedWriteHalf, mut out: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(outgoing) = out.recv().await {
        match outgoing {
            Outgoing::Frame(frame) => {
                if socket.write_all(&frame).await.is_err() {
                    return;
                }
            }
            Outgoing::FatalAndClose(frame) => {
                let _ = socket.write_all(&frame).await;
                let _ = socket.shutdown().await;
                return;
            }
        }
    }
}

/// How the connection authenticated, before its context arrives.
enum Authenticated {
    Simple,
    Token { user: String, identifier: Vec<u8> },
}

enum ConnectionState {
    AwaitPreamble,
    Sasl(SaslServerSession),
    AwaitContext(Authenticated),
    Ready(Arc<Caller>),
}

/// A FATAL response to send before closing.
#[derive(Debug)]
struct Fatal {
    call_id: i32,
    retry_count: i32,
    code: RpcErrorCodeProto,
    class_name: String,
    message: String,
}

impl Fatal {
    fn frame(&self) -> Bytes {
        let header = RpcResponseHeaderProto {
            call_id: self.call_id as u32,
            status: RpcStatusProto::Fatal as i32,
            server_ipc_version_num: Some(u32::from(IPC_VERSION)),
            exception_class_name: Some(self.class_name.clone()),
            error_msg: Some(self.message.clone()),
            error_detail: Some(self.code as i32),
            client_id: Some(Vec::new()),
            retry_count: Some(self.retry_count),
            ..Default::default()
        };
        FrameBuilder::new().message(&header).finish()
    }
}

struct ConnectionHandler {
    shared: Arc<ServerShared>,
    peer: SocketAddr,
    peer_text: String,
    state: ConnectionState,
    out: mpsc::UnboundedSender<Outgoing>,
    in_flight: Arc<Semaphore>,
}

impl ConnectionHandler {
    async fn run(mut self, socket: &mut OwnedReadHalf) {
        if let Err(fatal) = self.read_preamble(socket).await {
            if let Some(fatal) = fatal {
                self.close_with(fatal, socket).await;
            }
            return;
        }
        loop {
            let Ok(permit) = self.in_flight.clone().acquire_owned().await else {
                return;
            };
            let payload = match read_frame(socket, MAX_FRAME_BYTES, &self.peer_text).await {
                Ok(Some(payload)) => payload,
                Ok(None) => return,
                Err(error) => {
                    // Like Hadoop: an oversized or truncated frame closes the connection.
                    tracing::debug!(peer = %self.peer, %error, "IPC connection dropped");
                    return;
                }
            };
            if let Err(fatal) = self.process_frame(payload, permit) {
                self.close_with(fatal, socket).await;
                return;
            }
        }
    }

    /// Sends a FATAL response, then reads and discards until the client closes (or briefly),
    /// so the response is not lost to a reset.
    async fn close_with(&self, fatal: Fatal, socket: &mut OwnedReadHalf) {
        tracing::debug!(peer = %self.peer, ?fatal, "IPC connection refused");
        let _ = self.out.send(Outgoing::FatalAndClose(fatal.frame()));
        let deadline = tokio::time::Instant::now() + DRAIN_AFTER_FATAL;
        let mut scratch = [0u8; 4096];
        while let Ok(Ok(read)) = tokio::time::timeout_at(deadline, socket.read(&mut scratch)).await
        {
            if read == 0 {
                break;
            }
        }
    }

    /// Reads and checks the 7-byte preamble. `Err(None)`: close silently.
    async fn read_preamble(&mut self, socket: &mut OwnedReadHalf) -> Result<(), Option<Fatal>> {
        let mut preamble = [0u8; 7];
        socket.read_exact(&mut preamble).await.map_err(|_| None)?;
        if preamble[..4] != RPC_MAGIC {
            if &preamble[..4] == b"GET " {
                let _ = self.out.send(Outgoing::FatalAndClose(Bytes::from_static(
                    b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\n\
                      This is a Hadoop IPC port, not an HTTP port.\r\n",
                )));
            }
            return Err(None);
        }
        let version = preamble[4];
        if version != IPC_VERSION {
            if version > IPC_VERSION {
                return Err(Some(Fatal {
                    call_id: AUTHORIZATION_FAILED_CALL_ID,
                    retry_count: INVALID_RETRY_COUNT,
                    code: RpcErrorCodeProto::FatalVersionMismatch,
                    class_name: VERSION_MISMATCH_EXCEPTION.to_string(),
                    message: format!(
                        "Server IPC version {IPC_VERSION} cannot communicate with client \
                         version {version}"
                    ),
                }));
            }
            return Err(None);
        }
        let auth_failed = |class_name: &str, message: String| Fatal {
            call_id: AUTHORIZATION_FAILED_CALL_ID,
            retry_count: INVALID_RETRY_COUNT,
            code: RpcErrorCodeProto::FatalUnauthorized,
            class_name: class_name.to_string(),
            message,
        };
        self.state = match AuthProtocol::from_byte(preamble[6]) {
            Some(AuthProtocol::None) if self.shared.auth.allows_simple() => {
                ConnectionState::AwaitContext(Authenticated::Simple)
            }
            Some(AuthProtocol::None) => {
                return Err(Some(auth_failed(
                    ACCESS_CONTROL_EXCEPTION,
                    format!(
                        "SIMPLE authentication is not enabled.  Available:{}",
                        self.shared.auth.available_text()
                    ),
                )));
            }
            Some(AuthProtocol::Sasl) => ConnectionState::Sasl(SaslServerSession::new(
                self.shared.auth,
                self.shared.tokens.clone(),
            )),
            None => {
                return Err(Some(auth_failed(
                    IPC_EXCEPTION,
                    format!("Unknown auth protocol:{}", preamble[6] as i8),
                )));
            }
        };
        Ok(())
    }

    fn process_frame(&mut self, payload: Bytes, permit: OwnedSemaphorePermit) -> Result<(), Fatal> {
        let mut frame = FramePayload::new(payload, &self.peer_text);
        let header: RpcRequestHeaderProto =
            frame
                .next_message("RpcRequestHeaderProto")
                .map_err(|error| Fatal {
                    call_id: AUTHORIZATION_FAILED_CALL_ID,
                    retry_count: INVALID_RETRY_COUNT,
                    code: RpcErrorCodeProto::FatalDeserializingRequest,
                    class_name: RPC_SERVER_EXCEPTION.to_string(),
                    message: format!("Error decoding RpcRequestHeaderProto: {error}"),
                })?;
        let call_id = header.call_id;
        let fatal = |code: RpcErrorCodeProto, class_name: &str, message: String| Fatal {
            call_id,
            retry_count: header.retry_count(),
            code,
            class_name: class_name.to_string(),
            message,
        };
        let invalid_header = |message: String| {
            fatal(
                RpcErrorCodeProto::FatalInvalidRpcHeader,
                RPC_SERVER_EXCEPTION,
                message,
            )
        };
        let Some(rpc_op) = header.rpc_op else {
            return Err(invalid_header(
                " IPC Server: No rpc op in rpcRequestHeader".into(),
            ));
        };
        if rpc_op != OperationProto::RpcFinalPacket as i32 {
            let name = OperationProto::try_from(rpc_op)
                .map(|op| op.as_str_name().to_string())
                .unwrap_or_else(|_| rpc_op.to_string());
            return Err(invalid_header(format!(
                "IPC Server does not implement rpc header operation{name}"
            )));
        }
        let Some(rpc_kind) = header.rpc_kind else {
            return Err(invalid_header(
                " IPC Server: No rpc kind in rpcRequestHeader".into(),
            ));
        };
        if call_id < 0 {
            return match call_id {
                CONNECTION_CONTEXT_CALL_ID => {
                    let context: IpcConnectionContextProto = frame
                        .next_message("IpcConnectionContextProto")
                        .map_err(|e| {
                            fatal(
                                RpcErrorCodeProto::FatalDeserializingRequest,
                                RPC_SERVER_EXCEPTION,
                                format!("Error decoding IpcConnectionContextProto: {e}"),
                            )
                        })?;
                    self.process_context(context)
                        .map_err(|(code, class, message)| fatal(code, class, message))
                }
                SASL_CALL_ID => {
                    let message: RpcSaslProto =
                        frame.next_message("RpcSaslProto").map_err(|e| {
                            fatal(
                                RpcErrorCodeProto::FatalDeserializingRequest,
                                RPC_SERVER_EXCEPTION,
                                format!("Error decoding RpcSaslProto: {e}"),
                            )
                        })?;
                    self.process_sasl(&message)
                        .map_err(|(code, class, message)| fatal(code, class, message))
                }
                PING_CALL_ID => Ok(()),
                other => Err(invalid_header(format!("Unknown out of band call #{other}"))),
            };
        }
        let ConnectionState::Ready(caller) = &self.state else {
            return Err(invalid_header("Connection context not established".into()));
        };
        if rpc_kind != RpcKindProto::RpcProtocolBuffer as i32 {
            return Err(invalid_header(format!(
                "Unknown rpc kind in rpc header{rpc_kind}"
            )));
        }
        let unreadable = |e: YarnError| {
            fatal(
                RpcErrorCodeProto::FatalDeserializingRequest,
                RPC_SERVER_EXCEPTION,
                format!("IPC server unable to read call parameters: {e}"),
            )
        };
        let request_header: RequestHeaderProto = frame
            .next_message("RequestHeaderProto")
            .map_err(unreadable)?;
        let request = frame.next_encoded("request").map_err(unreadable)?;
        frame.expect_end("request").map_err(unreadable)?;
        let call = PendingCall {
            service: self.shared.service.clone(),
            caller: caller.clone(),
            call_id,
            retry_count: header.retry_count(),
            client_id: header.client_id,
            request_header,
            request,
        };
        let out = self.out.clone();
        tokio::task::spawn_blocking(move || {
            let frame = call.run();
            let _ = out.send(Outgoing::Frame(frame));
            drop(permit);
        });
        Ok(())
    }

    fn send_sasl_reply(&self, reply: &RpcSaslProto) {
        let header = RpcResponseHeaderProto {
            call_id: SASL_CALL_ID as u32,
            status: RpcStatusProto::Success as i32,
            server_ipc_version_num: Some(u32::from(IPC_VERSION)),
            client_id: Some(Vec::new()),
            retry_count: Some(INVALID_RETRY_COUNT),
            ..Default::default()
        };
        let frame = FrameBuilder::new().message(&header).message(reply).finish();
        let _ = self.out.send(Outgoing::Frame(frame));
    }

    fn process_sasl(&mut self, message: &RpcSaslProto) -> Result<(), FatalParts> {
        let ConnectionState::Sasl(session) = &mut self.state else {
            return Err((
                RpcErrorCodeProto::FatalInvalidRpcHeader,
                RPC_SERVER_EXCEPTION,
                "SASL protocol not requested by client".to_string(),
            ));
        };
        let step = session.step(message).map_err(|rejection| {
            (
                RpcErrorCodeProto::FatalUnauthorized,
                rejection.class_name,
                rejection.message,
            )
        })?;
        match step {
            SaslStep::Reply(reply) => self.send_sasl_reply(&reply),
            SaslStep::SwitchToSimple(reply) => {
                if let Some(reply) = reply {
                    self.send_sasl_reply(&reply);
                }
                self.state = ConnectionState::AwaitContext(Authenticated::Simple);
            }
            SaslStep::Authenticated {
                reply,
                user,
                identifier,
            } => {
                self.send_sasl_reply(&reply);
                tracing::debug!(peer = %self.peer, %user, "token authentication succeeded");
                self.state =
                    ConnectionState::AwaitContext(Authenticated::Token { user, identifier });
            }
        }
        Ok(())
    }

    fn process_context(&mut self, context: IpcConnectionContextProto) -> Result<(), FatalParts> {
        let authenticated = match std::mem::replace(&mut self.state, ConnectionState::AwaitPreamble)
        {
            ConnectionState::AwaitContext(authenticated) => authenticated,
            ConnectionState::Sasl(_) => {
                return Err((
                    RpcErrorCodeProto::FatalInvalidRpcHeader,
                    RPC_SERVER_EXCEPTION,
                    "Connection header sent during SASL negotiation".to_string(),
                ));
            }
            ConnectionState::Ready(_) | ConnectionState::AwaitPreamble => {
                return Err((
                    RpcErrorCodeProto::FatalInvalidRpcHeader,
                    RPC_SERVER_EXCEPTION,
                    "Connection context already processed".to_string(),
                ));
            }
        };
        let user_info = context.user_info.unwrap_or_default();
        let claimed = user_info.effective_user.filter(|user| !user.is_empty());
        let unauthorized = |class: &'static str, message: String| {
            (RpcErrorCodeProto::FatalUnauthorized, class, message)
        };
        let caller = match authenticated {
            Authenticated::Token { user, identifier } => {
                if let Some(claimed) = claimed
                    && claimed != user
                {
                    return Err(unauthorized(
                        ACCESS_CONTROL_EXCEPTION,
                        format!(
                            "Authenticated user ({user} (auth:TOKEN)) doesn't match what the \
                             client claims to be ({claimed} (auth:SIMPLE))"
                        ),
                    ));
                }
                Caller {
                    user,
                    auth: CallerAuth::Token { identifier },
                    peer: self.peer,
                }
            }
            Authenticated::Simple => {
                let Some(user) = claimed else {
                    return Err(unauthorized(
                        ACCESS_CONTROL_EXCEPTION,
                        "SIMPLE authentication needs an effective user in the connection \
                         context"
                            .to_string(),
                    ));
                };
                if let Some(real_user) = user_info.real_user.filter(|real| *real != user) {
                    return Err(unauthorized(
                        AUTHORIZATION_EXCEPTION,
                        format!("User: {real_user} is not allowed to impersonate {user}"),
                    ));
                }
                Caller {
                    user,
                    auth: CallerAuth::Simple,
                    peer: self.peer,
                }
            }
        };
        let protocol = context.protocol.unwrap_or_default();
        let served = self.shared.service.protocol();
        if protocol != served {
            return Err((
                RpcErrorCodeProto::ErrorNoSuchProtocol,
                NO_SUCH_PROTOCOL_EXCEPTION,
                format!("Unknown protocol: {protocol} (this server serves {served})"),
            ));
        }
        self.state = ConnectionState::Ready(Arc::new(caller));
        Ok(())
    }
}

/// The parts of a FATAL response that do not depend on the call header.
type FatalParts = (RpcErrorCodeProto, &'static str, String);

/// One call, moved to the blocking pool.
struct PendingCall {
    service: Arc<dyn RpcService>,
    caller: Arc<Caller>,
    call_id: i32,
    client_id: Vec<u8>,
    retry_count: i32,
    request_header: RequestHeaderProto,
    request: Bytes,
}

impl PendingCall {
    /// Runs the call and builds its response frame.
    fn run(self) -> Bytes {
        let protocol = self.service.protocol();
        let method = self.request_header.method_name.as_str();
        let result = if self.request_header.declaring_class_protocol_name != protocol {
            Err(RemoteException::new(
                NO_SUCH_PROTOCOL_EXCEPTION,
                format!(
                    "Unknown protocol: {}",
                    self.request_header.declaring_class_protocol_name
                ),
            ))
        } else if self.request_header.client_protocol_version != YARN_PROTOCOL_VERSION {
            Err(RemoteException::new(
                VERSION_MISMATCH_EXCEPTION,
                format!(
                    "Protocol {protocol} version mismatch. (client = {}, server = \
                     {YARN_PROTOCOL_VERSION})",
                    self.request_header.client_protocol_version
                ),
            ))
        } else {
            let service = &self.service;
            let caller = &self.caller;
            let request = &self.request;
            std::panic::catch_unwind(AssertUnwindSafe(|| service.call(caller, method, request)))
                .unwrap_or_else(|_| {
                    tracing::error!(method, "RpcService::call panicked");
                    Err(RemoteException::new(
                        RPC_SERVER_EXCEPTION,
                        format!("the server failed while handling {method} (handler panicked)"),
                    ))
                })
        };
        let mut header = RpcResponseHeaderProto {
            call_id: self.call_id as u32,
            status: RpcStatusProto::Success as i32,
            server_ipc_version_num: Some(u32::from(IPC_VERSION)),
            client_id: Some(self.client_id),
            retry_count: Some(self.retry_count),
            ..Default::default()
        };
        match result {
            Ok(response) => FrameBuilder::new()
                .message(&header)
                .encoded_message(&response)
                .finish(),
            Err(exception) => {
                header.status = RpcStatusProto::Error as i32;
                header.error_detail = Some(exception.error_code() as i32);
                header.exception_class_name = Some(exception.class_name);
                header.error_msg = Some(exception.message);
                FrameBuilder::new().message(&header).finish()
            }
        }
    }
}
