//! A protocol-faithful YARN test cluster: one ResourceManager and N NodeManagers in one tokio
//! runtime, each listening on its own loopback port with the real Hadoop IPC protocol, so that
//! Weir's Rust client and the Java `YarnClient` / `AMRMClient` / `NMClient` cannot tell it from
//! YARN for the calls of yarn-protocol.md §2.1. RM and NMs share state in memory instead of
//! speaking the resource-tracker protocol.
//!
//! ```text
//!                 ┌──────────────── MiniYarnCluster (one process) ─────────────────┐
//!  YarnClient ──► │ RM client port     ClientRmService ─┐                          │
//!   (SIMPLE)      │                                     ├─► ResourceManager        │
//!  AM ──────────► │ RM scheduler port  ApplicationMasterService ─┘  (apps, attempts,│
//!   (AMRMToken)   │                                       scheduler, secret mgrs)  │
//!                 │                                          │ start/kill   ▲ events│
//!  AM ──────────► │ NM port (one per node) ContainerManagerService ─► NodeManager   │
//!   (NMToken)     │                                     ContainerLauncher ─► processes
//!                 └─────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Files: [`cluster`] (start, addresses, shutdown), [`config`], [`resource_manager`] (state and
//! life cycle), [`rm_app`] (application and attempt records, YARN's diagnostics texts),
//! [`scheduler`] (ask tables and placement), [`client_rm_service`],
//! [`application_master_service`], [`am_launcher`], [`application_report`], [`node_manager`],
//! [`container_manager_service`], the token secret managers, [`hadoop_conf_writer`]; the
//! process side (launch script, localization, memory monitor) is [`container_launcher`],
//! [`localizer`], [`memory_monitor`].

pub mod container_launcher;
pub mod localizer;
pub mod memory_monitor;

pub mod am_launcher;
pub mod amrm_token_secret_manager;
pub mod application_master_service;
pub mod application_report;
pub mod client_rm_service;
pub mod cluster;
pub mod config;
pub mod container_manager_service;
pub mod container_token_secret_manager;
pub mod hadoop_conf_writer;
pub mod nm_token_secret_manager;
pub mod node_manager;
pub mod resource;
pub mod resource_manager;
pub mod rm_app;
pub mod scheduler;
pub mod secret_manager;
pub mod yarn_exception;

pub use cluster::MiniYarnCluster;
pub use config::MiniYarnConfig;
pub use rm_app::AppState;
