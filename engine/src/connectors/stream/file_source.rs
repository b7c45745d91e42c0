//! [`FileSource`]: files read line by line in splits whose position is checkpointed; read once
//! (bounded) or monitored for new files (unbounded). [`TextLineSource`](super::TextLineSource)
//! and [`CsvSource`](super::CsvSource) are this source with a record format.
//!
//! ```text
//!   read once:  enumerate_input_files(spec) ──▶ create_input_splits(p) ──▶ assign_splits(p)
//!               split state = Reading { path, offset, end }      (offset: next line to read)
//!
//!   reader:     splits in order ──▶ LineReader / CsvReader over offset..end
//!               after each record: offset = the reader's position (where the next line starts)
//!
//!   restore:    reopen at offset ──▶ the LineReader keeps the line starting exactly there
//!               (it reads from offset - 1, which is the previous line's \n), so the records
//!               after the checkpoint follow the ones before it exactly once
//!
//!   monitoring: every interval, list the path again; a new file belongs to subtask
//!               xxh3(path) % p and becomes one split (the whole file). State: Reading splits
//!               and Done { path } for every file read; redistributed as Union so each subtask
//!               picks the files it owns at any parallelism.
//! ```
//!
//! A split owns the lines that start inside its byte range (see
//! [`LineReader`](crate::connectors::LineReader)); a split resumed at an offset at or past its
//! end is finished. Monitored files must be complete when they appear in the directory (write
//! them elsewhere or under a hidden name, then rename), as with Flink's file monitoring; a file
//! is read once, at the length it has when it is found.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::marker::PhantomData;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::source::{InputStatus, ReaderOutput, Source, SourceReader};
use super::split_state::{decode_split_state, encode_split_state};
use crate::checkpoint::RedistributeMode;
use crate::connectors::{
    FileInputSplit, InputFile, assign_splits, create_input_splits, enumerate_input_files,
};
use crate::error::WeirError;

/// Records emitted per `poll_next` at most.
pub const FILE_SOURCE_BATCH_RECORDS: usize = 4096;

/// Turns the lines of a split into records (text lines, CSV rows).
pub trait FileRecordFormat<T>: Send + Sync + 'static {
    type Reader: FileRecordReader<T> + Send;

    /// The source's kind for its name ("TextLineSource").
    fn kind(&self) -> &'static str;

    /// Opens the lines of `split` (a split starting at offset 0 reads the file's first line).
    fn open(&self, split: &FileInputSplit) -> Result<Self::Reader, WeirError>;
}

/// Reads the records of one split.
pub trait FileRecordReader<T> {
    /// The next record, or `None` at the split's end.
    fn next_record(&mut self) -> Result<Option<T>, WeirError>;

    /// The file offset after the record returned last, where the next line starts.
    fn position(&self) -> u64;

    /// Bad records skipped so far.
    fn skipped_records(&self) -> u64 {
        0
    }
}

/// A file source in one record format. See the module docs.
pub struct FileSource<T, F> {
    spec: String,
    monitor_interval: Option<Duration>,
    batch_records: usize,
    format: Arc<F>,
    record: PhantomData<fn() -> T>,
}

impl<T, F> std::fmt::Debug for FileSource<T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSource")
            .field("spec", &self.spec)
            .field("monitor_interval", &self.monitor_interval)
            .finish_non_exhaustive()
    }
}

impl<T, F> FileSource<T, F> {
    /// Reads the files `spec` names (a file, a directory, or a glob pattern) once.
    pub fn with_format(spec: impl Into<String>, format: F) -> Self {
        FileSource {
            spec: spec.into(),
            monitor_interval: None,
            batch_records: FILE_SOURCE_BATCH_RECORDS,
            format: Arc::new(format),
            record: PhantomData,
        }
    }

    /// Reads the files `spec` names, and every `interval` the files that appeared since.
    pub fn monitoring_with_format(spec: impl Into<String>, interval: Duration, format: F) -> Self {
        FileSource {
            monitor_interval: Some(interval),
            ..FileSource::with_format(spec, format)
        }
    }

    /// Emits at most `records` records per poll (default [`FILE_SOURCE_BATCH_RECORDS`]);
    /// smaller batches let a checkpoint barrier in sooner, at some cost per record.
    pub fn with_batch_records(mut self, records: usize) -> Self {
        self.batch_records = records.max(1);
        self
    }

    /// The input spec.
    pub fn spec(&self) -> &str {
        &self.spec
    }
}

/// The state of one split (or, monitoring, of one file read completely).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum FileSplitState {
    /// The lines starting in `offset..end` of the file are still to be read.
    Reading {
        path: Vec<u8>,
        offset: u64,
        end: u64,
    },
    /// Monitoring: the file was read.
    Done { path: Vec<u8> },
}

fn path_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}

fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// Which subtask of `parallelism` reads a monitored file (stable across runs).
fn owner_of(path: &Path, parallelism: usize) -> usize {
    (xxhash_rust::xxh3::xxh3_64(path.as_os_str().as_bytes()) % parallelism.max(1) as u64) as usize
}

/// The files `spec` names; for monitoring, a glob that matches nothing yet is no files.
fn list_files(spec: &str, monitoring: bool) -> Result<Vec<InputFile>, WeirError> {
    match enumerate_input_files(spec) {
        Err(WeirError::InputPatternMatchedNothing { .. }) if monitoring => Ok(Vec::new()),
        other => other,
    }
}

impl<T, F> Source<T> for FileSource<T, F>
where
    T: Send + 'static,
    F: FileRecordFormat<T>,
{
    fn name(&self) -> String {
        format!("{}({})", self.format.kind(), self.spec)
    }

    fn is_bounded(&self) -> bool {
        self.monitor_interval.is_none()
    }

    fn initial_splits(&self, parallelism: usize) -> Result<Vec<Vec<Vec<u8>>>, WeirError> {
        let parallelism = parallelism.max(1);
        let files = list_files(&self.spec, self.monitor_interval.is_some())?;
        if self.monitor_interval.is_some() {
            // The readers find the files themselves, on their first scan.
            return Ok(vec![Vec::new(); parallelism]);
        }
        let splits = create_input_splits(&files, parallelism);
        Ok(assign_splits(splits, parallelism)
            .into_iter()
            .map(|subtask_splits| {
                subtask_splits
                    .iter()
                    .map(|split| {
                        encode_split_state(&FileSplitState::Reading {
                            path: path_bytes(&split.path),
                            offset: split.start,
                            end: split.end(),
                        })
                    })
                    .collect()
            })
            .collect())
    }

    fn create_reader(
        &self,
        subtask: usize,
        parallelism: usize,
        splits: Vec<Vec<u8>>,
    ) -> Result<Box<dyn SourceReader<T>>, WeirError> {
        let name = self.name();
        let monitoring = self.monitor_interval.is_some();
        let mut slots = Vec::new();
        let mut seen = BTreeSet::new();
        for bytes in &splits {
            match decode_split_state::<FileSplitState>(bytes, &name)? {
                FileSplitState::Reading { path, offset, end } => {
                    let path = path_of(&path);
                    if monitoring {
                        if owner_of(&path, parallelism) != subtask {
                            continue;
                        }
                        seen.insert(path.clone());
                    }
                    slots.push(SplitSlot {
                        path,
                        offset,
                        end,
                        finished: offset >= end,
                    });
                }
                FileSplitState::Done { path } => {
                    let path = path_of(&path);
                    if monitoring && owner_of(&path, parallelism) == subtask {
                        seen.insert(path);
                    }
                }
            }
        }
        let monitor = self.monitor_interval.map(|interval| Monitor {
            spec: self.spec.clone(),
            interval,
            subtask,
            parallelism: parallelism.max(1),
            seen,
            next_scan: Instant::now(),
        });
        Ok(Box::new(FileSourceReader {
            format: Arc::clone(&self.format),
            slots,
            current: None,
            next_slot: 0,
            monitor,
            batch_records: self.batch_records,
            skipped_in_closed: 0,
            record: PhantomData,
        }))
    }

    fn split_state_mode(&self) -> RedistributeMode {
        if self.monitor_interval.is_some() {
            RedistributeMode::Union
        } else {
            RedistributeMode::Split
        }
    }
}

/// One split of a reader.
#[derive(Debug)]
struct SplitSlot {
    path: PathBuf,
    offset: u64,
    end: u64,
    finished: bool,
}

/// Monitoring: the directory scan of one subtask.
#[derive(Debug)]
struct Monitor {
    spec: String,
    interval: Duration,
    subtask: usize,
    parallelism: usize,
    /// Every file this subtask took (read, or being read).
    seen: BTreeSet<PathBuf>,
    next_scan: Instant,
}

/// Reads a subtask's splits one after the other.
struct FileSourceReader<T, F: FileRecordFormat<T>> {
    format: Arc<F>,
    slots: Vec<SplitSlot>,
    /// The open split: its index and reader.
    current: Option<(usize, F::Reader)>,
    /// No split before this index is unfinished and unopened.
    next_slot: usize,
    monitor: Option<Monitor>,
    batch_records: usize,
    skipped_in_closed: u64,
    record: PhantomData<fn() -> T>,
}

impl<T, F: FileRecordFormat<T>> FileSourceReader<T, F> {
    /// Monitoring: takes the new files this subtask owns as splits.
    fn scan(&mut self, output: &mut dyn ReaderOutput<T>) -> Result<(), WeirError> {
        let Some(monitor) = &mut self.monitor else {
            return Ok(());
        };
        let now = Instant::now();
        if now < monitor.next_scan {
            return Ok(());
        }
        monitor.next_scan = now + monitor.interval;
        for file in list_files(&monitor.spec, true)? {
            if owner_of(&file.path, monitor.parallelism) != monitor.subtask
                || monitor.seen.contains(&file.path)
            {
                continue;
            }
            monitor.seen.insert(file.path.clone());
            if file.len > 0 {
                self.slots.push(SplitSlot {
                    path: file.path,
                    offset: 0,
                    end: file.len,
                    finished: false,
                });
                output.split_added(self.slots.len() - 1);
            }
        }
        Ok(())
    }

    /// Opens the next unfinished split, if any.
    fn open_next(&mut self) -> Result<bool, WeirError> {
        while self.next_slot < self.slots.len() && self.slots[self.next_slot].finished {
            self.next_slot += 1;
        }
        let Some(slot) = self.slots.get(self.next_slot) else {
            return Ok(false);
        };
        let split = FileInputSplit {
            split_number: self.next_slot,
            path: slot.path.clone(),
            start: slot.offset,
            length: slot.end - slot.offset,
            file_len: slot.end,
        };
        self.current = Some((self.next_slot, self.format.open(&split)?));
        Ok(true)
    }
}

impl<T, F> SourceReader<T> for FileSourceReader<T, F>
where
    T: Send + 'static,
    F: FileRecordFormat<T>,
{
    fn poll_next(&mut self, output: &mut dyn ReaderOutput<T>) -> Result<InputStatus, WeirError> {
        self.scan(output)?;
        let mut emitted = 0;
        while emitted < self.batch_records {
            if self.current.is_none() && !self.open_next()? {
                break;
            }
            let (index, reader) = self.current.as_mut().expect("a split is open");
            match reader.next_record()? {
                Some(record) => {
                    self.slots[*index].offset = reader.position();
                    emitted += 1;
                    output.collect(*index, record, None)?;
                }
                None => {
                    let index = *index;
                    self.skipped_in_closed += reader.skipped_records();
                    self.slots[index].finished = true;
                    self.current = None;
                    output.split_finished(index);
                }
            }
        }
        if emitted == self.batch_records {
            return Ok(InputStatus::MoreAvailable);
        }
        match &self.monitor {
            Some(monitor) => Ok(InputStatus::NothingAvailable {
                retry_after: monitor.next_scan.saturating_duration_since(Instant::now()),
            }),
            None => Ok(InputStatus::EndOfInput),
        }
    }

    fn snapshot_state(&mut self, _checkpoint_id: u64) -> Result<Vec<Vec<u8>>, WeirError> {
        let mut states: Vec<Vec<u8>> = self
            .slots
            .iter()
            .filter(|slot| !slot.finished)
            .map(|slot| {
                encode_split_state(&FileSplitState::Reading {
                    path: path_bytes(&slot.path),
                    offset: slot.offset,
                    end: slot.end,
                })
            })
            .collect();
        if let Some(monitor) = &self.monitor {
            let reading: BTreeSet<&Path> = self
                .slots
                .iter()
                .filter(|slot| !slot.finished)
                .map(|slot| slot.path.as_path())
                .collect();
            states.extend(
                monitor
                    .seen
                    .iter()
                    .filter(|path| !reading.contains(path.as_path()))
                    .map(|path| {
                        encode_split_state(&FileSplitState::Done {
                            path: path_bytes(path),
                        })
                    }),
            );
        }
        Ok(states)
    }

    fn split_count(&self) -> usize {
        self.slots.len()
    }

    fn skipped_records(&self) -> u64 {
        self.skipped_in_closed
            + self
                .current
                .as_ref()
                .map_or(0, |(_, reader)| reader.skipped_records())
    }
}
