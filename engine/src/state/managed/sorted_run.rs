//! [`SortedRun`]: one spill file of the managed state's store, sorted by lookup key, with the
//! in-memory indexes that make a point lookup read one block, and a prefix scan read from the
//! first block that can hold the prefix on.
//!
//! ```text
//!   file (SpillWriter, blocks of one page each; all but the last are full):
//!   block 0               block 1               block 2
//!   [hdr|rec rec rec re]  [hdr|c rec rec rec ]  [hdr|rec rec]
//!         ^ first record        ^ offset of the first record that starts in block 1
//!
//!   sparse index (heap, SparseIndex): a point at the first record that starts in each block
//!     and at least every INDEX_INTERVAL_BYTES (4 KiB) of records:
//!     (block, offset of the record in the block, its lookup key)
//!   bloom filter (heap): 10 bits per record
//!
//!   lookup(k): bloom says no ──▶ absent (no I/O)
//!              else: last point with key ≤ k ──▶ read its block (header at
//!              block × (16 + page size)) and scan from the point until a key ≥ k
//!   seek(p):   last point with key ≤ p (else the first) ──▶ scan forward to the first key ≥ p;
//!              a prefix scan stops at the first key that does not start with p
//! ```
//!
//! Blocks are read on the caller's thread with the run's own
//! [`SynchronousBlockReader`] (the file stays open while the run lives: no I/O-thread hand-off
//! and no `open` per lookup), into one page the caller lends. A [`RunScanner`] walks the
//! records from a position: a record inside the current block is handed out in place, one
//! that spans blocks (or pages: records may be larger than a page) is copied together into a
//! scratch vector while the following blocks are read into the same page.
//!
//! Heap per record: the bloom bits (1.25 bytes) plus the sparse index (a point of 16 bytes and
//! its key per 4 KiB of records: well under a byte per record for records of tens of bytes).
//! [`RunCursor`] reads a run in order from a key on (merges, snapshots, prefix scans); a run's
//! file is deleted when the run drops.

use std::cmp::Ordering;
use std::ops::ControlFlow;
use std::sync::Arc;

use weir_memory::{BLOCK_HEADER_BYTES, IoManager, MemorySegment, SynchronousBlockReader};

use crate::error::WeirError;
use crate::operators::spill::{SpillWriter, SpilledRun};
use crate::state::managed::bloom_filter::{BloomFilter, bloom_hash};
use crate::state::managed::sparse_index::{INDEX_INTERVAL_BYTES, RunPosition, SparseIndex};
use crate::state::managed::store_record::{
    RECORD_HEADER_BYTES, RecordKind, StoreRecord, record_lengths,
};

/// A sorted run and its indexes. See the module docs.
#[derive(Debug)]
pub struct SortedRun {
    run: SpilledRun,
    reader: SynchronousBlockReader,
    bloom: BloomFilter,
    sparse: SparseIndex,
    page_bytes: usize,
    /// State ids with a record in the run (sorted; few).
    state_ids: Vec<u32>,
    index_heap_bytes: u64,
}

/// Writes a sorted run record by record. See the module docs.
#[derive(Debug)]
pub struct SortedRunBuilder {
    writer: SpillWriter,
    bloom: BloomFilter,
    sparse: SparseIndex,
    state_ids: Vec<u32>,
    page_bytes: usize,
    bytes_written: u64,
    /// Run bytes at the last index point.
    last_point_bytes: u64,
    last_key: Vec<u8>,
}

impl SortedRunBuilder {
    /// A builder of a new run in `io` sized for about `expected_records` records, writing
    /// through `pages` (at least one).
    pub fn create(
        io: &IoManager,
        pages: Vec<MemorySegment>,
        expected_records: usize,
    ) -> Result<SortedRunBuilder, WeirError> {
        let page_bytes = pages.first().map_or(0, MemorySegment::size);
        Ok(SortedRunBuilder {
            writer: SpillWriter::create(io, pages)?,
            bloom: BloomFilter::with_capacity(expected_records),
            sparse: SparseIndex::default(),
            state_ids: Vec::new(),
            page_bytes,
            bytes_written: 0,
            last_point_bytes: 0,
            last_key: Vec::new(),
        })
    }

    /// Appends one whole record; lookup keys must come in strictly ascending order.
    pub fn add(&mut self, record: &[u8]) -> Result<(), WeirError> {
        let parsed = StoreRecord::parse(record);
        debug_assert!(
            self.writer.records() == 0 || parsed.lookup_key > &self.last_key[..],
            "records of a sorted run come in ascending key order, each key once"
        );
        let page_bytes = self.page_bytes as u64;
        let block = self.bytes_written / page_bytes;
        let first_in_block = self.sparse.is_empty() || self.last_point_bytes / page_bytes != block;
        if first_in_block || self.bytes_written - self.last_point_bytes >= INDEX_INTERVAL_BYTES {
            let position = RunPosition {
                block,
                offset: (self.bytes_written % page_bytes) as u32,
            };
            self.sparse.push(position, parsed.lookup_key);
            self.last_point_bytes = self.bytes_written;
        }
        let state_id = parsed.state_id();
        if let Err(position) = self.state_ids.binary_search(&state_id) {
            self.state_ids.insert(position, state_id);
        }
        self.bloom.insert(bloom_hash(parsed.lookup_key));
        self.writer.write_serialized(record)?;
        self.bytes_written += record.len() as u64;
        self.last_key.clear();
        self.last_key.extend_from_slice(parsed.lookup_key);
        Ok(())
    }

    pub fn records(&self) -> u64 {
        self.writer.records()
    }

    /// Writes the last block, opens the file for lookups and returns the run with the
    /// writer's pages.
    pub fn finish(mut self, io: &IoManager) -> Result<(SortedRun, Vec<MemorySegment>), WeirError> {
        let (run, pages) = self.writer.close()?;
        let reader = io.create_synchronous_block_reader(run.file())?;
        self.sparse.shrink_to_fit();
        let index_heap_bytes = self.bloom.heap_bytes() + self.sparse.heap_bytes();
        Ok((
            SortedRun {
                run,
                reader,
                bloom: self.bloom,
                sparse: self.sparse,
                page_bytes: self.page_bytes,
                state_ids: self.state_ids,
                index_heap_bytes,
            },
            pages,
        ))
    }
}

/// What a lookup found for its key in one run.
#[derive(Debug, PartialEq, Eq)]
pub enum RunLookup {
    /// No record of the key.
    Absent,
    /// A tombstone: the key has no entry (older runs do not count).
    Deleted,
    /// The key's entry.
    Found(Vec<u8>),
}

impl SortedRun {
    pub fn records(&self) -> u64 {
        self.run.records()
    }

    /// Payload bytes of the file.
    pub fn bytes(&self) -> u64 {
        self.run.bytes()
    }

    pub fn spilled_run(&self) -> &SpilledRun {
        &self.run
    }

    /// Heap bytes of the bloom filter and the sparse index.
    pub fn index_heap_bytes(&self) -> u64 {
        self.index_heap_bytes
    }

    /// False when the run certainly holds no record of the key with bloom hash `hash`.
    #[inline]
    pub fn may_contain(&self, hash: u64) -> bool {
        self.bloom.may_contain(hash)
    }

    /// True when the run may hold a record of state `state_id`.
    #[inline]
    pub fn has_state(&self, state_id: u32) -> bool {
        self.state_ids.binary_search(&state_id).is_ok()
    }

    /// Byte offset of the header of block `block` (every block before it is a full page).
    fn block_offset(&self, block: u64) -> u64 {
        block * (BLOCK_HEADER_BYTES + self.page_bytes) as u64
    }

    /// Looks `lookup_key` (with bloom hash `hash`) up, reading blocks into `page`; the page
    /// always comes back.
    pub fn lookup(
        &self,
        lookup_key: &[u8],
        hash: u64,
        page: MemorySegment,
    ) -> (MemorySegment, Result<RunLookup, WeirError>) {
        if !self.bloom.may_contain(hash) {
            return (page, Ok(RunLookup::Absent));
        }
        let Some(position) = self.sparse.find(lookup_key) else {
            return (page, Ok(RunLookup::Absent));
        };
        let mut scanner = RunScanner::new(self, page);
        let result = scanner
            .start_at(position)
            .and_then(|()| scan_for(&mut scanner, lookup_key));
        (scanner.into_page(), result)
    }
}

/// Scans records from the scanner's position for `lookup_key`.
fn scan_for(scanner: &mut RunScanner<'_>, lookup_key: &[u8]) -> Result<RunLookup, WeirError> {
    while let Some(record) = scanner.next_record()? {
        let record = StoreRecord::parse(record);
        match record.lookup_key.cmp(lookup_key) {
            Ordering::Less => {}
            Ordering::Greater => return Ok(RunLookup::Absent),
            Ordering::Equal => {
                return Ok(match record.kind {
                    RecordKind::Tombstone => RunLookup::Deleted,
                    RecordKind::Put => RunLookup::Found(record.value.to_vec()),
                });
            }
        }
    }
    Ok(RunLookup::Absent)
}

/// Reads the records of a run in order from a position, block by block into one page. See
/// the module docs.
struct RunScanner<'a> {
    run: &'a SortedRun,
    page: MemorySegment,
    /// True when the page holds block `block`.
    loaded: bool,
    /// The block in the page and the byte offset of its header.
    block: u64,
    block_offset: u64,
    payload_len: usize,
    /// Read position in the payload.
    position: usize,
    /// A record that spans blocks, copied together.
    spanning: Vec<u8>,
}

impl<'a> RunScanner<'a> {
    /// A scanner with nothing read yet: at the end until [`RunScanner::start_at`].
    fn new(run: &'a SortedRun, page: MemorySegment) -> RunScanner<'a> {
        RunScanner {
            run,
            page,
            loaded: false,
            block: 0,
            block_offset: 0,
            payload_len: 0,
            position: 0,
            spanning: Vec::new(),
        }
    }

    /// Reads the block of `position` and moves to the position.
    fn start_at(&mut self, position: RunPosition) -> Result<(), WeirError> {
        self.read_block(position.block, self.run.block_offset(position.block))?;
        let offset = position.offset as usize;
        if offset > self.payload_len {
            return Err(self.corrupt(format!(
                "the sparse index points at byte {offset} of a block of {} bytes",
                self.payload_len
            )));
        }
        self.position = offset;
        Ok(())
    }

    fn read_block(&mut self, block: u64, offset: u64) -> Result<(), WeirError> {
        // Nothing valid in the page while it is being overwritten (or after a failed read).
        self.loaded = false;
        self.payload_len = 0;
        self.position = 0;
        self.payload_len = self
            .run
            .reader
            .read_block_at(block, offset, &mut self.page)?;
        self.block = block;
        self.block_offset = offset;
        self.loaded = true;
        Ok(())
    }

    /// Reads the next block; false after the last.
    fn next_block(&mut self) -> Result<bool, WeirError> {
        let next = self.block + 1;
        if !self.loaded || next >= self.run.run.blocks() {
            return Ok(false);
        }
        let offset = self.block_offset + (BLOCK_HEADER_BYTES + self.payload_len) as u64;
        self.read_block(next, offset)?;
        Ok(true)
    }

    /// The next whole record (header, lookup key, value), `None` after the last one.
    #[inline]
    fn next_record(&mut self) -> Result<Option<&[u8]>, WeirError> {
        if self.position == self.payload_len && !self.next_block()? {
            return Ok(None);
        }
        let start = self.position;
        let rest = &self.page.as_slice()[start..self.payload_len];
        if rest.len() >= RECORD_HEADER_BYTES {
            let (key_len, value_len) = record_lengths(rest)?;
            let total = RECORD_HEADER_BYTES + key_len + value_len;
            if rest.len() >= total {
                self.position += total;
                return Ok(Some(&self.page.as_slice()[start..start + total]));
            }
        }
        self.read_spanning()?;
        Ok(Some(&self.spanning))
    }

    /// Copies a record that does not end in the current block into `spanning`.
    fn read_spanning(&mut self) -> Result<(), WeirError> {
        let mut spanning = std::mem::take(&mut self.spanning);
        spanning.clear();
        let result = self
            .copy_into(&mut spanning, RECORD_HEADER_BYTES)
            .and_then(|()| {
                let (key_len, value_len) = record_lengths(&spanning)?;
                self.copy_into(&mut spanning, key_len + value_len)
            });
        self.spanning = spanning;
        result
    }

    /// Appends the next `count` bytes to `out`, reading blocks as needed.
    fn copy_into(&mut self, out: &mut Vec<u8>, mut count: usize) -> Result<(), WeirError> {
        while count > 0 {
            if self.position == self.payload_len && !self.next_block()? {
                return Err(self.corrupt(format!(
                    "the run ends {count} bytes before the end of a record"
                )));
            }
            let take = count.min(self.payload_len - self.position);
            out.extend_from_slice(&self.page.as_slice()[self.position..self.position + take]);
            self.position += take;
            count -= take;
        }
        Ok(())
    }

    fn corrupt(&self, problem: String) -> WeirError {
        WeirError::CorruptSnapshot {
            what: format!(
                "managed state run {} (block {})",
                self.run.run.file().path().display(),
                self.block
            ),
            problem,
        }
    }

    fn into_page(self) -> MemorySegment {
        self.page
    }
}

/// Reads a run's records in order from a key on.
pub struct RunCursor<'a> {
    scanner: RunScanner<'a>,
    current: Vec<u8>,
    at_end: bool,
}

impl std::fmt::Debug for RunCursor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunCursor")
            .field("run", &self.scanner.run.run.file().path())
            .field("block", &self.scanner.block)
            .field("at_end", &self.at_end)
            .finish()
    }
}

impl<'a> RunCursor<'a> {
    /// A cursor of `run` reading into `page`, at the end until [`RunCursor::seek`].
    pub fn new(run: &'a SortedRun, page: MemorySegment) -> RunCursor<'a> {
        RunCursor {
            scanner: RunScanner::new(run, page),
            current: Vec::new(),
            at_end: true,
        }
    }

    /// Moves to the first record whose lookup key is ≥ `from` (the first record for an empty
    /// `from`).
    pub fn seek(&mut self, from: &[u8]) -> Result<(), WeirError> {
        self.at_end = true;
        let Some(position) = self.scanner.run.sparse.seek(from) else {
            return Ok(());
        };
        self.scanner.start_at(position)?;
        loop {
            self.advance()?;
            if self.at_end || StoreRecord::parse(&self.current).lookup_key >= from {
                return Ok(());
            }
        }
    }

    /// The record under the cursor, `None` at the end.
    #[inline]
    pub fn current(&self) -> Option<&[u8]> {
        (!self.at_end).then_some(&self.current[..])
    }

    /// Moves to the next record.
    pub fn advance(&mut self) -> Result<(), WeirError> {
        match self.scanner.next_record()? {
            Some(record) => {
                self.current.clear();
                self.current.extend_from_slice(record);
                self.at_end = false;
            }
            None => self.at_end = true,
        }
        Ok(())
    }

    /// Gives the page back.
    pub fn close(self) -> MemorySegment {
        self.scanner.into_page()
    }
}

/// Merges `runs` (oldest first) in key order from lookup key `from` on: `visit` sees each
/// lookup key once, with the record of the newest run that holds it (tombstones included),
/// until it breaks. Reads each run into one of `pages` (one per run), which come back.
pub fn merge_runs(
    runs: &[Arc<SortedRun>],
    mut pages: Vec<MemorySegment>,
    from: &[u8],
    mut visit: impl FnMut(&[u8]) -> Result<ControlFlow<()>, WeirError>,
) -> (Vec<MemorySegment>, Result<(), WeirError>) {
    assert!(pages.len() >= runs.len(), "one page per run");
    let mut cursors: Vec<RunCursor<'_>> = runs
        .iter()
        .map(|run| RunCursor::new(run, pages.pop().expect("checked above")))
        .collect();
    let result = cursors
        .iter_mut()
        .try_for_each(|cursor| cursor.seek(from))
        .and_then(|()| merge_cursors(&mut cursors, &mut visit));
    pages.extend(cursors.into_iter().map(RunCursor::close));
    (pages, result)
}

fn merge_cursors(
    cursors: &mut [RunCursor<'_>],
    visit: &mut impl FnMut(&[u8]) -> Result<ControlFlow<()>, WeirError>,
) -> Result<(), WeirError> {
    loop {
        // The newest cursor (highest index) with the smallest key.
        let mut smallest: Option<(usize, &[u8])> = None;
        for (index, cursor) in cursors.iter().enumerate() {
            let Some(record) = cursor.current() else {
                continue;
            };
            let key = StoreRecord::parse(record).lookup_key;
            if smallest.is_none_or(|(_, best_key)| key <= best_key) {
                smallest = Some((index, key));
            }
        }
        let Some((newest, _)) = smallest else {
            return Ok(());
        };
        let (older, rest) = cursors.split_at_mut(newest);
        let record = rest[0].current().expect("a chosen cursor has a record");
        if visit(record)?.is_break() {
            return Ok(());
        }
        let key = StoreRecord::parse(record).lookup_key;
        // Older copies of the same key are shadowed.
        for cursor in older.iter_mut() {
            if cursor
                .current()
                .is_some_and(|other| StoreRecord::parse(other).lookup_key == key)
            {
                cursor.advance()?;
            }
        }
        rest[0].advance()?;
    }
}

/// True when `record` is a put (not a tombstone).
pub fn is_put(record: &[u8]) -> bool {
    StoreRecord::parse(record).kind == RecordKind::Put
}

#[cfg(test)]
mod tests {
    use weir_memory::{ByteSize, MemoryManager, PageSize};

    use super::*;
    use crate::state::managed::store_record::{encode_record, start_lookup_key};

    fn record(key: u32, kind: RecordKind, value_len: usize) -> Vec<u8> {
        let mut lookup_key = Vec::new();
        start_lookup_key(1, key / 1000, &mut lookup_key);
        lookup_key.extend_from_slice(&key.to_be_bytes());
        let mut bytes = Vec::new();
        encode_record(kind, &lookup_key, &vec![key as u8; value_len], &mut bytes);
        bytes
    }

    #[test]
    fn lookups_find_every_record_and_merges_keep_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let io = IoManager::new(&[dir.path().to_path_buf()]).unwrap();
        let memory = MemoryManager::new(ByteSize::kib(64), PageSize::new(4096).unwrap()).unwrap();
        let reservation = memory.reservation("test");
        let build = |keys: &mut dyn Iterator<Item = (u32, RecordKind)>| {
            let pages = reservation.allocate_pages(2).unwrap();
            let mut builder = SortedRunBuilder::create(&io, pages, 100).unwrap();
            for (key, kind) in keys {
                // From empty to longer than a page.
                builder
                    .add(&record(key, kind, (key as usize * 37) % 6000))
                    .unwrap();
            }
            builder.finish(&io).unwrap().0
        };
        let old = Arc::new(build(
            &mut (0..3000).step_by(2).map(|k| (k, RecordKind::Put)),
        ));
        let new = Arc::new(build(&mut (0..3000).step_by(3).map(|k| {
            (
                k,
                if k % 2 == 0 {
                    RecordKind::Tombstone
                } else {
                    RecordKind::Put
                },
            )
        })));
        assert!(old.spilled_run().blocks() > 10);
        let mut page = reservation.allocate_page().unwrap();
        for key in 0..3000u32 {
            let lookup_key = &StoreRecord::parse(&record(key, RecordKind::Put, 0))
                .lookup_key
                .to_vec();
            let (back, found) = old.lookup(lookup_key, bloom_hash(lookup_key), page);
            page = back;
            let expected = if key % 2 == 0 {
                RunLookup::Found(vec![key as u8; (key as usize * 37) % 6000])
            } else {
                RunLookup::Absent
            };
            assert_eq!(found.unwrap(), expected, "key {key}");
            let (back, found) = new.lookup(lookup_key, bloom_hash(lookup_key), page);
            page = back;
            let expected = match (key % 3, key % 2) {
                (0, 0) => RunLookup::Deleted,
                (0, _) => RunLookup::Found(vec![key as u8; (key as usize * 37) % 6000]),
                _ => RunLookup::Absent,
            };
            assert_eq!(found.unwrap(), expected, "key {key}");
        }
        let pages = reservation.allocate_pages(2).unwrap();
        let mut merged = Vec::new();
        let runs = [Arc::clone(&old), Arc::clone(&new)];
        let (pages, result) = merge_runs(&runs, pages, &[], |r| {
            let parsed = StoreRecord::parse(r);
            merged.push((parsed.lookup_key.to_vec(), parsed.kind));
            Ok(ControlFlow::Continue(()))
        });
        result.unwrap();
        assert_eq!(pages.len(), 2);
        let expected: Vec<u32> = (0..3000).filter(|k| k % 2 == 0 || k % 3 == 0).collect();
        assert_eq!(merged.len(), expected.len());
        for ((key, kind), k) in merged.iter().zip(expected) {
            assert_eq!(&key[8..], &k.to_be_bytes());
            let want = if k % 3 == 0 && k % 2 == 0 {
                RecordKind::Tombstone
            } else {
                RecordKind::Put
            };
            assert_eq!(*kind, want);
        }
        drop((runs, old, new, page, pages));
        assert_eq!(
            std::fs::read_dir(dir.path())
                .unwrap()
                .flatten()
                .filter(|e| e.path().is_file())
                .count(),
            0
        );
    }
}
