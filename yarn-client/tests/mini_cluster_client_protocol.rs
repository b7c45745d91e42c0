//! The client protocol of the mini cluster's RM, the Hadoop configuration it writes, and a
//! shutdown that leaves no process behind.

mod mini_cluster_support;

use std::time::Duration;

use mini_cluster_support::*;
use weir_yarn::hadoop_conf::HadoopConf;
use weir_yarn::ipc::{APPLICATION_CLIENT_PROTOCOL, ClientAuth};
use weir_yarn::proto::client_protocol::{
    ApplicationsRequestScopeProto, GetApplicationReportRequestProto,
    GetApplicationReportResponseProto, GetApplicationsRequestProto, GetApplicationsResponseProto,
    GetClusterMetricsRequestProto, GetClusterMetricsResponseProto, GetClusterNodesRequestProto,
    GetClusterNodesResponseProto, GetQueueInfoRequestProto, GetQueueInfoResponseProto,
    KillApplicationRequestProto, KillApplicationResponseProto,
};
use weir_yarn::proto::yarn_records::{
    ApplicationIdProto, FinalApplicationStatusProto, NodeStateProto, YarnApplicationStateProto,
};

const APPLICATION_NOT_FOUND: &str =
    "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException";
const INVALID_RESOURCE_REQUEST: &str =
    "org.apache.hadoop.yarn.exceptions.InvalidResourceRequestException";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_applications_reports_and_validation() {
    let test = TestCluster::start(|c| c.node_memory_mb = 4096).await;
    let client = test.client().await;
    let first = new_application(&client).await;
    let second = new_application(&client).await;
    let first_id = app_id(&first);
    assert_eq!(first_id.cluster_timestamp, test.cluster.cluster_timestamp());
    assert_eq!(first_id.id, 1);
    assert_eq!(app_id(&second).id, 2);
    let maximum = first.maximum_capability.clone().unwrap();
    assert_eq!(maximum.memory, Some(4096), "limited by the largest node");
    assert_eq!(maximum.virtual_cores, Some(4));

    // Unknown application: Hadoop's exception class and text.
    let unknown = ApplicationIdProto {
        id: Some(99),
        cluster_timestamp: Some(first_id.cluster_timestamp),
    };
    let err = client
        .call::<_, GetApplicationReportResponseProto>(
            "getApplicationReport",
            &GetApplicationReportRequestProto {
                application_id: Some(unknown.clone()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(remote_class(&err), Some(APPLICATION_NOT_FOUND));
    assert_eq!(
        remote_message(&err),
        format!(
            "Application with id 'application_{}_0099' doesn't exist in RM. Please check that \
             the job submission was successful.",
            first_id.cluster_timestamp
        )
    );
    let err = client
        .call::<_, KillApplicationResponseProto>(
            "forceKillApplication",
            &KillApplicationRequestProto {
                application_id: Some(unknown),
                diagnostics: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(remote_class(&err), Some(APPLICATION_NOT_FOUND));

    // An AM bigger than the maximum allocation, or negative, is refused.
    let err = submit(&client, managed_context(&first, "sleep 1", 100_000, 1))
        .await
        .unwrap_err();
    assert_eq!(remote_class(&err), Some(INVALID_RESOURCE_REQUEST));
    assert!(
        remote_message(&err).contains(
            "requested resource is greater than maximum allowed allocation. Requested resource \
             type=[memory-mb], Requested resource=<memory:100000, vCores:1>, maximum allowed \
             allocation=<memory:4096, vCores:4>"
        ),
        "{err}"
    );
    let err = submit(&client, managed_context(&first, "sleep 1", -1, 1))
        .await
        .unwrap_err();
    assert!(remote_message(&err).contains("less than 0"), "{err}");
    assert!(
        state_after_refusal_is_unknown(&client, &first).await,
        "a refused submission leaves no application"
    );

    // Unknown queue: the submission is accepted, the scheduler rejects the application.
    let mut context = managed_context(&first, "sleep 1", 128, 1);
    context.queue = Some("nope".into());
    submit(&client, context).await.unwrap();
    let rejected = report(&client, &first).await;
    assert_eq!(state_of(&rejected), YarnApplicationStateProto::Failed);
    assert_eq!(
        rejected.final_application_status,
        Some(FinalApplicationStatusProto::AppFailed as i32)
    );
    assert_eq!(
        rejected.diagnostics.as_deref().unwrap(),
        format!("Application {first_id} submitted by user {USER} to unknown queue: nope")
    );

    // Submitting a known id again is accepted and changes nothing.
    let mut again = managed_context(&first, "sleep 1", 128, 1);
    again.application_type = Some("OTHER".into());
    submit(&client, again).await.unwrap();
    let unchanged = report(&client, &first).await;
    assert_eq!(unchanged.application_type.as_deref(), Some("WEIR"));
    assert_eq!(state_of(&unchanged), YarnApplicationStateProto::Failed);
    test.cluster.shutdown().await;
}

async fn state_after_refusal_is_unknown(
    client: &weir_yarn::ipc::IpcConnection,
    app: &weir_yarn::proto::client_protocol::GetNewApplicationResponseProto,
) -> bool {
    let result = client
        .call::<_, GetApplicationReportResponseProto>(
            "getApplicationReport",
            &GetApplicationReportRequestProto {
                application_id: app.application_id.clone(),
            },
        )
        .await;
    matches!(result, Err(ref e) if remote_class(e) == Some(APPLICATION_NOT_FOUND))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_lists_filter_like_yarn() {
    let test = TestCluster::start(|_| {}).await;
    let alice = test.client().await;
    let bob = connect(
        &test.cluster.rm_address(),
        APPLICATION_CLIENT_PROTOCOL,
        ClientAuth::Simple { user: "bob".into() },
    )
    .await
    .unwrap();
    let mut ids = Vec::new();
    for (client, app_type, tag) in [
        (&alice, "Spark", "nightly"),
        (&alice, "WEIR", "Session"),
        (&bob, "weir", "session"),
    ] {
        let app = new_application(client).await;
        let mut context = unmanaged_context(&app);
        context.application_type = Some(app_type.into());
        context.application_tags = vec![tag.into()];
        submit(client, context).await.unwrap();
        ids.push(app);
    }
    assert!(
        kill(&alice, &ids[0]).await,
        "an unmanaged AM's kill completes at once"
    );

    let list = |request: GetApplicationsRequestProto| {
        let alice = alice.clone();
        async move {
            let response: GetApplicationsResponseProto =
                alice.call("getApplications", &request).await.unwrap();
            let mut found: Vec<i32> = response
                .applications
                .iter()
                .map(|r| r.application_id.as_ref().unwrap().id.unwrap())
                .collect();
            found.sort();
            found
        }
    };
    assert_eq!(
        list(GetApplicationsRequestProto::default()).await,
        vec![1, 2, 3]
    );
    assert_eq!(
        list(GetApplicationsRequestProto {
            application_types: vec!["WEIR".into()],
            ..Default::default()
        })
        .await,
        vec![2, 3],
        "types match case-insensitively"
    );
    assert_eq!(
        list(GetApplicationsRequestProto {
            application_states: vec![
                YarnApplicationStateProto::Accepted as i32,
                YarnApplicationStateProto::Running as i32
            ],
            ..Default::default()
        })
        .await,
        vec![2, 3]
    );
    assert_eq!(
        list(GetApplicationsRequestProto {
            application_states: vec![YarnApplicationStateProto::Killed as i32],
            ..Default::default()
        })
        .await,
        vec![1]
    );
    assert_eq!(
        list(GetApplicationsRequestProto {
            users: vec!["bob".into()],
            ..Default::default()
        })
        .await,
        vec![3]
    );
    assert_eq!(
        list(GetApplicationsRequestProto {
            application_tags: vec!["SESSION".into()],
            ..Default::default()
        })
        .await,
        vec![2, 3],
        "tags are lower-cased"
    );
    assert_eq!(
        list(GetApplicationsRequestProto {
            scope: Some(ApplicationsRequestScopeProto::Own as i32),
            ..Default::default()
        })
        .await,
        vec![1, 2]
    );
    assert_eq!(
        list(GetApplicationsRequestProto {
            queues: vec!["other".into()],
            ..Default::default()
        })
        .await,
        Vec::<i32>::new()
    );
    assert_eq!(
        list(GetApplicationsRequestProto {
            limit: Some(2),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_metrics_nodes_queues_and_hadoop_conf() {
    let test = TestCluster::start(|c| c.node_managers = 2).await;
    let client = test.client().await;
    let metrics: GetClusterMetricsResponseProto = client
        .call("getClusterMetrics", &GetClusterMetricsRequestProto {})
        .await
        .unwrap();
    let metrics = metrics.cluster_metrics.unwrap();
    assert_eq!(metrics.num_node_managers, Some(2));
    assert_eq!(metrics.num_active_nms, Some(2));
    assert_eq!(metrics.num_lost_nms, Some(0));

    let nodes: GetClusterNodesResponseProto = client
        .call("getClusterNodes", &GetClusterNodesRequestProto::default())
        .await
        .unwrap();
    assert_eq!(nodes.node_reports.len(), 2);
    let mut addresses: Vec<String> = nodes
        .node_reports
        .iter()
        .map(|n| {
            let id = n.node_id.as_ref().unwrap();
            assert_eq!(n.node_state, Some(NodeStateProto::NsRunning as i32));
            assert_eq!(n.capability.as_ref().unwrap().memory, Some(8192));
            assert_eq!(n.rack_name.as_deref(), Some("/default-rack"));
            format!("{}:{}", id.host.as_deref().unwrap(), id.port.unwrap())
        })
        .collect();
    addresses.sort();
    let mut expected = test.cluster.node_addresses();
    expected.sort();
    assert_eq!(addresses, expected);
    let lost: GetClusterNodesResponseProto = client
        .call(
            "getClusterNodes",
            &GetClusterNodesRequestProto {
                node_states: vec![NodeStateProto::NsLost as i32],
            },
        )
        .await
        .unwrap();
    assert!(lost.node_reports.is_empty());

    let root: GetQueueInfoResponseProto = client
        .call(
            "getQueueInfo",
            &GetQueueInfoRequestProto {
                queue_name: Some("root".into()),
                include_applications: Some(false),
                include_child_queues: Some(true),
                recursive: Some(true),
            },
        )
        .await
        .unwrap();
    let root = root.queue_info.unwrap();
    assert_eq!(root.child_queues.len(), 1);
    assert_eq!(root.child_queues[0].queue_name.as_deref(), Some("default"));
    let err = client
        .call::<_, GetQueueInfoResponseProto>(
            "getQueueInfo",
            &GetQueueInfoRequestProto {
                queue_name: Some("missing".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        remote_message(&err).contains("Unknown queue: missing"),
        "{err}"
    );

    let conf_dir = test.dir.path().join("conf");
    test.cluster.write_hadoop_conf_dir(&conf_dir).unwrap();
    let conf = HadoopConf::load_dir(&conf_dir).unwrap();
    assert_eq!(
        conf.resource_manager_addresses().unwrap(),
        vec![test.cluster.rm_address()]
    );
    assert_eq!(
        conf.scheduler_addresses().unwrap(),
        vec![test.cluster.scheduler_address()]
    );
    assert_eq!(conf.default_fs(), "file:///");
    let log_dirs = conf.get("yarn.nodemanager.log-dirs").unwrap();
    assert_eq!(log_dirs.split(',').count(), 2);
    assert!(log_dirs.contains(&test.cluster.node_log_dir(1).unwrap().display().to_string()));
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_leaves_no_container_processes() {
    let test = TestCluster::start(|c| c.node_managers = 2).await;
    let client = test.client().await;
    for _ in 0..2 {
        let app = new_application(&client).await;
        submit(&client, managed_context(&app, "sleep 60", 128, 1))
            .await
            .unwrap();
    }
    wait_until("two AM processes", Duration::from_secs(10), || {
        test.cluster.running_container_pids().len() == 2
    })
    .await;
    let pids = test.cluster.running_container_pids();
    let rm_address = test.cluster.rm_address();
    test.cluster.shutdown().await;
    for pid in pids {
        assert!(
            !process_alive(pid),
            "container process {pid} survived shutdown"
        );
    }
    // The servers are gone too.
    let after = connect(
        &rm_address,
        APPLICATION_CLIENT_PROTOCOL,
        ClientAuth::Simple { user: USER.into() },
    )
    .await;
    if let Ok(connection) = after {
        let call = connection
            .call::<_, GetClusterMetricsResponseProto>(
                "getClusterMetrics",
                &GetClusterMetricsRequestProto {},
            )
            .await;
        assert!(call.is_err(), "the RM still answers after shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_cluster_stops_its_containers() {
    let test = TestCluster::start(|_| {}).await;
    let client = test.client().await;
    let app = new_application(&client).await;
    submit(&client, managed_context(&app, "sleep 60", 128, 1))
        .await
        .unwrap();
    wait_until("the AM process", Duration::from_secs(10), || {
        test.cluster.running_container_pids().len() == 1
    })
    .await;
    let pids = test.cluster.running_container_pids();
    drop(test.cluster);
    wait_until("the AM process to die", Duration::from_secs(5), || {
        pids.iter().all(|pid| !process_alive(*pid))
    })
    .await;
}
