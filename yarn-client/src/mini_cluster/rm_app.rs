//! The ResourceManager's record of one application and its attempts (YARN's `RMAppImpl` and
//! `RMAppAttemptImpl`), with the state machine reduced to the states a client can observe.
//!
//! ```text
//!  application (report state in brackets where it differs):
//!
//!   submitApplication ──► ACCEPTED ──register──► RUNNING ──finishApplicationMaster──► FINISHING [FINISHED]
//!        │ unknown queue      │  ▲                  │                                     │ AM container exits
//!        ▼                    │  │ attempt failed,  │ attempt failed, attempts left       ▼  (at once if unmanaged)
//!      FAILED                 │  └── attempts left ─┘                                  FINISHED
//!                             ├── attempt failed, none left ──► FAILED
//!                             └── forceKillApplication ───────► KILLED   (from any non-final state)
//!
//!  attempt:
//!   SCHEDULED (waiting for the AM container) ─► LAUNCHED (AM container started; unmanaged AMs
//!   start here) ─register─► RUNNING ─finish─► FINISHING ─AM exits─► FINISHED
//!   any live state ─AM container exits / liveness expiry─► FAILED;  ─kill─► KILLED
//! ```
//!
//! All texts that reach a client (diagnostics) are shaped like YARN's, because people and
//! tools grep for them.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use crate::ids::{ApplicationAttemptId, ApplicationId, ContainerId};
use crate::mini_cluster::resource::Resource;
use crate::proto::yarn_records::ContainerLaunchContextProto;
use crate::token::Token;

/// Application states (`RMAppState`, reduced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppState {
    Accepted,
    Running,
    /// Unregistered, waiting for the AM container to exit. Reported as FINISHED, as YARN does.
    Finishing,
    Finished,
    Failed,
    Killed,
}

impl AppState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AppState::Finished | AppState::Failed | AppState::Killed
        )
    }

    /// Final or finishing: the state YARN has already stored as final.
    pub fn is_final_stored(self) -> bool {
        self.is_final() || self == AppState::Finishing
    }
}

/// `FinalApplicationStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinalStatus {
    Undefined,
    Succeeded,
    Failed,
    Killed,
    Ended,
}

/// Attempt states (`RMAppAttemptState`, reduced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptState {
    /// Waiting for the scheduler to place the AM container.
    Scheduled,
    /// AM container started (or an unmanaged AM's attempt created); not registered yet.
    Launched,
    Running,
    Finishing,
    Finished,
    Failed,
    Killed,
}

impl AttemptState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AttemptState::Finished | AttemptState::Failed | AttemptState::Killed
        )
    }
}

/// The unregistration an AM sent.
#[derive(Clone, Debug)]
pub struct Unregistration {
    pub final_status: FinalStatus,
    pub diagnostics: String,
    pub tracking_url: String,
}

/// One attempt of an application.
#[derive(Debug)]
pub struct RmAppAttempt {
    pub id: ApplicationAttemptId,
    pub state: AttemptState,
    /// The AM container (managed AMs) and the node it runs on.
    pub master_container: Option<(ContainerId, usize)>,
    /// The AMRMToken most recently issued to this attempt.
    pub am_rm_token: Token,
    /// Key id of [`Self::am_rm_token`].
    pub am_rm_token_key_id: i32,
    pub host: String,
    pub rpc_port: i32,
    pub original_tracking_url: String,
    pub progress: f32,
    /// The last allocate response (encoded), once registered: `(response_id, bytes)`.
    /// Registration stores `(0, empty)`, as YARN does.
    pub last_allocate_response: Option<(i32, Vec<u8>)>,
    /// Containers allocated but not yet handed to the AM.
    pub newly_allocated: Vec<ContainerId>,
    /// Completed containers not yet reported to the AM (exactly once).
    pub just_finished: Vec<ContainerId>,
    /// Nodes this attempt already got an NMToken for.
    pub nm_token_nodes: HashSet<usize>,
    /// Last AM heartbeat (register, allocate, finish) or launch.
    pub last_heartbeat: Instant,
    pub unregistration: Option<Unregistration>,
    /// Why the attempt failed, YARN-style.
    pub diagnostics: String,
    /// Next container sequence number in this attempt (1 is the AM container).
    pub next_container_seq: i64,
    /// Creation and end of the attempt, ms since the epoch (end 0 while live).
    pub start_time_ms: i64,
    pub finish_time_ms: i64,
}

impl RmAppAttempt {
    pub fn new(id: ApplicationAttemptId, am_rm_token: Token, key_id: i32) -> RmAppAttempt {
        RmAppAttempt {
            id,
            state: AttemptState::Scheduled,
            master_container: None,
            am_rm_token,
            am_rm_token_key_id: key_id,
            host: "N/A".to_string(),
            rpc_port: -1,
            original_tracking_url: "N/A".to_string(),
            progress: 0.0,
            last_allocate_response: None,
            newly_allocated: Vec::new(),
            just_finished: Vec::new(),
            nm_token_nodes: HashSet::new(),
            last_heartbeat: Instant::now(),
            unregistration: None,
            diagnostics: String::new(),
            next_container_seq: 1,
            start_time_ms: crate::mini_cluster::resource_manager::now_ms(),
            finish_time_ms: 0,
        }
    }

    /// Moves the attempt to a final state (once) and stamps its end.
    pub fn end(&mut self, state: AttemptState) {
        if !self.state.is_final() {
            self.state = state;
            self.progress = 1.0;
            self.finish_time_ms = crate::mini_cluster::resource_manager::now_ms();
        }
    }

    pub fn is_registered(&self) -> bool {
        self.last_allocate_response.is_some()
    }

    /// Whether the AM may still talk to the scheduler.
    pub fn is_live(&self) -> bool {
        !self.state.is_final()
    }

    /// A new container id of this attempt.
    pub fn new_container_id(&mut self) -> ContainerId {
        let id = ContainerId {
            attempt_id: self.id,
            id: self.next_container_seq,
        };
        self.next_container_seq += 1;
        id
    }
}

/// The RM's view of one container.
#[derive(Debug, Clone)]
pub struct RmContainer {
    pub id: ContainerId,
    pub node: usize,
    pub resource: Resource,
    pub priority: i32,
    pub allocation_request_id: i64,
    pub is_am_container: bool,
    pub allocated_at: Instant,
    /// Allocation time, ms since the epoch.
    pub allocated_at_ms: i64,
    /// The container token minted at allocation (handed to the AM in `ContainerProto`).
    pub container_token: Token,
    /// The AM has pulled it (or the RM launched it, for an AM container).
    pub acquired: bool,
    /// The NM reported it started.
    pub started: bool,
    /// Set once completed.
    pub completion: Option<ContainerCompletion>,
}

/// Exit of a container as the RM reports it to the AM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerCompletion {
    pub exit_status: i32,
    pub diagnostics: String,
    /// When the RM recorded it, ms since the epoch.
    pub finished_at_ms: i64,
}

/// One application.
#[derive(Debug)]
pub struct RmApp {
    pub id: ApplicationId,
    pub user: String,
    pub queue: String,
    pub name: String,
    pub application_type: String,
    pub tags: Vec<String>,
    pub priority: i32,
    pub unmanaged: bool,
    pub keep_containers: bool,
    /// Normalized AM container size (managed AMs).
    pub am_resource: Resource,
    pub am_container_spec: ContainerLaunchContextProto,
    pub max_app_attempts: i32,
    pub state: AppState,
    pub final_status: FinalStatus,
    pub diagnostics: String,
    pub submit_time_ms: i64,
    pub start_time_ms: i64,
    pub launch_time_ms: i64,
    pub finish_time_ms: i64,
    /// Attempts by attempt id.
    pub attempts: BTreeMap<i32, RmAppAttempt>,
    /// Live and completed containers of all attempts (completed ones are kept for reports
    /// until the application ends).
    pub containers: BTreeMap<ContainerId, RmContainer>,
    /// Memory-seconds and vcore-seconds of completed containers.
    pub memory_seconds: i64,
    pub vcore_seconds: i64,
    /// Log dir of the last AM container (diagnostics point there).
    pub last_am_log_dir: Option<PathBuf>,
}

impl RmApp {
    pub fn current_attempt(&self) -> Option<&RmAppAttempt> {
        self.attempts.values().next_back()
    }

    pub fn current_attempt_mut(&mut self) -> Option<&mut RmAppAttempt> {
        self.attempts.values_mut().next_back()
    }

    /// Containers that have not completed.
    pub fn live_containers(&self) -> impl Iterator<Item = &RmContainer> {
        self.containers.values().filter(|c| c.completion.is_none())
    }
}

// ---- diagnostics texts (YARN's wording) ----

/// `ApplicationNotFoundException` text of `getApplicationReport`.
pub fn application_not_found(id: &ApplicationId) -> String {
    format!(
        "Application with id '{id}' doesn't exist in RM. Please check that the job submission \
         was successful."
    )
}

/// Diagnostics of an attempt whose AM container exited (RMAppAttemptImpl).
pub fn am_container_crashed(
    attempt: &ApplicationAttemptId,
    exit_status: i32,
    container_diagnostics: &str,
    log_dir: Option<&std::path::Path>,
) -> String {
    let mut text = format!(
        "AM Container for {attempt} exited with  exitCode: {exit_status}\n\
         Failing this attempt.Diagnostics: {container_diagnostics}"
    );
    if let Some(dir) = log_dir {
        text.push_str(&format!(
            "For more detailed output, check the container logs in {} \
             (this test cluster has no web UI).\n",
            dir.display()
        ));
    }
    text
}

/// Diagnostics of an attempt whose AM stopped heartbeating (RMAppAttemptImpl).
pub fn am_expired(attempt: &ApplicationAttemptId) -> String {
    format!("ApplicationMaster for attempt {attempt} timed out")
}

/// Final diagnostics of an application whose last attempt failed (RMAppImpl).
pub fn application_failed(
    app: &ApplicationId,
    unmanaged: bool,
    max_app_attempts: i32,
    global_max_attempts: i32,
    attempt_diagnostics: &str,
) -> String {
    if unmanaged {
        return format!(
            "Unmanaged application {app} failed due to {attempt_diagnostics}. Failing the \
             application."
        );
    }
    let limits = if global_max_attempts == max_app_attempts {
        String::new()
    } else {
        format!(" (global limit ={global_max_attempts}; local limit is ={max_app_attempts})")
    };
    format!(
        "Application {app} failed {max_app_attempts} times{limits} due to \
         {attempt_diagnostics}. Failing the application."
    )
}

/// Diagnostics of a killed application.
pub const APPLICATION_KILLED: &str = "Application killed by user.";

/// CapacityScheduler's rejection of an unknown queue.
pub fn unknown_queue(app: &ApplicationId, user: &str, queue: &str) -> String {
    format!("Application {app} submitted by user {user} to unknown queue: {queue}")
}

/// Completion of a container the AM released.
pub const RELEASED_CONTAINER: &str = "Container released by application";
/// Completion of a container left over when its attempt or application ended.
pub const COMPLETED_APPLICATION: &str = "Container of a completed application";
/// Completion of a container the AM never started.
pub const EXPIRED_CONTAINER: &str = "Container expired since it was unused";

/// `ContainerExitStatus` values used by the cluster.
pub mod exit_status {
    pub const ABORTED: i32 = -100;
    pub const KILLED_BY_APPMASTER: i32 = -105;
    pub const KILLED_BY_RESOURCEMANAGER: i32 = -106;
    pub const KILLED_AFTER_APP_COMPLETION: i32 = -107;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app_id() -> ApplicationId {
        ApplicationId {
            cluster_timestamp: 1_700_000_000_000,
            id: 7,
        }
    }

    #[test]
    fn failure_text_matches_yarn() {
        let attempt = ApplicationAttemptId {
            application_id: app_id(),
            attempt_id: 2,
        };
        let crashed = am_container_crashed(&attempt, 3, "Exit code: 3\n", None);
        assert_eq!(
            crashed,
            "AM Container for appattempt_1700000000000_0007_000002 exited with  exitCode: 3\n\
             Failing this attempt.Diagnostics: Exit code: 3\n"
        );
        let failed = application_failed(&app_id(), false, 2, 2, &crashed);
        assert!(failed.starts_with(
            "Application application_1700000000000_0007 failed 2 times due to AM Container"
        ));
        assert!(failed.ends_with(". Failing the application."));
        let limited = application_failed(&app_id(), false, 1, 2, "x");
        assert_eq!(
            limited,
            "Application application_1700000000000_0007 failed 1 times (global limit =2; \
             local limit is =1) due to x. Failing the application."
        );
        assert_eq!(
            application_not_found(&app_id()),
            "Application with id 'application_1700000000000_0007' doesn't exist in RM. \
             Please check that the job submission was successful."
        );
    }

    #[test]
    fn finishing_counts_as_final_stored() {
        assert!(AppState::Finishing.is_final_stored());
        assert!(!AppState::Finishing.is_final());
        assert!(!AppState::Running.is_final_stored());
    }
}
