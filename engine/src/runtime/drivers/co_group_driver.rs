//! The co-group driver: both inputs sorted by key (an external sort each, half of the
//! operator's pages apiece), then walked together so the function sees, for every key present
//! on either side, the group of each side (one of them possibly empty).
//!
//! ```text
//!   left  sorted: a a c          groups: (a: [a a], []) (b: [], [b]) (c: [c], [c c])
//!   right sorted: b c c
//! ```

use std::cmp::Ordering;
use std::sync::Arc;

use crate::api::functions::{CoGroupFunction, Group};
use crate::error::WeirError;
use crate::operators::sort::{ExternalSorter, MIN_EXTERNAL_SORTER_PAGES, SortOrder};
use crate::runtime::collector::{Collector, Output};
use crate::runtime::drivers::key_groups::{KeyFn, KeyGroups};
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::operator_context::{OperatorContext, record_operator_metrics};
use crate::runtime::record_source::RecordSource;
use crate::types::{ComputedKeyComparator, DefaultComparator, DefaultSerializer, TypeComparator};

/// Fewest pages of a co-group: two sorters.
pub(crate) const MIN_CO_GROUP_PAGES: usize = 2 * MIN_EXTERNAL_SORTER_PAGES;

/// Runs one co-group subtask.
pub(crate) fn run_co_group<L, R, K, U, F>(
    context: &mut OperatorContext,
    left_key: &KeyFn<L, K>,
    right_key: &KeyFn<R, K>,
    function: &F,
    mut first: Box<dyn RecordSource<L>>,
    mut second: Box<dyn RecordSource<R>>,
    mut out: Box<dyn Collector<U>>,
) -> Result<(), WeirError>
where
    L: DefaultSerializer + Sync,
    R: DefaultSerializer + Sync,
    K: DefaultComparator + Send + Sync + 'static,
    U: Send,
    F: CoGroupFunction<L, R, U>,
{
    let runtime = context.runtime().clone();
    let mut function = function.clone();
    function
        .open(&runtime)
        .map_err(|error| user_failure(&runtime, error))?;
    let io = Arc::clone(&context.io);
    let slot = context.metrics_slot();
    let mut pages = context.take_pages();
    let right_pages = pages.split_off(pages.len() / 2);
    let lk = Arc::clone(left_key);
    let rk = Arc::clone(right_key);
    let mut left_sorter = ExternalSorter::new(
        L::serializer(),
        ComputedKeyComparator::new(move |l: &L| lk(l), K::comparator()),
        SortOrder::Stable,
        pages,
        Arc::clone(&io),
    )?;
    while let Some(record) = first.next_record()? {
        left_sorter.write(&record)?;
    }
    let mut right_sorter = ExternalSorter::new(
        R::serializer(),
        ComputedKeyComparator::new(move |r: &R| rk(r), K::comparator()),
        SortOrder::Stable,
        right_pages,
        io,
    )?;
    while let Some(record) = second.next_record()? {
        right_sorter.write(&record)?;
    }
    let mut left_sorted = left_sorter.finish()?;
    let mut right_sorted = right_sorter.finish()?;
    let mut left = KeyGroups::new(&mut left_sorted, Arc::clone(left_key), K::comparator());
    let mut right = KeyGroups::new(&mut right_sorted, Arc::clone(right_key), K::comparator());
    let comparator = K::comparator();
    let mut empty_left = std::iter::empty::<L>();
    let mut empty_right = std::iter::empty::<R>();
    loop {
        let order = match (left.peek_key(), right.peek_key()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(l), Some(r)) => comparator.compare(l, r),
        };
        let mut output = Output::new(&mut *out);
        let called = match order {
            Ordering::Less => {
                let mut records = left.group();
                function.co_group(
                    &mut Group::new(&mut records),
                    &mut Group::new(&mut empty_right),
                    &mut output,
                )
            }
            Ordering::Greater => {
                let mut records = right.group();
                function.co_group(
                    &mut Group::new(&mut empty_left),
                    &mut Group::new(&mut records),
                    &mut output,
                )
            }
            Ordering::Equal => {
                let mut left_records = left.group();
                let mut right_records = right.group();
                function.co_group(
                    &mut Group::new(&mut left_records),
                    &mut Group::new(&mut right_records),
                    &mut output,
                )
            }
        };
        let emitted = output.into_result();
        called.map_err(|error| user_failure(&runtime, error))?;
        emitted?;
        // Skip what the function left unread, so the next peek sees the next key.
        match order {
            Ordering::Less => left.skip_group(),
            Ordering::Greater => right.skip_group(),
            Ordering::Equal => {
                left.skip_group();
                right.skip_group();
            }
        }
    }
    left.take_error()?;
    right.take_error()?;
    drop(left);
    drop(right);
    record_operator_metrics(&slot, left_sorted.metrics());
    record_operator_metrics(&slot, right_sorted.metrics());
    function
        .close()
        .map_err(|error| user_failure(&runtime, error))?;
    out.finish()
}
