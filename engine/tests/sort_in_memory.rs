//! The in-memory sorter against `slice::sort` as the oracle: random and duplicate-heavy keys,
//! complete (integer) and incomplete (string) normalized keys, stable order, records larger
//! than a page, running out of pages, reuse after reset, and every page given back.

use proptest::prelude::*;

use weir::WeirError;
use weir::memory::{ByteSize, MemoryManager, MemorySegment, PageSize};
use weir::operators::sort::{InMemorySorter, MIN_SORTER_PAGES, SortOrder};
use weir::types::{
    BytesSerializer, DefaultComparator, DefaultSerializer, IntComparator, KeyedComparator,
    StringComparator, TypeComparator, TypeSerializer,
};

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

/// Writes all `records` (the sorter must have room), sorts, and returns them in sorted order.
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
    let mut sorter = InMemorySorter::new(serializer, comparator, order, pages).unwrap();
    for record in records {
        assert!(sorter.write(record).unwrap(), "the test gives enough pages");
    }
    sorter.sort().unwrap();
    sorter.iter().collect::<Result<Vec<_>, _>>().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pairs_sort_like_slice_sort(
        records in proptest::collection::vec((any::<i64>(), any::<u64>()), 0..2000),
        page_bytes in prop_oneof![Just(4096usize), Just(32 * 1024)],
    ) {
        let manager = manager(page_bytes, 64);
        let comparator = KeyedComparator::new(|r: &(i64, u64)| &r.0, IntComparator::<i64>::new());
        let sorted = sort_all(
            <(i64, u64)>::serializer(),
            comparator,
            SortOrder::Stable,
            pages(&manager, 64),
            &records,
        );
        let mut expected = records.clone();
        expected.sort_by_key(|r| r.0); // stable, like SortOrder::Stable
        prop_assert_eq!(sorted, expected);
    }

    #[test]
    fn duplicate_heavy_keys_sort_stably(
        records in proptest::collection::vec((0..4u8, any::<u32>()), 0..3000),
    ) {
        let manager = manager(4096, 64);
        let comparator = KeyedComparator::new(|r: &(u8, u32)| &r.0, IntComparator::<u8>::new());
        let sorted = sort_all(
            <(u8, u32)>::serializer(),
            comparator,
            SortOrder::Stable,
            pages(&manager, 64),
            &records,
        );
        let mut expected = records.clone();
        expected.sort_by_key(|r| r.0);
        prop_assert_eq!(sorted, expected);
    }

    /// Strings share long prefixes, so the 16-byte normalized key ties often and the full
    /// comparison decides.
    #[test]
    fn strings_with_common_prefixes_sort_by_full_comparison(
        suffixes in proptest::collection::vec("[a-c\\x00]{0,6}", 0..800),
        prefix_len in 0usize..30,
    ) {
        let prefix = "p".repeat(prefix_len);
        let records: Vec<String> = suffixes.iter().map(|s| format!("{prefix}{s}")).collect();
        let manager = manager(4096, 64);
        let sorted = sort_all(
            String::serializer(),
            String::comparator(),
            SortOrder::Unstable,
            pages(&manager, 64),
            &records,
        );
        let mut expected = records.clone();
        expected.sort();
        prop_assert_eq!(sorted, expected);
    }

    #[test]
    fn descending_tuples(records in proptest::collection::vec((any::<i32>(), ".{0,4}"), 0..500)) {
        let manager = manager(4096, 32);
        let comparator = (IntComparator::<i32>::new().descending(), StringComparator::new());
        let sorted = sort_all(
            <(i32, String)>::serializer(),
            comparator,
            SortOrder::Unstable,
            pages(&manager, 32),
            &records,
        );
        let mut expected = records.clone();
        expected.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        prop_assert_eq!(sorted, expected);
    }
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
