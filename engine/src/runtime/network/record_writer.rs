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

    /// Pipelined: hands the partly filled buffers to the consumers now. Blocking: nothing to do
    /// (consumers read only after [`RecordWriter::finish`]), so buffers stay full.
    pub fn flush(&mut self) -> Result<(), WeirError> {
        self.check_usable()?;
        if self.partition.kind() == PartitionKind::Blocking {
            return Ok(());
        }
        self.seal_all()
    }

    /// Seals every open buffer and marks the end of the partition on every subpartition.
    pub fn finish(mut self) -> Result<(), WeirError> {
        self.check_usable()?;
        let result = self
            .seal_all()
            .and_then(|()| self.partition.finish_production());
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

    fn seal_all(&mut self) -> Result<(), WeirError> {
        for subpartition in 0..self.open.len() {
            let Some(open) = self.open[subpartition].take() else {
                continue;
            };
            if open.position == 0 && open.header.record_starts() == 0 {
                continue;
            }
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
