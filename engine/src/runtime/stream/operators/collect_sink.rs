//! [`CollectSink`]: hands a job's records back to the program (Flink's `executeAndCollect`),
//! exactly once: records are held per checkpoint and published to the shared result only when
//! that checkpoint completes (or at the final commit of a bounded job), so records replayed
//! after a restart never show up twice.
//!
//! ```text
//!   records ──▶ open ──snapshot(n)──▶ sealed[n] ──checkpoint n complete──▶ shared result
//!                 └──────────────── final commit ────────────────────────▶ shared result
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};

/// The result every subtask of a collect sink publishes into.
pub(crate) type CollectedRecords<T> = Arc<Mutex<Vec<T>>>;

pub(crate) struct CollectSink<T> {
    open: Vec<T>,
    sealed: Vec<(u64, Vec<T>)>,
    result: CollectedRecords<T>,
}

impl<T> CollectSink<T> {
    pub(crate) fn new(result: CollectedRecords<T>) -> CollectSink<T> {
        CollectSink {
            open: Vec::new(),
            sealed: Vec::new(),
            result,
        }
    }

    fn publish(&mut self, records: Vec<T>) {
        self.result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(records);
    }
}

impl<T> ChainLink<T> for CollectSink<T> {
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
        _snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        let records = std::mem::take(&mut self.open);
        self.sealed.push((barrier.id, records));
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.sealed)
            .into_iter()
            .partition(|(id, _)| *id <= checkpoint_id);
        self.sealed = waiting;
        for (_, records) in done {
            self.publish(records);
        }
        if checkpoint_id == crate::runtime::stream::stream_task::FINAL_COMMIT {
            let records = std::mem::take(&mut self.open);
            self.publish(records);
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
    use crate::runtime::network::SnapshotKind;
    use crate::runtime::stream::stream_task::FINAL_COMMIT;

    fn barrier(id: u64) -> CheckpointBarrier {
        CheckpointBarrier {
            id,
            timestamp_ms: 0,
            kind: SnapshotKind::Checkpoint,
        }
    }

    #[test]
    fn records_appear_only_when_their_checkpoint_completes() {
        let result = CollectedRecords::default();
        let mut sink = CollectSink::new(Arc::clone(&result));
        sink.process_element(1, None).unwrap();
        sink.snapshot_state(&barrier(1), &mut TaskSnapshot::new())
            .unwrap();
        sink.process_element(2, None).unwrap();
        sink.snapshot_state(&barrier(2), &mut TaskSnapshot::new())
            .unwrap();
        sink.process_element(3, None).unwrap();
        assert!(result.lock().unwrap().is_empty());
        sink.notify_checkpoint_complete(1).unwrap();
        assert_eq!(*result.lock().unwrap(), vec![1]);
        sink.notify_checkpoint_complete(FINAL_COMMIT).unwrap();
        assert_eq!(*result.lock().unwrap(), vec![1, 2, 3]);
    }
}
