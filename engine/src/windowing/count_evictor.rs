//! [`CountEvictor`]: keeps only the last `max_count` elements of a window (sliding count
//! windows: `CountEvictor::of(size)` with `CountTrigger::of(slide)`).
//!
//! ```text
//!   max_count 3:  [e0 e1 e2 e3 e4] ──▶ [e2 e3 e4]     (the oldest arrivals go)
//! ```

use crate::error::WeirError;
use crate::windowing::evictor::{Evictor, EvictorContext, TimestampedValue};

/// See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountEvictor {
    max_count: usize,
    evict_after: bool,
}

impl CountEvictor {
    /// Evicts before the window function runs.
    pub fn of(max_count: usize) -> CountEvictor {
        CountEvictor {
            max_count,
            evict_after: false,
        }
    }

    /// Evicts after the window function (`true`) or before it (`false`).
    pub fn of_after(max_count: usize, evict_after: bool) -> CountEvictor {
        CountEvictor {
            max_count,
            evict_after,
        }
    }

    fn evict<T>(&self, elements: &mut Vec<TimestampedValue<T>>) {
        if elements.len() > self.max_count {
            let excess = elements.len() - self.max_count;
            elements.drain(..excess);
        }
    }
}

impl<T, W> Evictor<T, W> for CountEvictor {
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
        "CountEvictor"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windowing::window::GlobalWindow;

    fn elements(values: &[u32]) -> Vec<TimestampedValue<u32>> {
        values
            .iter()
            .map(|&value| TimestampedValue {
                value,
                timestamp: None,
            })
            .collect()
    }

    #[test]
    fn keeps_the_last_elements_before_or_after() {
        let ctx = EvictorContext {
            current_processing_time: 0,
            current_watermark: 0,
        };
        let before = CountEvictor::of(3);
        let mut values = elements(&[1, 2, 3, 4, 5]);
        Evictor::<u32, _>::evict_after(&before, &mut values, &GlobalWindow, &ctx).unwrap();
        assert_eq!(values.len(), 5);
        Evictor::<u32, _>::evict_before(&before, &mut values, &GlobalWindow, &ctx).unwrap();
        assert_eq!(values, elements(&[3, 4, 5]));
        let after = CountEvictor::of_after(0, true);
        Evictor::<u32, _>::evict_before(&after, &mut values, &GlobalWindow, &ctx).unwrap();
        assert_eq!(values.len(), 3);
        Evictor::<u32, _>::evict_after(&after, &mut values, &GlobalWindow, &ctx).unwrap();
        assert!(values.is_empty());
    }
}
