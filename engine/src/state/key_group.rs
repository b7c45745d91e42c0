//! Key groups: the unit in which keyed state is partitioned, snapshotted and redistributed.
//!
//! ```text
//!   key ──xxh3(seed)──▶ hash ──mod max_parallelism──▶ key group g ──▶ subtask g·p / max_p
//!
//!   max_parallelism = 8, parallelism = 3:
//!   key groups  0 1 2 | 3 4 5 | 6 7
//!   subtask       0   |   1   |  2      (ranges [⌈i·8/3⌉, ⌈(i+1)·8/3⌉))
//! ```
//!
//! The hash is the key's [`TypeComparator::hash`] with a fixed seed, so every process and every
//! restart agrees on a key's group (never an in-process hasher). The range formula is Flink's
//! (`KeyGroupRangeAssignment`): the subtask that owns group `g` is `g · p / max_p`, and subtask
//! `i` owns exactly the groups that map to it.

use std::ops::Range;

use crate::types::TypeComparator;

/// Seed of the key hash that picks key groups (also used by the keyBy partitioner).
pub const KEY_GROUP_HASH_SEED: u64 = 0x6b65_795f_6772_6f75;

/// The key group of a key hash.
#[inline]
pub fn key_group_for_hash(hash: u64, max_parallelism: u32) -> u32 {
    (hash % u64::from(max_parallelism)) as u32
}

/// The key group of `key`.
#[inline]
pub fn key_group_of<C: TypeComparator>(
    comparator: &C,
    key: &C::Value,
    max_parallelism: u32,
) -> u32 {
    key_group_for_hash(comparator.hash(key, KEY_GROUP_HASH_SEED), max_parallelism)
}

/// The subtask (of `parallelism`) that owns `key_group`.
#[inline]
pub fn subtask_for_key_group(max_parallelism: u32, parallelism: usize, key_group: u32) -> usize {
    (u64::from(key_group) * parallelism as u64 / u64::from(max_parallelism)) as usize
}

/// A contiguous range of key groups `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyGroupRange {
    pub start: u32,
    pub end: u32,
}

impl KeyGroupRange {
    /// Every group of a job with `max_parallelism` groups.
    pub fn all(max_parallelism: u32) -> KeyGroupRange {
        KeyGroupRange {
            start: 0,
            end: max_parallelism,
        }
    }

    /// The groups subtask `subtask` of `parallelism` owns.
    pub fn for_subtask(max_parallelism: u32, parallelism: usize, subtask: usize) -> KeyGroupRange {
        let max = u64::from(max_parallelism);
        let p = parallelism as u64;
        let i = subtask as u64;
        KeyGroupRange {
            start: (i * max).div_ceil(p) as u32,
            end: ((i + 1) * max).div_ceil(p) as u32,
        }
    }

    pub fn contains(&self, key_group: u32) -> bool {
        (self.start..self.end).contains(&key_group)
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn iter(&self) -> Range<u32> {
        self.start..self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DefaultComparator;

    #[test]
    fn ranges_cover_every_group_once_and_agree_with_the_owner_formula() {
        for max in [1u32, 7, 8, 128, 1000] {
            for parallelism in 1..=12usize.min(max as usize) {
                let mut next = 0;
                for subtask in 0..parallelism {
                    let range = KeyGroupRange::for_subtask(max, parallelism, subtask);
                    assert_eq!(range.start, next, "max {max} p {parallelism}");
                    for group in range.iter() {
                        assert_eq!(subtask_for_key_group(max, parallelism, group), subtask);
                    }
                    next = range.end;
                }
                assert_eq!(next, max);
            }
        }
    }

    #[test]
    fn a_key_always_lands_in_the_same_group() {
        let comparator = i64::comparator();
        let groups: Vec<u32> = (0..1000i64)
            .map(|key| key_group_of(&comparator, &key, 128))
            .collect();
        let again: Vec<u32> = (0..1000i64)
            .map(|key| key_group_of(&comparator, &key, 128))
            .collect();
        assert_eq!(groups, again);
        // Spread: every group gets some of 1000 keys.
        let mut seen = [false; 128];
        for group in groups {
            seen[group as usize] = true;
        }
        assert!(seen.iter().filter(|&&s| s).count() > 120);
    }
}
