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
}
