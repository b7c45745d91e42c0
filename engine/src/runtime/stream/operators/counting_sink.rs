//! [`CountingSink`]: counts the records a sink takes into the job's progress (the "records
//! written by the sinks" of the end-of-job summary), in batches so that sink subtasks on
//! different cores do not share a counter's cache line per record.
//!
//! ```text
//!   record ──▶ CountingSink { pending += 1 } ──▶ the sink
//!                   └─ every COUNT_BATCH records, at finish and when dropped:
//!                      JobProgress::add_records_written(pending)
//! ```
//!
//! It counts what reaches the sink (Flink's `numRecordsIn` of a sink operator): after a restart
//! from a checkpoint the replayed records count again, like Flink's metric.

use std::sync::Arc;

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::progress::JobProgress;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};

/// Records counted locally before they are added to the job's progress.
const COUNT_BATCH: u64 = 4096;

/// A sink that counts its records. See the module docs.
pub(crate) struct CountingSink<L> {
    sink: L,
    progress: Arc<JobProgress>,
    pending: u64,
}

impl<L> CountingSink<L> {
    pub(crate) fn new(sink: L, progress: &Arc<JobProgress>) -> CountingSink<L> {
        CountingSink {
            sink,
            progress: Arc::clone(progress),
            pending: 0,
        }
    }

    fn publish(&mut self) {
        if self.pending > 0 {
            self.progress.add_records_written(self.pending);
            self.pending = 0;
        }
    }
}

impl<L> Drop for CountingSink<L> {
    fn drop(&mut self) {
        self.publish();
    }
}

impl<T, L: ChainLink<T>> ChainLink<T> for CountingSink<L> {
    #[inline]
    fn process_element(&mut self, value: T, timestamp: Option<i64>) -> Result<(), WeirError> {
        self.pending += 1;
        if self.pending == COUNT_BATCH {
            self.publish();
        }
        self.sink.process_element(value, timestamp)
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.sink.process_watermark(watermark)
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.sink.process_watermark_status(idle)
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        self.sink.on_processing_time(now_ms)
    }

    fn next_processing_time(&self) -> Option<i64> {
        self.sink.next_processing_time()
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.sink.snapshot_state(barrier, snapshot)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.sink.notify_checkpoint_complete(checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.publish();
        self.sink.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::stream::test_link::RecordingLink;

    #[test]
    fn every_record_is_counted_once_by_finish_or_drop() {
        let progress = Arc::new(JobProgress::default());
        let mut sink = CountingSink::new(RecordingLink::<u32>::new(), &progress);
        for value in 0..10_000 {
            sink.process_element(value, None).unwrap();
        }
        assert_eq!(progress.records_written(), 2 * COUNT_BATCH);
        sink.finish().unwrap();
        assert_eq!(progress.records_written(), 10_000);
        let mut other = CountingSink::new(RecordingLink::<u32>::new(), &progress);
        other.process_element(1, None).unwrap();
        drop(other);
        assert_eq!(progress.records_written(), 10_001);
    }
}
