//! Helpers of the tests that run `weir` as a process: finding a completed checkpoint and
//! killing a job with SIGKILL once one is there.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// The job folder under `root` (checkpoint storage: `<root>/<job>/chk-<id>`) that holds a
/// completed checkpoint (a `chk-<id>` with `_metadata`).
pub fn completed_checkpoint(root: &Path) -> Option<PathBuf> {
    for job in std::fs::read_dir(root).ok()?.flatten() {
        for checkpoint in std::fs::read_dir(job.path()).ok()?.flatten() {
            if checkpoint.path().join("_metadata").is_file() {
                return Some(job.path());
            }
        }
    }
    None
}

/// Waits (at most a minute) until `ready` holds or `child` ended; kills `child` with SIGKILL in
/// the first case. True when it was killed.
pub fn kill_when(child: &mut Child, mut ready: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    let mut killed = false;
    while started.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if ready() {
            child.kill().unwrap(); // SIGKILL
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait().unwrap();
    killed
}
