//! [`SpillStore`]: where the managed keyed state puts entries evicted from its working set — an
//! LSM-style store of [`store_record`](crate::state::managed::store_record)s over the IoManager.
//!
//! ```text
//!   evict(key, value) ──▶ write buffer: InMemorySorter in managed pages ──full / end of round─┐
//!                         (records + index of 24-byte lookup-key prefixes)                    │
//!   pending tombstones (heap set of lookup keys:        radix sort by lookup key ◀────────────┘
//!   copies in runs that are dead) ─── written with ──▶  SortedRunBuilder ──▶ run n (newest)
//!                                                                           │
//!   runs: [run 0 (oldest) … run n]  ── more than MAX_RUNS ──▶ merge the newest runs into one
//!         (size-tiered: the newest two and each older run not larger than those together;
//!          when that reaches run 0, or the runs hold more dead copies than live entries, all
//!          of them, dropping tombstones and dead copies)
//!   lookup(key): pending tombstone? ──▶ absent; else runs newest first (bloom, sparse index,
//!                one block read on this thread) ──▶ first put or tombstone decides
//!   prefix scan: runs merged from the first block that can hold the prefix, up to its last key
//! ```
//!
//! Invariant with the working set: an entry is live in exactly one place. Loading an entry back
//! ([`SpillStore::take`]) adds a pending tombstone for its key, so its copy in a run is dead
//! from then on; evicting the entry again removes the tombstone and writes a new put (which
//! shadows the old copy). So `spilled_entries` (puts not shadowed) is exact, and a merge of the
//! runs plus the working set never sees a (key, namespace) twice.
//!
//! The write buffer is empty between eviction rounds: [`SpillStore::finish_round`] writes the
//! pending tombstones and flushes. Lookups therefore consult only the runs.
//!
//! Memory: the write buffer's pages (records and their sort index), one lookup page and the
//! pages of readers and writers (at most [`IO_PAGES`] at once: a writer gets those no reader
//! needs, for write-behind) come from the store's reservation; every page goes back when the
//! store drops. Heap: per run the bloom filter and sparse index
//! ([`SortedRun::index_heap_bytes`]) and the pending tombstones; [`SpillStore::heap_bytes`]
//! counts them, and the backend counts that against its working set.

use std::ops::ControlFlow;
use std::sync::Arc;

use foldhash::HashSet;
use foldhash::HashSetExt;
use weir_memory::{IoManager, MemoryReservation, MemorySegment};

use crate::error::WeirError;
use crate::operators::sort::{InMemorySorter, SortOrder};
use crate::state::managed::StateSpillCounters;
use crate::state::managed::bloom_filter::bloom_hash;
use crate::state::managed::lookup_key_comparator::LookupKeyComparator;
use crate::state::managed::sorted_run::{
    RunLookup, SortedRun, SortedRunBuilder, is_put, merge_runs,
};
use crate::state::managed::store_record::{
    RecordKind, StoreRecord, StoreRecordSerializer, encode_record,
};

/// Runs kept before they are merged into one.
pub const MAX_RUNS: usize = 4;

/// Pages for readers and writers at once: a merge of `MAX_RUNS + 1` runs into a new one.
pub const IO_PAGES: usize = MAX_RUNS + 2;

/// The write buffer: an in-memory sorter of records by lookup key.
type WriteBuffer = InMemorySorter<StoreRecordSerializer, LookupKeyComparator>;

/// Heap bytes counted per pending tombstone beyond its key (set slot and box).
const TOMBSTONE_OVERHEAD_BYTES: u64 = 32;

/// What a merge filter decides for one put.
#[derive(Debug)]
pub enum SpilledFate {
    Keep,
    Drop,
    Replace(Vec<u8>),
}

/// Decides the fate of one live put during a merge, given its parsed record and its bytes.
pub type SpilledFilter<'a> =
    dyn FnMut(&StoreRecord<'_>, &[u8]) -> Result<SpilledFate, WeirError> + 'a;

/// Counters of the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpillStoreMetrics {
    /// Payload bytes written to spill files (flushes and merges).
    pub bytes_spilled: u64,
    /// Spill files written.
    pub spill_files: u64,
    /// Merges of all runs into one.
    pub compactions: u64,
    /// Merges of the newest runs into one (size-tiered; the oldest runs stay).
    pub partial_merges: u64,
    /// Entries loaded back into the working set.
    pub loads: u64,
    /// Lookups that passed a run's bloom filter (and read a block).
    pub block_reads: u64,
}

/// The spilled part of one backend's keyed state. See the module docs.
pub struct SpillStore {
    io: Arc<IoManager>,
    reservation: MemoryReservation,
    /// The write buffer: records and their sort index in the buffer pages.
    buffer: WriteBuffer,
    /// Oldest first.
    runs: Vec<Arc<SortedRun>>,
    tombstones: HashSet<Box<[u8]>>,
    tombstone_bytes: u64,
    lookup_page: Option<MemorySegment>,
    spilled_entries: u64,
    record: Vec<u8>,
    metrics: SpillStoreMetrics,
    counters: Arc<StateSpillCounters>,
}

impl std::fmt::Debug for SpillStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpillStore")
            .field("runs", &self.runs.len())
            .field("spilled_entries", &self.spilled_entries)
            .field("tombstones", &self.tombstones.len())
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

impl SpillStore {
    /// A store whose write buffer holds `buffer_pages` pages of `reservation` (which must allow
    /// `buffer_pages + 1 + IO_PAGES` pages).
    pub fn new(
        io: Arc<IoManager>,
        reservation: MemoryReservation,
        buffer_pages: usize,
        counters: Arc<StateSpillCounters>,
    ) -> Result<SpillStore, WeirError> {
        let buffer = InMemorySorter::new(
            StoreRecordSerializer,
            LookupKeyComparator,
            SortOrder::Unstable,
            reservation.allocate_pages(buffer_pages)?,
        )?;
        let lookup_page = reservation.allocate_page()?;
        Ok(SpillStore {
            io,
            reservation,
            buffer,
            runs: Vec::new(),
            tombstones: HashSet::new(),
            tombstone_bytes: 0,
            lookup_page: Some(lookup_page),
            spilled_entries: 0,
            record: Vec::new(),
            metrics: SpillStoreMetrics::default(),
            counters,
        })
    }

    pub fn metrics(&self) -> SpillStoreMetrics {
        self.metrics
    }

    /// Entries whose only copy is in the runs.
    pub fn spilled_entries(&self) -> u64 {
        self.spilled_entries
    }

    pub fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// Pages the store's reservation holds now.
    pub fn held_pages(&self) -> usize {
        self.reservation.held_pages()
    }

    /// Heap bytes of the run indexes (bloom filters, sparse indexes).
    pub fn index_heap_bytes(&self) -> u64 {
        self.runs.iter().map(|run| run.index_heap_bytes()).sum()
    }

    /// Heap bytes of the indexes and the pending tombstones.
    pub fn heap_bytes(&self) -> u64 {
        self.index_heap_bytes() + self.tombstone_bytes
    }

    /// True when some run may hold a record of state `state_id`.
    #[inline]
    pub fn has_state(&self, state_id: u32) -> bool {
        self.runs.iter().any(|run| run.has_state(state_id))
    }

    /// Finds the live entry of `lookup_key` and marks its copy dead (the caller keeps the
    /// entry in its working set now): the value, or `None` when the key has no entry here.
    pub fn take(&mut self, lookup_key: &[u8]) -> Result<Option<Vec<u8>>, WeirError> {
        if self.tombstones.contains(lookup_key) {
            return Ok(None);
        }
        let hash = bloom_hash(lookup_key);
        let state_id = crate::state::managed::store_record::state_id_of(lookup_key);
        for index in (0..self.runs.len()).rev() {
            let run = &self.runs[index];
            if !run.has_state(state_id) || !run.may_contain(hash) {
                continue;
            }
            self.metrics.block_reads += 1;
            let page = self
                .lookup_page
                .take()
                .expect("the lookup page is back after every lookup");
            let (page, found) = run.lookup(lookup_key, hash, page);
            self.lookup_page = Some(page);
            match found? {
                RunLookup::Absent => continue,
                RunLookup::Deleted => return Ok(None),
                RunLookup::Found(value) => {
                    self.metrics.loads += 1;
                    self.spilled_entries -= 1;
                    self.add_tombstone(lookup_key);
                    return Ok(Some(value));
                }
            }
        }
        Ok(None)
    }

    fn add_tombstone(&mut self, lookup_key: &[u8]) {
        if self.tombstones.insert(lookup_key.into()) {
            self.tombstone_bytes += lookup_key.len() as u64 + TOMBSTONE_OVERHEAD_BYTES;
        }
    }

    /// Takes the entry of `lookup_key` (not live in the store) with its serialized `value`.
    pub fn evict(&mut self, lookup_key: &[u8], value: &[u8]) -> Result<(), WeirError> {
        if self.tombstones.remove(lookup_key) {
            self.tombstone_bytes -= lookup_key.len() as u64 + TOMBSTONE_OVERHEAD_BYTES;
        }
        self.spilled_entries += 1;
        self.append(RecordKind::Put, lookup_key, value)
    }

    fn append(
        &mut self,
        kind: RecordKind,
        lookup_key: &[u8],
        value: &[u8],
    ) -> Result<(), WeirError> {
        let mut record = std::mem::take(&mut self.record);
        encode_record(kind, lookup_key, value, &mut record);
        let result = self.append_record(&record);
        self.record = record;
        result
    }

    fn append_record(&mut self, record: &Vec<u8>) -> Result<(), WeirError> {
        if self.buffer.write(record)? {
            return Ok(());
        }
        self.flush_buffer()?;
        if self.buffer.write(record)? {
            return Ok(());
        }
        // Larger than the whole buffer: a run of its own.
        self.write_run(std::iter::once(Ok(record.clone())), 1)
    }

    /// Ends an eviction round: writes the pending tombstones and flushes the write buffer as a
    /// run; merges the runs when there are more than [`MAX_RUNS`].
    pub fn finish_round(&mut self) -> Result<(), WeirError> {
        if !self.runs.is_empty() {
            let tombstones: Vec<Box<[u8]>> = self.tombstones.drain().collect();
            self.tombstone_bytes = 0;
            for key in tombstones {
                self.append(RecordKind::Tombstone, &key, &[])?;
            }
        } else {
            // Nothing to shadow.
            self.tombstones.clear();
            self.tombstone_bytes = 0;
        }
        self.flush_buffer()
    }

    /// Writes the buffer's records, sorted by lookup key, as a new run.
    fn flush_buffer(&mut self) -> Result<(), WeirError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let result = self.buffer.sort().and_then(|()| {
            let records = self.buffer.len();
            write_sorted_run(&self.io, &self.reservation, records, self.buffer.iter())
        });
        self.buffer.reset();
        self.add_run(result?)
    }

    fn write_run(
        &mut self,
        records: impl Iterator<Item = Result<Vec<u8>, WeirError>>,
        expected_records: usize,
    ) -> Result<(), WeirError> {
        let run = write_sorted_run(&self.io, &self.reservation, expected_records, records)?;
        self.add_run(run)
    }

    /// Adds a new run (the buffer is empty); when there are more than [`MAX_RUNS`], merges
    /// the newest runs (see [`SpillStore::newest_runs_to_merge`]), or all of them when the
    /// runs hold more dead copies and tombstones than live entries.
    fn add_run(&mut self, run: SortedRun) -> Result<(), WeirError> {
        self.push_run(run);
        if self.runs.len() > MAX_RUNS {
            let count = self.newest_runs_to_merge();
            let records: u64 = self.runs.iter().map(|run| run.records()).sum();
            // Dead copies and tombstones cost index heap: at most as many as live entries.
            if count == self.runs.len() || records > 2 * self.spilled_entries {
                self.compact(&mut |_, _| Ok(SpilledFate::Keep))?;
            } else {
                self.merge_newest(count)?;
            }
        }
        Ok(())
    }

    /// How many of the newest runs a merge takes (size-tiered): the newest two, then each
    /// next older run that is not larger than those taken together. The oldest (largest) run
    /// is rewritten only once the newer ones add up to its size, instead of at every merge
    /// (bench `state_spill`, uniform updates over 10× the share: 40 % fewer bytes written).
    fn newest_runs_to_merge(&self) -> usize {
        let mut count = 2.min(self.runs.len());
        let mut bytes: u64 = self.runs[self.runs.len() - count..]
            .iter()
            .map(|run| run.bytes())
            .sum();
        while count < self.runs.len() {
            let older = &self.runs[self.runs.len() - count - 1];
            if older.bytes() > bytes {
                break;
            }
            bytes += older.bytes();
            count += 1;
        }
        count
    }

    /// Merges the newest `count` runs (not all) into one. Their puts stay (dead ones too:
    /// the pending tombstones still shadow them, the next merge of all runs drops them);
    /// a tombstone stays when an older run may hold its key.
    fn merge_newest(&mut self, count: usize) -> Result<(), WeirError> {
        debug_assert!(count >= 2 && count < self.runs.len());
        self.metrics.partial_merges += 1;
        let newest = self.runs.split_off(self.runs.len() - count);
        let older = &self.runs;
        let merged =
            merge_into_new_run(&self.io, &self.reservation, &newest, |record, builder| {
                let parsed = StoreRecord::parse(record);
                let keep = match parsed.kind {
                    RecordKind::Put => true,
                    RecordKind::Tombstone => {
                        let (state_id, hash) = (parsed.state_id(), bloom_hash(parsed.lookup_key));
                        older
                            .iter()
                            .any(|run| run.has_state(state_id) && run.may_contain(hash))
                    }
                };
                if keep {
                    builder.add(record)?;
                }
                Ok(())
            })?;
        drop(newest);
        if let Some(run) = merged {
            self.push_run(run);
        }
        Ok(())
    }

    fn push_run(&mut self, run: SortedRun) {
        self.metrics.bytes_spilled += run.bytes();
        self.metrics.spill_files += 1;
        self.counters.add(run.bytes(), 1);
        self.runs.push(Arc::new(run));
    }

    /// Merges every run into one, dropping tombstones and dead copies; `filter` decides for
    /// each live put (e.g. TTL), with its record.
    pub fn compact(&mut self, filter: &mut SpilledFilter<'_>) -> Result<(), WeirError> {
        if self.runs.is_empty() {
            return Ok(());
        }
        self.metrics.compactions += 1;
        let runs = std::mem::take(&mut self.runs);
        let tombstones = &self.tombstones;
        let mut dropped = 0u64;
        let mut replaced = Vec::new();
        let merged = merge_into_new_run(&self.io, &self.reservation, &runs, |record, builder| {
            if !is_put(record) {
                return Ok(());
            }
            let parsed = StoreRecord::parse(record);
            if tombstones.contains(parsed.lookup_key) {
                // Loaded into the working set or deleted since: dead.
                return Ok(());
            }
            match filter(&parsed, record)? {
                SpilledFate::Keep => builder.add(record)?,
                SpilledFate::Drop => dropped += 1,
                SpilledFate::Replace(value) => {
                    encode_record(RecordKind::Put, parsed.lookup_key, &value, &mut replaced);
                    builder.add(&replaced)?;
                }
            }
            Ok(())
        })?;
        drop(runs);
        self.spilled_entries -= dropped;
        // Every dead copy is gone with the old runs.
        self.tombstones.clear();
        self.tombstone_bytes = 0;
        if let Some(run) = merged {
            self.push_run(run);
        }
        Ok(())
    }

    /// Calls `visit` with every live put (not shadowed, not dead), in lookup-key order. The
    /// write buffer is empty between eviction rounds, so the runs hold everything.
    pub fn for_each_live(
        &self,
        visit: impl FnMut(&StoreRecord<'_>) -> Result<(), WeirError>,
    ) -> Result<(), WeirError> {
        self.for_each_live_with_prefix(&[], visit)
    }

    /// Calls `visit` with every live put whose lookup key starts with `prefix`, in lookup-key
    /// order: each run is read from the first block that can hold the prefix (sparse index)
    /// and no further than the last key with the prefix, so the cost follows the entries of
    /// the prefix, not all spilled entries. Runs without a record of the prefix's state (when
    /// it names one) are not read.
    pub fn for_each_live_with_prefix(
        &self,
        prefix: &[u8],
        mut visit: impl FnMut(&StoreRecord<'_>) -> Result<(), WeirError>,
    ) -> Result<(), WeirError> {
        debug_assert!(self.buffer.is_empty(), "iterated between eviction rounds");
        let runs: Vec<Arc<SortedRun>> = match prefix.get(..4) {
            Some(_) => {
                let state_id = crate::state::managed::store_record::state_id_of(prefix);
                self.runs
                    .iter()
                    .filter(|run| run.has_state(state_id))
                    .cloned()
                    .collect()
            }
            None => self.runs.clone(),
        };
        if runs.is_empty() {
            return Ok(());
        }
        let pages = self.reservation.allocate_pages(runs.len())?;
        let (_pages, result) = merge_runs(&runs, pages, prefix, |record| {
            let parsed = StoreRecord::parse(record);
            if !parsed.lookup_key.starts_with(prefix) {
                return Ok(ControlFlow::Break(()));
            }
            if parsed.kind == RecordKind::Put && !self.tombstones.contains(parsed.lookup_key) {
                visit(&parsed)?;
            }
            Ok(ControlFlow::Continue(()))
        });
        result
    }
}

/// Merges `runs` (oldest first) into one new run: `each` sees the newest record of every lookup
/// key and adds what it keeps to the builder. A page per run is read, the rest of the I/O
/// pages go to the writer (write-behind); `None` when nothing was kept.
fn merge_into_new_run(
    io: &IoManager,
    reservation: &MemoryReservation,
    runs: &[Arc<SortedRun>],
    mut each: impl FnMut(&[u8], &mut SortedRunBuilder) -> Result<(), WeirError>,
) -> Result<Option<SortedRun>, WeirError> {
    let expected: u64 = runs.iter().map(|run| run.records()).sum();
    let mut reader_pages = reservation.allocate_pages(IO_PAGES)?;
    let writer_pages = reader_pages.split_off(runs.len());
    let mut builder = SortedRunBuilder::create(io, writer_pages, expected as usize)?;
    let (_pages, merged) = merge_runs(runs, reader_pages, &[], |record| {
        each(record, &mut builder)?;
        Ok(ControlFlow::Continue(()))
    });
    merged?;
    if builder.records() == 0 {
        drop(builder.finish(io)?);
        return Ok(None);
    }
    Ok(Some(builder.finish(io)?.0))
}

/// Writes `records` (sorted by lookup key) as a run, writing through the store's I/O pages
/// (all but the lookup page are free between merges: blocks go out behind each other).
fn write_sorted_run(
    io: &IoManager,
    reservation: &MemoryReservation,
    expected_records: usize,
    records: impl Iterator<Item = Result<Vec<u8>, WeirError>>,
) -> Result<SortedRun, WeirError> {
    let pages = reservation.allocate_pages(IO_PAGES)?;
    let mut builder = SortedRunBuilder::create(io, pages, expected_records)?;
    for record in records {
        builder.add(&record?)?;
    }
    Ok(builder.finish(io)?.0)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::PathBuf;

    use proptest::prelude::*;
    use weir_memory::{ByteSize, MemoryManager, PageSize};

    use super::*;

    /// A lookup key: state, key group, a "key" of 0 to 3 bytes and a "namespace" byte, so that
    /// many keys share every prefix length.
    fn lookup_key((state, group, key, namespace): (u32, u32, Vec<u8>, u8)) -> Vec<u8> {
        let mut out = Vec::new();
        crate::state::managed::store_record::start_lookup_key(state, group, &mut out);
        out.push(key.len() as u8);
        out.extend_from_slice(&key);
        out.push(namespace);
        out
    }

    fn key_strategy() -> impl Strategy<Value = Vec<u8>> {
        (
            0u32..2,
            0u32..3,
            prop_oneof![
                4 => proptest::collection::vec(0u8..3, 0..3),
                // One hot key with many namespaces.
                1 => Just(vec![7u8, 7]),
            ],
            0u8..12,
        )
            .prop_map(lookup_key)
    }

    /// Mostly small values, now and then one longer than a run block or a page (4 KiB and
    /// 16 KiB pages: it spans blocks).
    fn value_strategy() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            12 => proptest::collection::vec(any::<u8>(), 0..24),
            1 => (4096usize..40_000).prop_map(|len| vec![(len % 251) as u8; len]),
        ]
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// An eviction round: these entries (those not live in the store), then finish_round.
        Round(Vec<(Vec<u8>, Vec<u8>)>),
        Take(Vec<u8>),
        Compact,
        /// Checks the live entries under the first `n` bytes of this key.
        Scan(Vec<u8>, usize),
    }

    fn op_strategy() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => proptest::collection::vec((key_strategy(), value_strategy()), 0..40)
                .prop_map(Op::Round),
            4 => key_strategy().prop_map(Op::Take),
            1 => Just(Op::Compact),
            3 => (key_strategy(), prop_oneof![Just(0usize), Just(4), Just(8), Just(9), 10usize..14])
                .prop_map(|(key, n)| Op::Scan(key, n)),
        ]
    }

    fn scan(store: &SpillStore, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut seen = Vec::new();
        store
            .for_each_live_with_prefix(prefix, |record| {
                seen.push((record.lookup_key.to_vec(), record.value.to_vec()));
                Ok(())
            })
            .unwrap();
        seen
    }

    fn store(
        page_bytes: usize,
        buffer_pages: usize,
    ) -> (tempfile::TempDir, PathBuf, MemoryManager, SpillStore) {
        let dir = tempfile::tempdir().unwrap();
        let io = Arc::new(IoManager::new(&[dir.path().to_path_buf()]).unwrap());
        let memory =
            MemoryManager::new(ByteSize::kib(512), PageSize::new(page_bytes).unwrap()).unwrap();
        let reservation = memory.reservation_with_limit("store", buffer_pages + 1 + IO_PAGES);
        let spill_directory = io.spill_directories()[0].clone();
        let store = SpillStore::new(io, reservation, buffer_pages, Arc::default()).unwrap();
        (dir, spill_directory, memory, store)
    }

    #[test]
    fn newer_runs_merge_among_themselves_until_they_add_up_to_the_oldest() {
        let (_dir, spill_directory, memory, mut store) = store(4096, 32);
        let key = |k: u32| lookup_key((1, k % 3, k.to_be_bytes().to_vec(), 0));
        let mut live = BTreeMap::new();
        let round =
            |store: &mut SpillStore, live: &mut BTreeMap<_, _>, keys: std::ops::Range<u32>| {
                for k in keys {
                    store.evict(&key(k), &k.to_le_bytes()).unwrap();
                    live.insert(key(k), k.to_le_bytes().to_vec());
                }
                store.finish_round().unwrap();
            };
        // One large run, then small ones: they merge among themselves.
        round(&mut store, &mut live, 0..2000);
        let oldest_bytes = store.runs[0].bytes();
        for r in 0..4u32 {
            round(
                &mut store,
                &mut live,
                10_000 + r * 100..10_000 + r * 100 + 100,
            );
        }
        assert_eq!(store.metrics().partial_merges, 1);
        assert_eq!(store.metrics().compactions, 0);
        assert_eq!(store.runs[0].bytes(), oldest_bytes);
        // Load some entries back: their tombstones go into the next run.
        for k in (0..2000).step_by(10) {
            assert_eq!(store.take(&key(k)).unwrap(), live.remove(&key(k)));
        }
        // Until the newer runs add up to the oldest: then all of them merge.
        let mut r = 4;
        while store.metrics().compactions == 0 {
            round(
                &mut store,
                &mut live,
                10_000 + r * 100..10_000 + r * 100 + 100,
            );
            r += 1;
            assert!(store.run_count() <= MAX_RUNS);
        }
        assert!(store.metrics().partial_merges > 1, "{:?}", store.metrics());
        assert_eq!(store.spilled_entries(), live.len() as u64);
        for (k, value) in &live {
            assert_eq!(store.take(k).unwrap().as_ref(), Some(value));
        }
        // The I/O manager lives while the store does: look before it goes.
        let io = Arc::clone(&store.io);
        drop(store);
        assert_eq!(memory.used_pages(), 0);
        assert_eq!(std::fs::read_dir(spill_directory).unwrap().count(), 0);
        drop(io);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Prefix scans and takes against a model of the live entries, over several runs,
        /// pending and written tombstones, merges, and records longer than a page.
        #[test]
        fn prefix_scans_and_takes_agree_with_a_model(
            ops in proptest::collection::vec(op_strategy(), 0..60),
            buffer_pages in 2usize..6,
            page_bytes in prop_oneof![Just(4096usize), Just(16 * 1024)],
        ) {
            let (_dir, spill_directory, memory, mut store) = store(page_bytes, buffer_pages);
            let mut live: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Round(entries) => {
                        let mut evicted = BTreeSet::new();
                        for (key, value) in entries {
                            if live.contains_key(&key) || !evicted.insert(key.clone()) {
                                continue;
                            }
                            store.evict(&key, &value).unwrap();
                            live.insert(key, value);
                        }
                        store.finish_round().unwrap();
                    }
                    Op::Take(key) => {
                        prop_assert_eq!(store.take(&key).unwrap(), live.remove(&key));
                    }
                    Op::Compact => store.compact(&mut |_, _| Ok(SpilledFate::Keep)).unwrap(),
                    Op::Scan(key, n) => {
                        let prefix = &key[..n.min(key.len())];
                        let expected: Vec<(Vec<u8>, Vec<u8>)> = live
                            .range(prefix.to_vec()..)
                            .take_while(|(k, _)| k.starts_with(prefix))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        prop_assert_eq!(scan(&store, prefix), expected);
                    }
                }
                prop_assert_eq!(store.spilled_entries(), live.len() as u64);
                prop_assert!(store.run_count() <= MAX_RUNS);
            }
            let everything: Vec<_> = live.into_iter().collect();
            prop_assert_eq!(scan(&store, &[]), everything);
            let io = Arc::clone(&store.io);
            drop(store);
            prop_assert_eq!(memory.used_pages(), 0);
            prop_assert_eq!(std::fs::read_dir(spill_directory).unwrap().count(), 0);
            drop(io);
        }
    }
}
