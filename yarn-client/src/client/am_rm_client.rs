//! `AmRmClient`: the ApplicationMaster's side of `ApplicationMasterProtocol` (RM scheduler port
//! 8030, TOKEN auth with the AMRMToken; yarn-protocol.md §2.5).
//!
//! ```text
//!   register(host, rpc_port, url) ──► last_response_id = 0
//!   allocate(req{response_id = last}) ──► resp{response_id = (last + 1) & 0x7fffffff}
//!        │   last = resp.response_id
//!        │   resp.am_rm_token present → FailoverProxy::set_auth(new token) (new connections)
//!        │   failed call → last unchanged: the next allocate re-sends the same id and the RM
//!        │                 answers with its cached response if it had processed the lost one
//!        └── ApplicationMasterNotRegisteredException (RM restarted / failed over)
//!                → register again, last = 0, AllocateOutcome::Reregistered: the caller
//!                  re-sends its whole ask table in the next allocate
//!   finish(status, diagnostics, url) ── repeated every 100 ms until isUnregistered
//! ```
//!
//! The client is driven by one task (methods take `&mut self`), as the protocol is strictly
//! sequential per attempt: two concurrent `allocate`s would carry the same response id.

use std::time::{Duration, Instant};

use crate::client::application_report::FinalApplicationStatus;
use crate::error::YarnError;
use crate::ids::ApplicationAttemptId;
use crate::ipc::{APPLICATION_MASTER_PROTOCOL, ClientAuth, FailoverProxy, RetryPolicy};
use crate::proto::am_protocol::{
    AllocateRequestProto, AllocateResponseProto, FinishApplicationMasterRequestProto,
    FinishApplicationMasterResponseProto, RegisterApplicationMasterRequestProto,
    RegisterApplicationMasterResponseProto,
};
use crate::proto::yarn_records::ResourceProto;
use crate::token::Token;

/// The remote class of the RM's "this attempt is not registered" error (RM restart/fail-over).
pub const APPLICATION_MASTER_NOT_REGISTERED: &str =
    "org.apache.hadoop.yarn.exceptions.ApplicationMasterNotRegisteredException";
/// The remote class of the RM's "this attempt is unknown / finished" error.
pub const APPLICATION_ATTEMPT_NOT_FOUND: &str =
    "org.apache.hadoop.yarn.exceptions.ApplicationAttemptNotFoundException";

/// The response ids wrap at 2^31 (Java: `(id + 1) & Integer.MAX_VALUE`).
pub fn next_response_id(response_id: i32) -> i32 {
    response_id.wrapping_add(1) & i32::MAX
}

/// What registration told the AM.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterResponse {
    /// The largest container the scheduler allows.
    pub maximum_capability: ResourceProto,
    /// The queue the application runs in, if the RM said.
    pub queue: Option<String>,
    /// The response as received (previous attempts' containers and NMTokens, ACLs, …).
    pub raw: RegisterApplicationMasterResponseProto,
}

/// The result of one `allocate`.
#[derive(Clone, Debug, PartialEq)]
pub enum AllocateOutcome {
    /// The RM answered.
    Allocated(Box<AllocateResponseProto>),
    /// The RM no longer knew the attempt was registered; the client registered again (response
    /// id back to 0). The RM forgot every ask: re-send the whole ask table, pending releases and
    /// blacklist with the next allocate.
    Reregistered(Box<RegisterResponse>),
}

/// Timing of the AM-RM conversation.
#[derive(Clone, Debug)]
pub struct AmRmClientConfig {
    /// `host:port` of the RM scheduler port(s) (8030); all rm-ids with RM HA.
    pub scheduler_addresses: Vec<String>,
    /// Timeouts and total wait of each call (including fail-overs).
    pub retry_policy: RetryPolicy,
    /// Pause between `finishApplicationMaster` calls while `isUnregistered` is false.
    pub unregister_poll_interval: Duration,
    /// How long `finish` keeps repeating.
    pub unregister_timeout: Duration,
}

impl AmRmClientConfig {
    /// The default policy of an AM: generous compared to the client (an AM that gives up kills
    /// the application), but bounded well under the RM's AM liveness expiry (10–15 min).
    pub fn default_retry_policy() -> RetryPolicy {
        RetryPolicy {
            connect_timeout: Duration::from_secs(5),
            call_timeout: Duration::from_secs(60),
            max_wait: Duration::from_secs(120),
            retry_interval: Duration::from_secs(1),
        }
    }

    /// Defaults for `scheduler_addresses`.
    pub fn new(scheduler_addresses: Vec<String>) -> AmRmClientConfig {
        AmRmClientConfig {
            scheduler_addresses,
            retry_policy: AmRmClientConfig::default_retry_policy(),
            unregister_poll_interval: Duration::from_millis(100),
            unregister_timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Debug)]
struct Registration {
    host: String,
    rpc_port: i32,
    tracking_url: String,
}

/// A client of `ApplicationMasterProtocol` for one application attempt.
pub struct AmRmClient {
    proxy: FailoverProxy,
    config: AmRmClientConfig,
    attempt_id: ApplicationAttemptId,
    amrm_token: Token,
    last_response_id: i32,
    registration: Option<Registration>,
}

impl std::fmt::Debug for AmRmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmRmClient")
            .field("attempt_id", &self.attempt_id)
            .field("addresses", &self.config.scheduler_addresses)
            .field("last_response_id", &self.last_response_id)
            .field("registered", &self.registration.is_some())
            .finish()
    }
}

impl AmRmClient {
    /// A client for `attempt_id` authenticating with `amrm_token`; connects lazily.
    pub fn new(
        config: AmRmClientConfig,
        attempt_id: ApplicationAttemptId,
        amrm_token: Token,
    ) -> AmRmClient {
        let proxy = FailoverProxy::new(
            config.scheduler_addresses.clone(),
            APPLICATION_MASTER_PROTOCOL,
            ClientAuth::Token(amrm_token.clone()),
            config.retry_policy.clone(),
        );
        AmRmClient {
            proxy,
            config,
            attempt_id,
            amrm_token,
            last_response_id: 0,
            registration: None,
        }
    }

    /// The attempt this client speaks for.
    pub fn attempt_id(&self) -> ApplicationAttemptId {
        self.attempt_id
    }

    /// The AMRMToken new connections use (the latest one the RM rolled to).
    pub fn amrm_token(&self) -> &Token {
        &self.amrm_token
    }

    /// The response id the next `allocate` will carry.
    pub fn last_response_id(&self) -> i32 {
        self.last_response_id
    }

    /// The scheduler address in use.
    pub fn current_address(&self) -> String {
        self.proxy.current_address()
    }

    /// `registerApplicationMaster`: once per attempt. `host` and `rpc_port` are where clients
    /// reach the AM (Weir: the JobManager's REST endpoint), `tracking_url` its web UI.
    pub async fn register(
        &mut self,
        host: &str,
        rpc_port: i32,
        tracking_url: &str,
    ) -> Result<RegisterResponse, YarnError> {
        self.registration = Some(Registration {
            host: host.to_string(),
            rpc_port,
            tracking_url: tracking_url.to_string(),
        });
        self.register_again().await
    }

    /// Registers again with the first registration's values (after an RM restart: legacy
    /// `AM_RESYNC`, or `ApplicationMasterNotRegisteredException`). Resets the response id.
    pub async fn register_again(&mut self) -> Result<RegisterResponse, YarnError> {
        const METHOD: &str = "registerApplicationMaster";
        let registration = self
            .registration
            .clone()
            .ok_or_else(|| YarnError::ConfigValue {
                key: "registration".to_string(),
                detail: "register_again before register".to_string(),
            })?;
        let request = RegisterApplicationMasterRequestProto {
            host: Some(registration.host),
            rpc_port: Some(registration.rpc_port),
            tracking_url: Some(registration.tracking_url),
        };
        let response: RegisterApplicationMasterResponseProto =
            self.proxy.call(METHOD, &request).await?;
        self.last_response_id = 0;
        Ok(RegisterResponse {
            maximum_capability: response.maximum_capability.clone().ok_or_else(|| {
                YarnError::MissingResponseField {
                    address: self.proxy.current_address(),
                    method: METHOD,
                    field: "maximumCapability",
                }
            })?,
            queue: response.queue.clone(),
            raw: response,
        })
    }

    /// `allocate` (also the heartbeat). The request's `response_id` is set here; everything
    /// else (asks, releases, progress) is the caller's. A rolled AMRMToken in the response is
    /// taken for new connections.
    pub async fn allocate(
        &mut self,
        mut request: AllocateRequestProto,
    ) -> Result<AllocateOutcome, YarnError> {
        const METHOD: &str = "allocate";
        request.response_id = Some(self.last_response_id);
        let response: AllocateResponseProto = match self.proxy.call(METHOD, &request).await {
            Ok(response) => response,
            Err(error) if error.remote_class() == Some(APPLICATION_MASTER_NOT_REGISTERED) => {
                tracing::warn!(
                    attempt = %self.attempt_id,
                    "the ResourceManager lost the registration ({error}); registering again"
                );
                return Ok(AllocateOutcome::Reregistered(Box::new(
                    self.register_again().await?,
                )));
            }
            Err(error) => return Err(error),
        };
        self.last_response_id =
            response
                .response_id
                .ok_or_else(|| YarnError::MissingResponseField {
                    address: self.proxy.current_address(),
                    method: METHOD,
                    field: "response_id",
                })?;
        // The RM repeats the rolled token until a connection authenticates with it; the
        // current connection stays valid, new ones use the new token.
        if let Some(token) = &response.am_rm_token {
            let token = Token::from_proto(token);
            if token != self.amrm_token {
                tracing::info!(
                    attempt = %self.attempt_id,
                    "the ResourceManager rolled the AMRMToken; new connections use the new one"
                );
                self.proxy.set_auth(ClientAuth::Token(token.clone()));
                self.amrm_token = token;
            }
        }
        Ok(AllocateOutcome::Allocated(Box::new(response)))
    }

    /// `finishApplicationMaster`, repeated every `unregister_poll_interval` until the RM says
    /// `isUnregistered` (bounded by `unregister_timeout`). Registers again first if the RM lost
    /// the registration.
    pub async fn finish(
        &mut self,
        status: FinalApplicationStatus,
        diagnostics: &str,
        tracking_url: Option<&str>,
    ) -> Result<(), YarnError> {
        const METHOD: &str = "finishApplicationMaster";
        let request = FinishApplicationMasterRequestProto {
            diagnostics: Some(diagnostics.to_string()),
            tracking_url: tracking_url.map(str::to_string),
            final_application_status: Some(status.to_proto()),
        };
        let started = Instant::now();
        loop {
            let result: Result<FinishApplicationMasterResponseProto, YarnError> =
                self.proxy.call(METHOD, &request).await;
            match result {
                Ok(response) if response.is_unregistered.unwrap_or(false) => return Ok(()),
                Ok(_) => {}
                Err(error) if error.remote_class() == Some(APPLICATION_MASTER_NOT_REGISTERED) => {
                    self.register_again().await?;
                }
                Err(error) => return Err(error),
            }
            if started.elapsed() >= self.config.unregister_timeout {
                return Err(YarnError::UnregisterNotCompleted {
                    attempt_id: self.attempt_id.to_string(),
                    waited_ms: started.elapsed().as_millis() as u64,
                });
            }
            tokio::time::sleep(self.config.unregister_poll_interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_ids_wrap_at_two_to_the_31() {
        assert_eq!(next_response_id(0), 1);
        assert_eq!(next_response_id(41), 42);
        assert_eq!(next_response_id(i32::MAX), 0);
    }
}
