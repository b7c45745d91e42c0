//! The `key,event_time_ms,value` CSV input of the windowing jobs (WindowAggregate,
//! SessionWindowing) and their `count,sum` aggregate.
//!
//! Every line is three integers; a malformed line fails the job naming the file and line
//! (or is counted and skipped with `--skip-bad-records`). Event time is the second field, and
//! watermarks trail the largest timestamp seen by the out-of-orderness bound.

use std::time::Duration;

use crate::api::stream::{DataStream, StreamExecutionEnvironment};
use crate::connectors::CsvOptions;
use crate::connectors::stream::CsvSource;
use crate::eventtime::WatermarkStrategy;
use crate::state::AggregateFunction;

/// One input event: `(key, event_time_ms, value)`.
pub(crate) type Event = (i64, i64, i64);

/// The events of `path` with timestamps and bounded-out-of-orderness watermarks.
pub(crate) fn read_events(
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
pub(crate) fn write_window_line(
    (key, start, end, count, sum): &(i64, i64, i64, u64, i64),
    line: &mut Vec<u8>,
) {
    use std::io::Write;
    let _ = writeln!(line, "{key},{start},{end},{count},{sum}");
}
