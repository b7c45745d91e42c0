//! A client for one protocol across several server addresses (ResourceManager HA), with
//! lazy connection, reconnection and fail-over.
//!
//! ```text
//! call(method) ──► connection to addresses[current] (connect lazily / again if broken)
//!    │ ok ─────────────────────────────► response
//!    │ remote application error ───────► returned at once (ApplicationNotFound, …)
//!    │ connection failure or           ┐
//!    │ StandbyException                ├► current = next address; once every address has
//!    │                                 ┘  failed in this round, sleep retry_interval
//!    │ RetriableException ─────────────► same address again after retry_interval
//!    └ max_wait spent ─────────────────► FailoverExhausted { every address tried, last error }
//! ```
//!
//! Connection failures are [`YarnError::is_connection_failure`]: cannot connect, connection
//! closed, malformed data, call timeout. `max_wait` bounds the time spent connecting, failing
//! over and sleeping; a call already sent runs until it answers or its `call_timeout`.
//!
//! A call is re-sent after a connection failure, possibly to another server, on a new
//! connection (new client id). Hadoop's retry cache (keyed by client id + call id) therefore
//! does not deduplicate it: use the proxy for calls that are safe to repeat (YARN's client and
//! AM calls are; `submitApplication` with the same application id is answered as a success).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prost::Message;
use tokio::time::Instant;

use super::connection::{
    ClientAuth, ConnectionConfig, DEFAULT_MAX_IDLE, DEFAULT_PING_INTERVAL, IpcConnection,
};
use super::{RETRIABLE_EXCEPTION, STANDBY_EXCEPTION};
use crate::YarnError;

/// Timeouts and the retry budget of a [`FailoverProxy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Bounds each connection setup (TCP, SASL, context).
    pub connect_timeout: Duration,
    /// Bounds each call once sent.
    pub call_timeout: Duration,
    /// Total time across retries and fail-overs before giving up.
    pub max_wait: Duration,
    /// Sleep before trying an address again after every address failed.
    pub retry_interval: Duration,
}

impl Default for RetryPolicy {
    /// Hadoop's client defaults: `ipc.client.connect.timeout` 20 s,
    /// `yarn.resourcemanager.connect.max-wait.ms` 15 min,
    /// `yarn.resourcemanager.connect.retry-interval.ms` 30 s; calls get 60 s.
    fn default() -> Self {
        RetryPolicy {
            connect_timeout: Duration::from_secs(20),
            call_timeout: Duration::from_secs(60),
            max_wait: Duration::from_secs(15 * 60),
            retry_interval: Duration::from_secs(30),
        }
    }
}

/// Calls one protocol on the first address that answers; cheap to clone (clones share the
/// connection and the current address).
#[derive(Clone)]
pub struct FailoverProxy {
    inner: Arc<ProxyInner>,
}

struct ProxyInner {
    addresses: Vec<String>,
    protocol: &'static str,
    policy: RetryPolicy,
    auth: Mutex<ClientAuth>,
    current: AtomicUsize,
    /// The open connection and the address index it belongs to. A tokio mutex: it is held
    /// while connecting so concurrent callers share one new connection.
    connection: tokio::sync::Mutex<Option<(usize, IpcConnection)>>,
}

impl std::fmt::Debug for FailoverProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailoverProxy")
            .field("addresses", &self.inner.addresses)
            .field("protocol", &self.inner.protocol)
            .field("current", &self.current_address())
            .field("policy", &self.inner.policy)
            .finish()
    }
}

/// What to do after a failed attempt.
enum Next {
    FailOver,
    RetrySameAddress,
}

impl FailoverProxy {
    /// A proxy over `addresses` (`host:port`, tried in order starting with the first).
    pub fn new(
        addresses: Vec<String>,
        protocol: &'static str,
        auth: ClientAuth,
        policy: RetryPolicy,
    ) -> FailoverProxy {
        FailoverProxy {
            inner: Arc::new(ProxyInner {
                addresses,
                protocol,
                policy,
                auth: Mutex::new(auth),
                current: AtomicUsize::new(0),
                connection: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// Calls `method`, connecting, reconnecting and failing over as needed.
    pub async fn call<Req: Message, Resp: Message + Default>(
        &self,
        method: &str,
        request: &Req,
    ) -> Result<Resp, YarnError> {
        let inner = &*self.inner;
        if inner.addresses.is_empty() {
            return Err(YarnError::ConfigValue {
                key: format!("{} addresses", inner.protocol),
                detail: "no server address to call".to_string(),
            });
        }
        let started = Instant::now();
        let deadline = started + inner.policy.max_wait;
        let mut tried: Vec<String> = Vec::new();
        let mut failures_this_round = 0usize;
        loop {
            let index = inner.current.load(Ordering::SeqCst) % inner.addresses.len();
            let address = &inner.addresses[index];
            if !tried.contains(address) {
                tried.push(address.clone());
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let attempt = match self.connection(index, remaining).await {
                Ok(connection) => {
                    let result = connection.call(method, request).await;
                    if let Err(error) = &result
                        && classify(error).is_some()
                    {
                        self.forget(index, &connection).await;
                    }
                    result
                }
                Err(error) => Err(error),
            };
            let error = match attempt {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            let Some(next) = classify(&error) else {
                return Err(error);
            };
            tracing::debug!(%address, method, %error, "IPC call failed, retrying");
            let sleep = match next {
                Next::FailOver => {
                    self.advance_from(index);
                    failures_this_round += 1;
                    if failures_this_round >= inner.addresses.len() {
                        failures_this_round = 0;
                        true
                    } else {
                        false
                    }
                }
                Next::RetrySameAddress => true,
            };
            let now = Instant::now();
            let wait = if sleep {
                inner.policy.retry_interval
            } else {
                Duration::ZERO
            };
            if now + wait >= deadline {
                return Err(YarnError::FailoverExhausted {
                    method: method.to_string(),
                    addresses: tried,
                    max_wait_ms: inner.policy.max_wait.as_millis() as u64,
                    last: Box::new(error),
                });
            }
            if sleep {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// Replaces the credentials used for new connections (e.g. a rolled AMRMToken); the
    /// open connection stays as it is.
    pub fn set_auth(&self, auth: ClientAuth) {
        *self
            .inner
            .auth
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = auth;
    }

    /// The address the next call goes to first.
    pub fn current_address(&self) -> String {
        let index = self.inner.current.load(Ordering::SeqCst) % self.inner.addresses.len().max(1);
        self.inner.addresses.get(index).cloned().unwrap_or_default()
    }

    /// The open connection to `addresses[index]`, or a new one (within `remaining`).
    async fn connection(
        &self,
        index: usize,
        remaining: Duration,
    ) -> Result<IpcConnection, YarnError> {
        let inner = &*self.inner;
        let mut slot = inner.connection.lock().await;
        if let Some((open_index, connection)) = slot.as_ref()
            && *open_index == index
            && !connection.is_broken()
        {
            return Ok(connection.clone());
        }
        *slot = None;
        let auth = inner
            .auth
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let config = ConnectionConfig {
            address: inner.addresses[index].clone(),
            protocol: inner.protocol,
            auth,
            connect_timeout: inner.policy.connect_timeout.min(remaining),
            call_timeout: inner.policy.call_timeout,
            ping_interval: DEFAULT_PING_INTERVAL,
            max_idle: DEFAULT_MAX_IDLE,
        };
        let connection = IpcConnection::connect(config).await?;
        *slot = Some((index, connection.clone()));
        Ok(connection)
    }

    /// Drops `connection` if it is still the open one, so the next call reconnects.
    async fn forget(&self, index: usize, connection: &IpcConnection) {
        let mut slot = self.inner.connection.lock().await;
        if let Some((open_index, open)) = slot.as_ref()
            && *open_index == index
            && open.same_connection(connection)
        {
            *slot = None;
        }
    }

    /// Moves to the address after `index`, unless another call already moved on.
    fn advance_from(&self, index: usize) {
        let count = self.inner.addresses.len();
        let _ = self.inner.current.compare_exchange(
            index,
            (index + 1) % count,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }
}

/// `None`: return the error to the caller.
fn classify(error: &YarnError) -> Option<Next> {
    if error.is_connection_failure() {
        return Some(Next::FailOver);
    }
    match error.remote_class() {
        Some(STANDBY_EXCEPTION) => Some(Next::FailOver),
        Some(RETRIABLE_EXCEPTION) => Some(Next::RetrySameAddress),
        _ => None,
    }
}
