//! [`TimestampAssigner`]: the event time of a record, in milliseconds.
//!
//! The assigner sees the record and the timestamp it already carries (a source's own
//! timestamp, or the one an upstream operator gave it). Without an assigner a strategy keeps
//! that timestamp ([`RecordTimestampAssigner`]); a record without one gets
//! [`NO_TIMESTAMP`](super::NO_TIMESTAMP).

use super::NO_TIMESTAMP;

/// Extracts the event time of a record.
pub trait TimestampAssigner<T>: Send + Sync {
    /// The event time of `value` (milliseconds); `record_timestamp` is the one it carries.
    fn extract_timestamp(&self, value: &T, record_timestamp: Option<i64>) -> i64;
}

impl<T, F> TimestampAssigner<T> for F
where
    F: Fn(&T, Option<i64>) -> i64 + Send + Sync,
{
    #[inline]
    fn extract_timestamp(&self, value: &T, record_timestamp: Option<i64>) -> i64 {
        self(value, record_timestamp)
    }
}

/// Keeps the timestamp a record carries ([`NO_TIMESTAMP`] when it has none).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordTimestampAssigner;

impl<T> TimestampAssigner<T> for RecordTimestampAssigner {
    #[inline]
    fn extract_timestamp(&self, _value: &T, record_timestamp: Option<i64>) -> i64 {
        record_timestamp.unwrap_or(NO_TIMESTAMP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_and_the_record_timestamp() {
        let from_value = |value: &(i64, u8), _: Option<i64>| value.0;
        assert_eq!(from_value.extract_timestamp(&(42, 0), Some(7)), 42);
        assert_eq!(
            TimestampAssigner::<u8>::extract_timestamp(&RecordTimestampAssigner, &0, Some(7)),
            7
        );
        assert_eq!(
            TimestampAssigner::<u8>::extract_timestamp(&RecordTimestampAssigner, &0, None),
            NO_TIMESTAMP
        );
    }
}
