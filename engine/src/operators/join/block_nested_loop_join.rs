//! The hybrid hash join's fallback for a spilled partition that recursion cannot split (one
//! hot key, or the deepest level reached): a block nested-loop join of the partition's build
//! run against its probe run.
//!
//! ```text
//!  build run ──▶ block: as many records as fit in the pages, plus a HashIndex over them
//!                  │
//!                  ▼ for every block
//!  probe run ──▶ read it all; emit each (l, r) of equal keys; set l's bit in MatchBits
//!                (left outer, several blocks) and r's matched bit in the index
//!                  │
//!                  ▼ right outer: emit (None, r) for the block's unmatched records
//!  left outer: one more pass over the probe run emits (l, None) for every clear bit; with a
//!              single block the unmatched probe records are emitted in the first pass
//! ```
//!
//! The probe run is read once per block ([`SpillReader`] re-reads a [`SpilledRun`] as often as
//! needed). The index over a block finds the candidates of a probe record without comparing
//! it to every build record; with one hot key every candidate matches, so the work is the
//! size of the output. A build record that does not fit in an empty block (a record larger
//! than the block's pages) is joined on its own: it is compared with every probe record.
//!
//! Pages: one reader page for each run, [`match_bits_pages`] for the probe records when the
//! join is left outer, and at least two for a block (an index page and a record page).

use std::cmp::Ordering;
use std::sync::Arc;

use weir_memory::{IoManager, MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::join::hash_index::{HASH_MASK, HashIndex, index_pages, location};
use crate::operators::join::hash_prefixed::{HashPrefixed, read_hash};
use crate::operators::join::join_inputs::{JoinSchema, LeftOf, RightOf};
use crate::operators::join::join_type::JoinType;
use crate::operators::join::match_bits::{MatchBits, match_bits_pages};
use crate::operators::join::record_pointers::RecordPointers;
use crate::operators::metrics::OperatorMetrics;
use crate::operators::record_area::{Appended, RecordArea};
use crate::operators::spill::{SpillReader, SpilledRun};
use crate::types::{TypeComparator, TypeSerializer};

/// Pages a block needs at least: one index page and one record page.
const MIN_BLOCK_PAGES: usize = 2;

/// Pages the fallback needs for a probe run of `probe_records` on pages of `page_bytes`.
pub fn block_nested_loop_pages(
    join_type: JoinType,
    probe_records: u64,
    page_bytes: usize,
) -> usize {
    let bits = if join_type.emits_unmatched_left() {
        match_bits_pages(probe_records, page_bytes)
    } else {
        0
    };
    2 + bits + MIN_BLOCK_PAGES
}

/// Joins `build` (right records) with `probe` (left records) block by block in `pages`;
/// returns the pages. Fails with [`WeirError::JoinFallbackTooFewPages`] when the pages cannot
/// hold the match bits of the probe run and a block.
#[allow(clippy::too_many_arguments)]
pub fn block_nested_loop_join<J, F>(
    inputs: &J,
    join_type: JoinType,
    io: &Arc<IoManager>,
    mut pages: Vec<MemorySegment>,
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
    let page_size = PageSize::new(pages[0].size())?;
    let required = block_nested_loop_pages(join_type, probe.records(), page_size.bytes());
    if pages.len() < required {
        return Err(WeirError::JoinFallbackTooFewPages {
            operator: "hybrid hash join",
            probe_records: probe.records(),
            given: pages.len(),
            required,
        });
    }
    let total_pages = pages.len();
    let build_reader_page = pages.pop().expect("checked above");
    let probe_reader_page = pages.pop().expect("checked above");
    let mut bits = if join_type.emits_unmatched_left() {
        let count = match_bits_pages(probe.records(), page_size.bytes());
        Some(MatchBits::new(
            pages.split_off(pages.len() - count),
            page_size.bytes(),
        ))
    } else {
        None
    };
    let serializer = HashPrefixed::new(inputs.right_serializer().clone());
    let mut join = Block {
        inputs,
        join_type,
        io,
        seed,
        page_size,
        free: pages,
        probe_reader_page: Some(probe_reader_page),
        area: RecordArea::new(page_size, serializer.fixed_length()),
        serializer,
    };

    let mut build_reader = SpillReader::open(io, build, vec![build_reader_page])?;
    let mut carried: Option<RightOf<J>> = None;
    let mut blocks = 0u64;
    loop {
        let records = join.fill(&mut build_reader, &mut carried)?;
        metrics.note_pages_used(total_pages - join.free.len());
        if records == 0 {
            let Some(record) = carried.take() else {
                break;
            };
            // Larger than an empty block: joined on its own.
            blocks += 1;
            join.join_one(&record, probe, bits.as_mut(), metrics, emit)?;
            continue;
        }
        blocks += 1;
        let only_block = blocks == 1 && carried.is_none() && build_reader.records_left() == 0;
        join.join_block(records, probe, bits.as_mut(), only_block, metrics, emit)?;
        if only_block && let Some(unused) = bits.take() {
            join.free.append(&mut unused.into_pages());
        }
    }
    let mut pages = build_reader.close();
    if let Some(bits) = bits {
        // Left outer over several blocks: the probe records no block matched.
        let mut reader = join.open_probe(probe)?;
        let mut i = 0u64;
        while let Some(record) = reader.next(inputs.left_serializer())? {
            if !bits.get(i) {
                metrics.records_out += 1;
                emit(Some(&record), None)?;
            }
            i += 1;
        }
        join.probe_reader_page = reader.close().pop();
        pages.append(&mut bits.into_pages());
    }
    pages.append(&mut join.free);
    pages.extend(join.probe_reader_page.take());
    Ok(pages)
}

/// The state of the block loop.
struct Block<'a, J: JoinSchema> {
    inputs: &'a J,
    join_type: JoinType,
    io: &'a Arc<IoManager>,
    seed: u64,
    page_size: PageSize,
    free: Vec<MemorySegment>,
    probe_reader_page: Option<MemorySegment>,
    area: RecordArea,
    serializer: HashPrefixed<J::RightSerializer>,
}

impl<J: JoinSchema> Block<'_, J> {
    fn hash_right(&self, record: &RightOf<J>) -> u64 {
        let key = self.inputs.right_key(record);
        self.inputs.key_comparator().hash(&key, self.seed) & HASH_MASK
    }

    /// Reads build records into the block while they and the index over them fit; the record
    /// that does not fit is left in `carried`. Returns the records in the block.
    fn fill(
        &mut self,
        reader: &mut SpillReader,
        carried: &mut Option<RightOf<J>>,
    ) -> Result<usize, WeirError> {
        let mut records = 0usize;
        loop {
            let record = match carried.take() {
                Some(record) => record,
                None => match reader.next(self.inputs.right_serializer())? {
                    Some(record) => record,
                    None => return Ok(records),
                },
            };
            // Pages the index would need with this record; the record gets the rest.
            let index = index_pages(records + 1, self.page_size);
            if self.free.len() <= index {
                *carried = Some(record);
                return Ok(records);
            }
            let mut for_records = self.free.split_off(index);
            self.serializer.hash = self.hash_right(&record);
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

    fn open_probe(&mut self, probe: &SpilledRun) -> Result<SpillReader, WeirError> {
        let page = self
            .probe_reader_page
            .take()
            .expect("the probe reader page is back between passes");
        SpillReader::open(self.io, probe, vec![page])
    }

    /// Indexes the block's `records`, joins every probe record with them, emits the block's
    /// unmatched build records (right outer), and empties the block.
    fn join_block<F>(
        &mut self,
        records: usize,
        probe: &SpilledRun,
        mut bits: Option<&mut MatchBits>,
        only_block: bool,
        metrics: &mut OperatorMetrics,
        emit: &mut F,
    ) -> Result<(), WeirError>
    where
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        let index_pages = index_pages(records, self.page_size);
        let mut index = HashIndex::new(self.free.split_off(self.free.len() - index_pages), records);
        let mut pointers = RecordPointers::new(&self.area, self.serializer.fixed_length());
        while let Some((pointer, _)) = pointers.next(&self.area)? {
            let (mut view, _) = self.area.reader_at(pointer)?;
            index.insert(read_hash(&mut view)?, location(0, pointer));
        }
        let comparator = self.inputs.key_comparator();
        let mut reader = self.open_probe(probe)?;
        let mut i = 0u64;
        let outcome = (|| {
            while let Some(record) = reader.next(self.inputs.left_serializer())? {
                let key = self.inputs.left_key(&record);
                let hash = comparator.hash(&key, self.seed) & HASH_MASK;
                let mut matched = false;
                let mut slot = index.home_slot(hash);
                while let Some(entry) = index.entry(slot) {
                    if entry.hash == hash {
                        let build = self.area.read(&self.serializer, entry.location)?;
                        if comparator.compare(&key, &self.inputs.right_key(&build))
                            == Ordering::Equal
                        {
                            matched = true;
                            if !entry.matched {
                                index.mark_matched(slot);
                            }
                            metrics.records_out += 1;
                            emit(Some(&record), Some(&build))?;
                        }
                    }
                    slot = index.next_slot(slot);
                }
                if matched && let Some(bits) = bits.as_deref_mut() {
                    bits.set(i);
                }
                if !matched && only_block && self.join_type.emits_unmatched_left() {
                    metrics.records_out += 1;
                    emit(Some(&record), None)?;
                }
                i += 1;
            }
            if self.join_type.emits_unmatched_right() {
                for slot in 0..index.slots() {
                    if let Some(entry) = index.entry(slot)
                        && !entry.matched
                    {
                        let build = self.area.read(&self.serializer, entry.location)?;
                        metrics.records_out += 1;
                        emit(None, Some(&build))?;
                    }
                }
            }
            Ok::<_, WeirError>(())
        })();
        self.probe_reader_page = reader.close().pop();
        self.free.append(&mut index.into_pages());
        self.area.clear(&mut self.free);
        outcome
    }

    /// Joins one build record that fits no block with every probe record.
    fn join_one<F>(
        &mut self,
        build: &RightOf<J>,
        probe: &SpilledRun,
        mut bits: Option<&mut MatchBits>,
        metrics: &mut OperatorMetrics,
        emit: &mut F,
    ) -> Result<(), WeirError>
    where
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        let comparator = self.inputs.key_comparator();
        let build_key = self.inputs.right_key(build);
        let mut reader = self.open_probe(probe)?;
        let mut matched_any = false;
        let mut i = 0u64;
        let outcome = (|| {
            while let Some(record) = reader.next(self.inputs.left_serializer())? {
                if comparator.compare(&self.inputs.left_key(&record), &build_key) == Ordering::Equal
                {
                    matched_any = true;
                    if let Some(bits) = bits.as_deref_mut() {
                        bits.set(i);
                    }
                    metrics.records_out += 1;
                    emit(Some(&record), Some(build))?;
                }
                i += 1;
            }
            if !matched_any && self.join_type.emits_unmatched_right() {
                metrics.records_out += 1;
                emit(None, Some(build))?;
            }
            Ok::<_, WeirError>(())
        })();
        self.probe_reader_page = reader.close().pop();
        outcome
    }
}
