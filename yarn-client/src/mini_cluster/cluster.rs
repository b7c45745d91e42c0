//! [`MiniYarnCluster`]: a ResourceManager and N NodeManagers in one tokio runtime, each on
//! its own loopback port with the real Hadoop IPC protocol.
//!
//! ```text
//!   start():  work dirs ─► secret managers ─► NodeManagers ─► ResourceManager
//!             ─► NM servers (TOKEN, NMToken verifier per node)
//!             ─► RM client server (SIMPLE; TOKEN advertised, RM delegation tokens refused)
//!             ─► RM scheduler server (TOKEN, AMRMToken verifier)
//!             ─► tasks: node-event dispatcher, expiry monitor, AMRM key roller
//!   shutdown(): applications killed ─► every container stopped and reaped ─► servers closed
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::YarnError;
use crate::ids::{ApplicationAttemptId, ApplicationId};
use crate::ipc::server::{IpcServer, ServerAuth, TokenVerifier, VerifiedToken};
use crate::mini_cluster::amrm_token_secret_manager::AmrmTokenSecretManager;
use crate::mini_cluster::application_master_service::ApplicationMasterService;
use crate::mini_cluster::client_rm_service::ClientRmService;
use crate::mini_cluster::config::MiniYarnConfig;
use crate::mini_cluster::container_manager_service::{ContainerManagerService, NmTokenVerifier};
use crate::mini_cluster::container_token_secret_manager::ContainerTokenSecretManager;
use crate::mini_cluster::hadoop_conf_writer::write_hadoop_conf_dir;
use crate::mini_cluster::nm_token_secret_manager::NmTokenSecretManager;
use crate::mini_cluster::node_manager::{NodeManager, NodeManagerConfig};
use crate::mini_cluster::resource_manager::{ResourceManager, now_ms};
use crate::mini_cluster::rm_app::AppState;

/// A running test cluster. Call [`MiniYarnCluster::shutdown`] when done; dropping it without
/// shutdown still asks every container to stop, but cannot wait for them.
#[derive(Debug)]
pub struct MiniYarnCluster {
    config: MiniYarnConfig,
    rm: Arc<ResourceManager>,
    nodes: Vec<Arc<NodeManager>>,
    client_server: Option<IpcServer>,
    scheduler_server: Option<IpcServer>,
    node_servers: Vec<IpcServer>,
    background: Vec<JoinHandle<()>>,
    rm_address: SocketAddr,
    scheduler_address: SocketAddr,
    shut_down: bool,
}

/// The RM client port's secret manager: it advertises TOKEN like a real RM (which has RM
/// delegation tokens) but this cluster issues none, so every token is refused.
#[derive(Debug)]
struct NoDelegationTokens;

impl TokenVerifier for NoDelegationTokens {
    fn verify(&self, _identifier: &[u8]) -> Result<VerifiedToken, String> {
        Err(
            "RM delegation tokens are not issued by the mini cluster; use SIMPLE \
             authentication on the client port"
                .to_string(),
        )
    }
}

/// A server that could not start, with the IPC error naming its address.
fn start_error(server: &str, source: YarnError) -> YarnError {
    YarnError::ClusterServer {
        server: server.to_string(),
        source: Box::new(source),
    }
}

impl MiniYarnCluster {
    /// Starts the cluster on the current tokio runtime.
    pub async fn start(config: MiniYarnConfig) -> Result<MiniYarnCluster, YarnError> {
        config.validate()?;
        let mut config = config;
        std::fs::create_dir_all(&config.work_dir).map_err(|source| YarnError::ClusterIo {
            action: "create",
            path: config.work_dir.clone(),
            source,
        })?;
        config.work_dir =
            std::fs::canonicalize(&config.work_dir).map_err(|source| YarnError::ClusterIo {
                action: "resolve",
                path: config.work_dir.clone(),
                source,
            })?;
        let cluster_timestamp = now_ms();
        let amrm_tokens = Arc::new(AmrmTokenSecretManager::new()?);
        let nm_tokens = Arc::new(NmTokenSecretManager::new()?);
        let container_tokens = Arc::new(ContainerTokenSecretManager::new(cluster_timestamp)?);
        let runtime = tokio::runtime::Handle::current();
        let (events_tx, mut events_rx) = mpsc::unbounded_channel();

        let mut nodes = Vec::with_capacity(config.node_managers);
        for index in 0..config.node_managers {
            let root = config.work_dir.join(format!("nm-{index}"));
            let local_dir = root.join("local");
            let log_dir = root.join("logs");
            for dir in [&local_dir, &log_dir] {
                std::fs::create_dir_all(dir).map_err(|source| YarnError::ClusterIo {
                    action: "create",
                    path: dir.clone(),
                    source,
                })?;
            }
            nodes.push(Arc::new(NodeManager::new(
                NodeManagerConfig {
                    index,
                    host: config.bind_host.clone(),
                    local_dir,
                    log_dir,
                    pmem_check: config.pmem_check,
                    vmem_check: config.vmem_check,
                    monitor_interval: config.monitor_interval,
                },
                Arc::clone(&container_tokens),
                events_tx.clone(),
                runtime.clone(),
            )));
        }
        drop(events_tx);

        let mut node_servers = Vec::with_capacity(nodes.len());
        for nm in &nodes {
            let address = format!("{}:{}", config.bind_host, config.nm_port);
            let server = IpcServer::bind(
                &address,
                Arc::new(ContainerManagerService::new(Arc::clone(nm))),
                ServerAuth::TokenOnly,
                Some(Arc::new(NmTokenVerifier::new(
                    Arc::clone(nm),
                    Arc::clone(&nm_tokens),
                ))),
            )
            .await
            .map_err(|e| start_error(&format!("NodeManager {}", nm.index()), e))?;
            nm.set_port(server.local_addr().port());
            node_servers.push(server);
        }

        let rm = Arc::new(ResourceManager::new(
            config.clone(),
            cluster_timestamp,
            nodes.clone(),
            Arc::clone(&amrm_tokens),
            Arc::clone(&nm_tokens),
            Arc::clone(&container_tokens),
        ));
        let client_server = IpcServer::bind(
            &format!("{}:{}", config.bind_host, config.rm_client_port),
            Arc::new(ClientRmService::new(Arc::clone(&rm))),
            ServerAuth::SimpleOrToken,
            Some(Arc::new(NoDelegationTokens)),
        )
        .await
        .map_err(|e| start_error("ResourceManager client service", e))?;
        let scheduler_server = IpcServer::bind(
            &format!("{}:{}", config.bind_host, config.rm_scheduler_port),
            Arc::new(ApplicationMasterService::new(Arc::clone(&rm))),
            ServerAuth::TokenOnly,
            Some(Arc::clone(&amrm_tokens) as Arc<dyn TokenVerifier>),
        )
        .await
        .map_err(|e| start_error("ResourceManager scheduler service", e))?;

        let mut background = Vec::new();
        let dispatcher_rm = Arc::clone(&rm);
        background.push(tokio::spawn(async move {
            while let Some(event) = events_rx.recv().await {
                let rm = Arc::clone(&dispatcher_rm);
                // The RM lock is a std mutex: take it off the async workers.
                if tokio::task::spawn_blocking(move || rm.handle_node_event(event))
                    .await
                    .is_err()
                {
                    tracing::error!("the ResourceManager failed while handling a node event");
                }
            }
        }));
        let monitor_rm = Arc::clone(&rm);
        let tick = rm.expiry_check_interval();
        background.push(tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let rm = Arc::clone(&monitor_rm);
                if tokio::task::spawn_blocking(move || rm.check_expiries())
                    .await
                    .is_err()
                {
                    tracing::error!("the ResourceManager failed while checking expiries");
                }
            }
        }));
        if let Some(roll) = config.am_rm_token_roll_interval {
            let roller = Arc::clone(&amrm_tokens);
            background.push(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(roll).await;
                    if let Err(e) = roller.roll() {
                        tracing::error!(error = %e, "cannot roll the AMRMToken master key");
                        continue;
                    }
                    tracing::info!("AMRMToken master key rolled");
                    tokio::time::sleep(roll / 2).await;
                    roller.activate_next();
                    tracing::info!("next AMRMToken master key activated");
                }
            }));
        }

        let rm_address = client_server.local_addr();
        let scheduler_address = scheduler_server.local_addr();
        tracing::info!(
            rm = %rm_address,
            scheduler = %scheduler_address,
            nodes = ?nodes.iter().map(|n| n.address()).collect::<Vec<_>>(),
            "mini YARN cluster started"
        );
        Ok(MiniYarnCluster {
            config,
            rm,
            nodes,
            client_server: Some(client_server),
            scheduler_server: Some(scheduler_server),
            node_servers,
            background,
            rm_address,
            scheduler_address,
            shut_down: false,
        })
    }

    /// `yarn.resourcemanager.address` (`host:port`).
    pub fn rm_address(&self) -> String {
        format!("{}:{}", self.config.bind_host, self.rm_address.port())
    }

    /// `yarn.resourcemanager.scheduler.address` (`host:port`).
    pub fn scheduler_address(&self) -> String {
        format!(
            "{}:{}",
            self.config.bind_host,
            self.scheduler_address.port()
        )
    }

    /// Every NodeManager's IPC address (`host:port`, the node id).
    pub fn node_addresses(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.address()).collect()
    }

    /// The configuration the cluster runs with (the work dir made absolute).
    pub fn config(&self) -> &MiniYarnConfig {
        &self.config
    }

    /// The ResourceManager's start time, the `<clusterTimestamp>` of every id.
    pub fn cluster_timestamp(&self) -> i64 {
        self.rm.cluster_timestamp()
    }

    /// Log dir of NodeManager `index` (`yarn.nodemanager.log-dirs`).
    pub fn node_log_dir(&self, index: usize) -> Option<PathBuf> {
        self.nodes.get(index).map(|n| n.log_root().to_path_buf())
    }

    /// Local dir of NodeManager `index` (`yarn.nodemanager.local-dirs`).
    pub fn node_local_dir(&self, index: usize) -> Option<PathBuf> {
        self.nodes.get(index).map(|n| n.local_dir().to_path_buf())
    }

    /// The state of an application as the RM holds it (tests; clients use reports).
    pub fn application_state(&self, app: &ApplicationId) -> Option<AppState> {
        self.rm.application_state(app)
    }

    /// The attempts of an application, oldest first.
    pub fn application_attempts(&self, app: &ApplicationId) -> Vec<ApplicationAttemptId> {
        self.rm.attempt_ids(app)
    }

    /// Pids of the root processes of all running containers.
    pub fn running_container_pids(&self) -> Vec<u32> {
        self.nodes.iter().flat_map(|n| n.running_pids()).collect()
    }

    /// Number of containers (on all nodes) that have not completed.
    pub fn live_container_count(&self) -> usize {
        self.nodes.iter().map(|n| n.live_container_count()).sum()
    }

    /// Writes `yarn-site.xml` and `core-site.xml` for clients of this cluster into `dir`.
    pub fn write_hadoop_conf_dir(&self, dir: &Path) -> Result<(), YarnError> {
        let log_dirs: Vec<PathBuf> = self
            .nodes
            .iter()
            .map(|n| n.log_root().to_path_buf())
            .collect();
        let local_dirs: Vec<PathBuf> = self
            .nodes
            .iter()
            .map(|n| n.local_dir().to_path_buf())
            .collect();
        write_hadoop_conf_dir(
            dir,
            &self.config,
            &self.rm_address(),
            &self.scheduler_address(),
            &log_dirs,
            &local_dirs,
            (self.nodes.len() == 1).then(|| self.nodes[0].address()),
        )
    }

    /// Kills every application, stops every container (waiting until its process group is
    /// gone) and closes the servers.
    pub async fn shutdown(mut self) {
        self.shut_down = true;
        let rm = Arc::clone(&self.rm);
        if tokio::task::spawn_blocking(move || rm.stop_all_applications())
            .await
            .is_err()
        {
            tracing::error!("the ResourceManager failed while stopping applications");
        }
        for nm in &self.nodes {
            nm.shutdown().await;
        }
        for server in self.node_servers.drain(..) {
            server.shutdown().await;
        }
        if let Some(server) = self.client_server.take() {
            server.shutdown().await;
        }
        if let Some(server) = self.scheduler_server.take() {
            server.shutdown().await;
        }
        for task in self.background.drain(..) {
            task.abort();
        }
        tracing::info!("mini YARN cluster stopped");
    }
}

impl Drop for MiniYarnCluster {
    fn drop(&mut self) {
        if self.shut_down {
            return;
        }
        // Best effort without an async context: ask every container to stop. The launcher's
        // tasks deliver the signals as long as the runtime lives.
        self.rm.stop_all_applications();
        for nm in &self.nodes {
            nm.stop_all();
        }
        for task in &self.background {
            task.abort();
        }
    }
}
