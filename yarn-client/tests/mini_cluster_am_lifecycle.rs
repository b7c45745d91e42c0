//! An attempt's life beyond the happy path: a managed AM that registers with the AMRMToken
//! from its container's token file and unregisters (isUnregistered false, then true), AM
//! liveness expiry, and AMRMToken roll-over.

mod mini_cluster_support;

use std::time::{Duration, Instant};

use mini_cluster_support::*;
use weir_yarn::proto::am_protocol::{
    AllocateRequestProto, AllocateResponseProto, FinishApplicationMasterRequestProto,
    FinishApplicationMasterResponseProto, RegisterApplicationMasterRequestProto,
    RegisterApplicationMasterResponseProto,
};
use weir_yarn::proto::nm_protocol::{
    StartContainerRequestProto, StartContainersRequestProto, StartContainersResponseProto,
};
use weir_yarn::proto::yarn_records::{
    FinalApplicationStatusProto, PriorityProto, ResourceRequestProto, YarnApplicationStateProto,
};
use weir_yarn::token::{AMRM_TOKEN_KIND, Credentials};

fn register_request() -> RegisterApplicationMasterRequestProto {
    RegisterApplicationMasterRequestProto {
        host: Some("127.0.0.1".into()),
        rpc_port: Some(8081),
        tracking_url: Some("http://127.0.0.1:8081/".into()),
    }
}

fn heartbeat(response_id: i32) -> AllocateRequestProto {
    AllocateRequestProto {
        response_id: Some(response_id),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_am_registers_with_its_token_file_and_unregisters() {
    let test = TestCluster::start(|_| {}).await;
    let client = test.client().await;
    let exchange = test.dir.path().join("exchange");
    std::fs::create_dir_all(&exchange).unwrap();
    let tokens = exchange.join("tokens");
    let done = exchange.join("done");
    // The AM hands its token file to the test, then waits to be told to exit.
    let command = format!(
        "cp $HADOOP_TOKEN_FILE_LOCATION {}.tmp && mv {}.tmp {} && \
         while [ ! -e {} ]; do sleep 0.05; done",
        tokens.display(),
        tokens.display(),
        tokens.display(),
        done.display()
    );
    let app = new_application(&client).await;
    submit(&client, managed_context(&app, &command, 256, 1))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !tokens.exists() {
        assert!(
            Instant::now() < deadline,
            "the AM did not copy its token file"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let credentials = Credentials::read_file(&tokens).unwrap();
    let amrm = credentials
        .token_of_kind(AMRM_TOKEN_KIND)
        .unwrap()
        .to_proto();

    let am = test.scheduler(&amrm).await.unwrap();
    let _: RegisterApplicationMasterResponseProto = am
        .call("registerApplicationMaster", &register_request())
        .await
        .unwrap();
    let running = report(&client, &app).await;
    assert_eq!(state_of(&running), YarnApplicationStateProto::Running);
    assert_eq!(running.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(running.rpc_port, Some(8081));

    // One task container that outlives the unregistration.
    let allocated: AllocateResponseProto = am
        .call(
            "allocate",
            &AllocateRequestProto {
                ask: vec![ResourceRequestProto {
                    priority: Some(PriorityProto { priority: Some(1) }),
                    resource_name: Some("*".into()),
                    capability: Some(resource(128)),
                    num_containers: Some(1),
                    ..Default::default()
                }],
                response_id: Some(0),
                progress: Some(0.25),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let container = allocated.allocated_containers[0].clone();
    let node = node_connection(
        &test.cluster.node_addresses()[0],
        allocated.nm_tokens[0].token.as_ref().unwrap(),
    )
    .await
    .unwrap();
    let started: StartContainersResponseProto = node
        .call(
            "startContainers",
            &StartContainersRequestProto {
                start_container_request: vec![StartContainerRequestProto {
                    container_launch_context: Some(launch_context("sleep 60")),
                    container_token: container.container_token.clone(),
                }],
            },
        )
        .await
        .unwrap();
    assert_eq!(started.succeeded_requests.len(), 1);
    assert_eq!(report(&client, &app).await.progress, Some(0.25));
    wait_until("AM and task processes", Duration::from_secs(10), || {
        test.cluster.running_container_pids().len() == 2
    })
    .await;
    let pids = test.cluster.running_container_pids();

    let finish = FinishApplicationMasterRequestProto {
        diagnostics: Some("job done".into()),
        tracking_url: Some("http://history/".into()),
        final_application_status: Some(FinalApplicationStatusProto::AppSucceeded as i32),
    };
    let first: FinishApplicationMasterResponseProto =
        am.call("finishApplicationMaster", &finish).await.unwrap();
    assert_eq!(
        first.is_unregistered,
        Some(false),
        "a managed AM must retry"
    );
    let second: FinishApplicationMasterResponseProto =
        am.call("finishApplicationMaster", &finish).await.unwrap();
    assert_eq!(second.is_unregistered, Some(true));
    let finished = report(&client, &app).await;
    assert_eq!(state_of(&finished), YarnApplicationStateProto::Finished);
    assert_eq!(
        finished.final_application_status,
        Some(FinalApplicationStatusProto::AppSucceeded as i32)
    );
    assert_eq!(finished.diagnostics.as_deref(), Some("job done"));
    assert_eq!(
        finished.original_tracking_url.as_deref(),
        Some("http://history/")
    );
    assert_eq!(
        test.cluster.running_container_pids().len(),
        2,
        "YARN waits for the AM container to exit"
    );

    // The AM exits: the application is over and its leftover container is killed.
    std::fs::write(&done, b"").unwrap();
    wait_until(
        "every container process gone",
        Duration::from_secs(10),
        || pids.iter().all(|pid| !process_alive(*pid)),
    )
    .await;
    wait_until("no live containers", Duration::from_secs(5), || {
        test.cluster.live_container_count() == 0
    })
    .await;
    let after = report(&client, &app).await;
    assert_eq!(state_of(&after), YarnApplicationStateProto::Finished);
    assert_eq!(
        after.app_resource_usage.unwrap().num_used_containers,
        Some(0)
    );
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_ams_time_out() {
    let test = TestCluster::start(|c| {
        c.am_liveness_expiry = Duration::from_millis(500);
        c.am_max_attempts = 2;
    })
    .await;
    let client = test.client().await;

    // An unmanaged AM that registers and never heartbeats again.
    let unmanaged = new_application(&client).await;
    submit(&client, unmanaged_context(&unmanaged))
        .await
        .unwrap();
    let token = report(&client, &unmanaged).await.am_rm_token.unwrap();
    let am = test.scheduler(&token).await.unwrap();
    let _: RegisterApplicationMasterResponseProto = am
        .call("registerApplicationMaster", &register_request())
        .await
        .unwrap();
    // A managed AM that never registers: both attempts time out and are cleaned up.
    let managed = new_application(&client).await;
    submit(&client, managed_context(&managed, "sleep 60", 128, 0))
        .await
        .unwrap();

    let failed = wait_for_state(
        &client,
        &unmanaged,
        YarnApplicationStateProto::Failed,
        Duration::from_secs(10),
    )
    .await;
    let id = app_id(&unmanaged);
    assert_eq!(
        failed.diagnostics.as_deref().unwrap(),
        format!(
            "Unmanaged application {id} failed due to ApplicationMaster for attempt \
             appattempt_{}_{:04}_000001 timed out. Failing the application.",
            id.cluster_timestamp, id.id
        )
    );
    let err = am
        .call::<_, AllocateResponseProto>("allocate", &heartbeat(0))
        .await
        .unwrap_err();
    assert_eq!(
        remote_class(&err),
        Some("org.apache.hadoop.yarn.exceptions.ApplicationAttemptNotFoundException"),
        "{err}"
    );

    let failed = wait_for_state(
        &client,
        &managed,
        YarnApplicationStateProto::Failed,
        Duration::from_secs(15),
    )
    .await;
    let id = app_id(&managed);
    let diagnostics = failed.diagnostics.unwrap();
    assert_eq!(
        diagnostics,
        format!(
            "Application {id} failed 2 times due to ApplicationMaster for attempt \
             appattempt_{}_{:04}_000002 timed out. Failing the application.",
            id.cluster_timestamp, id.id
        )
    );
    assert_eq!(test.cluster.application_attempts(&id).len(), 2);
    wait_until("the AM processes stopped", Duration::from_secs(5), || {
        test.cluster.running_container_pids().is_empty()
    })
    .await;
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amrm_token_rolls_over() {
    let test =
        TestCluster::start(|c| c.am_rm_token_roll_interval = Some(Duration::from_secs(1))).await;
    let client = test.client().await;
    let app = new_application(&client).await;
    submit(&client, unmanaged_context(&app)).await.unwrap();
    let old = report(&client, &app).await.am_rm_token.unwrap();
    let am = test.scheduler(&old).await.unwrap();
    let _: RegisterApplicationMasterResponseProto = am
        .call("registerApplicationMaster", &register_request())
        .await
        .unwrap();
    let mut response_id = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    let new = loop {
        let response: AllocateResponseProto =
            am.call("allocate", &heartbeat(response_id)).await.unwrap();
        response_id = response.response_id.unwrap();
        if let Some(token) = response.am_rm_token {
            break token;
        }
        assert!(Instant::now() < deadline, "no rolled AMRMToken arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(new.kind, "YARN_AM_RM_TOKEN");
    assert_ne!(new.identifier, old.identifier, "minted with the next key");
    // The same token is repeated until the AM uses it.
    let again: AllocateResponseProto = am.call("allocate", &heartbeat(response_id)).await.unwrap();
    response_id = again.response_id.unwrap();
    assert_eq!(again.am_rm_token.as_ref(), Some(&new));
    let renewed = test.scheduler(&new).await.unwrap();
    let on_new: AllocateResponseProto = renewed
        .call("allocate", &heartbeat(response_id))
        .await
        .unwrap();
    response_id = on_new.response_id.unwrap();
    assert!(
        on_new.am_rm_token.is_none(),
        "the caller already has the new key"
    );

    // Half an interval after the roll the next key is active and the old one is gone.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let err = test.scheduler(&old).await.unwrap_err();
    assert_eq!(
        remote_class(&err),
        Some("org.apache.hadoop.security.token.SecretManager$InvalidToken"),
        "{err}"
    );
    assert!(
        remote_message(&err).starts_with("Invalid AMRMToken from appattempt_"),
        "{err}"
    );
    // The existing connection keeps working, and the new token opens new ones.
    let _: AllocateResponseProto = am.call("allocate", &heartbeat(response_id)).await.unwrap();
    test.scheduler(&new).await.unwrap();
    test.cluster.shutdown().await;
}

/// A managed AM whose attempts hand their token files to the test and exit 1 when told.
fn handing_over_am(exchange: &std::path::Path) -> String {
    let d = exchange.display();
    format!(
        "cp $HADOOP_TOKEN_FILE_LOCATION {d}/$CONTAINER_ID.tmp && \
         mv {d}/$CONTAINER_ID.tmp {d}/$CONTAINER_ID.tokens && \
         while [ ! -e {d}/$CONTAINER_ID.exit ]; do sleep 0.05; done; exit 1"
    )
}

/// Waits for the token file of AM container `container` and returns its AMRMToken.
async fn am_token(
    exchange: &std::path::Path,
    container: &str,
) -> weir_yarn::proto::hadoop_common::TokenProto {
    let path = exchange.join(format!("{container}.tokens"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(Instant::now() < deadline, "no token file from {container}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Credentials::read_file(&path)
        .unwrap()
        .token_of_kind(AMRM_TOKEN_KIND)
        .unwrap()
        .to_proto()
}

/// Attempt 1 registers and starts a task container, then its AM exits 1; attempt 2 registers.
/// Returns whether the task survived and attempt 2's registration.
async fn second_attempt_after_a_task(
    keep_containers: bool,
) -> (bool, RegisterApplicationMasterResponseProto, String) {
    let test = TestCluster::start(|c| c.am_max_attempts = 2).await;
    let client = test.client().await;
    let exchange = test.dir.path().join("exchange");
    std::fs::create_dir_all(&exchange).unwrap();
    let app = new_application(&client).await;
    let id = app_id(&app);
    let mut context = managed_context(&app, &handing_over_am(&exchange), 128, 2);
    context.keep_containers_across_application_attempts = Some(keep_containers);
    submit(&client, context).await.unwrap();
    let first_am = format!("container_{}_{:04}_01_000001", id.cluster_timestamp, id.id);
    let am = test
        .scheduler(&am_token(&exchange, &first_am).await)
        .await
        .unwrap();
    let _: RegisterApplicationMasterResponseProto = am
        .call("registerApplicationMaster", &register_request())
        .await
        .unwrap();
    let allocated: AllocateResponseProto = am
        .call(
            "allocate",
            &AllocateRequestProto {
                ask: vec![ResourceRequestProto {
                    priority: Some(PriorityProto { priority: Some(1) }),
                    resource_name: Some("*".into()),
                    capability: Some(resource(128)),
                    num_containers: Some(1),
                    ..Default::default()
                }],
                response_id: Some(0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let task = allocated.allocated_containers[0].clone();
    let node = node_connection(
        &test.cluster.node_addresses()[0],
        allocated.nm_tokens[0].token.as_ref().unwrap(),
    )
    .await
    .unwrap();
    let _: StartContainersResponseProto = node
        .call(
            "startContainers",
            &StartContainersRequestProto {
                start_container_request: vec![StartContainerRequestProto {
                    container_launch_context: Some(launch_context("sleep 60")),
                    container_token: task.container_token.clone(),
                }],
            },
        )
        .await
        .unwrap();
    wait_until("AM and task running", Duration::from_secs(10), || {
        test.cluster.running_container_pids().len() == 2
    })
    .await;
    let pids_before = test.cluster.running_container_pids();

    std::fs::write(exchange.join(format!("{first_am}.exit")), b"").unwrap();
    let second_am = format!("container_{}_{:04}_02_000001", id.cluster_timestamp, id.id);
    let second_token = am_token(&exchange, &second_am).await;
    let am2 = test.scheduler(&second_token).await.unwrap();
    let registration: RegisterApplicationMasterResponseProto = am2
        .call("registerApplicationMaster", &register_request())
        .await
        .unwrap();
    // Give a kill of the task (without keep-containers) time to land.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let pids_after = test.cluster.running_container_pids();
    let task_pid_survived = pids_before
        .iter()
        .filter(|p| pids_after.contains(p))
        .count()
        == 1;
    let task_id = format!("container_{}_{:04}_01_000002", id.cluster_timestamp, id.id);
    std::fs::write(exchange.join(format!("{second_am}.exit")), b"").unwrap();
    test.cluster.shutdown().await;
    (task_pid_survived, registration, task_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_containers_pass_to_the_next_attempt() {
    let (survived, registration, task_id) = second_attempt_after_a_task(true).await;
    assert!(survived, "the task container outlives attempt 1");
    assert_eq!(registration.containers_from_previous_attempts.len(), 1);
    let kept = &registration.containers_from_previous_attempts[0];
    let kept_id = weir_yarn::ids::ContainerId::from_proto(kept.id.as_ref().unwrap()).unwrap();
    assert_eq!(kept_id.to_string(), task_id);
    assert_eq!(registration.nm_tokens_from_previous_attempts.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_keep_containers_a_failed_attempts_tasks_are_killed() {
    let (survived, registration, _) = second_attempt_after_a_task(false).await;
    assert!(!survived, "the task container is killed with its attempt");
    assert!(registration.containers_from_previous_attempts.is_empty());
    assert!(registration.nm_tokens_from_previous_attempts.is_empty());
}
