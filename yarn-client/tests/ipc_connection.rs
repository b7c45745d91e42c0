//! IpcConnection against IpcServer over loopback: SIMPLE calls, remote exceptions,
//! multiplexing, timeouts, broken connections, refused connections, pings during long calls and
//! the idle close.

mod ipc_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipc_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weir_yarn::YarnError;
use weir_yarn::ipc::frame::{FrameBuilder, FramePayload, read_frame};
use weir_yarn::ipc::{
    APPLICATION_MASTER_PROTOCOL, ClientAuth, ConnectionConfig, IpcConnection, ServerAuth,
};
use weir_yarn::proto::hadoop_common::{
    IpcConnectionContextProto, RpcRequestHeaderProto, RpcResponseHeaderProto,
};

#[tokio::test]
async fn simple_calls_round_trip_with_the_user_from_the_context() {
    let (server, service) = start_server(ServerAuth::SimpleOnly).await;
    let connection =
        IpcConnection::connect(config(server.local_addr().to_string(), simple("alice")))
            .await
            .unwrap();
    for text in ["one", "two", ""] {
        let response: EchoResponseProto = connection.call("echo", &echo(text)).await.unwrap();
        assert_eq!(response.text.as_deref(), Some(text));
        assert_eq!(response.user.as_deref(), Some("alice"));
        assert_eq!(response.token_auth, Some(false));
    }
    assert_eq!(service.calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(!connection.is_broken());
    assert_eq!(connection.address(), server.local_addr().to_string());
    server.shutdown().await;
}

#[tokio::test]
async fn remote_exceptions_keep_class_and_message_and_the_connection_stays_usable() {
    let (server, _) = start_server(ServerAuth::SimpleOrToken).await;
    let address = server.local_addr().to_string();
    let connection = IpcConnection::connect(config(address.clone(), simple("alice")))
        .await
        .unwrap();
    let err = connection
        .call::<_, EchoResponseProto>("fail", &echo("application_1_0001"))
        .await
        .unwrap_err();
    match &err {
        YarnError::Remote {
            address: err_address,
            method,
            class_name,
            message,
        } => {
            assert_eq!(err_address, &address);
            assert_eq!(method, "fail");
            assert_eq!(class_name, APPLICATION_NOT_FOUND);
            assert_eq!(
                message,
                "Application with id 'application_1_0001' doesn't exist in RM."
            );
        }
        other => panic!("expected a remote error, got {other:?}"),
    }
    assert_eq!(err.remote_class(), Some(APPLICATION_NOT_FOUND));
    assert!(!connection.is_broken());

    let err = connection
        .call::<_, EchoResponseProto>("noSuchMethod", &echo(""))
        .await
        .unwrap_err();
    assert_eq!(
        err.remote_class(),
        Some("org.apache.hadoop.ipc.RpcNoSuchMethodException")
    );
    assert!(
        err.to_string().contains("Unknown method noSuchMethod"),
        "{err}"
    );

    let response: EchoResponseProto = connection.call("echo", &echo("still ok")).await.unwrap();
    assert_eq!(response.text.as_deref(), Some("still ok"));
    server.shutdown().await;
}

#[tokio::test]
async fn fifty_concurrent_calls_share_one_connection_and_complete_out_of_order() {
    let (server, service) = start_server(ServerAuth::SimpleOnly).await;
    let connection =
        IpcConnection::connect(config(server.local_addr().to_string(), simple("alice")))
            .await
            .unwrap();
    let completion_order = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..50u64 {
        let connection = connection.clone();
        let completion_order = completion_order.clone();
        tasks.push(tokio::spawn(async move {
            // Early calls sleep longest, so responses come back roughly in reverse.
            let request = EchoRequestProto {
                text: Some(format!("call {index}")),
                delay_ms: Some((50 - index) * 10),
            };
            let response: EchoResponseProto = connection.call("echo", &request).await.unwrap();
            assert_eq!(response.text, Some(format!("call {index}")));
            completion_order.lock().unwrap().push(index);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let order = completion_order.lock().unwrap().clone();
    assert_eq!(order.len(), 50);
    // Serially the delays add up to 12.75 s.
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    let ascending: Vec<u64> = (0..50).collect();
    assert_ne!(
        order, ascending,
        "responses came back strictly in call order"
    );
    assert!(
        order[0] > 10,
        "the first response was call {} ({order:?})",
        order[0]
    );
    assert_eq!(service.calls.load(std::sync::atomic::Ordering::SeqCst), 50);
    server.shutdown().await;
}

#[tokio::test]
async fn a_slow_call_times_out_and_the_connection_stays_usable() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;
    let mut config = config(server.local_addr().to_string(), simple("alice"));
    config.call_timeout = Duration::from_millis(300);
    let connection = IpcConnection::connect(config).await.unwrap();
    let started = Instant::now();
    let err = connection
        .call::<_, EchoResponseProto>(
            "echo",
            &EchoRequestProto {
                text: Some("slow".into()),
                delay_ms: Some(1500),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, YarnError::CallTimeout { method, timeout_ms: 300, .. } if method == "echo"),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(1200));
    assert!(err.is_connection_failure());
    let response: EchoResponseProto = connection.call("echo", &echo("fast")).await.unwrap();
    assert_eq!(response.text.as_deref(), Some("fast"));
    // The late response of the slow call arrives and is dropped without harm.
    tokio::time::sleep(Duration::from_millis(1400)).await;
    let response: EchoResponseProto = connection.call("echo", &echo("after")).await.unwrap();
    assert_eq!(response.text.as_deref(), Some("after"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_server_closing_mid_call_fails_the_calls_in_flight() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;
    let connection =
        IpcConnection::connect(config(server.local_addr().to_string(), simple("alice")))
            .await
            .unwrap();
    let in_flight: Vec<_> = (0..3)
        .map(|index| {
            let connection = connection.clone();
            tokio::spawn(async move {
                connection
                    .call::<_, EchoResponseProto>(
                        "echo",
                        &EchoRequestProto {
                            text: Some(format!("{index}")),
                            delay_ms: Some(1500),
                        },
                    )
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    server.shutdown().await;
    for call in in_flight {
        let err = call.await.unwrap().unwrap_err();
        assert!(matches!(err, YarnError::ConnectionClosed { .. }), "{err:?}");
        assert!(err.to_string().contains("closed"), "{err}");
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(connection.is_broken());
    let err = connection
        .call::<_, EchoResponseProto>("echo", &echo("later"))
        .await
        .unwrap_err();
    assert!(err.is_connection_failure(), "{err:?}");
}

#[tokio::test]
async fn connecting_to_a_port_with_nothing_listening_fails_fast_naming_the_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    let mut config = config(address.clone(), simple("alice"));
    config.connect_timeout = Duration::from_secs(2);
    let started = Instant::now();
    let err = IpcConnection::connect(config).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(err, YarnError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains(&address), "{err}");
    assert!(err.is_connection_failure());
}

#[tokio::test]
async fn a_server_that_never_answers_sasl_fails_within_the_connect_timeout() {
    // Accepts the TCP connection, then stays silent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let silent = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(socket);
    });
    let mut config = config(address.clone(), ClientAuth::Token(test_token()));
    config.connect_timeout = Duration::from_millis(400);
    let started = Instant::now();
    let err = IpcConnection::connect(config).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    let text = err.to_string();
    assert!(text.contains(&address) && text.contains("400 ms"), "{text}");
    silent.abort();
}

#[tokio::test]
async fn simple_against_a_token_only_server_is_rejected_with_the_servers_message() {
    let (server, service) = start_server(ServerAuth::TokenOnly).await;
    let connection =
        IpcConnection::connect(config(server.local_addr().to_string(), simple("alice")))
            .await
            .unwrap();
    let err = connection
        .call::<_, EchoResponseProto>("echo", &echo("x"))
        .await
        .unwrap_err();
    match &err {
        YarnError::ConnectionRejected {
            class_name,
            message,
            ..
        } => {
            assert_eq!(
                class_name,
                "org.apache.hadoop.security.AccessControlException"
            );
            assert_eq!(
                message,
                "SIMPLE authentication is not enabled.  Available:[TOKEN]"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(connection.is_broken());
    assert_eq!(service.calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_context_for_another_protocol_is_rejected() {
    let (server, service) = start_server(ServerAuth::SimpleOnly).await;
    let config = ConnectionConfig {
        protocol: APPLICATION_MASTER_PROTOCOL,
        ..config(server.local_addr().to_string(), simple("alice"))
    };
    let connection = IpcConnection::connect(config).await.unwrap();
    let err = connection
        .call::<_, EchoResponseProto>("echo", &echo("x"))
        .await
        .unwrap_err();
    assert_eq!(
        err.remote_class(),
        Some("org.apache.hadoop.ipc.RpcNoSuchProtocolException")
    );
    assert!(
        err.to_string().contains(APPLICATION_MASTER_PROTOCOL),
        "{err}"
    );
    assert_eq!(service.calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    server.shutdown().await;
}

/// Dropping the last handle closes the socket and sends nothing but what was asked for: no
/// `rpcOp=2` close request.
#[tokio::test]
async fn dropping_the_connection_closes_the_socket_without_a_close_request() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let observer = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut preamble = [0u8; 7];
        socket.read_exact(&mut preamble).await.unwrap();
        let mut frames = Vec::new();
        while let Some(payload) = read_frame(&mut socket, 1 << 20, "client").await.unwrap() {
            let mut payload = FramePayload::new(payload, "client");
            let header: RpcRequestHeaderProto = payload.next_message("header").unwrap();
            frames.push(header);
            if frames.len() == 1 {
                let context: IpcConnectionContextProto = payload.next_message("context").unwrap();
                assert_eq!(
                    context.user_info.unwrap().effective_user.as_deref(),
                    Some("alice")
                );
            }
        }
        (preamble, frames)
    });
    let connection = IpcConnection::connect(config(address, simple("alice")))
        .await
        .unwrap();
    let clone = connection.clone();
    drop(connection);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !observer.is_finished(),
        "a clone still holds the connection open"
    );
    drop(clone);
    let (preamble, frames) = tokio::time::timeout(Duration::from_secs(2), observer)
        .await
        .expect("the socket was not closed")
        .unwrap();
    assert_eq!(preamble, *b"hrpc\x09\x00\x00");
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0].call_id, -3);
    assert_eq!(frames[0].rpc_op, Some(0));
    assert_eq!(frames[0].client_id.len(), 16);
}

/// A call that takes longer than the ping interval makes the client send pings (call id -4,
/// header only, the connection's client id); the call still completes.
#[tokio::test]
async fn a_long_call_is_kept_alive_with_pings() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut preamble = [0u8; 7];
        socket.read_exact(&mut preamble).await.unwrap();
        let mut headers: Vec<RpcRequestHeaderProto> = Vec::new();
        // The context, the call, then whatever arrives within 700 ms.
        let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
        while let Ok(Ok(Some(payload))) =
            tokio::time::timeout_at(deadline, read_frame(&mut socket, 1 << 20, "client")).await
        {
            let mut payload = FramePayload::new(payload, "client");
            headers.push(payload.next_message("header").unwrap());
        }
        let call = headers
            .iter()
            .find(|header| header.call_id >= 0)
            .unwrap()
            .clone();
        let response = FrameBuilder::new()
            .message(&RpcResponseHeaderProto {
                call_id: call.call_id as u32,
                status: 0,
                ..Default::default()
            })
            .message(&EchoResponseProto {
                text: Some("late".to_string()),
                ..Default::default()
            })
            .finish();
        socket.write_all(&response).await.unwrap();
        headers
    });
    let connection = IpcConnection::connect(ConnectionConfig {
        ping_interval: Duration::from_millis(100),
        ..config(address, simple("alice"))
    })
    .await
    .unwrap();
    let response: EchoResponseProto = connection.call("echo", &echo("x")).await.unwrap();
    assert_eq!(response.text.as_deref(), Some("late"));
    let headers = server.await.unwrap();
    let pings: Vec<_> = headers
        .iter()
        .filter(|header| header.call_id == -4)
        .collect();
    assert!(pings.len() >= 3, "{headers:?}");
    assert!(pings.len() <= 8, "{headers:?}");
    assert!(
        pings
            .iter()
            .all(|ping| ping.client_id == headers[0].client_id)
    );
}

/// With no call outstanding, a connection closes itself after `max_idle`; the next call on it
/// fails as a connection failure (so the fail-over proxy opens a new one), and a busy
/// connection is never closed under its calls.
#[tokio::test]
async fn an_idle_connection_closes_itself_and_a_busy_one_does_not() {
    let (server, _) = start_server(ServerAuth::SimpleOnly).await;
    let connection = IpcConnection::connect(ConnectionConfig {
        max_idle: Duration::from_millis(200),
        ..config(server.local_addr().to_string(), simple("alice"))
    })
    .await
    .unwrap();
    // One call lasting longer than max_idle: the connection stays.
    let slow: EchoResponseProto = connection
        .call(
            "echo",
            &EchoRequestProto {
                text: Some("slow".to_string()),
                delay_ms: Some(500),
            },
        )
        .await
        .unwrap();
    assert_eq!(slow.text.as_deref(), Some("slow"));
    assert!(!connection.is_broken());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        connection.is_broken(),
        "idle for 600 ms with max_idle 200 ms"
    );
    let err = connection
        .call::<_, EchoResponseProto>("echo", &echo("again"))
        .await
        .unwrap_err();
    assert!(err.is_connection_failure(), "{err:?}");
    assert!(err.to_string().contains("maxidletime"), "{err}");
    server.shutdown().await;
}
