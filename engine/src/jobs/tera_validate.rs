//! `TeraValidate --input PATH`: checks that TeraSort's output is sorted.
//!
//! The part files are checked in parallel, one file per call: each yields its record count, an
//! order-independent checksum (the wrapping sum of each record's xxh3 hash), its first and last
//! key, and the first record whose key is smaller than the one before it. The client then puts
//! the files in name order, checks that each file's first key is not below the previous file's
//! last key, prints the total count and checksum, and reports the first disorder (file and
//! record number), which makes `weir run` exit 1.

use std::io::Read;
use std::path::PathBuf;

use clap::Parser;

use crate::api::{ExecutionEnvironment, MapFunction, UserError};
use crate::connectors::enumerate_input_files;
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::tera_record::{TERA_KEY_BYTES, TERA_RECORD_BYTES};

#[derive(Debug, Parser)]
struct TeraValidateArguments {
    /// Input: TeraSort's output (a directory of part files, or one file).
    #[arg(long)]
    input: String,
}

/// What one file holds: (index in name order, records, checksum, first key, last key, first
/// disorder as a record number).
type FileSummary = (
    u64,
    u64,
    u64,
    Option<[u8; TERA_KEY_BYTES]>,
    Option<[u8; TERA_KEY_BYTES]>,
    Option<u64>,
);

#[derive(Clone)]
struct ValidateFile;

impl MapFunction<(u64, String), FileSummary> for ValidateFile {
    fn map(&mut self, (index, path): (u64, String)) -> Result<FileSummary, UserError> {
        let file =
            std::fs::File::open(&path).map_err(|error| format!("cannot open {path}: {error}"))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut record = [0u8; TERA_RECORD_BYTES];
        let (mut count, mut checksum) = (0u64, 0u64);
        let (mut first, mut last, mut disorder) = (None, None::<[u8; TERA_KEY_BYTES]>, None);
        loop {
            match read_record(&mut reader, &mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => return Err(format!("{path}: {error}").into()),
            }
            let mut key = [0u8; TERA_KEY_BYTES];
            key.copy_from_slice(&record[..TERA_KEY_BYTES]);
            if disorder.is_none() && last.is_some_and(|previous| key < previous) {
                disorder = Some(count);
            }
            first.get_or_insert(key);
            last = Some(key);
            checksum = checksum.wrapping_add(xxhash_rust::xxh3::xxh3_64(&record));
            count += 1;
        }
        Ok((index, count, checksum, first, last, disorder))
    }
}

/// Reads one record; false at a clean end, an error for a partial record.
fn read_record(
    reader: &mut impl Read,
    record: &mut [u8; TERA_RECORD_BYTES],
) -> Result<bool, String> {
    let mut filled = 0;
    while filled < record.len() {
        match reader.read(&mut record[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(format!("ends with a partial record of {filled} bytes")),
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error.to_string()),
        }
    }
    Ok(true)
}

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: TeraValidateArguments = parse_job_arguments("TeraValidate", arguments)?;
    let files = enumerate_input_files(&arguments.input)?;
    let paths: Vec<PathBuf> = files.iter().map(|file| file.path.clone()).collect();
    let indexed: Vec<(u64, String)> = paths
        .iter()
        .enumerate()
        .map(|(index, path)| (index as u64, path.display().to_string()))
        .collect();
    let mut summaries = env
        .from_collection(indexed)
        .rebalance()
        .map_with(ValidateFile)
        .name("TeraValidate")
        .collect()?;
    summaries.sort_by_key(|summary| summary.0);
    let records: u64 = summaries.iter().map(|summary| summary.1).sum();
    let checksum = summaries
        .iter()
        .fold(0u64, |sum, summary| sum.wrapping_add(summary.2));
    println!("records {records}");
    println!("checksum {checksum:016x}");
    let mut previous_last: Option<([u8; TERA_KEY_BYTES], usize)> = None;
    for summary in &summaries {
        let index = summary.0 as usize;
        if let Some(record) = summary.5 {
            eprintln!(
                "TeraValidate: {}: record {record} has a key smaller than the record before it",
                paths[index].display()
            );
            return Ok(JobOutcome::CheckFailed);
        }
        if let (Some(first), Some((last, last_file))) = (summary.3, previous_last)
            && first < last
        {
            eprintln!(
                "TeraValidate: {}: the first key is smaller than the last key of {}",
                paths[index].display(),
                paths[last_file].display()
            );
            return Ok(JobOutcome::CheckFailed);
        }
        if let Some(last) = summary.4 {
            previous_last = Some((last, index));
        }
    }
    println!("sorted: yes");
    Ok(JobOutcome::Succeeded)
}
