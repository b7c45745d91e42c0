//! [`HeapBudget`]: the heap bytes the keyed state of one operator may hold (hashmap backend).
//!
//! Heap state is counted approximately, per entry, when an entry is created, replaced or grows:
//!
//! ```text
//!   entry bytes = size_of(stored entry)                     inline part (key, namespace, value)
//!               + serialized length of each variable-size part (strings, vectors, serde types;
//!                                                           0 for fixed-length types)
//! ```
//!
//! Growth inside an existing accumulator of an aggregating state (a `Vec` accumulator that
//! gets longer) is not re-measured on every add. Exceeding the budget fails with
//! [`WeirError::StateHeapBudgetExceeded`]; the operator then fails and the job restarts from
//! its last checkpoint (the state of the failed call is not guaranteed to be consistent).

use crate::error::WeirError;

/// Counts the heap bytes of an operator's keyed state against its budget.
#[derive(Debug, Clone)]
pub struct HeapBudget {
    operator: String,
    used_bytes: u64,
    budget_bytes: u64,
    /// Managed backend: the budget is a working-set limit the backend restores by evicting
    /// entries, so passing it is not an error.
    evicts: bool,
}

impl HeapBudget {
    pub fn new(operator: &str, budget_bytes: u64) -> HeapBudget {
        HeapBudget {
            operator: operator.to_owned(),
            used_bytes: 0,
            budget_bytes,
            evicts: false,
        }
    }

    /// A budget that counts the working set of the managed backend: passing `limit_bytes` is
    /// allowed (the backend evicts before the next access).
    pub fn evicting(operator: &str, limit_bytes: u64) -> HeapBudget {
        HeapBudget {
            evicts: true,
            ..HeapBudget::new(operator, limit_bytes)
        }
    }

    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    pub fn budget_bytes(&self) -> u64 {
        self.budget_bytes
    }

    /// Counts `bytes` more for `state`, or fails (counting nothing) when that passes the budget.
    #[inline]
    pub fn reserve(&mut self, state: &str, bytes: u64) -> Result<(), WeirError> {
        let used_bytes = self.used_bytes.saturating_add(bytes);
        if used_bytes > self.budget_bytes && !self.evicts {
            return Err(WeirError::StateHeapBudgetExceeded {
                operator: self.operator.clone(),
                state: state.to_owned(),
                used_bytes,
                budget_bytes: self.budget_bytes,
            });
        }
        self.used_bytes = used_bytes;
        Ok(())
    }

    /// Counts `bytes` fewer.
    #[inline]
    pub fn release(&mut self, bytes: u64) {
        debug_assert!(
            bytes <= self.used_bytes,
            "released more heap bytes than reserved"
        );
        self.used_bytes = self.used_bytes.saturating_sub(bytes);
    }

    /// Replaces `old_bytes` of an entry by `new_bytes`.
    #[inline]
    pub fn resize(&mut self, state: &str, old_bytes: u64, new_bytes: u64) -> Result<(), WeirError> {
        if new_bytes >= old_bytes {
            self.reserve(state, new_bytes - old_bytes)
        } else {
            self.release(old_bytes - new_bytes);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_fails_past_the_budget_and_names_the_keys_to_raise() {
        let mut budget = HeapBudget::new("Window(agg)", 100);
        budget.reserve("acc", 60).unwrap();
        let error = budget.reserve("acc", 41).unwrap_err();
        assert_eq!(budget.used_bytes(), 60, "a failed reserve counts nothing");
        let message = error.to_string();
        for needle in [
            "Window(agg)",
            "acc",
            "101",
            "100",
            "taskmanager.memory.task.heap.size",
            "taskmanager.memory.process.size",
            "state.backend.type",
        ] {
            assert!(message.contains(needle), "{needle} missing in {message}");
        }
        budget.resize("acc", 60, 100).unwrap();
        budget.resize("acc", 100, 10).unwrap();
        budget.release(10);
        assert_eq!(budget.used_bytes(), 0);
    }
}
