//! The function traits a user implements on a struct (Flink's `RichMapFunction` and friends),
//! with `open`/`close` hooks, and the [`RuntimeContext`] they see.
//!
//! Closures need none of this: `data.map(|x| x + 1)` wraps the closure in an adapter. A struct
//! implements a trait and goes through the `*_with` method (`map_with`, `flat_map_with`,
//! `reduce_with`, ...). Each parallel instance gets its own clone of the function, so a struct
//! may keep per-instance state; `open` runs before the first record, `close` after the last.
//!
//! A function fails by returning an error ([`UserError`]: any `std::error::Error`); a panic
//! fails the task as well. Either way the job fails with the operator, the subtask and the
//! message.

use crate::runtime::collector::Output;

/// The error a user function may return.
pub type UserError = Box<dyn std::error::Error + Send + Sync>;

/// What a function instance knows about where it runs.
#[derive(Debug, Clone)]
pub struct RuntimeContext {
    pub(crate) operator_name: String,
    pub(crate) subtask_index: usize,
    pub(crate) parallelism: usize,
}

impl RuntimeContext {
    /// The operator's name (`Map at word_count.rs`, or the name given with `.name(..)`).
    pub fn operator_name(&self) -> &str {
        &self.operator_name
    }

    /// This instance's index, `0..parallelism`.
    pub fn subtask_index(&self) -> usize {
        self.subtask_index
    }

    /// How many instances the operator runs.
    pub fn parallelism(&self) -> usize {
        self.parallelism
    }
}

/// The records of one group (or of one partition), in the order the operator delivers them.
pub struct Group<'a, T> {
    inner: &'a mut dyn Iterator<Item = T>,
}

impl<T> std::fmt::Debug for Group<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Group")
    }
}

impl<'a, T> Group<'a, T> {
    pub(crate) fn new(inner: &'a mut dyn Iterator<Item = T>) -> Group<'a, T> {
        Group { inner }
    }
}

impl<T> Iterator for Group<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.inner.next()
    }
}

macro_rules! lifecycle {
    () => {
        /// Called once per instance before the first record.
        fn open(&mut self, _context: &RuntimeContext) -> Result<(), UserError> {
            Ok(())
        }

        /// Called once per instance after the last record (also when there were none).
        fn close(&mut self) -> Result<(), UserError> {
            Ok(())
        }
    };
}

/// One record in, one out.
pub trait MapFunction<T, U>: Clone + Send + Sync + 'static {
    lifecycle!();
    fn map(&mut self, value: T) -> Result<U, UserError>;
}

/// One record in, any number out.
pub trait FlatMapFunction<T, U>: Clone + Send + Sync + 'static {
    lifecycle!();
    fn flat_map(&mut self, value: T, out: &mut Output<'_, U>) -> Result<(), UserError>;
}

/// Keeps the records it returns true for.
pub trait FilterFunction<T>: Clone + Send + Sync + 'static {
    lifecycle!();
    fn filter(&mut self, value: &T) -> Result<bool, UserError>;
}

/// All records of a partition in, any number out.
pub trait MapPartitionFunction<T, U>: Clone + Send + Sync + 'static {
    lifecycle!();
    fn map_partition(
        &mut self,
        values: &mut Group<'_, T>,
        out: &mut Output<'_, U>,
    ) -> Result<(), UserError>;
}

/// Folds two records of one key into one. It must be associative: the runtime applies it in
/// any grouping (combiners before the exchange, spilled partitions). It takes `&self` because
/// the same instance folds on the operator's spill thread too.
pub trait ReduceFunction<T>: Clone + Send + Sync + 'static {
    lifecycle!();
    fn reduce(&self, first: T, second: T) -> Result<T, UserError>;
}

/// All records of one group in, any number out.
pub trait GroupReduceFunction<T, U>: Clone + Send + Sync + 'static {
    lifecycle!();
    fn reduce_group(
        &mut self,
        group: &mut Group<'_, T>,
        out: &mut Output<'_, U>,
    ) -> Result<(), UserError>;
}

/// A pair of joined records in (one side absent for unmatched records of outer joins), any
/// number out.
pub trait FlatJoinFunction<L, R, U>: Clone + Send + Sync + 'static {
    lifecycle!();
    fn join(
        &mut self,
        left: Option<&L>,
        right: Option<&R>,
        out: &mut Output<'_, U>,
    ) -> Result<(), UserError>;
}

/// The two groups of one key (either may be empty) in, any number out.
pub trait CoGroupFunction<L, R, U>: Clone + Send + Sync + 'static {
    lifecycle!();
    fn co_group(
        &mut self,
        left: &mut Group<'_, L>,
        right: &mut Group<'_, R>,
        out: &mut Output<'_, U>,
    ) -> Result<(), UserError>;
}

/// One pair of the cross product in, one out.
pub trait CrossFunction<L, R, U>: Clone + Send + Sync + 'static {
    lifecycle!();
    fn cross(&mut self, left: &L, right: &R) -> Result<U, UserError>;
}

// ---- closure adapters ----

#[derive(Clone)]
pub(crate) struct MapClosure<F>(pub(crate) F);

impl<T, U, F> MapFunction<T, U> for MapClosure<F>
where
    F: FnMut(T) -> U + Clone + Send + Sync + 'static,
{
    #[inline]
    fn map(&mut self, value: T) -> Result<U, UserError> {
        Ok((self.0)(value))
    }
}

#[derive(Clone)]
pub(crate) struct FlatMapClosure<F>(pub(crate) F);

impl<T, U, F> FlatMapFunction<T, U> for FlatMapClosure<F>
where
    F: FnMut(T, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
{
    #[inline]
    fn flat_map(&mut self, value: T, out: &mut Output<'_, U>) -> Result<(), UserError> {
        (self.0)(value, out);
        Ok(())
    }
}

#[derive(Clone)]
pub(crate) struct FilterClosure<F>(pub(crate) F);

impl<T, F> FilterFunction<T> for FilterClosure<F>
where
    F: FnMut(&T) -> bool + Clone + Send + Sync + 'static,
{
    #[inline]
    fn filter(&mut self, value: &T) -> Result<bool, UserError> {
        Ok((self.0)(value))
    }
}

#[derive(Clone)]
pub(crate) struct MapPartitionClosure<F>(pub(crate) F);

impl<T, U, F> MapPartitionFunction<T, U> for MapPartitionClosure<F>
where
    F: FnMut(&mut Group<'_, T>, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
{
    fn map_partition(
        &mut self,
        values: &mut Group<'_, T>,
        out: &mut Output<'_, U>,
    ) -> Result<(), UserError> {
        (self.0)(values, out);
        Ok(())
    }
}

#[derive(Clone)]
pub(crate) struct ReduceClosure<F>(pub(crate) F);

impl<T, F> ReduceFunction<T> for ReduceClosure<F>
where
    F: Fn(T, T) -> T + Clone + Send + Sync + 'static,
{
    #[inline]
    fn reduce(&self, first: T, second: T) -> Result<T, UserError> {
        Ok((self.0)(first, second))
    }
}

#[derive(Clone)]
pub(crate) struct GroupReduceClosure<F>(pub(crate) F);

impl<T, U, F> GroupReduceFunction<T, U> for GroupReduceClosure<F>
where
    F: FnMut(&mut Group<'_, T>, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
{
    fn reduce_group(
        &mut self,
        group: &mut Group<'_, T>,
        out: &mut Output<'_, U>,
    ) -> Result<(), UserError> {
        (self.0)(group, out);
        Ok(())
    }
}

#[derive(Clone)]
pub(crate) struct CoGroupClosure<F>(pub(crate) F);

impl<L, R, U, F> CoGroupFunction<L, R, U> for CoGroupClosure<F>
where
    F: FnMut(&mut Group<'_, L>, &mut Group<'_, R>, &mut Output<'_, U>)
        + Clone
        + Send
        + Sync
        + 'static,
{
    fn co_group(
        &mut self,
        left: &mut Group<'_, L>,
        right: &mut Group<'_, R>,
        out: &mut Output<'_, U>,
    ) -> Result<(), UserError> {
        (self.0)(left, right, out);
        Ok(())
    }
}

#[derive(Clone)]
pub(crate) struct CrossClosure<F>(pub(crate) F);

impl<L, R, U, F> CrossFunction<L, R, U> for CrossClosure<F>
where
    F: FnMut(&L, &R) -> U + Clone + Send + Sync + 'static,
{
    #[inline]
    fn cross(&mut self, left: &L, right: &R) -> Result<U, UserError> {
        Ok((self.0)(left, right))
    }
}
