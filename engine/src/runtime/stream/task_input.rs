//! [`TaskInput`]: the input side of a non-source streaming task, and [`InputProcessor`], its
//! typed implementation (Flink's `StreamOneInputProcessor` with its watermark valve and
//! checkpoint barrier handler).
//!
//! ```text
//!  RecordReader::next_element ─┬─ Record ──────────────▶ head.process_element
//!                              ├─ Watermark / Idle ────▶ WatermarkValve ─▶ head.process_watermark(_status)
//!                              ├─ Barrier ─────────────▶ BarrierAlignment ─▶ block channel | snapshot + ack
//!                              ├─ ChannelEnded ────────▶ valve + alignment
//!                              └─ Timeout / Finished ──▶ back to the task loop
//! ```

use std::time::{Duration, Instant};

use crate::error::WeirError;
use crate::runtime::network::{ChannelEvent, CheckpointBarrier, ReaderItem, RecordReader};
use crate::runtime::stream::barrier_alignment::{AlignmentAction, BarrierAlignment};
use crate::runtime::stream::chain_control::ChainControl;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};
use crate::runtime::stream::processing_time::processing_time_now;
use crate::runtime::stream::stream_record::StreamRecordSerializer;
use crate::runtime::stream::task_report::TaskReporter;
use crate::runtime::stream::watermark_valve::{ValveOutput, WatermarkValve};
use crate::types::TypeSerializer;

/// Items handled per call before the task loop looks at its mailbox and timers again.
const ITEMS_PER_CALL: usize = 4096;

/// Where a task input stands after a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputState {
    /// More may come.
    Open,
    /// Every channel ended.
    Finished,
}

/// The input side of a task (untyped, for the task loop).
pub(crate) trait TaskInput {
    /// Processes what arrives within `max_wait` (at most a batch of items).
    fn process(
        &mut self,
        reporter: &TaskReporter,
        max_wait: Duration,
    ) -> Result<InputState, WeirError>;

    /// The chain the input feeds.
    fn chain(&mut self) -> &mut dyn ChainControl;

    /// Records read so far.
    fn records_in(&self) -> u64;

    /// Time spent waiting for input.
    fn idle_time(&self) -> Duration;

    /// The watermark lag when the last watermark (before the final one) passed the valve.
    fn watermark_lag_ms(&self) -> Option<i64>;
}

/// The typed input processor. See the module docs.
pub(crate) struct InputProcessor<S: TypeSerializer> {
    reader: RecordReader<StreamRecordSerializer<S>>,
    head: Box<dyn ChainLink<S::Value>>,
    valve: WatermarkValve,
    alignment: BarrierAlignment,
    watermark_lag_ms: Option<i64>,
}

impl<S: TypeSerializer> InputProcessor<S> {
    pub(crate) fn new(
        reader: RecordReader<StreamRecordSerializer<S>>,
        head: Box<dyn ChainLink<S::Value>>,
        exactly_once: bool,
    ) -> InputProcessor<S> {
        let channels = reader.num_channels();
        InputProcessor {
            reader,
            head,
            valve: WatermarkValve::new(channels),
            alignment: BarrierAlignment::new(channels, exactly_once),
            watermark_lag_ms: None,
        }
    }

    fn pass_valve(&mut self, output: ValveOutput) -> Result<(), WeirError> {
        if output.idle == Some(false) {
            self.head.as_mut().process_watermark_status(false)?;
        }
        if let Some(watermark) = output.watermark {
            if watermark != i64::MAX {
                // One clock read per watermark (watermarks come every auto-watermark interval).
                self.watermark_lag_ms = Some(processing_time_now().saturating_sub(watermark));
            }
            self.head.as_mut().process_watermark(watermark)?;
        }
        if output.idle == Some(true) {
            self.head.as_mut().process_watermark_status(true)?;
        }
        Ok(())
    }

    fn act(
        &mut self,
        channel: usize,
        action: AlignmentAction,
        reporter: &TaskReporter,
    ) -> Result<(), WeirError> {
        match action {
            AlignmentAction::Wait { block } => {
                if block {
                    self.reader.block_channel(channel);
                }
                Ok(())
            }
            AlignmentAction::Snapshot { barrier, alignment } => {
                self.snapshot(barrier, alignment, reporter)?;
                self.reader.unblock_all_channels();
                Ok(())
            }
            AlignmentAction::Abort { aborted, then } => {
                reporter.decline(
                    aborted,
                    "a newer checkpoint barrier arrived before it was aligned".to_owned(),
                );
                self.reader.unblock_all_channels();
                self.act(channel, *then, reporter)
            }
            AlignmentAction::Ignore => Ok(()),
        }
    }

    fn snapshot(
        &mut self,
        barrier: CheckpointBarrier,
        alignment: Duration,
        reporter: &TaskReporter,
    ) -> Result<(), WeirError> {
        let mut snapshot = TaskSnapshot::new();
        self.head.as_mut().snapshot_state(&barrier, &mut snapshot)?;
        reporter.acknowledge(barrier, snapshot, alignment);
        Ok(())
    }
}

impl<S: TypeSerializer> TaskInput for InputProcessor<S> {
    fn process(
        &mut self,
        reporter: &TaskReporter,
        max_wait: Duration,
    ) -> Result<InputState, WeirError> {
        let deadline = Instant::now() + max_wait;
        for _ in 0..ITEMS_PER_CALL {
            match self.reader.next_element_until(deadline)? {
                ReaderItem::Record { value, .. } => {
                    self.head.process_element(value.value, value.timestamp)?;
                }
                ReaderItem::Event { channel, event } => match event {
                    ChannelEvent::Watermark(watermark) => {
                        let output = self.valve.input_watermark(channel, watermark);
                        self.pass_valve(output)?;
                    }
                    ChannelEvent::Idle(idle) => {
                        let output = self.valve.input_status(channel, idle);
                        self.pass_valve(output)?;
                    }
                    ChannelEvent::Barrier(barrier) => {
                        let action = self.alignment.on_barrier(channel, barrier);
                        self.act(channel, action, reporter)?;
                    }
                },
                ReaderItem::ChannelEnded { channel } => {
                    let output = self.valve.channel_ended(channel);
                    self.pass_valve(output)?;
                    if let Some(action) = self.alignment.channel_ended(channel) {
                        self.act(channel, action, reporter)?;
                    }
                }
                ReaderItem::Timeout => return Ok(InputState::Open),
                ReaderItem::Finished => return Ok(InputState::Finished),
            }
        }
        Ok(InputState::Open)
    }

    fn chain(&mut self) -> &mut dyn ChainControl {
        &mut self.head
    }

    fn records_in(&self) -> u64 {
        self.reader.records_in()
    }

    fn idle_time(&self) -> Duration {
        self.reader.idle_time()
    }

    fn watermark_lag_ms(&self) -> Option<i64> {
        self.watermark_lag_ms
    }
}
