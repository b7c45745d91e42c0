//! The two-phase-commit rolling file sink (Flink's `FileSink` for row formats): output appears
//! only for checkpoints that completed, so after a failure and restore no record is lost or
//! written twice.
//!
//! ```text
//!   records ─▶ .part-<subtask>-<counter>.inprogress.<token>      (hidden, buffered writes)
//!                │ roll: size / rollover interval / every checkpoint: flush + fsync
//!                ▼
//!              pending (same hidden name, closed)  ── recorded in the snapshot of checkpoint n
//!                │ notify_checkpoint_complete(m >= n)
//!                ▼
//!              part-<subtask>-<counter>                           (rename: visible, final)
//! ```
//!
//! # State and recovery
//! The state is one entry per subtask in operator list state `"file-sink"`, redistributed as
//! **Union** (every new subtask sees every old entry): `{ subtask, next_counter, pending:
//! [(checkpoint, hidden name, final name)] }`. On restore, new subtask `i` of `p`:
//!
//! 1. commits the pending files of every old subtask `s` with `s % p == i` (they belong to the
//!    restored checkpoint, which completed; a file already renamed counts as committed);
//! 2. deletes the hidden `.part-<s>-*` files (`s % p == i`) that no entry records: in-progress
//!    and pending files of the failed attempt, written after the checkpoint;
//! 3. continues the part counter of old subtask `i`.
//!
//! Each file thus has exactly one owner at any parallelism, and no subtask touches files that
//! another one is writing (new subtask `j` only writes `.part-j-*`, and `j % p == j`). The
//! counter also starts past every `part-<subtask>-<n>` already in the directory, so a commit
//! never replaces an existing file.
//!
//! Without checkpointing, pending parts are committed by [`ChainLink::finish`] at the end of
//! the input. With checkpointing, `finish` only rolls the last part: the final checkpoint's
//! completion commits it.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fmt::Display;
use std::fs::{self, File};
use std::io::{BufWriter, ErrorKind, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::rolling_policy::RollingPolicy;
use super::split_state::{decode_split_state, encode_split_state};
use crate::api::Data;
use crate::checkpoint::{OperatorListState, RedistributeMode};
use crate::connectors::{OutputPathAction, PART_FILE_BUFFER_BYTES, ToCsvRecord};
use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::{
    ChainLink, FINAL_COMMIT, OperatorSetup, TaskSnapshot, processing_time_now,
};

/// The operator list state of the sink.
pub const FILE_SINK_STATE_NAME: &str = "file-sink";

/// Turns a record into the bytes of the output (including its line end).
pub type RecordEncoder<T> = Arc<dyn Fn(&T, &mut Vec<u8>) + Send + Sync>;

/// `value` as text (`Display`) and `\n`.
pub fn text_line_encoder<T: Display + 'static>() -> RecordEncoder<T> {
    Arc::new(|value: &T, out: &mut Vec<u8>| {
        write!(out, "{value}").expect("writing to a Vec cannot fail");
        out.push(b'\n');
    })
}

/// `value` as a CSV line with `delimiter` (see [`ToCsvRecord`]).
pub fn csv_encoder<T: ToCsvRecord + 'static>(delimiter: u8) -> RecordEncoder<T> {
    Arc::new(move |value: &T, out: &mut Vec<u8>| value.write_csv_record(out, delimiter))
}

/// Builds the sink as a chain link. See the module docs.
pub fn file_sink_operator<T: Data>(
    setup: &OperatorSetup,
    base_path: &Path,
    encoder: RecordEncoder<T>,
    rolling: RollingPolicy,
    checkpointing: bool,
) -> Result<Box<dyn ChainLink<T>>, WeirError> {
    Ok(Box::new(FileSink::new(
        setup,
        base_path,
        encoder,
        rolling,
        checkpointing,
    )?))
}

/// A closed part file waiting for its commit; names are relative to the base directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingPart {
    hidden_name: Vec<u8>,
    final_name: Vec<u8>,
}

/// The state of one subtask (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FileSinkState {
    subtask: u64,
    next_counter: u64,
    /// (checkpoint id, part)
    pending: Vec<(u64, PendingPart)>,
}

/// The part file being written.
#[derive(Debug)]
struct InProgressPart {
    writer: BufWriter<File>,
    part: PendingPart,
    bytes: u64,
    opened_at_ms: i64,
}

/// The sink. See the module docs.
pub struct FileSink<T> {
    name: String,
    uid: String,
    subtask: usize,
    base: PathBuf,
    encoder: RecordEncoder<T>,
    rolling: RollingPolicy,
    checkpointing: bool,
    /// Unique per sink instance: tells this attempt's hidden files apart.
    token: String,
    next_counter: u64,
    in_progress: Option<InProgressPart>,
    /// Closed parts no snapshot recorded yet.
    pending_unassigned: Vec<PendingPart>,
    /// Closed parts by the checkpoint that recorded them.
    pending_by_checkpoint: BTreeMap<u64, Vec<PendingPart>>,
    scratch: Vec<u8>,
    records_written: u64,
    bytes_written: u64,
    files_committed: u64,
}

impl<T> std::fmt::Debug for FileSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSink")
            .field("name", &self.name)
            .field("base", &self.base)
            .field("subtask", &self.subtask)
            .field("next_counter", &self.next_counter)
            .field("records_written", &self.records_written)
            .finish_non_exhaustive()
    }
}

impl<T: Data> FileSink<T> {
    /// Prepares `base_path` (created if missing) and, with `setup.restored`, recovers: see the
    /// module docs.
    pub fn new(
        setup: &OperatorSetup,
        base_path: &Path,
        encoder: RecordEncoder<T>,
        rolling: RollingPolicy,
        checkpointing: bool,
    ) -> Result<Self, WeirError> {
        prepare_directory(base_path)?;
        let mut sink = FileSink {
            name: setup.name.clone(),
            uid: setup.uid.clone(),
            subtask: setup.subtask,
            base: base_path.to_path_buf(),
            encoder,
            rolling,
            checkpointing,
            token: instance_token(setup.subtask),
            next_counter: 0,
            in_progress: None,
            pending_unassigned: Vec::new(),
            pending_by_checkpoint: BTreeMap::new(),
            scratch: Vec::new(),
            records_written: 0,
            bytes_written: 0,
            files_committed: 0,
        };
        let states = match &setup.restored {
            Some(restored) => match restored.operator.get(FILE_SINK_STATE_NAME) {
                Some(list) => list
                    .entries
                    .iter()
                    .map(|bytes| decode_split_state::<FileSinkState>(bytes, &sink.name))
                    .collect::<Result<Vec<_>, _>>()?,
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        if setup.restored.is_some() {
            sink.recover(&states, setup.parallelism.max(1))?;
        }
        let existing = sink.highest_existing_counter()?;
        sink.next_counter = sink.next_counter.max(existing.map_or(0, |n| n + 1));
        Ok(sink)
    }

    /// Commits the restored pending files this subtask owns, deletes unrecorded hidden files
    /// it owns, and continues its counter.
    fn recover(&mut self, states: &[FileSinkState], parallelism: usize) -> Result<(), WeirError> {
        let me = self.subtask;
        let owns = |subtask: u64| (subtask % parallelism as u64) as usize == me;
        let mut recorded = BTreeSet::new();
        for state in states {
            for (_, part) in &state.pending {
                recorded.insert(part.hidden_name.clone());
            }
            if state.subtask == self.subtask as u64 {
                self.next_counter = self.next_counter.max(state.next_counter);
            }
        }
        for state in states.iter().filter(|state| owns(state.subtask)) {
            for (_, part) in &state.pending {
                self.commit(part)?;
            }
        }
        for entry in list_directory(&self.base)? {
            let Some(PartName::Hidden { subtask, .. }) = PartName::parse(&entry) else {
                continue;
            };
            if owns(subtask) && !recorded.contains(entry.as_bytes()) {
                let path = self.base.join(OsStr::from_bytes(entry.as_bytes()));
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(error) if error.kind() == ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(WeirError::PrepareOutputPath {
                            path,
                            action: OutputPathAction::Remove,
                            source,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The highest `n` of a `part-<subtask>-<n>` (final or hidden) in the directory.
    fn highest_existing_counter(&self) -> Result<Option<u64>, WeirError> {
        Ok(list_directory(&self.base)?
            .iter()
            .filter_map(|name| PartName::parse(name))
            .filter(|part| part.subtask() == self.subtask as u64)
            .map(|part| part.counter())
            .max())
    }

    fn open_part(&mut self) -> Result<&mut InProgressPart, WeirError> {
        let counter = self.next_counter;
        self.next_counter += 1;
        let final_name = format!("part-{}-{counter}", self.subtask);
        let hidden_name = format!(".{final_name}.inprogress.{}", self.token);
        let hidden = self.base.join(&hidden_name);
        let file = File::create(&hidden).map_err(|source| WeirError::WriteOutputFile {
            path: self.base.join(&final_name),
            temporary: hidden.clone(),
            source,
        })?;
        Ok(self.in_progress.insert(InProgressPart {
            writer: BufWriter::with_capacity(PART_FILE_BUFFER_BYTES, file),
            part: PendingPart {
                hidden_name: hidden_name.into_bytes(),
                final_name: final_name.into_bytes(),
            },
            bytes: 0,
            opened_at_ms: processing_time_now(),
        }))
    }

    /// Closes the in-progress part (flush + fsync): it becomes pending.
    fn roll(&mut self) -> Result<(), WeirError> {
        let Some(in_progress) = self.in_progress.take() else {
            return Ok(());
        };
        let hidden = self
            .base
            .join(OsStr::from_bytes(&in_progress.part.hidden_name));
        let write_error = |source| WeirError::WriteOutputFile {
            path: self
                .base
                .join(OsStr::from_bytes(&in_progress.part.final_name)),
            temporary: hidden.clone(),
            source,
        };
        let file = in_progress
            .writer
            .into_inner()
            .map_err(|error| write_error(error.into_error()))?;
        file.sync_all().map_err(write_error)?;
        self.pending_unassigned.push(in_progress.part);
        Ok(())
    }

    /// Renames a pending part to its final name; one already renamed is fine.
    fn commit(&mut self, part: &PendingPart) -> Result<(), WeirError> {
        let hidden = self.base.join(OsStr::from_bytes(&part.hidden_name));
        let path = self.base.join(OsStr::from_bytes(&part.final_name));
        match fs::rename(&hidden, &path) {
            Ok(()) => {
                self.files_committed += 1;
                Ok(())
            }
            Err(error) if error.kind() == ErrorKind::NotFound && path.exists() => Ok(()),
            Err(source) => Err(WeirError::CommitOutputFile {
                path,
                temporary: hidden,
                source,
            }),
        }
    }

    /// Records written so far.
    pub fn records_written(&self) -> u64 {
        self.records_written
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Part files this sink renamed to their final names.
    pub fn files_committed(&self) -> u64 {
        self.files_committed
    }

    /// Closed part files waiting for a checkpoint (or the end) to commit them.
    pub fn pending_files(&self) -> usize {
        self.pending_unassigned.len()
            + self
                .pending_by_checkpoint
                .values()
                .map(Vec::len)
                .sum::<usize>()
    }
}

impl<T: Data> ChainLink<T> for FileSink<T> {
    #[inline]
    fn process_element(&mut self, value: T, _timestamp: Option<i64>) -> Result<(), WeirError> {
        self.scratch.clear();
        (self.encoder)(&value, &mut self.scratch);
        if self.in_progress.is_none() {
            self.open_part()?;
        }
        let base = &self.base;
        let in_progress = self.in_progress.as_mut().expect("a part is open");
        in_progress
            .writer
            .write_all(&self.scratch)
            .map_err(|source| WeirError::WriteOutputFile {
                path: base.join(OsStr::from_bytes(&in_progress.part.final_name)),
                temporary: base.join(OsStr::from_bytes(&in_progress.part.hidden_name)),
                source,
            })?;
        in_progress.bytes += self.scratch.len() as u64;
        self.bytes_written += self.scratch.len() as u64;
        self.records_written += 1;
        if self.rolling.should_roll_on_size(in_progress.bytes) {
            self.roll()?;
        }
        Ok(())
    }

    fn process_watermark(&mut self, _watermark: i64) -> Result<(), WeirError> {
        Ok(())
    }

    fn process_watermark_status(&mut self, _idle: bool) -> Result<(), WeirError> {
        Ok(())
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        if let Some(due) = self.next_processing_time()
            && now_ms >= due
        {
            self.roll()?;
        }
        Ok(())
    }

    fn next_processing_time(&self) -> Option<i64> {
        self.in_progress
            .as_ref()
            .and_then(|part| self.rolling.rollover_due_ms(part.opened_at_ms))
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.roll()?;
        if !self.pending_unassigned.is_empty() {
            let parts = std::mem::take(&mut self.pending_unassigned);
            self.pending_by_checkpoint
                .entry(barrier.id)
                .or_default()
                .extend(parts);
        }
        let state = FileSinkState {
            subtask: self.subtask as u64,
            next_counter: self.next_counter,
            pending: self
                .pending_by_checkpoint
                .iter()
                .flat_map(|(&checkpoint, parts)| {
                    parts.iter().map(move |part| (checkpoint, part.clone()))
                })
                .collect(),
        };
        snapshot
            .entry(self.uid.clone())
            .or_default()
            .operator
            .insert(
                FILE_SINK_STATE_NAME.to_owned(),
                OperatorListState {
                    mode: RedistributeMode::Union,
                    entries: vec![encode_split_state(&state)],
                },
            );
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        let later = match checkpoint_id.checked_add(1) {
            Some(next) => self.pending_by_checkpoint.split_off(&next),
            None => BTreeMap::new(),
        };
        let covered = std::mem::replace(&mut self.pending_by_checkpoint, later);
        let mut parts: Vec<PendingPart> = covered.into_values().flatten().collect();
        if checkpoint_id == FINAL_COMMIT {
            // The end of a bounded job: every task finished, so what was rolled since the last
            // checkpoint (by `finish` too) is final.
            parts.append(&mut self.pending_unassigned);
        }
        for part in &parts {
            self.commit(part)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.roll()?;
        if !self.checkpointing {
            let parts: Vec<PendingPart> = std::mem::take(&mut self.pending_by_checkpoint)
                .into_values()
                .flatten()
                .chain(std::mem::take(&mut self.pending_unassigned))
                .collect();
            for part in &parts {
                self.commit(part)?;
            }
        }
        Ok(())
    }
}

/// A part file name of this sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartName {
    /// `part-<subtask>-<counter>`
    Final { subtask: u64, counter: u64 },
    /// `.part-<subtask>-<counter>.inprogress.<token>`
    Hidden { subtask: u64, counter: u64 },
}

impl PartName {
    fn parse(name: &str) -> Option<PartName> {
        if let Some(rest) = name.strip_prefix(".part-") {
            let (numbers, token) = rest.split_once(".inprogress.")?;
            if token.is_empty() {
                return None;
            }
            let (subtask, counter) = parse_numbers(numbers)?;
            Some(PartName::Hidden { subtask, counter })
        } else {
            let (subtask, counter) = parse_numbers(name.strip_prefix("part-")?)?;
            Some(PartName::Final { subtask, counter })
        }
    }

    fn subtask(self) -> u64 {
        match self {
            PartName::Final { subtask, .. } | PartName::Hidden { subtask, .. } => subtask,
        }
    }

    fn counter(self) -> u64 {
        match self {
            PartName::Final { counter, .. } | PartName::Hidden { counter, .. } => counter,
        }
    }
}

/// `<subtask>-<counter>`, both plain decimal.
fn parse_numbers(text: &str) -> Option<(u64, u64)> {
    let (subtask, counter) = text.split_once('-')?;
    let decimal = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    Some((decimal(subtask)?, decimal(counter)?))
}

/// Creates `base` if missing; it must be a directory.
fn prepare_directory(base: &Path) -> Result<(), WeirError> {
    match fs::metadata(base) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(_) => Err(WeirError::OutputPathNotADirectory {
            path: base.to_path_buf(),
        }),
        Err(error) if error.kind() == ErrorKind::NotFound => {
            fs::create_dir_all(base).map_err(|source| WeirError::PrepareOutputPath {
                path: base.to_path_buf(),
                action: OutputPathAction::CreateDirectory,
                source,
            })
        }
        Err(source) => Err(WeirError::PrepareOutputPath {
            path: base.to_path_buf(),
            action: OutputPathAction::Inspect,
            source,
        }),
    }
}

/// The names in `base` (UTF-8 ones; others are not this sink's).
fn list_directory(base: &Path) -> Result<Vec<String>, WeirError> {
    let inspect_error = |source| WeirError::PrepareOutputPath {
        path: base.to_path_buf(),
        action: OutputPathAction::Inspect,
        source,
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(base).map_err(inspect_error)? {
        if let Ok(name) = entry.map_err(inspect_error)?.file_name().into_string() {
            names.push(name);
        }
    }
    Ok(names)
}

/// 16 hex digits unique to this sink instance (process, time, a counter, the subtask).
fn instance_token(subtask: usize) -> String {
    static INSTANCES: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let mut seed = Vec::with_capacity(40);
    seed.extend_from_slice(&std::process::id().to_le_bytes());
    seed.extend_from_slice(&nanos.to_le_bytes());
    seed.extend_from_slice(&INSTANCES.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    seed.extend_from_slice(&(subtask as u64).to_le_bytes());
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_parse_strictly() {
        assert_eq!(
            PartName::parse("part-3-17"),
            Some(PartName::Final {
                subtask: 3,
                counter: 17
            })
        );
        assert_eq!(
            PartName::parse(".part-0-2.inprogress.ab12"),
            Some(PartName::Hidden {
                subtask: 0,
                counter: 2
            })
        );
        for other in [
            "part-3",
            "part-a-1",
            "part-1-2.csv",
            ".part-1-2.inprogress.",
            ".part-1-2",
            "_SUCCESS",
            "part--1",
            "part-+1-2",
        ] {
            assert_eq!(PartName::parse(other), None, "{other}");
        }
    }

    #[test]
    fn tokens_differ_between_instances() {
        assert_ne!(instance_token(0), instance_token(0));
        assert_eq!(instance_token(1).len(), 16);
    }
}
