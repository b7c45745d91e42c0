//! Messages of Hadoop's `hadoop.common` package that the IPC layer and the token code need:
//! `RpcHeader.proto` (request/response headers, SASL), `IpcConnectionContext.proto`,
//! `ProtobufRpcEngine2.proto` (`RequestHeaderProto`) and `Security.proto` (tokens,
//! credentials).
//!
//! Written by hand with prost's derive macros, field numbers and wire types as in Hadoop 3.4.1
//! (yarn-protocol.md §1.6). proto2 semantics: `optional` fields are `Option<T>` and are encoded
//! only when set; `required` fields are plain values and are **always** encoded (Hadoop's
//! parser rejects a message that lacks one). Nested proto types live in snake_case modules
//! named after their parent message, like prost-build would generate them.
//!
//! Varint flavours that matter on the wire:
//!
//! | field | type | why it matters |
//! |---|---|---|
//! | `RpcRequestHeaderProto.callId`, `.retryCount` | `sint32` | zigzag: -3 → `05`, -33 → `41` |
//! | `RpcResponseHeaderProto.callId` | `uint32` | -33 arrives as 4294967263 (`df ff ff ff 0f`) |
//! | `RpcResponseHeaderProto.retryCount` | `sint32` | zigzag |

/// Which RPC engine serialised the request; YARN always uses `RpcProtocolBuffer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum RpcKindProto {
    RpcBuiltin = 0,
    RpcWritable = 1,
    RpcProtocolBuffer = 2,
}

/// Tracing information (`RPCTraceInfoProto`); never sent by weir, decoded when present.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcTraceInfoProto {
    #[prost(int64, optional, tag = "1")]
    pub trace_id: Option<i64>,
    #[prost(int64, optional, tag = "2")]
    pub parent_id: Option<i64>,
    #[prost(bytes = "vec", optional, tag = "3")]
    pub span_context: Option<Vec<u8>>,
}

/// Caller context for the server's audit log (`RPCCallerContextProto`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcCallerContextProto {
    #[prost(string, required, tag = "1")]
    pub context: String,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub signature: Option<Vec<u8>>,
}

/// The header in front of every client → server message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcRequestHeaderProto {
    #[prost(enumeration = "RpcKindProto", optional, tag = "1")]
    pub rpc_kind: Option<i32>,
    #[prost(
        enumeration = "rpc_request_header_proto::OperationProto",
        optional,
        tag = "2"
    )]
    pub rpc_op: Option<i32>,
    /// sint32: 0, 1, 2, … for calls; -3 context, -4 ping, -33 SASL.
    #[prost(sint32, required, tag = "3")]
    pub call_id: i32,
    /// 16 random bytes per client for calls and the context; empty for SASL messages.
    #[prost(bytes = "vec", required, tag = "4")]
    pub client_id: Vec<u8>,
    /// sint32, default -1: 0 on a first attempt, -1 for context, SASL and ping.
    #[prost(sint32, optional, tag = "5", default = "-1")]
    pub retry_count: Option<i32>,
    #[prost(message, optional, tag = "6")]
    pub trace_info: Option<RpcTraceInfoProto>,
    #[prost(message, optional, tag = "7")]
    pub caller_context: Option<RpcCallerContextProto>,
    #[prost(int64, optional, tag = "8")]
    pub state_id: Option<i64>,
    #[prost(bytes = "vec", optional, tag = "9")]
    pub router_federated_state: Option<Vec<u8>>,
}

/// Nested types of [`RpcRequestHeaderProto`].
pub mod rpc_request_header_proto {
    /// `RPC_FINAL_PACKET` is the only operation a Hadoop server accepts.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum OperationProto {
        RpcFinalPacket = 0,
        RpcContinuationPacket = 1,
        RpcCloseConnection = 2,
    }

    impl OperationProto {
        /// The proto enum value name, as Java prints it.
        pub fn as_str_name(self) -> &'static str {
            match self {
                OperationProto::RpcFinalPacket => "RPC_FINAL_PACKET",
                OperationProto::RpcContinuationPacket => "RPC_CONTINUATION_PACKET",
                OperationProto::RpcCloseConnection => "RPC_CLOSE_CONNECTION",
            }
        }
    }
}

/// The header in front of every server → client message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcResponseHeaderProto {
    /// uint32 on the wire: negative call ids arrive as 2^32 - n; cast to `i32` to compare.
    #[prost(uint32, required, tag = "1")]
    pub call_id: u32,
    #[prost(
        enumeration = "rpc_response_header_proto::RpcStatusProto",
        required,
        tag = "2"
    )]
    pub status: i32,
    #[prost(uint32, optional, tag = "3")]
    pub server_ipc_version_num: Option<u32>,
    #[prost(string, optional, tag = "4")]
    pub exception_class_name: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub error_msg: Option<String>,
    #[prost(
        enumeration = "rpc_response_header_proto::RpcErrorCodeProto",
        optional,
        tag = "6"
    )]
    pub error_detail: Option<i32>,
    #[prost(bytes = "vec", optional, tag = "7")]
    pub client_id: Option<Vec<u8>>,
    #[prost(sint32, optional, tag = "8", default = "-1")]
    pub retry_count: Option<i32>,
    #[prost(int64, optional, tag = "9")]
    pub state_id: Option<i64>,
    #[prost(bytes = "vec", optional, tag = "10")]
    pub router_federated_state: Option<Vec<u8>>,
}

/// Nested types of [`RpcResponseHeaderProto`].
pub mod rpc_response_header_proto {
    /// `ERROR`: the call failed, the connection stays usable. `FATAL`: the server closes the
    /// connection after this response.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum RpcStatusProto {
        Success = 0,
        Error = 1,
        Fatal = 2,
    }

    /// Why a call or connection failed; 1–6 come with `ERROR`, 10–15 with `FATAL`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum RpcErrorCodeProto {
        ErrorApplication = 1,
        ErrorNoSuchMethod = 2,
        ErrorNoSuchProtocol = 3,
        ErrorRpcServer = 4,
        ErrorSerializingResponse = 5,
        ErrorRpcVersionMismatch = 6,
        FatalUnknown = 10,
        FatalUnsupportedSerialization = 11,
        FatalInvalidRpcHeader = 12,
        FatalDeserializingRequest = 13,
        FatalVersionMismatch = 14,
        FatalUnauthorized = 15,
    }
}

/// One SASL step, carried with call id -33 in both directions.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcSaslProto {
    #[prost(uint32, optional, tag = "1")]
    pub version: Option<u32>,
    #[prost(enumeration = "rpc_sasl_proto::SaslState", required, tag = "2")]
    pub state: i32,
    #[prost(bytes = "vec", optional, tag = "3")]
    pub token: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "4")]
    pub auths: Vec<rpc_sasl_proto::SaslAuth>,
}

/// Nested types of [`RpcSaslProto`].
pub mod rpc_sasl_proto {
    /// The SASL exchange state.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum SaslState {
        Success = 0,
        Negotiate = 1,
        Initiate = 2,
        Challenge = 3,
        Response = 4,
        Wrap = 5,
    }

    impl SaslState {
        /// The proto enum value name, as Java prints it.
        pub fn as_str_name(self) -> &'static str {
            match self {
                SaslState::Success => "SUCCESS",
                SaslState::Negotiate => "NEGOTIATE",
                SaslState::Initiate => "INITIATE",
                SaslState::Challenge => "CHALLENGE",
                SaslState::Response => "RESPONSE",
                SaslState::Wrap => "WRAP",
            }
        }
    }

    /// One authentication method a server offers (`NEGOTIATE`) or a client picks (`INITIATE`,
    /// with `challenge` cleared).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SaslAuth {
        /// `SIMPLE`, `KERBEROS` or `TOKEN`.
        #[prost(string, required, tag = "1")]
        pub method: String,
        /// Empty for SIMPLE, `GSSAPI`, `DIGEST-MD5`.
        #[prost(string, required, tag = "2")]
        pub mechanism: String,
        #[prost(string, optional, tag = "3")]
        pub protocol: Option<String>,
        #[prost(string, optional, tag = "4")]
        pub server_id: Option<String>,
        #[prost(bytes = "vec", optional, tag = "5")]
        pub challenge: Option<Vec<u8>>,
    }
}

/// The user a connection acts for.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UserInformationProto {
    #[prost(string, optional, tag = "1")]
    pub effective_user: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub real_user: Option<String>,
}

/// Sent once per connection with call id -3, after SASL (if any) and before the first call.
#[derive(Clone, PartialEq, prost::Message)]
pub struct IpcConnectionContextProto {
    /// Effective user for SIMPLE; left empty for TOKEN (the server takes the token's user).
    #[prost(message, optional, tag = "2")]
    pub user_info: Option<UserInformationProto>,
    /// The PB protocol name, e.g. `org.apache.hadoop.yarn.api.ApplicationClientProtocolPB`.
    #[prost(string, optional, tag = "3")]
    pub protocol: Option<String>,
}

/// Names the method of a call; follows the `RpcRequestHeaderProto` in a call frame.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RequestHeaderProto {
    #[prost(string, required, tag = "1")]
    pub method_name: String,
    #[prost(string, required, tag = "2")]
    pub declaring_class_protocol_name: String,
    #[prost(uint64, required, tag = "3")]
    pub client_protocol_version: u64,
}

/// A Hadoop token (`Security.proto`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TokenProto {
    #[prost(bytes = "vec", required, tag = "1")]
    pub identifier: Vec<u8>,
    #[prost(bytes = "vec", required, tag = "2")]
    pub password: Vec<u8>,
    #[prost(string, required, tag = "3")]
    pub kind: String,
    #[prost(string, required, tag = "4")]
    pub service: String,
}

/// One alias → token or alias → secret entry of [`CredentialsProto`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct CredentialsKvProto {
    #[prost(string, required, tag = "1")]
    pub alias: String,
    #[prost(message, optional, tag = "2")]
    pub token: Option<TokenProto>,
    #[prost(bytes = "vec", optional, tag = "3")]
    pub secret: Option<Vec<u8>>,
}

/// Hadoop's name for [`CredentialsKvProto`] (prost-build would spell it `CredentialsKvProto`).
pub type CredentialsKVProto = CredentialsKvProto;

/// The protobuf ("format 1") body of a credentials file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CredentialsProto {
    #[prost(message, repeated, tag = "1")]
    pub tokens: Vec<CredentialsKvProto>,
    #[prost(message, repeated, tag = "2")]
    pub secrets: Vec<CredentialsKvProto>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn request_header_uses_zigzag_and_always_encodes_required_fields() {
        let header = RpcRequestHeaderProto {
            rpc_kind: Some(RpcKindProto::RpcProtocolBuffer as i32),
            rpc_op: Some(rpc_request_header_proto::OperationProto::RpcFinalPacket as i32),
            call_id: -33,
            client_id: Vec::new(),
            retry_count: Some(-1),
            ..Default::default()
        };
        assert_eq!(
            header.encode_to_vec(),
            [0x08, 0x02, 0x10, 0x00, 0x18, 0x41, 0x22, 0x00, 0x28, 0x01]
        );
        let zero = RpcRequestHeaderProto {
            call_id: 0,
            ..Default::default()
        };
        // callId 0 and the empty clientId are required, so they are on the wire.
        assert_eq!(zero.encode_to_vec(), [0x18, 0x00, 0x22, 0x00]);
        assert_eq!(zero.retry_count(), -1);
    }

    #[test]
    fn response_call_id_is_unsigned_on_the_wire() {
        let header = RpcResponseHeaderProto {
            call_id: (-33i32) as u32,
            status: rpc_response_header_proto::RpcStatusProto::Success as i32,
            ..Default::default()
        };
        let bytes = header.encode_to_vec();
        assert_eq!(bytes, [0x08, 0xdf, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x00]);
        let decoded = RpcResponseHeaderProto::decode(bytes.as_slice()).unwrap();
        assert_eq!(decoded.call_id as i32, -33);
    }

    #[test]
    fn sasl_auth_and_token_round_trip() {
        let message = RpcSaslProto {
            version: None,
            state: rpc_sasl_proto::SaslState::Negotiate as i32,
            token: None,
            auths: vec![rpc_sasl_proto::SaslAuth {
                method: "TOKEN".into(),
                mechanism: "DIGEST-MD5".into(),
                protocol: Some(String::new()),
                server_id: Some("default".into()),
                challenge: Some(b"realm=\"default\"".to_vec()),
            }],
        };
        let decoded = RpcSaslProto::decode(message.encode_to_vec().as_slice()).unwrap();
        assert_eq!(decoded, message);
        let token = TokenProto {
            identifier: vec![1, 2],
            password: vec![3],
            kind: "YARN_AM_RM_TOKEN".into(),
            service: String::new(),
        };
        // Required empty `service` is still encoded (tag 4, length 0).
        assert!(token.encode_to_vec().ends_with(&[0x22, 0x00]));
    }
}
