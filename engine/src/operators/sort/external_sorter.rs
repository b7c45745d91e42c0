//! [`ExternalSorter`]: sorts more records than fit in its pages by spilling sorted runs and
//! merging them (Flink's `UnilateralSortMerger`).
//!
//! # Phases
//!
//! ```text
//!  write(record) ─▶ active InMemorySorter ──full──▶ thread weir-sort-spill: sort, combine?,
//!                   (half the sort pages)    swap      write run i ──▶ spill file i
//!                          ▲                   │
//!                          └── standby sorter ◀┘  (comes back empty when the spill is done)
//!
//!  finish() ─┬─ nothing spilled: sort in memory, read the index in order (no disk at all)
//!            ├─ the spilled runs fit the free half of memory (2 pages each): sort the last run
//!            │  in place and merge it from memory with the spilled ones (it never hits the disk)
//!            └─ else spill the last run, then while runs > fan-in: merge consecutive runs into
//!               one (intermediate pass, combiner applied), then the final merge streams the
//!               output through a loser tree over one reader per run
//! ```
//!
//! # Memory
//!
//! The sorter works in exactly the pages it is given, `P` of them, in every phase:
//!
//! ```text
//!   input phase:   P = sorter A (⌊(P − W)/2⌋) + sorter B (⌊(P − W)/2⌋) + spill writer W (+ odd page)
//!   merge phases:  P = k readers × ≥ 2 pages (read-ahead)  [+ W for an intermediate run's writer]
//! ```
//!
//! `W` is one page per 32 (between 1 and 8): the writer keeps `W − 1` blocks in flight. While one
//! sorter spills on the spill thread, input goes into the other (sort/spill overlap); the input
//! waits only when the other sorter is still spilling. The final fan-in is `⌊P / 2⌋` runs, an
//! intermediate one `⌊(P − W) / 2⌋`; an intermediate pass merges only as many runs as needed to
//! bring their number down to the final fan-in, so most data is merged once.
//!
//! # Records larger than a sorter
//!
//! A record that does not fit in an empty sorter becomes a run of its own, written straight to a
//! spill file (a run may hold records of any size). Runs keep input order, and equal records merge
//! in run order, so with [`SortOrder::Stable`] the whole sort is stable, spilled or not.
//!
//! # Combiner
//!
//! With a [`Combiner`], neighbours with equal keys are folded when a run spills and in
//! intermediate merges (see `combiner.rs`); the output is sorted but may still hold several
//! records per key (one per run at most), so a sort-based aggregation folds the output once more
//! (`sort_aggregator.rs`).
//!
//! Spill files are deleted when their runs are merged, and the rest when the output (or the
//! sorter, on an error) drops. After an error the sorter must be dropped.

use std::sync::Arc;
use std::thread::JoinHandle;

use weir_memory::{IoManager, MemorySegment};

use crate::error::WeirError;
use crate::operators::metrics::OperatorMetrics;
use crate::operators::sort::combiner::{Combiner, CombiningWriter};
use crate::operators::sort::in_memory_sorter::{InMemorySorter, MIN_SORTER_PAGES, SortOrder};
use crate::operators::sort::run_merger::RunMerger;
use crate::operators::spill::{SpillWriter, SpilledRun};
use crate::types::{TypeComparator, TypeSerializer};

/// The fewest pages an external sorter works with: two sorters and one spill writer page.
pub const MIN_EXTERNAL_SORTER_PAGES: usize = 2 * MIN_SORTER_PAGES + 1;

/// Pages each run reader gets at least in a merge (one being read, one read ahead).
const MERGE_READ_PAGES: usize = 2;

/// Sorts any number of records in a fixed set of pages. See the module docs.
pub struct ExternalSorter<S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    serializer: S,
    comparator: C,
    io: Arc<IoManager>,
    combiner: Option<Combiner<S::Value>>,
    active: InMemorySorter<S, C>,
    /// The other sorter, while no spill runs.
    standby: Option<InMemorySorter<S, C>>,
    /// The spill writer's pages, while no spill runs.
    writer_pages: Vec<MemorySegment>,
    writer_page_count: usize,
    spilling: SpillInFlight<S, C>,
    /// Spilled runs in input order.
    runs: Vec<SpilledRun>,
    metrics: OperatorMetrics,
}

/// The spill thread's handle. Dropping it waits for the thread, so a sorter dropped midway
/// gives back all its pages and deletes its files before the drop returns.
struct SpillInFlight<S: TypeSerializer, C: TypeComparator<Value = S::Value>>(
    Option<JoinHandle<SpillOutcome<S, C>>>,
);

impl<S, C> Drop for SpillInFlight<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            // The outcome (sorter, pages, run) drops here; a panic there was reported by the
            // thread already and must not become a second one during this drop.
            let _ = handle.join();
        }
    }
}

/// What the spill thread hands back: the emptied sorter and the run (or the error).
struct SpillOutcome<S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    sorter: InMemorySorter<S, C>,
    result: Result<(SpilledRun, Vec<MemorySegment>), WeirError>,
}

impl<S, C> ExternalSorter<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    /// A sorter of records of `serializer`, ordered by `comparator`, working in `pages` (at least
    /// [`MIN_EXTERNAL_SORTER_PAGES`], all of one size) and spilling through `io`.
    pub fn new(
        serializer: S,
        comparator: C,
        order: SortOrder,
        mut pages: Vec<MemorySegment>,
        io: Arc<IoManager>,
    ) -> Result<ExternalSorter<S, C>, WeirError> {
        let total = pages.len();
        if total < MIN_EXTERNAL_SORTER_PAGES {
            return Err(WeirError::TooFewPages {
                operator: "external sorter",
                given: total,
                required: MIN_EXTERNAL_SORTER_PAGES,
            });
        }
        let writer_page_count = writer_pages_for(total);
        let sorter_pages = (total - writer_page_count) / 2;
        let first = pages.split_off(pages.len() - sorter_pages);
        let second = pages.split_off(pages.len() - sorter_pages);
        let active = InMemorySorter::new(serializer.clone(), comparator.clone(), order, first)?;
        let standby = InMemorySorter::new(serializer.clone(), comparator.clone(), order, second)?;
        Ok(ExternalSorter {
            serializer,
            comparator,
            io,
            combiner: None,
            active,
            standby: Some(standby),
            writer_page_count: pages.len(),
            writer_pages: pages,
            spilling: SpillInFlight(None),
            runs: Vec::new(),
            metrics: OperatorMetrics::with_pages(total),
        })
    }

    /// Folds records with equal keys with `combiner` whenever they are spilled or merged
    /// (see the module docs).
    pub fn with_combiner(mut self, combiner: Combiner<S::Value>) -> ExternalSorter<S, C> {
        self.combiner = Some(combiner);
        self
    }

    pub fn metrics(&self) -> &OperatorMetrics {
        &self.metrics
    }

    /// Runs spilled so far (the one being spilled included).
    pub fn spilled_runs(&self) -> usize {
        self.runs.len() + usize::from(self.spilling.0.is_some())
    }

    /// Adds a record.
    pub fn write(&mut self, record: &S::Value) -> Result<(), WeirError> {
        self.metrics.records_in += 1;
        if self.active.write(record)? {
            return Ok(());
        }
        if !self.active.is_empty() {
            self.spill_active()?;
            if self.active.write(record)? {
                return Ok(());
            }
        }
        self.spill_single(record)
    }

    /// Hands the full active sorter to the spill thread and continues in the standby one.
    fn spill_active(&mut self) -> Result<(), WeirError> {
        self.await_spill()?;
        let standby = self
            .standby
            .take()
            .expect("the standby sorter is back once no spill runs");
        let full = std::mem::replace(&mut self.active, standby);
        self.metrics
            .note_pages_used(full.used_pages() + self.active.used_pages() + self.writer_page_count);
        let writer = SpillWriter::create(&self.io, std::mem::take(&mut self.writer_pages))?;
        let serializer = self.serializer.clone();
        let comparator = self.comparator.clone();
        let combiner = self.combiner.clone();
        let handle = std::thread::Builder::new()
            .name("weir-sort-spill".into())
            .spawn(move || sort_and_spill(full, writer, &serializer, &comparator, combiner))
            .map_err(|source| WeirError::SpawnThread {
                name: "weir-sort-spill",
                source,
            })?;
        self.spilling.0 = Some(handle);
        Ok(())
    }

    /// Waits for the spill in flight, if any, and takes back its sorter, pages and run.
    fn await_spill(&mut self) -> Result<(), WeirError> {
        let Some(handle) = self.spilling.0.take() else {
            return Ok(());
        };
        let outcome = match handle.join() {
            Ok(outcome) => outcome,
            // A panic there is a broken invariant of the sorter: carry it over.
            Err(panic) => std::panic::resume_unwind(panic),
        };
        self.standby = Some(outcome.sorter);
        let (run, pages) = outcome.result?;
        self.writer_pages = pages;
        self.metrics.note_spilled(&run);
        self.runs.push(run);
        Ok(())
    }

    /// Writes a record too large for an empty sorter as a run of its own.
    fn spill_single(&mut self, record: &S::Value) -> Result<(), WeirError> {
        self.await_spill()?;
        let mut writer = SpillWriter::create(&self.io, std::mem::take(&mut self.writer_pages))?;
        writer.write(&self.serializer, record)?;
        let (run, pages) = writer.close()?;
        self.writer_pages = pages;
        self.metrics.note_spilled(&run);
        self.runs.push(run);
        Ok(())
    }

    /// Ends the input and returns the records in order.
    pub fn finish(mut self) -> Result<SortedOutput<S, C>, WeirError> {
        if self.runs.is_empty() && self.spilling.0.is_none() {
            self.active.sort()?;
            self.metrics.note_pages_used(self.active.used_pages());
            let mut spare = std::mem::take(&mut self.writer_pages);
            if let Some(standby) = self.standby.take() {
                spare.append(&mut standby.into_pages());
            }
            return Ok(SortedOutput {
                source: OutputSource::InMemory {
                    sorter: self.active,
                    next: 0,
                    spare,
                },
                metrics: self.metrics,
            });
        }
        self.await_spill()?;
        if !self.active.is_empty() {
            let free_pages = self.writer_pages.len()
                + self.standby.as_ref().map_or(0, InMemorySorter::total_pages);
            if self.runs.len() <= free_pages / MERGE_READ_PAGES {
                return self.merge_with_last_run_in_memory();
            }
            self.spill_active()?;
            self.await_spill()?;
        }
        let ExternalSorter {
            serializer,
            comparator,
            io,
            combiner,
            active,
            standby,
            writer_pages,
            writer_page_count,
            runs,
            mut metrics,
            ..
        } = self;
        let mut pages = writer_pages;
        pages.append(&mut active.into_pages());
        pages.extend(standby.into_iter().flat_map(InMemorySorter::into_pages));
        let merge = MergePhase {
            io: &io,
            serializer: &serializer,
            comparator: &comparator,
            combiner: combiner.as_ref(),
            writer_pages: writer_page_count,
        };
        let (runs, pages) = merge.reduce_runs(runs, pages, &mut metrics)?;
        metrics.merge_passes += 1;
        metrics.note_pages_used(pages.len());
        let merger = RunMerger::open(&io, &runs, pages, serializer, comparator)?;
        Ok(SortedOutput {
            source: OutputSource::Merged {
                merger: Some(merger),
                _io: io,
            },
            metrics,
        })
    }
}

impl<S, C> ExternalSorter<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    /// The final merge of the spilled runs (read with the free pages) and the active sorter,
    /// sorted in place: the last run never goes to disk.
    fn merge_with_last_run_in_memory(self) -> Result<SortedOutput<S, C>, WeirError> {
        let ExternalSorter {
            serializer,
            comparator,
            io,
            mut active,
            standby,
            writer_pages,
            runs,
            mut metrics,
            ..
        } = self;
        active.sort()?;
        let mut pages = writer_pages;
        pages.extend(standby.into_iter().flat_map(InMemorySorter::into_pages));
        metrics.merge_passes += 1;
        metrics.note_pages_used(pages.len() + active.used_pages());
        let merger = RunMerger::open_with_in_memory_run(
            &io,
            &runs,
            pages,
            Some(active),
            serializer,
            comparator,
        )?;
        Ok(SortedOutput {
            source: OutputSource::Merged {
                merger: Some(merger),
                _io: io,
            },
            metrics,
        })
    }
}

/// What intermediate merges need from the sorter.
struct MergePhase<'a, S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    io: &'a IoManager,
    serializer: &'a S,
    comparator: &'a C,
    combiner: Option<&'a Combiner<S::Value>>,
    writer_pages: usize,
}

impl<S, C> MergePhase<'_, S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    /// Merges consecutive runs until at most the final fan-in of `pages` remain, merging no
    /// more runs than needed; counts the passes in `metrics`.
    fn reduce_runs(
        &self,
        mut runs: Vec<SpilledRun>,
        mut pages: Vec<MemorySegment>,
        metrics: &mut OperatorMetrics,
    ) -> Result<(Vec<SpilledRun>, Vec<MemorySegment>), WeirError> {
        let final_fan_in = pages.len() / MERGE_READ_PAGES;
        let intermediate_fan_in = ((pages.len() - self.writer_pages) / MERGE_READ_PAGES).max(2);
        while runs.len() > final_fan_in {
            metrics.merge_passes += 1;
            let mut needed = runs.len() - final_fan_in;
            let mut rest = std::collections::VecDeque::from(runs);
            let mut merged = Vec::new();
            while needed > 0 && rest.len() >= 2 {
                let group_len = intermediate_fan_in.min(needed + 1).min(rest.len());
                let group: Vec<SpilledRun> = rest.drain(..group_len).collect();
                needed -= group_len - 1;
                let (run, back) = self.merge_into_run(&group, pages)?;
                pages = back;
                metrics.note_spilled(&run);
                merged.push(run);
            }
            merged.extend(rest);
            runs = merged;
        }
        Ok((runs, pages))
    }

    /// Merges `group` into one new run; the group's files go when the caller drops it.
    fn merge_into_run(
        &self,
        group: &[SpilledRun],
        mut pages: Vec<MemorySegment>,
    ) -> Result<(SpilledRun, Vec<MemorySegment>), WeirError> {
        let writer_pages = pages.split_off(pages.len() - self.writer_pages);
        let mut writer = SpillWriter::create(self.io, writer_pages)?;
        let mut merger = RunMerger::open(
            self.io,
            group,
            pages,
            self.serializer.clone(),
            self.comparator.clone(),
        )?;
        let mut combining =
            CombiningWriter::new(&mut writer, self.serializer, self.comparator, self.combiner);
        while let Some(record) = merger.next_record()? {
            combining.push(record)?;
        }
        combining.finish()?;
        let mut pages = merger.close();
        let (run, mut writer_pages) = writer.close()?;
        pages.append(&mut writer_pages);
        Ok((run, pages))
    }
}

/// The sorted records of an [`ExternalSorter`], read from memory or merged from spilled runs.
/// Dropping it deletes the remaining spill files and returns the pages to their pool.
pub struct SortedOutput<S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    source: OutputSource<S, C>,
    metrics: OperatorMetrics,
}

enum OutputSource<S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    InMemory {
        sorter: InMemorySorter<S, C>,
        next: usize,
        spare: Vec<MemorySegment>,
    },
    Merged {
        /// `None` after an error: the output ends.
        merger: Option<RunMerger<S, C>>,
        /// Keeps the I/O manager (and so its threads) up while the readers need it.
        _io: Arc<IoManager>,
    },
}

impl<S, C> SortedOutput<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    /// The sorter's metrics; `records_out` counts the records read so far.
    pub fn metrics(&self) -> &OperatorMetrics {
        &self.metrics
    }

    /// Whether the records come from memory, without any spilling.
    pub fn is_in_memory(&self) -> bool {
        matches!(self.source, OutputSource::InMemory { .. })
    }

    /// Ends reading: waits for reads in flight and returns every page, deleting spill files.
    pub fn into_pages(self) -> Vec<MemorySegment> {
        match self.source {
            OutputSource::InMemory {
                sorter, mut spare, ..
            } => {
                spare.append(&mut sorter.into_pages());
                spare
            }
            OutputSource::Merged { merger, .. } => merger.map(RunMerger::close).unwrap_or_default(),
        }
    }
}

impl<S, C> Iterator for SortedOutput<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    type Item = Result<S::Value, WeirError>;

    fn next(&mut self) -> Option<Self::Item> {
        let record = match &mut self.source {
            OutputSource::InMemory { sorter, next, .. } => {
                let record = sorter.read_sorted(*next)?;
                *next = if record.is_ok() {
                    *next + 1
                } else {
                    sorter.len()
                };
                record
            }
            OutputSource::Merged { merger, .. } => match merger.as_mut()?.next_record() {
                Ok(Some(record)) => Ok(record),
                Ok(None) => return None,
                Err(error) => {
                    *merger = None;
                    Err(error)
                }
            },
        };
        if record.is_ok() {
            self.metrics.records_out += 1;
        }
        Some(record)
    }
}

/// Writer pages for a sorter of `total` pages: one per 32, between 1 and 8 (the odd page of an
/// uneven split between the two sorters goes to the writer too).
fn writer_pages_for(total: usize) -> usize {
    (total / 32).clamp(1, 8)
}

/// Sorts `sorter`, writes it as a run (folding equal keys with `combiner`) and empties it.
fn sort_and_spill<S, C>(
    mut sorter: InMemorySorter<S, C>,
    mut writer: SpillWriter,
    serializer: &S,
    comparator: &C,
    combiner: Option<Combiner<S::Value>>,
) -> SpillOutcome<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    let written = (|| {
        sorter.sort()?;
        match &combiner {
            None => sorter.spill_to(&mut writer),
            Some(combiner) => {
                let mut combining =
                    CombiningWriter::new(&mut writer, serializer, comparator, Some(combiner));
                for record in sorter.iter() {
                    combining.push(record?)?;
                }
                combining.finish()
            }
        }
    })();
    sorter.reset();
    let result = written.and_then(|()| writer.close());
    SpillOutcome { sorter, result }
}

impl<S, C> std::fmt::Debug for ExternalSorter<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalSorter")
            .field("records_in_active_sorter", &self.active.len())
            .field("spilled_runs", &self.spilled_runs())
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

impl<S, C> std::fmt::Debug for SortedOutput<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SortedOutput")
            .field("in_memory", &self.is_in_memory())
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}
