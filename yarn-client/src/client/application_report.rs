//! A typed, friendly view of `ApplicationReportProto` and the two state enums users see.
//!
//! The wire message is proto2 with Java defaults standing in for "not known yet" (`host` =
//! `N/A` and `rpc_port` = -1 before the AM registers, `diagnostics` = `N/A`, times = 0). The
//! view turns those into `Option`s and empty strings, keeps the numbers YARN's CLI shows, and
//! carries the raw proto for anything else (`raw`).
//!
//! ```text
//!   NEW → NEW_SAVING → SUBMITTED → ACCEPTED ──(AM registered)──► RUNNING ──► FINISHED
//!                                     │                            │  └───► FAILED / KILLED
//!                                     └──(AM attempts exhausted)───┴──────► FAILED / KILLED
//!   final status: UNDEFINED until the AM unregisters (or the app ends), then what it reported
//! ```

use std::fmt;

use crate::error::YarnError;
use crate::ids::{ApplicationAttemptId, ApplicationId};
use crate::proto::yarn_records::ApplicationReportProto;

/// `YarnApplicationStateProto`: where an application is in its life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum YarnApplicationState {
    New,
    NewSaving,
    Submitted,
    /// Waiting for (or running) the AM container; the AM has not registered yet.
    Accepted,
    /// The AM registered.
    Running,
    Finished,
    Failed,
    Killed,
}

impl YarnApplicationState {
    /// Every state, in life-cycle order.
    pub const ALL: [YarnApplicationState; 8] = [
        YarnApplicationState::New,
        YarnApplicationState::NewSaving,
        YarnApplicationState::Submitted,
        YarnApplicationState::Accepted,
        YarnApplicationState::Running,
        YarnApplicationState::Finished,
        YarnApplicationState::Failed,
        YarnApplicationState::Killed,
    ];

    /// The proto enum number (`NEW = 1` … `KILLED = 8`).
    pub fn to_proto(self) -> i32 {
        match self {
            YarnApplicationState::New => 1,
            YarnApplicationState::NewSaving => 2,
            YarnApplicationState::Submitted => 3,
            YarnApplicationState::Accepted => 4,
            YarnApplicationState::Running => 5,
            YarnApplicationState::Finished => 6,
            YarnApplicationState::Failed => 7,
            YarnApplicationState::Killed => 8,
        }
    }

    /// The state for a proto enum number, `None` for numbers this version does not know.
    pub fn from_proto(value: i32) -> Option<YarnApplicationState> {
        YarnApplicationState::ALL
            .into_iter()
            .find(|state| state.to_proto() == value)
    }

    /// FINISHED, FAILED or KILLED: the application will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            YarnApplicationState::Finished
                | YarnApplicationState::Failed
                | YarnApplicationState::Killed
        )
    }

    /// Hadoop's upper-case name (`ACCEPTED`).
    pub fn name(self) -> &'static str {
        match self {
            YarnApplicationState::New => "NEW",
            YarnApplicationState::NewSaving => "NEW_SAVING",
            YarnApplicationState::Submitted => "SUBMITTED",
            YarnApplicationState::Accepted => "ACCEPTED",
            YarnApplicationState::Running => "RUNNING",
            YarnApplicationState::Finished => "FINISHED",
            YarnApplicationState::Failed => "FAILED",
            YarnApplicationState::Killed => "KILLED",
        }
    }

    /// Parses Hadoop's name, case-insensitively (`running`, `RUNNING`).
    pub fn from_name(name: &str) -> Option<YarnApplicationState> {
        YarnApplicationState::ALL
            .into_iter()
            .find(|state| state.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for YarnApplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `FinalApplicationStatusProto`: the outcome the AM reported when it unregistered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FinalApplicationStatus {
    /// Still running (or the AM never unregistered).
    Undefined,
    Succeeded,
    Failed,
    Killed,
    /// For long-running services that end without success or failure.
    Ended,
}

impl FinalApplicationStatus {
    /// Every status, in proto order.
    pub const ALL: [FinalApplicationStatus; 5] = [
        FinalApplicationStatus::Undefined,
        FinalApplicationStatus::Succeeded,
        FinalApplicationStatus::Failed,
        FinalApplicationStatus::Killed,
        FinalApplicationStatus::Ended,
    ];

    /// The proto enum number (`APP_UNDEFINED = 0` … `APP_ENDED = 4`).
    pub fn to_proto(self) -> i32 {
        match self {
            FinalApplicationStatus::Undefined => 0,
            FinalApplicationStatus::Succeeded => 1,
            FinalApplicationStatus::Failed => 2,
            FinalApplicationStatus::Killed => 3,
            FinalApplicationStatus::Ended => 4,
        }
    }

    /// The status for a proto enum number, `None` for numbers this version does not know.
    pub fn from_proto(value: i32) -> Option<FinalApplicationStatus> {
        FinalApplicationStatus::ALL
            .into_iter()
            .find(|status| status.to_proto() == value)
    }

    /// Hadoop's name as `yarn application -status` prints it (`SUCCEEDED`).
    pub fn name(self) -> &'static str {
        match self {
            FinalApplicationStatus::Undefined => "UNDEFINED",
            FinalApplicationStatus::Succeeded => "SUCCEEDED",
            FinalApplicationStatus::Failed => "FAILED",
            FinalApplicationStatus::Killed => "KILLED",
            FinalApplicationStatus::Ended => "ENDED",
        }
    }
}

impl fmt::Display for FinalApplicationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the ResourceManager knows about one application.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplicationReport {
    pub application_id: ApplicationId,
    pub name: String,
    pub application_type: String,
    pub user: String,
    pub queue: String,
    pub state: YarnApplicationState,
    pub final_status: FinalApplicationStatus,
    /// Why the application is where it is; empty when YARN has nothing to say (`N/A`).
    pub diagnostics: String,
    /// The RM proxy URL of the AM's web UI (`http://<rm>:8088/proxy/<app>/`), once known.
    pub tracking_url: Option<String>,
    /// The URL the AM registered, once known.
    pub original_tracking_url: Option<String>,
    /// The host the AM registered (`None` before registration).
    pub host: Option<String>,
    /// The port the AM registered (`None` before registration).
    pub rpc_port: Option<i32>,
    /// 0.0 ..= 1.0 as reported by the AM.
    pub progress: f32,
    pub start_time_ms: Option<i64>,
    pub finish_time_ms: Option<i64>,
    pub current_attempt_id: Option<ApplicationAttemptId>,
    pub tags: Vec<String>,
    /// The report as received, for fields this view does not carry.
    pub raw: ApplicationReportProto,
}

impl ApplicationReport {
    /// The typed view of `raw`; `address` and `method` name the call for errors.
    pub fn from_proto(
        raw: ApplicationReportProto,
        address: &str,
        method: &'static str,
    ) -> Result<ApplicationReport, YarnError> {
        let missing = |field: &'static str| YarnError::MissingResponseField {
            address: address.to_string(),
            method,
            field,
        };
        let malformed = |field: &'static str, detail: String| YarnError::MalformedResponseField {
            address: address.to_string(),
            method,
            field,
            detail,
        };
        let application_id = ApplicationId::from_proto(
            raw.application_id
                .as_ref()
                .ok_or_else(|| missing("applicationId"))?,
        )?;
        let state_value = raw
            .yarn_application_state
            .ok_or_else(|| missing("yarn_application_state"))?;
        let state = YarnApplicationState::from_proto(state_value).ok_or_else(|| {
            malformed(
                "yarn_application_state",
                format!("unknown application state {state_value}"),
            )
        })?;
        // proto2 default: an absent final status reads as APP_UNDEFINED.
        let final_value = raw.final_application_status.unwrap_or(0);
        let final_status = FinalApplicationStatus::from_proto(final_value).ok_or_else(|| {
            malformed(
                "final_application_status",
                format!("unknown final application status {final_value}"),
            )
        })?;
        let current_attempt_id = match raw.current_application_attempt_id.as_ref() {
            Some(attempt) => Some(ApplicationAttemptId::from_proto(attempt)?),
            None => None,
        };
        Ok(ApplicationReport {
            application_id,
            name: raw.name.clone().unwrap_or_default(),
            application_type: raw.application_type.clone().unwrap_or_default(),
            user: raw.user.clone().unwrap_or_default(),
            queue: raw.queue.clone().unwrap_or_default(),
            state,
            final_status,
            diagnostics: known_text(raw.diagnostics.as_deref()).unwrap_or_default(),
            tracking_url: known_text(raw.tracking_url.as_deref()),
            original_tracking_url: known_text(raw.original_tracking_url.as_deref()),
            host: known_text(raw.host.as_deref()),
            rpc_port: raw.rpc_port.filter(|port| *port > 0),
            progress: raw.progress.unwrap_or(0.0),
            start_time_ms: raw.start_time.filter(|ms| *ms > 0),
            finish_time_ms: raw.finish_time.filter(|ms| *ms > 0),
            current_attempt_id,
            tags: raw.application_tags.clone(),
            raw,
        })
    }

    /// `host:rpc_port` as the AM registered them (for Weir: the JobManager's REST endpoint).
    pub fn am_address(&self) -> Option<String> {
        match (&self.host, self.rpc_port) {
            (Some(host), Some(port)) => Some(format!("{host}:{port}")),
            _ => None,
        }
    }

    /// FINISHED with final status SUCCEEDED.
    pub fn is_successful(&self) -> bool {
        self.state == YarnApplicationState::Finished
            && self.final_status == FinalApplicationStatus::Succeeded
    }

    /// Where to find the AM container's logs, for messages after a failure.
    pub fn am_container_logs_hint(&self) -> String {
        let attempt = match &self.current_attempt_id {
            Some(attempt) => format!(" (attempt {attempt})"),
            None => String::new(),
        };
        let mut hint = format!(
            "AM container logs{attempt}: `yarn logs -applicationId {} -am ALL` once log \
             aggregation ran, or the NodeManager's yarn.nodemanager.log-dirs",
            self.application_id
        );
        if let Some(url) = &self.tracking_url {
            hint.push_str(&format!("; tracking URL {url}"));
        }
        hint
    }
}

/// `None` for the absent, empty or `N/A` placeholders Java uses for "not known".
fn known_text(text: Option<&str>) -> Option<String> {
    match text.map(str::trim) {
        None | Some("") | Some("N/A") => None,
        Some(text) => Some(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::yarn_records::ApplicationIdProto;

    fn raw_report(state: i32) -> ApplicationReportProto {
        ApplicationReportProto {
            application_id: Some(ApplicationIdProto {
                id: Some(7),
                cluster_timestamp: Some(1_700_000_000_000),
            }),
            yarn_application_state: Some(state),
            host: Some("N/A".to_string()),
            rpc_port: Some(-1),
            diagnostics: Some("N/A".to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn states_round_trip_through_proto_numbers_and_names() {
        for state in YarnApplicationState::ALL {
            assert_eq!(
                YarnApplicationState::from_proto(state.to_proto()),
                Some(state)
            );
            assert_eq!(YarnApplicationState::from_name(state.name()), Some(state));
        }
        assert_eq!(YarnApplicationState::from_proto(0), None);
        assert_eq!(YarnApplicationState::from_proto(9), None);
        assert_eq!(YarnApplicationState::Accepted.to_proto(), 4);
        assert_eq!(FinalApplicationStatus::Succeeded.to_proto(), 1);
        for status in FinalApplicationStatus::ALL {
            assert_eq!(
                FinalApplicationStatus::from_proto(status.to_proto()),
                Some(status)
            );
        }
    }

    #[test]
    fn placeholders_become_none_before_registration() {
        let report =
            ApplicationReport::from_proto(raw_report(4), "rm:8032", "getApplicationReport")
                .unwrap();
        assert_eq!(
            report.application_id.to_string(),
            "application_1700000000000_0007"
        );
        assert_eq!(report.state, YarnApplicationState::Accepted);
        assert_eq!(report.final_status, FinalApplicationStatus::Undefined);
        assert_eq!(report.host, None);
        assert_eq!(report.rpc_port, None);
        assert_eq!(report.diagnostics, "");
        assert_eq!(report.am_address(), None);
        assert!(!report.is_successful());
        assert!(
            report
                .am_container_logs_hint()
                .contains("application_1700000000000_0007")
        );
    }

    #[test]
    fn registered_am_address_and_final_status_are_read() {
        let mut raw = raw_report(6);
        raw.host = Some("node1".to_string());
        raw.rpc_port = Some(8081);
        raw.final_application_status = Some(1);
        let report = ApplicationReport::from_proto(raw, "rm:8032", "getApplicationReport").unwrap();
        assert_eq!(report.am_address().as_deref(), Some("node1:8081"));
        assert!(report.is_successful());
    }

    #[test]
    fn unknown_state_and_missing_id_are_errors_naming_the_field() {
        let error =
            ApplicationReport::from_proto(raw_report(42), "rm:8032", "getApplicationReport")
                .unwrap_err();
        assert!(
            error.to_string().contains("yarn_application_state"),
            "{error}"
        );
        assert!(error.to_string().contains("42"), "{error}");
        let mut raw = raw_report(4);
        raw.application_id = None;
        let error =
            ApplicationReport::from_proto(raw, "rm:8032", "getApplicationReport").unwrap_err();
        assert!(error.to_string().contains("applicationId"), "{error}");
    }
}
