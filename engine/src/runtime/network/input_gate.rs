//! [`InputGate`]: the consumer side of an exchange. Reads subpartition `index` of each of a list
//! of result partitions (its *channels*) and hands out their buffers, multiplexed.
//!
//! ```text
//!   channel 0: partition A, subpartition 2 ─┐
//!   channel 1: partition B, subpartition 2 ─┼──▶ next_buffer() ──▶ (channel, buffer, header)
//!   channel 2: partition C, subpartition 2 ─┘        round robin over channels with data;
//!                                                    waits on all queues at once when none has
//! ```
//!
//! Channel states:
//! ```text
//!  Pipelined ───────────── EndOfPartition ──────────────────────────▶ Ended
//!  AwaitingBlocking ──Finished──▶ ReadingBlocking ──last buffer read──▶ Ended
//! ```
//! A pipelined channel yields whatever its queue holds and never makes the gate wait for it in
//! particular: when no channel has a buffer, the gate waits on every queue at once (a crossbeam
//! `Select`), checking the [`CancelToken`] every few milliseconds. A blocking channel, once its
//! partition finished, always has data (from disk or memory) until it ends, so the gate stays on
//! it until it ends: then only one spill reader (with its read-ahead buffers from the gate's
//! pool) is open at a time, and a pool of one buffer is enough.
//!
//! Buffers of pipelined channels are the producer's own pool buffers (a local exchange copies
//! nothing); spilled blocks are read into buffers of the gate's pool. Either way the caller drops
//! a buffer when done, which returns it to its pool. A gate dropped before its channels ended
//! releases their subpartitions: queued buffers and spill files are dropped at once.

use std::fmt;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Select, TryRecvError};
use weir_memory::{LocalBufferPool, NetworkBuffer};

use crate::error::WeirError;
use crate::runtime::network::blocking_subpartition::{BlockingSubpartitionReader, WAIT_SLICE};
use crate::runtime::network::buffer_header::BufferHeader;
use crate::runtime::network::cancel_token::CancelToken;
use crate::runtime::network::result_partition::{
    PartitionKind, ResultPartition, SubpartitionEvent,
};

/// A buffer from one channel of a gate.
#[derive(Debug)]
pub(crate) struct ChannelBuffer {
    pub(crate) channel: usize,
    pub(crate) buffer: NetworkBuffer,
    pub(crate) header: BufferHeader,
}

struct InputChannel {
    partition: Arc<ResultPartition>,
    subpartition: usize,
    events: Receiver<SubpartitionEvent>,
    state: ChannelState,
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
    /// Where the next round robin starts.
    next_channel: usize,
    ended_channels: usize,
}

impl fmt::Debug for InputGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputGate")
            .field("name", &self.name)
            .field("channels", &self.channels.len())
            .field("ended_channels", &self.ended_channels)
            .finish()
    }
}

impl InputGate {
    /// A gate over `channels` (partition, subpartition index), reading spilled blocks into
    /// buffers of `pool`. Each subpartition can be read by one gate only. A gate with a
    /// blocking channel needs a pool that guarantees at least one buffer.
    pub fn new(
        name: impl Into<String>,
        channels: Vec<(Arc<ResultPartition>, usize)>,
        pool: LocalBufferPool,
        cancel: CancelToken,
    ) -> Result<InputGate, WeirError> {
        let name = name.into();
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
            next_channel: 0,
            ended_channels: 0,
        };
        for (partition, subpartition) in channels {
            // On an error the gate drops and releases what it claimed so far.
            let events = partition.claim(subpartition)?;
            let state = match partition.kind() {
                PartitionKind::Pipelined => ChannelState::Pipelined,
                PartitionKind::Blocking => ChannelState::AwaitingBlocking,
            };
            gate.channels.push(InputChannel {
                partition,
                subpartition,
                events,
                state,
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

    /// Whether every channel ended.
    pub fn is_finished(&self) -> bool {
        self.ended_channels == self.channels.len()
    }

    /// The next buffer of any channel; `None` once every channel ended. Waits when no channel
    /// has data; fails when the job is canceled or a partition failed.
    pub(crate) fn next_buffer(&mut self) -> Result<Option<ChannelBuffer>, WeirError> {
        loop {
            if self.cancel.is_canceled() {
                return Err(WeirError::Canceled {
                    component: format!("input gate {}", self.name),
                });
            }
            if self.is_finished() {
                return Ok(None);
            }
            let count = self.channels.len();
            for step in 0..count {
                let channel = (self.next_channel + step) % count;
                if let Some((buffer, header)) = self.poll_channel(channel)? {
                    // Stay on a blocking channel until it ends; move on from a pipelined one.
                    self.next_channel = match self.channels[channel].state {
                        ChannelState::ReadingBlocking(_) => channel,
                        _ => (channel + 1) % count,
                    };
                    return Ok(Some(ChannelBuffer {
                        channel,
                        buffer,
                        header,
                    }));
                }
            }
            if !self.is_finished() {
                self.wait_for_events();
            }
        }
    }

    /// A buffer of `channel` if it has one now; changes the channel's state on events.
    fn poll_channel(
        &mut self,
        channel: usize,
    ) -> Result<Option<(NetworkBuffer, BufferHeader)>, WeirError> {
        let input = &mut self.channels[channel];
        loop {
            match &mut input.state {
                ChannelState::Ended => return Ok(None),
                ChannelState::ReadingBlocking(reader) => {
                    let next = reader.next_buffer(&self.pool, &self.cancel, &self.name)?;
                    if next.is_none() {
                        input.state = ChannelState::Ended;
                        self.ended_channels += 1;
                    }
                    return Ok(next);
                }
                ChannelState::Pipelined | ChannelState::AwaitingBlocking => {
                    if input.partition.is_failed() {
                        return Err(input.partition.failure());
                    }
                    match input.events.try_recv() {
                        Ok(SubpartitionEvent::Buffer(buffer, header)) => {
                            return Ok(Some((buffer, header)));
                        }
                        Ok(SubpartitionEvent::EndOfPartition) => {
                            input.state = ChannelState::Ended;
                            self.ended_channels += 1;
                            return Ok(None);
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

    /// Waits until a queue of a waiting channel has an event, or a wait slice passed.
    fn wait_for_events(&self) {
        let mut select = Select::new();
        let mut waiting = 0;
        for input in &self.channels {
            if input.state.waits_for_events() {
                select.recv(&input.events);
                waiting += 1;
            }
        }
        if waiting > 0 {
            let _ = select.ready_timeout(WAIT_SLICE);
        }
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
