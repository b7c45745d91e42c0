//! Sink drivers: part files (text or CSV lines) committed only when the whole job succeeded,
//! and records collected back into the program.
//!
//! A file sink prepares its output path once before the job runs (refusing an existing path
//! unless overwriting is allowed), each subtask writes one part file under a hidden temporary
//! name, and hands it back as pending when its input ends. After every task of the job
//! succeeded, the executor commits all pending files (renames them to their final names); when
//! the job fails they are deleted, so no file that looks complete is left behind.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::connectors::{
    OutputLayout, PartFileWriter, PendingFile, WriteMode, prepare_output_path,
};
use crate::error::WeirError;
use crate::graph::plan::{AnyBox, OneInputNode};
use crate::runtime::collector::Collector;
use crate::runtime::drivers::erased::{counted_input, pump_into};
use crate::runtime::operator_context::OperatorContext;
use crate::runtime::progress::JobProgress;

/// Writes one record's line (without the newline) into a buffer.
pub(crate) type FormatLine<T> = Arc<dyn Fn(&T, &mut Vec<u8>) + Send + Sync>;

/// Where a file sink writes and how.
#[derive(Debug, Clone)]
pub(crate) struct FileSinkConfig {
    pub path: std::path::PathBuf,
    pub mode: WriteMode,
    pub always_create_directory: bool,
    /// Add a newline after each record's bytes (text); off for binary records and formats
    /// that end their own lines (CSV).
    pub terminate_lines: bool,
}

struct FileSinkState {
    layout: Option<OutputLayout>,
    pending: Vec<PendingFile>,
}

/// A sink writing one line per record into part files.
pub(crate) struct FileSinkNode<T> {
    config: FileSinkConfig,
    format: FormatLine<T>,
    state: Arc<Mutex<FileSinkState>>,
}

impl<T: Send + 'static> FileSinkNode<T> {
    pub(crate) fn new(config: FileSinkConfig, format: FormatLine<T>) -> Arc<FileSinkNode<T>> {
        Arc::new(FileSinkNode {
            config,
            format,
            state: Arc::new(Mutex::new(FileSinkState {
                layout: None,
                pending: Vec::new(),
            })),
        })
    }

    fn state(&self) -> MutexGuard<'_, FileSinkState> {
        lock(&self.state)
    }
}

struct FileSinkWriter<T> {
    writer: Option<PartFileWriter>,
    line: Vec<u8>,
    format: FormatLine<T>,
    terminate_lines: bool,
    /// Where finished part files wait for the job's outcome.
    state: Arc<Mutex<FileSinkState>>,
    progress: Arc<JobProgress>,
}

fn lock(state: &Mutex<FileSinkState>) -> MutexGuard<'_, FileSinkState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<T: Send> Collector<T> for FileSinkWriter<T> {
    #[inline]
    fn collect(&mut self, record: T) -> Result<(), WeirError> {
        self.line.clear();
        (self.format)(&record, &mut self.line);
        if self.terminate_lines {
            self.line.push(b'\n');
        }
        match &mut self.writer {
            Some(writer) => writer.write_all(&self.line),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        if let Some(writer) = self.writer.take() {
            self.progress.add_written(writer.bytes_written());
            let pending = writer.finish()?;
            lock(&self.state).pending.push(pending);
        }
        Ok(())
    }
}

impl<T: Send + 'static> OneInputNode for FileSinkNode<T> {
    fn create(&self, context: &mut OperatorContext, _out: AnyBox) -> Result<AnyBox, WeirError> {
        let writer = {
            let state = self.state();
            let layout = state
                .layout
                .as_ref()
                .ok_or_else(|| WeirError::SinkNotPrepared {
                    operator: context.name().to_owned(),
                })?;
            layout.open_part(context.runtime().subtask_index)?
        };
        let sink: Box<dyn Collector<T>> = Box::new(FileSinkWriter {
            writer: Some(writer),
            line: Vec::with_capacity(256),
            format: Arc::clone(&self.format),
            terminate_lines: self.config.terminate_lines,
            state: Arc::clone(&self.state),
            progress: Arc::clone(&context.progress),
        });
        Ok(counted_input(sink, context))
    }

    fn pump(
        &self,
        context: &OperatorContext,
        input: AnyBox,
        collector: AnyBox,
    ) -> Result<(), WeirError> {
        pump_into::<T>(context, input, collector)
    }

    fn prepare(&self, parallelism: usize) -> Result<(), WeirError> {
        let layout = prepare_output_path(
            &self.config.path,
            self.config.mode,
            parallelism,
            self.config.always_create_directory,
        )?;
        let mut state = self.state();
        state.layout = Some(layout);
        state.pending.clear();
        Ok(())
    }

    fn end_job(&self, succeeded: bool) -> Result<(), WeirError> {
        let mut state = self.state();
        let pending = std::mem::take(&mut state.pending);
        let layout = state.layout.take();
        if succeeded {
            for file in pending {
                file.commit()?;
            }
        } else {
            drop(pending);
            if let Some(layout) = layout {
                let _ = layout.abort();
            }
        }
        Ok(())
    }
}

/// Each subtask's records, tagged with its index.
type CollectedRecords<T> = Arc<Mutex<Vec<(usize, Vec<T>)>>>;

/// Records of one subtask collected back into the program.
pub(crate) struct CollectSinkNode<T> {
    results: CollectedRecords<T>,
}

impl<T: Send + 'static> CollectSinkNode<T> {
    pub(crate) fn new() -> Arc<CollectSinkNode<T>> {
        Arc::new(CollectSinkNode {
            results: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Every collected record, in subtask order (each subtask's records in arrival order).
    pub(crate) fn take_results(&self) -> Vec<T> {
        let mut results = std::mem::take(
            &mut *self
                .results
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        results.sort_by_key(|(subtask, _)| *subtask);
        results
            .into_iter()
            .flat_map(|(_, records)| records)
            .collect()
    }
}

struct CollectWriter<T> {
    subtask: usize,
    records: Vec<T>,
    results: CollectedRecords<T>,
}

impl<T: Send> Collector<T> for CollectWriter<T> {
    #[inline]
    fn collect(&mut self, record: T) -> Result<(), WeirError> {
        self.records.push(record);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        let records = std::mem::take(&mut self.records);
        self.results
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((self.subtask, records));
        Ok(())
    }
}

impl<T: Send + 'static> OneInputNode for CollectSinkNode<T> {
    fn create(&self, context: &mut OperatorContext, _out: AnyBox) -> Result<AnyBox, WeirError> {
        let sink: Box<dyn Collector<T>> = Box::new(CollectWriter {
            subtask: context.runtime().subtask_index,
            records: Vec::new(),
            results: Arc::clone(&self.results),
        });
        Ok(counted_input(sink, context))
    }

    fn pump(
        &self,
        context: &OperatorContext,
        input: AnyBox,
        collector: AnyBox,
    ) -> Result<(), WeirError> {
        pump_into::<T>(context, input, collector)
    }

    fn prepare(&self, _parallelism: usize) -> Result<(), WeirError> {
        self.results
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        Ok(())
    }
}
