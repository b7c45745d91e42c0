//! [`ChainLink`]: the input of one operator of a streaming task's chain.
//!
//! ```text
//!   head ──▶ link(map) ──▶ link(window) ──▶ link(tee) ──▶ link(writer: buffers ══▶)
//!                                                   └──▶ link(sink)
//! ```
//!
//! Every call enters at the head and each link handles it for its own operator, then passes
//! it on to the links it owns:
//!
//! | call | the operator | then |
//! |---|---|---|
//! | `process_element` | processes one record | emits zero or more records downstream |
//! | `process_watermark` | fires event-time timers `<= watermark` | forwards the watermark |
//! | `process_watermark_status` | nothing | forwards idle / active |
//! | `on_processing_time` | fires processing-time timers `<= now` | forwards the call |
//! | `next_processing_time` | its earliest processing-time timer | min with downstream's |
//! | `snapshot_state` | writes its state into the task snapshot under its uid | forwards (the writer emits the barrier) |
//! | `notify_checkpoint_complete` | commits what the checkpoint covered (2PC sinks) | forwards |
//! | `finish` | end of input: emits what it still holds | forwards |
//!
//! Timestamps are milliseconds (event time); `None` for records without one. Watermarks are
//! milliseconds too; `i64::MAX` is the final watermark of a bounded input.

use std::collections::BTreeMap;
use std::sync::Arc;

use weir_memory::IoManager;

use crate::checkpoint::OperatorSnapshot;
use crate::config::Configuration;
use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::progress::JobProgress;
use crate::state::key_group::KeyGroupRange;
use crate::state::managed::ManagedStateSetup;

/// The state of one task at a checkpoint: operator uid ──▶ its snapshot.
pub type TaskSnapshot = BTreeMap<String, OperatorSnapshot>;

/// The input of one operator of a chain. See the module docs.
pub trait ChainLink<T> {
    /// One record.
    fn process_element(&mut self, value: T, timestamp: Option<i64>) -> Result<(), WeirError>;

    /// The task's watermark advanced to `watermark`.
    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError>;

    /// The input became idle (`true`: its watermark must not hold back downstream operators)
    /// or active again (`false`). Operators pass it on unchanged.
    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError>;

    /// Processing time is now `now_ms` (milliseconds since the epoch).
    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError>;

    /// The earliest processing-time timer of this link and its downstream links.
    fn next_processing_time(&self) -> Option<i64>;

    /// Writes the operator's state for `barrier` into `snapshot`, then passes the call on.
    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError>;

    /// Checkpoint `checkpoint_id` is complete (every task acknowledged, metadata written).
    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError>;

    /// The end of the input (after the final watermark): emit what is held, pass it on.
    fn finish(&mut self) -> Result<(), WeirError>;
}

impl<T> ChainLink<T> for Box<dyn ChainLink<T>> {
    #[inline]
    fn process_element(&mut self, value: T, timestamp: Option<i64>) -> Result<(), WeirError> {
        (**self).process_element(value, timestamp)
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        (**self).process_watermark(watermark)
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        (**self).process_watermark_status(idle)
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        (**self).on_processing_time(now_ms)
    }

    fn next_processing_time(&self) -> Option<i64> {
        (**self).next_processing_time()
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        (**self).snapshot_state(barrier, snapshot)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        (**self).notify_checkpoint_complete(checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        (**self).finish()
    }
}

/// What an operator gets when its task creates it.
#[derive(Debug, Clone)]
pub struct OperatorSetup {
    /// The operator's name, for errors and metrics ("Window(TumblingEventTimeWindows)").
    pub name: String,
    /// The key its state is stored under in checkpoints (stable across runs).
    pub uid: String,
    pub subtask: usize,
    pub parallelism: usize,
    /// `pipeline.max-parallelism`: the number of key groups.
    pub max_parallelism: u32,
    /// The key groups this subtask owns.
    pub key_groups: KeyGroupRange,
    /// The state to start from (restore), already redistributed to this subtask.
    pub restored: Option<OperatorSnapshot>,
    /// Heap bytes keyed state of this operator may hold (hashmap backend).
    pub state_heap_budget_bytes: u64,
    /// `state.backend.type: managed`: the job's managed memory and spill directories, and this
    /// operator subtask's share; `None`: the hashmap backend.
    pub managed_state: Option<ManagedStateSetup>,
    /// Where keyed snapshots spool their sections (the job's IoManager), so that taking a
    /// snapshot never holds a second copy of the state in memory; `None`: in memory.
    pub snapshot_spool: Option<Arc<IoManager>>,
    /// The job's progress counters (sinks add the records they take).
    pub progress: Arc<JobProgress>,
    pub config: Configuration,
}

#[cfg(test)]
impl OperatorSetup {
    /// The setup of subtask 0 of 1 owning every key group, for unit tests of operators.
    pub(crate) fn for_test(name: &str, restored: Option<OperatorSnapshot>) -> OperatorSetup {
        OperatorSetup {
            name: name.to_owned(),
            uid: name.to_owned(),
            subtask: 0,
            parallelism: 1,
            max_parallelism: 128,
            key_groups: KeyGroupRange::all(128),
            restored,
            state_heap_budget_bytes: u64::MAX,
            managed_state: None,
            snapshot_spool: None,
            progress: Default::default(),
            config: Configuration::defaults(),
        }
    }
}
