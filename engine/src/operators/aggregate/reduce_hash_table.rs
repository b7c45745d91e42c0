//! [`ReduceHashTable`]: one level of hash aggregation: records folded per key in pages, with
//! hash partitions that spill when the pages run out (Flink's `ReduceHashTable` with the
//! partition spilling of its hybrid hash join), indexed by an open-addressing slot table that
//! grows with the data.
//!
//! ```text
//!   hash = key_comparator.hash(key, seed = level)          (64 bits)
//!   partition = (hash >> 32) mod F        h = hash as u32 (stored in the entry)
//!   home slot = (h × S) >> 32  (S slots)  tag = h & 0xFF (stored in the slot)
//!
//!   slot pages (u64 LE slots, linear probing)      partition p's pages (table_partition.rs)
//!   +------+------+------+------+------+---      +-------------------------------------+
//!   |  ∅   | slot | slot |  ∅   | slot | …       | [h|len|record] [h|len|record] …     |
//!   +------+--│---+------+------+--│---+---      +--▲----------------▲-----------------+
//!             └────────────────────┼──────────────┘                │
//!                                  └───────────────────────────────┘
//!   slot = tag << 56 | displacement << 48 | partition << 43 | address in the partition
//!   displacement = slots from the home slot, 255 = 255 or more (then read the stored hash)
//!   ∅ = u64::MAX, tombstone = u64::MAX − 1
//! ```
//!
//! # Insert
//! Probe from the home slot until an empty slot. A slot whose tag and partition match points at
//! an entry; when the entry's stored 32-bit hash matches too, the stored record is deserialized
//! and the keys compared. Slots that do not match are ruled out without touching their entry,
//! so a probe costs about one cache miss for the slot and one for the matching entry. On a key
//! match the stored record is replaced by `reduce(stored, record)`:
//!
//! - fixed-length serializers: serialized over the old bytes, always in place;
//! - variable length: the new version is appended; when it has the old length its bytes are
//!   copied over the old ones and the append is rolled back, otherwise the old entry is marked
//!   dead and the slot points at the new one. Dead entries are reclaimed when their partition
//!   spills (only live entries are written) or the table ends; there is no compaction.
//!
//! Without a match the record is appended to its partition and takes the first slot of its
//! probe that is empty, a tombstone or stale (see below).
//!
//! # Growth
//! The slot table starts at one page and grows when 3/4 of its slots are taken: it takes more
//! pages from the free pages (doubling at most, and no more than balances slots against the
//! entries the remaining pages can hold at 3/4 load), then rebuilds every slot from a
//! sequential walk over the in-memory entries and their stored hashes. It never takes pages
//! another partition needs for its spill writer: slot pages stay at most `total − 2F`. When it
//! cannot grow, it fills up to 7/8 and then spills the in-memory partition holding the most
//! pages, exactly as when an entry finds no page. A table for a spilled run is presized
//! ([`ReduceHashTable::presize_for`] its record count) the same way, without the rebuilds.
//!
//! # Spilling
//! When a partition needs a page and none is free, the in-memory partition holding the most
//! pages spills: its live records (already folded) go to a new [`SpillWriter`] and its pages
//! are freed. Its slots stay behind as stale slots: nothing looks them up again (every later
//! record of the partition goes to the spill file before a slot is read, and other partitions'
//! probes never match their partition bits); new entries reuse them, and a clean-up drops
//! them. A clean-up (when stale slots and tombstones reach 1/16 of the occupied slots at 7/8
//! load, or 1/4 at 3/4) is one sequential sweep over the slot table that empties them and
//! re-places every live slot from its home, known from its displacement field: no entry page
//! is read and no slot is written far from where it was, unlike a rebuild from the entries.
//! From then on every record of that partition is written to its spill file as it comes,
//! unfolded. One page is always held in reserve for the next spill writer; with
//! `F ≤ (pages − slot pages) / 2` the reserve is there until every partition has spilled. A
//! record that does not fit even when its partition is the only one in memory spills its
//! partition and goes to disk, so records of any size pass through.
//!
//! An update that needs a page it cannot get (a variable-length record that grew) unlinks the
//! old version first (its slot becomes a tombstone), so a spill never writes both versions of a
//! key.
//!
//! At the end, [`ReduceHashTable::emit_in_memory`] hands out every live record of the
//! partitions that never spilled, and [`ReduceHashTable::close`] returns the spilled runs (one
//! per spilled partition, to be aggregated one level deeper) and all pages.

use std::cmp::Ordering;
use std::sync::Arc;

use weir_memory::{IoManager, MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::aggregate::table_partition::{EntryLayout, TablePartition};
use crate::operators::spill::{SpillWriter, SpilledRun};
use crate::types::{TypeComparator, TypeSerializer};

/// The fewest pages a table works with: one slot page, two partitions, each able to own a
/// spill writer page, and one page for records.
pub const MIN_TABLE_PAGES: usize = 5;

/// The most hash partitions of one level.
pub const MAX_PARTITIONS: usize = 32;

/// The record length assumed for a variable-length serializer before any entry is stored.
const ASSUMED_RECORD_BYTES: usize = 32;

const SLOT_BYTES: usize = 8;
const EMPTY: u64 = u64::MAX;
const TOMBSTONE: u64 = u64::MAX - 1;
const TAG_SHIFT: u32 = 56;
const DISPLACEMENT_SHIFT: u32 = 48;
const PARTITION_SHIFT: u32 = 43;
const ADDRESS_MASK: u64 = (1 << PARTITION_SHIFT) - 1;
/// The displacement bits of a slot: how far it lies from its home slot, saturated.
const DISPLACEMENT_MASK: u64 = 0xFF << DISPLACEMENT_SHIFT;
/// The displacement field's value for "this far or farther": the home slot then comes from
/// the entry's stored hash.
const SATURATED_DISPLACEMENT: usize = 0xFF;
/// The tag and partition bits of a slot.
const PREFIX_MASK: u64 = !(ADDRESS_MASK | DISPLACEMENT_MASK);
const _: () = assert!(MAX_PARTITIONS <= 1 << (DISPLACEMENT_SHIFT - PARTITION_SHIFT));

/// The functions that define an aggregation: a key per record, how keys hash and compare, and
/// how two records of one key fold into one.
#[derive(Clone)]
pub struct Aggregation<S, KC, KF, R> {
    pub serializer: S,
    pub key_comparator: KC,
    pub key_selector: KF,
    pub reduce: R,
}

/// One level of hash aggregation. See the module docs.
pub struct ReduceHashTable<S, KC, KF, R> {
    aggregation: Aggregation<S, KC, KF, R>,
    io: Arc<IoManager>,
    seed: u64,
    total_pages: usize,
    layout: EntryLayout,
    slots: Vec<MemorySegment>,
    slot_count: usize,
    slots_per_page_shift: u32,
    /// Slots that are not empty: live, stale or tombstones.
    occupied_slots: usize,
    /// Slots pointing at a live entry of an in-memory partition.
    indexed_slots: usize,
    partitions: Vec<TablePartition>,
    partition_mask: usize,
    /// Bit `p` set: partition `p` has spilled.
    spilled_mask: u64,
    /// The spill writer of each partition that has spilled.
    spills: Vec<Option<SpillWriter>>,
    free: Vec<MemorySegment>,
    /// The page of the next spill writer.
    reserve: Option<MemorySegment>,
    scratch: Vec<u8>,
    peak_pages_used: usize,
    /// No growth is tried while fewer slots than this are occupied: a refusal for want of
    /// pages holds until a spill frees some (`usize::MAX`), one for the balance with the
    /// entries is looked at again after 1/64 of the slots more.
    next_growth_check: usize,
    #[cfg(test)]
    test_calls: u64,
}

impl<S, KC, KF, R> ReduceHashTable<S, KC, KF, R>
where
    S: TypeSerializer,
    KC: TypeComparator,
    KF: Fn(&S::Value) -> KC::Value,
    R: Fn(S::Value, S::Value) -> Result<S::Value, WeirError>,
{
    /// A table hashing with `seed`, in `pages` (at least [`MIN_TABLE_PAGES`], one size).
    pub fn new(
        aggregation: Aggregation<S, KC, KF, R>,
        seed: u64,
        mut pages: Vec<MemorySegment>,
        io: Arc<IoManager>,
    ) -> Result<ReduceHashTable<S, KC, KF, R>, WeirError> {
        let total_pages = pages.len();
        if total_pages < MIN_TABLE_PAGES {
            return Err(WeirError::TooFewPages {
                operator: "hash aggregation table",
                given: total_pages,
                required: MIN_TABLE_PAGES,
            });
        }
        let page_size = PageSize::new(pages[0].size())?.bytes();
        // Addresses of a partition fit the slot's address bits (8 TiB: more than any budget).
        assert!(
            (total_pages as u64) * (page_size as u64) < ADDRESS_MASK,
            "a hash aggregation table of {total_pages} pages of {page_size} bytes"
        );
        let layout = EntryLayout {
            page_size,
            page_shift: page_size.trailing_zeros(),
            fixed_length: aggregation.serializer.fixed_length(),
        };
        let partition_count = partitions_for(total_pages - 1);
        let mut slots = pages.split_off(total_pages - 1);
        slots[0].fill(0, page_size, 0xFF);
        let slots_per_page = page_size / SLOT_BYTES;
        let reserve = pages.pop();
        Ok(ReduceHashTable {
            aggregation,
            io,
            seed,
            total_pages,
            layout,
            slots,
            slot_count: slots_per_page,
            slots_per_page_shift: slots_per_page.trailing_zeros(),
            occupied_slots: 0,
            indexed_slots: 0,
            partitions: (0..partition_count)
                .map(|_| TablePartition::new(layout))
                .collect(),
            partition_mask: partition_count - 1,
            spilled_mask: 0,
            spills: (0..partition_count).map(|_| None).collect(),
            free: pages,
            reserve,
            scratch: Vec::new(),
            peak_pages_used: 1,
            next_growth_check: 0,
            #[cfg(test)]
            test_calls: 0,
        })
    }

    #[cfg(test)]
    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }

    /// Spills the largest in-memory partition now and then (every 1024th call), as running
    /// out of pages would.
    #[cfg(test)]
    fn spill_partition_for_test(&mut self) {
        self.test_calls += 1;
        if self.test_calls.is_multiple_of(1024)
            && self.reserve.is_some()
            && let Some(victim) = self.largest_in_memory_partition()
        {
            self.spill_partition(victim).unwrap();
        }
    }

    /// Checks the slot table against the entries: every live entry of an in-memory partition
    /// has exactly one slot, reached by probing from its home without an empty slot on the
    /// way, with its displacement field right; the counters match.
    #[cfg(test)]
    fn check_slots(&self) {
        let mut occupied = 0;
        let mut pointed = std::collections::HashSet::new();
        for index in 0..self.slot_count {
            let slot = self.slot(index);
            if slot == EMPTY {
                continue;
            }
            occupied += 1;
            let partition = ((slot >> PARTITION_SHIFT) as usize) & self.partition_mask;
            if slot == TOMBSTONE || self.is_spilled(partition) {
                continue;
            }
            let address = slot & ADDRESS_MASK;
            let header = self.partitions[partition].header(address);
            assert!(!header.dead, "slot {index} points at a dead entry");
            assert_eq!(slot & PREFIX_MASK, slot_prefix(header.hash, partition));
            let home = self.home_slot(header.hash);
            let displacement = ((slot & DISPLACEMENT_MASK) >> DISPLACEMENT_SHIFT) as usize;
            assert_eq!(
                displacement,
                self.distance(home, index).min(SATURATED_DISPLACEMENT),
                "displacement of slot {index}"
            );
            assert_eq!(self.home_of(slot, index), home);
            let mut probe = home;
            while probe != index {
                assert_ne!(
                    self.slot(probe),
                    EMPTY,
                    "empty slot {probe} before slot {index}"
                );
                probe = self.next_slot(probe);
            }
            assert!(
                pointed.insert((partition, address)),
                "two slots for one entry"
            );
        }
        assert_eq!(occupied, self.occupied_slots);
        assert_eq!(pointed.len(), self.indexed_slots);
        let live: u64 = (0..self.partitions.len())
            .filter(|&p| !self.is_spilled(p))
            .map(|p| self.partitions[p].live_entries)
            .sum();
        assert_eq!(live as usize, self.indexed_slots);
    }

    #[cfg(test)]
    pub fn slot_pages(&self) -> usize {
        self.slots.len()
    }

    /// Partitions that have spilled.
    pub fn spilled_partitions(&self) -> usize {
        self.spilled_mask.count_ones() as usize
    }

    /// The most pages that held slots, records or spill buffers at one time.
    pub fn peak_pages_used(&self) -> usize {
        self.peak_pages_used
    }

    fn note_pages_used(&mut self) {
        let used = self.total_pages - self.free.len() - usize::from(self.reserve.is_some());
        self.peak_pages_used = self.peak_pages_used.max(used);
    }

    #[inline]
    fn is_spilled(&self, partition: usize) -> bool {
        self.spilled_mask & (1 << partition) != 0
    }

    #[inline]
    fn home_slot(&self, hash: u32) -> usize {
        ((u64::from(hash) * self.slot_count as u64) >> 32) as usize
    }

    #[inline]
    fn next_slot(&self, index: usize) -> usize {
        if index + 1 == self.slot_count {
            0
        } else {
            index + 1
        }
    }

    #[inline]
    fn slot_location(&self, index: usize) -> (usize, usize) {
        let mask = (1usize << self.slots_per_page_shift) - 1;
        (
            index >> self.slots_per_page_shift,
            (index & mask) * SLOT_BYTES,
        )
    }

    #[inline]
    fn slot(&self, index: usize) -> u64 {
        let (page, offset) = self.slot_location(index);
        self.slots[page].get_u64_le(offset)
    }

    #[inline]
    fn set_slot(&mut self, index: usize, slot: u64) {
        let (page, offset) = self.slot_location(index);
        self.slots[page].put_u64_le(offset, slot);
    }

    /// `slot` (without displacement) as stored at `index` for an entry whose home is `home`.
    #[inline]
    fn with_displacement(&self, slot: u64, home: usize, index: usize) -> u64 {
        let displacement = self.distance(home, index).min(SATURATED_DISPLACEMENT);
        (slot & !DISPLACEMENT_MASK) | (displacement as u64) << DISPLACEMENT_SHIFT
    }

    /// Slots from `from` forward to `to`, wrapping around.
    #[inline]
    fn distance(&self, from: usize, to: usize) -> usize {
        if to >= from {
            to - from
        } else {
            to + self.slot_count - from
        }
    }

    /// The home slot of the live entry whose slot lies at `index`: from the displacement field,
    /// or from the entry's stored hash when the field is saturated.
    #[inline]
    fn home_of(&self, slot: u64, index: usize) -> usize {
        let displacement = ((slot & DISPLACEMENT_MASK) >> DISPLACEMENT_SHIFT) as usize;
        if displacement < SATURATED_DISPLACEMENT {
            return if index >= displacement {
                index - displacement
            } else {
                index + self.slot_count - displacement
            };
        }
        let partition = ((slot >> PARTITION_SHIFT) as usize) & self.partition_mask;
        self.home_slot(self.partitions[partition].header(slot & ADDRESS_MASK).hash)
    }

    /// Empties the stale slots (of spilled partitions) and the tombstones in one sequential
    /// sweep over the slot table, re-placing each live slot by linear probing from its home
    /// (known from its displacement field), so no entry page is read and no probe leaves the
    /// slots just swept.
    ///
    /// The sweep starts after an empty slot, so it meets every cluster (run of non-empty
    /// slots) from its first slot. Each live slot is taken out and put back in the first
    /// empty slot from its home: that is at or before where it was, within its cluster, and
    /// the slots of the cluster behind it are still as before, so re-placing the slots of a
    /// cluster in their order rebuilds a valid probe sequence for each.
    fn purge_stale_slots(&mut self) {
        let Some(start) = (0..self.slot_count).find(|&index| self.slot(index) == EMPTY) else {
            self.rebuild_slots(0);
            return;
        };
        let mut index = start;
        for _ in 0..self.slot_count {
            index = self.next_slot(index);
            let slot = self.slot(index);
            if slot == EMPTY {
                continue;
            }
            self.set_slot(index, EMPTY);
            let partition = ((slot >> PARTITION_SHIFT) as usize) & self.partition_mask;
            if slot == TOMBSTONE || self.is_spilled(partition) {
                self.occupied_slots -= 1;
                continue;
            }
            let home = self.home_of(slot, index);
            let mut target = home;
            while self.slot(target) != EMPTY {
                target = self.next_slot(target);
            }
            let slot = self.with_displacement(slot, home, target);
            self.set_slot(target, slot);
        }
        debug_assert_eq!(self.occupied_slots, self.indexed_slots);
        self.next_growth_check = 0;
    }

    /// Folds `record` into the table, or writes it to its partition's spill file.
    pub fn insert(&mut self, record: S::Value) -> Result<(), WeirError> {
        let key = (self.aggregation.key_selector)(&record);
        let hash = self.aggregation.key_comparator.hash(&key, self.seed);
        let partition = ((hash >> 32) as usize) & self.partition_mask;
        if let Some(writer) = &mut self.spills[partition] {
            return writer.write(&self.aggregation.serializer, &record);
        }
        let hash = hash as u32;
        let prefix = slot_prefix(hash, partition);
        let mut index = self.home_slot(hash);
        loop {
            let slot = self.slot(index);
            if slot == EMPTY {
                break;
            }
            if slot & PREFIX_MASK == prefix && slot != TOMBSTONE {
                let address = slot & ADDRESS_MASK;
                let area = &self.partitions[partition];
                if area.header(address).hash == hash {
                    let stored = area.read_record(&self.aggregation.serializer, address)?;
                    let stored_key = (self.aggregation.key_selector)(&stored);
                    if self.aggregation.key_comparator.compare(&stored_key, &key) == Ordering::Equal
                    {
                        let folded = (self.aggregation.reduce)(stored, record)?;
                        return self.replace(partition, hash, index, address, folded);
                    }
                }
            }
            index = self.next_slot(index);
        }
        self.insert_new(partition, hash, record)
    }

    /// Puts `folded` in place of the entry at `address` of `partition`, found in slot `index`.
    fn replace(
        &mut self,
        partition: usize,
        hash: u32,
        index: usize,
        address: u64,
        folded: S::Value,
    ) -> Result<(), WeirError> {
        let serializer = &self.aggregation.serializer;
        let area = &mut self.partitions[partition];
        if self.layout.fixed_length.is_some() {
            return area.overwrite_record(serializer, address, &folded);
        }
        let old = area.header(address);
        let mark = area.mark();
        match area.append(serializer, hash, &folded, &mut self.free)? {
            Some(new_address) => {
                let new = area.header(new_address);
                if new.record_bytes == old.record_bytes {
                    area.copy_record(new_address, &mut self.scratch)?;
                    area.overwrite_record_bytes(address, &self.scratch);
                    area.live_entries -= 1;
                    area.roll_back(mark, &mut self.free);
                } else {
                    area.mark_dead(address);
                    let slot = self.slot(index);
                    self.set_slot(index, (slot & !ADDRESS_MASK) | new_address);
                    self.note_pages_used();
                }
                Ok(())
            }
            None => {
                // No page for the new version: take the old one out of the index, then insert
                // the folded record like a new key (which may spill).
                area.mark_dead(address);
                self.set_slot(index, TOMBSTONE);
                self.indexed_slots -= 1;
                self.insert_new(partition, hash, folded)
            }
        }
    }

    /// Appends `record`, whose key is not in the table, to `partition` and indexes it.
    fn insert_new(
        &mut self,
        partition: usize,
        hash: u32,
        record: S::Value,
    ) -> Result<(), WeirError> {
        loop {
            if let Some(writer) = &mut self.spills[partition] {
                return writer.write(&self.aggregation.serializer, &record);
            }
            if self.occupied_slots * 4 >= self.slot_count * 3 && !self.make_slot_room()? {
                continue;
            }
            let appended = self.partitions[partition].append(
                &self.aggregation.serializer,
                hash,
                &record,
                &mut self.free,
            )?;
            match appended {
                Some(address) => {
                    self.index_entry(hash, slot_prefix(hash, partition) | address);
                    self.note_pages_used();
                    return Ok(());
                }
                None => {
                    let victim = self.largest_in_memory_partition().unwrap_or(partition);
                    self.spill_partition(victim)?;
                }
            }
        }
    }

    /// Puts `slot` in the first slot of its probe that is empty, a tombstone or stale.
    #[inline]
    fn index_entry(&mut self, hash: u32, slot: u64) {
        let home = self.home_slot(hash);
        let mut index = home;
        loop {
            let current = self.slot(index);
            if current == EMPTY {
                self.occupied_slots += 1;
                break;
            }
            if current == TOMBSTONE
                || self.is_spilled(((current >> PARTITION_SHIFT) as usize) & self.partition_mask)
            {
                break;
            }
            index = self.next_slot(index);
        }
        let slot = self.with_displacement(slot, home, index);
        self.set_slot(index, slot);
        self.indexed_slots += 1;
    }

    /// Called when 3/4 of the slots are taken: purges stale slots or grows the slot table when
    /// that pays, and otherwise lets it fill to 7/8 before it spills a partition. `Ok(true)`:
    /// a slot may be taken; `Ok(false)`: a partition spilled, look again.
    fn make_slot_room(&mut self) -> Result<bool, WeirError> {
        let stale = self.occupied_slots - self.indexed_slots;
        if stale * 4 >= self.occupied_slots {
            self.purge_stale_slots();
            return Ok(true);
        }
        if self.occupied_slots >= self.next_growth_check {
            let growth = self.growth_pages();
            if growth > 0 {
                self.rebuild_slots(growth);
                return Ok(true);
            }
            self.next_growth_check = if self.growth_room() == 0 {
                usize::MAX
            } else {
                self.occupied_slots + (self.slot_count / 64).max(1)
            };
        }
        if self.occupied_slots * 8 < self.slot_count * 7 {
            return Ok(true);
        }
        if stale * 16 >= self.occupied_slots {
            self.purge_stale_slots();
            return Ok(true);
        }
        match self.largest_in_memory_partition() {
            Some(victim) => {
                self.spill_partition(victim)?;
                Ok(false)
            }
            None => {
                // Every slot is stale: no in-memory partition holds a page.
                self.purge_stale_slots();
                Ok(true)
            }
        }
    }

    /// Sizes the empty table's slots in one step for `keys` distinct keys (a spilled run's
    /// record count bounds its keys): the slots `keys` fill to 3/4, within the same limits as
    /// growth (`total − 2F` slot pages, the free pages, the balance with the entries), so the
    /// run is indexed without growth rebuilds and the slot pages are cleared once.
    pub fn presize_for(&mut self, keys: u64) {
        debug_assert_eq!(self.occupied_slots, 0, "presize_for an empty table");
        let slots_per_page = 1u64 << self.slots_per_page_shift;
        let wanted_slots = keys.saturating_mul(4).div_ceil(3);
        let wanted_pages =
            usize::try_from(wanted_slots.div_ceil(slots_per_page)).unwrap_or(usize::MAX);
        let slot_pages = self.slots.len();
        let most_pages = (self.total_pages - 2 * self.partitions.len())
            .min(slot_pages + self.free.len())
            .min(self.balanced_slot_pages());
        let extra_pages = wanted_pages.min(most_pages).saturating_sub(slot_pages);
        if extra_pages > 0 {
            self.rebuild_slots(extra_pages);
        }
    }

    /// Slot pages to add now: at most doubling, within `total − 2F` slot pages and the free
    /// pages, and no more than the slots that all the memory left could fill at 3/4 load.
    fn growth_pages(&self) -> usize {
        let room = self.growth_room();
        if room == 0 {
            return 0;
        }
        room.min(self.balanced_slot_pages().saturating_sub(self.slots.len()))
    }

    /// The slot pages that balance slots against entries: as many slots as the entries that
    /// the bytes left for both (the in-memory entries, the free and the slot pages) hold at
    /// 3/4 load.
    fn balanced_slot_pages(&self) -> usize {
        // S slots and E entries of e bytes in the bytes B left for both: S·8 + E·e = B with
        // E = 3S/4 gives S = 4B / (3e + 32).
        let entry_bytes = self.average_entry_bytes();
        let page_size = self.layout.page_size;
        let bytes =
            self.indexed_slots * entry_bytes + (self.free.len() + self.slots.len()) * page_size;
        let wanted_slots = 4 * bytes / (3 * entry_bytes + 4 * SLOT_BYTES);
        wanted_slots.div_ceil(page_size / SLOT_BYTES)
    }

    /// Slot pages the table could add now: at most doubling, within `total − 2F` slot pages
    /// and the free pages. Only a spill (freeing pages) turns 0 into more.
    fn growth_room(&self) -> usize {
        let slot_pages = self.slots.len();
        let most_slot_pages = self.total_pages - 2 * self.partitions.len();
        most_slot_pages
            .saturating_sub(slot_pages)
            .min(self.free.len())
            .min(slot_pages)
    }

    /// Bytes per live in-memory entry, pages and dead entries included.
    fn average_entry_bytes(&self) -> usize {
        let first_guess = self.layout.header_bytes()
            + self
                .layout
                .fixed_length
                .unwrap_or(ASSUMED_RECORD_BYTES)
                .max(1);
        if self.indexed_slots == 0 {
            return first_guess;
        }
        let pages: usize = (0..self.partitions.len())
            .filter(|&p| !self.is_spilled(p))
            .map(|p| self.partitions[p].page_count())
            .sum();
        (pages * self.layout.page_size / self.indexed_slots).max(self.layout.header_bytes() + 1)
    }

    /// Takes `extra_pages` more slot pages from the free pages, empties every slot and indexes
    /// every live entry of the in-memory partitions again, from their stored hashes.
    fn rebuild_slots(&mut self, extra_pages: usize) {
        for _ in 0..extra_pages {
            let page = self.free.pop().expect("growth_pages counts free pages");
            self.slots.push(page);
        }
        let page_size = self.layout.page_size;
        for page in &mut self.slots {
            page.fill(0, page_size, 0xFF);
        }
        self.slot_count = self.slots.len() << self.slots_per_page_shift;
        self.occupied_slots = 0;
        self.indexed_slots = 0;
        for partition in 0..self.partitions.len() {
            if self.is_spilled(partition) {
                continue;
            }
            let mut next = self.partitions[partition].next_entry_from(0);
            while let Some(address) = next {
                let header = self.partitions[partition].header(address);
                if !header.dead {
                    let hash = header.hash;
                    let home = self.home_slot(hash);
                    let mut index = home;
                    while self.slot(index) != EMPTY {
                        index = self.next_slot(index);
                    }
                    let slot =
                        self.with_displacement(slot_prefix(hash, partition) | address, home, index);
                    self.set_slot(index, slot);
                    self.occupied_slots += 1;
                }
                next = self.partitions[partition]
                    .next_entry_from(self.partitions[partition].after(address, &header));
            }
        }
        self.indexed_slots = self.occupied_slots;
        self.next_growth_check = 0;
        self.note_pages_used();
    }

    /// The in-memory partition holding the most pages, if any holds one.
    fn largest_in_memory_partition(&self) -> Option<usize> {
        (0..self.partitions.len())
            .filter(|&p| self.spills[p].is_none() && self.partitions[p].page_count() > 0)
            .max_by_key(|&p| self.partitions[p].page_count())
    }

    /// Writes the live records of `partition` to a new spill file and frees its pages.
    fn spill_partition(&mut self, partition: usize) -> Result<(), WeirError> {
        let page = self
            .reserve
            .take()
            .expect("a reserve page is kept while a partition is in memory");
        let mut writer = SpillWriter::create(&self.io, vec![page])?;
        let area = &self.partitions[partition];
        let mut next = area.next_entry_from(0);
        while let Some(address) = next {
            let header = area.header(address);
            if !header.dead {
                area.copy_record(address, &mut self.scratch)?;
                writer.write_serialized(&self.scratch)?;
            }
            next = area.next_entry_from(area.after(address, &header));
        }
        // Its slots stay, stale: see the module docs.
        self.indexed_slots -= self.partitions[partition].live_entries as usize;
        self.partitions[partition].clear(&mut self.free);
        self.spills[partition] = Some(writer);
        self.spilled_mask |= 1 << partition;
        self.reserve = self.free.pop();
        self.next_growth_check = 0;
        self.note_pages_used();
        Ok(())
    }

    /// True when the next new key may not find room without spilling: fewer than two free
    /// pages, or the slots at their spill mark with no room to grow. A combiner flushes then
    /// ([`ReduceHashTable::flush_in_memory`]) instead of letting the table spill.
    pub fn is_nearly_full(&self) -> bool {
        self.free.len() < 2
            || ((self.occupied_slots + 1) * 8 >= self.slot_count * 7 && self.growth_room() == 0)
    }

    /// Hands every record of the in-memory partitions to `emit` and empties them and the slot
    /// table, keeping the slot pages: the table starts over in the same pages. What a combiner
    /// does when full (its output is partial aggregates, folded again downstream), where an
    /// aggregation would spill.
    pub fn flush_in_memory(
        &mut self,
        emit: impl FnMut(S::Value) -> Result<(), WeirError>,
    ) -> Result<(), WeirError> {
        self.emit_in_memory(emit)?;
        for (partition, area) in self.partitions.iter_mut().enumerate() {
            if self.spills[partition].is_none() {
                area.clear(&mut self.free);
            }
        }
        let page_size = self.layout.page_size;
        for page in &mut self.slots {
            page.fill(0, page_size, 0xFF);
        }
        self.occupied_slots = 0;
        self.indexed_slots = 0;
        self.next_growth_check = 0;
        Ok(())
    }

    /// Hands every record of the partitions still in memory to `emit`.
    pub fn emit_in_memory(
        &mut self,
        mut emit: impl FnMut(S::Value) -> Result<(), WeirError>,
    ) -> Result<(), WeirError> {
        for (partition, area) in self.partitions.iter().enumerate() {
            if self.spills[partition].is_some() {
                continue;
            }
            let mut next = area.next_entry_from(0);
            while let Some(address) = next {
                let header = area.header(address);
                if !header.dead {
                    emit(area.read_record(&self.aggregation.serializer, address)?)?;
                }
                next = area.next_entry_from(area.after(address, &header));
            }
        }
        Ok(())
    }

    /// Ends the table: the runs of the spilled partitions and every page.
    pub fn close(mut self) -> Result<(Vec<SpilledRun>, Vec<MemorySegment>), WeirError> {
        let mut pages = std::mem::take(&mut self.free);
        pages.append(&mut self.slots);
        pages.extend(self.reserve.take());
        for area in &mut self.partitions {
            area.clear(&mut pages);
        }
        let mut runs = Vec::new();
        let mut first_error = None;
        for writer in self.spills.iter_mut().filter_map(Option::take) {
            match writer.close() {
                Ok((run, mut writer_pages)) => {
                    pages.append(&mut writer_pages);
                    runs.push(run);
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            None => Ok((runs, pages)),
            Some(error) => Err(error),
        }
    }
}

/// Partitions for `pages` beside the first slot page: each spilled partition keeps one writer
/// page and one page stays in reserve, so at most half of them.
fn partitions_for(pages: usize) -> usize {
    prev_power_of_two(pages / 2).clamp(2, MAX_PARTITIONS)
}

fn prev_power_of_two(n: usize) -> usize {
    debug_assert!(n > 0);
    1 << (usize::BITS - 1 - n.leading_zeros())
}

/// The tag and partition bits of the slot of an entry with `hash` in `partition`.
#[inline]
fn slot_prefix(hash: u32, partition: usize) -> u64 {
    u64::from(hash & 0xFF) << TAG_SHIFT | (partition as u64) << PARTITION_SHIFT
}

impl<S, KC, KF, R> std::fmt::Debug for Aggregation<S, KC, KF, R>
where
    S: std::fmt::Debug,
    KC: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aggregation")
            .field("serializer", &self.serializer)
            .field("key_comparator", &self.key_comparator)
            .finish_non_exhaustive()
    }
}

impl<S, KC, KF, R> std::fmt::Debug for ReduceHashTable<S, KC, KF, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReduceHashTable")
            .field("seed", &self.seed)
            .field("total_pages", &self.total_pages)
            .field("slot_pages", &self.slots.len())
            .field("occupied_slots", &self.occupied_slots)
            .field("partitions", &self.partitions.len())
            .field("spilled_partitions", &self.spilled_mask.count_ones())
            .field("free_pages", &self.free.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::operators::spill::SpillReader;
    use crate::types::{DefaultComparator, DefaultSerializer};
    use proptest::prelude::*;
    use weir_memory::{ByteSize, MemoryManager};

    type Sum = fn((u64, u64), (u64, u64)) -> Result<(u64, u64), WeirError>;
    type Concat = fn((u32, String), (u32, String)) -> Result<(u32, String), WeirError>;
    type SumTable = ReduceHashTable<
        <(u64, u64) as DefaultSerializer>::Serializer,
        <u64 as DefaultComparator>::Comparator,
        fn(&(u64, u64)) -> u64,
        Sum,
    >;

    fn sum(a: (u64, u64), b: (u64, u64)) -> Result<(u64, u64), WeirError> {
        Ok((a.0, a.1 + b.1))
    }

    fn concat(a: (u32, String), b: (u32, String)) -> Result<(u32, String), WeirError> {
        Ok((a.0, a.1 + &b.1))
    }

    fn setup(pages: usize) -> (tempfile::TempDir, Arc<IoManager>, MemoryManager) {
        let dir = tempfile::tempdir().unwrap();
        let io = Arc::new(IoManager::new(&[dir.path().to_path_buf()]).unwrap());
        let memory = MemoryManager::new(
            ByteSize::kib(4 * pages as u64),
            PageSize::new(4096).unwrap(),
        )
        .unwrap();
        (dir, io, memory)
    }

    fn sum_table(pages: Vec<MemorySegment>, io: &Arc<IoManager>) -> SumTable {
        let aggregation = Aggregation {
            serializer: <(u64, u64)>::serializer(),
            key_comparator: u64::comparator(),
            key_selector: (|record: &(u64, u64)| record.0) as fn(&(u64, u64)) -> u64,
            reduce: sum as Sum,
        };
        ReduceHashTable::new(aggregation, 7, pages, Arc::clone(io)).unwrap()
    }

    fn read_run<S: TypeSerializer>(
        io: &IoManager,
        run: &SpilledRun,
        serializer: &S,
        pages: &mut Vec<MemorySegment>,
    ) -> Vec<S::Value> {
        let mut reader = SpillReader::open(io, run, vec![pages.pop().unwrap()]).unwrap();
        let mut records = Vec::new();
        while let Some(record) = reader.next(serializer).unwrap() {
            records.push(record);
        }
        pages.append(&mut reader.close());
        records
    }

    /// Every record of `table`: the in-memory ones and those of its runs, summed per key; also
    /// returns the pages.
    fn drain<S, KC, KF, R>(
        mut table: ReduceHashTable<S, KC, KF, R>,
        io: &Arc<IoManager>,
    ) -> (HashMap<u64, u64>, Vec<MemorySegment>)
    where
        S: TypeSerializer<Value = (u64, u64)>,
        KC: TypeComparator,
        KF: Fn(&(u64, u64)) -> KC::Value,
        R: Fn((u64, u64), (u64, u64)) -> Result<(u64, u64), WeirError>,
    {
        let mut out = HashMap::new();
        table
            .emit_in_memory(|(key, value)| {
                assert!(out.insert(key, value).is_none(), "key {key} emitted twice");
                Ok(())
            })
            .unwrap();
        let in_memory = out.clone();
        let (runs, mut pages) = table.close().unwrap();
        for run in &runs {
            for (key, value) in read_run(io, run, &<(u64, u64)>::serializer(), &mut pages) {
                assert!(
                    !in_memory.contains_key(&key),
                    "key {key} in memory and spilled"
                );
                *out.entry(key).or_insert(0) += value;
            }
        }
        (out, pages)
    }

    #[test]
    fn partitions_follow_the_pages_and_the_slots_start_at_one_page() {
        assert_eq!(partitions_for(MIN_TABLE_PAGES - 1), 2);
        assert_eq!(partitions_for(2047), MAX_PARTITIONS);
        let (_dir, io, memory) = setup(64);
        let table = sum_table(memory.reservation("t").allocate_pages(64).unwrap(), &io);
        assert_eq!(table.slot_pages(), 1);
        assert_eq!(table.partition_count(), 16);
        assert_eq!(table.peak_pages_used(), 1);
    }

    #[test]
    fn the_slot_table_grows_with_the_keys_and_keeps_every_key() {
        let (_dir, io, memory) = setup(128);
        let mut table = sum_table(memory.reservation("t").allocate_pages(128).unwrap(), &io);
        let mut oracle = HashMap::new();
        let mut slot_pages_seen = vec![table.slot_pages()];
        for i in 0..6_000u64 {
            let key = (i * 2_654_435_761) % 3_000;
            table.insert((key, i)).unwrap();
            *oracle.entry(key).or_insert(0) += i;
            if *slot_pages_seen.last().unwrap() != table.slot_pages() {
                slot_pages_seen.push(table.slot_pages());
            }
        }
        // 3000 keys at most 3/4 of the slots: 4000+ slots, 8+ pages of 512, reached by doubling.
        assert_eq!(table.spilled_partitions(), 0);
        assert_eq!(slot_pages_seen, vec![1, 2, 4, 8]);
        assert!(table.occupied_slots * 4 <= table.slot_count * 3);
        let (out, pages) = drain(table, &io);
        assert_eq!(out, oracle);
        assert_eq!(pages.len(), 128);
    }

    #[test]
    fn presizing_for_a_run_grows_the_slots_at_once_within_the_cap() {
        let (_dir, io, memory) = setup(128);
        let mut table = sum_table(memory.reservation("t").allocate_pages(128).unwrap(), &io);
        table.presize_for(3_000);
        // The size growing one key at a time ends at (see the test above): 8 pages.
        assert_eq!(table.slot_pages(), 8);
        let mut oracle = HashMap::new();
        for i in 0..6_000u64 {
            let key = (i * 2_654_435_761) % 3_000;
            table.insert((key, i)).unwrap();
            *oracle.entry(key).or_insert(0) += i;
            assert_eq!(table.slot_pages(), 8, "no growth after presizing");
        }
        let (out, pages) = drain(table, &io);
        assert_eq!(out, oracle);
        // Far more keys than the pages hold: the slots stop where the balance with the
        // entries puts them, below the cap of total - 2F pages.
        let mut table = sum_table(pages, &io);
        table.presize_for(u64::MAX);
        assert!(table.slot_pages() > 8);
        assert!(table.slot_pages() <= 128 - 2 * table.partition_count());
        assert!(table.slot_pages() < 64, "{} slot pages", table.slot_pages());
        table.insert((1, 1)).unwrap();
        let (out, pages) = drain(table, &io);
        assert_eq!(out, HashMap::from([(1, 1)]));
        assert_eq!(pages.len(), 128);
    }

    #[test]
    fn in_the_fewest_pages_the_slots_never_grow_and_partitions_spill() {
        let (_dir, io, memory) = setup(MIN_TABLE_PAGES);
        let pages = memory
            .reservation("t")
            .allocate_pages(MIN_TABLE_PAGES)
            .unwrap();
        let mut table = sum_table(pages, &io);
        let mut oracle = HashMap::new();
        for i in 0..4_000u64 {
            let key = (i * 7919) % 1_500;
            table.insert((key, i)).unwrap();
            *oracle.entry(key).or_insert(0) += i;
            // Two writer pages at most beside the one slot page.
            assert_eq!(table.slot_pages(), 1);
            assert!(table.occupied_slots * 8 <= table.slot_count * 7);
        }
        assert_eq!(table.spilled_partitions(), 2);
        assert!(table.peak_pages_used() <= MIN_TABLE_PAGES);
        let (out, pages) = drain(table, &io);
        assert_eq!(out, oracle);
        assert_eq!(pages.len(), MIN_TABLE_PAGES);
    }

    #[test]
    fn growth_refused_for_want_of_pages_fills_the_slots_then_spills() {
        let (_dir, io, memory) = setup(24);
        let mut table = sum_table(memory.reservation("t").allocate_pages(24).unwrap(), &io);
        // 24 pages: 8 partitions, so at most 24 - 16 = 8 slot pages; entries of 20 bytes fill
        // the rest long before 3/4 of 4096 slots are taken.
        assert_eq!(table.partition_count(), 8);
        let mut oracle = HashMap::new();
        for i in 0..20_000u64 {
            let key = (i * 2_654_435_761) % 10_000;
            table.insert((key, i)).unwrap();
            *oracle.entry(key).or_insert(0) += i;
            assert!(table.slot_pages() <= 24 - 2 * table.partition_count());
            assert!(table.occupied_slots * 8 <= table.slot_count * 7);
            assert!(table.indexed_slots <= table.occupied_slots);
        }
        assert!(table.spilled_partitions() > 0);
        assert!(table.slot_pages() > 1);
        assert!(table.peak_pages_used() <= 24);
        let (out, pages) = drain(table, &io);
        assert_eq!(out, oracle);
        assert_eq!(pages.len(), 24);
    }

    /// Inserts `keys` keys twice each into a table of `pages` pages and checks the remembered
    /// growth refusals: "no pages" only while no slot page can be had, every refusal
    /// forgotten when a spill frees pages. Returns (refusals for want of pages, refusals for
    /// the balance) seen after inserts.
    fn remembered_refusals(pages: usize, keys: u64) -> (usize, usize) {
        let (_dir, io, memory) = setup(pages);
        let mut table = sum_table(memory.reservation("t").allocate_pages(pages).unwrap(), &io);
        let mut oracle = HashMap::new();
        let (mut for_pages, mut for_balance) = (0, 0);
        for i in 0..2 * keys {
            let key = (i * 2_654_435_761) % keys;
            table.insert((key, i)).unwrap();
            *oracle.entry(key).or_insert(0) += i;
            if table.next_growth_check == usize::MAX {
                assert_eq!(table.growth_room(), 0, "remembered without cause");
                for_pages += 1;
            } else if table.next_growth_check > table.occupied_slots {
                assert!(table.next_growth_check <= table.occupied_slots + table.slot_count / 64);
                for_balance += 1;
            }
            // A spill forgets the refusal: a new key looks at growth again.
            let spilled = table.spilled_partitions();
            table.spill_partition_for_test();
            if table.spilled_partitions() > spilled {
                assert_eq!(table.next_growth_check, 0);
            }
        }
        let (out, returned) = drain(table, &io);
        assert_eq!(out, oracle);
        assert_eq!(returned.len(), pages);
        (for_pages, for_balance)
    }

    #[test]
    fn growth_refusals_are_remembered_until_a_spill_frees_pages() {
        // The fewest pages: the one slot page is the cap, so growth is refused for want of
        // pages and stays refused.
        let (for_pages, _) = remembered_refusals(MIN_TABLE_PAGES, 1_500);
        assert!(for_pages > 0);
        // 64 pages: the slots grow while the forced spills keep freeing pages; the result
        // stays right whatever was remembered.
        remembered_refusals(64, 10_000);
    }

    #[test]
    fn keys_with_one_hash_are_told_apart_by_comparing_them() {
        let (_dir, io, memory) = setup(32);
        let aggregation = Aggregation {
            serializer: <(u64, u64)>::serializer(),
            key_comparator: BucketHash(1),
            key_selector: (|record: &(u64, u64)| record.0) as fn(&(u64, u64)) -> u64,
            reduce: sum as Sum,
        };
        let pages = memory.reservation("t").allocate_pages(32).unwrap();
        let mut table = ReduceHashTable::new(aggregation, 0, pages, Arc::clone(&io)).unwrap();
        let mut oracle = HashMap::new();
        // 600 keys on one home slot with one tag: a probe walks all of them; the slot table
        // grows past one page (512 slots) with every key still found.
        for i in 0..3_000u64 {
            let key = (i * 37) % 600;
            table.insert((key, i)).unwrap();
            *oracle.entry(key).or_insert(0) += i;
        }
        assert_eq!(table.spilled_partitions(), 0);
        assert!(table.slot_pages() > 1);
        let (out, pages) = drain(table, &io);
        assert_eq!(out, oracle);
        assert_eq!(pages.len(), 32);
    }

    #[test]
    fn colliding_keys_spill_to_one_run_in_the_fewest_pages() {
        let (_dir, io, memory) = setup(MIN_TABLE_PAGES);
        let aggregation = Aggregation {
            serializer: <(u64, u64)>::serializer(),
            key_comparator: BucketHash(1),
            key_selector: (|record: &(u64, u64)| record.0) as fn(&(u64, u64)) -> u64,
            reduce: sum as Sum,
        };
        let pages = memory
            .reservation("t")
            .allocate_pages(MIN_TABLE_PAGES)
            .unwrap();
        let mut table = ReduceHashTable::new(aggregation, 0, pages, Arc::clone(&io)).unwrap();
        let mut oracle = HashMap::new();
        for i in 0..2_000u64 {
            let key = i % 700;
            table.insert((key, i)).unwrap();
            *oracle.entry(key).or_insert(0) += i;
        }
        assert_eq!(table.spilled_partitions(), 1);
        let (out, pages) = drain(table, &io);
        assert_eq!(out, oracle);
        assert_eq!(pages.len(), MIN_TABLE_PAGES);
    }

    #[test]
    fn folds_fixed_length_records_in_place_without_spilling() {
        let (_dir, io, memory) = setup(64);
        let mut table = sum_table(memory.reservation("t").allocate_pages(64).unwrap(), &io);
        let mut oracle = HashMap::new();
        for i in 0..20_000u64 {
            let key = i % 500;
            table.insert((key, i)).unwrap();
            *oracle.entry(key).or_insert(0) += i;
        }
        assert_eq!(table.spilled_partitions(), 0);
        // About 31 entries of 28 bytes per partition: one page each, nothing appended twice.
        assert_eq!(
            table.peak_pages_used(),
            table.slot_pages() + table.partition_count()
        );
        let mut out = HashMap::new();
        table
            .emit_in_memory(|(key, value)| {
                assert!(out.insert(key, value).is_none(), "key {key} emitted twice");
                Ok(())
            })
            .unwrap();
        assert_eq!(out, oracle);
        let (runs, pages) = table.close().unwrap();
        assert!(runs.is_empty());
        assert_eq!(pages.len(), 64);
    }

    #[test]
    fn spilled_partitions_keep_their_folded_records_and_later_input() {
        let (_dir, io, memory) = setup(8);
        let mut table = sum_table(memory.reservation("t").allocate_pages(8).unwrap(), &io);
        assert_eq!(table.partition_count(), 2);
        let mut oracle: HashMap<u64, u64> = HashMap::new();
        for i in 0..5_000u64 {
            let key = (i * 7919) % 1_000;
            table.insert((key, i)).unwrap();
            *oracle.entry(key).or_insert(0) += i;
        }
        assert!(table.spilled_partitions() > 0);
        let mut out: HashMap<u64, u64> = HashMap::new();
        table
            .emit_in_memory(|(key, value)| {
                assert!(out.insert(key, value).is_none());
                Ok(())
            })
            .unwrap();
        let (runs, mut pages) = table.close().unwrap();
        assert!(!runs.is_empty());
        let in_memory = out.clone();
        for run in &runs {
            for (key, value) in read_run(&io, run, &<(u64, u64)>::serializer(), &mut pages) {
                // A key lives in one partition: in memory or in a run, never both.
                assert!(
                    !in_memory.contains_key(&key),
                    "key {key} in memory and spilled"
                );
                *out.entry(key).or_insert(0) += value;
            }
        }
        assert_eq!(out, oracle);
        assert_eq!(pages.len(), 8);
    }

    #[test]
    fn growing_variable_length_records_move_and_stay_correct() {
        let (_dir, io, memory) = setup(40);
        let aggregation = Aggregation {
            serializer: <(u32, String)>::serializer(),
            key_comparator: u32::comparator(),
            key_selector: (|record: &(u32, String)| record.0) as fn(&(u32, String)) -> u32,
            reduce: concat as Concat,
        };
        let pages = memory.reservation("t").allocate_pages(40).unwrap();
        let mut table = ReduceHashTable::new(aggregation, 0, pages, Arc::clone(&io)).unwrap();
        let mut oracle: HashMap<u32, String> = HashMap::new();
        for i in 0..3_000u32 {
            let key = i % 37;
            // Mostly the same length (in place), sometimes longer (moved).
            let piece = if i % 5 == 0 { "xy" } else { "" };
            table.insert((key, piece.to_string())).unwrap();
            oracle.entry(key).or_default().push_str(piece);
        }
        let mut out: HashMap<u32, String> = HashMap::new();
        table
            .emit_in_memory(|(key, value)| {
                out.insert(key, value);
                Ok(())
            })
            .unwrap();
        let (runs, mut pages) = table.close().unwrap();
        for run in &runs {
            for (key, value) in read_run(&io, run, &<(u32, String)>::serializer(), &mut pages) {
                out.entry(key).or_default().push_str(&value);
            }
        }
        assert_eq!(out, oracle);
    }

    #[test]
    fn a_record_larger_than_all_pages_goes_to_its_spill_file() {
        let (_dir, io, memory) = setup(6);
        let aggregation = Aggregation {
            serializer: <(u32, String)>::serializer(),
            key_comparator: u32::comparator(),
            key_selector: (|record: &(u32, String)| record.0) as fn(&(u32, String)) -> u32,
            reduce: concat as Concat,
        };
        let pages = memory.reservation("t").allocate_pages(6).unwrap();
        let mut table = ReduceHashTable::new(aggregation, 0, pages, Arc::clone(&io)).unwrap();
        table.insert((1, "a".repeat(10))).unwrap();
        table.insert((2, "b".repeat(40_000))).unwrap();
        table.insert((1, "c".repeat(10))).unwrap();
        assert!(table.spilled_partitions() >= 1);
        let mut out = Vec::new();
        table
            .emit_in_memory(|record| {
                out.push(record);
                Ok(())
            })
            .unwrap();
        let (runs, mut pages) = table.close().unwrap();
        for run in &runs {
            out.extend(read_run(
                &io,
                run,
                &<(u32, String)>::serializer(),
                &mut pages,
            ));
        }
        let big: Vec<_> = out.iter().filter(|record| record.0 == 2).collect();
        assert_eq!(big.len(), 1);
        assert_eq!(big[0].1.len(), 40_000);
        assert_eq!(pages.len(), 6);
    }

    /// Hashes keys by `key % buckets` (mixed): keys of one bucket share the whole hash (one
    /// partition, home slot and tag), so clusters grow long and spill across partitions.
    /// `BucketHash(1)` gives every key the same hash: only the key comparison tells keys apart.
    #[derive(Debug, Clone)]
    struct BucketHash(u64);

    impl TypeComparator for BucketHash {
        type Value = u64;

        fn compare(&self, a: &u64, b: &u64) -> Ordering {
            a.cmp(b)
        }

        fn normalized_key_len(&self) -> usize {
            8
        }

        fn normalized_key_is_complete(&self) -> bool {
            true
        }

        fn write_normalized_key(&self, value: &u64, target: &mut [u8]) {
            target.copy_from_slice(&value.to_be_bytes()[..target.len()]);
        }

        fn hash(&self, value: &u64, seed: u64) -> u64 {
            u64::comparator().hash(&(value % self.0), seed)
        }
    }

    #[derive(Debug, Clone)]
    enum Step {
        Insert(u64, u64),
        Spill,
        Purge,
    }

    /// Runs `steps` on a table of `pages` pages hashing with `comparator`, checking the slots
    /// after every spill and purge and every `check_every`th insert, and every key against a
    /// HashMap at the end.
    fn run_steps<KC: TypeComparator<Value = u64>>(
        pages: usize,
        comparator: KC,
        steps: &[Step],
        check_every: usize,
    ) {
        let (_dir, io, memory) = setup(pages);
        let aggregation = Aggregation {
            serializer: <(u64, u64)>::serializer(),
            key_comparator: comparator,
            key_selector: (|record: &(u64, u64)| record.0) as fn(&(u64, u64)) -> u64,
            reduce: sum as Sum,
        };
        let reserved = memory.reservation("t").allocate_pages(pages).unwrap();
        let mut table = ReduceHashTable::new(aggregation, 3, reserved, Arc::clone(&io)).unwrap();
        let mut oracle = HashMap::new();
        for (number, step) in steps.iter().enumerate() {
            match *step {
                Step::Insert(key, value) => {
                    table.insert((key, value)).unwrap();
                    *oracle.entry(key).or_insert(0) += value;
                    if number % check_every != 0 {
                        continue;
                    }
                }
                Step::Spill => {
                    if table.reserve.is_some()
                        && let Some(victim) = table.largest_in_memory_partition()
                    {
                        table.spill_partition(victim).unwrap();
                    }
                }
                Step::Purge => {
                    table.purge_stale_slots();
                    assert_eq!(
                        table.occupied_slots, table.indexed_slots,
                        "stale slots left"
                    );
                }
            }
            table.check_slots();
        }
        let (out, returned) = drain(table, &io);
        assert_eq!(out, oracle);
        assert_eq!(returned.len(), pages);
        assert_eq!(
            std::fs::read_dir(_dir.path())
                .unwrap()
                .flatten()
                .map(|dir| std::fs::read_dir(dir.path()).map_or(0, |d| d.count()))
                .sum::<usize>(),
            0,
            "spill files left"
        );
    }

    fn steps(key_range: u64) -> impl Strategy<Value = Vec<Step>> {
        prop::collection::vec(
            prop_oneof![
                40 => (0..key_range, 0..1_000u64).prop_map(|(k, v)| Step::Insert(k, v)),
                1 => Just(Step::Spill),
                1 => Just(Step::Purge),
            ],
            0..800,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn slots_stay_valid_through_inserts_spills_and_purges(
            pages in MIN_TABLE_PAGES..24usize,
            buckets in prop_oneof![Just(u64::MAX), 1..64u64],
            steps in steps(3_000),
        ) {
            run_steps(pages, BucketHash(buckets), &steps, 1);
        }
    }

    #[test]
    fn purging_re_places_long_clusters_past_the_saturated_displacement() {
        // 8 buckets of ~125 keys and then one of 700: clusters far longer than 255 slots,
        // spread over the partitions, spilled and purged at random points.
        let mut steps = Vec::new();
        for i in 0..3_000u64 {
            steps.push(Step::Insert((i * 7_919) % 1_000, i));
            if i % 400 == 399 {
                steps.push(Step::Spill);
                steps.push(Step::Purge);
            }
        }
        run_steps(16, BucketHash(8), &steps, 1);
        let mut steps: Vec<_> = (0..700).map(|i| Step::Insert(i * 2, i)).collect();
        steps.push(Step::Purge);
        steps.extend((0..700).map(|i| Step::Insert(i * 2, 1)));
        run_steps(24, BucketHash(1), &steps, 100);
    }

    #[test]
    fn clean_ups_empty_every_stale_slot_in_the_fewest_pages() {
        // The fewest pages: the slot page never grows, so stale slots are only ever purged;
        // every key is still found after each clean-up.
        let mut steps = Vec::new();
        for i in 0..6_000u64 {
            steps.push(Step::Insert((i * 2_654_435_761) % 2_000, i));
        }
        run_steps(MIN_TABLE_PAGES, u64::comparator(), &steps, 1);
    }
}
