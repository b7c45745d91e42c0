//! [`GeneratorSource`]: `f(0), f(1), …` at an optional rate (Flink's `DataGeneratorSource`
//! with a `RateLimiterStrategy`).
//!
//! ```text
//!   bounded (count n), parallelism p:  splits = even ranges of 0..n, state { next, end }
//!   unbounded:                          subtask i emits i, i + p, i + 2p, …, state { next, stride }
//!   rate r records/s:                   each reader emits at most r / p per second
//!                                       (records allowed = elapsed × r / p since the reader
//!                                       started, so a slow phase is caught up, never exceeded)
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::collection_source::{IndexRange, even_ranges};
use super::source::{InputStatus, ReaderOutput, Source, SourceReader};
use super::split_state::{decode_split_state, encode_split_state};
use crate::error::WeirError;

/// Records emitted per `poll_next` at most.
const GENERATOR_BATCH_RECORDS: u64 = 4096;

type Generate<T> = Arc<dyn Fn(u64) -> T + Send + Sync>;

/// See the module docs.
pub struct GeneratorSource<T> {
    count: Option<u64>,
    records_per_second: Option<f64>,
    generate: Generate<T>,
}

impl<T> std::fmt::Debug for GeneratorSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratorSource")
            .field("count", &self.count)
            .field("records_per_second", &self.records_per_second)
            .finish_non_exhaustive()
    }
}

impl<T> GeneratorSource<T> {
    /// `f(i)` for `i` in `0..count` (unbounded without a count), at most `records_per_second`
    /// over all subtasks (unlimited without one).
    pub fn new(
        count: Option<u64>,
        records_per_second: Option<f64>,
        f: impl Fn(u64) -> T + Send + Sync + 'static,
    ) -> Self {
        GeneratorSource {
            count,
            records_per_second: records_per_second.filter(|rate| rate.is_finite() && *rate > 0.0),
            generate: Arc::new(f),
        }
    }
}

/// One split: the indices still to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum GeneratorSplit {
    Range(IndexRange),
    /// `next, next + stride, …` forever.
    Stride {
        next: u64,
        stride: u64,
    },
}

impl<T: Send + 'static> Source<T> for GeneratorSource<T> {
    fn name(&self) -> String {
        match self.count {
            Some(count) => format!("GeneratorSource({count} records)"),
            None => "GeneratorSource(unbounded)".to_owned(),
        }
    }

    fn is_bounded(&self) -> bool {
        self.count.is_some()
    }

    fn initial_splits(&self, parallelism: usize) -> Result<Vec<Vec<Vec<u8>>>, WeirError> {
        let parallelism = parallelism.max(1);
        Ok(match self.count {
            Some(count) => even_ranges(count, parallelism)
                .into_iter()
                .map(|range| vec![encode_split_state(&GeneratorSplit::Range(range))])
                .collect(),
            None => (0..parallelism)
                .map(|subtask| {
                    vec![encode_split_state(&GeneratorSplit::Stride {
                        next: subtask as u64,
                        stride: parallelism as u64,
                    })]
                })
                .collect(),
        })
    }

    fn create_reader(
        &self,
        _subtask: usize,
        parallelism: usize,
        splits: Vec<Vec<u8>>,
    ) -> Result<Box<dyn SourceReader<T>>, WeirError> {
        let name = self.name();
        let splits = splits
            .iter()
            .map(|bytes| decode_split_state::<GeneratorSplit>(bytes, &name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Box::new(GeneratorReader {
            generate: Arc::clone(&self.generate),
            finished: vec![false; splits.len()],
            splits,
            current: 0,
            rate_per_reader: self
                .records_per_second
                .map(|rate| rate / parallelism.max(1) as f64),
            started: Instant::now(),
            emitted: 0,
        }))
    }
}

struct GeneratorReader<T> {
    generate: Generate<T>,
    splits: Vec<GeneratorSplit>,
    finished: Vec<bool>,
    /// The split emitting now (splits take turns batch by batch).
    current: usize,
    rate_per_reader: Option<f64>,
    started: Instant,
    emitted: u64,
}

impl<T> GeneratorReader<T> {
    /// Records the rate allows now, and when the next one is allowed.
    fn allowance(&self) -> (u64, Duration) {
        let Some(rate) = self.rate_per_reader else {
            return (GENERATOR_BATCH_RECORDS, Duration::ZERO);
        };
        let allowed_so_far = (self.started.elapsed().as_secs_f64() * rate) as u64;
        let allowance = allowed_so_far.saturating_sub(self.emitted);
        let next_at = Duration::from_secs_f64((self.emitted + 1) as f64 / rate);
        (
            allowance.min(GENERATOR_BATCH_RECORDS),
            next_at.saturating_sub(self.started.elapsed()),
        )
    }
}

impl<T: Send + 'static> SourceReader<T> for GeneratorReader<T> {
    fn poll_next(&mut self, output: &mut dyn ReaderOutput<T>) -> Result<InputStatus, WeirError> {
        if self.finished.iter().all(|&finished| finished) {
            return Ok(InputStatus::EndOfInput);
        }
        let (mut budget, wait) = self.allowance();
        if budget == 0 {
            return Ok(InputStatus::NothingAvailable {
                retry_after: wait.max(Duration::from_millis(1)),
            });
        }
        while budget > 0 {
            let index = self.current;
            if !self.finished[index] {
                match &mut self.splits[index] {
                    GeneratorSplit::Range(range) => {
                        while range.next < range.end && budget > 0 {
                            let value = (self.generate)(range.next);
                            range.next += 1;
                            budget -= 1;
                            self.emitted += 1;
                            output.collect(index, value, None)?;
                        }
                        if range.next == range.end {
                            self.finished[index] = true;
                            output.split_finished(index);
                        }
                    }
                    GeneratorSplit::Stride { next, stride } => {
                        while budget > 0 {
                            let value = (self.generate)(*next);
                            *next = next.saturating_add(*stride);
                            budget -= 1;
                            self.emitted += 1;
                            output.collect(index, value, None)?;
                        }
                    }
                }
            }
            self.current = (self.current + 1) % self.splits.len();
            if self.finished.iter().all(|&finished| finished) {
                return Ok(InputStatus::EndOfInput);
            }
        }
        Ok(InputStatus::MoreAvailable)
    }

    fn snapshot_state(&mut self, _checkpoint_id: u64) -> Result<Vec<Vec<u8>>, WeirError> {
        Ok(self
            .splits
            .iter()
            .zip(&self.finished)
            .filter(|(_, finished)| !**finished)
            .map(|(split, _)| encode_split_state(split))
            .collect())
    }

    fn split_count(&self) -> usize {
        self.splits.len()
    }
}
