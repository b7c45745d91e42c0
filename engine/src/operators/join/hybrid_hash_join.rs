//! [`HybridHashJoin`]: joins a left (probe) and a right (build) input of serialized records in
//! the pages it is given, spilling partitions that do not fit and joining them recursively.
//!
//! ```text
//!             build(r) …          probe(l) …                 finish(emit)
//!   Building ───────────▶ Building ───────────▶ Probing ───────────────────▶ Finished
//!                 (the first probe ends the build)        │
//!                                                         ▼
//!     level 0 ─ spilled pairs ─▶ stack ─┬─▶ level n+1: a new HashJoinLevel, seed n+1, reads
//!                                       │   the pair's build run, then its probe run; its own
//!                                       │   spilled pairs go back on the stack
//!                                       ├─▶ the probe run is empty: right outer emits the
//!                                       │   build run as (None, r); otherwise nothing to do
//!                                       └─▶ cannot split (the level's build run is as large as
//!                                           its parent's) or deeper than MAX_RECURSION_DEPTH:
//!                                           block nested-loop join (metrics: fallbacks)
//! ```
//!
//! # Sides
//!
//! The **right** input is the build side and the **left** input the probe side (Flink's
//! "build second"). The caller puts the smaller input on the right; to build on the left, swap
//! the inputs and use [`JoinType::swapped`] (and swap the pair in the output callback).
//! Output goes to a callback `emit(Option<&L>, Option<&R>)`, one call per output row:
//! `(Some, Some)` for a match, `(Some, None)` / `(None, Some)` for the unmatched rows of outer
//! joins. Keys are equal when the comparator says so (`None` keys match each other; see
//! [`crate::operators::join::JoinSchema`]).
//!
//! # Memory
//!
//! The join works only in the pages given at construction, at least
//! [`MIN_HYBRID_HASH_JOIN_PAGES`]: a recursion level gets all of them but the reader pages
//! that read the spilled runs back (one, or two for read-ahead from [`READ_AHEAD_MIN_PAGES`]
//! pages on). Every level lays its pages out as described in `hash_join_level.rs`; the
//! fallback as in `block_nested_loop_join.rs`. No heap structure grows with the input: per
//! record there are only the pages. The heap holds fixed bookkeeping per partition, the
//! current record(s) being joined (a batch of [`PROBE_BATCH`] probe records in
//! [`HybridHashJoin::probe_all`]), and the stack of spilled pairs (a few words per spilled
//! partition). [`HybridHashJoin::into_pages`] returns every page; every spill file is deleted
//! when the join finishes or is dropped.
//!
//! # Metrics
//!
//! `records_in` counts the top-level input records (build and probe), not the spilled ones
//! read back; `records_out` the rows emitted. `peak_pages_used` is an upper bound of the pages
//! that held data at one time: every page not in a free list or the spill reserve counts
//! (records, index slots, bloom filters, spill writer and reader pages, the fallback's block),
//! and it is noted at every point where that number grows (after appends, at the height of a
//! partition spill, after building the index and opening the probe writers, per block).

use std::sync::Arc;

use weir_memory::{IoManager, MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::join::block_nested_loop_join::{
    MIN_BLOCK_NESTED_LOOP_PAGES, block_nested_loop_join,
};
use crate::operators::join::hash_join_level::{
    HashJoinLevel, MIN_LEVEL_PAGES, PROBE_BATCH, SpilledPair,
};
use crate::operators::join::join_inputs::{JoinSchema, LeftOf, RightOf};
use crate::operators::join::join_type::JoinType;
use crate::operators::metrics::OperatorMetrics;
use crate::operators::spill::SpillReader;

/// The fewest pages a hybrid hash join works in: a level's minimum plus a reader page. The
/// block nested-loop fallback needs no more, for every join type and run size.
pub const MIN_HYBRID_HASH_JOIN_PAGES: usize = MIN_LEVEL_PAGES + 1;
const _: () = assert!(MIN_BLOCK_NESTED_LOOP_PAGES <= MIN_HYBRID_HASH_JOIN_PAGES);

/// From this many pages on, a recursion level reads its spilled runs with two pages
/// (read-ahead) instead of one.
pub const READ_AHEAD_MIN_PAGES: usize = 32;

/// The deepest recursion level; a spilled pair deeper than this is joined by the fallback.
pub const MAX_RECURSION_DEPTH: u32 = 5;

const OPERATOR: &str = "hybrid hash join";

enum State<J: JoinSchema> {
    Building(HashJoinLevel<J>),
    Probing(HashJoinLevel<J>),
    Finished(Vec<MemorySegment>),
    /// A call failed; the pages went back to the memory manager by drop, except those
    /// recovered here.
    Failed(Vec<MemorySegment>),
}

/// A hybrid hash join over pages. See the module docs.
pub struct HybridHashJoin<J: JoinSchema> {
    inputs: J,
    join_type: JoinType,
    io: Arc<IoManager>,
    total_pages: usize,
    state: State<J>,
    metrics: OperatorMetrics,
}

impl<J: JoinSchema> std::fmt::Debug for HybridHashJoin<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Building(level) => format!("building {level:?}"),
            State::Probing(level) => format!("probing {level:?}"),
            State::Finished(_) => "finished".to_string(),
            State::Failed(_) => "failed".to_string(),
        };
        f.debug_struct("HybridHashJoin")
            .field("join_type", &self.join_type)
            .field("total_pages", &self.total_pages)
            .field("state", &state)
            .field("metrics", &self.metrics)
            .finish()
    }
}

impl<J: JoinSchema> HybridHashJoin<J> {
    /// A join of `join_type` working in `pages` (all of one size), spilling through `io`.
    /// Fails with [`WeirError::TooFewPages`] below [`MIN_HYBRID_HASH_JOIN_PAGES`].
    pub fn new(
        inputs: J,
        join_type: JoinType,
        pages: Vec<MemorySegment>,
        io: Arc<IoManager>,
    ) -> Result<HybridHashJoin<J>, WeirError> {
        if pages.len() < MIN_HYBRID_HASH_JOIN_PAGES {
            return Err(WeirError::TooFewPages {
                operator: OPERATOR,
                given: pages.len(),
                required: MIN_HYBRID_HASH_JOIN_PAGES,
            });
        }
        let page_size = PageSize::new(pages[0].size())?;
        if let Some(page) = pages.iter().find(|page| page.size() != page_size.bytes()) {
            return Err(WeirError::Memory(
                weir_memory::MemoryError::InvalidPageSize {
                    bytes: page.size() as u64,
                },
            ));
        }
        let total_pages = pages.len();
        let level = HashJoinLevel::new(0, pages, 0, inputs.right_serializer())?;
        Ok(HybridHashJoin {
            inputs,
            join_type,
            io,
            total_pages,
            state: State::Building(level),
            metrics: OperatorMetrics::with_pages(total_pages),
        })
    }

    /// What the join did so far.
    pub fn metrics(&self) -> &OperatorMetrics {
        &self.metrics
    }

    pub fn join_type(&self) -> JoinType {
        self.join_type
    }

    /// Adds one build (right) record. Only before the first probe record.
    pub fn build(&mut self, record: &RightOf<J>) -> Result<(), WeirError> {
        let State::Building(level) = &mut self.state else {
            return Err(self.out_of_order("build"));
        };
        self.metrics.records_in += 1;
        let outcome = level.build(&self.inputs, &self.io, &mut self.metrics, record);
        self.fail_on_error(outcome)
    }

    /// Adds every record of a build (right) input.
    pub fn build_all<I>(&mut self, records: I) -> Result<(), WeirError>
    where
        I: IntoIterator<Item = Result<RightOf<J>, WeirError>>,
    {
        for record in records {
            self.build(&record?)?;
        }
        Ok(())
    }

    /// Ends the build side (done by the first [`HybridHashJoin::probe`] or by
    /// [`HybridHashJoin::finish`] when not called).
    pub fn end_build(&mut self) -> Result<(), WeirError> {
        match std::mem::replace(&mut self.state, State::Failed(Vec::new())) {
            State::Building(mut level) => {
                let outcome = level.end_build(&self.io, &mut self.metrics);
                self.state = State::Probing(level);
                self.fail_on_error(outcome)
            }
            other => {
                self.state = other;
                Err(self.out_of_order("end_build"))
            }
        }
    }

    /// Joins one probe (left) record; matches (and, for left outer joins, a record without
    /// one) go to `emit` now or, for a spilled partition, during [`HybridHashJoin::finish`].
    pub fn probe<F>(&mut self, record: &LeftOf<J>, emit: &mut F) -> Result<(), WeirError>
    where
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        self.probe_batch(std::slice::from_ref(record), emit)
    }

    /// Joins every record of a probe (left) input.
    pub fn probe_all<I, F>(&mut self, records: I, emit: &mut F) -> Result<(), WeirError>
    where
        I: IntoIterator<Item = Result<LeftOf<J>, WeirError>>,
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        // Batches of PROBE_BATCH records let their cache misses overlap (see
        // `HashJoinLevel::probe_batch`); the output is as if probed one by one.
        let mut batch = Vec::with_capacity(PROBE_BATCH);
        for record in records {
            match record {
                Ok(record) => batch.push(record),
                Err(error) => {
                    self.probe_batch(&batch, emit)?;
                    return Err(error);
                }
            }
            if batch.len() == PROBE_BATCH {
                self.probe_batch(&batch, emit)?;
                batch.clear();
            }
        }
        self.probe_batch(&batch, emit)
    }

    fn probe_batch<F>(&mut self, batch: &[LeftOf<J>], emit: &mut F) -> Result<(), WeirError>
    where
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        if matches!(self.state, State::Building(_)) {
            self.end_build()?;
        }
        let State::Probing(level) = &mut self.state else {
            return Err(self.out_of_order("probe"));
        };
        self.metrics.records_in += batch.len() as u64;
        let outcome =
            level.probe_batch(&self.inputs, self.join_type, &mut self.metrics, batch, emit);
        self.fail_on_error(outcome)
    }

    /// Emits what is left: unmatched build records of the in-memory partitions (right outer),
    /// then the joins of every spilled partition pair, recursively. Afterwards every spill file
    /// is gone and [`HybridHashJoin::into_pages`] returns every page.
    pub fn finish<F>(&mut self, emit: &mut F) -> Result<(), WeirError>
    where
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        if matches!(self.state, State::Building(_)) {
            self.end_build()?;
        }
        let level = match std::mem::replace(&mut self.state, State::Failed(Vec::new())) {
            State::Probing(level) => level,
            other => {
                self.state = other;
                return Err(self.out_of_order("finish"));
            }
        };
        let (pages, pairs) = level.finish(self.join_type, &mut self.metrics, emit)?;
        let pages = self.join_spilled_pairs(pages, pairs, emit)?;
        debug_assert_eq!(pages.len(), self.total_pages);
        self.state = State::Finished(pages);
        Ok(())
    }

    /// Builds from `build`, probes with `probe` and finishes: the whole join in one call.
    pub fn join<B, P, F>(&mut self, build: B, probe: P, emit: &mut F) -> Result<(), WeirError>
    where
        B: IntoIterator<Item = Result<RightOf<J>, WeirError>>,
        P: IntoIterator<Item = Result<LeftOf<J>, WeirError>>,
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        self.build_all(build)?;
        self.probe_all(probe, emit)?;
        self.finish(emit)
    }

    /// Ends the join at any point and returns the pages it holds: all of them after
    /// [`HybridHashJoin::finish`] or before any failure.
    pub fn into_pages(self) -> Vec<MemorySegment> {
        match self.state {
            State::Building(level) | State::Probing(level) => level.into_pages(),
            State::Finished(pages) | State::Failed(pages) => pages,
        }
    }

    fn out_of_order(&self, call: &'static str) -> WeirError {
        let after = match self.state {
            State::Building(_) => "nothing was probed",
            State::Probing(_) => "the build ended",
            State::Finished(_) => "finish",
            State::Failed(_) => "a failed call",
        };
        WeirError::JoinCallOutOfOrder {
            operator: OPERATOR,
            call,
            after,
        }
    }

    /// After a failed call the join takes no more calls.
    fn fail_on_error(&mut self, outcome: Result<(), WeirError>) -> Result<(), WeirError> {
        if outcome.is_err() {
            let pages = match std::mem::replace(&mut self.state, State::Failed(Vec::new())) {
                State::Building(level) | State::Probing(level) => level.into_pages(),
                State::Finished(pages) | State::Failed(pages) => pages,
            };
            self.state = State::Failed(pages);
        }
        outcome
    }

    /// Joins the spilled pairs, depth first, in `pages`; returns the pages.
    fn join_spilled_pairs<F>(
        &mut self,
        mut pages: Vec<MemorySegment>,
        mut stack: Vec<SpilledPair>,
        emit: &mut F,
    ) -> Result<Vec<MemorySegment>, WeirError>
    where
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        // Whether a pair's build run is as large as its parent's: recursion did not split it.
        let mut unsplit = vec![false; stack.len()];
        while let Some(pair) = stack.pop() {
            let could_not_split = unsplit.pop().expect("one flag per pair");
            self.metrics.note_recursion(pair.level);
            let Some(probe) = &pair.probe else {
                // No probe record can match: a right outer join emits the build records.
                if self.join_type.emits_unmatched_right() {
                    let mut reader = SpillReader::open(
                        &self.io,
                        &pair.build,
                        vec![pages.pop().expect("pages")],
                    )?;
                    self.metrics.note_pages_used(1);
                    while let Some(record) = reader.next(self.inputs.right_serializer())? {
                        self.metrics.records_out += 1;
                        emit(None, Some(&record))?;
                    }
                    pages.append(&mut reader.close());
                }
                continue;
            };
            if could_not_split || pair.level > MAX_RECURSION_DEPTH {
                self.metrics.nested_loop_fallbacks += 1;
                pages = block_nested_loop_join(
                    &self.inputs,
                    self.join_type,
                    &self.io,
                    pages,
                    &pair.build,
                    probe,
                    u64::from(pair.level),
                    &mut self.metrics,
                    emit,
                )?;
                continue;
            }
            let reader_count = if pages.len() >= READ_AHEAD_MIN_PAGES {
                2
            } else {
                1
            };
            let reader_pages = pages.split_off(pages.len() - reader_count);
            let mut level = HashJoinLevel::new(
                pair.level,
                pages,
                reader_count,
                self.inputs.right_serializer(),
            )?;
            let mut reader = SpillReader::open(&self.io, &pair.build, reader_pages)?;
            while let Some(record) = reader.next(self.inputs.right_serializer())? {
                level.build(&self.inputs, &self.io, &mut self.metrics, &record)?;
            }
            let reader_pages = reader.close();
            level.end_build(&self.io, &mut self.metrics)?;
            let mut reader = SpillReader::open(&self.io, probe, reader_pages)?;
            let mut batch = Vec::with_capacity(PROBE_BATCH);
            loop {
                let record = reader.next(self.inputs.left_serializer())?;
                let end = record.is_none();
                batch.extend(record);
                if end || batch.len() == PROBE_BATCH {
                    level.probe_batch(
                        &self.inputs,
                        self.join_type,
                        &mut self.metrics,
                        &batch,
                        emit,
                    )?;
                    batch.clear();
                }
                if end {
                    break;
                }
            }
            let mut reader_pages = reader.close();
            self.metrics.note_pages_used(level.used_pages());
            let (level_pages, children) = level.finish(self.join_type, &mut self.metrics, emit)?;
            pages = level_pages;
            pages.append(&mut reader_pages);
            for child in children {
                unsplit.push(child.build.records() >= pair.build.records());
                stack.push(child);
            }
        }
        Ok(pages)
    }
}
