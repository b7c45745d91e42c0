//! [`Source`] and [`SourceReader`]: split-based streaming sources whose reading position is
//! part of every checkpoint (Flink's FLIP-27 `Source`, without a remote enumerator: the splits
//! are cut once, before the job runs, and handed to the subtasks).
//!
//! ```text
//!   fresh start:  Source::initial_splits(p) ──▶ [subtask 0: [split, …], subtask 1: […], …]
//!   restore:      operator list state "splits" of the checkpoint ──▶ this subtask's splits
//!                         │ (each split's state as bytes: which data, and where to go on)
//!                         ▼
//!   Source::create_reader(subtask, p, splits) ──▶ SourceReader
//!        poll_next(out) ──▶ ReaderOutput::collect(split index, value, timestamp)  (a batch)
//!                       ──▶ ReaderOutput::split_finished(split index)
//!                       ◀── MoreAvailable | NothingAvailable { retry_after } | EndOfInput
//!        snapshot_state(id) ──▶ the state of every split held, positioned after the last
//!                               record emitted
//! ```
//!
//! A split's state is opaque bytes to the runtime; only its source decodes it. Exactly-once
//! holds because the position in a checkpoint is exactly after the records emitted before the
//! barrier, and records after it are emitted again on restore.

use std::time::Duration;

use crate::checkpoint::RedistributeMode;
use crate::error::WeirError;

/// A split-based source. See the module docs.
pub trait Source<T>: Send + Sync {
    /// A name for errors and metrics ("TextLineSource(/data/in)").
    fn name(&self) -> String;

    /// Whether the input ends (bounded sources end with the final watermark `i64::MAX`).
    fn is_bounded(&self) -> bool;

    /// The splits for `parallelism` readers at a fresh start, per subtask, each split's state
    /// encoded. A missing input fails here, before anything runs.
    fn initial_splits(&self, parallelism: usize) -> Result<Vec<Vec<Vec<u8>>>, WeirError>;

    /// The reader of subtask `subtask` (of `parallelism`) over `splits` (encoded split states:
    /// from [`initial_splits`](Self::initial_splits) or from a checkpoint).
    fn create_reader(
        &self,
        subtask: usize,
        parallelism: usize,
        splits: Vec<Vec<u8>>,
    ) -> Result<Box<dyn SourceReader<T>>, WeirError>;

    /// How the split states of a checkpoint are handed out on restore: `Split` (each split to
    /// one subtask, the default) or `Union` (every subtask gets every split state and keeps
    /// the ones it owns, e.g. a monitoring file source whose files belong to subtasks by hash).
    fn split_state_mode(&self) -> RedistributeMode {
        RedistributeMode::Split
    }
}

/// Reads the splits of one subtask. See the module docs.
pub trait SourceReader<T>: Send {
    /// Emits what is available now (a bounded batch, e.g. up to a few thousand records) into
    /// `output`.
    fn poll_next(&mut self, output: &mut dyn ReaderOutput<T>) -> Result<InputStatus, WeirError>;

    /// The encoded state of every split this reader holds, positioned after the last record
    /// emitted.
    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<Vec<u8>>, WeirError>;

    /// How many splits the reader holds: they have the indices `0..split_count()` in
    /// [`ReaderOutput`] calls (finished ones included). Each split holds back the watermark
    /// until it finishes or goes idle; a reader with none is idle.
    fn split_count(&self) -> usize;

    /// Bad records skipped so far (sources that can skip them, e.g. CSV with
    /// `skip_bad_records`).
    fn skipped_records(&self) -> u64 {
        0
    }

    /// Checkpoint `checkpoint_id` completed.
    fn notify_checkpoint_complete(&mut self, _checkpoint_id: u64) -> Result<(), WeirError> {
        Ok(())
    }
}

/// Where a [`SourceReader`] emits.
pub trait ReaderOutput<T> {
    /// One record of the split at index `split` among the reader's splits, with the timestamp
    /// the source gives it (if any).
    fn collect(&mut self, split: usize, value: T, timestamp: Option<i64>) -> Result<(), WeirError>;

    /// The split at index `split` has no more records: it no longer holds back the watermark.
    fn split_finished(&mut self, split: usize);

    /// The reader took a new split at index `split` after it was created (a monitoring source
    /// found a new file): it holds back the watermark from now on, even before its first
    /// record.
    fn split_added(&mut self, _split: usize) {}
}

/// What [`SourceReader::poll_next`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputStatus {
    /// More records are available now: poll again.
    MoreAvailable,
    /// Nothing now; poll again after `retry_after` (or earlier for a checkpoint).
    NothingAvailable { retry_after: Duration },
    /// The input ended: call [`SourceOperator::finish`](super::SourceOperator::finish).
    EndOfInput,
}
