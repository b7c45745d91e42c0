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
//!
//! ```text
//!  append ──▶ room in the write page (a fixed length that fits, or any variable length)?
//!               ├─ yes: serialize into the write page alone (a view that cannot advance)
//!               │        ├─ it fit ──────────────────▶ done: no page taken, nothing to undo
//!               │        └─ it reached the page end ─▶ the bytes past the write position are
//!               │           (or serializing failed)    garbage; fall through to ───┐
//!               └─ no ──────────────────────────────────────────────────────────────┤
//!            across pages: take pages from the free list as the view advances,  ◀──┘
//!            roll back on NoRoom or error
//! ```
//!
//! Most records fit in the rest of the write page, so the common append is a bounds check, the
//! serializer's writes into one page and (length-prefixed records) one `u32` store.

use weir_memory::{
    AppendTarget, MemoryError, MemorySegment, OnePageTarget, OverwriteTarget, PageSize,
    PagedInputView, PagedOutputView, PagesSource,
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
    /// The serializer's fixed record length; `None`: records carry a length prefix.
    fixed_length: Option<usize>,
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
            fixed_length,
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
    #[inline]
    pub fn append<S: TypeSerializer>(
        &mut self,
        serializer: &S,
        record: &S::Value,
        free: &mut Vec<MemorySegment>,
    ) -> Result<Appended, WeirError> {
        match self.append_in_write_page(serializer, record) {
            Some(pointer) => Ok(Appended::At(pointer)),
            None => self.append_across_pages(serializer, record, free),
        }
    }

    /// Serializes `record` into the rest of the write page and returns its pointer when it fits
    /// there. `None`: nothing changed (the bytes written past the write position are garbage the
    /// next append overwrites), because there is no room in the write page, the record reached
    /// its end, or serializing failed; [`RecordArea::append_across_pages`] then serializes the
    /// record again and decides (a serializer fails the same way twice).
    #[inline]
    fn append_in_write_page<S: TypeSerializer>(
        &mut self,
        serializer: &S,
        record: &S::Value,
    ) -> Option<u64> {
        let start_position = self.write_position;
        let room = self.page_size - start_position;
        let fits = match self.fixed_length {
            Some(length) => length <= room,
            None => LENGTH_PREFIX_BYTES < room,
        };
        if room == 0 || !fits {
            return None;
        }
        let pointer = self.occupied_bytes();
        let length_prefixed = self.length_prefixed;
        let page = self.pages.last_mut()?;
        let mut view = PagedOutputView::new_at(OnePageTarget::new(page), start_position);
        if length_prefixed {
            view.write_u32_le(0).ok()?;
        }
        serializer.serialize(record, &mut view).ok()?;
        let end_position = view.finish().1;
        if length_prefixed {
            // Less than a page (at most 1 MiB), so it fits in a u32.
            let length = end_position - start_position - LENGTH_PREFIX_BYTES;
            let page = self.pages.last_mut()?;
            page.put_u32_le(start_position, u32::try_from(length).ok()?);
        }
        self.write_position = end_position;
        self.records += 1;
        Some(pointer)
    }

    /// Serializes `record` at the end of the area through a view that takes pages from `free`
    /// as it advances, rolling back when they run out.
    #[cold]
    #[inline(never)]
    fn append_across_pages<S: TypeSerializer>(
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
        let mut target = AppendTarget::new(&mut self.pages, free);
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
    fn put_bytes_at(&mut self, pointer: u64, bytes: &[u8]) {
        let (page, offset) = self.locate(pointer);
        PagedOutputView::new_at(OverwriteTarget::new(&mut self.pages, page), offset)
            .write_bytes(bytes)
            .expect("the bytes overwritten lie inside what was written");
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
    ) -> Result<(PagedInputView<PagesSource<'_>>, Option<u32>), WeirError> {
        let (page, offset) = self.locate(pointer);
        let source = PagesSource::new(&self.pages, page, self.write_position);
        let mut view = PagedInputView::new_at(source, offset);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{DefaultSerializer, StringSerializer};
    use weir_memory::{ByteSize, MemoryManager, SegmentTarget};

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

    const PAGE_BYTES: usize = 4096;

    fn page_size() -> PageSize {
        PageSize::new(PAGE_BYTES).unwrap()
    }

    /// An area of `Vec<u8>` records (length-prefixed) and `pages` free pages.
    fn byte_area(manager: &MemoryManager, pages: usize) -> (RecordArea, Vec<MemorySegment>) {
        let area = RecordArea::new(page_size(), <Vec<u8>>::serializer().fixed_length());
        (area, free_pages(manager, pages))
    }

    /// A `Vec<u8>` record taking exactly `bytes` in the area: length prefix, varint, content.
    fn record_of_area_bytes(bytes: usize, fill: u8) -> Vec<u8> {
        let content = bytes - LENGTH_PREFIX_BYTES - 1;
        let varint = if content < 128 { 1 } else { 2 };
        vec![fill; bytes - LENGTH_PREFIX_BYTES - varint]
    }

    fn append_bytes(
        area: &mut RecordArea,
        record: &Vec<u8>,
        free: &mut Vec<MemorySegment>,
    ) -> Appended {
        area.append(&<Vec<u8>>::serializer(), record, free).unwrap()
    }

    #[test]
    fn a_length_prefixed_record_can_end_exactly_at_a_page_end() {
        let manager = MemoryManager::new(ByteSize::kib(16), page_size()).unwrap();
        let (mut area, mut free) = byte_area(&manager, 2);
        let first = record_of_area_bytes(105, 1);
        let second = record_of_area_bytes(PAGE_BYTES - 105, 2);
        assert_eq!(append_bytes(&mut area, &first, &mut free), Appended::At(0));
        assert_eq!(
            append_bytes(&mut area, &second, &mut free),
            Appended::At(105)
        );
        assert_eq!(
            (area.occupied_bytes(), area.page_count(), free.len()),
            (PAGE_BYTES as u64, 1, 1)
        );
        // The next record starts the next page.
        let third = vec![3u8; 10];
        assert_eq!(
            append_bytes(&mut area, &third, &mut free),
            Appended::At(PAGE_BYTES as u64)
        );
        assert_eq!((area.page_count(), free.len()), (2, 0));
        let serializer = <Vec<u8>>::serializer();
        for (record, pointer) in [(first, 0), (second, 105), (third, PAGE_BYTES as u64)] {
            assert_eq!(area.read(&serializer, pointer).unwrap(), record);
        }
    }

    #[test]
    fn a_length_prefixed_record_one_byte_over_the_page_end_straddles() {
        let manager = MemoryManager::new(ByteSize::kib(16), page_size()).unwrap();
        let (mut area, mut free) = byte_area(&manager, 2);
        let first = record_of_area_bytes(105, 1);
        let second = record_of_area_bytes(PAGE_BYTES - 105 + 1, 2);
        append_bytes(&mut area, &first, &mut free);
        assert_eq!(
            append_bytes(&mut area, &second, &mut free),
            Appended::At(105)
        );
        assert_eq!(
            (area.occupied_bytes(), area.page_count(), free.len()),
            (PAGE_BYTES as u64 + 1, 2, 0)
        );
        let third = vec![3u8; 10];
        assert_eq!(
            append_bytes(&mut area, &third, &mut free),
            Appended::At(PAGE_BYTES as u64 + 1)
        );
        let serializer = <Vec<u8>>::serializer();
        assert_eq!(area.read(&serializer, 105).unwrap(), second);
        assert_eq!(area.reader_at(105).unwrap().1, Some(3988));
        assert_eq!(
            area.read(&serializer, PAGE_BYTES as u64 + 1).unwrap(),
            third
        );
    }

    #[test]
    fn a_length_prefix_can_straddle_a_page_end() {
        let manager = MemoryManager::new(ByteSize::kib(16), page_size()).unwrap();
        let (mut area, mut free) = byte_area(&manager, 2);
        // Leaves 2, then 4 (no room for a prefix and a byte), then 5 bytes in the first page.
        for left in [2, 4, 5] {
            area.clear(&mut free);
            let head = record_of_area_bytes(PAGE_BYTES - left, 1);
            append_bytes(&mut area, &head, &mut free);
            let tail = vec![7u8; 20];
            let pointer = (PAGE_BYTES - left) as u64;
            assert_eq!(
                append_bytes(&mut area, &tail, &mut free),
                Appended::At(pointer)
            );
            assert_eq!(area.page_count(), 2);
            let serializer = <Vec<u8>>::serializer();
            assert_eq!(area.read(&serializer, 0).unwrap(), head);
            assert_eq!(area.read(&serializer, pointer).unwrap(), tail);
        }
    }

    #[test]
    fn fixed_length_records_whose_size_does_not_divide_the_page() {
        let manager = MemoryManager::new(ByteSize::kib(16), page_size()).unwrap();
        let mut free = free_pages(&manager, 4);
        let serializer = <[u8; 100]>::serializer();
        let mut area = RecordArea::new(page_size(), serializer.fixed_length());
        let record = |i: usize| std::array::from_fn::<u8, 100, _>(|j| (i * 7 + j) as u8);
        let mut written = 0;
        while let Appended::At(pointer) = area
            .append(&serializer, &record(written), &mut free)
            .unwrap()
        {
            assert_eq!(pointer, written as u64 * 100);
            written += 1;
        }
        // 16 KiB hold 163 records of 100 bytes; each of the three page boundaries cuts one.
        assert_eq!(written, 4 * PAGE_BYTES / 100);
        assert_eq!((area.len(), area.page_count(), free.len()), (written, 4, 0));
        assert_eq!(area.occupied_bytes(), written as u64 * 100);
        for i in 0..written {
            assert_eq!(area.read(&serializer, i as u64 * 100).unwrap(), record(i));
        }
    }

    #[test]
    fn no_room_exactly_at_the_page_boundary() {
        let manager = MemoryManager::new(ByteSize::kib(16), page_size()).unwrap();
        // Fixed length: 64 records of 64 bytes fill one page exactly; the 65th has no room.
        let mut free = free_pages(&manager, 1);
        let serializer = <[u8; 64]>::serializer();
        let mut area = RecordArea::new(page_size(), serializer.fixed_length());
        for i in 0..64u8 {
            assert_eq!(
                area.append(&serializer, &[i; 64], &mut free).unwrap(),
                Appended::At(u64::from(i) * 64)
            );
        }
        assert_eq!(
            area.append(&serializer, &[64; 64], &mut free).unwrap(),
            Appended::NoRoom
        );
        assert_eq!(
            (area.len(), area.occupied_bytes(), area.page_count()),
            (64, PAGE_BYTES as u64, 1)
        );
        assert_eq!(area.read(&serializer, 63 * 64).unwrap(), [63; 64]);
        area.clear(&mut free);

        // Length-prefixed: a record ending exactly at the end of the only page fits, the
        // next has no room; one byte more does not fit and leaves the area as it was.
        let (mut area, mut free) = (RecordArea::new(page_size(), None), free);
        let first = record_of_area_bytes(1000, 1);
        append_bytes(&mut area, &first, &mut free);
        let over = record_of_area_bytes(PAGE_BYTES - 1000 + 1, 2);
        assert_eq!(append_bytes(&mut area, &over, &mut free), Appended::NoRoom);
        assert_eq!(
            (
                area.len(),
                area.occupied_bytes(),
                area.page_count(),
                free.len()
            ),
            (1, 1000, 1, 0)
        );
        let exact = record_of_area_bytes(PAGE_BYTES - 1000, 3);
        assert_eq!(
            append_bytes(&mut area, &exact, &mut free),
            Appended::At(1000)
        );
        assert_eq!(
            append_bytes(&mut area, &vec![4], &mut free),
            Appended::NoRoom
        );
        assert_eq!(
            (
                area.len(),
                area.occupied_bytes(),
                area.page_count(),
                free.len()
            ),
            (2, PAGE_BYTES as u64, 1, 0)
        );
        let serializer = <Vec<u8>>::serializer();
        assert_eq!(area.read(&serializer, 0).unwrap(), first);
        assert_eq!(area.read(&serializer, 1000).unwrap(), exact);
    }

    /// Writes `bytes` bytes, then fails when `fail` is set. Reads back a record as the bytes up
    /// to the end of the area (enough for the last record, all these tests read).
    #[derive(Debug, Clone, Copy)]
    struct FailingSerializer;

    impl TypeSerializer for FailingSerializer {
        type Value = (usize, bool);

        fn serialize<W: SegmentTarget>(
            &self,
            &(bytes, fail): &(usize, bool),
            out: &mut PagedOutputView<W>,
        ) -> Result<(), WeirError> {
            for _ in 0..bytes {
                out.write_u8(0xab)?;
            }
            if fail {
                return Err(WeirError::Serialize {
                    type_name: "test record",
                    error: postcard::Error::SerializeBufferFull,
                });
            }
            Ok(())
        }

        fn deserialize<R: weir_memory::SegmentSource>(
            &self,
            input: &mut PagedInputView<R>,
        ) -> Result<(usize, bool), WeirError> {
            let mut bytes = 0;
            while !input.at_end()? {
                input.read_u8()?;
                bytes += 1;
            }
            Ok((bytes, false))
        }
    }

    #[test]
    fn a_failing_serializer_leaves_the_area_as_it_was() {
        let manager = MemoryManager::new(ByteSize::kib(16), page_size()).unwrap();
        let mut free = free_pages(&manager, 3);
        let mut area = RecordArea::new(page_size(), None);
        assert_eq!(
            area.append(&FailingSerializer, &(100, false), &mut free)
                .unwrap(),
            Appended::At(0)
        );
        // Fails inside the write page, then after crossing into new pages.
        for bytes in [10, 5000] {
            let error = area
                .append(&FailingSerializer, &(bytes, true), &mut free)
                .unwrap_err();
            assert!(matches!(error, WeirError::Serialize { .. }), "{error}");
            assert_eq!(
                (
                    area.len(),
                    area.occupied_bytes(),
                    area.page_count(),
                    free.len()
                ),
                (1, 104, 1, 2)
            );
        }
        assert_eq!(
            area.append(&FailingSerializer, &(7, false), &mut free)
                .unwrap(),
            Appended::At(104)
        );
        assert_eq!(area.reader_at(104).unwrap().1, Some(7));
    }
}
