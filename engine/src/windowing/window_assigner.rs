//! [`WindowAssigner`]: puts each element into zero or more windows (Flink's `WindowAssigner`
//! and `MergingWindowAssigner` in one trait).
//!
//! ```text
//!   (element, timestamp, processing time) ──assign_windows──▶ windows.push(w) …
//!   merging assigners (sessions): the windows of a key ──merge_windows──▶ [(cover, members)]
//! ```
//!
//! Windows go into a buffer the caller owns and clears (`windows`), so assigning does not
//! allocate per element once the buffer has grown to the largest number of windows per element
//! (one for tumbling and session windows, `size / slide` for sliding windows).

use std::sync::Arc;

use crate::error::WeirError;
use crate::windowing::trigger::Trigger;

/// What an assigner may read besides the element: the current processing time (read from the
/// operator's clock only when asked, so event-time assigners never read the clock).
#[derive(Clone, Copy)]
pub struct WindowAssignerContext<'a> {
    clock: &'a (dyn Fn() -> i64 + 'a),
}

impl<'a> WindowAssignerContext<'a> {
    /// A context reading processing time from `clock` (milliseconds since the epoch).
    pub fn new(clock: &'a (dyn Fn() -> i64 + 'a)) -> WindowAssignerContext<'a> {
        WindowAssignerContext { clock }
    }

    pub fn current_processing_time(&self) -> i64 {
        (self.clock)()
    }
}

impl std::fmt::Debug for WindowAssignerContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowAssignerContext")
            .finish_non_exhaustive()
    }
}

/// Assigns elements of type `T` to windows of type `W`. See the module docs.
pub trait WindowAssigner<T, W>: Send + Sync {
    /// Appends the windows of `element` (event time `timestamp`) to `windows`. Event-time
    /// assigners fail with [`WeirError::MissingEventTimestamp`] when `timestamp` is `None`.
    fn assign_windows(
        &self,
        element: &T,
        timestamp: Option<i64>,
        context: &WindowAssignerContext<'_>,
        windows: &mut Vec<W>,
    ) -> Result<(), WeirError>;

    /// The trigger used when the window operator is given none.
    fn default_trigger(&self) -> Arc<dyn Trigger<T, W>>;

    /// Whether windows end by event time (watermarks) rather than processing time.
    fn is_event_time(&self) -> bool;

    /// Whether windows of a key merge (sessions); such assigners implement
    /// [`WindowAssigner::merge_windows`].
    fn is_merging(&self) -> bool {
        false
    }

    /// Reports every group of `windows` that merges into one window as `(result, members)`;
    /// windows that merge with nothing are not reported.
    fn merge_windows(&self, _windows: &[W], _merged: &mut Vec<(W, Vec<W>)>) {}

    /// The assigner's name for errors and operator names ("TumblingEventTimeWindows").
    fn name(&self) -> &'static str;
}
