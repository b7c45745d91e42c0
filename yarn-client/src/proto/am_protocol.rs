//! ApplicationMasterProtocol requests and responses (`yarn_service_protos.proto`), the calls an
//! AM makes on the RM's scheduler port (8030, TOKEN auth with the AMRMToken only).
//!
//! ```text
//!  AM                                         RM :8030
//!   │ registerApplicationMaster(host, rpc_port, tracking_url)
//!   │ ──────────────────────────────────────────► maximumCapability, queue, previous containers
//!   │ allocate(response_id = last received, ask, release, progress)      (heartbeat, 0.5–5 s)
//!   │ ──────────────────────────────────────────► response_id + 1, allocated, completed,
//!   │          ... repeated ...                    nm_tokens (first container per node),
//!   │                                              am_rm_token (after a key roll)
//!   │ finishApplicationMaster(status, diagnostics, tracking_url)
//!   │ ──────────────────────────────────────────► isUnregistered (repeat until true)
//! ```
//!
//! The records these messages carry (ResourceRequestProto, ContainerProto, ...) are in
//! [`super::yarn_records`].

use super::hadoop_common::TokenProto;
use super::yarn_records::{
    AMCommandProto, ApplicationACLMapProto, CollectorInfoProto, ContainerIdProto, ContainerProto,
    ContainerStatusProto, ExecutionTypeProto, FinalApplicationStatusProto, NodeIdProto,
    NodeReportProto, PreemptionMessageProto, PriorityProto, ResourceBlacklistRequestProto,
    ResourceProto, ResourceRequestProto, ResourceTypeInfoProto,
};

#[derive(Clone, PartialEq, prost::Message)]
pub struct RegisterApplicationMasterRequestProto {
    /// Where clients reach the AM (Flink: the JobManager address).
    #[prost(string, optional, tag = "1")]
    pub host: Option<String>,
    /// Clients read host:rpc_port from the application report (Flink puts its REST port here).
    #[prost(int32, optional, tag = "2")]
    pub rpc_port: Option<i32>,
    /// The AM web UI; proxied by the RM.
    #[prost(string, optional, tag = "3")]
    pub tracking_url: Option<String>,
    // 4: placement_constraints (repeated PlacementConstraintMapEntryProto, 3.x; not modelled)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SchedulerResourceTypes {
    Memory = 0,
    /// Absent from the register response → vcores are not scheduled.
    Cpu = 1,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RegisterApplicationMasterResponseProto {
    /// `maximumCapability` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub maximum_capability: Option<ResourceProto>,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub client_to_am_token_master_key: Option<Vec<u8>>,
    /// `application_ACLs` in the .proto.
    #[prost(message, repeated, tag = "3")]
    pub application_acls: Vec<ApplicationACLMapProto>,
    /// Only with keep-containers-across-attempts.
    #[prost(message, repeated, tag = "4")]
    pub containers_from_previous_attempts: Vec<ContainerProto>,
    #[prost(string, optional, tag = "5")]
    pub queue: Option<String>,
    #[prost(message, repeated, tag = "6")]
    pub nm_tokens_from_previous_attempts: Vec<NMTokenProto>,
    #[prost(
        enumeration = "SchedulerResourceTypes",
        repeated,
        packed = "false",
        tag = "7"
    )]
    pub scheduler_resource_types: Vec<i32>,
    // 8: resource_profiles (ResourceProfilesProto, 3.x; not modelled)
    #[prost(message, repeated, tag = "9")]
    pub resource_types: Vec<ResourceTypeInfoProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FinishApplicationMasterRequestProto {
    #[prost(string, optional, tag = "1")]
    pub diagnostics: Option<String>,
    /// The final URL, e.g. a history server.
    #[prost(string, optional, tag = "2")]
    pub tracking_url: Option<String>,
    #[prost(enumeration = "FinalApplicationStatusProto", optional, tag = "3")]
    pub final_application_status: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FinishApplicationMasterResponseProto {
    /// `isUnregistered`; repeat `finishApplicationMaster` until true.
    #[prost(bool, optional, tag = "1", default = "false")]
    pub is_unregistered: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ContainerUpdateTypeProto {
    IncreaseResource = 0,
    DecreaseResource = 1,
    PromoteExecutionType = 2,
    DemoteExecutionType = 3,
}

/// Resize or promote/demote a running container (3.x).
#[derive(Clone, PartialEq, prost::Message)]
pub struct UpdateContainerRequestProto {
    #[prost(int32, required, tag = "1")]
    pub container_version: i32,
    #[prost(message, required, tag = "2")]
    pub container_id: ContainerIdProto,
    #[prost(enumeration = "ContainerUpdateTypeProto", required, tag = "3")]
    pub update_type: i32,
    #[prost(message, optional, tag = "4")]
    pub capability: Option<ResourceProto>,
    #[prost(enumeration = "ExecutionTypeProto", optional, tag = "5")]
    pub execution_type: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct UpdateContainerErrorProto {
    #[prost(string, optional, tag = "1")]
    pub reason: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub update_request: Option<UpdateContainerRequestProto>,
    #[prost(int32, optional, tag = "3")]
    pub current_container_version: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct UpdatedContainerProto {
    #[prost(enumeration = "ContainerUpdateTypeProto", required, tag = "1")]
    pub update_type: i32,
    #[prost(message, required, tag = "2")]
    pub container: ContainerProto,
}

/// The AM heartbeat: asks (a replace-table), releases, progress.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AllocateRequestProto {
    #[prost(message, repeated, tag = "1")]
    pub ask: Vec<ResourceRequestProto>,
    #[prost(message, repeated, tag = "2")]
    pub release: Vec<ContainerIdProto>,
    #[prost(message, optional, tag = "3")]
    pub blacklist_request: Option<ResourceBlacklistRequestProto>,
    /// The `response_id` of the last response received (0 after register).
    #[prost(int32, optional, tag = "4")]
    pub response_id: Option<i32>,
    /// 0..1.
    #[prost(float, optional, tag = "5")]
    pub progress: Option<f32>,
    // 6: increase_request (2.x; never reuse)
    #[prost(message, repeated, tag = "7")]
    pub update_requests: Vec<UpdateContainerRequestProto>,
    // 10: scheduling_requests (repeated SchedulingRequestProto, placement constraints; not modelled)
    /// 3.x: change the tracking URL.
    #[prost(string, optional, tag = "11")]
    pub tracking_url: Option<String>,
}

/// The NMToken of one node: SASL credentials for that NM's ContainerManagementProtocol.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NMTokenProto {
    /// `nodeId` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub node_id: Option<NodeIdProto>,
    /// Kind `NMToken`.
    #[prost(message, optional, tag = "2")]
    pub token: Option<TokenProto>,
}

/// 3.4: extra headroom figures.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EnhancedHeadroomProto {
    #[prost(int32, optional, tag = "1")]
    pub total_pending_count: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub total_active_cores: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AllocateResponseProto {
    /// Legacy (3.x signals with exceptions instead).
    #[prost(enumeration = "AMCommandProto", optional, tag = "1")]
    pub a_m_command: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub response_id: Option<i32>,
    #[prost(message, repeated, tag = "3")]
    pub allocated_containers: Vec<ContainerProto>,
    #[prost(message, repeated, tag = "4")]
    pub completed_container_statuses: Vec<ContainerStatusProto>,
    /// Headroom.
    #[prost(message, optional, tag = "5")]
    pub limit: Option<ResourceProto>,
    #[prost(message, repeated, tag = "6")]
    pub updated_nodes: Vec<NodeReportProto>,
    #[prost(int32, optional, tag = "7")]
    pub num_cluster_nodes: Option<i32>,
    #[prost(message, optional, tag = "8")]
    pub preempt: Option<PreemptionMessageProto>,
    /// Sent once per node per attempt (and after a key roll): cache by `host:port`.
    #[prost(message, repeated, tag = "9")]
    pub nm_tokens: Vec<NMTokenProto>,
    // 10, 11: increased/decreased containers (2.x; never reuse)
    /// Present only when the RM rolled the AMRM key: use it for new connections.
    #[prost(message, optional, tag = "12")]
    pub am_rm_token: Option<TokenProto>,
    #[prost(message, optional, tag = "13")]
    pub application_priority: Option<PriorityProto>,
    #[prost(message, optional, tag = "14")]
    pub collector_info: Option<CollectorInfoProto>,
    #[prost(message, repeated, tag = "15")]
    pub update_errors: Vec<UpdateContainerErrorProto>,
    #[prost(message, repeated, tag = "16")]
    pub updated_containers: Vec<UpdatedContainerProto>,
    /// 3.x: containers of earlier attempts reported late by their NMs.
    #[prost(message, repeated, tag = "17")]
    pub containers_from_previous_attempts: Vec<ContainerProto>,
    // 18: rejected_scheduling_requests (placement constraints; not modelled)
    #[prost(message, optional, tag = "19")]
    pub enhanced_headroom: Option<EnhancedHeadroomProto>,
}
