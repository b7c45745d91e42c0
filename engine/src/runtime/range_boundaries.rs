//! Range partitioning: key samples from every producer, boundaries from the samples, and the
//! lookup that maps a record to its range.
//!
//! `partition_by_range` becomes three steps (Flink samples the same way):
//!
//! ```text
//!   input ─▶ [RangeSample] ══forward, blocking══▶ [RangePartition] ══range══▶ consumers
//!              │ reservoir of keys + record count      ▲ boundaries (n-1 keys)
//!              └──────────▶ RangeBoundaries ───────────┘
//! ```
//!
//! Every sampling subtask keeps a reservoir of [`SAMPLE_SIZE`] keys and its record count and
//! hands both to the shared [`RangeBoundaries`] when its input ends. The forward exchange is
//! blocking, so all of them have finished before the first partitioning subtask asks for the
//! boundaries. Each sampled key weighs `count / sample_len` records; the boundaries are the
//! keys at the weighted quantiles `total · i / n`. A record goes to the number of boundaries
//! that are less than its key (binary search), so equal keys always share a range.

use std::cmp::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::WeirError;
use crate::runtime::collector::Collector;
use crate::types::TypeComparator;

/// Keys each sampling subtask keeps.
pub(crate) const SAMPLE_SIZE: usize = 4096;

/// Maps a record to its range (object-safe so a partitioner can hold it).
pub(crate) trait RangeLookup<T>: Send + Sync {
    /// Computes the boundaries for `ranges` ranges (once; every sample must be in).
    fn prepare(&self, ranges: usize) -> Result<(), WeirError>;

    /// The range of `record`, after [`RangeLookup::prepare`].
    fn subpartition(&self, record: &T) -> usize;
}

struct Samples<K> {
    /// (records seen, reservoir) per finished sampling subtask.
    contributions: Vec<(u64, Vec<K>)>,
}

/// The boundaries of one range partitioning, shared by its samplers and partitioners.
pub(crate) struct RangeBoundaries<T, K, C> {
    key: Arc<dyn Fn(&T) -> K + Send + Sync>,
    comparator: C,
    samplers: usize,
    samples: Mutex<Samples<K>>,
    boundaries: OnceLock<Vec<K>>,
}

impl<T, K, C> RangeBoundaries<T, K, C>
where
    T: 'static,
    K: Clone + Send + Sync + 'static,
    C: TypeComparator<Value = K>,
{
    pub(crate) fn new(
        key: Arc<dyn Fn(&T) -> K + Send + Sync>,
        comparator: C,
        samplers: usize,
    ) -> Arc<RangeBoundaries<T, K, C>> {
        Arc::new(RangeBoundaries {
            key,
            comparator,
            samplers,
            samples: Mutex::new(Samples {
                contributions: Vec::new(),
            }),
            boundaries: OnceLock::new(),
        })
    }

    fn contribute(&self, count: u64, reservoir: Vec<K>) {
        self.samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contributions
            .push((count, reservoir));
    }

    fn compute(&self, ranges: usize) -> Result<Vec<K>, WeirError> {
        let samples = self
            .samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if samples.contributions.len() != self.samplers {
            return Err(WeirError::RangeSamplesMissing {
                expected: self.samplers,
                received: samples.contributions.len(),
            });
        }
        let mut weighted: Vec<(f64, &K)> = Vec::new();
        let mut total = 0.0;
        for (count, reservoir) in &samples.contributions {
            if reservoir.is_empty() {
                continue;
            }
            let weight = *count as f64 / reservoir.len() as f64;
            total += *count as f64;
            weighted.extend(reservoir.iter().map(|key| (weight, key)));
        }
        weighted.sort_by(|a, b| self.comparator.compare(a.1, b.1));
        let mut boundaries = Vec::with_capacity(ranges.saturating_sub(1));
        let mut cumulative = 0.0;
        let mut next = 1;
        for (weight, key) in weighted {
            cumulative += weight;
            while next < ranges && cumulative >= total * next as f64 / ranges as f64 {
                if boundaries
                    .last()
                    .is_none_or(|last| self.comparator.compare(last, key) != Ordering::Equal)
                {
                    boundaries.push(key.clone());
                }
                next += 1;
            }
        }
        Ok(boundaries)
    }
}

impl<T, K, C> RangeLookup<T> for RangeBoundaries<T, K, C>
where
    T: 'static,
    K: Clone + Send + Sync + 'static,
    C: TypeComparator<Value = K>,
{
    fn prepare(&self, ranges: usize) -> Result<(), WeirError> {
        if self.boundaries.get().is_none() {
            let computed = self.compute(ranges)?;
            let _ = self.boundaries.set(computed);
        }
        Ok(())
    }

    #[inline]
    fn subpartition(&self, record: &T) -> usize {
        let boundaries = self.boundaries.get().map(Vec::as_slice).unwrap_or(&[]);
        let key = (self.key)(record);
        boundaries
            .partition_point(|boundary| self.comparator.compare(boundary, &key) == Ordering::Less)
    }
}

/// The sampling step: passes records on and keeps a reservoir of their keys.
pub(crate) struct RangeSampler<T, K, C> {
    boundaries: Arc<RangeBoundaries<T, K, C>>,
    downstream: Box<dyn Collector<T>>,
    reservoir: Vec<K>,
    seen: u64,
    random: u64,
}

impl<T, K, C> RangeSampler<T, K, C>
where
    T: 'static,
    K: Clone + Send + Sync + 'static,
    C: TypeComparator<Value = K>,
{
    pub(crate) fn new(
        boundaries: Arc<RangeBoundaries<T, K, C>>,
        downstream: Box<dyn Collector<T>>,
        subtask: usize,
    ) -> RangeSampler<T, K, C> {
        RangeSampler {
            boundaries,
            downstream,
            reservoir: Vec::new(),
            seen: 0,
            random: 0x9e37_79b9_7f4a_7c15 ^ (subtask as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9),
        }
    }

    fn next_random(&mut self) -> u64 {
        // SplitMix64.
        self.random = self.random.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl<T, K, C> Collector<T> for RangeSampler<T, K, C>
where
    T: Send + 'static,
    K: Clone + Send + Sync + 'static,
    C: TypeComparator<Value = K>,
{
    #[inline]
    fn collect(&mut self, record: T) -> Result<(), WeirError> {
        self.seen += 1;
        if self.reservoir.len() < SAMPLE_SIZE {
            self.reservoir.push((self.boundaries.key)(&record));
        } else {
            let slot = self.next_random() % self.seen;
            if (slot as usize) < SAMPLE_SIZE {
                self.reservoir[slot as usize] = (self.boundaries.key)(&record);
            }
        }
        self.downstream.collect(record)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.boundaries
            .contribute(self.seen, std::mem::take(&mut self.reservoir));
        self.downstream.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::collector::DiscardCollector;
    use crate::types::DefaultComparator;

    fn lookup(
        samplers: Vec<Vec<u64>>,
        ranges: usize,
    ) -> Arc<RangeBoundaries<u64, u64, <u64 as DefaultComparator>::Comparator>> {
        let boundaries =
            RangeBoundaries::new(Arc::new(|v: &u64| *v), u64::comparator(), samplers.len());
        for (subtask, records) in samplers.into_iter().enumerate() {
            let mut sampler =
                RangeSampler::new(Arc::clone(&boundaries), Box::new(DiscardCollector), subtask);
            for record in records {
                sampler.collect(record).unwrap();
            }
            sampler.finish().unwrap();
        }
        boundaries.prepare(ranges).unwrap();
        boundaries
    }

    #[test]
    fn ranges_split_uniform_keys_evenly_and_keep_order() {
        let boundaries = lookup(vec![(0..50_000).collect(), (50_000..100_000).collect()], 4);
        let mut counts = [0usize; 4];
        let mut last = 0;
        for key in 0..100_000u64 {
            let range = boundaries.subpartition(&key);
            assert!(range >= last, "ranges follow key order");
            last = range;
            counts[range] += 1;
        }
        for count in counts {
            assert!((20_000..30_000).contains(&count), "{counts:?}");
        }
    }

    #[test]
    fn equal_keys_share_a_range_and_empty_inputs_give_one_range() {
        let boundaries = lookup(vec![vec![7; 10_000], vec![]], 3);
        assert_eq!(boundaries.subpartition(&7), boundaries.subpartition(&7));
        let empty = lookup(vec![vec![], vec![]], 3);
        assert_eq!(empty.subpartition(&5), 0);
    }

    #[test]
    fn boundaries_need_every_sample() {
        let boundaries = RangeBoundaries::new(Arc::new(|v: &u64| *v), u64::comparator(), 2);
        assert!(matches!(
            boundaries.prepare(2),
            Err(WeirError::RangeSamplesMissing {
                expected: 2,
                received: 0
            })
        ));
    }
}
