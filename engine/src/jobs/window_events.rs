//! The `key,event_time_ms,value` CSV input of the windowing jobs (WindowAggregate,
//! SessionWindowing) and their `count,sum` aggregate.
//!
//! Every line is three integers; a malformed line fails the job naming the file and line
//! (or is counted and skipped with `--skip-bad-records`). Event time is the second field, and
//! watermarks trail the largest timestamp seen by the out-of-orderness bound.

use std::time::Duration;

use crate::api::ExecutionEnvironment;
use crate::api::stream::{DataStream, KeyedStream, StreamExecutionEnvironment};
use crate::connectors::CsvOptions;
use crate::connectors::stream::{CsvSource, RollingPolicy};
use crate::error::WeirError;
use crate::eventtime::WatermarkStrategy;
use crate::jobs::stream_job_arguments::{duration_argument, positive_millis};
use crate::state::AggregateFunction;

/// The arguments every windowing job over the event CSV takes.
#[derive(Debug, clap::Args)]
pub(crate) struct EventJobArguments {
    /// Input CSV lines `key,event_time_ms,value`: a file, directory or glob.
    #[arg(long)]
    input: String,
    /// How far out of order events may arrive before they count as late.
    #[arg(long = "out-of-orderness", default_value = "2s", value_parser = duration_argument)]
    out_of_orderness: Duration,
    /// Output directory of part files; prints when absent.
    #[arg(long)]
    output: Option<String>,
    /// Checkpoint every so often (needs state.checkpoints.dir).
    #[arg(long = "checkpoint-interval", value_parser = positive_millis)]
    checkpoint_interval: Option<Duration>,
    /// Count and skip malformed lines instead of failing.
    #[arg(long = "skip-bad-records")]
    skip_bad_records: bool,
}

/// One output row: `(key, window start, window end, count, sum)`.
pub(crate) type WindowRow = (i64, i64, i64, u64, i64);

/// Runs a windowing job: the events keyed by their key, `windows` turning them into rows,
/// written as part files (exactly once) or printed.
pub(crate) fn run_window_job(
    env: &ExecutionEnvironment,
    job_name: &str,
    arguments: &EventJobArguments,
    windows: impl FnOnce(KeyedStream<i64, Event>) -> Result<DataStream<WindowRow>, WeirError>,
) -> Result<(), WeirError> {
    let stream_env = StreamExecutionEnvironment::like(env);
    if let Some(interval) = arguments.checkpoint_interval {
        stream_env.enable_checkpointing(interval);
    }
    let events = read_events(
        &stream_env,
        &arguments.input,
        arguments.out_of_orderness,
        arguments.skip_bad_records,
    );
    let rows = windows(events.key_by(|event: &Event| event.0))?;
    match &arguments.output {
        Some(path) => {
            rows.sink_to_files(path, write_window_line, RollingPolicy::default())
                .uid("sink");
        }
        None => {
            rows.map(|(key, start, end, count, sum)| format!("{key},{start},{end},{count},{sum}"))
                .print();
        }
    }
    stream_env.execute(job_name)?;
    Ok(())
}

/// One input event: `(key, event_time_ms, value)`.
pub(crate) type Event = (i64, i64, i64);

/// The events of `path` with timestamps and bounded-out-of-orderness watermarks.
fn read_events(
    env: &StreamExecutionEnvironment,
    path: &str,
    out_of_orderness: Duration,
    skip_bad_records: bool,
) -> DataStream<Event> {
    let options = CsvOptions {
        skip_bad_records,
        ..CsvOptions::default()
    };
    env.from_source(
        CsvSource::<Event>::new(path, options),
        WatermarkStrategy::for_bounded_out_of_orderness(out_of_orderness)
            .with_timestamp_assigner(|event: &Event, _| event.1),
        "Events",
    )
    .uid("events")
}

/// `(count, sum)` of the values of a window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CountSum;

impl AggregateFunction<Event, (u64, i64), (u64, i64)> for CountSum {
    fn create_accumulator(&self) -> (u64, i64) {
        (0, 0)
    }

    #[inline]
    fn add(&self, event: &Event, accumulator: &mut (u64, i64)) {
        accumulator.0 += 1;
        accumulator.1 = accumulator.1.wrapping_add(event.2);
    }

    fn get_result(&self, accumulator: &(u64, i64)) -> (u64, i64) {
        *accumulator
    }

    fn merge(&self, a: (u64, i64), b: (u64, i64)) -> (u64, i64) {
        (a.0 + b.0, a.1.wrapping_add(b.1))
    }
}

/// An output line `key,start,end,count,sum`.
fn write_window_line((key, start, end, count, sum): &WindowRow, line: &mut Vec<u8>) {
    use std::io::Write;
    let _ = writeln!(line, "{key},{start},{end},{count},{sum}");
}
