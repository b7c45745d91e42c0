//! [`RecordReader`]: the consumer side of an exchange, typed. Deserializes records from the
//! buffers an [`InputGate`] hands out, following each buffer's [`BufferHeader`], and passes on
//! the channels' events and ends.
//!
//! ```text
//!  gate.next_item() ─▶ Buffer (channel c, buffer, header)
//!      │ channel c has a spanning record?  ─yes─▶ append buffer[..continuation_bytes] to it;
//!      │                                         complete? deserialize it from the area
//!      ▼
//!  records starting in the buffer: deserialize each in place (a view over the one page, up to
//!  its length); the last one, if it ends mid-record, is copied into c's spanning area
//!      ▼
//!  buffer dropped (back to its pool, credit back to its sender) before the next item is asked for
//!
//!  gate.next_item() ─▶ Event (c, event) / ChannelEnded (c) ─▶ handed on (never inside a record)
//!                  ─▶ Timeout / Finished               ─▶ handed on
//! ```
//!
//! Two ways to read:
//! * [`RecordReader::next_element`] (streaming): a [`ReaderItem`]: a record, an event or the end
//!   of a channel, in each channel's order, or `Timeout` when nothing arrived in time (the task
//!   then runs its timers, flushes and checks its mailbox), or `Finished` after every channel
//!   ended. The records of the current buffer come before anything else of that channel, since
//!   an event always sits at a buffer boundary.
//! * [`RecordReader::next`] (batch): records only, `None` at the end; events are skipped.
//!
//! **Blocked channels** (barrier alignment): [`RecordReader::block_channel`] stops reading a
//! channel until [`RecordReader::unblock_all_channels`]; the others go on. Should the current
//! buffer belong to that channel, it is parked with its position and resumed first once the
//! channel is unblocked, so no record is skipped or reordered.
//!
//! The reader holds at most one buffer (plus parked ones of blocked channels) and never waits
//! for a particular channel, so a record spread over buffers can never block the gate while other
//! channels hold the pools. Every buffer is checked against its header: records must end exactly
//! where the next starts and the last at the buffer's length, and no event or channel end may
//! come inside a record, else the read fails with [`WeirError::BufferFraming`]. The hot path (a
//! record of the current buffer) takes no lock, allocates nothing and reads no clock.

use std::fmt;
use std::time::{Duration, Instant};

use weir_memory::{NetworkBuffer, OnePageSource, PagedInputView};

use crate::error::WeirError;
use crate::runtime::network::buffer_header::BufferHeader;
use crate::runtime::network::channel_event::ChannelEvent;
use crate::runtime::network::input_gate::{GateItem, InputGate};
use crate::runtime::network::pipelined_subpartition::CreditReturn;
use crate::runtime::network::spanning_record::SpanningRecord;
use crate::types::TypeSerializer;

/// What [`RecordReader::next_element`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderItem<T> {
    /// A record of `channel`.
    Record { channel: usize, value: T },
    /// An in-order event of `channel` (watermark, idleness, checkpoint barrier).
    Event { channel: usize, event: ChannelEvent },
    /// `channel` ended; reported once per channel.
    ChannelEnded { channel: usize },
    /// Nothing arrived within the timeout.
    Timeout,
    /// Every channel ended (after each was reported with `ChannelEnded`).
    Finished,
}

/// The buffer being read.
struct CurrentBuffer {
    channel: usize,
    buffer: NetworkBuffer,
    header: BufferHeader,
    position: usize,
    starts_left: u32,
    /// Dropped after the buffer: the sender gets its credit back.
    _credit: Option<CreditReturn>,
}

/// How long a read may wait for the gate.
#[derive(Debug, Clone, Copy)]
enum WaitLimit {
    For(Duration),
    Until(Instant),
}

/// Consumer side, typed. See the module docs.
pub struct RecordReader<S: TypeSerializer> {
    gate: InputGate,
    serializer: S,
    current: Option<CurrentBuffer>,
    /// Buffers of channels blocked while being read.
    parked: Vec<CurrentBuffer>,
    spanning: Vec<SpanningRecord>,
    records_in: u64,
    bytes_in: u64,
}

impl<S: TypeSerializer> fmt::Debug for RecordReader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordReader")
            .field("gate", &self.gate)
            .field("records_in", &self.records_in)
            .field("bytes_in", &self.bytes_in)
            .finish()
    }
}

impl<S: TypeSerializer> RecordReader<S> {
    pub fn new(gate: InputGate, serializer: S) -> Self {
        let spanning = (0..gate.num_channels())
            .map(|_| SpanningRecord::default())
            .collect();
        RecordReader {
            gate,
            serializer,
            current: None,
            parked: Vec::new(),
            spanning,
            records_in: 0,
            bytes_in: 0,
        }
    }

    pub fn gate(&self) -> &InputGate {
        &self.gate
    }

    pub fn num_channels(&self) -> usize {
        self.gate.num_channels()
    }

    pub fn records_in(&self) -> u64 {
        self.records_in
    }

    /// Serialized bytes read (framing excluded).
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in
    }

    /// Total time [`RecordReader::next_element`] and [`RecordReader::next`] waited for input.
    pub fn idle_time(&self) -> Duration {
        self.gate.idle_time()
    }

    /// Pages allocated for records spanning buffers, over the reader's life.
    pub fn spanning_pages_allocated(&self) -> u64 {
        self.spanning.iter().map(|area| area.pages_allocated).sum()
    }

    /// Most pages one channel's spanning area held at once.
    pub fn spanning_pages_peak(&self) -> usize {
        self.spanning
            .iter()
            .map(|area| area.peak_pages)
            .max()
            .unwrap_or(0)
    }

    /// Stops reading `channel` (barrier alignment) until
    /// [`RecordReader::unblock_all_channels`]; other channels go on. Panics when `channel` is
    /// out of range.
    pub fn block_channel(&mut self, channel: usize) {
        self.gate.block_channel(channel);
        if self
            .current
            .as_ref()
            .is_some_and(|current| current.channel == channel)
        {
            let current = self.current.take().expect("checked above");
            self.parked.push(current);
        }
    }

    /// Reads every channel again; parked buffers are resumed first.
    pub fn unblock_all_channels(&mut self) {
        self.gate.unblock_all_channels();
    }

    /// Panics when `channel` is out of range.
    pub fn is_channel_blocked(&self, channel: usize) -> bool {
        self.gate.is_channel_blocked(channel)
    }

    /// The next record, event or channel end of any unblocked channel, waiting at most about
    /// `timeout` for one ([`ReaderItem::Timeout`]); [`ReaderItem::Finished`] once every channel
    /// ended. Fails when the job is canceled, a partition failed or the framing is broken.
    pub fn next_element(&mut self, timeout: Duration) -> Result<ReaderItem<S::Value>, WeirError> {
        self.next_item(Some(WaitLimit::For(timeout)))
    }

    /// [`RecordReader::next_element`] waiting at most until `deadline`: a caller reading many
    /// items against one deadline reads no clock per item (the reader reads it only when it
    /// has to wait for the gate).
    pub fn next_element_until(
        &mut self,
        deadline: Instant,
    ) -> Result<ReaderItem<S::Value>, WeirError> {
        self.next_item(Some(WaitLimit::Until(deadline)))
    }

    /// The next record of any channel; `None` after every channel ended. Channel events are
    /// skipped; with every channel that has not ended blocked, it waits until canceled.
    // Not an `Iterator`: reading fails with errors and the reader is not fused by type.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<S::Value>, WeirError> {
        loop {
            match self.next_item(None)? {
                ReaderItem::Record { value, .. } => return Ok(Some(value)),
                ReaderItem::Event { .. } | ReaderItem::ChannelEnded { .. } => {}
                ReaderItem::Finished => return Ok(None),
                ReaderItem::Timeout => unreachable!("no deadline, so no timeout"),
            }
        }
    }

    fn next_item(&mut self, limit: Option<WaitLimit>) -> Result<ReaderItem<S::Value>, WeirError> {
        // Set when the gate is first asked, so the clock is read only when a buffer is done.
        let mut deadline: Option<Instant> = None;
        loop {
            if let Some(current) = &mut self.current {
                if current.starts_left > 0 {
                    if current.starts_left == 1 && current.header.ends_mid_record {
                        let bytes = &current.buffer.data()[current.position..];
                        self.spanning[current.channel].start(bytes, current.buffer.capacity())?;
                        current.position = current.buffer.len();
                        current.starts_left = 0;
                    } else {
                        let channel = current.channel;
                        let value = self.read_in_buffer()?;
                        return Ok(ReaderItem::Record { channel, value });
                    }
                }
                if current.position != current.buffer.len() {
                    return Err(self.framing(
                        "the records of the buffer end before its length",
                        self.current.as_ref().map_or(0, |c| c.buffer.len()),
                        self.current.as_ref().map_or(0, |c| c.position),
                    ));
                }
                // Back to its pool (and the credit to its sender) before the next item.
                self.current = None;
            }
            if !self.parked.is_empty()
                && let Some(index) = self
                    .parked
                    .iter()
                    .position(|parked| !self.gate.is_channel_blocked(parked.channel))
            {
                self.current = Some(self.parked.swap_remove(index));
                continue;
            }
            let deadline = limit.map(|limit| {
                *deadline.get_or_insert_with(|| match limit {
                    WaitLimit::For(timeout) => Instant::now() + timeout,
                    WaitLimit::Until(deadline) => deadline,
                })
            });
            let next = match self.gate.next_item(deadline)? {
                GateItem::Buffer(next) => next,
                GateItem::Event { channel, event } => {
                    self.check_between_records(channel, "an event came inside a record")?;
                    return Ok(ReaderItem::Event { channel, event });
                }
                GateItem::ChannelEnded { channel } => {
                    self.check_between_records(channel, "the channel ended inside a record")?;
                    return Ok(ReaderItem::ChannelEnded { channel });
                }
                GateItem::Timeout => return Ok(ReaderItem::Timeout),
                GateItem::Finished => return Ok(ReaderItem::Finished),
            };
            let header = next.header;
            let continuation = header.continuation_bytes as usize;
            if continuation > next.buffer.len() {
                return Err(WeirError::BufferFraming {
                    gate: self.gate.name().to_string(),
                    channel: next.channel,
                    problem: "the continuation is longer than the buffer",
                    expected: next.buffer.len(),
                    found: continuation,
                });
            }
            let area = &mut self.spanning[next.channel];
            if !area.in_progress() {
                if continuation != 0 {
                    return Err(WeirError::BufferFraming {
                        gate: self.gate.name().to_string(),
                        channel: next.channel,
                        problem: "a buffer continues a record that never started",
                        expected: 0,
                        found: continuation,
                    });
                }
                self.current = Some(CurrentBuffer {
                    channel: next.channel,
                    buffer: next.buffer,
                    header,
                    position: 0,
                    starts_left: header.record_starts,
                    _credit: next.credit,
                });
                continue;
            }
            let page_size = next.buffer.capacity();
            area.append(&next.buffer.data()[..continuation], page_size)?;
            let channel = next.channel;
            if header.record_starts == 0 && header.ends_mid_record {
                // The record goes on in the next buffer of this channel; this one (and its
                // credit) goes back now.
                continue;
            }
            self.current = Some(CurrentBuffer {
                channel,
                buffer: next.buffer,
                header,
                position: continuation,
                starts_left: header.record_starts,
                _credit: next.credit,
            });
            let value = self.read_spanning(channel, page_size)?;
            return Ok(ReaderItem::Record { channel, value });
        }
    }

    /// Events and ends come between records: `channel` must have no record in progress.
    fn check_between_records(
        &self,
        channel: usize,
        problem: &'static str,
    ) -> Result<(), WeirError> {
        let area = &self.spanning[channel];
        if area.in_progress() {
            return Err(WeirError::BufferFraming {
                gate: self.gate.name().to_string(),
                channel,
                problem,
                expected: 0,
                found: area.len_bytes(),
            });
        }
        Ok(())
    }

    /// Deserializes the record at the current position, inside the current buffer.
    #[inline]
    fn read_in_buffer(&mut self) -> Result<S::Value, WeirError> {
        let current = self.current.as_mut().expect("called with a current buffer");
        let mut view = PagedInputView::new_at(
            OnePageSource::new(current.buffer.segment(), current.buffer.len()),
            current.position,
        );
        let value = self.serializer.deserialize(&mut view)?;
        current.position = view.position_in_page();
        current.starts_left -= 1;
        self.records_in += 1;
        self.bytes_in += view.bytes_read();
        Ok(value)
    }

    /// Deserializes the completed spanning record of `channel`.
    fn read_spanning(&mut self, channel: usize, page_size: usize) -> Result<S::Value, WeirError> {
        let area = &mut self.spanning[channel];
        let mut view = PagedInputView::new(area.source(page_size));
        let value = self.serializer.deserialize(&mut view)?;
        let read = view.bytes_read() as usize;
        if read != area.len_bytes() {
            return Err(WeirError::BufferFraming {
                gate: self.gate.name().to_string(),
                channel,
                problem: "a record spanning buffers was not read to its end",
                expected: area.len_bytes(),
                found: read,
            });
        }
        area.clear();
        self.records_in += 1;
        self.bytes_in += read as u64;
        Ok(value)
    }

    fn framing(&self, problem: &'static str, expected: usize, found: usize) -> WeirError {
        WeirError::BufferFraming {
            gate: self.gate.name().to_string(),
            channel: self.current.as_ref().map_or(0, |current| current.channel),
            problem,
            expected,
            found,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use weir_memory::{IoManager, NetworkBufferPool, PageSize};

    use super::*;
    use crate::runtime::network::{
        CancelToken, CheckpointBarrier, PartitionKind, RecordWriter, ResultPartition, SnapshotKind,
    };
    use crate::types::DefaultSerializer;

    struct Setup {
        buffers: NetworkBufferPool,
        io: Arc<IoManager>,
        cancel: CancelToken,
        _dir: tempfile::TempDir,
    }

    impl Setup {
        fn new() -> Setup {
            let dir = tempfile::tempdir().unwrap();
            Setup {
                buffers: NetworkBufferPool::new(32, PageSize::new(4096).unwrap()).unwrap(),
                io: Arc::new(IoManager::new(&[dir.path().to_path_buf()]).unwrap()),
                cancel: CancelToken::new(),
                _dir: dir,
            }
        }

        fn pipelined(&self, name: &str, subpartitions: usize) -> Arc<ResultPartition> {
            let pool = self
                .buffers
                .create_local_pool(name, subpartitions + 1, 8)
                .unwrap();
            ResultPartition::new(
                name,
                PartitionKind::Pipelined,
                subpartitions,
                pool,
                Arc::clone(&self.io),
                self.cancel.clone(),
            )
        }

        fn reader(
            &self,
            channels: Vec<(Arc<ResultPartition>, usize)>,
        ) -> RecordReader<U64Serializer> {
            let gate = InputGate::new(
                "gate",
                channels,
                self.buffers.create_local_pool("gate", 1, 1).unwrap(),
                self.cancel.clone(),
            )
            .unwrap();
            RecordReader::new(gate, u64::serializer())
        }
    }

    type U64Serializer = <u64 as DefaultSerializer>::Serializer;

    const SHORT: Duration = Duration::from_millis(30);

    fn barrier(id: u64) -> ChannelEvent {
        ChannelEvent::Barrier(CheckpointBarrier {
            id,
            timestamp_ms: 0,
            kind: SnapshotKind::Checkpoint,
        })
    }

    #[test]
    fn events_and_channel_ends_come_in_order_between_records() {
        let setup = Setup::new();
        let partition = setup.pipelined("p", 1);
        let mut writer = RecordWriter::new(Arc::clone(&partition), u64::serializer()).unwrap();
        let mut reader = setup.reader(vec![(Arc::clone(&partition), 0)]);
        assert_eq!(reader.next_element(SHORT).unwrap(), ReaderItem::Timeout);
        writer.emit(0, &1).unwrap();
        writer.emit(0, &2).unwrap();
        writer.broadcast_event(ChannelEvent::Watermark(10)).unwrap();
        writer.emit(0, &3).unwrap();
        writer.broadcast_event(ChannelEvent::Idle(true)).unwrap();
        writer.finish().unwrap();
        let mut items = Vec::new();
        loop {
            let item = reader.next_element(SHORT).unwrap();
            let done = item == ReaderItem::Finished;
            items.push(item);
            if done {
                break;
            }
        }
        let record = |value| ReaderItem::Record { channel: 0, value };
        assert_eq!(
            items,
            vec![
                record(1),
                record(2),
                ReaderItem::Event {
                    channel: 0,
                    event: ChannelEvent::Watermark(10)
                },
                record(3),
                ReaderItem::Event {
                    channel: 0,
                    event: ChannelEvent::Idle(true)
                },
                ReaderItem::ChannelEnded { channel: 0 },
                ReaderItem::Finished,
            ]
        );
        assert_eq!(reader.next_element(SHORT).unwrap(), ReaderItem::Finished);
    }

    #[test]
    fn a_channel_blocked_mid_buffer_is_parked_and_resumed_in_order() {
        let setup = Setup::new();
        let left = setup.pipelined("left", 1);
        let right = setup.pipelined("right", 1);
        let mut left_writer = RecordWriter::new(Arc::clone(&left), u64::serializer()).unwrap();
        let mut right_writer = RecordWriter::new(Arc::clone(&right), u64::serializer()).unwrap();
        let mut reader = setup.reader(vec![(Arc::clone(&left), 0), (Arc::clone(&right), 0)]);
        for value in 0..5 {
            left_writer.emit(0, &value).unwrap();
        }
        left_writer.flush().unwrap();
        let first = reader.next_element(SHORT).unwrap();
        assert_eq!(
            first,
            ReaderItem::Record {
                channel: 0,
                value: 0
            }
        );
        // Blocked in the middle of its buffer: nothing more of channel 0, channel 1 goes on.
        reader.block_channel(0);
        assert!(reader.is_channel_blocked(0));
        assert_eq!(reader.next_element(SHORT).unwrap(), ReaderItem::Timeout);
        right_writer.emit(0, &100).unwrap();
        right_writer.broadcast_event(barrier(1)).unwrap();
        assert_eq!(
            reader.next_element(SHORT).unwrap(),
            ReaderItem::Record {
                channel: 1,
                value: 100
            }
        );
        assert_eq!(
            reader.next_element(SHORT).unwrap(),
            ReaderItem::Event {
                channel: 1,
                event: barrier(1)
            }
        );
        reader.block_channel(1);
        assert_eq!(reader.next_element(SHORT).unwrap(), ReaderItem::Timeout);
        reader.unblock_all_channels();
        assert!(!reader.is_channel_blocked(0) && !reader.is_channel_blocked(1));
        let rest: Vec<_> = (0..4)
            .map(|_| reader.next_element(SHORT).unwrap())
            .collect();
        let expected: Vec<_> = (1..5)
            .map(|value| ReaderItem::Record { channel: 0, value })
            .collect();
        assert_eq!(rest, expected);
        left_writer.finish().unwrap();
        right_writer.finish().unwrap();
        let mut ends = Vec::new();
        while let ReaderItem::ChannelEnded { channel } = reader.next_element(SHORT).unwrap() {
            ends.push(channel);
        }
        ends.sort_unstable();
        assert_eq!(ends, vec![0, 1]);
        assert!(reader.gate().is_finished());
    }

    #[test]
    fn the_batch_reader_skips_events() {
        let setup = Setup::new();
        let partition = setup.pipelined("p", 1);
        let mut writer = RecordWriter::new(Arc::clone(&partition), u64::serializer()).unwrap();
        let mut reader = setup.reader(vec![(Arc::clone(&partition), 0)]);
        writer.emit(0, &7).unwrap();
        writer.broadcast_event(ChannelEvent::Watermark(1)).unwrap();
        writer.emit(0, &8).unwrap();
        writer.finish().unwrap();
        assert_eq!(reader.next().unwrap(), Some(7));
        assert_eq!(reader.next().unwrap(), Some(8));
        assert_eq!(reader.next().unwrap(), None);
    }
}
