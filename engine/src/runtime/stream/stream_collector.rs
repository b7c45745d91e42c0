//! [`StreamCollector`]: how user functions of a streaming job emit records.
//!
//! It wraps the downstream [`ChainLink`] and the timestamp the emitted records get (Flink's
//! `TimestampedCollector`: a function's output carries the timestamp of the input record, a
//! timer's output the timer's time, a window's output the window's max timestamp). Like the
//! batch [`crate::runtime::Output`], it keeps the first downstream error, so a closure needs no
//! `?`; the operator returns it after the call with [`StreamCollector::into_result`].

use crate::error::WeirError;
use crate::runtime::stream::chain_link::ChainLink;

/// Emits records downstream. See the module docs.
pub struct StreamCollector<'a, T> {
    downstream: &'a mut dyn ChainLink<T>,
    timestamp: Option<i64>,
    error: Option<WeirError>,
    emitted: u64,
}

impl<T> std::fmt::Debug for StreamCollector<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamCollector")
            .field("timestamp", &self.timestamp)
            .field("emitted", &self.emitted)
            .finish()
    }
}

impl<'a, T> StreamCollector<'a, T> {
    /// Emits into `downstream` with `timestamp`.
    pub fn new(downstream: &'a mut dyn ChainLink<T>, timestamp: Option<i64>) -> Self {
        StreamCollector {
            downstream,
            timestamp,
            error: None,
            emitted: 0,
        }
    }

    /// Emits one record with the collector's timestamp.
    #[inline]
    pub fn collect(&mut self, value: T) {
        if self.error.is_none() {
            self.emitted += 1;
            if let Err(error) = self.downstream.process_element(value, self.timestamp) {
                self.error = Some(error);
            }
        }
    }

    /// Emits one record with its own timestamp.
    pub fn collect_with_timestamp(&mut self, value: T, timestamp: i64) {
        if self.error.is_none() {
            self.emitted += 1;
            if let Err(error) = self.downstream.process_element(value, Some(timestamp)) {
                self.error = Some(error);
            }
        }
    }

    /// The timestamp emitted records get.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    /// The first downstream error, if any.
    pub fn into_result(self) -> Result<(), WeirError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
