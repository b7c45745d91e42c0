//! A [`ChainLink`] for unit tests that records every call it gets.

use std::sync::{Arc, Mutex};

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::{ChainLink, TaskSnapshot};

/// One call a [`RecordingLink`] received.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Recorded<T> {
    Record(T, Option<i64>),
    Watermark(i64),
    Idle(bool),
    Snapshot(u64),
    Complete(u64),
    Finish,
}

/// Records calls into a shared list, so a test keeps a handle after boxing it.
#[derive(Debug)]
pub(crate) struct RecordingLink<T> {
    calls: Arc<Mutex<Vec<Recorded<T>>>>,
}

impl<T> Clone for RecordingLink<T> {
    fn clone(&self) -> Self {
        RecordingLink {
            calls: Arc::clone(&self.calls),
        }
    }
}

impl<T: Clone> RecordingLink<T> {
    pub(crate) fn new() -> Self {
        RecordingLink {
            calls: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub(crate) fn calls(&self) -> Vec<Recorded<T>> {
        self.calls.lock().unwrap().clone()
    }

    pub(crate) fn watermarks(&self) -> Vec<i64> {
        self.calls()
            .into_iter()
            .filter_map(|call| match call {
                Recorded::Watermark(watermark) => Some(watermark),
                _ => None,
            })
            .collect()
    }

    fn push(&self, call: Recorded<T>) {
        self.calls.lock().unwrap().push(call);
    }
}

impl<T: Clone> ChainLink<T> for RecordingLink<T> {
    fn process_element(&mut self, value: T, timestamp: Option<i64>) -> Result<(), WeirError> {
        self.push(Recorded::Record(value, timestamp));
        Ok(())
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.push(Recorded::Watermark(watermark));
        Ok(())
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.push(Recorded::Idle(idle));
        Ok(())
    }

    fn on_processing_time(&mut self, _now_ms: i64) -> Result<(), WeirError> {
        Ok(())
    }

    fn next_processing_time(&self) -> Option<i64> {
        None
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        _snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.push(Recorded::Snapshot(barrier.id));
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.push(Recorded::Complete(checkpoint_id));
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.push(Recorded::Finish);
        Ok(())
    }
}
