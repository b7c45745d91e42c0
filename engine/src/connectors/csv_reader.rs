//! [`CsvReader`]: typed records from the lines of one split.
//!
//! ```text
//!   LineReader ──line──▶ header? comment? empty? ──▶ CsvLineParser ──fields──▶ T::from_fields
//!                         (skipped)                  (quote-aware split)       │
//!                                                                              ├─ Ok(record)
//!                     bad line: skip_bad_records ? count it, next line         │
//!                                                : WeirError::BadRecord ◀──────┘
//! ```
//!
//! The header is the file's first line, so only the split starting at offset 0 skips it.
//! A bad record's line number is counted from the file's start only when the error is built
//! ([`line_number_at`]), so reading good lines never counts lines.

use std::marker::PhantomData;

use super::csv_format::{CsvFields, CsvLineParser, CsvOptions};
use super::csv_problem::CsvFieldError;
use super::csv_record::FromCsvRecord;
use super::file_input_split::FileInputSplit;
use super::line_reader::{DEFAULT_READ_BUFFER_BYTES, LineReader, line_number_at};
use crate::WeirError;

/// Reads records of type `T` from one split in the dialect of its [`CsvOptions`].
#[derive(Debug)]
pub struct CsvReader<T> {
    lines: LineReader,
    parser: CsvLineParser,
    options: CsvOptions,
    header_pending: bool,
    records_read: u64,
    skipped_records: u64,
    record: PhantomData<fn() -> T>,
}

impl<T> CsvReader<T> {
    /// Opens `split` with a read buffer of [`DEFAULT_READ_BUFFER_BYTES`].
    pub fn open(split: &FileInputSplit, options: CsvOptions) -> Result<CsvReader<T>, WeirError> {
        Ok(CsvReader::new(
            LineReader::open(split, DEFAULT_READ_BUFFER_BYTES)?,
            options,
        ))
    }

    /// Reads records from the lines of `lines`.
    pub fn new(lines: LineReader, options: CsvOptions) -> CsvReader<T> {
        CsvReader {
            header_pending: options.has_header && lines.starts_at_file_start(),
            lines,
            parser: CsvLineParser::new(),
            options,
            records_read: 0,
            skipped_records: 0,
            record: PhantomData,
        }
    }

    /// Like [`next_record`](CsvReader::next_record), with the fields turned into a record by
    /// `parse` instead of `T::from_fields` (e.g. a serde struct through
    /// [`SerdeCsv`](super::SerdeCsv)).
    pub fn next_record_with<U>(
        &mut self,
        mut parse: impl FnMut(&CsvFields<'_>) -> Result<U, CsvFieldError>,
    ) -> Result<Option<U>, WeirError> {
        loop {
            let Some(line) = self.lines.next_line()? else {
                return Ok(None);
            };
            if self.header_pending {
                // A split starting at offset 0 returns the file's first line first.
                self.header_pending = false;
                continue;
            }
            if line.is_empty() && self.options.skip_empty_lines {
                continue;
            }
            if let Some(prefix) = &self.options.comment_prefix
                && line.starts_with(prefix)
            {
                continue;
            }
            let (error, value) = match self.parser.split(line, &self.options) {
                Ok(fields) => match parse(&fields) {
                    Ok(record) => {
                        self.records_read += 1;
                        return Ok(Some(record));
                    }
                    Err(error) => {
                        let value = error
                            .column
                            .and_then(|column| fields.get(column))
                            .unwrap_or(line);
                        (error, String::from_utf8_lossy(value).into_owned())
                    }
                },
                Err(error) => (error, String::from_utf8_lossy(line).into_owned()),
            };
            if self.options.skip_bad_records {
                self.skipped_records += 1;
                continue;
            }
            return Err(self.bad_record(error, value));
        }
    }

    /// The file offset right after the line of the record returned last (where reading
    /// would go on).
    pub fn position(&self) -> u64 {
        self.lines.position()
    }

    /// Records returned so far.
    pub fn records_read(&self) -> u64 {
        self.records_read
    }

    /// Bad lines skipped so far (only with `skip_bad_records`).
    pub fn skipped_records(&self) -> u64 {
        self.skipped_records
    }

    /// Bytes read from the file so far.
    pub fn bytes_read(&self) -> u64 {
        self.lines.bytes_read()
    }

    fn bad_record(&self, error: CsvFieldError, value: String) -> WeirError {
        let path = self.lines.path().to_path_buf();
        match line_number_at(&path, self.lines.line_start_offset()) {
            Ok(line) => WeirError::BadRecord {
                path,
                line,
                column: error.column.map(|column| column + 1),
                value,
                problem: error.problem,
            },
            Err(read_error) => read_error,
        }
    }
}

impl<T: FromCsvRecord> CsvReader<T> {
    /// The next record, or `None` at the split's end. A bad line is
    /// [`WeirError::BadRecord`] (naming the file, line, column, value and problem), unless
    /// `skip_bad_records` is set: then it is counted in
    /// [`skipped_records`](CsvReader::skipped_records).
    pub fn next_record(&mut self) -> Result<Option<T>, WeirError> {
        self.next_record_with(T::from_fields)
    }
}

impl<T: FromCsvRecord> Iterator for CsvReader<T> {
    type Item = Result<T, WeirError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}
