//! [`PipelinedSubpartition`]: one subpartition of a pipelined result partition, with
//! credit-based flow control (Flink's `PipelinedSubpartition` plus the in-process part of its
//! `CreditBasedSequenceNumberingViewReader`).
//!
//! ```text
//!   producer (RecordWriter)                                        consumer (InputGate)
//!                            ┌──────────── Mutex<FlowState> ────────────┐
//!   add(buffer) ───────────▶ │ credit > 0 and backlog empty? ─yes─────────┼──send──▶ queue ─▶ reader
//!                            │        │ no                              │  (crossbeam)       │
//!                            │        ▼                                 │                    │
//!                            │ backlog: [buf buf Event buf EndOfPart.]  │                    │
//!                            │        ▲ sent from the front while       │                    │
//!   add(Event) ────────────▶ │        │ credit lasts (events are free)  │                    │
//!                            │ credit ◀───────────── +1 ────────────────┼─── CreditReturn ◀──┘
//!                            └──────────────────────────────────────────┘  (dropped when the
//!                                                                            reader is done)
//! ```
//!
//! * **Credit.** The consumer announces `buffers_per_channel` credits when it claims the
//!   subpartition and one more each time it is done with a buffer of it (the [`CreditReturn`]
//!   that travels with the buffer is dropped). A sealed buffer is handed to the consumer's queue
//!   only against a credit, so at most `buffers_per_channel` buffers of a subpartition are ever
//!   queued at or held by its consumer (`in_flight_buffers`).
//! * **Backlog.** A buffer without credit waits here, in order. It is still a buffer of the
//!   producer's pool: when the consumer is slow the pool runs dry and the writer waits for a
//!   buffer (backpressure); memory never grows.
//! * **Events** ([`SubpartitionEvent::Event`], `EndOfPartition`) take no credit but keep their
//!   place: an event goes straight to the queue only when the backlog is empty, else behind the
//!   backlog, and leaves it as soon as every buffer before it was sent.
//! * **Discarding.** When the consumer goes away or the partition fails, the backlog is dropped
//!   at once (its buffers go back to the pool) and everything added later is dropped as it
//!   comes, so a producer never waits for a reader that is gone.
//!
//! Synchronization is per buffer and per event (one short lock), never per record. The lock is
//! also what keeps sending in order: everything reaches the queue under it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crossbeam_channel::{Receiver, Sender};

use crate::runtime::network::result_partition::SubpartitionEvent;

/// Credit-based flow control counters of one pipelined subpartition (a snapshot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubpartitionFlow {
    /// Buffers the consumer can take now without returning one.
    pub credit: usize,
    /// Sealed buffers waiting for a credit.
    pub backlog_buffers: usize,
    /// Buffers handed to the consumer and not yet returned (queued or being read).
    pub in_flight_buffers: usize,
    /// Most buffers in flight at once (never above the consumer's credit per channel).
    pub peak_in_flight_buffers: usize,
}

#[derive(Default)]
struct FlowState {
    flow: SubpartitionFlow,
    /// Buffers and events waiting, in order; the front is a buffer whenever it is not empty
    /// (events leave as soon as nothing is before them).
    backlog: VecDeque<SubpartitionEvent>,
    /// The consumer went away or the partition failed: drop everything.
    discarding: bool,
}

/// One pipelined subpartition. See the module docs.
pub(crate) struct PipelinedSubpartition {
    /// The consumer's queue (the partition keeps the receiver).
    sender: Sender<SubpartitionEvent>,
    state: Mutex<FlowState>,
}

impl PipelinedSubpartition {
    pub(crate) fn new(sender: Sender<SubpartitionEvent>) -> PipelinedSubpartition {
        PipelinedSubpartition {
            sender,
            state: Mutex::new(FlowState::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FlowState> {
        // Every change under the lock leaves the state consistent, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a buffer or an event behind everything added before. A buffer goes to the consumer
    /// against a credit or waits in the backlog; an event waits only behind backlog buffers.
    pub(crate) fn add(&self, event: SubpartitionEvent) {
        let mut state = self.lock();
        if state.discarding {
            drop(state);
            // Dropped outside the lock: a buffer goes back to its pool.
            drop(event);
            return;
        }
        let is_buffer = matches!(event, SubpartitionEvent::Buffer(..));
        if !state.backlog.is_empty() || (is_buffer && state.flow.credit == 0) {
            if is_buffer {
                state.flow.backlog_buffers += 1;
            }
            state.backlog.push_back(event);
            return;
        }
        if is_buffer {
            take_credit(&mut state.flow);
        }
        // The partition holds the receiver as long as this sender: the send cannot fail.
        let _ = self.sender.send(event);
    }

    /// The consumer announces `credit` more buffers; backlog buffers go out against them.
    pub(crate) fn add_credit(&self, credit: usize) {
        let mut state = self.lock();
        if state.discarding {
            return;
        }
        state.flow.credit += credit;
        self.send_backlog(&mut state);
    }

    /// The consumer is done with one buffer: it leaves the flight and its credit comes back.
    fn return_credit(&self) {
        let mut state = self.lock();
        if state.discarding {
            return;
        }
        state.flow.in_flight_buffers -= 1;
        state.flow.credit += 1;
        self.send_backlog(&mut state);
    }

    /// Sends from the front of the backlog while credit lasts; events need none.
    fn send_backlog(&self, state: &mut FlowState) {
        while let Some(front) = state.backlog.front() {
            if matches!(front, SubpartitionEvent::Buffer(..)) {
                if state.flow.credit == 0 {
                    return;
                }
                take_credit(&mut state.flow);
                state.flow.backlog_buffers -= 1;
            }
            let event = state.backlog.pop_front().expect("the front exists");
            let _ = self.sender.send(event);
        }
    }

    /// From now on nothing is kept: the backlog is dropped now, later additions as they come.
    /// With `queue`, what the consumer's queue holds is dropped too (the consumer went away).
    pub(crate) fn discard(&self, queue: Option<&Receiver<SubpartitionEvent>>) {
        let backlog = {
            let mut state = self.lock();
            state.discarding = true;
            state.flow.backlog_buffers = 0;
            std::mem::take(&mut state.backlog)
        };
        // Buffers go back to their pool outside the lock.
        drop(backlog);
        if let Some(queue) = queue {
            while queue.try_recv().is_ok() {}
        }
    }

    pub(crate) fn flow(&self) -> SubpartitionFlow {
        self.lock().flow
    }
}

fn take_credit(flow: &mut SubpartitionFlow) {
    flow.credit -= 1;
    flow.in_flight_buffers += 1;
    flow.peak_in_flight_buffers = flow.peak_in_flight_buffers.max(flow.in_flight_buffers);
}

/// Travels with a buffer handed to the consumer; dropping it (the consumer is done with the
/// buffer) returns one credit to the subpartition, which may send a backlog buffer at once.
pub(crate) struct CreditReturn {
    subpartition: Arc<PipelinedSubpartition>,
}

impl CreditReturn {
    pub(crate) fn new(subpartition: Arc<PipelinedSubpartition>) -> CreditReturn {
        CreditReturn { subpartition }
    }
}

impl Drop for CreditReturn {
    fn drop(&mut self) {
        self.subpartition.return_credit();
    }
}

impl std::fmt::Debug for CreditReturn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CreditReturn")
    }
}

#[cfg(test)]
mod tests {
    use weir_memory::{NetworkBuffer, NetworkBufferPool, PageSize};

    use super::*;
    use crate::runtime::network::buffer_header::BufferHeader;
    use crate::runtime::network::channel_event::ChannelEvent;

    fn setup() -> (
        NetworkBufferPool,
        Arc<PipelinedSubpartition>,
        Receiver<SubpartitionEvent>,
    ) {
        let pool = NetworkBufferPool::new(16, PageSize::new(4096).unwrap()).unwrap();
        let (sender, receiver) = crossbeam_channel::unbounded();
        (pool, Arc::new(PipelinedSubpartition::new(sender)), receiver)
    }

    fn buffer(pool: &weir_memory::LocalBufferPool, tag: usize) -> SubpartitionEvent {
        let mut buffer: NetworkBuffer = pool.request_buffer().unwrap().unwrap();
        buffer.set_len(tag);
        SubpartitionEvent::Buffer(buffer, BufferHeader::default())
    }

    /// What the queue holds now: buffer lengths as numbers, events as negative watermarks.
    fn drain(queue: &Receiver<SubpartitionEvent>) -> Vec<i64> {
        queue
            .try_iter()
            .map(|event| match event {
                SubpartitionEvent::Buffer(buffer, _) => buffer.len() as i64,
                SubpartitionEvent::Event(ChannelEvent::Watermark(w)) => -w,
                SubpartitionEvent::EndOfPartition => i64::MIN,
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn buffers_go_only_against_credit_and_events_keep_their_place() {
        let (global, sub, queue) = setup();
        let pool = global.create_local_pool("p", 8, 8).unwrap();
        sub.add(SubpartitionEvent::Event(ChannelEvent::Watermark(1)));
        sub.add(buffer(&pool, 10));
        sub.add(SubpartitionEvent::Event(ChannelEvent::Watermark(2)));
        sub.add(buffer(&pool, 20));
        sub.add(buffer(&pool, 30));
        sub.add(SubpartitionEvent::Event(ChannelEvent::Watermark(3)));
        // No credit yet: only the leading event passes.
        assert_eq!(drain(&queue), vec![-1]);
        assert_eq!(sub.flow().backlog_buffers, 3);
        sub.add_credit(2);
        assert_eq!(drain(&queue), vec![10, -2, 20]);
        let flow = sub.flow();
        assert_eq!((flow.credit, flow.backlog_buffers), (0, 1));
        assert_eq!(flow.in_flight_buffers, 2);
        // Returning one credit sends the last buffer and the event behind it.
        drop(CreditReturn::new(Arc::clone(&sub)));
        assert_eq!(drain(&queue), vec![30, -3]);
        assert_eq!(sub.flow().peak_in_flight_buffers, 2);
        sub.add(SubpartitionEvent::EndOfPartition);
        assert_eq!(drain(&queue), vec![i64::MIN]);
    }

    #[test]
    fn discarding_returns_the_backlog_and_drops_later_buffers() {
        let (global, sub, queue) = setup();
        let pool = global.create_local_pool("p", 8, 8).unwrap();
        sub.add_credit(1);
        for tag in 1..=4 {
            sub.add(buffer(&pool, tag));
        }
        let in_use = || {
            let stats = pool.stats().unwrap();
            stats.held - stats.available
        };
        assert_eq!(in_use(), 4);
        sub.discard(Some(&queue));
        sub.add(buffer(&pool, 5));
        sub.add_credit(3);
        assert!(queue.is_empty());
        assert_eq!(sub.flow().backlog_buffers, 0);
        assert_eq!(in_use(), 0, "every buffer is back");
    }
}
