//! Sliding windows: windows of `size` starting every `slide`, so an element is in about
//! `size / slide` windows.
//!
//! ```text
//!   size 10, slide 5:  [-5, 5) [0, 10) [5, 15) [10, 20) …
//!   timestamp 7 ──▶ last start = 5 (the slide-aligned start ≤ 7), then 0; -5 ends at 5 ≤ 7
//!                ──▶ [5, 15), [0, 10)                   (latest window first, like Flink)
//! ```
//!
//! [`SlidingEventTimeWindows`] use the element's timestamp, [`SlidingProcessingTimeWindows`] the
//! processing time at arrival.

use std::sync::Arc;

use crate::error::WeirError;
use crate::windowing::event_time_trigger::EventTimeTrigger;
use crate::windowing::processing_time_trigger::ProcessingTimeTrigger;
use crate::windowing::trigger::Trigger;
use crate::windowing::tumbling_windows::check_size;
use crate::windowing::window::TimeWindow;
use crate::windowing::window_assigner::{WindowAssigner, WindowAssignerContext};

/// The size, slide and offset of sliding windows (shared by event and processing time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SlidingSpec {
    size_ms: i64,
    slide_ms: i64,
    offset_ms: i64,
}

impl SlidingSpec {
    /// Every window holding `timestamp`, latest first.
    #[inline]
    fn assign(&self, timestamp: i64, windows: &mut Vec<TimeWindow>) {
        let last_start =
            TimeWindow::get_window_start_with_offset(timestamp, self.offset_ms, self.slide_ms);
        let mut start = last_start;
        while start > timestamp.saturating_sub(self.size_ms) {
            windows.push(TimeWindow::new(start, start.saturating_add(self.size_ms)));
            start -= self.slide_ms;
        }
    }
}

/// Event-time sliding windows. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingEventTimeWindows {
    spec: SlidingSpec,
}

impl SlidingEventTimeWindows {
    const NAME: &'static str = "SlidingEventTimeWindows";

    /// Windows of `size_ms` starting every `slide_ms` (both > 0).
    pub fn of(size_ms: i64, slide_ms: i64) -> Result<SlidingEventTimeWindows, WeirError> {
        check_size(Self::NAME, size_ms, slide_ms, 0)?;
        Ok(SlidingEventTimeWindows {
            spec: SlidingSpec {
                size_ms,
                slide_ms,
                offset_ms: 0,
            },
        })
    }

    /// Shifts the windows by `offset_ms` (|offset| < slide).
    pub fn with_offset(self, offset_ms: i64) -> Result<SlidingEventTimeWindows, WeirError> {
        check_size(Self::NAME, self.spec.size_ms, self.spec.slide_ms, offset_ms)?;
        Ok(SlidingEventTimeWindows {
            spec: SlidingSpec {
                offset_ms,
                ..self.spec
            },
        })
    }
}

impl<T: 'static> WindowAssigner<T, TimeWindow> for SlidingEventTimeWindows {
    fn assign_windows(
        &self,
        _element: &T,
        timestamp: Option<i64>,
        _context: &WindowAssignerContext<'_>,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), WeirError> {
        let timestamp = timestamp.ok_or(WeirError::MissingEventTimestamp {
            assigner: Self::NAME,
        })?;
        self.spec.assign(timestamp, windows);
        Ok(())
    }

    fn default_trigger(&self) -> Arc<dyn Trigger<T, TimeWindow>> {
        Arc::new(EventTimeTrigger)
    }

    fn is_event_time(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        Self::NAME
    }
}

/// Processing-time sliding windows. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingProcessingTimeWindows {
    spec: SlidingSpec,
}

impl SlidingProcessingTimeWindows {
    const NAME: &'static str = "SlidingProcessingTimeWindows";

    /// Windows of `size_ms` starting every `slide_ms` (both > 0).
    pub fn of(size_ms: i64, slide_ms: i64) -> Result<SlidingProcessingTimeWindows, WeirError> {
        check_size(Self::NAME, size_ms, slide_ms, 0)?;
        Ok(SlidingProcessingTimeWindows {
            spec: SlidingSpec {
                size_ms,
                slide_ms,
                offset_ms: 0,
            },
        })
    }

    /// Shifts the windows by `offset_ms` (|offset| < slide).
    pub fn with_offset(self, offset_ms: i64) -> Result<SlidingProcessingTimeWindows, WeirError> {
        check_size(Self::NAME, self.spec.size_ms, self.spec.slide_ms, offset_ms)?;
        Ok(SlidingProcessingTimeWindows {
            spec: SlidingSpec {
                offset_ms,
                ..self.spec
            },
        })
    }
}

impl<T: 'static> WindowAssigner<T, TimeWindow> for SlidingProcessingTimeWindows {
    fn assign_windows(
        &self,
        _element: &T,
        _timestamp: Option<i64>,
        context: &WindowAssignerContext<'_>,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), WeirError> {
        self.spec.assign(context.current_processing_time(), windows);
        Ok(())
    }

    fn default_trigger(&self) -> Arc<dyn Trigger<T, TimeWindow>> {
        Arc::new(ProcessingTimeTrigger)
    }

    fn is_event_time(&self) -> bool {
        false
    }

    fn name(&self) -> &'static str {
        Self::NAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(assigner: &dyn WindowAssigner<(), TimeWindow>, timestamp: i64) -> Vec<TimeWindow> {
        let mut windows = Vec::new();
        let clock = move || timestamp;
        let context = WindowAssignerContext::new(&clock);
        assigner
            .assign_windows(&(), Some(timestamp), &context, &mut windows)
            .unwrap();
        windows
    }

    #[test]
    fn every_window_holding_the_timestamp_latest_first() {
        let assigner = SlidingEventTimeWindows::of(10, 5).unwrap();
        assert_eq!(
            assign(&assigner, 7),
            [TimeWindow::new(5, 15), TimeWindow::new(0, 10)]
        );
        assert_eq!(
            assign(&assigner, 5),
            [TimeWindow::new(5, 15), TimeWindow::new(0, 10)]
        );
        assert_eq!(
            assign(&assigner, -1),
            [TimeWindow::new(-5, 5), TimeWindow::new(-10, 0)]
        );
        let uneven = SlidingEventTimeWindows::of(10, 3).unwrap();
        // starts ≤ 7 aligned to 3: 6, 3, 0 (window [-3, 7) ends at 7, excluded)
        assert_eq!(
            assign(&uneven, 7),
            [
                TimeWindow::new(6, 16),
                TimeWindow::new(3, 13),
                TimeWindow::new(0, 10)
            ]
        );
        let shifted = SlidingProcessingTimeWindows::of(10, 5)
            .unwrap()
            .with_offset(2)
            .unwrap();
        assert_eq!(
            assign(&shifted, 7),
            [TimeWindow::new(7, 17), TimeWindow::new(2, 12)]
        );
    }

    #[test]
    fn the_window_count_matches_a_brute_force_scan() {
        for (size, slide, offset) in [(10, 5, 0), (10, 3, 1), (7, 7, -3), (100, 1, 0), (5, 10, 4)] {
            let assigner = SlidingEventTimeWindows::of(size, slide)
                .unwrap()
                .with_offset(offset)
                .unwrap();
            for timestamp in -50..50 {
                let got = assign(&assigner, timestamp);
                // Every window start ≡ offset (mod slide) with start ≤ ts < start + size.
                let expected: Vec<TimeWindow> = (-300..300)
                    .rev()
                    .filter(|start: &i64| (start - offset).rem_euclid(slide) == 0)
                    .filter(|start| *start <= timestamp && timestamp < start + size)
                    .map(|start| TimeWindow::new(start, start + size))
                    .collect();
                assert_eq!(
                    got, expected,
                    "size {size} slide {slide} offset {offset} ts {timestamp}"
                );
            }
        }
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert!(SlidingEventTimeWindows::of(10, 0).is_err());
        assert!(SlidingEventTimeWindows::of(0, 5).is_err());
        assert!(
            SlidingEventTimeWindows::of(10, 5)
                .unwrap()
                .with_offset(5)
                .is_err()
        );
        assert!(
            SlidingEventTimeWindows::of(10, 5)
                .unwrap()
                .with_offset(-4)
                .is_ok()
        );
    }
}
