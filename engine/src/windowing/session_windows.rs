//! Session windows: an element opens the window `[t, t + gap)`; windows of a key that overlap
//! merge, so a session ends after `gap` without elements.
//!
//! ```text
//!   gap 10:  t=1 ──▶ [1, 11)    t=5 ──▶ [5, 15)  ─merge─▶ [1, 15)
//!            t=30 ──▶ [30, 40)  (15 < 30: a new session)
//! ```
//!
//! The merging itself (which windows a key has, and which state window holds the contents of a
//! merged window) is [`crate::windowing::MergingWindowSet`]'s job; the assigners only create
//! the one-element windows and say how windows merge ([`TimeWindow::merge_windows`]).
//! The gap is fixed ([`EventTimeSessionWindows::with_gap`]) or computed per element
//! ([`EventTimeSessionWindows::with_dynamic_gap`]); a dynamic gap that is not positive fails
//! the element with [`WeirError::InvalidSessionGap`].

use std::sync::Arc;

use crate::error::WeirError;
use crate::windowing::event_time_trigger::EventTimeTrigger;
use crate::windowing::processing_time_trigger::ProcessingTimeTrigger;
use crate::windowing::trigger::Trigger;
use crate::windowing::window::TimeWindow;
use crate::windowing::window_assigner::{WindowAssigner, WindowAssignerContext};

/// Computes the session gap of an element, in milliseconds.
pub type SessionGapExtractor<T> = Arc<dyn Fn(&T) -> i64 + Send + Sync>;

fn check_gap(assigner: &'static str, gap_ms: i64) -> Result<i64, WeirError> {
    if gap_ms <= 0 {
        return Err(WeirError::InvalidSessionGap { assigner, gap_ms });
    }
    Ok(gap_ms)
}

/// Event-time session windows with a fixed gap. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTimeSessionWindows {
    gap_ms: i64,
}

impl EventTimeSessionWindows {
    const NAME: &'static str = "EventTimeSessionWindows";

    /// Sessions that end after `gap_ms` (> 0) without elements.
    pub fn with_gap(gap_ms: i64) -> Result<EventTimeSessionWindows, WeirError> {
        Ok(EventTimeSessionWindows {
            gap_ms: check_gap(Self::NAME, gap_ms)?,
        })
    }

    /// Sessions whose gap after each element is `gap(element)`.
    pub fn with_dynamic_gap<T>(gap: SessionGapExtractor<T>) -> DynamicEventTimeSessionWindows<T> {
        DynamicEventTimeSessionWindows { gap }
    }
}

impl<T: 'static> WindowAssigner<T, TimeWindow> for EventTimeSessionWindows {
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
        windows.push(TimeWindow::new(
            timestamp,
            timestamp.saturating_add(self.gap_ms),
        ));
        Ok(())
    }

    fn default_trigger(&self) -> Arc<dyn Trigger<T, TimeWindow>> {
        Arc::new(EventTimeTrigger)
    }

    fn is_event_time(&self) -> bool {
        true
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(
        &self,
        windows: &[TimeWindow],
        merged: &mut Vec<(TimeWindow, Vec<TimeWindow>)>,
    ) {
        TimeWindow::merge_windows(windows, merged);
    }

    fn name(&self) -> &'static str {
        Self::NAME
    }
}

/// Event-time session windows with a gap per element. See the module docs.
pub struct DynamicEventTimeSessionWindows<T> {
    gap: SessionGapExtractor<T>,
}

impl<T> std::fmt::Debug for DynamicEventTimeSessionWindows<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DynamicEventTimeSessionWindows")
    }
}

impl<T: 'static> WindowAssigner<T, TimeWindow> for DynamicEventTimeSessionWindows<T> {
    fn assign_windows(
        &self,
        element: &T,
        timestamp: Option<i64>,
        _context: &WindowAssignerContext<'_>,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), WeirError> {
        let name = "DynamicEventTimeSessionWindows";
        let timestamp = timestamp.ok_or(WeirError::MissingEventTimestamp { assigner: name })?;
        let gap_ms = check_gap(name, (self.gap)(element))?;
        windows.push(TimeWindow::new(timestamp, timestamp.saturating_add(gap_ms)));
        Ok(())
    }

    fn default_trigger(&self) -> Arc<dyn Trigger<T, TimeWindow>> {
        Arc::new(EventTimeTrigger)
    }

    fn is_event_time(&self) -> bool {
        true
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(
        &self,
        windows: &[TimeWindow],
        merged: &mut Vec<(TimeWindow, Vec<TimeWindow>)>,
    ) {
        TimeWindow::merge_windows(windows, merged);
    }

    fn name(&self) -> &'static str {
        "DynamicEventTimeSessionWindows"
    }
}

/// Processing-time session windows with a fixed gap. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingTimeSessionWindows {
    gap_ms: i64,
}

impl ProcessingTimeSessionWindows {
    const NAME: &'static str = "ProcessingTimeSessionWindows";

    /// Sessions that end after `gap_ms` (> 0) of processing time without elements.
    pub fn with_gap(gap_ms: i64) -> Result<ProcessingTimeSessionWindows, WeirError> {
        Ok(ProcessingTimeSessionWindows {
            gap_ms: check_gap(Self::NAME, gap_ms)?,
        })
    }

    /// Sessions whose gap after each element is `gap(element)`.
    pub fn with_dynamic_gap<T>(
        gap: SessionGapExtractor<T>,
    ) -> DynamicProcessingTimeSessionWindows<T> {
        DynamicProcessingTimeSessionWindows { gap }
    }
}

impl<T: 'static> WindowAssigner<T, TimeWindow> for ProcessingTimeSessionWindows {
    fn assign_windows(
        &self,
        _element: &T,
        _timestamp: Option<i64>,
        context: &WindowAssignerContext<'_>,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), WeirError> {
        let now = context.current_processing_time();
        windows.push(TimeWindow::new(now, now.saturating_add(self.gap_ms)));
        Ok(())
    }

    fn default_trigger(&self) -> Arc<dyn Trigger<T, TimeWindow>> {
        Arc::new(ProcessingTimeTrigger)
    }

    fn is_event_time(&self) -> bool {
        false
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(
        &self,
        windows: &[TimeWindow],
        merged: &mut Vec<(TimeWindow, Vec<TimeWindow>)>,
    ) {
        TimeWindow::merge_windows(windows, merged);
    }

    fn name(&self) -> &'static str {
        Self::NAME
    }
}

/// Processing-time session windows with a gap per element. See the module docs.
pub struct DynamicProcessingTimeSessionWindows<T> {
    gap: SessionGapExtractor<T>,
}

impl<T> std::fmt::Debug for DynamicProcessingTimeSessionWindows<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DynamicProcessingTimeSessionWindows")
    }
}

impl<T: 'static> WindowAssigner<T, TimeWindow> for DynamicProcessingTimeSessionWindows<T> {
    fn assign_windows(
        &self,
        element: &T,
        _timestamp: Option<i64>,
        context: &WindowAssignerContext<'_>,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), WeirError> {
        let gap_ms = check_gap("DynamicProcessingTimeSessionWindows", (self.gap)(element))?;
        let now = context.current_processing_time();
        windows.push(TimeWindow::new(now, now.saturating_add(gap_ms)));
        Ok(())
    }

    fn default_trigger(&self) -> Arc<dyn Trigger<T, TimeWindow>> {
        Arc::new(ProcessingTimeTrigger)
    }

    fn is_event_time(&self) -> bool {
        false
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(
        &self,
        windows: &[TimeWindow],
        merged: &mut Vec<(TimeWindow, Vec<TimeWindow>)>,
    ) {
        TimeWindow::merge_windows(windows, merged);
    }

    fn name(&self) -> &'static str {
        "DynamicProcessingTimeSessionWindows"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(
        assigner: &dyn WindowAssigner<i64, TimeWindow>,
        element: i64,
        ts: Option<i64>,
    ) -> Result<Vec<TimeWindow>, WeirError> {
        let mut windows = Vec::new();
        let clock = move || 1000;
        let context = WindowAssignerContext::new(&clock);
        assigner.assign_windows(&element, ts, &context, &mut windows)?;
        Ok(windows)
    }

    #[test]
    fn one_window_per_element_from_the_gap() {
        let fixed = EventTimeSessionWindows::with_gap(10).unwrap();
        assert_eq!(
            assign(&fixed, 0, Some(-3)).unwrap(),
            [TimeWindow::new(-3, 7)]
        );
        assert!(assign(&fixed, 0, None).is_err());
        let dynamic = EventTimeSessionWindows::with_dynamic_gap(Arc::new(|gap: &i64| *gap));
        assert_eq!(
            assign(&dynamic, 4, Some(10)).unwrap(),
            [TimeWindow::new(10, 14)]
        );
        assert!(matches!(
            assign(&dynamic, 0, Some(10)),
            Err(WeirError::InvalidSessionGap { gap_ms: 0, .. })
        ));
        let processing = ProcessingTimeSessionWindows::with_gap(50).unwrap();
        assert_eq!(
            assign(&processing, 0, None).unwrap(),
            [TimeWindow::new(1000, 1050)]
        );
        let processing_dynamic =
            ProcessingTimeSessionWindows::with_dynamic_gap(Arc::new(|gap: &i64| *gap));
        assert_eq!(
            assign(&processing_dynamic, 7, None).unwrap(),
            [TimeWindow::new(1000, 1007)]
        );
        assert!(EventTimeSessionWindows::with_gap(0).is_err());
        assert!(ProcessingTimeSessionWindows::with_gap(-1).is_err());
        for assigner in [
            &fixed as &dyn WindowAssigner<i64, TimeWindow>,
            &dynamic,
            &processing,
        ] {
            assert!(assigner.is_merging());
        }
    }
}
