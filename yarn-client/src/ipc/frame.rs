//! Hadoop IPC framing (IPC version 9, `ProtobufRpcEngine2`): the connection preamble, length
//! frames, and the protobuf messages inside a frame.
//!
//! ```text
//! preamble, once per connection, client → server (7 bytes):
//!   68 72 70 63 | 09      | 00            | 00 (NONE = SIMPLE) or DF (SASL)
//!   "hrpc"        version   service class   auth protocol
//!
//! every message after it, both directions:
//!   u32 BE length | varint len, message | varint len, message | …
//!                   └──────────── `length` bytes ─────────────┘
//!
//! client → server: RpcRequestHeaderProto, then one of
//!                    IpcConnectionContextProto (call id -3) | RpcSaslProto (call id -33)
//!                    | RequestHeaderProto + request body (call id ≥ 0) | nothing (ping, -4)
//! server → client: RpcResponseHeaderProto, then the response body (SUCCESS of a call) or an
//!                    RpcSaslProto (SASL reply); nothing for ERROR and FATAL
//! ```
//!
//! Every message in a frame is length-delimited, including an empty request body, which is the
//! single byte `00`. Frames larger than [`MAX_FRAME_BYTES`] (Hadoop's `ipc.maximum.data.length`
//! default, 128 MiB) are refused with an error before any allocation.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use prost::Message;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::YarnError;
use crate::proto::hadoop_common::rpc_request_header_proto::OperationProto;
use crate::proto::hadoop_common::{RpcKindProto, RpcRequestHeaderProto};

/// The four magic bytes that open every connection.
pub const RPC_MAGIC: [u8; 4] = *b"hrpc";
/// The only IPC protocol version Hadoop 2.x and 3.x speak.
pub const IPC_VERSION: u8 = 9;
/// Service class 0, the default (Hadoop uses others only for HDFS QoS).
pub const DEFAULT_SERVICE_CLASS: u8 = 0;
/// Largest frame payload accepted from a peer (Hadoop's `ipc.maximum.data.length` default).
pub const MAX_FRAME_BYTES: usize = 128 * 1024 * 1024;

/// Call id of the connection context (`IpcConnectionContextProto`); the server never replies.
pub const CONNECTION_CONTEXT_CALL_ID: i32 = -3;
/// Call id of a ping (header only); the server never replies.
pub const PING_CALL_ID: i32 = -4;
/// Call id of every SASL message, in both directions.
pub const SASL_CALL_ID: i32 = -33;
/// Call id the server uses for a FATAL response to a connection it refuses before any call.
pub const AUTHORIZATION_FAILED_CALL_ID: i32 = -1;
/// Retry count of messages that are not calls (context, SASL, ping).
pub const INVALID_RETRY_COUNT: i32 = -1;
/// `clientProtocolVersion` of the three YARN protocols.
pub const YARN_PROTOCOL_VERSION: u64 = 1;

/// The last byte of the preamble: how the connection authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthProtocol {
    /// `00`: SIMPLE, no SASL; the user name travels in the connection context.
    None,
    /// `DF` (-33): SASL negotiation with call id -33 before the connection context.
    Sasl,
}

impl AuthProtocol {
    /// The preamble byte.
    pub fn byte(self) -> u8 {
        match self {
            AuthProtocol::None => 0x00,
            AuthProtocol::Sasl => 0xDF,
        }
    }

    /// The protocol of a preamble byte, `None` for an unknown byte.
    pub fn from_byte(byte: u8) -> Option<AuthProtocol> {
        match byte {
            0x00 => Some(AuthProtocol::None),
            0xDF => Some(AuthProtocol::Sasl),
            _ => None,
        }
    }
}

/// The 7-byte connection preamble.
pub fn preamble(auth: AuthProtocol) -> [u8; 7] {
    let [m0, m1, m2, m3] = RPC_MAGIC;
    [
        m0,
        m1,
        m2,
        m3,
        IPC_VERSION,
        DEFAULT_SERVICE_CLASS,
        auth.byte(),
    ]
}

/// A request header as the Java client builds it: protocol-buffer kind, final packet.
pub fn request_header(call_id: i32, client_id: &[u8], retry_count: i32) -> RpcRequestHeaderProto {
    RpcRequestHeaderProto {
        rpc_kind: Some(RpcKindProto::RpcProtocolBuffer as i32),
        rpc_op: Some(OperationProto::RpcFinalPacket as i32),
        call_id,
        client_id: client_id.to_vec(),
        retry_count: Some(retry_count),
        ..Default::default()
    }
}

/// Builds one frame: a 4-byte length placeholder, then length-delimited messages; `finish`
/// writes the length.
#[derive(Debug)]
pub struct FrameBuilder {
    buf: BytesMut,
}

impl Default for FrameBuilder {
    fn default() -> Self {
        FrameBuilder::new()
    }
}

impl FrameBuilder {
    /// An empty frame.
    pub fn new() -> FrameBuilder {
        let mut buf = BytesMut::with_capacity(128);
        buf.put_u32(0);
        FrameBuilder { buf }
    }

    /// Appends `message` with its varint length prefix.
    pub fn message<M: Message>(mut self, message: &M) -> FrameBuilder {
        let length = message.encoded_len();
        self.buf
            .reserve(prost::length_delimiter_len(length) + length);
        // Encoding into a BytesMut with the space reserved cannot fail.
        let _ = message.encode_length_delimited(&mut self.buf);
        self
    }

    /// Appends an already encoded message with its varint length prefix.
    pub fn encoded_message(mut self, encoded: &[u8]) -> FrameBuilder {
        let _ = prost::encode_length_delimiter(encoded.len(), &mut self.buf);
        self.buf.put_slice(encoded);
        self
    }

    /// The frame bytes with the length filled in.
    ///
    /// Frames we build carry headers and one message, far below 4 GiB; a larger payload is a
    /// caller bug and is cut off at `u32::MAX` by the peer's length check anyway.
    pub fn finish(mut self) -> Bytes {
        let payload_bytes = u32::try_from(self.buf.len() - 4).unwrap_or(u32::MAX);
        self.buf[..4].copy_from_slice(&payload_bytes.to_be_bytes());
        self.buf.freeze()
    }
}

/// Reads one frame payload (without its 4-byte length). `Ok(None)` means the peer closed the
/// stream cleanly between frames.
///
/// Errors: a length above `max_frame_bytes` ([`YarnError::IpcProtocol`], nothing is
/// allocated), a stream that ends inside a frame, or an I/O error
/// ([`YarnError::ConnectionClosed`]). `peer` names the other side in the error.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    max_frame_bytes: usize,
    peer: &str,
) -> Result<Option<Bytes>, YarnError> {
    let mut length_bytes = [0u8; 4];
    let mut filled = 0;
    while filled < length_bytes.len() {
        let n = reader
            .read(&mut length_bytes[filled..])
            .await
            .map_err(|e| io_closed(peer, &e))?;
        if n == 0 {
            if filled == 0 {
                return Ok(None);
            }
            return Err(YarnError::ConnectionClosed {
                address: peer.to_string(),
                reason: format!("stream ended inside a frame length ({filled} of 4 bytes)"),
            });
        }
        filled += n;
    }
    let length = u32::from_be_bytes(length_bytes) as usize;
    if length > max_frame_bytes {
        return Err(YarnError::IpcProtocol {
            address: peer.to_string(),
            detail: format!(
                "frame of {length} bytes exceeds the maximum of {max_frame_bytes} bytes \
                 (Hadoop's ipc.maximum.data.length)"
            ),
        });
    }
    let mut payload = BytesMut::zeroed(length);
    reader
        .read_exact(&mut payload)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => YarnError::ConnectionClosed {
                address: peer.to_string(),
                reason: format!("stream ended inside a frame of {length} bytes"),
            },
            _ => io_closed(peer, &e),
        })?;
    Ok(Some(payload.freeze()))
}

fn io_closed(peer: &str, error: &std::io::Error) -> YarnError {
    YarnError::ConnectionClosed {
        address: peer.to_string(),
        reason: error.to_string(),
    }
}

/// A cursor over the length-delimited messages of one frame payload.
#[derive(Debug)]
pub struct FramePayload<'a> {
    bytes: Bytes,
    peer: &'a str,
}

impl<'a> FramePayload<'a> {
    /// A cursor at the start of `payload`, received from `peer` (named in errors).
    pub fn new(payload: Bytes, peer: &'a str) -> FramePayload<'a> {
        FramePayload {
            bytes: payload,
            peer,
        }
    }

    /// Decodes the next length-delimited message; `what` names it in errors.
    pub fn next_message<M: Message + Default>(&mut self, what: &str) -> Result<M, YarnError> {
        let encoded = self.next_encoded(what)?;
        M::decode(encoded).map_err(|e| self.malformed(format!("cannot decode {what}: {e}")))
    }

    /// The next length-delimited message, still encoded.
    pub fn next_encoded(&mut self, what: &str) -> Result<Bytes, YarnError> {
        if self.bytes.is_empty() {
            return Err(self.malformed(format!("frame ends before the {what}")));
        }
        let length = prost::decode_length_delimiter(&mut self.bytes)
            .map_err(|e| self.malformed(format!("bad length prefix of the {what}: {e}")))?;
        if length > self.bytes.remaining() {
            return Err(self.malformed(format!(
                "the {what} claims {length} bytes but the frame has {} left",
                self.bytes.remaining()
            )));
        }
        Ok(self.bytes.split_to(length))
    }

    /// The bytes not consumed yet.
    pub fn into_remaining(self) -> Bytes {
        self.bytes
    }

    /// Whether every byte of the frame has been consumed.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Fails unless the frame has been consumed completely (Hadoop rejects trailing bytes).
    pub fn expect_end(&self, after: &str) -> Result<(), YarnError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(self.malformed(format!(
                "{} unexpected bytes after the {after}",
                self.bytes.len()
            )))
        }
    }

    fn malformed(&self, detail: String) -> YarnError {
        YarnError::IpcProtocol {
            address: self.peer.to_string(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::APPLICATION_CLIENT_PROTOCOL;
    use crate::proto::hadoop_common::{
        IpcConnectionContextProto, RequestHeaderProto, RpcSaslProto, UserInformationProto,
        rpc_sasl_proto::SaslState,
    };

    fn client_id() -> Vec<u8> {
        (0u8..16).collect()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// yarn-protocol.md §1.7, byte for byte.
    #[test]
    fn golden_preamble_and_context_frame_of_user_alice() {
        assert_eq!(
            preamble(AuthProtocol::None),
            [0x68, 0x72, 0x70, 0x63, 0x09, 0x00, 0x00]
        );
        assert_eq!(preamble(AuthProtocol::Sasl)[6], 0xDF);
        let frame = FrameBuilder::new()
            .message(&request_header(
                CONNECTION_CONTEXT_CALL_ID,
                &client_id(),
                INVALID_RETRY_COUNT,
            ))
            .message(&IpcConnectionContextProto {
                user_info: Some(UserInformationProto {
                    effective_user: Some("alice".into()),
                    real_user: None,
                }),
                protocol: Some(APPLICATION_CLIENT_PROTOCOL.into()),
            })
            .finish();
        let expected = format!(
            "0000005d\
             1a0802100018052210000102030405060708090a0b0c0d0e0f2801\
             411207\
             0a05616c696365\
             1a36{}",
            hex(APPLICATION_CLIENT_PROTOCOL.as_bytes())
        );
        assert_eq!(hex(&frame), expected);
    }

    #[test]
    fn golden_get_new_application_call_frame() {
        let frame = FrameBuilder::new()
            .message(&request_header(0, &client_id(), 0))
            .message(&RequestHeaderProto {
                method_name: "getNewApplication".into(),
                declaring_class_protocol_name: APPLICATION_CLIENT_PROTOCOL.into(),
                client_protocol_version: YARN_PROTOCOL_VERSION,
            })
            .encoded_message(&[])
            .finish();
        let expected = format!(
            "0000006a\
             1a0802100018002210000102030405060708090a0b0c0d0e0f2800\
             4d0a11{}1236{}1801\
             00",
            hex(b"getNewApplication"),
            hex(APPLICATION_CLIENT_PROTOCOL.as_bytes())
        );
        assert_eq!(hex(&frame), expected);
    }

    #[test]
    fn golden_sasl_negotiate_frame() {
        let frame = FrameBuilder::new()
            .message(&request_header(SASL_CALL_ID, &[], INVALID_RETRY_COUNT))
            .message(&RpcSaslProto {
                state: SaslState::Negotiate as i32,
                ..Default::default()
            })
            .finish();
        assert_eq!(
            hex(&frame),
            "0000000e0a0802100018412200280102 1001".replace(' ', "")
        );
    }

    #[tokio::test]
    async fn read_frame_round_trips_and_reports_clean_eof() {
        let frame = FrameBuilder::new()
            .message(&request_header(7, &client_id(), 0))
            .encoded_message(b"xyz")
            .finish();
        let mut input: &[u8] = &frame;
        let payload = read_frame(&mut input, MAX_FRAME_BYTES, "peer")
            .await
            .unwrap()
            .unwrap();
        let mut cursor = FramePayload::new(payload, "peer");
        let header: RpcRequestHeaderProto = cursor.next_message("header").unwrap();
        assert_eq!(header.call_id, 7);
        assert_eq!(&cursor.next_encoded("body").unwrap()[..], b"xyz");
        cursor.expect_end("body").unwrap();
        assert!(
            read_frame(&mut input, MAX_FRAME_BYTES, "peer")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn oversized_frame_is_an_error_not_an_allocation() {
        let mut input: &[u8] = &[0xff, 0xff, 0xff, 0xff];
        let err = read_frame(&mut input, MAX_FRAME_BYTES, "10.0.0.1:8032")
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("4294967295 bytes"), "{text}");
        assert!(text.contains("10.0.0.1:8032"), "{text}");
        let mut small: &[u8] = &[0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert!(read_frame(&mut small, 8, "peer").await.is_err());
    }

    #[tokio::test]
    async fn truncated_frames_are_errors() {
        let mut short_length: &[u8] = &[0, 0];
        let err = read_frame(&mut short_length, MAX_FRAME_BYTES, "peer")
            .await
            .unwrap_err();
        assert!(matches!(err, YarnError::ConnectionClosed { .. }), "{err}");
        let mut short_payload: &[u8] = &[0, 0, 0, 5, 1, 2];
        let err = read_frame(&mut short_payload, MAX_FRAME_BYTES, "peer")
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("inside a frame of 5 bytes"),
            "{err}"
        );
    }

    #[test]
    fn malformed_payloads_are_errors() {
        // A length prefix that claims more bytes than the frame holds.
        let mut cursor = FramePayload::new(Bytes::from_static(&[0x05, 0x01]), "peer");
        let err = cursor.next_encoded("header").unwrap_err();
        assert!(err.to_string().contains("claims 5 bytes"), "{err}");
        // A varint that never ends.
        let mut cursor = FramePayload::new(Bytes::from_static(&[0xff; 12]), "peer");
        assert!(cursor.next_encoded("header").is_err());
        // An empty frame has no header.
        let mut cursor = FramePayload::new(Bytes::new(), "peer");
        assert!(
            cursor
                .next_message::<RpcRequestHeaderProto>("header")
                .is_err()
        );
        // Garbage inside a well-delimited message.
        let mut cursor = FramePayload::new(Bytes::from_static(&[0x02, 0xff, 0xff]), "peer");
        assert!(
            cursor
                .next_message::<RpcRequestHeaderProto>("header")
                .is_err()
        );
        // Trailing bytes are reported.
        let cursor = FramePayload::new(Bytes::from_static(&[0x00]), "peer");
        assert!(cursor.expect_end("body").is_err());
    }
}
