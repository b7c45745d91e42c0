//! [`RecordWriter`]: the producer side of an exchange, typed. Serializes records straight into
//! the open network buffer of their subpartition.
//!
//! ```text
//!  emit(sub, record) ──▶ open buffer of `sub` ── full mid-record ──▶ seal (ends_mid_record) ──▶
//!                        (PagedOutputView over    ResultPartition::add_buffer, then a new buffer
//!                         a SubpartitionTarget)   from ResultPartition::request_buffer
//! ```
//!
//! Each subpartition has at most one open buffer with its [`HeaderBuilder`]. Before a record
//! the writer notes its start (and moves to a fresh buffer if the open one is full, so no record
//! starts at the very end of a buffer); when the serializer crosses the end of the buffer, the
//! target seals it as `ends_mid_record` and continues in a new one. Nothing is allocated per
//! record.
//!
//! **Flushing and events** (streaming, pipelined partitions only):
//! ```text
//!  flush()                 ── seal every open buffer that holds something ──▶ add_buffer
//!  broadcast_event(event)  ── flush(), then on every subpartition ──────────▶ add_event
//!
//!  subpartition 0:  … [r7 r8 r9] | Watermark | [r10 …
//!                      sealed early  ▲ always at a buffer boundary, never inside a record
//! ```
//! The task calls [`RecordWriter::flush`] every `execution.buffer-timeout` (after every record
//! with a timeout of 0), so a flush is cheap: it only looks at the open buffers, seals those
//! holding bytes or records, and keeps empty ones open for the next record; it allocates
//! nothing. Events are called between records, so no record is ever split by one. How sealed
//! buffers and events then reach the consumer (credit, backlog) is up to the partition.
//!
//! Errors: a serializer that fails before crossing a buffer boundary leaves no trace (the record
//! is rolled back) and the writer stays usable. A failure after a boundary (part of the record
//! is already handed on), a canceled wait or a failed partition makes the writer failed and
//! fails the partition, so consumers see an error instead of a torn record. A writer dropped
//! without [`RecordWriter::finish`] fails the partition too.

use std::fmt;
use std::sync::Arc;

use weir_memory::{MemoryError, MemorySegment, NetworkBuffer, PagedOutputView, SegmentTarget};

use crate::error::WeirError;
use crate::runtime::network::buffer_header::HeaderBuilder;
use crate::runtime::network::channel_event::ChannelEvent;
use crate::runtime::network::result_partition::{PartitionKind, ResultPartition};
use crate::types::TypeSerializer;

/// A buffer being filled.
#[derive(Debug)]
struct OpenBuffer {
    buffer: NetworkBuffer,
    position: usize,
    header: HeaderBuilder,
}

/// Producer side, typed. See the module docs.
pub struct RecordWriter<S: TypeSerializer> {
    partition: Arc<ResultPartition>,
    serializer: S,
    open: Vec<Option<OpenBuffer>>,
    records_out: u64,
    bytes_out: u64,
    failed: bool,
    finished: bool,
}

impl<S: TypeSerializer> fmt::Debug for RecordWriter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordWriter")
            .field("partition", &self.partition.name())
            .field("records_out", &self.records_out)
            .field("bytes_out", &self.bytes_out)
            .field("failed", &self.failed)
            .finish()
    }
}

/// Where the serializer writes: the open buffer of one subpartition; crossing its end seals it
/// and opens the next.
struct SubpartitionTarget<'a> {
    partition: &'a ResultPartition,
    subpartition: usize,
    open: &'a mut Option<OpenBuffer>,
    /// Buffers sealed while writing this record.
    crossings: usize,
    /// Why `advance` failed (it can only report a `MemoryError`).
    error: Option<WeirError>,
}

impl SegmentTarget for SubpartitionTarget<'_> {
    #[inline]
    fn current_mut(&mut self) -> &mut MemorySegment {
        self.open
            .as_mut()
            .expect("a record is written into an open buffer")
            .buffer
            .segment_mut()
    }

    fn advance(&mut self, used_bytes: usize) -> Result<(), MemoryError> {
        let full = self
            .open
            .take()
            .expect("a record is written into an open buffer");
        let header = full.header.seal(used_bytes, true);
        let mut buffer = full.buffer;
        buffer.set_len(used_bytes);
        self.crossings += 1;
        let next = self
            .partition
            .add_buffer(self.subpartition, buffer, header)
            .and_then(|()| self.partition.request_buffer());
        match next {
            Ok(buffer) => {
                *self.open = Some(OpenBuffer {
                    buffer,
                    position: 0,
                    header: HeaderBuilder::continuing(),
                });
                Ok(())
            }
            Err(error) => {
                self.error = Some(error);
                // Never shown: the writer reports `error` instead.
                Err(MemoryError::BufferPoolDestroyed {
                    pool: self.partition.pool().name().to_string(),
                })
            }
        }
    }
}

impl<S: TypeSerializer> RecordWriter<S> {
    /// The one writer of `partition`. Fails when the partition's pool guarantees fewer than
    /// `num_subpartitions + 1` buffers ([`WeirError::TooFewNetworkBuffers`]) or the partition
    /// already has a writer.
    pub fn new(partition: Arc<ResultPartition>, serializer: S) -> Result<Self, WeirError> {
        partition.attach_writer()?;
        let open = (0..partition.num_subpartitions()).map(|_| None).collect();
        Ok(RecordWriter {
            partition,
            serializer,
            open,
            records_out: 0,
            bytes_out: 0,
            failed: false,
            finished: false,
        })
    }

    pub fn partition(&self) -> &Arc<ResultPartition> {
        &self.partition
    }

    pub fn records_out(&self) -> u64 {
        self.records_out
    }

    /// Serialized bytes written (framing excluded).
    pub fn bytes_out(&self) -> u64 {
        self.bytes_out
    }

    /// Writes `record` to subpartition `subpartition`.
    pub fn emit(&mut self, subpartition: usize, record: &S::Value) -> Result<(), WeirError> {
        self.check_usable()?;
        if subpartition >= self.open.len() {
            return Err(WeirError::SubpartitionOutOfRange {
                partition: self.partition.name().to_string(),
                subpartition,
                count: self.open.len(),
            });
        }
        let result = self.write_record(subpartition, record);
        if let Err(error) = &result
            && self.failed
        {
            self.partition.fail(error.to_string());
        }
        result
    }

    /// Writes `record` to every subpartition.
    pub fn broadcast(&mut self, record: &S::Value) -> Result<(), WeirError> {
        for subpartition in 0..self.open.len() {
            self.emit(subpartition, record)?;
        }
        Ok(())
    }

    /// Pipelined: seals the partly filled buffers and hands them on now (each reaches its
    /// consumer as soon as the consumer has credit for it); empty buffers stay open, so this is
    /// cheap enough to call after every record. Blocking: nothing to do (consumers read only
    /// after [`RecordWriter::finish`]), so buffers stay full.
    pub fn flush(&mut self) -> Result<(), WeirError> {
        self.check_usable()?;
        if self.partition.kind() == PartitionKind::Blocking {
            return Ok(());
        }
        self.seal_all()
    }

    /// Pipelined: seals every partly filled open buffer and queues them, then queues `event` on
    /// every subpartition behind them, so each consumer sees it after every record emitted
    /// before. Fails with [`WeirError::EventOnBlockingPartition`] on a blocking partition.
    pub fn broadcast_event(&mut self, event: ChannelEvent) -> Result<(), WeirError> {
        self.check_usable()?;
        if self.partition.kind() == PartitionKind::Blocking {
            return Err(WeirError::EventOnBlockingPartition {
                partition: self.partition.name().to_string(),
            });
        }
        self.seal_all()?;
        for subpartition in 0..self.open.len() {
            if let Err(error) = self.partition.add_event(subpartition, event) {
                self.failed = true;
                self.partition.fail(error.to_string());
                return Err(error);
            }
        }
        Ok(())
    }

    /// Seals every open buffer and marks the end of the partition on every subpartition.
    pub fn finish(mut self) -> Result<(), WeirError> {
        self.check_usable()?;
        let result = self.seal_all().and_then(|()| {
            // The empty open buffers go back to the pool before consumers may start.
            self.open.iter_mut().for_each(|open| *open = None);
            self.partition.finish_production()
        });
        if let Err(error) = &result {
            self.failed = true;
            self.partition.fail(error.to_string());
        }
        self.finished = true;
        result
    }

    fn check_usable(&self) -> Result<(), WeirError> {
        if self.failed || self.partition.is_failed() {
            return Err(self.partition.failure());
        }
        Ok(())
    }

    /// Seals and hands on every open buffer holding bytes or records; empty ones stay open.
    fn seal_all(&mut self) -> Result<(), WeirError> {
        for subpartition in 0..self.open.len() {
            let holds_data = self.open[subpartition]
                .as_ref()
                .is_some_and(|open| open.position > 0 || open.header.record_starts() > 0);
            if !holds_data {
                continue;
            }
            let open = self.open[subpartition].take().expect("checked above");
            let header = open.header.seal(open.position, false);
            let mut buffer = open.buffer;
            buffer.set_len(open.position);
            if let Err(error) = self.partition.add_buffer(subpartition, buffer, header) {
                self.failed = true;
                return Err(error);
            }
        }
        Ok(())
    }

    #[inline]
    fn write_record(&mut self, subpartition: usize, record: &S::Value) -> Result<(), WeirError> {
        let needs_buffer = match &self.open[subpartition] {
            None => true,
            Some(open) => open.position == open.buffer.capacity(),
        };
        if needs_buffer && let Err(error) = self.open_fresh_buffer(subpartition) {
            self.failed = true;
            return Err(error);
        }
        let open = self.open[subpartition].as_mut().expect("opened above");
        let start = open.position;
        let header_before = open.header;
        open.header.note_record_start(start);
        let mut view = PagedOutputView::new_at(
            SubpartitionTarget {
                partition: &self.partition,
                subpartition,
                open: &mut self.open[subpartition],
                crossings: 0,
                error: None,
            },
            start,
        );
        let result = self.serializer.serialize(record, &mut view);
        let written = view.bytes_written();
        let (target, end) = view.finish();
        let crossings = target.crossings;
        let target_error = target.error;
        match result {
            Ok(()) => {
                let open = self.open[subpartition]
                    .as_mut()
                    .expect("the target leaves an open buffer on success");
                open.position = end;
                self.records_out += 1;
                self.bytes_out += written;
                Ok(())
            }
            Err(error) => {
                let error = target_error.unwrap_or(error);
                if crossings == 0
                    && let Some(open) = self.open[subpartition].as_mut()
                {
                    // Nothing left the buffer: forget the partial record.
                    open.position = start;
                    open.header = header_before;
                } else {
                    self.failed = true;
                }
                Err(error)
            }
        }
    }

    /// Seals the (full) open buffer of `subpartition`, if any, and opens a new one.
    fn open_fresh_buffer(&mut self, subpartition: usize) -> Result<(), WeirError> {
        if let Some(full) = self.open[subpartition].take() {
            let header = full.header.seal(full.position, false);
            let mut buffer = full.buffer;
            buffer.set_len(full.position);
            self.partition.add_buffer(subpartition, buffer, header)?;
        }
        let buffer = self.partition.request_buffer()?;
        self.open[subpartition] = Some(OpenBuffer {
            buffer,
            position: 0,
            header: HeaderBuilder::default(),
        });
        Ok(())
    }
}

impl<S: TypeSerializer> Drop for RecordWriter<S> {
    fn drop(&mut self) {
        if !self.finished {
            self.partition.fail(format!(
                "its record writer was dropped before finish, after {} records",
                self.records_out
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use weir_memory::{IoManager, NetworkBufferPool, PageSize};

    use super::*;
    use crate::runtime::network::{CancelToken, InputGate, RecordReader};
    use crate::types::DefaultSerializer;

    fn partition(
        buffers: &NetworkBufferPool,
        io: &Arc<IoManager>,
        kind: PartitionKind,
    ) -> Arc<ResultPartition> {
        ResultPartition::new(
            "p",
            kind,
            2,
            buffers.create_local_pool("p", 3, 6).unwrap(),
            Arc::clone(io),
            CancelToken::new(),
        )
    }

    #[test]
    fn flush_seals_only_buffers_with_data_and_keeps_empty_ones_open() {
        let dir = tempfile::tempdir().unwrap();
        let io = Arc::new(IoManager::new(&[dir.path().to_path_buf()]).unwrap());
        let buffers = NetworkBufferPool::new(16, PageSize::new(4096).unwrap()).unwrap();
        let partition = partition(&buffers, &io, PartitionKind::Pipelined);
        let mut writer = RecordWriter::new(Arc::clone(&partition), u64::serializer()).unwrap();
        let gate = InputGate::new(
            "g",
            vec![(Arc::clone(&partition), 0), (Arc::clone(&partition), 1)],
            buffers.create_local_pool("g", 1, 1).unwrap(),
            CancelToken::new(),
        )
        .unwrap();
        let mut reader = RecordReader::new(gate, u64::serializer());
        writer.emit(0, &1).unwrap();
        writer.flush().unwrap();
        assert_eq!(partition.metrics().buffers_out, 1);
        assert_eq!(reader.next().unwrap(), Some(1));
        // Nothing new: a flush seals nothing.
        writer.flush().unwrap();
        assert_eq!(partition.metrics().buffers_out, 1);
        // An event seals the partly filled buffer of subpartition 1 only.
        writer.emit(1, &2).unwrap();
        writer.broadcast_event(ChannelEvent::Watermark(5)).unwrap();
        assert_eq!(partition.metrics().buffers_out, 2);
        writer.finish().unwrap();
        let mut rest = Vec::new();
        while let Some(value) = reader.next().unwrap() {
            rest.push(value);
        }
        assert_eq!(rest, vec![2]);
    }

    #[test]
    fn events_on_a_blocking_partition_fail_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let io = Arc::new(IoManager::new(&[dir.path().to_path_buf()]).unwrap());
        let buffers = NetworkBufferPool::new(16, PageSize::new(4096).unwrap()).unwrap();
        let partition = partition(&buffers, &io, PartitionKind::Blocking);
        let mut writer = RecordWriter::new(Arc::clone(&partition), u64::serializer()).unwrap();
        writer.emit(0, &1).unwrap();
        let error = writer
            .broadcast_event(ChannelEvent::Watermark(1))
            .unwrap_err();
        assert!(
            matches!(error, WeirError::EventOnBlockingPartition { .. }),
            "{error}"
        );
        // The writer is still usable.
        writer.emit(0, &2).unwrap();
        writer.finish().unwrap();
    }
}
