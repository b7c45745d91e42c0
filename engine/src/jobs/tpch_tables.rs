//! The columns of the TPC-H tables that Q3 and Q10 read, parsed straight from `.tbl` lines
//! (`|`-delimited with a trailing `|`): each row type checks the table's full column count and
//! parses only the columns the queries use.
//!
//! Money (`DECIMAL(15,2)`) is kept exactly as whole cents (`i64`), discounts as hundredths,
//! dates (`YYYY-MM-DD`) as the number `YYYYMMDD` (ordered like the dates). A revenue term
//! `price × (1 − discount)` is then an exact integer in units of 1/10000.

use serde::{Deserialize, Serialize};

use crate::api::{Data, DataSet, ExecutionEnvironment};
use crate::connectors::{CsvFieldError, CsvFields, CsvOptions, CsvProblem, FromCsvRecord};

/// The `.tbl` files of one TPC-H data directory.
pub(crate) struct TpchTables<'a> {
    env: &'a ExecutionEnvironment,
    dir: String,
    options: CsvOptions,
}

impl<'a> TpchTables<'a> {
    /// The tables in `dir`; with `skip_bad_records`, malformed rows are counted and skipped.
    pub(crate) fn new(
        env: &'a ExecutionEnvironment,
        dir: &str,
        skip_bad_records: bool,
    ) -> TpchTables<'a> {
        TpchTables {
            env,
            dir: dir.trim_end_matches('/').to_owned(),
            options: CsvOptions::tbl().with_skip_bad_records(skip_bad_records),
        }
    }

    /// The rows of `<dir>/<table>.tbl`.
    pub(crate) fn read<T: Data + FromCsvRecord>(&self, table: &str) -> DataSet<T> {
        self.env
            .read_csv_file::<T>(&format!("{}/{table}.tbl", self.dir), self.options.clone())
            .name(&format!("{table}.tbl"))
    }
}

fn field<'a>(fields: &CsvFields<'a>, column: usize) -> Result<&'a [u8], CsvFieldError> {
    fields
        .get(column)
        .ok_or(CsvFieldError::line(CsvProblem::FieldCount {
            expected: column + 1,
            found: fields.len(),
        }))
}

fn invalid(column: usize, type_name: &'static str, message: String) -> CsvFieldError {
    CsvFieldError::field(column, CsvProblem::InvalidField { type_name, message })
}

pub(crate) fn parse_integer(fields: &CsvFields<'_>, column: usize) -> Result<i64, CsvFieldError> {
    let bytes = field(fields, column)?;
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.parse::<i64>().ok())
        .ok_or_else(|| invalid(column, "integer", "expected a whole number".to_owned()))
}

pub(crate) fn parse_text(fields: &CsvFields<'_>, column: usize) -> Result<String, CsvFieldError> {
    let bytes = field(fields, column)?;
    String::from_utf8(bytes.to_vec()).map_err(|error| invalid(column, "text", error.to_string()))
}

/// A decimal with at most two fraction digits as hundredths (`901.5` → 90150, `-0.04` → -4).
pub(crate) fn parse_hundredths(
    fields: &CsvFields<'_>,
    column: usize,
) -> Result<i64, CsvFieldError> {
    let bytes = field(fields, column)?;
    let error = || {
        invalid(
            column,
            "decimal(15,2)",
            "expected a number with at most 2 decimals".to_owned(),
        )
    };
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let (whole, fraction) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], &digits[dot + 1..]),
        None => (digits, &digits[digits.len()..]),
    };
    if whole.is_empty() && fraction.is_empty() || fraction.len() > 2 || whole.len() > 16 {
        return Err(error());
    }
    let mut value: i64 = 0;
    for &b in whole.iter().chain(fraction.iter()) {
        if !b.is_ascii_digit() {
            return Err(error());
        }
        value = value * 10 + i64::from(b - b'0');
    }
    for _ in fraction.len()..2 {
        value *= 10;
    }
    Ok(if negative { -value } else { value })
}

/// A date `YYYY-MM-DD` as the number `YYYYMMDD`.
pub(crate) fn parse_date(fields: &CsvFields<'_>, column: usize) -> Result<u32, CsvFieldError> {
    let bytes = field(fields, column)?;
    let error = || invalid(column, "date", "expected YYYY-MM-DD".to_owned());
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(error());
    }
    let mut value = 0u32;
    for (index, &b) in bytes.iter().enumerate() {
        if index == 4 || index == 7 {
            continue;
        }
        if !b.is_ascii_digit() {
            return Err(error());
        }
        value = value * 10 + u32::from(b - b'0');
    }
    let (month, day) = (value / 100 % 100, value % 100);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(error());
    }
    Ok(value)
}

/// `YYYYMMDD` as `YYYY-MM-DD`.
pub(crate) fn format_date(date: u32) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date / 10000,
        date / 100 % 100,
        date % 100
    )
}

/// `CUSTOMER`: 8 columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Customer {
    pub custkey: i64,
    pub name: String,
    pub address: String,
    pub nationkey: i64,
    pub phone: String,
    pub acctbal_cents: i64,
    pub mktsegment: String,
    pub comment: String,
}

/// `ORDERS`: 9 columns; Q3 and Q10 use the key, customer, date and ship priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Order {
    pub orderkey: i64,
    pub custkey: i64,
    pub orderdate: u32,
    pub shippriority: i64,
}

/// `LINEITEM`: 16 columns; Q3 and Q10 use the order, price, discount, return flag and ship date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LineItem {
    pub orderkey: i64,
    pub extendedprice_cents: i64,
    pub discount_hundredths: i64,
    pub returnflag: u8,
    pub shipdate: u32,
}

impl LineItem {
    /// `extendedprice × (1 − discount)` in units of 1/10000.
    pub(crate) fn revenue(&self) -> i64 {
        self.extendedprice_cents * (100 - self.discount_hundredths)
    }
}

/// `NATION`: 4 columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Nation {
    pub nationkey: i64,
    pub name: String,
}

crate::serde_record!(Customer, Order, LineItem, Nation);

impl FromCsvRecord for Customer {
    fn field_count() -> Option<usize> {
        Some(8)
    }

    fn from_fields(fields: &CsvFields<'_>) -> Result<Self, CsvFieldError> {
        CsvFieldError::check_field_count(8, fields.len())?;
        Ok(Customer {
            custkey: parse_integer(fields, 0)?,
            name: parse_text(fields, 1)?,
            address: parse_text(fields, 2)?,
            nationkey: parse_integer(fields, 3)?,
            phone: parse_text(fields, 4)?,
            acctbal_cents: parse_hundredths(fields, 5)?,
            mktsegment: parse_text(fields, 6)?,
            comment: parse_text(fields, 7)?,
        })
    }
}

impl FromCsvRecord for Order {
    fn field_count() -> Option<usize> {
        Some(9)
    }

    fn from_fields(fields: &CsvFields<'_>) -> Result<Self, CsvFieldError> {
        CsvFieldError::check_field_count(9, fields.len())?;
        Ok(Order {
            orderkey: parse_integer(fields, 0)?,
            custkey: parse_integer(fields, 1)?,
            orderdate: parse_date(fields, 4)?,
            shippriority: parse_integer(fields, 7)?,
        })
    }
}

impl FromCsvRecord for LineItem {
    fn field_count() -> Option<usize> {
        Some(16)
    }

    fn from_fields(fields: &CsvFields<'_>) -> Result<Self, CsvFieldError> {
        CsvFieldError::check_field_count(16, fields.len())?;
        let returnflag = match field(fields, 8)? {
            [flag] => *flag,
            _ => return Err(invalid(8, "char(1)", "expected one character".to_owned())),
        };
        Ok(LineItem {
            orderkey: parse_integer(fields, 0)?,
            extendedprice_cents: parse_hundredths(fields, 5)?,
            discount_hundredths: parse_hundredths(fields, 6)?,
            returnflag,
            shipdate: parse_date(fields, 10)?,
        })
    }
}

impl FromCsvRecord for Nation {
    fn field_count() -> Option<usize> {
        Some(4)
    }

    fn from_fields(fields: &CsvFields<'_>) -> Result<Self, CsvFieldError> {
        CsvFieldError::check_field_count(4, fields.len())?;
        Ok(Nation {
            nationkey: parse_integer(fields, 0)?,
            name: parse_text(fields, 1)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::{CsvLineParser, CsvOptions};

    fn parse<T: FromCsvRecord>(line: &str) -> Result<T, CsvFieldError> {
        let mut parser = CsvLineParser::new();
        let fields = parser.split(line.as_bytes(), &CsvOptions::tbl())?;
        T::from_fields(&fields)
    }

    #[test]
    fn rows_parse_their_columns_exactly() {
        let item: LineItem = parse("1|155190|7706|1|17|21168.23|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|DELIVER IN PERSON|TRUCK|egular courts above the|").unwrap();
        assert_eq!(item.orderkey, 1);
        assert_eq!(item.extendedprice_cents, 2_116_823);
        assert_eq!(item.discount_hundredths, 4);
        assert_eq!(item.returnflag, b'N');
        assert_eq!(item.shipdate, 19_960_313);
        assert_eq!(item.revenue(), 2_116_823 * 96);
        let customer: Customer = parse("1|Customer#000000001|IVhzIApeRb ot,c,E|15|25-989-741-2988|-711.56|BUILDING|to the even, regular platelets.|").unwrap();
        assert_eq!(customer.acctbal_cents, -71_156);
        assert_eq!(customer.mktsegment, "BUILDING");
        assert_eq!(format_date(19_950_315), "1995-03-15");
    }

    #[test]
    fn bad_columns_are_named() {
        let error = parse::<Nation>("x|ALGERIA|0|comment|").unwrap_err();
        assert_eq!(error.column, Some(0));
        let error = parse::<Order>("1|2|O|3.5|1996-13-02|5-LOW|Clerk|0|c|").unwrap_err();
        assert_eq!(error.column, Some(4));
        assert!(parse::<Nation>("1|A|").is_err());
    }
}
