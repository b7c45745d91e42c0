//! An unmanaged AM driven by the test over raw IPC: AMRMToken from the report, the scheduler
//! protocol's sequencing rules, NMTokens and container tokens at the NodeManager.

mod mini_cluster_support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use mini_cluster_support::*;
use weir_yarn::ipc::{
    APPLICATION_MASTER_PROTOCOL, CONTAINER_MANAGEMENT_PROTOCOL, ClientAuth, IpcConnection,
};
use weir_yarn::proto::am_protocol::{
    AllocateRequestProto, AllocateResponseProto, FinishApplicationMasterRequestProto,
    FinishApplicationMasterResponseProto, RegisterApplicationMasterRequestProto,
    RegisterApplicationMasterResponseProto, SchedulerResourceTypes,
};
use weir_yarn::proto::client_protocol::GetNewApplicationResponseProto;
use weir_yarn::proto::hadoop_common::TokenProto;
use weir_yarn::proto::nm_protocol::{
    GetContainerStatusesRequestProto, GetContainerStatusesResponseProto,
    StartContainerRequestProto, StartContainersRequestProto, StartContainersResponseProto,
    StopContainersRequestProto, StopContainersResponseProto,
};
use weir_yarn::proto::yarn_records::{
    ContainerIdProto, ContainerProto, ContainerStateProto, ContainerStatusProto,
    FinalApplicationStatusProto, PriorityProto, ResourceRequestProto, YarnApplicationStateProto,
};

const INVALID_AM_REQUEST: &str =
    "org.apache.hadoop.yarn.exceptions.InvalidApplicationMasterRequestException";
const AM_NOT_REGISTERED: &str =
    "org.apache.hadoop.yarn.exceptions.ApplicationMasterNotRegisteredException";

fn ask(priority: i32, memory_mb: i64, count: i32) -> ResourceRequestProto {
    ResourceRequestProto {
        priority: Some(PriorityProto {
            priority: Some(priority),
        }),
        resource_name: Some("*".into()),
        capability: Some(resource(memory_mb)),
        num_containers: Some(count),
        relax_locality: Some(true),
        ..Default::default()
    }
}

async fn allocate(
    am: &IpcConnection,
    response_id: i32,
    asks: Vec<ResourceRequestProto>,
    release: Vec<ContainerIdProto>,
) -> Result<AllocateResponseProto, weir_yarn::YarnError> {
    am.call(
        "allocate",
        &AllocateRequestProto {
            ask: asks,
            release,
            response_id: Some(response_id),
            progress: Some(0.5),
            ..Default::default()
        },
    )
    .await
}

async fn register(
    am: &IpcConnection,
) -> Result<RegisterApplicationMasterResponseProto, weir_yarn::YarnError> {
    am.call(
        "registerApplicationMaster",
        &RegisterApplicationMasterRequestProto {
            host: Some("am-host".into()),
            rpc_port: Some(4321),
            tracking_url: Some("http://am-host:4321/".into()),
        },
    )
    .await
}

async fn finish(am: &IpcConnection) -> Result<bool, weir_yarn::YarnError> {
    let response: FinishApplicationMasterResponseProto = am
        .call(
            "finishApplicationMaster",
            &FinishApplicationMasterRequestProto {
                diagnostics: Some("all done".into()),
                tracking_url: Some("http://history/app".into()),
                final_application_status: Some(FinalApplicationStatusProto::AppSucceeded as i32),
            },
        )
        .await?;
    Ok(response.is_unregistered.unwrap_or(false))
}

/// Submits an unmanaged application and returns it with its AMRMToken from the report.
async fn unmanaged_app(test: &TestCluster) -> (GetNewApplicationResponseProto, TokenProto) {
    let client = test.client().await;
    let app = new_application(&client).await;
    submit(&client, unmanaged_context(&app)).await.unwrap();
    let report = wait_for_state(
        &client,
        &app,
        YarnApplicationStateProto::Accepted,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(report.unmanaged_application, Some(true));
    let token = report
        .am_rm_token
        .expect("the report of an unmanaged AM's launched attempt carries the AMRMToken");
    (app, token)
}

fn start_request(container: &ContainerProto, command: &str) -> StartContainerRequestProto {
    StartContainerRequestProto {
        container_launch_context: Some(launch_context(command)),
        container_token: container.container_token.clone(),
    }
}

async fn start(
    nm: &IpcConnection,
    requests: Vec<StartContainerRequestProto>,
) -> Result<StartContainersResponseProto, weir_yarn::YarnError> {
    nm.call(
        "startContainers",
        &StartContainersRequestProto {
            start_container_request: requests,
        },
    )
    .await
}

async fn container_status(
    nm: &IpcConnection,
    id: &ContainerIdProto,
) -> GetContainerStatusesResponseProto {
    nm.call(
        "getContainerStatuses",
        &GetContainerStatusesRequestProto {
            container_id: vec![id.clone()],
        },
    )
    .await
    .expect("getContainerStatuses")
}

/// Heartbeats until `done` holds for the collected (allocated, completed) lists.
async fn heartbeat_until(
    am: &IpcConnection,
    response_id: &mut i32,
    allocated: &mut Vec<ContainerProto>,
    completed: &mut Vec<ContainerStatusProto>,
    what: &str,
    mut done: impl FnMut(&[ContainerProto], &[ContainerStatusProto]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(allocated, completed) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let response = allocate(am, *response_id, Vec::new(), Vec::new())
            .await
            .unwrap();
        *response_id = response.response_id.unwrap();
        allocated.extend(response.allocated_containers);
        completed.extend(response.completed_container_statuses);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmanaged_am_allocates_launches_releases_and_unregisters() {
    // Room for two 256 MB containers at a time.
    let test = TestCluster::start(|c| c.node_memory_mb = 512).await;
    let client = test.client().await;
    let (app, token) = unmanaged_app(&test).await;
    assert_eq!(token.kind, "YARN_AM_RM_TOKEN");
    let am = test.scheduler(&token).await.unwrap();
    let registration = register(&am).await.unwrap();
    assert_eq!(registration.maximum_capability.unwrap().memory, Some(512));
    assert_eq!(registration.queue.as_deref(), Some("default"));
    assert_eq!(
        registration.scheduler_resource_types,
        vec![SchedulerResourceTypes::Memory as i32]
    );
    let report = report(&client, &app).await;
    assert_eq!(state_of(&report), YarnApplicationStateProto::Running);
    assert_eq!(report.host.as_deref(), Some("am-host"));
    assert_eq!(report.rpc_port, Some(4321));
    assert_eq!(
        report.original_tracking_url.as_deref(),
        Some("http://am-host:4321/")
    );
    assert!(
        report.am_rm_token.is_none(),
        "only a launched, unregistered attempt gets it"
    );

    // Ask for three 200 MB containers (normalized to 256 MB): two fit.
    let first = allocate(&am, 0, vec![ask(1, 200, 3)], Vec::new())
        .await
        .unwrap();
    assert_eq!(first.response_id, Some(1));
    assert_eq!(first.allocated_containers.len(), 2);
    let node = test.cluster.node_addresses()[0].clone();
    for container in &first.allocated_containers {
        assert_eq!(container.resource.as_ref().unwrap().memory, Some(256));
        assert_eq!(container.resource.as_ref().unwrap().virtual_cores, Some(1));
        assert_eq!(container.priority.as_ref().unwrap().priority, Some(1));
        let node_id = container.node_id.as_ref().unwrap();
        assert_eq!(
            format!(
                "{}:{}",
                node_id.host.as_deref().unwrap(),
                node_id.port.unwrap()
            ),
            node
        );
        assert_eq!(
            container.container_token.as_ref().unwrap().kind,
            "ContainerToken"
        );
    }
    assert_eq!(first.nm_tokens.len(), 1, "one NMToken for the one node");
    let nm_token = first.nm_tokens[0].token.clone().unwrap();
    assert_eq!(nm_token.kind, "NMToken");
    assert_eq!(nm_token.service, node);
    assert_eq!(first.num_cluster_nodes, Some(1));

    // Heartbeats without asks: nothing new (one container is still wanted, no room).
    let second = allocate(&am, 1, Vec::new(), Vec::new()).await.unwrap();
    assert!(second.allocated_containers.is_empty());
    assert!(second.nm_tokens.is_empty());
    let mut response_id = second.response_id.unwrap();

    let nm = node_connection(&node, &nm_token).await.unwrap();
    let exits = &first.allocated_containers[0];
    let sleeps = &first.allocated_containers[1];
    let started = start(
        &nm,
        vec![
            start_request(exits, "exit 7"),
            start_request(sleeps, "sleep 30"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(started.succeeded_requests.len(), 2, "{started:?}");
    assert!(started.failed_requests.is_empty());

    // The first container's exit frees room: the third container comes, exactly once.
    let mut allocated = Vec::new();
    let mut completed = Vec::new();
    heartbeat_until(
        &am,
        &mut response_id,
        &mut allocated,
        &mut completed,
        "exit 7 and the third container",
        |a, c| !a.is_empty() && !c.is_empty(),
    )
    .await;
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].container_id, exits.id);
    assert_eq!(completed[0].exit_status, Some(7));
    assert_eq!(
        completed[0].state,
        Some(ContainerStateProto::CComplete as i32)
    );
    assert!(
        completed[0]
            .diagnostics
            .as_deref()
            .unwrap()
            .contains("exit code 7")
    );
    assert_eq!(allocated.len(), 1);
    let third = allocated[0].clone();
    assert!(
        matches!(container_status(&nm, sleeps.id.as_ref().unwrap()).await.status.first(),
        Some(s) if s.state == Some(ContainerStateProto::CRunning as i32))
    );

    // Release the sleeping container: -100 for the AM, killed on the node.
    let released = allocate(
        &am,
        response_id,
        Vec::new(),
        vec![sleeps.id.clone().unwrap()],
    )
    .await
    .unwrap();
    response_id = released.response_id.unwrap();
    completed = released.completed_container_statuses;
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].container_id, sleeps.id);
    assert_eq!(completed[0].exit_status, Some(-100));
    assert_eq!(
        completed[0].diagnostics.as_deref(),
        Some("Container released by application")
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = container_status(&nm, sleeps.id.as_ref().unwrap()).await;
        let status = &status.status[0];
        if status.state == Some(ContainerStateProto::CComplete as i32) {
            assert_eq!(status.exit_status, Some(-106));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the released container was not killed"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    // The third container runs and ends with 0.
    let started = start(&nm, vec![start_request(&third, "exit 0")])
        .await
        .unwrap();
    assert_eq!(started.succeeded_requests.len(), 1);
    let mut more_allocated = Vec::new();
    let mut more_completed = Vec::new();
    heartbeat_until(
        &am,
        &mut response_id,
        &mut more_allocated,
        &mut more_completed,
        "the third container's exit",
        |_, c| !c.is_empty(),
    )
    .await;
    assert_eq!(more_completed.len(), 1);
    assert_eq!(more_completed[0].exit_status, Some(0));
    // A few more heartbeats: no over-allocation and no status twice.
    for _ in 0..3 {
        let response = allocate(&am, response_id, Vec::new(), Vec::new())
            .await
            .unwrap();
        response_id = response.response_id.unwrap();
        assert!(response.allocated_containers.is_empty());
        assert!(response.completed_container_statuses.is_empty());
    }
    let ids: HashSet<_> = first
        .allocated_containers
        .iter()
        .chain(std::iter::once(&third))
        .map(|c| c.id.clone().unwrap().id.unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "three distinct containers in all");

    // Unregister: an unmanaged AM is unregistered at once (YARN's DefaultAMSProcessor).
    assert!(finish(&am).await.unwrap());
    assert!(finish(&am).await.unwrap());
    let report = wait_for_state(
        &client,
        &app,
        YarnApplicationStateProto::Finished,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        report.final_application_status,
        Some(FinalApplicationStatusProto::AppSucceeded as i32)
    );
    assert_eq!(report.diagnostics.as_deref(), Some("all done"));
    assert_eq!(
        report.original_tracking_url.as_deref(),
        Some("http://history/app")
    );
    assert_eq!(report.progress, Some(1.0));
    // The ended attempt's token no longer opens connections.
    let err = test.scheduler(&token).await.unwrap_err();
    assert_eq!(
        remote_class(&err),
        Some("org.apache.hadoop.security.token.SecretManager$InvalidToken"),
        "{err}"
    );
    assert_eq!(test.cluster.live_container_count(), 0);
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_protocol_sequencing_rules() {
    let test = TestCluster::start(|_| {}).await;
    let (app, token) = unmanaged_app(&test).await;
    let am = test.scheduler(&token).await.unwrap();

    let err = allocate(&am, 0, Vec::new(), Vec::new()).await.unwrap_err();
    assert_eq!(remote_class(&err), Some(AM_NOT_REGISTERED), "{err}");
    let err = finish(&am).await.unwrap_err();
    assert_eq!(remote_class(&err), Some(AM_NOT_REGISTERED), "{err}");
    assert!(remote_message(&err).starts_with(
        "Application Master is trying to unregister before registering for: application_"
    ));

    register(&am).await.unwrap();
    let err = register(&am).await.unwrap_err();
    assert_eq!(remote_class(&err), Some(INVALID_AM_REQUEST), "{err}");
    assert_eq!(
        remote_message(&err),
        format!(
            "Application Master is already registered : {}",
            app_id(&app)
        )
    );

    let first = allocate(&am, 0, vec![ask(1, 128, 1)], Vec::new())
        .await
        .unwrap();
    assert_eq!(first.response_id, Some(1));
    assert_eq!(first.allocated_containers.len(), 1);
    // Re-sending the previous response id returns the cached response unchanged.
    let repeated = allocate(&am, 0, vec![ask(1, 128, 5)], Vec::new())
        .await
        .unwrap();
    assert_eq!(repeated, first);
    let second = allocate(&am, 1, Vec::new(), Vec::new()).await.unwrap();
    assert_eq!(second.response_id, Some(2));
    assert!(
        second.allocated_containers.is_empty(),
        "the repeat did not allocate"
    );
    let err = allocate(&am, 7, Vec::new(), Vec::new()).await.unwrap_err();
    assert_eq!(remote_class(&err), Some(INVALID_AM_REQUEST), "{err}");
    assert!(
        remote_message(&err).ends_with("expect responseId to be 2 but get 7"),
        "{err}"
    );
    // Asks beyond the maximum allocation are refused before anything changes.
    let err = allocate(&am, 2, vec![ask(2, 100_000, 1)], Vec::new())
        .await
        .unwrap_err();
    assert_eq!(
        remote_class(&err),
        Some("org.apache.hadoop.yarn.exceptions.InvalidResourceRequestException"),
        "{err}"
    );
    let third = allocate(&am, 2, Vec::new(), Vec::new()).await.unwrap();
    assert_eq!(
        third.response_id,
        Some(3),
        "the refused call did not advance the id"
    );
    test.cluster.shutdown().await;
}

/// Connects with SIMPLE auth and makes one call; returns the error it must end with.
async fn simple_call(address: &str, protocol: &'static str) -> weir_yarn::YarnError {
    let simple = ClientAuth::Simple {
        user: USER.to_string(),
    };
    let connection = match connect(address, protocol, simple).await {
        Ok(connection) => connection,
        Err(e) => return e,
    };
    connection
        .call::<_, AllocateResponseProto>("allocate", &AllocateRequestProto::default())
        .await
        .expect_err("a SIMPLE call must be refused")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_and_node_ports_accept_only_valid_tokens() {
    let test = TestCluster::start(|_| {}).await;
    let (_, token) = unmanaged_app(&test).await;
    // SIMPLE gets no reply to its context; the FATAL rejection fails the first call.
    let err = simple_call(
        &test.cluster.scheduler_address(),
        APPLICATION_MASTER_PROTOCOL,
    )
    .await;
    assert_eq!(
        remote_class(&err),
        Some("org.apache.hadoop.security.AccessControlException"),
        "{err}"
    );
    assert!(
        remote_message(&err).contains("SIMPLE authentication is not enabled"),
        "{err}"
    );

    let mut forged = token.clone();
    forged.password[0] ^= 0x55;
    let err = test.scheduler(&forged).await.unwrap_err();
    assert_eq!(
        remote_class(&err),
        Some("javax.security.sasl.SaslException"),
        "{err}"
    );

    let node = test.cluster.node_addresses()[0].clone();
    let err = simple_call(&node, CONTAINER_MANAGEMENT_PROTOCOL).await;
    assert!(
        remote_message(&err).contains("SIMPLE authentication is not enabled"),
        "{err}"
    );
    // An AMRMToken is no NMToken.
    let err = node_connection(&node, &token).await.unwrap_err();
    assert_eq!(
        remote_class(&err),
        Some("org.apache.hadoop.security.token.SecretManager$InvalidToken"),
        "{err}"
    );
    // The genuine token works.
    let am = test.scheduler(&token).await.unwrap();
    register(&am).await.unwrap();
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_manager_checks_container_tokens() {
    let test = TestCluster::start(|_| {}).await;
    let node = test.cluster.node_addresses()[0].clone();
    let mut apps = Vec::new();
    for _ in 0..2 {
        let (app, token) = unmanaged_app(&test).await;
        let am = test.scheduler(&token).await.unwrap();
        register(&am).await.unwrap();
        let response = allocate(&am, 0, vec![ask(1, 128, 1)], Vec::new())
            .await
            .unwrap();
        assert_eq!(response.allocated_containers.len(), 1);
        apps.push((app, am, response));
    }
    let (_, am_a, a) = &apps[0];
    let (_, _, b) = &apps[1];
    let container_a = &a.allocated_containers[0];
    let container_b = &b.allocated_containers[0];
    let nm = node_connection(&node, a.nm_tokens[0].token.as_ref().unwrap())
        .await
        .unwrap();

    // A forged container token fails the whole call, like YARN's InvalidToken.
    let mut forged = container_a.clone();
    forged.container_token.as_mut().unwrap().password[0] ^= 1;
    let err = start(&nm, vec![start_request(&forged, "sleep 30")])
        .await
        .unwrap_err();
    assert_eq!(
        remote_class(&err),
        Some("org.apache.hadoop.security.token.SecretManager$InvalidToken"),
        "{err}"
    );
    assert_eq!(
        remote_message(&err),
        format!("Invalid container token used for starting container on : {node}")
    );

    // Another application's genuine container token: refused per container.
    let response = start(&nm, vec![start_request(container_b, "sleep 30")])
        .await
        .unwrap();
    assert!(response.succeeded_requests.is_empty());
    assert_eq!(response.failed_requests.len(), 1);
    let failure = &response.failed_requests[0];
    assert_eq!(failure.container_id, container_b.id);
    let exception = failure.exception.as_ref().unwrap();
    assert_eq!(
        exception.class_name.as_deref(),
        Some("org.apache.hadoop.yarn.exceptions.YarnException")
    );
    let message = exception.message.as_deref().unwrap();
    assert!(
        message.starts_with("Unauthorized request to start container.\nNMToken for application attempt : appattempt_"),
        "{message}"
    );

    // Start once; the same token cannot start it again.
    let response = start(&nm, vec![start_request(container_a, "sleep 30")])
        .await
        .unwrap();
    assert_eq!(
        response.succeeded_requests,
        vec![container_a.id.clone().unwrap()]
    );
    let response = start(&nm, vec![start_request(container_a, "sleep 30")])
        .await
        .unwrap();
    let message = response.failed_requests[0]
        .exception
        .as_ref()
        .unwrap()
        .message
        .clone()
        .unwrap();
    assert!(
        message.contains("Attempt to relaunch the same container with id"),
        "{message}"
    );

    // Status of another application's container is refused; our own is reported.
    let other = container_status(&nm, container_b.id.as_ref().unwrap()).await;
    assert!(other.status.is_empty());
    assert!(
        other.failed_requests[0]
            .exception
            .as_ref()
            .unwrap()
            .message
            .as_deref()
            .unwrap()
            .contains("attempted to get status for non-application container")
    );

    // stopContainers: -105 at the NodeManager and in the AM's next heartbeats.
    let stopped: StopContainersResponseProto = nm
        .call(
            "stopContainers",
            &StopContainersRequestProto {
                container_id: vec![container_a.id.clone().unwrap()],
            },
        )
        .await
        .unwrap();
    assert_eq!(stopped.succeeded_requests.len(), 1);
    let mut response_id = a.response_id.unwrap();
    let mut allocated = Vec::new();
    let mut completed = Vec::new();
    heartbeat_until(
        am_a,
        &mut response_id,
        &mut allocated,
        &mut completed,
        "the stop",
        |_, c| !c.is_empty(),
    )
    .await;
    assert_eq!(completed[0].exit_status, Some(-105));
    assert!(
        completed[0]
            .diagnostics
            .as_deref()
            .unwrap()
            .contains("Container killed by the ApplicationMaster.")
    );
    let status = container_status(&nm, container_a.id.as_ref().unwrap()).await;
    assert_eq!(status.status[0].exit_status, Some(-105));
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unused_allocations_expire_and_their_tokens_stop_working() {
    let test =
        TestCluster::start(|c| c.container_allocation_expiry = Duration::from_millis(300)).await;
    let (_, token) = unmanaged_app(&test).await;
    let am = test.scheduler(&token).await.unwrap();
    register(&am).await.unwrap();
    let first = allocate(&am, 0, vec![ask(1, 128, 1)], Vec::new())
        .await
        .unwrap();
    let container = first.allocated_containers[0].clone();
    let mut response_id = first.response_id.unwrap();
    let mut allocated = Vec::new();
    let mut completed = Vec::new();
    heartbeat_until(
        &am,
        &mut response_id,
        &mut allocated,
        &mut completed,
        "the expiry",
        |_, c| !c.is_empty(),
    )
    .await;
    assert_eq!(completed[0].container_id, container.id);
    assert_eq!(completed[0].exit_status, Some(-100));
    assert_eq!(
        completed[0].diagnostics.as_deref(),
        Some("Container expired since it was unused")
    );
    let nm = node_connection(
        &test.cluster.node_addresses()[0],
        first.nm_tokens[0].token.as_ref().unwrap(),
    )
    .await
    .unwrap();
    let response = start(&nm, vec![start_request(&container, "sleep 30")])
        .await
        .unwrap();
    let message = response.failed_requests[0]
        .exception
        .as_ref()
        .unwrap()
        .message
        .clone()
        .unwrap();
    assert!(
        message.contains("This token is expired. current time is "),
        "{message}"
    );
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_containers_localize_file_resources_only() {
    use weir_yarn::proto::yarn_records::{
        LocalResourceProto, LocalResourceTypeProto, LocalResourceVisibilityProto,
        StringLocalResourceMapProto, URLProto,
    };
    let test = TestCluster::start(|_| {}).await;
    let (_, token) = unmanaged_app(&test).await;
    let am = test.scheduler(&token).await.unwrap();
    register(&am).await.unwrap();
    let first = allocate(&am, 0, vec![ask(1, 128, 2)], Vec::new())
        .await
        .unwrap();
    assert_eq!(first.allocated_containers.len(), 2);
    let source = test.dir.path().join("payload.txt");
    std::fs::write(&source, b"hello from the staging dir\n").unwrap();
    let meta = std::fs::metadata(&source).unwrap();
    let mtime_ms = meta
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let resource = |scheme: &str, file: String| StringLocalResourceMapProto {
        key: Some("payload.txt".into()),
        value: Some(LocalResourceProto {
            resource: Some(URLProto {
                scheme: Some(scheme.into()),
                host: None,
                port: Some(-1),
                file: Some(file),
                user_info: None,
            }),
            size: Some(meta.len() as i64),
            timestamp: Some(mtime_ms),
            r#type: Some(LocalResourceTypeProto::File as i32),
            visibility: Some(LocalResourceVisibilityProto::Application as i32),
            pattern: None,
            should_be_uploaded_to_shared_cache: None,
        }),
    };
    let copy = test.dir.path().join("copied.txt");
    let mut local = start_request(
        &first.allocated_containers[0],
        &format!("cp payload.txt {}", copy.display()),
    );
    local
        .container_launch_context
        .as_mut()
        .unwrap()
        .local_resources = vec![resource("file", source.display().to_string())];
    let mut remote = start_request(&first.allocated_containers[1], "cat payload.txt");
    remote
        .container_launch_context
        .as_mut()
        .unwrap()
        .local_resources = vec![resource("hdfs", "/user/alice/payload.txt".into())];
    let nm = node_connection(
        &test.cluster.node_addresses()[0],
        first.nm_tokens[0].token.as_ref().unwrap(),
    )
    .await
    .unwrap();
    let started = start(&nm, vec![local, remote]).await.unwrap();
    assert_eq!(started.succeeded_requests.len(), 2);
    let mut response_id = first.response_id.unwrap();
    let mut allocated = Vec::new();
    let mut completed = Vec::new();
    heartbeat_until(
        &am,
        &mut response_id,
        &mut allocated,
        &mut completed,
        "both exits",
        |_, c| c.len() == 2,
    )
    .await;
    let by_id = |c: &ContainerProto| {
        completed
            .iter()
            .find(|s| s.container_id == c.id)
            .cloned()
            .unwrap()
    };
    let local_status = by_id(&first.allocated_containers[0]);
    assert_eq!(local_status.exit_status, Some(0), "{local_status:?}");
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        "hello from the staging dir\n"
    );
    let remote_status = by_id(&first.allocated_containers[1]);
    assert_eq!(remote_status.exit_status, Some(-1000));
    let diagnostics = remote_status.diagnostics.unwrap();
    assert!(
        diagnostics.contains("Failed to download resource"),
        "{diagnostics}"
    );
    assert!(
        diagnostics.contains("No FileSystem for scheme \"hdfs\""),
        "{diagnostics}"
    );
    test.cluster.shutdown().await;
}
