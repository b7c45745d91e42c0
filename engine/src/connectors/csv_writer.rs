//! Writing CSV: [`write_csv_field`] quotes a field when it must, [`ToCsvRecord`] writes a line.
//!
//! ```text
//!   (42, "a,b", 2.5, None::<i32>, "say \"hi\"")  ──▶  42,"a,b",2.5,,"say ""hi"""\n
//! ```
//!
//! A field is quoted (with `"`, inner quotes doubled) when it contains the delimiter, a quote,
//! `\r` or `\n`. Numbers use Rust's `Display`, which for floats is the shortest text that reads
//! back as the same value. `None` is an empty field. Lines end with `\n`.

use std::fmt::Display;
use std::io::Write;

const QUOTE: u8 = b'"';

/// Appends `field` to `out`, quoted if it contains `delimiter`, a quote, `\r` or `\n`.
pub fn write_csv_field(out: &mut Vec<u8>, field: &str, delimiter: u8) {
    write_csv_bytes(out, field.as_bytes(), delimiter);
}

fn needs_quotes(bytes: &[u8], delimiter: u8) -> bool {
    bytes
        .iter()
        .any(|&byte| byte == delimiter || byte == QUOTE || byte == b'\n' || byte == b'\r')
}

fn write_csv_bytes(out: &mut Vec<u8>, bytes: &[u8], delimiter: u8) {
    if !needs_quotes(bytes, delimiter) {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(QUOTE);
    for &byte in bytes {
        if byte == QUOTE {
            out.push(QUOTE);
        }
        out.push(byte);
    }
    out.push(QUOTE);
}

/// Appends a `Display` value as a field; it is quoted only in the rare case its text needs it
/// (a delimiter such as `.` or `-`).
fn write_display_field(out: &mut Vec<u8>, value: &dyn Display, delimiter: u8) {
    let start = out.len();
    write!(out, "{value}").expect("writing to a Vec cannot fail");
    if needs_quotes(&out[start..], delimiter) {
        let text = out.split_off(start);
        write_csv_bytes(out, &text, delimiter);
    }
}

/// A value written as one CSV field.
pub trait ToCsvField {
    fn write_csv_field(&self, out: &mut Vec<u8>, delimiter: u8);
}

macro_rules! display_to_csv_field {
    ($($type:ty),*) => {$(
        impl ToCsvField for $type {
            fn write_csv_field(&self, out: &mut Vec<u8>, delimiter: u8) {
                write_display_field(out, self, delimiter);
            }
        }
    )*};
}

display_to_csv_field!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64, bool, char
);

impl ToCsvField for str {
    fn write_csv_field(&self, out: &mut Vec<u8>, delimiter: u8) {
        write_csv_field(out, self, delimiter);
    }
}

impl ToCsvField for String {
    fn write_csv_field(&self, out: &mut Vec<u8>, delimiter: u8) {
        write_csv_field(out, self, delimiter);
    }
}

impl<T: ToCsvField + ?Sized> ToCsvField for &T {
    fn write_csv_field(&self, out: &mut Vec<u8>, delimiter: u8) {
        (**self).write_csv_field(out, delimiter);
    }
}

impl<T: ToCsvField> ToCsvField for Option<T> {
    fn write_csv_field(&self, out: &mut Vec<u8>, delimiter: u8) {
        if let Some(value) = self {
            value.write_csv_field(out, delimiter);
        }
    }
}

/// A record written as one CSV line.
pub trait ToCsvRecord {
    /// Appends the fields separated by `delimiter`, then `\n`.
    fn write_csv_record(&self, out: &mut Vec<u8>, delimiter: u8);
}

macro_rules! tuple_to_csv_record {
    ($first_index:tt $first:ident $(, $index:tt $field:ident)*) => {
        impl<$first: ToCsvField $(, $field: ToCsvField)*> ToCsvRecord for ($first, $($field,)*) {
            fn write_csv_record(&self, out: &mut Vec<u8>, delimiter: u8) {
                self.$first_index.write_csv_field(out, delimiter);
                $(
                    out.push(delimiter);
                    self.$index.write_csv_field(out, delimiter);
                )*
                out.push(b'\n');
            }
        }
    };
}

tuple_to_csv_record!(0 A);
tuple_to_csv_record!(0 A, 1 B);
tuple_to_csv_record!(0 A, 1 B, 2 C);
tuple_to_csv_record!(0 A, 1 B, 2 C, 3 D);
tuple_to_csv_record!(0 A, 1 B, 2 C, 3 D, 4 E);
tuple_to_csv_record!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
tuple_to_csv_record!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
tuple_to_csv_record!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);
tuple_to_csv_record!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I);
tuple_to_csv_record!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J);
tuple_to_csv_record!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K);
tuple_to_csv_record!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::{CsvLineParser, CsvOptions, FromCsvRecord};

    fn line<R: ToCsvRecord>(record: R, delimiter: u8) -> String {
        let mut out = Vec::new();
        record.write_csv_record(&mut out, delimiter);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(
            line((42, "a,b", 2.5, None::<i32>, "say \"hi\""), b','),
            "42,\"a,b\",2.5,,\"say \"\"hi\"\"\"\n"
        );
        assert_eq!(line(("x\ny", 'c', true), b','), "\"x\ny\",c,true\n");
        assert_eq!(line((1.5f64, -2), b'.'), "\"1.5\".-2\n");
        assert_eq!(
            line((0.1f64 + 0.2, 1e-7f32), b'|'),
            "0.30000000000000004|0.0000001\n"
        );
    }

    #[test]
    fn written_records_read_back() {
        type Row = (i64, String, Option<f64>, String);
        let rows: Vec<Row> = vec![
            (-1, "plain".into(), Some(0.1), String::new()),
            (2, "a,\"b\"".into(), None, "x|y".into()),
            (i64::MAX, "\"".into(), Some(f64::MIN_POSITIVE), ",".into()),
        ];
        let mut parser = CsvLineParser::new();
        for row in rows {
            let text = line(row.clone(), b',');
            let fields = parser
                .split(
                    text.trim_end_matches('\n').as_bytes(),
                    &CsvOptions::default(),
                )
                .unwrap();
            assert_eq!(Row::from_fields(&fields).unwrap(), row);
        }
    }
}
