//! Argument types shared by the built-in streaming jobs: durations written like the
//! configuration's (`10s`, `500 ms`, `5 min`).

use std::time::Duration;

use crate::config::parse_duration;

/// A clap value parser for durations.
pub(crate) fn duration_argument(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|reason| format!("{reason} (expected e.g. 10s, 500 ms, 5 min)"))
}

/// A duration in whole milliseconds, for window sizes and gaps (at least 1 ms).
pub(crate) fn positive_millis(text: &str) -> Result<Duration, String> {
    let duration = duration_argument(text)?;
    if duration.as_millis() == 0 {
        return Err("must be at least 1 ms".to_owned());
    }
    Ok(duration)
}

/// `duration` in whole milliseconds (window sizes and gaps are milliseconds of event time).
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
