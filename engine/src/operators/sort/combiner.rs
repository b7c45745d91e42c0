//! [`Combiner`] and [`CombiningWriter`]: records with equal keys folded into one before they are
//! written to a spilled run (Flink's combine step of a group-reduce).
//!
//! ```text
//!   sorted records:   (a,1) (a,2) (b,5) (c,1) (c,1) (c,3)
//!   combine = sum:    (a,3)       (b,5) (c,5)                 → written to the run
//! ```
//!
//! A combiner is an optimisation: whether and how often it runs is up to the sorter (it runs
//! when a run spills and in intermediate merges), so it must be associative and produce a
//! record with the same key; a sort-based aggregation applies the same function once more over
//! each group of the final merged output.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::error::WeirError;
use crate::operators::spill::SpillWriter;
use crate::types::{TypeComparator, TypeSerializer};

/// Folds two records with equal keys into one: `combine(earlier, later)`.
pub type Combiner<T> = Arc<dyn Fn(T, T) -> Result<T, WeirError> + Send + Sync>;

/// Writes records in sorted order to a [`SpillWriter`], folding neighbours with equal keys
/// when there is a combiner.
pub struct CombiningWriter<'a, S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    writer: &'a mut SpillWriter,
    serializer: &'a S,
    comparator: &'a C,
    combiner: Option<&'a Combiner<S::Value>>,
    pending: Option<S::Value>,
}

impl<'a, S, C> CombiningWriter<'a, S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    pub fn new(
        writer: &'a mut SpillWriter,
        serializer: &'a S,
        comparator: &'a C,
        combiner: Option<&'a Combiner<S::Value>>,
    ) -> CombiningWriter<'a, S, C> {
        CombiningWriter {
            writer,
            serializer,
            comparator,
            combiner,
            pending: None,
        }
    }

    /// Takes the next record in sorted order.
    pub fn push(&mut self, record: S::Value) -> Result<(), WeirError> {
        let Some(combiner) = self.combiner else {
            return self.writer.write(self.serializer, &record);
        };
        match self.pending.take() {
            None => self.pending = Some(record),
            Some(pending) => {
                if self.comparator.compare(&pending, &record) == Ordering::Equal {
                    self.pending = Some(combiner(pending, record)?);
                } else {
                    self.writer.write(self.serializer, &pending)?;
                    self.pending = Some(record);
                }
            }
        }
        Ok(())
    }

    /// Writes the record still held back.
    pub fn finish(mut self) -> Result<(), WeirError> {
        match self.pending.take() {
            Some(pending) => self.writer.write(self.serializer, &pending),
            None => Ok(()),
        }
    }
}

impl<S, C> std::fmt::Debug for CombiningWriter<'_, S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CombiningWriter")
            .field("writer", &self.writer)
            .field("combines", &self.combiner.is_some())
            .field("holds_record", &self.pending.is_some())
            .finish()
    }
}
