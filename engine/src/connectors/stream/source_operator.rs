//! [`SourceOperator`]: runs a [`SourceReader`] in a source task, assigns timestamps and
//! generates per-split watermarks (Flink's `SourceOperator` with
//! `ProgressiveTimestampsAndWatermarks`).
//!
//! ```text
//!   task loop ──poll(out, now)──▶ reader.poll_next ──collect(split, value, ts)──▶ assigner
//!                                                                                   │ ts
//!                          per split: generator.on_event ──▶ WatermarkOutput[split] ◀┘
//!                                                              │
//!                   record (with ts) ──▶ out                   │ every auto-watermark-interval:
//!                                                              │ on_periodic_emit per split
//!                                      WatermarkOutputMultiplexer: min over active splits
//!                                            ──▶ out.process_watermark / process_watermark_status
//!   task loop ──snapshot_state(barrier)──▶ reader.snapshot_state ──▶ operator list state
//!                                          "splits" under the operator's uid
//!   EndOfInput ──finish(out)──▶ final watermark i64::MAX
//! ```
//!
//! Every split the reader holds has its own generator, so a split that is behind (or was just
//! added) holds the watermark back instead of making the records of other splits look late;
//! a split that finished or went idle (`with_idleness`) does not count. With no active split
//! (none at all, or all idle) the source subtask is idle. The status changes to active just
//! before the first record after an idle phase.
//!
//! The operator only calls `process_element`, `process_watermark` and
//! `process_watermark_status` on `out`; the task passes the other calls (snapshots, checkpoint
//! completion, processing time, `finish`) to the chain itself.

use std::sync::Arc;
use std::time::Duration;

use super::source::{InputStatus, ReaderOutput, Source, SourceReader};
use crate::api::Data;
use crate::checkpoint::OperatorListState;
use crate::checkpoint::RedistributeMode;
use crate::config::options::AUTO_WATERMARK_INTERVAL;
use crate::error::WeirError;
use crate::eventtime::{
    MAX_WATERMARK, TimestampAssigner, WatermarkGenerator, WatermarkOutputMultiplexer,
    WatermarkStrategy, WatermarkUpdate,
};
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::{ChainLink, OperatorSetup, TaskSnapshot};

/// The operator list state holding the reader's split states.
pub const SPLITS_STATE_NAME: &str = "splits";

/// See the module docs.
pub struct SourceOperator<T> {
    name: String,
    uid: String,
    state_mode: RedistributeMode,
    reader: Box<dyn SourceReader<T>>,
    strategy: WatermarkStrategy<T>,
    assigner: Arc<dyn TimestampAssigner<T>>,
    generators: Vec<Option<Box<dyn WatermarkGenerator<T>>>>,
    multiplexer: WatermarkOutputMultiplexer,
    interval_ms: i64,
    next_emit_ms: i64,
    ended: bool,
    records_emitted: u64,
}

impl<T> std::fmt::Debug for SourceOperator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceOperator")
            .field("name", &self.name)
            .field("uid", &self.uid)
            .field("records_emitted", &self.records_emitted)
            .finish_non_exhaustive()
    }
}

impl<T: Data> SourceOperator<T> {
    /// The operator of subtask `setup.subtask`: its splits come from `setup.restored`
    /// (operator list state "splits") or, at a fresh start, from
    /// `source.initial_splits(parallelism)[subtask]`.
    pub fn new(
        setup: &OperatorSetup,
        source: Arc<dyn Source<T>>,
        strategy: WatermarkStrategy<T>,
    ) -> Result<Self, WeirError> {
        let splits = match &setup.restored {
            Some(restored) => restored
                .operator
                .get(SPLITS_STATE_NAME)
                .map(|list| list.entries.clone())
                .unwrap_or_default(),
            None => source
                .initial_splits(setup.parallelism)?
                .into_iter()
                .nth(setup.subtask)
                .unwrap_or_default(),
        };
        let reader = source.create_reader(setup.subtask, setup.parallelism, splits)?;
        let interval = setup.config.get(&AUTO_WATERMARK_INTERVAL);
        let mut operator = SourceOperator {
            name: setup.name.clone(),
            uid: setup.uid.clone(),
            state_mode: source.split_state_mode(),
            assigner: strategy.timestamp_assigner(),
            strategy,
            generators: Vec::new(),
            multiplexer: WatermarkOutputMultiplexer::new(),
            interval_ms: i64::try_from(interval.as_millis()).unwrap_or(i64::MAX),
            next_emit_ms: i64::MIN,
            ended: false,
            records_emitted: 0,
            reader,
        };
        for split in 0..operator.reader.split_count() {
            add_split(
                &operator.strategy,
                &mut operator.generators,
                &mut operator.multiplexer,
                split,
            );
        }
        Ok(operator)
    }

    /// Polls the reader once: its records go to `out` with their timestamps, then the
    /// watermark (periodic generators every `pipeline.auto-watermark-interval` of processing
    /// time `now_ms`). `NothingAvailable` asks to come back no later than the next periodic
    /// watermark.
    pub fn poll(
        &mut self,
        out: &mut dyn ChainLink<T>,
        now_ms: i64,
    ) -> Result<InputStatus, WeirError> {
        if self.ended {
            return Ok(InputStatus::EndOfInput);
        }
        self.multiplexer.set_processing_time_ms(now_ms);
        let mut output = SourceOutput {
            out: &mut *out,
            assigner: &*self.assigner,
            strategy: &self.strategy,
            generators: &mut self.generators,
            multiplexer: &mut self.multiplexer,
            emit_per_record: self.interval_ms == 0,
            records: 0,
        };
        let status = self.reader.poll_next(&mut output)?;
        self.records_emitted += output.records;
        if now_ms >= self.next_emit_ms {
            for (split, watermarks) in self.multiplexer.live_outputs() {
                if let Some(Some(generator)) = self.generators.get_mut(split) {
                    generator.on_periodic_emit(watermarks);
                }
            }
            self.next_emit_ms = now_ms.saturating_add(self.interval_ms);
        }
        let update = self.multiplexer.update_combined();
        emit_update(out, update)?;
        Ok(match status {
            InputStatus::NothingAvailable { retry_after } if self.interval_ms > 0 => {
                let until_emit_ms = self.next_emit_ms.saturating_sub(now_ms).max(1);
                InputStatus::NothingAvailable {
                    retry_after: retry_after.min(Duration::from_millis(until_emit_ms as u64)),
                }
            }
            other => other,
        })
    }

    /// Writes the reader's split states under the operator's uid (operator list state
    /// "splits").
    pub fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        let entries = self.reader.snapshot_state(barrier.id)?;
        snapshot
            .entry(self.uid.clone())
            .or_default()
            .operator
            .insert(
                SPLITS_STATE_NAME.to_owned(),
                OperatorListState {
                    mode: self.state_mode,
                    entries,
                },
            );
        Ok(())
    }

    pub fn notify_checkpoint_complete(&mut self, id: u64) -> Result<(), WeirError> {
        self.reader.notify_checkpoint_complete(id)
    }

    /// Called once the reader reported `EndOfInput`: emits the final watermark `i64::MAX`
    /// (active first if the source was idle). Calling it again does nothing.
    pub fn finish(&mut self, out: &mut dyn ChainLink<T>) -> Result<(), WeirError> {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        if self.multiplexer.is_idle() {
            out.process_watermark_status(false)?;
        }
        out.process_watermark(MAX_WATERMARK)
    }

    /// The operator's name (from its setup).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Records emitted so far.
    pub fn records_emitted(&self) -> u64 {
        self.records_emitted
    }

    /// Bad records the reader skipped so far.
    pub fn skipped_records(&self) -> u64 {
        self.reader.skipped_records()
    }

    /// The watermark emitted last (`i64::MIN` if none).
    pub fn current_watermark(&self) -> i64 {
        if self.ended {
            MAX_WATERMARK
        } else {
            self.multiplexer.combined_watermark()
        }
    }

    /// Whether the source subtask is idle (no active split).
    pub fn is_idle(&self) -> bool {
        self.multiplexer.is_idle()
    }

    /// When the next periodic watermark is due (processing time), `None` after the end.
    pub fn next_periodic_emit_ms(&self) -> Option<i64> {
        (!self.ended).then_some(self.next_emit_ms)
    }
}

/// Gives split `split` a generator and a registered output.
fn add_split<T: 'static>(
    strategy: &WatermarkStrategy<T>,
    generators: &mut Vec<Option<Box<dyn WatermarkGenerator<T>>>>,
    multiplexer: &mut WatermarkOutputMultiplexer,
    split: usize,
) {
    if split >= generators.len() {
        generators.resize_with(split + 1, || None);
    }
    if generators[split].is_none() {
        generators[split] = Some(strategy.create_generator());
    }
    multiplexer.register(split);
}

/// Passes a combined update downstream: active before the watermark, idle after it.
fn emit_update<T>(out: &mut dyn ChainLink<T>, update: WatermarkUpdate) -> Result<(), WeirError> {
    if update.idle == Some(false) {
        out.process_watermark_status(false)?;
    }
    if let Some(watermark) = update.watermark {
        out.process_watermark(watermark)?;
    }
    if update.idle == Some(true) {
        out.process_watermark_status(true)?;
    }
    Ok(())
}

/// The [`ReaderOutput`] of one poll.
struct SourceOutput<'a, T> {
    out: &'a mut dyn ChainLink<T>,
    assigner: &'a dyn TimestampAssigner<T>,
    strategy: &'a WatermarkStrategy<T>,
    generators: &'a mut Vec<Option<Box<dyn WatermarkGenerator<T>>>>,
    multiplexer: &'a mut WatermarkOutputMultiplexer,
    emit_per_record: bool,
    records: u64,
}

impl<T: 'static> ReaderOutput<T> for SourceOutput<'_, T> {
    #[inline]
    fn collect(&mut self, split: usize, value: T, timestamp: Option<i64>) -> Result<(), WeirError> {
        let timestamp = self.assigner.extract_timestamp(&value, timestamp);
        if !matches!(self.generators.get(split), Some(Some(_))) {
            add_split(self.strategy, self.generators, self.multiplexer, split);
        }
        let generator = self.generators[split]
            .as_mut()
            .expect("the split got a generator just above");
        let watermarks = self.multiplexer.output(split);
        generator.on_event(&value, timestamp, watermarks);
        if self.emit_per_record {
            generator.on_periodic_emit(watermarks);
        }
        let mut after = WatermarkUpdate::default();
        if self.multiplexer.is_idle() {
            // Active again: say so before the record; its watermark goes after it.
            let update = self.multiplexer.update_combined();
            if update.idle == Some(false) {
                self.out.process_watermark_status(false)?;
            }
            after.watermark = update.watermark;
        }
        self.records += 1;
        self.out.process_element(value, Some(timestamp))?;
        if self.emit_per_record {
            let update = self.multiplexer.update_combined();
            after.watermark = update.watermark.or(after.watermark);
            after.idle = update.idle;
        }
        if !after.is_empty() {
            emit_update(self.out, after)?;
        }
        Ok(())
    }

    fn split_finished(&mut self, split: usize) {
        if let Some(generator) = self.generators.get_mut(split) {
            *generator = None;
        }
        self.multiplexer.release(split);
    }

    fn split_added(&mut self, split: usize) {
        add_split(self.strategy, self.generators, self.multiplexer, split);
    }
}
