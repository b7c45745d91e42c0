//! TOKEN authentication (SASL DIGEST-MD5) between IpcConnection and IpcServer, and the SASL
//! sequences Java clients send, driven by hand.

mod ipc_support;

use ipc_support::*;
use weir_yarn::YarnError;
use weir_yarn::ipc::digest_md5::DigestMd5Client;
use weir_yarn::ipc::frame::{
    AuthProtocol, FrameBuilder, INVALID_RETRY_COUNT, SASL_CALL_ID, YARN_PROTOCOL_VERSION, preamble,
    request_header,
};
use weir_yarn::ipc::sasl_client::simple_fallback_user;
use weir_yarn::ipc::{APPLICATION_CLIENT_PROTOCOL, ClientAuth, IpcConnection, ServerAuth};
use weir_yarn::proto::hadoop_common::rpc_sasl_proto::{SaslAuth, SaslState};
use weir_yarn::proto::hadoop_common::{
    IpcConnectionContextProto, RequestHeaderProto, RpcSaslProto, UserInformationProto,
};
use weir_yarn::token::Token;

#[tokio::test]
async fn token_authentication_succeeds_and_the_caller_is_the_tokens_user() {
    for auth in [ServerAuth::TokenOnly, ServerAuth::SimpleOrToken] {
        let (server, _) = start_server(auth).await;
        let connection = IpcConnection::connect(config(
            server.local_addr().to_string(),
            ClientAuth::Token(test_token()),
        ))
        .await
        .unwrap();
        let response: EchoResponseProto = connection.call("echo", &echo("hi")).await.unwrap();
        assert_eq!(response.user.as_deref(), Some(ATTEMPT_USER), "{auth:?}");
        assert_eq!(response.token_auth, Some(true), "{auth:?}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_wrong_token_password_is_rejected_with_the_servers_message() {
    let (server, service) = start_server(ServerAuth::TokenOnly).await;
    let token = Token {
        password: b"not the password".to_vec(),
        ..test_token()
    };
    let err = IpcConnection::connect(config(
        server.local_addr().to_string(),
        ClientAuth::Token(token),
    ))
    .await
    .unwrap_err();
    match &err {
        YarnError::ConnectionRejected {
            class_name,
            message,
            ..
        } => {
            assert_eq!(class_name, "javax.security.sasl.SaslException");
            assert_eq!(
                message,
                "DIGEST-MD5: digest response format violation. Mismatched response."
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("Mismatched response"), "{err}");
    assert_eq!(service.calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn an_unknown_token_is_rejected_as_invalid_token() {
    let (server, _) = start_server(ServerAuth::TokenOnly).await;
    let token = Token {
        identifier: b"some other attempt".to_vec(),
        ..test_token()
    };
    let err = IpcConnection::connect(config(
        server.local_addr().to_string(),
        ClientAuth::Token(token),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        err.remote_class(),
        Some("org.apache.hadoop.security.token.SecretManager$InvalidToken")
    );
    assert!(
        err.to_string()
            .contains("Invalid AMRMToken from appattempt_1700000000000_0001_000002"),
        "{err}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_token_client_falls_back_to_simple_on_a_simple_only_server() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;
    let connection = IpcConnection::connect(config(
        server.local_addr().to_string(),
        ClientAuth::Token(test_token()),
    ))
    .await
    .unwrap();
    let response: EchoResponseProto = connection.call("echo", &echo("hi")).await.unwrap();
    assert_eq!(response.user, Some(simple_fallback_user()));
    assert!(!simple_fallback_user().is_empty());
    assert_eq!(response.token_auth, Some(false));
    server.shutdown().await;
}

fn sasl_frame(message: &RpcSaslProto) -> bytes::Bytes {
    FrameBuilder::new()
        .message(&request_header(SASL_CALL_ID, &[], INVALID_RETRY_COUNT))
        .message(message)
        .finish()
}

fn context_frame(client_id: &[u8], user: Option<&str>) -> bytes::Bytes {
    FrameBuilder::new()
        .message(&request_header(-3, client_id, INVALID_RETRY_COUNT))
        .message(&IpcConnectionContextProto {
            user_info: Some(UserInformationProto {
                effective_user: user.map(str::to_string),
                real_user: None,
            }),
            protocol: Some(APPLICATION_CLIENT_PROTOCOL.to_string()),
        })
        .finish()
}

fn echo_call_frame(call_id: i32, client_id: &[u8], text: &str) -> bytes::Bytes {
    FrameBuilder::new()
        .message(&request_header(call_id, client_id, 0))
        .message(&RequestHeaderProto {
            method_name: "echo".into(),
            declaring_class_protocol_name: APPLICATION_CLIENT_PROTOCOL.into(),
            client_protocol_version: YARN_PROTOCOL_VERSION,
        })
        .message(&echo(text))
        .finish()
}

async fn negotiate(client: &mut RawClient) -> Vec<SaslAuth> {
    client.send_bytes(&preamble(AuthProtocol::Sasl)).await;
    client
        .send_frame(sasl_frame(&RpcSaslProto {
            state: SaslState::Negotiate as i32,
            ..Default::default()
        }))
        .await;
    let reply = client.read_response().await.expect("NEGOTIATE reply");
    assert_eq!(reply.status(), 0);
    // -33 travels as uint32.
    assert_eq!(reply.header.call_id, 4294967263);
    let message: RpcSaslProto = reply.message();
    assert_eq!(message.state, SaslState::Negotiate as i32);
    message.auths
}

/// A Java client with SIMPLE security that holds tokens opens with SASL and picks SIMPLE from
/// the list when it has no token for this server: no reply, then a SIMPLE context.
#[tokio::test]
async fn a_sasl_client_choosing_simple_gets_no_reply_and_continues_with_simple() {
    let (server, _) = start_server(ServerAuth::SimpleOrToken).await;
    let mut client = RawClient::connect(server.local_addr()).await;
    let auths = negotiate(&mut client).await;
    let methods: Vec<_> = auths.iter().map(|a| a.method.as_str()).collect();
    assert_eq!(methods, ["TOKEN", "SIMPLE"]);
    let simple = SaslAuth {
        challenge: None,
        ..auths[1].clone()
    };
    client
        .send_frame(sasl_frame(&RpcSaslProto {
            state: SaslState::Initiate as i32,
            auths: vec![simple],
            ..Default::default()
        }))
        .await;
    let client_id = [7u8; 16];
    client
        .send_frame(context_frame(&client_id, Some("bob")))
        .await;
    client.send_frame(echo_call_frame(0, &client_id, "x")).await;
    // The first thing back is the call's response: nothing was sent for INITIATE.
    let response = client.read_response().await.unwrap();
    assert_eq!(response.status(), 0);
    assert_eq!(response.header.call_id, 0);
    assert_eq!(response.header.client_id.as_deref(), Some(&client_id[..]));
    assert_eq!(response.header.retry_count, Some(0));
    let body: EchoResponseProto = response.message();
    assert_eq!(body.user.as_deref(), Some("bob"));
    server.shutdown().await;
}

/// The TOKEN exchange as Java runs it, then a context that claims another user: Hadoop
/// refuses a doAs with token authentication.
#[tokio::test]
async fn a_context_user_that_differs_from_the_token_user_is_rejected() {
    let (server, _) = start_server(ServerAuth::TokenOnly).await;
    let mut client = RawClient::connect(server.local_addr()).await;
    let auths = negotiate(&mut client).await;
    assert_eq!(auths.len(), 1);
    let token_auth = auths[0].clone();
    assert_eq!(token_auth.mechanism, "DIGEST-MD5");
    assert_eq!(token_auth.protocol.as_deref(), Some(""));
    assert_eq!(token_auth.server_id.as_deref(), Some("default"));
    let token = test_token();
    let mut digest = DigestMd5Client::for_hadoop_token(
        &token.identifier,
        &token.password,
        "/default".to_string(),
    );
    let response = digest
        .respond(token_auth.challenge.as_ref().unwrap())
        .unwrap();
    client
        .send_frame(sasl_frame(&RpcSaslProto {
            state: SaslState::Initiate as i32,
            token: Some(response),
            auths: vec![SaslAuth {
                challenge: None,
                ..token_auth
            }],
            ..Default::default()
        }))
        .await;
    let success = client.read_response().await.unwrap();
    let success: RpcSaslProto = success.message();
    assert_eq!(success.state, SaslState::Success as i32);
    digest.verify_rspauth(&success.token.unwrap()).unwrap();

    client
        .send_frame(context_frame(&[1; 16], Some("mallory")))
        .await;
    let (class_name, message) = expect_fatal(&mut client).await;
    assert_eq!(
        class_name,
        "org.apache.hadoop.security.AccessControlException"
    );
    assert_eq!(
        message,
        format!(
            "Authenticated user ({ATTEMPT_USER} (auth:TOKEN)) doesn't match what the client \
             claims to be (mallory (auth:SIMPLE))"
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn initiate_with_an_auth_that_was_not_advertised_is_rejected() {
    let (server, _) = start_server(ServerAuth::TokenOnly).await;
    let mut client = RawClient::connect(server.local_addr()).await;
    negotiate(&mut client).await;
    client
        .send_frame(sasl_frame(&RpcSaslProto {
            state: SaslState::Initiate as i32,
            auths: vec![SaslAuth {
                method: "SIMPLE".into(),
                mechanism: String::new(),
                ..Default::default()
            }],
            ..Default::default()
        }))
        .await;
    let (class_name, message) = expect_fatal(&mut client).await;
    assert_eq!(
        class_name,
        "org.apache.hadoop.security.AccessControlException"
    );
    assert_eq!(
        message,
        "SIMPLE authentication is not enabled.  Available:[TOKEN]"
    );
    server.shutdown().await;
}
