//! [`SortIndex`]: the in-memory sorter's index, fixed-size (normalized key prefix, record
//! pointer) entries in pages. Sorting moves these entries, never the records.
//!
//! ```text
//!  entry (ENTRY bytes, a power of two)          page (entries never straddle a page)
//!  +-----------------------+----------------+   +-------+-------+-------+-----+-------+
//!  | key prefix, big-endian| pointer u64 LE |   | e[0]  | e[1]  | e[2]  |  …  | e[k-1]|
//!  | 0, 8 or 24 bytes      | (RecordArea)   |   +-------+-------+-------+-----+-------+
//!  +-----------------------+----------------+    k = page bytes / ENTRY
//!
//!  prefix slot  entry     entry i lives in page i >> s at slot i & (k - 1), s = log2 k
//!   0 bytes      8 B      (no normalized key: every comparison reads the records)
//!   8 bytes     16 B      (keys of up to 8 bytes: one u64 compare)
//!  24 bytes     32 B      (keys of 9 to 24 bytes: a memcmp)
//! ```
//!
//! The prefix holds the comparator's normalized key bytes (zero-padded to the slot), so memcmp
//! order of prefixes agrees with the comparator, and byte `d` of the prefix is the radix sort's
//! digit at depth `d`. The pointer is always the entry's last 8 bytes.
//!
//! Entries are read and written as `[u8; ENTRY]` arrays (`ENTRY` a const generic the sorter
//! picks once per sort), and a range of entries inside one page is a `&mut [[u8; ENTRY]]`
//! slice, which the standard library's sort can work on directly.

use weir_memory::{MemorySegment, PageSize};

/// Bytes of the record pointer at the end of every entry.
pub(crate) const POINTER_BYTES: usize = 8;

/// Index entries in pages. See the module docs.
#[derive(Debug)]
pub(crate) struct SortIndex {
    pages: Vec<MemorySegment>,
    /// Bytes reserved for the key prefix in an entry: 0, 8 or 24.
    prefix_slot_bytes: usize,
    entry_bytes: usize,
    entries_per_page_shift: u32,
    len: usize,
}

impl SortIndex {
    /// An empty index of entries with a `prefix_slot_bytes` prefix (0, 8 or 24), for pages of
    /// `page_size`. It holds no page until [`SortIndex::add_page`].
    pub(crate) fn new(page_size: PageSize, prefix_slot_bytes: usize) -> SortIndex {
        assert!(
            matches!(prefix_slot_bytes, 0 | 8 | 24),
            "prefix slot of {prefix_slot_bytes} bytes"
        );
        let entry_bytes = (prefix_slot_bytes + POINTER_BYTES).next_power_of_two();
        let entries_per_page = page_size.bytes() / entry_bytes;
        SortIndex {
            pages: Vec::new(),
            prefix_slot_bytes,
            entry_bytes,
            entries_per_page_shift: entries_per_page.trailing_zeros(),
            len: 0,
        }
    }

    /// Entries held.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes of one entry: 8, 16 or 32.
    #[inline]
    pub(crate) fn entry_bytes(&self) -> usize {
        self.entry_bytes
    }

    #[inline]
    pub(crate) fn prefix_slot_bytes(&self) -> usize {
        self.prefix_slot_bytes
    }

    /// Whether the next entry needs a page the index does not hold yet.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.len >> self.entries_per_page_shift == self.pages.len()
    }

    /// Gives the index one more page for entries.
    pub(crate) fn add_page(&mut self, page: MemorySegment) {
        self.pages.push(page);
    }

    /// Takes back the last page, which must hold no entry.
    pub(crate) fn remove_empty_page(&mut self) -> MemorySegment {
        assert!(
            self.len <= (self.pages.len() - 1) << self.entries_per_page_shift,
            "the last index page holds entries"
        );
        self.pages.pop().expect("an index page to remove")
    }

    /// Appends an entry; `prefix` is exactly the prefix slot, and the index must not be full.
    #[cfg(test)]
    pub(crate) fn push(&mut self, prefix: &[u8], pointer: u64) {
        debug_assert_eq!(prefix.len(), self.prefix_slot_bytes);
        self.push_with(pointer, |slot| slot.copy_from_slice(prefix));
    }

    /// Appends an entry whose prefix slot `write_prefix` fills in place (the slot holds
    /// whatever the page held before; `write_prefix` must write all of it). The index must not
    /// be full.
    #[inline]
    pub(crate) fn push_with(&mut self, pointer: u64, write_prefix: impl FnOnce(&mut [u8])) {
        let (page, offset) = self.location(self.len);
        let entry = &mut self.pages[page].as_mut_slice()[offset..offset + self.entry_bytes];
        let (prefix, pointer_bytes) = entry.split_at_mut(self.prefix_slot_bytes);
        write_prefix(prefix);
        pointer_bytes[..POINTER_BYTES].copy_from_slice(&pointer.to_le_bytes());
        self.len += 1;
    }

    /// The record pointer of entry `i`.
    #[inline]
    pub(crate) fn pointer(&self, i: usize) -> u64 {
        let (page, offset) = self.location(i);
        self.pages[page].get_u64_le(offset + self.entry_bytes - POINTER_BYTES)
    }

    /// (page, byte offset) of entry `i`.
    #[inline]
    fn location(&self, i: usize) -> (usize, usize) {
        let mask = (1usize << self.entries_per_page_shift) - 1;
        (
            i >> self.entries_per_page_shift,
            (i & mask) * self.entry_bytes,
        )
    }

    /// (page, slot in page) of entry `i`.
    #[inline]
    fn slot(&self, i: usize) -> (usize, usize) {
        let mask = (1usize << self.entries_per_page_shift) - 1;
        (i >> self.entries_per_page_shift, i & mask)
    }

    /// Entry `i` (`ENTRY` must be [`SortIndex::entry_bytes`]).
    #[inline]
    pub(crate) fn entry<const ENTRY: usize>(&self, i: usize) -> &[u8; ENTRY] {
        debug_assert_eq!(ENTRY, self.entry_bytes);
        let (page, slot) = self.slot(i);
        &self.pages[page].as_slice().as_chunks::<ENTRY>().0[slot]
    }

    /// Entry `i`, to overwrite.
    #[inline]
    pub(crate) fn entry_mut<const ENTRY: usize>(&mut self, i: usize) -> &mut [u8; ENTRY] {
        debug_assert_eq!(ENTRY, self.entry_bytes);
        let (page, slot) = self.slot(i);
        &mut self.pages[page].as_mut_slice().as_chunks_mut::<ENTRY>().0[slot]
    }

    /// Swaps entries `i` and `j`.
    #[inline]
    pub(crate) fn swap<const ENTRY: usize>(&mut self, i: usize, j: usize) {
        let held = *self.entry::<ENTRY>(i);
        *self.entry_mut::<ENTRY>(i) = *self.entry::<ENTRY>(j);
        *self.entry_mut::<ENTRY>(j) = held;
    }

    /// Entries `lo..hi` as one slice when they lie in one page, `None` when they straddle pages.
    #[inline]
    pub(crate) fn in_one_page_mut<const ENTRY: usize>(
        &mut self,
        lo: usize,
        hi: usize,
    ) -> Option<&mut [[u8; ENTRY]]> {
        debug_assert!(lo < hi && hi <= self.len);
        let (first_page, first_slot) = self.slot(lo);
        let (last_page, last_slot) = self.slot(hi - 1);
        if first_page != last_page {
            return None;
        }
        let entries = self.pages[first_page]
            .as_mut_slice()
            .as_chunks_mut::<ENTRY>()
            .0;
        Some(&mut entries[first_slot..=last_slot])
    }

    /// Calls `visit` with entries `lo..hi`, one slice per page they touch, in order.
    pub(crate) fn for_each_page_run<const ENTRY: usize>(
        &self,
        lo: usize,
        hi: usize,
        mut visit: impl FnMut(&[[u8; ENTRY]]),
    ) {
        let mut i = lo;
        while i < hi {
            let (page, slot) = self.slot(i);
            let entries = self.pages[page].as_slice().as_chunks::<ENTRY>().0;
            let end_slot = entries.len().min(slot + (hi - i));
            visit(&entries[slot..end_slot]);
            i += end_slot - slot;
        }
    }

    /// Empties the index, giving its pages to `free`.
    pub(crate) fn clear(&mut self, free: &mut Vec<MemorySegment>) {
        free.append(&mut self.pages);
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_with(prefix_slot_bytes: usize, keys: impl IntoIterator<Item = u8>) -> SortIndex {
        let page_size = PageSize::new(4096).unwrap();
        let mut index = SortIndex::new(page_size, prefix_slot_bytes);
        for (pointer, key) in keys.into_iter().enumerate() {
            if index.is_full() {
                index.add_page(MemorySegment::allocate_unpooled(page_size).unwrap());
            }
            let mut prefix = vec![0u8; prefix_slot_bytes];
            if let Some(first) = prefix.first_mut() {
                *first = key;
            }
            index.push(&prefix, pointer as u64);
        }
        index
    }

    #[test]
    fn entries_fill_pages_and_keep_their_pointers() {
        // 4 KiB pages of 16-byte entries: 256 per page, so 600 entries take 3 pages.
        let mut index = index_with(8, (0..600).map(|i| (i % 251) as u8));
        assert_eq!(index.entry_bytes(), 16);
        assert_eq!(index.pages.len(), 3);
        assert_eq!(index.len(), 600);
        assert_eq!(index.pointer(599), 599);
        assert_eq!(index.entry::<16>(300)[0], (300 % 251) as u8);
        index.swap::<16>(1, 599);
        assert_eq!((index.pointer(1), index.pointer(599)), (599, 1));
        assert!(index.in_one_page_mut::<16>(250, 260).is_none());
        assert_eq!(index.in_one_page_mut::<16>(256, 512).unwrap().len(), 256);
        let mut runs = Vec::new();
        index.for_each_page_run::<16>(200, 600, |run| runs.push(run.len()));
        assert_eq!(runs, [56, 256, 88]);
        let mut free = Vec::new();
        index.clear(&mut free);
        assert_eq!((index.len(), free.len()), (0, 3));
    }

    #[test]
    fn entry_sizes_follow_the_prefix_slot() {
        for (slot, entry) in [(0, 8), (8, 16), (24, 32)] {
            let index = index_with(slot, 0..3);
            assert_eq!(index.entry_bytes(), entry);
            assert_eq!(index.pointer(2), 2);
        }
    }

    #[test]
    fn an_empty_last_page_can_be_taken_back() {
        let mut index = index_with(8, 0..=255);
        assert!(index.is_full());
        index.add_page(MemorySegment::allocate_unpooled(PageSize::new(4096).unwrap()).unwrap());
        assert!(!index.is_full());
        index.remove_empty_page();
        assert!(index.is_full());
    }
}
