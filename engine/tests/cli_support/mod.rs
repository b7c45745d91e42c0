//! Helpers of the tests that run `weir` as a process: finding a completed checkpoint and
//! killing a job with SIGKILL once one is there.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// The job folder under `root` (checkpoint storage: `<root>/<job>/chk-<id>`) that holds a
/// completed checkpoint (a `chk-<id>` with `_metadata`).
pub fn completed_checkpoint(root: &Path) -> Option<PathBuf> {
    std::fs::read_dir(root)
        .ok()?
        .flatten()
        .map(|job| job.path())
        .find(|job| completed_snapshot(job).is_some())
}

/// The folder directly under `dir` that holds a completed checkpoint or savepoint (its
/// `_metadata` is written last).
pub fn completed_snapshot(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.join("_metadata").is_file())
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
