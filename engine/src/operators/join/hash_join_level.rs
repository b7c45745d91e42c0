//! [`HashJoinLevel`]: one level of the hybrid hash join: the build records partitioned into
//! pages, some partitions spilled, one hash index over those that stayed, and the probe pass.
//!
//! ```text
//!  build(r) ─ hash(key, seed) ─▶ partition p = (hash bits 31..62 × fan-out) >> 32
//!     p in memory: append (hash, r) to p's RecordArea ── no page left? spill the largest
//!                                                         partition and try again
//!     p spilled:   r ─▶ p's build SpillWriter, hash ─▶ p's bloom filter
//!
//!  end_build: close the build writers; while the index over the in-memory records plus one
//!             probe writer page per spilled partition do not fit, spill the largest
//!             in-memory partition (or, with none left, drop a bloom filter); build the index
//!
//!  probe(l) ─ hash ─▶ partition p      (probe_batch: first load the home slot and first
//!                                        candidate of 16 records, so their misses overlap)
//!     p in memory: walk the index from the hash's home slot, emit every (l, r) with equal
//!                  keys, set their matched bits; none: emit (l, None) for left outer joins
//!     p spilled:   bloom filter says absent: (l, None) for left outer, else dropped;
//!                  otherwise l ─▶ p's probe SpillWriter
//!
//!  finish: right outer: emit (None, r) for every unmatched slot of the index; close the probe
//!          writers; give back every page and the (build run, probe run) pairs to recurse on
//! ```
//!
//! # Pages
//!
//! The level owns the pages it is given and takes nothing else:
//!
//! * two **reserve** pages (the next spill's writer page and its bloom filter page) are kept
//!   aside during the build, so a spill never waits for a page it cannot get; after a spill
//!   the freed record pages refill the reserve first;
//! * one page per spilled partition for its build writer (during the build) and later its
//!   probe writer (during the probe; two pages, for write-behind, when the pages left after
//!   the index allow two for every probe writer), and one bloom filter page per spilled
//!   partition while
//!   pages allow; when a spill finds neither a reserve nor a free page, it takes a bloom
//!   filter's page (that partition's probe records then all spill);
//! * the rest holds in-memory build records (8-byte hash + record, see `hash_prefixed.rs`)
//!   and, after the build, the [`HashIndex`] over them.
//!
//! With fan-out `P` (`pages / 4`, from 2 to [`MAX_FAN_OUT`]) the level works in any
//! `P + 2` pages, which [`MIN_LEVEL_PAGES`] guarantees; see the argument at
//! [`HashJoinLevel::take_spill_page`].

use std::cmp::Ordering;
use std::sync::Arc;

use weir_memory::{IoManager, MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::join::bloom_filter::BloomFilter;
use crate::operators::join::hash_index::{
    HASH_MASK, HashIndex, index_pages, location, split_location,
};
use crate::operators::join::hash_prefixed::{HASH_PREFIX_BYTES, HashPrefixed, read_hash};
use crate::operators::join::join_inputs::{JoinSchema, KeyOf, LeftOf, RightOf};
use crate::operators::join::join_type::JoinType;
use crate::operators::join::record_pointers::RecordPointers;
use crate::operators::metrics::OperatorMetrics;
use crate::operators::record_area::{Appended, RecordArea};
use crate::operators::spill::{SpillWriter, SpilledRun};
use crate::types::{TypeComparator, TypeSerializer};

/// The most partitions one level splits its build side into.
pub const MAX_FAN_OUT: usize = 32;
/// The fewest pages one level works in (fan-out 2, plus the two reserve pages).
pub const MIN_LEVEL_PAGES: usize = 4;
/// Probe records [`HashJoinLevel::probe_batch`] takes at once.
pub const PROBE_BATCH: usize = 16;
/// Pages kept aside during the build for the next spill.
const RESERVE_PAGES: usize = 2;

/// A spilled partition's build and probe records, to be joined at the next level.
#[derive(Debug)]
pub struct SpilledPair {
    pub build: SpilledRun,
    /// `None` when no probe record went to the partition.
    pub probe: Option<SpilledRun>,
    /// The level that joins the pair.
    pub level: u32,
}

/// The spill state of one partition.
#[derive(Debug, Default)]
struct Spilled {
    build_writer: Option<SpillWriter>,
    build_run: Option<SpilledRun>,
    probe_writer: Option<SpillWriter>,
    bloom: Option<BloomFilter>,
}

/// One build partition: in memory (records in `area`) or spilled.
#[derive(Debug)]
struct HashPartition {
    area: RecordArea,
    build_records: u64,
    spilled: Option<Spilled>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Build,
    Probe,
}

/// One level of the hybrid hash join. See the module docs.
pub struct HashJoinLevel<J: JoinSchema> {
    level: u32,
    seed: u64,
    page_size: PageSize,
    total_pages: usize,
    reader_pages: usize,
    free: Vec<MemorySegment>,
    reserve: Vec<MemorySegment>,
    partitions: Vec<HashPartition>,
    build_serializer: HashPrefixed<J::RightSerializer>,
    index: Option<HashIndex>,
    phase: Phase,
    scratch: Vec<u8>,
    /// The keys of a probe batch, kept between batches so that no batch allocates.
    probe_keys: Vec<KeyOf<J>>,
}

impl<J: JoinSchema> std::fmt::Debug for HashJoinLevel<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashJoinLevel")
            .field("level", &self.level)
            .field("fan_out", &self.partitions.len())
            .field("total_pages", &self.total_pages)
            .field("free_pages", &self.free.len())
            .field("spilled_partitions", &self.spilled_partitions())
            .finish()
    }
}

/// The fan-out of a level given `pages`.
pub fn fan_out(pages: usize) -> usize {
    (pages / 4).clamp(2, MAX_FAN_OUT)
}

impl<J: JoinSchema> HashJoinLevel<J> {
    /// A level that hashes with seed `level` and works in `pages` (at least
    /// [`MIN_LEVEL_PAGES`], all of one size; the caller checks). `reader_pages` are the pages
    /// the caller reads the level's input with: counted in [`HashJoinLevel::used_pages`].
    pub fn new(
        level: u32,
        mut pages: Vec<MemorySegment>,
        reader_pages: usize,
        right_serializer: &J::RightSerializer,
    ) -> Result<HashJoinLevel<J>, WeirError> {
        assert!(
            pages.len() >= MIN_LEVEL_PAGES,
            "the caller checks the pages"
        );
        let page_size = PageSize::new(pages[0].size())?;
        let total_pages = pages.len();
        let build_serializer = HashPrefixed::new(right_serializer.clone());
        let fixed_length = build_serializer.fixed_length();
        let partitions = (0..fan_out(total_pages))
            .map(|_| HashPartition {
                area: RecordArea::new(page_size, fixed_length),
                build_records: 0,
                spilled: None,
            })
            .collect();
        let reserve = pages.split_off(pages.len() - RESERVE_PAGES);
        Ok(HashJoinLevel {
            level,
            seed: u64::from(level),
            page_size,
            total_pages,
            reader_pages,
            free: pages,
            reserve,
            partitions,
            build_serializer,
            index: None,
            phase: Phase::Build,
            scratch: Vec::new(),
            probe_keys: Vec::with_capacity(PROBE_BATCH),
        })
    }

    /// Pages holding data (records, index, bloom filters) or in a spill writer or the
    /// caller's input reader: all but the free and reserve pages.
    pub fn used_pages(&self) -> usize {
        self.total_pages - self.free.len() - self.reserve.len() + self.reader_pages
    }

    /// Partitions spilled so far.
    pub fn spilled_partitions(&self) -> usize {
        self.partitions
            .iter()
            .filter(|partition| partition.spilled.is_some())
            .count()
    }

    #[inline]
    fn partition_of(&self, hash: u64) -> usize {
        ((((hash >> 31) & 0xFFFF_FFFF) * self.partitions.len() as u64) >> 32) as usize
    }

    #[inline]
    fn hash(&self, inputs: &J, key: &KeyOf<J>) -> u64 {
        inputs.key_comparator().hash(key, self.seed) & HASH_MASK
    }

    /// Adds one build (right) record.
    pub fn build(
        &mut self,
        inputs: &J,
        io: &Arc<IoManager>,
        metrics: &mut OperatorMetrics,
        record: &RightOf<J>,
    ) -> Result<(), WeirError> {
        debug_assert_eq!(self.phase, Phase::Build);
        let hash = self.hash(inputs, &inputs.right_key(record));
        let p = self.partition_of(hash);
        self.partitions[p].build_records += 1;
        loop {
            let partition = &mut self.partitions[p];
            if let Some(spilled) = &mut partition.spilled {
                if let Some(bloom) = &mut spilled.bloom {
                    bloom.add(hash);
                }
                let writer = spilled
                    .build_writer
                    .as_mut()
                    .expect("a spilled partition has a build writer during the build");
                return writer.write(inputs.right_serializer(), record);
            }
            self.build_serializer.hash = hash;
            match partition
                .area
                .append(&self.build_serializer, record, &mut self.free)?
            {
                Appended::At(_) => {
                    metrics.note_pages_used(self.used_pages());
                    return Ok(());
                }
                Appended::NoRoom => {
                    // The largest in-memory partition with pages goes; when none has any,
                    // the record's own partition does (the record then goes to its file).
                    let victim = self.largest_in_memory_partition().unwrap_or(p);
                    self.spill_partition(victim, io, metrics)?;
                }
            }
        }
    }

    /// The in-memory partition holding the most bytes, if any holds some.
    /// Build records held by the partitions that did not spill.
    fn in_memory_records(&self) -> usize {
        self.partitions
            .iter()
            .filter(|partition| partition.spilled.is_none())
            .map(|partition| partition.area.len())
            .sum()
    }

    fn largest_in_memory_partition(&self) -> Option<usize> {
        self.partitions
            .iter()
            .enumerate()
            .filter(|(_, partition)| partition.spilled.is_none() && !partition.area.is_empty())
            .max_by_key(|(_, partition)| partition.area.occupied_bytes())
            .map(|(p, _)| p)
    }

    /// A page for a new spill writer: the reserve, else a free page, else a bloom filter's.
    ///
    /// There always is one when the level has `P + 2` pages: the reserve holds a page at the
    /// start of every spill, because the spill of a partition with pages frees at least one
    /// (refilling the reserve), and the spill of an empty partition happens only when no
    /// in-memory partition holds pages, so that all but the `≤ P` writer pages are free, in
    /// reserve or in bloom filters.
    fn take_spill_page(&mut self) -> MemorySegment {
        self.reserve
            .pop()
            .or_else(|| self.free.pop())
            .or_else(|| self.steal_bloom_page())
            .expect("a level of at least P + 2 pages always has a page to spill with")
    }

    /// Drops the bloom filter of a spilled partition (its probe records then all spill) and
    /// returns one of its pages; any further pages go to the free list.
    fn steal_bloom_page(&mut self) -> Option<MemorySegment> {
        let bloom = self
            .partitions
            .iter_mut()
            .filter_map(|partition| partition.spilled.as_mut())
            .find_map(|spilled| spilled.bloom.take())?;
        let mut pages = bloom.into_pages();
        let page = pages.pop();
        self.free.append(&mut pages);
        page
    }

    /// Moves partition `p`'s in-memory records to a new spill file (kept open for later
    /// records of `p` during the build), with a bloom filter of their hashes when a page is
    /// at hand.
    fn spill_partition(
        &mut self,
        p: usize,
        io: &Arc<IoManager>,
        metrics: &mut OperatorMetrics,
    ) -> Result<(), WeirError> {
        let writer_page = self.take_spill_page();
        let mut writer = SpillWriter::create(io, vec![writer_page])?;
        let mut bloom = self
            .reserve
            .pop()
            .or_else(|| self.free.pop())
            .map(|page| BloomFilter::new(vec![page]));
        let fixed_length = self.build_serializer.fixed_length();
        let partition = &mut self.partitions[p];
        let mut pointers = RecordPointers::new(&partition.area, fixed_length);
        while let Some((pointer, length)) = pointers.next(&partition.area)? {
            let (mut view, _) = partition.area.reader_at(pointer)?;
            let hash = read_hash(&mut view)?;
            if let Some(bloom) = &mut bloom {
                bloom.add(hash);
            }
            self.scratch.resize(length - HASH_PREFIX_BYTES, 0);
            view.read_exact(&mut self.scratch)?;
            writer.write_serialized(&self.scratch)?;
        }
        // The peak: the partition's pages, its new writer page and bloom filter page at once.
        metrics.note_pages_used(self.used_pages());
        let partition = &mut self.partitions[p];
        partition.area.clear(&mut self.free);
        partition.spilled = Some(Spilled {
            build_writer: Some(writer),
            bloom,
            ..Spilled::default()
        });
        metrics.note_pages_used(self.used_pages());
        self.refill_reserve();
        Ok(())
    }

    /// Tops the reserve up from the free pages; keeps at least one page in it while any page
    /// can be had (a bloom filter's, as the last resort).
    fn refill_reserve(&mut self) {
        while self.reserve.len() < RESERVE_PAGES {
            match self.free.pop() {
                Some(page) => self.reserve.push(page),
                None => break,
            }
        }
        if self.reserve.is_empty()
            && self.partitions.iter().any(|p| p.spilled.is_none())
            && let Some(page) = self.steal_bloom_page()
        {
            self.reserve.push(page);
        }
    }

    /// Ends the build: closes the build spill files, spills until the index and the probe
    /// writers fit, builds the index and opens the probe writers.
    pub fn end_build(
        &mut self,
        io: &Arc<IoManager>,
        metrics: &mut OperatorMetrics,
    ) -> Result<(), WeirError> {
        debug_assert_eq!(self.phase, Phase::Build);
        self.phase = Phase::Probe;
        self.close_build_writers(metrics)?;
        loop {
            let in_memory_records = self.in_memory_records();
            let probe_writers = self.probe_writers_needed();
            let index = if in_memory_records > 0 {
                index_pages(in_memory_records, self.page_size)
            } else {
                0
            };
            if self.free.len() + self.reserve.len() >= index + probe_writers {
                break;
            }
            match self.largest_in_memory_partition() {
                Some(victim) => {
                    self.spill_partition(victim, io, metrics)?;
                    self.close_build_writers(metrics)?;
                }
                None => {
                    let page = self
                        .steal_bloom_page()
                        .expect("a level of at least P + 2 pages fits P probe writers");
                    self.free.push(page);
                }
            }
        }
        self.free.append(&mut self.reserve);

        let in_memory_records = self.in_memory_records();
        if in_memory_records > 0 {
            let pages = self
                .free
                .split_off(self.free.len() - index_pages(in_memory_records, self.page_size));
            let mut index = HashIndex::new(pages, in_memory_records);
            let fixed_length = self.build_serializer.fixed_length();
            for (p, partition) in self.partitions.iter().enumerate() {
                if partition.spilled.is_some() {
                    continue;
                }
                let mut pointers = RecordPointers::new(&partition.area, fixed_length);
                while let Some((pointer, _)) = pointers.next(&partition.area)? {
                    let (mut view, _) = partition.area.reader_at(pointer)?;
                    index.insert(read_hash(&mut view)?, location(p, pointer));
                }
            }
            self.index = Some(index);
        }
        // Pages left over now stay unused during the probe: give each probe writer a second
        // page for write-behind when there are enough for all of them.
        let writers = self.probe_writers_needed();
        let pages_per_writer = if writers > 0 && self.free.len() >= 2 * writers {
            2
        } else {
            1
        };
        for partition in &mut self.partitions {
            let Some(spilled) = &mut partition.spilled else {
                continue;
            };
            if partition.build_records > 0 {
                assert!(
                    self.free.len() >= pages_per_writer,
                    "end_build made room for the writers"
                );
                let pages = self.free.split_off(self.free.len() - pages_per_writer);
                spilled.probe_writer = Some(SpillWriter::create(io, pages)?);
            }
        }
        metrics.note_pages_used(self.used_pages());
        Ok(())
    }

    fn probe_writers_needed(&self) -> usize {
        self.partitions
            .iter()
            .filter(|partition| partition.spilled.is_some() && partition.build_records > 0)
            .count()
    }

    fn close_build_writers(&mut self, metrics: &mut OperatorMetrics) -> Result<(), WeirError> {
        for partition in &mut self.partitions {
            let Some(spilled) = &mut partition.spilled else {
                continue;
            };
            if let Some(writer) = spilled.build_writer.take() {
                let (run, mut pages) = writer.close()?;
                metrics.note_spilled(&run);
                self.free.append(&mut pages);
                spilled.build_run = Some(run);
            }
        }
        Ok(())
    }

    /// Joins a batch of at most [`PROBE_BATCH`] probe (left) records with the in-memory
    /// partitions, or spills them, one after another, but first loads each record's home slot
    /// and its first candidate build record so that their cache misses overlap (see the module
    /// docs).
    pub fn probe_batch<F>(
        &mut self,
        inputs: &J,
        join_type: JoinType,
        metrics: &mut OperatorMetrics,
        records: &[LeftOf<J>],
        emit: &mut F,
    ) -> Result<(), WeirError>
    where
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        debug_assert_eq!(self.phase, Phase::Probe);
        assert!(
            records.len() <= PROBE_BATCH,
            "a batch holds at most PROBE_BATCH records"
        );
        let mut keys = std::mem::take(&mut self.probe_keys);
        keys.extend(records.iter().map(|record| inputs.left_key(record)));
        let mut hashes = [0u64; PROBE_BATCH];
        for (key, hash) in keys.iter().zip(&mut hashes) {
            *hash = self.hash(inputs, key);
        }
        let hashes = &hashes[..records.len()];
        if let Some(index) = &self.index {
            // Independent loads: the CPU has them all in flight at once.
            for &hash in hashes {
                std::hint::black_box(index.entry(index.home_slot(hash)));
            }
            for &hash in hashes {
                if let Some(entry) = index.entry(index.home_slot(hash))
                    && entry.hash == hash
                {
                    let (p, pointer) = split_location(entry.location);
                    let (mut view, _) = self.partitions[p].area.reader_at(pointer)?;
                    std::hint::black_box(read_hash(&mut view)?);
                }
            }
        }
        let mut outcome = Ok(());
        for ((record, key), &hash) in records.iter().zip(keys.drain(..)).zip(hashes) {
            outcome = self.probe_hashed(inputs, join_type, metrics, record, key, hash, emit);
            if outcome.is_err() {
                break;
            }
        }
        keys.clear();
        self.probe_keys = keys;
        outcome
    }

    /// Joins one probe record whose key and hash are known.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn probe_hashed<F>(
        &mut self,
        inputs: &J,
        join_type: JoinType,
        metrics: &mut OperatorMetrics,
        record: &LeftOf<J>,
        key: KeyOf<J>,
        hash: u64,
        emit: &mut F,
    ) -> Result<(), WeirError>
    where
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        let p = self.partition_of(hash);
        let HashJoinLevel {
            partitions,
            index,
            build_serializer,
            ..
        } = self;
        let no_build = partitions[p].build_records == 0;
        if let Some(spilled) = &mut partitions[p].spilled {
            let filtered = !no_build
                && spilled
                    .bloom
                    .as_ref()
                    .is_some_and(|bloom| !bloom.may_contain(hash));
            if filtered {
                metrics.bloom_filtered_records += 1;
            }
            if no_build || filtered {
                if join_type.emits_unmatched_left() {
                    metrics.records_out += 1;
                    emit(Some(record), None)?;
                }
                return Ok(());
            }
            let writer = spilled
                .probe_writer
                .as_mut()
                .expect("a spilled partition with build records has a probe writer");
            return writer.write(inputs.left_serializer(), record);
        }
        let mut matched = false;
        if let Some(index) = index {
            let comparator = inputs.key_comparator();
            let mut slot = index.home_slot(hash);
            while let Some(entry) = index.entry(slot) {
                if entry.hash == hash {
                    let (p, pointer) = split_location(entry.location);
                    let build = partitions[p].area.read(build_serializer, pointer)?;
                    if comparator.compare(&key, &inputs.right_key(&build)) == Ordering::Equal {
                        matched = true;
                        if join_type.emits_unmatched_right() && !entry.matched {
                            index.mark_matched(slot);
                        }
                        metrics.records_out += 1;
                        emit(Some(record), Some(&build))?;
                    }
                }
                slot = index.next_slot(slot);
            }
        }
        if !matched && join_type.emits_unmatched_left() {
            metrics.records_out += 1;
            emit(Some(record), None)?;
        }
        Ok(())
    }

    /// Emits the unmatched in-memory build records (right outer joins), closes the probe
    /// spill files, and returns every page and the spilled pairs for the next level.
    pub fn finish<F>(
        mut self,
        join_type: JoinType,
        metrics: &mut OperatorMetrics,
        emit: &mut F,
    ) -> Result<(Vec<MemorySegment>, Vec<SpilledPair>), WeirError>
    where
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        debug_assert_eq!(self.phase, Phase::Probe);
        if join_type.emits_unmatched_right()
            && let Some(index) = &self.index
        {
            for slot in 0..index.slots() {
                let Some(entry) = index.entry(slot) else {
                    continue;
                };
                if entry.matched {
                    continue;
                }
                let (p, pointer) = split_location(entry.location);
                let build = self.partitions[p]
                    .area
                    .read(&self.build_serializer, pointer)?;
                metrics.records_out += 1;
                emit(None, Some(&build))?;
            }
        }
        let mut pairs = Vec::new();
        for partition in &mut self.partitions {
            let Some(spilled) = partition.spilled.take() else {
                continue;
            };
            let probe = match spilled.probe_writer {
                Some(writer) => {
                    let (run, mut pages) = writer.close()?;
                    self.free.append(&mut pages);
                    metrics.note_spilled(&run);
                    Some(run).filter(|run| run.records() > 0)
                }
                None => None,
            };
            if let Some(bloom) = spilled.bloom {
                self.free.append(&mut bloom.into_pages());
            }
            let build = spilled
                .build_run
                .expect("the build runs are closed after the build");
            let wanted = probe.is_some() || join_type.emits_unmatched_right();
            if build.records() > 0 && wanted {
                pairs.push(SpilledPair {
                    build,
                    probe,
                    level: self.level + 1,
                });
            }
        }
        Ok((self.into_pages(), pairs))
    }

    /// Ends the level at any point and returns every page it still holds (spill files not
    /// yet closed are dropped and deleted).
    pub fn into_pages(mut self) -> Vec<MemorySegment> {
        let mut pages = std::mem::take(&mut self.free);
        pages.append(&mut self.reserve);
        if let Some(index) = self.index.take() {
            pages.append(&mut index.into_pages());
        }
        for partition in &mut self.partitions {
            partition.area.clear(&mut pages);
            if let Some(spilled) = partition.spilled.take() {
                for writer in [spilled.build_writer, spilled.probe_writer]
                    .into_iter()
                    .flatten()
                {
                    if let Ok((_, mut writer_pages)) = writer.close() {
                        pages.append(&mut writer_pages);
                    }
                }
                if let Some(bloom) = spilled.bloom {
                    pages.append(&mut bloom.into_pages());
                }
            }
        }
        pages
    }
}
