//! The CSV dialect ([`CsvOptions`]) and splitting one line into fields ([`CsvLineParser`]).
//!
//! A record is one line (see [`LineReader`](super::LineReader)). Fields are separated by
//! `field_delimiter`; a field starting with the `quote` byte is quoted: it runs to the next
//! quote not doubled, may contain the delimiter, and writes a quote as two quotes.
//!
//! ```text
//!   line     1,"a,b","say ""hi""",,x
//!   fields   [1] [a,b] [say "hi"] [] [x]
//!   spans    Line(0..1) Line(3..6) Unescaped(0..8) Line(..) Line(..)
//!                                  └─ only fields with doubled quotes are copied, into one
//!                                     scratch buffer reused for every line
//! ```
//!
//! No field is allocated: [`CsvFields`] hands out slices of the line (or of the scratch buffer).
//! A quoted field must close on its line; a quoted field spanning lines is a bad record
//! ([`CsvProblem::UnterminatedQuote`]).

use super::csv_problem::{CsvFieldError, CsvProblem};

/// The CSV dialect of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// Separates fields (default `,`).
    pub field_delimiter: u8,
    /// Starts and ends quoted fields (default `"`); `None` reads quotes as plain text.
    pub quote: Option<u8>,
    /// The file's first line names the columns and is skipped.
    pub has_header: bool,
    /// Every line ends with the delimiter, which closes the last field (TPC-H `.tbl`).
    pub trailing_delimiter: bool,
    /// Count bad lines and go on, instead of failing with
    /// [`WeirError::BadRecord`](crate::WeirError::BadRecord).
    pub skip_bad_records: bool,
    /// Lines starting with these bytes are skipped.
    pub comment_prefix: Option<Vec<u8>>,
    /// Empty lines are skipped (default), rather than read as a record of one empty field.
    pub skip_empty_lines: bool,
}

impl Default for CsvOptions {
    fn default() -> CsvOptions {
        CsvOptions {
            field_delimiter: b',',
            quote: Some(b'"'),
            has_header: false,
            trailing_delimiter: false,
            skip_bad_records: false,
            comment_prefix: None,
            skip_empty_lines: true,
        }
    }
}

impl CsvOptions {
    /// TPC-H `.tbl` files (dbgen): `|`-separated, no quotes, a `|` after the last field, no
    /// header.
    pub fn tbl() -> CsvOptions {
        CsvOptions {
            field_delimiter: b'|',
            quote: None,
            trailing_delimiter: true,
            ..CsvOptions::default()
        }
    }

    pub fn with_field_delimiter(mut self, delimiter: u8) -> CsvOptions {
        self.field_delimiter = delimiter;
        self
    }

    pub fn with_quote(mut self, quote: Option<u8>) -> CsvOptions {
        self.quote = quote;
        self
    }

    pub fn with_header(mut self, has_header: bool) -> CsvOptions {
        self.has_header = has_header;
        self
    }

    pub fn with_skip_bad_records(mut self, skip: bool) -> CsvOptions {
        self.skip_bad_records = skip;
        self
    }

    pub fn with_comment_prefix(mut self, prefix: &str) -> CsvOptions {
        self.comment_prefix = Some(prefix.as_bytes().to_vec());
        self
    }
}

/// Where a field's bytes are: in the line, or unescaped into the scratch buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldSpan {
    Line { start: usize, end: usize },
    Unescaped { start: usize, end: usize },
}

/// The fields of one line, borrowed from the line and the parser's scratch buffer.
#[derive(Debug, Clone, Copy)]
pub struct CsvFields<'a> {
    line: &'a [u8],
    unescaped: &'a [u8],
    spans: &'a [FieldSpan],
}

impl<'a> CsvFields<'a> {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The field at `index` (0-based), unquoted.
    pub fn get(&self, index: usize) -> Option<&'a [u8]> {
        self.spans.get(index).map(|span| match *span {
            FieldSpan::Line { start, end } => &self.line[start..end],
            FieldSpan::Unescaped { start, end } => &self.unescaped[start..end],
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|index| self.get(index))
    }

    /// The whole line the fields came from.
    pub fn line(&self) -> &'a [u8] {
        self.line
    }
}

/// Bytes of a field looked at one by one before the search goes to `memchr`: most fields
/// are short, and for them a plain loop beats `memchr`'s setup.
const SHORT_FIELD_BYTES: usize = 16;

/// The offset of the first `delimiter` in `bytes`.
#[inline]
fn find_delimiter(delimiter: u8, bytes: &[u8]) -> Option<usize> {
    let head = &bytes[..bytes.len().min(SHORT_FIELD_BYTES)];
    match head.iter().position(|&byte| byte == delimiter) {
        Some(at) => Some(at),
        None if head.len() == bytes.len() => None,
        None => {
            memchr::memchr(delimiter, &bytes[SHORT_FIELD_BYTES..]).map(|at| at + SHORT_FIELD_BYTES)
        }
    }
}

/// Splits lines into [`CsvFields`], reusing its span list and scratch buffer from line to line.
#[derive(Debug, Default)]
pub struct CsvLineParser {
    spans: Vec<FieldSpan>,
    unescaped: Vec<u8>,
}

impl CsvLineParser {
    pub fn new() -> CsvLineParser {
        CsvLineParser::default()
    }

    /// The fields of `line` (without its line terminator) in the dialect `options`.
    pub fn split<'a>(
        &'a mut self,
        line: &'a [u8],
        options: &CsvOptions,
    ) -> Result<CsvFields<'a>, CsvFieldError> {
        self.spans.clear();
        self.unescaped.clear();
        let delimiter = options.field_delimiter;
        let len = line.len();
        let mut start = 0;
        loop {
            let column = self.spans.len();
            match options.quote {
                Some(quote) if start < len && line[start] == quote => {
                    let (span, after) = self.split_quoted(line, start + 1, quote, column)?;
                    self.spans.push(span);
                    if after == len {
                        break;
                    }
                    if line[after] != delimiter {
                        return Err(CsvFieldError::field(
                            column,
                            CsvProblem::TextAfterClosingQuote,
                        ));
                    }
                    start = after + 1;
                }
                _ => match find_delimiter(delimiter, &line[start..]) {
                    Some(at) => {
                        self.spans.push(FieldSpan::Line {
                            start,
                            end: start + at,
                        });
                        start += at + 1;
                    }
                    None => {
                        self.spans.push(FieldSpan::Line { start, end: len });
                        break;
                    }
                },
            }
        }
        if options.trailing_delimiter {
            // The delimiter closing the last field left an empty field at the very end.
            match self.spans.last() {
                Some(FieldSpan::Line { start, end }) if *start == len && *end == len && len > 0 => {
                    self.spans.pop();
                }
                _ => {
                    return Err(CsvFieldError::line(CsvProblem::MissingTrailingDelimiter {
                        delimiter,
                    }));
                }
            }
        }
        Ok(CsvFields {
            line,
            unescaped: &self.unescaped,
            spans: &self.spans,
        })
    }

    /// A quoted field whose text starts at `content_start`: its span and the offset just past
    /// its closing quote.
    fn split_quoted(
        &mut self,
        line: &[u8],
        content_start: usize,
        quote: u8,
        column: usize,
    ) -> Result<(FieldSpan, usize), CsvFieldError> {
        let mut search_from = content_start;
        let mut has_doubled_quotes = false;
        let content_end = loop {
            let Some(at) = memchr::memchr(quote, &line[search_from..]) else {
                return Err(CsvFieldError::field(column, CsvProblem::UnterminatedQuote));
            };
            let quote_at = search_from + at;
            if line.get(quote_at + 1) == Some(&quote) {
                has_doubled_quotes = true;
                search_from = quote_at + 2;
            } else {
                break quote_at;
            }
        };
        let content = &line[content_start..content_end];
        let span = if has_doubled_quotes {
            let start = self.unescaped.len();
            let mut rest = content;
            while let Some(at) = memchr::memchr(quote, rest) {
                // Every quote inside the content is the first of a pair.
                self.unescaped.extend_from_slice(&rest[..=at]);
                rest = &rest[at + 2..];
            }
            self.unescaped.extend_from_slice(rest);
            FieldSpan::Unescaped {
                start,
                end: self.unescaped.len(),
            }
        } else {
            FieldSpan::Line {
                start: content_start,
                end: content_end,
            }
        };
        Ok((span, content_end + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str, options: &CsvOptions) -> Result<Vec<String>, CsvFieldError> {
        let mut parser = CsvLineParser::new();
        let fields = parser.split(line.as_bytes(), options)?;
        Ok(fields
            .iter()
            .map(|field| String::from_utf8(field.to_vec()).unwrap())
            .collect())
    }

    #[test]
    fn plain_and_quoted_fields() {
        let options = CsvOptions::default();
        assert_eq!(
            split(r#"1,"a,b","say ""hi""",,x"#, &options).unwrap(),
            ["1", "a,b", r#"say "hi""#, "", "x"]
        );
        assert_eq!(split("", &options).unwrap(), [""]);
        assert_eq!(split(",", &options).unwrap(), ["", ""]);
        assert_eq!(split(r#""""#, &options).unwrap(), [""]);
        assert_eq!(split(r#""""""#, &options).unwrap(), ["\""]);
        assert_eq!(split(r#""a""","b""""#, &options).unwrap(), ["a\"", "b\""]);
        assert_eq!(split(r#"a"b,c"#, &options).unwrap(), ["a\"b", "c"]);
    }

    #[test]
    fn short_and_long_fields_split_alike() {
        let options = CsvOptions::default();
        for len in [0, 1, 15, 16, 17, 40] {
            let field = "x".repeat(len);
            let line = format!("{field},{field},{field}");
            assert_eq!(
                split(&line, &options).unwrap(),
                [field.clone(), field.clone(), field]
            );
        }
        assert_eq!(find_delimiter(b',', b"0123456789abcdef,"), Some(16));
        assert_eq!(find_delimiter(b',', b"0123456789abcde,"), Some(15));
        assert_eq!(find_delimiter(b',', b"0123456789abcdefg"), None);
        assert_eq!(find_delimiter(b',', b""), None);
    }

    #[test]
    fn broken_quotes_name_the_field() {
        let options = CsvOptions::default();
        assert_eq!(
            split(r#"1,"abc"#, &options).unwrap_err(),
            CsvFieldError::field(1, CsvProblem::UnterminatedQuote)
        );
        assert_eq!(
            split(r#"1,"ab"c,d"#, &options).unwrap_err(),
            CsvFieldError::field(1, CsvProblem::TextAfterClosingQuote)
        );
    }

    #[test]
    fn without_quotes_quote_bytes_are_text() {
        let options = CsvOptions::default().with_quote(None);
        assert_eq!(split(r#""a,b""#, &options).unwrap(), ["\"a", "b\""]);
    }

    #[test]
    fn tbl_lines_end_with_the_delimiter() {
        let options = CsvOptions::tbl();
        assert_eq!(
            split("1|Customer#1|IVhzIApeRb|15|", &options).unwrap(),
            ["1", "Customer#1", "IVhzIApeRb", "15"]
        );
        assert_eq!(split("|", &options).unwrap(), [""]);
        assert_eq!(split("a||", &options).unwrap(), ["a", ""]);
        assert_eq!(
            split("1|2", &options).unwrap_err(),
            CsvFieldError::line(CsvProblem::MissingTrailingDelimiter { delimiter: b'|' })
        );
    }
}
