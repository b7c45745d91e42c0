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

pub mod frame;

/// `ApplicationClientProtocol` (RM client port, 8032).
pub const APPLICATION_CLIENT_PROTOCOL: &str =
    "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB";
/// `ApplicationMasterProtocol` (RM scheduler port, 8030; TOKEN auth only).
pub const APPLICATION_MASTER_PROTOCOL: &str =
    "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB";
/// `ContainerManagementProtocol` (every NodeManager; TOKEN auth only).
pub const CONTAINER_MANAGEMENT_PROTOCOL: &str =
    "org.apache.hadoop.yarn.api.ContainerManagementProtocolPB";
