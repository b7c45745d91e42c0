//! [`BarrierAlignment`]: when a task with several input channels takes its snapshot
//! (Flink's `SingleCheckpointBarrierHandler`, aligned and unaligned-free).
//!
//! ```text
//!  EXACTLY_ONCE                          AT_LEAST_ONCE
//!  ch0 ─r r B│ · · (blocked) ─┐          ch0 ─r r B r r ─┐ records after B go on
//!  ch1 ─r r r r B│ · ·        ├─ all B ─▶ ch1 ─r r r r B ─┤ all B ─▶ snapshot
//!  ch2 ─r B│ · · · ·          ┘ snapshot, ch2 ─r B r r r ─┘
//!                               unblock all
//! ```
//!
//! * Exactly-once: a channel that delivered the barrier of checkpoint `n` is blocked (the
//!   caller stops reading it) until every live channel delivered it; then the task snapshots
//!   and every channel is unblocked. Records after a barrier are therefore never part of the
//!   snapshot of `n`.
//! * At-least-once: nothing is blocked; the snapshot happens when the last barrier arrived,
//!   so it may include records that followed earlier barriers (replayed after a restore).
//! * A barrier of a newer checkpoint while `n` is still aligning aborts `n` (declined) and
//!   starts the new one; a barrier older than the current one is stale and ignored.
//! * An ended channel counts as having delivered every barrier.
//! * The alignment time (first barrier to last) is reported with the snapshot.

use std::time::{Duration, Instant};

use crate::runtime::network::CheckpointBarrier;

/// What the task must do after a barrier or a channel end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AlignmentAction {
    /// Keep reading (exactly-once: `block` says whether to block the channel).
    Wait { block: bool },
    /// Every live channel delivered `barrier`: snapshot now, then unblock every channel.
    Snapshot {
        barrier: CheckpointBarrier,
        alignment: Duration,
    },
    /// A newer barrier arrived before `aborted` was aligned: decline it, unblock every
    /// channel, then act on `then`.
    Abort {
        aborted: u64,
        then: Box<AlignmentAction>,
    },
    /// Stale barrier: ignore.
    Ignore,
}

#[derive(Debug)]
struct Pending {
    barrier: CheckpointBarrier,
    received: Vec<bool>,
    started: Instant,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct BarrierAlignment {
    exactly_once: bool,
    ended: Vec<bool>,
    pending: Option<Pending>,
    /// The newest checkpoint id seen (completed or aborted ones are stale afterwards).
    latest: u64,
}

impl BarrierAlignment {
    pub(crate) fn new(channels: usize, exactly_once: bool) -> BarrierAlignment {
        BarrierAlignment {
            exactly_once,
            ended: vec![false; channels],
            pending: None,
            latest: 0,
        }
    }

    /// Whether a checkpoint is being aligned.
    #[cfg(test)]
    pub(crate) fn is_aligning(&self) -> bool {
        self.pending.is_some()
    }

    pub(crate) fn on_barrier(
        &mut self,
        channel: usize,
        barrier: CheckpointBarrier,
    ) -> AlignmentAction {
        match &self.pending {
            Some(pending) if barrier.id == pending.barrier.id => {}
            Some(pending) if barrier.id > pending.barrier.id => {
                let aborted = pending.barrier.id;
                self.pending = None;
                let then = self.start(channel, barrier);
                return AlignmentAction::Abort {
                    aborted,
                    then: Box::new(then),
                };
            }
            Some(_) => return AlignmentAction::Ignore,
            None if barrier.id <= self.latest => return AlignmentAction::Ignore,
            None => return self.start(channel, barrier),
        }
        self.receive(channel)
    }

    fn start(&mut self, channel: usize, barrier: CheckpointBarrier) -> AlignmentAction {
        self.latest = barrier.id;
        self.pending = Some(Pending {
            barrier,
            received: self.ended.clone(),
            started: Instant::now(),
        });
        self.receive(channel)
    }

    fn receive(&mut self, channel: usize) -> AlignmentAction {
        let pending = self.pending.as_mut().expect("receive follows start");
        pending.received[channel] = true;
        self.complete_if_aligned().unwrap_or(AlignmentAction::Wait {
            block: self.exactly_once,
        })
    }

    fn complete_if_aligned(&mut self) -> Option<AlignmentAction> {
        let pending = self.pending.as_ref()?;
        if pending.received.iter().all(|&received| received) {
            let pending = self.pending.take().expect("checked above");
            return Some(AlignmentAction::Snapshot {
                barrier: pending.barrier,
                alignment: pending.started.elapsed(),
            });
        }
        None
    }

    /// `channel` ended: it counts as aligned from now on.
    pub(crate) fn channel_ended(&mut self, channel: usize) -> Option<AlignmentAction> {
        self.ended[channel] = true;
        if let Some(pending) = self.pending.as_mut() {
            pending.received[channel] = true;
        }
        self.complete_if_aligned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::network::SnapshotKind;

    fn barrier(id: u64) -> CheckpointBarrier {
        CheckpointBarrier {
            id,
            timestamp_ms: 0,
            kind: SnapshotKind::Checkpoint,
        }
    }

    #[test]
    fn exactly_once_blocks_until_every_channel_delivered() {
        let mut alignment = BarrierAlignment::new(3, true);
        assert_eq!(
            alignment.on_barrier(0, barrier(1)),
            AlignmentAction::Wait { block: true }
        );
        assert_eq!(
            alignment.on_barrier(2, barrier(1)),
            AlignmentAction::Wait { block: true }
        );
        assert!(matches!(
            alignment.on_barrier(1, barrier(1)),
            AlignmentAction::Snapshot { barrier: b, .. } if b.id == 1
        ));
        assert!(!alignment.is_aligning());
        // A late duplicate of an old barrier is ignored.
        assert_eq!(alignment.on_barrier(1, barrier(1)), AlignmentAction::Ignore);
    }

    #[test]
    fn at_least_once_never_blocks() {
        let mut alignment = BarrierAlignment::new(2, false);
        assert_eq!(
            alignment.on_barrier(1, barrier(4)),
            AlignmentAction::Wait { block: false }
        );
        assert!(matches!(
            alignment.on_barrier(0, barrier(4)),
            AlignmentAction::Snapshot { .. }
        ));
    }

    #[test]
    fn a_single_channel_snapshots_at_once_and_ended_channels_count_as_aligned() {
        let mut alignment = BarrierAlignment::new(1, true);
        assert!(matches!(
            alignment.on_barrier(0, barrier(1)),
            AlignmentAction::Snapshot { .. }
        ));
        let mut alignment = BarrierAlignment::new(2, true);
        assert_eq!(
            alignment.on_barrier(0, barrier(2)),
            AlignmentAction::Wait { block: true }
        );
        assert!(matches!(
            alignment.channel_ended(1),
            Some(AlignmentAction::Snapshot { barrier: b, .. }) if b.id == 2
        ));
        let mut alignment = BarrierAlignment::new(2, true);
        assert_eq!(alignment.channel_ended(1), None);
        assert!(matches!(
            alignment.on_barrier(0, barrier(3)),
            AlignmentAction::Snapshot { .. }
        ));
    }

    #[test]
    fn a_newer_barrier_aborts_the_pending_one() {
        let mut alignment = BarrierAlignment::new(2, true);
        alignment.on_barrier(0, barrier(5));
        match alignment.on_barrier(1, barrier(6)) {
            AlignmentAction::Abort { aborted: 5, then } => {
                assert_eq!(*then, AlignmentAction::Wait { block: true })
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            alignment.on_barrier(0, barrier(6)),
            AlignmentAction::Snapshot { barrier: b, .. } if b.id == 6
        ));
        assert_eq!(alignment.on_barrier(1, barrier(5)), AlignmentAction::Ignore);
    }
}
