//! [`RollingPolicy`]: when the file sink closes its in-progress part file and starts the next
//! (Flink's `DefaultRollingPolicy`, plus always on checkpoints as in `OnCheckpointRollingPolicy`).
//!
//! ```text
//!   part size >= max_part_size_bytes        ─▶ roll (checked after every record)
//!   open for >= rollover_interval           ─▶ roll (processing-time timer)
//!   checkpoint                              ─▶ roll (a part is committed whole, so everything
//!                                                 before the barrier must be in closed parts)
//! ```

use std::time::Duration;

/// Flink's default part size: 128 MiB.
pub const DEFAULT_MAX_PART_SIZE_BYTES: u64 = 128 << 20;

/// Flink's default rollover interval: 60 s.
pub const DEFAULT_ROLLOVER_INTERVAL: Duration = Duration::from_secs(60);

/// See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollingPolicy {
    /// Roll once a part holds this many bytes (at least 1).
    pub max_part_size_bytes: u64,
    /// Roll a part open this long (processing time); `None`: only by size and checkpoints.
    pub rollover_interval: Option<Duration>,
}

impl Default for RollingPolicy {
    fn default() -> Self {
        RollingPolicy {
            max_part_size_bytes: DEFAULT_MAX_PART_SIZE_BYTES,
            rollover_interval: Some(DEFAULT_ROLLOVER_INTERVAL),
        }
    }
}

impl RollingPolicy {
    pub fn with_max_part_size_bytes(mut self, bytes: u64) -> Self {
        self.max_part_size_bytes = bytes.max(1);
        self
    }

    pub fn with_rollover_interval(mut self, interval: Option<Duration>) -> Self {
        self.rollover_interval = interval;
        self
    }

    /// Whether a part of `part_bytes` must roll now.
    pub fn should_roll_on_size(&self, part_bytes: u64) -> bool {
        part_bytes >= self.max_part_size_bytes
    }

    /// When a part opened at `opened_at_ms` must roll, if ever.
    pub fn rollover_due_ms(&self, opened_at_ms: i64) -> Option<i64> {
        self.rollover_interval.map(|interval| {
            opened_at_ms.saturating_add(i64::try_from(interval.as_millis()).unwrap_or(i64::MAX))
        })
    }
}
