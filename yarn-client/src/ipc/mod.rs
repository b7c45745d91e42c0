//! Hadoop IPC: framing, SASL, a multiplexing client connection, a fail-over proxy, and a
//! server for the test cluster.
//!
//! ```text
//!  client side                                   server side (mini cluster, tests)
//!  FailoverProxy ── picks an address, retries    IpcServer ── accept loop, one task per
//!     │                                             │          connection
//!  IpcConnection ── one socket, many calls         connection task: preamble, SASL
//!     │  sasl_client + digest_md5 (TOKEN)           (sasl_server + digest_md5), context,
//!  frame ── preamble, u32 frames, delimited msgs    calls → RpcService::call
//! ```
//!
//! The wire facts are in ../shared/yarn-protocol.md §1; each module documents its part.

pub mod connection;
pub mod digest_md5;
pub mod failover_proxy;
pub mod frame;
pub mod sasl_client;
pub mod sasl_server;
pub mod server;

/// `ApplicationClientProtocol` (RM client port, 8032).
pub const APPLICATION_CLIENT_PROTOCOL: &str =
    "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB";
/// `ApplicationMasterProtocol` (RM scheduler port, 8030; TOKEN auth only).
pub const APPLICATION_MASTER_PROTOCOL: &str =
    "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB";
/// `ContainerManagementProtocol` (every NodeManager; TOKEN auth only).
pub const CONTAINER_MANAGEMENT_PROTOCOL: &str =
    "org.apache.hadoop.yarn.api.ContainerManagementProtocolPB";

pub use connection::{
    ClientAuth, ConnectionConfig, DEFAULT_MAX_IDLE, DEFAULT_PING_INTERVAL, IpcConnection,
};
pub use failover_proxy::{FailoverProxy, RetryPolicy};
pub use server::{
    Caller, CallerAuth, IpcServer, RemoteException, RpcService, ServerAuth, TokenVerifier,
    VerifiedToken,
};

use crate::YarnError;

/// Java class of the exception a standby ResourceManager (or NameNode) answers with.
pub const STANDBY_EXCEPTION: &str = "org.apache.hadoop.ipc.StandbyException";
/// Java class of a transient server-side refusal; the call may be retried.
pub const RETRIABLE_EXCEPTION: &str = "org.apache.hadoop.ipc.RetriableException";

impl YarnError {
    /// The Java exception class of a remote failure: an ERROR response to a call
    /// ([`YarnError::Remote`]) or a FATAL response that closed the connection
    /// ([`YarnError::ConnectionRejected`]), e.g. `org.apache.hadoop.ipc.StandbyException`.
    pub fn remote_class(&self) -> Option<&str> {
        match self {
            YarnError::Remote { class_name, .. }
            | YarnError::ConnectionRejected { class_name, .. } => Some(class_name),
            _ => None,
        }
    }

    /// Whether the connection rather than the call failed (cannot connect, closed, malformed
    /// data, no response in time): reconnecting or failing over may help.
    pub fn is_connection_failure(&self) -> bool {
        matches!(
            self,
            YarnError::Connect { .. }
                | YarnError::ConnectionClosed { .. }
                | YarnError::IpcProtocol { .. }
                | YarnError::CallTimeout { .. }
        )
    }
}
