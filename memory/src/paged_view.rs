//! Paged views: serialized data written and read across page boundaries.
//!
//! Records are stored back to back in a chain of [`MemorySegment`]s. A value may start in one
//! page and end in the next; the views hide the seam:
//!
//! ```text
//!   page 0                          page 1                     page 2
//!   +-------------------------+     +-------------------------+  +-----------+
//!   | rec A | rec B | rec C.. |  →  | ..C | rec D | rec E.....|  | ..E |     |
//!   +-------------------------+     +-------------------------+  +-----------+
//!                             ^ used = page size               ^ used     ^ limit of last page
//! ```
//!
//! A [`PagedOutputView`] writes into the current page of a [`SegmentTarget`] and asks the target
//! for the next page when the current one is full, telling it how many bytes it used. A
//! [`PagedInputView`] reads the valid bytes of the current page of a [`SegmentSource`] and
//! advances when they are consumed. The targets and sources decide where pages come from and go
//! to: [`SegmentListTarget`] / [`SegmentListSource`] keep them in memory, the spill views in
//! [`crate::io`] write them to disk and read them back. The encoding logic exists once, here.
//!
//! Encodings: fixed-width integers in the byte order named by the method; variable-length
//! integers as LEB128 (7 bits per byte, low group first, high bit = more follows, at most 10
//! bytes for 64 bits); signed varints zig-zag encoded first (0, -1, 1, -2 → 0, 1, 2, 3); byte
//! strings as a varint length followed by the bytes.

use crate::error::MemoryError;
use crate::memory_segment::MemorySegment;

/// Where a [`PagedOutputView`] writes: a current page and a way to get the next one.
pub trait SegmentTarget {
    /// The page being written (all of it; the view tracks the position).
    fn current_mut(&mut self) -> &mut MemorySegment;

    /// The current page is done with `used_bytes` valid bytes; make the next page current.
    fn advance(&mut self, used_bytes: usize) -> Result<(), MemoryError>;
}

/// What a [`PagedInputView`] reads: a current page with its valid length, and the next.
pub trait SegmentSource {
    /// The page being read and how many of its bytes are valid (`None` when there is none).
    fn current(&self) -> Option<(&MemorySegment, usize)>;

    /// Makes the next page current; `Ok(false)` at the end of the data.
    fn advance(&mut self) -> Result<bool, MemoryError>;
}

/// A target borrowed for one view, e.g. an operator's page area written record by record.
impl<T: SegmentTarget + ?Sized> SegmentTarget for &mut T {
    fn current_mut(&mut self) -> &mut MemorySegment {
        (**self).current_mut()
    }

    fn advance(&mut self, used_bytes: usize) -> Result<(), MemoryError> {
        (**self).advance(used_bytes)
    }
}

/// A source borrowed for one view.
impl<S: SegmentSource + ?Sized> SegmentSource for &mut S {
    fn current(&self) -> Option<(&MemorySegment, usize)> {
        (**self).current()
    }

    fn advance(&mut self) -> Result<bool, MemoryError> {
        (**self).advance()
    }
}

/// Writes values across the pages of a [`SegmentTarget`]. See the module docs.
#[derive(Debug)]
pub struct PagedOutputView<T: SegmentTarget> {
    target: T,
    position: usize,
    bytes_written: u64,
}

macro_rules! write_ints {
    ($($ty:ty => $be:ident, $le:ident;)*) => {$(
        #[doc = concat!("Writes a big-endian `", stringify!($ty), "`.")]
        #[inline]
        pub fn $be(&mut self, value: $ty) -> Result<(), MemoryError> {
            self.write_bytes(&value.to_be_bytes())
        }
        #[doc = concat!("Writes a little-endian `", stringify!($ty), "`.")]
        #[inline]
        pub fn $le(&mut self, value: $ty) -> Result<(), MemoryError> {
            self.write_bytes(&value.to_le_bytes())
        }
    )*};
}

impl<T: SegmentTarget> PagedOutputView<T> {
    /// Starts writing at the beginning of `target`'s current page.
    pub fn new(target: T) -> PagedOutputView<T> {
        PagedOutputView::new_at(target, 0)
    }

    /// Continues writing at byte `position` of `target`'s current page (for appending to a
    /// page that already holds data). `position` may equal the page size: the next write then
    /// moves to the next page.
    pub fn new_at(target: T, position: usize) -> PagedOutputView<T> {
        PagedOutputView {
            target,
            position,
            bytes_written: 0,
        }
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Write position inside the current page.
    pub fn position_in_page(&self) -> usize {
        self.position
    }

    pub fn target(&self) -> &T {
        &self.target
    }

    /// Ends writing and returns the target with the number of bytes used in its current page.
    pub fn finish(self) -> (T, usize) {
        (self.target, self.position)
    }

    /// Writes all of `bytes`, continuing on the next pages as needed.
    #[inline]
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), MemoryError> {
        let page = self.target.current_mut();
        if self.position + bytes.len() <= page.size() {
            page.put_bytes(self.position, bytes);
            self.position += bytes.len();
            self.bytes_written += bytes.len() as u64;
            return Ok(());
        }
        self.write_bytes_across_pages(bytes)
    }

    #[cold]
    fn write_bytes_across_pages(&mut self, mut bytes: &[u8]) -> Result<(), MemoryError> {
        self.bytes_written += bytes.len() as u64;
        loop {
            let page = self.target.current_mut();
            let room = page.size() - self.position;
            if bytes.len() <= room {
                page.put_bytes(self.position, bytes);
                self.position += bytes.len();
                return Ok(());
            }
            let (head, tail) = bytes.split_at(room);
            let full_size = page.size();
            page.put_bytes(self.position, head);
            bytes = tail;
            self.target.advance(full_size)?;
            self.position = 0;
        }
    }

    #[inline]
    pub fn write_u8(&mut self, value: u8) -> Result<(), MemoryError> {
        self.write_bytes(&[value])
    }

    write_ints! {
        u16 => write_u16_be, write_u16_le;
        i16 => write_i16_be, write_i16_le;
        u32 => write_u32_be, write_u32_le;
        i32 => write_i32_be, write_i32_le;
        u64 => write_u64_be, write_u64_le;
        i64 => write_i64_be, write_i64_le;
        f32 => write_f32_be, write_f32_le;
        f64 => write_f64_be, write_f64_le;
    }

    /// Writes `value` as an unsigned LEB128 varint (1 to 10 bytes).
    #[inline]
    pub fn write_var_u64(&mut self, mut value: u64) -> Result<(), MemoryError> {
        let mut buffer = [0u8; 10];
        let mut len = 0;
        while value >= 0x80 {
            buffer[len] = (value as u8) | 0x80;
            value >>= 7;
            len += 1;
        }
        buffer[len] = value as u8;
        self.write_bytes(&buffer[..=len])
    }

    /// Writes `value` zig-zag encoded as a varint.
    #[inline]
    pub fn write_var_i64(&mut self, value: i64) -> Result<(), MemoryError> {
        self.write_var_u64(((value << 1) ^ (value >> 63)) as u64)
    }

    /// Writes a varint length followed by the bytes.
    #[inline]
    pub fn write_length_prefixed(&mut self, bytes: &[u8]) -> Result<(), MemoryError> {
        self.write_var_u64(bytes.len() as u64)?;
        self.write_bytes(bytes)
    }
}

/// Reads values across the pages of a [`SegmentSource`]. See the module docs.
#[derive(Debug)]
pub struct PagedInputView<S: SegmentSource> {
    source: S,
    position: usize,
    bytes_read: u64,
}

macro_rules! read_ints {
    ($($ty:ty => $be:ident, $le:ident;)*) => {$(
        #[doc = concat!("Reads a big-endian `", stringify!($ty), "`.")]
        #[inline]
        pub fn $be(&mut self) -> Result<$ty, MemoryError> {
            let mut bytes = [0u8; size_of::<$ty>()];
            self.read_exact(&mut bytes)?;
            Ok(<$ty>::from_be_bytes(bytes))
        }
        #[doc = concat!("Reads a little-endian `", stringify!($ty), "`.")]
        #[inline]
        pub fn $le(&mut self) -> Result<$ty, MemoryError> {
            let mut bytes = [0u8; size_of::<$ty>()];
            self.read_exact(&mut bytes)?;
            Ok(<$ty>::from_le_bytes(bytes))
        }
    )*};
}

impl<S: SegmentSource> PagedInputView<S> {
    /// Starts reading at the beginning of `source`'s current page.
    pub fn new(source: S) -> PagedInputView<S> {
        PagedInputView::new_at(source, 0)
    }

    /// Starts reading at byte `position` of `source`'s current page (for reading one record in
    /// the middle of a page).
    pub fn new_at(source: S, position: usize) -> PagedInputView<S> {
        PagedInputView {
            source,
            position,
            bytes_read: 0,
        }
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Ends reading and returns the source.
    pub fn into_source(self) -> S {
        self.source
    }

    /// Read position inside the source's current page.
    pub fn position_in_page(&self) -> usize {
        self.position
    }

    /// Ends reading and returns the source with the read position in its current page, to
    /// continue later with [`PagedInputView::new_at`].
    pub fn finish(self) -> (S, usize) {
        (self.source, self.position)
    }

    /// The valid bytes left in the current page, advancing past exhausted pages.
    /// Returns an empty slice only at the end of the data.
    fn remaining_in_page(&mut self) -> Result<&[u8], MemoryError> {
        loop {
            let Some((_, limit)) = self.source.current() else {
                return Ok(&[]);
            };
            if self.position < limit {
                break;
            }
            if !self.source.advance()? {
                return Ok(&[]);
            }
            self.position = 0;
        }
        let (page, limit) = self.source.current().expect("checked above");
        Ok(&page.as_slice()[self.position..limit])
    }

    /// True when every byte has been read.
    pub fn at_end(&mut self) -> Result<bool, MemoryError> {
        Ok(self.remaining_in_page()?.is_empty())
    }

    /// Fills `target` completely, or fails with [`MemoryError::EndOfData`].
    #[inline]
    pub fn read_exact(&mut self, target: &mut [u8]) -> Result<(), MemoryError> {
        // Fast path: the value lies inside the current page.
        if let Some((page, limit)) = self.source.current()
            && self.position + target.len() <= limit
        {
            page.get_bytes(self.position, target);
            self.position += target.len();
            self.bytes_read += target.len() as u64;
            return Ok(());
        }
        self.read_exact_across_pages(target)
    }

    #[cold]
    fn read_exact_across_pages(&mut self, target: &mut [u8]) -> Result<(), MemoryError> {
        let mut filled = 0;
        while filled < target.len() {
            let available = self.remaining_in_page()?;
            if available.is_empty() {
                return Err(MemoryError::EndOfData {
                    needed: target.len() - filled,
                });
            }
            let n = available.len().min(target.len() - filled);
            target[filled..filled + n].copy_from_slice(&available[..n]);
            filled += n;
            self.position += n;
        }
        self.bytes_read += target.len() as u64;
        Ok(())
    }

    /// Skips `count` bytes, or fails with [`MemoryError::EndOfData`].
    pub fn skip_bytes(&mut self, count: usize) -> Result<(), MemoryError> {
        let mut skipped = 0;
        while skipped < count {
            let available = self.remaining_in_page()?.len();
            if available == 0 {
                return Err(MemoryError::EndOfData {
                    needed: count - skipped,
                });
            }
            let n = available.min(count - skipped);
            skipped += n;
            self.position += n;
        }
        self.bytes_read += count as u64;
        Ok(())
    }

    #[inline]
    pub fn read_u8(&mut self) -> Result<u8, MemoryError> {
        let mut byte = [0u8; 1];
        self.read_exact(&mut byte)?;
        Ok(byte[0])
    }

    read_ints! {
        u16 => read_u16_be, read_u16_le;
        i16 => read_i16_be, read_i16_le;
        u32 => read_u32_be, read_u32_le;
        i32 => read_i32_be, read_i32_le;
        u64 => read_u64_be, read_u64_le;
        i64 => read_i64_be, read_i64_le;
        f32 => read_f32_be, read_f32_le;
        f64 => read_f64_be, read_f64_le;
    }

    /// Reads an unsigned LEB128 varint; rejects encodings longer than 10 bytes or past 64 bits.
    #[inline]
    pub fn read_var_u64(&mut self) -> Result<u64, MemoryError> {
        // Fast path: decode straight from the page while bytes remain in it.
        if let Some((page, limit)) = self.source.current() {
            let bytes = &page.as_slice()[self.position.min(limit)..limit];
            let mut value = 0u64;
            for (index, &byte) in bytes.iter().take(10).enumerate() {
                if index == 9 && byte > 1 {
                    // Consume what was examined, like the byte-by-byte path does.
                    self.position += 10;
                    self.bytes_read += 10;
                    return Err(MemoryError::MalformedVarint);
                }
                value |= ((byte & 0x7f) as u64) << (7 * index);
                if byte & 0x80 == 0 {
                    self.position += index + 1;
                    self.bytes_read += index as u64 + 1;
                    return Ok(value);
                }
            }
        }
        self.read_var_u64_across_pages()
    }

    #[cold]
    fn read_var_u64_across_pages(&mut self) -> Result<u64, MemoryError> {
        let mut value = 0u64;
        for index in 0..10 {
            let byte = self.read_u8()?;
            if index == 9 && byte > 1 {
                return Err(MemoryError::MalformedVarint);
            }
            value |= ((byte & 0x7f) as u64) << (7 * index);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(MemoryError::MalformedVarint)
    }

    /// Reads a zig-zag encoded varint.
    #[inline]
    pub fn read_var_i64(&mut self) -> Result<i64, MemoryError> {
        let raw = self.read_var_u64()?;
        Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    /// Reads a varint length and that many bytes into `target` (replacing its contents).
    ///
    /// `max_len` guards against corrupt lengths: a longer value fails with
    /// [`MemoryError::MalformedLength`] instead of allocating.
    pub fn read_length_prefixed(
        &mut self,
        target: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), MemoryError> {
        let len = self.read_var_u64()?;
        if len > max_len as u64 {
            return Err(MemoryError::MalformedLength {
                length: len,
                max: max_len as u64,
            });
        }
        target.clear();
        target.resize(len as usize, 0);
        self.read_exact(target)
    }
}

/// An in-memory [`SegmentTarget`]: writes into the pages it was given, in order, and keeps the
/// filled ones. Running out of pages fails with [`MemoryError::PagesFull`]; the caller decides
/// whether to spill or ask for more memory ([`SegmentListTarget::add_page`]).
#[derive(Debug)]
pub struct SegmentListTarget {
    filled: Vec<(MemorySegment, usize)>,
    current: MemorySegment,
    free: Vec<MemorySegment>,
}

impl SegmentListTarget {
    /// Writes into `pages` in order. Fails if `pages` is empty.
    pub fn new(mut pages: Vec<MemorySegment>) -> Result<SegmentListTarget, MemoryError> {
        if pages.is_empty() {
            return Err(MemoryError::PagesFull { pages: 0 });
        }
        pages.reverse();
        let current = pages.pop().expect("checked non-empty");
        Ok(SegmentListTarget {
            filled: Vec::new(),
            current,
            free: pages,
        })
    }

    /// Gives the target one more page to write into.
    pub fn add_page(&mut self, page: MemorySegment) {
        self.free.insert(0, page);
    }

    /// The written pages with their used lengths (the last with `used_in_current` bytes), and
    /// the pages that were never written.
    pub fn into_pages(
        mut self,
        used_in_current: usize,
    ) -> (Vec<(MemorySegment, usize)>, Vec<MemorySegment>) {
        self.filled.push((self.current, used_in_current));
        self.free.reverse();
        (self.filled, self.free)
    }
}

impl SegmentTarget for SegmentListTarget {
    fn current_mut(&mut self) -> &mut MemorySegment {
        &mut self.current
    }

    fn advance(&mut self, used_bytes: usize) -> Result<(), MemoryError> {
        let next = self.free.pop().ok_or(MemoryError::PagesFull {
            pages: self.filled.len() + 1,
        })?;
        let full = std::mem::replace(&mut self.current, next);
        self.filled.push((full, used_bytes));
        Ok(())
    }
}

/// An in-memory [`SegmentSource`] over pages with their valid lengths.
#[derive(Debug)]
pub struct SegmentListSource {
    pages: Vec<(MemorySegment, usize)>,
    index: usize,
}

impl SegmentListSource {
    pub fn new(pages: Vec<(MemorySegment, usize)>) -> SegmentListSource {
        SegmentListSource { pages, index: 0 }
    }

    /// Gives the pages back.
    pub fn into_pages(self) -> Vec<(MemorySegment, usize)> {
        self.pages
    }
}

impl SegmentSource for SegmentListSource {
    fn current(&self) -> Option<(&MemorySegment, usize)> {
        self.pages.get(self.index).map(|(page, used)| (page, *used))
    }

    fn advance(&mut self) -> Result<bool, MemoryError> {
        if self.index + 1 < self.pages.len() {
            self.index += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}
