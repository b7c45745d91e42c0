//! [`RecordReader`]: the consumer side of an exchange, typed. Deserializes records from the
//! buffers an [`InputGate`] hands out, following each buffer's [`BufferHeader`].
//!
//! ```text
//!  gate.next_buffer() ─▶ (channel c, buffer, header)
//!      │ channel c has a spanning record?  ─yes─▶ append buffer[..continuation_bytes] to it;
//!      │                                         complete? deserialize it from the area
//!      ▼
//!  records starting in the buffer: deserialize each in place (a view over the one page, up to
//!  its length); the last one, if it ends mid-record, is copied into c's spanning area
//!      ▼
//!  buffer dropped (back to its pool) before the next one is asked for
//! ```
//!
//! The reader holds at most one buffer and never waits for a particular channel, so a record
//! spread over buffers can never block the gate while other channels hold the pools. Every
//! buffer is checked against its header: records must end exactly where the next starts and the
//! last at the buffer's length, else the read fails with [`WeirError::BufferFraming`].

use std::fmt;

use weir_memory::{NetworkBuffer, OnePageSource, PagedInputView};

use crate::error::WeirError;
use crate::runtime::network::buffer_header::BufferHeader;
use crate::runtime::network::input_gate::InputGate;
use crate::runtime::network::spanning_record::SpanningRecord;
use crate::types::TypeSerializer;

/// The buffer being read.
struct CurrentBuffer {
    channel: usize,
    buffer: NetworkBuffer,
    header: BufferHeader,
    position: usize,
    starts_left: u32,
}

/// Consumer side, typed. See the module docs.
pub struct RecordReader<S: TypeSerializer> {
    gate: InputGate,
    serializer: S,
    current: Option<CurrentBuffer>,
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
            spanning,
            records_in: 0,
            bytes_in: 0,
        }
    }

    pub fn gate(&self) -> &InputGate {
        &self.gate
    }

    pub fn records_in(&self) -> u64 {
        self.records_in
    }

    /// Serialized bytes read (framing excluded).
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in
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

    /// The next record of any channel; `None` after every channel ended.
    // Not an `Iterator`: reading fails with errors and the reader is not fused by type.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<S::Value>, WeirError> {
        loop {
            if let Some(current) = &mut self.current {
                if current.starts_left > 0 {
                    if current.starts_left == 1 && current.header.ends_mid_record {
                        let bytes = &current.buffer.data()[current.position..];
                        self.spanning[current.channel].start(bytes, current.buffer.capacity())?;
                        current.position = current.buffer.len();
                        current.starts_left = 0;
                    } else {
                        return self.read_in_buffer().map(Some);
                    }
                }
                if current.position != current.buffer.len() {
                    return Err(self.framing(
                        "the records of the buffer end before its length",
                        self.current.as_ref().map_or(0, |c| c.buffer.len()),
                        self.current.as_ref().map_or(0, |c| c.position),
                    ));
                }
                // Back to its pool before the next buffer is asked for.
                self.current = None;
            }
            let Some(next) = self.gate.next_buffer()? else {
                if let Some(channel) = self.spanning.iter().position(SpanningRecord::in_progress) {
                    return Err(WeirError::BufferFraming {
                        gate: self.gate.name().to_string(),
                        channel,
                        problem: "the channel ended inside a record",
                        expected: 0,
                        found: self.spanning[channel].len_bytes(),
                    });
                }
                return Ok(None);
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
                });
                continue;
            }
            let page_size = next.buffer.capacity();
            area.append(&next.buffer.data()[..continuation], page_size)?;
            let channel = next.channel;
            if header.record_starts == 0 && header.ends_mid_record {
                // The record goes on in the next buffer of this channel.
                continue;
            }
            self.current = Some(CurrentBuffer {
                channel,
                buffer: next.buffer,
                header,
                position: continuation,
                starts_left: header.record_starts,
            });
            return self.read_spanning(channel, page_size).map(Some);
        }
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
