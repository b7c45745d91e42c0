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
    /// A TCP connection to an IPC server could not be opened (refused, unreachable, timed out,
    /// or the host name does not resolve).
    #[error("cannot connect to IPC server {address}: {source}")]
    Connect {
        address: String,
        #[source]
        source: std::io::Error,
    },
    /// An established IPC connection failed: end of stream, a read or write error, or a
    /// connection that an earlier failure already closed. Calls in flight fail with this.
    #[error("IPC connection to {address} is closed: {reason}")]
    ConnectionClosed { address: String, reason: String },
    /// The peer sent bytes that are not valid Hadoop IPC (bad frame, bad varint, a message that
    /// does not decode, an unexpected call id or state, a frame above the size limit).
    #[error("malformed Hadoop IPC data from {address}: {detail}")]
    IpcProtocol { address: String, detail: String },
    /// SASL negotiation failed on our side (no usable mechanism offered, a malformed
    /// DIGEST-MD5 challenge, a server whose rspauth does not verify, an unsupported QOP).
    #[error("SASL authentication with {address} failed: {detail}")]
    Sasl { address: String, detail: String },
    /// The server answered a call with an ERROR response: the Java exception class and message
    /// are kept verbatim. The connection stays usable.
    #[error("{method} on {address} failed with {class_name}: {message}")]
    Remote {
        address: String,
        method: String,
        class_name: String,
        message: String,
    },
    /// The server sent a FATAL response (authentication refused, bad header, unknown protocol)
    /// and closed the connection. `class_name` and `message` are the server's, verbatim.
    #[error("IPC server {address} rejected the connection with {class_name}: {message}")]
    ConnectionRejected {
        address: String,
        class_name: String,
        message: String,
    },
    /// A call got no response within the call timeout. The connection stays usable; a late
    /// response is discarded.
    #[error("{method} on {address} timed out after {timeout_ms} ms")]
    CallTimeout {
        address: String,
        method: String,
        timeout_ms: u64,
    },
    /// A fail-over proxy ran out of time: every address it tried failed.
    #[error(
        "{method} failed on every address tried ({}) within {max_wait_ms} ms; last error: {last}",
        addresses.join(", ")
    )]
    FailoverExhausted {
        method: String,
        addresses: Vec<String>,
        max_wait_ms: u64,
        last: Box<YarnError>,
    },
    /// The IPC server could not listen on its address.
    #[error("cannot bind IPC server to {address}: {source}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
    /// A Hadoop credentials (token storage) file or buffer that is malformed.
    #[error(
        "credentials {}: {detail}",
        path.as_ref().map_or_else(|| "buffer".to_string(), |p| format!("file {}", p.display()))
    )]
    Credentials {
        path: Option<PathBuf>,
        detail: String,
    },
    /// A credentials file that cannot be read or written.
    #[error("credentials file {}: {source}", path.display())]
    CredentialsIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    // ---- staging (staging/) ----
    /// A staging location that cannot be used: no scheme, an unsupported file system, a path
    /// that is not absolute, a URI on another file system.
    #[error("staging location '{uri}': {detail}")]
    StagingUri { uri: String, detail: String },
    /// A local file or directory to stage cannot be read.
    #[error("cannot stage local file {}: {source}", path.display())]
    LocalFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An operation on the local (`file://`) staging file system failed.
    #[error("cannot {operation} {uri}: {source}")]
    StagingIo {
        operation: &'static str,
        uri: String,
        #[source]
        source: std::io::Error,
    },
    /// An operation on HDFS failed (NameNode or DataNode error, connection, permissions).
    #[error("cannot {operation} {uri} on HDFS: {source}")]
    Hdfs {
        operation: &'static str,
        uri: String,
        #[source]
        source: Box<hdfs_native::HdfsError>,
    },
    /// An upload without overwrite found the destination already there.
    #[error("staging file {uri} already exists")]
    StagingFileExists { uri: String },
    /// A local resource link name the NodeManager cannot use.
    #[error("invalid local resource link name '{link_name}': {reason}")]
    InvalidLinkName {
        link_name: String,
        reason: &'static str,
    },
    // ---- client, am (client/, am/) ----
    /// A response from a YARN daemon lacks a field Weir cannot do without.
    #[error(
        "{address}: the {method} response has no '{field}' (is this a YARN daemon of Hadoop 2.x or later?)"
    )]
    MissingResponseField {
        address: String,
        method: &'static str,
        field: &'static str,
    },
    /// A value in a response that Weir cannot interpret (unknown enum number and the like).
    #[error("{address}: the {method} response field '{field}' is malformed: {detail}")]
    MalformedResponseField {
        address: String,
        method: &'static str,
        field: &'static str,
        detail: String,
    },
    /// The Hadoop user name could not be determined.
    #[error("cannot determine the Hadoop user: {detail}; set HADOOP_USER_NAME")]
    UnknownUser { detail: String },
    /// `forceKillApplication` kept answering `is_kill_completed = false`.
    #[error(
        "application {application_id} was not killed within {waited_ms} ms (the ResourceManager \
         kept answering is_kill_completed=false); check it with `yarn application -status {application_id}`"
    )]
    KillNotCompleted {
        application_id: String,
        waited_ms: u64,
    },
    /// `finishApplicationMaster` kept answering `isUnregistered = false`.
    #[error(
        "application attempt {attempt_id} was not unregistered within {waited_ms} ms (the \
         ResourceManager kept answering isUnregistered=false); YARN will count this attempt as failed"
    )]
    UnregisterNotCompleted { attempt_id: String, waited_ms: u64 },
    /// A variable of the container environment (set by the NodeManager, or by Weir's client for
    /// the AM) is missing or malformed.
    #[error("container environment variable {variable}: {detail}")]
    ContainerEnvironment {
        variable: &'static str,
        detail: String,
    },
    /// A credentials file without the token an operation needs.
    #[error("the credentials file {} holds no token of kind {kind}", path.display())]
    MissingToken { kind: &'static str, path: PathBuf },
    /// No NMToken is cached for a NodeManager (the RM sends it only with the first container an
    /// attempt gets on that node).
    #[error(
        "no NMToken for NodeManager {node}: the ResourceManager sends it with the first container \
         on that node; containers must come from this attempt's allocate responses"
    )]
    MissingNmToken { node: String },
    /// A NodeManager refused a per-container request (reported in `failed_requests`).
    #[error(
        "NodeManager {node}: {operation} of container {container_id} failed: {class_name}: {message}"
    )]
    ContainerRequestFailed {
        node: String,
        operation: &'static str,
        container_id: String,
        class_name: String,
        message: String,
    },
    /// A container request larger than what the scheduler allows.
    #[error(
        "a container of {requested_memory_mb} MiB and {requested_vcores} vcores exceeds the \
         cluster's maximum allocation of {maximum_memory_mb} MiB and {maximum_vcores} vcores \
         (yarn.scheduler.maximum-allocation-mb / -vcores); ask for less"
    )]
    ContainerTooLarge {
        requested_memory_mb: i64,
        requested_vcores: i32,
        maximum_memory_mb: i64,
        maximum_vcores: i32,
    },
    /// The ApplicationMaster's heartbeat loop has ended; an `AmHandle` call could not be delivered.
    #[error("the ApplicationMaster has stopped; {operation} was not delivered")]
    AmStopped { operation: &'static str },
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
