//! [`HashAggregator`]: hash aggregation (group-reduce and distinct) over serialized records in
//! pages, spilling hash partitions and aggregating them recursively (Flink's hash-based
//! combinable reduce).
//!
//! ```text
//!   write(record) ──▶ level 0 ReduceHashTable (seed 0) ── partitions in memory ──▶ emit
//!                            │ partitions that spilled: one run each
//!                            ▼
//!                     stack of runs ──▶ level 1 table (seed 1, all pages) ──▶ emit
//!                            ▲               │ its spilled partitions
//!                            └───────────────┘  (level + 1)
//!                            │ a run at level > MAX_RECURSION_DEPTH, or one that did not
//!                            ▼ shrink (all its records again in one partition, none folded)
//!                     SortAggregator over the run (sort-based fallback) ──▶ emit
//! ```
//!
//! Every level hashes keys with its own seed (the level number), so a partition's keys spread
//! over the next level's partitions. Each level folds what fits in memory and spills the rest,
//! so a run holds fewer records than its parent or it has gone through a level in which nothing
//! fitted: that happens only for records too large for the table (one record larger than all
//! the pages) or for keys whose 64-bit hashes collide under every seed, and then the sort-based
//! [`SortAggregator`] (external sort with the reduce as combiner) takes the run, which handles
//! records of any size. Fallbacks are counted in `metrics().sort_merge_fallbacks`.
//!
//! # Contract
//! - `key_selector(record)` gives the grouping key; `key_comparator` hashes and compares keys.
//! - `reduce(earlier, later)` folds two records of one key into one record of the same key. It
//!   must be associative. The aggregator always passes records in input order (the table holds
//!   the fold of the earlier records; a spilled partition writes its folded records before the
//!   records that come after the spill; the fallback sort is stable), so a reduce need not be
//!   commutative: [`HashAggregator::distinct`] keeps the first record of each key.
//! - Output: one record per distinct key, in no particular order, handed to the `emit` callback
//!   of [`HashAggregator::finish`]; no list of results is built.
//!
//! # Memory
//! The aggregator works in the pages it is given (at least [`MIN_HASH_AGGREGATOR_PAGES`]; fewer
//! fail at construction with [`WeirError::TooFewPages`]). While a spilled run is aggregated, up
//! to [`READ_AHEAD_PAGES`] of them read the run ahead and the rest hold the next level's table,
//! whose slot index is sized at once for the run's record count (a bound on its keys).
//! [`HashAggregator::finish`] returns every page. Spill files are deleted as soon as their run
//! is aggregated, and all of them when the aggregator is dropped, also after an error.

use std::sync::Arc;

use weir_memory::{IoManager, MemorySegment};

use crate::error::WeirError;
use crate::operators::aggregate::reduce_hash_table::{
    Aggregation, MIN_TABLE_PAGES, ReduceHashTable,
};
use crate::operators::metrics::OperatorMetrics;
use crate::operators::sort::{MIN_EXTERNAL_SORTER_PAGES, SortAggregator};
use crate::operators::spill::{SpillReader, SpilledRun};
use crate::types::{ComputedKeyComparator, TypeComparator, TypeSerializer};

/// The fewest pages a hash aggregator works with: a table and one page to read a spilled run.
pub const MIN_HASH_AGGREGATOR_PAGES: usize = MIN_TABLE_PAGES + 1;

/// The deepest recursion level before a run goes to the sort-based fallback.
pub const MAX_RECURSION_DEPTH: u32 = 12;

/// Pages reading a spilled run ahead while it is aggregated (fewer when memory is short).
pub const READ_AHEAD_PAGES: usize = 4;

// The fallback runs in the pages left beside one reader page.
const _: () = assert!(MIN_HASH_AGGREGATOR_PAGES > MIN_EXTERNAL_SORTER_PAGES);

/// The reduce of [`HashAggregator::distinct`]: keeps the earlier record.
pub type KeepFirst<T> = fn(T, T) -> Result<T, WeirError>;

fn keep_first<T>(earlier: T, _later: T) -> Result<T, WeirError> {
    Ok(earlier)
}

/// Hash distinct: a [`HashAggregator`] keeping the first record of each key.
pub type HashDistinct<S, KC, KF> =
    HashAggregator<S, KC, KF, KeepFirst<<S as TypeSerializer>::Value>>;

/// What [`HashAggregator::finish`] hands back.
#[derive(Debug)]
pub struct FinishedAggregation {
    pub metrics: OperatorMetrics,
    /// Every page the aggregator was given.
    pub pages: Vec<MemorySegment>,
}

/// Hash aggregation of records of `S` grouped by the key `KF` computes, compared by `KC`,
/// folded by `R`. See the module docs.
pub struct HashAggregator<S, KC, KF, R> {
    aggregation: Aggregation<S, KC, KF, R>,
    io: Arc<IoManager>,
    table: ReduceHashTable<S, KC, KF, R>,
    metrics: OperatorMetrics,
}

/// A spilled run waiting to be aggregated.
#[derive(Debug)]
enum PendingRun {
    /// Aggregate with a hash table at this level.
    Hash { run: SpilledRun, level: u32 },
    /// Recursion cannot shrink it: aggregate by sorting.
    Sort { run: SpilledRun, level: u32 },
}

impl<S, KC, KF, R> HashAggregator<S, KC, KF, R>
where
    S: TypeSerializer,
    KC: TypeComparator,
    KF: Fn(&S::Value) -> KC::Value + Clone + Send + Sync + 'static,
    R: Fn(S::Value, S::Value) -> Result<S::Value, WeirError> + Clone + Send + Sync + 'static,
{
    /// Groups records of `serializer` by `key_selector` (keys hashed and compared by
    /// `key_comparator`) and folds each group with `reduce(earlier, later)`, in `pages` (at
    /// least [`MIN_HASH_AGGREGATOR_PAGES`], all of one size), spilling through `io`.
    pub fn new(
        serializer: S,
        key_selector: KF,
        key_comparator: KC,
        reduce: R,
        pages: Vec<MemorySegment>,
        io: Arc<IoManager>,
    ) -> Result<HashAggregator<S, KC, KF, R>, WeirError> {
        if pages.len() < MIN_HASH_AGGREGATOR_PAGES {
            return Err(WeirError::TooFewPages {
                operator: "hash aggregator",
                given: pages.len(),
                required: MIN_HASH_AGGREGATOR_PAGES,
            });
        }
        let aggregation = Aggregation {
            serializer,
            key_comparator,
            key_selector,
            reduce,
        };
        let metrics = OperatorMetrics::with_pages(pages.len());
        let table = ReduceHashTable::new(aggregation.clone(), 0, pages, Arc::clone(&io))?;
        Ok(HashAggregator {
            aggregation,
            io,
            table,
            metrics,
        })
    }

    /// Counters so far, `peak_pages_used` included (kept up to date as the table takes pages).
    pub fn metrics(&self) -> &OperatorMetrics {
        &self.metrics
    }

    /// Partitions of the first level that have spilled so far.
    pub fn spilled_partitions(&self) -> usize {
        self.table.spilled_partitions()
    }

    /// Folds `record` into its key's group.
    pub fn write(&mut self, record: S::Value) -> Result<(), WeirError> {
        self.metrics.records_in += 1;
        let inserted = self.table.insert(record);
        self.metrics.note_pages_used(self.table.peak_pages_used());
        inserted
    }

    /// Folds `record` into its key's group like [`HashAggregator::write`], but as a combiner:
    /// when the table is nearly full, it first hands every group it holds to `emit` (partial
    /// results) and starts over, so it never spills (unless one record needs more pages than
    /// two). The downstream aggregation folds the partial results again.
    pub fn write_combining(
        &mut self,
        record: S::Value,
        mut emit: impl FnMut(S::Value) -> Result<(), WeirError>,
    ) -> Result<(), WeirError> {
        if self.table.is_nearly_full() {
            let mut flushed = 0u64;
            self.table.flush_in_memory(|record| {
                flushed += 1;
                emit(record)
            })?;
            self.metrics.records_out += flushed;
        }
        self.write(record)
    }

    /// Ends the input and hands one record per key to `emit`, then returns the metrics and
    /// every page. On an error the pages held at that moment go back to their reservation
    /// when dropped, and every spill file is deleted.
    pub fn finish(
        self,
        mut emit: impl FnMut(S::Value) -> Result<(), WeirError>,
    ) -> Result<FinishedAggregation, WeirError> {
        let HashAggregator {
            aggregation,
            io,
            mut table,
            mut metrics,
        } = self;
        let mut records_out = 0u64;
        let mut emit = |record| {
            records_out += 1;
            emit(record)
        };
        table.emit_in_memory(&mut emit)?;
        let mut peak_pages_used = table.peak_pages_used();
        let (runs, mut pages) = table.close()?;
        let mut pending = Vec::with_capacity(runs.len());
        for run in runs {
            metrics.note_spilled(&run);
            pending.push(PendingRun::Hash { run, level: 1 });
        }
        let mut recursion_depth = 0;
        let mut sort_fallbacks = 0;
        let mut sorter_metrics = Vec::new();
        while let Some(next) = pending.pop() {
            match next {
                PendingRun::Hash { run, level } if level <= MAX_RECURSION_DEPTH => {
                    recursion_depth = recursion_depth.max(level);
                    let reader_pages = READ_AHEAD_PAGES.min(pages.len() - MIN_TABLE_PAGES);
                    let mut reader =
                        SpillReader::open(&io, &run, pages.split_off(pages.len() - reader_pages))?;
                    let mut table = ReduceHashTable::new(
                        aggregation.clone(),
                        u64::from(level),
                        pages,
                        Arc::clone(&io),
                    )?;
                    table.presize_for(run.records());
                    while let Some(record) = reader.next(&aggregation.serializer)? {
                        table.insert(record)?;
                    }
                    let mut reader_pages = reader.close();
                    table.emit_in_memory(&mut emit)?;
                    peak_pages_used =
                        peak_pages_used.max(table.peak_pages_used() + reader_pages.len());
                    let (runs, table_pages) = table.close()?;
                    pages = table_pages;
                    pages.append(&mut reader_pages);
                    for sub_run in runs {
                        metrics.note_spilled(&sub_run);
                        pending.push(if sub_run.records() == run.records() {
                            PendingRun::Sort {
                                run: sub_run,
                                level: level + 1,
                            }
                        } else {
                            PendingRun::Hash {
                                run: sub_run,
                                level: level + 1,
                            }
                        });
                    }
                }
                PendingRun::Hash { run, level } | PendingRun::Sort { run, level } => {
                    recursion_depth = recursion_depth.max(level);
                    sort_fallbacks += 1;
                    let (sorter_pages, sorter_run_metrics) =
                        sort_aggregate(&aggregation, &io, &run, pages, &mut emit)?;
                    pages = sorter_pages;
                    peak_pages_used = peak_pages_used.max(sorter_run_metrics.peak_pages_used);
                    sorter_metrics.push(sorter_run_metrics);
                }
            }
        }
        metrics.records_out += records_out;
        for sorted in &sorter_metrics {
            metrics.bytes_spilled += sorted.bytes_spilled;
            metrics.spill_files += sorted.spill_files;
            metrics.merge_passes += sorted.merge_passes;
        }
        metrics.note_recursion(recursion_depth);
        metrics.sort_merge_fallbacks += sort_fallbacks;
        metrics.note_pages_used(peak_pages_used);
        Ok(FinishedAggregation { metrics, pages })
    }
}

impl<S, KC, KF> HashAggregator<S, KC, KF, KeepFirst<S::Value>>
where
    S: TypeSerializer,
    KC: TypeComparator,
    KF: Fn(&S::Value) -> KC::Value + Clone + Send + Sync + 'static,
{
    /// Keeps the first record (in input order) of each key: distinct on the same machinery.
    /// For distinct whole records, let `key_selector` return the record (or a tuple of all its
    /// fields).
    pub fn distinct(
        serializer: S,
        key_selector: KF,
        key_comparator: KC,
        pages: Vec<MemorySegment>,
        io: Arc<IoManager>,
    ) -> Result<Self, WeirError> {
        HashAggregator::new(
            serializer,
            key_selector,
            key_comparator,
            keep_first as KeepFirst<S::Value>,
            pages,
            io,
        )
    }
}

/// Aggregates `run` with the sort-based aggregator in `pages` (one of them reads the run);
/// returns the pages and the sorter's metrics.
fn sort_aggregate<S, KC, KF, R>(
    aggregation: &Aggregation<S, KC, KF, R>,
    io: &Arc<IoManager>,
    run: &SpilledRun,
    mut pages: Vec<MemorySegment>,
    emit: &mut impl FnMut(S::Value) -> Result<(), WeirError>,
) -> Result<(Vec<MemorySegment>, OperatorMetrics), WeirError>
where
    S: TypeSerializer,
    KC: TypeComparator,
    KF: Fn(&S::Value) -> KC::Value + Clone + Send + Sync + 'static,
    R: Fn(S::Value, S::Value) -> Result<S::Value, WeirError> + Clone + Send + Sync + 'static,
{
    let reader_pages = pages.split_off(pages.len() - 1);
    let mut reader = SpillReader::open(io, run, reader_pages)?;
    let comparator = ComputedKeyComparator::new(
        aggregation.key_selector.clone(),
        aggregation.key_comparator.clone(),
    );
    let mut sorter = SortAggregator::new(
        aggregation.serializer.clone(),
        comparator,
        aggregation.reduce.clone(),
        pages,
        Arc::clone(io),
    )?;
    while let Some(record) = reader.next(&aggregation.serializer)? {
        sorter.write(&record)?;
    }
    let mut pages = reader.close();
    let mut groups = sorter.finish()?;
    for group in groups.by_ref() {
        emit(group?)?;
    }
    let metrics = groups.metrics();
    pages.append(&mut groups.into_pages());
    Ok((pages, metrics))
}

impl<S, KC, KF, R> std::fmt::Debug for HashAggregator<S, KC, KF, R>
where
    S: TypeSerializer,
    KC: TypeComparator,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashAggregator")
            .field("table", &self.table)
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}
