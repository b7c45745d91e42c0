//! Reading the lines of one [`FileInputSplit`], each line of a file by exactly one split.
//!
//! A line belongs to the split in which it **starts** (Hadoop's `LineRecordReader` rule, said
//! another way): a split not starting at 0 skips the partial line it begins inside, and every
//! split reads the line that crosses its end, to that line's end.
//!
//! ```text
//!   offset   0       4             11      14     17
//!   file     |aaa\n  |bbbbbb\n      |cc\n   |ddd  |     (the last line has no \n)
//!   splits   [ split 0: 0..8  )[ split 1: 8..15   )[ split 2: 15..17 )
//!   split 0: "aaa", "bbbbbb"   ("bbbbbb" starts in split 0, which reads it to its end)
//!   split 1: "cc", "ddd"       (it skips the tail of "bbbbbb"; "ddd" starts at 14 < 15)
//!   split 2: nothing           (no line starts in 15..17)
//! ```
//!
//! A split starting at `s > 0` begins at the first line start `>= s`: it reads from `s - 1` and
//! drops everything through the first `\n`, so a line starting exactly at `s` is kept.
//!
//! Lines end at `\n`; a `\r` just before it is dropped too (`\r\n` files). A last line without
//! `\n` is a line; an empty file has none.
//!
//! # Buffer
//! One buffer (1 MiB is a good size) filled with large reads; lines are returned as slices into
//! it, so reading a line never allocates. A line longer than the buffer doubles it.
//!
//! ```text
//!   buffer   [ consumed | line | line | partial... | free ]
//!            0          pos                        filled   capacity
//!   when no \n is left in pos..filled: move the partial line to 0, grow if it fills the
//!   buffer, read more
//! ```

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::file_input_split::FileInputSplit;
use crate::WeirError;

/// A buffer size that keeps reads large and sequential.
pub const DEFAULT_READ_BUFFER_BYTES: usize = 1 << 20;

/// The smallest buffer (tests use tiny buffers to force growth).
const MIN_READ_BUFFER_BYTES: usize = 1;

/// Reads the lines of one split: see the module docs for which lines those are.
#[derive(Debug)]
pub struct LineReader {
    file: File,
    path: PathBuf,
    split_start: u64,
    split_end: u64,
    buffer: Vec<u8>,
    /// Next unread byte in `buffer`.
    pos: usize,
    /// End of the valid bytes in `buffer`.
    filled: usize,
    /// File offset of `buffer[0]`.
    buffer_offset: u64,
    end_of_file: bool,
    line_start_offset: u64,
    bytes_read: u64,
}

impl LineReader {
    /// Opens `split`'s file at the split's first line, with a read buffer of `buffer_bytes`.
    pub fn open(split: &FileInputSplit, buffer_bytes: usize) -> Result<LineReader, WeirError> {
        let path = split.path.clone();
        let mut file = File::open(&path).map_err(|source| WeirError::ReadInput {
            path: path.clone(),
            source,
        })?;
        let read_from = split.start.saturating_sub(1);
        if read_from > 0 {
            file.seek(SeekFrom::Start(read_from))
                .map_err(|source| WeirError::ReadInput {
                    path: path.clone(),
                    source,
                })?;
        }
        let mut reader = LineReader {
            file,
            path,
            split_start: split.start,
            split_end: split.end(),
            buffer: vec![0; buffer_bytes.max(MIN_READ_BUFFER_BYTES)],
            pos: 0,
            filled: 0,
            buffer_offset: read_from,
            end_of_file: false,
            line_start_offset: split.start,
            bytes_read: 0,
        };
        if split.start > 0 {
            reader.skip_through_newline()?;
        }
        Ok(reader)
    }

    /// The next line of the split without its `\n` (or `\r\n`), or `None` at the split's end.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, WeirError> {
        let line_start = self.buffer_offset + self.pos as u64;
        if line_start >= self.split_end {
            return Ok(None);
        }
        let (start, end, ends_with_newline) = loop {
            if let Some(newline) = memchr::memchr(b'\n', &self.buffer[self.pos..self.filled]) {
                let start = self.pos;
                self.pos += newline + 1;
                break (start, start + newline, true);
            }
            if self.end_of_file {
                if self.pos == self.filled {
                    return Ok(None);
                }
                let start = self.pos;
                self.pos = self.filled;
                break (start, self.filled, false);
            }
            self.make_room();
            self.fill()?;
        };
        // `make_room` may have moved the line to the buffer's front; the offset is the same.
        self.line_start_offset = self.buffer_offset + start as u64;
        let end = if ends_with_newline && end > start && self.buffer[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Ok(Some(&self.buffer[start..end]))
    }

    /// The file offset of the line [`next_line`](Self::next_line) returned last.
    pub fn line_start_offset(&self) -> u64 {
        self.line_start_offset
    }

    /// The file offset of the next unread byte: right after the line
    /// [`next_line`](Self::next_line) returned last, where the next line starts. A split
    /// reopened at this offset goes on with the next line (streaming sources keep it in their
    /// checkpoints).
    pub fn position(&self) -> u64 {
        self.buffer_offset + self.pos as u64
    }

    /// The file this reader reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this reader's split starts at the file's first byte.
    pub fn starts_at_file_start(&self) -> bool {
        self.split_start == 0
    }

    /// Bytes read from the file so far (a little more than the split: up to the end of its last
    /// line, plus read-ahead).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Drops bytes through the first `\n` (the tail of a line that belongs to the previous
    /// split). Without a `\n`, the split has no line of its own.
    fn skip_through_newline(&mut self) -> Result<(), WeirError> {
        loop {
            if let Some(newline) = memchr::memchr(b'\n', &self.buffer[self.pos..self.filled]) {
                self.pos += newline + 1;
                return Ok(());
            }
            self.pos = self.filled;
            if self.end_of_file {
                return Ok(());
            }
            self.make_room();
            self.fill()?;
        }
    }

    /// Moves the unread bytes to the buffer's front, and doubles the buffer if they fill it.
    fn make_room(&mut self) {
        if self.pos > 0 {
            self.buffer.copy_within(self.pos..self.filled, 0);
            self.buffer_offset += self.pos as u64;
            self.filled -= self.pos;
            self.pos = 0;
        }
        if self.filled == self.buffer.len() {
            let doubled = self.buffer.len() * 2;
            self.buffer.resize(doubled, 0);
        }
    }

    /// One read into the free part of the buffer; sets `end_of_file` when there is no more.
    fn fill(&mut self) -> Result<(), WeirError> {
        loop {
            match self.file.read(&mut self.buffer[self.filled..]) {
                Ok(0) => {
                    self.end_of_file = true;
                    return Ok(());
                }
                Ok(count) => {
                    self.filled += count;
                    self.bytes_read += count as u64;
                    return Ok(());
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(WeirError::ReadInput {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        }
    }
}

/// The 1-based number of the line starting at byte `offset` of `path`: one plus the `\n`s
/// before it. Reads the file up to `offset`, so use it only to describe an error.
pub fn line_number_at(path: &Path, offset: u64) -> Result<u64, WeirError> {
    let read_error = |source| WeirError::ReadInput {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(read_error)?;
    let mut chunk = vec![0u8; 64 << 10];
    let mut remaining = offset;
    let mut newlines = 0u64;
    while remaining > 0 {
        let want = chunk
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let count = match file.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(count) => count,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(source) => return Err(read_error(source)),
        };
        newlines += memchr::memchr_iter(b'\n', &chunk[..count]).count() as u64;
        remaining -= count as u64;
    }
    Ok(newlines + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_of(path: &Path, start: u64, length: u64, file_len: u64) -> FileInputSplit {
        FileInputSplit {
            split_number: 0,
            path: path.to_path_buf(),
            start,
            length,
            file_len,
        }
    }

    fn read_all(split: &FileInputSplit, buffer_bytes: usize) -> Vec<(u64, String)> {
        let mut reader = LineReader::open(split, buffer_bytes).unwrap();
        let mut lines = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            let line = String::from_utf8(line.to_vec()).unwrap();
            lines.push((reader.line_start_offset(), line));
        }
        lines
    }

    #[test]
    fn the_module_doc_example() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let text = b"aaa\nbbbbbb\ncc\nddd";
        std::fs::write(&path, text).unwrap();
        let len = text.len() as u64;
        for buffer in [1, 2, 3, 64] {
            assert_eq!(
                read_all(&split_of(&path, 0, 8, len), buffer),
                [(0, "aaa".into()), (4, "bbbbbb".into())]
            );
            assert_eq!(
                read_all(&split_of(&path, 8, 7, len), buffer),
                [(11, "cc".into()), (14, "ddd".into())]
            );
            assert_eq!(read_all(&split_of(&path, 15, 2, len), buffer), []);
            assert_eq!(
                read_all(&split_of(&path, 14, 3, len), buffer),
                [(14, "ddd".into())]
            );
        }
    }

    #[test]
    fn a_split_starting_on_a_line_start_keeps_that_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"ab\r\ncd\n\nef\r\n").unwrap();
        assert_eq!(read_all(&split_of(&path, 0, 4, 12), 2), [(0, "ab".into())]);
        assert_eq!(
            read_all(&split_of(&path, 4, 8, 12), 2),
            [(4, "cd".into()), (7, String::new()), (8, "ef".into())]
        );
    }

    #[test]
    fn a_final_carriage_return_without_newline_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"a\r").unwrap();
        assert_eq!(read_all(&split_of(&path, 0, 2, 2), 1), [(0, "a\r".into())]);
    }

    #[test]
    fn line_numbers_count_newlines_before_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"a\nb\n\nc").unwrap();
        assert_eq!(line_number_at(&path, 0).unwrap(), 1);
        assert_eq!(line_number_at(&path, 2).unwrap(), 2);
        assert_eq!(line_number_at(&path, 4).unwrap(), 3);
        assert_eq!(line_number_at(&path, 5).unwrap(), 4);
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let split = split_of(Path::new("/nonexistent/weir-input"), 0, 1, 1);
        let error = LineReader::open(&split, 16).unwrap_err();
        assert!(
            error.to_string().contains("/nonexistent/weir-input"),
            "{error}"
        );
    }
}
