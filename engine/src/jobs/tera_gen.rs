//! `TeraGen --records N --output PATH [--seed S]`: N TeraSort records (see
//! [`super::tera_record`]), generated in parallel, one part file per subtask. Record `i` depends
//! only on the seed and `i`, so any parallelism writes the same records.

use clap::Parser;

use crate::api::ExecutionEnvironment;
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::tera_record::tera_record;

#[derive(Debug, Parser)]
struct TeraGenArguments {
    /// Number of 100-byte records.
    #[arg(long)]
    records: u64,
    /// Output directory (or file at parallelism 1).
    #[arg(long)]
    output: String,
    /// Seed of the keys.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: TeraGenArguments = parse_job_arguments("TeraGen", arguments)?;
    let seed = arguments.seed;
    env.generate(arguments.records, seed, move |row, _random| {
        tera_record(seed, row)
    })
    .name("TeraGen")
    .write_as_binary_with(&arguments.output, |record, bytes| {
        bytes.extend_from_slice(record)
    });
    env.execute("TeraGen")?;
    Ok(JobOutcome::Succeeded)
}
