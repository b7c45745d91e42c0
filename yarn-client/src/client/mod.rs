//! Typed clients of the three YARN protocols, one per file, each over `ipc::FailoverProxy`:
//!
//! | client | protocol | server | auth |
//! |---|---|---|---|
//! | [`YarnClient`] | ApplicationClientProtocol | RM :8032 | SIMPLE (current Hadoop user) |
//! | [`AmRmClient`] | ApplicationMasterProtocol | RM :8030 | TOKEN (AMRMToken) |
//! | [`NmClient`] | ContainerManagementProtocol | each NM | TOKEN (that node's NMToken) |
//!
//! The typed views users read (`ApplicationReport`, `NodeReport`, `ClusterMetrics`) sit in
//! their own files; the raw protos stay reachable through their `raw` fields.

pub mod am_rm_client;
pub mod application_report;
pub mod cluster_status;
pub mod hadoop_user;
pub mod nm_client;
pub mod yarn_client;

pub use am_rm_client::{AllocateOutcome, AmRmClient, AmRmClientConfig, RegisterResponse};
pub use application_report::{ApplicationReport, FinalApplicationStatus, YarnApplicationState};
pub use cluster_status::{ClusterMetrics, NodeReport, NodeState};
pub use hadoop_user::current_user;
pub use nm_client::NmClient;
pub use yarn_client::{ApplicationFilter, NewApplication, YarnClient, YarnClientConfig};
