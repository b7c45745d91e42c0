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
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::stream_job_arguments::{millis, positive_millis};
use crate::jobs::window_events::{CountSum, EventJobArguments, run_window_job};
use crate::windowing::{TimeWindow, TumblingEventTimeWindows};

#[derive(Debug, Parser)]
struct WindowAggregateArguments {
    /// Window size.
    #[arg(long, default_value = "10s", value_parser = positive_millis)]
    window: Duration,
    #[command(flatten)]
    events: EventJobArguments,
}

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: WindowAggregateArguments = parse_job_arguments("WindowAggregate", arguments)?;
    let size = millis(arguments.window);
    run_window_job(env, "WindowAggregate", &arguments.events, |keyed| {
        Ok(keyed
            .window(TumblingEventTimeWindows::of(size)?)
            .aggregate_process(
                CountSum,
                |key: &i64, window: &TimeWindow, (count, sum): (u64, i64), out| {
                    out.collect((*key, window.start, window.end, count, sum));
                },
            )
            .name("Window(TumblingEventTimeWindows, count+sum)")
            .uid("windows"))
    })?;
    Ok(JobOutcome::Succeeded)
}
