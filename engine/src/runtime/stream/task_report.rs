//! [`TaskReport`]: what a streaming task tells the executor (Flink's acknowledge / decline
//! messages and task state updates), and [`TaskReporter`], a task's sending end.

use std::time::Duration;

use crossbeam_channel::Sender;

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::TaskSnapshot;

/// A message from a task to the executor.
#[derive(Debug)]
pub(crate) enum TaskReport {
    /// The task took its snapshot for `barrier`.
    Acknowledge {
        task: usize,
        barrier: CheckpointBarrier,
        snapshot: TaskSnapshot,
        alignment: Duration,
    },
    /// The task could not take part in checkpoint `checkpoint_id`.
    Decline { checkpoint_id: u64, reason: String },
    /// The task processed all of its input and waits for the final commit.
    EndOfInput { task: usize },
    /// The task's thread ended (`Ok` after the final commit or a cancellation it was asked for).
    Ended {
        task: usize,
        outcome: Result<(), WeirError>,
        metrics: TaskMetrics,
    },
}

/// Time a task spent busy, backpressured (waiting for output buffers) and idle (waiting for
/// input), the records it read from its input gate, and its watermark lag.
#[derive(Debug, Clone, Default)]
pub struct TaskMetrics {
    pub busy: Duration,
    pub backpressured: Duration,
    pub idle: Duration,
    pub records_in: u64,
    /// Watermark lag (Flink's `watermarkLag`): processing time minus the task's input
    /// watermark, in ms, when its last watermark before the end of input arrived; `None` for
    /// sources and tasks that saw no watermark. Summed over subtasks it is their maximum.
    pub watermark_lag_ms: Option<i64>,
}

/// A task's sending end.
#[derive(Debug, Clone)]
pub(crate) struct TaskReporter {
    pub task: usize,
    sender: Sender<TaskReport>,
}

impl TaskReporter {
    pub(crate) fn new(task: usize, sender: Sender<TaskReport>) -> TaskReporter {
        TaskReporter { task, sender }
    }

    pub(crate) fn send(&self, report: TaskReport) {
        // The executor outlives its tasks; a send fails only while it tears everything down.
        let _ = self.sender.send(report);
    }

    pub(crate) fn acknowledge(
        &self,
        barrier: CheckpointBarrier,
        snapshot: TaskSnapshot,
        alignment: Duration,
    ) {
        self.send(TaskReport::Acknowledge {
            task: self.task,
            barrier,
            snapshot,
            alignment,
        });
    }

    pub(crate) fn decline(&self, checkpoint_id: u64, reason: String) {
        self.send(TaskReport::Decline {
            checkpoint_id,
            reason,
        });
    }
}
