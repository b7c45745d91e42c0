//! [`StreamTask`]: the loop of one streaming subtask on its thread (Flink's `StreamTask` with
//! its mailbox processor).
//!
//! ```text
//!  loop:
//!    mailbox: Cancel ─▶ stop │ TriggerCheckpoint (sources) ─▶ snapshot + ack │ CheckpointComplete ─▶ commit
//!    processing time reached the chain's next timer ─▶ chain.on_processing_time(now)
//!    execution.buffer-timeout passed ─▶ flush partly filled buffers
//!    input: source poll │ gate items (bounded wait, so the mailbox is read at least every 20 ms)
//!  end of input ─▶ chain.finish() (writers end their partitions) ─▶ report EndOfInput
//!  wait for the final commit (CheckpointComplete(FINAL_COMMIT)) ─▶ sinks commit ─▶ thread ends
//! ```
//!
//! The final commit is the executor's word that every task of the job reached the end of its
//! input: only then may two-phase-commit sinks publish what they wrote after the last
//! checkpoint (Flink's final checkpoint of bounded jobs). A failure before that restarts the
//! job from its last checkpoint and nothing written since becomes visible.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::connectors::stream::InputStatus;
use crate::error::WeirError;
use crate::runtime::mailbox::{Mailbox, TaskEvent};
use crate::runtime::network::ResultPartition;
use crate::runtime::progress::JobProgress;
use crate::runtime::stream::chain_control::ChainControl;
use crate::runtime::stream::chain_link::TaskSnapshot;
use crate::runtime::stream::processing_time::processing_time_now;
use crate::runtime::stream::source_driver::SourceDriver;
use crate::runtime::stream::task_input::{InputState, TaskInput};
use crate::runtime::stream::task_report::{TaskMetrics, TaskReport, TaskReporter};
use crate::runtime::stream::writer_link::FlushRegistry;

/// The checkpoint id of the final commit at the end of a bounded job.
pub const FINAL_COMMIT: u64 = u64::MAX;

/// The longest a task waits for input before it looks at its mailbox again.
const MAX_WAIT: Duration = Duration::from_millis(20);

/// What a task reads.
pub(crate) enum TaskBody {
    Source(Box<dyn SourceDriver>),
    Input(Box<dyn TaskInput>),
}

impl TaskBody {
    fn chain(&mut self) -> &mut dyn ChainControl {
        match self {
            TaskBody::Source(source) => source.chain(),
            TaskBody::Input(input) => input.chain(),
        }
    }
}

/// One streaming subtask. See the module docs.
pub(crate) struct StreamTask {
    pub body: TaskBody,
    pub mailbox: Mailbox,
    pub reporter: TaskReporter,
    pub flush: FlushRegistry,
    pub buffer_timeout: Duration,
    /// The task's output partitions (backpressure time).
    pub partitions: Vec<Arc<ResultPartition>>,
    /// The job's counters (source records read and skipped).
    pub progress: Arc<JobProgress>,
}

impl StreamTask {
    /// Runs the task to its end; returns its metrics with the outcome.
    pub(crate) fn run(mut self) -> (Result<(), WeirError>, TaskMetrics) {
        let started = Instant::now();
        // Time spent waiting outside the input: a source with nothing to read, and every
        // task waiting for the final commit after the end of its input.
        let mut waited = Duration::ZERO;
        let outcome = self.run_loop(&mut waited);
        let idle = match &self.body {
            TaskBody::Source(_) => waited,
            TaskBody::Input(input) => input.idle_time() + waited,
        };
        let backpressured: Duration = self
            .partitions
            .iter()
            .map(|partition| partition.backpressured_time())
            .sum();
        let (records_in, watermark_lag_ms) = match &self.body {
            TaskBody::Source(_) => (0, None),
            TaskBody::Input(input) => (input.records_in(), input.watermark_lag_ms()),
        };
        let metrics = TaskMetrics {
            busy: started
                .elapsed()
                .saturating_sub(idle)
                .saturating_sub(backpressured),
            backpressured,
            idle,
            records_in,
            watermark_lag_ms,
        };
        (outcome, metrics)
    }

    fn run_loop(&mut self, waited: &mut Duration) -> Result<(), WeirError> {
        let mut last_flush = Instant::now();
        let mut end_of_input = false;
        // Source records already added to the job's progress: (emitted, skipped).
        let mut reported = (0u64, 0u64);
        loop {
            while let Some(event) = self.mailbox.try_next() {
                if self.handle(event, end_of_input)? {
                    return Ok(());
                }
            }
            if end_of_input {
                let waiting = Instant::now();
                let event = self.mailbox.wait_next(MAX_WAIT);
                *waited += waiting.elapsed();
                if let Some(event) = event
                    && self.handle(event, end_of_input)?
                {
                    return Ok(());
                }
                continue;
            }
            let now = processing_time_now();
            let next_timer = self.body.chain().next_processing_time();
            if next_timer.is_some_and(|time| time <= now) {
                self.body.chain().on_processing_time(now)?;
            }
            let since_flush = last_flush.elapsed();
            if since_flush >= self.buffer_timeout {
                self.flush.flush_all()?;
                last_flush = Instant::now();
            }
            let mut max_wait = MAX_WAIT.min(self.buffer_timeout.saturating_sub(since_flush));
            if let Some(time) = self.body.chain().next_processing_time() {
                let until = Duration::from_millis(time.saturating_sub(now).max(0) as u64);
                max_wait = max_wait.min(until);
            }
            let ended = match &mut self.body {
                TaskBody::Source(source) => match source.poll(now).inspect(|_| {
                    let (emitted, skipped) = source.records();
                    self.progress.add_read(emitted - reported.0, 0);
                    self.progress.add_skipped(skipped - reported.1);
                    reported = (emitted, skipped);
                })? {
                    InputStatus::MoreAvailable => false,
                    InputStatus::NothingAvailable { retry_after } => {
                        let waiting = Instant::now();
                        let event = self.mailbox.wait_next(retry_after.min(max_wait));
                        *waited += waiting.elapsed();
                        if let Some(event) = event
                            && self.handle(event, false)?
                        {
                            return Ok(());
                        }
                        false
                    }
                    InputStatus::EndOfInput => {
                        source.finish()?;
                        true
                    }
                },
                TaskBody::Input(input) => match input.process(&self.reporter, max_wait)? {
                    InputState::Open => false,
                    InputState::Finished => {
                        input.chain().finish()?;
                        true
                    }
                },
            };
            if ended {
                end_of_input = true;
                self.reporter.send(TaskReport::EndOfInput {
                    task: self.reporter.task,
                });
            }
        }
    }

    /// Acts on a mailbox event; `Ok(true)` when the task is done (final commit).
    fn handle(&mut self, event: TaskEvent, end_of_input: bool) -> Result<bool, WeirError> {
        match event {
            TaskEvent::Cancel => Err(self.mailbox.canceled()),
            TaskEvent::TriggerCheckpoint(barrier) => {
                match &mut self.body {
                    TaskBody::Source(source) if !end_of_input => {
                        let mut snapshot = TaskSnapshot::new();
                        source.snapshot_state(&barrier, &mut snapshot)?;
                        self.reporter.acknowledge(barrier, snapshot, Duration::ZERO);
                    }
                    _ => self.reporter.decline(
                        barrier.id,
                        "the task reached the end of its input".to_owned(),
                    ),
                }
                Ok(false)
            }
            TaskEvent::CheckpointComplete(checkpoint_id) => {
                match &mut self.body {
                    TaskBody::Source(source) => source.notify_checkpoint_complete(checkpoint_id)?,
                    TaskBody::Input(input) => {
                        input.chain().notify_checkpoint_complete(checkpoint_id)?
                    }
                }
                Ok(checkpoint_id == FINAL_COMMIT)
            }
        }
    }
}
