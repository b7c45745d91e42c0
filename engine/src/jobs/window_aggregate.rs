//! `WindowAggregate --input PATH [--window 10s] [--out-of-orderness 2s] [--output PATH]
//! [--checkpoint-interval 10s] [--skip-bad-records]`: event-time tumbling windows per key.
//!
//! Reads `key,event_time_ms,value` lines (scripts/stream-benchmarks.sh writes such files),
//! assigns event time from the second field with a bounded-out-of-orderness watermark, and
//! counts and sums the values per key and window. Output lines
//! `key,window_start_ms,window_end_ms,count,sum` go through the exactly-once file sink (part
//! files become visible when the checkpoint covering them completes, or at the end), or to
//! stdout. The input is bounded: its end advances the watermark to the end of time, which
//! fires every window, and the job ends. Records later than the watermark (more out of order
//! than the bound) are dropped, as in Flink.

use std::time::Duration;

use clap::Parser;

use crate::api::ExecutionEnvironment;
use crate::api::stream::StreamExecutionEnvironment;
use crate::connectors::stream::RollingPolicy;
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::stream_job_arguments::{duration_argument, millis, positive_millis};
use crate::jobs::window_events::{CountSum, Event, read_events, write_window_line};
use crate::windowing::{TimeWindow, TumblingEventTimeWindows};

#[derive(Debug, Parser)]
struct WindowAggregateArguments {
    /// Input CSV lines `key,event_time_ms,value`: a file, directory or glob.
    #[arg(long)]
    input: String,
    /// Window size.
    #[arg(long, default_value = "10s", value_parser = positive_millis)]
    window: Duration,
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

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: WindowAggregateArguments = parse_job_arguments("WindowAggregate", arguments)?;
    let stream_env = StreamExecutionEnvironment::like(env);
    if let Some(interval) = arguments.checkpoint_interval {
        stream_env.enable_checkpointing(interval);
    }
    let windows = read_events(
        &stream_env,
        &arguments.input,
        arguments.out_of_orderness,
        arguments.skip_bad_records,
    )
    .key_by(|event: &Event| event.0)
    .window(TumblingEventTimeWindows::of(millis(arguments.window))?)
    .aggregate_process(
        CountSum,
        |key: &i64, window: &TimeWindow, (count, sum): (u64, i64), out| {
            out.collect((*key, window.start, window.end, count, sum));
        },
    )
    .name("Window(TumblingEventTimeWindows, count+sum)")
    .uid("windows");
    match &arguments.output {
        Some(path) => {
            windows
                .sink_to_files(path, write_window_line, RollingPolicy::default())
                .uid("sink");
        }
        None => {
            windows
                .map(|(key, start, end, count, sum)| format!("{key},{start},{end},{count},{sum}"))
                .print();
        }
    }
    stream_env.execute("WindowAggregate")?;
    Ok(JobOutcome::Succeeded)
}
