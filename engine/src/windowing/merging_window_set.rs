//! [`MergingWindowSet`]: the windows of one key of a merging (session) assigner, and for each
//! the **state window**: the namespace that holds its contents (Flink's `MergingWindowSet`).
//!
//! ```text
//!   window (what the trigger and the user see)      state window (the keyed-state namespace)
//!   [1, 15)  ───────────────────────────────────▶   [1, 11)   ◀─ the first window of the session
//!   [30, 40) ───────────────────────────────────▶   [30, 40)
//!
//!   add [12, 35):  [1, 15) + [12, 35) + [30, 40) ──merge──▶ [1, 40)
//!                  state window of [1, 40) := [1, 11)  (one of the merged windows' state windows)
//!                  merge callback: merge_namespaces([1, 11) ◀── [30, 40)); on_merge of triggers
//! ```
//!
//! When windows merge, the state of one of them stays where it is and the others' state is
//! merged into it, so a growing session never moves its contents. A new window that merges with
//! nothing maps to itself. The operator keeps the mapping of each key in keyed state and
//! writes it back when [`MergingWindowSet::is_changed`].

use crate::error::WeirError;
use crate::windowing::window_assigner::WindowAssigner;

/// The windows of one key and their state windows. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergingWindowSet<W> {
    /// window ──▶ state window, in insertion order (a key has few sessions in flight).
    mapping: Vec<(W, W)>,
    changed: bool,
}

impl<W: Clone + Eq> MergingWindowSet<W> {
    /// The set as read from state (empty for a new key).
    pub fn new(mapping: Vec<(W, W)>) -> MergingWindowSet<W> {
        MergingWindowSet {
            mapping,
            changed: false,
        }
    }

    /// The state window of `window`, if it is in flight.
    pub fn state_window(&self, window: &W) -> Option<&W> {
        self.mapping
            .iter()
            .find(|(w, _)| w == window)
            .map(|(_, state)| state)
    }

    /// Removes `window` (fired and purged, or cleaned up); `false` if it was not in flight.
    pub fn retire_window(&mut self, window: &W) -> bool {
        match self.mapping.iter().position(|(w, _)| w == window) {
            Some(index) => {
                self.mapping.swap_remove(index);
                self.changed = true;
                true
            }
            None => false,
        }
    }

    /// Adds `new_window` and merges what the assigner says merges. For every merge,
    /// `merge(result, merged windows, state window of result, merged state windows)` runs so
    /// the caller can merge state and triggers; it is not called when the new window only
    /// falls inside an existing window. Returns the window `new_window` ended up in.
    pub fn add_window<T>(
        &mut self,
        new_window: W,
        assigner: &dyn WindowAssigner<T, W>,
        mut merge: impl FnMut(&W, &[W], &W, &[W]) -> Result<(), WeirError>,
    ) -> Result<W, WeirError> {
        let mut windows: Vec<W> = self.mapping.iter().map(|(w, _)| w.clone()).collect();
        windows.push(new_window.clone());
        let mut merges = Vec::new();
        assigner.merge_windows(&windows, &mut merges);

        let mut result_window = new_window.clone();
        let mut merged_new_window = false;
        let merged_any = !merges.is_empty();
        for (merge_result, mut merged_windows) in merges {
            if let Some(index) = merged_windows.iter().position(|w| *w == new_window) {
                merged_windows.remove(index);
                merged_new_window = true;
                result_window = merge_result.clone();
            }
            // The state window of any merged (pre-existing) window holds the result.
            let target_state_window = self
                .state_window(&merged_windows[0])
                .cloned()
                .expect("merged windows other than the new one are in flight");
            let mut merged_state_windows = Vec::with_capacity(merged_windows.len());
            for merged in &merged_windows {
                if let Some(index) = self.mapping.iter().position(|(w, _)| w == merged) {
                    let (_, state) = self.mapping.swap_remove(index);
                    if state != target_state_window {
                        merged_state_windows.push(state);
                    }
                }
            }
            self.mapping
                .push((merge_result.clone(), target_state_window.clone()));
            // A new window inside one existing window, which stays as it is: nothing to merge.
            let only_itself = merged_windows.len() == 1 && merged_windows[0] == merge_result;
            if !only_itself {
                self.changed = true;
                merge(
                    &merge_result,
                    &merged_windows,
                    &target_state_window,
                    &merged_state_windows,
                )?;
            }
        }
        if !merged_any || (result_window == new_window && !merged_new_window) {
            self.mapping
                .push((result_window.clone(), result_window.clone()));
            self.changed = true;
        }
        Ok(result_window)
    }

    /// Whether the mapping changed since it was read.
    pub fn is_changed(&self) -> bool {
        self.changed
    }

    pub fn is_empty(&self) -> bool {
        self.mapping.is_empty()
    }

    /// The mapping, to write back into state.
    pub fn mapping(&self) -> &[(W, W)] {
        &self.mapping
    }

    pub fn into_mapping(self) -> Vec<(W, W)> {
        self.mapping
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windowing::session_windows::EventTimeSessionWindows;
    use crate::windowing::window::TimeWindow;

    type Merge = (TimeWindow, Vec<TimeWindow>, TimeWindow, Vec<TimeWindow>);

    fn add(set: &mut MergingWindowSet<TimeWindow>, window: TimeWindow) -> (TimeWindow, Vec<Merge>) {
        let assigner = EventTimeSessionWindows::with_gap(10).unwrap();
        let mut merges = Vec::new();
        let result = set
            .add_window::<()>(window, &assigner, |result, merged, state, merged_states| {
                merges.push((*result, merged.to_vec(), *state, merged_states.to_vec()));
                Ok(())
            })
            .unwrap();
        (result, merges)
    }

    fn w(start: i64, end: i64) -> TimeWindow {
        TimeWindow::new(start, end)
    }

    #[test]
    fn a_session_grows_and_keeps_its_first_state_window() {
        let mut set = MergingWindowSet::new(Vec::new());
        assert_eq!(add(&mut set, w(1, 11)), (w(1, 11), vec![]));
        assert_eq!(set.state_window(&w(1, 11)), Some(&w(1, 11)));
        // Overlaps: the session becomes [1, 15); its state stays in [1, 11).
        let (result, merges) = add(&mut set, w(5, 15));
        assert_eq!(result, w(1, 15));
        assert_eq!(merges, vec![(w(1, 15), vec![w(1, 11)], w(1, 11), vec![])]);
        assert_eq!(set.state_window(&w(1, 15)), Some(&w(1, 11)));
        assert_eq!(set.state_window(&w(1, 11)), None);
        // Inside the session: nothing to merge, the session stays.
        let (result, merges) = add(&mut set, w(2, 12));
        assert_eq!((result, merges), (w(1, 15), vec![]));
        assert_eq!(set.mapping(), [(w(1, 15), w(1, 11))]);
        // A separate session, then a window bridging both.
        assert_eq!(add(&mut set, w(30, 40)).0, w(30, 40));
        let (result, merges) = add(&mut set, w(14, 31));
        assert_eq!(result, w(1, 40));
        assert_eq!(merges.len(), 1);
        let (merge_result, mut merged, state, merged_states) = merges[0].clone();
        merged.sort();
        assert_eq!(
            (merge_result, merged, state, merged_states),
            (
                w(1, 40),
                vec![w(1, 15), w(30, 40)],
                w(1, 11),
                vec![w(30, 40)]
            )
        );
        assert_eq!(set.mapping(), [(w(1, 40), w(1, 11))]);
        assert!(set.is_changed());
        assert!(set.retire_window(&w(1, 40)));
        assert!(!set.retire_window(&w(1, 40)));
        assert!(set.is_empty());
    }

    #[test]
    fn touching_windows_merge_and_untouched_sets_are_unchanged() {
        let mut set = MergingWindowSet::new(vec![(w(0, 10), w(0, 10))]);
        assert!(!set.is_changed());
        assert_eq!(set.state_window(&w(0, 10)), Some(&w(0, 10)));
        let (result, _) = add(&mut set, w(10, 20));
        assert_eq!(result, w(0, 20));
        assert_eq!(set.state_window(&w(0, 20)), Some(&w(0, 10)));
    }
}
