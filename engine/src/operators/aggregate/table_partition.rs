//! [`TablePartition`]: the pages of one hash partition of a [`super::ReduceHashTable`], holding
//! entries of serialized records, each with the low 32 bits of its key's hash.
//!
//! ```text
//!   entry (the header never straddles a page; the record may span pages)
//!   +---------------+--------------------------+-----------------------------------+
//!   | hash u32 LE   | length u32 LE            | serialized record                 |
//!   | (low 32 bits  | (variable-length records | (`length` bytes, or the           |
//!   |  of the hash) |  only; bit 31 = dead)    |  serializer's fixed length)       |
//!   +---------------+--------------------------+-----------------------------------+
//!    0               4                          4 or 8
//!
//!   address = page number in this partition × page size + offset in page   (linear)
//!
//!   page 0                          page 1                        page 2 (write page)
//!   +-----------------------------+ +---------------------------+ +-------------+
//!   |hdr|record|hdr|record|hdr|rec| |ord|hdr|record|hdr|rec|.pad| |hdr|record|  |
//!   +-----------------------------+ +---------------------------+ +-------------+
//! ```
//!
//! When fewer bytes than a header are left in a page, they stay unused (`pad`) and the entry
//! starts on the next page; a walk over the entries applies the same rule, so every entry is
//! found again from the start. Pages come one at a time from the table's free list and all go
//! back to it when the partition spills or the table ends. An [`TablePartition::append`] that
//! runs out of free pages leaves the partition as it was.
//!
//! The stored hash lets the table rebuild its slot index (when it grows) from a sequential
//! walk over the entries, without deserializing a record or hashing a key again, and lets a
//! probe rule out a slot-tag collision before it deserializes the stored record.

use weir_memory::{
    AppendTarget, MemoryError, MemorySegment, OnePageSource, OnePageTarget, OverwriteTarget,
    PagesSource,
};

use crate::error::WeirError;
use crate::types::TypeSerializer;

use weir_memory::{PagedInputView, PagedOutputView};

/// Bytes of the hash field.
const HASH_BYTES: usize = 4;
/// Bytes of the length field of variable-length records.
const LENGTH_BYTES: usize = 4;
/// The bit of the length field that marks a superseded (dead) entry.
const DEAD_BIT: u32 = 1 << 31;
/// The longest variable-length record an entry can hold.
pub(super) const MAX_RECORD_BYTES: u64 = (DEAD_BIT - 1) as u64;

/// How entries of one table are laid out: the same for all its partitions.
#[derive(Debug, Clone, Copy)]
pub(super) struct EntryLayout {
    pub page_size: usize,
    pub page_shift: u32,
    /// `Some(n)`: every record is `n` bytes and entries have no length field.
    pub fixed_length: Option<usize>,
}

impl EntryLayout {
    pub fn header_bytes(&self) -> usize {
        match self.fixed_length {
            Some(_) => HASH_BYTES,
            None => HASH_BYTES + LENGTH_BYTES,
        }
    }

    /// `address` moved to the next page when the header would not fit in its page.
    #[inline]
    fn entry_start(&self, address: u64) -> u64 {
        let offset = (address as usize) & (self.page_size - 1);
        if self.page_size - offset < self.header_bytes() {
            (address | (self.page_size as u64 - 1)) + 1
        } else {
            address
        }
    }

    #[inline]
    fn locate(&self, address: u64) -> (usize, usize) {
        (
            (address >> self.page_shift) as usize,
            (address as usize) & (self.page_size - 1),
        )
    }
}

/// An entry's header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EntryHeader {
    /// The low 32 bits of the key's hash.
    pub hash: u32,
    /// Bytes of the serialized record.
    pub record_bytes: usize,
    pub dead: bool,
}

/// Where a partition's write position was, to roll an append back to.
#[derive(Debug, Clone, Copy)]
pub(super) struct WriteMark {
    pages: usize,
    write_position: usize,
}

/// One partition's pages. See the module docs.
#[derive(Debug)]
pub(super) struct TablePartition {
    pages: Vec<MemorySegment>,
    /// Write position in the last page (the page size when there is no page).
    write_position: usize,
    layout: EntryLayout,
    /// Entries that are not dead.
    pub live_entries: u64,
    /// Bytes of dead entries (headers included).
    pub dead_bytes: u64,
}

impl TablePartition {
    pub fn new(layout: EntryLayout) -> TablePartition {
        TablePartition {
            pages: Vec::new(),
            write_position: layout.page_size,
            layout,
            live_entries: 0,
            dead_bytes: 0,
        }
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The address one past the last entry.
    fn end_address(&self) -> u64 {
        match self.pages.len() {
            0 => 0,
            pages => ((pages - 1) * self.layout.page_size + self.write_position) as u64,
        }
    }

    pub fn mark(&self) -> WriteMark {
        WriteMark {
            pages: self.pages.len(),
            write_position: self.write_position,
        }
    }

    /// Forgets everything written since `mark`, giving the pages taken since to `free`.
    pub fn roll_back(&mut self, mark: WriteMark, free: &mut Vec<MemorySegment>) {
        while self.pages.len() > mark.pages {
            free.push(self.pages.pop().expect("more pages than at the mark"));
        }
        self.write_position = mark.write_position;
    }

    /// Writes an entry for `record` at the end, taking pages from `free`; `Ok(None)` (and the
    /// partition unchanged) when they run out.
    pub fn append<S: TypeSerializer>(
        &mut self,
        serializer: &S,
        hash: u32,
        record: &S::Value,
        free: &mut Vec<MemorySegment>,
    ) -> Result<Option<u64>, WeirError> {
        let mark = self.mark();
        let header_bytes = self.layout.header_bytes();
        if self.layout.page_size - self.write_position < header_bytes {
            let Some(page) = free.pop() else {
                return Ok(None);
            };
            self.pages.push(page);
            self.write_position = 0;
        }
        let address = self.end_address();
        let header_position = self.write_position;
        let mut target = AppendTarget::new(&mut self.pages, free);
        let outcome = (|| {
            let mut view = PagedOutputView::new_at(&mut target, header_position + header_bytes);
            serializer.serialize(record, &mut view)?;
            Ok::<_, WeirError>((view.bytes_written(), view.finish().1))
        })();
        let record_bytes = match outcome {
            Ok((written, end_position)) => {
                self.write_position = end_position;
                written
            }
            Err(WeirError::Memory(MemoryError::PagesFull { .. })) => {
                self.roll_back(mark, free);
                return Ok(None);
            }
            Err(error) => {
                self.roll_back(mark, free);
                return Err(error);
            }
        };
        let (page, offset) = self.layout.locate(address);
        let page = &mut self.pages[page];
        page.put_u32_le(offset, hash);
        if self.layout.fixed_length.is_none() {
            if record_bytes > MAX_RECORD_BYTES {
                self.roll_back(mark, free);
                return Err(WeirError::RecordTooLarge {
                    bytes: record_bytes,
                    limit: MAX_RECORD_BYTES,
                });
            }
            page.put_u32_le(offset + HASH_BYTES, record_bytes as u32);
        }
        self.live_entries += 1;
        Ok(Some(address))
    }

    pub fn header(&self, address: u64) -> EntryHeader {
        let (page, offset) = self.layout.locate(address);
        let page = &self.pages[page];
        let (record_bytes, dead) = match self.layout.fixed_length {
            Some(length) => (length, false),
            None => {
                let field = page.get_u32_le(offset + HASH_BYTES);
                ((field & !DEAD_BIT) as usize, field & DEAD_BIT != 0)
            }
        };
        EntryHeader {
            hash: page.get_u32_le(offset),
            record_bytes,
            dead,
        }
    }

    /// Marks the entry at `address` dead (variable-length records only).
    pub fn mark_dead(&mut self, address: u64) {
        let header = self.header(address);
        debug_assert!(self.layout.fixed_length.is_none() && !header.dead);
        let (page, offset) = self.layout.locate(address);
        self.pages[page].put_u32_le(offset + HASH_BYTES, header.record_bytes as u32 | DEAD_BIT);
        self.live_entries -= 1;
        self.dead_bytes += (self.layout.header_bytes() + header.record_bytes) as u64;
    }

    /// A view reading the record of the entry at `address`.
    pub fn record_reader(&self, address: u64) -> PagedInputView<PagesSource<'_>> {
        let (page, offset) = self
            .layout
            .locate(address + self.layout.header_bytes() as u64);
        PagedInputView::new_at(
            PagesSource::new(&self.pages, page, self.write_position),
            offset,
        )
    }

    /// Bytes of the record of the entry at `address`.
    #[inline]
    fn record_bytes(&self, address: u64) -> usize {
        match self.layout.fixed_length {
            Some(length) => length,
            None => self.header(address).record_bytes,
        }
    }

    /// The page and the offset in it of the record of the entry at `address` when its
    /// `record_bytes` bytes lie in that one page (most records), `None` when it straddles.
    #[inline]
    fn record_in_one_page(&self, address: u64, record_bytes: usize) -> Option<(usize, usize)> {
        let (page, offset) = self
            .layout
            .locate(address + self.layout.header_bytes() as u64);
        (offset + record_bytes <= self.layout.page_size).then_some((page, offset))
    }

    pub fn read_record<S: TypeSerializer>(
        &self,
        serializer: &S,
        address: u64,
    ) -> Result<S::Value, WeirError> {
        let record_bytes = self.record_bytes(address);
        match self.record_in_one_page(address, record_bytes) {
            Some((page, offset)) => serializer.deserialize(&mut PagedInputView::new_at(
                OnePageSource::new(&self.pages[page], offset + record_bytes),
                offset,
            )),
            None => serializer.deserialize(&mut self.record_reader(address)),
        }
    }

    /// Copies the serialized record of the entry at `address` into `bytes`.
    pub fn copy_record(&self, address: u64, bytes: &mut Vec<u8>) -> Result<(), WeirError> {
        let record_bytes = self.record_bytes(address);
        bytes.resize(record_bytes, 0);
        match self.record_in_one_page(address, record_bytes) {
            Some((page, offset)) => self.pages[page].get_bytes(offset, bytes),
            None => self.record_reader(address).read_exact(bytes)?,
        }
        Ok(())
    }

    /// Overwrites the record bytes of the entry at `address` with `bytes` (of the same length).
    pub fn overwrite_record_bytes(&mut self, address: u64, bytes: &[u8]) {
        let (page, offset) = self
            .layout
            .locate(address + self.layout.header_bytes() as u64);
        PagedOutputView::new_at(OverwriteTarget::new(&mut self.pages, page), offset)
            .write_bytes(bytes)
            .expect("a record is overwritten by one of the same length");
    }

    /// Serializes `record` over the record of the entry at `address`, which must have the same
    /// serialized length (fixed-length serializers).
    pub fn overwrite_record<S: TypeSerializer>(
        &mut self,
        serializer: &S,
        address: u64,
        record: &S::Value,
    ) -> Result<(), WeirError> {
        if let Some((page, offset)) = self.record_in_one_page(address, self.record_bytes(address)) {
            let mut view =
                PagedOutputView::new_at(OnePageTarget::new(&mut self.pages[page]), offset);
            return serializer.serialize(record, &mut view);
        }
        let (page, offset) = self
            .layout
            .locate(address + self.layout.header_bytes() as u64);
        let mut view = PagedOutputView::new_at(OverwriteTarget::new(&mut self.pages, page), offset);
        serializer.serialize(record, &mut view)
    }

    /// The address of the first entry at or after `address`, or `None` at the end.
    pub fn next_entry_from(&self, address: u64) -> Option<u64> {
        let start = self.layout.entry_start(address);
        (start < self.end_address()).then_some(start)
    }

    /// The address just after the entry at `address`.
    pub fn after(&self, address: u64, header: &EntryHeader) -> u64 {
        address + (self.layout.header_bytes() + header.record_bytes) as u64
    }

    /// Empties the partition, giving its pages to `free`.
    pub fn clear(&mut self, free: &mut Vec<MemorySegment>) {
        free.append(&mut self.pages);
        self.write_position = self.layout.page_size;
        self.live_entries = 0;
        self.dead_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DefaultSerializer;
    use weir_memory::PageSize;

    const PAGE_BYTES: usize = 4096;

    fn pages(count: usize) -> Vec<MemorySegment> {
        (0..count)
            .map(|_| MemorySegment::allocate_unpooled(PageSize::new(PAGE_BYTES).unwrap()).unwrap())
            .collect()
    }

    fn layout<S: TypeSerializer>(serializer: &S) -> EntryLayout {
        EntryLayout {
            page_size: PAGE_BYTES,
            page_shift: PAGE_BYTES.trailing_zeros(),
            fixed_length: serializer.fixed_length(),
        }
    }

    /// A fixed-length record of `N` bytes filled with `byte`.
    fn filled<const N: usize>(byte: u8) -> [u8; N] {
        [byte; N]
    }

    /// Fixed-length entries: the first record ends `overhang` bytes past the end of page 0
    /// (0: exactly at its end); it is read, copied and overwritten in place, and the entry
    /// after it stays intact.
    fn fixed_record_at_the_page_end<const N: usize>(overhang: usize) {
        assert_eq!(HASH_BYTES + N, PAGE_BYTES + overhang);
        let serializer = <[u8; N]>::serializer();
        let mut free = pages(4);
        let mut partition = TablePartition::new(layout(&serializer));
        let first = partition
            .append(&serializer, 11, &filled::<N>(1), &mut free)
            .unwrap()
            .unwrap();
        let second = partition
            .append(&serializer, 22, &filled::<N>(2), &mut free)
            .unwrap()
            .unwrap();
        assert_eq!(first, 0);
        // The next header starts right after the first record.
        assert_eq!(second, (PAGE_BYTES + overhang) as u64);
        assert_eq!(
            partition.record_in_one_page(first, N).is_some(),
            overhang == 0
        );
        assert_eq!(
            partition.read_record(&serializer, first).unwrap(),
            filled::<N>(1)
        );
        partition
            .overwrite_record(&serializer, first, &filled::<N>(3))
            .unwrap();
        let mut bytes = Vec::new();
        partition.copy_record(first, &mut bytes).unwrap();
        assert_eq!(bytes, vec![3; N]);
        assert_eq!(partition.header(second).hash, 22);
        assert_eq!(
            partition.read_record(&serializer, second).unwrap(),
            filled::<N>(2)
        );
        partition.clear(&mut free);
        assert_eq!(free.len(), 4);
    }

    #[test]
    fn a_fixed_length_record_ending_exactly_at_the_page_end_is_read_and_overwritten_in_place() {
        fixed_record_at_the_page_end::<{ PAGE_BYTES - HASH_BYTES }>(0);
    }

    #[test]
    fn a_fixed_length_record_straddling_the_page_end_by_one_byte_is_read_and_overwritten() {
        fixed_record_at_the_page_end::<{ PAGE_BYTES - HASH_BYTES + 1 }>(1);
    }

    /// Variable-length entries: the record of the second entry ends `overhang` bytes past the
    /// end of page 0.
    fn variable_record_at_the_page_end(overhang: usize) {
        let serializer = <Vec<u8>>::serializer();
        let header_bytes = HASH_BYTES + LENGTH_BYTES;
        let mut free = pages(4);
        let mut partition = TablePartition::new(layout(&serializer));
        let small = partition
            .append(&serializer, 1, &vec![7u8; 3], &mut free)
            .unwrap()
            .unwrap();
        let small_bytes = partition.header(small).record_bytes;
        // The second record (a 2-byte varint length and its bytes) ends at the page end plus
        // `overhang`.
        let record_bytes = PAGE_BYTES + overhang - 2 * header_bytes - small_bytes;
        let payload = vec![9u8; record_bytes - 2];
        let address = partition
            .append(&serializer, 2, &payload, &mut free)
            .unwrap()
            .unwrap();
        let header = partition.header(address);
        assert_eq!(header.record_bytes, record_bytes);
        assert_eq!(
            partition.after(address, &header),
            (PAGE_BYTES + overhang) as u64
        );
        assert_eq!(
            partition
                .record_in_one_page(address, record_bytes)
                .is_some(),
            overhang == 0
        );
        let next = partition
            .append(&serializer, 3, &vec![5u8; 2], &mut free)
            .unwrap()
            .unwrap();
        assert_eq!(
            partition.read_record(&serializer, address).unwrap(),
            payload
        );
        let mut bytes = Vec::new();
        partition.copy_record(address, &mut bytes).unwrap();
        let mut changed = bytes.clone();
        *changed.last_mut().unwrap() = 1;
        partition.overwrite_record_bytes(address, &changed);
        let mut expected = payload.clone();
        *expected.last_mut().unwrap() = 1;
        assert_eq!(
            partition.read_record(&serializer, address).unwrap(),
            expected
        );
        assert_eq!(
            partition.read_record(&serializer, small).unwrap(),
            vec![7u8; 3]
        );
        assert_eq!(
            partition.read_record(&serializer, next).unwrap(),
            vec![5u8; 2]
        );
        partition.clear(&mut free);
        assert_eq!(free.len(), 4);
    }

    #[test]
    fn a_variable_length_record_ending_exactly_at_the_page_end_is_read_in_one_page() {
        variable_record_at_the_page_end(0);
    }

    #[test]
    fn a_variable_length_record_straddling_the_page_end_by_one_byte_is_read_across_pages() {
        variable_record_at_the_page_end(1);
    }
}
