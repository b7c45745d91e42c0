//! [`TextLineSource`]: the lines of files as `String`s (Flink's `FileSource` with
//! `TextLineInputFormat`, or `readTextFile` / `PROCESS_CONTINUOUSLY` when monitoring).
//!
//! ```text
//!   a.txt  "x\r\ny\n"  ──▶ "x", "y"     (\n or \r\n ends a line; the last line needs neither)
//! ```
//!
//! A line that is not UTF-8 fails with [`WeirError::InvalidUtf8`] naming the file and line.

use std::time::Duration;

use super::file_source::{FileRecordFormat, FileRecordReader, FileSource};
use crate::connectors::{DEFAULT_READ_BUFFER_BYTES, FileInputSplit, LineReader, line_number_at};
use crate::error::WeirError;

/// Text lines of files; see the module docs and [`FileSource`].
pub type TextLineSource = FileSource<String, TextLineFormat>;

impl TextLineSource {
    /// Reads the lines of the files `path` names (a file, a directory, or a glob) once.
    pub fn new(path: impl Into<String>) -> TextLineSource {
        FileSource::with_format(path, TextLineFormat)
    }

    /// Reads the files `path` names, then every `interval` the new ones (unbounded).
    pub fn monitoring(path: impl Into<String>, interval: Duration) -> TextLineSource {
        FileSource::monitoring_with_format(path, interval, TextLineFormat)
    }
}

/// Lines as `String`s.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextLineFormat;

impl FileRecordFormat<String> for TextLineFormat {
    type Reader = TextLineReader;

    fn kind(&self) -> &'static str {
        "TextLineSource"
    }

    fn open(&self, split: &FileInputSplit) -> Result<TextLineReader, WeirError> {
        Ok(TextLineReader {
            lines: LineReader::open(split, DEFAULT_READ_BUFFER_BYTES)?,
        })
    }
}

/// The lines of one split.
#[derive(Debug)]
pub struct TextLineReader {
    lines: LineReader,
}

impl FileRecordReader<String> for TextLineReader {
    fn next_record(&mut self) -> Result<Option<String>, WeirError> {
        let Some(line) = self.lines.next_line()? else {
            return Ok(None);
        };
        match std::str::from_utf8(line) {
            Ok(text) => Ok(Some(text.to_owned())),
            Err(error) => {
                let byte = error.valid_up_to() as u64 + 1;
                let path = self.lines.path().to_path_buf();
                let line = line_number_at(&path, self.lines.line_start_offset())?;
                Err(WeirError::InvalidUtf8 { path, line, byte })
            }
        }
    }

    fn position(&self) -> u64 {
        self.lines.position()
    }
}
