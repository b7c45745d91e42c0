//! [`StateTtlConfig`]: time-to-live of keyed state entries (Flink's `StateTtlConfig`), and the
//! processing-time clock it is measured with.
//!
//! Every entry of a state with TTL carries the processing time of its last write (and, with
//! [`UpdateType::OnReadAndWrite`], of its last read). It is expired once
//! `timestamp + ttl <= now`. Values of list state and entries of map state expire one by one.
//!
//! ```text
//!   write(t0) ─────────── read(t1) ─────────────────── now
//!   OnCreateAndWrite:  expires at t0 + ttl
//!   OnReadAndWrite:    expires at t1 + ttl
//! ```
//!
//! An access that finds an expired entry removes it; with
//! [`StateVisibility::ReturnExpiredIfNotCleanedUp`] that access still returns the value (once),
//! with [`StateVisibility::NeverReturnExpired`] it returns nothing. Snapshots leave expired
//! entries out (Flink's full-snapshot cleanup), and
//! [`crate::state::KeyedStateBackend::cleanup_expired`] removes all of them at once.

use std::time::Duration;

/// When an entry's TTL timestamp is refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdateType {
    /// On creation and on every write.
    OnCreateAndWrite,
    /// On creation, every write and every read.
    OnReadAndWrite,
}

/// Whether a read may see an expired entry that is still stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateVisibility {
    /// Expired entries are never returned.
    NeverReturnExpired,
    /// The read that finds an expired entry returns it, then it is gone.
    ReturnExpiredIfNotCleanedUp,
}

/// Time-to-live of the entries of one state. Build with [`StateTtlConfig::new_builder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateTtlConfig {
    pub ttl: Duration,
    pub update_type: UpdateType,
    pub state_visibility: StateVisibility,
}

impl StateTtlConfig {
    /// A builder with `ttl`, [`UpdateType::OnCreateAndWrite`] and
    /// [`StateVisibility::NeverReturnExpired`] (Flink's defaults).
    pub fn new_builder(ttl: Duration) -> StateTtlConfigBuilder {
        StateTtlConfigBuilder {
            config: StateTtlConfig {
                ttl,
                update_type: UpdateType::OnCreateAndWrite,
                state_visibility: StateVisibility::NeverReturnExpired,
            },
        }
    }

    /// The TTL in milliseconds (saturating).
    pub fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// True when an entry written (or read) at `timestamp_ms` is expired at `now_ms`.
    #[inline]
    pub fn is_expired(&self, timestamp_ms: i64, now_ms: i64) -> bool {
        timestamp_ms.saturating_add(self.ttl_ms()) <= now_ms
    }

    pub fn updates_on_read(&self) -> bool {
        self.update_type == UpdateType::OnReadAndWrite
    }

    pub fn returns_expired(&self) -> bool {
        self.state_visibility == StateVisibility::ReturnExpiredIfNotCleanedUp
    }
}

/// Builds a [`StateTtlConfig`].
#[derive(Debug, Clone, Copy)]
pub struct StateTtlConfigBuilder {
    config: StateTtlConfig,
}

impl StateTtlConfigBuilder {
    pub fn set_update_type(mut self, update_type: UpdateType) -> StateTtlConfigBuilder {
        self.config.update_type = update_type;
        self
    }

    pub fn set_state_visibility(mut self, visibility: StateVisibility) -> StateTtlConfigBuilder {
        self.config.state_visibility = visibility;
        self
    }

    pub fn set_ttl(mut self, ttl: Duration) -> StateTtlConfigBuilder {
        self.config.ttl = ttl;
        self
    }

    pub fn build(self) -> StateTtlConfig {
        self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_defaults_and_expiry_boundary() {
        let config = StateTtlConfig::new_builder(Duration::from_millis(100)).build();
        assert_eq!(config.update_type, UpdateType::OnCreateAndWrite);
        assert_eq!(config.state_visibility, StateVisibility::NeverReturnExpired);
        assert!(!config.is_expired(1000, 1099));
        assert!(config.is_expired(1000, 1100));
        let config = StateTtlConfig::new_builder(Duration::MAX)
            .set_update_type(UpdateType::OnReadAndWrite)
            .set_state_visibility(StateVisibility::ReturnExpiredIfNotCleanedUp)
            .build();
        assert!(config.updates_on_read() && config.returns_expired());
        assert!(!config.is_expired(i64::MAX - 5, i64::MAX - 1));
    }
}
