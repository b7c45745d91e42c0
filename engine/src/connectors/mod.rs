//! File connectors: reading files in splits as lines, CSV or TPC-H `.tbl` records, and writing
//! part files that appear only when a job succeeds.
//!
//! ```text
//!  before the job              source subtask i                         sink subtask i
//!  ───────────────             ─────────────────────────────            ──────────────────────────
//!  enumerate_input_files       for split in assigned[i]:                layout.open_part(i)
//!    (file / dir / glob)         LineReader::open(split)                  write_all(csv line)
//!  create_input_splits           CsvReader<T>::next_record()            finish() → PendingFile
//!  assign_splits(p)                                                     ── every subtask done ──
//!  prepare_output_path(mode)                                            commit() → part-0000i
//!                                                                       (failed: drop + abort())
//! ```
//!
//! Every line of a file is read by exactly one split ([`LineReader`]); a CSV record is one line
//! ([`CsvLineParser`]: quote-aware, fields are slices, nothing allocated per field unless it has
//! doubled quotes). Bad lines fail with [`WeirError::BadRecord`](crate::WeirError::BadRecord)
//! naming the file, line, column and value, or are counted when `skip_bad_records` is set.

mod csv_format;
mod csv_problem;
mod csv_reader;
mod csv_record;
mod csv_serde;
mod csv_writer;
mod file_enumeration;
mod file_input_split;
mod line_reader;
mod output_path;
mod part_file_sink;
pub mod stream;

pub use csv_format::{CsvFields, CsvLineParser, CsvOptions};
pub use csv_problem::{CsvFieldError, CsvProblem};
pub use csv_reader::CsvReader;
pub use csv_record::{CsvField, FromCsvRecord};
pub use csv_serde::SerdeCsv;
pub use csv_writer::{ToCsvField, ToCsvRecord, write_csv_field};
pub use file_enumeration::{InputFile, enumerate_input_files};
pub use file_input_split::{FileInputSplit, MAX_SPLIT_BYTES, assign_splits, create_input_splits};
pub use line_reader::{DEFAULT_READ_BUFFER_BYTES, LineReader, line_number_at};
pub use output_path::{OutputLayout, OutputPathAction, WriteMode, prepare_output_path};
pub use part_file_sink::{PART_FILE_BUFFER_BYTES, PartFileWriter, PendingFile};
