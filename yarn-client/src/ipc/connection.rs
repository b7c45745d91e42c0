//! A client connection to one Hadoop IPC server for one protocol, shared by many concurrent
//! calls.
//!
//! ```text
//! connect:  TCP connect ─► preamble ─► [SASL, if we hold a token] ─► connection context
//!           (all within connect_timeout)                    └─ then two tasks are started:
//!
//!   call() ──frame──► mpsc ──► writer task ──► socket ──► server
//!     │ registers call id → oneshot in the CallTable
//!     ▼
//!   awaits oneshot (call_timeout) ◄── reader task ◄── socket ◄── server
//!                                     (dispatches each response by call id)
//! ```
//!
//! Call ids start at 0 and increase by one per call (wrapping within 0..=i32::MAX like Java's
//! client); the 16-byte client id is random per connection. Frames go through a writer task so
//! that a call whose future is dropped half-way can never leave half a frame on the socket.
//!
//! Failures:
//! * ERROR response → that call fails with [`YarnError::Remote`] (class and message verbatim);
//!   the connection stays usable.
//! * FATAL response → every call in flight and every later call fails with
//!   [`YarnError::ConnectionRejected`]; the connection is broken ([`IpcConnection::is_broken`]).
//! * End of stream, I/O error, malformed frame → the same, as
//!   [`YarnError::ConnectionClosed`] / [`YarnError::IpcProtocol`].
//! * No response within `call_timeout` → [`YarnError::CallTimeout`]; a late response is
//!   dropped; the connection stays usable.
//!
//! Keep-alive and idle close, like Java's client (`ipc.ping.interval`,
//! `ipc.client.connection.maxidletime`): while calls are outstanding and nothing arrived for
//! `ping_interval`, the writer task sends a ping (a header-only frame with call id -4, which
//! servers read and ignore) so that servers and firewalls do not drop a connection whose call
//! takes long; with no call outstanding and no traffic for `max_idle`, the connection closes
//! itself: it is marked broken with an "idle" reason, and the fail-over proxy opens a new one
//! for the next call (Hadoop servers drop idle connections too). A call never races the idle
//! close: registering a call and closing check each other under the call table's lock.
//!
//! Closing: dropping the last clone stops both tasks and closes the socket (Hadoop servers
//! treat `rpcOp=2` as an invalid header, so nothing is sent).
//!
//! A client that holds a token opens with auth byte `DF` (like Java's client) and
//! authenticates with DIGEST-MD5 ([`super::sasl_client`]); if the server offers only SIMPLE it
//! falls back to SIMPLE with [`super::sasl_client::simple_fallback_user`]. SIMPLE clients open
//! with `00` and no SASL: a server that refuses SIMPLE answers with a FATAL response, which the
//! first call reports as [`YarnError::ConnectionRejected`].

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::frame::{
    AuthProtocol, CONNECTION_CONTEXT_CALL_ID, FrameBuilder, FramePayload, INVALID_RETRY_COUNT,
    MAX_FRAME_BYTES, PING_CALL_ID, YARN_PROTOCOL_VERSION, preamble, read_frame, request_header,
};
use super::sasl_client::{self, SaslOutcome};
use crate::YarnError;
use crate::proto::hadoop_common::rpc_response_header_proto::RpcStatusProto;
use crate::proto::hadoop_common::{
    IpcConnectionContextProto, RequestHeaderProto, RpcResponseHeaderProto, UserInformationProto,
};
use crate::token::Token;

/// How a client authenticates.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// SIMPLE: the user name is taken on trust (insecure clusters, RM client port).
    Simple { user: String },
    /// TOKEN: SASL DIGEST-MD5 with a Hadoop token (AMRMToken, NMToken).
    Token(Token),
}

/// Where and how to connect.
#[derive(Clone, Debug)]
pub struct ConnectionConfig {
    /// `host:port`.
    pub address: String,
    /// The PB protocol name, e.g. [`super::APPLICATION_CLIENT_PROTOCOL`].
    pub protocol: &'static str,
    pub auth: ClientAuth,
    /// Bounds connection establishment: TCP connect, preamble, SASL and context.
    pub connect_timeout: Duration,
    /// Bounds each call, from sending the request to receiving the response.
    pub call_timeout: Duration,
    /// With calls outstanding, a ping is sent after this long without a frame from the server
    /// (Java's `ipc.ping.interval`, [`DEFAULT_PING_INTERVAL`]).
    pub ping_interval: Duration,
    /// With no call outstanding, the connection closes after this long without traffic (Java's
    /// `ipc.client.connection.maxidletime`, [`DEFAULT_MAX_IDLE`]).
    pub max_idle: Duration,
}

/// Java's `ipc.ping.interval` default.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(60);
/// Java's `ipc.client.connection.maxidletime` default.
pub const DEFAULT_MAX_IDLE: Duration = Duration::from_secs(10);

/// One IPC connection; cheap to clone, calls from many tasks share the socket.
#[derive(Clone)]
pub struct IpcConnection {
    shared: Arc<Shared>,
}

impl fmt::Debug for IpcConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IpcConnection")
            .field("address", &self.shared.address)
            .field("protocol", &self.shared.protocol)
            .field("broken", &self.is_broken())
            .finish()
    }
}

struct Shared {
    address: String,
    protocol: &'static str,
    client_id: [u8; 16],
    call_timeout: Duration,
    next_call_id: AtomicU32,
    frames: mpsc::UnboundedSender<Bytes>,
    calls: Arc<CallTable>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Both halves of the socket are owned by the tasks; stopping them closes it.
        self.reader.abort();
        self.writer.abort();
    }
}

impl IpcConnection {
    /// Connects, authenticates and sends the connection context.
    pub async fn connect(config: ConnectionConfig) -> Result<IpcConnection, YarnError> {
        let address = config.address.clone();
        let timeout_ms = config.connect_timeout.as_millis() as u64;
        match tokio::time::timeout(config.connect_timeout, establish(&config)).await {
            Ok(result) => result,
            Err(_) => Err(YarnError::Connect {
                address,
                source: std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("connection setup did not finish within {timeout_ms} ms"),
                ),
            }),
        }
    }

    /// Calls `method` with `request` and decodes the response.
    pub async fn call<Req: Message, Resp: Message + Default>(
        &self,
        method: &str,
        request: &Req,
    ) -> Result<Resp, YarnError> {
        let shared = &*self.shared;
        let call_id = (shared.next_call_id.fetch_add(1, Ordering::Relaxed) & 0x7fff_ffff) as i32;
        let receiver = shared
            .calls
            .register(call_id)
            .map_err(|failure| failure.into_error(&shared.address, method))?;
        let _pending = PendingCall {
            calls: &shared.calls,
            call_id,
        };
        let frame = FrameBuilder::new()
            .message(&request_header(call_id, &shared.client_id, 0))
            .message(&RequestHeaderProto {
                method_name: method.to_string(),
                declaring_class_protocol_name: shared.protocol.to_string(),
                client_protocol_version: YARN_PROTOCOL_VERSION,
            })
            .message(request)
            .finish();
        if shared.frames.send(frame).is_err() {
            return Err(shared
                .calls
                .failure_or_closed()
                .into_error(&shared.address, method));
        }
        let outcome = match tokio::time::timeout(shared.call_timeout, receiver).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => {
                return Err(shared
                    .calls
                    .failure_or_closed()
                    .into_error(&shared.address, method));
            }
            Err(_) => {
                return Err(YarnError::CallTimeout {
                    address: shared.address.clone(),
                    method: method.to_string(),
                    timeout_ms: shared.call_timeout.as_millis() as u64,
                });
            }
        };
        match outcome {
            CallOutcome::Success(body) => {
                let mut payload = FramePayload::new(body, &shared.address);
                let response = payload.next_message(&format!("response of {method}"))?;
                payload.expect_end(&format!("response of {method}"))?;
                Ok(response)
            }
            CallOutcome::RemoteError {
                class_name,
                message,
            } => Err(YarnError::Remote {
                address: shared.address.clone(),
                method: method.to_string(),
                class_name,
                message,
            }),
            CallOutcome::Failed(failure) => Err(failure.into_error(&shared.address, method)),
        }
    }

    /// Whether the connection failed (FATAL response, end of stream, I/O error); every call on
    /// a broken connection fails at once, so reconnect.
    pub fn is_broken(&self) -> bool {
        self.shared.calls.is_broken()
    }

    /// The `host:port` this connection was opened to.
    pub fn address(&self) -> &str {
        &self.shared.address
    }

    /// Whether both handles share one socket.
    pub fn same_connection(&self, other: &IpcConnection) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// The protocol named in the connection context.
    pub fn protocol(&self) -> &'static str {
        self.shared.protocol
    }
}

async fn establish(config: &ConnectionConfig) -> Result<IpcConnection, YarnError> {
    let address = config.address.as_str();
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|source| YarnError::Connect {
            address: address.to_string(),
            source,
        })?;
    // Calls are small request/response pairs: do not let Nagle delay them.
    let _ = stream.set_nodelay(true);
    let write_error = |e: std::io::Error| YarnError::ConnectionClosed {
        address: address.to_string(),
        reason: format!("sending the connection header: {e}"),
    };
    let user_info = match &config.auth {
        ClientAuth::Simple { user } => {
            stream
                .write_all(&preamble(AuthProtocol::None))
                .await
                .map_err(write_error)?;
            simple_user(user.clone())
        }
        ClientAuth::Token(token) => {
            stream
                .write_all(&preamble(AuthProtocol::Sasl))
                .await
                .map_err(write_error)?;
            match sasl_client::authenticate(&mut stream, address, token).await? {
                // The server takes the user from the token; Java sends an empty user too.
                SaslOutcome::Token => UserInformationProto::default(),
                SaslOutcome::SimpleFallback => simple_user(sasl_client::simple_fallback_user()),
            }
        }
    };
    let mut client_id = [0u8; 16];
    getrandom::fill(&mut client_id).map_err(|e| YarnError::Connect {
        address: address.to_string(),
        source: std::io::Error::other(format!("no randomness for the client id: {e}")),
    })?;
    let context = FrameBuilder::new()
        .message(&request_header(
            CONNECTION_CONTEXT_CALL_ID,
            &client_id,
            INVALID_RETRY_COUNT,
        ))
        .message(&IpcConnectionContextProto {
            user_info: Some(user_info),
            protocol: Some(config.protocol.to_string()),
        })
        .finish();
    stream.write_all(&context).await.map_err(write_error)?;

    let (read_half, write_half) = stream.into_split();
    let calls = Arc::new(CallTable::default());
    let (frames, frame_receiver) = mpsc::unbounded_channel();
    let last_read = Arc::new(Mutex::new(Instant::now()));
    let reader = tokio::spawn(read_responses(
        read_half,
        calls.clone(),
        last_read.clone(),
        address.to_string(),
    ));
    let keep_alive = KeepAlive {
        ping_frame: FrameBuilder::new()
            .message(&request_header(
                PING_CALL_ID,
                &client_id,
                INVALID_RETRY_COUNT,
            ))
            .finish(),
        ping_interval: config.ping_interval,
        max_idle: config.max_idle,
        last_read,
    };
    let writer = tokio::spawn(write_frames(
        write_half,
        frame_receiver,
        calls.clone(),
        keep_alive,
    ));
    Ok(IpcConnection {
        shared: Arc::new(Shared {
            address: address.to_string(),
            protocol: config.protocol,
            client_id,
            call_timeout: config.call_timeout,
            next_call_id: AtomicU32::new(0),
            frames,
            calls,
            reader,
            writer,
        }),
    })
}

fn simple_user(user: String) -> UserInformationProto {
    UserInformationProto {
        effective_user: Some(user),
        real_user: None,
    }
}

/// Why a connection stopped working; shared by every call it fails.
#[derive(Clone, Debug)]
enum ConnectionFailure {
    Closed(String),
    Rejected { class_name: String, message: String },
    Malformed(String),
}

impl ConnectionFailure {
    fn from_error(error: YarnError) -> ConnectionFailure {
        match error {
            YarnError::IpcProtocol { detail, .. } => ConnectionFailure::Malformed(detail),
            YarnError::ConnectionClosed { reason, .. } => ConnectionFailure::Closed(reason),
            other => ConnectionFailure::Closed(other.to_string()),
        }
    }

    fn into_error(self, address: &str, method: &str) -> YarnError {
        match self {
            ConnectionFailure::Closed(reason) => YarnError::ConnectionClosed {
                address: address.to_string(),
                reason: format!("{reason} (call {method})"),
            },
            ConnectionFailure::Rejected {
                class_name,
                message,
            } => YarnError::ConnectionRejected {
                address: address.to_string(),
                class_name,
                message,
            },
            ConnectionFailure::Malformed(detail) => YarnError::IpcProtocol {
                address: address.to_string(),
                detail: format!("{detail} (call {method})"),
            },
        }
    }
}

/// What the reader hands to a waiting call.
#[derive(Debug)]
enum CallOutcome {
    /// The frame after the response header: the delimited response message.
    Success(Bytes),
    RemoteError {
        class_name: String,
        message: String,
    },
    Failed(ConnectionFailure),
}

/// Calls waiting for a response, by call id, and the failure that broke the connection.
#[derive(Default)]
struct CallTable {
    state: Mutex<CallTableState>,
}

#[derive(Default)]
struct CallTableState {
    pending: HashMap<i32, oneshot::Sender<CallOutcome>>,
    failure: Option<ConnectionFailure>,
}

impl CallTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, CallTableState> {
        // The lock is never held across a panic point that leaves the map inconsistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn register(&self, call_id: i32) -> Result<oneshot::Receiver<CallOutcome>, ConnectionFailure> {
        let mut state = self.lock();
        if let Some(failure) = &state.failure {
            return Err(failure.clone());
        }
        let (sender, receiver) = oneshot::channel();
        state.pending.insert(call_id, sender);
        Ok(receiver)
    }

    fn remove(&self, call_id: i32) {
        self.lock().pending.remove(&call_id);
    }

    fn complete(&self, call_id: i32, outcome: CallOutcome) {
        let sender = self.lock().pending.remove(&call_id);
        match sender {
            // The caller may have given up (timeout, dropped future): nothing to do.
            Some(sender) => {
                let _ = sender.send(outcome);
            }
            None => tracing::debug!(call_id, "response to a call nobody waits for"),
        }
    }

    /// Marks the connection broken (the first failure wins) and fails every waiting call.
    fn fail_all(&self, failure: ConnectionFailure) {
        let pending = {
            let mut state = self.lock();
            if state.failure.is_none() {
                state.failure = Some(failure);
            }
            std::mem::take(&mut state.pending)
        };
        let failure = self.failure_or_closed();
        for (_, sender) in pending {
            let _ = sender.send(CallOutcome::Failed(failure.clone()));
        }
    }

    fn is_broken(&self) -> bool {
        self.lock().failure.is_some()
    }

    fn has_pending(&self) -> bool {
        !self.lock().pending.is_empty()
    }

    /// Marks the connection broken because it sat idle, unless a call is waiting (then the
    /// connection stays); true when it was closed.
    fn close_if_idle(&self, idle: Duration) -> bool {
        let mut state = self.lock();
        if !state.pending.is_empty() || state.failure.is_some() {
            return false;
        }
        state.failure = Some(ConnectionFailure::Closed(format!(
            "closed after {} ms without calls (idle connections are closed like Hadoop's \
             ipc.client.connection.maxidletime)",
            idle.as_millis()
        )));
        true
    }

    fn failure_or_closed(&self) -> ConnectionFailure {
        self.lock()
            .failure
            .clone()
            .unwrap_or_else(|| ConnectionFailure::Closed("the connection was closed".to_string()))
    }
}

/// Removes a call's table entry when the call finishes or its future is dropped.
struct PendingCall<'a> {
    calls: &'a CallTable,
    call_id: i32,
}

impl Drop for PendingCall<'_> {
    fn drop(&mut self) {
        self.calls.remove(self.call_id);
    }
}

/// What the writer task needs for pings and the idle close.
struct KeepAlive {
    ping_frame: Bytes,
    ping_interval: Duration,
    max_idle: Duration,
    /// When the reader last received a frame.
    last_read: Arc<Mutex<Instant>>,
}

impl KeepAlive {
    fn last_read(&self) -> Instant {
        *self
            .last_read
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How often the writer looks at the clocks: often enough for the shorter of both limits.
    fn check_interval(&self) -> Duration {
        (self.ping_interval.min(self.max_idle) / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(1))
    }
}

async fn write_frames(
    mut socket: OwnedWriteHalf,
    mut frames: mpsc::UnboundedReceiver<Bytes>,
    calls: Arc<CallTable>,
    keep_alive: KeepAlive,
) {
    let mut last_write = Instant::now();
    let mut check = tokio::time::interval(keep_alive.check_interval());
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let frame = tokio::select! {
            frame = frames.recv() => match frame {
                Some(frame) => frame,
                None => return,
            },
            _ = check.tick() => {
                let last_traffic = keep_alive.last_read().max(last_write);
                if calls.has_pending() {
                    if keep_alive.last_read().elapsed() >= keep_alive.ping_interval
                        && last_write.elapsed() >= keep_alive.ping_interval
                    {
                        keep_alive.ping_frame.clone()
                    } else {
                        continue;
                    }
                } else if last_traffic.elapsed() >= keep_alive.max_idle
                    && calls.close_if_idle(keep_alive.max_idle)
                {
                    // Dropping the write half ends the connection (the reader task sees EOF
                    // or is aborted with the last handle).
                    let _ = socket.shutdown().await;
                    return;
                } else {
                    continue;
                }
            }
        };
        if let Err(e) = socket.write_all(&frame).await {
            calls.fail_all(ConnectionFailure::Closed(format!("write failed: {e}")));
            return;
        }
        last_write = Instant::now();
    }
}

async fn read_responses(
    mut socket: OwnedReadHalf,
    calls: Arc<CallTable>,
    last_read: Arc<Mutex<Instant>>,
    address: String,
) {
    let failure = loop {
        let payload = match read_frame(&mut socket, MAX_FRAME_BYTES, &address).await {
            Ok(Some(payload)) => {
                *last_read
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Instant::now();
                payload
            }
            Ok(None) => {
                break ConnectionFailure::Closed("the server closed the connection".to_string());
            }
            Err(error) => break ConnectionFailure::from_error(error),
        };
        match dispatch_response(payload, &calls, &address) {
            Ok(()) => {}
            Err(failure) => break failure,
        }
    };
    tracing::debug!(%address, ?failure, "IPC connection failed");
    calls.fail_all(failure);
}

/// Hands one response frame to its call; `Err` ends the connection.
fn dispatch_response(
    payload: Bytes,
    calls: &CallTable,
    address: &str,
) -> Result<(), ConnectionFailure> {
    let mut payload = FramePayload::new(payload, address);
    let header: RpcResponseHeaderProto = payload
        .next_message("RpcResponseHeaderProto")
        .map_err(ConnectionFailure::from_error)?;
    let call_id = header.call_id as i32;
    match RpcStatusProto::try_from(header.status) {
        Ok(RpcStatusProto::Success) => {
            calls.complete(call_id, CallOutcome::Success(payload.into_remaining()));
            Ok(())
        }
        Ok(RpcStatusProto::Error) => {
            calls.complete(
                call_id,
                CallOutcome::RemoteError {
                    class_name: header.exception_class_name.unwrap_or_default(),
                    message: header.error_msg.unwrap_or_default(),
                },
            );
            Ok(())
        }
        Ok(RpcStatusProto::Fatal) => {
            let failure = ConnectionFailure::Rejected {
                class_name: header.exception_class_name.unwrap_or_default(),
                message: header.error_msg.unwrap_or_default(),
            };
            calls.complete(call_id, CallOutcome::Failed(failure.clone()));
            Err(failure)
        }
        Err(_) => Err(ConnectionFailure::Malformed(format!(
            "unknown response status {} for call {call_id}",
            header.status
        ))),
    }
}
