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
//! Usage (tests): `MiniYarnCluster::start(MiniYarnConfig::with_work_dir(dir)).await?`, then
//! clients connect to `rm_address()` (SIMPLE), AMs to `scheduler_address()` with the AMRMToken
//! (from the AM container's `HADOOP_TOKEN_FILE_LOCATION`, or from the report of an unmanaged
//! AM), and to the NodeManagers in `ContainerProto.nodeId` with their NMTokens;
//! `write_hadoop_conf_dir(dir)` gives Hadoop-style clients a `yarn-site.xml`; `shutdown()`
//! stops every container (process groups reaped) and the servers. The real Hadoop Java
//! client (`YarnClient`, `AMRMClient`, `NMClient`) runs against it unchanged.
//!
//! # Where the cluster deliberately differs from YARN
//!
//! - Scheduling is memory-only (YARN's default resource calculator: containers carry one
//!   vcore), FIFO across applications, on the node with the most free memory. Only `*` asks
//!   allocate (host/rack entries are kept in the table); no reservations, preemption, node
//!   labels, blacklists, opportunistic containers or container updates. Containers are placed
//!   during `allocate` and whenever resources free up, not on NodeManager heartbeats, so an
//!   ask is usually answered in the same response. Application priorities are capped at 0
//!   (YARN's default `yarn.cluster.max-application-priority`).
//! - State changes are synchronous: a submitted application is ACCEPTED at once (NEW,
//!   NEW_SAVING, SUBMITTED are never observed); "saving the final state" is simulated only
//!   where a client can see it (`isUnregistered` false on a managed AM's first
//!   `finishApplicationMaster`, `is_kill_completed` false on the first kill).
//! - No web server or proxy: `trackingUrl` is the AM's registered URL (or `N/A`), NodeManager
//!   HTTP addresses say port 8042 for shape only, and AM-crash diagnostics name the container's
//!   log dir instead of the tracking page.
//! - Security: no Kerberos, no RM delegation tokens (the client port advertises TOKEN but
//!   refuses every token), no client-to-AM tokens. The NMToken and container-token keys never
//!   roll; the AMRMToken key rolls only when configured, and the next key is activated half an
//!   interval after the roll (YARN: 1.5 × the AM expiry interval).
//! - No RM restart, HA, node loss or node health: nodes are always RUNNING, no container ends
//!   with "lost node". Application timeouts, reservations, log aggregation (status DISABLED)
//!   and `attempt_failures_validity_interval` are not implemented; ended applications are kept
//!   for the cluster's life.
//! - The vmem check is off by default (YARN's default is on); local resources must be
//!   `file://` (anything else ends the container with a localization failure naming the
//!   scheme); the launcher's own differences are in [`container_launcher`] and [`localizer`].
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
