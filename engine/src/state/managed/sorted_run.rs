//! [`SortedRun`]: one spill file of the managed state's store, sorted by lookup key, with the
//! in-memory indexes that make a point lookup read at most a block or two.
//!
//! ```text
//!   file (SpillWriter, blocks of one page each; all but the last are full):
//!   block 0               block 1               block 2
//!   [hdr|rec rec rec re]  [hdr|c rec rec rec ]  [hdr|rec rec]
//!         ^ first record        ^ offset of the first record that starts in block 1
//!
//!   sparse index (heap): per block in which a record starts:
//!     (block, offset of that record in the block, its lookup key)
//!   bloom filter (heap): 10 bits per record
//!
//!   lookup(k): bloom says no ──▶ absent (no I/O)
//!              else: last index entry with key ≤ k ──▶ read from that block (header at
//!              block × (16 + page size)) and scan forward until a key ≥ k
//! ```
//!
//! A record may span blocks; the scan follows it into the next block with the same page.
//! Heap per record: the bloom bits (1.25 bytes) plus one sparse entry per block (its lookup
//! key and 40 bytes), i.e. a few bits per record for records much smaller than a page.
//! [`RunCursor`] reads a whole run in order (merges, snapshots); a run's file is deleted when
//! the run drops.

use std::cmp::Ordering;
use std::sync::Arc;

use weir_memory::{
    BLOCK_HEADER_BYTES, BlockChannelReader, FilledBlock, IoManager, MemoryError, MemorySegment,
    PagedInputView, SegmentSource,
};

use crate::error::WeirError;
use crate::operators::spill::{SpillReader, SpillWriter, SpilledRun};
use crate::state::managed::bloom_filter::{BloomFilter, bloom_hash};
use crate::state::managed::store_record::{
    RECORD_HEADER_BYTES, RecordKind, StoreRecord, StoreRecordSerializer,
};

/// The first record that starts in a block.
#[derive(Debug)]
struct SparseEntry {
    block: u64,
    offset: u32,
    first_key: Box<[u8]>,
}

/// Heap bytes of a sparse entry beyond its key.
const SPARSE_ENTRY_BYTES: u64 = 40;

/// A sorted run and its indexes. See the module docs.
#[derive(Debug)]
pub struct SortedRun {
    run: SpilledRun,
    bloom: BloomFilter,
    sparse: Vec<SparseEntry>,
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
    sparse: Vec<SparseEntry>,
    state_ids: Vec<u32>,
    page_bytes: usize,
    bytes_written: u64,
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
            sparse: Vec::new(),
            state_ids: Vec::new(),
            page_bytes,
            bytes_written: 0,
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
        let block = self.bytes_written / self.page_bytes as u64;
        if self.sparse.last().is_none_or(|entry| entry.block != block) {
            self.sparse.push(SparseEntry {
                block,
                offset: (self.bytes_written % self.page_bytes as u64) as u32,
                first_key: parsed.lookup_key.into(),
            });
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

    /// Writes the last block and returns the run with the writer's pages.
    pub fn finish(self) -> Result<(SortedRun, Vec<MemorySegment>), WeirError> {
        let (run, pages) = self.writer.close()?;
        let index_heap_bytes = self.bloom.heap_bytes()
            + self
                .sparse
                .iter()
                .map(|entry| entry.first_key.len() as u64 + SPARSE_ENTRY_BYTES)
                .sum::<u64>();
        Ok((
            SortedRun {
                run,
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

/// The blocks of a run read into one page, from a block found through the sparse index.
struct BlockSource {
    reader: BlockChannelReader,
    current: Option<FilledBlock>,
}

impl SegmentSource for BlockSource {
    fn current(&self) -> Option<(&MemorySegment, usize)> {
        self.current
            .as_ref()
            .map(|block| (block.segment(), block.payload_len()))
    }

    fn advance(&mut self) -> Result<bool, MemoryError> {
        if let Some(block) = self.current.take() {
            self.reader.read_block(block.into_segment())?;
        }
        self.current = self.reader.next_block()?;
        Ok(self.current.is_some())
    }
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
    pub fn may_contain(&self, hash: u64) -> bool {
        self.bloom.may_contain(hash)
    }

    /// True when the run may hold a record of state `state_id`.
    pub fn has_state(&self, state_id: u32) -> bool {
        self.state_ids.binary_search(&state_id).is_ok()
    }

    /// Looks `lookup_key` (with bloom hash `hash`) up, reading blocks into `page`; the page
    /// always comes back.
    pub fn lookup(
        &self,
        io: &IoManager,
        lookup_key: &[u8],
        hash: u64,
        page: MemorySegment,
    ) -> (MemorySegment, Result<RunLookup, WeirError>) {
        if !self.bloom.may_contain(hash) {
            return (page, Ok(RunLookup::Absent));
        }
        let index = self
            .sparse
            .partition_point(|entry| &*entry.first_key <= lookup_key);
        let Some(entry) = index.checked_sub(1).map(|index| &self.sparse[index]) else {
            return (page, Ok(RunLookup::Absent));
        };
        let offset = entry.block * (BLOCK_HEADER_BYTES + self.page_bytes) as u64;
        let mut reader = match io.create_block_reader_at(self.run.file(), entry.block, offset) {
            Ok(reader) => reader,
            Err(error) => return (page, Err(error.into())),
        };
        if let Err(error) = reader.read_block(page) {
            return (take_page(reader), Err(error.into()));
        }
        let current = match reader.next_block() {
            Ok(current) => current,
            Err(error) => return (take_page(reader), Err(error.into())),
        };
        let mut source = BlockSource { reader, current };
        let result = scan_for(&mut source, entry.offset as usize, lookup_key);
        let BlockSource { reader, current } = source;
        let mut pages = reader.close();
        pages.extend(current.map(FilledBlock::into_segment));
        let page = pages
            .pop()
            .expect("the lookup page comes back from its reader");
        (page, result)
    }
}

fn take_page(reader: BlockChannelReader) -> MemorySegment {
    reader
        .close()
        .pop()
        .expect("a failed reader keeps the page it was given")
}

/// Scans records from `offset` of the current block for `lookup_key`.
fn scan_for(
    source: &mut BlockSource,
    offset: usize,
    lookup_key: &[u8],
) -> Result<RunLookup, WeirError> {
    let mut view = PagedInputView::new_at(source, offset);
    let mut key = Vec::with_capacity(lookup_key.len());
    let mut header = [0u8; RECORD_HEADER_BYTES];
    loop {
        if view.at_end()? {
            return Ok(RunLookup::Absent);
        }
        view.read_exact(&mut header)?;
        let key_len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as usize;
        let value_len = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes")) as usize;
        key.resize(key_len, 0);
        view.read_exact(&mut key)?;
        match key[..].cmp(lookup_key) {
            Ordering::Less => view.skip_bytes(value_len)?,
            Ordering::Greater => return Ok(RunLookup::Absent),
            Ordering::Equal => {
                if header[8] != 0 {
                    return Ok(RunLookup::Deleted);
                }
                let mut value = vec![0u8; value_len];
                view.read_exact(&mut value)?;
                return Ok(RunLookup::Found(value));
            }
        }
    }
}

/// Reads a run's records in order, one page of read-ahead.
#[derive(Debug)]
pub struct RunCursor {
    reader: SpillReader,
    current: Option<Vec<u8>>,
}

impl RunCursor {
    /// A cursor on the first record of `run`, reading into `page`.
    pub fn open(
        io: &IoManager,
        run: &SortedRun,
        page: MemorySegment,
    ) -> Result<RunCursor, WeirError> {
        let mut reader = SpillReader::open(io, &run.run, vec![page])?;
        let current = reader.next(&StoreRecordSerializer);
        match current {
            Ok(current) => Ok(RunCursor { reader, current }),
            Err(error) => {
                drop(reader.close());
                Err(error)
            }
        }
    }

    /// The record under the cursor, `None` at the end.
    pub fn current(&self) -> Option<&[u8]> {
        self.current.as_deref()
    }

    /// Moves to the next record.
    pub fn advance(&mut self) -> Result<(), WeirError> {
        self.current = self.reader.next(&StoreRecordSerializer)?;
        Ok(())
    }

    /// Closes the reader, returning its page.
    pub fn close(self) -> Vec<MemorySegment> {
        self.reader.close()
    }
}

/// Merges `runs` (oldest first) in key order: `visit` sees each lookup key once, with the
/// record of the newest run that holds it (tombstones included). Reads each run into one of
/// `pages` (one per run), which come back.
pub fn merge_runs(
    io: &IoManager,
    runs: &[Arc<SortedRun>],
    mut pages: Vec<MemorySegment>,
    mut visit: impl FnMut(&[u8]) -> Result<(), WeirError>,
) -> (Vec<MemorySegment>, Result<(), WeirError>) {
    assert!(pages.len() >= runs.len(), "one page per run");
    let mut cursors = Vec::with_capacity(runs.len());
    for run in runs {
        let page = pages.pop().expect("checked above");
        match RunCursor::open(io, run, page) {
            Ok(cursor) => cursors.push(cursor),
            Err(error) => {
                for cursor in cursors {
                    pages.extend(cursor.close());
                }
                return (pages, Err(error));
            }
        }
    }
    let result = merge_cursors(&mut cursors, &mut visit);
    for cursor in cursors {
        pages.extend(cursor.close());
    }
    (pages, result)
}

fn merge_cursors(
    cursors: &mut [RunCursor],
    visit: &mut impl FnMut(&[u8]) -> Result<(), WeirError>,
) -> Result<(), WeirError> {
    loop {
        // The newest cursor (highest index) with the smallest key.
        let mut smallest: Option<usize> = None;
        for (index, cursor) in cursors.iter().enumerate() {
            let Some(record) = cursor.current() else {
                continue;
            };
            let key = StoreRecord::parse(record).lookup_key;
            smallest = match smallest {
                None => Some(index),
                Some(best) => {
                    let best_key = StoreRecord::parse(
                        cursors[best]
                            .current()
                            .expect("a chosen cursor has a record"),
                    )
                    .lookup_key;
                    if key <= best_key {
                        Some(index)
                    } else {
                        Some(best)
                    }
                }
            };
        }
        let Some(newest) = smallest else {
            return Ok(());
        };
        let record = cursors[newest]
            .current
            .take()
            .expect("a chosen cursor has a record");
        visit(&record)?;
        let key = StoreRecord::parse(&record).lookup_key;
        // Older copies of the same key are shadowed.
        for cursor in cursors[..newest].iter_mut() {
            if cursor
                .current()
                .is_some_and(|other| StoreRecord::parse(other).lookup_key == key)
            {
                cursor.advance()?;
            }
        }
        cursors[newest].advance()?;
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
            builder.finish().unwrap().0
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
            let (back, found) = old.lookup(&io, lookup_key, bloom_hash(lookup_key), page);
            page = back;
            let expected = if key % 2 == 0 {
                RunLookup::Found(vec![key as u8; (key as usize * 37) % 6000])
            } else {
                RunLookup::Absent
            };
            assert_eq!(found.unwrap(), expected, "key {key}");
            let (back, found) = new.lookup(&io, lookup_key, bloom_hash(lookup_key), page);
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
        let (pages, result) = merge_runs(&io, &[Arc::clone(&old), Arc::clone(&new)], pages, |r| {
            let parsed = StoreRecord::parse(r);
            merged.push((parsed.lookup_key.to_vec(), parsed.kind));
            Ok(())
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
        drop((old, new, page, pages));
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
