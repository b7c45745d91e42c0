//! [`CsvSource`]: CSV rows of files as tuples or serde structs, with the batch CSV dialect and
//! errors ([`CsvOptions`], [`CsvReader`]).
//!
//! ```text
//!   key,event_time_ms,value        CsvSource::<(i64, i64, i64)>::new(path, options)
//!   7,1700000000000,42       ──▶   (7, 1700000000000, 42)
//!                                  CsvSource::<Order>::serde(path, options): fields by order
//! ```
//!
//! Fields are slices of the reader's line buffer and integers are parsed from them in place:
//! nothing is allocated per line or field for numeric tuples. A bad line fails with
//! [`WeirError::BadRecord`] naming the file, line, column and value, or is counted and
//! skipped with `skip_bad_records` ([`SourceReader::skipped_records`](super::SourceReader::skipped_records)).

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::file_source::{FileRecordFormat, FileRecordReader, FileSource};
use crate::connectors::{
    CsvFieldError, CsvFields, CsvOptions, CsvReader, FileInputSplit, FromCsvRecord, SerdeCsv,
};
use crate::error::WeirError;

/// CSV rows of files; see the module docs and [`FileSource`].
pub type CsvSource<T> = FileSource<T, CsvFormat<T>>;

impl<T: FromCsvRecord + 'static> FileSource<T, CsvFormat<T>> {
    /// Reads the rows of the files `path` names (a file, a directory, or a glob) once, as
    /// tuples (or any [`FromCsvRecord`] type).
    pub fn new(path: impl Into<String>, options: CsvOptions) -> CsvSource<T> {
        FileSource::with_format(path, CsvFormat::new(options, T::from_fields))
    }

    /// Like [`new`](Self::new), then every `interval` the new files (unbounded).
    pub fn monitoring(
        path: impl Into<String>,
        options: CsvOptions,
        interval: Duration,
    ) -> CsvSource<T> {
        FileSource::monitoring_with_format(path, interval, CsvFormat::new(options, T::from_fields))
    }
}

impl<T: DeserializeOwned + 'static> FileSource<T, CsvFormat<T>> {
    /// Reads the rows as a serde-derived struct, by field order (see [`SerdeCsv`]).
    pub fn serde(path: impl Into<String>, options: CsvOptions) -> CsvSource<T> {
        FileSource::with_format(path, CsvFormat::new(options, parse_serde::<T>))
    }
}

fn parse_serde<T: DeserializeOwned>(fields: &CsvFields<'_>) -> Result<T, CsvFieldError> {
    SerdeCsv::<T>::from_fields(fields).map(|record| record.0)
}

/// How fields become a record.
type ParseFields<T> = fn(&CsvFields<'_>) -> Result<T, CsvFieldError>;

/// CSV rows in one dialect.
pub struct CsvFormat<T> {
    options: CsvOptions,
    parse: ParseFields<T>,
}

impl<T> std::fmt::Debug for CsvFormat<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvFormat")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<T> CsvFormat<T> {
    pub fn new(options: CsvOptions, parse: ParseFields<T>) -> Self {
        CsvFormat { options, parse }
    }
}

impl<T: 'static> FileRecordFormat<T> for CsvFormat<T> {
    type Reader = CsvRowReader<T>;

    fn kind(&self) -> &'static str {
        "CsvSource"
    }

    fn open(&self, split: &FileInputSplit) -> Result<CsvRowReader<T>, WeirError> {
        Ok(CsvRowReader {
            rows: CsvReader::open(split, self.options.clone())?,
            parse: self.parse,
        })
    }
}

/// The rows of one split.
pub struct CsvRowReader<T> {
    rows: CsvReader<T>,
    parse: ParseFields<T>,
}

impl<T> std::fmt::Debug for CsvRowReader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRowReader")
            .field("position", &self.rows.position())
            .finish_non_exhaustive()
    }
}

impl<T> FileRecordReader<T> for CsvRowReader<T> {
    #[inline]
    fn next_record(&mut self) -> Result<Option<T>, WeirError> {
        self.rows.next_record_with(self.parse)
    }

    fn position(&self) -> u64 {
        self.rows.position()
    }

    fn skipped_records(&self) -> u64 {
        self.rows.skipped_records()
    }
}
