//! `AmRmClient` against a scripted RM scheduler: response-id tracking, AMRMToken roll-over
//! for new connections, re-registration after the RM lost the attempt, and unregistration
//! repeated until the RM confirms.

mod am_support;

use std::time::Duration;

use am_support::*;
use weir_yarn::YarnError;
use weir_yarn::client::{AllocateOutcome, AmRmClient, AmRmClientConfig, FinalApplicationStatus};
use weir_yarn::ipc::RetryPolicy;
use weir_yarn::proto::am_protocol::AllocateRequestProto;

fn config(address: String) -> AmRmClientConfig {
    let mut config = AmRmClientConfig::new(vec![address]);
    config.retry_policy = RetryPolicy {
        connect_timeout: Duration::from_secs(1),
        call_timeout: Duration::from_secs(5),
        max_wait: Duration::from_secs(3),
        retry_interval: Duration::from_millis(100),
    };
    config.unregister_poll_interval = Duration::from_millis(100);
    config.unregister_timeout = Duration::from_secs(2);
    config
}

fn sent_response_ids(scheduler: &FakeScheduler) -> Vec<i32> {
    scheduler
        .state()
        .allocates
        .iter()
        .map(|request| request.response_id.unwrap_or(-1))
        .collect()
}

#[tokio::test]
async fn allocate_carries_the_id_of_the_last_response() {
    let scheduler = FakeScheduler::new();
    let server = start_scheduler(scheduler.clone(), FakeVerifier::accepting(&["key1"])).await;
    let mut client = AmRmClient::new(
        config(server.local_addr().to_string()),
        attempt(),
        amrm_token("key1"),
    );
    let registration = client
        .register("am-host", 8081, "http://am-host:8081")
        .await
        .unwrap();
    assert_eq!(registration.maximum_capability.memory, Some(4096));
    assert_eq!(registration.queue.as_deref(), Some("default"));
    for _ in 0..3 {
        let outcome = client
            .allocate(AllocateRequestProto::default())
            .await
            .unwrap();
        assert!(matches!(outcome, AllocateOutcome::Allocated(_)));
    }
    assert_eq!(sent_response_ids(&scheduler), vec![0, 1, 2]);
    assert_eq!(client.last_response_id(), 3);
    // Every call authenticated with the AMRMToken.
    assert!(
        scheduler
            .state()
            .caller_tokens
            .iter()
            .all(|identifier| identifier == b"key1")
    );
}

#[tokio::test]
async fn an_unknown_amrm_token_is_refused() {
    let scheduler = FakeScheduler::new();
    let server = start_scheduler(scheduler.clone(), FakeVerifier::accepting(&["other"])).await;
    let mut client = AmRmClient::new(
        config(server.local_addr().to_string()),
        attempt(),
        amrm_token("key1"),
    );
    let error = client.register("am-host", -1, "").await.unwrap_err();
    assert_eq!(scheduler.state().registrations, 0, "{error}");
}

#[tokio::test]
async fn a_rolled_amrm_token_is_used_by_new_connections() {
    let scheduler = FakeScheduler::new();
    let server = start_scheduler(
        scheduler.clone(),
        FakeVerifier::accepting(&["key1", "key2"]),
    )
    .await;
    let address = server.local_addr().to_string();
    let mut client = AmRmClient::new(config(address.clone()), attempt(), amrm_token("key1"));
    client.register("am-host", -1, "").await.unwrap();
    scheduler.state().next_am_rm_token = Some(amrm_token("key2").to_proto());
    client
        .allocate(AllocateRequestProto::default())
        .await
        .unwrap();
    assert_eq!(client.amrm_token().identifier, b"key2");

    // The RM restarts on the same address and no longer accepts the old key: only a new
    // connection with the rolled token gets through.
    server.shutdown().await;
    let server = start_scheduler_at(
        &address,
        scheduler.clone(),
        FakeVerifier::accepting(&["key2"]),
    )
    .await;
    client
        .allocate(AllocateRequestProto::default())
        .await
        .unwrap();
    assert_eq!(scheduler.state().caller_tokens.last().unwrap(), b"key2");
    assert_eq!(sent_response_ids(&scheduler), vec![0, 1]);
    drop(server);
}

#[tokio::test]
async fn a_lost_registration_is_renewed_and_the_response_id_reset() {
    let scheduler = FakeScheduler::new();
    let server = start_scheduler(scheduler.clone(), FakeVerifier::accepting(&["key1"])).await;
    let mut client = AmRmClient::new(
        config(server.local_addr().to_string()),
        attempt(),
        amrm_token("key1"),
    );
    client
        .register("am-host", 7, "http://am-host")
        .await
        .unwrap();
    client
        .allocate(AllocateRequestProto::default())
        .await
        .unwrap();
    client
        .allocate(AllocateRequestProto::default())
        .await
        .unwrap();
    assert_eq!(client.last_response_id(), 2);

    scheduler.state().registered = false; // the RM restarted without the attempt's registration
    let outcome = client
        .allocate(AllocateRequestProto::default())
        .await
        .unwrap();
    let AllocateOutcome::Reregistered(registration) = outcome else {
        panic!("expected a re-registration, got {outcome:?}");
    };
    assert_eq!(registration.maximum_capability.virtual_cores, Some(4));
    assert_eq!(scheduler.state().registrations, 2);
    assert_eq!(client.last_response_id(), 0);
    client
        .allocate(AllocateRequestProto::default())
        .await
        .unwrap();
    assert_eq!(sent_response_ids(&scheduler), vec![0, 1, 2, 0]);
}

#[tokio::test]
async fn a_second_register_of_the_same_attempt_is_refused_by_the_rm() {
    let scheduler = FakeScheduler::new();
    let server = start_scheduler(scheduler.clone(), FakeVerifier::accepting(&["key1"])).await;
    let mut client = AmRmClient::new(
        config(server.local_addr().to_string()),
        attempt(),
        amrm_token("key1"),
    );
    client.register("am-host", -1, "").await.unwrap();
    let error = client.register("am-host", -1, "").await.unwrap_err();
    assert_eq!(error.remote_class(), Some(INVALID_REQUEST), "{error}");
}

#[tokio::test]
async fn finish_repeats_until_the_rm_confirms() {
    let scheduler = FakeScheduler::new();
    let server = start_scheduler(scheduler.clone(), FakeVerifier::accepting(&["key1"])).await;
    let mut client = AmRmClient::new(
        config(server.local_addr().to_string()),
        attempt(),
        amrm_token("key1"),
    );
    client.register("am-host", -1, "").await.unwrap();
    scheduler.state().unregister_refusals = 2;
    client
        .finish(
            FinalApplicationStatus::Succeeded,
            "all done",
            Some("http://history/app"),
        )
        .await
        .unwrap();
    let state = scheduler.state();
    assert_eq!(state.finishes.len(), 3);
    for pair in state.finishes.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= Duration::from_millis(90),
            "100 ms between tries"
        );
    }
    let (_, request) = &state.finishes[0];
    assert_eq!(request.final_application_status, Some(1));
    assert_eq!(request.diagnostics.as_deref(), Some("all done"));
    assert_eq!(request.tracking_url.as_deref(), Some("http://history/app"));
}

#[tokio::test]
async fn finish_gives_up_after_its_bound() {
    let scheduler = FakeScheduler::new();
    let server = start_scheduler(scheduler.clone(), FakeVerifier::accepting(&["key1"])).await;
    let mut config = config(server.local_addr().to_string());
    config.unregister_timeout = Duration::from_millis(400);
    let mut client = AmRmClient::new(config, attempt(), amrm_token("key1"));
    client.register("am-host", -1, "").await.unwrap();
    scheduler.state().unregister_refusals = u32::MAX;
    let error = client
        .finish(FinalApplicationStatus::Failed, "bye", None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, YarnError::UnregisterNotCompleted { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains(&attempt().to_string()),
        "{error}"
    );
}
