//! Processing time: the wall clock in milliseconds since the epoch, and the injectable clock
//! type the operators that read it take (windows, state TTL), so tests can drive time.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Reads processing time (milliseconds since the epoch).
pub type ProcessingTimeClock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Milliseconds since the epoch now (0 if the clock is before 1970).
pub fn processing_time_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// The wall clock as a [`ProcessingTimeClock`].
pub fn system_clock() -> ProcessingTimeClock {
    Arc::new(processing_time_now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_reads_milliseconds_since_the_epoch() {
        let before = processing_time_now();
        let read = system_clock()();
        assert!(read >= before && read > 1_600_000_000_000, "{read}");
    }
}
