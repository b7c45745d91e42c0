//! [`SpillStore`]: where the managed keyed state puts entries evicted from its working set — an
//! LSM-style store of [`store_record`](crate::state::managed::store_record)s over the IoManager.
//!
//! ```text
//!   evict(key, value) ──▶ write buffer: RecordArea in managed pages ──full / end of round──┐
//!                                                                                          │
//!   pending tombstones (heap set of lookup keys:        sort pointers by lookup key ◀──────┘
//!   copies in runs that are dead) ─── written with ──▶  SortedRunBuilder ──▶ run n (newest)
//!                                                                           │
//!   runs: [run 0 (oldest) … run n]  ── more than MAX_RUNS ──▶ merge all into one run, dropping
//!                                                            tombstones and dead copies
//!   lookup(key): pending tombstone? ──▶ absent; else runs newest first (bloom, sparse index,
//!                one block read) ──▶ first put or tombstone decides
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
//! Memory: the write buffer's pages, one lookup page and the pages of readers and writers
//! (at most [`IO_PAGES`] at once) come from the store's reservation; every page goes back when
//! the store drops. Heap: per run the bloom filter and sparse index
//! ([`SortedRun::index_heap_bytes`]), the pending tombstones, and during a flush 8 bytes per
//! buffered record (the sort index); [`SpillStore::heap_bytes`] counts them, and the backend
//! counts that against its working set.

use std::cmp::Ordering;
use std::sync::Arc;

use foldhash::HashSet;
use foldhash::HashSetExt;
use weir_memory::{IoManager, MemoryReservation, MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::record_area::{Appended, RecordArea};
use crate::state::managed::StateSpillCounters;
use crate::state::managed::bloom_filter::bloom_hash;
use crate::state::managed::sorted_run::{
    RunLookup, SortedRun, SortedRunBuilder, is_put, merge_runs,
};
use crate::state::managed::store_record::{
    RECORD_HEADER_BYTES, RecordKind, StoreRecord, StoreRecordSerializer, encode_record,
};

/// Runs kept before they are merged into one.
pub const MAX_RUNS: usize = 4;

/// Pages for readers and writers at once: a merge of `MAX_RUNS + 1` runs into a new one.
pub const IO_PAGES: usize = MAX_RUNS + 2;

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
    /// Entries loaded back into the working set.
    pub loads: u64,
    /// Lookups that passed a run's bloom filter (and read a block).
    pub block_reads: u64,
}

/// The spilled part of one backend's keyed state. See the module docs.
pub struct SpillStore {
    io: Arc<IoManager>,
    reservation: MemoryReservation,
    /// Write-buffer pages not holding records.
    free: Vec<MemorySegment>,
    buffer: RecordArea,
    pointers: Vec<u64>,
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
        let page_size: PageSize = reservation.page_size();
        let free = reservation.allocate_pages(buffer_pages)?;
        let lookup_page = reservation.allocate_page()?;
        Ok(SpillStore {
            io,
            reservation,
            free,
            buffer: RecordArea::new(page_size, None),
            pointers: Vec::new(),
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
        self.index_heap_bytes() + self.tombstone_bytes + (self.pointers.capacity() * 8) as u64
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
            let (page, found) = run.lookup(&self.io, lookup_key, hash, page);
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
        if let Appended::At(pointer) =
            self.buffer
                .append(&StoreRecordSerializer, record, &mut self.free)?
        {
            self.pointers.push(pointer);
            return Ok(());
        }
        self.flush_buffer()?;
        match self
            .buffer
            .append(&StoreRecordSerializer, record, &mut self.free)?
        {
            Appended::At(pointer) => {
                self.pointers.push(pointer);
                Ok(())
            }
            // Larger than the whole buffer: a run of its own.
            Appended::NoRoom => self.write_run(std::iter::once(Ok(record.clone()))),
        }
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
        if self.pointers.is_empty() {
            return Ok(());
        }
        let mut pointers = std::mem::take(&mut self.pointers);
        let mut left = Vec::new();
        let mut right = Vec::new();
        let buffer = &self.buffer;
        let mut sort_result = Ok(());
        pointers.sort_unstable_by(|&a, &b| {
            match (
                read_key(buffer, a, &mut left),
                read_key(buffer, b, &mut right),
            ) {
                (Ok(()), Ok(())) => left.cmp(&right),
                (Err(error), _) | (_, Err(error)) => {
                    sort_result = Err(error);
                    Ordering::Equal
                }
            }
        });
        sort_result?;
        let records = pointers
            .iter()
            .map(|&pointer| self.buffer.read(&StoreRecordSerializer, pointer));
        let io = Arc::clone(&self.io);
        let reservation_pages = self.reservation.allocate_pages(1)?;
        let result = write_sorted_run(&io, reservation_pages, pointers.len(), records);
        self.buffer.clear(&mut self.free);
        pointers.clear();
        self.pointers = pointers;
        self.add_run(result?)
    }

    fn write_run(
        &mut self,
        records: impl Iterator<Item = Result<Vec<u8>, WeirError>>,
    ) -> Result<(), WeirError> {
        let pages = self.reservation.allocate_pages(1)?;
        let run = write_sorted_run(&self.io, pages, 1, records)?;
        self.add_run(run)
    }

    /// Adds a new run (the buffer is empty); merges the runs when there are more than
    /// [`MAX_RUNS`].
    fn add_run(&mut self, run: SortedRun) -> Result<(), WeirError> {
        self.push_run(run);
        if self.runs.len() > MAX_RUNS {
            self.compact(&mut |_, _| Ok(SpilledFate::Keep))?;
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
        let expected: u64 = runs.iter().map(|run| run.records()).sum();
        let pages = self.reservation.allocate_pages(runs.len() + 1)?;
        let (reader_pages, writer_pages) = {
            let mut pages = pages;
            let writer = pages.split_off(runs.len());
            (pages, writer)
        };
        let mut builder = SortedRunBuilder::create(&self.io, writer_pages, expected as usize)?;
        let tombstones = &self.tombstones;
        let mut dropped = 0u64;
        let mut replaced = Vec::new();
        let (_pages, merged) = merge_runs(&self.io, &runs, reader_pages, |record| {
            if !is_put(record) {
                return Ok(());
            }
            let parsed = StoreRecord::parse(record);
            if tombstones.contains(parsed.lookup_key) {
                // Loaded into the working set or deleted since: dead.
                return Ok(());
            }
            match filter(&parsed, record)? {
                SpilledFate::Keep => builder.add(record),
                SpilledFate::Drop => {
                    dropped += 1;
                    Ok(())
                }
                SpilledFate::Replace(value) => {
                    encode_record(RecordKind::Put, parsed.lookup_key, &value, &mut replaced);
                    builder.add(&replaced)
                }
            }
        });
        merged?;
        drop(runs);
        self.spilled_entries -= dropped;
        // Every dead copy is gone with the old runs.
        self.tombstones.clear();
        self.tombstone_bytes = 0;
        if builder.records() > 0 {
            let (run, _pages) = builder.finish()?;
            self.push_run(run);
        } else {
            drop(builder.finish()?);
        }
        Ok(())
    }

    /// Calls `visit` with every live put (not shadowed, not dead), in lookup-key order. The
    /// write buffer is empty between eviction rounds, so the runs hold everything.
    pub fn for_each_live(
        &self,
        mut visit: impl FnMut(&StoreRecord<'_>) -> Result<(), WeirError>,
    ) -> Result<(), WeirError> {
        debug_assert!(self.pointers.is_empty(), "iterated between eviction rounds");
        if self.runs.is_empty() {
            return Ok(());
        }
        let pages = self.reservation.allocate_pages(self.runs.len())?;
        let (_pages, result) = merge_runs(&self.io, &self.runs, pages, |record| {
            let parsed = StoreRecord::parse(record);
            if parsed.kind == RecordKind::Put && !self.tombstones.contains(parsed.lookup_key) {
                visit(&parsed)?;
            }
            Ok(())
        });
        result
    }
}

/// Reads the lookup key of the record at `pointer` into `out`.
fn read_key(buffer: &RecordArea, pointer: u64, out: &mut Vec<u8>) -> Result<(), WeirError> {
    let (mut view, _) = buffer.reader_at(pointer)?;
    let mut header = [0u8; RECORD_HEADER_BYTES];
    view.read_exact(&mut header)?;
    let key_len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as usize;
    out.resize(key_len, 0);
    view.read_exact(out)?;
    Ok(())
}

fn write_sorted_run(
    io: &IoManager,
    pages: Vec<MemorySegment>,
    expected_records: usize,
    records: impl Iterator<Item = Result<Vec<u8>, WeirError>>,
) -> Result<SortedRun, WeirError> {
    let mut builder = SortedRunBuilder::create(io, pages, expected_records)?;
    for record in records {
        builder.add(&record?)?;
    }
    Ok(builder.finish()?.0)
}
