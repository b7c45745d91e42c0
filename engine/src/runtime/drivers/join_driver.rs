//! The join driver: both inputs of a two-input task joined by key with the hybrid hash join
//! (building either side) or the sort-merge join over two external sorts, calling the user's
//! join function for every output pair.
//!
//! The hybrid hash join builds on its *right* input. To build on the first input instead, the
//! driver hands the join the inputs swapped with the mirrored join type and swaps each output
//! pair back before the user function sees it.
//!
//! Pages: the hash join gets all of the operator's pages; the sort-merge join splits them as
//! 2/5 per sorter and the rest (at least its minimum) for buffering equal-key groups.

use std::sync::Arc;

use crate::api::functions::{FlatJoinFunction, RuntimeContext};
use crate::error::WeirError;
use crate::operators::join::{
    HybridHashJoin, JoinInputs, JoinType, MIN_SORT_MERGE_JOIN_PAGES, SortMergeJoin,
};
use crate::operators::sort::{ExternalSorter, MIN_EXTERNAL_SORTER_PAGES, SortOrder};
use crate::runtime::collector::{Collector, Output};
use crate::runtime::drivers::key_groups::KeyFn;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::operator_context::{OperatorContext, record_operator_metrics};
use crate::runtime::record_source::{RecordSource, SourceIter};
use crate::types::{ComputedKeyComparator, DefaultComparator, DefaultSerializer};

/// How the driver joins (chosen by the plan from the hint or the size estimates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalJoinStrategy {
    HashBuildFirst,
    HashBuildSecond,
    SortMerge,
}

/// Fewest pages each strategy works in.
pub(crate) fn min_join_pages(strategy: LocalJoinStrategy) -> usize {
    match strategy {
        LocalJoinStrategy::HashBuildFirst | LocalJoinStrategy::HashBuildSecond => {
            crate::operators::join::MIN_HYBRID_HASH_JOIN_PAGES
        }
        LocalJoinStrategy::SortMerge => {
            2 * MIN_EXTERNAL_SORTER_PAGES.max(5) + MIN_SORT_MERGE_JOIN_PAGES
        }
    }
}

/// The key selectors and function of one join.
pub(crate) struct JoinSpec<L, R, K, F> {
    pub join_type: JoinType,
    pub strategy: LocalJoinStrategy,
    pub left_key: KeyFn<L, K>,
    pub right_key: KeyFn<R, K>,
    pub function: F,
}

/// Runs one join subtask: reads both inputs, emits through the user function into `out`.
pub(crate) fn run_join<L, R, K, U, F>(
    context: &mut OperatorContext,
    spec: &JoinSpec<L, R, K, F>,
    mut first: Box<dyn RecordSource<L>>,
    mut second: Box<dyn RecordSource<R>>,
    mut out: Box<dyn Collector<U>>,
) -> Result<(), WeirError>
where
    L: DefaultSerializer + Sync,
    R: DefaultSerializer + Sync,
    K: DefaultComparator + Send + Sync + 'static,
    U: Send,
    F: FlatJoinFunction<L, R, U>,
{
    let runtime = context.runtime().clone();
    let mut function = spec.function.clone();
    function
        .open(&runtime)
        .map_err(|error| user_failure(&runtime, error))?;
    let io = Arc::clone(&context.io);
    let pages = context.take_pages();
    let slot = context.metrics_slot();
    let left_key = Arc::clone(&spec.left_key);
    let right_key = Arc::clone(&spec.right_key);
    let lk = move |l: &L| left_key(l);
    let rk = move |r: &R| right_key(r);
    let metrics = match spec.strategy {
        LocalJoinStrategy::HashBuildSecond => {
            let inputs = JoinInputs::new(L::serializer(), R::serializer(), K::comparator(), lk, rk);
            let mut join = HybridHashJoin::new(inputs, spec.join_type, pages, io)?;
            let mut emit =
                |l: Option<&L>, r: Option<&R>| call(&mut function, &runtime, l, r, &mut *out);
            join.build_all(SourceIter::new(&mut *second))?;
            join.end_build()?;
            join.probe_all(SourceIter::new(&mut *first), &mut emit)?;
            join.finish(&mut emit)?;
            join.metrics().clone()
        }
        LocalJoinStrategy::HashBuildFirst => {
            let inputs = JoinInputs::new(R::serializer(), L::serializer(), K::comparator(), rk, lk);
            let mut join = HybridHashJoin::new(inputs, spec.join_type.swapped(), pages, io)?;
            let mut emit =
                |r: Option<&R>, l: Option<&L>| call(&mut function, &runtime, l, r, &mut *out);
            join.build_all(SourceIter::new(&mut *first))?;
            join.end_build()?;
            join.probe_all(SourceIter::new(&mut *second), &mut emit)?;
            join.finish(&mut emit)?;
            join.metrics().clone()
        }
        LocalJoinStrategy::SortMerge => {
            let mut pages = pages;
            let sorter_pages = (pages.len() * 2 / 5).max(MIN_EXTERNAL_SORTER_PAGES);
            let left_pages = pages.split_off(pages.len() - sorter_pages);
            let right_pages = pages.split_off(pages.len() - sorter_pages);
            let left_comparator = ComputedKeyComparator::new(lk.clone(), K::comparator());
            let right_comparator = ComputedKeyComparator::new(rk.clone(), K::comparator());
            let mut left_sorter = ExternalSorter::new(
                L::serializer(),
                left_comparator,
                SortOrder::Stable,
                left_pages,
                Arc::clone(&io),
            )?;
            while let Some(record) = first.next_record()? {
                left_sorter.write(&record)?;
            }
            let mut right_sorter = ExternalSorter::new(
                R::serializer(),
                right_comparator,
                SortOrder::Stable,
                right_pages,
                Arc::clone(&io),
            )?;
            while let Some(record) = second.next_record()? {
                right_sorter.write(&record)?;
            }
            let left_sorted = left_sorter.finish()?;
            let right_sorted = right_sorter.finish()?;
            record_operator_metrics(&slot, left_sorted.metrics());
            record_operator_metrics(&slot, right_sorted.metrics());
            let inputs = JoinInputs::new(L::serializer(), R::serializer(), K::comparator(), lk, rk);
            let mut join = SortMergeJoin::new(inputs, spec.join_type, pages, io)?;
            let mut emit =
                |l: Option<&L>, r: Option<&R>| call(&mut function, &runtime, l, r, &mut *out);
            join.join(left_sorted, right_sorted, &mut emit)?;
            join.metrics().clone()
        }
    };
    record_operator_metrics(&slot, &metrics);
    function
        .close()
        .map_err(|error| user_failure(&runtime, error))?;
    out.finish()
}

#[inline]
fn call<L, R, U, F: FlatJoinFunction<L, R, U>>(
    function: &mut F,
    runtime: &RuntimeContext,
    left: Option<&L>,
    right: Option<&R>,
    out: &mut dyn Collector<U>,
) -> Result<(), WeirError> {
    let mut output = Output::new(out);
    let called = function.join(left, right, &mut output);
    let emitted = output.into_result();
    called.map_err(|error| user_failure(runtime, error))?;
    emitted
}
