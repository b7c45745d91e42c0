//! [`RecordArea`]: serialized records back to back in pages, each addressed by a pointer.
//!
//! ```text
//!   pointer = page number × page size + offset in page          (u64)
//!
//!   page 0                            page 1                       page 2 (write page)
//!   +-------------------------------+ +---------------------------+ +----------------+
//!   |len|record 0|len|record 1|len|re| |cord 2|len|record 3|len|rec| |ord 4|          |
//!   +-------------------------------+ +---------------------------+ +----------------+
//!    ^ pointer 0  ^ pointer 7                                              ^ write position
//!
//!   len = u32 little-endian byte length of the record, absent when the serializer has a fixed
//!         length; it may straddle a page boundary like the record itself
//! ```
//!
//! Every page but the write page is full, so a pointer converts to (page, offset) with a shift
//! and a mask. The area takes pages one at a time from a free list its owner keeps (the owner
//! shares that list with other structures, e.g. the sort index), and [`RecordArea::append`]
//! either writes a whole record or, when the free list runs dry, rolls the area back to where
//! it was and reports that the record did not fit. Nothing here allocates per record.

use weir_memory::{
    MemoryError, MemorySegment, PageSize, PagedInputView, PagedOutputView, SegmentSource,
    SegmentTarget,
};

use crate::error::WeirError;
use crate::types::TypeSerializer;

/// Bytes of the length prefix of a variable-length record.
pub const LENGTH_PREFIX_BYTES: usize = 4;

/// Pages of serialized records. See the module docs.
#[derive(Debug)]
pub struct RecordArea {
    pages: Vec<MemorySegment>,
    page_size: usize,
    page_shift: u32,
    /// Write position in the last page.
    write_position: usize,
    /// Whether records carry a length prefix (the serializer has no fixed length).
    length_prefixed: bool,
    records: usize,
}

/// The outcome of [`RecordArea::append`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// The record was written at this pointer.
    At(u64),
    /// The free pages ran out; the area is as it was before the call.
    NoRoom,
}

impl RecordArea {
    /// An empty area that writes records of a serializer with `fixed_length` (no length
    /// prefix) or without (length-prefixed). It holds no page until the first append.
    pub fn new(page_size: PageSize, fixed_length: Option<usize>) -> RecordArea {
        RecordArea {
            pages: Vec::new(),
            page_size: page_size.bytes(),
            page_shift: page_size.bytes().trailing_zeros(),
            write_position: page_size.bytes(),
            length_prefixed: fixed_length.is_none(),
            records: 0,
        }
    }

    /// Records written.
    pub fn len(&self) -> usize {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Pages held.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Bytes written, length prefixes included.
    pub fn occupied_bytes(&self) -> u64 {
        match self.pages.len() {
            0 => 0,
            pages => ((pages - 1) * self.page_size + self.write_position) as u64,
        }
    }

    /// Serializes `record` at the end of the area, taking pages from `free` as needed.
    pub fn append<S: TypeSerializer>(
        &mut self,
        serializer: &S,
        record: &S::Value,
        free: &mut Vec<MemorySegment>,
    ) -> Result<Appended, WeirError> {
        let pages_before = self.pages.len();
        let position_before = self.write_position;
        if position_before == self.page_size {
            // The write page is full (or there is none yet): start a new one, so that the
            // record's pointer names a page the area holds.
            let Some(page) = free.pop() else {
                return Ok(Appended::NoRoom);
            };
            self.pages.push(page);
            self.write_position = 0;
        }
        let pointer = self.occupied_bytes();
        let start_position = self.write_position;
        let mut target = AreaTarget {
            pages: &mut self.pages,
            free,
        };
        let outcome = (|| {
            let mut view = PagedOutputView::new_at(&mut target, start_position);
            if self.length_prefixed {
                view.write_u32_le(0)?;
            }
            serializer.serialize(record, &mut view)?;
            Ok::<_, WeirError>((view.bytes_written(), view.finish().1))
        })();
        match outcome {
            Ok((written, end_position)) => {
                self.write_position = end_position;
                if self.length_prefixed {
                    let length = written - LENGTH_PREFIX_BYTES as u64;
                    let Ok(length) = u32::try_from(length) else {
                        self.roll_back(pages_before, position_before, free);
                        return Err(WeirError::RecordTooLarge {
                            bytes: length,
                            limit: u32::MAX as u64,
                        });
                    };
                    self.put_bytes_at(pointer, &length.to_le_bytes());
                }
                self.records += 1;
                Ok(Appended::At(pointer))
            }
            Err(WeirError::Memory(MemoryError::PagesFull { .. })) => {
                self.roll_back(pages_before, position_before, free);
                Ok(Appended::NoRoom)
            }
            Err(error) => {
                self.roll_back(pages_before, position_before, free);
                Err(error)
            }
        }
    }

    /// Gives back the pages taken since `pages_before` and resets the write position.
    fn roll_back(
        &mut self,
        pages_before: usize,
        position_before: usize,
        free: &mut Vec<MemorySegment>,
    ) {
        while self.pages.len() > pages_before {
            free.push(self.pages.pop().expect("more pages than before"));
        }
        self.write_position = position_before;
    }

    /// Overwrites bytes at `pointer` (inside what was written), across a page boundary if need be.
    fn put_bytes_at(&mut self, pointer: u64, mut bytes: &[u8]) {
        let (mut page, mut offset) = self.locate(pointer);
        while !bytes.is_empty() {
            let room = self.page_size - offset;
            let (head, tail) = bytes.split_at(room.min(bytes.len()));
            self.pages[page].put_bytes(offset, head);
            bytes = tail;
            page += 1;
            offset = 0;
        }
    }

    /// (page, offset) of a pointer.
    #[inline]
    fn locate(&self, pointer: u64) -> (usize, usize) {
        (
            (pointer >> self.page_shift) as usize,
            (pointer as usize) & (self.page_size - 1),
        )
    }

    /// A view reading the record at `pointer`, positioned after its length prefix, and the
    /// record's length when it has a prefix.
    pub fn reader_at(
        &self,
        pointer: u64,
    ) -> Result<(PagedInputView<AreaSource<'_>>, Option<u32>), WeirError> {
        let (page, offset) = self.locate(pointer);
        let mut view = PagedInputView::new_at(AreaSource { area: self, page }, offset);
        let length = if self.length_prefixed {
            Some(view.read_u32_le()?)
        } else {
            None
        };
        Ok((view, length))
    }

    /// Reads the first byte at `pointer` and returns it: a load whose only purpose is to bring
    /// the record's cache line in early, so that misses of records read in a random order (a
    /// sorted index) overlap instead of queueing one behind the other.
    #[inline]
    pub fn touch(&self, pointer: u64) -> u8 {
        let (page, offset) = self.locate(pointer);
        self.pages.get(page).map_or(0, |page| page.get_u8(offset))
    }

    /// Deserializes the record at `pointer`.
    pub fn read<S: TypeSerializer>(
        &self,
        serializer: &S,
        pointer: u64,
    ) -> Result<S::Value, WeirError> {
        let (mut view, _) = self.reader_at(pointer)?;
        serializer.deserialize(&mut view)
    }

    /// Empties the area, giving every page to `free`.
    pub fn clear(&mut self, free: &mut Vec<MemorySegment>) {
        free.append(&mut self.pages);
        self.write_position = self.page_size;
        self.records = 0;
    }

    /// Empties the area and returns its pages.
    pub fn take_pages(&mut self) -> Vec<MemorySegment> {
        let mut pages = Vec::new();
        self.clear(&mut pages);
        pages
    }
}

/// Writes at the end of the area, taking pages from the free list.
struct AreaTarget<'a> {
    pages: &'a mut Vec<MemorySegment>,
    free: &'a mut Vec<MemorySegment>,
}

impl SegmentTarget for AreaTarget<'_> {
    fn current_mut(&mut self) -> &mut MemorySegment {
        self.pages
            .last_mut()
            .expect("append takes a write page before it writes")
    }

    fn advance(&mut self, _used_bytes: usize) -> Result<(), MemoryError> {
        let page = self.free.pop().ok_or(MemoryError::PagesFull {
            pages: self.pages.len(),
        })?;
        self.pages.push(page);
        Ok(())
    }
}

/// Reads the area from a page on; every page but the last is full.
#[derive(Debug)]
pub struct AreaSource<'a> {
    area: &'a RecordArea,
    page: usize,
}

impl SegmentSource for AreaSource<'_> {
    fn current(&self) -> Option<(&MemorySegment, usize)> {
        let last = self.area.pages.len().checked_sub(1)?;
        let limit = if self.page == last {
            self.area.write_position
        } else {
            self.area.page_size
        };
        self.area.pages.get(self.page).map(|page| (page, limit))
    }

    fn advance(&mut self) -> Result<bool, MemoryError> {
        if self.page + 1 < self.area.pages.len() {
            self.page += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{DefaultSerializer, StringSerializer};
    use weir_memory::{ByteSize, MemoryManager};

    fn free_pages(manager: &MemoryManager, count: usize) -> Vec<MemorySegment> {
        manager.reservation("area").allocate_pages(count).unwrap()
    }

    #[test]
    fn records_straddle_pages_and_read_back_by_pointer() {
        let manager = MemoryManager::new(ByteSize::kib(64), PageSize::new(4096).unwrap()).unwrap();
        let mut free = free_pages(&manager, 16);
        let mut area = RecordArea::new(PageSize::new(4096).unwrap(), None);
        let records: Vec<String> = (0..300).map(|i| "x".repeat(i * 7 % 1000)).collect();
        let mut pointers = Vec::new();
        for record in &records {
            match area.append(&StringSerializer, record, &mut free).unwrap() {
                Appended::At(pointer) => pointers.push(pointer),
                Appended::NoRoom => break,
            }
        }
        assert!(
            pointers.len() > 50 && pointers.len() < 300,
            "{}",
            pointers.len()
        );
        assert_eq!(free.len(), 0);
        for (record, &pointer) in records.iter().zip(&pointers) {
            assert_eq!(&area.read(&StringSerializer, pointer).unwrap(), record);
            let (_, length) = area.reader_at(pointer).unwrap();
            // The string's own varint length prefix plus its bytes.
            let varint = if record.len() < 128 { 1 } else { 2 };
            assert_eq!(length, Some((record.len() + varint) as u32));
        }
        area.clear(&mut free);
        assert_eq!(free.len(), 16);
        assert!(area.is_empty());
    }

    #[test]
    fn a_record_that_does_not_fit_leaves_the_area_as_it_was() {
        let manager = MemoryManager::new(ByteSize::kib(16), PageSize::new(4096).unwrap()).unwrap();
        let mut free = free_pages(&manager, 3);
        let mut area = RecordArea::new(PageSize::new(4096).unwrap(), None);
        assert_eq!(
            area.append(&StringSerializer, &"a".repeat(5000), &mut free)
                .unwrap(),
            Appended::At(0)
        );
        let (bytes, pages, free_before) = (area.occupied_bytes(), area.page_count(), free.len());
        assert_eq!(
            area.append(&StringSerializer, &"b".repeat(9000), &mut free)
                .unwrap(),
            Appended::NoRoom
        );
        assert_eq!(
            (area.occupied_bytes(), area.page_count(), free.len()),
            (bytes, pages, free_before)
        );
        assert_eq!(area.len(), 1);
        // A smaller record still fits where the big one was tried.
        let Appended::At(pointer) = area
            .append(&StringSerializer, &"c".repeat(10), &mut free)
            .unwrap()
        else {
            panic!("fits");
        };
        assert_eq!(pointer, bytes);
        assert_eq!(
            area.read(&StringSerializer, pointer).unwrap(),
            "c".repeat(10)
        );
    }

    #[test]
    fn fixed_length_records_have_no_prefix() {
        let manager = MemoryManager::new(ByteSize::kib(16), PageSize::new(4096).unwrap()).unwrap();
        let mut free = free_pages(&manager, 2);
        let serializer = <(u64, u64)>::serializer();
        let mut area = RecordArea::new(PageSize::new(4096).unwrap(), serializer.fixed_length());
        for i in 0..300u64 {
            let Appended::At(pointer) = area.append(&serializer, &(i, !i), &mut free).unwrap()
            else {
                panic!("300 × 16 bytes fit in two pages");
            };
            assert_eq!(pointer, i * 16);
        }
        assert_eq!(area.read(&serializer, 299 * 16).unwrap(), (299, !299));
        // The first byte of record 7 is the low byte of 7 (little-endian).
        assert_eq!(area.touch(7 * 16), 7);
        assert_eq!(area.touch(1 << 40), 0, "past the pages");
        assert_eq!(area.reader_at(0).unwrap().1, None);
    }
}
