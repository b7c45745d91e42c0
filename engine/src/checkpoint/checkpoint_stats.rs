//! [`CheckpointStats`]: what the CLI's end summary and `--metrics-json` report about checkpoints.

use std::path::PathBuf;
use std::time::Duration;

/// Counters and the figures of the last completed checkpoint or savepoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckpointStats {
    /// Checkpoints and savepoints completed.
    pub completed: u64,
    /// Checkpoints and savepoints that failed (declined, timed out, or their files could not be
    /// written).
    pub failed: u64,
    /// In progress now (0 or 1).
    pub in_progress: usize,
    /// Bytes on disk of the last completed one (state files and `_metadata`).
    pub last_size_bytes: u64,
    /// From the trigger to `_metadata` written, for the last completed one.
    pub last_duration: Option<Duration>,
    /// The longest barrier alignment of any task in the last completed one.
    pub last_alignment: Option<Duration>,
    /// The longest duration of any completed one.
    pub max_duration: Duration,
    /// The folder of the last completed one.
    pub last_completed_path: Option<PathBuf>,
    /// Why the last failed one failed.
    pub last_failure: Option<String>,
}
