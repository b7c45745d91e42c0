//! The ApplicationMaster shim against a scripted RM scheduler and a fake NodeManager: asks are
//! sent once with the remaining count, surplus containers are released at once, launches go to
//! the container's NodeManager with its NMToken, completions reach the handler, the whole ask
//! table goes out again after a re-registration, and `finish` unregisters.

mod am_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use am_support::*;
use weir_yarn::YarnError;
use weir_yarn::am::{
    AllocatedContainer, AmConfig, AmHandle, AmHandler, AmOutcome, ApplicationMaster,
    CompletedContainer, ContainerLaunchDecision, ContainerSpec,
};
use weir_yarn::client::FinalApplicationStatus;
use weir_yarn::ids::ContainerId;
use weir_yarn::ipc::{IpcServer, RetryPolicy};
use weir_yarn::proto::yarn_records::ContainerLaunchContextProto;

const WAIT: Duration = Duration::from_secs(10);
const SMALL: ContainerSpec = ContainerSpec {
    memory_mb: 1024,
    vcores: 1,
};
const LARGE: ContainerSpec = ContainerSpec {
    memory_mb: 2048,
    vcores: 2,
};

#[derive(Default, Debug)]
struct Events {
    allocated: Vec<(ContainerId, ContainerSpec)>,
    recovered: Vec<(ContainerId, ContainerSpec, String)>,
    started: Vec<ContainerId>,
    start_failed: Vec<(ContainerId, String)>,
    completed: Vec<CompletedContainer>,
    shutdown_requested: bool,
}

/// Launches every container except those listed in `release`.
struct RecordingHandler {
    events: Arc<Mutex<Events>>,
    release: Vec<ContainerId>,
}

impl AmHandler for RecordingHandler {
    fn on_containers_allocated(
        &mut self,
        containers: Vec<AllocatedContainer>,
    ) -> Vec<ContainerLaunchDecision> {
        let mut events = self.events.lock().unwrap();
        containers
            .into_iter()
            .map(|container| {
                events
                    .allocated
                    .push((container.container_id, container.spec));
                if self.release.contains(&container.container_id) {
                    ContainerLaunchDecision::Release {
                        container_id: container.container_id,
                    }
                } else {
                    ContainerLaunchDecision::Launch {
                        container_id: container.container_id,
                        launch_context: ContainerLaunchContextProto {
                            command: vec![format!("echo {}", container.container_id)],
                            ..Default::default()
                        },
                    }
                }
            })
            .collect()
    }

    fn on_container_started(&mut self, container_id: ContainerId) {
        self.events.lock().unwrap().started.push(container_id);
    }

    fn on_start_failed(&mut self, container_id: ContainerId, error: &YarnError) {
        self.events
            .lock()
            .unwrap()
            .start_failed
            .push((container_id, error.to_string()));
    }

    fn on_containers_completed(&mut self, containers: Vec<CompletedContainer>) {
        self.events.lock().unwrap().completed.extend(containers);
    }

    fn on_containers_recovered(&mut self, containers: Vec<AllocatedContainer>) {
        let mut events = self.events.lock().unwrap();
        for container in containers {
            events.recovered.push((
                container.container_id,
                container.spec,
                container.node_address,
            ));
        }
    }

    fn on_shutdown_request(&mut self) {
        self.events.lock().unwrap().shutdown_requested = true;
    }
}

struct Setup {
    scheduler: Arc<FakeScheduler>,
    node: Arc<FakeNodeManager>,
    node_address: String,
    _servers: Vec<IpcServer>,
    master: ApplicationMaster,
    handle: AmHandle,
    events: Arc<Mutex<Events>>,
}

async fn setup() -> Setup {
    setup_with(|_, _, _| {}).await
}

/// `prepare` runs before the AM registers, with the scheduler, the node and its address.
async fn setup_with(prepare: impl FnOnce(&FakeScheduler, &FakeNodeManager, &str)) -> Setup {
    let scheduler = FakeScheduler::new();
    let scheduler_server =
        start_scheduler(scheduler.clone(), FakeVerifier::accepting(&["key1"])).await;
    let node = FakeNodeManager::new();
    let node_server = start_node_manager(node.clone(), FakeVerifier::accepting(&["nm-key"])).await;
    prepare(&scheduler, &node, &node_server.local_addr().to_string());
    let fast = RetryPolicy {
        connect_timeout: Duration::from_secs(1),
        call_timeout: Duration::from_secs(5),
        max_wait: Duration::from_secs(2),
        retry_interval: Duration::from_millis(100),
    };
    let config = AmConfig {
        attempt_id: attempt(),
        amrm_token: amrm_token("key1"),
        scheduler_addresses: vec![scheduler_server.local_addr().to_string()],
        host: "am-host".to_string(),
        rpc_port: -1,
        tracking_url: String::new(),
        heartbeat_interval: Duration::from_millis(300),
        container_request_heartbeat_interval: Duration::from_millis(30),
        am_rm_retry_policy: fast.clone(),
        nm_retry_policy: fast,
        unregister_timeout: Duration::from_secs(2),
    };
    let master = ApplicationMaster::register(config).await.unwrap();
    let handle = master.handle();
    Setup {
        scheduler,
        node,
        node_address: node_server.local_addr().to_string(),
        _servers: vec![scheduler_server, node_server],
        master,
        handle,
        events: Arc::new(Mutex::new(Events::default())),
    }
}

fn spawn_run(
    master: ApplicationMaster,
    events: &Arc<Mutex<Events>>,
    release: Vec<ContainerId>,
) -> tokio::task::JoinHandle<Result<AmOutcome, YarnError>> {
    let handler = RecordingHandler {
        events: Arc::clone(events),
        release,
    };
    tokio::spawn(master.run(handler))
}

/// The (priority, count) of every ask the scheduler received, in order.
fn asks(scheduler: &FakeScheduler) -> Vec<(i32, i64, u32)> {
    scheduler
        .state()
        .allocates
        .iter()
        .flat_map(|request| request.ask.iter())
        .map(|ask| {
            (
                ask.priority.as_ref().and_then(|p| p.priority).unwrap_or(-1),
                ask.capability.as_ref().and_then(|c| c.memory).unwrap_or(-1),
                ask.num_containers.unwrap_or(-1) as u32,
            )
        })
        .collect()
}

fn released(scheduler: &FakeScheduler) -> Vec<ContainerId> {
    scheduler
        .state()
        .allocates
        .iter()
        .flat_map(|request| request.release.iter())
        .map(|id| ContainerId::from_proto(id).unwrap())
        .collect()
}

async fn wait_events(events: &Arc<Mutex<Events>>, what: &str, condition: impl Fn(&Events) -> bool) {
    let started = std::time::Instant::now();
    while !condition(&events.lock().unwrap()) {
        assert!(
            started.elapsed() < WAIT,
            "timed out waiting for {what}: {:?}",
            events.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn containers_are_requested_once_launched_and_surplus_released() {
    let Setup {
        scheduler,
        node,
        node_address,
        _servers,
        master,
        handle,
        events,
    } = setup().await;
    let run = spawn_run(master, &events, vec![]);
    handle.request_containers(SMALL, 2).unwrap();
    wait_for(&scheduler, WAIT, "the ask", |state| {
        state
            .allocates
            .iter()
            .any(|request| !request.ask.is_empty())
    })
    .await;
    {
        let mut state = scheduler.state();
        state.next_nm_tokens = vec![nm_token_for(&node_address, "nm-key")];
        state.next_allocated = vec![
            allocated_container(2, 1, &node_address, 1024),
            allocated_container(3, 1, &node_address, 1536), // normalized upward: still priority 1
            allocated_container(4, 1, &node_address, 1024), // beyond the 2 wanted: surplus
            allocated_container(5, 9, &node_address, 1024), // unknown priority: surplus
        ];
    }
    wait_events(&events, "both starts", |events| events.started.len() == 2).await;
    wait_for(&scheduler, WAIT, "the surplus release", |state| {
        state
            .allocates
            .iter()
            .any(|request| request.release.len() == 2)
    })
    .await;
    assert_eq!(released(&scheduler), vec![container_id(4), container_id(5)]);
    assert_eq!(
        events.lock().unwrap().allocated,
        vec![(container_id(2), SMALL), (container_id(3), SMALL)]
    );
    {
        let node_state = node.state();
        assert_eq!(node_state.started.len(), 2);
        assert_eq!(
            node_state.started[&container_id(2)],
            vec![format!("echo {}", container_id(2))]
        );
        assert!(node_state.caller_tokens.iter().all(|id| id == b"nm-key"));
    }
    // Let a few idle heartbeats pass: the satisfied ask is never sent again.
    let heartbeats = scheduler.state().allocates.len();
    wait_for(&scheduler, WAIT, "more heartbeats", |state| {
        state.allocates.len() >= heartbeats + 2
    })
    .await;
    assert_eq!(asks(&scheduler), vec![(1, 1024, 2)]);

    // Completions of launched containers reach the handler; the released surplus does not.
    scheduler.state().next_completed = vec![
        completed(2, 0, ""),
        completed(3, 5, "Exception from container-launch: exit code 5"),
        completed(4, -100, "Container released by application"),
    ];
    wait_events(&events, "completions", |events| events.completed.len() == 2).await;
    {
        let events = events.lock().unwrap();
        assert_eq!(events.completed[0].container_id, container_id(2));
        assert_eq!(events.completed[1].exit_status, 5);
        assert!(events.completed[1].diagnostics.contains("exit code 5"));
        assert_eq!(events.completed[1].spec, SMALL);
    }

    // Replacement: a new request goes out as the new remaining count.
    handle.request_containers(SMALL, 1).unwrap();
    wait_for(&scheduler, WAIT, "the second ask", |state| {
        state
            .allocates
            .iter()
            .filter(|request| !request.ask.is_empty())
            .count()
            == 2
    })
    .await;
    assert_eq!(asks(&scheduler), vec![(1, 1024, 2), (1, 1024, 1)]);

    handle
        .finish(FinalApplicationStatus::Succeeded, "done")
        .unwrap();
    let outcome = run.await.unwrap().unwrap();
    assert_eq!(
        outcome,
        AmOutcome::Unregistered {
            status: FinalApplicationStatus::Succeeded,
            diagnostics: "done".to_string()
        }
    );
    let state = scheduler.state();
    assert_eq!(state.finishes.len(), 1);
    assert_eq!(state.finishes[0].1.final_application_status, Some(1));
}

#[tokio::test]
async fn each_size_has_its_priority_and_the_whole_table_is_resent_after_re_register() {
    let Setup {
        scheduler,
        _servers,
        master,
        handle,
        events,
        ..
    } = setup().await;
    let run = spawn_run(master, &events, vec![]);
    handle.request_containers(SMALL, 3).unwrap();
    handle.request_containers(LARGE, 1).unwrap();
    wait_for(&scheduler, WAIT, "both asks", |state| {
        state
            .allocates
            .iter()
            .map(|request| request.ask.len())
            .sum::<usize>()
            == 2
    })
    .await;
    let mut first = asks(&scheduler);
    first.sort();
    assert_eq!(first, vec![(1, 1024, 3), (2, 2048, 1)]);

    scheduler.state().registered = false; // RM restart: the attempt must register again
    wait_for(&scheduler, WAIT, "re-sent asks", |state| {
        // The first allocate after each registration carries response id 0.
        state.registrations == 2
            && state
                .allocates
                .iter()
                .filter(|request| request.response_id == Some(0) && request.ask.len() == 2)
                .count()
                == 2
    })
    .await;
    let mut all = asks(&scheduler);
    all.sort();
    assert_eq!(
        all,
        vec![(1, 1024, 3), (1, 1024, 3), (2, 2048, 1), (2, 2048, 1)]
    );

    handle
        .finish(FinalApplicationStatus::Killed, "stopped")
        .unwrap();
    run.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_failed_start_is_reported_and_the_container_released() {
    let Setup {
        scheduler,
        node,
        node_address,
        _servers,
        master,
        handle,
        events,
    } = setup().await;
    node.state().refuse.insert(
        container_id(2),
        (
            "org.apache.hadoop.security.token.SecretManager$InvalidToken".to_string(),
            "container token expired".to_string(),
        ),
    );
    let run = spawn_run(master, &events, vec![container_id(4)]);
    handle.request_containers(SMALL, 3).unwrap();
    wait_for(&scheduler, WAIT, "the ask", |state| {
        state
            .allocates
            .iter()
            .any(|request| !request.ask.is_empty())
    })
    .await;
    {
        let mut state = scheduler.state();
        state.next_nm_tokens = vec![nm_token_for(&node_address, "nm-key")];
        state.next_allocated = vec![
            allocated_container(2, 1, &node_address, 1024),
            allocated_container(3, 1, &node_address, 1024),
            allocated_container(4, 1, &node_address, 1024), // the handler releases this one
        ];
    }
    wait_events(&events, "the start failure", |events| {
        events.start_failed.len() == 1 && events.started.len() == 1
    })
    .await;
    {
        let events = events.lock().unwrap();
        let (failed, message) = &events.start_failed[0];
        assert_eq!(*failed, container_id(2));
        assert!(message.contains("SecretManager$InvalidToken"), "{message}");
        assert!(message.contains("container token expired"), "{message}");
    }
    wait_for(&scheduler, WAIT, "both releases", |state| {
        state
            .allocates
            .iter()
            .map(|request| request.release.len())
            .sum::<usize>()
            == 2
    })
    .await;
    let mut released = released(&scheduler);
    released.sort();
    assert_eq!(released, vec![container_id(2), container_id(4)]);

    // Stopping the running one: stopContainers on its NM, and a release to the RM.
    handle.stop_container(container_id(3)).unwrap();
    wait_for(&scheduler, WAIT, "the stop's release", |state| {
        state
            .allocates
            .iter()
            .map(|request| request.release.len())
            .sum::<usize>()
            == 3
    })
    .await;
    assert_eq!(node.state().stopped, vec![container_id(3)]);

    handle
        .finish(FinalApplicationStatus::Failed, "gave up")
        .unwrap();
    run.await.unwrap().unwrap();
}

#[tokio::test]
async fn am_shutdown_ends_the_loop_without_unregistering() {
    let Setup {
        scheduler,
        _servers,
        master,
        handle,
        events,
        ..
    } = setup().await;
    scheduler.state().next_am_command = Some(2);
    let run = spawn_run(master, &events, vec![]);
    let outcome = run.await.unwrap().unwrap();
    assert!(
        matches!(outcome, AmOutcome::ShutdownRequested { .. }),
        "{outcome:?}"
    );
    assert!(events.lock().unwrap().shutdown_requested);
    assert!(scheduler.state().finishes.is_empty());
    let error = handle.request_containers(SMALL, 1).unwrap_err();
    assert!(matches!(error, YarnError::AmStopped { .. }), "{error}");
}

#[tokio::test]
async fn oversized_requests_fail_at_once_and_dropped_handles_unregister_as_failed() {
    let Setup {
        scheduler,
        _servers,
        master,
        handle,
        events,
        ..
    } = setup().await;
    let error = handle
        .request_containers(ContainerSpec::new(8192, 1), 1)
        .unwrap_err();
    assert!(error.to_string().contains("4096"), "{error}");
    let run = spawn_run(master, &events, vec![]);
    drop(handle);
    let outcome = run.await.unwrap().unwrap();
    let AmOutcome::Unregistered {
        status,
        diagnostics,
    } = outcome
    else {
        panic!("expected an unregistration, got {outcome:?}");
    };
    assert_eq!(status, FinalApplicationStatus::Failed);
    assert!(diagnostics.contains("AmHandle"), "{diagnostics}");
    assert_eq!(scheduler.state().finishes.len(), 1);
}

#[tokio::test]
async fn containers_of_a_previous_attempt_are_recovered_and_tracked() {
    let Setup {
        scheduler,
        node,
        node_address,
        _servers,
        master,
        handle,
        events,
    } = setup_with(|scheduler, node, node_address| {
        let mut state = scheduler.state();
        state.previous_containers = vec![allocated_container(7, 1, node_address, 1536)];
        state.previous_nm_tokens = vec![nm_token_for(node_address, "nm-key")];
        // The container still runs on its NodeManager.
        node.state().started.insert(container_id(7), vec![]);
    })
    .await;
    let run = spawn_run(master, &events, vec![]);
    wait_events(&events, "the recovery", |events| {
        events.recovered.len() == 1
    })
    .await;
    assert_eq!(
        events.lock().unwrap().recovered[0],
        (
            container_id(7),
            ContainerSpec::new(1536, 1),
            node_address.clone()
        )
    );
    // Stoppable with the NMToken of the registration, and its completion is reported.
    handle.stop_container(container_id(7)).unwrap();
    wait_for(&scheduler, WAIT, "the release", |state| {
        state
            .allocates
            .iter()
            .any(|request| !request.release.is_empty())
    })
    .await;
    assert_eq!(node.state().stopped, vec![container_id(7)]);
    scheduler.state().next_completed = vec![completed(
        7,
        -105,
        "Container killed by the ApplicationMaster.",
    )];
    wait_events(&events, "the completion", |events| {
        events.completed.len() == 1
    })
    .await;
    assert_eq!(events.lock().unwrap().completed[0].exit_status, -105);
    handle
        .finish(FinalApplicationStatus::Succeeded, "done")
        .unwrap();
    run.await.unwrap().unwrap();
}
