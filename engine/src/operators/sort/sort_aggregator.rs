//! [`SortAggregator`]: sort-based group-reduce and distinct over the [`ExternalSorter`] with a
//! combiner (Flink's sort-based `GroupReduceCombineDriver` + `ReduceDriver`).
//!
//! ```text
//!   write(record) ─▶ ExternalSorter (stable, combiner = reduce) ─▶ sorted, partly folded output
//!                                                                    │ fold neighbours once more
//!                                                                    ▼
//!                                        one record per group, in key order  ─▶ GroupedOutput
//! ```
//!
//! Groups are the records equal under the comparator. The reduce function must be associative
//! and keep the group's key; it sees records of a group in input order (the sort is stable and
//! runs merge in input order), so [`SortAggregator::distinct`], whose reduce keeps the earlier
//! record, returns the first record of each group.
//!
//! Memory and spilling are the sorter's: a spilled run already holds one record per key, so
//! aggregation over few keys barely touches the disk however large the input.

use std::cmp::Ordering;
use std::sync::Arc;

use weir_memory::{IoManager, MemorySegment};

use crate::error::WeirError;
use crate::operators::metrics::OperatorMetrics;
use crate::operators::sort::combiner::Combiner;
use crate::operators::sort::external_sorter::{ExternalSorter, SortedOutput};
use crate::operators::sort::in_memory_sorter::SortOrder;
use crate::types::{TypeComparator, TypeSerializer};

/// Groups records by a comparator and folds each group with a reduce function.
pub struct SortAggregator<S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    sorter: ExternalSorter<S, C>,
    reduce: Combiner<S::Value>,
    comparator: C,
}

impl<S, C> SortAggregator<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    /// An aggregation folding records equal under `comparator` with `reduce(earlier, later)`,
    /// in `pages` (at least [`crate::operators::sort::MIN_EXTERNAL_SORTER_PAGES`]).
    pub fn new(
        serializer: S,
        comparator: C,
        reduce: impl Fn(S::Value, S::Value) -> Result<S::Value, WeirError> + Send + Sync + 'static,
        pages: Vec<MemorySegment>,
        io: Arc<IoManager>,
    ) -> Result<SortAggregator<S, C>, WeirError> {
        let reduce: Combiner<S::Value> = Arc::new(reduce);
        let sorter =
            ExternalSorter::new(serializer, comparator.clone(), SortOrder::Stable, pages, io)?
                .with_combiner(Arc::clone(&reduce));
        Ok(SortAggregator {
            sorter,
            reduce,
            comparator,
        })
    }

    /// Keeps the first record (in input order) of each group of records equal under
    /// `comparator`.
    pub fn distinct(
        serializer: S,
        comparator: C,
        pages: Vec<MemorySegment>,
        io: Arc<IoManager>,
    ) -> Result<SortAggregator<S, C>, WeirError> {
        SortAggregator::new(serializer, comparator, |first, _| Ok(first), pages, io)
    }

    pub fn metrics(&self) -> &OperatorMetrics {
        self.sorter.metrics()
    }

    pub fn write(&mut self, record: &S::Value) -> Result<(), WeirError> {
        self.sorter.write(record)
    }

    /// Ends the input; the groups come out in key order.
    pub fn finish(self) -> Result<GroupedOutput<S, C>, WeirError> {
        Ok(GroupedOutput {
            sorted: self.sorter.finish()?,
            reduce: self.reduce,
            comparator: self.comparator,
            pending: None,
            groups: 0,
        })
    }
}

/// One folded record per group, in key order.
pub struct GroupedOutput<S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    sorted: SortedOutput<S, C>,
    reduce: Combiner<S::Value>,
    comparator: C,
    /// The group being folded.
    pending: Option<S::Value>,
    groups: u64,
}

impl<S, C> GroupedOutput<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    /// The sorter's metrics, with `records_out` counting the groups returned so far.
    pub fn metrics(&self) -> OperatorMetrics {
        OperatorMetrics {
            records_out: self.groups,
            ..self.sorted.metrics().clone()
        }
    }

    /// Ends reading and returns every page.
    pub fn into_pages(self) -> Vec<MemorySegment> {
        self.sorted.into_pages()
    }

    fn next_group(&mut self) -> Result<Option<S::Value>, WeirError> {
        loop {
            let Some(record) = self.sorted.next().transpose()? else {
                return Ok(self.pending.take());
            };
            match self.pending.take() {
                None => self.pending = Some(record),
                Some(pending) => {
                    if self.comparator.compare(&pending, &record) == Ordering::Equal {
                        self.pending = Some((self.reduce)(pending, record)?);
                    } else {
                        self.pending = Some(record);
                        return Ok(Some(pending));
                    }
                }
            }
        }
    }
}

impl<S, C> Iterator for GroupedOutput<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    type Item = Result<S::Value, WeirError>;

    fn next(&mut self) -> Option<Self::Item> {
        let group = self.next_group().transpose()?;
        if group.is_ok() {
            self.groups += 1;
        }
        Some(group)
    }
}

impl<S, C> std::fmt::Debug for SortAggregator<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SortAggregator")
            .field("sorter", &self.sorter)
            .finish_non_exhaustive()
    }
}

impl<S, C> std::fmt::Debug for GroupedOutput<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupedOutput")
            .field("sorted", &self.sorted)
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}
