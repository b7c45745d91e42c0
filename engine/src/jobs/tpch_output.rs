//! Writing a TPC-H query's result: `|`-delimited columns, money with 2 decimals, to a file
//! (one part, parallelism 1) or to stdout; and the top-n step both queries end with.

use std::io::Write;

use crate::api::{Data, DataSet, Group, Key, Order, Output};
use crate::error::WeirError;

/// An amount in units of 1/10000 rounded half away from zero to 2 decimals (`1234565` →
/// `123.46`, `-5` → `-0.00`... printed as `0.00`).
pub(crate) fn format_ten_thousandths(value: i64) -> String {
    let negative = value < 0;
    let magnitude = value.unsigned_abs();
    let cents = (magnitude + 50) / 100;
    let sign = if negative && cents != 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// Cents as an amount with 2 decimals.
pub(crate) fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// The first `n` records by `key` in `order`: each subtask sorts and keeps its first `n`, then
/// one subtask sorts those and keeps the first `n` overall, in order.
pub(crate) fn top_n<T: Data, K: Key>(
    input: &DataSet<T>,
    key: impl Fn(&T) -> K + Clone + Send + Sync + 'static,
    order: Order,
    n: u64,
) -> DataSet<T> {
    let local = input
        .sort_partition(key.clone(), order)
        .map_partition(move |records: &mut Group<'_, T>, out: &mut Output<'_, T>| {
            for record in records.take(n as usize) {
                out.emit(record);
            }
        })
        .name("TopN (local)");
    local
        .group_by(|_: &T| 0u8)
        .sort_group(key, order)
        .first(n)
        .name("TopN")
        .set_parallelism(1)
}

/// Writes `lines` to `output` (a single file) or prints them.
pub(crate) fn emit_lines(
    env: &crate::api::ExecutionEnvironment,
    lines: DataSet<String>,
    output: Option<&str>,
    job: &str,
) -> Result<(), WeirError> {
    match output {
        Some(path) => {
            lines.write_as_text_with(path, |line, bytes| bytes.extend_from_slice(line.as_bytes()));
            env.execute(job)?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for line in lines.collect()? {
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            let _ = out.flush();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_rounds_half_away_from_zero() {
        assert_eq!(format_ten_thousandths(1_234_565), "123.46");
        assert_eq!(format_ten_thousandths(1_234_549), "123.45");
        assert_eq!(format_ten_thousandths(-1_234_550), "-123.46");
        assert_eq!(format_ten_thousandths(-49), "0.00");
        assert_eq!(format_ten_thousandths(0), "0.00");
        assert_eq!(format_cents(-71_156), "-711.56");
        assert_eq!(format_cents(5), "0.05");
    }
}
