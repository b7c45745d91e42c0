//! [`CollectSink`]: hands a job's records back to the program (Flink's `executeAndCollect`),
//! exactly once, as a two-phase-commit sink whose "external system" is a shared vector.
//!
//! ```text
//!   records ──▶ open ──snapshot(n)──▶ sealed[n] ──▶ operator state (so a restore knows it)
//!                                        │ checkpoint n complete, or restored from n
//!                                        ▼
//!                       shared result: publish batch (subtask, n) once
//!   end of a bounded job (final commit): open records published as batch (subtask, FINAL)
//! ```
//!
//! Records a restarted job replays were never published (they came after the checkpoint it
//! restored), and a batch whose checkpoint completed is published exactly once: on its
//! notification, or — when the notification was lost to a failure — when the job restores
//! from that checkpoint (the batches are in the restored state; publishing is idempotent by
//! `(subtask, checkpoint)`, like a transactional sink's commit by transaction id). The shared
//! result lives in the program, so this holds within one job (its restarts), not across
//! separate runs of a program.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use crate::api::Data;
use crate::checkpoint::{OperatorListState, OperatorSnapshot, RedistributeMode};
use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, OperatorSetup, TaskSnapshot};
use crate::runtime::stream::stream_task::FINAL_COMMIT;
use crate::state::state_bytes::{read_with, write_with};
use crate::types::TypeSerializer;

/// Operator list state of the sink: one entry per sealed batch.
const COLLECT_STATE_NAME: &str = "collect-sink";

/// What every subtask of a collect sink publishes into.
#[derive(Debug)]
pub(crate) struct CollectedRecords<T> {
    records: Vec<T>,
    /// Batches published so far: (subtask, checkpoint id).
    published: HashSet<(u64, u64)>,
}

impl<T> Default for CollectedRecords<T> {
    fn default() -> Self {
        CollectedRecords {
            records: Vec::new(),
            published: HashSet::new(),
        }
    }
}

impl<T: Clone> CollectedRecords<T> {
    pub(crate) fn records(&self) -> Vec<T> {
        self.records.clone()
    }
}

/// The shared result of a collect sink.
pub(crate) type SharedCollected<T> = Arc<Mutex<CollectedRecords<T>>>;

/// A batch of records of one checkpoint of one subtask.
struct Batch<T> {
    subtask: u64,
    checkpoint_id: u64,
    records: Vec<T>,
}

pub(crate) struct CollectSink<T: Data> {
    uid: String,
    subtask: u64,
    open: Vec<T>,
    sealed: Vec<Batch<T>>,
    result: SharedCollected<T>,
}

impl<T: Data> CollectSink<T> {
    /// A sink subtask; when restoring, the batches in the restored state are published (they
    /// belong to a completed checkpoint).
    pub(crate) fn new(
        setup: &OperatorSetup,
        result: SharedCollected<T>,
    ) -> Result<Self, WeirError> {
        let sink = CollectSink {
            uid: setup.uid.clone(),
            subtask: setup.subtask as u64,
            open: Vec::new(),
            sealed: Vec::new(),
            result,
        };
        if let Some(restored) = &setup.restored
            && let Some(state) = restored.operator.get(COLLECT_STATE_NAME)
        {
            for entry in &state.entries {
                sink.publish(decode_batch::<T>(entry, &setup.name)?);
            }
        }
        Ok(sink)
    }

    fn publish(&self, batch: Batch<T>) {
        let mut result = self.result.lock().unwrap_or_else(PoisonError::into_inner);
        if result
            .published
            .insert((batch.subtask, batch.checkpoint_id))
        {
            result.records.extend(batch.records);
        }
    }
}

fn encode_batch<T: Data>(batch: &Batch<T>) -> Result<Vec<u8>, WeirError> {
    let serializer = T::serializer();
    let mut bytes = Vec::new();
    write_with(&mut bytes, |view| {
        let write = |error| WeirError::Memory(error);
        view.write_var_u64(batch.subtask).map_err(write)?;
        view.write_var_u64(batch.checkpoint_id).map_err(write)?;
        view.write_var_u64(batch.records.len() as u64)
            .map_err(write)?;
        for record in &batch.records {
            serializer.serialize(record, view)?;
        }
        Ok(())
    })?;
    Ok(bytes)
}

fn decode_batch<T: Data>(bytes: &[u8], operator: &str) -> Result<Batch<T>, WeirError> {
    let serializer = T::serializer();
    let corrupt = |problem: String| WeirError::CorruptSnapshot {
        what: format!("the collect sink state of {operator}"),
        problem,
    };
    read_with(bytes, |view| {
        let subtask = view.read_var_u64().map_err(|e| corrupt(e.to_string()))?;
        let checkpoint_id = view.read_var_u64().map_err(|e| corrupt(e.to_string()))?;
        let count = view.read_var_u64().map_err(|e| corrupt(e.to_string()))?;
        let mut records = Vec::new();
        for _ in 0..count {
            records.push(serializer.deserialize(view)?);
        }
        Ok(Batch {
            subtask,
            checkpoint_id,
            records,
        })
    })
}

impl<T: Data> ChainLink<T> for CollectSink<T> {
    fn process_element(&mut self, value: T, _timestamp: Option<i64>) -> Result<(), WeirError> {
        self.open.push(value);
        Ok(())
    }

    fn process_watermark(&mut self, _watermark: i64) -> Result<(), WeirError> {
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
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.sealed.push(Batch {
            subtask: self.subtask,
            checkpoint_id: barrier.id,
            records: std::mem::take(&mut self.open),
        });
        let entries = self
            .sealed
            .iter()
            .map(encode_batch)
            .collect::<Result<Vec<_>, _>>()?;
        let mut state = OperatorSnapshot::default();
        state.operator.insert(
            COLLECT_STATE_NAME.to_owned(),
            OperatorListState {
                mode: RedistributeMode::Union,
                entries,
            },
        );
        snapshot.insert(self.uid.clone(), state);
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.sealed)
            .into_iter()
            .partition(|batch| batch.checkpoint_id <= checkpoint_id);
        self.sealed = waiting;
        for batch in done {
            self.publish(batch);
        }
        if checkpoint_id == FINAL_COMMIT {
            let records = std::mem::take(&mut self.open);
            self.publish(Batch {
                subtask: self.subtask,
                checkpoint_id: FINAL_COMMIT,
                records,
            });
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Configuration;
    use crate::runtime::network::SnapshotKind;
    use crate::state::key_group::KeyGroupRange;

    fn barrier(id: u64) -> CheckpointBarrier {
        CheckpointBarrier {
            id,
            timestamp_ms: 0,
            kind: SnapshotKind::Checkpoint,
        }
    }

    fn setup(restored: Option<OperatorSnapshot>) -> OperatorSetup {
        OperatorSetup {
            name: "Collect Sink".into(),
            uid: "collect".into(),
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

    #[test]
    fn records_appear_once_when_their_checkpoint_completes_or_is_restored() {
        let result = SharedCollected::<u64>::default();
        let mut sink = CollectSink::new(&setup(None), Arc::clone(&result)).unwrap();
        sink.process_element(1, None).unwrap();
        let mut first = TaskSnapshot::new();
        sink.snapshot_state(&barrier(1), &mut first).unwrap();
        sink.process_element(2, None).unwrap();
        let mut second = TaskSnapshot::new();
        sink.snapshot_state(&barrier(2), &mut second).unwrap();
        sink.process_element(3, None).unwrap();
        assert!(result.lock().unwrap().records.is_empty());
        sink.notify_checkpoint_complete(1).unwrap();
        assert_eq!(result.lock().unwrap().records, vec![1]);
        // Checkpoint 2 completed but its notification is lost to a failure: the restore from
        // it publishes batch 2, and batch 1 (also in the state) not again. Record 3 came after
        // the checkpoint: it is replayed by the source, not published.
        drop(sink);
        let restored = second.remove("collect").unwrap();
        let mut sink = CollectSink::new(&setup(Some(restored)), Arc::clone(&result)).unwrap();
        assert_eq!(result.lock().unwrap().records, vec![1, 2]);
        sink.process_element(3, None).unwrap();
        sink.notify_checkpoint_complete(FINAL_COMMIT).unwrap();
        assert_eq!(result.lock().unwrap().records, vec![1, 2, 3]);
    }
}
