//! ContainerManagementProtocol requests and responses (`yarn_service_protos.proto`), the calls
//! an AM (or the RM's AM launcher) makes on a NodeManager (TOKEN auth with the node's NMToken).
//!
//! | method                 | request → response                                                   |
//! |------------------------|----------------------------------------------------------------------|
//! | `startContainers`      | [`StartContainersRequestProto`] → [`StartContainersResponseProto`]   |
//! | `stopContainers`       | [`StopContainersRequestProto`] → [`StopContainersResponseProto`]     |
//! | `getContainerStatuses` | [`GetContainerStatusesRequestProto`] → [`GetContainerStatusesResponseProto`] |
//!
//! Per-container failures come back in `failed_requests` while the call itself succeeds.

use super::hadoop_common::TokenProto;
use super::yarn_records::{
    ContainerIdProto, ContainerLaunchContextProto, ContainerStatusProto, SerializedExceptionProto,
    StringBytesMapProto,
};

#[derive(Clone, PartialEq, prost::Message)]
pub struct StartContainerRequestProto {
    #[prost(message, optional, tag = "1")]
    pub container_launch_context: Option<ContainerLaunchContextProto>,
    /// From `ContainerProto.container_token`, unchanged.
    #[prost(message, optional, tag = "2")]
    pub container_token: Option<TokenProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct StartContainersRequestProto {
    #[prost(message, repeated, tag = "1")]
    pub start_container_request: Vec<StartContainerRequestProto>,
}

/// Why one container of a bulk call failed.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerExceptionMapProto {
    #[prost(message, optional, tag = "1")]
    pub container_id: Option<ContainerIdProto>,
    #[prost(message, optional, tag = "2")]
    pub exception: Option<SerializedExceptionProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct StartContainersResponseProto {
    #[prost(message, repeated, tag = "1")]
    pub services_meta_data: Vec<StringBytesMapProto>,
    #[prost(message, repeated, tag = "2")]
    pub succeeded_requests: Vec<ContainerIdProto>,
    #[prost(message, repeated, tag = "3")]
    pub failed_requests: Vec<ContainerExceptionMapProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct StopContainersRequestProto {
    #[prost(message, repeated, tag = "1")]
    pub container_id: Vec<ContainerIdProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct StopContainersResponseProto {
    #[prost(message, repeated, tag = "1")]
    pub succeeded_requests: Vec<ContainerIdProto>,
    #[prost(message, repeated, tag = "2")]
    pub failed_requests: Vec<ContainerExceptionMapProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetContainerStatusesRequestProto {
    #[prost(message, repeated, tag = "1")]
    pub container_id: Vec<ContainerIdProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetContainerStatusesResponseProto {
    #[prost(message, repeated, tag = "1")]
    pub status: Vec<ContainerStatusProto>,
    #[prost(message, repeated, tag = "2")]
    pub failed_requests: Vec<ContainerExceptionMapProto>,
}
