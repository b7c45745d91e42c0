//! [`SortMergeJoin`]: joins two inputs that are each sorted by the join key (for example the
//! outputs of sorters), in one pass over both.
//!
//! ```text
//!   left  ─ l ─┐  compare(key(l), key(r))
//!              ├─ Less:    (l, None) for left outer; next l
//!   right ─ r ─┤  Greater: (None, r) for right outer; next r
//!              └─ Equal:   every r of the key ─▶ GroupBuffer (pages, spills when full)
//!                          every l of the key ─▶ emit (l, r) for each r in the group
//! ```
//!
//! Only the right records of one key are buffered; left records stream. The buffer holds the
//! group in pages and spills it when it outgrows them, so the cross product of two large
//! groups of one key needs no more memory than the pages given (the spilled group is read once
//! per left record of the key). Each input is checked to be sorted as it is read: a key
//! smaller than the one before fails with [`WeirError::JoinInputNotSorted`] instead of a
//! silently wrong result. Keys compare by the schema's comparator (`None` equals `None`).

use std::cmp::Ordering;
use std::sync::Arc;

use weir_memory::{IoManager, MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::join::group_buffer::{GroupBuffer, MIN_GROUP_BUFFER_PAGES};
use crate::operators::join::join_inputs::{JoinSchema, LeftOf, RightOf};
use crate::operators::join::join_type::JoinType;
use crate::operators::metrics::OperatorMetrics;
use crate::types::{TypeComparator, TypeSerializer};

/// The fewest pages a sort-merge join works in: a record page and a spill page for the group.
pub const MIN_SORT_MERGE_JOIN_PAGES: usize = MIN_GROUP_BUFFER_PAGES;

const OPERATOR: &str = "sort-merge join";

/// A sort-merge join over pages. See the module docs.
pub struct SortMergeJoin<J: JoinSchema> {
    inputs: J,
    join_type: JoinType,
    io: Arc<IoManager>,
    group: GroupBuffer<J::RightSerializer>,
    metrics: OperatorMetrics,
}

impl<J: JoinSchema> std::fmt::Debug for SortMergeJoin<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SortMergeJoin")
            .field("join_type", &self.join_type)
            .field("metrics", &self.metrics)
            .finish()
    }
}

/// One sorted input: its current record and key, checked to never go down.
struct SortedInput<I, T, K> {
    records: I,
    current: Option<(T, K)>,
    read: u64,
    name: &'static str,
}

impl<I, T, K> SortedInput<I, T, K>
where
    I: Iterator<Item = Result<T, WeirError>>,
{
    fn new(
        records: I,
        name: &'static str,
        key_of: impl Fn(&T) -> K,
    ) -> Result<SortedInput<I, T, K>, WeirError> {
        let mut input = SortedInput {
            records,
            current: None,
            read: 0,
            name,
        };
        input.current = input.pull(&key_of)?;
        Ok(input)
    }

    fn pull(&mut self, key_of: &impl Fn(&T) -> K) -> Result<Option<(T, K)>, WeirError> {
        let Some(record) = self.records.next().transpose()? else {
            return Ok(None);
        };
        self.read += 1;
        let key = key_of(&record);
        Ok(Some((record, key)))
    }

    /// The current record and key; the next becomes current, and must not have a smaller key.
    fn take_and_advance<C: TypeComparator<Value = K>>(
        &mut self,
        key_of: &impl Fn(&T) -> K,
        comparator: &C,
    ) -> Result<Option<(T, K)>, WeirError> {
        let next = self.pull(key_of)?;
        if let (Some((_, before)), Some((_, after))) = (&self.current, &next)
            && comparator.compare(before, after) == Ordering::Greater
        {
            return Err(WeirError::JoinInputNotSorted {
                operator: OPERATOR,
                input: self.name,
                record: self.read - 1,
            });
        }
        Ok(std::mem::replace(&mut self.current, next))
    }

    fn current_key(&self) -> Option<&K> {
        self.current.as_ref().map(|(_, key)| key)
    }
}

impl<J: JoinSchema> SortMergeJoin<J> {
    /// A join of `join_type` working in `pages` (all of one size), spilling through `io`.
    /// Fails with [`WeirError::TooFewPages`] below [`MIN_SORT_MERGE_JOIN_PAGES`].
    pub fn new(
        inputs: J,
        join_type: JoinType,
        pages: Vec<MemorySegment>,
        io: Arc<IoManager>,
    ) -> Result<SortMergeJoin<J>, WeirError> {
        if pages.len() < MIN_SORT_MERGE_JOIN_PAGES {
            return Err(WeirError::TooFewPages {
                operator: OPERATOR,
                given: pages.len(),
                required: MIN_SORT_MERGE_JOIN_PAGES,
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
        let metrics = OperatorMetrics::with_pages(pages.len());
        let group = GroupBuffer::new(inputs.right_serializer().clone(), pages)?;
        Ok(SortMergeJoin {
            inputs,
            join_type,
            io,
            group,
            metrics,
        })
    }

    /// What the join did so far.
    pub fn metrics(&self) -> &OperatorMetrics {
        &self.metrics
    }

    /// Joins `left` and `right`, each sorted ascending by the key comparator, emitting every
    /// output row to `emit`.
    pub fn join<L, R, F>(&mut self, left: L, right: R, emit: &mut F) -> Result<(), WeirError>
    where
        L: IntoIterator<Item = Result<LeftOf<J>, WeirError>>,
        R: IntoIterator<Item = Result<RightOf<J>, WeirError>>,
        F: FnMut(Option<&LeftOf<J>>, Option<&RightOf<J>>) -> Result<(), WeirError>,
    {
        let inputs = &self.inputs;
        let left_key = |l: &LeftOf<J>| inputs.left_key(l);
        let right_key = |r: &RightOf<J>| inputs.right_key(r);
        let comparator = inputs.key_comparator();
        let mut left = SortedInput::new(left.into_iter(), "left", left_key)?;
        let mut right = SortedInput::new(right.into_iter(), "right", right_key)?;
        let metrics = &mut self.metrics;
        let outcome = (|| {
            loop {
                let order = match (left.current_key(), right.current_key()) {
                    (None, None) => return Ok(()),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(l), Some(r)) => comparator.compare(l, r),
                };
                match order {
                    Ordering::Less => {
                        let (l, _) = left
                            .take_and_advance(&left_key, comparator)?
                            .expect("a current left record");
                        if self.join_type.emits_unmatched_left() {
                            metrics.records_out += 1;
                            emit(Some(&l), None)?;
                        }
                    }
                    Ordering::Greater => {
                        let (r, _) = right
                            .take_and_advance(&right_key, comparator)?
                            .expect("a current right record");
                        if self.join_type.emits_unmatched_right() {
                            metrics.records_out += 1;
                            emit(None, Some(&r))?;
                        }
                    }
                    Ordering::Equal => {
                        join_group(
                            &mut self.group,
                            &self.io,
                            &mut left,
                            &mut right,
                            &left_key,
                            &right_key,
                            comparator,
                            metrics,
                            emit,
                        )?;
                    }
                }
            }
        })();
        self.metrics.records_in += left.read + right.read;
        outcome
    }

    /// Ends the join and returns all of its pages (the group's spill file, if any, is gone).
    pub fn into_pages(self) -> Vec<MemorySegment> {
        self.group.into_pages()
    }
}

/// Joins the left and right records of the current (equal) key.
#[allow(clippy::too_many_arguments)]
fn join_group<IL, IR, L, R, K, C, F>(
    group: &mut GroupBuffer<impl TypeSerializer<Value = R>>,
    io: &Arc<IoManager>,
    left: &mut SortedInput<IL, L, K>,
    right: &mut SortedInput<IR, R, K>,
    left_key: &impl Fn(&L) -> K,
    right_key: &impl Fn(&R) -> K,
    comparator: &C,
    metrics: &mut OperatorMetrics,
    emit: &mut F,
) -> Result<(), WeirError>
where
    IL: Iterator<Item = Result<L, WeirError>>,
    IR: Iterator<Item = Result<R, WeirError>>,
    C: TypeComparator<Value = K>,
    F: FnMut(Option<&L>, Option<&R>) -> Result<(), WeirError>,
{
    group.clear()?;
    let (first, key) = right
        .take_and_advance(right_key, comparator)?
        .expect("a current right record");
    group.push(&first, io)?;
    drop(first);
    while right
        .current_key()
        .is_some_and(|next| comparator.compare(next, &key) == Ordering::Equal)
    {
        let (r, _) = right
            .take_and_advance(right_key, comparator)?
            .expect("a current right record");
        group.push(&r, io)?;
        metrics.note_pages_used(group.used_pages());
    }
    group.end(metrics)?;
    metrics.note_pages_used(group.used_pages().max(1));
    while left
        .current_key()
        .is_some_and(|next| comparator.compare(next, &key) == Ordering::Equal)
    {
        let (l, _) = left
            .take_and_advance(left_key, comparator)?
            .expect("a current left record");
        group.for_each(io, |r| {
            metrics.records_out += 1;
            emit(Some(&l), Some(r))
        })?;
    }
    group.clear()
}
