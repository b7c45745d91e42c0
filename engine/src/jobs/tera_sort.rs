//! `TeraSort --input PATH --output PATH`: sorts TeraSort records by key into globally ordered
//! part files.
//!
//! Like Hadoop's TeraSort, the client samples keys from the input before the job (up to
//! [`SAMPLE_KEYS`] keys read at evenly spaced records) and cuts the key space into as many
//! ranges as the job has subtasks; a custom partitioner sends each record to its range, and
//! each subtask sorts its range with the external sorter and writes one part file. Part file
//! `i` holds range `i`, so the files in name order are sorted as a whole.
//!
//! ```text
//!   fixed-length source ─▶ partition_custom(range of key) ══▶ sort_partition(key) ─▶ part-0000i
//! ```

use std::os::unix::fs::FileExt;
use std::sync::Arc;

use clap::Parser;

use crate::api::{ExecutionEnvironment, Order};
use crate::connectors::enumerate_input_files;
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::tera_record::{TERA_KEY_BYTES, TERA_RECORD_BYTES, tera_key};

/// Keys the client samples to find the range boundaries.
const SAMPLE_KEYS: u64 = 100_000;

#[derive(Debug, Parser)]
struct TeraSortArguments {
    /// Input: a file, directory or glob of TeraGen records.
    #[arg(long)]
    input: String,
    /// Output directory (or file at parallelism 1).
    #[arg(long)]
    output: String,
}

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: TeraSortArguments = parse_job_arguments("TeraSort", arguments)?;
    let boundaries = Arc::new(sample_boundaries(&arguments.input, env.parallelism())?);
    env.read_fixed_length_records::<TERA_RECORD_BYTES>(&arguments.input)
        .partition_custom(tera_key, move |key, ranges| {
            range_of(&boundaries, key, ranges)
        })
        .name("RangePartition (sampled)")
        .sort_partition(tera_key, Order::Ascending)
        .write_as_binary_with(&arguments.output, |record, bytes| {
            bytes.extend_from_slice(record)
        });
    env.execute("TeraSort")?;
    Ok(JobOutcome::Succeeded)
}

/// The range of `key` among `ranges` ranges cut by `boundaries` (`ranges - 1` keys).
fn range_of(
    boundaries: &[[u8; TERA_KEY_BYTES]],
    key: &[u8; TERA_KEY_BYTES],
    ranges: usize,
) -> usize {
    boundaries
        .partition_point(|boundary| boundary <= key)
        .min(ranges.saturating_sub(1))
}

/// Reads keys at evenly spaced records of the input and returns `ranges - 1` boundaries.
fn sample_boundaries(input: &str, ranges: usize) -> Result<Vec<[u8; TERA_KEY_BYTES]>, WeirError> {
    let files = enumerate_input_files(input)?;
    let record = TERA_RECORD_BYTES as u64;
    let total_records: u64 = files.iter().map(|file| file.len / record).sum();
    if total_records == 0 || ranges <= 1 {
        return Ok(Vec::new());
    }
    let samples = SAMPLE_KEYS.min(total_records);
    let step = total_records / samples;
    let mut keys = Vec::with_capacity(samples as usize);
    let mut file_index = 0;
    let mut file_first_record = 0u64;
    let mut open: Option<std::fs::File> = None;
    for sample in 0..samples {
        let wanted = sample * step;
        while wanted >= file_first_record + files[file_index].len / record {
            file_first_record += files[file_index].len / record;
            file_index += 1;
            open = None;
        }
        let file = &files[file_index];
        if open.is_none() {
            open =
                Some(
                    std::fs::File::open(&file.path).map_err(|source| WeirError::ReadInput {
                        path: file.path.clone(),
                        source,
                    })?,
                );
        }
        let mut key = [0u8; TERA_KEY_BYTES];
        let offset = (wanted - file_first_record) * record;
        open.as_ref()
            .expect("opened above")
            .read_exact_at(&mut key, offset)
            .map_err(|source| WeirError::ReadInput {
                path: file.path.clone(),
                source,
            })?;
        keys.push(key);
    }
    keys.sort_unstable();
    Ok((1..ranges)
        .map(|range| keys[(range * keys.len() / ranges).min(keys.len() - 1)])
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_the_boundaries() {
        let boundaries = vec![[5u8; TERA_KEY_BYTES], [9u8; TERA_KEY_BYTES]];
        assert_eq!(range_of(&boundaries, &[0; TERA_KEY_BYTES], 3), 0);
        assert_eq!(range_of(&boundaries, &[5; TERA_KEY_BYTES], 3), 1);
        assert_eq!(range_of(&boundaries, &[7; TERA_KEY_BYTES], 3), 1);
        assert_eq!(range_of(&boundaries, &[255; TERA_KEY_BYTES], 3), 2);
        assert_eq!(range_of(&[], &[255; TERA_KEY_BYTES], 1), 0);
    }
}
