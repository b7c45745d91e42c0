//! A ResourceManager that is down must be reported within the client's retry policy (seconds,
//! never Hadoop's fifteen minutes), with an error naming the address.

use std::time::{Duration, Instant};

use weir_yarn::client::{YarnClient, YarnClientConfig};

/// A loopback address where nothing listens.
fn closed_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    address
}

#[tokio::test]
async fn a_down_rm_is_reported_within_the_default_policy_naming_the_address() {
    let address = closed_address();
    let client = YarnClient::for_addresses(vec![address.clone()]).unwrap();
    let policy = YarnClientConfig::default_retry_policy();
    assert!(policy.max_wait <= Duration::from_secs(10), "{policy:?}");
    assert!(
        policy.connect_timeout <= Duration::from_secs(2),
        "{policy:?}"
    );

    let started = Instant::now();
    let error = client.new_application().await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        elapsed <= policy.max_wait + policy.connect_timeout + Duration::from_secs(2),
        "took {elapsed:?}: {error}"
    );
    let text = error.to_string();
    assert!(text.contains(&address), "{text}");
}

#[tokio::test]
async fn every_address_tried_is_named_when_all_rms_are_down() {
    let first = closed_address();
    let second = closed_address();
    let mut config = YarnClientConfig::for_addresses(vec![first.clone(), second.clone()]).unwrap();
    config.retry_policy.max_wait = Duration::from_secs(1);
    config.retry_policy.retry_interval = Duration::from_millis(100);
    let client = YarnClient::new(config);
    let started = Instant::now();
    let error = client.cluster_metrics().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "{error}");
    let text = error.to_string();
    assert!(text.contains(&first) && text.contains(&second), "{text}");
}

#[test]
fn a_client_needs_an_address() {
    let error = YarnClientConfig::for_addresses(vec![]).unwrap_err();
    assert!(
        error.to_string().contains("yarn.resourcemanager.address"),
        "{error}"
    );
}
