//! [`StreamPartitioner`]: which consumer subtask(s) a record of a streaming exchange goes to.
//!
//! | partitioning | target of a record                                              |
//! |--------------|-----------------------------------------------------------------|
//! | forward      | the producer's own index (equal parallelism)                    |
//! | key groups   | the owner of the record key's key group (keyBy)                 |
//! | rebalance    | round robin over all consumers, starting at the producer's index |
//! | rescale      | round robin over the consumers of the producer's slice          |
//! | broadcast    | every consumer                                                  |
//! | global       | consumer 0                                                      |
//! | custom       | the user's function of the record and the consumer count        |
//!
//! Key groups (not a plain hash) decide keyBy, so a key's state and its records always meet
//! at the subtask that owns the key group, at any parallelism.

use std::ops::Range;
use std::sync::Arc;

use crate::error::WeirError;
use crate::state::key_group::{key_group_for_hash, subtask_for_key_group};

/// The key-group hash of a record's key (its comparator's hash with
/// [`crate::state::key_group::KEY_GROUP_HASH_SEED`]).
pub(crate) type KeyHashOf<T> = Arc<dyn Fn(&T) -> u64 + Send + Sync>;
/// A user partitioner: `(record, consumers) -> consumer`.
pub(crate) type CustomPartitioner<T> = Arc<dyn Fn(&T, usize) -> usize + Send + Sync>;

/// How records pick consumers (see the module docs).
pub(crate) enum StreamPartitioner<T> {
    Forward,
    KeyGroups(KeyHashOf<T>),
    Rebalance,
    Rescale,
    Broadcast,
    Global,
    Custom(CustomPartitioner<T>),
}

impl<T> Clone for StreamPartitioner<T> {
    fn clone(&self) -> Self {
        match self {
            StreamPartitioner::Forward => StreamPartitioner::Forward,
            StreamPartitioner::KeyGroups(key_hash) => {
                StreamPartitioner::KeyGroups(Arc::clone(key_hash))
            }
            StreamPartitioner::Rebalance => StreamPartitioner::Rebalance,
            StreamPartitioner::Rescale => StreamPartitioner::Rescale,
            StreamPartitioner::Broadcast => StreamPartitioner::Broadcast,
            StreamPartitioner::Global => StreamPartitioner::Global,
            StreamPartitioner::Custom(custom) => StreamPartitioner::Custom(Arc::clone(custom)),
        }
    }
}

/// Where one record goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    One(usize),
    All,
}

/// A partitioner bound to one producer subtask.
pub(crate) struct ChannelSelector<T> {
    partitioner: StreamPartitioner<T>,
    consumers: usize,
    subtask: usize,
    /// Rebalance / rescale: the consumers to cycle through and the next one.
    cycle: Range<usize>,
    next: usize,
    max_parallelism: u32,
    operator: String,
}

impl<T> ChannelSelector<T> {
    /// A selector for producer `subtask` of `producers` sending to `consumers`. A forward
    /// edge between different parallelisms (only implicit ones get here) rebalances, as in
    /// Flink.
    pub(crate) fn new(
        partitioner: StreamPartitioner<T>,
        producers: usize,
        subtask: usize,
        consumers: usize,
        max_parallelism: u32,
        operator: &str,
    ) -> ChannelSelector<T> {
        let partitioner = match partitioner {
            StreamPartitioner::Forward if producers != consumers => StreamPartitioner::Rebalance,
            other => other,
        };
        let cycle = match partitioner {
            StreamPartitioner::Rescale => rescale_slice(producers, subtask, consumers),
            _ => 0..consumers,
        };
        let next = cycle.start + subtask % cycle.len().max(1);
        ChannelSelector {
            partitioner,
            consumers,
            subtask,
            cycle,
            next,
            max_parallelism,
            operator: operator.to_owned(),
        }
    }

    #[inline]
    pub(crate) fn select(&mut self, record: &T) -> Result<Target, WeirError> {
        Ok(match &self.partitioner {
            StreamPartitioner::Forward => Target::One(self.subtask),
            StreamPartitioner::KeyGroups(key_hash) => Target::One(subtask_for_key_group(
                self.max_parallelism,
                self.consumers,
                key_group_for_hash(key_hash(record), self.max_parallelism),
            )),
            StreamPartitioner::Rebalance | StreamPartitioner::Rescale => {
                let target = self.next;
                self.next += 1;
                if self.next == self.cycle.end {
                    self.next = self.cycle.start;
                }
                Target::One(target)
            }
            StreamPartitioner::Broadcast => Target::All,
            StreamPartitioner::Global => Target::One(0),
            StreamPartitioner::Custom(custom) => {
                let target = custom(record, self.consumers);
                if target >= self.consumers {
                    return Err(WeirError::PartitionOutOfRange {
                        operator: self.operator.clone(),
                        chosen: target,
                        partitions: self.consumers,
                    });
                }
                Target::One(target)
            }
        })
    }
}

/// The consumers producer `subtask` of `producers` sends to under rescale (Flink's pointwise
/// pattern): each producer a contiguous slice when there are more consumers, one consumer
/// shared by a slice of producers otherwise.
fn rescale_slice(producers: usize, subtask: usize, consumers: usize) -> Range<usize> {
    if consumers >= producers {
        subtask * consumers / producers..(subtask + 1) * consumers / producers
    } else {
        let consumer = subtask * consumers / producers;
        consumer..consumer + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_slices_cover_every_consumer() {
        for producers in 1..6 {
            for consumers in 1..9 {
                let mut hit = vec![false; consumers];
                for subtask in 0..producers {
                    let slice = rescale_slice(producers, subtask, consumers);
                    assert!(!slice.is_empty(), "{producers} -> {consumers}");
                    for consumer in slice {
                        hit[consumer] = true;
                    }
                }
                assert!(hit.iter().all(|&h| h), "{producers} -> {consumers}");
            }
        }
    }

    #[test]
    fn rebalance_cycles_from_the_producers_index() {
        let mut selector =
            ChannelSelector::<u8>::new(StreamPartitioner::Rebalance, 2, 1, 3, 128, "op");
        let targets: Vec<Target> = (0..4).map(|_| selector.select(&0).unwrap()).collect();
        assert_eq!(
            targets,
            vec![
                Target::One(1),
                Target::One(2),
                Target::One(0),
                Target::One(1)
            ]
        );
    }

    #[test]
    fn key_groups_pick_the_owner_and_custom_is_checked() {
        let mut selector = ChannelSelector::<u32>::new(
            StreamPartitioner::KeyGroups(Arc::new(|record: &u32| u64::from(*record))),
            1,
            0,
            2,
            8,
            "op",
        );
        assert_eq!(selector.select(&3).unwrap(), Target::One(0));
        assert_eq!(selector.select(&4).unwrap(), Target::One(1));
        let mut custom = ChannelSelector::<u32>::new(
            StreamPartitioner::Custom(Arc::new(|record: &u32, _| *record as usize)),
            1,
            0,
            2,
            8,
            "Partition",
        );
        assert_eq!(custom.select(&1).unwrap(), Target::One(1));
        assert!(custom.select(&2).is_err());
    }
}
