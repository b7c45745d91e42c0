//! Tumbling windows: fixed-size, non-overlapping windows aligned to the epoch plus an offset.
//!
//! ```text
//!   size 10, offset 0:   [-10, 0) [0, 10) [10, 20) …      timestamp 13 ──▶ [10, 20)
//!   size 10, offset 3:   [-7, 3) [3, 13) [13, 23) …       timestamp 13 ──▶ [13, 23)
//!   start = timestamp - (timestamp - offset) mod size     (floored modulo, so negative
//!                                                           timestamps land correctly)
//! ```
//!
//! [`TumblingEventTimeWindows`] use the element's timestamp, [`TumblingProcessingTimeWindows`]
//! the processing time at arrival. (Flink's window stagger is not supported: windows of every
//! subtask are aligned.)

use std::sync::Arc;

use crate::error::WeirError;
use crate::windowing::event_time_trigger::EventTimeTrigger;
use crate::windowing::processing_time_trigger::ProcessingTimeTrigger;
use crate::windowing::trigger::Trigger;
use crate::windowing::window::TimeWindow;
use crate::windowing::window_assigner::{WindowAssigner, WindowAssignerContext};

/// Checks size > 0 and |offset| < slide (Flink's rule for tumbling and sliding windows).
pub(crate) fn check_size(
    assigner: &'static str,
    size_ms: i64,
    slide_ms: i64,
    offset_ms: i64,
) -> Result<(), WeirError> {
    if size_ms <= 0 || slide_ms <= 0 || offset_ms.unsigned_abs() >= slide_ms.unsigned_abs() {
        return Err(WeirError::InvalidWindowSize {
            assigner,
            size_ms,
            slide_ms,
            offset_ms,
        });
    }
    Ok(())
}

/// Event-time tumbling windows. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TumblingEventTimeWindows {
    size_ms: i64,
    offset_ms: i64,
}

impl TumblingEventTimeWindows {
    const NAME: &'static str = "TumblingEventTimeWindows";

    /// Windows of `size_ms` milliseconds (> 0).
    pub fn of(size_ms: i64) -> Result<TumblingEventTimeWindows, WeirError> {
        check_size(Self::NAME, size_ms, size_ms, 0)?;
        Ok(TumblingEventTimeWindows {
            size_ms,
            offset_ms: 0,
        })
    }

    /// Shifts the windows by `offset_ms` (|offset| < size), e.g. -8 hours for days in UTC+8.
    pub fn with_offset(self, offset_ms: i64) -> Result<TumblingEventTimeWindows, WeirError> {
        check_size(Self::NAME, self.size_ms, self.size_ms, offset_ms)?;
        Ok(TumblingEventTimeWindows { offset_ms, ..self })
    }

    pub fn size_ms(&self) -> i64 {
        self.size_ms
    }

    /// The window of `timestamp`.
    #[inline]
    pub fn window_of(&self, timestamp: i64) -> TimeWindow {
        let start =
            TimeWindow::get_window_start_with_offset(timestamp, self.offset_ms, self.size_ms);
        TimeWindow::new(start, start.saturating_add(self.size_ms))
    }
}

impl<T: 'static> WindowAssigner<T, TimeWindow> for TumblingEventTimeWindows {
    #[inline]
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
        windows.push(self.window_of(timestamp));
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

/// Processing-time tumbling windows. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TumblingProcessingTimeWindows {
    inner: TumblingEventTimeWindows,
}

impl TumblingProcessingTimeWindows {
    const NAME: &'static str = "TumblingProcessingTimeWindows";

    /// Windows of `size_ms` milliseconds (> 0).
    pub fn of(size_ms: i64) -> Result<TumblingProcessingTimeWindows, WeirError> {
        check_size(Self::NAME, size_ms, size_ms, 0)?;
        Ok(TumblingProcessingTimeWindows {
            inner: TumblingEventTimeWindows {
                size_ms,
                offset_ms: 0,
            },
        })
    }

    /// Shifts the windows by `offset_ms` (|offset| < size).
    pub fn with_offset(self, offset_ms: i64) -> Result<TumblingProcessingTimeWindows, WeirError> {
        check_size(
            Self::NAME,
            self.inner.size_ms,
            self.inner.size_ms,
            offset_ms,
        )?;
        Ok(TumblingProcessingTimeWindows {
            inner: TumblingEventTimeWindows {
                offset_ms,
                ..self.inner
            },
        })
    }
}

impl<T: 'static> WindowAssigner<T, TimeWindow> for TumblingProcessingTimeWindows {
    #[inline]
    fn assign_windows(
        &self,
        _element: &T,
        _timestamp: Option<i64>,
        context: &WindowAssignerContext<'_>,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), WeirError> {
        windows.push(self.inner.window_of(context.current_processing_time()));
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

    fn assign<A: WindowAssigner<(), TimeWindow>>(
        assigner: &A,
        timestamp: Option<i64>,
        now: i64,
    ) -> Result<Vec<TimeWindow>, WeirError> {
        let mut windows = Vec::new();
        let clock = move || now;
        let context = WindowAssignerContext::new(&clock);
        assigner.assign_windows(&(), timestamp, &context, &mut windows)?;
        Ok(windows)
    }

    #[test]
    fn event_time_windows_with_offsets_and_negative_timestamps() {
        let plain = TumblingEventTimeWindows::of(5000).unwrap();
        assert_eq!(
            assign(&plain, Some(0), 0).unwrap(),
            [TimeWindow::new(0, 5000)]
        );
        assert_eq!(
            assign(&plain, Some(4999), 0).unwrap(),
            [TimeWindow::new(0, 5000)]
        );
        assert_eq!(
            assign(&plain, Some(5000), 0).unwrap(),
            [TimeWindow::new(5000, 10000)]
        );
        assert_eq!(
            assign(&plain, Some(-1), 0).unwrap(),
            [TimeWindow::new(-5000, 0)]
        );
        let shifted = plain.with_offset(100).unwrap();
        assert_eq!(
            assign(&shifted, Some(99), 0).unwrap(),
            [TimeWindow::new(-4900, 100)]
        );
        assert_eq!(
            assign(&shifted, Some(100), 0).unwrap(),
            [TimeWindow::new(100, 5100)]
        );
        let negative = plain.with_offset(-100).unwrap();
        assert_eq!(
            assign(&negative, Some(-5101), 0).unwrap(),
            [TimeWindow::new(-10100, -5100)]
        );
        assert!(matches!(
            assign(&plain, None, 0),
            Err(WeirError::MissingEventTimestamp { .. })
        ));
        assert!(WindowAssigner::<(), TimeWindow>::is_event_time(&plain));
    }

    #[test]
    fn processing_time_windows_use_the_clock() {
        let assigner = TumblingProcessingTimeWindows::of(1000)
            .unwrap()
            .with_offset(10)
            .unwrap();
        assert_eq!(
            assign(&assigner, None, 12_345).unwrap(),
            [TimeWindow::new(12_010, 13_010)]
        );
        assert_eq!(
            assign(&assigner, Some(0), 5).unwrap(),
            [TimeWindow::new(-990, 10)]
        );
        assert!(!WindowAssigner::<(), TimeWindow>::is_event_time(&assigner));
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert!(TumblingEventTimeWindows::of(0).is_err());
        assert!(TumblingEventTimeWindows::of(-5).is_err());
        let error = TumblingEventTimeWindows::of(10)
            .unwrap()
            .with_offset(-10)
            .unwrap_err();
        assert!(
            error.to_string().contains("TumblingEventTimeWindows"),
            "{error}"
        );
        assert!(
            TumblingProcessingTimeWindows::of(10)
                .unwrap()
                .with_offset(10)
                .is_err()
        );
    }
}
