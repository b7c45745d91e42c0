//! `YarnClient`: submit, watch, list and kill applications through the ResourceManager's
//! `ApplicationClientProtocol` (port 8032, SIMPLE auth as the current Hadoop user).
//!
//! ```text
//!   YarnClient ──FailoverProxy──► rm1:8032 (connection refused / StandbyException)
//!                      └────────► rm2:8032 (active)   one IPC connection, reused for every call
//! ```
//!
//! Every call goes through a [`FailoverProxy`] over all configured ResourceManagers (RM HA:
//! `yarn.resourcemanager.ha.rm-ids`), so a standby or dead RM moves the client on to the next
//! one. The default [`RetryPolicy`] gives up after about ten seconds with an error naming every
//! address tried: a client must say "the RM is down" while the user is still looking, never wait
//! Hadoop's fifteen minutes (`yarn.resourcemanager.connect.max-wait.ms`).
//!
//! Submission follows yarn-protocol.md §5.2 / §6: `new_application` → stage files →
//! `submit_application` → [`YarnClient::wait_for_state`] polls `getApplicationReport` every
//! 250 ms and reports each state change, which is how `weir run -m yarn-cluster` streams
//! `ACCEPTED` / `RUNNING` / `FINISHED`.

use std::time::{Duration, Instant};

use crate::client::application_report::{ApplicationReport, YarnApplicationState};
use crate::client::cluster_status::{ClusterMetrics, NodeReport, NodeState};
use crate::client::hadoop_user::current_user;
use crate::error::YarnError;
use crate::hadoop_conf::HadoopConf;
use crate::ids::ApplicationId;
use crate::ipc::{APPLICATION_CLIENT_PROTOCOL, ClientAuth, FailoverProxy, RetryPolicy};
use crate::proto::client_protocol::{
    GetApplicationReportRequestProto, GetApplicationReportResponseProto,
    GetApplicationsRequestProto, GetApplicationsResponseProto, GetClusterMetricsRequestProto,
    GetClusterMetricsResponseProto, GetClusterNodesRequestProto, GetClusterNodesResponseProto,
    GetNewApplicationRequestProto, GetNewApplicationResponseProto, KillApplicationRequestProto,
    KillApplicationResponseProto, SubmitApplicationRequestProto, SubmitApplicationResponseProto,
};
use crate::proto::yarn_records::{ApplicationSubmissionContextProto, ResourceProto};

/// A fresh application id and the largest container the scheduler allows.
#[derive(Clone, Debug, PartialEq)]
pub struct NewApplication {
    pub application_id: ApplicationId,
    pub maximum_capability: ResourceProto,
}

/// Which applications `applications` lists; empty lists mean "any".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplicationFilter {
    /// Application types, e.g. `["WEIR"]`.
    pub application_types: Vec<String>,
    pub states: Vec<YarnApplicationState>,
    pub users: Vec<String>,
    pub queues: Vec<String>,
    pub tags: Vec<String>,
    /// At most this many applications.
    pub limit: Option<i64>,
    /// Only applications of this name (Hadoop 3.x RMs; older ones ignore it).
    pub name: Option<String>,
}

/// How a [`YarnClient`] reaches the ResourceManager(s) and how patient it is.
#[derive(Clone, Debug)]
pub struct YarnClientConfig {
    /// `host:port` of every ResourceManager's client port (8032), active first if known.
    pub addresses: Vec<String>,
    /// The Hadoop user to act as (SIMPLE auth).
    pub user: String,
    /// Connect/call timeouts and the total wait across retries and fail-overs.
    pub retry_policy: RetryPolicy,
    /// Interval of `getApplicationReport` polls in [`YarnClient::wait_for_state`].
    pub report_poll_interval: Duration,
    /// Interval of repeated `forceKillApplication` calls until the kill completed.
    pub kill_poll_interval: Duration,
    /// How long [`YarnClient::kill_application`] waits for `is_kill_completed`.
    pub kill_timeout: Duration,
}

impl YarnClientConfig {
    /// The default retry policy of a client: a down RM is reported within about ten seconds.
    pub fn default_retry_policy() -> RetryPolicy {
        RetryPolicy {
            connect_timeout: Duration::from_secs(2),
            call_timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(10),
            retry_interval: Duration::from_millis(500),
        }
    }

    /// Talks to `addresses` as the current Hadoop user with the default policy.
    pub fn for_addresses(addresses: Vec<String>) -> Result<YarnClientConfig, YarnError> {
        if addresses.is_empty() {
            return Err(YarnError::ConfigValue {
                key: "yarn.resourcemanager.address".to_string(),
                detail: "no ResourceManager address given".to_string(),
            });
        }
        Ok(YarnClientConfig {
            addresses,
            user: current_user()?,
            retry_policy: YarnClientConfig::default_retry_policy(),
            report_poll_interval: Duration::from_millis(250),
            kill_poll_interval: Duration::from_millis(200),
            kill_timeout: Duration::from_secs(30),
        })
    }

    /// The ResourceManager addresses of `conf` (all rm-ids with RM HA) as the current user.
    pub fn from_conf(conf: &HadoopConf) -> Result<YarnClientConfig, YarnError> {
        YarnClientConfig::for_addresses(conf.resource_manager_addresses()?)
    }
}

/// A client of the ResourceManager's `ApplicationClientProtocol`; cheap to clone, every clone
/// shares the connection.
#[derive(Clone)]
pub struct YarnClient {
    proxy: FailoverProxy,
    config: YarnClientConfig,
}

impl std::fmt::Debug for YarnClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YarnClient")
            .field("addresses", &self.config.addresses)
            .field("user", &self.config.user)
            .finish()
    }
}

impl YarnClient {
    /// A client for `config`; connects lazily on the first call.
    pub fn new(config: YarnClientConfig) -> YarnClient {
        let proxy = FailoverProxy::new(
            config.addresses.clone(),
            APPLICATION_CLIENT_PROTOCOL,
            ClientAuth::Simple {
                user: config.user.clone(),
            },
            config.retry_policy.clone(),
        );
        YarnClient { proxy, config }
    }

    /// A client for the ResourceManager(s) configured in `conf`.
    pub fn from_conf(conf: &HadoopConf) -> Result<YarnClient, YarnError> {
        Ok(YarnClient::new(YarnClientConfig::from_conf(conf)?))
    }

    /// A client for explicit `host:port` addresses (tried in order on fail-over).
    pub fn for_addresses(addresses: Vec<String>) -> Result<YarnClient, YarnError> {
        Ok(YarnClient::new(YarnClientConfig::for_addresses(addresses)?))
    }

    /// The configuration this client runs with.
    pub fn config(&self) -> &YarnClientConfig {
        &self.config
    }

    /// The ResourceManager address in use (or to be tried next).
    pub fn current_address(&self) -> String {
        self.proxy.current_address()
    }

    /// `getNewApplication`: a fresh application id and the scheduler's maximum container.
    pub async fn new_application(&self) -> Result<NewApplication, YarnError> {
        const METHOD: &str = "getNewApplication";
        let response: GetNewApplicationResponseProto = self
            .proxy
            .call(METHOD, &GetNewApplicationRequestProto::default())
            .await?;
        let id = response
            .application_id
            .as_ref()
            .ok_or_else(|| self.missing(METHOD, "application_id"))?;
        Ok(NewApplication {
            application_id: ApplicationId::from_proto(id)?,
            maximum_capability: response
                .maximum_capability
                .ok_or_else(|| self.missing(METHOD, "maximumCapability"))?,
        })
    }

    /// `submitApplication`. Safe to repeat with the same application id (the RM answers
    /// success for an id it already knows), which is what the proxy does after a fail-over.
    pub async fn submit_application(
        &self,
        context: ApplicationSubmissionContextProto,
    ) -> Result<(), YarnError> {
        let request = SubmitApplicationRequestProto {
            application_submission_context: Some(context),
        };
        let _: SubmitApplicationResponseProto =
            self.proxy.call("submitApplication", &request).await?;
        Ok(())
    }

    /// `getApplicationReport` as a typed view. An unknown id is a
    /// `YarnError` whose remote class is `…ApplicationNotFoundException`.
    pub async fn application_report(
        &self,
        application_id: ApplicationId,
    ) -> Result<ApplicationReport, YarnError> {
        const METHOD: &str = "getApplicationReport";
        let request = GetApplicationReportRequestProto {
            application_id: Some(application_id.to_proto()),
        };
        let response: GetApplicationReportResponseProto = self.proxy.call(METHOD, &request).await?;
        let report = response
            .application_report
            .ok_or_else(|| self.missing(METHOD, "application_report"))?;
        ApplicationReport::from_proto(report, &self.proxy.current_address(), METHOD)
    }

    /// `forceKillApplication`, repeated every `kill_poll_interval` until the RM says the kill
    /// completed (like Java's `YarnClientImpl.killApplication`), for at most `kill_timeout`.
    /// Killing an application that already ended succeeds at once.
    pub async fn kill_application(
        &self,
        application_id: ApplicationId,
        diagnostics: &str,
    ) -> Result<(), YarnError> {
        let request = KillApplicationRequestProto {
            application_id: Some(application_id.to_proto()),
            diagnostics: (!diagnostics.is_empty()).then(|| diagnostics.to_string()),
        };
        let started = Instant::now();
        loop {
            let response: KillApplicationResponseProto =
                self.proxy.call("forceKillApplication", &request).await?;
            if response.is_kill_completed.unwrap_or(false) {
                return Ok(());
            }
            if started.elapsed() >= self.config.kill_timeout {
                return Err(YarnError::KillNotCompleted {
                    application_id: application_id.to_string(),
                    waited_ms: started.elapsed().as_millis() as u64,
                });
            }
            tokio::time::sleep(self.config.kill_poll_interval).await;
        }
    }

    /// `getApplications` with `filter`.
    pub async fn applications(
        &self,
        filter: &ApplicationFilter,
    ) -> Result<Vec<ApplicationReport>, YarnError> {
        const METHOD: &str = "getApplications";
        let request = GetApplicationsRequestProto {
            application_types: filter.application_types.clone(),
            application_states: filter.states.iter().map(|s| s.to_proto()).collect(),
            users: filter.users.clone(),
            queues: filter.queues.clone(),
            limit: filter.limit,
            application_tags: filter.tags.clone(),
            name: filter.name.clone(),
            ..Default::default()
        };
        let response: GetApplicationsResponseProto = self.proxy.call(METHOD, &request).await?;
        let address = self.proxy.current_address();
        response
            .applications
            .into_iter()
            .map(|report| ApplicationReport::from_proto(report, &address, METHOD))
            .collect()
    }

    /// `getClusterMetrics`: NodeManager counts by state.
    pub async fn cluster_metrics(&self) -> Result<ClusterMetrics, YarnError> {
        const METHOD: &str = "getClusterMetrics";
        let response: GetClusterMetricsResponseProto = self
            .proxy
            .call(METHOD, &GetClusterMetricsRequestProto::default())
            .await?;
        let metrics = response
            .cluster_metrics
            .ok_or_else(|| self.missing(METHOD, "cluster_metrics"))?;
        Ok(ClusterMetrics::from_proto(&metrics))
    }

    /// `getClusterNodes` in `states` (empty = every state).
    pub async fn cluster_nodes(&self, states: &[NodeState]) -> Result<Vec<NodeReport>, YarnError> {
        let request = GetClusterNodesRequestProto {
            node_states: states.iter().map(|s| s.to_proto()).collect(),
        };
        let response: GetClusterNodesResponseProto =
            self.proxy.call("getClusterNodes", &request).await?;
        let address = self.proxy.current_address();
        response
            .node_reports
            .into_iter()
            .map(|node| NodeReport::from_proto(node, &address))
            .collect()
    }

    /// Polls the report every `report_poll_interval` until `until(state)` holds, calling
    /// `on_change` with the first report and with every report whose state differs from the
    /// previous one; returns the report that satisfied `until`. A terminal state that does not
    /// satisfy `until` also ends the wait (it can never change again): the caller checks the
    /// returned state. Errors of the report call (RM down beyond the retry policy, unknown
    /// application) end the wait.
    pub async fn wait_for_state(
        &self,
        application_id: ApplicationId,
        until: impl Fn(YarnApplicationState) -> bool,
        mut on_change: impl FnMut(&ApplicationReport),
    ) -> Result<ApplicationReport, YarnError> {
        let mut last_state = None;
        loop {
            let report = self.application_report(application_id).await?;
            if last_state != Some(report.state) {
                on_change(&report);
                last_state = Some(report.state);
            }
            if until(report.state) || report.state.is_terminal() {
                return Ok(report);
            }
            tokio::time::sleep(self.config.report_poll_interval).await;
        }
    }

    fn missing(&self, method: &'static str, field: &'static str) -> YarnError {
        YarnError::MissingResponseField {
            address: self.proxy.current_address(),
            method,
            field,
        }
    }
}
