//! [`InputGate`]: the consumer side of an exchange. Reads subpartition `index` of each of a list
//! of result partitions (its *channels*) and hands out their buffers, events and ends,
//! multiplexed.
//!
//! ```text
//!   channel 0: partition A, subpartition 2 ─┐
//!   channel 1: partition B, subpartition 2 ─┼──▶ next_item(deadline) ──▶ Buffer (channel, buffer, header, credit)
//!   channel 2: partition C, subpartition 2 ─┘     round robin over       | Event (channel, event)
//!              (blocked channels skipped)         unblocked channels     | ChannelEnded (channel)
//!                                                 with data; waits on    | Timeout | Finished
//!                                                 all their queues at
//!                                                 once when none has
//! ```
//!
//! Channel states:
//! ```text
//!  Pipelined ───────────── EndOfPartition ──────────────────────────▶ Ended (reported once)
//!  AwaitingBlocking ──Finished──▶ ReadingBlocking ──last buffer read──▶ Ended (reported once)
//! ```
//! A pipelined channel yields whatever its queue holds and never makes the gate wait for it in
//! particular: when no channel has anything, the gate waits on every queue at once (a crossbeam
//! `Select`), checking the [`CancelToken`] every few milliseconds and giving up at the caller's
//! deadline. The time spent waiting is the gate's idle time. A blocking channel, once its
//! partition finished, always has data (from disk or memory) until it ends, so the gate stays on
//! it until it ends: then only one spill reader (with its read-ahead buffers from the gate's
//! pool) is open at a time, and a pool of one buffer is enough.
//!
//! **Credit.** The gate announces `buffers_per_channel` credits to each pipelined channel when it
//! claims it (Flink's exclusive buffers per channel, `taskmanager.network.memory.
//! buffers-per-channel`), and every pipelined buffer it hands out carries a [`CreditReturn`]:
//! when the reader drops it, together with the buffer, the channel's sender gets one credit back
//! and may send a buffer from its backlog. So a channel never has more than
//! `buffers_per_channel` buffers queued here or being read.
//!
//! **Blocking channels** (barrier alignment, not to be confused with blocking partitions): a
//! blocked channel is not read at all (its queue stays untouched) and not waited on, while the
//! other channels go on; when only blocked channels have data, the gate waits without spinning.
//!
//! Buffers of pipelined channels are the producer's own pool buffers (a local exchange copies
//! nothing); spilled blocks are read into buffers of the gate's pool. Either way the caller drops
//! a buffer when done, which returns it to its pool. A gate dropped before its channels ended
//! releases their subpartitions: queued buffers, backlogs and spill files are dropped at once.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Select, TryRecvError};
use weir_memory::{LocalBufferPool, NetworkBuffer};

use crate::error::WeirError;
use crate::runtime::network::blocking_subpartition::{BlockingSubpartitionReader, WAIT_SLICE};
use crate::runtime::network::buffer_header::BufferHeader;
use crate::runtime::network::cancel_token::CancelToken;
use crate::runtime::network::channel_event::ChannelEvent;
use crate::runtime::network::pipelined_subpartition::{CreditReturn, PipelinedSubpartition};
use crate::runtime::network::result_partition::{
    PartitionKind, ResultPartition, SubpartitionEvent,
};

/// The credit per pipelined channel of [`InputGate::new`] (Flink's default of
/// `taskmanager.network.memory.buffers-per-channel`).
pub const DEFAULT_BUFFERS_PER_CHANNEL: usize = 2;

/// A buffer from one channel of a gate. Dropping it returns the buffer to its pool and, for a
/// pipelined channel, a credit to the sender (fields drop in this order).
#[derive(Debug)]
pub(crate) struct ChannelBuffer {
    pub(crate) channel: usize,
    pub(crate) buffer: NetworkBuffer,
    pub(crate) header: BufferHeader,
    pub(crate) credit: Option<CreditReturn>,
}

/// What [`InputGate::next_item`] hands out.
#[derive(Debug)]
pub(crate) enum GateItem {
    Buffer(ChannelBuffer),
    Event {
        channel: usize,
        event: ChannelEvent,
    },
    /// The channel ended; reported once per channel.
    ChannelEnded {
        channel: usize,
    },
    /// Nothing arrived before the deadline.
    Timeout,
    /// Every channel ended (and was reported).
    Finished,
}

struct InputChannel {
    partition: Arc<ResultPartition>,
    subpartition: usize,
    events: Receiver<SubpartitionEvent>,
    /// Pipelined: where credits go back.
    credit_to: Option<Arc<PipelinedSubpartition>>,
    state: ChannelState,
    blocked: bool,
}

enum ChannelState {
    Pipelined,
    AwaitingBlocking,
    ReadingBlocking(Box<BlockingSubpartitionReader>),
    Ended,
}

impl ChannelState {
    fn waits_for_events(&self) -> bool {
        matches!(
            self,
            ChannelState::Pipelined | ChannelState::AwaitingBlocking
        )
    }
}

/// The consumer side of an exchange. See the module docs.
pub struct InputGate {
    name: String,
    channels: Vec<InputChannel>,
    pool: LocalBufferPool,
    cancel: CancelToken,
    buffers_per_channel: usize,
    /// Where the next round robin starts.
    next_channel: usize,
    ended_channels: usize,
    idle: Duration,
}

impl fmt::Debug for InputGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputGate")
            .field("name", &self.name)
            .field("channels", &self.channels.len())
            .field("ended_channels", &self.ended_channels)
            .field("buffers_per_channel", &self.buffers_per_channel)
            .finish()
    }
}

impl InputGate {
    /// A gate over `channels` (partition, subpartition index) announcing
    /// [`DEFAULT_BUFFERS_PER_CHANNEL`] credits per pipelined channel; see
    /// [`InputGate::with_credits`].
    pub fn new(
        name: impl Into<String>,
        channels: Vec<(Arc<ResultPartition>, usize)>,
        pool: LocalBufferPool,
        cancel: CancelToken,
    ) -> Result<InputGate, WeirError> {
        InputGate::with_credits(name, channels, pool, cancel, DEFAULT_BUFFERS_PER_CHANNEL)
    }

    /// A gate over `channels` (partition, subpartition index), reading spilled blocks into
    /// buffers of `pool` and announcing `buffers_per_channel` credits to each pipelined channel
    /// (`taskmanager.network.memory.buffers-per-channel`; at least 1, else
    /// [`WeirError::NoCreditPerChannel`]). Each subpartition can be read by one gate only. A gate
    /// with a blocking channel needs a pool that guarantees at least one buffer.
    pub fn with_credits(
        name: impl Into<String>,
        channels: Vec<(Arc<ResultPartition>, usize)>,
        pool: LocalBufferPool,
        cancel: CancelToken,
        buffers_per_channel: usize,
    ) -> Result<InputGate, WeirError> {
        let name = name.into();
        if buffers_per_channel == 0 {
            return Err(WeirError::NoCreditPerChannel { gate: name });
        }
        let has_blocking = channels
            .iter()
            .any(|(partition, _)| partition.kind() == PartitionKind::Blocking);
        if has_blocking {
            let given = pool.stats().map_or(0, |stats| stats.required);
            if given < 1 {
                return Err(WeirError::TooFewNetworkBuffers {
                    owner: format!("input gate {name}"),
                    given,
                    required: 1,
                });
            }
        }
        let mut gate = InputGate {
            name,
            channels: Vec::with_capacity(channels.len()),
            pool,
            cancel,
            buffers_per_channel,
            next_channel: 0,
            ended_channels: 0,
            idle: Duration::ZERO,
        };
        for (partition, subpartition) in channels {
            // On an error the gate drops and releases what it claimed so far.
            let (events, credit_to) = partition.claim(subpartition, buffers_per_channel)?;
            let state = match partition.kind() {
                PartitionKind::Pipelined => ChannelState::Pipelined,
                PartitionKind::Blocking => ChannelState::AwaitingBlocking,
            };
            gate.channels.push(InputChannel {
                partition,
                subpartition,
                events,
                credit_to,
                state,
                blocked: false,
            });
        }
        Ok(gate)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn num_channels(&self) -> usize {
        self.channels.len()
    }

    /// The credit each pipelined channel was given.
    pub fn buffers_per_channel(&self) -> usize {
        self.buffers_per_channel
    }

    /// Whether every channel ended.
    pub fn is_finished(&self) -> bool {
        self.ended_channels == self.channels.len()
    }

    /// Total time spent waiting for input.
    pub fn idle_time(&self) -> Duration {
        self.idle
    }

    /// Stops reading `channel` until [`InputGate::unblock_all_channels`]: its queue stays
    /// untouched, other channels go on. Panics when `channel` is out of range.
    pub fn block_channel(&mut self, channel: usize) {
        self.channels[channel].blocked = true;
    }

    /// Reads every channel again.
    pub fn unblock_all_channels(&mut self) {
        for input in &mut self.channels {
            input.blocked = false;
        }
    }

    /// Panics when `channel` is out of range.
    pub fn is_channel_blocked(&self, channel: usize) -> bool {
        self.channels[channel].blocked
    }

    /// The next buffer, event or channel end of any unblocked channel. Waits while none has
    /// anything, until `deadline` ([`GateItem::Timeout`]; `None`: no deadline). Fails when the
    /// job is canceled or a partition failed.
    pub(crate) fn next_item(&mut self, deadline: Option<Instant>) -> Result<GateItem, WeirError> {
        loop {
            if self.cancel.is_canceled() {
                return Err(WeirError::Canceled {
                    component: format!("input gate {}", self.name),
                });
            }
            if self.is_finished() {
                return Ok(GateItem::Finished);
            }
            let count = self.channels.len();
            for step in 0..count {
                let channel = (self.next_channel + step) % count;
                if self.channels[channel].blocked {
                    continue;
                }
                if let Some(item) = self.poll_channel(channel)? {
                    // Stay on a blocking channel until it ends; move on from a pipelined one.
                    self.next_channel = match self.channels[channel].state {
                        ChannelState::ReadingBlocking(_) => channel,
                        _ => (channel + 1) % count,
                    };
                    return Ok(item);
                }
            }
            let slice = match deadline {
                None => WAIT_SLICE,
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(GateItem::Timeout);
                    }
                    WAIT_SLICE.min(deadline - now)
                }
            };
            self.wait_for_events(slice);
        }
    }

    /// What `channel` has now, if anything; changes the channel's state on events.
    fn poll_channel(&mut self, channel: usize) -> Result<Option<GateItem>, WeirError> {
        let input = &mut self.channels[channel];
        loop {
            match &mut input.state {
                ChannelState::Ended => return Ok(None),
                ChannelState::ReadingBlocking(reader) => {
                    return Ok(Some(
                        match reader.next_buffer(&self.pool, &self.cancel, &self.name)? {
                            Some((buffer, header)) => GateItem::Buffer(ChannelBuffer {
                                channel,
                                buffer,
                                header,
                                credit: None,
                            }),
                            None => {
                                input.state = ChannelState::Ended;
                                self.ended_channels += 1;
                                GateItem::ChannelEnded { channel }
                            }
                        },
                    ));
                }
                ChannelState::Pipelined | ChannelState::AwaitingBlocking => {
                    if input.partition.is_failed() {
                        return Err(input.partition.failure());
                    }
                    match input.events.try_recv() {
                        Ok(SubpartitionEvent::Buffer(buffer, header)) => {
                            let credit = input
                                .credit_to
                                .as_ref()
                                .map(|subpartition| CreditReturn::new(Arc::clone(subpartition)));
                            return Ok(Some(GateItem::Buffer(ChannelBuffer {
                                channel,
                                buffer,
                                header,
                                credit,
                            })));
                        }
                        Ok(SubpartitionEvent::Event(event)) => {
                            return Ok(Some(GateItem::Event { channel, event }));
                        }
                        Ok(SubpartitionEvent::EndOfPartition) => {
                            input.state = ChannelState::Ended;
                            self.ended_channels += 1;
                            return Ok(Some(GateItem::ChannelEnded { channel }));
                        }
                        Ok(SubpartitionEvent::Finished) => {
                            let reader = input.partition.take_finished(input.subpartition)?;
                            input.state = ChannelState::ReadingBlocking(Box::new(reader));
                        }
                        Ok(SubpartitionEvent::Failed) => return Err(input.partition.failure()),
                        Err(TryRecvError::Empty) => return Ok(None),
                        Err(TryRecvError::Disconnected) => {
                            unreachable!("the partition holds the sender of its queues")
                        }
                    }
                }
            }
        }
    }

    /// Waits until a queue of an unblocked waiting channel has an event, or `slice` passed
    /// (sleeps when every channel that could still deliver is blocked). Counts as idle time.
    fn wait_for_events(&mut self, slice: Duration) {
        let started = Instant::now();
        {
            let mut select = Select::new();
            let mut waiting = 0;
            for input in &self.channels {
                if !input.blocked && input.state.waits_for_events() {
                    select.recv(&input.events);
                    waiting += 1;
                }
            }
            if waiting > 0 {
                let _ = select.ready_timeout(slice);
            } else {
                std::thread::sleep(slice);
            }
        }
        self.idle += started.elapsed();
    }
}

impl Drop for InputGate {
    fn drop(&mut self) {
        for input in &mut self.channels {
            if !matches!(input.state, ChannelState::Ended) {
                // Drops the spill reader (its pages return, its file goes) and the queue.
                input.state = ChannelState::Ended;
                input.partition.release(input.subpartition);
            }
        }
    }
}
