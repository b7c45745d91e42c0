//! Token identifiers of YARN's tokens (`yarn_security_token.proto`): the protobuf bytes inside
//! `TokenProto.identifier`.
//!
//! | token kind         | identifier                       | SASL user (DIGEST-MD5)  |
//! |--------------------|----------------------------------|-------------------------|
//! | `YARN_AM_RM_TOKEN` | [`AMRMTokenIdentifierProto`]     | the attempt id string   |
//! | `NMToken`          | [`NMTokenIdentifierProto`]       | the attempt id string   |
//! | `ContainerToken`   | [`ContainerTokenIdentifierProto`]| not used for SASL       |
//!
//! The token password is HMAC-SHA1(master key of `key_id`, identifier bytes), so an identifier
//! must be kept byte for byte as received: never decode and re-encode it to compute or check a
//! password (field order and unknown fields would change the bytes).

use super::yarn_records::{
    ApplicationAttemptIdProto, ContainerIdProto, ContainerTypeProto, ExecutionTypeProto,
    LogAggregationContextProto, NodeIdProto, PriorityProto, ResourceProto,
};

#[derive(Clone, PartialEq, prost::Message)]
pub struct AMRMTokenIdentifierProto {
    /// `appAttemptId` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub app_attempt_id: Option<ApplicationAttemptIdProto>,
    /// `keyId`: the RM master key that signed the token.
    #[prost(int32, optional, tag = "2", default = "-1")]
    pub key_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct NMTokenIdentifierProto {
    /// `appAttemptId` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub app_attempt_id: Option<ApplicationAttemptIdProto>,
    /// `nodeId` in the .proto.
    #[prost(message, optional, tag = "2")]
    pub node_id: Option<NodeIdProto>,
    /// `appSubmitter` in the .proto.
    #[prost(string, optional, tag = "3")]
    pub app_submitter: Option<String>,
    /// `keyId` in the .proto.
    #[prost(int32, optional, tag = "4", default = "-1")]
    pub key_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerTokenIdentifierProto {
    /// `containerId` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub container_id: Option<ContainerIdProto>,
    /// `nmHostAddr`: `host:port` of the NM the container was allocated on.
    #[prost(string, optional, tag = "2")]
    pub nm_host_addr: Option<String>,
    /// `appSubmitter` in the .proto.
    #[prost(string, optional, tag = "3")]
    pub app_submitter: Option<String>,
    #[prost(message, optional, tag = "4")]
    pub resource: Option<ResourceProto>,
    /// `expiryTimeStamp`, ms.
    #[prost(int64, optional, tag = "5")]
    pub expiry_time_stamp: Option<i64>,
    /// `masterKeyId` in the .proto.
    #[prost(int32, optional, tag = "6", default = "-1")]
    pub master_key_id: Option<i32>,
    /// `rmIdentifier`: the RM's start time.
    #[prost(int64, optional, tag = "7")]
    pub rm_identifier: Option<i64>,
    #[prost(message, optional, tag = "8")]
    pub priority: Option<PriorityProto>,
    /// `creationTime`, ms.
    #[prost(int64, optional, tag = "9")]
    pub creation_time: Option<i64>,
    /// `logAggregationContext` in the .proto.
    #[prost(message, optional, tag = "10")]
    pub log_aggregation_context: Option<LogAggregationContextProto>,
    /// `nodeLabelExpression` in the .proto.
    #[prost(string, optional, tag = "11")]
    pub node_label_expression: Option<String>,
    /// `containerType` in the .proto.
    #[prost(enumeration = "ContainerTypeProto", optional, tag = "12")]
    pub container_type: Option<i32>,
    /// `executionType` in the .proto.
    #[prost(
        enumeration = "ExecutionTypeProto",
        optional,
        tag = "13",
        default = "Guaranteed"
    )]
    pub execution_type: Option<i32>,
    #[prost(int32, optional, tag = "14", default = "0")]
    pub version: Option<i32>,
    #[prost(int64, optional, tag = "15", default = "-1")]
    pub allocation_request_id: Option<i64>,
    #[prost(string, repeated, tag = "16")]
    pub allocation_tags: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ClientToAMTokenIdentifierProto {
    /// `appAttemptId` in the .proto.
    #[prost(message, optional, tag = "1")]
    pub app_attempt_id: Option<ApplicationAttemptIdProto>,
    /// `clientName` in the .proto.
    #[prost(string, optional, tag = "2")]
    pub client_name: Option<String>,
}
