//! [`StateAccess`]: what one access of keyed state for the current key carries.
//!
//! The backend hands a typed table and a `StateAccess` to the kind-specific operations
//! (`value_state.rs`, `list_state.rs`, …): the current key and the index of its key group, the
//! heap budget, the TTL clock (read only by states with TTL), and the slot that keeps an
//! expired value that a read returns once ([`crate::state::StateVisibility::ReturnExpiredIfNotCleanedUp`])
//! after removing it from the table.

use std::any::Any;

use crate::runtime::stream::processing_time::ProcessingTimeClock;
use crate::state::heap_budget::HeapBudget;

/// One access of keyed state for the current key. See the module docs.
pub struct StateAccess<'a, K> {
    pub key: &'a K,
    /// Index of the current key's group in the backend's range.
    pub group: usize,
    pub budget: &'a mut HeapBudget,
    pub clock: &'a ProcessingTimeClock,
    pub returned_expired: &'a mut Option<Box<dyn Any + Send>>,
}

impl<'a, K> StateAccess<'a, K> {
    /// Processing time now (for TTL).
    #[inline]
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    /// Keeps `value` (removed from the table because it expired) so a read can return it once.
    pub fn hold_expired<V: Send + 'static>(self, value: V) -> &'a V {
        let holder = self.returned_expired;
        let held: &'a (dyn Any + Send) = &**holder.insert(Box::new(value));
        held.downcast_ref::<V>()
            .expect("the holder holds the value just put in")
    }
}

impl<K> std::fmt::Debug for StateAccess<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateAccess")
            .field("group", &self.group)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}
