//! ApplicationClientProtocol requests and responses (`yarn_service_protos.proto`), the calls a
//! client makes on the RM's client port (8032, SIMPLE auth on insecure clusters).
//!
//! | method                        | request → response                                              |
//! |-------------------------------|-----------------------------------------------------------------|
//! | `getNewApplication`           | [`GetNewApplicationRequestProto`] → [`GetNewApplicationResponseProto`] |
//! | `submitApplication`           | [`SubmitApplicationRequestProto`] → [`SubmitApplicationResponseProto`] |
//! | `getApplicationReport`        | [`GetApplicationReportRequestProto`] → [`GetApplicationReportResponseProto`] |
//! | `forceKillApplication`        | [`KillApplicationRequestProto`] → [`KillApplicationResponseProto`] |
//! | `getApplications`             | [`GetApplicationsRequestProto`] → [`GetApplicationsResponseProto`] |
//! | `getClusterMetrics`           | [`GetClusterMetricsRequestProto`] → [`GetClusterMetricsResponseProto`] |
//! | `getClusterNodes`             | [`GetClusterNodesRequestProto`] → [`GetClusterNodesResponseProto`] |
//! | `getQueueInfo`                | [`GetQueueInfoRequestProto`] → [`GetQueueInfoResponseProto`]    |
//! | `getApplicationAttempts`      | [`GetApplicationAttemptsRequestProto`] → [`GetApplicationAttemptsResponseProto`] |
//! | `getApplicationAttemptReport` | [`GetApplicationAttemptReportRequestProto`] → [`GetApplicationAttemptReportResponseProto`] |
//! | `getContainers`               | [`GetContainersRequestProto`] → [`GetContainersResponseProto`]  |
//! | `getContainerReport`          | [`GetContainerReportRequestProto`] → [`GetContainerReportResponseProto`] |
//! | `moveApplicationAcrossQueues` | [`MoveApplicationAcrossQueuesRequestProto`] → [`MoveApplicationAcrossQueuesResponseProto`] |
//! | `failApplicationAttempt`      | [`FailApplicationAttemptRequestProto`] → [`FailApplicationAttemptResponseProto`] |
//! | `updateApplicationPriority`   | [`UpdateApplicationPriorityRequestProto`] → [`UpdateApplicationPriorityResponseProto`] |
//! | `signalToContainer`           | [`SignalContainerRequestProto`] → [`SignalContainerResponseProto`] |

use super::yarn_records::{
    ApplicationAttemptIdProto, ApplicationAttemptReportProto, ApplicationIdProto,
    ApplicationReportProto, ApplicationSubmissionContextProto, ContainerIdProto,
    ContainerReportProto, NodeReportProto, NodeStateProto, PriorityProto, QueueInfoProto,
    ResourceProto, YarnApplicationStateProto, YarnClusterMetricsProto,
};

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetNewApplicationRequestProto {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetNewApplicationResponseProto {
    #[prost(message, optional, tag = "1")]
    pub application_id: Option<ApplicationIdProto>,
    /// `maximumCapability`: the largest container the scheduler allows.
    #[prost(message, optional, tag = "2")]
    pub maximum_capability: Option<ResourceProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SubmitApplicationRequestProto {
    #[prost(message, optional, tag = "1")]
    pub application_submission_context: Option<ApplicationSubmissionContextProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SubmitApplicationResponseProto {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetApplicationReportRequestProto {
    #[prost(message, optional, tag = "1")]
    pub application_id: Option<ApplicationIdProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetApplicationReportResponseProto {
    #[prost(message, optional, tag = "1")]
    pub application_report: Option<ApplicationReportProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct KillApplicationRequestProto {
    #[prost(message, optional, tag = "1")]
    pub application_id: Option<ApplicationIdProto>,
    /// 3.x: recorded in the application's diagnostics.
    #[prost(string, optional, tag = "2")]
    pub diagnostics: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct KillApplicationResponseProto {
    /// The Java client repeats `forceKillApplication` until this is true.
    #[prost(bool, optional, tag = "1", default = "false")]
    pub is_kill_completed: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ApplicationsRequestScopeProto {
    All = 0,
    Viewable = 1,
    Own = 2,
}

/// Filters of `getApplications`; every empty list / unset field means "no filter".
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetApplicationsRequestProto {
    #[prost(string, repeated, tag = "1")]
    pub application_types: Vec<String>,
    #[prost(
        enumeration = "YarnApplicationStateProto",
        repeated,
        packed = "false",
        tag = "2"
    )]
    pub application_states: Vec<i32>,
    #[prost(string, repeated, tag = "3")]
    pub users: Vec<String>,
    #[prost(string, repeated, tag = "4")]
    pub queues: Vec<String>,
    #[prost(int64, optional, tag = "5")]
    pub limit: Option<i64>,
    #[prost(int64, optional, tag = "6")]
    pub start_begin: Option<i64>,
    #[prost(int64, optional, tag = "7")]
    pub start_end: Option<i64>,
    #[prost(int64, optional, tag = "8")]
    pub finish_begin: Option<i64>,
    #[prost(int64, optional, tag = "9")]
    pub finish_end: Option<i64>,
    /// `applicationTags` in the .proto.
    #[prost(string, repeated, tag = "10")]
    pub application_tags: Vec<String>,
    #[prost(
        enumeration = "ApplicationsRequestScopeProto",
        optional,
        tag = "11",
        default = "All"
    )]
    pub scope: Option<i32>,
    /// 3.x: application name filter.
    #[prost(string, optional, tag = "12")]
    pub name: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetApplicationsResponseProto {
    #[prost(message, repeated, tag = "1")]
    pub applications: Vec<ApplicationReportProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetClusterMetricsRequestProto {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetClusterMetricsResponseProto {
    #[prost(message, optional, tag = "1")]
    pub cluster_metrics: Option<YarnClusterMetricsProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetClusterNodesRequestProto {
    /// `nodeStates`; empty = all nodes.
    #[prost(enumeration = "NodeStateProto", repeated, packed = "false", tag = "1")]
    pub node_states: Vec<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetClusterNodesResponseProto {
    /// `nodeReports` in the .proto.
    #[prost(message, repeated, tag = "1")]
    pub node_reports: Vec<NodeReportProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetQueueInfoRequestProto {
    #[prost(string, optional, tag = "1")]
    pub queue_name: Option<String>,
    #[prost(bool, optional, tag = "2")]
    pub include_applications: Option<bool>,
    #[prost(bool, optional, tag = "3")]
    pub include_child_queues: Option<bool>,
    #[prost(bool, optional, tag = "4")]
    pub recursive: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetQueueInfoResponseProto {
    #[prost(message, optional, tag = "1")]
    pub queue_info: Option<QueueInfoProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetApplicationAttemptsRequestProto {
    #[prost(message, optional, tag = "1")]
    pub application_id: Option<ApplicationIdProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetApplicationAttemptsResponseProto {
    #[prost(message, repeated, tag = "1")]
    pub application_attempts: Vec<ApplicationAttemptReportProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetContainersRequestProto {
    #[prost(message, optional, tag = "1")]
    pub application_attempt_id: Option<ApplicationAttemptIdProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetContainersResponseProto {
    #[prost(message, repeated, tag = "1")]
    pub containers: Vec<ContainerReportProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetApplicationAttemptReportRequestProto {
    #[prost(message, optional, tag = "1")]
    pub application_attempt_id: Option<ApplicationAttemptIdProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetApplicationAttemptReportResponseProto {
    #[prost(message, optional, tag = "1")]
    pub application_attempt_report: Option<ApplicationAttemptReportProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetContainerReportRequestProto {
    #[prost(message, optional, tag = "1")]
    pub container_id: Option<ContainerIdProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetContainerReportResponseProto {
    #[prost(message, optional, tag = "1")]
    pub container_report: Option<ContainerReportProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MoveApplicationAcrossQueuesRequestProto {
    #[prost(message, required, tag = "1")]
    pub application_id: ApplicationIdProto,
    #[prost(string, required, tag = "2")]
    pub target_queue: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MoveApplicationAcrossQueuesResponseProto {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FailApplicationAttemptRequestProto {
    #[prost(message, optional, tag = "1")]
    pub application_attempt_id: Option<ApplicationAttemptIdProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FailApplicationAttemptResponseProto {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct UpdateApplicationPriorityRequestProto {
    /// `applicationId` in the .proto.
    #[prost(message, required, tag = "1")]
    pub application_id: ApplicationIdProto,
    /// `applicationPriority` in the .proto.
    #[prost(message, required, tag = "2")]
    pub application_priority: PriorityProto,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct UpdateApplicationPriorityResponseProto {
    /// `applicationPriority` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub application_priority: Option<PriorityProto>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SignalContainerCommandProto {
    OutputThreadDump = 1,
    GracefulShutdown = 2,
    ForcefulShutdown = 3,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SignalContainerRequestProto {
    #[prost(message, required, tag = "1")]
    pub container_id: ContainerIdProto,
    #[prost(enumeration = "SignalContainerCommandProto", required, tag = "2")]
    pub command: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SignalContainerResponseProto {}
