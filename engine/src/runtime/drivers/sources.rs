//! Source drivers: collections, number sequences, seeded generators, text and CSV files, and
//! files of fixed-length binary records. Each plans its work per subtask before the job
//! starts (so a missing input fails at once) and reports records and bytes read to the job's
//! progress every [`PROGRESS_INTERVAL`] records.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;

use crate::connectors::{CsvOptions, CsvReader, FileInputSplit, FromCsvRecord, LineReader};
use crate::error::WeirError;
use crate::runtime::collector::Collector;
use crate::runtime::mailbox::CONTROL_CHECK_INTERVAL;
use crate::runtime::operator_context::OperatorContext;

/// Records between two progress reports of a source.
pub(crate) const PROGRESS_INTERVAL: u64 = CONTROL_CHECK_INTERVAL;

/// Counts records for progress and reads the task's mailbox.
pub(crate) struct SourceTicker<'a> {
    context: &'a OperatorContext,
    records: u64,
    bytes_reported: u64,
}

impl<'a> SourceTicker<'a> {
    pub(crate) fn new(context: &'a OperatorContext) -> SourceTicker<'a> {
        SourceTicker {
            context,
            records: 0,
            bytes_reported: 0,
        }
    }

    /// One record read; `bytes_so_far` is the total read by this subtask.
    #[inline]
    pub(crate) fn tick(&mut self, bytes_so_far: u64) -> Result<(), WeirError> {
        self.records += 1;
        if self.records == PROGRESS_INTERVAL {
            self.flush(bytes_so_far);
            self.context.check_control()?;
        }
        Ok(())
    }

    pub(crate) fn flush(&mut self, bytes_so_far: u64) {
        self.context.progress.add_read(
            std::mem::take(&mut self.records),
            bytes_so_far.saturating_sub(self.bytes_reported),
        );
        self.bytes_reported = bytes_so_far.max(self.bytes_reported);
    }
}

/// Splits `items` into `parts` contiguous chunks of nearly equal length.
pub(crate) fn split_evenly<T>(mut items: Vec<T>, parts: usize) -> Vec<Vec<T>> {
    let parts = parts.max(1);
    let mut chunks = Vec::with_capacity(parts);
    for part in (0..parts).rev() {
        let take = items.len() / (part + 1);
        let rest = items.split_off(take);
        chunks.push(std::mem::replace(&mut items, rest));
    }
    chunks
}

/// Splits `from..to` into `parts` contiguous ranges.
pub(crate) fn split_range(from: u64, to: u64, parts: usize) -> Vec<(u64, u64)> {
    let parts = parts.max(1) as u64;
    let total = to.saturating_sub(from);
    (0..parts)
        .map(|part| {
            let start = from + (total as u128 * part as u128 / parts as u128) as u64;
            let end = from + (total as u128 * (part + 1) as u128 / parts as u128) as u64;
            (start, end)
        })
        .collect()
}

/// Emits the records of one collection chunk.
pub(crate) fn run_collection<T: Send>(
    context: &OperatorContext,
    records: Vec<T>,
    out: &mut dyn Collector<T>,
) -> Result<(), WeirError> {
    let mut ticker = SourceTicker::new(context);
    for record in records {
        out.collect(record)?;
        ticker.tick(0)?;
    }
    ticker.flush(0);
    Ok(())
}

/// Emits `generate(i)` for every `i` of `range`.
pub(crate) fn run_generator<T: Send>(
    context: &OperatorContext,
    range: (u64, u64),
    generate: &(dyn Fn(u64) -> T + Send + Sync),
    out: &mut dyn Collector<T>,
) -> Result<(), WeirError> {
    let mut ticker = SourceTicker::new(context);
    for index in range.0..range.1 {
        out.collect(generate(index))?;
        ticker.tick(0)?;
    }
    ticker.flush(0);
    Ok(())
}

/// Emits every line of the splits as a `String` (invalid UTF-8 is a bad record).
pub(crate) fn run_text_splits(
    context: &OperatorContext,
    splits: Vec<FileInputSplit>,
    out: &mut dyn Collector<String>,
) -> Result<(), WeirError> {
    let mut ticker = SourceTicker::new(context);
    let mut bytes_before = 0;
    for split in splits {
        let mut reader = LineReader::open(&split, 1 << 20)?;
        while let Some(line) = reader.next_line()? {
            let line = match std::str::from_utf8(line) {
                Ok(line) => line.to_owned(),
                Err(error) => {
                    let offset = reader.line_start_offset();
                    let line = crate::connectors::line_number_at(&split.path, offset)?;
                    return Err(WeirError::InvalidUtf8 {
                        path: split.path.clone(),
                        line,
                        byte: error.valid_up_to() as u64 + 1,
                    });
                }
            };
            out.collect(line)?;
            ticker.tick(bytes_before + reader.bytes_read())?;
        }
        bytes_before += reader.bytes_read();
    }
    ticker.flush(bytes_before);
    Ok(())
}

/// Emits every row of the splits parsed as `T`; bad rows fail the job, or are counted and
/// skipped when the options say so.
pub(crate) fn run_csv_splits<T: FromCsvRecord + Send>(
    context: &OperatorContext,
    splits: Vec<FileInputSplit>,
    options: &CsvOptions,
    out: &mut dyn Collector<T>,
) -> Result<(), WeirError> {
    let mut ticker = SourceTicker::new(context);
    let mut bytes_before = 0;
    for split in splits {
        let mut reader = CsvReader::<T>::open(&split, options.clone())?;
        while let Some(record) = reader.next_record()? {
            out.collect(record)?;
            ticker.tick(bytes_before + reader.bytes_read())?;
        }
        bytes_before += reader.bytes_read();
        context.progress.add_skipped(reader.skipped_records());
    }
    ticker.flush(bytes_before);
    Ok(())
}

/// A byte range of a file holding whole fixed-length records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FixedRecordSplit {
    pub path: PathBuf,
    pub start: u64,
    pub length: u64,
}

/// Splits files of `N`-byte records into at most `parts` ranges per file on record
/// boundaries (a file whose length is not a multiple of `N` is an error naming it).
pub(crate) fn plan_fixed_record_splits<const N: usize>(
    files: &[crate::connectors::InputFile],
    parallelism: usize,
) -> Result<Vec<Vec<FixedRecordSplit>>, WeirError> {
    let record = N as u64;
    let total: u64 = files.iter().map(|file| file.len).sum();
    let target = (total / parallelism.max(1) as u64)
        .max(record)
        .div_ceil(record)
        * record;
    let mut splits = Vec::new();
    for file in files {
        if file.len % record != 0 {
            return Err(WeirError::TruncatedFixedRecordFile {
                path: file.path.clone(),
                len: file.len,
                record_bytes: N,
            });
        }
        let mut start = 0;
        while start < file.len {
            let length = target.min(file.len - start);
            splits.push(FixedRecordSplit {
                path: file.path.clone(),
                start,
                length,
            });
            start += length;
        }
    }
    // Balance by bytes: the splits are nearly equal, so deal them out in order.
    let mut work: Vec<Vec<FixedRecordSplit>> = vec![Vec::new(); parallelism.max(1)];
    let per_subtask = splits.len().div_ceil(parallelism.max(1)).max(1);
    for (index, split) in splits.into_iter().enumerate() {
        work[index / per_subtask].push(split);
    }
    Ok(work)
}

/// Emits every `N`-byte record of the splits.
pub(crate) fn run_fixed_record_splits<const N: usize>(
    context: &OperatorContext,
    splits: Vec<FixedRecordSplit>,
    out: &mut dyn Collector<[u8; N]>,
) -> Result<(), WeirError> {
    let mut ticker = SourceTicker::new(context);
    let mut bytes = 0u64;
    for split in splits {
        let open = |path: &PathBuf| -> Result<File, WeirError> {
            File::open(path).map_err(|source| WeirError::ReadInput {
                path: path.clone(),
                source,
            })
        };
        let mut file = open(&split.path)?;
        file.seek(SeekFrom::Start(split.start))
            .map_err(|source| WeirError::ReadInput {
                path: split.path.clone(),
                source,
            })?;
        let mut reader = BufReader::with_capacity(1 << 20, file.take(split.length));
        let mut remaining = split.length;
        while remaining > 0 {
            let mut record = [0u8; N];
            reader
                .read_exact(&mut record)
                .map_err(|source| WeirError::ReadInput {
                    path: split.path.clone(),
                    source,
                })?;
            remaining -= N as u64;
            bytes += N as u64;
            out.collect(record)?;
            ticker.tick(bytes)?;
        }
    }
    ticker.flush(bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_splits_cover_everything_in_order() {
        let chunks = split_evenly((0..10).collect::<Vec<_>>(), 3);
        assert_eq!(chunks.concat(), (0..10).collect::<Vec<_>>());
        assert!(chunks.iter().all(|chunk| (3..=4).contains(&chunk.len())));
        assert_eq!(
            split_evenly(Vec::<u8>::new(), 2),
            vec![Vec::new(), Vec::new()]
        );
        assert_eq!(split_range(5, 15, 3), vec![(5, 8), (8, 11), (11, 15)]);
        assert_eq!(split_range(0, 0, 2), vec![(0, 0), (0, 0)]);
    }
}
