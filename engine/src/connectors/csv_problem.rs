//! [`CsvProblem`]: why a line is not a record, and [`CsvFieldError`]: the problem plus the field.

use std::fmt;

/// Why a CSV line could not be read as a record. Carried by
/// [`WeirError::BadRecord`](crate::WeirError::BadRecord).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvProblem {
    /// A quoted field has no closing quote on its line. Records are lines, so a quoted field
    /// cannot span lines.
    UnterminatedQuote,
    /// Something other than the delimiter follows a closing quote.
    TextAfterClosingQuote,
    /// The format wants every line to end with the delimiter (TPC-H `.tbl`), and it does not.
    MissingTrailingDelimiter { delimiter: u8 },
    /// The line has a different number of fields than the record type.
    FieldCount { expected: usize, found: usize },
    /// A field's text is not a value of its type.
    InvalidField {
        type_name: &'static str,
        message: String,
    },
    /// The serde `Deserialize` implementation rejected the record.
    Deserialize { message: String },
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvProblem::UnterminatedQuote => f.write_str(
                "a quoted field is not closed on its line (quoted fields cannot span lines)",
            ),
            CsvProblem::TextAfterClosingQuote => f.write_str(
                "text follows the closing quote of a quoted field (write a quote inside a quoted \
                 field as two quotes)",
            ),
            CsvProblem::MissingTrailingDelimiter { delimiter } => write!(
                f,
                "the line does not end with the delimiter '{}'",
                char::from(*delimiter).escape_default()
            ),
            CsvProblem::FieldCount { expected, found } => {
                write!(f, "expected {expected} fields, found {found}")
            }
            CsvProblem::InvalidField { type_name, message } => {
                write!(f, "not a valid {type_name}: {message}")
            }
            CsvProblem::Deserialize { message } => write!(f, "cannot deserialize: {message}"),
        }
    }
}

/// A [`CsvProblem`] and, when one field is at fault, its 0-based index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFieldError {
    pub column: Option<usize>,
    pub problem: CsvProblem,
}

impl CsvFieldError {
    /// A problem with the line as a whole.
    pub fn line(problem: CsvProblem) -> CsvFieldError {
        CsvFieldError {
            column: None,
            problem,
        }
    }

    /// A problem with the field at `column` (0-based).
    pub fn field(column: usize, problem: CsvProblem) -> CsvFieldError {
        CsvFieldError {
            column: Some(column),
            problem,
        }
    }

    /// The field-count error, or `Ok` when `found == expected`.
    pub fn check_field_count(expected: usize, found: usize) -> Result<(), CsvFieldError> {
        if expected == found {
            Ok(())
        } else {
            Err(CsvFieldError::line(CsvProblem::FieldCount {
                expected,
                found,
            }))
        }
    }
}

impl fmt::Display for CsvFieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "column {}: {}", column + 1, self.problem),
            None => self.problem.fmt(f),
        }
    }
}

impl std::error::Error for CsvFieldError {}
