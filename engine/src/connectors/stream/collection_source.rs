//! [`CollectionSource`]: the elements of a `Vec` (Flink's `fromData` / `fromCollection`).
//!
//! ```text
//!   [e0 e1 e2 e3 e4 e5 e6]  parallelism 3 ──▶ splits [0,3) [3,5) [5,7)  (contiguous, even)
//!   split state = { next, end }: indices still to emit
//! ```
//!
//! Each subtask emits its ranges in order, so with parallelism 1 the stream has the
//! collection's order. Bounded.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::source::{InputStatus, ReaderOutput, Source, SourceReader};
use super::split_state::{decode_split_state, encode_split_state};
use crate::error::WeirError;

/// Records emitted per `poll_next` at most.
const COLLECTION_BATCH_RECORDS: u64 = 4096;

/// See the module docs.
pub struct CollectionSource<T> {
    elements: Arc<Vec<T>>,
}

impl<T> std::fmt::Debug for CollectionSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectionSource")
            .field("elements", &self.elements.len())
            .finish_non_exhaustive()
    }
}

impl<T> CollectionSource<T> {
    pub fn new(elements: Vec<T>) -> Self {
        CollectionSource {
            elements: Arc::new(elements),
        }
    }
}

/// Indices `next..end` are still to be emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexRange {
    pub(crate) next: u64,
    pub(crate) end: u64,
}

/// `0..count` in `parallelism` contiguous ranges, the first `count % parallelism` one longer.
pub(crate) fn even_ranges(count: u64, parallelism: usize) -> Vec<IndexRange> {
    let parallelism = parallelism.max(1) as u64;
    let mut start = 0;
    (0..parallelism)
        .map(|subtask| {
            let len = count / parallelism + u64::from(subtask < count % parallelism);
            let range = IndexRange {
                next: start,
                end: start + len,
            };
            start += len;
            range
        })
        .collect()
}

impl<T: Clone + Send + Sync + 'static> Source<T> for CollectionSource<T> {
    fn name(&self) -> String {
        format!("CollectionSource({} elements)", self.elements.len())
    }

    fn is_bounded(&self) -> bool {
        true
    }

    fn initial_splits(&self, parallelism: usize) -> Result<Vec<Vec<Vec<u8>>>, WeirError> {
        Ok(even_ranges(self.elements.len() as u64, parallelism)
            .into_iter()
            .map(|range| vec![encode_split_state(&range)])
            .collect())
    }

    fn create_reader(
        &self,
        _subtask: usize,
        _parallelism: usize,
        splits: Vec<Vec<u8>>,
    ) -> Result<Box<dyn SourceReader<T>>, WeirError> {
        let name = self.name();
        let mut ranges = Vec::with_capacity(splits.len());
        for bytes in &splits {
            let range: IndexRange = decode_split_state(bytes, &name)?;
            if range.end > self.elements.len() as u64 || range.next > range.end {
                return Err(WeirError::CorruptSnapshot {
                    what: format!("a split state of {name}"),
                    problem: format!(
                        "the range {}..{} is outside the collection (restore with the same elements)",
                        range.next, range.end
                    ),
                });
            }
            ranges.push(range);
        }
        Ok(Box::new(CollectionReader {
            elements: Arc::clone(&self.elements),
            ranges,
            current: 0,
        }))
    }
}

struct CollectionReader<T> {
    elements: Arc<Vec<T>>,
    ranges: Vec<IndexRange>,
    current: usize,
}

impl<T: Clone + Send + Sync + 'static> SourceReader<T> for CollectionReader<T> {
    fn poll_next(&mut self, output: &mut dyn ReaderOutput<T>) -> Result<InputStatus, WeirError> {
        let mut budget = COLLECTION_BATCH_RECORDS;
        while let Some(range) = self.ranges.get_mut(self.current) {
            while range.next < range.end && budget > 0 {
                let value = self.elements[range.next as usize].clone();
                range.next += 1;
                budget -= 1;
                output.collect(self.current, value, None)?;
            }
            if budget == 0 {
                return Ok(InputStatus::MoreAvailable);
            }
            output.split_finished(self.current);
            self.current += 1;
        }
        Ok(InputStatus::EndOfInput)
    }

    fn snapshot_state(&mut self, _checkpoint_id: u64) -> Result<Vec<Vec<u8>>, WeirError> {
        Ok(self
            .ranges
            .iter()
            .filter(|range| range.next < range.end)
            .map(encode_split_state)
            .collect())
    }

    fn split_count(&self) -> usize {
        self.ranges.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_ranges_cover_everything_in_order() {
        let ranges = even_ranges(7, 3);
        assert_eq!(
            ranges.iter().map(|r| (r.next, r.end)).collect::<Vec<_>>(),
            [(0, 3), (3, 5), (5, 7)]
        );
        assert_eq!(
            even_ranges(0, 2)
                .iter()
                .map(|r| r.end - r.next)
                .sum::<u64>(),
            0
        );
        assert_eq!(even_ranges(5, 8).len(), 8);
    }
}
