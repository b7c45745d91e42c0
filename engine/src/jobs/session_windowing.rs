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
use crate::api::stream::StreamExecutionEnvironment;
use crate::connectors::stream::RollingPolicy;
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::stream_job_arguments::{duration_argument, millis, positive_millis};
use crate::jobs::window_events::{CountSum, Event, read_events, write_window_line};
use crate::windowing::{EventTimeSessionWindows, TimeWindow};

#[derive(Debug, Parser)]
struct SessionWindowingArguments {
    /// Input CSV lines `key,event_time_ms,value`: a file, directory or glob.
    #[arg(long)]
    input: String,
    /// Inactivity that closes a session.
    #[arg(long, value_parser = positive_millis)]
    gap: Duration,
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
    let arguments: SessionWindowingArguments = parse_job_arguments("SessionWindowing", arguments)?;
    let stream_env = StreamExecutionEnvironment::like(env);
    if let Some(interval) = arguments.checkpoint_interval {
        stream_env.enable_checkpointing(interval);
    }
    let sessions = read_events(
        &stream_env,
        &arguments.input,
        arguments.out_of_orderness,
        arguments.skip_bad_records,
    )
    .key_by(|event: &Event| event.0)
    .window(EventTimeSessionWindows::with_gap(millis(arguments.gap))?)
    .aggregate_process(
        CountSum,
        |key: &i64, window: &TimeWindow, (count, sum): (u64, i64), out| {
            out.collect((*key, window.start, window.end, count, sum));
        },
    )
    .name("Window(EventTimeSessionWindows, count+sum)")
    .uid("sessions");
    match &arguments.output {
        Some(path) => {
            sessions
                .sink_to_files(path, write_window_line, RollingPolicy::default())
                .uid("sink");
        }
        None => {
            sessions
                .map(|(key, start, end, count, sum)| format!("{key},{start},{end},{count},{sum}"))
                .print();
        }
    }
    stream_env.execute("SessionWindowing")?;
    Ok(JobOutcome::Succeeded)
}
