//! [`BufferHeader`]: where records start in a network buffer, kept beside the buffer in memory.
//!
//! Records are written back to back into the buffers of a subpartition; a record may start in
//! one buffer and end several buffers later. A reader that multiplexes channels must never wait
//! for the next buffer of one channel in the middle of a record, so every buffer says what it
//! holds:
//!
//! ```text
//!            buffer k                         buffer k+1                  buffer k+2
//!  +---------------------------+   +---------------------------+   +----------------------+
//!  |..A | B      | C   | D.... |   |.......D.......| E  | F... |   |..F | G |             |
//!  +---------------------------+   +---------------------------+   +----------------------+
//!   ^cont ^first        ^last       ^cont=len(D tail)  ^last         ^cont ^last
//!   continuation_bytes = 3          continuation_bytes = 16          continuation_bytes = 3
//!   record_starts = 3 (B, C, D)     record_starts = 2 (E, F)         record_starts = 1 (G)
//!   last_record_start = off(D)      last_record_start = off(F)       last_record_start = off(G)
//!   ends_mid_record = true          ends_mid_record = true           ends_mid_record = false
//! ```
//!
//! * `continuation_bytes`: the bytes at the start that finish (or continue) a record begun in an
//!   earlier buffer; the first record that starts in the buffer starts there. A buffer that lies
//!   entirely inside one long record has `continuation_bytes == len` and `record_starts == 0`.
//! * `record_starts`: how many records start in the buffer (records of zero bytes count too, so
//!   the reader never relies on positions alone).
//! * `last_record_start`: the offset of the last of them (the start of a record that continues
//!   in the next buffer, when `ends_mid_record`).
//! * `ends_mid_record`: the last record continues in the next buffer of the subpartition, which
//!   then has `continuation_bytes >= 1`.
//!
//! The writer knows each record start (its position before serializing) and whether it had to
//! move to a new buffer while serializing a record; it never leaves a record start at the very
//! end of a full buffer (it moves to a new buffer first), so a continuation is never empty.
//! Headers stay in memory also when their buffers are spilled: a spill block holds only the
//! data bytes.

/// Framing of one network buffer. See the module docs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BufferHeader {
    pub continuation_bytes: u32,
    pub record_starts: u32,
    pub last_record_start: u32,
    pub ends_mid_record: bool,
}

/// The header of the buffer a writer is filling, built as records are written.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HeaderBuilder {
    header: BufferHeader,
    /// The buffer began inside a record and no record has started in it yet.
    in_continuation: bool,
}

impl HeaderBuilder {
    /// A buffer whose first bytes continue the record of the previous buffer.
    pub(crate) fn continuing() -> HeaderBuilder {
        HeaderBuilder {
            header: BufferHeader::default(),
            in_continuation: true,
        }
    }

    /// A record starts at `offset`.
    #[inline]
    pub(crate) fn note_record_start(&mut self, offset: usize) {
        if self.in_continuation {
            self.header.continuation_bytes = offset as u32;
            self.in_continuation = false;
        }
        self.header.record_starts += 1;
        self.header.last_record_start = offset as u32;
    }

    pub(crate) fn record_starts(&self) -> u32 {
        self.header.record_starts
    }

    /// The header of a buffer done with `len` bytes; `ends_mid_record` when the record being
    /// written goes on in the next buffer.
    pub(crate) fn seal(mut self, len: usize, ends_mid_record: bool) -> BufferHeader {
        if self.in_continuation {
            self.header.continuation_bytes = len as u32;
        }
        self.header.ends_mid_record = ends_mid_record;
        self.header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_inside_one_record_is_all_continuation() {
        let header = HeaderBuilder::continuing().seal(4096, true);
        assert_eq!(
            header,
            BufferHeader {
                continuation_bytes: 4096,
                record_starts: 0,
                last_record_start: 0,
                ends_mid_record: true
            }
        );
    }

    #[test]
    fn the_first_start_ends_the_continuation() {
        let mut builder = HeaderBuilder::continuing();
        builder.note_record_start(3);
        builder.note_record_start(10);
        builder.note_record_start(10);
        let header = builder.seal(100, false);
        assert_eq!(header.continuation_bytes, 3);
        assert_eq!(header.record_starts, 3);
        assert_eq!(header.last_record_start, 10);
        assert!(!header.ends_mid_record);
    }
}
