//! The hybrid hash join's fallback for a spilled partition that recursion cannot split (one
//! hot key, or the deepest level reached): a block nested-loop join of the partition's build
//! run and probe run that completes in any [`MIN_BLOCK_NESTED_LOOP_PAGES`] pages, whatever the
//! join type and the runs' sizes.
//!
//! # One pass
//!
//! A pass reads one run (the **block** side) a block at a time and, for every block, reads
//! the whole other run (the **stream** side):
//!
//! ```text
//!  block run ──▶ block: as many records as fit in the pages, plus a HashIndex over them
//!                  │
//!                  ▼ for every block
//!  stream run ─▶ read it all; for each record walk the index: each equal key is a match
//!                (emitted if the pass emits matches) and sets the block record's matched bit
//!                  │
//!                  ▼ emit the block's unmatched records (if the pass emits them)
//!  the block side fits in one block: the stream records without a match are known during
//!                the single stream read and are emitted there (if the pass emits them)
//! ```
//!
//! The matched bit of a block record lives in its index slot, so unmatched **block** records
//! cost no memory beyond the block. Unmatched **stream** records are only known after every
//! block, which would need a bit per stream record; instead the side that must report its
//! unmatched records is made the block side:
//!
//! ```text
//!   join type    pass 1 (block = build, stream = probe)     pass 2 (block = probe, stream = build)
//!   Inner        matches                                     -
//!   RightOuter   matches, unmatched build                    -
//!   LeftOuter    matches, unmatched probe if one block   ┐   only if pass 1 was skipped or took
//!   FullOuter    matches, unmatched build, unmatched     ├─▶ several blocks: unmatched probe
//!                probe if one block                      ┘   records only (an anti-join pass)
//! ```
//!
//! A left outer join whose build run is unlikely to fit in one block skips pass 1 and runs
//! pass 2 emitting the matches as well (the roles swapped: one pass, as cheap as pass 1). A
//! full outer join over several build blocks pays a second pass that emits no matches, only
//! the probe records no build record matches. The estimate that picks the left outer plan
//! only affects speed: if pass 1 ends with several blocks after all, pass 2 follows.
//!
//! A stream run is read once per block ([`SpillReader`] re-reads a [`SpilledRun`] as often
//! as needed). The index over a block finds a stream record's candidates without comparing it
//! to every block record; with one hot key every candidate matches, so the work is the size
//! of the output. A block record that does not fit in an empty block (a record larger than
//! the block's pages) is joined on its own: it is compared with every stream record.
//!
//! # Pages
//!
//! One reader page for the block run, one for the stream run (two, for read-ahead, when the
//! fallback has at least [`STREAM_READ_AHEAD_MIN_PAGES`] pages: the stream is read once per
//! block, so overlapping its reads pays most), and the rest (at least two: an index page and a
//! record page) for the block.

use std::cmp::Ordering;
use std::sync::Arc;

use weir_memory::{IoManager, MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::join::hash_index::{HASH_MASK, HashIndex, index_pages, location};
use crate::operators::join::hash_prefixed::{HASH_PREFIX_BYTES, HashPrefixed, read_hash};
use crate::operators::join::join_inputs::{JoinSchema, LeftOf, RightOf};
use crate::operators::join::join_type::JoinType;
use crate::operators::join::record_pointers::RecordPointers;
use crate::operators::metrics::OperatorMetrics;
use crate::operators::record_area::{Appended, LENGTH_PREFIX_BYTES, RecordArea};
use crate::operators::spill::{SpillReader, SpilledRun};
use crate::types::{TypeComparator, TypeSerializer};

/// Pages a block needs at least: one index page and one record page.
const MIN_BLOCK_PAGES: usize = 2;

/// The fewest pages the fallback works in: a reader page per run and a block.
pub const MIN_BLOCK_NESTED_LOOP_PAGES: usize = 2 + MIN_BLOCK_PAGES;

/// From this many pages on, the stream run is read with two pages (read-ahead).
pub const STREAM_READ_AHEAD_MIN_PAGES: usize = 16;

/// Joins `build` (right records) with `probe` (left records) in `pages` (at least
/// [`MIN_BLOCK_NESTED_LOOP_PAGES`]; the caller checks); returns the pages. Fails only on I/O,
/// corrupt spill files or errors of `emit`, never for lack of memory. See the module docs.
#[allow(clippy::too_many_arguments)]
pub fn block_nested_loop_join<J, F>(
    inputs: &J,
    join_type: JoinType,
    io: &Arc<IoManager>,
    pages: Vec<MemorySegment>,
    build: &SpilledRun,
    probe: &SpilledRun,
    seed: u64,
    metrics: &mut OperatorMetrics,
    emit: &mut F,
) -> Result<Vec<MemorySegment>, WeirError>
where
    J: JoinSchema,
    F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
{
    assert!(
        pages.len() >= MIN_BLOCK_NESTED_LOOP_PAGES,
        "the caller gives the fallback its minimum pages"
    );
    let page_size = PageSize::new(pages[0].size())?;
    let comparator = inputs.key_comparator();
    let build_blocks = BlockPass {
        comparator,
        block_serializer: HashPrefixed::new(inputs.right_serializer().clone()),
        block_key: |record: &RightOf<J>| inputs.right_key(record),
        stream_serializer: inputs.left_serializer(),
        stream_key: |record: &LeftOf<J>| inputs.left_key(record),
        io,
        seed,
        page_size,
    };
    let probe_blocks = BlockPass {
        comparator,
        block_serializer: HashPrefixed::new(inputs.left_serializer().clone()),
        block_key: |record: &LeftOf<J>| inputs.left_key(record),
        stream_serializer: inputs.right_serializer(),
        stream_key: |record: &RightOf<J>| inputs.right_key(record),
        io,
        seed,
        page_size,
    };
    let swap_left_outer = join_type == JoinType::LeftOuter
        && !likely_one_block(build, pages.len(), page_size.bytes());
    let mut pages = pages;
    let probe_unmatched_done = if swap_left_outer {
        false
    } else {
        let outputs = PassOutputs {
            matches: true,
            unmatched_block: join_type.emits_unmatched_right(),
            unmatched_stream_if_one_block: join_type.emits_unmatched_left(),
        };
        // Pass 1 emits (block = r, stream = l); pass 2 (block = l, stream = r) as `emit` does.
        let mut emit_swapped =
            |r: Option<&RightOf<J>>, l: Option<&LeftOf<J>>| -> Result<(), WeirError> { emit(l, r) };
        let (back, one_block) =
            build_blocks.run(pages, build, probe, outputs, metrics, &mut emit_swapped)?;
        pages = back;
        one_block
    };
    if join_type.emits_unmatched_left() && !probe_unmatched_done {
        let outputs = PassOutputs {
            matches: swap_left_outer,
            unmatched_block: true,
            unmatched_stream_if_one_block: false,
        };
        let (back, _) = probe_blocks.run(pages, probe, build, outputs, metrics, emit)?;
        pages = back;
    }
    Ok(pages)
}

/// Whether `run` probably fits in one block of the fallback's `pages`: its bytes, with a hash
/// and a length prefix per record, in the pages left after the readers and an index.
fn likely_one_block(run: &SpilledRun, pages: usize, page_bytes: usize) -> bool {
    let Ok(records) = usize::try_from(run.records()) else {
        return false;
    };
    let Ok(page_size) = PageSize::new(page_bytes) else {
        return false;
    };
    let record_bytes =
        run.bytes() + run.records() * (HASH_PREFIX_BYTES + LENGTH_PREFIX_BYTES) as u64;
    let block_pages = pages.saturating_sub(2 + index_pages(records, page_size));
    // A record never straddles into more than one extra page: keep a page of slack.
    record_bytes + page_bytes as u64 <= (block_pages * page_bytes) as u64
}

/// What one pass emits.
#[derive(Debug, Clone, Copy)]
struct PassOutputs {
    /// Every (block record, stream record) of equal keys.
    matches: bool,
    /// Block records no stream record matches.
    unmatched_block: bool,
    /// Stream records no block record matches, when the block side fits in one block.
    unmatched_stream_if_one_block: bool,
}

/// One side's records as the block, the other's as the stream. See the module docs.
struct BlockPass<'a, C, BS, SS, BK, SK> {
    comparator: &'a C,
    block_serializer: HashPrefixed<BS>,
    block_key: BK,
    stream_serializer: &'a SS,
    stream_key: SK,
    io: &'a Arc<IoManager>,
    seed: u64,
    page_size: PageSize,
}

impl<C, BS, SS, BK, SK> BlockPass<'_, C, BS, SS, BK, SK>
where
    C: TypeComparator,
    BS: TypeSerializer,
    SS: TypeSerializer,
    BK: Fn(&BS::Value) -> C::Value,
    SK: Fn(&SS::Value) -> C::Value,
{
    /// Runs the pass in `pages`; returns them and whether the block side fit in one block
    /// (then the unmatched stream records were emitted, if `outputs` asked for them).
    fn run<G>(
        &self,
        mut pages: Vec<MemorySegment>,
        block_run: &SpilledRun,
        stream_run: &SpilledRun,
        outputs: PassOutputs,
        metrics: &mut OperatorMetrics,
        emit: &mut G,
    ) -> Result<(Vec<MemorySegment>, bool), WeirError>
    where
        G: FnMut(Option<&BS::Value>, Option<&SS::Value>) -> Result<(), WeirError>,
    {
        let total_pages = pages.len();
        let stream_reader_pages = if total_pages >= STREAM_READ_AHEAD_MIN_PAGES {
            2
        } else {
            1
        };
        let block_reader_page = pages.pop().expect("the caller checks the pages");
        let stream_pages = pages.split_off(pages.len() - stream_reader_pages);
        let mut block = Block {
            pass: self,
            free: pages,
            stream_pages,
            area: RecordArea::new(self.page_size, self.block_serializer.fixed_length()),
            serializer: self.block_serializer.clone(),
        };
        let mut block_reader = SpillReader::open(self.io, block_run, vec![block_reader_page])?;
        let mut carried: Option<BS::Value> = None;
        let mut blocks = 0u64;
        let mut one_block = false;
        loop {
            let records = block.fill(&mut block_reader, &mut carried)?;
            metrics.note_pages_used(total_pages - block.free.len());
            if records == 0 {
                let Some(record) = carried.take() else {
                    break;
                };
                // Larger than an empty block: joined on its own.
                blocks += 1;
                block.join_one(&record, stream_run, outputs, metrics, emit)?;
                continue;
            }
            blocks += 1;
            one_block = blocks == 1 && carried.is_none() && block_reader.records_left() == 0;
            block.join_block(records, stream_run, outputs, one_block, metrics, emit)?;
        }
        let mut pages = block_reader.close();
        pages.append(&mut block.free);
        pages.append(&mut block.stream_pages);
        debug_assert_eq!(pages.len(), total_pages);
        Ok((pages, one_block))
    }
}

/// The state of one pass's block loop.
struct Block<'p, 'a, C, BS, SS, BK, SK> {
    pass: &'p BlockPass<'a, C, BS, SS, BK, SK>,
    free: Vec<MemorySegment>,
    /// The stream reader's pages, back here between stream reads.
    stream_pages: Vec<MemorySegment>,
    area: RecordArea,
    serializer: HashPrefixed<BS>,
}

impl<C, BS, SS, BK, SK> Block<'_, '_, C, BS, SS, BK, SK>
where
    C: TypeComparator,
    BS: TypeSerializer,
    SS: TypeSerializer,
    BK: Fn(&BS::Value) -> C::Value,
    SK: Fn(&SS::Value) -> C::Value,
{
    /// Reads block records into the block while they and the index over them fit; the
    /// record that does not fit is left in `carried`. Returns the records in the block.
    fn fill(
        &mut self,
        reader: &mut SpillReader,
        carried: &mut Option<BS::Value>,
    ) -> Result<usize, WeirError> {
        let pass = self.pass;
        let mut records = 0usize;
        loop {
            let record = match carried.take() {
                Some(record) => record,
                None => match reader.next(pass.block_serializer.inner())? {
                    Some(record) => record,
                    None => return Ok(records),
                },
            };
            // Pages the index would need with this record; the record gets the rest.
            let index = index_pages(records + 1, pass.page_size);
            if self.free.len() <= index {
                *carried = Some(record);
                return Ok(records);
            }
            let mut for_records = self.free.split_off(index);
            self.serializer.hash =
                pass.comparator.hash(&(pass.block_key)(&record), pass.seed) & HASH_MASK;
            let outcome = self
                .area
                .append(&self.serializer, &record, &mut for_records);
            self.free.append(&mut for_records);
            match outcome? {
                Appended::At(_) => records += 1,
                Appended::NoRoom => {
                    *carried = Some(record);
                    return Ok(records);
                }
            }
        }
    }

    fn open_stream(&mut self, stream_run: &SpilledRun) -> Result<SpillReader, WeirError> {
        let pages = std::mem::take(&mut self.stream_pages);
        debug_assert!(!pages.is_empty(), "the stream pages are back between reads");
        SpillReader::open(self.pass.io, stream_run, pages)
    }

    /// Indexes the block's `records`, joins every stream record with them, emits what
    /// `outputs` asks for, and empties the block.
    fn join_block<G>(
        &mut self,
        records: usize,
        stream_run: &SpilledRun,
        outputs: PassOutputs,
        one_block: bool,
        metrics: &mut OperatorMetrics,
        emit: &mut G,
    ) -> Result<(), WeirError>
    where
        G: FnMut(Option<&BS::Value>, Option<&SS::Value>) -> Result<(), WeirError>,
    {
        let pass = self.pass;
        let index_pages = index_pages(records, pass.page_size);
        let mut index = HashIndex::new(self.free.split_off(self.free.len() - index_pages), records);
        let mut pointers = RecordPointers::new(&self.area, self.serializer.fixed_length());
        while let Some((pointer, _)) = pointers.next(&self.area)? {
            let (mut view, _) = self.area.reader_at(pointer)?;
            index.insert(read_hash(&mut view)?, location(0, pointer));
        }
        let mut reader = self.open_stream(stream_run)?;
        let outcome = (|| {
            while let Some(record) = reader.next(pass.stream_serializer)? {
                let key = (pass.stream_key)(&record);
                let hash = pass.comparator.hash(&key, pass.seed) & HASH_MASK;
                let mut matched = false;
                let mut slot = index.home_slot(hash);
                while let Some(entry) = index.entry(slot) {
                    if entry.hash == hash {
                        let block = self.area.read(&self.serializer, entry.location)?;
                        if pass.comparator.compare(&key, &(pass.block_key)(&block))
                            == Ordering::Equal
                        {
                            matched = true;
                            if !entry.matched {
                                index.mark_matched(slot);
                            }
                            if outputs.matches {
                                metrics.records_out += 1;
                                emit(Some(&block), Some(&record))?;
                            }
                        }
                    }
                    slot = index.next_slot(slot);
                }
                if !matched && one_block && outputs.unmatched_stream_if_one_block {
                    metrics.records_out += 1;
                    emit(None, Some(&record))?;
                }
            }
            if outputs.unmatched_block {
                for slot in 0..index.slots() {
                    if let Some(entry) = index.entry(slot)
                        && !entry.matched
                    {
                        let block = self.area.read(&self.serializer, entry.location)?;
                        metrics.records_out += 1;
                        emit(Some(&block), None)?;
                    }
                }
            }
            Ok::<_, WeirError>(())
        })();
        self.stream_pages = reader.close();
        self.free.append(&mut index.into_pages());
        self.area.clear(&mut self.free);
        outcome
    }

    /// Joins one block record that fits no block with every stream record.
    fn join_one<G>(
        &mut self,
        block: &BS::Value,
        stream_run: &SpilledRun,
        outputs: PassOutputs,
        metrics: &mut OperatorMetrics,
        emit: &mut G,
    ) -> Result<(), WeirError>
    where
        G: FnMut(Option<&BS::Value>, Option<&SS::Value>) -> Result<(), WeirError>,
    {
        let pass = self.pass;
        let block_key = (pass.block_key)(block);
        let mut reader = self.open_stream(stream_run)?;
        let mut matched_any = false;
        let outcome = (|| {
            while let Some(record) = reader.next(pass.stream_serializer)? {
                if pass
                    .comparator
                    .compare(&(pass.stream_key)(&record), &block_key)
                    == Ordering::Equal
                {
                    matched_any = true;
                    if outputs.matches {
                        metrics.records_out += 1;
                        emit(Some(block), Some(&record))?;
                    }
                }
            }
            if !matched_any && outputs.unmatched_block {
                metrics.records_out += 1;
                emit(Some(block), None)?;
            }
            Ok::<_, WeirError>(())
        })();
        self.stream_pages = reader.close();
        outcome
    }
}
