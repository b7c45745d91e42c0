//! [`ResultPartition`]: the output of one producer subtask, split into one subpartition per
//! consumer subtask, pipelined or blocking.
//!
//! ```text
//!                               ResultPartition (Arc, shared by producer and consumers)
//!  RecordWriter ──sealed──▶ ┌─ subpartition 0: [backlog] ─credit─▶ queue ──▶ InputGate of consumer 0
//!   (one open buffer        ├─ subpartition 1: [backlog] ─credit─▶ queue ──▶ InputGate of consumer 1
//!    per subpartition)      └─ …
//!          ▲
//!          └── buffers from the partition's LocalBufferPool
//! ```
//!
//! # Pipelined
//! Consumers read while the producer writes, with credit-based flow control
//! (`pipelined_subpartition.rs`): a sealed buffer goes into its subpartition's queue (a crossbeam
//! channel the consumer's gate reads) only against a credit the consumer announced, else it
//! waits in the subpartition's backlog. Channel events ([`SubpartitionEvent::Event`]: watermarks,
//! idleness, checkpoint barriers) and the end of the partition take no credit but stay in order
//! behind the backlog. Every waiting buffer is a pool buffer, so when consumers are slow the pool
//! runs dry and the writer waits for a buffer to come back: that is backpressure (timed in
//! [`ResultPartition::backpressured_time`]), and memory never grows. The wait checks the
//! [`CancelToken`] and the partition's failure every few milliseconds.
//!
//! # Blocking
//! The partition is produced completely before its consumers start. Sealed buffers accumulate in
//! memory; when the pool has no buffer left, every in-memory buffer is spilled to its
//! subpartition's spill file (`blocking_subpartition.rs`) and the writer goes on with the pages
//! that come back. **Rule at finish:** the partition keeps at most its pool's *required* number
//! of buffers in memory and spills the rest (largest in-memory subpartitions first), because the
//! pool's excess buffers are redistributed to pools created later; a finished partition must not
//! sit on them. Consumers read the spilled blocks, then the in-memory buffers.
//!
//! # Lifecycle and failure
//! ```text
//!  Producing ──RecordWriter::finish──▶ Finished ──(every subpartition read)──▶ data gone
//!      │
//!      └──fail(reason) / writer dropped without finish──▶ Failed: consumers get
//!                                                           WeirError::PartitionFailed
//! ```
//! A consumer that goes away early releases its subpartition: queued buffers, the backlog and
//! spill files are dropped at once and later buffers for it are dropped as they come, so the
//! producer never waits for a reader that is gone. The queue events are [`SubpartitionEvent`]s.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use weir_memory::{IoManager, LocalBufferPool, NetworkBuffer};

use crate::error::WeirError;
use crate::runtime::network::blocking_subpartition::{
    BlockingSubpartition, BlockingSubpartitionReader, WAIT_SLICE,
};
use crate::runtime::network::buffer_header::BufferHeader;
use crate::runtime::network::cancel_token::CancelToken;
use crate::runtime::network::channel_event::ChannelEvent;
use crate::runtime::network::pipelined_subpartition::{PipelinedSubpartition, SubpartitionFlow};

/// How a partition hands its data to consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionKind {
    /// Consumers read while the producer writes (streaming).
    Pipelined,
    /// Produced completely, spilled as needed, then read (batch default).
    Blocking,
}

/// Counters of one partition (a snapshot).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionMetrics {
    /// Buffers sealed by the writer.
    pub buffers_out: u64,
    /// Buffers written to spill files.
    pub buffers_spilled: u64,
    /// Payload bytes written to spill files.
    pub bytes_spilled: u64,
    /// Spill files created.
    pub spill_files: u64,
}

/// What travels through a subpartition's queue.
pub(crate) enum SubpartitionEvent {
    /// Pipelined: a sealed buffer.
    Buffer(NetworkBuffer, BufferHeader),
    /// Pipelined: an in-order event, always at a buffer boundary.
    Event(ChannelEvent),
    /// Pipelined: the producer finished; nothing follows.
    EndOfPartition,
    /// Blocking: the partition is finished and its data can be taken.
    Finished,
    /// The partition failed; the reason is in the partition.
    Failed,
}

#[derive(Debug)]
struct SubpartitionQueue {
    sender: Sender<SubpartitionEvent>,
    receiver: Receiver<SubpartitionEvent>,
    /// A gate took this subpartition.
    claimed: AtomicBool,
    /// The gate reading it went away.
    released: AtomicBool,
}

#[derive(Debug)]
enum Lifecycle {
    Producing,
    Finished,
    Failed(String),
}

#[derive(Debug)]
struct PartitionState {
    lifecycle: Lifecycle,
    writer_attached: bool,
    /// Blocking only; empty for pipelined partitions.
    blocking: Vec<BlockingSubpartition>,
}

/// One result partition. See the module docs.
pub struct ResultPartition {
    name: String,
    kind: PartitionKind,
    pool: LocalBufferPool,
    io: Arc<IoManager>,
    cancel: CancelToken,
    queues: Vec<SubpartitionQueue>,
    /// Pipelined only (credits and backlogs); empty for blocking partitions.
    pipelined: Vec<Arc<PipelinedSubpartition>>,
    state: Mutex<PartitionState>,
    /// Mirrors `Lifecycle::Failed` for checks on the hot paths.
    failed: AtomicBool,
    buffers_out: AtomicU64,
    buffers_spilled: AtomicU64,
    bytes_spilled: AtomicU64,
    spill_files: AtomicU64,
    /// Nanoseconds the writer waited for a buffer (pipelined).
    backpressured_nanos: AtomicU64,
}

impl fmt::Debug for ResultPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultPartition")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("subpartitions", &self.queues.len())
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl ResultPartition {
    /// A partition with `num_subpartitions` subpartitions (one per consumer subtask), writing
    /// into buffers of `pool`. The pool must guarantee `num_subpartitions + 1` buffers (one open
    /// buffer per subpartition and one more); [`crate::runtime::network::RecordWriter::new`]
    /// checks that.
    pub fn new(
        name: impl Into<String>,
        kind: PartitionKind,
        num_subpartitions: usize,
        pool: LocalBufferPool,
        io: Arc<IoManager>,
        cancel: CancelToken,
    ) -> Arc<ResultPartition> {
        let queues: Vec<SubpartitionQueue> = (0..num_subpartitions)
            .map(|_| {
                let (sender, receiver) = crossbeam_channel::unbounded();
                SubpartitionQueue {
                    sender,
                    receiver,
                    claimed: AtomicBool::new(false),
                    released: AtomicBool::new(false),
                }
            })
            .collect();
        let pipelined = match kind {
            PartitionKind::Pipelined => queues
                .iter()
                .map(|queue| Arc::new(PipelinedSubpartition::new(queue.sender.clone())))
                .collect(),
            PartitionKind::Blocking => Vec::new(),
        };
        let blocking = match kind {
            PartitionKind::Pipelined => Vec::new(),
            PartitionKind::Blocking => (0..num_subpartitions)
                .map(|_| BlockingSubpartition::default())
                .collect(),
        };
        Arc::new(ResultPartition {
            name: name.into(),
            kind,
            pool,
            io,
            cancel,
            queues,
            pipelined,
            state: Mutex::new(PartitionState {
                lifecycle: Lifecycle::Producing,
                writer_attached: false,
                blocking,
            }),
            failed: AtomicBool::new(false),
            buffers_out: AtomicU64::new(0),
            buffers_spilled: AtomicU64::new(0),
            bytes_spilled: AtomicU64::new(0),
            spill_files: AtomicU64::new(0),
            backpressured_nanos: AtomicU64::new(0),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> PartitionKind {
        self.kind
    }

    pub fn num_subpartitions(&self) -> usize {
        self.queues.len()
    }

    /// The partition's local buffer pool.
    pub fn pool(&self) -> &LocalBufferPool {
        &self.pool
    }

    pub fn metrics(&self) -> PartitionMetrics {
        PartitionMetrics {
            buffers_out: self.buffers_out.load(Ordering::Relaxed),
            buffers_spilled: self.buffers_spilled.load(Ordering::Relaxed),
            bytes_spilled: self.bytes_spilled.load(Ordering::Relaxed),
            spill_files: self.spill_files.load(Ordering::Relaxed),
        }
    }

    /// Total time the writer waited for a buffer because consumers held them or had not given
    /// credit for them (pipelined backpressure; a blocking partition spills instead of waiting).
    /// Measured only around actual waits.
    pub fn backpressured_time(&self) -> Duration {
        Duration::from_nanos(self.backpressured_nanos.load(Ordering::Relaxed))
    }

    /// The credit-based flow control counters of pipelined subpartition `subpartition`; `None`
    /// for a blocking partition or an index out of range.
    pub fn subpartition_flow(&self, subpartition: usize) -> Option<SubpartitionFlow> {
        self.pipelined
            .get(subpartition)
            .map(|subpartition| subpartition.flow())
    }

    /// Buffers the partition holds in memory now (blocking: sealed and not spilled; pipelined:
    /// queued for a consumer and not yet taken (events counted too), or waiting for credit).
    pub fn buffers_in_memory(&self) -> usize {
        match self.kind {
            PartitionKind::Pipelined => self
                .queues
                .iter()
                .zip(&self.pipelined)
                .map(|(queue, subpartition)| {
                    queue.receiver.len() + subpartition.flow().backlog_buffers
                })
                .sum(),
            PartitionKind::Blocking => self
                .lock()
                .blocking
                .iter()
                .map(BlockingSubpartition::buffers_in_memory)
                .sum(),
        }
    }

    pub fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The producer failed: consumers get [`WeirError::PartitionFailed`] with `reason` instead of
    /// more data, never a hang; buffers and spill files are dropped. The first reason wins; a
    /// finished partition ignores it (its data is complete).
    pub fn fail(&self, reason: String) {
        let released = {
            let mut state = self.lock();
            if !matches!(state.lifecycle, Lifecycle::Producing) {
                return;
            }
            state.lifecycle = Lifecycle::Failed(reason);
            self.failed.store(true, Ordering::Release);
            std::mem::take(&mut state.blocking)
        };
        // Spill writers wait for their I/O when dropped: outside the lock.
        drop(released);
        for subpartition in &self.pipelined {
            subpartition.discard(None);
        }
        for queue in &self.queues {
            let _ = queue.sender.send(SubpartitionEvent::Failed);
            if queue.released.load(Ordering::SeqCst) {
                drain(&queue.receiver);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, PartitionState> {
        // Every change under the lock leaves the state consistent, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn writer_component(&self) -> String {
        format!("the record writer of result partition {}", self.name)
    }

    /// The error a producer or consumer of a failed partition gets.
    pub(crate) fn failure(&self) -> WeirError {
        let reason = match &self.lock().lifecycle {
            Lifecycle::Failed(reason) => reason.clone(),
            _ => "unknown".to_string(),
        };
        WeirError::PartitionFailed {
            partition: self.name.clone(),
            reason,
        }
    }

    fn check_producing(&self, state: &PartitionState) -> Result<(), WeirError> {
        if self.cancel.is_canceled() {
            return Err(WeirError::Canceled {
                component: self.writer_component(),
            });
        }
        match &state.lifecycle {
            Lifecycle::Producing => Ok(()),
            Lifecycle::Failed(reason) => Err(WeirError::PartitionFailed {
                partition: self.name.clone(),
                reason: reason.clone(),
            }),
            Lifecycle::Finished => Err(WeirError::PartitionAlreadyAttached {
                partition: self.name.clone(),
                what: "finished and takes no more data",
            }),
        }
    }

    // ---- producer side (RecordWriter) ----

    /// Registers the one writer; checks the pool can hold an open buffer per subpartition.
    pub(crate) fn attach_writer(&self) -> Result<(), WeirError> {
        let required = self.num_subpartitions() + 1;
        let stats = self.pool.stats().ok_or_else(|| {
            WeirError::Memory(weir_memory::MemoryError::BufferPoolDestroyed {
                pool: self.pool.name().to_string(),
            })
        })?;
        if stats.required < required {
            return Err(WeirError::TooFewNetworkBuffers {
                owner: format!("result partition {}", self.name),
                given: stats.required,
                required,
            });
        }
        let mut state = self.lock();
        self.check_producing(&state)?;
        if state.writer_attached {
            return Err(WeirError::PartitionAlreadyAttached {
                partition: self.name.clone(),
                what: "a record writer",
            });
        }
        state.writer_attached = true;
        Ok(())
    }

    /// A buffer to write into. Pipelined: waits while consumers hold the pool's buffers
    /// (backpressure). Blocking: spills when the pool is dry.
    pub(crate) fn request_buffer(&self) -> Result<NetworkBuffer, WeirError> {
        if let Some(buffer) = self.pool.request_buffer()? {
            return Ok(buffer);
        }
        match self.kind {
            PartitionKind::Pipelined => {
                let started = Instant::now();
                let result = self.wait_for_buffer();
                let waited_nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                self.backpressured_nanos
                    .fetch_add(waited_nanos, Ordering::Relaxed);
                result
            }
            PartitionKind::Blocking => self.request_buffer_spilling(),
        }
    }

    /// Pipelined backpressure: waits for a buffer to come back, checking for cancellation and
    /// failure every [`WAIT_SLICE`].
    fn wait_for_buffer(&self) -> Result<NetworkBuffer, WeirError> {
        loop {
            if self.is_failed() {
                return Err(self.failure());
            }
            if self.cancel.is_canceled() {
                return Err(WeirError::Canceled {
                    component: self.writer_component(),
                });
            }
            if let Some(buffer) = self.pool.request_buffer_timeout(WAIT_SLICE)? {
                return Ok(buffer);
            }
        }
    }

    fn request_buffer_spilling(&self) -> Result<NetworkBuffer, WeirError> {
        let mut state = self.lock();
        loop {
            self.check_producing(&state)?;
            for subpartition in &mut state.blocking {
                subpartition.reclaim_returned(false)?;
            }
            if let Some(buffer) = self.pool.request_buffer()? {
                return Ok(buffer);
            }
            if state
                .blocking
                .iter()
                .any(|subpartition| subpartition.buffers_in_memory() > 0)
            {
                for index in 0..state.blocking.len() {
                    self.spill_subpartition(&mut state, index)?;
                }
                continue;
            }
            if let Some(subpartition) = state
                .blocking
                .iter_mut()
                .find(|subpartition| subpartition.has_writes_in_flight())
            {
                subpartition.reclaim_returned(true)?;
                continue;
            }
            // Nothing to spill and nothing in flight: the pool shrank below what the writer
            // holds open; wait for the global pool without holding the lock.
            drop(state);
            if let Some(buffer) = self.pool.request_buffer_timeout(WAIT_SLICE)? {
                return Ok(buffer);
            }
            state = self.lock();
        }
    }

    fn spill_subpartition(
        &self,
        state: &mut PartitionState,
        index: usize,
    ) -> Result<(), WeirError> {
        let count = state.blocking[index].spill_all(&self.io)?;
        self.buffers_spilled
            .fetch_add(count.buffers, Ordering::Relaxed);
        self.bytes_spilled.fetch_add(count.bytes, Ordering::Relaxed);
        self.spill_files
            .fetch_add(count.files_created, Ordering::Relaxed);
        Ok(())
    }

    /// A sealed buffer of subpartition `subpartition`.
    pub(crate) fn add_buffer(
        &self,
        subpartition: usize,
        buffer: NetworkBuffer,
        header: BufferHeader,
    ) -> Result<(), WeirError> {
        self.buffers_out.fetch_add(1, Ordering::Relaxed);
        match self.kind {
            PartitionKind::Pipelined => {
                if self.is_failed() {
                    return Err(self.failure());
                }
                // Queued for the consumer against a credit, or kept in the backlog.
                self.pipelined[subpartition].add(SubpartitionEvent::Buffer(buffer, header));
                Ok(())
            }
            PartitionKind::Blocking => {
                let mut state = self.lock();
                self.check_producing(&state)?;
                state.blocking[subpartition].add(buffer, header);
                Ok(())
            }
        }
    }

    /// An in-order event on subpartition `subpartition` (pipelined only), behind every buffer
    /// added before it.
    pub(crate) fn add_event(
        &self,
        subpartition: usize,
        event: ChannelEvent,
    ) -> Result<(), WeirError> {
        if self.kind == PartitionKind::Blocking {
            return Err(WeirError::EventOnBlockingPartition {
                partition: self.name.clone(),
            });
        }
        if self.is_failed() {
            return Err(self.failure());
        }
        self.pipelined[subpartition].add(SubpartitionEvent::Event(event));
        Ok(())
    }

    /// The writer sealed its last buffers: consumers may read to the end.
    pub(crate) fn finish_production(&self) -> Result<(), WeirError> {
        let mut state = self.lock();
        self.check_producing(&state)?;
        if self.kind == PartitionKind::Blocking {
            self.enforce_finished_memory_rule(&mut state)?;
            for subpartition in &mut state.blocking {
                subpartition.finish()?;
            }
        }
        state.lifecycle = Lifecycle::Finished;
        drop(state);
        match self.kind {
            // In order, behind the backlog.
            PartitionKind::Pipelined => {
                for subpartition in &self.pipelined {
                    subpartition.add(SubpartitionEvent::EndOfPartition);
                }
            }
            PartitionKind::Blocking => {
                for queue in &self.queues {
                    let _ = queue.sender.send(SubpartitionEvent::Finished);
                }
            }
        }
        Ok(())
    }

    /// Spills until at most the pool's required number of buffers stay in memory (see the
    /// module docs), largest subpartitions first.
    fn enforce_finished_memory_rule(&self, state: &mut PartitionState) -> Result<(), WeirError> {
        let keep = self.pool.stats().map_or(0, |stats| stats.required);
        loop {
            let in_memory: usize = state
                .blocking
                .iter()
                .map(BlockingSubpartition::buffers_in_memory)
                .sum();
            if in_memory <= keep {
                return Ok(());
            }
            let largest = (0..state.blocking.len())
                .max_by_key(|&index| state.blocking[index].buffers_in_memory())
                .expect("in-memory buffers imply a subpartition");
            self.spill_subpartition(state, largest)?;
        }
    }

    // ---- consumer side (InputGate) ----

    /// Takes subpartition `subpartition` for one gate. Pipelined: the gate announces
    /// `initial_credit` buffers and gets the subpartition to return credits to.
    pub(crate) fn claim(
        &self,
        subpartition: usize,
        initial_credit: usize,
    ) -> Result<
        (
            Receiver<SubpartitionEvent>,
            Option<Arc<PipelinedSubpartition>>,
        ),
        WeirError,
    > {
        let queue =
            self.queues
                .get(subpartition)
                .ok_or_else(|| WeirError::SubpartitionOutOfRange {
                    partition: self.name.clone(),
                    subpartition,
                    count: self.queues.len(),
                })?;
        if queue.claimed.swap(true, Ordering::AcqRel) {
            return Err(WeirError::SubpartitionAlreadyConsumed {
                partition: self.name.clone(),
                subpartition,
            });
        }
        let pipelined = self.pipelined.get(subpartition).map(|pipelined| {
            pipelined.add_credit(initial_credit);
            Arc::clone(pipelined)
        });
        Ok((queue.receiver.clone(), pipelined))
    }

    /// Blocking: the finished data of `subpartition`, for its gate.
    pub(crate) fn take_finished(
        &self,
        subpartition: usize,
    ) -> Result<BlockingSubpartitionReader, WeirError> {
        let mut state = self.lock();
        match &state.lifecycle {
            Lifecycle::Finished => state.blocking[subpartition].take_for_reading(&self.io),
            Lifecycle::Failed(reason) => Err(WeirError::PartitionFailed {
                partition: self.name.clone(),
                reason: reason.clone(),
            }),
            Lifecycle::Producing => unreachable!("Finished is sent after the lifecycle changed"),
        }
    }

    /// The gate reading `subpartition` went away: drop its data now and from now on.
    pub(crate) fn release(&self, subpartition: usize) {
        let queue = &self.queues[subpartition];
        queue.released.store(true, Ordering::SeqCst);
        match self.pipelined.get(subpartition) {
            Some(pipelined) => pipelined.discard(Some(&queue.receiver)),
            None => drain(&queue.receiver),
        }
        if self.kind == PartitionKind::Blocking {
            let mut state = self.lock();
            if let Some(data) = state.blocking.get_mut(subpartition) {
                // Buffers that arrive later are dropped as they come (and at finish).
                data.release();
            }
        }
    }
}

fn drain(receiver: &Receiver<SubpartitionEvent>) {
    while receiver.try_recv().is_ok() {}
}
