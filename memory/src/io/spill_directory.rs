//! [`SpillDirectory`]: this process's own directory inside one of `io.tmp.dirs`, and the removal
//! of directories left behind by processes that died.
//!
//! Name of a spill directory:
//!
//! ```text
//!   weir-io-<scope>-<pid>-<start>-<n>
//!     scope  8 hex digits: CRC32C of the boot id and the pid namespace
//!            (/proc/sys/kernel/random/boot_id, readlink /proc/self/ns/pid)
//!     pid    the owning process id
//!     start  its start time, field 22 of /proc/<pid>/stat (clock ticks after boot)
//!     n      a counter, so several I/O managers of one process get their own directories
//! ```
//!
//! When an I/O manager starts, it removes every `weir-io-*` directory in the configured
//! directories whose owner is dead: same scope, and either no process has that pid or the
//! process with that pid started at another time (the pid was reused). A directory of another
//! scope (another machine sharing the directory, another container, an earlier boot) is never
//! touched: its pids mean nothing here. Neither is a directory whose owner is alive, and names
//! that do not parse are not ours.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::MemoryError;

const PREFIX: &str = "weir-io-";

/// One spill directory of this process. Removed (with everything in it) on drop.
#[derive(Debug)]
pub(crate) struct SpillDirectory {
    path: PathBuf,
}

/// Who owns a spill directory; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    scope: u32,
    pid: i32,
    start_time: u64,
}

/// Tells apart the I/O managers of one process.
static NEXT_DIRECTORY: AtomicU64 = AtomicU64::new(0);

impl SpillDirectory {
    /// Checks `configured` (an entry of `io.tmp.dirs`), removes stale directories of dead
    /// processes from it and creates this process's spill directory in it.
    pub(crate) fn create(configured: &Path) -> Result<SpillDirectory, MemoryError> {
        let metadata = fs::metadata(configured).map_err(|error| {
            MemoryError::from_dir_io(configured, "checking the spill directory", error)
        })?;
        if !metadata.is_dir() {
            return Err(MemoryError::NotADirectory {
                path: configured.to_path_buf(),
            });
        }
        remove_stale(configured);
        let owner = Owner::current();
        loop {
            let name = owner.directory_name(NEXT_DIRECTORY.fetch_add(1, Ordering::Relaxed));
            let path = configured.join(name);
            match fs::create_dir(&path) {
                Ok(()) => return Ok(SpillDirectory { path }),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => {
                    return Err(MemoryError::from_dir_io(
                        configured,
                        "creating the spill directory",
                        error,
                    ));
                }
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the directory and everything in it; removing it twice is fine.
    pub(crate) fn remove(&self) {
        match fs::remove_dir_all(&self.path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(
                path = %self.path.display(),
                %error,
                "cannot remove spill directory"
            ),
        }
    }
}

impl Drop for SpillDirectory {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Removes the spill directories of dead processes from `configured`; returns how many.
/// Failures are logged, never fatal: they only leave garbage behind.
pub(crate) fn remove_stale(configured: &Path) -> usize {
    let entries = match fs::read_dir(configured) {
        Ok(entries) => entries,
        Err(error) => {
            tracing::warn!(path = %configured.display(), %error, "cannot list spill directory");
            return 0;
        }
    };
    let current = Owner::current();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name.to_str().and_then(Owner::parse) else {
            continue;
        };
        if owner.scope != current.scope || owner.is_alive() {
            continue;
        }
        let path = entry.path();
        match fs::remove_dir_all(&path) {
            Ok(()) => {
                removed += 1;
                tracing::info!(
                    path = %path.display(),
                    pid = owner.pid,
                    "removed spill directory of a dead process"
                );
            }
            // Another process cleaning up at the same time.
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(
                path = %path.display(),
                %error,
                "cannot remove stale spill directory"
            ),
        }
    }
    removed
}

impl Owner {
    /// This process.
    pub(crate) fn current() -> Owner {
        static CURRENT: OnceLock<Owner> = OnceLock::new();
        *CURRENT.get_or_init(|| {
            let pid = rustix::process::getpid().as_raw_nonzero().get();
            Owner {
                scope: current_scope(),
                pid,
                // Without /proc, pid reuse cannot be detected; 0 keeps names well-formed.
                start_time: process_start_time(pid).unwrap_or(0),
            }
        })
    }

    pub(crate) fn directory_name(&self, n: u64) -> String {
        format!(
            "{PREFIX}{:08x}-{}-{}-{n}",
            self.scope, self.pid, self.start_time
        )
    }

    /// Parses a name made by [`Owner::directory_name`].
    pub(crate) fn parse(name: &str) -> Option<Owner> {
        let mut parts = name.strip_prefix(PREFIX)?.split('-');
        let scope = parts.next()?;
        if scope.len() != 8 {
            return None;
        }
        let owner = Owner {
            scope: u32::from_str_radix(scope, 16).ok()?,
            pid: parts.next()?.parse().ok().filter(|pid| *pid > 0)?,
            start_time: parts.next()?.parse().ok()?,
        };
        let _n: u64 = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(owner)
    }

    /// Whether the owning process still runs (only meaningful in the current scope).
    fn is_alive(&self) -> bool {
        let current = Owner::current();
        if self.pid == current.pid {
            return self.start_time == current.start_time;
        }
        if let Some(start_time) = process_start_time(self.pid) {
            return start_time == self.start_time;
        }
        let Some(pid) = rustix::process::Pid::from_raw(self.pid) else {
            return false;
        };
        // No /proc entry: ask the kernel whether the pid exists at all. Only "no such process"
        // means dead; anything else (EPERM) means someone lives there.
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
}

/// Field 22 (`starttime`) of `/proc/<pid>/stat`.
fn process_start_time(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces and ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// Which pids are comparable: the same boot and the same pid namespace.
fn current_scope() -> u32 {
    let boot_id = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let pid_namespace = fs::read_link("/proc/self/ns/pid").unwrap_or_default();
    let scope = crc32c::crc32c(boot_id.trim().as_bytes());
    crc32c::crc32c_append(scope, pid_namespace.as_os_str().as_encoded_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Above the kernel's PID_MAX_LIMIT (4194304): never a live process.
    const IMPOSSIBLE_PID: i32 = 4_194_305;

    #[test]
    fn names_round_trip_and_foreign_names_do_not_parse() {
        let owner = Owner {
            scope: 0x00ab_cdef,
            pid: 42,
            start_time: 123_456,
        };
        let name = owner.directory_name(7);
        assert_eq!(name, "weir-io-00abcdef-42-123456-7");
        assert_eq!(Owner::parse(&name), Some(owner));
        for foreign in [
            "weir-io-",
            "weir-io-00abcdef-42-123456",
            "weir-io-00abcdef-42-123456-7-8",
            "weir-io-abcdef-42-123456-7",
            "weir-io-00abcdef-0-123456-7",
            "weir-io-00abcdef-x-123456-7",
            "flink-io-00abcdef-42-123456-7",
            "tmp",
        ] {
            assert_eq!(Owner::parse(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn this_process_has_a_start_time_and_is_alive() {
        let current = Owner::current();
        assert!(current.start_time > 0);
        assert_eq!(process_start_time(current.pid), Some(current.start_time));
        assert!(current.is_alive());
    }

    #[test]
    fn dead_and_reused_pids_are_dead() {
        let current = Owner::current();
        let gone = Owner {
            pid: IMPOSSIBLE_PID,
            ..current
        };
        assert!(!gone.is_alive());
        let reused = Owner {
            start_time: current.start_time + 1,
            ..current
        };
        assert!(!reused.is_alive());
        // pid 1 runs, but not since time 0.
        let init_reused = Owner {
            pid: 1,
            start_time: u64::MAX,
            ..current
        };
        assert!(!init_reused.is_alive());
    }

    #[test]
    fn a_reaped_child_is_dead() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        let start_time = process_start_time(pid).unwrap_or(0);
        child.wait().unwrap();
        let owner = Owner {
            pid,
            start_time,
            ..Owner::current()
        };
        // The pid could be reused at once by another process, which then started later.
        assert!(!owner.is_alive());
    }

    #[test]
    fn stale_cleanup_removes_dead_owners_only() {
        let root = tempfile::tempdir().unwrap();
        let current = Owner::current();
        let dead = Owner {
            pid: IMPOSSIBLE_PID,
            ..current
        };
        let reused = Owner {
            start_time: current.start_time + 1,
            ..current
        };
        let foreign = Owner {
            scope: current.scope.wrapping_add(1),
            ..dead
        };
        let make = |name: String| {
            let path = root.path().join(name);
            fs::create_dir(&path).unwrap();
            fs::write(path.join("0.channel"), b"x").unwrap();
            path
        };
        let dead_dir = make(dead.directory_name(0));
        let reused_dir = make(reused.directory_name(1));
        let live_dir = make(current.directory_name(u64::MAX));
        let foreign_dir = make(foreign.directory_name(0));
        let unrelated = make("weir-io-data".to_string());

        assert_eq!(remove_stale(root.path()), 2);
        assert!(!dead_dir.exists());
        assert!(!reused_dir.exists());
        assert!(live_dir.exists());
        assert!(foreign_dir.exists());
        assert!(unrelated.exists());
    }

    #[test]
    fn create_names_the_directory_after_this_process_and_drop_removes_it() {
        let root = tempfile::tempdir().unwrap();
        let first = SpillDirectory::create(root.path()).unwrap();
        let second = SpillDirectory::create(root.path()).unwrap();
        assert_ne!(first.path(), second.path());
        for dir in [&first, &second] {
            let name = dir.path().file_name().unwrap().to_str().unwrap();
            let owner = Owner::parse(name).unwrap();
            assert_eq!(owner, Owner::current());
        }
        fs::write(first.path().join("1.channel"), b"data").unwrap();
        let path = first.path().to_path_buf();
        drop(first);
        assert!(!path.exists());
        second.remove();
        second.remove();
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn missing_and_non_directories_are_named() {
        let root = tempfile::tempdir().unwrap();
        let missing = root.path().join("nope");
        let error = SpillDirectory::create(&missing).unwrap_err();
        assert!(
            matches!(&error, MemoryError::MissingDirectory { path } if path == &missing),
            "{error:?}"
        );
        let file = root.path().join("file");
        fs::write(&file, b"").unwrap();
        let error = SpillDirectory::create(&file).unwrap_err();
        assert!(
            matches!(&error, MemoryError::NotADirectory { path } if path == &file),
            "{error:?}"
        );
    }
}
