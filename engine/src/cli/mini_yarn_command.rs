//! `weir mini-yarn`: a YARN test cluster on this machine, to try `weir run -m yarn-cluster`
//! without Hadoop. A ResourceManager and NodeManagers run in this process and speak Hadoop's
//! wire protocol (the real Hadoop client works against them); containers are local processes
//! with YARN's environment, memory checks and exit statuses.
//!
//! ```text
//! weir mini-yarn [--nodes N] [--node-memory 8g] [--work-dir DIR] [--conf-dir DIR]
//!                [--rm-port 8032] [--scheduler-port 8030]
//! ```
//!
//! It writes `yarn-site.xml` and `core-site.xml` into the conf dir (default `<work dir>/conf`)
//! and prints the `export HADOOP_CONF_DIR=...` that points clients at it. Ctrl-C (or SIGTERM)
//! stops every container and the cluster.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use weir_memory::ByteSize;
use weir_yarn::mini_cluster::{MiniYarnCluster, MiniYarnConfig};

#[derive(Debug, clap::Args)]
pub struct MiniYarnArgs {
    /// Number of NodeManagers.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    nodes: u32,

    /// Memory each NodeManager offers to containers.
    #[arg(long, value_name = "SIZE", default_value = "8g")]
    node_memory: ByteSize,

    /// Virtual cores each NodeManager offers.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(i32).range(1..=1024))]
    node_vcores: i32,

    /// Smallest container: requests are rounded up to a multiple of it
    /// (yarn.scheduler.minimum-allocation-mb).
    #[arg(long, value_name = "SIZE", default_value = "128m")]
    minimum_allocation: ByteSize,

    /// Folder for the NodeManagers' local dirs and container logs (default: a new folder under
    /// the system temp dir, kept after the cluster stops so the logs can be read).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,

    /// Where to write yarn-site.xml and core-site.xml (default: <work dir>/conf).
    #[arg(long, value_name = "DIR")]
    conf_dir: Option<PathBuf>,

    /// Port of the ResourceManager's client protocol (0: any free port).
    #[arg(long, default_value_t = 0)]
    rm_port: u16,

    /// Port of the ResourceManager's scheduler (ApplicationMaster) protocol (0: any free port).
    #[arg(long, default_value_t = 0)]
    scheduler_port: u16,

    /// Turns off the NodeManagers' physical memory check (on by default, like YARN).
    #[arg(long)]
    no_pmem_check: bool,

    /// How often the NodeManagers sample the memory of their containers.
    #[arg(long, value_name = "MILLIS", default_value_t = 3000)]
    monitor_interval_ms: u64,
}

pub fn run(arguments: MiniYarnArgs) -> anyhow::Result<ExitCode> {
    let work_dir = match arguments.work_dir {
        Some(dir) => dir,
        None => {
            let dir = std::env::temp_dir().join(format!("weir-mini-yarn-{}", std::process::id()));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir
        }
    };
    let conf_dir = arguments.conf_dir.unwrap_or_else(|| work_dir.join("conf"));
    let config = MiniYarnConfig {
        node_managers: arguments.nodes as usize,
        node_memory_mb: mebibytes(arguments.node_memory),
        node_vcores: arguments.node_vcores,
        minimum_allocation_mb: mebibytes(arguments.minimum_allocation).max(1),
        maximum_allocation_mb: mebibytes(arguments.node_memory),
        work_dir: work_dir.clone(),
        rm_client_port: arguments.rm_port,
        rm_scheduler_port: arguments.scheduler_port,
        pmem_check: !arguments.no_pmem_check,
        monitor_interval: Duration::from_millis(arguments.monitor_interval_ms.max(10)),
        ..MiniYarnConfig::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let cluster = MiniYarnCluster::start(config).await?;
        std::fs::create_dir_all(&conf_dir)
            .with_context(|| format!("cannot create {}", conf_dir.display()))?;
        cluster.write_hadoop_conf_dir(&conf_dir)?;
        println!(
            "weir mini-yarn: ResourceManager at {} (scheduler {})",
            cluster.rm_address(),
            cluster.scheduler_address()
        );
        for address in cluster.node_addresses() {
            println!("weir mini-yarn: NodeManager at {address}");
        }
        println!(
            "weir mini-yarn: container logs and local dirs under {}",
            work_dir.display()
        );
        println!(
            "weir mini-yarn: to use it, run: export HADOOP_CONF_DIR={}",
            conf_dir.display()
        );
        println!("weir mini-yarn: running; Ctrl-C stops it");
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        println!("weir mini-yarn: stopping (containers are killed)");
        cluster.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn mebibytes(size: ByteSize) -> i64 {
    i64::try_from(size.bytes() / (1024 * 1024)).unwrap_or(i64::MAX)
}
