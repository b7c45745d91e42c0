//! Streaming connectors: split-based sources whose reading position is checkpointed, and the
//! two-phase-commit rolling file sink (DESIGN §6, §8).
//!
//! ```text
//!   Source ──initial_splits / checkpointed splits──▶ SourceReader ──▶ SourceOperator
//!     TextLineSource, CsvSource (FileSource)            poll batches      timestamps, per-split
//!     CollectionSource, GeneratorSource                                   watermarks, idleness
//!     SocketTextSource (at most once)                                          │
//!                                                                              ▼ chain
//!   FileSink: in-progress ──roll on checkpoint──▶ pending ──checkpoint complete──▶ committed
//! ```
//!
//! File inputs reuse the batch connectors: file enumeration, splits, the line reader and the
//! CSV dialect, parsing and bad-record errors.

mod collection_source;
mod csv_source;
mod file_sink;
mod file_source;
mod generator_source;
mod rolling_policy;
mod socket_text_source;
mod source;
mod source_operator;
mod split_state;
mod text_line_source;

pub use collection_source::CollectionSource;
pub use csv_source::{CsvFormat, CsvRowReader, CsvSource};
pub use file_sink::{
    FILE_SINK_STATE_NAME, FileSink, RecordEncoder, csv_encoder, file_sink_operator,
    text_line_encoder,
};
pub use file_source::{FILE_SOURCE_BATCH_RECORDS, FileRecordFormat, FileRecordReader, FileSource};
pub use generator_source::GeneratorSource;
pub use rolling_policy::{DEFAULT_MAX_PART_SIZE_BYTES, DEFAULT_ROLLOVER_INTERVAL, RollingPolicy};
pub use socket_text_source::SocketTextSource;
pub use source::{InputStatus, ReaderOutput, Source, SourceReader};
pub use source_operator::{SPLITS_STATE_NAME, SourceOperator};
pub use split_state::{decode_split_state, encode_split_state};
pub use text_line_source::{TextLineFormat, TextLineReader, TextLineSource};
