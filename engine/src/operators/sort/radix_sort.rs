//! An in-place MSD radix sort (American flag sort) of [`SortIndex`] entries on their normalized
//! key prefix bytes. It needs no scratch pages, so choosing it costs the sorter no capacity.
//!
//! ```text
//!  sort(lo..hi, depth d):
//!    d == key bytes           → the entries share the whole prefix: finisher.sort_ties
//!    hi - lo < SMALL_BUCKET   → finisher.sort_bucket (a comparison sort)
//!    count byte d of every entry (one pass over the range, page by page)
//!    one byte value holds all → nothing to move: go on with d + 1
//!    otherwise permute in place into 256 buckets, then sort each bucket at d + 1
//!
//!  permutation (cycle leader): next[b] = first unplaced slot of bucket b
//!    for each bucket b, while next[b] < end[b]:
//!      hold the entry at next[b]; while its byte c != b: swap it with the entry at next[c]++
//!      put the held entry at next[b]++
//! ```
//!
//! Every swap puts one entry into its final bucket, so a level costs two passes over the range
//! (count, permute) and the ranges shrink 256-fold per level on random keys: 1M entries need
//! two levels before the buckets are small enough for the comparison sort. Shared leading
//! bytes (e.g. small integers, common string heads) cost one counting pass per byte and no
//! moves. Recursion is at most one level per prefix byte (≤ 24), each with two 2 KiB tables
//! (counts, bucket ends) on the stack: under 100 KiB at worst.
//!
//! Not stable: the permutation reorders equal prefixes. The sorter restores stability in
//! `sort_ties` and `sort_bucket` by breaking ties on the record pointer.

use crate::operators::sort::sort_index::SortIndex;

/// Buckets smaller than this go to the comparison sort: counting 256 buckets does not pay off
/// for a few dozen entries (measured in `benches/benches/in_memory_sort.rs`).
pub const SMALL_BUCKET_ENTRIES: usize = 64;

/// What the radix sort leaves to a comparison sort.
pub(crate) trait RadixFinisher {
    /// Orders entries `lo..hi`, a bucket too small for another radix pass (its entries share
    /// the prefix bytes before the current depth).
    fn sort_bucket(&mut self, index: &mut SortIndex, lo: usize, hi: usize);

    /// Orders entries `lo..hi`, which share all `key_bytes` prefix bytes.
    fn sort_ties(&mut self, index: &mut SortIndex, lo: usize, hi: usize);
}

/// Sorts the whole index on the first `key_bytes` bytes of the prefix (at most the slot), and
/// lets `finisher` order small buckets and runs of equal prefixes.
pub(crate) fn radix_sort<const ENTRY: usize>(
    index: &mut SortIndex,
    key_bytes: usize,
    finisher: &mut impl RadixFinisher,
) {
    debug_assert!(key_bytes <= index.prefix_slot_bytes());
    let len = index.len();
    if len > 1 {
        sort_range::<ENTRY>(index, 0, len, 0, key_bytes, finisher);
    }
}

fn sort_range<const ENTRY: usize>(
    index: &mut SortIndex,
    lo: usize,
    hi: usize,
    mut depth: usize,
    key_bytes: usize,
    finisher: &mut impl RadixFinisher,
) {
    let counts = loop {
        if depth == key_bytes {
            finisher.sort_ties(index, lo, hi);
            return;
        }
        if hi - lo < SMALL_BUCKET_ENTRIES {
            finisher.sort_bucket(index, lo, hi);
            return;
        }
        let counts = count_digits::<ENTRY>(index, lo, hi, depth);
        if counts.contains(&(hi - lo)) {
            depth += 1;
        } else {
            break counts;
        }
    };
    let mut ends = [0usize; 256];
    let mut end = lo;
    for (bucket_end, count) in ends.iter_mut().zip(counts) {
        end += count;
        *bucket_end = end;
    }
    permute::<ENTRY>(index, lo, &counts, &ends, depth);
    let mut start = lo;
    for end in ends {
        if end - start > 1 {
            sort_range::<ENTRY>(index, start, end, depth + 1, key_bytes, finisher);
        }
        start = end;
    }
}

/// How many entries of `lo..hi` have each value of prefix byte `depth`.
fn count_digits<const ENTRY: usize>(
    index: &SortIndex,
    lo: usize,
    hi: usize,
    depth: usize,
) -> [usize; 256] {
    let mut counts = [0usize; 256];
    index.for_each_page_run::<ENTRY>(lo, hi, |entries| {
        for entry in entries {
            counts[entry[depth] as usize] += 1;
        }
    });
    counts
}

/// Moves every entry of `lo..ends[255]` into its bucket by prefix byte `depth`: bucket `b`
/// holds `counts[b]` entries and ends at `ends[b]`.
fn permute<const ENTRY: usize>(
    index: &mut SortIndex,
    lo: usize,
    counts: &[usize; 256],
    ends: &[usize; 256],
    depth: usize,
) {
    let mut next = [0usize; 256];
    next[0] = lo;
    next[1..].copy_from_slice(&ends[..255]);
    // Once every other bucket is placed, the last non-empty one is too.
    let last_bucket = counts.iter().rposition(|&count| count > 0).unwrap_or(0);
    for bucket in 0..last_bucket {
        let end = ends[bucket];
        while next[bucket] < end {
            let position = next[bucket];
            let mut held = *index.entry::<ENTRY>(position);
            let mut target = held[depth] as usize;
            while target != bucket {
                let slot = index.entry_mut::<ENTRY>(next[target]);
                next[target] += 1;
                std::mem::swap(&mut held, slot);
                target = held[depth] as usize;
            }
            *index.entry_mut::<ENTRY>(position) = held;
            next[bucket] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use weir_memory::{MemorySegment, PageSize};

    /// Sorts buckets and ties by the whole entry, recording what it was asked to do.
    #[derive(Default)]
    struct ByWholeEntry {
        buckets: usize,
        tie_runs: usize,
    }

    impl RadixFinisher for ByWholeEntry {
        fn sort_bucket(&mut self, index: &mut SortIndex, lo: usize, hi: usize) {
            self.buckets += 1;
            sort_entries(index, lo, hi);
        }

        fn sort_ties(&mut self, index: &mut SortIndex, lo: usize, hi: usize) {
            self.tie_runs += 1;
            sort_entries(index, lo, hi);
        }
    }

    /// Sorts by (big-endian prefix, pointer).
    fn sort_entries(index: &mut SortIndex, lo: usize, hi: usize) {
        let mut entries: Vec<[u8; 16]> = (lo..hi).map(|i| *index.entry::<16>(i)).collect();
        entries.sort_unstable_by_key(|entry| {
            let (prefix, pointer) = entry.split_at(8);
            (
                prefix.to_vec(),
                u64::from_le_bytes(pointer.try_into().unwrap()),
            )
        });
        for (i, entry) in (lo..hi).zip(entries) {
            *index.entry_mut::<16>(i) = entry;
        }
    }

    /// An index of 16-byte entries with `keys` as big-endian prefixes, pointers 0, 1, 2, …
    fn index_of(keys: &[u64]) -> SortIndex {
        let page_size = PageSize::new(4096).unwrap();
        let mut index = SortIndex::new(page_size, 8);
        for (pointer, key) in keys.iter().enumerate() {
            if index.is_full() {
                index.add_page(MemorySegment::allocate_unpooled(page_size).unwrap());
            }
            index.push(&key.to_be_bytes(), pointer as u64);
        }
        index
    }

    fn radix_sorted(keys: &[u64], key_bytes: usize) -> (Vec<(u64, u64)>, ByWholeEntry) {
        let mut index = index_of(keys);
        let mut finisher = ByWholeEntry::default();
        radix_sort::<16>(&mut index, key_bytes, &mut finisher);
        let entries = (0..keys.len())
            .map(|i| {
                let entry = index.entry::<16>(i);
                (
                    u64::from_be_bytes(entry[..8].try_into().unwrap()),
                    index.pointer(i),
                )
            })
            .collect();
        (entries, finisher)
    }

    fn expected(keys: &[u64]) -> Vec<(u64, u64)> {
        let mut expected: Vec<(u64, u64)> = keys.iter().copied().zip(0..).collect();
        expected.sort_unstable();
        expected
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn orders_like_slice_sort(keys in proptest::collection::vec(any::<u64>(), 0..3000)) {
            prop_assert_eq!(radix_sorted(&keys, 8).0, expected(&keys));
        }

        #[test]
        fn orders_few_distinct_and_shared_leading_bytes(
            keys in proptest::collection::vec(0..6u64, 0..3000),
            shift in 0u32..60,
        ) {
            let keys: Vec<u64> = keys.iter().map(|k| (k << shift) | 0xAB00_0000_0000_0000).collect();
            prop_assert_eq!(radix_sorted(&keys, 8).0, expected(&keys));
        }
    }

    #[test]
    fn a_shorter_key_leaves_the_rest_to_sort_ties() {
        // The first two bytes decide the buckets; equal two-byte heads go to sort_ties.
        let keys: Vec<u64> = (0..5000u64)
            .map(|i| ((i % 3) << 48) | (i * 7919 % 5000))
            .collect();
        let (sorted, finisher) = radix_sorted(&keys, 2);
        assert_eq!(sorted, expected(&keys));
        assert_eq!(finisher.tie_runs, 3);
    }

    #[test]
    fn random_keys_end_in_small_buckets() {
        // 20k keys spread ~78 to a first-byte bucket; with random keys many buckets fall below
        // SMALL_BUCKET_ENTRIES and go to the comparison sort.
        let mut state = 7u64;
        let keys: Vec<u64> = (0..20_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            })
            .collect();
        let (sorted, finisher) = radix_sorted(&keys, 8);
        assert_eq!(sorted, expected(&keys));
        assert!(finisher.buckets > 20, "{}", finisher.buckets);
        assert_eq!(finisher.tie_runs, 0);
    }
}
