//! [`TimeEvictor`]: keeps only the elements within `window_size` of the newest element.
//!
//! ```text
//!   window_size 10, timestamps [3 9 14 15 21]: newest 21, cutoff 21 - 10 = 11
//!                                             ──▶ [14 15 21]  (timestamp <= cutoff goes)
//! ```
//!
//! As in Flink, nothing is evicted when the first element has no timestamp; elements without
//! a timestamp are never evicted by time.

use crate::error::WeirError;
use crate::windowing::evictor::{Evictor, EvictorContext, TimestampedValue};

/// See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeEvictor {
    window_size_ms: i64,
    evict_after: bool,
}

impl TimeEvictor {
    /// Evicts before the window function runs.
    pub fn of(window_size_ms: i64) -> TimeEvictor {
        TimeEvictor {
            window_size_ms,
            evict_after: false,
        }
    }

    /// Evicts after the window function (`true`) or before it (`false`).
    pub fn of_after(window_size_ms: i64, evict_after: bool) -> TimeEvictor {
        TimeEvictor {
            window_size_ms,
            evict_after,
        }
    }

    fn evict<T>(&self, elements: &mut Vec<TimestampedValue<T>>) {
        if elements
            .first()
            .is_none_or(|first| first.timestamp.is_none())
        {
            return;
        }
        let Some(newest) = elements.iter().filter_map(|e| e.timestamp).max() else {
            return;
        };
        let cutoff = newest.saturating_sub(self.window_size_ms);
        elements.retain(|element| element.timestamp.is_none_or(|ts| ts > cutoff));
    }
}

impl<T, W> Evictor<T, W> for TimeEvictor {
    fn evict_before(
        &self,
        elements: &mut Vec<TimestampedValue<T>>,
        _window: &W,
        _ctx: &EvictorContext,
    ) -> Result<(), WeirError> {
        if !self.evict_after {
            self.evict(elements);
        }
        Ok(())
    }

    fn evict_after(
        &self,
        elements: &mut Vec<TimestampedValue<T>>,
        _window: &W,
        _ctx: &EvictorContext,
    ) -> Result<(), WeirError> {
        if self.evict_after {
            self.evict(elements);
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "TimeEvictor"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windowing::window::TimeWindow;

    fn stamped(timestamps: &[Option<i64>]) -> Vec<TimestampedValue<u8>> {
        timestamps
            .iter()
            .map(|&timestamp| TimestampedValue {
                value: 0,
                timestamp,
            })
            .collect()
    }

    #[test]
    fn keeps_elements_newer_than_the_cutoff() {
        let ctx = EvictorContext {
            current_processing_time: 0,
            current_watermark: 0,
        };
        let window = TimeWindow::new(0, 100);
        let evictor = TimeEvictor::of(10);
        let mut elements = stamped(&[Some(3), Some(21), Some(9), Some(14), Some(11), Some(15)]);
        Evictor::<u8, _>::evict_before(&evictor, &mut elements, &window, &ctx).unwrap();
        let left: Vec<i64> = elements.iter().filter_map(|e| e.timestamp).collect();
        assert_eq!(left, [21, 14, 15]);

        // No timestamp on the first element: nothing goes.
        let mut untimed = stamped(&[None, Some(1), Some(50)]);
        Evictor::<u8, _>::evict_before(&evictor, &mut untimed, &window, &ctx).unwrap();
        assert_eq!(untimed.len(), 3);
        let mut mixed = stamped(&[Some(1), None, Some(50)]);
        Evictor::<u8, _>::evict_before(&evictor, &mut mixed, &window, &ctx).unwrap();
        assert_eq!(mixed, stamped(&[None, Some(50)]));

        let after = TimeEvictor::of_after(10, true);
        let mut elements = stamped(&[Some(1), Some(50)]);
        Evictor::<u8, _>::evict_before(&after, &mut elements, &window, &ctx).unwrap();
        assert_eq!(elements.len(), 2);
        Evictor::<u8, _>::evict_after(&after, &mut elements, &window, &ctx).unwrap();
        assert_eq!(elements.len(), 1);
    }
}
