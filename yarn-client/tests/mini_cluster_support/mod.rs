//! Helpers for the mini cluster integration tests: raw IPC connections to the cluster's ports
//! (so the tests see exactly what goes over the wire) and polling helpers.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use weir_yarn::YarnError;
use weir_yarn::ids::ApplicationId;
use weir_yarn::ipc::{
    APPLICATION_CLIENT_PROTOCOL, APPLICATION_MASTER_PROTOCOL, CONTAINER_MANAGEMENT_PROTOCOL,
    ClientAuth, ConnectionConfig, IpcConnection,
};
use weir_yarn::mini_cluster::{MiniYarnCluster, MiniYarnConfig};
use weir_yarn::proto::client_protocol::{
    GetApplicationReportRequestProto, GetApplicationReportResponseProto,
    GetNewApplicationRequestProto, GetNewApplicationResponseProto, KillApplicationRequestProto,
    KillApplicationResponseProto, SubmitApplicationRequestProto, SubmitApplicationResponseProto,
};
use weir_yarn::proto::hadoop_common::TokenProto;
use weir_yarn::proto::yarn_records::{
    ApplicationReportProto, ApplicationSubmissionContextProto, ContainerLaunchContextProto,
    ResourceProto, YarnApplicationStateProto,
};
use weir_yarn::token::Token;

pub const USER: &str = "alice";

/// A cluster in a temporary directory.
pub struct TestCluster {
    pub cluster: MiniYarnCluster,
    pub dir: TempDir,
}

impl TestCluster {
    pub async fn start(adjust: impl FnOnce(&mut MiniYarnConfig)) -> TestCluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = MiniYarnConfig::with_work_dir(dir.path().join("cluster"));
        config.monitor_interval = Duration::from_millis(200);
        adjust(&mut config);
        let cluster = MiniYarnCluster::start(config)
            .await
            .expect("cluster starts");
        TestCluster { cluster, dir }
    }

    pub async fn client(&self) -> IpcConnection {
        connect(
            &self.cluster.rm_address(),
            APPLICATION_CLIENT_PROTOCOL,
            ClientAuth::Simple {
                user: USER.to_string(),
            },
        )
        .await
        .expect("client connection")
    }

    pub async fn scheduler(&self, token: &TokenProto) -> Result<IpcConnection, YarnError> {
        connect(
            &self.cluster.scheduler_address(),
            APPLICATION_MASTER_PROTOCOL,
            ClientAuth::Token(Token::from_proto(token)),
        )
        .await
    }
}

pub async fn connect(
    address: &str,
    protocol: &'static str,
    auth: ClientAuth,
) -> Result<IpcConnection, YarnError> {
    IpcConnection::connect(ConnectionConfig {
        address: address.to_string(),
        protocol,
        auth,
        connect_timeout: Duration::from_secs(5),
        call_timeout: Duration::from_secs(10),
        ping_interval: weir_yarn::ipc::DEFAULT_PING_INTERVAL,
        max_idle: weir_yarn::ipc::DEFAULT_MAX_IDLE,
    })
    .await
}

pub async fn node_connection(
    address: &str,
    token: &TokenProto,
) -> Result<IpcConnection, YarnError> {
    connect(
        address,
        CONTAINER_MANAGEMENT_PROTOCOL,
        ClientAuth::Token(Token::from_proto(token)),
    )
    .await
}

/// The Java exception class of a remote error (call or connection).
pub fn remote_class(error: &YarnError) -> Option<&str> {
    match error {
        YarnError::Remote { class_name, .. } | YarnError::ConnectionRejected { class_name, .. } => {
            Some(class_name)
        }
        _ => None,
    }
}

pub fn remote_message(error: &YarnError) -> String {
    match error {
        YarnError::Remote { message, .. } | YarnError::ConnectionRejected { message, .. } => {
            message.clone()
        }
        other => other.to_string(),
    }
}

pub async fn new_application(client: &IpcConnection) -> GetNewApplicationResponseProto {
    client
        .call("getNewApplication", &GetNewApplicationRequestProto {})
        .await
        .expect("getNewApplication")
}

pub fn launch_context(command: &str) -> ContainerLaunchContextProto {
    ContainerLaunchContextProto {
        command: vec![command.to_string()],
        ..Default::default()
    }
}

pub fn resource(memory_mb: i64) -> ResourceProto {
    ResourceProto {
        memory: Some(memory_mb),
        virtual_cores: Some(1),
        resource_value_map: Vec::new(),
    }
}

/// A managed application running `command` as its AM.
pub fn managed_context(
    app: &GetNewApplicationResponseProto,
    command: &str,
    memory_mb: i64,
    max_attempts: i32,
) -> ApplicationSubmissionContextProto {
    ApplicationSubmissionContextProto {
        application_id: app.application_id.clone(),
        application_name: Some("weir-test".into()),
        queue: Some("default".into()),
        am_container_spec: Some(launch_context(command)),
        max_app_attempts: Some(max_attempts),
        resource: Some(resource(memory_mb)),
        application_type: Some("WEIR".into()),
        ..Default::default()
    }
}

pub fn unmanaged_context(
    app: &GetNewApplicationResponseProto,
) -> ApplicationSubmissionContextProto {
    ApplicationSubmissionContextProto {
        application_id: app.application_id.clone(),
        application_name: Some("unmanaged".into()),
        unmanaged_am: Some(true),
        application_type: Some("WEIR".into()),
        ..Default::default()
    }
}

pub async fn submit(
    client: &IpcConnection,
    context: ApplicationSubmissionContextProto,
) -> Result<(), YarnError> {
    client
        .call::<_, SubmitApplicationResponseProto>(
            "submitApplication",
            &SubmitApplicationRequestProto {
                application_submission_context: Some(context),
            },
        )
        .await
        .map(|_| ())
}

pub async fn report(
    client: &IpcConnection,
    app: &GetNewApplicationResponseProto,
) -> ApplicationReportProto {
    client
        .call::<_, GetApplicationReportResponseProto>(
            "getApplicationReport",
            &GetApplicationReportRequestProto {
                application_id: app.application_id.clone(),
            },
        )
        .await
        .expect("getApplicationReport")
        .application_report
        .expect("a report")
}

pub async fn kill(client: &IpcConnection, app: &GetNewApplicationResponseProto) -> bool {
    client
        .call::<_, KillApplicationResponseProto>(
            "forceKillApplication",
            &KillApplicationRequestProto {
                application_id: app.application_id.clone(),
                diagnostics: None,
            },
        )
        .await
        .expect("forceKillApplication")
        .is_kill_completed
        .unwrap_or(false)
}

pub fn state_of(report: &ApplicationReportProto) -> YarnApplicationStateProto {
    report
        .yarn_application_state
        .and_then(|s| YarnApplicationStateProto::try_from(s).ok())
        .expect("a valid state")
}

/// Polls the report until the application is in `wanted` (panics after `timeout`).
pub async fn wait_for_state(
    client: &IpcConnection,
    app: &GetNewApplicationResponseProto,
    wanted: YarnApplicationStateProto,
    timeout: Duration,
) -> ApplicationReportProto {
    let deadline = Instant::now() + timeout;
    loop {
        let report = report(client, app).await;
        if state_of(&report) == wanted {
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "application did not reach {wanted:?} within {timeout:?}; last report: {report:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `condition` every 25 ms until it holds (panics after `timeout` with `what`).
pub async fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Whether a process exists (and is not a zombie).
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // Field 3 (after the parenthesized command) is the state; Z = zombie.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            state != Some("Z")
        }
        Err(_) => false,
    }
}

pub fn app_id(app: &GetNewApplicationResponseProto) -> ApplicationId {
    ApplicationId::from_proto(app.application_id.as_ref().expect("application id"))
        .expect("valid application id")
}

/// Reads a file the test's container writes, waiting for it to appear.
pub async fn wait_for_file(path: &Path, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.is_empty()
        {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not appear within {timeout:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
