//! [`InMemorySorter`]: records serialized into pages and sorted through an index of normalized
//! key prefixes, without a heap object per record (Flink's `NormalizedKeySorter`).
//!
//! ```text
//!  index pages (entries never straddle a page)          record area (see record_area.rs)
//!  +--------------------------------------------+       +------------------------------+
//!  | key prefix (8 or 24 B) | pointer u64 LE | …| ────▶ | len | serialized record | …    |
//!  +--------------------------------------------+       +------------------------------+
//!  entry = 16 bytes for a prefix of up to 8 bytes, 32 bytes for up to 24, 8 without a prefix;
//!  a power of two, so entry i is at page i >> s, offset (i & m) × entry size
//! ```
//!
//! Sorting moves only index entries. Two entries compare by their prefix bytes (one big-endian
//! `u64` compare for prefixes of up to 8 bytes); only when the prefixes are equal and the
//! comparator's normalized key is not complete are both records deserialized and compared in
//! full. With [`SortOrder::Stable`], remaining ties break on the record pointer, which grows
//! with insertion order, so equal records keep their input order at no cost when keys differ.
//!
//! Index and records draw on one list of pages given at construction; [`InMemorySorter::write`]
//! returns `false` when they are used up (the caller sorts, spills and resets). The sorter
//! never holds more pages than it was given.

use std::cmp::Ordering;

use weir_memory::{MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::record_area::{Appended, RecordArea};
use crate::operators::sort::indexed_sort::{IndexedSortable, quick_sort};
use crate::operators::spill::SpillWriter;
use crate::types::{TypeComparator, TypeSerializer};

/// The longest normalized key prefix kept in the index.
pub const MAX_PREFIX_BYTES: usize = 24;

/// The fewest pages a sorter works with: one index page and one record page.
pub const MIN_SORTER_PAGES: usize = 2;

/// Whether equal keys keep their input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Equal keys come out in any order.
    Unstable,
    /// Equal keys come out in input order.
    Stable,
}

/// Sorts records of `S` by `C` in pages. See the module docs.
#[derive(Debug)]
pub struct InMemorySorter<S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    serializer: S,
    comparator: C,
    order: SortOrder,
    page_size: PageSize,
    /// Pages neither the index nor the records use.
    free: Vec<MemorySegment>,
    total_pages: usize,
    index: Vec<MemorySegment>,
    records: RecordArea,
    /// Bytes of normalized key the comparator writes (≤ `prefix_slot`).
    prefix_len: usize,
    /// Bytes reserved for the prefix in an entry: 0, 8 or 24.
    prefix_slot: usize,
    entry_size: usize,
    entries_per_page_shift: u32,
    prefix_is_complete: bool,
    len: usize,
    /// Scratch for writing a prefix.
    prefix_scratch: [u8; MAX_PREFIX_BYTES],
}

impl<S, C> InMemorySorter<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    /// A sorter working in `pages` (all of one page size, at least [`MIN_SORTER_PAGES`]).
    pub fn new(
        serializer: S,
        comparator: C,
        order: SortOrder,
        pages: Vec<MemorySegment>,
    ) -> Result<InMemorySorter<S, C>, WeirError> {
        if pages.len() < MIN_SORTER_PAGES {
            return Err(WeirError::TooFewPages {
                operator: "in-memory sorter",
                given: pages.len(),
                required: MIN_SORTER_PAGES,
            });
        }
        let page_size = PageSize::new(pages[0].size())?;
        let prefix_len = comparator.normalized_key_len().min(MAX_PREFIX_BYTES);
        let prefix_slot = match prefix_len {
            0 => 0,
            1..=8 => 8,
            _ => MAX_PREFIX_BYTES,
        };
        let entry_size = (prefix_slot + 8).next_power_of_two();
        let entries_per_page = page_size.bytes() / entry_size;
        let prefix_is_complete = comparator.normalized_key_is_complete()
            && prefix_len == comparator.normalized_key_len();
        let records = RecordArea::new(page_size, serializer.fixed_length());
        Ok(InMemorySorter {
            serializer,
            comparator,
            order,
            page_size,
            total_pages: pages.len(),
            free: pages,
            index: Vec::new(),
            records,
            prefix_len,
            prefix_slot,
            entry_size,
            entries_per_page_shift: entries_per_page.trailing_zeros(),
            prefix_is_complete,
            len: 0,
            prefix_scratch: [0; MAX_PREFIX_BYTES],
        })
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pages given at construction.
    pub fn total_pages(&self) -> usize {
        self.total_pages
    }

    /// Pages the index and the records use now.
    pub fn used_pages(&self) -> usize {
        self.total_pages - self.free.len()
    }

    /// Bytes of serialized records, length prefixes included.
    pub fn record_bytes(&self) -> u64 {
        self.records.occupied_bytes()
    }

    pub fn page_size(&self) -> PageSize {
        self.page_size
    }

    /// Adds `record`; `Ok(false)` when the pages are used up (the sorter is unchanged then).
    pub fn write(&mut self, record: &S::Value) -> Result<bool, WeirError> {
        let entry = self.len;
        let entries_per_page = 1usize << self.entries_per_page_shift;
        let index_page = entry >> self.entries_per_page_shift;
        let mut took_index_page = false;
        if index_page == self.index.len() {
            // The entry starts a new index page; keep one page for the record itself.
            if self.free.len() < 2 {
                return Ok(false);
            }
            let page = self.free.pop().expect("checked above");
            self.index.push(page);
            took_index_page = true;
        }
        let pointer = match self
            .records
            .append(&self.serializer, record, &mut self.free)
        {
            Ok(Appended::At(pointer)) => pointer,
            Ok(Appended::NoRoom) => {
                self.give_back_index_page(took_index_page);
                return Ok(false);
            }
            Err(error) => {
                self.give_back_index_page(took_index_page);
                return Err(error);
            }
        };
        let offset = (entry & (entries_per_page - 1)) * self.entry_size;
        let page = &mut self.index[index_page];
        if self.prefix_slot > 0 {
            let prefix = &mut self.prefix_scratch[..self.prefix_slot];
            prefix.fill(0);
            self.comparator
                .write_normalized_key(record, &mut prefix[..self.prefix_len]);
            page.put_bytes(offset, prefix);
        }
        page.put_u64_le(offset + self.prefix_slot, pointer);
        self.len += 1;
        Ok(true)
    }

    fn give_back_index_page(&mut self, took_index_page: bool) {
        if took_index_page {
            let page = self.index.pop().expect("an index page was taken");
            self.free.push(page);
        }
    }

    /// Sorts the records written so far.
    pub fn sort(&mut self) -> Result<(), WeirError> {
        let mut sortable = SortableIndex {
            sorter: self,
            error: None,
        };
        let len = sortable.sorter.len;
        quick_sort(&mut sortable, len);
        match sortable.error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// The pointer of the record at index position `i`.
    #[inline]
    fn pointer(&self, i: usize) -> u64 {
        let (page, offset) = self.entry_location(i);
        self.index[page].get_u64_le(offset + self.prefix_slot)
    }

    #[inline]
    fn entry_location(&self, i: usize) -> (usize, usize) {
        let mask = (1usize << self.entries_per_page_shift) - 1;
        (
            i >> self.entries_per_page_shift,
            (i & mask) * self.entry_size,
        )
    }

    /// Compares index entries `i` and `j`: prefix, then full records, then (stable) pointers.
    #[inline]
    fn compare_entries(&self, i: usize, j: usize) -> Result<Ordering, WeirError> {
        let (page_i, offset_i) = self.entry_location(i);
        let (page_j, offset_j) = self.entry_location(j);
        let (a, b) = (&self.index[page_i], &self.index[page_j]);
        let by_prefix = match self.prefix_slot {
            0 => Ordering::Equal,
            8 => a.get_u64_be(offset_i).cmp(&b.get_u64_be(offset_j)),
            _ => a.compare(b, offset_i, offset_j, self.prefix_len),
        };
        if by_prefix != Ordering::Equal {
            return Ok(by_prefix);
        }
        let pointer_i = a.get_u64_le(offset_i + self.prefix_slot);
        let pointer_j = b.get_u64_le(offset_j + self.prefix_slot);
        if !self.prefix_is_complete {
            let record_i = self.records.read(&self.serializer, pointer_i)?;
            let record_j = self.records.read(&self.serializer, pointer_j)?;
            let by_record = self.comparator.compare(&record_i, &record_j);
            if by_record != Ordering::Equal {
                return Ok(by_record);
            }
        }
        Ok(match self.order {
            SortOrder::Stable => pointer_i.cmp(&pointer_j),
            SortOrder::Unstable => Ordering::Equal,
        })
    }

    fn swap_entries(&mut self, i: usize, j: usize) {
        let (page_i, offset_i) = self.entry_location(i);
        let (page_j, offset_j) = self.entry_location(j);
        let size = self.entry_size;
        if page_i == page_j {
            if offset_i != offset_j {
                self.index[page_i].swap_within(offset_i, offset_j, size);
            }
        } else {
            let (low, high) = (page_i.min(page_j), page_i.max(page_j));
            let (head, tail) = self.index.split_at_mut(high);
            let (first, second) = (&mut head[low], &mut tail[0]);
            let (low_offset, high_offset) = if page_i < page_j {
                (offset_i, offset_j)
            } else {
                (offset_j, offset_i)
            };
            first.swap_with(low_offset, second, high_offset, size);
        }
    }

    /// The records in index order (sorted after [`InMemorySorter::sort`]).
    pub fn iter(&self) -> SortedRecords<'_, S, C> {
        SortedRecords {
            sorter: self,
            next: 0,
        }
    }

    /// The record at index position `position` (the `position`-th smallest after
    /// [`InMemorySorter::sort`]), or `None` past the end.
    pub fn read_sorted(&self, position: usize) -> Option<Result<S::Value, WeirError>> {
        (position < self.len).then(|| self.records.read(&self.serializer, self.pointer(position)))
    }

    /// Writes the records in index order (sorted after [`InMemorySorter::sort`]) to `writer`,
    /// copying their serialized bytes without deserializing them.
    pub fn spill_to(&self, writer: &mut SpillWriter) -> Result<(), WeirError> {
        let mut scratch = Vec::new();
        let fixed_length = self.serializer.fixed_length();
        for i in 0..self.len {
            let (mut view, length) = self.records.reader_at(self.pointer(i))?;
            let length = match (length, fixed_length) {
                (Some(length), _) => length as usize,
                (None, Some(length)) => length,
                (None, None) => unreachable!("records without a fixed length carry a prefix"),
            };
            scratch.resize(length, 0);
            view.read_exact(&mut scratch)?;
            writer.write_serialized(&scratch)?;
        }
        Ok(())
    }

    /// Empties the sorter for the next run; it keeps its pages.
    pub fn reset(&mut self) {
        self.records.clear(&mut self.free);
        self.free.append(&mut self.index);
        self.len = 0;
    }

    /// Ends the sorter and returns all of its pages.
    pub fn into_pages(mut self) -> Vec<MemorySegment> {
        self.reset();
        self.free
    }
}

/// The sorter seen by [`quick_sort`]; the first deserialization error is kept and every later
/// comparison answers `Equal`, so the sort finishes quickly and the error is returned.
struct SortableIndex<'a, S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    sorter: &'a mut InMemorySorter<S, C>,
    error: Option<WeirError>,
}

impl<S, C> IndexedSortable for SortableIndex<'_, S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    #[inline]
    fn compare(&mut self, i: usize, j: usize) -> Ordering {
        if self.error.is_some() {
            return Ordering::Equal;
        }
        match self.sorter.compare_entries(i, j) {
            Ok(ordering) => ordering,
            Err(error) => {
                self.error = Some(error);
                Ordering::Equal
            }
        }
    }

    #[inline]
    fn swap(&mut self, i: usize, j: usize) {
        self.sorter.swap_entries(i, j);
    }
}

/// Iterates a sorter's records in index order, deserializing each.
#[derive(Debug)]
pub struct SortedRecords<'a, S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    sorter: &'a InMemorySorter<S, C>,
    next: usize,
}

impl<S, C> Iterator for SortedRecords<'_, S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    type Item = Result<S::Value, WeirError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next == self.sorter.len {
            return None;
        }
        let pointer = self.sorter.pointer(self.next);
        self.next += 1;
        Some(self.sorter.records.read(&self.sorter.serializer, pointer))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.sorter.len - self.next;
        (left, Some(left))
    }
}
