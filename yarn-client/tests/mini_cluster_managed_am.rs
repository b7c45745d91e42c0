//! Managed AMs as shell commands: the RM launches them on a NodeManager, retries failed
//! attempts, enforces memory and kills on request, with YARN's diagnostics.

mod mini_cluster_support;

use std::time::Duration;

use mini_cluster_support::*;
use weir_yarn::proto::client_protocol::{
    GetApplicationAttemptReportRequestProto, GetApplicationAttemptReportResponseProto,
    GetApplicationAttemptsRequestProto, GetApplicationAttemptsResponseProto,
    GetContainerReportRequestProto, GetContainerReportResponseProto,
};
use weir_yarn::proto::yarn_records::{
    ContainerStateProto, FinalApplicationStatusProto, YarnApplicationAttemptStateProto,
    YarnApplicationStateProto,
};
use weir_yarn::token::{AMRM_TOKEN_KIND, Credentials};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleeping_am_is_accepted_then_killed_and_its_process_is_gone() {
    let test = TestCluster::start(|_| {}).await;
    let client = test.client().await;
    let app = new_application(&client).await;
    let id = app_id(&app);
    submit(
        &client,
        managed_context(&app, "env > <LOG_DIR>/am.env && sleep 30", 256, 1),
    )
    .await
    .unwrap();

    wait_until("the AM process", Duration::from_secs(10), || {
        !test.cluster.running_container_pids().is_empty()
    })
    .await;
    let pids = test.cluster.running_container_pids();
    assert_eq!(pids.len(), 1, "only the AM container runs");
    let report = report(&client, &app).await;
    assert_eq!(state_of(&report), YarnApplicationStateProto::Accepted);
    assert_eq!(report.user.as_deref(), Some(USER));
    assert_eq!(report.queue.as_deref(), Some("default"));
    assert_eq!(report.host.as_deref(), Some("N/A"));
    assert_eq!(report.rpc_port, Some(-1));
    assert_eq!(report.application_type.as_deref(), Some("WEIR"));
    assert_eq!(
        report.final_application_status,
        Some(FinalApplicationStatusProto::AppUndefined as i32)
    );
    assert!(
        report.am_rm_token.is_none(),
        "managed AMs get no token in reports"
    );
    let attempt = report.current_application_attempt_id.clone().unwrap();
    assert_eq!(attempt.attempt_id, Some(1));
    let usage = report.app_resource_usage.clone().unwrap();
    assert_eq!(usage.num_used_containers, Some(1));
    assert_eq!(usage.used_resources.unwrap().memory, Some(256));

    // The AM container's environment and token file, as the RM's AM launcher prepared them.
    let container = format!("container_{}_0001_01_000001", id.cluster_timestamp);
    let log_dir = test
        .cluster
        .node_log_dir(0)
        .unwrap()
        .join(id.to_string())
        .join(&container);
    let env = wait_for_file(&log_dir.join("am.env"), Duration::from_secs(10)).await;
    let var = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_string)
    };
    assert_eq!(var("CONTAINER_ID").as_deref(), Some(container.as_str()));
    assert_eq!(
        var("APPLICATION_WEB_PROXY_BASE"),
        Some(format!("/proxy/{id}"))
    );
    let submit_time: i64 = var("APP_SUBMIT_TIME_ENV").unwrap().parse().unwrap();
    assert_eq!(Some(submit_time), report.submit_time);
    let token_file = var("HADOOP_TOKEN_FILE_LOCATION").unwrap();
    let credentials = Credentials::read_file(std::path::Path::new(&token_file)).unwrap();
    assert_eq!(credentials.tokens.len(), 1);
    let (alias, token) = &credentials.tokens[0];
    assert_eq!(
        alias, "",
        "AMLauncher stores the AMRMToken under its (empty) service"
    );
    assert_eq!(token.kind, AMRM_TOKEN_KIND);
    assert_eq!(token.service, "");

    assert!(
        !kill(&client, &app).await,
        "the first kill reports incomplete"
    );
    assert!(kill(&client, &app).await, "then the kill is complete");
    let report = wait_for_state(
        &client,
        &app,
        YarnApplicationStateProto::Killed,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        report.final_application_status,
        Some(FinalApplicationStatusProto::AppKilled as i32)
    );
    let diagnostics = report.diagnostics.unwrap();
    assert!(
        diagnostics.starts_with(&format!("Application {id} was killed by user {USER} at ")),
        "{diagnostics}"
    );
    assert!(report.finish_time.unwrap() >= report.start_time.unwrap());
    wait_until("the AM process to die", Duration::from_secs(5), || {
        pids.iter().all(|pid| !process_alive(*pid))
    })
    .await;
    wait_until("no live containers", Duration::from_secs(5), || {
        test.cluster.live_container_count() == 0
    })
    .await;
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn am_exiting_without_registering_fails_the_application_after_max_attempts() {
    let test = TestCluster::start(|c| c.am_max_attempts = 2).await;
    let client = test.client().await;
    let app = new_application(&client).await;
    let id = app_id(&app);
    // maxAppAttempts 0 means "the RM's am.max-attempts".
    submit(
        &client,
        managed_context(&app, "echo dying >&2; exit 3", 128, 0),
    )
    .await
    .unwrap();
    let report = wait_for_state(
        &client,
        &app,
        YarnApplicationStateProto::Failed,
        Duration::from_secs(20),
    )
    .await;
    let attempts = test.cluster.application_attempts(&id);
    assert_eq!(attempts.len(), 2, "two attempts ran: {attempts:?}");
    assert_eq!(
        report.final_application_status,
        Some(FinalApplicationStatusProto::AppFailed as i32)
    );
    assert_eq!(
        report.current_application_attempt_id.unwrap().attempt_id,
        Some(2)
    );
    let diagnostics = report.diagnostics.unwrap();
    let second_attempt = format!("appattempt_{}_0001_000002", id.cluster_timestamp);
    assert!(
        diagnostics.starts_with(&format!(
            "Application {id} failed 2 times due to AM Container for {second_attempt} exited \
             with  exitCode: 3\nFailing this attempt.Diagnostics: "
        )),
        "{diagnostics}"
    );
    assert!(
        diagnostics.ends_with(". Failing the application."),
        "{diagnostics}"
    );
    assert!(diagnostics.contains("Exit code: 3"), "{diagnostics}");
    let log_dir = test
        .cluster
        .node_log_dir(0)
        .unwrap()
        .join(id.to_string())
        .join(format!("container_{}_0001_02_000001", id.cluster_timestamp));
    assert!(
        diagnostics.contains(&log_dir.display().to_string()),
        "diagnostics name the log dir {}: {diagnostics}",
        log_dir.display()
    );
    assert!(log_dir.is_dir());
    assert_eq!(report.host.as_deref(), Some("N/A"));
    assert_eq!(test.cluster.live_container_count(), 0);

    // Attempt and container reports.
    let attempts: GetApplicationAttemptsResponseProto = client
        .call(
            "getApplicationAttempts",
            &GetApplicationAttemptsRequestProto {
                application_id: app.application_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(attempts.application_attempts.len(), 2);
    for attempt in &attempts.application_attempts {
        assert_eq!(
            attempt.yarn_application_attempt_state,
            Some(YarnApplicationAttemptStateProto::AppAttemptFailed as i32)
        );
        assert!(attempt.finish_time.unwrap() >= attempt.start_time.unwrap());
    }
    let second: GetApplicationAttemptReportResponseProto = client
        .call(
            "getApplicationAttemptReport",
            &GetApplicationAttemptReportRequestProto {
                application_attempt_id: attempts.application_attempts[1]
                    .application_attempt_id
                    .clone(),
            },
        )
        .await
        .unwrap();
    let second = second.application_attempt_report.unwrap();
    assert!(
        second
            .diagnostics
            .as_deref()
            .unwrap()
            .contains("exitCode: 3")
    );
    let am_container: GetContainerReportResponseProto = client
        .call(
            "getContainerReport",
            &GetContainerReportRequestProto {
                container_id: second.am_container_id.clone(),
            },
        )
        .await
        .unwrap();
    let am_container = am_container.container_report.unwrap();
    assert_eq!(am_container.container_exit_status, Some(3));
    assert_eq!(
        am_container.container_state,
        Some(ContainerStateProto::CComplete as i32)
    );
    let mut missing = second.application_attempt_id.clone().unwrap();
    missing.attempt_id = Some(9);
    let err = client
        .call::<_, GetApplicationAttemptReportResponseProto>(
            "getApplicationAttemptReport",
            &GetApplicationAttemptReportRequestProto {
                application_attempt_id: Some(missing),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        remote_class(&err),
        Some("org.apache.hadoop.yarn.exceptions.ApplicationAttemptNotFoundException")
    );
    test.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn am_over_its_physical_memory_is_killed_with_yarns_diagnostics() {
    let test = TestCluster::start(|c| {
        c.monitor_interval = Duration::from_millis(100);
        c.am_max_attempts = 2;
    })
    .await;
    let client = test.client().await;
    let app = new_application(&client).await;
    // `tail` keeps its whole input (no newline) in memory: ~300 MB RSS in a 128 MB container.
    submit(
        &client,
        managed_context(
            &app,
            "(head -c 314572800 /dev/zero; sleep 30) | tail",
            128,
            1,
        ),
    )
    .await
    .unwrap();
    let report = wait_for_state(
        &client,
        &app,
        YarnApplicationStateProto::Failed,
        Duration::from_secs(20),
    )
    .await;
    let diagnostics = report.diagnostics.unwrap();
    assert!(
        diagnostics
            .contains("failed 1 times (global limit =2; local limit is =1) due to AM Container"),
        "{diagnostics}"
    );
    assert!(diagnostics.contains("exitCode: -104"), "{diagnostics}");
    assert!(
        diagnostics.contains("beyond the 'PHYSICAL' memory limit"),
        "{diagnostics}"
    );
    assert!(
        diagnostics.contains("of 128 MB physical memory used"),
        "{diagnostics}"
    );
    assert_eq!(test.cluster.application_attempts(&app_id(&app)).len(), 1);
    wait_until("no live containers", Duration::from_secs(5), || {
        test.cluster.live_container_count() == 0
    })
    .await;
    test.cluster.shutdown().await;
}
