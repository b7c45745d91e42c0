//! The mini cluster's configuration: the handful of YARN settings a test wants to vary, each
//! named after the YARN key it stands for, with YARN's default unless a test-friendly default is
//! noted.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::YarnError;

/// How to build a [`super::MiniYarnCluster`].
#[derive(Clone, Debug)]
pub struct MiniYarnConfig {
    /// Number of NodeManagers, each with its own IPC port (default 1).
    pub node_managers: usize,
    /// `yarn.nodemanager.resource.memory-mb` of every NodeManager (default 8192).
    pub node_memory_mb: i64,
    /// `yarn.nodemanager.resource.cpu-vcores` of every NodeManager (default 8).
    pub node_vcores: i32,
    /// `yarn.scheduler.minimum-allocation-mb`: container memory is rounded up to a multiple of
    /// it (default 128; YARN's is 1024).
    pub minimum_allocation_mb: i64,
    /// `yarn.scheduler.maximum-allocation-mb` (default 8192). The effective maximum is the
    /// smaller of this and the largest NodeManager, as YARN's scheduler computes it.
    pub maximum_allocation_mb: i64,
    /// `yarn.scheduler.maximum-allocation-vcores` (default 4).
    pub maximum_allocation_vcores: i32,
    /// Leaf queues that accept applications (default `["default"]`); a submission to any other
    /// queue is rejected like the CapacityScheduler does (the application ends FAILED).
    pub queues: Vec<String>,
    /// Root of the NodeManagers' local dirs and log dirs (`<work_dir>/nm-<i>/local`,
    /// `<work_dir>/nm-<i>/logs`).
    pub work_dir: PathBuf,
    /// Host every server binds to and advertises (default `127.0.0.1`).
    pub bind_host: String,
    /// ResourceManager client port, `yarn.resourcemanager.address` (0 = any free port).
    pub rm_client_port: u16,
    /// ResourceManager scheduler port, `yarn.resourcemanager.scheduler.address` (0 = any).
    pub rm_scheduler_port: u16,
    /// NodeManager IPC port (0 = any; with several NodeManagers only 0 works).
    pub nm_port: u16,
    /// `yarn.resourcemanager.am.max-attempts` (default 2): the cap on, and the default of, an
    /// application's `maxAppAttempts`.
    pub am_max_attempts: i32,
    /// `yarn.nodemanager.pmem-check-enabled` (default true).
    pub pmem_check: bool,
    /// `yarn.nodemanager.vmem-check-enabled` (default false here; YARN's default is true,
    /// test clusters usually turn it off because of glibc arenas, yarn-protocol.md §4.4).
    pub vmem_check: bool,
    /// `yarn.nodemanager.container-monitor.interval-ms` (default 3 s; tests use 100–200 ms).
    pub monitor_interval: Duration,
    /// `yarn.am.liveness-monitor.expiry-interval-ms`: an attempt whose AM has not called the
    /// scheduler for this long fails (default 10 min).
    pub am_liveness_expiry: Duration,
    /// `yarn.resourcemanager.rm.container-allocation.expiry-interval-ms`: how long a container
    /// token stays valid for `startContainers` (default 10 min).
    pub container_allocation_expiry: Duration,
    /// When set, the AMRMToken master key rolls at this interval (YARN's
    /// `yarn.resourcemanager.am-rm-tokens.master-key-rolling-interval-secs`); the next key is
    /// activated, and the previous one dropped, half an interval after the roll. `None` (the
    /// default) keeps one key for the cluster's life.
    pub am_rm_token_roll_interval: Option<Duration>,
}

impl Default for MiniYarnConfig {
    fn default() -> Self {
        let unique = format!(
            "weir-mini-yarn-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0)
        );
        MiniYarnConfig {
            node_managers: 1,
            node_memory_mb: 8192,
            node_vcores: 8,
            minimum_allocation_mb: 128,
            maximum_allocation_mb: 8192,
            maximum_allocation_vcores: 4,
            queues: vec!["default".to_string()],
            work_dir: std::env::temp_dir().join(unique),
            bind_host: "127.0.0.1".to_string(),
            rm_client_port: 0,
            rm_scheduler_port: 0,
            nm_port: 0,
            am_max_attempts: 2,
            pmem_check: true,
            vmem_check: false,
            monitor_interval: Duration::from_secs(3),
            am_liveness_expiry: Duration::from_secs(600),
            container_allocation_expiry: Duration::from_secs(600),
            am_rm_token_roll_interval: None,
        }
    }
}

impl MiniYarnConfig {
    /// A configuration for tests: defaults with the given work dir.
    pub fn with_work_dir(work_dir: impl Into<PathBuf>) -> Self {
        MiniYarnConfig {
            work_dir: work_dir.into(),
            ..MiniYarnConfig::default()
        }
    }

    /// Rejects settings YARN itself would refuse to start with.
    pub fn validate(&self) -> Result<(), YarnError> {
        let invalid =
            |field: &'static str, detail: String| Err(YarnError::ClusterConfig { field, detail });
        if self.node_managers == 0 {
            return invalid("node_managers", "at least one NodeManager is needed".into());
        }
        if self.nm_port != 0 && self.node_managers > 1 {
            return invalid(
                "nm_port",
                format!(
                    "a fixed NodeManager port ({}) works with one NodeManager only, not {}",
                    self.nm_port, self.node_managers
                ),
            );
        }
        if self.node_memory_mb <= 0 || self.node_vcores <= 0 {
            return invalid(
                "node_memory_mb",
                format!(
                    "NodeManager resources must be positive (memory {} MB, vcores {})",
                    self.node_memory_mb, self.node_vcores
                ),
            );
        }
        if self.minimum_allocation_mb <= 0 {
            return invalid(
                "minimum_allocation_mb",
                format!("must be positive, is {}", self.minimum_allocation_mb),
            );
        }
        if self.maximum_allocation_mb < self.minimum_allocation_mb {
            return invalid(
                "maximum_allocation_mb",
                format!(
                    "Invalid resource scheduler memory allocation configuration: \
                     minimum_allocation_mb={}, maximum_allocation_mb={}; \
                     the minimum must not exceed the maximum",
                    self.minimum_allocation_mb, self.maximum_allocation_mb
                ),
            );
        }
        if self.maximum_allocation_vcores <= 0 {
            return invalid(
                "maximum_allocation_vcores",
                format!("must be positive, is {}", self.maximum_allocation_vcores),
            );
        }
        if self.am_max_attempts <= 0 {
            return invalid(
                "am_max_attempts",
                format!(
                    "Invalid global max attempts configuration, am_max_attempts={}; \
                     it should be a positive integer",
                    self.am_max_attempts
                ),
            );
        }
        if self.queues.is_empty() {
            return invalid("queues", "at least one queue is needed".into());
        }
        if self.monitor_interval.is_zero() {
            return invalid("monitor_interval", "must be above zero".into());
        }
        if self.am_liveness_expiry.is_zero() {
            return invalid("am_liveness_expiry", "must be above zero".into());
        }
        if let Some(roll) = self.am_rm_token_roll_interval
            && roll < std::time::Duration::from_millis(10)
        {
            return invalid(
                "am_rm_token_roll_interval",
                format!("{roll:?} is too short; use at least 10 ms"),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_yarn_like() {
        let config = MiniYarnConfig::default();
        config.validate().unwrap();
        assert_eq!(config.am_max_attempts, 2);
        assert_eq!(config.node_managers, 1);
        assert_eq!(config.queues, vec!["default".to_string()]);
    }

    #[test]
    fn rejects_minimum_above_maximum() {
        let config = MiniYarnConfig {
            minimum_allocation_mb: 2048,
            maximum_allocation_mb: 1024,
            ..MiniYarnConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert!(err.to_string().contains("maximum_allocation_mb"), "{err}");
    }

    #[test]
    fn rejects_fixed_port_with_several_node_managers() {
        let config = MiniYarnConfig {
            node_managers: 2,
            nm_port: 45454,
            ..MiniYarnConfig::default()
        };
        assert!(config.validate().is_err());
    }
}
