//! `ApplicationClientProtocol` on the RM client port (YARN's `ClientRMService`): SIMPLE auth,
//! the caller's user is the connection's `effectiveUser`.
//!
//! | method | behaviour |
//! |---|---|
//! | getNewApplication | `application_<rm start ms>_<seq>`, maximum capability |
//! | submitApplication | validate (AM size within the maximum, else `InvalidResourceRequestException`), ACCEPTED; unknown queue → the application ends FAILED; a known id is accepted again |
//! | getApplicationReport | the report, or `ApplicationNotFoundException` |
//! | forceKillApplication | KILLED, containers stopped; `is_kill_completed` false on the first call (true at once for unmanaged AMs or final applications) |
//! | getApplications | filters: types (case-insensitive), states, users, queues, tags, name, start/finish ranges, scope OWN, limit |
//! | getClusterMetrics, getClusterNodes | every NodeManager is RUNNING |
//! | getQueueInfo | the configured leaf queues under `root` |
//! | getApplicationAttempts, getApplicationAttemptReport, getContainers, getContainerReport | attempt and container reports (`…NotFoundException` for unknown ids) |

use std::sync::Arc;

use prost::Message;

use crate::ids::{ApplicationAttemptId, ApplicationId, ContainerId};
use crate::ipc::APPLICATION_CLIENT_PROTOCOL;
use crate::ipc::server::{Caller, RemoteException, RpcService};
use crate::mini_cluster::application_report::{
    application_report, attempt_report, container_report, node_report, report_state,
};
use crate::mini_cluster::resource_manager::ResourceManager;
use crate::mini_cluster::rm_app;
use crate::mini_cluster::yarn_exception::{
    APPLICATION_ATTEMPT_NOT_FOUND, APPLICATION_NOT_FOUND, CONTAINER_NOT_FOUND, IO_EXCEPTION,
    YarnException,
};
use crate::proto::client_protocol::{
    ApplicationsRequestScopeProto, GetApplicationAttemptReportRequestProto,
    GetApplicationAttemptReportResponseProto, GetApplicationAttemptsRequestProto,
    GetApplicationAttemptsResponseProto, GetApplicationReportRequestProto,
    GetApplicationReportResponseProto, GetApplicationsRequestProto, GetApplicationsResponseProto,
    GetClusterMetricsRequestProto, GetClusterMetricsResponseProto, GetClusterNodesRequestProto,
    GetClusterNodesResponseProto, GetContainerReportRequestProto, GetContainerReportResponseProto,
    GetContainersRequestProto, GetContainersResponseProto, GetNewApplicationRequestProto,
    GetNewApplicationResponseProto, GetQueueInfoRequestProto, GetQueueInfoResponseProto,
    KillApplicationRequestProto, KillApplicationResponseProto, SubmitApplicationRequestProto,
    SubmitApplicationResponseProto,
};
use crate::proto::yarn_records::{
    ApplicationAttemptIdProto, NodeStateProto, QueueInfoProto, QueueStateProto,
    QueueStatisticsProto, YarnClusterMetricsProto,
};

/// The RPC face of the RM for clients.
#[derive(Debug)]
pub struct ClientRmService {
    rm: Arc<ResourceManager>,
}

impl ClientRmService {
    pub fn new(rm: Arc<ResourceManager>) -> ClientRmService {
        ClientRmService { rm }
    }

    fn dispatch(
        &self,
        caller: &Caller,
        method: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, YarnException> {
        match method {
            "getNewApplication" => {
                YarnException::decode_request::<GetNewApplicationRequestProto>(method, request)?;
                let (id, maximum) = self.rm.new_application();
                Ok(GetNewApplicationResponseProto {
                    application_id: Some(id.to_proto()),
                    maximum_capability: Some(maximum.to_proto()),
                }
                .encode_to_vec())
            }
            "submitApplication" => {
                let request = YarnException::decode_request::<SubmitApplicationRequestProto>(
                    method, request,
                )?;
                let context = request.application_submission_context.ok_or_else(|| {
                    YarnException::remote("application_submission_context is missing")
                })?;
                self.rm.submit_application(&caller.user, context)?;
                Ok(SubmitApplicationResponseProto {}.encode_to_vec())
            }
            "getApplicationReport" => {
                let request = YarnException::decode_request::<GetApplicationReportRequestProto>(
                    method, request,
                )?;
                let id = application_id(request.application_id.as_ref())?;
                let state = self.rm.lock();
                let app = state.apps.get(&id).ok_or_else(|| {
                    YarnException::new(APPLICATION_NOT_FOUND, rm_app::application_not_found(&id))
                })?;
                Ok(GetApplicationReportResponseProto {
                    application_report: Some(application_report(&state, app, &caller.user)),
                }
                .encode_to_vec())
            }
            "forceKillApplication" => {
                let request =
                    YarnException::decode_request::<KillApplicationRequestProto>(method, request)?;
                let id = application_id(request.application_id.as_ref())?;
                let completed = self.rm.kill_application(
                    &id,
                    &caller.user,
                    caller.peer.ip(),
                    request.diagnostics.as_deref(),
                )?;
                Ok(KillApplicationResponseProto {
                    is_kill_completed: Some(completed),
                }
                .encode_to_vec())
            }
            "getApplications" => {
                let request =
                    YarnException::decode_request::<GetApplicationsRequestProto>(method, request)?;
                Ok(GetApplicationsResponseProto {
                    applications: self.applications(&request, &caller.user),
                }
                .encode_to_vec())
            }
            "getClusterMetrics" => {
                YarnException::decode_request::<GetClusterMetricsRequestProto>(method, request)?;
                let nodes = i32::try_from(self.rm.nodes.len()).unwrap_or(i32::MAX);
                Ok(GetClusterMetricsResponseProto {
                    cluster_metrics: Some(YarnClusterMetricsProto {
                        num_node_managers: Some(nodes),
                        num_decommissioned_nms: Some(0),
                        num_active_nms: Some(nodes),
                        num_lost_nms: Some(0),
                        num_unhealthy_nms: Some(0),
                        num_rebooted_nms: Some(0),
                        num_decommissioning_nms: Some(0),
                        num_shutdown_nms: Some(0),
                    }),
                }
                .encode_to_vec())
            }
            "getClusterNodes" => {
                let request =
                    YarnException::decode_request::<GetClusterNodesRequestProto>(method, request)?;
                let wanted = request.node_states.is_empty()
                    || request
                        .node_states
                        .contains(&(NodeStateProto::NsRunning as i32));
                let state = self.rm.lock();
                let node_reports = if wanted {
                    self.rm
                        .nodes
                        .iter()
                        .map(|nm| node_report(&state, nm.index(), nm.host(), nm.port()))
                        .collect()
                } else {
                    Vec::new()
                };
                Ok(GetClusterNodesResponseProto { node_reports }.encode_to_vec())
            }
            "getQueueInfo" => {
                let request =
                    YarnException::decode_request::<GetQueueInfoRequestProto>(method, request)?;
                Ok(GetQueueInfoResponseProto {
                    queue_info: Some(self.queue_info(&request, &caller.user)?),
                }
                .encode_to_vec())
            }
            "getApplicationAttempts" => {
                let request = YarnException::decode_request::<GetApplicationAttemptsRequestProto>(
                    method, request,
                )?;
                let id = application_id(request.application_id.as_ref())?;
                let state = self.rm.lock();
                let app = state.apps.get(&id).ok_or_else(|| {
                    YarnException::new(
                        APPLICATION_NOT_FOUND,
                        format!("Application with id '{id}' doesn't exist in RM."),
                    )
                })?;
                Ok(GetApplicationAttemptsResponseProto {
                    application_attempts: app.attempts.values().map(attempt_report).collect(),
                }
                .encode_to_vec())
            }
            "getApplicationAttemptReport" => {
                let request = YarnException::decode_request::<
                    GetApplicationAttemptReportRequestProto,
                >(method, request)?;
                let id = requested_attempt(request.application_attempt_id.as_ref())?;
                let state = self.rm.lock();
                let app = state.apps.get(&id.application_id).ok_or_else(|| {
                    YarnException::new(
                        APPLICATION_NOT_FOUND,
                        format!(
                            "Application with id '{}' doesn't exist in RM.",
                            id.application_id
                        ),
                    )
                })?;
                let attempt = app.attempts.get(&id.attempt_id).ok_or_else(|| {
                    YarnException::new(
                        APPLICATION_ATTEMPT_NOT_FOUND,
                        format!("ApplicationAttempt with id '{id}' doesn't exist in RM."),
                    )
                })?;
                Ok(GetApplicationAttemptReportResponseProto {
                    application_attempt_report: Some(attempt_report(attempt)),
                }
                .encode_to_vec())
            }
            "getContainers" => {
                let request =
                    YarnException::decode_request::<GetContainersRequestProto>(method, request)?;
                let id = requested_attempt(request.application_attempt_id.as_ref())?;
                let state = self.rm.lock();
                let app = state
                    .apps
                    .get(&id.application_id)
                    .filter(|a| a.attempts.contains_key(&id.attempt_id))
                    .ok_or_else(|| {
                        YarnException::new(
                            APPLICATION_ATTEMPT_NOT_FOUND,
                            format!("ApplicationAttempt with id '{id}' doesn't exist in RM."),
                        )
                    })?;
                // Like YARN, the running containers of the attempt.
                let containers = app
                    .live_containers()
                    .filter(|c| c.id.attempt_id == id)
                    .filter_map(|c| {
                        self.rm
                            .nodes
                            .get(c.node)
                            .map(|node| container_report(c, node))
                    })
                    .collect();
                Ok(GetContainersResponseProto { containers }.encode_to_vec())
            }
            "getContainerReport" => {
                let request = YarnException::decode_request::<GetContainerReportRequestProto>(
                    method, request,
                )?;
                let id = request
                    .container_id
                    .as_ref()
                    .and_then(|p| ContainerId::from_proto(p).ok())
                    .ok_or_else(|| {
                        YarnException::new(CONTAINER_NOT_FOUND, "Invalid container id")
                    })?;
                let state = self.rm.lock();
                let report = state
                    .apps
                    .get(&id.attempt_id.application_id)
                    .and_then(|a| a.containers.get(&id))
                    .and_then(|c| {
                        self.rm
                            .nodes
                            .get(c.node)
                            .map(|node| container_report(c, node))
                    })
                    .ok_or_else(|| {
                        YarnException::new(
                            CONTAINER_NOT_FOUND,
                            format!("Container with id '{id}' doesn't exist in RM."),
                        )
                    })?;
                Ok(GetContainerReportResponseProto {
                    container_report: Some(report),
                }
                .encode_to_vec())
            }
            other => Err(YarnException::no_such_method(
                other,
                APPLICATION_CLIENT_PROTOCOL,
            )),
        }
    }

    /// `getApplications` with YARN's filter semantics.
    fn applications(
        &self,
        request: &GetApplicationsRequestProto,
        caller_user: &str,
    ) -> Vec<crate::proto::yarn_records::ApplicationReportProto> {
        let types: Vec<String> = request
            .application_types
            .iter()
            .map(|t| t.to_lowercase())
            .collect();
        let tags: Vec<String> = request
            .application_tags
            .iter()
            .map(|t| t.to_lowercase())
            .collect();
        let limit = request
            .limit
            .filter(|l| *l > 0)
            .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        let own_only = request.scope == Some(ApplicationsRequestScopeProto::Own as i32);
        let in_range = |value: i64, begin: Option<i64>, end: Option<i64>| {
            value >= begin.unwrap_or(0) && value <= end.unwrap_or(i64::MAX)
        };
        let state = self.rm.lock();
        state
            .apps
            .values()
            .filter(|app| types.is_empty() || types.contains(&app.application_type.to_lowercase()))
            .filter(|app| {
                request.application_states.is_empty()
                    || request
                        .application_states
                        .contains(&(report_state(app.state) as i32))
            })
            .filter(|app| request.users.is_empty() || request.users.contains(&app.user))
            .filter(|app| request.queues.is_empty() || request.queues.contains(&app.queue))
            .filter(|app| tags.is_empty() || app.tags.iter().any(|t| tags.contains(t)))
            .filter(|app| request.name.as_ref().is_none_or(|n| *n == app.name))
            .filter(|app| !own_only || app.user == caller_user)
            .filter(|app| in_range(app.start_time_ms, request.start_begin, request.start_end))
            .filter(|app| in_range(app.finish_time_ms, request.finish_begin, request.finish_end))
            .take(limit)
            .map(|app| application_report(&state, app, caller_user))
            .collect()
    }

    /// `getQueueInfo`: `root` with the configured leaf queues, or one leaf queue.
    fn queue_info(
        &self,
        request: &GetQueueInfoRequestProto,
        caller_user: &str,
    ) -> Result<QueueInfoProto, YarnException> {
        let name = request.queue_name.clone().unwrap_or_default();
        let state = self.rm.lock();
        let queues = &self.rm.config.queues;
        let share = 1.0 / queues.len().max(1) as f32;
        let include_apps = request.include_applications.unwrap_or(false);
        let leaf = |queue: &str| {
            let apps: Vec<_> = state.apps.values().filter(|a| a.queue == queue).collect();
            let running = apps.iter().filter(|a| !a.state.is_final()).count() as i64;
            QueueInfoProto {
                queue_name: Some(queue.to_string()),
                capacity: Some(share),
                maximum_capacity: Some(1.0),
                current_capacity: Some(0.0),
                state: Some(QueueStateProto::QRunning as i32),
                child_queues: Vec::new(),
                applications: if include_apps {
                    apps.iter()
                        .map(|a| application_report(&state, a, caller_user))
                        .collect()
                } else {
                    Vec::new()
                },
                accessible_node_labels: vec!["*".to_string()],
                default_node_label_expression: None,
                queue_statistics: Some(QueueStatisticsProto {
                    num_apps_submitted: Some(apps.len() as i64),
                    num_apps_running: Some(running),
                    num_apps_pending: Some(0),
                    num_apps_completed: Some(apps.len() as i64 - running),
                    ..Default::default()
                }),
                preemption_disabled: Some(true),
            }
        };
        if name == "root" {
            let children = if request.include_child_queues.unwrap_or(false) {
                queues.iter().map(|q| leaf(q)).collect()
            } else {
                Vec::new()
            };
            return Ok(QueueInfoProto {
                queue_name: Some("root".to_string()),
                capacity: Some(1.0),
                maximum_capacity: Some(1.0),
                current_capacity: Some(0.0),
                state: Some(QueueStateProto::QRunning as i32),
                child_queues: children,
                applications: Vec::new(),
                accessible_node_labels: vec!["*".to_string()],
                default_node_label_expression: None,
                queue_statistics: None,
                preemption_disabled: Some(true),
            });
        }
        let short = name.strip_prefix("root.").unwrap_or(&name);
        if queues.iter().any(|q| q == short) {
            Ok(leaf(short))
        } else {
            Err(YarnException::new(
                IO_EXCEPTION,
                format!("Unknown queue: {name}"),
            ))
        }
    }
}

/// The attempt a request names, or Hadoop's answer for a missing or malformed one.
fn requested_attempt(
    attempt: Option<&ApplicationAttemptIdProto>,
) -> Result<ApplicationAttemptId, YarnException> {
    attempt
        .and_then(|proto| ApplicationAttemptId::from_proto(proto).ok())
        .ok_or_else(|| {
            YarnException::new(
                APPLICATION_ATTEMPT_NOT_FOUND,
                "Invalid application attempt id",
            )
        })
}

impl RpcService for ClientRmService {
    fn protocol(&self) -> &'static str {
        APPLICATION_CLIENT_PROTOCOL
    }

    fn call(
        &self,
        caller: &Caller,
        method: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, RemoteException> {
        self.dispatch(caller, method, request)
            .map_err(YarnException::into_remote)
    }
}

fn application_id(
    proto: Option<&crate::proto::yarn_records::ApplicationIdProto>,
) -> Result<ApplicationId, YarnException> {
    let proto = proto
        .ok_or_else(|| YarnException::new(APPLICATION_NOT_FOUND, "Invalid application id: null"))?;
    ApplicationId::from_proto(proto).map_err(|e| {
        YarnException::new(
            APPLICATION_NOT_FOUND,
            format!("Invalid application id: {e}"),
        )
    })
}
