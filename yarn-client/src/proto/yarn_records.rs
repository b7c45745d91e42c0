//! The common YARN records (`yarn_protos.proto`, package `hadoop.yarn`): ids, resources,
//! local resources, launch contexts, reports and the request/status records the three
//! protocols share.
//!
//! Hand-written prost structs with Hadoop's field numbers and wire types (see the module docs of
//! [`crate::proto`] for the conventions). Fields a real 3.x RM or NM sends are all here; deeply
//! nested, rarely used 3.x records (placement constraints, node attributes, resource profiles,
//! custom utilisation maps) are left out and their tag numbers are named in a comment at the
//! field position, so prost skips them as unknown fields on decode and nobody reuses the tag.

use super::hadoop_common::TokenProto;

// ---------------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------------

/// A Java exception carried inside a response (per-container failures of the NM protocol).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SerializedExceptionProto {
    #[prost(string, optional, tag = "1")]
    pub message: Option<String>,
    /// The Java stack trace, as text.
    #[prost(string, optional, tag = "2")]
    pub trace: Option<String>,
    /// The Java exception class, e.g. `org.apache.hadoop.yarn.exceptions.YarnException`.
    #[prost(string, optional, tag = "3")]
    pub class_name: Option<String>,
    #[prost(message, optional, boxed, tag = "4")]
    pub cause: Option<Box<SerializedExceptionProto>>,
}

/// `application_<cluster_timestamp>_<id>`; see [`crate::ids::ApplicationId`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct ApplicationIdProto {
    #[prost(int32, optional, tag = "1")]
    pub id: Option<i32>,
    /// Start time of the RM (ms since the epoch) that issued the id.
    #[prost(int64, optional, tag = "2")]
    pub cluster_timestamp: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ApplicationAttemptIdProto {
    #[prost(message, optional, tag = "1")]
    pub application_id: Option<ApplicationIdProto>,
    /// `attemptId` in the .proto.
    #[prost(int32, optional, tag = "2")]
    pub attempt_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerIdProto {
    /// Legacy field; Java leaves it unset (the application is inside `app_attempt_id`).
    #[prost(message, optional, tag = "1")]
    pub app_id: Option<ApplicationIdProto>,
    #[prost(message, optional, tag = "2")]
    pub app_attempt_id: Option<ApplicationAttemptIdProto>,
    /// Low 40 bits: the container sequence number; bits 40 and up: the RM epoch.
    #[prost(int64, optional, tag = "3")]
    pub id: Option<i64>,
}

/// Host and IPC port of a NodeManager.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeIdProto {
    #[prost(string, optional, tag = "1")]
    pub host: Option<String>,
    #[prost(int32, optional, tag = "2")]
    pub port: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ReservationIdProto {
    #[prost(int64, optional, tag = "1")]
    pub id: Option<i64>,
    #[prost(int64, optional, tag = "2")]
    pub cluster_timestamp: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ResourceTypesProto {
    Countable = 0,
}

/// One extra resource type (3.x), e.g. `yarn.io/gpu`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceInformationProto {
    #[prost(string, required, tag = "1")]
    pub key: String,
    #[prost(int64, optional, tag = "2")]
    pub value: Option<i64>,
    #[prost(string, optional, tag = "3")]
    pub units: Option<String>,
    #[prost(enumeration = "ResourceTypesProto", optional, tag = "4")]
    pub r#type: Option<i32>,
    #[prost(string, repeated, tag = "5")]
    pub tags: Vec<String>,
    #[prost(message, repeated, tag = "6")]
    pub attributes: Vec<StringStringMapProto>,
}

/// A resource type the scheduler knows (register response, 3.x).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceTypeInfoProto {
    #[prost(string, required, tag = "1")]
    pub name: String,
    #[prost(string, optional, tag = "2")]
    pub units: Option<String>,
    #[prost(enumeration = "ResourceTypesProto", optional, tag = "3")]
    pub r#type: Option<i32>,
}

/// Memory (MiB) and virtual cores of a container or a node.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceProto {
    /// MiB.
    #[prost(int64, optional, tag = "1")]
    pub memory: Option<i64>,
    #[prost(int32, optional, tag = "2")]
    pub virtual_cores: Option<i32>,
    /// Extra resource types (3.x), e.g. GPUs; Weir leaves it empty.
    #[prost(message, repeated, tag = "3")]
    pub resource_value_map: Vec<ResourceInformationProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceUtilizationProto {
    /// MiB of physical memory in use.
    #[prost(int32, optional, tag = "1")]
    pub pmem: Option<i32>,
    /// MiB of virtual memory in use.
    #[prost(int32, optional, tag = "2")]
    pub vmem: Option<i32>,
    #[prost(float, optional, tag = "3")]
    pub cpu: Option<f32>,
    // 4: customResources (repeated, 3.x custom resource utilisation; not modelled)
}

/// Lower number = higher priority.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PriorityProto {
    #[prost(int32, optional, tag = "1")]
    pub priority: Option<i32>,
}

// ---------------------------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ContainerStateProto {
    CNew = 1,
    CRunning = 2,
    CComplete = 3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ContainerSubStateProto {
    CssScheduled = 1,
    CssRunning = 2,
    CssPaused = 3,
    CssCompleting = 4,
    CssDone = 5,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ContainerTypeProto {
    ApplicationMaster = 1,
    Task = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ExecutionTypeProto {
    Guaranteed = 1,
    Opportunistic = 2,
}

/// A container allocated by the RM (allocate response) and started through an NM.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerProto {
    #[prost(message, optional, tag = "1")]
    pub id: Option<ContainerIdProto>,
    /// The NM's IPC address to connect to (`nodeId`).
    #[prost(message, optional, tag = "2")]
    pub node_id: Option<NodeIdProto>,
    /// `host:port` of the NM web server.
    #[prost(string, optional, tag = "3")]
    pub node_http_address: Option<String>,
    /// May be larger than asked: the scheduler normalises requests upwards.
    #[prost(message, optional, tag = "4")]
    pub resource: Option<ResourceProto>,
    #[prost(message, optional, tag = "5")]
    pub priority: Option<PriorityProto>,
    /// Kind `ContainerToken`; passed unchanged to the NM in `startContainers`.
    #[prost(message, optional, tag = "6")]
    pub container_token: Option<TokenProto>,
    #[prost(
        enumeration = "ExecutionTypeProto",
        optional,
        tag = "7",
        default = "Guaranteed"
    )]
    pub execution_type: Option<i32>,
    #[prost(int64, optional, tag = "8", default = "-1")]
    pub allocation_request_id: Option<i64>,
    #[prost(int32, optional, tag = "9", default = "0")]
    pub version: Option<i32>,
    #[prost(string, repeated, tag = "10")]
    pub allocation_tags: Vec<String>,
    /// Docker port mappings (3.x).
    #[prost(string, optional, tag = "11")]
    pub exposed_ports: Option<String>,
}

/// A container's state as the RM or NM reports it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerStatusProto {
    #[prost(message, optional, tag = "1")]
    pub container_id: Option<ContainerIdProto>,
    #[prost(enumeration = "ContainerStateProto", optional, tag = "2")]
    pub state: Option<i32>,
    #[prost(string, optional, tag = "3", default = "N/A")]
    pub diagnostics: Option<String>,
    /// Java's `ContainerExitStatus` (-1000 = not set, -100 aborted, -104 pmem kill, ...) or the
    /// process's own exit code.
    #[prost(int32, optional, tag = "4", default = "-1000")]
    pub exit_status: Option<i32>,
    #[prost(message, optional, tag = "5")]
    pub capability: Option<ResourceProto>,
    /// `executionType` in the .proto.
    #[prost(
        enumeration = "ExecutionTypeProto",
        optional,
        tag = "6",
        default = "Guaranteed"
    )]
    pub execution_type: Option<i32>,
    #[prost(message, repeated, tag = "7")]
    pub container_attributes: Vec<StringStringMapProto>,
    #[prost(enumeration = "ContainerSubStateProto", optional, tag = "8")]
    pub container_sub_state: Option<i32>,
}

/// A container of an earlier or the current attempt (`getContainers`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerReportProto {
    #[prost(message, optional, tag = "1")]
    pub container_id: Option<ContainerIdProto>,
    #[prost(message, optional, tag = "2")]
    pub resource: Option<ResourceProto>,
    #[prost(message, optional, tag = "3")]
    pub node_id: Option<NodeIdProto>,
    #[prost(message, optional, tag = "4")]
    pub priority: Option<PriorityProto>,
    #[prost(int64, optional, tag = "5")]
    pub creation_time: Option<i64>,
    #[prost(int64, optional, tag = "6")]
    pub finish_time: Option<i64>,
    #[prost(string, optional, tag = "7", default = "N/A")]
    pub diagnostics_info: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub log_url: Option<String>,
    #[prost(int32, optional, tag = "9")]
    pub container_exit_status: Option<i32>,
    #[prost(enumeration = "ContainerStateProto", optional, tag = "10")]
    pub container_state: Option<i32>,
    #[prost(string, optional, tag = "11")]
    pub node_http_address: Option<String>,
    /// `executionType` in the .proto.
    #[prost(
        enumeration = "ExecutionTypeProto",
        optional,
        tag = "12",
        default = "Guaranteed"
    )]
    pub execution_type: Option<i32>,
    /// Docker port mappings (3.x).
    #[prost(string, optional, tag = "13")]
    pub exposed_ports: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ContainerRetryPolicyProto {
    NeverRetry = 0,
    RetryOnAllErrors = 1,
    RetryOnSpecificErrorCodes = 2,
}

/// NM-side relaunch of a failed container process (3.x).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerRetryContextProto {
    #[prost(
        enumeration = "ContainerRetryPolicyProto",
        optional,
        tag = "1",
        default = "NeverRetry"
    )]
    pub retry_policy: Option<i32>,
    #[prost(int32, repeated, packed = "false", tag = "2")]
    pub error_codes: Vec<i32>,
    #[prost(int32, optional, tag = "3", default = "0")]
    pub max_retries: Option<i32>,
    /// Milliseconds.
    #[prost(int32, optional, tag = "4", default = "0")]
    pub retry_interval: Option<i32>,
    /// Milliseconds.
    #[prost(int64, optional, tag = "5", default = "-1")]
    pub failures_validity_interval: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Local resources and launch contexts
// ---------------------------------------------------------------------------------------------

/// A URL split into parts (`org.apache.hadoop.yarn.api.records.URL`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct URLProto {
    /// `hdfs`, `viewfs`, `s3a`, `file`, ...
    #[prost(string, optional, tag = "1")]
    pub scheme: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub host: Option<String>,
    /// -1 when the URI has no port (an absent field reads as 0, which is wrong).
    #[prost(int32, optional, tag = "3")]
    pub port: Option<i32>,
    /// Absolute path.
    #[prost(string, optional, tag = "4")]
    pub file: Option<String>,
    /// `userInfo` in the .proto.
    #[prost(string, optional, tag = "5")]
    pub user_info: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum LocalResourceVisibilityProto {
    /// Shared NM cache; the file and all its parents must be world-readable/executable.
    Public = 1,
    /// Per user.
    Private = 2,
    /// Per application.
    Application = 3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum LocalResourceTypeProto {
    /// Unpacked by the NM (zip, jar, tar, tgz, tar.gz).
    Archive = 1,
    File = 2,
    /// A jar unpacked by `pattern`.
    Pattern = 3,
}

/// A file the NM downloads ("localizes") into the container's working directory.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LocalResourceProto {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<URLProto>,
    /// Bytes.
    #[prost(int64, optional, tag = "2")]
    pub size: Option<i64>,
    /// Must equal the file's modification time (ms) on the remote file system, or
    /// localization fails with "changed on src filesystem".
    #[prost(int64, optional, tag = "3")]
    pub timestamp: Option<i64>,
    #[prost(enumeration = "LocalResourceTypeProto", optional, tag = "4")]
    pub r#type: Option<i32>,
    #[prost(enumeration = "LocalResourceVisibilityProto", optional, tag = "5")]
    pub visibility: Option<i32>,
    #[prost(string, optional, tag = "6")]
    pub pattern: Option<String>,
    #[prost(bool, optional, tag = "7")]
    pub should_be_uploaded_to_shared_cache: Option<bool>,
}

/// Map entry: link name in the container's working directory → resource.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StringLocalResourceMapProto {
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub value: Option<LocalResourceProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct StringStringMapProto {
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct StringBytesMapProto {
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub value: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct StringLongMapProto {
    #[prost(string, required, tag = "1")]
    pub key: String,
    #[prost(int64, required, tag = "2")]
    pub value: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ApplicationAccessTypeProto {
    AppaccessViewApp = 1,
    AppaccessModifyApp = 2,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ApplicationACLMapProto {
    /// `accessType` in the .proto.
    #[prost(enumeration = "ApplicationAccessTypeProto", optional, tag = "1")]
    pub access_type: Option<i32>,
    /// Hadoop ACL string (`users groups`); the default `" "` means nobody.
    #[prost(string, optional, tag = "2", default = " ")]
    pub acl: Option<String>,
}

/// Everything an NM needs to start a container process.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerLaunchContextProto {
    /// `localResources` in the .proto; key = link name in the working directory.
    #[prost(message, repeated, tag = "1")]
    pub local_resources: Vec<StringLocalResourceMapProto>,
    /// A Hadoop `Credentials` blob (token storage format); omitted on insecure clusters.
    #[prost(bytes = "vec", optional, tag = "2")]
    pub tokens: Option<Vec<u8>>,
    /// NM auxiliary-service payloads.
    #[prost(message, repeated, tag = "3")]
    pub service_data: Vec<StringBytesMapProto>,
    #[prost(message, repeated, tag = "4")]
    pub environment: Vec<StringStringMapProto>,
    /// Joined with single spaces into one shell line by the NM.
    #[prost(string, repeated, tag = "5")]
    pub command: Vec<String>,
    /// `application_ACLs` in the .proto.
    #[prost(message, repeated, tag = "6")]
    pub application_acls: Vec<ApplicationACLMapProto>,
    #[prost(message, optional, tag = "7")]
    pub container_retry_context: Option<ContainerRetryContextProto>,
    #[prost(bytes = "vec", optional, tag = "8")]
    pub tokens_conf: Option<Vec<u8>>,
}

// ---------------------------------------------------------------------------------------------
// Applications
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum YarnApplicationStateProto {
    New = 1,
    NewSaving = 2,
    Submitted = 3,
    /// Waiting for the AM container.
    Accepted = 4,
    /// The AM registered.
    Running = 5,
    Finished = 6,
    Failed = 7,
    Killed = 8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum YarnApplicationAttemptStateProto {
    AppAttemptNew = 1,
    AppAttemptSubmitted = 2,
    AppAttemptScheduled = 3,
    AppAttemptAllocatedSaving = 4,
    AppAttemptAllocated = 5,
    AppAttemptLaunched = 6,
    AppAttemptFailed = 7,
    AppAttemptRunning = 8,
    AppAttemptFinishing = 9,
    AppAttemptFinished = 10,
    AppAttemptKilled = 11,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum FinalApplicationStatusProto {
    /// While the application runs.
    AppUndefined = 0,
    AppSucceeded = 1,
    AppFailed = 2,
    AppKilled = 3,
    /// For long-running services.
    AppEnded = 4,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum LogAggregationStatusProto {
    LogDisabled = 1,
    LogNotStart = 2,
    LogRunning = 3,
    LogSucceeded = 4,
    LogFailed = 5,
    LogTimeOut = 6,
    LogRunningWithFailure = 7,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ApplicationTimeoutTypeProto {
    AppTimeoutLifetime = 1,
}

/// Submission-side timeout: type → seconds.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ApplicationTimeoutMapProto {
    #[prost(enumeration = "ApplicationTimeoutTypeProto", optional, tag = "1")]
    pub application_timeout_type: Option<i32>,
    /// Seconds.
    #[prost(int64, optional, tag = "2")]
    pub timeout: Option<i64>,
}

/// Report-side timeout state.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ApplicationTimeoutProto {
    #[prost(enumeration = "ApplicationTimeoutTypeProto", required, tag = "1")]
    pub application_timeout_type: i32,
    /// ISO-8601 time, or `UNLIMITED`.
    #[prost(string, optional, tag = "2")]
    pub expire_time: Option<String>,
    /// Seconds.
    #[prost(int64, optional, tag = "3")]
    pub remaining_time: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AppTimeoutsMapProto {
    #[prost(enumeration = "ApplicationTimeoutTypeProto", optional, tag = "1")]
    pub application_timeout_type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub application_timeout: Option<ApplicationTimeoutProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct LogAggregationContextProto {
    #[prost(string, optional, tag = "1", default = ".*")]
    pub include_pattern: Option<String>,
    #[prost(string, optional, tag = "2", default = "")]
    pub exclude_pattern: Option<String>,
    #[prost(string, optional, tag = "3", default = "")]
    pub rolled_logs_include_pattern: Option<String>,
    #[prost(string, optional, tag = "4", default = ".*")]
    pub rolled_logs_exclude_pattern: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub log_aggregation_policy_class_name: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub log_aggregation_policy_parameters: Option<String>,
}

/// What the client submits (`submitApplication`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ApplicationSubmissionContextProto {
    #[prost(message, optional, tag = "1")]
    pub application_id: Option<ApplicationIdProto>,
    #[prost(string, optional, tag = "2", default = "N/A")]
    pub application_name: Option<String>,
    #[prost(string, optional, tag = "3", default = "default")]
    pub queue: Option<String>,
    #[prost(message, optional, tag = "4")]
    pub priority: Option<PriorityProto>,
    #[prost(message, optional, tag = "5")]
    pub am_container_spec: Option<ContainerLaunchContextProto>,
    #[prost(bool, optional, tag = "6", default = "true")]
    pub cancel_tokens_when_complete: Option<bool>,
    /// True: the client runs the AM itself and reads the AMRMToken from the report.
    #[prost(bool, optional, tag = "7", default = "false")]
    pub unmanaged_am: Option<bool>,
    /// `maxAppAttempts` in the .proto; ≤ 0 means the RM's `yarn.resourcemanager.am.max-attempts`.
    #[prost(int32, optional, tag = "8", default = "0")]
    pub max_app_attempts: Option<i32>,
    /// The AM container's size.
    #[prost(message, optional, tag = "9")]
    pub resource: Option<ResourceProto>,
    /// `applicationType` in the .proto.
    #[prost(string, optional, tag = "10", default = "YARN")]
    pub application_type: Option<String>,
    #[prost(bool, optional, tag = "11", default = "false")]
    pub keep_containers_across_application_attempts: Option<bool>,
    /// `applicationTags` in the .proto.
    #[prost(string, repeated, tag = "12")]
    pub application_tags: Vec<String>,
    /// Milliseconds; -1 = every failure counts.
    #[prost(int64, optional, tag = "13", default = "-1")]
    pub attempt_failures_validity_interval: Option<i64>,
    #[prost(message, optional, tag = "14")]
    pub log_aggregation_context: Option<LogAggregationContextProto>,
    #[prost(message, optional, tag = "15")]
    pub reservation_id: Option<ReservationIdProto>,
    #[prost(string, optional, tag = "16")]
    pub node_label_expression: Option<String>,
    /// Usually empty: the RM derives the AM request from `resource`.
    #[prost(message, repeated, tag = "17")]
    pub am_container_resource_request: Vec<ResourceRequestProto>,
    #[prost(message, repeated, tag = "18")]
    pub application_timeouts: Vec<ApplicationTimeoutMapProto>,
    #[prost(message, repeated, tag = "19")]
    pub application_scheduling_properties: Vec<StringStringMapProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ApplicationResourceUsageReportProto {
    #[prost(int32, optional, tag = "1")]
    pub num_used_containers: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub num_reserved_containers: Option<i32>,
    #[prost(message, optional, tag = "3")]
    pub used_resources: Option<ResourceProto>,
    #[prost(message, optional, tag = "4")]
    pub reserved_resources: Option<ResourceProto>,
    #[prost(message, optional, tag = "5")]
    pub needed_resources: Option<ResourceProto>,
    #[prost(int64, optional, tag = "6")]
    pub memory_seconds: Option<i64>,
    #[prost(int64, optional, tag = "7")]
    pub vcore_seconds: Option<i64>,
    #[prost(float, optional, tag = "8")]
    pub queue_usage_percentage: Option<f32>,
    #[prost(float, optional, tag = "9")]
    pub cluster_usage_percentage: Option<f32>,
    #[prost(int64, optional, tag = "10")]
    pub preempted_memory_seconds: Option<i64>,
    #[prost(int64, optional, tag = "11")]
    pub preempted_vcore_seconds: Option<i64>,
    #[prost(message, repeated, tag = "12")]
    pub application_resource_usage_map: Vec<StringLongMapProto>,
    #[prost(message, repeated, tag = "13")]
    pub application_preempted_resource_usage_map: Vec<StringLongMapProto>,
}

/// The RM's view of one application (`getApplicationReport`, `getApplications`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ApplicationReportProto {
    /// `applicationId` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub application_id: Option<ApplicationIdProto>,
    #[prost(string, optional, tag = "2")]
    pub user: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub queue: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub name: Option<String>,
    /// The AM host as registered; `N/A` before registration.
    #[prost(string, optional, tag = "5")]
    pub host: Option<String>,
    /// As registered by the AM; -1 before.
    #[prost(int32, optional, tag = "6")]
    pub rpc_port: Option<i32>,
    #[prost(message, optional, tag = "7")]
    pub client_to_am_token: Option<TokenProto>,
    #[prost(enumeration = "YarnApplicationStateProto", optional, tag = "8")]
    pub yarn_application_state: Option<i32>,
    /// `trackingUrl` in the .proto: normally the RM proxy URL.
    #[prost(string, optional, tag = "9")]
    pub tracking_url: Option<String>,
    #[prost(string, optional, tag = "10", default = "N/A")]
    pub diagnostics: Option<String>,
    /// `startTime`, ms.
    #[prost(int64, optional, tag = "11")]
    pub start_time: Option<i64>,
    /// `finishTime`, ms.
    #[prost(int64, optional, tag = "12")]
    pub finish_time: Option<i64>,
    #[prost(enumeration = "FinalApplicationStatusProto", optional, tag = "13")]
    pub final_application_status: Option<i32>,
    /// `app_resource_Usage` in the .proto.
    #[prost(message, optional, tag = "14")]
    pub app_resource_usage: Option<ApplicationResourceUsageReportProto>,
    /// `originalTrackingUrl`: what the AM registered.
    #[prost(string, optional, tag = "15")]
    pub original_tracking_url: Option<String>,
    /// `currentApplicationAttemptId` in the .proto.
    #[prost(message, optional, tag = "16")]
    pub current_application_attempt_id: Option<ApplicationAttemptIdProto>,
    #[prost(float, optional, tag = "17")]
    pub progress: Option<f32>,
    /// `applicationType` in the .proto.
    #[prost(string, optional, tag = "18")]
    pub application_type: Option<String>,
    /// Only for unmanaged AMs.
    #[prost(message, optional, tag = "19")]
    pub am_rm_token: Option<TokenProto>,
    /// `applicationTags` in the .proto.
    #[prost(string, repeated, tag = "20")]
    pub application_tags: Vec<String>,
    #[prost(enumeration = "LogAggregationStatusProto", optional, tag = "21")]
    pub log_aggregation_status: Option<i32>,
    #[prost(bool, optional, tag = "22", default = "false")]
    pub unmanaged_application: Option<bool>,
    #[prost(message, optional, tag = "23")]
    pub priority: Option<PriorityProto>,
    /// `appNodeLabelExpression` in the .proto.
    #[prost(string, optional, tag = "24")]
    pub app_node_label_expression: Option<String>,
    /// `amNodeLabelExpression` in the .proto.
    #[prost(string, optional, tag = "25")]
    pub am_node_label_expression: Option<String>,
    /// `appTimeouts` in the .proto.
    #[prost(message, repeated, tag = "26")]
    pub app_timeouts: Vec<AppTimeoutsMapProto>,
    /// `launchTime`, ms (3.x).
    #[prost(int64, optional, tag = "27")]
    pub launch_time: Option<i64>,
    /// `submitTime`, ms (3.x).
    #[prost(int64, optional, tag = "28")]
    pub submit_time: Option<i64>,
    /// `rmClusterId` (3.x).
    #[prost(string, optional, tag = "29")]
    pub rm_cluster_id: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ApplicationAttemptReportProto {
    #[prost(message, optional, tag = "1")]
    pub application_attempt_id: Option<ApplicationAttemptIdProto>,
    #[prost(string, optional, tag = "2")]
    pub host: Option<String>,
    #[prost(int32, optional, tag = "3")]
    pub rpc_port: Option<i32>,
    #[prost(string, optional, tag = "4")]
    pub tracking_url: Option<String>,
    #[prost(string, optional, tag = "5", default = "N/A")]
    pub diagnostics: Option<String>,
    #[prost(enumeration = "YarnApplicationAttemptStateProto", optional, tag = "6")]
    pub yarn_application_attempt_state: Option<i32>,
    #[prost(message, optional, tag = "7")]
    pub am_container_id: Option<ContainerIdProto>,
    #[prost(string, optional, tag = "8")]
    pub original_tracking_url: Option<String>,
    /// `startTime`, ms.
    #[prost(int64, optional, tag = "9")]
    pub start_time: Option<i64>,
    /// `finishTime`, ms.
    #[prost(int64, optional, tag = "10")]
    pub finish_time: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Nodes and cluster
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum NodeStateProto {
    NsNew = 1,
    NsRunning = 2,
    NsUnhealthy = 3,
    NsDecommissioned = 4,
    NsLost = 5,
    NsRebooted = 6,
    NsDecommissioning = 7,
    NsShutdown = 8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum NodeUpdateTypeProto {
    NodeUsable = 0,
    NodeUnusable = 1,
    NodeDecommissioning = 2,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeReportProto {
    /// `nodeId` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub node_id: Option<NodeIdProto>,
    /// `httpAddress` in the .proto.
    #[prost(string, optional, tag = "2")]
    pub http_address: Option<String>,
    /// `rackName` in the .proto.
    #[prost(string, optional, tag = "3")]
    pub rack_name: Option<String>,
    #[prost(message, optional, tag = "4")]
    pub used: Option<ResourceProto>,
    #[prost(message, optional, tag = "5")]
    pub capability: Option<ResourceProto>,
    /// `numContainers` in the .proto.
    #[prost(int32, optional, tag = "6")]
    pub num_containers: Option<i32>,
    #[prost(enumeration = "NodeStateProto", optional, tag = "7")]
    pub node_state: Option<i32>,
    #[prost(string, optional, tag = "8")]
    pub health_report: Option<String>,
    /// ms.
    #[prost(int64, optional, tag = "9")]
    pub last_health_report_time: Option<i64>,
    #[prost(string, repeated, tag = "10")]
    pub node_labels: Vec<String>,
    #[prost(message, optional, tag = "11")]
    pub containers_utilization: Option<ResourceUtilizationProto>,
    #[prost(message, optional, tag = "12")]
    pub node_utilization: Option<ResourceUtilizationProto>,
    /// Seconds.
    #[prost(uint32, optional, tag = "13")]
    pub decommissioning_timeout: Option<u32>,
    #[prost(enumeration = "NodeUpdateTypeProto", optional, tag = "14")]
    pub node_update_type: Option<i32>,
    // 15: node_attributes (repeated NodeAttributeProto, 3.x; not modelled)
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct YarnClusterMetricsProto {
    #[prost(int32, optional, tag = "1")]
    pub num_node_managers: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub num_decommissioned_nms: Option<i32>,
    #[prost(int32, optional, tag = "3")]
    pub num_active_nms: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    pub num_lost_nms: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    pub num_unhealthy_nms: Option<i32>,
    #[prost(int32, optional, tag = "6")]
    pub num_rebooted_nms: Option<i32>,
    #[prost(int32, optional, tag = "7")]
    pub num_decommissioning_nms: Option<i32>,
    #[prost(int32, optional, tag = "8")]
    pub num_shutdown_nms: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum QueueStateProto {
    QStopped = 1,
    QRunning = 2,
    QDraining = 3,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueueStatisticsProto {
    #[prost(int64, optional, tag = "1")]
    pub num_apps_submitted: Option<i64>,
    #[prost(int64, optional, tag = "2")]
    pub num_apps_running: Option<i64>,
    #[prost(int64, optional, tag = "3")]
    pub num_apps_pending: Option<i64>,
    #[prost(int64, optional, tag = "4")]
    pub num_apps_completed: Option<i64>,
    #[prost(int64, optional, tag = "5")]
    pub num_apps_killed: Option<i64>,
    #[prost(int64, optional, tag = "6")]
    pub num_apps_failed: Option<i64>,
    #[prost(int64, optional, tag = "7")]
    pub num_active_users: Option<i64>,
    #[prost(int64, optional, tag = "8")]
    pub available_memory_mb: Option<i64>,
    #[prost(int64, optional, tag = "9")]
    pub allocated_memory_mb: Option<i64>,
    #[prost(int64, optional, tag = "10")]
    pub pending_memory_mb: Option<i64>,
    #[prost(int64, optional, tag = "11")]
    pub reserved_memory_mb: Option<i64>,
    #[prost(int64, optional, tag = "12")]
    pub available_v_cores: Option<i64>,
    #[prost(int64, optional, tag = "13")]
    pub allocated_v_cores: Option<i64>,
    #[prost(int64, optional, tag = "14")]
    pub pending_v_cores: Option<i64>,
    #[prost(int64, optional, tag = "15")]
    pub reserved_v_cores: Option<i64>,
    #[prost(int64, optional, tag = "16")]
    pub allocated_containers: Option<i64>,
    #[prost(int64, optional, tag = "17")]
    pub pending_containers: Option<i64>,
    #[prost(int64, optional, tag = "18")]
    pub reserved_containers: Option<i64>,
}

/// A scheduler queue (`getQueueInfo`). Fields are the .proto's camelCase names in snake_case.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueueInfoProto {
    #[prost(string, optional, tag = "1")]
    pub queue_name: Option<String>,
    #[prost(float, optional, tag = "2")]
    pub capacity: Option<f32>,
    #[prost(float, optional, tag = "3")]
    pub maximum_capacity: Option<f32>,
    #[prost(float, optional, tag = "4")]
    pub current_capacity: Option<f32>,
    #[prost(enumeration = "QueueStateProto", optional, tag = "5")]
    pub state: Option<i32>,
    #[prost(message, repeated, tag = "6")]
    pub child_queues: Vec<QueueInfoProto>,
    #[prost(message, repeated, tag = "7")]
    pub applications: Vec<ApplicationReportProto>,
    #[prost(string, repeated, tag = "8")]
    pub accessible_node_labels: Vec<String>,
    #[prost(string, optional, tag = "9")]
    pub default_node_label_expression: Option<String>,
    #[prost(message, optional, tag = "10")]
    pub queue_statistics: Option<QueueStatisticsProto>,
    #[prost(bool, optional, tag = "11")]
    pub preemption_disabled: Option<bool>,
    // 12: queueConfigurationsMap, 13: intraQueuePreemptionDisabled and the later 3.x
    // capacity-scheduler fields: not modelled.
}

// ---------------------------------------------------------------------------------------------
// AM ↔ RM records
// ---------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionTypeRequestProto {
    #[prost(
        enumeration = "ExecutionTypeProto",
        optional,
        tag = "1",
        default = "Guaranteed"
    )]
    pub execution_type: Option<i32>,
    #[prost(bool, optional, tag = "2", default = "false")]
    pub enforce_execution_type: Option<bool>,
}

/// One row of the AM's ask table, keyed by (priority, allocation_request_id, resource_name).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceRequestProto {
    #[prost(message, optional, tag = "1")]
    pub priority: Option<PriorityProto>,
    /// `*` (any), a rack name, or a host name.
    #[prost(string, optional, tag = "2")]
    pub resource_name: Option<String>,
    #[prost(message, optional, tag = "3")]
    pub capability: Option<ResourceProto>,
    /// The absolute outstanding count (the RM replaces the row), not an increment.
    #[prost(int32, optional, tag = "4")]
    pub num_containers: Option<i32>,
    #[prost(bool, optional, tag = "5", default = "true")]
    pub relax_locality: Option<bool>,
    #[prost(string, optional, tag = "6")]
    pub node_label_expression: Option<String>,
    #[prost(message, optional, tag = "7")]
    pub execution_type_request: Option<ExecutionTypeRequestProto>,
    /// Default -1 since 3.1 (0 in 3.0's .proto); leave unset.
    #[prost(int64, optional, tag = "8", default = "-1")]
    pub allocation_request_id: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceBlacklistRequestProto {
    /// Node host names.
    #[prost(string, repeated, tag = "1")]
    pub blacklist_additions: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    pub blacklist_removals: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum AMCommandProto {
    AmResync = 1,
    AmShutdown = 2,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PreemptionContainerProto {
    #[prost(message, optional, tag = "1")]
    pub id: Option<ContainerIdProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PreemptionResourceRequestProto {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<ResourceRequestProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct StrictPreemptionContractProto {
    #[prost(message, repeated, tag = "1")]
    pub container: Vec<PreemptionContainerProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PreemptionContractProto {
    #[prost(message, repeated, tag = "1")]
    pub resource: Vec<PreemptionResourceRequestProto>,
    #[prost(message, repeated, tag = "2")]
    pub container: Vec<PreemptionContainerProto>,
}

/// Containers the scheduler is about to take back.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PreemptionMessageProto {
    /// `strictContract` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub strict_contract: Option<StrictPreemptionContractProto>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<PreemptionContractProto>,
}

/// Timeline service v2 collector of the application.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CollectorInfoProto {
    #[prost(string, optional, tag = "1")]
    pub collector_addr: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub collector_token: Option<TokenProto>,
}
