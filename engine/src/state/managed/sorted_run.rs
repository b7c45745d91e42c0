//! [`SortedRun`]: one spill file of the managed state's store, sorted by lookup key, with the
//! in-memory indexes that make a point lookup read one small block, and a prefix scan read
//! from the first block that can hold the prefix on.
//!
//! ```text
//!   file (blocks written through the IoManager, one page each at most):
//!   block 0                block 1                 block 2       block 3
//!   [hdr|rec rec … rec]    [hdr|rec … rec record   [hdr|cord]    [hdr|rec rec]
//!    ≥ RUN_BLOCK_BYTES:     …  that does not fit    the rest of   ^ first record that
//!    ends after a record    the page: continues ──▶ it            starts in block 3
//!
//!   sparse index (heap, SparseIndex): a point per block in which a record starts:
//!     (block, header offset, offset of that record in the block, its lookup key)
//!   bloom filter (heap): 10 bits per record
//!
//!   lookup(k): bloom says no ──▶ absent (no I/O)
//!              else: last point with key ≤ k ──▶ read its block (up to the next point's
//!              block: ~RUN_BLOCK_BYTES, one pread) and scan from the point until a key ≥ k
//!   seek(p):   last point with key ≤ p (else the first) ──▶ scan forward to the first key ≥ p;
//!              a prefix scan stops at the first key that does not start with p
//! ```
//!
//! Blocks end at the first record boundary after [`RUN_BLOCK_BYTES`], not at the end of a
//! page: a lookup reads (and checksums) one such block, whatever the page size. A record that
//! does not fit into the rest of its page continues in the next block (records may be larger
//! than a page). The builder writes through the IoManager's block writer with write-behind
//! (all the pages it is given but the one it fills are in flight).
//!
//! Blocks are read on the caller's thread with the run's own [`SynchronousBlockReader`] (the
//! file stays open while the run lives: no I/O-thread hand-off and no `open` per lookup), into
//! one page the caller lends. A `RunScanner` walks the records from a position: a record
//! inside the current block is handed out in place, one that spans blocks is copied together
//! into a scratch vector while the following blocks are read into the same page.
//!
//! Heap per record: the bloom bits (1.25 bytes) plus the sparse index (24 bytes and a key per
//! block: well under a byte per record for records of tens of bytes). [`RunCursor`] reads a
//! run in order from a key on (merges, snapshots, prefix scans); a run's file is deleted when
//! the run drops.

use std::cmp::Ordering;
use std::ops::ControlFlow;
use std::sync::Arc;

use weir_memory::{
    BLOCK_HEADER_BYTES, BlockChannelWriter, IoManager, MemorySegment, SynchronousBlockReader,
};

use crate::error::WeirError;
use crate::operators::spill::SpilledRun;
use crate::state::managed::bloom_filter::{BloomFilter, bloom_hash};
use crate::state::managed::sparse_index::{IndexedStart, RunPosition, SparseIndex};
use crate::state::managed::store_record::{
    RECORD_HEADER_BYTES, RecordKind, StoreRecord, record_lengths,
};

/// A block ends at the first record boundary at or past this many payload bytes (or at the
/// end of its page).
pub const RUN_BLOCK_BYTES: usize = 4096;

/// Payload bytes a sequential read asks for with a block's header: a block of
/// [`RUN_BLOCK_BYTES`] and a last record of up to this much more in one read.
const SEQUENTIAL_READ_BYTES: usize = RUN_BLOCK_BYTES + 1024;

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
    writer: BlockChannelWriter,
    /// The page being filled: the payload of block `block`. `None` only after a failed write
    /// took it.
    current: Option<MemorySegment>,
    spare: Vec<MemorySegment>,
    /// Payload bytes in `current`.
    position: usize,
    page_bytes: usize,
    /// Number of the block being filled and the file offset of its header.
    block: u64,
    block_offset: u64,
    /// True when a record starts in the block being filled (it has an index point).
    block_indexed: bool,
    records: u64,
    bloom: BloomFilter,
    sparse: SparseIndex,
    state_ids: Vec<u32>,
    last_key: Vec<u8>,
}

impl SortedRunBuilder {
    /// A builder of a new run in `io` sized for about `expected_records` records, writing
    /// through `pages` (at least one; each beyond the first is a block in flight).
    pub fn create(
        io: &IoManager,
        mut pages: Vec<MemorySegment>,
        expected_records: usize,
    ) -> Result<SortedRunBuilder, WeirError> {
        let Some(current) = pages.pop() else {
            return Err(WeirError::TooFewPages {
                operator: "managed state run writer",
                given: 0,
                required: 1,
            });
        };
        Ok(SortedRunBuilder {
            writer: io.create_block_writer(io.create_channel())?,
            page_bytes: current.size(),
            current: Some(current),
            spare: pages,
            position: 0,
            block: 0,
            block_offset: 0,
            block_indexed: false,
            records: 0,
            bloom: BloomFilter::with_capacity(expected_records),
            sparse: SparseIndex::default(),
            state_ids: Vec::new(),
            last_key: Vec::new(),
        })
    }

    /// Appends one whole record; lookup keys must come in strictly ascending order.
    pub fn add(&mut self, record: &[u8]) -> Result<(), WeirError> {
        let parsed = StoreRecord::parse(record);
        debug_assert!(
            self.records == 0 || parsed.lookup_key > &self.last_key[..],
            "records of a sorted run come in ascending key order, each key once"
        );
        if self.current.is_none() {
            return Err(WeirError::SpillWriterFailed {
                path: self.writer.path().to_path_buf(),
            });
        }
        if self.position >= RUN_BLOCK_BYTES.min(self.page_bytes) {
            self.end_block()?;
        }
        if !self.block_indexed {
            let position = RunPosition {
                block: self.block,
                block_offset: self.block_offset,
                offset: self.position as u32,
            };
            self.sparse.push(position, parsed.lookup_key);
            self.block_indexed = true;
        }
        let state_id = parsed.state_id();
        if let Err(position) = self.state_ids.binary_search(&state_id) {
            self.state_ids.insert(position, state_id);
        }
        self.bloom.insert(bloom_hash(parsed.lookup_key));
        let mut rest = record;
        loop {
            let take = rest.len().min(self.page_bytes - self.position);
            let page = self
                .current
                .as_mut()
                .expect("checked above, kept by end_block");
            page.put_bytes(self.position, &rest[..take]);
            self.position += take;
            rest = &rest[take..];
            if rest.is_empty() {
                break;
            }
            // The record continues in the next block.
            self.end_block()?;
        }
        self.records += 1;
        self.last_key.clear();
        self.last_key.extend_from_slice(parsed.lookup_key);
        Ok(())
    }

    /// Writes the current page as a block and starts the next block in a free page.
    fn end_block(&mut self) -> Result<(), WeirError> {
        let page = self
            .current
            .take()
            .expect("a block is ended only while a page is being filled");
        self.writer.write_block(page, self.position)?;
        self.block += 1;
        self.block_offset += (BLOCK_HEADER_BYTES + self.position) as u64;
        self.position = 0;
        self.block_indexed = false;
        let next = match self.spare.pop() {
            Some(page) => page,
            None => self.writer.next_returned_segment()?,
        };
        self.current = Some(next);
        Ok(())
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    /// Writes the last block, opens the file for lookups and returns the run with the
    /// writer's pages. On failure the file is deleted and the pages go back to their pool.
    pub fn finish(mut self, io: &IoManager) -> Result<(SortedRun, Vec<MemorySegment>), WeirError> {
        let mut first_error = None;
        if let Some(page) = self.current.take() {
            if self.position > 0 {
                if let Err(error) = self.writer.write_block(page, self.position) {
                    first_error = Some(error);
                }
            } else {
                self.spare.push(page);
            }
        }
        let (file, mut returned) = self.writer.close();
        self.spare.append(&mut returned);
        let file = match (first_error, file) {
            (None, Ok(file)) => file,
            (Some(error), _) | (None, Err(error)) => return Err(error.into()),
        };
        let run = SpilledRun::new(file, self.records);
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
            self.spare,
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

    /// Payload bytes to read with the header of the block where `start` points: up to the
    /// next indexed block (or the end of the file), at most a page.
    fn read_hint(&self, start: &IndexedStart) -> usize {
        let end = start
            .next_block_offset
            .unwrap_or_else(|| self.run.file().file_bytes());
        let block_bytes =
            end.saturating_sub(start.position.block_offset + BLOCK_HEADER_BYTES as u64);
        block_bytes.min(self.page_bytes as u64) as usize
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
        let Some(start) = self.sparse.find(lookup_key) else {
            return (page, Ok(RunLookup::Absent));
        };
        let mut scanner = RunScanner::new(self, page);
        let result = scanner
            .start_at(&start)
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

    /// Reads the block where `start` points and moves to the record there.
    fn start_at(&mut self, start: &IndexedStart) -> Result<(), WeirError> {
        let position = start.position;
        self.read_block(
            position.block,
            position.block_offset,
            self.run.read_hint(start),
        )?;
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

    fn read_block(&mut self, block: u64, offset: u64, hint_bytes: usize) -> Result<(), WeirError> {
        // Nothing valid in the page while it is being overwritten (or after a failed read).
        self.loaded = false;
        self.payload_len = 0;
        self.position = 0;
        self.payload_len =
            self.run
                .reader
                .read_block_at(block, offset, hint_bytes, &mut self.page)?;
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
        self.read_block(next, offset, SEQUENTIAL_READ_BYTES)?;
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
        let Some(start) = self.scanner.run.sparse.seek(from) else {
            return Ok(());
        };
        self.scanner.start_at(&start)?;
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
    use std::fs::OpenOptions;
    use std::os::unix::fs::FileExt;

    use weir_memory::{ByteSize, MemoryManager, PageSize};

    use super::*;
    use crate::state::managed::store_record::{encode_record, start_lookup_key};

    /// Value lengths from empty to past a block, and every 97th key longer than three pages.
    fn value_len(key: u32, page_bytes: usize) -> usize {
        if key.is_multiple_of(97) {
            3 * page_bytes + 5
        } else {
            (key as usize * 37) % 6000
        }
    }

    fn lookup_key(key: u32) -> Vec<u8> {
        let mut lookup_key = Vec::new();
        start_lookup_key(1, key / 1000, &mut lookup_key);
        lookup_key.extend_from_slice(&key.to_be_bytes());
        lookup_key
    }

    fn record(key: u32, kind: RecordKind, value_len: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode_record(
            kind,
            &lookup_key(key),
            &vec![key as u8; value_len],
            &mut bytes,
        );
        bytes
    }

    struct Env {
        _dir: tempfile::TempDir,
        io: IoManager,
        memory: MemoryManager,
    }

    fn env(page_bytes: usize) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let io = IoManager::new(&[dir.path().to_path_buf()]).unwrap();
        let memory =
            MemoryManager::new(ByteSize::kib(512), PageSize::new(page_bytes).unwrap()).unwrap();
        Env {
            _dir: dir,
            io,
            memory,
        }
    }

    fn build(env: &Env, keys: &mut dyn Iterator<Item = (u32, RecordKind)>) -> SortedRun {
        let page_bytes = env.memory.page_size().bytes();
        let pages = env.memory.reservation("writer").allocate_pages(3).unwrap();
        let mut builder = SortedRunBuilder::create(&env.io, pages, 100).unwrap();
        for (key, kind) in keys {
            let len = match kind {
                RecordKind::Put => value_len(key, page_bytes),
                RecordKind::Tombstone => 0,
            };
            builder.add(&record(key, kind, len)).unwrap();
        }
        let (run, pages) = builder.finish(&env.io).unwrap();
        assert_eq!(pages.len(), 3);
        run
    }

    #[test]
    fn lookups_find_every_record_and_merges_keep_the_newest() {
        for page_bytes in [4096, 32 * 1024] {
            let env = env(page_bytes);
            let reservation = env.memory.reservation("test");
            let old = Arc::new(build(
                &env,
                &mut (0..3000).step_by(2).map(|k| (k, RecordKind::Put)),
            ));
            let new = Arc::new(build(
                &env,
                &mut (0..3000).step_by(3).map(|k| {
                    let kind = if k % 2 == 0 {
                        RecordKind::Tombstone
                    } else {
                        RecordKind::Put
                    };
                    (k, kind)
                }),
            ));
            // Blocks end near RUN_BLOCK_BYTES whatever the page size.
            let blocks = old.spilled_run().blocks();
            assert!(blocks > 10);
            assert!(
                old.bytes() / blocks < (RUN_BLOCK_BYTES + 6000) as u64,
                "{} bytes in {blocks} blocks",
                old.bytes()
            );
            let mut page = reservation.allocate_page().unwrap();
            for key in 0..3000u32 {
                let lookup_key = lookup_key(key);
                let value = vec![key as u8; value_len(key, page_bytes)];
                let (back, found) = old.lookup(&lookup_key, bloom_hash(&lookup_key), page);
                page = back;
                let expected = if key % 2 == 0 {
                    RunLookup::Found(value.clone())
                } else {
                    RunLookup::Absent
                };
                assert_eq!(found.unwrap(), expected, "key {key}");
                let (back, found) = new.lookup(&lookup_key, bloom_hash(&lookup_key), page);
                page = back;
                let expected = match (key % 3, key % 2) {
                    (0, 0) => RunLookup::Deleted,
                    (0, _) => RunLookup::Found(value),
                    _ => RunLookup::Absent,
                };
                assert_eq!(found.unwrap(), expected, "key {key}");
            }
            let pages = reservation.allocate_pages(2).unwrap();
            let mut merged = Vec::new();
            let runs = [Arc::clone(&old), Arc::clone(&new)];
            let (pages, result) = merge_runs(&runs, pages, &[], |r| {
                let parsed = StoreRecord::parse(r);
                merged.push((parsed.lookup_key.to_vec(), parsed.kind, parsed.value.len()));
                Ok(ControlFlow::Continue(()))
            });
            result.unwrap();
            assert_eq!(pages.len(), 2);
            let expected: Vec<u32> = (0..3000).filter(|k| k % 2 == 0 || k % 3 == 0).collect();
            assert_eq!(merged.len(), expected.len());
            for ((key, kind, len), k) in merged.iter().zip(expected) {
                assert_eq!(&key[8..], &k.to_be_bytes());
                let (want, want_len) = if k % 3 == 0 && k % 2 == 0 {
                    (RecordKind::Tombstone, 0)
                } else {
                    (RecordKind::Put, value_len(k, page_bytes))
                };
                assert_eq!((*kind, *len), (want, want_len));
            }
            drop((runs, old, new, page, pages));
            assert_eq!(env.memory.used_pages(), 0);
            assert_eq!(
                env.io
                    .spill_directories()
                    .iter()
                    .map(|d| d.read_dir().unwrap().count())
                    .sum::<usize>(),
                0
            );
        }
    }

    #[test]
    fn cursors_seek_to_the_first_key_at_or_after_theirs_and_merges_stop_on_request() {
        let env = env(32 * 1024);
        let run = Arc::new(build(
            &env,
            &mut (0..3000).step_by(5).map(|k| (k, RecordKind::Put)),
        ));
        let reservation = env.memory.reservation("test");
        let mut cursor = RunCursor::new(&run, reservation.allocate_page().unwrap());
        assert_eq!(cursor.current(), None);
        for from in [0u32, 1, 4, 5, 999, 1000, 1001, 2995, 2996] {
            cursor.seek(&lookup_key(from)).unwrap();
            let first = from.div_ceil(5) * 5;
            match cursor.current() {
                Some(record) => {
                    assert_eq!(StoreRecord::parse(record).lookup_key, lookup_key(first))
                }
                None => assert!(first >= 3000, "{from}"),
            }
        }
        // An empty key seeks to the first record; a prefix scan stops where it says.
        cursor.seek(&[]).unwrap();
        assert_eq!(
            StoreRecord::parse(cursor.current().unwrap()).lookup_key,
            lookup_key(0)
        );
        drop(cursor);
        let mut seen = Vec::new();
        let prefix = &lookup_key(1000)[..8];
        let (pages, result) = merge_runs(
            std::slice::from_ref(&run),
            reservation.allocate_pages(1).unwrap(),
            prefix,
            |record| {
                let key = StoreRecord::parse(record).lookup_key;
                if !key.starts_with(prefix) {
                    return Ok(ControlFlow::Break(()));
                }
                seen.push(u32::from_be_bytes(key[8..12].try_into().unwrap()));
                Ok(ControlFlow::Continue(()))
            },
        );
        result.unwrap();
        assert_eq!(seen, (1000..2000).step_by(5).collect::<Vec<_>>());
        drop((pages, run));
        assert_eq!(env.memory.used_pages(), 0);
    }

    #[test]
    fn a_damaged_run_fails_lookups_and_scans_with_errors_and_keeps_the_page() {
        let env = env(32 * 1024);
        let run = build(&env, &mut (0..2000).map(|k| (k, RecordKind::Put)));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(run.spilled_run().file().path())
            .unwrap();
        let middle = run.spilled_run().file().file_bytes() / 2;
        let mut byte = [0u8];
        file.read_exact_at(&mut byte, middle).unwrap();
        file.write_all_at(&[byte[0] ^ 0x5a], middle).unwrap();
        let reservation = env.memory.reservation("test");
        let mut page = reservation.allocate_page().unwrap();
        let mut failures = 0;
        for key in 0..2000 {
            let lookup_key = lookup_key(key);
            let (back, found) = run.lookup(&lookup_key, bloom_hash(&lookup_key), page);
            page = back;
            match found {
                Ok(RunLookup::Found(value)) => assert_eq!(value.len(), value_len(key, 32 * 1024)),
                Ok(other) => panic!("key {key}: {other:?}"),
                Err(error) => {
                    assert!(error.to_string().contains("corrupt"), "{error}");
                    failures += 1;
                }
            }
        }
        assert!(failures > 0 && failures < 2000, "{failures}");
        let run = Arc::new(run);
        let (pages, result) = merge_runs(std::slice::from_ref(&run), vec![page], &[], |_| {
            Ok(ControlFlow::Continue(()))
        });
        assert!(result.is_err());
        assert_eq!(pages.len(), 1);
    }
}
