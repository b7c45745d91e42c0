//! [`HashIndex`]: an open-addressing table in pages from key hashes to record locations, with a
//! "matched" bit per record for outer joins (Flink's `MutableHashTable` buckets play this role).
//!
//! ```text
//!   slot s (16 bytes) in page s >> k, offset (s & (2^k - 1)) × 16, 2^k = page bytes / 16
//!   +--------------------------------+-----------------------------------------+
//!   | location + 1: u64 LE (0 empty) | matched (bit 63) | key hash (bits 0..62) |
//!   +--------------------------------+-----------------------------------------+
//!   location = partition << 56 | record pointer in the partition's RecordArea
//! ```
//!
//! The slot count is a power of two at least 4/3 of the records (load ≤ 0.75) and at least
//! one page's worth, so a search always ends at an empty slot. A search starts at
//! `hash & (slots - 1)` and walks forward (linear probing); slots with another hash are
//! skipped without touching the record, equal hashes are confirmed by comparing keys. The
//! matched bit is set when a probe record joins with the slot's record; a build-side outer
//! join walks all slots at the end and emits the records whose bit is clear.

use weir_memory::{MemorySegment, PageSize};

/// Bytes of one slot.
pub const SLOT_BYTES: usize = 16;
/// Hash bits stored and compared: key hashes are masked to these before any use.
pub const HASH_MASK: u64 = u64::MAX >> 1;
const MATCHED_BIT: u64 = 1 << 63;
/// Bits of a record pointer in a location; the partition number sits above them.
pub const POINTER_BITS: u32 = 56;

/// Slots for `records` records on pages of `page_size`.
pub fn slot_count(records: usize, page_size: PageSize) -> usize {
    let wanted = (records + records / 3 + 1).next_power_of_two();
    wanted.max(page_size.bytes() / SLOT_BYTES)
}

/// Pages an index of `records` records takes.
pub fn index_pages(records: usize, page_size: PageSize) -> usize {
    (slot_count(records, page_size) * SLOT_BYTES).div_ceil(page_size.bytes())
}

/// The location word of a record.
#[inline]
pub fn location(partition: usize, pointer: u64) -> u64 {
    debug_assert!(pointer < 1 << POINTER_BITS);
    ((partition as u64) << POINTER_BITS) | pointer
}

/// (partition, pointer) of a location word.
#[inline]
pub fn split_location(location: u64) -> (usize, u64) {
    (
        (location >> POINTER_BITS) as usize,
        location & ((1 << POINTER_BITS) - 1),
    )
}

/// One occupied slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub location: u64,
    pub hash: u64,
    pub matched: bool,
}

/// An open-addressing hash table in pages. See the module docs.
#[derive(Debug)]
pub struct HashIndex {
    pages: Vec<MemorySegment>,
    slots_per_page_shift: u32,
    slot_mask: usize,
    len: usize,
}

impl HashIndex {
    /// An empty index for `records` records over exactly [`index_pages`] pages.
    pub fn new(mut pages: Vec<MemorySegment>, records: usize) -> HashIndex {
        let page_size = PageSize::new(pages[0].size()).expect("pages have a valid size");
        let slots = slot_count(records, page_size);
        assert_eq!(
            pages.len(),
            index_pages(records, page_size),
            "index page count"
        );
        for page in &mut pages {
            page.fill(0, page_size.bytes(), 0);
        }
        HashIndex {
            pages,
            slots_per_page_shift: (page_size.bytes() / SLOT_BYTES).trailing_zeros(),
            slot_mask: slots - 1,
            len: 0,
        }
    }

    /// Slots in the table.
    pub fn slots(&self) -> usize {
        self.slot_mask + 1
    }

    #[inline]
    fn place(&self, slot: usize) -> (usize, usize) {
        (
            slot >> self.slots_per_page_shift,
            (slot & ((1 << self.slots_per_page_shift) - 1)) * SLOT_BYTES,
        )
    }

    /// The slot a search for `hash` starts at.
    #[inline]
    pub fn home_slot(&self, hash: u64) -> usize {
        hash as usize & self.slot_mask
    }

    /// The slot after `slot` (wrapping).
    #[inline]
    pub fn next_slot(&self, slot: usize) -> usize {
        (slot + 1) & self.slot_mask
    }

    /// The entry in `slot`, `None` when it is empty.
    #[inline]
    pub fn entry(&self, slot: usize) -> Option<IndexEntry> {
        let (page, offset) = self.place(slot);
        let word = self.pages[page].get_u64_le(offset);
        if word == 0 {
            return None;
        }
        let hash_word = self.pages[page].get_u64_le(offset + 8);
        Some(IndexEntry {
            location: word - 1,
            hash: hash_word & HASH_MASK,
            matched: hash_word & MATCHED_BIT != 0,
        })
    }

    /// Adds a record of `hash` (masked with [`HASH_MASK`]) at `location`.
    pub fn insert(&mut self, hash: u64, location: u64) {
        assert!(
            self.len < self.slot_mask,
            "the index was sized for fewer records"
        );
        let mut slot = self.home_slot(hash);
        loop {
            let (page, offset) = self.place(slot);
            if self.pages[page].get_u64_le(offset) == 0 {
                self.pages[page].put_u64_le(offset, location + 1);
                self.pages[page].put_u64_le(offset + 8, hash & HASH_MASK);
                self.len += 1;
                return;
            }
            slot = self.next_slot(slot);
        }
    }

    /// Sets the matched bit of the record in `slot`.
    #[inline]
    pub fn mark_matched(&mut self, slot: usize) {
        let (page, offset) = self.place(slot);
        let word = self.pages[page].get_u64_le(offset + 8);
        self.pages[page].put_u64_le(offset + 8, word | MATCHED_BIT);
    }

    /// Ends the index and returns its pages.
    pub fn into_pages(self) -> Vec<MemorySegment> {
        self.pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_memory::{ByteSize, MemoryManager};

    #[test]
    fn finds_every_record_and_keeps_matched_bits() {
        let page_size = PageSize::new(4096).unwrap();
        let manager = MemoryManager::new(ByteSize::kib(256), page_size).unwrap();
        let records = 3000;
        let pages = manager
            .reservation("index")
            .allocate_pages(index_pages(records, page_size))
            .unwrap();
        let mut index = HashIndex::new(pages, records);
        assert!(index.slots() * 3 >= records * 4);
        // Few distinct hashes: long probe sequences with equal hashes.
        let hash = |i: usize| ((i % 700) as u64 * 0x9E37_79B9) & HASH_MASK;
        for i in 0..records {
            index.insert(hash(i), location(i % 5, i as u64 * 8));
        }
        for i in (0..records).step_by(7) {
            let mut slot = index.home_slot(hash(i));
            let mut found = None;
            while let Some(entry) = index.entry(slot) {
                if entry.hash == hash(i) && entry.location == location(i % 5, i as u64 * 8) {
                    found = Some(slot);
                }
                slot = index.next_slot(slot);
            }
            let slot = found.expect("every inserted record is found");
            index.mark_matched(slot);
        }
        let matched = (0..index.slots())
            .filter_map(|slot| index.entry(slot))
            .filter(|entry| entry.matched)
            .count();
        assert_eq!(matched, records.div_ceil(7));
        assert_eq!(split_location(location(3, 77)), (3, 77));
        assert_eq!(index.into_pages().len(), index_pages(records, page_size));
    }
}
