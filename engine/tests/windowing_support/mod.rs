//! Test support for the window operator tests: a chain link that records what reaches it, and
//! operator setups for one subtask of a parallelism.

#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use weir::WeirError;
use weir::checkpoint::OperatorSnapshot;
use weir::config::Configuration;
use weir::runtime::network::CheckpointBarrier;
use weir::runtime::stream::{ChainLink, OperatorSetup, TaskSnapshot};
use weir::state::KeyGroupRange;

/// What reached a [`Recorder`].
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded<T> {
    Element(T, Option<i64>),
    Watermark(i64),
    Finished,
}

/// A chain link that records every call; clones share the record.
#[derive(Debug)]
pub struct Recorder<T> {
    pub events: Rc<RefCell<Vec<Recorded<T>>>>,
}

impl<T> Clone for Recorder<T> {
    fn clone(&self) -> Self {
        Recorder {
            events: Rc::clone(&self.events),
        }
    }
}

impl<T: Clone> Recorder<T> {
    pub fn new() -> Recorder<T> {
        Recorder {
            events: Rc::new(RefCell::new(Vec::new())),
        }
    }

    pub fn elements(&self) -> Vec<(T, Option<i64>)> {
        self.events
            .borrow()
            .iter()
            .filter_map(|event| match event {
                Recorded::Element(value, ts) => Some((value.clone(), *ts)),
                _ => None,
            })
            .collect()
    }

    pub fn watermarks(&self) -> Vec<i64> {
        self.events
            .borrow()
            .iter()
            .filter_map(|event| match event {
                Recorded::Watermark(wm) => Some(*wm),
                _ => None,
            })
            .collect()
    }
}

impl<T: Clone> ChainLink<T> for Recorder<T> {
    fn process_element(&mut self, value: T, timestamp: Option<i64>) -> Result<(), WeirError> {
        self.events
            .borrow_mut()
            .push(Recorded::Element(value, timestamp));
        Ok(())
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.events
            .borrow_mut()
            .push(Recorded::Watermark(watermark));
        Ok(())
    }

    fn process_watermark_status(&mut self, _idle: bool) -> Result<(), WeirError> {
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
        _barrier: &CheckpointBarrier,
        _snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, _checkpoint_id: u64) -> Result<(), WeirError> {
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.events.borrow_mut().push(Recorded::Finished);
        Ok(())
    }
}

pub const MAX_PARALLELISM: u32 = 16;

/// The setup of `subtask` of `parallelism`, restoring `restored`.
pub fn setup(
    subtask: usize,
    parallelism: usize,
    restored: Option<OperatorSnapshot>,
) -> OperatorSetup {
    OperatorSetup {
        name: "Window(test)".into(),
        uid: "window-uid".into(),
        subtask,
        parallelism,
        max_parallelism: MAX_PARALLELISM,
        key_groups: KeyGroupRange::for_subtask(MAX_PARALLELISM, parallelism, subtask),
        restored,
        state_heap_budget_bytes: 64 << 20,
        managed_state: None,
        snapshot_spool: None,
        progress: Default::default(),
        config: Configuration::defaults(),
    }
}
