//! Typed records from CSV fields: [`CsvField`] parses one field, [`FromCsvRecord`] a line.
//!
//! ```text
//!   CsvFields  [ "42" | "" | "3.5" ]
//!                 │      │     │   CsvField::parse per field, by position
//!                 ▼      ▼     ▼
//!   (i64, Option<String>, f64) = (42, None, 3.5)
//! ```
//!
//! Implemented for tuples of 1 to 12 fields of: all integers, `f32`, `f64`, `bool`
//! (`true`/`false` in any case, `1`/`0`), `char`, `String`, and `Option<T>` of those (an
//! empty field is `None`). Numbers are strict: no surrounding spaces. serde-derived structs are
//! read by field order through [`SerdeCsv`](super::SerdeCsv).

use std::any::type_name;

use super::csv_format::CsvFields;
use super::csv_problem::{CsvFieldError, CsvProblem};

/// A value read from one CSV field (already unquoted).
pub trait CsvField: Sized {
    /// The value of `bytes`, or why it is none.
    fn parse(bytes: &[u8]) -> Result<Self, String>;
}

/// A record read from the fields of one CSV line.
pub trait FromCsvRecord: Sized {
    /// How many fields a line must have, if fixed.
    fn field_count() -> Option<usize>;

    /// The record of `fields`; a wrong field count is an error too.
    fn from_fields(fields: &CsvFields<'_>) -> Result<Self, CsvFieldError>;
}

fn as_str(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|error| format!("not UTF-8 ({error})"))
}

macro_rules! number_csv_field {
    ($($number:ty),*) => {$(
        impl CsvField for $number {
            fn parse(bytes: &[u8]) -> Result<Self, String> {
                parse_with_std::<$number>(bytes)
            }
        }
    )*};
}

number_csv_field!(f32, f64);

/// The standard library's parse of `bytes` as text, with its error message.
#[cold]
fn parse_with_std<T: std::str::FromStr>(bytes: &[u8]) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    as_str(bytes)?
        .parse::<T>()
        .map_err(|error| error.to_string())
}

/// Decimal digits that always fit a `u64`: 10^19 - 1 < 2^64.
const U64_SAFE_DIGITS: usize = 19;

/// Integers are read from the bytes directly: an optional sign, then up to 19 decimal digits
/// summed into a `u64` magnitude, then range-checked into the type. Anything else (no digit,
/// another byte, more digits, out of range) goes to the standard library's parse, so the
/// accepted values and the error messages are exactly those of `str::parse` (which also needs
/// the bytes to be UTF-8 first).
macro_rules! integer_csv_field {
    ($($integer:ty),*) => {$(
        impl CsvField for $integer {
            #[inline]
            fn parse(bytes: &[u8]) -> Result<Self, String> {
                let (negative, digits) = match bytes {
                    [b'-', digits @ ..] => (true, digits),
                    [b'+', digits @ ..] => (false, digits),
                    digits => (false, digits),
                };
                if digits.is_empty() || digits.len() > U64_SAFE_DIGITS {
                    return parse_with_std::<$integer>(bytes);
                }
                let mut magnitude: u64 = 0;
                for &byte in digits {
                    let digit = byte.wrapping_sub(b'0');
                    if digit > 9 {
                        return parse_with_std::<$integer>(bytes);
                    }
                    magnitude = magnitude * 10 + u64::from(digit);
                }
                let value = if negative {
                    -i128::from(magnitude)
                } else {
                    i128::from(magnitude)
                };
                // Out of range, or a minus sign on an unsigned type (even "-0"): std's error.
                if negative && <$integer>::MIN == 0 {
                    return parse_with_std::<$integer>(bytes);
                }
                <$integer>::try_from(value).or_else(|_| parse_with_std::<$integer>(bytes))
            }
        }
    )*};
}

integer_csv_field!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl CsvField for bool {
    fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.eq_ignore_ascii_case(b"true") || bytes == b"1" {
            Ok(true)
        } else if bytes.eq_ignore_ascii_case(b"false") || bytes == b"0" {
            Ok(false)
        } else {
            Err("expected true, false, 1 or 0".to_string())
        }
    }
}

impl CsvField for char {
    fn parse(bytes: &[u8]) -> Result<Self, String> {
        let text = as_str(bytes)?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(only), None) => Ok(only),
            _ => Err(format!(
                "expected one character, found {}",
                text.chars().count()
            )),
        }
    }
}

impl CsvField for String {
    fn parse(bytes: &[u8]) -> Result<Self, String> {
        as_str(bytes).map(str::to_string)
    }
}

impl<T: CsvField> CsvField for Option<T> {
    fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.is_empty() {
            Ok(None)
        } else {
            T::parse(bytes).map(Some)
        }
    }
}

/// Field `column` of `fields` as a `T`, with the column and type in the error.
pub(crate) fn parse_field<T: CsvField>(
    fields: &CsvFields<'_>,
    column: usize,
) -> Result<T, CsvFieldError> {
    let bytes = fields.get(column).ok_or_else(|| {
        CsvFieldError::line(CsvProblem::FieldCount {
            expected: column + 1,
            found: fields.len(),
        })
    })?;
    T::parse(bytes).map_err(|message| {
        CsvFieldError::field(
            column,
            CsvProblem::InvalidField {
                type_name: type_name::<T>(),
                message,
            },
        )
    })
}

macro_rules! tuple_from_csv_record {
    ($count:literal: $($column:tt $field:ident),+) => {
        impl<$($field: CsvField),+> FromCsvRecord for ($($field,)+) {
            fn field_count() -> Option<usize> {
                Some($count)
            }

            fn from_fields(fields: &CsvFields<'_>) -> Result<Self, CsvFieldError> {
                CsvFieldError::check_field_count($count, fields.len())?;
                Ok(($(parse_field::<$field>(fields, $column)?,)+))
            }
        }
    };
}

tuple_from_csv_record!(1: 0 A);
tuple_from_csv_record!(2: 0 A, 1 B);
tuple_from_csv_record!(3: 0 A, 1 B, 2 C);
tuple_from_csv_record!(4: 0 A, 1 B, 2 C, 3 D);
tuple_from_csv_record!(5: 0 A, 1 B, 2 C, 3 D, 4 E);
tuple_from_csv_record!(6: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
tuple_from_csv_record!(7: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
tuple_from_csv_record!(8: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);
tuple_from_csv_record!(9: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I);
tuple_from_csv_record!(10: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J);
tuple_from_csv_record!(11: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K);
tuple_from_csv_record!(12: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::{CsvLineParser, CsvOptions};

    fn record<T: FromCsvRecord>(line: &str) -> Result<T, CsvFieldError> {
        let mut parser = CsvLineParser::new();
        let fields = parser
            .split(line.as_bytes(), &CsvOptions::default())
            .unwrap();
        T::from_fields(&fields)
    }

    #[test]
    fn typed_tuples() {
        let row: (i64, Option<String>, f64, bool, char, u8) =
            record(r#"-42,,3.5,TRUE,"é",255"#).unwrap();
        assert_eq!(row, (-42, None, 3.5, true, 'é', 255));
        let row: (Option<i32>, String) = record(r#"7,"a,""b""""#).unwrap();
        assert_eq!(row, (Some(7), "a,\"b\"".to_string()));
        assert_eq!(<(i32, i32, i32)>::field_count(), Some(3));
    }

    #[test]
    fn twelve_fields() {
        type Twelve = (u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, String);
        let row: Twelve = record("1,2,3,4,5,6,7,8,9,10,11,twelve").unwrap();
        assert_eq!(row.11, "twelve");
    }

    #[test]
    fn errors_name_the_column_and_type() {
        let error = record::<(i32, u8)>("1,256").unwrap_err();
        assert_eq!(error.column, Some(1));
        assert!(
            matches!(
                &error.problem,
                CsvProblem::InvalidField {
                    type_name: "u8",
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            record::<(i32, i32)>("1,2,3").unwrap_err(),
            CsvFieldError::line(CsvProblem::FieldCount {
                expected: 2,
                found: 3
            })
        );
        assert!(record::<(i32,)>(" 1").is_err());
        assert!(record::<(bool,)>("yes").is_err());
        assert!(record::<(char,)>("ab").is_err());
        assert!(record::<(f64,)>("").is_err());
    }

    /// The byte parse of every integer type agrees with `str::parse`: same values, same
    /// errors (with the UTF-8 check in front), on the edges of each type and on random text.
    fn agrees_with_std<T>(bytes: &[u8])
    where
        T: CsvField + std::str::FromStr + PartialEq + std::fmt::Debug,
        T::Err: std::fmt::Display,
    {
        let expected = match std::str::from_utf8(bytes) {
            Ok(text) => text.parse::<T>().map_err(|error| error.to_string()),
            Err(error) => Err(format!("not UTF-8 ({error})")),
        };
        assert_eq!(
            T::parse(bytes),
            expected,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }

    fn all_integers_agree(bytes: &[u8]) {
        agrees_with_std::<i8>(bytes);
        agrees_with_std::<i16>(bytes);
        agrees_with_std::<i32>(bytes);
        agrees_with_std::<i64>(bytes);
        agrees_with_std::<i128>(bytes);
        agrees_with_std::<isize>(bytes);
        agrees_with_std::<u8>(bytes);
        agrees_with_std::<u16>(bytes);
        agrees_with_std::<u32>(bytes);
        agrees_with_std::<u64>(bytes);
        agrees_with_std::<u128>(bytes);
        agrees_with_std::<usize>(bytes);
    }

    #[test]
    fn integers_parse_like_the_standard_library() {
        let edges = [
            "",
            "+",
            "-",
            "0",
            "-0",
            "+0",
            "007",
            "+-1",
            "-+1",
            "1-",
            " 1",
            "1 ",
            "1_000",
            "127",
            "128",
            "-128",
            "-129",
            "255",
            "256",
            "32767",
            "-32768",
            "65535",
            "65536",
            "2147483647",
            "-2147483648",
            "4294967296",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "170141183460469231731687303715884105727",
            "-170141183460469231731687303715884105728",
            "340282366920938463463374607431768211455",
            "340282366920938463463374607431768211456",
            "1e3",
            "0x10",
            "١",
        ];
        for edge in edges {
            all_integers_agree(edge.as_bytes());
        }
        all_integers_agree(&[b'1', 0xff]);
        all_integers_agree(&[0xc3]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn random_integer_text_parses_like_the_standard_library(
            text in "[+-]?[0-9]{0,42}|[0-9+ a-]{0,6}",
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8),
        ) {
            all_integers_agree(text.as_bytes());
            all_integers_agree(&bytes);
        }
    }
}
