//! Windows: [`TimeWindow`] (`[start, end)` in milliseconds) and [`GlobalWindow`] (the single
//! window of [`crate::windowing::GlobalWindows`]), and the [`Window`] trait they share.
//!
//! ```text
//!   TimeWindow { start: 10_000, end: 20_000 }   holds timestamps 10_000 ..= 19_999
//!   max_timestamp = end - 1 = 19_999            fires when the watermark reaches 19_999
//!
//!   serialized:  TimeWindow  [ start i64 LE (8) | end i64 LE (8) ]   16 bytes
//!                GlobalWindow  (nothing)                            0 bytes
//! ```
//!
//! A window is also the namespace of the window's keyed state and timers, so it is hashable,
//! comparable and serializable.

use std::fmt::Debug;
use std::hash::Hash;

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::api::Data;
use crate::error::WeirError;
use crate::types::{DefaultSerializer, TypeSerializer, read_failure};

/// A window: a namespace of keyed state with a last timestamp.
pub trait Window: Data + Hash + Eq + Debug {
    /// The largest timestamp that still belongs to the window.
    fn max_timestamp(&self) -> i64;
}

/// The time interval `[start, end)`, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeWindow {
    pub start: i64,
    pub end: i64,
}

impl TimeWindow {
    pub fn new(start: i64, end: i64) -> TimeWindow {
        TimeWindow { start, end }
    }

    /// `end - 1`, the last timestamp inside the window.
    #[inline]
    pub fn max_timestamp(&self) -> i64 {
        self.end.saturating_sub(1)
    }

    /// Whether the two windows overlap or touch (Flink: `start <= other.end && end >= other.start`).
    pub fn intersects(&self, other: &TimeWindow) -> bool {
        self.start <= other.end && self.end >= other.start
    }

    /// The smallest window that covers both.
    pub fn cover(&self, other: &TimeWindow) -> TimeWindow {
        TimeWindow::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The start of the window of `window_size` (shifted by `offset`) that holds `timestamp`;
    /// correct for negative timestamps and offsets.
    #[inline]
    pub fn get_window_start_with_offset(timestamp: i64, offset: i64, window_size: i64) -> i64 {
        let remainder = (timestamp - offset) % window_size;
        if remainder < 0 {
            timestamp - (remainder + window_size)
        } else {
            timestamp - remainder
        }
    }

    /// Flink's `TimeWindow.mergeWindows`: sorts `windows` by start and reports every group of
    /// two or more overlapping windows as `(cover, members)`.
    pub fn merge_windows(windows: &[TimeWindow], merged: &mut Vec<(TimeWindow, Vec<TimeWindow>)>) {
        let mut sorted = windows.to_vec();
        sorted.sort_unstable_by_key(|window| (window.start, window.end));
        let mut current: Option<(TimeWindow, Vec<TimeWindow>)> = None;
        for window in sorted {
            match &mut current {
                Some((cover, members)) if cover.intersects(&window) => {
                    *cover = cover.cover(&window);
                    members.push(window);
                }
                _ => {
                    if let Some(group) = current.take()
                        && group.1.len() > 1
                    {
                        merged.push(group);
                    }
                    current = Some((window, vec![window]));
                }
            }
        }
        if let Some(group) = current
            && group.1.len() > 1
        {
            merged.push(group);
        }
    }
}

impl Window for TimeWindow {
    #[inline]
    fn max_timestamp(&self) -> i64 {
        TimeWindow::max_timestamp(self)
    }
}

/// Serializes a [`TimeWindow`] as two little-endian `i64`s.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeWindowSerializer;

impl TypeSerializer for TimeWindowSerializer {
    type Value = TimeWindow;

    fn serialize<W: SegmentTarget>(
        &self,
        value: &TimeWindow,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        out.write_i64_le(value.start)?;
        Ok(out.write_i64_le(value.end)?)
    }

    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<TimeWindow, WeirError> {
        let fail = |error| read_failure("TimeWindow", error);
        let start = input.read_i64_le().map_err(fail)?;
        let end = input.read_i64_le().map_err(fail)?;
        Ok(TimeWindow { start, end })
    }

    fn fixed_length(&self) -> Option<usize> {
        Some(16)
    }
}

impl DefaultSerializer for TimeWindow {
    type Serializer = TimeWindowSerializer;
}

/// The one window of [`crate::windowing::GlobalWindows`]: everything, forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GlobalWindow;

impl Window for GlobalWindow {
    /// `i64::MAX`: the window never ends, so it has no cleanup time.
    fn max_timestamp(&self) -> i64 {
        i64::MAX
    }
}

/// Serializes a [`GlobalWindow`] as nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct GlobalWindowSerializer;

impl TypeSerializer for GlobalWindowSerializer {
    type Value = GlobalWindow;

    fn serialize<W: SegmentTarget>(
        &self,
        _value: &GlobalWindow,
        _out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        Ok(())
    }

    fn deserialize<R: SegmentSource>(
        &self,
        _input: &mut PagedInputView<R>,
    ) -> Result<GlobalWindow, WeirError> {
        Ok(GlobalWindow)
    }

    fn fixed_length(&self) -> Option<usize> {
        Some(0)
    }
}

impl DefaultSerializer for GlobalWindow {
    type Serializer = GlobalWindowSerializer;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_start_with_offset_handles_negative_timestamps_and_offsets() {
        // size 10: windows [.., -10), [-10, 0), [0, 10), ..
        assert_eq!(TimeWindow::get_window_start_with_offset(0, 0, 10), 0);
        assert_eq!(TimeWindow::get_window_start_with_offset(9, 0, 10), 0);
        assert_eq!(TimeWindow::get_window_start_with_offset(10, 0, 10), 10);
        assert_eq!(TimeWindow::get_window_start_with_offset(-1, 0, 10), -10);
        assert_eq!(TimeWindow::get_window_start_with_offset(-10, 0, 10), -10);
        assert_eq!(TimeWindow::get_window_start_with_offset(-11, 0, 10), -20);
        // offset 3: windows start at .., -7, 3, 13, ..
        assert_eq!(TimeWindow::get_window_start_with_offset(2, 3, 10), -7);
        assert_eq!(TimeWindow::get_window_start_with_offset(3, 3, 10), 3);
        assert_eq!(TimeWindow::get_window_start_with_offset(-8, 3, 10), -17);
        // offset -3: windows start at .., -3, 7, ..
        assert_eq!(TimeWindow::get_window_start_with_offset(6, -3, 10), -3);
        assert_eq!(TimeWindow::get_window_start_with_offset(7, -3, 10), 7);
    }

    #[test]
    fn max_timestamp_intersects_and_cover() {
        let a = TimeWindow::new(0, 10);
        assert_eq!(a.max_timestamp(), 9);
        assert!(
            a.intersects(&TimeWindow::new(10, 20)),
            "touching windows intersect"
        );
        assert!(!a.intersects(&TimeWindow::new(11, 20)));
        assert_eq!(a.cover(&TimeWindow::new(5, 30)), TimeWindow::new(0, 30));
        assert_eq!(GlobalWindow.max_timestamp(), i64::MAX);
    }

    #[test]
    fn merge_windows_reports_only_groups_of_two_or_more() {
        let windows = [
            TimeWindow::new(20, 25),
            TimeWindow::new(0, 5),
            TimeWindow::new(4, 8),
            TimeWindow::new(30, 31),
            TimeWindow::new(8, 9),
            TimeWindow::new(24, 26),
        ];
        let mut merged = Vec::new();
        TimeWindow::merge_windows(&windows, &mut merged);
        assert_eq!(
            merged,
            vec![
                (
                    TimeWindow::new(0, 9),
                    vec![
                        TimeWindow::new(0, 5),
                        TimeWindow::new(4, 8),
                        TimeWindow::new(8, 9)
                    ]
                ),
                (
                    TimeWindow::new(20, 26),
                    vec![TimeWindow::new(20, 25), TimeWindow::new(24, 26)]
                ),
            ]
        );
    }

    #[test]
    fn windows_serialize_round_trip() {
        use crate::types::test_pages::{serialize_all, source_of};
        let windows = vec![TimeWindow::new(-5, i64::MAX), TimeWindow::new(i64::MIN, 0)];
        let mut input = source_of(serialize_all(&TimeWindowSerializer, &windows));
        for window in &windows {
            assert_eq!(
                &TimeWindowSerializer.deserialize(&mut input).unwrap(),
                window
            );
        }
        assert!(TimeWindowSerializer.deserialize(&mut input).is_err());
    }
}
