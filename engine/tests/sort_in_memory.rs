//! The in-memory sorter against `slice::sort` as the oracle, through both of its algorithms
//! (the radix sort on the key prefix and the comparison sort): random and duplicate-heavy keys,
//! one hot key, all-equal keys, complete 8-byte and 24-byte prefixes, incomplete prefixes
//! (strings and fixed keys longer than the prefix, with long common heads), no prefix at all,
//! descending order, stable and unstable order, records larger than a page, budgets from the
//! minimum to ample, running out of pages, reuse after reset, and every page given back.

use std::fmt::Debug;

use proptest::prelude::*;

use weir::WeirError;
use weir::memory::{ByteSize, MemoryManager, MemorySegment, PageSize};
use weir::operators::sort::{InMemorySorter, MIN_SORTER_PAGES, SortAlgorithm, SortOrder};
use weir::types::{
    BytesSerializer, DefaultComparator, DefaultSerializer, FixedBytesComparator, IntComparator,
    KeyedComparator, OptionComparator, StringComparator, TypeComparator, TypeSerializer,
};

const ALGORITHMS: [SortAlgorithm; 2] = [SortAlgorithm::Radix, SortAlgorithm::Comparison];

fn manager(page_bytes: usize, pages: usize) -> MemoryManager {
    MemoryManager::new(
        ByteSize::new((page_bytes * pages) as u64),
        PageSize::new(page_bytes).unwrap(),
    )
    .unwrap()
}

fn pages(manager: &MemoryManager, count: usize) -> Vec<MemorySegment> {
    manager.reservation("sorter").allocate_pages(count).unwrap()
}

fn order_of(stable: bool) -> SortOrder {
    if stable {
        SortOrder::Stable
    } else {
        SortOrder::Unstable
    }
}

/// A sorter over `pages` holding all `records` (the test gives it room).
fn filled_sorter<S, C>(
    serializer: S,
    comparator: C,
    order: SortOrder,
    pages: Vec<MemorySegment>,
    records: &[S::Value],
) -> InMemorySorter<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    let mut sorter = InMemorySorter::new(serializer, comparator, order, pages).unwrap();
    for record in records {
        assert!(sorter.write(record).unwrap(), "the test gives enough pages");
    }
    sorter
}

/// Writes all `records`, sorts with `algorithm`, and returns them in sorted order.
fn sort_all_with<S, C>(
    serializer: S,
    comparator: C,
    order: SortOrder,
    algorithm: SortAlgorithm,
    pages: Vec<MemorySegment>,
    records: &[S::Value],
) -> Vec<S::Value>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    let mut sorter = filled_sorter(serializer, comparator, order, pages, records);
    sorter.sort_with(algorithm).unwrap();
    sorter.iter().collect::<Result<Vec<_>, _>>().unwrap()
}

/// Sorts with [`InMemorySorter::sort`] (the algorithm it picks).
fn sort_all<S, C>(
    serializer: S,
    comparator: C,
    order: SortOrder,
    pages: Vec<MemorySegment>,
    records: &[S::Value],
) -> Vec<S::Value>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    let mut sorter = filled_sorter(serializer, comparator, order, pages, records);
    sorter.sort().unwrap();
    sorter.iter().collect::<Result<Vec<_>, _>>().unwrap()
}

/// Checks `sorted` against `records` sorted stably by `key`: equal under [`SortOrder::Stable`];
/// under [`SortOrder::Unstable`], the same keys in the same order and the same records.
fn check_sorted<T, K>(
    sorted: &[T],
    records: &[T],
    order: SortOrder,
    key: impl Fn(&T) -> K,
) -> Result<(), TestCaseError>
where
    T: Clone + Ord + Debug,
    K: Ord + Debug,
{
    let mut expected = records.to_vec();
    expected.sort_by_key(|record| key(record));
    match order {
        SortOrder::Stable => prop_assert_eq!(sorted, &expected[..]),
        SortOrder::Unstable => {
            let sorted_keys: Vec<K> = sorted.iter().map(&key).collect();
            let expected_keys: Vec<K> = expected.iter().map(&key).collect();
            prop_assert_eq!(sorted_keys, expected_keys);
            let mut sorted_records = sorted.to_vec();
            sorted_records.sort();
            expected.sort();
            prop_assert_eq!(sorted_records, expected);
        }
    }
    Ok(())
}

/// Sorts `records` with each algorithm in all pages of `manager` and checks each result
/// against the oracle ([`check_sorted`]); every page is back in between.
fn check_every_algorithm<S, C, K>(
    serializer: S,
    comparator: C,
    order: SortOrder,
    manager: MemoryManager,
    records: &[S::Value],
    key: impl Fn(&S::Value) -> K,
) -> Result<(), TestCaseError>
where
    S: TypeSerializer,
    S::Value: Clone + Ord + Debug,
    C: TypeComparator<Value = S::Value>,
    K: Ord + Debug,
{
    for algorithm in ALGORITHMS {
        let sorted = sort_all_with(
            serializer.clone(),
            comparator.clone(),
            order,
            algorithm,
            pages(&manager, manager.total_pages()),
            records,
        );
        check_sorted(&sorted, records, order, &key)?;
        prop_assert_eq!(manager.used_pages(), 0);
    }
    Ok(())
}

/// Keys with `head` shared leading bytes, then few distinct bytes: long common prefixes and
/// many ties.
fn keys_with_common_head<const N: usize>(head: usize, tails: &[u8]) -> Vec<[u8; N]> {
    tails
        .chunks(2)
        .map(|tail| {
            let mut key = [0x5Au8; N];
            for (i, byte) in key.iter_mut().enumerate().skip(head.min(N)) {
                *byte = tail[i % tail.len()].wrapping_mul(i as u8 + 1) % 3;
            }
            key
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// 8-byte complete prefix: the radix sort alone orders the keys.
    #[test]
    fn pairs_sort_like_slice_sort(
        records in proptest::collection::vec((any::<i64>(), any::<u64>()), 0..6000),
        page_bytes in prop_oneof![Just(4096usize), Just(32 * 1024)],
        stable in any::<bool>(),
    ) {
        let comparator = KeyedComparator::new(|r: &(i64, u64)| &r.0, IntComparator::<i64>::new());
        check_every_algorithm(
            <(i64, u64)>::serializer(),
            comparator,
            order_of(stable),
            manager(page_bytes, 64),
            &records,
            |r| r.0,
        )?;
    }

    /// Few distinct keys, or one hot key holding about half the records: long runs of equal
    /// prefixes that the radix sort hands on as ties.
    #[test]
    fn duplicate_heavy_and_hot_keys(
        keys in proptest::collection::vec(0..4u8, 0..5000),
        hot in any::<bool>(),
        stable in any::<bool>(),
    ) {
        let records: Vec<(u8, u32)> = keys
            .iter()
            .enumerate()
            .map(|(i, &k)| (if hot && i % 2 == 0 { 2 } else { k }, i as u32))
            .collect();
        let comparator = KeyedComparator::new(|r: &(u8, u32)| &r.0, IntComparator::<u8>::new());
        check_every_algorithm(
            <(u8, u32)>::serializer(),
            comparator,
            order_of(stable),
            manager(4096, 64),
            &records,
            |r| r.0,
        )?;
    }

    /// 10-byte keys in the 24-byte prefix slot, complete, sharing `head` leading bytes.
    #[test]
    fn ten_byte_keys_in_the_24_byte_slot(
        tails in proptest::collection::vec(any::<u8>(), 0..6000),
        head in 0usize..11,
        stable in any::<bool>(),
    ) {
        let records: Vec<([u8; 10], u16)> = keys_with_common_head::<10>(head, &tails)
            .into_iter()
            .zip(0..)
            .collect();
        let comparator = KeyedComparator::new(
            |r: &([u8; 10], u16)| &r.0,
            FixedBytesComparator::<10>::new(),
        );
        check_every_algorithm(
            <([u8; 10], u16)>::serializer(),
            comparator,
            order_of(stable),
            manager(4096, 128),
            &records,
            |r| r.0,
        )?;
    }

    /// 30-byte keys: the 24-byte prefix is incomplete, and with a common head of 24 bytes or
    /// more every prefix ties and the records decide.
    #[test]
    fn keys_longer_than_the_prefix_fall_back_to_the_records(
        tails in proptest::collection::vec(any::<u8>(), 0..3000),
        head in prop_oneof![Just(0usize), 20usize..30],
        stable in any::<bool>(),
    ) {
        let records: Vec<([u8; 30], u16)> = keys_with_common_head::<30>(head, &tails)
            .into_iter()
            .zip(0..)
            .collect();
        let comparator = KeyedComparator::new(
            |r: &([u8; 30], u16)| &r.0,
            FixedBytesComparator::<30>::new(),
        );
        check_every_algorithm(
            <([u8; 30], u16)>::serializer(),
            comparator,
            order_of(stable),
            manager(4096, 128),
            &records,
            |r| r.0,
        )?;
    }

    /// Strings share long heads, so the normalized key (4, 16 or 24 bytes, or none at all)
    /// ties often and the full comparison decides.
    #[test]
    fn strings_with_common_prefixes_sort_by_full_comparison(
        suffixes in proptest::collection::vec("[a-c\\x00]{0,6}", 0..1500),
        prefix_len in 0usize..30,
        key_len in prop_oneof![Just(0usize), Just(4), Just(16), Just(24)],
        stable in any::<bool>(),
    ) {
        let prefix = "p".repeat(prefix_len);
        let records: Vec<(String, u16)> = suffixes
            .iter()
            .zip(0..)
            .map(|(s, i)| (format!("{prefix}{s}"), i))
            .collect();
        let comparator = KeyedComparator::new(
            |r: &(String, u16)| &r.0,
            StringComparator::with_key_len(key_len),
        );
        check_every_algorithm(
            <(String, u16)>::serializer(),
            comparator,
            order_of(stable),
            manager(4096, 64),
            &records,
            |r| r.0.clone(),
        )?;
    }

    #[test]
    fn descending_tuples(
        records in proptest::collection::vec((any::<i32>(), ".{0,4}"), 0..1500),
        stable in any::<bool>(),
    ) {
        let comparator = (IntComparator::<i32>::new().descending(), StringComparator::new());
        check_every_algorithm(
            <(i32, String)>::serializer(),
            comparator,
            order_of(stable),
            manager(4096, 64),
            &records,
            |r| {
                (std::cmp::Reverse(r.0), r.1.clone())
            },
        )?;
    }

    /// Option keys: None sorts first; the 8-byte slot holds a 9-byte key cut short.
    #[test]
    fn option_keys(
        records in proptest::collection::vec((proptest::option::of(-3..3i64), any::<u16>()), 0..3000),
        stable in any::<bool>(),
    ) {
        let comparator = KeyedComparator::new(
            |r: &(Option<i64>, u16)| &r.0,
            OptionComparator::new(IntComparator::<i64>::new()),
        );
        check_every_algorithm(
            <(Option<i64>, u16)>::serializer(),
            comparator,
            order_of(stable),
            manager(4096, 64),
            &records,
            |r| r.0,
        )?;
    }

    /// Records of 1 byte to several 4 KiB pages: records straddle pages, the index does not.
    #[test]
    fn records_straddling_pages(
        lengths in proptest::collection::vec((1usize..10_000, 0..5u8), 0..40),
        stable in any::<bool>(),
    ) {
        let records: Vec<(u8, Vec<u8>)> = lengths
            .iter()
            .enumerate()
            .map(|(i, &(len, key))| (key, vec![i as u8; len]))
            .collect();
        let comparator = KeyedComparator::new(|r: &(u8, Vec<u8>)| &r.0, IntComparator::<u8>::new());
        check_every_algorithm(
            <(u8, Vec<u8>)>::serializer(),
            comparator,
            order_of(stable),
            manager(4096, 160),
            &records,
            |r| r.0,
        )?;
    }

    /// Budgets from the minimum up: write until the sorter is full, then both algorithms sort
    /// what it took; the pages all come back.
    #[test]
    fn tiny_budgets_sort_what_fits(
        keys in proptest::collection::vec(any::<u32>(), 0..3000),
        budget_pages in MIN_SORTER_PAGES..10,
        stable in any::<bool>(),
    ) {
        let manager = manager(4096, budget_pages);
        for algorithm in ALGORITHMS {
            let comparator =
                KeyedComparator::new(|r: &(u32, u64)| &r.0, IntComparator::<u32>::new());
            let mut sorter = InMemorySorter::new(
                <(u32, u64)>::serializer(),
                comparator,
                order_of(stable),
                pages(&manager, budget_pages),
            )
            .unwrap();
            let mut written = Vec::new();
            for (i, &key) in keys.iter().enumerate() {
                let record = (key % 97, i as u64);
                if !sorter.write(&record).unwrap() {
                    break;
                }
                written.push(record);
            }
            prop_assert!(sorter.used_pages() <= budget_pages);
            sorter.sort_with(algorithm).unwrap();
            let sorted: Vec<_> = sorter.iter().collect::<Result<_, _>>().unwrap();
            check_sorted(&sorted, &written, order_of(stable), |r| r.0)?;
            drop(sorter.into_pages());
            prop_assert_eq!(manager.used_pages(), 0);
        }
    }
}

/// Pages holding garbage from an earlier user: the sorter writes each normalized key straight
/// into its index entry, so the bytes of the prefix slot past a short key (4 of 8, 10 of 24)
/// must be zeroed, or tied keys would order by garbage and the stable order would break.
#[test]
fn garbage_in_reused_pages_does_not_reach_the_prefix_slot() {
    fn dirty_pages(manager: &MemoryManager, count: usize) -> Vec<MemorySegment> {
        let mut pages = pages(manager, count);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for page in &mut pages {
            for offset in (0..page.size()).step_by(8) {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                page.put_u64_le(offset, state);
            }
        }
        pages
    }
    let u32_records: Vec<(u32, u32)> = (0..5_000u32).map(|i| (i % 7, i)).collect();
    let fixed_records: Vec<([u8; 10], u16)> =
        (0..5_000u16).map(|i| ([(i % 5) as u8; 10], i)).collect();
    for algorithm in ALGORITHMS {
        let manager = manager(4096, 64);
        let comparator = KeyedComparator::new(|r: &(u32, u32)| &r.0, IntComparator::<u32>::new());
        let sorted = sort_all_with(
            <(u32, u32)>::serializer(),
            comparator,
            SortOrder::Stable,
            algorithm,
            dirty_pages(&manager, 64),
            &u32_records,
        );
        check_sorted(&sorted, &u32_records, SortOrder::Stable, |r| r.0).unwrap();

        let comparator = KeyedComparator::new(
            |r: &([u8; 10], u16)| &r.0,
            FixedBytesComparator::<10>::new(),
        );
        let sorted = sort_all_with(
            <([u8; 10], u16)>::serializer(),
            comparator,
            SortOrder::Stable,
            algorithm,
            dirty_pages(&manager, 64),
            &fixed_records,
        );
        check_sorted(&sorted, &fixed_records, SortOrder::Stable, |r| r.0).unwrap();
    }
}

/// All keys equal: the radix sort finds one bucket at every byte and moves nothing; stable
/// order keeps the input order exactly.
#[test]
fn all_equal_keys() {
    let records: Vec<(u64, u32)> = (0..20_000u32).map(|i| (42, i.wrapping_mul(7919))).collect();
    for stable in [true, false] {
        let comparator = KeyedComparator::new(|r: &(u64, u32)| &r.0, IntComparator::<u64>::new());
        check_every_algorithm(
            <(u64, u32)>::serializer(),
            comparator,
            order_of(stable),
            manager(4096, 256),
            &records,
            |r| r.0,
        )
        .unwrap();
    }
}

/// Enough random keys for the radix sort to recurse two levels deep (buckets of 100k / 256
/// entries at the first byte), against `sort()`'s own pick.
#[test]
fn many_random_keys_through_sort() {
    let mut state = 0x1234_5678u64;
    let records: Vec<(u64, u64)> = (0..100_000u64)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state, i)
        })
        .collect();
    let manager = manager(32 * 1024, 128);
    let comparator = KeyedComparator::new(|r: &(u64, u64)| &r.0, IntComparator::<u64>::new());
    let sorted = sort_all(
        <(u64, u64)>::serializer(),
        comparator,
        SortOrder::Stable,
        pages(&manager, 128),
        &records,
    );
    check_sorted(&sorted, &records, SortOrder::Stable, |r| r.0).unwrap();
}

#[test]
fn sort_picks_radix_only_with_a_prefix() {
    let manager = manager(4096, 4);
    let with_prefix = InMemorySorter::new(
        String::serializer(),
        StringComparator::new(),
        SortOrder::Stable,
        pages(&manager, 2),
    )
    .unwrap();
    assert_eq!(with_prefix.sort_algorithm(), SortAlgorithm::Radix);
    let without_prefix = InMemorySorter::new(
        String::serializer(),
        StringComparator::with_key_len(0),
        SortOrder::Stable,
        pages(&manager, 2),
    )
    .unwrap();
    assert_eq!(without_prefix.sort_algorithm(), SortAlgorithm::Comparison);
}

#[test]
fn records_larger_than_a_page() {
    let records: Vec<Vec<u8>> = (0..40u8)
        .map(|i| vec![((u32::from(i) * 37) % 41) as u8; 1 + (i as usize * 997) % 12_000])
        .collect();
    let manager = manager(4096, 200);
    let sorted = sort_all(
        BytesSerializer,
        <Vec<u8>>::comparator(),
        SortOrder::Unstable,
        pages(&manager, 200),
        &records,
    );
    let mut expected = records.clone();
    expected.sort();
    assert_eq!(sorted, expected);
}

#[test]
fn a_full_sorter_refuses_the_record_and_keeps_what_it_has() {
    let manager = manager(4096, 8);
    let comparator = KeyedComparator::new(|r: &(u64, u64)| &r.0, IntComparator::<u64>::new());
    let mut sorter = InMemorySorter::new(
        <(u64, u64)>::serializer(),
        comparator,
        SortOrder::Unstable,
        pages(&manager, 8),
    )
    .unwrap();
    let mut written = Vec::new();
    for i in 0..100_000u64 {
        let record = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i);
        if !sorter.write(&record).unwrap() {
            break;
        }
        written.push(record);
    }
    assert!(
        written.len() > 500 && written.len() < 100_000,
        "{}",
        written.len()
    );
    assert_eq!(sorter.used_pages(), 8);
    // Refused again without change.
    assert!(!sorter.write(&(1, 1)).unwrap());
    assert_eq!(sorter.len(), written.len());

    sorter.sort().unwrap();
    let sorted: Vec<_> = sorter.iter().collect::<Result<_, _>>().unwrap();
    written.sort_unstable();
    assert_eq!(sorted, written);

    // Reset keeps the pages and sorts a second run.
    sorter.reset();
    assert!(sorter.is_empty());
    assert_eq!(sorter.used_pages(), 0);
    for i in (0..100u64).rev() {
        assert!(sorter.write(&(i, i)).unwrap());
    }
    sorter.sort().unwrap();
    let second: Vec<u64> = sorter.iter().map(|r| r.unwrap().0).collect();
    assert_eq!(second, (0..100).collect::<Vec<_>>());

    let pages = sorter.into_pages();
    assert_eq!(pages.len(), 8);
    drop(pages);
    assert_eq!(manager.used_pages(), 0);
}

#[test]
fn a_record_larger_than_all_pages_is_refused_without_loss() {
    let manager = manager(4096, 4);
    let mut sorter = InMemorySorter::new(
        BytesSerializer,
        <Vec<u8>>::comparator(),
        SortOrder::Unstable,
        pages(&manager, 4),
    )
    .unwrap();
    assert!(sorter.write(&vec![1; 100]).unwrap());
    assert!(!sorter.write(&vec![2; 4 * 4096]).unwrap());
    assert!(sorter.write(&vec![0; 10]).unwrap());
    sorter.sort().unwrap();
    let sorted: Vec<Vec<u8>> = sorter.iter().map(Result::unwrap).collect();
    assert_eq!(sorted, [vec![0; 10], vec![1; 100]]);
}

#[test]
fn too_few_pages_fail_at_setup() {
    let manager = manager(4096, 4);
    let error = InMemorySorter::new(
        u64::serializer(),
        u64::comparator(),
        SortOrder::Unstable,
        pages(&manager, MIN_SORTER_PAGES - 1),
    )
    .unwrap_err();
    assert!(matches!(
        error,
        WeirError::TooFewPages {
            given: 1,
            required: 2,
            ..
        }
    ));
    assert!(
        error.to_string().contains("needs at least 2 pages"),
        "{error}"
    );
}

#[test]
fn empty_and_single_record_sorters() {
    let manager = manager(4096, 4);
    assert!(
        sort_all(
            u64::serializer(),
            u64::comparator(),
            SortOrder::Stable,
            pages(&manager, 2),
            &[]
        )
        .is_empty()
    );
    assert_eq!(
        sort_all(
            u64::serializer(),
            u64::comparator(),
            SortOrder::Stable,
            pages(&manager, 2),
            &[7]
        ),
        [7]
    );
}
