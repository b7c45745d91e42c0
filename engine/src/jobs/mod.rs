//! The built-in jobs of `weir run -c <JOB>`: examples and benchmarks written with the DataSet
//! API, as a user's program would be.
//!
//! | job            | arguments                                  |
//! |----------------|--------------------------------------------|
//! | `WordCount`    | `[--input PATH]... [--output PATH]`        |
//! | `TeraGen`      | `--records N --output PATH [--seed S]`     |
//! | `TeraSort`     | `--input PATH --output PATH`               |
//! | `TeraValidate` | `--input PATH`                             |
//! | `TPCHQuery3`   | `--input DIR [--output PATH]`              |
//! | `TPCHQuery10`  | `--input DIR [--output PATH]`              |

mod job_arguments;
mod session_windowing;
mod socket_window_word_count;
mod stream_job_arguments;
mod tera_gen;
mod tera_record;
mod tera_sort;
mod tera_validate;
mod tpch_output;
mod tpch_query10;
mod tpch_query3;
mod tpch_tables;
mod window_aggregate;
mod window_events;
mod word_count;

use crate::api::ExecutionEnvironment;
use crate::error::WeirError;

pub use tera_record::{TERA_KEY_BYTES, TERA_RECORD_BYTES, tera_record};

/// How a job ended, when it ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Succeeded,
    /// The job ran but its result says no (TeraValidate found keys out of order): exit 1.
    CheckFailed,
}

/// A job `weir run -c` can run.
#[derive(Debug, Clone, Copy)]
pub struct BuiltInJob {
    pub name: &'static str,
    pub arguments: &'static str,
    pub description: &'static str,
    run: fn(&ExecutionEnvironment, &[String]) -> Result<JobOutcome, WeirError>,
}

impl BuiltInJob {
    /// Parses `arguments` and runs the job in `env`.
    pub fn run(
        &self,
        env: &ExecutionEnvironment,
        arguments: &[String],
    ) -> Result<JobOutcome, WeirError> {
        (self.run)(env, arguments)
    }
}

/// Every built-in job.
pub static BUILT_IN_JOBS: &[BuiltInJob] = &[
    BuiltInJob {
        name: "WordCount",
        arguments: "[--input PATH]... [--output PATH]",
        description: "Counts the words of text files (lowercased, split at every character that is not an ASCII letter, digit or underscore); output lines `word,count`. Without --input, a built-in sample text; without --output, prints.",
        run: word_count::run,
    },
    BuiltInJob {
        name: "TeraGen",
        arguments: "--records N --output PATH [--seed S]",
        description: "Writes N 100-byte records (10-byte random key, 90-byte payload with the record number), one part file per subtask.",
        run: tera_gen::run,
    },
    BuiltInJob {
        name: "TeraSort",
        arguments: "--input PATH --output PATH",
        description: "Sorts 100-byte records by their 10-byte key (unsigned bytes), range-partitioned: the part files in name order are globally sorted.",
        run: tera_sort::run,
    },
    BuiltInJob {
        name: "TeraValidate",
        arguments: "--input PATH",
        description: "Checks that the records of the part files (in name order) are sorted by key; prints the record count and an order-independent checksum; exits 1 at the first key out of order.",
        run: tera_validate::run,
    },
    BuiltInJob {
        name: "TPCHQuery3",
        arguments: "--input DIR [--output PATH]",
        description: "TPC-H Q3 (shipping priority; SEGMENT=BUILDING, DATE=1995-03-15) over customer.tbl, orders.tbl and lineitem.tbl in DIR.",
        run: tpch_query3::run,
    },
    BuiltInJob {
        name: "TPCHQuery10",
        arguments: "--input DIR [--output PATH]",
        description: "TPC-H Q10 (returned items; DATE=1993-10-01) over customer.tbl, orders.tbl, lineitem.tbl and nation.tbl in DIR.",
        run: tpch_query10::run,
    },
    BuiltInJob {
        name: "WindowAggregate",
        arguments: "--input PATH [--window 10s] [--out-of-orderness 2s] [--output PATH] [--checkpoint-interval 10s] [--skip-bad-records]",
        description: "Streaming: event-time tumbling windows per key over `key,event_time_ms,value` CSV lines; output `key,window_start_ms,window_end_ms,count,sum` through the exactly-once file sink (or printed).",
        run: window_aggregate::run,
    },
    BuiltInJob {
        name: "SessionWindowing",
        arguments: "--input PATH --gap 3s [--out-of-orderness 2s] [--output PATH] [--checkpoint-interval 10s] [--skip-bad-records]",
        description: "Streaming: event-time session windows per key over `key,event_time_ms,value` CSV lines; output `key,session_start_ms,session_end_ms,count,sum`.",
        run: session_windowing::run,
    },
    BuiltInJob {
        name: "SocketWindowWordCount",
        arguments: "[--hostname H] --port P [--window 5s]",
        description: "Streaming: words of text lines from a socket, counted per processing-time window and printed as `word : count` (Flink's example).",
        run: socket_window_word_count::run,
    },
];

/// The built-in job called `name`.
pub fn find_job(name: &str) -> Result<&'static BuiltInJob, WeirError> {
    BUILT_IN_JOBS
        .iter()
        .find(|job| job.name == name)
        .ok_or_else(|| WeirError::UnknownJob {
            name: name.to_owned(),
            known: BUILT_IN_JOBS
                .iter()
                .map(|job| job.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}
