//! The process side of the test NodeManager: what YARN's `ContainerLaunch` +
//! `DefaultContainerExecutor` + `ContainersMonitorImpl` do for one container, as far as the
//! container (and the AM reading its exit status) can tell.
//!
//! # Life of a container
//!
//! [`ContainerLauncher::launch`] checks the [`LaunchSpec`] (anything that cannot be written into
//! a launch script is an `Err`, before any file is touched) and starts one tokio task per
//! container. The task owns the child process; the returned [`RunningContainer`] is a cheap,
//! cloneable handle that any task may use to [`stop`](RunningContainer::stop) the container or to
//! [`wait`](RunningContainer::wait) for its [`ContainerExit`] (a `watch` channel carries each
//! direction, so the NodeManager can wait in one task and stop from an RPC handler).
//!
//! ```text
//!  launch(spec) ──► validate ──Err──► caller (report as a failed start)
//!                      │ Ok(RunningContainer)
//!                      ▼
//!  task:  create work dir (+ tmp/) and log dir
//!         localize resources ───────── failure ──► exit -1000  "Failed to download resource …"
//!         (stop while localizing) ─────────────────► exit <cause> "… Container is killed before being launched."
//!         write container_tokens, launch_container.sh
//!         spawn `/bin/bash launch_container.sh` in a new process group
//!            stdout/stderr → <log_dir>/prelaunch.out|err, env = the container environment only
//!         supervise ──┬─ root exits ───────────────────────────────┐
//!                     ├─ stop(cause) → SIGTERM group, SIGKILL after sigkill_delay
//!                     └─ monitor tick → over limit → same kill, cause -104/-103
//!         reap group: leftover group members get SIGTERM, then SIGKILL after the delay
//!         compose YARN's exit status + diagnostics ──► every waiter
//! ```
//!
//! # launch_container.sh
//!
//! The script has YARN's shape (`ContainerExecutor.writeLaunchEnv`, Unix builder): redirect its
//! own output to `prelaunch.out|err`, `export KEY="value"` for the whitelisted NodeManager
//! variables (`export K=${K:-"nm value"}`), then the NodeManager-set variables, then the rest in
//! dependency order, debugging copies into the log dir, and finally
//! `exec /bin/bash -c "<commands joined by spaces>"`. Values are double-quoted without escaping,
//! exactly like YARN, so a `"` in a value or command is rejected at launch instead of producing
//! a broken script. Local resources are already linked by the localizer (YARN does the `ln -sf`
//! inside the script; the result in the working directory is the same).
//!
//! # Exit status and diagnostics
//!
//! Diagnostics are the text YARN's NodeManager accumulates for the container, each entry
//! prefixed `[yyyy-MM-dd HH:mm:ss.SSS]` (UTC here) and ended by `\n`:
//!
//! | what happened | `exit_status` | diagnostics entries |
//! |---|---|---|
//! | exit 0 | 0 | (none; the stop entry if a stop raced the exit) |
//! | exit N (not 137/143) | N | `Exception from container-launch.` + id + code; `Container exited with a non-zero exit code N. Error file: prelaunch.err.` + the last 4096 bytes of `prelaunch.err` and of a `*stderr*` log file |
//! | stop(cause), dies by TERM/KILL | cause (-105/-106/-107/…) | cause text; `Container killed on request. Exit code is 143`; `Container exited with a non-zero exit code 143. ` |
//! | memory monitor kill | -104 / -103 | YARN's `… beyond the 'PHYSICAL' memory limit …` + process-tree dump; then as above |
//! | killed by someone else | 143 / 137 | `Container killed on request. Exit code is 143`; `Container exited …`; `Killed by external signal` |
//! | localization failed | -1000 | `Failed to download resource …` |
//! | could not write files / spawn | -1 | the error |
//!
//! The root process is `bash launch_container.sh`, which `exec`s the command shell, so its pid
//! is the container pid YARN reports (`JVM_PID`, `[pid=…]` in memory diagnostics).

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustix::process::{Pid, Signal};
use tokio::sync::watch;

use super::localizer::{FileCache, LocalizationCounters, ResourceToLocalize, validate_link_name};
use super::memory_monitor::{
    DEFAULT_VMEM_PMEM_RATIO, MemoryLimits, MemoryMonitor, MemoryUsage, MemoryVerdict, ProcessTree,
    live_members_of_process_group,
};
use crate::error::YarnError;

/// `ContainerExitStatus.INVALID`: the status of a container that never ran (localization failed).
pub const EXIT_STATUS_INVALID: i32 = -1000;
/// `ContainerExitStatus.KILLED_BY_APPMASTER`.
pub const KILLED_BY_APPMASTER: i32 = -105;
/// `ContainerExitStatus.KILLED_BY_RESOURCEMANAGER`.
pub const KILLED_BY_RESOURCEMANAGER: i32 = -106;
/// `ContainerExitStatus.KILLED_AFTER_APP_COMPLETION`.
pub const KILLED_AFTER_APP_COMPLETION: i32 = -107;
/// Exit status of a launch that failed before the process ran (`ContainerLaunch`'s `ret = -1`).
pub const EXIT_STATUS_LAUNCH_FAILED: i32 = -1;
/// Exit code of a process ended by SIGTERM (128 + 15).
pub const EXIT_CODE_TERMINATED: i32 = 143;
/// Exit code of a process ended by SIGKILL (128 + 9).
pub const EXIT_CODE_FORCE_KILLED: i32 = 137;

/// Name of the launch script in the working directory.
pub const CONTAINER_SCRIPT: &str = "launch_container.sh";
/// Name of the credentials file in the working directory (`HADOOP_TOKEN_FILE_LOCATION`).
pub const CONTAINER_TOKENS_FILE: &str = "container_tokens";
/// Stdout of the launch script (and of the command unless it redirects).
pub const PRELAUNCH_STDOUT: &str = "prelaunch.out";
/// Stderr of the launch script (and of the command unless it redirects).
pub const PRELAUNCH_STDERR: &str = "prelaunch.err";
/// `yarn.nodemanager.sleep-delay-before-sigkill.ms` default.
pub const DEFAULT_SIGKILL_DELAY: Duration = Duration::from_millis(250);
/// `yarn.nodemanager.container-monitor.interval-ms` default.
pub const DEFAULT_MONITOR_INTERVAL: Duration = Duration::from_millis(3000);
/// `yarn.nodemanager.user-home-dir` default.
pub const DEFAULT_USER_HOME_DIR: &str = "/home/";
/// `yarn.nodemanager.env-whitelist` default (Hadoop 3.4): copied from the NodeManager's own
/// environment unless the container sets them.
pub const NM_ENV_WHITELIST: [&str; 10] = [
    "JAVA_HOME",
    "HADOOP_COMMON_HOME",
    "HADOOP_HDFS_HOME",
    "HADOOP_CONF_DIR",
    "CLASSPATH_PREPEND_DISTCACHE",
    "HADOOP_YARN_HOME",
    "HADOOP_HOME",
    "PATH",
    "LANG",
    "TZ",
];
/// `yarn.nodemanager.container.stderr.tail.bytes` default.
const STDERR_TAIL_BYTES: u64 = 4096;
/// How long the reaper waits for a SIGKILLed process group to disappear before giving up.
const KILLED_GROUP_GRACE: Duration = Duration::from_secs(2);
/// Poll period while waiting for a process group to disappear.
const GROUP_POLL_PERIOD: Duration = Duration::from_millis(20);

/// Everything the NodeManager knows when it launches one container.
#[derive(Clone, Debug, PartialEq)]
pub struct LaunchSpec {
    /// Container id string, e.g. `container_1700000000000_0001_01_000002`.
    pub container_id: String,
    /// The application's user (`USER`, `LOGNAME`).
    pub user: String,
    /// The application's directory on one NM local dir:
    /// `<local_dir>/usercache/<user>/appcache/<appId>`. Holds the per-application file cache.
    pub app_dir: PathBuf,
    /// The container's working directory (`PWD`), usually `<app_dir>/<container_id>`.
    pub work_dir: PathBuf,
    /// The container's log directory (`LOG_DIRS`, `<LOG_DIR>`).
    pub log_dir: PathBuf,
    /// The NodeManager's local dirs (`yarn.nodemanager.local-dirs`); `app_dir` must be inside
    /// one of them as above. `LOCAL_DIRS` / `LOCAL_USER_DIRS` are derived from them.
    pub local_dirs: Vec<PathBuf>,
    /// The launch context's environment.
    pub environment: Vec<(String, String)>,
    /// Variables the RM's AM launcher adds to an AM container's environment
    /// (`APPLICATION_WEB_PROXY_BASE`, `APP_SUBMIT_TIME_ENV`); they override `environment`.
    pub extra_environment: Vec<(String, String)>,
    /// The NodeManager's own process environment (see [`nm_environment_of_current_process`]):
    /// the source of the whitelisted variables and of `$MALLOC_ARENA_MAX` (admin env).
    pub nm_environment: Vec<(String, String)>,
    pub nm_host: String,
    pub nm_port: u16,
    pub nm_http_port: u16,
    /// `HOME` of the container (`yarn.nodemanager.user-home-dir`, [`DEFAULT_USER_HOME_DIR`]).
    pub user_home_dir: String,
    pub local_resources: Vec<ResourceToLocalize>,
    pub commands: Vec<String>,
    /// Bytes of the `container_tokens` file (Hadoop token storage).
    pub credentials: Vec<u8>,
    pub memory_limit_bytes: u64,
    pub pmem_check: bool,
    pub vmem_check: bool,
    /// [`DEFAULT_VMEM_PMEM_RATIO`] in YARN.
    pub vmem_pmem_ratio: f32,
    /// Sampling period of the memory monitor; zero disables monitoring (and usage reports).
    pub monitor_interval: Duration,
    /// Delay between SIGTERM and SIGKILL ([`DEFAULT_SIGKILL_DELAY`]); zero sends SIGKILL at once.
    pub sigkill_delay: Duration,
}

impl LaunchSpec {
    /// A spec with YARN's defaults for everything but the identity and directories: no
    /// environment, resources or commands, 1 GiB, pmem check on, vmem check off (as test
    /// clusters usually run), monitor every 3 s, SIGKILL 250 ms after SIGTERM.
    pub fn new(
        container_id: impl Into<String>,
        user: impl Into<String>,
        app_dir: PathBuf,
        work_dir: PathBuf,
        log_dir: PathBuf,
        local_dirs: Vec<PathBuf>,
    ) -> LaunchSpec {
        LaunchSpec {
            container_id: container_id.into(),
            user: user.into(),
            app_dir,
            work_dir,
            log_dir,
            local_dirs,
            environment: Vec::new(),
            extra_environment: Vec::new(),
            nm_environment: nm_environment_of_current_process(),
            nm_host: "localhost".to_string(),
            nm_port: 0,
            nm_http_port: 0,
            user_home_dir: DEFAULT_USER_HOME_DIR.to_string(),
            local_resources: Vec::new(),
            commands: Vec::new(),
            credentials: Vec::new(),
            memory_limit_bytes: 1 << 30,
            pmem_check: true,
            vmem_check: false,
            vmem_pmem_ratio: DEFAULT_VMEM_PMEM_RATIO,
            monitor_interval: DEFAULT_MONITOR_INTERVAL,
            sigkill_delay: DEFAULT_SIGKILL_DELAY,
        }
    }
}

/// The NodeManager's environment as `System.getenv()` would see it (variables whose name or
/// value is not UTF-8 are left out).
pub fn nm_environment_of_current_process() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// Why a running container is being stopped; decides its exit status and first diagnostics
/// line (the texts of YARN's `ContainerKillEvent`s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopCause {
    /// `stopContainers` from the AM: -105, `Container killed by the ApplicationMaster.`
    ApplicationMaster,
    /// The RM listed the container for cleanup in a heartbeat: -106,
    /// `Container Killed by ResourceManager`
    ResourceManager,
    /// The application finished and the RM told the NM to clean it up: -107,
    /// `Container killed on application-finish event: Application killed by ResourceManager`
    ApplicationFinished,
    /// Any other `ContainerExitStatus` (e.g. -102 preempted) with its diagnostics.
    Other {
        exit_status: i32,
        diagnostic: String,
    },
}

impl StopCause {
    pub fn exit_status(&self) -> i32 {
        match self {
            StopCause::ApplicationMaster => KILLED_BY_APPMASTER,
            StopCause::ResourceManager => KILLED_BY_RESOURCEMANAGER,
            StopCause::ApplicationFinished => KILLED_AFTER_APP_COMPLETION,
            StopCause::Other { exit_status, .. } => *exit_status,
        }
    }

    pub fn diagnostic(&self) -> String {
        match self {
            StopCause::ApplicationMaster => "Container killed by the ApplicationMaster.".to_string(),
            StopCause::ResourceManager => "Container Killed by ResourceManager".to_string(),
            StopCause::ApplicationFinished => {
                "Container killed on application-finish event: Application killed by ResourceManager"
                    .to_string()
            }
            StopCause::Other { diagnostic, .. } => diagnostic.clone(),
        }
    }
}

/// How a container ended, as the NodeManager reports it in `ContainerStatusProto`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerExit {
    /// `ContainerStatusProto.exit_status`.
    pub exit_status: i32,
    /// `ContainerStatusProto.diagnostics` (timestamped entries, see the module docs).
    pub diagnostics: String,
    /// What the root process itself returned (its code, or 128 + signal); `None` when it never
    /// ran.
    pub process_exit_code: Option<i32>,
}

/// Launches containers; holds the NodeManager-wide state they share (the file cache).
/// Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct ContainerLauncher {
    file_cache: FileCache,
}

impl ContainerLauncher {
    pub fn new() -> ContainerLauncher {
        ContainerLauncher::default()
    }

    /// The per-application cache of localized resources (call
    /// [`FileCache::forget_application`] when an application's directory is removed).
    pub fn file_cache(&self) -> &FileCache {
        &self.file_cache
    }

    /// Validates `spec` and starts the container's task on the current tokio runtime. Returns
    /// at once: localization, launch and supervision happen in the task, and every later
    /// failure is reported through [`RunningContainer::wait`] the way YARN reports it.
    pub async fn launch(&self, spec: LaunchSpec) -> Result<RunningContainer, YarnError> {
        let plan = LaunchPlan::from_spec(&spec)?;
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| YarnError::ContainerLaunchSpec {
                container_id: spec.container_id.clone(),
                detail: "ContainerLauncher::launch must run inside a tokio runtime".to_string(),
            })?;
        let (stop_tx, stop_rx) = watch::channel(None);
        let (exit_tx, exit_rx) = watch::channel(None);
        let shared = Arc::new(ContainerShared {
            container_id: spec.container_id.clone(),
            pid: OnceLock::new(),
            memory_usage: Mutex::new(None),
            stop_tx,
            exit_rx,
        });
        tracing::info!(container = %spec.container_id, "launching container");
        let task = ContainerTask {
            launcher: self.clone(),
            spec,
            plan,
            shared: shared.clone(),
            stop_rx,
        };
        runtime.spawn(async move {
            let container_id = task.spec.container_id.clone();
            let exit = task.run().await;
            tracing::info!(
                container = %container_id,
                exit_status = exit.exit_status,
                process_exit_code = ?exit.process_exit_code,
                "container finished"
            );
            exit_tx.send_replace(Some(exit));
        });
        Ok(RunningContainer { shared })
    }
}

/// Handle on a launched container. Clones share the container; dropping every handle leaves
/// the container running until it exits by itself.
#[derive(Clone, Debug)]
pub struct RunningContainer {
    shared: Arc<ContainerShared>,
}

#[derive(Debug)]
struct ContainerShared {
    container_id: String,
    pid: OnceLock<u32>,
    memory_usage: Mutex<Option<MemoryUsage>>,
    stop_tx: watch::Sender<Option<StopCause>>,
    exit_rx: watch::Receiver<Option<ContainerExit>>,
}

impl RunningContainer {
    pub fn container_id(&self) -> &str {
        &self.shared.container_id
    }

    /// Pid of the container's root process (also its process group id); `None` until the
    /// process is spawned, and forever if it never was.
    pub fn pid(&self) -> Option<u32> {
        self.shared.pid.get().copied()
    }

    /// The last memory sample of the container's process tree.
    pub fn memory_usage(&self) -> Option<MemoryUsage> {
        *self
            .shared
            .memory_usage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the container to stop: SIGTERM to its process group, SIGKILL after the spec's
    /// delay. Returns at once. The first cause wins; a stop after the exit changes nothing.
    pub fn stop(&self, cause: StopCause) {
        self.shared.stop_tx.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(cause);
                true
            } else {
                false
            }
        });
    }

    /// Waits until the container has finished (its whole process group is gone) and returns
    /// how it ended. Any number of tasks may wait.
    pub async fn wait(&self) -> ContainerExit {
        let mut exit_rx = self.shared.exit_rx.clone();
        match exit_rx.wait_for(|exit| exit.is_some()).await {
            Ok(exit) => exit.clone().unwrap_or_else(lost_exit),
            Err(_) => lost_exit(),
        }
    }

    /// How the container ended, if it has.
    pub fn exit(&self) -> Option<ContainerExit> {
        self.shared.exit_rx.borrow().clone()
    }

    pub fn is_finished(&self) -> bool {
        self.shared.exit_rx.borrow().is_some()
    }
}

/// What a waiter gets when the container task vanished (its runtime shut down).
fn lost_exit() -> ContainerExit {
    ContainerExit {
        exit_status: EXIT_STATUS_INVALID,
        diagnostics: diagnostics_entry(
            now_ms(),
            "The NodeManager's container task ended without an exit status (runtime shut down).",
        ),
        process_exit_code: None,
    }
}

// ---------------------------------------------------------------------------------------------
// The launch plan: environment and script, computed and validated before anything runs.

/// The validated, expanded parts of a launch.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LaunchPlan {
    /// `export K=${K:-"v"}` lines, from the NM's environment.
    whitelisted: Vec<(String, String)>,
    /// The NodeManager-set variables except `LOCALIZATION_COUNTERS` (known after localization).
    nm_variables_before_counters: Vec<(String, String)>,
    /// `JVM_PID` (written after `LOCALIZATION_COUNTERS`).
    nm_variables_after_counters: Vec<(String, String)>,
    /// All other variables, expanded, in dependency order.
    others: Vec<(String, String)>,
    /// The expanded commands joined by single spaces.
    command: String,
}

impl LaunchPlan {
    fn from_spec(spec: &LaunchSpec) -> Result<LaunchPlan, YarnError> {
        let invalid = |detail: String| YarnError::ContainerLaunchSpec {
            container_id: spec.container_id.clone(),
            detail,
        };
        for (what, path) in [
            ("app_dir", &spec.app_dir),
            ("work_dir", &spec.work_dir),
            ("log_dir", &spec.log_dir),
        ] {
            if !path.is_absolute() {
                return Err(invalid(format!(
                    "{what} '{}' must be an absolute path",
                    path.display()
                )));
            }
            check_quotable(&path.to_string_lossy())
                .map_err(|c| invalid(format!("{what} '{}' contains {c}", path.display())))?;
        }
        if spec.container_id.is_empty() || spec.user.is_empty() {
            return Err(invalid(
                "the container id and the user must not be empty".to_string(),
            ));
        }
        let app_id = app_id_of(spec).map_err(invalid)?;
        let mut seen_links = HashSet::new();
        for resource in &spec.local_resources {
            validate_link_name(&resource.link_name).map_err(&invalid)?;
            if !seen_links.insert(resource.link_name.as_str()) {
                return Err(invalid(format!(
                    "local resource name '{}' appears twice",
                    resource.link_name
                )));
            }
        }

        // The launch context's environment; later duplicates replace earlier values.
        let mut environment = OrderedEnvironment::default();
        for (name, value) in spec.environment.iter().chain(&spec.extra_environment) {
            check_variable_name(name).map_err(&invalid)?;
            environment.set(name, value.clone());
        }
        let nm_variables = nm_set_variables(spec, &app_id);
        let nm_names: HashSet<&str> = nm_variables.iter().map(|(name, _)| *name).collect();
        for (name, value) in &nm_variables {
            environment.set(name, value.clone());
        }
        // yarn.nodemanager.admin-env default: MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX, appended with
        // ':' to a value the container set (Apps.addToEnvironment).
        let arena_max = environment
            .get("MALLOC_ARENA_MAX")
            .or_else(|| nm_value(spec, "MALLOC_ARENA_MAX"))
            .unwrap_or_default()
            .to_string();
        match environment.get("MALLOC_ARENA_MAX").map(str::to_string) {
            Some(existing) => {
                environment.set("MALLOC_ARENA_MAX", format!("{existing}:{arena_max}"))
            }
            None => environment.set("MALLOC_ARENA_MAX", arena_max),
        }

        let log_dir = spec.log_dir.to_string_lossy();
        let mut expanded = Vec::with_capacity(environment.entries.len());
        for (name, value) in environment.entries {
            let value = expand_environment(&value, &log_dir);
            check_quotable(&value)
                .map_err(|c| invalid(format!("environment variable {name} contains {c}")))?;
            expanded.push((name, value));
        }

        let mut whitelisted = Vec::new();
        for name in NM_ENV_WHITELIST {
            if expanded.iter().any(|(n, _)| n == name) {
                continue;
            }
            if let Some(value) = nm_value(spec, name) {
                check_quotable(value).map_err(|c| {
                    invalid(format!(
                        "the NodeManager's own {name} (whitelisted into containers) contains {c}"
                    ))
                })?;
                whitelisted.push((name.to_string(), value.to_string()));
            }
        }

        let (nm_part, others): (Vec<_>, Vec<_>) = expanded
            .into_iter()
            .partition(|(name, _)| nm_names.contains(name.as_str()));
        let nm_value_of = |name: &str| {
            nm_part
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let mut nm_variables_before_counters = Vec::new();
        let mut nm_variables_after_counters = Vec::new();
        for (name, _) in &nm_variables {
            let entry = (name.to_string(), nm_value_of(name));
            if *name == "JVM_PID" {
                nm_variables_after_counters.push(entry);
            } else {
                nm_variables_before_counters.push(entry);
            }
        }

        let mut commands = Vec::with_capacity(spec.commands.len());
        for command in &spec.commands {
            let command = expand_environment(command, &log_dir);
            check_quotable(&command)
                .map_err(|c| invalid(format!("command '{command}' contains {c}")))?;
            commands.push(command);
        }
        Ok(LaunchPlan {
            whitelisted,
            nm_variables_before_counters,
            nm_variables_after_counters,
            others: order_by_dependencies(others),
            command: commands.join(" "),
        })
    }

    /// The variables in script order with the localization counters filled in, and the
    /// environment the process starts with (everything but the whitelisted variables, like
    /// YARN's `ShellCommandExecutor` with `inheritParentEnv = false`).
    fn variables(&self, counters: &LocalizationCounters) -> Vec<(String, String)> {
        let mut all = self.nm_variables_before_counters.clone();
        all.push(("LOCALIZATION_COUNTERS".to_string(), counters.to_string()));
        all.extend(self.nm_variables_after_counters.iter().cloned());
        all.extend(self.others.iter().cloned());
        all
    }

    /// `launch_container.sh` (see the module docs).
    fn render_script(&self, log_dir: &Path, counters: &LocalizationCounters) -> String {
        let log_dir = log_dir.display();
        let mut script = String::from("#!/bin/bash\n\nset -o pipefail -e\n");
        script.push_str(&format!(
            "export PRELAUNCH_OUT=\"{log_dir}/{PRELAUNCH_STDOUT}\"\n"
        ));
        script.push_str("exec >\"${PRELAUNCH_OUT}\"\n");
        script.push_str(&format!(
            "export PRELAUNCH_ERR=\"{log_dir}/{PRELAUNCH_STDERR}\"\n"
        ));
        script.push_str("exec 2>\"${PRELAUNCH_ERR}\"\n");
        script.push_str("echo \"Setting up env variables\"\n");
        for (name, value) in &self.whitelisted {
            script.push_str(&format!("export {name}=${{{name}:-\"{value}\"}}\n"));
        }
        for (name, value) in self.variables(counters) {
            script.push_str(&format!("export {name}=\"{value}\"\n"));
        }
        script.push_str("echo \"Setting up job resources\"\n");
        script.push_str("# local resources were linked into this directory by the NodeManager\n");
        script.push_str("echo \"Copying debugging information\"\n");
        script.push_str("# Creating copy of launch script\n");
        script.push_str(&format!(
            "cp \"{CONTAINER_SCRIPT}\" \"{log_dir}/{CONTAINER_SCRIPT}\"\n"
        ));
        script.push_str(&format!("chmod 640 \"{log_dir}/{CONTAINER_SCRIPT}\"\n"));
        script.push_str("# Determining directory contents\n");
        let info = format!("{log_dir}/directory.info");
        script.push_str(&format!("echo \"ls -l:\" 1>\"{info}\"\n"));
        script.push_str(&format!("ls -l 1>>\"{info}\"\n"));
        script.push_str(&format!(
            "echo \"find -L . -maxdepth 5 -ls:\" 1>>\"{info}\"\n"
        ));
        script.push_str(&format!("find -L . -maxdepth 5 -ls 1>>\"{info}\"\n"));
        script.push_str(&format!(
            "echo \"broken symlinks(find -L . -maxdepth 5 -type l -ls):\" 1>>\"{info}\"\n"
        ));
        script.push_str(&format!(
            "find -L . -maxdepth 5 -type l -ls 1>>\"{info}\"\n"
        ));
        script.push_str("echo \"Launching container\"\n");
        script.push_str(&format!("exec /bin/bash -c \"{}\"\n", self.command));
        script
    }
}

/// The NodeManager-set variables in YARN's order (`sanitizeEnv`), without
/// `LOCALIZATION_COUNTERS`, which is known only after localization.
fn nm_set_variables(spec: &LaunchSpec, app_id: &str) -> Vec<(&'static str, String)> {
    let app_dirs: Vec<String> = spec
        .local_dirs
        .iter()
        .map(|root| {
            root.join("usercache")
                .join(&spec.user)
                .join("appcache")
                .join(app_id)
                .display()
                .to_string()
        })
        .collect();
    let user_dirs: Vec<String> = spec
        .local_dirs
        .iter()
        .map(|root| format!("{}/", root.join("usercache").join(&spec.user).display()))
        .collect();
    vec![
        (
            "HADOOP_TOKEN_FILE_LOCATION",
            spec.work_dir
                .join(CONTAINER_TOKENS_FILE)
                .display()
                .to_string(),
        ),
        ("CONTAINER_ID", spec.container_id.clone()),
        ("NM_PORT", spec.nm_port.to_string()),
        ("NM_HOST", spec.nm_host.clone()),
        ("NM_HTTP_PORT", spec.nm_http_port.to_string()),
        ("LOCAL_DIRS", app_dirs.join(",")),
        ("LOCAL_USER_DIRS", user_dirs.join(",")),
        ("LOG_DIRS", spec.log_dir.display().to_string()),
        ("USER", spec.user.clone()),
        ("LOGNAME", spec.user.clone()),
        ("HOME", spec.user_home_dir.clone()),
        ("PWD", spec.work_dir.display().to_string()),
        ("JVM_PID", "$$".to_string()),
    ]
}

/// The application id (the last component of `app_dir`), after checking that `app_dir` is
/// `<one of local_dirs>/usercache/<user>/appcache/<appId>`.
fn app_id_of(spec: &LaunchSpec) -> Result<String, String> {
    let app_id = spec
        .app_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            format!(
                "app_dir '{}' has no application directory name",
                spec.app_dir.display()
            )
        })?;
    let inside_a_local_dir = spec.local_dirs.iter().any(|root| {
        root.join("usercache")
            .join(&spec.user)
            .join("appcache")
            .join(&app_id)
            == spec.app_dir
    });
    if !inside_a_local_dir {
        return Err(format!(
            "app_dir '{}' must be <local dir>/usercache/{}/appcache/<appId> for one of the local dirs {:?}",
            spec.app_dir.display(),
            spec.user,
            spec.local_dirs
        ));
    }
    for dir in &spec.local_dirs {
        check_quotable(&dir.to_string_lossy())
            .map_err(|c| format!("local dir '{}' contains {c}", dir.display()))?;
    }
    Ok(app_id)
}

fn nm_value<'a>(spec: &'a LaunchSpec, name: &str) -> Option<&'a str> {
    spec.nm_environment
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// An insertion-ordered map of variables (a later `set` of a name keeps its first position).
#[derive(Default)]
struct OrderedEnvironment {
    entries: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl OrderedEnvironment {
    fn set(&mut self, name: &str, value: String) {
        match self.index.get(name) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(name.to_string(), self.entries.len());
                self.entries.push((name.to_string(), value));
            }
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.index.get(name).map(|&i| self.entries[i].1.as_str())
    }
}

/// `ContainerLaunch.expandEnvironment` on Linux: `<LOG_DIR>` → the log dir, `<CPS>` → `:`,
/// `{{VAR}}` → `$VAR`, and `<ADD_OPENS>` → nothing (no JVM here).
pub fn expand_environment(value: &str, log_dir: &str) -> String {
    value
        .replace("<LOG_DIR>", log_dir)
        .replace("<CPS>", ":")
        .replace("{{", "$")
        .replace("}}", "")
        .replace("<ADD_OPENS>", "")
}

/// Text that goes between double quotes in the script unescaped must not contain `"` (and no
/// NUL, which no process environment can hold).
fn check_quotable(text: &str) -> Result<(), &'static str> {
    if text.contains('"') {
        Err(
            "a double quote (\"), which YARN writes into launch_container.sh unescaped; remove it or use single quotes",
        )
    } else if text.contains('\0') {
        Err("a NUL character")
    } else {
        Ok(())
    }
}

/// A shell variable name: `[A-Za-z_][A-Za-z0-9_]*`.
fn check_variable_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "environment variable name '{name}' is not a shell variable name ([A-Za-z_][A-Za-z0-9_]*)"
        ))
    }
}

/// The variables a value refers to, read the way YARN's Unix script builder does
/// (`getEnvDependencies`): `$NAME`, `${NAME}`, `${#NAME}`, skipping single-quoted text outside
/// double quotes and backslash-escaped characters.
fn env_dependencies(value: &str) -> Vec<String> {
    let chars: Vec<char> = value.chars().collect();
    let mut dependencies = Vec::new();
    // Values are written inside double quotes.
    let mut in_double_quotes = true;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' => in_double_quotes = !in_double_quotes,
            '\'' if !in_double_quotes => {
                i += 1;
                while i < chars.len() {
                    let c = chars[i];
                    if c == '\\' {
                        i += 1;
                    }
                    if c == '\'' {
                        break;
                    }
                    i += 1;
                }
            }
            '\\' => i += 1,
            '$' => {
                i += 1;
                if i < chars.len() && chars[i] == '{' {
                    i += 1;
                    if i < chars.len() && chars[i] == '#' {
                        i += 1;
                    }
                }
                let start = i;
                while i < chars.len() {
                    let c = chars[i];
                    let accepted = if i == start {
                        c.is_alphabetic() || c == '_'
                    } else {
                        c.is_alphanumeric() || c == '_'
                    };
                    if !accepted {
                        break;
                    }
                    i += 1;
                }
                if i > start {
                    dependencies.push(chars[start..i].iter().collect());
                }
            }
            _ => {}
        }
        // Like YARN's loop this also steps over the character after a variable name.
        i += 1;
    }
    dependencies
}

/// Orders variables so that each comes after the variables it refers to (YARN's
/// `orderEnvByDependencies`; cycles are broken where they close). Iterative, so a long chain
/// cannot overflow the stack.
fn order_by_dependencies(entries: Vec<(String, String)>) -> Vec<(String, String)> {
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let dependencies_of = |i: usize| -> Vec<usize> {
        env_dependencies(&entries[i].1)
            .iter()
            .filter_map(|name| index.get(name.as_str()).copied())
            .collect()
    };
    let mut resolved = vec![false; entries.len()];
    let mut order = Vec::with_capacity(entries.len());
    for start in 0..entries.len() {
        if resolved[start] {
            continue;
        }
        resolved[start] = true;
        let mut stack = vec![(start, dependencies_of(start), 0usize)];
        while let Some((node, dependencies, next)) = stack.last_mut() {
            if let Some(&dependency) = dependencies.get(*next) {
                *next += 1;
                if !resolved[dependency] {
                    resolved[dependency] = true;
                    let dependency_list = dependencies_of(dependency);
                    stack.push((dependency, dependency_list, 0));
                }
            } else {
                order.push(*node);
                stack.pop();
            }
        }
    }
    let mut slots: Vec<Option<(String, String)>> = entries.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

// ---------------------------------------------------------------------------------------------
// The container task.

/// A kill the NodeManager decided on (stop request or memory monitor).
#[derive(Clone, Debug, PartialEq, Eq)]
struct KillRecord {
    exit_status: i32,
    diagnostic: String,
    at_ms: i64,
}

/// Where the SIGTERM → SIGKILL sequence of the process group stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KillProgress {
    NotStarted,
    TermSent { kill_at: Instant },
    KillSent,
}

/// SIGKILLs the container's process group if the task is dropped before it finished (runtime
/// shutdown), so no container outlives its NodeManager.
struct ProcessGroupGuard {
    process_group: Option<Pid>,
}

impl Drop for ProcessGroupGuard {
    fn drop(&mut self) {
        if let Some(group) = self.process_group {
            let _ = rustix::process::kill_process_group(group, Signal::KILL);
        }
    }
}

struct ContainerTask {
    launcher: ContainerLauncher,
    spec: LaunchSpec,
    plan: LaunchPlan,
    shared: Arc<ContainerShared>,
    stop_rx: watch::Receiver<Option<StopCause>>,
}

impl ContainerTask {
    async fn run(mut self) -> ContainerExit {
        if let Err(error) = self.create_directories().await {
            return launch_failed(&error);
        }
        let localization = tokio::select! {
            biased;
            cause = wait_for_stop(&mut self.stop_rx) => return killed_before_launch(&cause),
            result = self.launcher.file_cache.localize(&self.spec.app_dir, &self.spec.work_dir, &self.spec.local_resources) => result,
        };
        let counters = match localization {
            Ok(localization) => localization.counters,
            Err(failure) => {
                return ContainerExit {
                    exit_status: EXIT_STATUS_INVALID,
                    diagnostics: diagnostics_entry(
                        now_ms(),
                        &failure.diagnostics(&self.spec.container_id),
                    ),
                    process_exit_code: None,
                };
            }
        };
        if let Err(error) = self.write_files(&counters).await {
            return launch_failed(&error);
        }
        if let Some(cause) = self.stop_rx.borrow().clone() {
            return killed_before_launch(&cause);
        }
        let mut child = match self.spawn(&counters) {
            Ok(child) => child,
            Err(error) => return launch_failed(&error),
        };
        let Some(pid) = child.id() else {
            return launch_failed(&self.io_error(
                "find the pid of",
                &self.spec.work_dir,
                io::Error::other("the process exited before it was observed"),
            ));
        };
        let _ = self.shared.pid.set(pid);
        let process_group = Pid::from_raw(pid as i32).filter(|p| p.as_raw_nonzero().get() > 1);
        let mut guard = ProcessGroupGuard { process_group };
        let (process_exit_code, kill, progress) =
            self.supervise(&mut child, pid as i32, process_group).await;
        if let Some(group) = process_group {
            reap_process_group(group, progress, self.spec.sigkill_delay).await;
        }
        guard.process_group = None;
        let exited_at_ms = now_ms();
        let failure_details = if matches!(
            process_exit_code,
            0 | EXIT_CODE_TERMINATED | EXIT_CODE_FORCE_KILLED
        ) {
            String::new()
        } else {
            let log_dir = self.spec.log_dir.clone();
            tokio::task::spawn_blocking(move || failure_details(&log_dir))
                .await
                .unwrap_or_default()
        };
        compose_exit(
            &self.spec.container_id,
            process_exit_code,
            kill.as_ref(),
            &failure_details,
            exited_at_ms,
        )
    }

    fn io_error(&self, action: &'static str, path: &Path, source: io::Error) -> YarnError {
        YarnError::ContainerIo {
            container_id: self.spec.container_id.clone(),
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The working directory with its `tmp/` (mode 0710 like YARN's app dirs) and the log dir.
    async fn create_directories(&self) -> Result<(), YarnError> {
        let work_dir = &self.spec.work_dir;
        for dir in [
            work_dir.clone(),
            work_dir.join("tmp"),
            self.spec.log_dir.clone(),
        ] {
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| self.io_error("create", &dir, e))?;
        }
        for dir in [work_dir.clone(), work_dir.join("tmp")] {
            tokio::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o710))
                .await
                .map_err(|e| self.io_error("set the permissions of", &dir, e))?;
        }
        Ok(())
    }

    /// `container_tokens` (0600) and `launch_container.sh` (0700) in the working directory.
    async fn write_files(&self, counters: &LocalizationCounters) -> Result<(), YarnError> {
        let tokens = self.spec.work_dir.join(CONTAINER_TOKENS_FILE);
        write_with_mode(&tokens, &self.spec.credentials, 0o600)
            .await
            .map_err(|e| self.io_error("write", &tokens, e))?;
        let script_path = self.spec.work_dir.join(CONTAINER_SCRIPT);
        let script = self.plan.render_script(&self.spec.log_dir, counters);
        write_with_mode(&script_path, script.as_bytes(), 0o700)
            .await
            .map_err(|e| self.io_error("write", &script_path, e))
    }

    /// `bash launch_container.sh` in the working directory, in its own process group, with only
    /// the container's environment.
    fn spawn(&self, counters: &LocalizationCounters) -> Result<tokio::process::Child, YarnError> {
        let open = |name: &str| {
            let path = self.spec.log_dir.join(name);
            std::fs::File::create(&path).map_err(|e| self.io_error("create", &path, e))
        };
        let stdout = open(PRELAUNCH_STDOUT)?;
        let stderr = open(PRELAUNCH_STDERR)?;
        let mut command = tokio::process::Command::new("/bin/bash");
        command
            .arg(CONTAINER_SCRIPT)
            .current_dir(&self.spec.work_dir)
            .env_clear()
            .envs(self.plan.variables(counters))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0);
        command.spawn().map_err(|e| {
            self.io_error(
                "start /bin/bash for",
                &self.spec.work_dir.join(CONTAINER_SCRIPT),
                e,
            )
        })
    }

    /// Waits for the root process while serving stop requests, monitor ticks and the SIGKILL
    /// deadline. Returns the root's exit code, the kill decided on (if any) and the kill state.
    async fn supervise(
        &mut self,
        child: &mut tokio::process::Child,
        pid: i32,
        process_group: Option<Pid>,
    ) -> (i32, Option<KillRecord>, KillProgress) {
        let limits = MemoryLimits::new(
            self.spec.memory_limit_bytes,
            self.spec.pmem_check,
            self.spec.vmem_check,
            self.spec.vmem_pmem_ratio,
        );
        let mut monitor = MemoryMonitor::new(self.spec.container_id.clone(), limits);
        let monitoring = !self.spec.monitor_interval.is_zero();
        let mut ticker = tokio::time::interval(if monitoring {
            self.spec.monitor_interval
        } else {
            Duration::from_secs(3600)
        });
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let sigkill_delay = self.spec.sigkill_delay;
        let mut kill: Option<KillRecord> = None;
        let mut progress = KillProgress::NotStarted;
        let mut stop_rx = self.stop_rx.clone();
        let status = loop {
            let kill_at = match progress {
                KillProgress::TermSent { kill_at } => Some(kill_at),
                _ => None,
            };
            tokio::select! {
                status = child.wait() => break status,
                cause = wait_for_stop(&mut stop_rx), if kill.is_none() => {
                    tracing::info!(container = %self.spec.container_id, ?cause, "stopping container");
                    kill = Some(KillRecord { exit_status: cause.exit_status(), diagnostic: cause.diagnostic(), at_ms: now_ms() });
                    progress = begin_kill(process_group, sigkill_delay);
                }
                _ = ticker.tick(), if monitoring && kill.is_none() => {
                    let tree = tokio::task::spawn_blocking(move || ProcessTree::sample(pid)).await;
                    match tree {
                        Ok(Ok(tree)) => {
                            let (usage, verdict) = monitor.check(&tree);
                            *self.shared.memory_usage.lock().unwrap_or_else(|p| p.into_inner()) = Some(usage);
                            if let MemoryVerdict::OverLimit { exit_status, diagnostics } = verdict {
                                tracing::warn!(container = %self.spec.container_id, "{diagnostics}");
                                kill = Some(KillRecord { exit_status, diagnostic: diagnostics, at_ms: now_ms() });
                                progress = begin_kill(process_group, sigkill_delay);
                            }
                        }
                        Ok(Err(error)) => tracing::warn!(container = %self.spec.container_id, %error, "cannot read /proc"),
                        Err(error) => tracing::warn!(container = %self.spec.container_id, %error, "memory sampling task failed"),
                    }
                }
                _ = tokio::time::sleep_until(kill_at.unwrap_or_else(Instant::now).into()), if kill_at.is_some() => {
                    signal_group(process_group, Signal::KILL);
                    progress = KillProgress::KillSent;
                }
            }
        };
        let process_exit_code = match status {
            Ok(status) => status
                .code()
                .or_else(|| status.signal().map(|signal| 128 + signal))
                .unwrap_or(EXIT_STATUS_LAUNCH_FAILED),
            Err(error) => {
                tracing::warn!(container = %self.spec.container_id, %error, "cannot wait for the container process");
                EXIT_STATUS_LAUNCH_FAILED
            }
        };
        (process_exit_code, kill, progress)
    }
}

/// Resolves when a stop was requested; never when every handle is gone.
async fn wait_for_stop(stop_rx: &mut watch::Receiver<Option<StopCause>>) -> StopCause {
    let cause = match stop_rx.wait_for(|cause| cause.is_some()).await {
        Ok(cause) => cause.clone(),
        Err(_) => None,
    };
    match cause {
        Some(cause) => cause,
        None => std::future::pending().await,
    }
}

fn signal_group(process_group: Option<Pid>, signal: Signal) {
    if let Some(group) = process_group
        && let Err(error) = rustix::process::kill_process_group(group, signal)
        && error != rustix::io::Errno::SRCH
    {
        tracing::warn!(process_group = group.as_raw_nonzero().get(), %error, "cannot signal the container's process group");
    }
}

/// SIGTERM now and SIGKILL at the returned deadline, or SIGKILL at once for a zero delay.
fn begin_kill(process_group: Option<Pid>, sigkill_delay: Duration) -> KillProgress {
    if sigkill_delay.is_zero() {
        signal_group(process_group, Signal::KILL);
        KillProgress::KillSent
    } else {
        signal_group(process_group, Signal::TERM);
        KillProgress::TermSent {
            kill_at: Instant::now() + sigkill_delay,
        }
    }
}

async fn live_members(process_group: Pid) -> Vec<i32> {
    let group = process_group.as_raw_nonzero().get();
    tokio::task::spawn_blocking(move || live_members_of_process_group(group).unwrap_or_default())
        .await
        .unwrap_or_default()
}

/// After the root exited: whatever is left in the process group gets SIGTERM and, after the
/// delay, SIGKILL (YARN's cleanup of a finished container); then wait until it is gone.
async fn reap_process_group(process_group: Pid, progress: KillProgress, sigkill_delay: Duration) {
    if live_members(process_group).await.is_empty() {
        return;
    }
    let progress = match progress {
        KillProgress::NotStarted => begin_kill(Some(process_group), sigkill_delay),
        other => other,
    };
    if let KillProgress::TermSent { kill_at } = progress {
        while Instant::now() < kill_at {
            if live_members(process_group).await.is_empty() {
                return;
            }
            tokio::time::sleep(
                GROUP_POLL_PERIOD.min(kill_at.saturating_duration_since(Instant::now())),
            )
            .await;
        }
        signal_group(Some(process_group), Signal::KILL);
    }
    let give_up_at = Instant::now() + KILLED_GROUP_GRACE;
    loop {
        let members = live_members(process_group).await;
        if members.is_empty() {
            return;
        }
        if Instant::now() >= give_up_at {
            tracing::warn!(
                process_group = process_group.as_raw_nonzero().get(),
                ?members,
                "processes survive SIGKILL"
            );
            return;
        }
        // A member forked after the first SIGKILL would escape it.
        signal_group(Some(process_group), Signal::KILL);
        tokio::time::sleep(GROUP_POLL_PERIOD).await;
    }
}

async fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    tokio::fs::write(path, bytes).await?;
    tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).await
}

fn launch_failed(error: &YarnError) -> ContainerExit {
    ContainerExit {
        exit_status: EXIT_STATUS_LAUNCH_FAILED,
        diagnostics: diagnostics_entry(now_ms(), &error.to_string()),
        process_exit_code: None,
    }
}

fn killed_before_launch(cause: &StopCause) -> ContainerExit {
    let now = now_ms();
    let mut diagnostics = diagnostics_entry(now, &cause.diagnostic());
    diagnostics.push_str(&diagnostics_entry(
        now,
        "Container is killed before being launched.",
    ));
    ContainerExit {
        exit_status: cause.exit_status(),
        diagnostics,
        process_exit_code: None,
    }
}

/// YARN's exit status and diagnostics for a process that ran (see the table in the module docs).
fn compose_exit(
    container_id: &str,
    process_exit_code: i32,
    kill: Option<&KillRecord>,
    failure_details: &str,
    exited_at_ms: i64,
) -> ContainerExit {
    let mut diagnostics = String::new();
    if let Some(kill) = kill {
        diagnostics.push_str(&diagnostics_entry(kill.at_ms, &kill.diagnostic));
    }
    let exit_status = match process_exit_code {
        0 => 0,
        EXIT_CODE_TERMINATED | EXIT_CODE_FORCE_KILLED => {
            diagnostics.push_str(&diagnostics_entry(
                exited_at_ms,
                &format!("Container killed on request. Exit code is {process_exit_code}"),
            ));
            diagnostics.push_str(&diagnostics_entry(
                exited_at_ms,
                &format!("Container exited with a non-zero exit code {process_exit_code}. "),
            ));
            match kill {
                Some(kill) => kill.exit_status,
                None => {
                    diagnostics.push_str(&diagnostics_entry(
                        exited_at_ms,
                        "Killed by external signal",
                    ));
                    process_exit_code
                }
            }
        }
        code => {
            diagnostics.push_str(&diagnostics_entry(
                exited_at_ms,
                &format!("Exception from container-launch.\nContainer id: {container_id}\nExit code: {code}\n"),
            ));
            diagnostics.push_str(&diagnostics_entry(
                exited_at_ms,
                &format!("Container exited with a non-zero exit code {code}. {failure_details}"),
            ));
            code
        }
    };
    ContainerExit {
        exit_status,
        diagnostics,
        process_exit_code: Some(process_exit_code),
    }
}

/// `ContainerLaunch.handleContainerExitWithFailure`: the tail of `prelaunch.err` and of the
/// newest log file whose name contains `stderr` or `STDERR`.
fn failure_details(log_dir: &Path) -> String {
    let mut details = String::new();
    if let Ok(tail) = read_tail(&log_dir.join(PRELAUNCH_STDERR), STDERR_TAIL_BYTES) {
        details.push_str(&format!(
            "Error file: {PRELAUNCH_STDERR}.\nLast {STDERR_TAIL_BYTES} bytes of {PRELAUNCH_STDERR} :\n{tail}"
        ));
    }
    let mut stderr_files: Vec<(String, SystemTime)> = std::fs::read_dir(log_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let metadata = entry.metadata().ok()?;
            (metadata.is_file() && (name.contains("stderr") || name.contains("STDERR")))
                .then(|| (name, metadata.modified().unwrap_or(UNIX_EPOCH)))
        })
        .collect();
    stderr_files.sort();
    let Some(newest) = stderr_files.iter().fold(
        None::<&(String, SystemTime)>,
        |best, candidate| match best {
            Some(best) if best.1 >= candidate.1 => Some(best),
            _ => Some(candidate),
        },
    ) else {
        return details;
    };
    if stderr_files.len() > 1 {
        let names: Vec<&str> = stderr_files.iter().map(|(name, _)| name.as_str()).collect();
        details.push_str(&format!("Error files: {}.\n", names.join(", ")));
    }
    if let Ok(tail) = read_tail(&log_dir.join(&newest.0), STDERR_TAIL_BYTES) {
        details.push_str(&format!(
            "Last {STDERR_TAIL_BYTES} bytes of {} :\n{tail}\n",
            newest.0
        ));
    }
    details
}

/// The last `max_bytes` of a file, decoded as UTF-8 with replacement characters.
fn read_tail(path: &Path, max_bytes: u64) -> io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let length = file.metadata()?.len();
    file.seek(SeekFrom::Start(length.saturating_sub(max_bytes)))?;
    let mut bytes = Vec::with_capacity(length.min(max_bytes) as usize);
    file.take(max_bytes).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

// ---------------------------------------------------------------------------------------------
// Hadoop's date formats (UTC).

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_millis() as i64,
        Err(before) => -(before.duration().as_millis() as i64),
    }
}

/// One NodeManager diagnostics entry: `[yyyy-MM-dd HH:mm:ss.SSS]<text>\n` (`ContainerImpl`'s
/// format, in UTC).
pub fn diagnostics_entry(at_ms: i64, text: &str) -> String {
    let t = UtcTime::from_unix_ms(at_ms);
    format!(
        "[{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}]{text}\n",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis
    )
}

/// Hadoop's `Times.formatISO8601` (`yyyy-MM-dd'T'HH:mm:ss.SSSZ`), in UTC.
pub fn format_iso8601_ms(at_ms: i64) -> String {
    let t = UtcTime::from_unix_ms(at_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis
    )
}

struct UtcTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
}

impl UtcTime {
    /// Proleptic Gregorian calendar from days since 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`).
    fn from_unix_ms(ms: i64) -> UtcTime {
        let days = ms.div_euclid(86_400_000);
        let in_day = ms.rem_euclid(86_400_000);
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        UtcTime {
            year,
            month,
            day,
            hour: (in_day / 3_600_000) as u32,
            minute: (in_day / 60_000 % 60) as u32,
            second: (in_day / 1000 % 60) as u32,
            millis: (in_day % 1000) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(root: &Path) -> LaunchSpec {
        let local = root.join("nm-local");
        let app_dir = local.join("usercache/alice/appcache/application_1700000000000_0001");
        let mut spec = LaunchSpec::new(
            "container_1700000000000_0001_01_000002",
            "alice",
            app_dir.clone(),
            app_dir.join("container_1700000000000_0001_01_000002"),
            root.join("logs/application_1700000000000_0001/container_1700000000000_0001_01_000002"),
            vec![local],
        );
        spec.nm_environment = vec![
            ("PATH".to_string(), "/usr/bin:/bin".to_string()),
            ("JAVA_HOME".to_string(), "/opt/jdk".to_string()),
            ("LANG".to_string(), "C.UTF-8".to_string()),
            ("SECRET".to_string(), "not copied".to_string()),
        ];
        spec.nm_host = "nm1.example".to_string();
        spec.nm_port = 45454;
        spec.nm_http_port = 8042;
        spec
    }

    #[tokio::test]
    async fn handles_and_futures_can_move_between_tasks() {
        fn assert_send<T: Send>(_: &T) {}
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ContainerLauncher>();
        assert_send_sync::<RunningContainer>();
        let root = tempfile::tempdir().unwrap();
        let launcher = ContainerLauncher::new();
        let launch = launcher.launch(spec(root.path()));
        assert_send(&launch);
        let container = launch.await.expect("valid spec");
        let wait = container.wait();
        assert_send(&wait);
        drop(wait);
        container.stop(StopCause::ApplicationMaster);
        let exit = container.wait().await;
        assert_eq!(exit.exit_status, KILLED_BY_APPMASTER);
    }

    #[test]
    fn formats_hadoop_dates_in_utc() {
        assert_eq!(format_iso8601_ms(0), "1970-01-01T00:00:00.000+0000");
        assert_eq!(
            format_iso8601_ms(1_624_950_865_123),
            "2021-06-29T07:14:25.123+0000"
        );
        assert_eq!(
            format_iso8601_ms(951_782_400_000),
            "2000-02-29T00:00:00.000+0000"
        );
        assert_eq!(format_iso8601_ms(-1), "1969-12-31T23:59:59.999+0000");
        assert_eq!(
            diagnostics_entry(1_700_000_000_007, "x"),
            "[2023-11-14 22:13:20.007]x\n"
        );
    }

    #[test]
    fn expands_yarn_markers() {
        assert_eq!(
            expand_environment("<LOG_DIR>/gc.log<CPS>{{PWD}}/lib/*<ADD_OPENS>", "/logs/c1"),
            "/logs/c1/gc.log:$PWD/lib/*"
        );
    }

    #[test]
    fn finds_variable_references_like_the_unix_script_builder() {
        assert_eq!(env_dependencies("$A:${B}/x:${#C}"), vec!["A", "B", "C"]);
        assert_eq!(env_dependencies("\\$NOT $YES"), vec!["YES"]);
        // Outside double quotes, single quotes hide references.
        assert_eq!(env_dependencies("\"'$X'\"$Y"), vec!["Y"]);
        assert_eq!(env_dependencies("a\"'$HIDDEN'\""), Vec::<String>::new());
        assert_eq!(env_dependencies("$1 $_ok"), vec!["_ok"]);
    }

    #[test]
    fn orders_variables_after_the_ones_they_use() {
        let entries = vec![
            (
                "CLASSPATH".to_string(),
                "$APP_HOME/lib:$CLASSPATH".to_string(),
            ),
            ("OPTS".to_string(), "-Dhome=$APP_HOME".to_string()),
            ("APP_HOME".to_string(), "$BASE/app".to_string()),
            ("BASE".to_string(), "/opt".to_string()),
            ("LOOP_A".to_string(), "$LOOP_B".to_string()),
            ("LOOP_B".to_string(), "$LOOP_A".to_string()),
        ];
        let names: Vec<String> = order_by_dependencies(entries)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            vec!["BASE", "APP_HOME", "CLASSPATH", "OPTS", "LOOP_B", "LOOP_A"]
        );
    }

    #[test]
    fn a_long_dependency_chain_does_not_overflow_the_stack() {
        let count = 200_000;
        let entries: Vec<(String, String)> = (0..count)
            .map(|i| (format!("V{i}"), format!("$V{}", i + 1)))
            .collect();
        let ordered = order_by_dependencies(entries);
        assert_eq!(ordered.len(), count);
        assert_eq!(ordered[0].0, format!("V{}", count - 1));
    }

    #[test]
    fn builds_the_environment_in_yarn_order() {
        let root = Path::new("/srv");
        let mut spec = spec(root);
        spec.environment = vec![
            ("CONTAINER_ID".to_string(), "spoofed".to_string()),
            ("LOG_FILE".to_string(), "<LOG_DIR>/tm.log".to_string()),
            ("LANG".to_string(), "de_DE.UTF-8".to_string()),
            ("MALLOC_ARENA_MAX".to_string(), "4".to_string()),
        ];
        spec.extra_environment = vec![(
            "APPLICATION_WEB_PROXY_BASE".to_string(),
            "/proxy/application_1700000000000_0001".to_string(),
        )];
        let plan = LaunchPlan::from_spec(&spec).expect("valid");
        assert_eq!(
            plan.whitelisted,
            vec![
                ("JAVA_HOME".to_string(), "/opt/jdk".to_string()),
                ("PATH".to_string(), "/usr/bin:/bin".to_string())
            ],
            "LANG is set by the container, SECRET is not whitelisted"
        );
        let counters = LocalizationCounters {
            bytes_missed: 10,
            ..Default::default()
        };
        let variables = plan.variables(&counters);
        let names: Vec<&str> = variables.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "HADOOP_TOKEN_FILE_LOCATION",
                "CONTAINER_ID",
                "NM_PORT",
                "NM_HOST",
                "NM_HTTP_PORT",
                "LOCAL_DIRS",
                "LOCAL_USER_DIRS",
                "LOG_DIRS",
                "USER",
                "LOGNAME",
                "HOME",
                "PWD",
                "LOCALIZATION_COUNTERS",
                "JVM_PID",
                "LOG_FILE",
                "LANG",
                "MALLOC_ARENA_MAX",
                "APPLICATION_WEB_PROXY_BASE",
            ]
        );
        let value = |name: &str| {
            variables
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .unwrap()
        };
        assert_eq!(
            value("CONTAINER_ID"),
            "container_1700000000000_0001_01_000002"
        );
        assert_eq!(
            value("LOCAL_DIRS"),
            "/srv/nm-local/usercache/alice/appcache/application_1700000000000_0001"
        );
        assert_eq!(value("LOCAL_USER_DIRS"), "/srv/nm-local/usercache/alice/");
        assert_eq!(
            value("LOG_FILE"),
            format!("{}/tm.log", spec.log_dir.display())
        );
        assert_eq!(
            value("HADOOP_TOKEN_FILE_LOCATION"),
            format!("{}/container_tokens", spec.work_dir.display())
        );
        assert_eq!(value("LOCALIZATION_COUNTERS"), "10,0,0,0,0");
        assert_eq!(value("JVM_PID"), "$$");
        assert_eq!(value("HOME"), "/home/");
        assert_eq!(
            value("MALLOC_ARENA_MAX"),
            "4:4",
            "admin env appends like Apps.addToEnvironment"
        );

        let script = plan.render_script(&spec.log_dir, &counters);
        assert!(script.starts_with("#!/bin/bash\n\nset -o pipefail -e\nexport PRELAUNCH_OUT=\""));
        assert!(script.contains("\nexport JAVA_HOME=${JAVA_HOME:-\"/opt/jdk\"}\n"));
        assert!(script.contains("\nexport JVM_PID=\"$$\"\n"));
        assert!(script.ends_with("echo \"Launching container\"\nexec /bin/bash -c \"\"\n"));
    }

    #[test]
    fn malloc_arena_max_comes_from_the_nodemanager_when_the_container_has_none() {
        let mut spec = spec(Path::new("/srv"));
        spec.nm_environment
            .push(("MALLOC_ARENA_MAX".to_string(), "2".to_string()));
        let plan = LaunchPlan::from_spec(&spec).unwrap();
        assert!(
            plan.others
                .contains(&("MALLOC_ARENA_MAX".to_string(), "2".to_string()))
        );
        spec.nm_environment.pop();
        let plan = LaunchPlan::from_spec(&spec).unwrap();
        assert!(
            plan.others
                .contains(&("MALLOC_ARENA_MAX".to_string(), String::new()))
        );
    }

    #[test]
    fn rejects_what_cannot_be_written_into_the_script() {
        let base = spec(Path::new("/srv"));
        let reject = |spec: LaunchSpec, needle: &str| {
            let error = LaunchPlan::from_spec(&spec)
                .expect_err("rejected")
                .to_string();
            assert!(
                error.starts_with(
                    "container container_1700000000000_0001_01_000002: cannot launch: "
                ),
                "{error}"
            );
            assert!(error.contains(needle), "{error} should mention {needle}");
        };
        let mut quoted_command = base.clone();
        quoted_command.commands = vec!["echo \"hi\"".to_string()];
        reject(quoted_command, "double quote");
        let mut quoted_value = base.clone();
        quoted_value.environment = vec![("OPTS".to_string(), "-Dx=\"y\"".to_string())];
        reject(
            quoted_value,
            "environment variable OPTS contains a double quote",
        );
        let mut bad_name = base.clone();
        bad_name.environment = vec![("A-B".to_string(), "1".to_string())];
        reject(bad_name, "'A-B' is not a shell variable name");
        let mut relative = base.clone();
        relative.log_dir = PathBuf::from("logs");
        reject(relative, "log_dir 'logs' must be an absolute path");
        let mut elsewhere = base.clone();
        elsewhere.app_dir = PathBuf::from("/elsewhere/application_1");
        reject(
            elsewhere,
            "must be <local dir>/usercache/alice/appcache/<appId>",
        );
        let mut twice = base.clone();
        let resource = ResourceToLocalize {
            link_name: "a".to_string(),
            source: PathBuf::from("/x"),
            expected_size_bytes: 1,
            expected_timestamp_ms: 1,
            kind: super::super::localizer::LocalResourceKind::File,
        };
        twice.local_resources = vec![resource.clone(), resource];
        reject(twice, "appears twice");
        let mut whitelisted_quote = base;
        whitelisted_quote.nm_environment = vec![("TZ".to_string(), "a\"b".to_string())];
        reject(whitelisted_quote, "the NodeManager's own TZ");
    }

    #[test]
    fn composes_yarn_diagnostics() {
        let at = 1_700_000_000_000;
        let ts = "[2023-11-14 22:13:20.000]";
        let success = compose_exit("c1", 0, None, "", at);
        assert_eq!(
            (
                success.exit_status,
                success.diagnostics.as_str(),
                success.process_exit_code
            ),
            (0, "", Some(0))
        );

        let failed = compose_exit(
            "c1",
            3,
            None,
            "Error file: prelaunch.err.\nLast 4096 bytes of prelaunch.err :\nboom\n",
            at,
        );
        assert_eq!(failed.exit_status, 3);
        assert_eq!(
            failed.diagnostics,
            format!(
                "{ts}Exception from container-launch.\nContainer id: c1\nExit code: 3\n\n\
                 {ts}Container exited with a non-zero exit code 3. Error file: prelaunch.err.\n\
                 Last 4096 bytes of prelaunch.err :\nboom\n\n"
            )
        );

        let kill = KillRecord {
            exit_status: -105,
            diagnostic: "Container killed by the ApplicationMaster.".to_string(),
            at_ms: at,
        };
        let stopped = compose_exit("c1", 143, Some(&kill), "", at);
        assert_eq!(stopped.exit_status, -105);
        assert_eq!(
            stopped.diagnostics,
            format!(
                "{ts}Container killed by the ApplicationMaster.\n{ts}Container killed on request. Exit code is 143\n\
                 {ts}Container exited with a non-zero exit code 143. \n"
            )
        );
        let handled_term = compose_exit("c1", 0, Some(&kill), "", at);
        assert_eq!(
            handled_term.exit_status, 0,
            "YARN keeps a clean exit even while killing"
        );

        let external = compose_exit("c1", 137, None, "", at);
        assert_eq!(external.exit_status, 137);
        assert!(
            external
                .diagnostics
                .ends_with(&format!("{ts}Killed by external signal\n"))
        );
    }

    #[test]
    fn failure_details_tail_prelaunch_err_and_the_newest_stderr_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(failure_details(dir.path()), "");
        std::fs::write(dir.path().join(PRELAUNCH_STDERR), "x".repeat(5000) + "END").unwrap();
        std::fs::write(dir.path().join("stderr"), "old").unwrap();
        std::fs::write(dir.path().join("app.err"), "not matched").unwrap();
        let details = failure_details(dir.path());
        assert!(
            details
                .starts_with("Error file: prelaunch.err.\nLast 4096 bytes of prelaunch.err :\nxxx"),
            "{details}"
        );
        assert!(details.contains(&format!("{}END", "x".repeat(4093))));
        assert!(!details.contains(&"x".repeat(4094)));
        assert!(
            details.ends_with("ENDLast 4096 bytes of stderr :\nold\n"),
            "like YARN, no newline between the two tails: {details}"
        );
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(dir.path().join("taskmanager.STDERR"), "newest").unwrap();
        let details = failure_details(dir.path());
        assert!(details.contains("Error files: stderr, taskmanager.STDERR.\nLast 4096 bytes of taskmanager.STDERR :\nnewest\n"), "{details}");
    }
}
