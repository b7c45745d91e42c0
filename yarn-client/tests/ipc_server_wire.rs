//! IpcServer driven byte by byte: protocol violations get Hadoop's FATAL responses and a
//! closed connection, never a panic; odd but legal input (pings, split writes) works.

mod ipc_support;

use std::sync::Arc;

use bytes::Bytes;
use ipc_support::*;
use weir_yarn::ipc::frame::{
    AuthProtocol, FrameBuilder, INVALID_RETRY_COUNT, YARN_PROTOCOL_VERSION, preamble,
    request_header,
};
use weir_yarn::ipc::{
    APPLICATION_CLIENT_PROTOCOL, APPLICATION_MASTER_PROTOCOL, Caller, IpcServer, RemoteException,
    RpcService, ServerAuth,
};
use weir_yarn::proto::hadoop_common::{
    IpcConnectionContextProto, RequestHeaderProto, RpcRequestHeaderProto, UserInformationProto,
};

const CLIENT_ID: [u8; 16] = [9; 16];

fn context(user: Option<&str>) -> Bytes {
    FrameBuilder::new()
        .message(&request_header(-3, &CLIENT_ID, INVALID_RETRY_COUNT))
        .message(&IpcConnectionContextProto {
            user_info: Some(UserInformationProto {
                effective_user: user.map(str::to_string),
                real_user: None,
            }),
            protocol: Some(APPLICATION_CLIENT_PROTOCOL.to_string()),
        })
        .finish()
}

fn call(call_id: i32, method: &str, protocol: &str, text: &str) -> Bytes {
    FrameBuilder::new()
        .message(&request_header(call_id, &CLIENT_ID, 0))
        .message(&RequestHeaderProto {
            method_name: method.into(),
            declaring_class_protocol_name: protocol.into(),
            client_protocol_version: YARN_PROTOCOL_VERSION,
        })
        .message(&echo(text))
        .finish()
}

/// A SIMPLE connection of user alice, context sent.
async fn simple_session(server: &IpcServer) -> RawClient {
    let mut client = RawClient::connect(server.local_addr()).await;
    client.send_bytes(&preamble(AuthProtocol::None)).await;
    client.send_frame(context(Some("alice"))).await;
    client
}

#[tokio::test]
async fn a_successful_response_echoes_call_id_client_id_and_retry_count() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;
    let mut client = simple_session(&server).await;
    client
        .send_frame(call(41, "echo", APPLICATION_CLIENT_PROTOCOL, "x"))
        .await;
    let response = client.read_response().await.unwrap();
    assert_eq!(response.header.call_id, 41);
    assert_eq!(response.header.status, 0);
    assert_eq!(response.header.server_ipc_version_num, Some(9));
    assert_eq!(response.header.client_id.as_deref(), Some(&CLIENT_ID[..]));
    assert_eq!(response.header.retry_count, Some(0));
    assert_eq!(response.header.exception_class_name, None);
    let body: EchoResponseProto = response.message();
    assert_eq!(body.text.as_deref(), Some("x"));
    server.shutdown().await;
}

#[tokio::test]
async fn pings_are_ignored_and_split_writes_are_reassembled() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;
    let mut client = RawClient::connect(server.local_addr()).await;
    let mut bytes = preamble(AuthProtocol::None).to_vec();
    bytes.extend_from_slice(&context(Some("alice")));
    let ping = FrameBuilder::new()
        .message(&request_header(-4, &CLIENT_ID, INVALID_RETRY_COUNT))
        .finish();
    bytes.extend_from_slice(&ping);
    bytes.extend_from_slice(&call(0, "echo", APPLICATION_CLIENT_PROTOCOL, "split"));
    for byte in bytes {
        client.send_bytes(&[byte]).await;
    }
    let response = client.read_response().await.unwrap();
    assert_eq!(response.header.call_id, 0);
    let body: EchoResponseProto = response.message();
    assert_eq!(body.text.as_deref(), Some("split"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_header_naming_another_protocol_is_an_error_not_fatal() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;
    let mut client = simple_session(&server).await;
    client
        .send_frame(call(1, "echo", APPLICATION_MASTER_PROTOCOL, "x"))
        .await;
    let response = client.read_response().await.unwrap();
    assert_eq!(response.header.status, 1);
    assert_eq!(response.header.error_detail, Some(3)); // ERROR_NO_SUCH_PROTOCOL
    assert_eq!(
        response.header.exception_class_name.as_deref(),
        Some("org.apache.hadoop.ipc.RpcNoSuchProtocolException")
    );
    assert!(response.rest.is_empty());
    client
        .send_frame(call(2, "echo", APPLICATION_CLIENT_PROTOCOL, "y"))
        .await;
    let response = client.read_response().await.unwrap();
    assert_eq!((response.header.call_id, response.header.status), (2, 0));
    server.shutdown().await;
}

#[tokio::test]
async fn application_errors_carry_class_message_and_error_application() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;
    let mut client = simple_session(&server).await;
    client
        .send_frame(call(5, "fail", APPLICATION_CLIENT_PROTOCOL, "app_1"))
        .await;
    let response = client.read_response().await.unwrap();
    assert_eq!(response.header.call_id, 5);
    assert_eq!(response.header.status, 1);
    assert_eq!(response.header.error_detail, Some(1)); // ERROR_APPLICATION
    assert_eq!(
        response.header.exception_class_name.as_deref(),
        Some(APPLICATION_NOT_FOUND)
    );
    assert_eq!(
        response.header.error_msg.as_deref(),
        Some("Application with id 'app_1' doesn't exist in RM.")
    );
    assert_eq!(response.header.client_id.as_deref(), Some(&CLIENT_ID[..]));
    server.shutdown().await;
}

#[tokio::test]
async fn bad_preambles_close_the_connection() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;

    let mut wrong_magic = RawClient::connect(server.local_addr()).await;
    wrong_magic.send_bytes(b"hrpX\x09\x00\x00").await;
    wrong_magic.expect_closed().await;

    let mut old_version = RawClient::connect(server.local_addr()).await;
    old_version.send_bytes(b"hrpc\x08\x00\x00").await;
    old_version.expect_closed().await;

    let mut newer_version = RawClient::connect(server.local_addr()).await;
    newer_version.send_bytes(b"hrpc\x0a\x00\x00").await;
    let (class_name, message) = expect_fatal(&mut newer_version).await;
    assert_eq!(class_name, "org.apache.hadoop.ipc.RPC$VersionMismatch");
    assert_eq!(
        message,
        "Server IPC version 9 cannot communicate with client version 10"
    );

    let mut unknown_auth = RawClient::connect(server.local_addr()).await;
    unknown_auth.send_bytes(b"hrpc\x09\x00\x51").await;
    let (class_name, message) = expect_fatal(&mut unknown_auth).await;
    assert_eq!(class_name, "org.apache.hadoop.ipc.IpcException");
    assert_eq!(message, "Unknown auth protocol:81");

    let mut http = RawClient::connect(server.local_addr()).await;
    http.send_bytes(b"GET / HTTP/1.1\r\n\r\n").await;
    let mut reply = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut http.stream, &mut reply)
        .await
        .unwrap();
    assert!(reply.starts_with("HTTP/1.1 404"), "{reply}");
    server.shutdown().await;
}

/// Every malformed or out-of-order message: FATAL with the message Hadoop uses, then closed.
#[tokio::test]
async fn protocol_violations_get_a_fatal_response_and_a_closed_connection() {
    let (server, service) = start_server(ServerAuth::SimpleOrToken).await;
    let header = |call_id: i32| request_header(call_id, &CLIENT_ID, INVALID_RETRY_COUNT);
    let no_op = RpcRequestHeaderProto {
        rpc_op: None,
        ..header(0)
    };
    let close_op = RpcRequestHeaderProto {
        rpc_op: Some(2),
        ..header(0)
    };
    let no_kind = RpcRequestHeaderProto {
        rpc_kind: None,
        ..header(0)
    };
    let writable_kind = RpcRequestHeaderProto {
        rpc_kind: Some(1),
        ..header(0)
    };
    let mut body_too_short = call(3, "echo", APPLICATION_CLIENT_PROTOCOL, "abc").to_vec();
    body_too_short.truncate(body_too_short.len() - 2);
    let shortened = u32::try_from(body_too_short.len() - 4)
        .unwrap()
        .to_be_bytes();
    body_too_short[..4].copy_from_slice(&shortened);

    // (preamble auth, frames after the context (None = no context), expected class, message)
    let cases: Vec<(AuthProtocol, bool, Vec<Bytes>, &str, &str)> = vec![
        (
            AuthProtocol::None,
            false,
            vec![Bytes::from_static(&[0, 0, 0, 3, 0x02, 0xff, 0xff])],
            "org.apache.hadoop.ipc.RpcServerException",
            "Error decoding RpcRequestHeaderProto",
        ),
        (
            AuthProtocol::None,
            false,
            vec![call(0, "echo", APPLICATION_CLIENT_PROTOCOL, "x")],
            "org.apache.hadoop.ipc.RpcServerException",
            "Connection context not established",
        ),
        (
            AuthProtocol::None,
            true,
            vec![FrameBuilder::new().message(&header(-7)).finish()],
            "org.apache.hadoop.ipc.RpcServerException",
            "Unknown out of band call #-7",
        ),
        (
            AuthProtocol::None,
            true,
            vec![FrameBuilder::new().message(&no_op).finish()],
            "org.apache.hadoop.ipc.RpcServerException",
            "No rpc op in rpcRequestHeader",
        ),
        (
            AuthProtocol::None,
            true,
            vec![FrameBuilder::new().message(&close_op).finish()],
            "org.apache.hadoop.ipc.RpcServerException",
            "IPC Server does not implement rpc header operationRPC_CLOSE_CONNECTION",
        ),
        (
            AuthProtocol::None,
            true,
            vec![FrameBuilder::new().message(&no_kind).finish()],
            "org.apache.hadoop.ipc.RpcServerException",
            "No rpc kind in rpcRequestHeader",
        ),
        (
            AuthProtocol::None,
            true,
            vec![FrameBuilder::new().message(&writable_kind).finish()],
            "org.apache.hadoop.ipc.RpcServerException",
            "Unknown rpc kind in rpc header1",
        ),
        (
            AuthProtocol::None,
            true,
            vec![Bytes::from(body_too_short)],
            "org.apache.hadoop.ipc.RpcServerException",
            "IPC server unable to read call parameters",
        ),
        (
            AuthProtocol::None,
            true,
            vec![context(Some("alice"))],
            "org.apache.hadoop.ipc.RpcServerException",
            "Connection context already processed",
        ),
        (
            AuthProtocol::None,
            false,
            vec![context(None)],
            "org.apache.hadoop.security.AccessControlException",
            "SIMPLE authentication needs an effective user",
        ),
        (
            AuthProtocol::None,
            true,
            vec![
                FrameBuilder::new()
                    .message(&request_header(-33, &[], INVALID_RETRY_COUNT))
                    .message(&weir_yarn::proto::hadoop_common::RpcSaslProto {
                        state: 1,
                        ..Default::default()
                    })
                    .finish(),
            ],
            "org.apache.hadoop.ipc.RpcServerException",
            "SASL protocol not requested by client",
        ),
        (
            AuthProtocol::Sasl,
            false,
            vec![context(Some("alice"))],
            "org.apache.hadoop.ipc.RpcServerException",
            "Connection header sent during SASL negotiation",
        ),
        (
            AuthProtocol::Sasl,
            false,
            vec![
                FrameBuilder::new()
                    .message(&request_header(-33, &[], INVALID_RETRY_COUNT))
                    .encoded_message(&[0xff, 0xff])
                    .finish(),
            ],
            "org.apache.hadoop.ipc.RpcServerException",
            "Error decoding RpcSaslProto",
        ),
    ];
    for (auth, send_context, frames, expected_class, expected_message) in cases {
        let mut client = RawClient::connect(server.local_addr()).await;
        client.send_bytes(&preamble(auth)).await;
        if send_context {
            client.send_frame(context(Some("alice"))).await;
        }
        for frame in frames {
            client.send_frame(frame).await;
        }
        let (class_name, message) = expect_fatal(&mut client).await;
        assert_eq!(class_name, expected_class, "{expected_message}");
        assert!(
            message.contains(expected_message),
            "expected '{expected_message}', got '{message}'"
        );
    }
    assert_eq!(service.calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn an_oversized_frame_closes_the_connection() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;
    let mut client = simple_session(&server).await;
    client.send_bytes(&[0x7f, 0xff, 0xff, 0xff]).await;
    client.expect_closed().await;
    // The server keeps serving others.
    let mut other = simple_session(&server).await;
    other
        .send_frame(call(0, "echo", APPLICATION_CLIENT_PROTOCOL, "ok"))
        .await;
    assert_eq!(other.read_response().await.unwrap().header.status, 0);
    server.shutdown().await;
}

struct PanickingService;

impl RpcService for PanickingService {
    fn protocol(&self) -> &'static str {
        APPLICATION_CLIENT_PROTOCOL
    }

    fn call(&self, _: &Caller, method: &str, request: &[u8]) -> Result<Vec<u8>, RemoteException> {
        if method == "panic" {
            panic!("handler bug");
        }
        Ok(request.to_vec())
    }
}

#[tokio::test]
async fn a_panicking_handler_fails_only_its_call() {
    let server = IpcServer::bind(
        "127.0.0.1:0",
        Arc::new(PanickingService),
        ServerAuth::SimpleOnly,
        None,
    )
    .await
    .unwrap();
    let mut client = simple_session(&server).await;
    client
        .send_frame(call(0, "panic", APPLICATION_CLIENT_PROTOCOL, "x"))
        .await;
    let response = client.read_response().await.unwrap();
    assert_eq!(response.header.status, 1);
    assert!(
        response
            .header
            .error_msg
            .unwrap()
            .contains("handler panicked")
    );
    client
        .send_frame(call(1, "echo", APPLICATION_CLIENT_PROTOCOL, "after"))
        .await;
    let response = client.read_response().await.unwrap();
    assert_eq!(response.header.status, 0);
    let echoed: EchoRequestProto = response.message();
    assert_eq!(echoed.text.as_deref(), Some("after"));
    server.shutdown().await;
}

#[tokio::test]
async fn binding_a_token_server_without_a_verifier_is_an_error() {
    let err = IpcServer::bind(
        "127.0.0.1:0",
        Arc::new(PanickingService),
        ServerAuth::TokenOnly,
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("TokenVerifier"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let err = IpcServer::bind(
        &address,
        Arc::new(PanickingService),
        ServerAuth::SimpleOnly,
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains(&address), "{err}");
}
