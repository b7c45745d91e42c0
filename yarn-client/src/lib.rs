//! # weir-yarn
//!
//! Weir's native Hadoop YARN integration, with no JVM: Hadoop IPC (framing, SASL with SIMPLE and
//! TOKEN/DIGEST-MD5), the YARN client, ApplicationMaster and NodeManager protocols as
//! hand-written prost messages with Hadoop's field numbers, staging of the binary and config,
//! the ApplicationMaster shim that the engine plugs into through a handler trait, and a
//! protocol-faithful test cluster (`mini_cluster`) that speaks the same wire protocol.
//!
//! ```text
//!   weir run -m yarn-cluster ──► client::YarnClient ──IPC (SIMPLE)──► ResourceManager :8032
//!         │ staging::Stager (hdfs:// or file://)                         │ launches the AM
//!         ▼                                                              ▼
//!   staging dir: weir binary, weir-conf.yaml        NodeManager ──► AM container (weir yarn-am)
//!                                                                      │ am::ApplicationMaster
//!                                  RM :8030 ◄──IPC (TOKEN, AMRMToken)──┤ register/allocate/finish
//!                                  NMs      ◄──IPC (TOKEN, NMToken)────┘ startContainers
//! ```
//!
//! Layers, bottom up: `proto` (messages) → `ipc` (connections, SASL, server) → `client`
//! (typed protocol clients) → `am`, `staging` → the engine's CLI. This crate never depends on
//! `weir`; see DESIGN.md §9 and ../shared/yarn-protocol.md for the wire facts.

pub mod am;
pub mod client;
pub mod error;
pub mod hadoop_conf;
pub mod ids;
pub mod ipc;
pub mod mini_cluster;
pub mod proto;
pub mod staging;
pub mod token;

pub use error::YarnError;
