//! [`WriterLink`]: the end of a chain that serializes records into a result partition, and
//! the [`FlushRegistry`] through which the task flushes partly filled buffers.
//!
//! ```text
//!   process_element ──ChannelSelector──▶ RecordWriter::emit(sub) / broadcast
//!   process_watermark ─────────────────▶ broadcast_event(Watermark)   (after sealing buffers)
//!   process_watermark_status ──────────▶ broadcast_event(Idle)
//!   snapshot_state ────────────────────▶ broadcast_event(Barrier)     (the barrier goes on)
//!   finish ────────────────────────────▶ RecordWriter::finish          (end of partition)
//!   task loop, every execution.buffer-timeout ──▶ FlushRegistry::flush_all
//! ```
//!
//! With `execution.buffer-timeout: 0 ms` every record is flushed at once (lowest latency).
//! The writer is shared with the task's flush registry (both on the task thread).

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::WeirError;
use crate::runtime::network::{ChannelEvent, CheckpointBarrier, RecordWriter};
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};
use crate::runtime::stream::stream_partitioner::{ChannelSelector, Target};
use crate::runtime::stream::stream_record::{StreamRecord, StreamRecordSerializer};
use crate::types::TypeSerializer;

/// Something the task flushes every buffer timeout.
pub(crate) trait Flush {
    fn flush(&mut self) -> Result<(), WeirError>;
}

/// A writer shared by its link and the task's flush registry.
type SharedFlush = Rc<RefCell<dyn Flush>>;

/// The writers of one task, flushed together (see the module docs).
#[derive(Clone, Default)]
pub(crate) struct FlushRegistry {
    writers: Rc<RefCell<Vec<SharedFlush>>>,
}

impl FlushRegistry {
    fn register(&self, writer: SharedFlush) {
        self.writers.borrow_mut().push(writer);
    }

    pub(crate) fn flush_all(&self) -> Result<(), WeirError> {
        for writer in self.writers.borrow().iter() {
            writer.borrow_mut().flush()?;
        }
        Ok(())
    }
}

/// What a writer link needs to know about its producer subtask.
#[derive(Clone)]
pub(crate) struct WriterContext {
    pub operator: String,
    pub subtask: usize,
    pub producers: usize,
    pub consumers: usize,
    pub max_parallelism: u32,
    /// `execution.buffer-timeout` is zero: flush after every record.
    pub flush_every_record: bool,
    pub flush: FlushRegistry,
}

struct SharedWriter<S: TypeSerializer> {
    writer: Option<RecordWriter<StreamRecordSerializer<S>>>,
}

impl<S: TypeSerializer> Flush for SharedWriter<S> {
    fn flush(&mut self) -> Result<(), WeirError> {
        match &mut self.writer {
            Some(writer) => writer.flush(),
            None => Ok(()),
        }
    }
}

/// See the module docs.
pub(crate) struct WriterLink<S: TypeSerializer> {
    shared: Rc<RefCell<SharedWriter<S>>>,
    selector: ChannelSelector<S::Value>,
    flush_every_record: bool,
    operator: String,
}

impl<S: TypeSerializer> WriterLink<S> {
    pub(crate) fn new(
        writer: RecordWriter<StreamRecordSerializer<S>>,
        selector: ChannelSelector<S::Value>,
        context: &WriterContext,
    ) -> WriterLink<S> {
        let shared = Rc::new(RefCell::new(SharedWriter {
            writer: Some(writer),
        }));
        context.flush.register(shared.clone());
        WriterLink {
            shared,
            selector,
            flush_every_record: context.flush_every_record,
            operator: context.operator.clone(),
        }
    }

    fn with_writer<R>(
        &mut self,
        body: impl FnOnce(&mut RecordWriter<StreamRecordSerializer<S>>) -> Result<R, WeirError>,
    ) -> Result<R, WeirError> {
        let mut shared = self.shared.borrow_mut();
        match shared.writer.as_mut() {
            Some(writer) => body(writer),
            None => Err(WeirError::CollectAfterFinish {
                operator: self.operator.clone(),
            }),
        }
    }

    fn broadcast_event(&mut self, event: ChannelEvent) -> Result<(), WeirError> {
        self.with_writer(|writer| writer.broadcast_event(event))
    }
}

impl<S: TypeSerializer> ChainLink<S::Value> for WriterLink<S> {
    #[inline]
    fn process_element(
        &mut self,
        value: S::Value,
        timestamp: Option<i64>,
    ) -> Result<(), WeirError> {
        let target = self.selector.select(&value)?;
        let record = StreamRecord { value, timestamp };
        let flush = self.flush_every_record;
        self.with_writer(|writer| {
            match target {
                Target::One(subpartition) => writer.emit(subpartition, &record)?,
                Target::All => writer.broadcast(&record)?,
            }
            if flush {
                writer.flush()?;
            }
            Ok(())
        })
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.broadcast_event(ChannelEvent::Watermark(watermark))
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.broadcast_event(ChannelEvent::Idle(idle))
    }

    fn on_processing_time(&mut self, _now_ms: i64) -> Result<(), WeirError> {
        Ok(())
    }

    fn next_processing_time(&self) -> Option<i64> {
        None
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        _snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.broadcast_event(ChannelEvent::Barrier(*barrier))
    }

    fn notify_checkpoint_complete(&mut self, _checkpoint_id: u64) -> Result<(), WeirError> {
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        let writer = self.shared.borrow_mut().writer.take();
        match writer {
            Some(writer) => writer.finish(),
            None => Ok(()),
        }
    }
}
