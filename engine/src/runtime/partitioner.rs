//! [`Partitioner`]: which subpartition (consumer subtask) a record goes to, and the
//! [`ExchangeWriter`] that serializes records into a result partition accordingly.
//!
//! | strategy  | subpartition of a record                                        |
//! |-----------|-----------------------------------------------------------------|
//! | forward   | the only one (one subpartition; round robin if parallelisms differ) |
//! | hash      | `xxh3(key, PARTITION_SEED)` scaled to `0..n` (multiply-shift)    |
//! | range     | binary search of the key among `n - 1` sampled boundaries        |
//! | broadcast | all of them                                                     |
//! | rebalance | round robin, starting at the producer's own index               |
//! | custom    | the user's function of the key and `n`, checked to be in range   |
//!
//! The hash uses its own seed, not the seed the hash join and aggregation start with, so the
//! keys a subtask receives are spread evenly over the partitions of its hash tables.

use std::sync::Arc;

use crate::error::WeirError;
use crate::runtime::collector::Collector;
use crate::runtime::network::RecordWriter;
use crate::runtime::range_boundaries::RangeLookup;
use crate::types::TypeSerializer;

/// Seed of the hash partitioner (see the module docs).
pub(crate) const PARTITION_SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// A hash of a record's key with [`PARTITION_SEED`].
pub(crate) type KeyHash<T> = Arc<dyn Fn(&T) -> u64 + Send + Sync>;
/// A user partitioner applied to a record's key: `(record, n) -> subpartition`.
pub(crate) type CustomPartition<T> = Arc<dyn Fn(&T, usize) -> usize + Send + Sync>;

/// How an exchange picks subpartitions for records of type `T`.
pub(crate) enum Partitioner<T> {
    Forward,
    Hash(KeyHash<T>),
    Range(Arc<dyn RangeLookup<T>>),
    Broadcast,
    Rebalance,
    Custom(CustomPartition<T>),
}

impl<T> Clone for Partitioner<T> {
    fn clone(&self) -> Self {
        match self {
            Partitioner::Forward => Partitioner::Forward,
            Partitioner::Hash(hash) => Partitioner::Hash(Arc::clone(hash)),
            Partitioner::Range(lookup) => Partitioner::Range(Arc::clone(lookup)),
            Partitioner::Broadcast => Partitioner::Broadcast,
            Partitioner::Rebalance => Partitioner::Rebalance,
            Partitioner::Custom(custom) => Partitioner::Custom(Arc::clone(custom)),
        }
    }
}

/// `hash` scaled to `0..n` without a division.
#[inline]
pub(crate) fn scale_hash(hash: u64, n: usize) -> usize {
    (((hash >> 32) * n as u64) >> 32) as usize
}

/// Serializes records into a result partition, choosing subpartitions by a [`Partitioner`].
pub(crate) struct ExchangeWriter<S: TypeSerializer> {
    writer: Option<RecordWriter<S>>,
    partitioner: Partitioner<S::Value>,
    subpartitions: usize,
    next_round_robin: usize,
    operator: String,
}

impl<S: TypeSerializer> ExchangeWriter<S> {
    pub(crate) fn new(
        writer: RecordWriter<S>,
        partitioner: Partitioner<S::Value>,
        subpartitions: usize,
        subtask: usize,
        operator: &str,
    ) -> Result<ExchangeWriter<S>, WeirError> {
        if let Partitioner::Range(lookup) = &partitioner {
            lookup.prepare(subpartitions)?;
        }
        Ok(ExchangeWriter {
            writer: Some(writer),
            partitioner,
            subpartitions,
            next_round_robin: subtask % subpartitions.max(1),
            operator: operator.to_owned(),
        })
    }

    fn writer(&mut self) -> Result<&mut RecordWriter<S>, WeirError> {
        // Lazily: this runs for every record, and the error's name is a String.
        self.writer
            .as_mut()
            .ok_or_else(|| WeirError::CollectAfterFinish {
                operator: self.operator.clone(),
            })
    }
}

impl<S: TypeSerializer> Collector<S::Value> for ExchangeWriter<S> {
    #[inline]
    fn collect(&mut self, record: S::Value) -> Result<(), WeirError> {
        let n = self.subpartitions;
        let subpartition = match &self.partitioner {
            // A forward edge between different parallelisms becomes a rebalance.
            Partitioner::Forward if n == 1 => 0,
            Partitioner::Forward | Partitioner::Rebalance => {
                let next = self.next_round_robin;
                self.next_round_robin = if next + 1 == n { 0 } else { next + 1 };
                next
            }
            Partitioner::Hash(hash) => scale_hash(hash(&record), n),
            Partitioner::Range(lookup) => lookup.subpartition(&record),
            Partitioner::Broadcast => return self.writer()?.broadcast(&record),
            Partitioner::Custom(custom) => {
                let chosen = custom(&record, n);
                if chosen >= n {
                    return Err(WeirError::PartitionOutOfRange {
                        operator: self.operator.clone(),
                        chosen,
                        partitions: n,
                    });
                }
                chosen
            }
        };
        self.writer()?.emit(subpartition, &record)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        match self.writer.take() {
            Some(writer) => writer.finish(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_hashes_cover_every_subpartition_evenly() {
        let n = 3;
        let mut counts = [0usize; 3];
        for i in 0..30_000u64 {
            let hash = xxhash_rust::xxh3::xxh3_64_with_seed(&i.to_le_bytes(), PARTITION_SEED);
            counts[scale_hash(hash, n)] += 1;
        }
        for count in counts {
            assert!((9_000..11_000).contains(&count), "{counts:?}");
        }
        assert_eq!(scale_hash(u64::MAX, 7), 6);
        assert_eq!(scale_hash(0, 7), 0);
    }
}
