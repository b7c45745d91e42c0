//! `SocketWindowWordCount --hostname H --port P [--window 5s]`: Flink's classic example.
//!
//! Reads lines of text from a TCP socket (start one with `nc -lk 9999`), splits them into
//! words like WordCount, and prints `word : count` for every word of each processing-time
//! window. The job runs until the socket closes (or Ctrl-C).

use std::time::Duration;

use clap::Parser;

use crate::api::ExecutionEnvironment;
use crate::api::stream::{StreamCollector, StreamExecutionEnvironment};
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;
use crate::jobs::stream_job_arguments::{millis, positive_millis};
use crate::jobs::word_count::tokenize;
use crate::windowing::TumblingProcessingTimeWindows;

#[derive(Debug, Parser)]
struct SocketWindowWordCountArguments {
    /// Host to read text from.
    #[arg(long, default_value = "localhost")]
    hostname: String,
    /// Port to read text from.
    #[arg(long)]
    port: u16,
    /// Window size (processing time).
    #[arg(long, default_value = "5s", value_parser = positive_millis)]
    window: Duration,
}

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: SocketWindowWordCountArguments =
        parse_job_arguments("SocketWindowWordCount", arguments)?;
    let stream_env = StreamExecutionEnvironment::like(env);
    stream_env
        .socket_text_stream(&arguments.hostname, arguments.port)
        .flat_map(
            |line: String, out: &mut StreamCollector<'_, (String, u64)>| {
                tokenize(&line, |word| out.collect((word.to_owned(), 1)));
            },
        )
        .name("Tokenize")
        .key_by(|pair: &(String, u64)| pair.0.clone())
        .window(TumblingProcessingTimeWindows::of(millis(arguments.window))?)
        .reduce(|a: &(String, u64), b: &(String, u64)| (a.0.clone(), a.1 + b.1))
        .name("Window(TumblingProcessingTimeWindows, sum)")
        .map(|(word, count)| format!("{word} : {count}"))
        .print()
        .set_parallelism(1);
    stream_env.execute("SocketWindowWordCount")?;
    Ok(JobOutcome::Succeeded)
}
