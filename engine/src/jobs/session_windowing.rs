//! `SessionWindowing --input PATH --gap 3s [--out-of-orderness 2s] [--output PATH]
//! [--checkpoint-interval 10s] [--skip-bad-records]`: event-time session windows per key.
//!
//! Same input as WindowAggregate (`key,event_time_ms,value`); a key's session closes after
//! `--gap` of event time without events (sessions that come within the gap of each other
//! merge). Output lines `key,session_start_ms,session_end_ms,count,sum`, where the end is the
//! last event's time plus the gap (Flink's session window bounds).

use std::time::Duration;

use clap::Parser;

use crate::api::ExecutionEnvironment;
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::stream_job_arguments::{millis, positive_millis};
use crate::jobs::window_events::{CountSum, EventJobArguments, run_window_job};
use crate::windowing::{EventTimeSessionWindows, TimeWindow};

#[derive(Debug, Parser)]
struct SessionWindowingArguments {
    /// Inactivity that closes a session.
    #[arg(long, value_parser = positive_millis)]
    gap: Duration,
    #[command(flatten)]
    events: EventJobArguments,
}

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: SessionWindowingArguments = parse_job_arguments("SessionWindowing", arguments)?;
    let gap = millis(arguments.gap);
    run_window_job(env, "SessionWindowing", &arguments.events, |keyed| {
        Ok(keyed
            .window(EventTimeSessionWindows::with_gap(gap)?)
            .aggregate_process(
                CountSum,
                |key: &i64, window: &TimeWindow, (count, sum): (u64, i64), out| {
                    out.collect((*key, window.start, window.end, count, sum));
                },
            )
            .name("Window(EventTimeSessionWindows, count+sum)")
            .uid("sessions"))
    })?;
    Ok(JobOutcome::Succeeded)
}
