//! Finding the conf folder and its `weir-conf.yaml`.
//!
//! `WEIR_CONF_DIR` wins when set: the folder and its `weir-conf.yaml` must exist, else that is
//! an error naming the path (a mistyped variable must not silently fall back to defaults).
//! Otherwise the first of these that holds a `weir-conf.yaml` is used:
//!
//! 1. `<folder of the executable>/conf` (an unpacked distribution with the binary at the top),
//! 2. `<folder of the executable>/../conf` (the binary in `bin/`),
//! 3. `./conf` (running from a checkout: `cargo run -- ...` at the workspace root).
//!
//! When none does, only built-in defaults (and `--conf`, `-D`) apply, and `weir config` says so.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::WeirError;

/// The environment variable naming the conf folder.
pub const CONF_DIR_ENV: &str = "WEIR_CONF_DIR";

/// The conf file's name inside the conf folder.
pub const CONF_FILE_NAME: &str = "weir-conf.yaml";

/// The inputs of the search, taken from the process by [`ConfSearch::from_process`] or given
/// by tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfSearch {
    /// The value of `WEIR_CONF_DIR`, if set and not empty.
    pub conf_dir_env: Option<PathBuf>,
    /// The running binary.
    pub executable: Option<PathBuf>,
    pub working_dir: Option<PathBuf>,
}

impl ConfSearch {
    /// The environment variable, executable and working directory of this process.
    pub fn from_process() -> ConfSearch {
        ConfSearch {
            conf_dir_env: std::env::var_os(CONF_DIR_ENV)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from),
            executable: std::env::current_exe().ok(),
            working_dir: std::env::current_dir().ok(),
        }
    }

    /// The folders searched when `WEIR_CONF_DIR` is not set, in order.
    fn candidate_dirs(&self) -> Vec<(PathBuf, ConfDirChoice)> {
        let mut candidates = Vec::new();
        if let Some(exe_dir) = self.executable.as_deref().and_then(Path::parent) {
            candidates.push((exe_dir.join("conf"), ConfDirChoice::BesideExecutable));
            if let Some(parent) = exe_dir.parent() {
                candidates.push((parent.join("conf"), ConfDirChoice::AboveExecutable));
            }
        }
        let working_dir = self.working_dir.clone().unwrap_or_default();
        candidates.push((working_dir.join("conf"), ConfDirChoice::WorkingDirectory));
        candidates
    }
}

/// Why a conf folder was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfDirChoice {
    Environment,
    BesideExecutable,
    AboveExecutable,
    WorkingDirectory,
}

impl fmt::Display for ConfDirChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfDirChoice::Environment => "from WEIR_CONF_DIR",
            ConfDirChoice::BesideExecutable => "conf/ beside the executable",
            ConfDirChoice::AboveExecutable => "conf/ above the executable's folder",
            ConfDirChoice::WorkingDirectory => "conf/ in the working directory",
        })
    }
}

/// The result of the search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfFileLocation {
    Found {
        path: PathBuf,
        choice: ConfDirChoice,
    },
    /// No conf file: defaults apply. `searched` lists the folders tried.
    NotFound { searched: Vec<PathBuf> },
}

impl ConfFileLocation {
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfFileLocation::Found { path, .. } => Some(path),
            ConfFileLocation::NotFound { .. } => None,
        }
    }
}

impl fmt::Display for ConfFileLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfFileLocation::Found { path, choice } => {
                write!(f, "{} ({choice})", path.display())
            }
            ConfFileLocation::NotFound { searched } => {
                let searched: Vec<String> = searched
                    .iter()
                    .map(|dir| dir.display().to_string())
                    .collect();
                write!(
                    f,
                    "none found (no {CONF_FILE_NAME} in {}; {CONF_DIR_ENV} not set): built-in defaults apply",
                    searched.join(", ")
                )
            }
        }
    }
}

/// Finds the conf file; see the module docs for the order.
pub fn locate_conf_file(search: &ConfSearch) -> Result<ConfFileLocation, WeirError> {
    if let Some(conf_dir) = &search.conf_dir_env {
        if !conf_dir.is_dir() {
            return Err(WeirError::ConfDirNotFound {
                variable: CONF_DIR_ENV,
                path: conf_dir.clone(),
            });
        }
        let path = conf_dir.join(CONF_FILE_NAME);
        if !path.is_file() {
            return Err(WeirError::ConfFileNotInConfDir {
                variable: CONF_DIR_ENV,
                path,
            });
        }
        return Ok(ConfFileLocation::Found {
            path,
            choice: ConfDirChoice::Environment,
        });
    }
    let candidates = search.candidate_dirs();
    for (dir, choice) in &candidates {
        let path = dir.join(CONF_FILE_NAME);
        if path.is_file() {
            return Ok(ConfFileLocation::Found {
                path,
                choice: *choice,
            });
        }
    }
    Ok(ConfFileLocation::NotFound {
        searched: candidates.into_iter().map(|(dir, _)| dir).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write_conf(dir: &Path) -> PathBuf {
        fs::create_dir_all(dir).unwrap();
        let path = dir.join(CONF_FILE_NAME);
        fs::write(&path, "").unwrap();
        path
    }

    #[test]
    fn the_environment_variable_wins_and_must_point_at_a_conf_file() {
        let root = tempfile::tempdir().unwrap();
        let env_dir = root.path().join("env");
        let search = ConfSearch {
            conf_dir_env: Some(env_dir.clone()),
            executable: None,
            working_dir: Some(root.path().to_path_buf()),
        };
        write_conf(&root.path().join("conf"));

        let error = locate_conf_file(&search).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "WEIR_CONF_DIR is set to {}, which is not a folder; point it at the folder holding weir-conf.yaml",
                env_dir.display()
            )
        );

        fs::create_dir(&env_dir).unwrap();
        let error = locate_conf_file(&search).unwrap_err();
        assert!(
            error
                .to_string()
                .contains(&env_dir.join(CONF_FILE_NAME).display().to_string()),
            "{error}"
        );

        let path = write_conf(&env_dir);
        assert_eq!(
            locate_conf_file(&search).unwrap(),
            ConfFileLocation::Found {
                path,
                choice: ConfDirChoice::Environment
            }
        );
    }

    #[test]
    fn searches_beside_and_above_the_executable_then_the_working_directory() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("dist/bin");
        let search = ConfSearch {
            conf_dir_env: None,
            executable: Some(bin.join("weir")),
            working_dir: Some(root.path().join("work")),
        };
        let not_found = locate_conf_file(&search).unwrap();
        assert_eq!(
            not_found,
            ConfFileLocation::NotFound {
                searched: vec![
                    bin.join("conf"),
                    root.path().join("dist/conf"),
                    root.path().join("work/conf"),
                ]
            }
        );
        assert!(not_found.to_string().contains("built-in defaults apply"));

        let in_working_dir = write_conf(&root.path().join("work/conf"));
        assert_eq!(
            locate_conf_file(&search).unwrap().path(),
            Some(in_working_dir.as_path())
        );
        let above = write_conf(&root.path().join("dist/conf"));
        assert_eq!(
            locate_conf_file(&search).unwrap().path(),
            Some(above.as_path())
        );
        let beside = write_conf(&bin.join("conf"));
        assert_eq!(
            locate_conf_file(&search).unwrap(),
            ConfFileLocation::Found {
                path: beside,
                choice: ConfDirChoice::BesideExecutable
            }
        );
    }
}
