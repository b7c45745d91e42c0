//! Test support: a [`ChainLink`] that records what reaches it.

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};

/// What a [`RecordingLink`] saw, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seen<T> {
    Record(T, Option<i64>),
    Watermark(i64),
    Idle(bool),
    Snapshot(u64),
    Complete(u64),
    Finish,
}

/// The shared log of a [`RecordingLink`].
#[derive(Debug)]
pub(crate) struct SeenLog<T>(Rc<RefCell<Vec<Seen<T>>>>);

impl<T: Clone + PartialEq> SeenLog<T> {
    pub(crate) fn events(&self) -> Vec<Seen<T>> {
        self.0.borrow().clone()
    }

    pub(crate) fn records(&self) -> Vec<(T, Option<i64>)> {
        self.0
            .borrow()
            .iter()
            .filter_map(|seen| match seen {
                Seen::Record(value, timestamp) => Some((value.clone(), *timestamp)),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn watermarks(&self) -> Vec<i64> {
        self.0
            .borrow()
            .iter()
            .filter_map(|seen| match seen {
                Seen::Watermark(watermark) => Some(*watermark),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn finished(&self) -> bool {
        self.0.borrow().contains(&Seen::Finish)
    }
}

/// Records everything it gets.
pub(crate) struct RecordingLink<T> {
    log: SeenLog<T>,
}

impl<T> RecordingLink<T> {
    pub(crate) fn new() -> (RecordingLink<T>, SeenLog<T>) {
        let log = SeenLog(Rc::new(RefCell::new(Vec::new())));
        (RecordingLink { log: log.clone() }, log)
    }

    fn push(&self, seen: Seen<T>) {
        self.log.0.borrow_mut().push(seen);
    }
}

impl<T> Clone for SeenLog<T> {
    fn clone(&self) -> Self {
        SeenLog(Rc::clone(&self.0))
    }
}

impl<T> ChainLink<T> for RecordingLink<T> {
    fn process_element(&mut self, value: T, timestamp: Option<i64>) -> Result<(), WeirError> {
        self.push(Seen::Record(value, timestamp));
        Ok(())
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.push(Seen::Watermark(watermark));
        Ok(())
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.push(Seen::Idle(idle));
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
        self.push(Seen::Snapshot(barrier.id));
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.push(Seen::Complete(checkpoint_id));
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.push(Seen::Finish);
        Ok(())
    }
}
