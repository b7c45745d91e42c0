//! From Weir's configuration to weir-yarn's settings: where the ResourceManager is, how long to
//! wait for it, and as whom to talk to it.
//!
//! Addresses: `yarn.resourcemanager.address` (several separated by `,` act like RM HA) wins
//! over `yarn-site.xml` in `YARN_CONF_DIR` / `HADOOP_CONF_DIR` / `$HADOOP_HOME/etc/hadoop`, which
//! may list several rm-ids. The waits are Weir's keys, never Hadoop's (whose defaults let a
//! client hang for 15 minutes on a down RM).

use std::time::Duration;

use anyhow::Context;
use weir::config::Configuration;
use weir::config::options::{
    YARN_CONNECT_MAX_WAIT, YARN_CONNECT_RETRY_INTERVAL, YARN_CONNECT_TIMEOUT,
    YARN_RESOURCEMANAGER_ADDRESS, YARN_RESOURCEMANAGER_SCHEDULER_ADDRESS, YARN_RPC_TIMEOUT,
};
use weir_yarn::client::{YarnClient, YarnClientConfig, current_user};
use weir_yarn::hadoop_conf::HadoopConf;
use weir_yarn::ipc::RetryPolicy;

/// Everything a YARN client of Weir needs.
#[derive(Debug)]
pub struct YarnSettings {
    pub hadoop_conf: HadoopConf,
    pub rm_addresses: Vec<String>,
    /// Every RM's scheduler address (one per rm-id with RM HA).
    pub scheduler_addresses: Vec<String>,
    pub policy: RetryPolicy,
    pub user: String,
}

impl YarnSettings {
    pub fn from_config(config: &Configuration) -> anyhow::Result<YarnSettings> {
        let mut hadoop_conf = HadoopConf::load_default()
            .context("cannot read the Hadoop configuration (HADOOP_CONF_DIR / YARN_CONF_DIR)")?;
        apply_weir_addresses(&mut hadoop_conf, config);
        let rm_addresses = hadoop_conf.resource_manager_addresses()?;
        let scheduler_addresses = hadoop_conf.scheduler_addresses()?;
        Ok(YarnSettings {
            hadoop_conf,
            rm_addresses,
            scheduler_addresses,
            policy: RetryPolicy {
                connect_timeout: config.get(&YARN_CONNECT_TIMEOUT),
                call_timeout: config.get(&YARN_RPC_TIMEOUT),
                max_wait: config.get(&YARN_CONNECT_MAX_WAIT),
                retry_interval: config.get(&YARN_CONNECT_RETRY_INTERVAL),
            },
            user: current_user()?,
        })
    }

    /// A client of the ResourceManager(s).
    pub fn client(&self) -> YarnClient {
        YarnClient::new(YarnClientConfig {
            addresses: self.rm_addresses.clone(),
            user: self.user.clone(),
            retry_policy: self.policy.clone(),
            report_poll_interval: Duration::from_millis(250),
            kill_poll_interval: Duration::from_millis(200),
            kill_timeout: self.policy.max_wait.max(Duration::from_secs(30)),
        })
    }
}

/// Weir's address keys over yarn-site.xml: one RM address as Hadoop's key, several as RM HA
/// rm-ids; the scheduler address when set.
fn apply_weir_addresses(hadoop_conf: &mut HadoopConf, config: &Configuration) {
    if let Some(addresses) = config.get(&YARN_RESOURCEMANAGER_ADDRESS) {
        // One address is Hadoop's key as it is; several stand for RM HA.
        let addresses: Vec<&str> = addresses
            .split(',')
            .map(str::trim)
            .filter(|address| !address.is_empty())
            .collect();
        // The RM host also stands for the scheduler's host (port 8030) unless a scheduler
        // address is configured, as yarn.resourcemanager.hostname does in Hadoop.
        if let [address] = addresses.as_slice() {
            hadoop_conf.set("yarn.resourcemanager.ha.enabled", "false");
            hadoop_conf.set("yarn.resourcemanager.address", *address);
            hadoop_conf.set("yarn.resourcemanager.hostname", host_of(address));
        } else {
            let ids: Vec<String> = (1..=addresses.len()).map(|n| format!("rm{n}")).collect();
            hadoop_conf.set("yarn.resourcemanager.ha.enabled", "true");
            hadoop_conf.set("yarn.resourcemanager.ha.rm-ids", ids.join(","));
            for (id, address) in ids.iter().zip(&addresses) {
                hadoop_conf.set(format!("yarn.resourcemanager.address.{id}"), *address);
                hadoop_conf.set(
                    format!("yarn.resourcemanager.hostname.{id}"),
                    host_of(address),
                );
            }
        }
    }
    if let Some(address) = config.get(&YARN_RESOURCEMANAGER_SCHEDULER_ADDRESS) {
        hadoop_conf.set("yarn.resourcemanager.scheduler.address", &address);
    }
}

/// The host of a `host:port` address (IPv6 hosts keep their brackets).
fn host_of(address: &str) -> &str {
    address.rsplit_once(':').map_or(address, |(host, _)| host)
}

/// A runtime for the YARN calls of one command (they are few and short: one thread).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime for YARN calls")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(pairs: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
        let config = Configuration::from_pairs(pairs.iter().copied()).unwrap();
        let mut hadoop_conf = HadoopConf::empty();
        apply_weir_addresses(&mut hadoop_conf, &config);
        (
            hadoop_conf.resource_manager_addresses().unwrap(),
            hadoop_conf.scheduler_addresses().unwrap(),
        )
    }

    #[test]
    fn the_scheduler_follows_the_rm_host_unless_set() {
        assert_eq!(
            addresses(&[("yarn.resourcemanager.address", "rm:9032")]),
            (vec!["rm:9032".to_owned()], vec!["rm:8030".to_owned()])
        );
        assert_eq!(
            addresses(&[
                ("yarn.resourcemanager.address", "rm:9032"),
                ("yarn.resourcemanager.scheduler.address", "other:9030"),
            ])
            .1,
            ["other:9030"]
        );
        // Several addresses: RM HA, one scheduler per RM.
        assert_eq!(
            addresses(&[("yarn.resourcemanager.address", "a:8032, b:8032")]),
            (
                vec!["a:8032".to_owned(), "b:8032".to_owned()],
                vec!["a:8030".to_owned(), "b:8030".to_owned()]
            )
        );
        assert_eq!(host_of("[::1]:8032"), "[::1]");
    }
}
