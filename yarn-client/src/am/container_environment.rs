//! What an ApplicationMaster learns from its container's environment (yarn-protocol.md §4.2).
//!
//! ```text
//!   set by the NM          CONTAINER_ID → attempt id   NM_HOST, NM_PORT, NM_HTTP_PORT
//!                          LOCAL_DIRS, LOG_DIRS (comma lists), PWD, USER
//!                          HADOOP_TOKEN_FILE_LOCATION → Credentials → the AMRMToken
//!   set by the RM (AM)     APP_SUBMIT_TIME_ENV (ms), APPLICATION_WEB_PROXY_BASE
//!   set by Weir's client   WEIR_YARN_SCHEDULER_ADDRESS (host:port[,host:port…] of RM :8030),
//!                          HADOOP_USER_NAME
//!   fallback               yarn-site.xml in YARN_CONF_DIR / HADOOP_CONF_DIR /
//!                          $HADOOP_HOME/etc/hadoop → yarn.resourcemanager.scheduler.address
//! ```
//!
//! YARN tells an AM neither where the scheduler is nor who the Hadoop user is, so Weir's client
//! puts both into the AM's environment. Every missing or malformed variable is an error naming
//! it, so a misconfigured launch fails with one clear line in the AM's stderr.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::YarnError;
use crate::hadoop_conf::HadoopConf;
use crate::ids::{ApplicationAttemptId, ContainerId};
use crate::token::{AMRM_TOKEN_KIND, Credentials, Token};

/// The environment variable Weir's client sets to the RM scheduler address(es).
pub const WEIR_YARN_SCHEDULER_ADDRESS: &str = "WEIR_YARN_SCHEDULER_ADDRESS";

/// The AM container's environment, parsed.
#[derive(Clone, Debug)]
pub struct ContainerEnvironment {
    pub container_id: ContainerId,
    /// The attempt this AM runs, from the container id.
    pub attempt_id: ApplicationAttemptId,
    pub nm_host: String,
    pub nm_port: u16,
    pub nm_http_port: u16,
    /// Scratch directories of the application on this node (`LOCAL_DIRS`).
    pub local_dirs: Vec<PathBuf>,
    /// The container's log directories (`LOG_DIRS`); the first is `<LOG_DIR>`.
    pub log_dirs: Vec<PathBuf>,
    /// The container's working directory; local resources are linked here.
    pub working_dir: PathBuf,
    /// The application's user (`USER`).
    pub user: String,
    /// `HADOOP_USER_NAME` as the client set it, if it did.
    pub hadoop_user_name: Option<String>,
    /// `HADOOP_TOKEN_FILE_LOCATION`.
    pub token_file: PathBuf,
    /// Everything in the token file.
    pub credentials: Credentials,
    /// The AMRMToken from the token file (kind `YARN_AM_RM_TOKEN`).
    pub amrm_token: Token,
    /// When the application was submitted, ms since the epoch (`APP_SUBMIT_TIME_ENV`).
    pub app_submit_time_ms: Option<i64>,
    /// The RM proxy's path prefix of the AM web UI (`APPLICATION_WEB_PROXY_BASE`).
    pub web_proxy_base: Option<String>,
    /// `host:port` of the RM scheduler (every rm-id with RM HA).
    pub scheduler_addresses: Vec<String>,
}

impl ContainerEnvironment {
    /// Reads the current process's environment.
    pub fn from_env() -> Result<ContainerEnvironment, YarnError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        ContainerEnvironment::from_map(&vars)
    }

    /// Reads `vars` as if they were the environment (the token file and any yarn-site.xml are
    /// read from disk).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<ContainerEnvironment, YarnError> {
        let container_id: ContainerId = parse(vars, "CONTAINER_ID")?;
        let token_file = PathBuf::from(required(vars, "HADOOP_TOKEN_FILE_LOCATION")?);
        let credentials = Credentials::read_file(&token_file).map_err(|error| {
            YarnError::ContainerEnvironment {
                variable: "HADOOP_TOKEN_FILE_LOCATION",
                detail: error.to_string(),
            }
        })?;
        let amrm_token = credentials
            .token_of_kind(AMRM_TOKEN_KIND)
            .cloned()
            .ok_or_else(|| YarnError::MissingToken {
                kind: AMRM_TOKEN_KIND,
                path: token_file.clone(),
            })?;
        Ok(ContainerEnvironment {
            attempt_id: container_id.attempt_id,
            container_id,
            nm_host: required(vars, "NM_HOST")?.to_string(),
            nm_port: parse(vars, "NM_PORT")?,
            nm_http_port: parse(vars, "NM_HTTP_PORT")?,
            local_dirs: dir_list(vars, "LOCAL_DIRS")?,
            log_dirs: dir_list(vars, "LOG_DIRS")?,
            working_dir: PathBuf::from(required(vars, "PWD")?),
            user: required(vars, "USER")?.to_string(),
            hadoop_user_name: optional(vars, "HADOOP_USER_NAME").map(str::to_string),
            token_file,
            credentials,
            amrm_token,
            app_submit_time_ms: match optional(vars, "APP_SUBMIT_TIME_ENV") {
                Some(text) => Some(parse_text(text, "APP_SUBMIT_TIME_ENV")?),
                None => None,
            },
            web_proxy_base: optional(vars, "APPLICATION_WEB_PROXY_BASE").map(str::to_string),
            scheduler_addresses: scheduler_addresses(vars)?,
        })
    }

    /// The first log directory, what YARN expands `<LOG_DIR>` to.
    pub fn log_dir(&self) -> &Path {
        // dir_list guarantees at least one entry.
        &self.log_dirs[0]
    }

    /// The node's NodeManager as `host:port`.
    pub fn nm_address(&self) -> String {
        format!("{}:{}", self.nm_host, self.nm_port)
    }
}

fn optional<'a>(vars: &'a HashMap<String, String>, variable: &'static str) -> Option<&'a str> {
    vars.get(variable)
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
}

fn required<'a>(
    vars: &'a HashMap<String, String>,
    variable: &'static str,
) -> Result<&'a str, YarnError> {
    optional(vars, variable).ok_or_else(|| YarnError::ContainerEnvironment {
        variable,
        detail: "not set (is this process running in a YARN container?)".to_string(),
    })
}

fn parse<T>(vars: &HashMap<String, String>, variable: &'static str) -> Result<T, YarnError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    parse_text(required(vars, variable)?, variable)
}

fn parse_text<T>(text: &str, variable: &'static str) -> Result<T, YarnError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|error: T::Err| YarnError::ContainerEnvironment {
            variable,
            detail: format!("'{text}' does not parse: {error}"),
        })
}

fn dir_list(
    vars: &HashMap<String, String>,
    variable: &'static str,
) -> Result<Vec<PathBuf>, YarnError> {
    let dirs: Vec<PathBuf> = required(vars, variable)?
        .split(',')
        .map(str::trim)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .collect();
    if dirs.is_empty() {
        return Err(YarnError::ContainerEnvironment {
            variable,
            detail: "holds no directory".to_string(),
        });
    }
    Ok(dirs)
}

/// `WEIR_YARN_SCHEDULER_ADDRESS`, else `yarn.resourcemanager.scheduler.address` from the
/// Hadoop configuration directory named in `vars`.
fn scheduler_addresses(vars: &HashMap<String, String>) -> Result<Vec<String>, YarnError> {
    if let Some(text) = optional(vars, WEIR_YARN_SCHEDULER_ADDRESS) {
        let addresses: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|address| !address.is_empty())
            .map(str::to_string)
            .collect();
        for address in &addresses {
            let port_ok = address
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(YarnError::ContainerEnvironment {
                    variable: WEIR_YARN_SCHEDULER_ADDRESS,
                    detail: format!("'{address}' is not host:port"),
                });
            }
        }
        return Ok(addresses);
    }
    let home_conf = optional(vars, "HADOOP_HOME").map(|home| Path::new(home).join("etc/hadoop"));
    let conf_dir = ["YARN_CONF_DIR", "HADOOP_CONF_DIR"]
        .into_iter()
        .filter_map(|variable| optional(vars, variable).map(PathBuf::from))
        .chain(home_conf)
        .find(|dir| dir.is_dir());
    let Some(conf_dir) = conf_dir else {
        return Err(YarnError::ContainerEnvironment {
            variable: WEIR_YARN_SCHEDULER_ADDRESS,
            detail: "not set, and no Hadoop configuration directory (YARN_CONF_DIR, \
                     HADOOP_CONF_DIR, HADOOP_HOME/etc/hadoop) to read \
                     yarn.resourcemanager.scheduler.address from; the submitting client must set it"
                .to_string(),
        });
    };
    HadoopConf::load_dir(&conf_dir)?.scheduler_addresses()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::AMRM_TOKEN_KIND;

    struct Fixture {
        _dir: tempfile::TempDir,
        vars: HashMap<String, String>,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("container_tokens");
        let mut credentials = Credentials::default();
        credentials.add_token(
            String::new(),
            Token {
                identifier: vec![1, 2, 3],
                password: vec![4, 5],
                kind: AMRM_TOKEN_KIND.to_string(),
                service: String::new(),
            },
        );
        credentials.write_file(&token_file).unwrap();
        let vars: HashMap<String, String> = [
            ("CONTAINER_ID", "container_1700000000000_0007_01_000001"),
            ("NM_HOST", "node1"),
            ("NM_PORT", "45454"),
            ("NM_HTTP_PORT", "8042"),
            ("LOCAL_DIRS", "/data/1/app,/data/2/app"),
            ("LOG_DIRS", "/logs/c1"),
            ("PWD", "/data/1/app/container_1"),
            ("USER", "alice"),
            ("APP_SUBMIT_TIME_ENV", "1700000000123"),
            (WEIR_YARN_SCHEDULER_ADDRESS, "rm1:8030,rm2:8030"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([(
            "HADOOP_TOKEN_FILE_LOCATION".to_string(),
            token_file.display().to_string(),
        )])
        .collect();
        Fixture { _dir: dir, vars }
    }

    #[test]
    fn a_complete_environment_parses() {
        let fixture = fixture();
        let env = ContainerEnvironment::from_map(&fixture.vars).unwrap();
        assert_eq!(
            env.attempt_id.to_string(),
            "appattempt_1700000000000_0007_000001"
        );
        assert_eq!(env.nm_address(), "node1:45454");
        assert_eq!(env.nm_http_port, 8042);
        assert_eq!(env.local_dirs.len(), 2);
        assert_eq!(env.log_dir(), Path::new("/logs/c1"));
        assert_eq!(env.app_submit_time_ms, Some(1_700_000_000_123));
        assert_eq!(env.scheduler_addresses, vec!["rm1:8030", "rm2:8030"]);
        assert_eq!(env.amrm_token.identifier, vec![1, 2, 3]);
        assert_eq!(env.user, "alice");
    }

    #[test]
    fn each_missing_variable_is_named() {
        for variable in [
            "CONTAINER_ID",
            "NM_HOST",
            "NM_PORT",
            "NM_HTTP_PORT",
            "LOCAL_DIRS",
            "LOG_DIRS",
            "PWD",
            "USER",
            "HADOOP_TOKEN_FILE_LOCATION",
            WEIR_YARN_SCHEDULER_ADDRESS,
        ] {
            let mut fixture = fixture();
            fixture.vars.remove(variable);
            let error = ContainerEnvironment::from_map(&fixture.vars).unwrap_err();
            assert!(error.to_string().contains(variable), "{variable}: {error}");
        }
    }

    #[test]
    fn malformed_values_are_named_with_the_value() {
        for (variable, value) in [
            ("CONTAINER_ID", "container_x"),
            ("NM_PORT", "port"),
            ("NM_HTTP_PORT", "70000"),
            ("APP_SUBMIT_TIME_ENV", "yesterday"),
            (WEIR_YARN_SCHEDULER_ADDRESS, "rm1"),
            ("LOG_DIRS", ","),
        ] {
            let mut fixture = fixture();
            fixture.vars.insert(variable.to_string(), value.to_string());
            let error = ContainerEnvironment::from_map(&fixture.vars).unwrap_err();
            let text = error.to_string();
            assert!(
                text.contains(variable) || text.contains(value),
                "{variable}={value}: {text}"
            );
        }
    }

    #[test]
    fn a_token_file_without_amrm_token_is_an_error() {
        let mut fixture = fixture();
        let path = PathBuf::from(&fixture.vars["HADOOP_TOKEN_FILE_LOCATION"]);
        Credentials::default().write_file(&path).unwrap();
        let error = ContainerEnvironment::from_map(&fixture.vars).unwrap_err();
        assert!(error.to_string().contains(AMRM_TOKEN_KIND), "{error}");
        fixture.vars.insert(
            "HADOOP_TOKEN_FILE_LOCATION".to_string(),
            "/nonexistent/tokens".to_string(),
        );
        let error = ContainerEnvironment::from_map(&fixture.vars).unwrap_err();
        assert!(
            error.to_string().contains("HADOOP_TOKEN_FILE_LOCATION"),
            "{error}"
        );
    }

    #[test]
    fn the_scheduler_address_falls_back_to_yarn_site() {
        let mut fixture = fixture();
        fixture.vars.remove(WEIR_YARN_SCHEDULER_ADDRESS);
        let conf_dir = tempfile::tempdir().unwrap();
        std::fs::write(
            conf_dir.path().join("yarn-site.xml"),
            "<configuration><property><name>yarn.resourcemanager.scheduler.address</name>\
             <value>rmhost:18030</value></property></configuration>",
        )
        .unwrap();
        fixture.vars.insert(
            "HADOOP_CONF_DIR".to_string(),
            conf_dir.path().display().to_string(),
        );
        let env = ContainerEnvironment::from_map(&fixture.vars).unwrap();
        assert_eq!(env.scheduler_addresses, vec!["rmhost:18030"]);
    }
}
