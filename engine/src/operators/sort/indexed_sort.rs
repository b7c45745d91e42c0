//! Sorting something that can only compare and swap entries by index: the sort index of the
//! in-memory sorter lives in pages, not in one slice, so `slice::sort` cannot be used on it.
//!
//! [`quick_sort`] is an introsort: quicksort with a median-of-three pivot and a partition that
//! stops on keys equal to the pivot (so runs of duplicates split evenly instead of degrading to
//! quadratic time), insertion sort below [`INSERTION_SORT_THRESHOLD`] entries, and heapsort
//! when the recursion gets deeper than twice log2(n) (so the worst case stays O(n log n)). It
//! recurses into the smaller side and loops on the larger, so the stack stays O(log n).
//!
//! An implementor that can sort some ranges faster by itself (the sorter's index entries that
//! lie in one page are a slice) says so in [`IndexedSortable::sort_directly`]; the introsort
//! then only partitions until the ranges are small enough to be handed over.
//!
//! It is not stable; a caller that needs stability breaks ties on the original position (the
//! sorter compares record pointers, which grow with insertion order).

use std::cmp::Ordering;

/// Below this many entries a range is finished by insertion sort.
pub const INSERTION_SORT_THRESHOLD: usize = 16;

/// Entries that can be compared and swapped by index.
pub trait IndexedSortable {
    /// Compares entries `i` and `j` (`&mut self`, so a comparison may record a failure).
    fn compare(&mut self, i: usize, j: usize) -> Ordering;
    fn swap(&mut self, i: usize, j: usize);

    /// Sorts `lo..hi` by a faster way if it has one for this range (e.g. the range lies in one
    /// slice that `slice::sort` can take) and returns true; false lets the introsort go on.
    /// The introsort asks before each partition of a range. The default never does.
    fn sort_directly(&mut self, _lo: usize, _hi: usize) -> bool {
        false
    }
}

/// Sorts entries `0..len` ascending.
pub fn quick_sort<S: IndexedSortable + ?Sized>(sortable: &mut S, len: usize) {
    if len < 2 {
        return;
    }
    let depth_limit = 2 * (usize::BITS - len.leading_zeros()) as usize;
    sort_range(sortable, 0, len, depth_limit);
}

fn sort_range<S: IndexedSortable + ?Sized>(
    sortable: &mut S,
    mut lo: usize,
    mut hi: usize,
    mut depth_limit: usize,
) {
    loop {
        if sortable.sort_directly(lo, hi) {
            return;
        }
        if hi - lo <= INSERTION_SORT_THRESHOLD {
            insertion_sort(sortable, lo, hi);
            return;
        }
        if depth_limit == 0 {
            heap_sort(sortable, lo, hi);
            return;
        }
        depth_limit -= 1;
        let pivot = partition(sortable, lo, hi);
        // Recurse into the smaller side, continue with the larger.
        if pivot - lo < hi - pivot - 1 {
            sort_range(sortable, lo, pivot, depth_limit);
            lo = pivot + 1;
        } else {
            sort_range(sortable, pivot + 1, hi, depth_limit);
            hi = pivot;
        }
    }
}

/// Moves the median of the first, middle and last entry to `lo`.
fn median_of_three_to_front<S: IndexedSortable + ?Sized>(sortable: &mut S, lo: usize, hi: usize) {
    let mid = lo + (hi - lo) / 2;
    let last = hi - 1;
    // Order lo, mid, last so that mid holds the median, then move it to lo.
    if sortable.compare(mid, lo) == Ordering::Less {
        sortable.swap(mid, lo);
    }
    if sortable.compare(last, mid) == Ordering::Less {
        sortable.swap(last, mid);
        if sortable.compare(mid, lo) == Ordering::Less {
            sortable.swap(mid, lo);
        }
    }
    sortable.swap(lo, mid);
}

/// Partitions `lo..hi` around a pivot and returns its final index: entries before it are not
/// greater, entries after it not smaller.
fn partition<S: IndexedSortable + ?Sized>(sortable: &mut S, lo: usize, hi: usize) -> usize {
    median_of_three_to_front(sortable, lo, hi);
    let mut i = lo + 1;
    let mut j = hi - 1;
    loop {
        while i <= j && sortable.compare(i, lo) == Ordering::Less {
            i += 1;
        }
        while i <= j && sortable.compare(j, lo) == Ordering::Greater {
            j -= 1;
        }
        if i >= j {
            break;
        }
        sortable.swap(i, j);
        i += 1;
        j -= 1;
    }
    sortable.swap(lo, j);
    j
}

fn insertion_sort<S: IndexedSortable + ?Sized>(sortable: &mut S, lo: usize, hi: usize) {
    for i in lo + 1..hi {
        let mut j = i;
        while j > lo && sortable.compare(j - 1, j) == Ordering::Greater {
            sortable.swap(j - 1, j);
            j -= 1;
        }
    }
}

fn heap_sort<S: IndexedSortable + ?Sized>(sortable: &mut S, lo: usize, hi: usize) {
    let len = hi - lo;
    for root in (0..len / 2).rev() {
        sift_down(sortable, lo, root, len);
    }
    for end in (1..len).rev() {
        sortable.swap(lo, lo + end);
        sift_down(sortable, lo, 0, end);
    }
}

/// Restores the max-heap below `root` in the heap `lo..lo+len`.
fn sift_down<S: IndexedSortable + ?Sized>(
    sortable: &mut S,
    lo: usize,
    mut root: usize,
    len: usize,
) {
    loop {
        let mut child = 2 * root + 1;
        if child >= len {
            return;
        }
        if child + 1 < len && sortable.compare(lo + child, lo + child + 1) == Ordering::Less {
            child += 1;
        }
        if sortable.compare(lo + root, lo + child) != Ordering::Less {
            return;
        }
        sortable.swap(lo + root, lo + child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct Counted<'a> {
        values: &'a mut [i32],
    }

    impl IndexedSortable for Counted<'_> {
        fn compare(&mut self, i: usize, j: usize) -> Ordering {
            self.values[i].cmp(&self.values[j])
        }

        fn swap(&mut self, i: usize, j: usize) {
            self.values.swap(i, j);
        }
    }

    fn sorted_by_quick_sort(mut values: Vec<i32>) -> Vec<i32> {
        let len = values.len();
        quick_sort(
            &mut Counted {
                values: &mut values,
            },
            len,
        );
        values
    }

    proptest! {
        #[test]
        fn agrees_with_slice_sort(values in proptest::collection::vec(any::<i32>(), 0..600)) {
            let mut expected = values.clone();
            expected.sort_unstable();
            prop_assert_eq!(sorted_by_quick_sort(values), expected);
        }

        #[test]
        fn agrees_with_slice_sort_on_few_distinct_keys(values in proptest::collection::vec(0..4i32, 0..600)) {
            let mut expected = values.clone();
            expected.sort_unstable();
            prop_assert_eq!(sorted_by_quick_sort(values), expected);
        }
    }

    /// Ranges inside one "page" of 64 entries are handed to `slice::sort`; the introsort
    /// partitions until every range fits one.
    #[test]
    fn ranges_the_sortable_takes_over_end_sorted() {
        struct Paged<'a> {
            values: &'a mut [i32],
            direct_sorts: usize,
        }
        impl IndexedSortable for Paged<'_> {
            fn compare(&mut self, i: usize, j: usize) -> Ordering {
                self.values[i].cmp(&self.values[j])
            }
            fn swap(&mut self, i: usize, j: usize) {
                self.values.swap(i, j);
            }
            fn sort_directly(&mut self, lo: usize, hi: usize) -> bool {
                if hi - lo < 2 || lo / 64 != (hi - 1) / 64 {
                    return hi - lo < 2;
                }
                self.values[lo..hi].sort_unstable();
                self.direct_sorts += 1;
                true
            }
        }
        let mut values: Vec<i32> = (0..5000).map(|i| (i * 7919) % 4999).collect();
        let mut expected = values.clone();
        expected.sort_unstable();
        let mut paged = Paged {
            values: &mut values,
            direct_sorts: 0,
        };
        quick_sort(&mut paged, 5000);
        assert!(paged.direct_sorts >= 5000 / 64, "{}", paged.direct_sorts);
        assert_eq!(values, expected);
    }

    #[test]
    fn heap_sort_alone_sorts() {
        let mut values: Vec<i32> = (0..1000).map(|i| (i * 7919) % 1013).collect();
        let mut expected = values.clone();
        expected.sort_unstable();
        let len = values.len();
        heap_sort(
            &mut Counted {
                values: &mut values,
            },
            0,
            len,
        );
        assert_eq!(values, expected);
    }

    /// Adversarial shapes stay O(n log n): counted comparisons for 100k entries stay far below
    /// what a quadratic sort would need.
    #[test]
    fn sorted_reversed_and_constant_inputs_stay_n_log_n() {
        struct Counting<'a>(&'a mut [i32], usize);
        impl IndexedSortable for Counting<'_> {
            fn compare(&mut self, i: usize, j: usize) -> Ordering {
                self.1 += 1;
                self.0[i].cmp(&self.0[j])
            }
            fn swap(&mut self, i: usize, j: usize) {
                self.0.swap(i, j);
            }
        }
        let n = 100_000usize;
        let shapes: [Vec<i32>; 4] = [
            (0..n as i32).collect(),
            (0..n as i32).rev().collect(),
            vec![7; n],
            (0..n as i32).map(|i| i % 2).collect(),
        ];
        for values in shapes {
            let mut values = values;
            let mut expected = values.clone();
            expected.sort_unstable();
            let mut counting = Counting(&mut values, 0);
            quick_sort(&mut counting, n);
            let comparisons = counting.1;
            assert_eq!(values, expected);
            // n log2 n ≈ 1.7M; quadratic would be 5 billion.
            assert!(comparisons < 6_000_000, "{comparisons} comparisons");
        }
    }
}
