//! `YarnClient` end to end against the protocol-faithful `MiniYarnCluster`: new application,
//! submit, report, list, kill, metrics, nodes, configuration from a Hadoop conf dir, unknown
//! applications and queues, and RM fail-over past a dead first address.

use std::time::Duration;

use weir_yarn::client::{
    ApplicationFilter, FinalApplicationStatus, NodeState, YarnApplicationState, YarnClient,
    YarnClientConfig,
};
use weir_yarn::hadoop_conf::HadoopConf;
use weir_yarn::ids::ApplicationId;
use weir_yarn::mini_cluster::{MiniYarnCluster, MiniYarnConfig};
use weir_yarn::proto::yarn_records::{
    ApplicationSubmissionContextProto, ContainerLaunchContextProto, ResourceProto,
    StringStringMapProto,
};

const APPLICATION_TYPE: &str = "WEIR-TEST";

async fn cluster(work_dir: &tempfile::TempDir, node_managers: usize) -> MiniYarnCluster {
    let mut config = MiniYarnConfig::with_work_dir(work_dir.path().join("cluster"));
    config.node_managers = node_managers;
    MiniYarnCluster::start(config).await.unwrap()
}

fn client(cluster: &MiniYarnCluster) -> YarnClient {
    let mut config = YarnClientConfig::for_addresses(vec![cluster.rm_address()]).unwrap();
    config.report_poll_interval = Duration::from_millis(50);
    YarnClient::new(config)
}

/// An application whose AM container just sleeps (it never registers: stays ACCEPTED).
fn sleeping_application(
    id: ApplicationId,
    name: &str,
    queue: Option<&str>,
) -> ApplicationSubmissionContextProto {
    ApplicationSubmissionContextProto {
        application_id: Some(id.to_proto()),
        application_name: Some(name.to_string()),
        queue: queue.map(str::to_string),
        application_type: Some(APPLICATION_TYPE.to_string()),
        application_tags: vec!["weir-test".to_string()],
        max_app_attempts: Some(1),
        resource: Some(ResourceProto {
            memory: Some(128),
            virtual_cores: Some(1),
            ..Default::default()
        }),
        am_container_spec: Some(ContainerLaunchContextProto {
            environment: vec![StringStringMapProto {
                key: Some("HADOOP_USER_NAME".to_string()),
                value: Some("weir-test".to_string()),
            }],
            command: vec!["sleep 60 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr".to_string()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn closed_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_report_list_and_kill() {
    let work_dir = tempfile::tempdir().unwrap();
    let cluster = cluster(&work_dir, 1).await;
    let client = client(&cluster);

    let new_application = client.new_application().await.unwrap();
    let id = new_application.application_id;
    assert_eq!(id.cluster_timestamp, cluster.cluster_timestamp());
    assert!(new_application.maximum_capability.memory.unwrap() >= 128);
    let second = client.new_application().await.unwrap().application_id;
    assert_eq!(second.id, id.id + 1, "ids are handed out in sequence");

    client
        .submit_application(sleeping_application(id, "sleeper", None))
        .await
        .unwrap();
    let mut seen = Vec::new();
    let report = client
        .wait_for_state(
            id,
            |state| state == YarnApplicationState::Accepted,
            |report| seen.push(report.state),
        )
        .await
        .unwrap();
    assert_eq!(report.state, YarnApplicationState::Accepted);
    assert_eq!(seen.last(), Some(&YarnApplicationState::Accepted));
    assert_eq!(report.application_id, id);
    assert_eq!(report.name, "sleeper");
    assert_eq!(report.application_type, APPLICATION_TYPE);
    assert_eq!(report.queue, "default");
    assert_eq!(report.final_status, FinalApplicationStatus::Undefined);
    assert_eq!(report.am_address(), None, "the AM never registers");
    assert!(!report.user.is_empty());

    let ours = ApplicationFilter {
        application_types: vec![APPLICATION_TYPE.to_string()],
        ..Default::default()
    };
    let listed = client.applications(&ours).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].application_id, id);
    let finished_only = ApplicationFilter {
        states: vec![YarnApplicationState::Finished],
        ..ours.clone()
    };
    assert!(
        client
            .applications(&finished_only)
            .await
            .unwrap()
            .is_empty()
    );
    let other_type = ApplicationFilter {
        application_types: vec!["SOMETHING-ELSE".to_string()],
        ..Default::default()
    };
    assert!(client.applications(&other_type).await.unwrap().is_empty());

    client
        .kill_application(id, "killed by the test")
        .await
        .unwrap();
    let report = client.application_report(id).await.unwrap();
    assert_eq!(report.state, YarnApplicationState::Killed);
    assert_eq!(report.final_status, FinalApplicationStatus::Killed);
    assert!(report.state.is_terminal());
    // Killing again is harmless.
    client.kill_application(id, "").await.unwrap();
    let killed = ApplicationFilter {
        states: vec![YarnApplicationState::Killed],
        ..ours
    };
    assert_eq!(client.applications(&killed).await.unwrap().len(), 1);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_nodes_and_configuration_from_a_conf_dir() {
    let work_dir = tempfile::tempdir().unwrap();
    let cluster = cluster(&work_dir, 2).await;
    let conf_dir = work_dir.path().join("conf");
    std::fs::create_dir_all(&conf_dir).unwrap();
    cluster.write_hadoop_conf_dir(&conf_dir).unwrap();
    let conf = HadoopConf::load_dir(&conf_dir).unwrap();
    let client = YarnClient::from_conf(&conf).unwrap();
    assert_eq!(client.current_address(), cluster.rm_address());

    let metrics = client.cluster_metrics().await.unwrap();
    assert_eq!(metrics.node_managers, 2, "{metrics:?}");
    assert_eq!(metrics.active_node_managers, 2, "{metrics:?}");
    assert_eq!(metrics.lost_node_managers, 0, "{metrics:?}");

    let mut nodes = client.cluster_nodes(&[]).await.unwrap();
    nodes.sort_by(|a, b| a.node_address.cmp(&b.node_address));
    let mut expected = cluster.node_addresses();
    expected.sort();
    assert_eq!(
        nodes
            .iter()
            .map(|node| node.node_address.clone())
            .collect::<Vec<_>>(),
        expected
    );
    for node in &nodes {
        assert_eq!(node.state, Some(NodeState::Running), "{node:?}");
        assert_eq!(node.capability_memory_mb, cluster.config().node_memory_mb);
        assert_eq!(node.used_memory_mb, 0);
    }
    assert_eq!(
        client
            .cluster_nodes(&[NodeState::Running])
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        client
            .cluster_nodes(&[NodeState::Lost])
            .await
            .unwrap()
            .is_empty()
    );
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_applications_and_queues_are_reported() {
    let work_dir = tempfile::tempdir().unwrap();
    let cluster = cluster(&work_dir, 1).await;
    let client = client(&cluster);

    let unknown = ApplicationId {
        cluster_timestamp: cluster.cluster_timestamp(),
        id: 9999,
    };
    let error = client.application_report(unknown).await.unwrap_err();
    assert_eq!(
        error.remote_class(),
        Some("org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException"),
        "{error}"
    );

    let id = client.new_application().await.unwrap().application_id;
    client
        .submit_application(sleeping_application(id, "lost", Some("no-such-queue")))
        .await
        .unwrap();
    let report = client
        .wait_for_state(id, |state| state.is_terminal(), |_| {})
        .await
        .unwrap();
    assert_eq!(report.state, YarnApplicationState::Failed);
    assert!(
        report.diagnostics.contains("no-such-queue"),
        "{}",
        report.diagnostics
    );
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_first_rm_fails_over_to_the_second() {
    let work_dir = tempfile::tempdir().unwrap();
    let cluster = cluster(&work_dir, 1).await;
    let dead = closed_address();
    let client = YarnClient::for_addresses(vec![dead.clone(), cluster.rm_address()]).unwrap();
    let new_application = client.new_application().await.unwrap();
    assert_eq!(
        new_application.application_id.cluster_timestamp,
        cluster.cluster_timestamp()
    );
    assert_eq!(client.current_address(), cluster.rm_address());
    // Later calls stay on the live RM.
    client.cluster_metrics().await.unwrap();
    assert_eq!(client.current_address(), cluster.rm_address());
    cluster.shutdown().await;
}
