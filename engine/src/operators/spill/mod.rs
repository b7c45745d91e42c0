//! Records to spill files and back, through the `IoManager`.
//!
//! ```text
//!   SpillWriter ── serialize ──▶ page ─┬─ write_block ─▶ I/O thread ─▶ <n>.channel
//!        ▲                             │                                   │
//!        └──── pages come back ◀───────┘        SpilledRun { file, records }
//!                                                                          │
//!   SpillReader ◀── deserialize ◀── page ◀── next_block ◀── read-ahead ◀───┘
//! ```
//!
//! A run is a sequence of serialized records, back to back across blocks of one page each,
//! exactly as the serializer writes them (no length prefix: the serializer knows where a record
//! ends, and a record may span many blocks, so records larger than a page spill fine). The writer
//! keeps all but one of its pages in flight (write-behind) and the reader all of its pages
//! (read-ahead); neither takes a page beyond those it was given. A [`SpilledRun`] knows its record
//! count, so a reader stops exactly after the last record, and a truncated file fails with a
//! deserialization or corrupt-block error rather than a short result. Several readers may read one
//! run, one after another or at once (block nested-loop joins read a run many times). The file is
//! deleted when the last `Arc` of its [`SpilledRun`] drops.

mod spill_reader;
mod spill_writer;
mod spilled_run;

pub use spill_reader::SpillReader;
pub use spill_writer::SpillWriter;
pub use spilled_run::SpilledRun;
