//! `yarn-site.xml` and `core-site.xml` for clients of the mini cluster (Weir's client through
//! `HadoopConf::load_dir`, the Java client through `HADOOP_CONF_DIR`), in Hadoop's
//! configuration format:
//!
//! ```text
//!   <?xml version="1.0"?>
//!   <configuration>
//!     <property><name>yarn.resourcemanager.address</name><value>127.0.0.1:41234</value></property>
//!     …
//!   </configuration>
//! ```

use std::path::{Path, PathBuf};

use crate::error::YarnError;
use crate::mini_cluster::config::MiniYarnConfig;

/// Writes both files into `dir` (created if missing).
pub fn write_hadoop_conf_dir(
    dir: &Path,
    config: &MiniYarnConfig,
    rm_address: &str,
    scheduler_address: &str,
    log_dirs: &[PathBuf],
    local_dirs: &[PathBuf],
    single_node_address: Option<String>,
) -> Result<(), YarnError> {
    std::fs::create_dir_all(dir).map_err(|source| YarnError::ClusterIo {
        action: "create",
        path: dir.to_path_buf(),
        source,
    })?;
    let join = |dirs: &[PathBuf]| {
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut yarn = vec![
        ("yarn.resourcemanager.hostname", config.bind_host.clone()),
        ("yarn.resourcemanager.address", rm_address.to_string()),
        (
            "yarn.resourcemanager.scheduler.address",
            scheduler_address.to_string(),
        ),
        ("yarn.nodemanager.log-dirs", join(log_dirs)),
        ("yarn.nodemanager.local-dirs", join(local_dirs)),
        (
            "yarn.nodemanager.resource.memory-mb",
            config.node_memory_mb.to_string(),
        ),
        (
            "yarn.nodemanager.resource.cpu-vcores",
            config.node_vcores.to_string(),
        ),
        (
            "yarn.scheduler.minimum-allocation-mb",
            config.minimum_allocation_mb.to_string(),
        ),
        (
            "yarn.scheduler.maximum-allocation-mb",
            config.maximum_allocation_mb.to_string(),
        ),
        (
            "yarn.scheduler.maximum-allocation-vcores",
            config.maximum_allocation_vcores.to_string(),
        ),
        (
            "yarn.resourcemanager.am.max-attempts",
            config.am_max_attempts.to_string(),
        ),
        (
            "yarn.nodemanager.pmem-check-enabled",
            config.pmem_check.to_string(),
        ),
        (
            "yarn.nodemanager.vmem-check-enabled",
            config.vmem_check.to_string(),
        ),
        (
            "yarn.nodemanager.container-monitor.interval-ms",
            config.monitor_interval.as_millis().to_string(),
        ),
        (
            "yarn.am.liveness-monitor.expiry-interval-ms",
            config.am_liveness_expiry.as_millis().to_string(),
        ),
        (
            "yarn.resourcemanager.rm.container-allocation.expiry-interval-ms",
            config.container_allocation_expiry.as_millis().to_string(),
        ),
        // Clients of a test cluster should fail fast when it is gone, not retry for 15 min.
        (
            "yarn.resourcemanager.connect.max-wait.ms",
            "30000".to_string(),
        ),
        (
            "yarn.resourcemanager.connect.retry-interval.ms",
            "500".to_string(),
        ),
        (
            "yarn.client.nodemanager-connect.max-wait-ms",
            "30000".to_string(),
        ),
        (
            "yarn.client.nodemanager-connect.retry-interval-ms",
            "500".to_string(),
        ),
    ];
    if let Some(roll) = config.am_rm_token_roll_interval {
        yarn.push((
            "yarn.resourcemanager.am-rm-tokens.master-key-rolling-interval-secs",
            roll.as_secs().max(1).to_string(),
        ));
    }
    if let Some(address) = single_node_address {
        yarn.push(("yarn.nodemanager.address", address));
    }
    let core = vec![
        ("fs.defaultFS", "file:///".to_string()),
        ("hadoop.security.authentication", "simple".to_string()),
    ];
    write_file(&dir.join("yarn-site.xml"), &yarn)?;
    write_file(&dir.join("core-site.xml"), &core)
}

fn write_file(path: &Path, properties: &[(&str, String)]) -> Result<(), YarnError> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!-- Written by Weir's mini YARN cluster. -->\n<configuration>\n",
    );
    for (name, value) in properties {
        xml.push_str(&format!(
            "  <property>\n    <name>{}</name>\n    <value>{}</value>\n  </property>\n",
            escape_xml(name),
            escape_xml(value)
        ));
    }
    xml.push_str("</configuration>\n");
    std::fs::write(path, xml).map_err(|source| YarnError::ClusterIo {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hadoop_conf::HadoopConf;

    #[test]
    fn written_files_read_back_through_hadoop_conf() {
        let dir = tempfile::tempdir().unwrap();
        let config = MiniYarnConfig::with_work_dir(dir.path().join("work & <more>"));
        write_hadoop_conf_dir(
            &dir.path().join("conf"),
            &config,
            "127.0.0.1:1234",
            "127.0.0.1:1235",
            &[dir.path().join("logs & x")],
            &[dir.path().join("local")],
            Some("127.0.0.1:1236".into()),
        )
        .unwrap();
        let conf = HadoopConf::load_dir(&dir.path().join("conf")).unwrap();
        assert_eq!(
            conf.get("yarn.resourcemanager.address"),
            Some("127.0.0.1:1234")
        );
        assert_eq!(
            conf.resource_manager_addresses().unwrap(),
            vec!["127.0.0.1:1234".to_string()]
        );
        assert_eq!(
            conf.scheduler_addresses().unwrap(),
            vec!["127.0.0.1:1235".to_string()]
        );
        assert_eq!(conf.default_fs(), "file:///");
        let logs = dir.path().join("logs & x").display().to_string();
        assert_eq!(conf.get("yarn.nodemanager.log-dirs"), Some(logs.as_str()));
        assert_eq!(conf.get("yarn.nodemanager.address"), Some("127.0.0.1:1236"));
    }
}
