//! Durations in Flink's `TimeUtils` syntax: `10 s`, `5 min`, `100ms`, `1h`, `2 days`.
//!
//! A duration is a whole number, optional spaces, and an optional unit (case-insensitive);
//! without a unit the number counts milliseconds, as in Flink:
//!
//! | unit | accepted spellings |
//! |---|---|
//! | days | `d`, `day`, `days` |
//! | hours | `h`, `hour`, `hours` |
//! | minutes | `min`, `m`, `minute`, `minutes` |
//! | seconds | `s`, `sec`, `secs`, `second`, `seconds` |
//! | milliseconds | `ms`, `milli`, `millis`, `millisecond`, `milliseconds` |
//! | microseconds | `us`, `µs`, `micro`, `micros`, `microsecond`, `microseconds` |
//! | nanoseconds | `ns`, `nano`, `nanos`, `nanosecond`, `nanoseconds` |
//!
//! [`format_duration`] prints the largest unit that divides the value exactly (`5 min`,
//! `1500 ms`), so every printed duration parses back to the same value.

use std::time::Duration;

/// One unit of the syntax: its spellings (the first is the one printed) and its length.
struct TimeUnit {
    spellings: &'static [&'static str],
    nanos: u128,
}

/// Largest first, so that formatting picks the largest exact unit.
const TIME_UNITS: [TimeUnit; 7] = [
    TimeUnit {
        spellings: &["d", "day", "days"],
        nanos: 86_400 * NANOS_PER_SECOND,
    },
    TimeUnit {
        spellings: &["h", "hour", "hours"],
        nanos: 3_600 * NANOS_PER_SECOND,
    },
    TimeUnit {
        spellings: &["min", "m", "minute", "minutes"],
        nanos: 60 * NANOS_PER_SECOND,
    },
    TimeUnit {
        spellings: &["s", "sec", "secs", "second", "seconds"],
        nanos: NANOS_PER_SECOND,
    },
    TimeUnit {
        spellings: &["ms", "milli", "millis", "millisecond", "milliseconds"],
        nanos: 1_000_000,
    },
    TimeUnit {
        spellings: &["us", "µs", "micro", "micros", "microsecond", "microseconds"],
        nanos: 1_000,
    },
    TimeUnit {
        spellings: &["ns", "nano", "nanos", "nanosecond", "nanoseconds"],
        nanos: 1,
    },
];

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// What a duration option accepts; used in error messages and the conf file.
pub const DURATION_FORM: &str = "a duration such as 10 s, 5 min, 100ms or 1h \
     (units ns, us, ms, s, min, h, d; a bare number counts milliseconds)";

/// Parses Flink's duration syntax (see the module docs). The error is the reason the text was
/// rejected, to be printed beside [`DURATION_FORM`].
pub fn parse_duration(text: &str) -> Result<Duration, &'static str> {
    let text = text.trim().to_lowercase();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    if number.is_empty() {
        return Err("no whole number at the start");
    }
    let unit = unit.trim();
    if unit.starts_with('.') {
        return Err("not a whole number");
    }
    let count: u128 = number.parse().map_err(|_| "number too large")?;
    let unit_nanos = if unit.is_empty() {
        1_000_000
    } else {
        TIME_UNITS
            .iter()
            .find(|time_unit| time_unit.spellings.contains(&unit))
            .map(|time_unit| time_unit.nanos)
            .ok_or("unknown unit")?
    };
    let nanos = count.checked_mul(unit_nanos).ok_or("number too large")?;
    let seconds = u64::try_from(nanos / NANOS_PER_SECOND).map_err(|_| "number too large")?;
    // The remainder is below one second, so it fits a u32.
    let subsec_nanos = (nanos % NANOS_PER_SECOND) as u32;
    Ok(Duration::new(seconds, subsec_nanos))
}

/// Prints `duration` in the largest unit that divides it exactly: `10 s`, `5 min`, `0 ms`.
pub fn format_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0 ms".to_string();
    }
    let unit = TIME_UNITS
        .iter()
        .find(|time_unit| nanos.is_multiple_of(time_unit.nanos))
        .expect("every duration is a whole number of nanoseconds");
    format!("{} {}", nanos / unit.nanos, unit.spellings[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flink_spellings() {
        for (text, expected) in [
            ("10 s", Duration::from_secs(10)),
            ("10s", Duration::from_secs(10)),
            ("5 min", Duration::from_secs(300)),
            ("5 m", Duration::from_secs(300)),
            ("5 minutes", Duration::from_secs(300)),
            ("100ms", Duration::from_millis(100)),
            ("100", Duration::from_millis(100)),
            ("1h", Duration::from_secs(3_600)),
            ("2 HOURS", Duration::from_secs(7_200)),
            ("1 d", Duration::from_secs(86_400)),
            ("3 days", Duration::from_secs(3 * 86_400)),
            ("7 sec", Duration::from_secs(7)),
            ("1 second", Duration::from_secs(1)),
            ("250 millis", Duration::from_millis(250)),
            ("15 us", Duration::from_micros(15)),
            ("15 µs", Duration::from_micros(15)),
            ("15 micro", Duration::from_micros(15)),
            ("42 ns", Duration::from_nanos(42)),
            ("42 nanoseconds", Duration::from_nanos(42)),
            ("  0 s ", Duration::ZERO),
        ] {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        for (text, reason) in [
            ("", "no whole number at the start"),
            ("s", "no whole number at the start"),
            ("-1 s", "no whole number at the start"),
            ("1.5 s", "not a whole number"),
            ("10 fortnights", "unknown unit"),
            ("10 s s", "unknown unit"),
            (
                "99999999999999999999999999999999999999999 s",
                "number too large",
            ),
            ("999999999999999999 d", "number too large"),
        ] {
            assert_eq!(parse_duration(text), Err(reason), "{text}");
        }
    }

    #[test]
    fn formats_in_the_largest_exact_unit_and_parses_back() {
        for (duration, text) in [
            (Duration::ZERO, "0 ms"),
            (Duration::from_secs(10), "10 s"),
            (Duration::from_secs(300), "5 min"),
            (Duration::from_secs(3_600), "1 h"),
            (Duration::from_secs(86_400 * 2), "2 d"),
            (Duration::from_millis(1_500), "1500 ms"),
            (Duration::from_micros(7), "7 us"),
            (Duration::new(1, 1), "1000000001 ns"),
        ] {
            assert_eq!(format_duration(duration), text);
            assert_eq!(parse_duration(text), Ok(duration));
        }
    }
}
