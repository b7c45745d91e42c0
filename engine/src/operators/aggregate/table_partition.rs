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

use weir_memory::{MemoryError, MemorySegment, SegmentSource, SegmentTarget};

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
        let mut target = PartitionTarget {
            pages: &mut self.pages,
            free,
        };
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
    pub fn record_reader(&self, address: u64) -> PagedInputView<PartitionSource<'_>> {
        let (page, offset) = self
            .layout
            .locate(address + self.layout.header_bytes() as u64);
        PagedInputView::new_at(
            PartitionSource {
                partition: self,
                page,
            },
            offset,
        )
    }

    pub fn read_record<S: TypeSerializer>(
        &self,
        serializer: &S,
        address: u64,
    ) -> Result<S::Value, WeirError> {
        serializer.deserialize(&mut self.record_reader(address))
    }

    /// Copies the serialized record of the entry at `address` into `bytes`.
    pub fn copy_record(&self, address: u64, bytes: &mut Vec<u8>) -> Result<(), WeirError> {
        let header = self.header(address);
        bytes.resize(header.record_bytes, 0);
        self.record_reader(address).read_exact(bytes)?;
        Ok(())
    }

    /// Overwrites the record bytes of the entry at `address` with `bytes` (of the same length).
    pub fn overwrite_record_bytes(&mut self, address: u64, mut bytes: &[u8]) {
        let (mut page, mut offset) = self
            .layout
            .locate(address + self.layout.header_bytes() as u64);
        while !bytes.is_empty() {
            if offset == self.layout.page_size {
                page += 1;
                offset = 0;
            }
            let room = self.layout.page_size - offset;
            let (head, tail) = bytes.split_at(room.min(bytes.len()));
            self.pages[page].put_bytes(offset, head);
            offset += head.len();
            bytes = tail;
        }
    }

    /// Serializes `record` over the record of the entry at `address`, which must have the same
    /// serialized length (fixed-length serializers).
    pub fn overwrite_record<S: TypeSerializer>(
        &mut self,
        serializer: &S,
        address: u64,
        record: &S::Value,
    ) -> Result<(), WeirError> {
        let (page, offset) = self
            .layout
            .locate(address + self.layout.header_bytes() as u64);
        let mut target = OverwriteTarget {
            pages: &mut self.pages,
            page,
        };
        let mut view = PagedOutputView::new_at(&mut target, offset);
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

/// Writes at the end of a partition, taking pages from the free list.
struct PartitionTarget<'a> {
    pages: &'a mut Vec<MemorySegment>,
    free: &'a mut Vec<MemorySegment>,
}

impl SegmentTarget for PartitionTarget<'_> {
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

/// Writes over bytes already written, page after page.
struct OverwriteTarget<'a> {
    pages: &'a mut [MemorySegment],
    page: usize,
}

impl SegmentTarget for OverwriteTarget<'_> {
    fn current_mut(&mut self) -> &mut MemorySegment {
        &mut self.pages[self.page]
    }

    fn advance(&mut self, _used_bytes: usize) -> Result<(), MemoryError> {
        if self.page + 1 >= self.pages.len() {
            return Err(MemoryError::PagesFull {
                pages: self.pages.len(),
            });
        }
        self.page += 1;
        Ok(())
    }
}

/// Reads a partition from a page on; every page but the last is valid to its end.
#[derive(Debug)]
pub(super) struct PartitionSource<'a> {
    partition: &'a TablePartition,
    page: usize,
}

impl SegmentSource for PartitionSource<'_> {
    fn current(&self) -> Option<(&MemorySegment, usize)> {
        let last = self.partition.pages.len().checked_sub(1)?;
        let limit = if self.page == last {
            self.partition.write_position
        } else {
            self.partition.layout.page_size
        };
        self.partition
            .pages
            .get(self.page)
            .map(|page| (page, limit))
    }

    fn advance(&mut self) -> Result<bool, MemoryError> {
        if self.page + 1 < self.partition.pages.len() {
            self.page += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}
