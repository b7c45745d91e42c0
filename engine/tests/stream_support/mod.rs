//! Helpers for the streaming connector tests: a chain link that records what it gets, operator
//! setups, and driving a source operator to its end.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use weir::WeirError;
use weir::checkpoint::OperatorSnapshot;
use weir::config::Configuration;
use weir::connectors::stream::{InputStatus, SourceOperator};
use weir::runtime::network::{CheckpointBarrier, SnapshotKind};
use weir::runtime::stream::{ChainLink, OperatorSetup, TaskSnapshot};
use weir::state::key_group::KeyGroupRange;

/// One call a [`RecordingLink`] received.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded<T> {
    Record(T, Option<i64>),
    Watermark(i64),
    Idle(bool),
    Finish,
}

/// Records calls into a shared list (clones share it).
#[derive(Debug)]
pub struct RecordingLink<T> {
    calls: Arc<Mutex<Vec<Recorded<T>>>>,
}

impl<T> Clone for RecordingLink<T> {
    fn clone(&self) -> Self {
        RecordingLink {
            calls: Arc::clone(&self.calls),
        }
    }
}

impl<T: Clone> Default for RecordingLink<T> {
    fn default() -> Self {
        RecordingLink::new()
    }
}

impl<T: Clone> RecordingLink<T> {
    pub fn new() -> Self {
        RecordingLink {
            calls: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn calls(&self) -> Vec<Recorded<T>> {
        self.calls.lock().unwrap().clone()
    }

    pub fn records(&self) -> Vec<T> {
        self.calls()
            .into_iter()
            .filter_map(|call| match call {
                Recorded::Record(value, _) => Some(value),
                _ => None,
            })
            .collect()
    }

    pub fn timestamps(&self) -> Vec<Option<i64>> {
        self.calls()
            .into_iter()
            .filter_map(|call| match call {
                Recorded::Record(_, timestamp) => Some(timestamp),
                _ => None,
            })
            .collect()
    }

    pub fn watermarks(&self) -> Vec<i64> {
        self.calls()
            .into_iter()
            .filter_map(|call| match call {
                Recorded::Watermark(watermark) => Some(watermark),
                _ => None,
            })
            .collect()
    }

    pub fn statuses(&self) -> Vec<bool> {
        self.calls()
            .into_iter()
            .filter_map(|call| match call {
                Recorded::Idle(idle) => Some(idle),
                _ => None,
            })
            .collect()
    }

    pub fn clear(&self) {
        self.calls.lock().unwrap().clear();
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
        _barrier: &CheckpointBarrier,
        _snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, _checkpoint_id: u64) -> Result<(), WeirError> {
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.push(Recorded::Finish);
        Ok(())
    }
}

pub const UID: &str = "op-uid";

/// The setup of subtask `subtask` of `parallelism`, with config `pairs`.
pub fn setup(
    subtask: usize,
    parallelism: usize,
    restored: Option<OperatorSnapshot>,
    pairs: &[(&str, &str)],
) -> OperatorSetup {
    OperatorSetup {
        name: "test operator".into(),
        uid: UID.into(),
        subtask,
        parallelism,
        max_parallelism: 128,
        key_groups: KeyGroupRange::for_subtask(128, parallelism, subtask),
        restored,
        state_heap_budget_bytes: 1 << 20,
        managed_state: None,
        snapshot_spool: None,
        progress: Default::default(),
        config: Configuration::from_pairs(pairs.iter().copied()).unwrap(),
    }
}

pub fn barrier(id: u64) -> CheckpointBarrier {
    CheckpointBarrier {
        id,
        timestamp_ms: 0,
        kind: SnapshotKind::Checkpoint,
    }
}

/// The operator's snapshot for checkpoint `id`.
pub fn snapshot_source<T: weir::api::Data>(
    operator: &mut SourceOperator<T>,
    id: u64,
) -> OperatorSnapshot {
    let mut snapshot = TaskSnapshot::new();
    operator
        .snapshot_state(&barrier(id), &mut snapshot)
        .unwrap();
    snapshot.remove(UID).unwrap_or_default()
}

/// Polls until the end of the input (at most `max_polls`), then finishes. Processing time
/// advances by `step_ms` per poll from `start_ms`.
pub fn run_to_end<T: weir::api::Data>(
    operator: &mut SourceOperator<T>,
    out: &mut dyn ChainLink<T>,
    max_polls: usize,
) {
    for poll in 0..max_polls {
        match operator.poll(out, poll as i64 * 10).unwrap() {
            InputStatus::EndOfInput => {
                operator.finish(out).unwrap();
                return;
            }
            InputStatus::MoreAvailable => {}
            InputStatus::NothingAvailable { retry_after } => {
                std::thread::sleep(retry_after.min(std::time::Duration::from_millis(20)));
            }
        }
    }
    panic!("the source did not end within {max_polls} polls");
}
