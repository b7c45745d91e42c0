//! FailoverProxy over loopback servers: dead addresses, standby servers, reconnection, the
//! retry budget, credentials changes.

mod ipc_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ipc_support::*;
use weir_yarn::YarnError;
use weir_yarn::ipc::{
    APPLICATION_CLIENT_PROTOCOL, Caller, ClientAuth, FailoverProxy, IpcServer, RemoteException,
    RetryPolicy, RpcService, STANDBY_EXCEPTION, ServerAuth,
};
use weir_yarn::token::Token;

fn policy(max_wait_ms: u64, retry_interval_ms: u64) -> RetryPolicy {
    RetryPolicy {
        connect_timeout: Duration::from_secs(2),
        call_timeout: Duration::from_secs(5),
        max_wait: Duration::from_millis(max_wait_ms),
        retry_interval: Duration::from_millis(retry_interval_ms),
    }
}

/// An address where nothing listens.
fn dead_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// A standby ResourceManager: every call fails with StandbyException.
struct StandbyService;

impl RpcService for StandbyService {
    fn protocol(&self) -> &'static str {
        APPLICATION_CLIENT_PROTOCOL
    }

    fn call(&self, _: &Caller, method: &str, _: &[u8]) -> Result<Vec<u8>, RemoteException> {
        Err(RemoteException::new(
            STANDBY_EXCEPTION,
            format!("Operation category {method} is not supported in state standby"),
        ))
    }
}

#[tokio::test]
async fn fails_over_from_a_dead_address_to_a_good_one_without_sleeping() {
    let (good, _) = start_server(ServerAuth::SimpleOnly).await;
    let good_address = good.local_addr().to_string();
    let proxy = FailoverProxy::new(
        vec![dead_address(), good_address.clone()],
        APPLICATION_CLIENT_PROTOCOL,
        simple("alice"),
        policy(10_000, 3_000),
    );
    let started = Instant::now();
    let response: EchoResponseProto = proxy.call("echo", &echo("hi")).await.unwrap();
    assert_eq!(response.text.as_deref(), Some("hi"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(proxy.current_address(), good_address);
    // Later calls go straight to the good server.
    let response: EchoResponseProto = proxy.call("echo", &echo("again")).await.unwrap();
    assert_eq!(response.text.as_deref(), Some("again"));
    good.shutdown().await;
}

#[tokio::test]
async fn fails_over_from_a_standby_server_to_the_active_one() {
    let standby = IpcServer::bind(
        "127.0.0.1:0",
        Arc::new(StandbyService),
        ServerAuth::SimpleOnly,
        None,
    )
    .await
    .unwrap();
    let (active, active_service) = start_server(ServerAuth::SimpleOnly).await;
    let active_address = active.local_addr().to_string();
    let proxy = FailoverProxy::new(
        vec![standby.local_addr().to_string(), active_address.clone()],
        APPLICATION_CLIENT_PROTOCOL,
        simple("alice"),
        policy(10_000, 3_000),
    );
    let response: EchoResponseProto = proxy.call("echo", &echo("hi")).await.unwrap();
    assert_eq!(response.user.as_deref(), Some("alice"));
    assert_eq!(proxy.current_address(), active_address);
    assert_eq!(
        active_service
            .calls
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    standby.shutdown().await;
    active.shutdown().await;
}

#[tokio::test]
async fn gives_up_within_max_wait_naming_every_address_and_the_last_cause() {
    let addresses = vec![dead_address(), dead_address()];
    let proxy = FailoverProxy::new(
        addresses.clone(),
        APPLICATION_CLIENT_PROTOCOL,
        simple("alice"),
        policy(1_000, 200),
    );
    let started = Instant::now();
    let err = proxy
        .call::<_, EchoResponseProto>("echo", &echo("hi"))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(1_500), "{elapsed:?}");
    // It did retry: several rounds with 200 ms sleeps fit into 1 s.
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    match &err {
        YarnError::FailoverExhausted {
            method,
            addresses: tried,
            max_wait_ms,
            last,
        } => {
            assert_eq!(method, "echo");
            assert_eq!(tried, &addresses);
            assert_eq!(*max_wait_ms, 1_000);
            assert!(matches!(**last, YarnError::Connect { .. }), "{last:?}");
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    for address in &addresses {
        assert!(text.contains(address.as_str()), "{text}");
    }
    assert!(text.contains("cannot connect"), "{text}");
}

#[tokio::test]
async fn remote_application_errors_are_returned_at_once() {
    let (server, service) = start_server(ServerAuth::SimpleOnly).await;
    let address = server.local_addr().to_string();
    let proxy = FailoverProxy::new(
        vec![address.clone(), dead_address()],
        APPLICATION_CLIENT_PROTOCOL,
        simple("alice"),
        policy(10_000, 3_000),
    );
    let started = Instant::now();
    let err = proxy
        .call::<_, EchoResponseProto>("fail", &echo("app"))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(err.remote_class(), Some(APPLICATION_NOT_FOUND));
    assert_eq!(proxy.current_address(), address);
    assert_eq!(service.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn reconnects_when_the_server_comes_back_on_the_same_address() {
    let (first, _) = start_server(ServerAuth::SimpleOnly).await;
    let address = first.local_addr().to_string();
    let proxy = FailoverProxy::new(
        vec![address.clone()],
        APPLICATION_CLIENT_PROTOCOL,
        simple("alice"),
        policy(5_000, 100),
    );
    let _: EchoResponseProto = proxy.call("echo", &echo("one")).await.unwrap();
    first.shutdown().await;
    let restart_address = address.clone();
    let restarted = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let service = Arc::new(EchoService::default());
        IpcServer::bind(&restart_address, service, ServerAuth::SimpleOnly, None)
            .await
            .unwrap()
    });
    let response: EchoResponseProto = proxy.call("echo", &echo("two")).await.unwrap();
    assert_eq!(response.text.as_deref(), Some("two"));
    restarted.await.unwrap().shutdown().await;
}

#[tokio::test]
async fn authentication_failures_are_not_retried_and_set_auth_takes_effect() {
    let (server, _) = start_server(ServerAuth::TokenOnly).await;
    let wrong = Token {
        password: b"stale".to_vec(),
        ..test_token()
    };
    let proxy = FailoverProxy::new(
        vec![server.local_addr().to_string()],
        APPLICATION_CLIENT_PROTOCOL,
        ClientAuth::Token(wrong),
        policy(10_000, 3_000),
    );
    let started = Instant::now();
    let err = proxy
        .call::<_, EchoResponseProto>("echo", &echo("x"))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        err.remote_class(),
        Some("javax.security.sasl.SaslException")
    );
    proxy.set_auth(ClientAuth::Token(test_token()));
    let response: EchoResponseProto = proxy.call("echo", &echo("x")).await.unwrap();
    assert_eq!(response.user.as_deref(), Some(ATTEMPT_USER));
    server.shutdown().await;
}

#[tokio::test]
async fn an_empty_address_list_is_an_error() {
    let proxy = FailoverProxy::new(
        Vec::new(),
        APPLICATION_CLIENT_PROTOCOL,
        simple("alice"),
        policy(1_000, 100),
    );
    let err = proxy
        .call::<_, EchoResponseProto>("echo", &echo("x"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no server address"), "{err}");
    assert_eq!(proxy.current_address(), "");
}
