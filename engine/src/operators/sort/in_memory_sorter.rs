//! [`InMemorySorter`]: records serialized into pages and sorted through an index of normalized
//! key prefixes, without a heap object per record (Flink's `NormalizedKeySorter`).
//!
//! ```text
//!  index pages (sort_index.rs)                           record area (record_area.rs)
//!  +--------------------------------------------+       +------------------------------+
//!  | key prefix (8 or 24 B) | pointer u64 LE | …| ────▶ | len | serialized record | …    |
//!  +--------------------------------------------+       +------------------------------+
//!
//!  sort():  SortAlgorithm::Radix (the comparator writes a normalized key)
//!             radix_sort.rs: in-place MSD radix on the prefix bytes
//!               ├─ buckets < SMALL_BUCKET_ENTRIES ──▶ comparison sort of the bucket
//!               └─ runs sharing the whole prefix  ──▶ comparison sort of the run, on records
//!                                                     and/or pointers (none if neither needed)
//!           SortAlgorithm::Comparison (no normalized key)
//!             comparison sort of the whole index
//!
//!  comparison sort of a range: introsort (indexed_sort.rs) over entries by index until a
//!  range lies in one page; such a range is a `&mut [[u8; ENTRY]]` and goes to
//!  `slice::sort_unstable_by` when the order needs only entry bytes
//! ```
//!
//! Two entries compare by their prefix slots (one big-endian `u64` compare for prefixes of up
//! to 8 bytes, three for up to 24; the slot is zero past the key); only when the prefixes are equal and the comparator's
//! normalized key is not complete are the records deserialized and compared in full (the
//! second record of a comparison is kept, so the introsort's pivot and the entry an insertion
//! sort moves are deserialized once, not at each comparison). With [`SortOrder::Stable`],
//! remaining ties break on the record pointer, which grows with insertion order, so equal
//! records keep their input order whichever algorithm moved them.
//!
//! Index and records draw on one list of pages given at construction; [`InMemorySorter::write`]
//! returns `false` when they are used up (the caller sorts, spills and resets). The sorter
//! never holds more pages than it was given, and sorting needs none: the radix sort works in
//! place, with bucket tables on the stack (4 KiB per prefix byte of recursion).

use std::cmp::Ordering;

use weir_memory::{MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::record_area::{Appended, RecordArea};
use crate::operators::sort::indexed_sort::{IndexedSortable, quick_sort};
use crate::operators::sort::radix_sort::{RadixFinisher, radix_sort};
use crate::operators::sort::sort_index::{POINTER_BYTES, SortIndex};
use crate::operators::spill::SpillWriter;
use crate::types::{TypeComparator, TypeSerializer};

/// How many records ahead of the one being copied [`InMemorySorter::spill_to`] touches.
const TOUCH_AHEAD: usize = 8;

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

/// How [`InMemorySorter::sort_with`] orders the index. Both give the same result (up to the
/// order of equal keys under [`SortOrder::Unstable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortAlgorithm {
    /// In-place MSD radix sort on the key prefix, comparison sort for small buckets and ties.
    /// Without a prefix (the comparator writes no normalized key) this is
    /// [`SortAlgorithm::Comparison`].
    Radix,
    /// Introsort of the whole index by comparisons.
    Comparison,
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
    index: SortIndex,
    records: RecordArea,
    /// Bytes of normalized key the comparator writes (≤ the index's prefix slot).
    prefix_len: usize,
    prefix_is_complete: bool,
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
            index: SortIndex::new(page_size, prefix_slot),
            records,
            prefix_len,
            prefix_is_complete,
        })
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
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
    #[inline]
    pub fn write(&mut self, record: &S::Value) -> Result<bool, WeirError> {
        let took_index_page = self.index.is_full();
        if took_index_page {
            // The entry starts a new index page; keep one page for the record itself.
            if self.free.len() < 2 {
                return Ok(false);
            }
            let page = self.free.pop().expect("checked above");
            self.index.add_page(page);
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
        let (comparator, prefix_len) = (&self.comparator, self.prefix_len);
        self.index.push_with(pointer, |slot| match slot.len() {
            0 => {}
            8 => write_prefix::<8, _>(comparator, record, prefix_len, slot),
            MAX_PREFIX_BYTES => {
                write_prefix::<MAX_PREFIX_BYTES, _>(comparator, record, prefix_len, slot)
            }
            other => unreachable!("a prefix slot of {other} bytes"),
        });
        Ok(true)
    }

    fn give_back_index_page(&mut self, took_index_page: bool) {
        if took_index_page {
            let page = self.index.remove_empty_page();
            self.free.push(page);
        }
    }

    /// The algorithm [`InMemorySorter::sort`] uses: [`SortAlgorithm::Radix`] when the index has
    /// a key prefix, [`SortAlgorithm::Comparison`] otherwise.
    ///
    /// The radix sort hands inputs and buckets below [`crate::operators::sort::SMALL_BUCKET_ENTRIES`] to the comparison
    /// sort by itself, so no record count decides here: from 128 records up to 1M it was as fast
    /// or faster than the comparison sort on every shape measured (8-byte and 10-byte complete
    /// keys, string keys that tie on the prefix or not; `benches/benches/in_memory_sort.rs`).
    pub fn sort_algorithm(&self) -> SortAlgorithm {
        if self.prefix_len > 0 {
            SortAlgorithm::Radix
        } else {
            SortAlgorithm::Comparison
        }
    }

    /// Sorts the records written so far (with [`InMemorySorter::sort_algorithm`]).
    pub fn sort(&mut self) -> Result<(), WeirError> {
        self.sort_with(self.sort_algorithm())
    }

    /// Sorts the records written so far with `algorithm`. Both algorithms give the order of
    /// [`InMemorySorter::sort`] (under [`SortOrder::Unstable`], equal keys may come out in
    /// another order).
    pub fn sort_with(&mut self, algorithm: SortAlgorithm) -> Result<(), WeirError> {
        match self.index.entry_bytes() {
            8 => self.sort_entries::<8>(algorithm),
            16 => self.sort_entries::<16>(algorithm),
            32 => self.sort_entries::<32>(algorithm),
            other => unreachable!("index entries of {other} bytes"),
        }
    }

    fn sort_entries<const ENTRY: usize>(
        &mut self,
        algorithm: SortAlgorithm,
    ) -> Result<(), WeirError> {
        let mut order = EntryOrder::<ENTRY, S, C> {
            prefix_is_complete: self.prefix_is_complete,
            stable: self.order == SortOrder::Stable,
            records: &self.records,
            serializer: &self.serializer,
            comparator: &self.comparator,
            last_read: None,
            error: None,
        };
        let len = self.index.len();
        if algorithm == SortAlgorithm::Radix && self.prefix_len > 0 {
            radix_sort::<ENTRY>(&mut self.index, self.prefix_len, &mut order);
        } else if len > 1 {
            order.sort_range(&mut self.index, 0, len);
        }
        match order.error {
            Some(error) => Err(error),
            None => Ok(()),
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
        (position < self.len()).then(|| {
            self.records
                .read(&self.serializer, self.index.pointer(position))
        })
    }

    /// Writes the records in index order (sorted after [`InMemorySorter::sort`]) to `writer`,
    /// copying their serialized bytes without deserializing them.
    pub fn spill_to(&self, writer: &mut SpillWriter) -> Result<(), WeirError> {
        let mut scratch = Vec::new();
        let fixed_length = self.serializer.fixed_length();
        let mut touched = 0u8;
        for i in 0..self.index.len() {
            // Records come in sorted, so random, order: load a later one's first cache line
            // now, so that its miss overlaps with this copy.
            if i + TOUCH_AHEAD < self.index.len() {
                touched ^= self.records.touch(self.index.pointer(i + TOUCH_AHEAD));
            }
            let (mut view, length) = self.records.reader_at(self.index.pointer(i))?;
            let length = match (length, fixed_length) {
                (Some(length), _) => length as usize,
                (None, Some(length)) => length,
                (None, None) => unreachable!("records without a fixed length carry a prefix"),
            };
            scratch.resize(length, 0);
            view.read_exact(&mut scratch)?;
            writer.write_serialized(&scratch)?;
        }
        std::hint::black_box(touched);
        Ok(())
    }

    /// Empties the sorter for the next run; it keeps its pages.
    pub fn reset(&mut self) {
        self.records.clear(&mut self.free);
        self.index.clear(&mut self.free);
    }

    /// Ends the sorter and returns all of its pages.
    pub fn into_pages(mut self) -> Vec<MemorySegment> {
        self.reset();
        self.free
    }
}

/// Writes `record`'s normalized key prefix of `prefix_len` bytes into an index entry's prefix
/// slot of `SLOT` bytes, zeros past it (the slot holds what its page held before). `SLOT` is a
/// constant so that zeroing and (for a key filling the slot) writing are a few stores, not
/// `memset`/`memcpy` calls.
#[inline]
fn write_prefix<const SLOT: usize, C: TypeComparator>(
    comparator: &C,
    record: &C::Value,
    prefix_len: usize,
    slot: &mut [u8],
) {
    let slot: &mut [u8; SLOT] = slot.try_into().expect("a slot of SLOT bytes");
    if prefix_len == SLOT {
        comparator.write_normalized_key(record, slot);
    } else {
        *slot = [0; SLOT];
        comparator.write_normalized_key(record, &mut slot[..prefix_len]);
    }
}

/// The order of index entries of `ENTRY` bytes: prefix, then (incomplete prefixes) the records,
/// then (stable) the pointers. It keeps the first deserialization error; every later comparison
/// answers `Equal`, so the sort finishes quickly and the error is returned.
struct EntryOrder<'a, const ENTRY: usize, S: TypeSerializer, C> {
    prefix_is_complete: bool,
    stable: bool,
    records: &'a RecordArea,
    serializer: &'a S,
    comparator: &'a C,
    /// The record last read as the second operand of a comparison, by pointer.
    last_read: Option<(u64, S::Value)>,
    error: Option<WeirError>,
}

impl<const ENTRY: usize, S, C> EntryOrder<'_, ENTRY, S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    /// Whether entry bytes alone decide the order (no record is read), so the order is total
    /// and `slice::sort_unstable_by` may sort entries.
    #[inline]
    fn needs_no_records(&self) -> bool {
        self.prefix_is_complete
    }

    /// Compares the prefixes of two entries. The slot past the comparator's key is zeros in
    /// every entry, so comparing whole slots is comparing keys: one `u64` for 8-byte slots,
    /// three for 24-byte slots (no memcmp call).
    #[inline]
    fn compare_prefixes(a: &[u8; ENTRY], b: &[u8; ENTRY]) -> Ordering {
        match ENTRY {
            8 => Ordering::Equal,
            16 => prefix_word(a, 0).cmp(&prefix_word(b, 0)),
            _ => prefix_word(a, 0)
                .cmp(&prefix_word(b, 0))
                .then_with(|| prefix_word(a, 1).cmp(&prefix_word(b, 1)))
                .then_with(|| prefix_word(a, 2).cmp(&prefix_word(b, 2))),
        }
    }

    /// The order when entry bytes decide: prefix, then (stable) pointer.
    #[inline]
    fn compare_entry_bytes(a: &[u8; ENTRY], b: &[u8; ENTRY], stable: bool) -> Ordering {
        let by_prefix = Self::compare_prefixes(a, b);
        if by_prefix != Ordering::Equal || !stable {
            return by_prefix;
        }
        pointer(a).cmp(&pointer(b))
    }

    /// The full order of two entries.
    #[inline]
    fn compare(&mut self, a: &[u8; ENTRY], b: &[u8; ENTRY]) -> Ordering {
        let by_prefix = Self::compare_prefixes(a, b);
        if by_prefix != Ordering::Equal {
            return by_prefix;
        }
        let (pointer_a, pointer_b) = (pointer(a), pointer(b));
        if !self.prefix_is_complete {
            let by_record = self.compare_records(pointer_a, pointer_b);
            if by_record != Ordering::Equal {
                return by_record;
            }
        }
        if self.stable {
            pointer_a.cmp(&pointer_b)
        } else {
            Ordering::Equal
        }
    }

    fn compare_records(&mut self, pointer_a: u64, pointer_b: u64) -> Ordering {
        if self.error.is_some() {
            return Ordering::Equal;
        }
        if self.last_read.as_ref().map(|(pointer, _)| *pointer) != Some(pointer_b) {
            match self.records.read(self.serializer, pointer_b) {
                Ok(record) => self.last_read = Some((pointer_b, record)),
                Err(error) => {
                    self.error = Some(error);
                    return Ordering::Equal;
                }
            }
        }
        let record_a = match self.records.read(self.serializer, pointer_a) {
            Ok(record) => record,
            Err(error) => {
                self.error = Some(error);
                return Ordering::Equal;
            }
        };
        let (_, record_b) = self.last_read.as_ref().expect("read above");
        self.comparator.compare(&record_a, record_b)
    }

    /// Sorts entries `lo..hi` of `index`.
    fn sort_range(&mut self, index: &mut SortIndex, lo: usize, hi: usize) {
        if self.needs_no_records()
            && let Some(entries) = index.in_one_page_mut::<ENTRY>(lo, hi)
        {
            let stable = self.stable;
            entries.sort_unstable_by(|a, b| Self::compare_entry_bytes(a, b, stable));
            return;
        }
        let mut range = IndexRange {
            order: self,
            index,
            lo,
        };
        quick_sort(&mut range, hi - lo);
    }
}

impl<const ENTRY: usize, S, C> RadixFinisher for EntryOrder<'_, ENTRY, S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    fn sort_bucket(&mut self, index: &mut SortIndex, lo: usize, hi: usize) {
        self.sort_range(index, lo, hi);
    }

    fn sort_ties(&mut self, index: &mut SortIndex, lo: usize, hi: usize) {
        if self.prefix_is_complete && !self.stable {
            return; // equal prefixes are equal records, in any order
        }
        self.sort_range(index, lo, hi);
    }
}

/// Word `word` (bytes `8 × word..8 × word + 8`) of an entry's prefix, big-endian.
#[inline]
fn prefix_word<const ENTRY: usize>(entry: &[u8; ENTRY], word: usize) -> u64 {
    u64::from_be_bytes(entry[8 * word..8 * word + 8].try_into().expect("8 bytes"))
}

/// The record pointer at the end of an entry.
#[inline]
fn pointer<const ENTRY: usize>(entry: &[u8; ENTRY]) -> u64 {
    u64::from_le_bytes(entry[ENTRY - POINTER_BYTES..].try_into().expect("8 bytes"))
}

/// Entries `lo..` of an index seen by [`quick_sort`] as `0..`.
struct IndexRange<'a, 'b, const ENTRY: usize, S: TypeSerializer, C> {
    order: &'a mut EntryOrder<'b, ENTRY, S, C>,
    index: &'a mut SortIndex,
    lo: usize,
}

impl<const ENTRY: usize, S, C> IndexedSortable for IndexRange<'_, '_, ENTRY, S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    #[inline]
    fn compare(&mut self, i: usize, j: usize) -> Ordering {
        let a = *self.index.entry::<ENTRY>(self.lo + i);
        let b = *self.index.entry::<ENTRY>(self.lo + j);
        self.order.compare(&a, &b)
    }

    #[inline]
    fn swap(&mut self, i: usize, j: usize) {
        self.index.swap::<ENTRY>(self.lo + i, self.lo + j);
    }

    #[inline]
    fn sort_directly(&mut self, lo: usize, hi: usize) -> bool {
        if hi - lo < 2 {
            return true;
        }
        if !self.order.needs_no_records() {
            return false;
        }
        let Some(entries) = self
            .index
            .in_one_page_mut::<ENTRY>(self.lo + lo, self.lo + hi)
        else {
            return false;
        };
        let stable = self.order.stable;
        entries
            .sort_unstable_by(|a, b| EntryOrder::<ENTRY, S, C>::compare_entry_bytes(a, b, stable));
        true
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
        if self.next == self.sorter.len() {
            return None;
        }
        let pointer = self.sorter.index.pointer(self.next);
        self.next += 1;
        Some(self.sorter.records.read(&self.sorter.serializer, pointer))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.sorter.len() - self.next;
        (left, Some(left))
    }
}
