//! [`Mailbox`]: the control events of a task, delivered to its thread between records.
//!
//! A task's thread owns its operators; nothing else touches them. Control reaches it as
//! events in its mailbox, which the task reads at safe points: between records in the loops
//! that read inputs (every [`CONTROL_CHECK_INTERVAL`] records). Batch tasks only get
//! [`TaskEvent::Cancel`]; streaming tasks also get checkpoint triggers (sources) and checkpoint
//! completions, read with [`Mailbox::try_next`] between records and whenever the task waits
//! for input (its waits are bounded, so an event is seen promptly). A task blocked
//! on a buffer or on input does not read its mailbox, so cancellation also sets the job's
//! [`CancelToken`], which every blocking wait watches.
//!
//! ```text
//!   executor ──send(Cancel)──▶ mailbox ──▶ task thread: check() between records ─▶ Err(Canceled)
//!            └─cancel()─────▶ CancelToken ─▶ waits for buffers/input wake up with Err(Canceled)
//! ```

use crossbeam_channel::{Receiver, Sender};

use crate::error::WeirError;
use crate::runtime::network::CancelToken;

/// Records between two looks at the mailbox.
pub(crate) const CONTROL_CHECK_INTERVAL: u64 = 4096;

/// A control event for a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskEvent {
    /// Stop at the next safe point.
    Cancel,
    /// Source tasks: take a snapshot for this barrier and send it downstream.
    TriggerCheckpoint(crate::runtime::network::CheckpointBarrier),
    /// Every task acknowledged this checkpoint and its metadata is written: commit.
    CheckpointComplete(u64),
}

/// The receiving end, owned by the task (see the module docs).
#[derive(Debug)]
pub struct Mailbox {
    events: Receiver<TaskEvent>,
    cancel: CancelToken,
    task: String,
}

/// The sending end, kept by the executor.
#[derive(Debug, Clone)]
pub struct MailboxSender {
    events: Sender<TaskEvent>,
}

impl MailboxSender {
    /// Puts `event` in the mailbox (a task that has ended ignores it).
    pub fn send(&self, event: TaskEvent) {
        let _ = self.events.send(event);
    }
}

impl Mailbox {
    /// A mailbox for `task`, also watching the job's `cancel` token.
    pub fn new(task: String, cancel: CancelToken) -> (MailboxSender, Mailbox) {
        let (sender, events) = crossbeam_channel::unbounded();
        (
            MailboxSender { events: sender },
            Mailbox {
                events,
                cancel,
                task,
            },
        )
    }

    /// Handles the events that arrived: `Err(Canceled)` when the task must stop.
    pub fn check(&self) -> Result<(), WeirError> {
        // Every event there is today asks the task to stop; a disconnected or empty mailbox
        // asks nothing.
        if let Ok(TaskEvent::Cancel) = self.events.try_recv() {
            return Err(self.canceled());
        }
        if self.cancel.is_canceled() {
            return Err(self.canceled());
        }
        Ok(())
    }

    /// The next event, if one is waiting; a canceled job's token reads as [`TaskEvent::Cancel`].
    pub fn try_next(&self) -> Option<TaskEvent> {
        if self.cancel.is_canceled() {
            return Some(TaskEvent::Cancel);
        }
        self.events.try_recv().ok()
    }

    /// Waits up to `timeout` for the next event (a canceled job's token reads as
    /// [`TaskEvent::Cancel`]).
    pub fn wait_next(&self, timeout: std::time::Duration) -> Option<TaskEvent> {
        if let Some(event) = self.try_next() {
            return Some(event);
        }
        match self.events.recv_timeout(timeout) {
            Ok(event) => Some(event),
            Err(_) if self.cancel.is_canceled() => Some(TaskEvent::Cancel),
            Err(_) => None,
        }
    }

    /// The error a task returns when it stops because of a cancellation.
    pub fn canceled(&self) -> WeirError {
        WeirError::Canceled {
            component: self.task.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_event_or_token_stops_the_task_at_its_next_check() {
        let token = CancelToken::new();
        let (sender, mailbox) = Mailbox::new("Map (1/2)".into(), token.clone());
        assert!(mailbox.check().is_ok());
        sender.send(TaskEvent::Cancel);
        assert!(
            matches!(mailbox.check(), Err(WeirError::Canceled { component }) if component == "Map (1/2)")
        );
        let (_sender, mailbox) = Mailbox::new("Reduce (1/1)".into(), token.clone());
        token.cancel();
        assert!(mailbox.check().is_err());
    }
}
