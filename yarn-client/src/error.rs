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
    /// A container launch request that cannot be turned into a launch script (checked before
    /// anything is written); the NodeManager reports it as a failed start.
    #[error("container {container_id}: cannot launch: {detail}")]
    ContainerLaunchSpec {
        container_id: String,
        detail: String,
    },
    /// A file operation of the container launcher failed (directories, tokens, launch script).
    #[error("container {container_id}: cannot {action} {}: {source}", path.display())]
    ContainerIo {
        container_id: String,
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A local resource's source file does not exist (Hadoop's `FileNotFoundException` text).
    #[error("File file:{} does not exist", resource_path.display())]
    LocalizationSourceMissing { resource_path: PathBuf },
    /// A local resource's modification time differs from the `LocalResource` timestamp
    /// (`FSDownload`'s text; times in ISO 8601, UTC). The client must send the file's mtime.
    #[error(
        "Resource file:{} changed on src filesystem - expected: \"{}\", was: \"{}\", current time: \"{}\"",
        resource_path.display(),
        crate::mini_cluster::container_launcher::format_iso8601_ms(*expected_timestamp_ms),
        crate::mini_cluster::container_launcher::format_iso8601_ms(*actual_timestamp_ms),
        crate::mini_cluster::container_launcher::format_iso8601_ms(*checked_at_ms)
    )]
    LocalizationChanged {
        resource_path: PathBuf,
        expected_timestamp_ms: i64,
        actual_timestamp_ms: i64,
        checked_at_ms: i64,
    },
    /// A local resource's length differs from the `LocalResource` size (the test cluster checks
    /// what YARN leaves unchecked). The client must send the file's length.
    #[error(
        "Resource file:{} changed on src filesystem - expected size: {expected_size_bytes} bytes, \
         was: {actual_size_bytes} bytes",
        resource_path.display()
    )]
    LocalizationSizeChanged {
        resource_path: PathBuf,
        expected_size_bytes: i64,
        actual_size_bytes: u64,
    },
    /// An ARCHIVE resource that could not be unpacked.
    #[error("cannot unpack archive file:{}: {detail}", archive_path.display())]
    LocalizationUnpack {
        archive_path: PathBuf,
        detail: String,
    },
    /// A file operation while localizing a resource failed.
    #[error("localizing file:{}: cannot {action} {}: {source}", resource_path.display(), path.display())]
    LocalizationIo {
        resource_path: PathBuf,
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
