//! [`ReduceHashTable`]: one level of hash aggregation: records folded per key in pages, with
//! hash partitions that spill when the pages run out (Flink's `ReduceHashTable` with the
//! partition spilling of its hybrid hash join).
//!
//! ```text
//!   hash = key_comparator.hash(key, seed = level)
//!   partition = hash mod F          bucket = hash mod B  (B a multiple of F, so every bucket
//!   tag = hash >> 32                                      belongs to exactly one partition)
//!
//!   bucket pages (u64 LE heads)          partition p's pages (see table_partition.rs)
//!   +----+----+----+----+----+---      +--------------------------------------------+
//!   | ∅  | •  | ∅  | •  | ∅  | …       | [next|tag|len|record] [next|tag|len|record] …|
//!   +----+-│--+----+-│--+----+---      +----▲--------│----------------▲---------------+
//!          └─────────┼──────────────────────┘        └────────────────┘  chain
//!                    └──▶ an entry of another partition
//!
//!   pointer = partition << 48 | address in the partition;  ∅ = u64::MAX
//! ```
//!
//! # Insert
//! Walk the chain of the record's bucket; for an entry with the same tag, deserialize the stored
//! record and compare keys. On a match the stored record is replaced by
//! `reduce(stored, record)`:
//!
//! - fixed-length serializers: serialized over the old bytes, always in place;
//! - variable length: the new version is appended; when it has the old length its bytes are
//!   copied over the old ones and the append is rolled back, otherwise the old entry is marked
//!   dead and the chain points at the new one. Dead entries are reclaimed when their partition
//!   spills (only live entries are written) or the table ends; there is no compaction.
//!
//! Without a match the record is appended as a new entry at the head of its chain.
//!
//! # Spilling
//! When a partition needs a page and none is free, the in-memory partition holding the most
//! pages spills: its live records (already folded) go to a new [`SpillWriter`] with one page
//! and its pages are freed (its buckets are never read again). From then on every record of
//! that partition is written to its spill file as it comes, unfolded. One page is always held in reserve for the
//! next spill writer; with `F ≤ (pages − bucket pages) / 2` the reserve is there until every
//! partition has spilled. A record that does not fit even when its partition is the only one in
//! memory spills its partition and goes to disk, so records of any size pass through.
//!
//! An update that needs a page it cannot get (a variable-length record that grew) unlinks the
//! old version first, so a spill never writes both versions of a key.
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

/// The fewest pages a table works with: one bucket page, two partitions, each able to own a
/// spill writer page, and one page for records.
pub const MIN_TABLE_PAGES: usize = 5;

/// The most hash partitions of one level.
pub const MAX_PARTITIONS: usize = 32;

/// The record length assumed when sizing the bucket table for a variable-length serializer.
const ASSUMED_RECORD_BYTES: usize = 32;

const EMPTY: u64 = u64::MAX;
const PARTITION_SHIFT: u32 = 48;
const ADDRESS_MASK: u64 = (1 << PARTITION_SHIFT) - 1;
const BUCKET_BYTES: usize = 8;

/// The functions that define an aggregation: a key per record, how keys hash and compare, and
/// how two records of one key fold into one.
#[derive(Clone)]
pub struct Aggregation<S, KC, KF, R> {
    pub serializer: S,
    pub key_comparator: KC,
    pub key_selector: KF,
    pub reduce: R,
}

/// Where a chain link lives: in a bucket or in an entry's `next` field.
#[derive(Debug, Clone, Copy)]
enum Link {
    Bucket(usize),
    Entry(u64),
}

/// One level of hash aggregation. See the module docs.
pub struct ReduceHashTable<S, KC, KF, R> {
    aggregation: Aggregation<S, KC, KF, R>,
    io: Arc<IoManager>,
    seed: u64,
    total_pages: usize,
    layout: EntryLayout,
    buckets: Vec<MemorySegment>,
    bucket_mask: usize,
    buckets_per_page_shift: u32,
    partitions: Vec<TablePartition>,
    partition_mask: usize,
    /// The spill writer of each partition that has spilled.
    spills: Vec<Option<SpillWriter>>,
    free: Vec<MemorySegment>,
    /// The page of the next spill writer.
    reserve: Option<MemorySegment>,
    scratch: Vec<u8>,
    peak_pages_used: usize,
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
        let layout = EntryLayout {
            page_size,
            page_shift: page_size.trailing_zeros(),
            fixed_length: aggregation.serializer.fixed_length(),
        };
        let bucket_pages = bucket_pages_for(total_pages, &layout);
        let partition_count = partitions_for(total_pages - bucket_pages);
        let mut buckets = pages.split_off(total_pages - bucket_pages);
        for page in &mut buckets {
            page.fill(0, page_size, 0xFF);
        }
        let buckets_per_page = page_size / BUCKET_BYTES;
        let reserve = pages.pop();
        Ok(ReduceHashTable {
            aggregation,
            io,
            seed,
            total_pages,
            layout,
            bucket_mask: bucket_pages * buckets_per_page - 1,
            buckets_per_page_shift: buckets_per_page.trailing_zeros(),
            buckets,
            partitions: (0..partition_count)
                .map(|_| TablePartition::new(layout))
                .collect(),
            partition_mask: partition_count - 1,
            spills: (0..partition_count).map(|_| None).collect(),
            free: pages,
            reserve,
            scratch: Vec::new(),
            peak_pages_used: bucket_pages,
        })
    }

    #[cfg(test)]
    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }

    #[cfg(test)]
    pub fn bucket_pages(&self) -> usize {
        self.buckets.len()
    }

    /// Partitions that have spilled.
    pub fn spilled_partitions(&self) -> usize {
        self.spills.iter().filter(|spill| spill.is_some()).count()
    }

    /// The most pages that held buckets, records or spill buffers at one time.
    pub fn peak_pages_used(&self) -> usize {
        self.peak_pages_used
    }

    fn note_pages_used(&mut self) {
        let used = self.total_pages - self.free.len() - usize::from(self.reserve.is_some());
        self.peak_pages_used = self.peak_pages_used.max(used);
    }

    #[inline]
    fn bucket_location(&self, bucket: usize) -> (usize, usize) {
        let mask = (1usize << self.buckets_per_page_shift) - 1;
        (
            bucket >> self.buckets_per_page_shift,
            (bucket & mask) * BUCKET_BYTES,
        )
    }

    #[inline]
    fn bucket_head(&self, bucket: usize) -> u64 {
        let (page, offset) = self.bucket_location(bucket);
        self.buckets[page].get_u64_le(offset)
    }

    #[inline]
    fn set_bucket_head(&mut self, bucket: usize, pointer: u64) {
        let (page, offset) = self.bucket_location(bucket);
        self.buckets[page].put_u64_le(offset, pointer);
    }

    fn set_link(&mut self, link: Link, pointer: u64) {
        match link {
            Link::Bucket(bucket) => self.set_bucket_head(bucket, pointer),
            Link::Entry(entry) => {
                let (partition, address) = split_pointer(entry);
                self.partitions[partition].set_next(address, pointer);
            }
        }
    }

    /// Folds `record` into the table, or writes it to its partition's spill file.
    pub fn insert(&mut self, record: S::Value) -> Result<(), WeirError> {
        let key = (self.aggregation.key_selector)(&record);
        let hash = self.aggregation.key_comparator.hash(&key, self.seed);
        let partition = (hash as usize) & self.partition_mask;
        if let Some(writer) = &mut self.spills[partition] {
            return writer.write(&self.aggregation.serializer, &record);
        }
        let bucket = (hash as usize) & self.bucket_mask;
        let tag = (hash >> 32) as u32;
        let mut link = Link::Bucket(bucket);
        let mut pointer = self.bucket_head(bucket);
        while pointer != EMPTY {
            let (entry_partition, address) = split_pointer(pointer);
            debug_assert_eq!(entry_partition, partition);
            let entry = &self.partitions[partition];
            let header = entry.header(address);
            if header.tag == tag {
                let stored = entry.read_record(&self.aggregation.serializer, address)?;
                let stored_key = (self.aggregation.key_selector)(&stored);
                if self.aggregation.key_comparator.compare(&stored_key, &key) == Ordering::Equal {
                    let folded = (self.aggregation.reduce)(stored, record)?;
                    return self.replace(partition, bucket, tag, link, address, folded);
                }
            }
            link = Link::Entry(pointer);
            pointer = header.next;
        }
        self.insert_new(partition, bucket, tag, record)
    }

    /// Puts `folded` in place of the entry at `address` of `partition`, reached through `link`.
    fn replace(
        &mut self,
        partition: usize,
        bucket: usize,
        tag: u32,
        link: Link,
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
        match area.append(serializer, old.next, tag, &folded, &mut self.free)? {
            Some(new_address) => {
                let new = area.header(new_address);
                if new.record_bytes == old.record_bytes {
                    area.copy_record(new_address, &mut self.scratch)?;
                    area.overwrite_record_bytes(address, &self.scratch);
                    area.live_entries -= 1;
                    area.roll_back(mark, &mut self.free);
                } else {
                    area.mark_dead(address);
                    self.set_link(link, join_pointer(partition, new_address));
                    self.note_pages_used();
                }
                Ok(())
            }
            None => {
                // No page for the new version: take the old one out of its chain, then insert
                // the folded record like a new key (which may spill).
                area.mark_dead(address);
                self.set_link(link, old.next);
                self.insert_new(partition, bucket, tag, folded)
            }
        }
    }

    fn insert_new(
        &mut self,
        partition: usize,
        bucket: usize,
        tag: u32,
        record: S::Value,
    ) -> Result<(), WeirError> {
        loop {
            if let Some(writer) = &mut self.spills[partition] {
                return writer.write(&self.aggregation.serializer, &record);
            }
            let head = self.bucket_head(bucket);
            let appended = self.partitions[partition].append(
                &self.aggregation.serializer,
                head,
                tag,
                &record,
                &mut self.free,
            )?;
            match appended {
                Some(address) => {
                    self.set_bucket_head(bucket, join_pointer(partition, address));
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
        // Its buckets keep stale heads: nothing reads them again, since every later record of
        // the partition goes to the spill file before a bucket is looked at.
        self.partitions[partition].clear(&mut self.free);
        self.spills[partition] = Some(writer);
        self.reserve = self.free.pop();
        self.note_pages_used();
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
        pages.append(&mut self.buckets);
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

/// Bucket pages for a table of `total_pages`: about one bucket per entry the rest can hold,
/// rounded to a power of two, leaving at least four pages for partitions.
fn bucket_pages_for(total_pages: usize, layout: &EntryLayout) -> usize {
    let entry_bytes = layout.header_bytes() + layout.fixed_length.unwrap_or(ASSUMED_RECORD_BYTES);
    let wanted = (total_pages * BUCKET_BYTES / (BUCKET_BYTES + entry_bytes)).max(1);
    // The nearest power of two (in ratio), at most what leaves room for the partitions.
    let lower = prev_power_of_two(wanted);
    let nearest = if wanted * 4 >= lower * 6 {
        lower * 2
    } else {
        lower
    };
    let most = prev_power_of_two(total_pages - (MIN_TABLE_PAGES - 1));
    nearest.min(most)
}

/// Partitions for `pages` beside the buckets: each spilled partition keeps one writer page and
/// one page stays in reserve, so at most half of them.
fn partitions_for(pages: usize) -> usize {
    prev_power_of_two(pages / 2).clamp(2, MAX_PARTITIONS)
}

fn prev_power_of_two(n: usize) -> usize {
    debug_assert!(n > 0);
    1 << (usize::BITS - 1 - n.leading_zeros())
}

#[inline]
fn split_pointer(pointer: u64) -> (usize, u64) {
    (
        (pointer >> PARTITION_SHIFT) as usize,
        pointer & ADDRESS_MASK,
    )
}

#[inline]
fn join_pointer(partition: usize, address: u64) -> u64 {
    debug_assert!(address <= ADDRESS_MASK);
    (partition as u64) << PARTITION_SHIFT | address
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
            .field("bucket_pages", &self.buckets.len())
            .field("partitions", &self.partitions.len())
            .field(
                "spilled_partitions",
                &self.spills.iter().filter(|spill| spill.is_some()).count(),
            )
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

    #[test]
    fn sizes_buckets_and_partitions_from_the_pages() {
        let fixed = EntryLayout {
            page_size: 4096,
            page_shift: 12,
            fixed_length: Some(16),
        };
        assert_eq!(bucket_pages_for(MIN_TABLE_PAGES, &fixed), 1);
        assert_eq!(partitions_for(MIN_TABLE_PAGES - 1), 2);
        // 2048 pages of 28-byte entries: ~455 bucket pages wanted, 512 taken.
        assert_eq!(bucket_pages_for(2048, &fixed), 512);
        assert_eq!(partitions_for(2048 - 512), MAX_PARTITIONS);
        let variable = EntryLayout {
            fixed_length: None,
            ..fixed
        };
        assert_eq!(bucket_pages_for(2048, &variable), 256);
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
            table.bucket_pages() + table.partition_count()
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
}
