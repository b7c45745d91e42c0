//! The crate's one error type. Every variant carries the data a user needs to act (address,
//! file, key, remote exception class) rather than a pre-formatted string where possible.

use std::path::PathBuf;

/// Everything that can go wrong in weir-yarn.
#[derive(Debug, thiserror::Error)]
pub enum YarnError {
    // ---- ids and configuration (ids.rs, hadoop_conf.rs) ----
    /// A YARN id string (application, attempt, container) that does not parse.
    #[error("invalid {kind} id '{text}': {reason}")]
    InvalidId {
        kind: &'static str,
        text: String,
        reason: &'static str,
    },
    /// A Hadoop XML configuration file that cannot be read or parsed.
    #[error("Hadoop configuration {}: {detail}", path.display())]
    HadoopConf { path: PathBuf, detail: String },
    /// A configuration value that is missing or malformed.
    #[error("configuration key '{key}': {detail}")]
    ConfigValue { key: String, detail: String },
    // ---- ipc and tokens (ipc/, token.rs) ----
    // ---- staging (staging/) ----
    // ---- client, am (client/, am/) ----
    // ---- mini cluster (mini_cluster/) ----
    // Cluster (mini_cluster/ except the launcher's files):
    /// A `MiniYarnConfig` value the cluster cannot start with.
    #[error("mini cluster configuration '{field}': {detail}")]
    ClusterConfig { field: &'static str, detail: String },
    /// A file or directory of the mini cluster (work dirs, generated Hadoop configuration).
    #[error("mini cluster: cannot {action} {}: {source}", path.display())]
    ClusterIo {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The operating system's random source failed while generating secret keys.
    #[error("mini cluster: {detail}")]
    ClusterRandom { detail: String },
    /// A server of the mini cluster could not start (the underlying IPC error names the address).
    #[error("mini cluster: cannot start the {server}: {source}")]
    ClusterServer {
        server: String,
        #[source]
        source: Box<YarnError>,
    },
}
