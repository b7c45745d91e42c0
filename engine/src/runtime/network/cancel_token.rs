//! [`CancelToken`]: the cancellation signal shared by all tasks of a job.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once when the job is canceled or fails; every task and every wait of the data exchange
/// (a writer waiting for a buffer, a reader waiting for data) checks it and gives up with
/// [`crate::WeirError::Canceled`]. Cheap to clone; clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    canceled: Arc<AtomicBool>,
}

impl CancelToken {
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Cancels every holder of a clone of this token. Idempotent.
    pub fn cancel(&self) {
        self.canceled.store(true, Ordering::Release);
    }

    pub fn is_canceled(&self) -> bool {
        self.canceled.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag() {
        let token = CancelToken::new();
        let clone = token.clone();
        assert!(!clone.is_canceled());
        token.cancel();
        assert!(clone.is_canceled());
    }
}
