//! The reports the RM hands to clients: `ApplicationReportProto`, `NodeReportProto`,
//! `YarnClusterMetricsProto`. Every field a Java client reads without a null check is filled
//! (`ApplicationReportPBImpl` returns `null` for absent messages and proto2 defaults for absent
//! scalars), with YARN's conventions: host `N/A` and rpc_port -1 until the AM registers (and
//! again after a failed or killed attempt), progress 1.0 in final states, the AMRMToken only
//! for an unmanaged AM's launched attempt and only to the application's own user.
//!
//! The mini cluster runs no web server or proxy: `trackingUrl` is the URL the AM registered
//! (or `N/A`), node HTTP addresses use port 8042 for shape only.

use crate::mini_cluster::node_manager::NodeManager;
use crate::mini_cluster::resource::Resource;
use crate::mini_cluster::resource_manager::{RmState, now_ms};
use crate::mini_cluster::rm_app::{
    AppState, AttemptState, FinalStatus, RmApp, RmAppAttempt, RmContainer,
};
use crate::proto::yarn_records::{
    ApplicationAttemptReportProto, ApplicationReportProto, ApplicationResourceUsageReportProto,
    ContainerReportProto, ContainerStateProto, ExecutionTypeProto, FinalApplicationStatusProto,
    LogAggregationStatusProto, NodeReportProto, NodeStateProto, PriorityProto,
    YarnApplicationAttemptStateProto, YarnApplicationStateProto,
};

/// Rack of every node (YARN's default rack).
pub const DEFAULT_RACK: &str = "/default-rack";
/// NodeManager web port used in addresses (no web server runs).
pub const NM_HTTP_PORT: u16 = 8042;

/// The YARN application state a report shows for an internal state.
pub fn report_state(state: AppState) -> YarnApplicationStateProto {
    match state {
        AppState::Accepted => YarnApplicationStateProto::Accepted,
        AppState::Running => YarnApplicationStateProto::Running,
        AppState::Finishing | AppState::Finished => YarnApplicationStateProto::Finished,
        AppState::Failed => YarnApplicationStateProto::Failed,
        AppState::Killed => YarnApplicationStateProto::Killed,
    }
}

pub fn final_status_proto(status: FinalStatus) -> FinalApplicationStatusProto {
    match status {
        FinalStatus::Undefined => FinalApplicationStatusProto::AppUndefined,
        FinalStatus::Succeeded => FinalApplicationStatusProto::AppSucceeded,
        FinalStatus::Failed => FinalApplicationStatusProto::AppFailed,
        FinalStatus::Killed => FinalApplicationStatusProto::AppKilled,
        FinalStatus::Ended => FinalApplicationStatusProto::AppEnded,
    }
}

pub fn final_status_from_proto(value: Option<i32>) -> FinalStatus {
    match value.and_then(|v| FinalApplicationStatusProto::try_from(v).ok()) {
        Some(FinalApplicationStatusProto::AppSucceeded) => FinalStatus::Succeeded,
        Some(FinalApplicationStatusProto::AppFailed) => FinalStatus::Failed,
        Some(FinalApplicationStatusProto::AppKilled) => FinalStatus::Killed,
        Some(FinalApplicationStatusProto::AppEnded) => FinalStatus::Ended,
        Some(FinalApplicationStatusProto::AppUndefined) | None => FinalStatus::Undefined,
    }
}

/// The report of one application as seen by `caller_user`.
pub fn application_report(
    state: &RmState,
    app: &RmApp,
    caller_user: &str,
) -> ApplicationReportProto {
    let attempt = app.current_attempt();
    let (host, rpc_port, original_tracking_url, progress) = match attempt {
        Some(a) => (
            a.host.clone(),
            a.rpc_port,
            a.original_tracking_url.clone(),
            if app.state.is_final() {
                1.0
            } else {
                a.progress
            },
        ),
        None => ("N/A".to_string(), -1, "N/A".to_string(), 0.0),
    };
    let am_rm_token = attempt
        .filter(|a| app.unmanaged && a.state == AttemptState::Launched && app.user == caller_user)
        .map(|a| a.am_rm_token.to_proto());
    let mut used = Resource::default();
    let mut live = 0;
    let mut live_memory_seconds = 0i64;
    let mut live_vcore_seconds = 0i64;
    for container in app.live_containers() {
        used = used.plus(&container.resource);
        live += 1;
        let seconds = container.allocated_at.elapsed().as_secs() as i64;
        live_memory_seconds += container.resource.memory_mb.saturating_mul(seconds);
        live_vcore_seconds += i64::from(container.resource.vcores).saturating_mul(seconds);
    }
    let pending = attempt
        .map(|a| state.scheduler.pending(&a.id))
        .unwrap_or_default();
    let cluster_memory: i64 = (0..state.scheduler.node_count())
        .map(|n| state.scheduler.node_capability(n).memory_mb)
        .sum();
    let cluster_usage = if cluster_memory > 0 {
        used.memory_mb as f32 * 100.0 / cluster_memory as f32
    } else {
        0.0
    };
    ApplicationReportProto {
        application_id: Some(app.id.to_proto()),
        user: Some(app.user.clone()),
        queue: Some(app.queue.clone()),
        name: Some(app.name.clone()),
        host: Some(host),
        rpc_port: Some(rpc_port),
        client_to_am_token: None,
        yarn_application_state: Some(report_state(app.state) as i32),
        tracking_url: Some(original_tracking_url.clone()),
        diagnostics: Some(app.diagnostics.clone()),
        start_time: Some(app.start_time_ms),
        finish_time: Some(app.finish_time_ms),
        final_application_status: Some(final_status_proto(app.final_status) as i32),
        app_resource_usage: Some(ApplicationResourceUsageReportProto {
            num_used_containers: Some(live),
            num_reserved_containers: Some(0),
            used_resources: Some(used.to_proto()),
            reserved_resources: Some(Resource::default().to_proto()),
            needed_resources: Some(used.plus(&pending).to_proto()),
            memory_seconds: Some(app.memory_seconds.saturating_add(live_memory_seconds)),
            vcore_seconds: Some(app.vcore_seconds.saturating_add(live_vcore_seconds)),
            queue_usage_percentage: Some(cluster_usage),
            cluster_usage_percentage: Some(cluster_usage),
            preempted_memory_seconds: Some(0),
            preempted_vcore_seconds: Some(0),
            application_resource_usage_map: Vec::new(),
            application_preempted_resource_usage_map: Vec::new(),
        }),
        original_tracking_url: Some(original_tracking_url),
        current_application_attempt_id: attempt.map(|a| a.id.to_proto()),
        progress: Some(progress),
        application_type: Some(app.application_type.clone()),
        am_rm_token,
        application_tags: app.tags.clone(),
        log_aggregation_status: Some(LogAggregationStatusProto::LogDisabled as i32),
        unmanaged_application: Some(app.unmanaged),
        priority: Some(PriorityProto {
            priority: Some(app.priority),
        }),
        app_node_label_expression: None,
        am_node_label_expression: None,
        app_timeouts: Vec::new(),
        launch_time: Some(app.launch_time_ms),
        submit_time: Some(app.submit_time_ms),
        rm_cluster_id: None,
    }
}

/// The report of one NodeManager.
pub fn node_report(state: &RmState, index: usize, host: &str, port: i32) -> NodeReportProto {
    let (used, containers) = state.scheduler.node_usage(index);
    NodeReportProto {
        node_id: Some(crate::proto::yarn_records::NodeIdProto {
            host: Some(host.to_string()),
            port: Some(port),
        }),
        http_address: Some(format!("{host}:{NM_HTTP_PORT}")),
        rack_name: Some(DEFAULT_RACK.to_string()),
        used: Some(used.to_proto()),
        capability: Some(state.scheduler.node_capability(index).to_proto()),
        num_containers: Some(i32::try_from(containers).unwrap_or(i32::MAX)),
        node_state: Some(NodeStateProto::NsRunning as i32),
        health_report: Some(String::new()),
        last_health_report_time: Some(now_ms()),
        node_labels: Vec::new(),
        containers_utilization: None,
        node_utilization: None,
        decommissioning_timeout: None,
        node_update_type: None,
    }
}

/// `YarnApplicationAttemptState` of an attempt.
pub fn attempt_state_proto(state: AttemptState) -> YarnApplicationAttemptStateProto {
    match state {
        AttemptState::Scheduled => YarnApplicationAttemptStateProto::AppAttemptScheduled,
        AttemptState::Launched => YarnApplicationAttemptStateProto::AppAttemptLaunched,
        AttemptState::Running => YarnApplicationAttemptStateProto::AppAttemptRunning,
        AttemptState::Finishing => YarnApplicationAttemptStateProto::AppAttemptFinishing,
        AttemptState::Finished => YarnApplicationAttemptStateProto::AppAttemptFinished,
        AttemptState::Failed => YarnApplicationAttemptStateProto::AppAttemptFailed,
        AttemptState::Killed => YarnApplicationAttemptStateProto::AppAttemptKilled,
    }
}

/// The report of one attempt (`getApplicationAttemptReport`, `getApplicationAttempts`).
pub fn attempt_report(attempt: &RmAppAttempt) -> ApplicationAttemptReportProto {
    ApplicationAttemptReportProto {
        application_attempt_id: Some(attempt.id.to_proto()),
        host: Some(attempt.host.clone()),
        rpc_port: Some(attempt.rpc_port),
        tracking_url: Some(attempt.original_tracking_url.clone()),
        diagnostics: Some(attempt.diagnostics.clone()),
        yarn_application_attempt_state: Some(attempt_state_proto(attempt.state) as i32),
        am_container_id: attempt.master_container.map(|(id, _)| id.to_proto()),
        original_tracking_url: Some(attempt.original_tracking_url.clone()),
        start_time: Some(attempt.start_time_ms),
        finish_time: Some(attempt.finish_time_ms),
    }
}

/// The report of one container (`getContainerReport`, `getContainers`).
pub fn container_report(container: &RmContainer, node: &NodeManager) -> ContainerReportProto {
    let (state, exit_status, diagnostics, finish_time) = match &container.completion {
        Some(done) => (
            ContainerStateProto::CComplete,
            done.exit_status,
            done.diagnostics.clone(),
            done.finished_at_ms,
        ),
        None if container.started => (ContainerStateProto::CRunning, -1000, String::new(), 0),
        None => (ContainerStateProto::CNew, -1000, String::new(), 0),
    };
    ContainerReportProto {
        container_id: Some(container.id.to_proto()),
        resource: Some(container.resource.to_proto()),
        node_id: Some(node.node_id_proto()),
        priority: Some(PriorityProto {
            priority: Some(container.priority),
        }),
        creation_time: Some(container.allocated_at_ms),
        finish_time: Some(finish_time),
        diagnostics_info: Some(diagnostics),
        log_url: Some(format!(
            "file://{}",
            node.container_log_dir(&container.id).display()
        )),
        container_exit_status: Some(exit_status),
        container_state: Some(state as i32),
        node_http_address: Some(node.http_address()),
        execution_type: Some(ExecutionTypeProto::Guaranteed as i32),
        exposed_ports: None,
    }
}
