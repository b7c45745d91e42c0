//! The external sorter and the sort-based aggregation against simple oracles (`slice::sort`,
//! a `BTreeMap` aggregate): random and duplicate-heavy keys, one hot key, empty input, `None`
//! keys, records from 1 byte to several pages, budgets from the minimum (many runs, multi-pass
//! merges) to ample (no spill at all). After each sort every page is back and every spill file
//! is gone.

mod operator_support;

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;

use operator_support::OperatorSetup;

use weir::WeirError;
use weir::memory::{ByteSize, IoManager, MemoryManager, PageSize};
use weir::operators::metrics::OperatorMetrics;
use weir::operators::sort::{ExternalSorter, MIN_EXTERNAL_SORTER_PAGES, SortAggregator, SortOrder};
use weir::types::{
    DefaultComparator, DefaultSerializer, IntComparator, KeyedComparator, StringComparator,
    TypeComparator, TypeSerializer,
};

/// Sorts `records` externally; returns the output and the metrics, and checks the cleanup.
fn sort_external<S, C>(
    setup: &OperatorSetup,
    serializer: S,
    comparator: C,
    order: SortOrder,
    records: &[S::Value],
) -> (Vec<S::Value>, OperatorMetrics)
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    let mut sorter = ExternalSorter::new(
        serializer,
        comparator,
        order,
        setup.all_pages("sort"),
        Arc::clone(&setup.io),
    )
    .unwrap();
    for record in records {
        sorter.write(record).unwrap();
    }
    let mut output = sorter.finish().unwrap();
    let sorted = output.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    let metrics = output.metrics().clone();
    let pages = output.into_pages();
    assert_eq!(pages.len(), metrics.pages_reserved, "every page comes back");
    drop(pages);
    setup.assert_clean();
    assert_eq!(metrics.records_in, records.len() as u64);
    assert_eq!(metrics.records_out, records.len() as u64);
    assert!(metrics.peak_pages_used <= metrics.pages_reserved);
    (sorted, metrics)
}

fn first_field(record: &(i64, u64)) -> &i64 {
    &record.0
}

type ByFirstField = KeyedComparator<(i64, u64), IntComparator<i64>, fn(&(i64, u64)) -> &i64>;

fn key_comparator() -> ByFirstField {
    KeyedComparator::new(first_field, IntComparator::<i64>::new())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn pairs_sort_stably_like_slice_sort_under_any_budget(
        records in prop::collection::vec((any::<i64>(), any::<u64>()), 0..4000),
        pages in MIN_EXTERNAL_SORTER_PAGES..40,
    ) {
        let setup = OperatorSetup::new(4096, pages);
        let (sorted, metrics) = sort_external(
            &setup, <(i64, u64)>::serializer(), key_comparator(), SortOrder::Stable, &records,
        );
        let mut expected = records.clone();
        expected.sort_by_key(|r| r.0);
        prop_assert_eq!(sorted, expected);
        if metrics.spill_files == 0 {
            prop_assert_eq!(metrics.merge_passes, 0);
        }
    }

    #[test]
    fn duplicate_heavy_and_hot_keys_keep_input_order(
        hot in prop::collection::vec(Just(7i64), 0..1500),
        cold in prop::collection::vec(0..5i64, 0..1500),
        pages in MIN_EXTERNAL_SORTER_PAGES..12,
    ) {
        // Half the input (or so) under one key, interleaved with a few other keys.
        let mut records: Vec<(i64, u64)> = Vec::new();
        for (i, key) in hot.iter().zip(cold.iter().chain(std::iter::repeat(&3))).flat_map(|(a, b)| [*a, *b]).enumerate() {
            records.push((key, i as u64));
        }
        let setup = OperatorSetup::new(4096, pages);
        let (sorted, _) = sort_external(
            &setup, <(i64, u64)>::serializer(), key_comparator(), SortOrder::Stable, &records,
        );
        let mut expected = records.clone();
        expected.sort_by_key(|r| r.0);
        prop_assert_eq!(sorted, expected);
    }

    #[test]
    fn strings_from_empty_to_several_pages_sort_like_slice_sort(
        records in prop::collection::vec(
            prop_oneof![
                4 => "[a-c]{0,12}",
                1 => "[ab]{4000,13000}",
            ],
            0..120,
        ),
        pages in MIN_EXTERNAL_SORTER_PAGES..10,
    ) {
        let setup = OperatorSetup::new(4096, pages);
        let (sorted, _) = sort_external(
            &setup, String::serializer(), StringComparator::default(), SortOrder::Unstable, &records,
        );
        let mut expected = records.clone();
        expected.sort();
        prop_assert_eq!(sorted, expected);
    }

    #[test]
    fn optional_keys_sort_nones_first_and_descending_reverses(
        records in prop::collection::vec(prop::option::weighted(0.3, any::<i32>()), 0..3000),
    ) {
        let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES);
        let (sorted, _) = sort_external(
            &setup, <Option<i32>>::serializer(), <Option<i32>>::comparator().descending(),
            SortOrder::Unstable, &records,
        );
        let mut expected = records.clone();
        expected.sort_by(|a, b| b.cmp(a));
        prop_assert_eq!(sorted, expected);
    }

    #[test]
    fn sort_aggregation_sums_like_a_map(
        records in prop::collection::vec((0..50u32, 0..1000u64), 0..5000),
        pages in MIN_EXTERNAL_SORTER_PAGES..16,
    ) {
        let setup = OperatorSetup::new(4096, pages);
        let comparator = KeyedComparator::new(|r: &(u32, u64)| &r.0, IntComparator::<u32>::new());
        let mut aggregator = SortAggregator::new(
            <(u32, u64)>::serializer(),
            comparator,
            |a: (u32, u64), b: (u32, u64)| Ok((a.0, a.1 + b.1)),
            setup.all_pages("sort"),
            Arc::clone(&setup.io),
        ).unwrap();
        for record in &records {
            aggregator.write(record).unwrap();
        }
        let mut output = aggregator.finish().unwrap();
        let groups = output.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
        let metrics = output.metrics();
        drop(output);
        setup.assert_clean();
        let mut expected: BTreeMap<u32, u64> = BTreeMap::new();
        for (key, value) in &records {
            *expected.entry(*key).or_default() += value;
        }
        prop_assert_eq!(groups, expected.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(metrics.records_in, records.len() as u64);
    }

    #[test]
    fn distinct_keeps_the_first_record_of_each_key(
        records in prop::collection::vec((0..30u8, any::<u16>()), 0..4000),
    ) {
        let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES + 2);
        let comparator = KeyedComparator::new(|r: &(u8, u16)| &r.0, IntComparator::<u8>::new());
        let mut distinct = SortAggregator::distinct(
            <(u8, u16)>::serializer(), comparator, setup.all_pages("sort"), Arc::clone(&setup.io),
        ).unwrap();
        for record in &records {
            distinct.write(record).unwrap();
        }
        let firsts = distinct.finish().unwrap().collect::<Result<Vec<_>, _>>().unwrap();
        setup.assert_clean();
        let mut expected: BTreeMap<u8, u16> = BTreeMap::new();
        for (key, value) in &records {
            expected.entry(*key).or_insert(*value);
        }
        prop_assert_eq!(firsts, expected.into_iter().collect::<Vec<_>>());
    }
}

#[test]
fn the_minimum_budget_forces_multi_pass_merges() {
    let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES);
    let records: Vec<(i64, u64)> = (0..20_000u64)
        .map(|i| ((i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) as i64, i))
        .collect();
    let (sorted, metrics) = sort_external(
        &setup,
        <(i64, u64)>::serializer(),
        key_comparator(),
        SortOrder::Stable,
        &records,
    );
    let mut expected = records.clone();
    expected.sort_by_key(|r| r.0);
    assert_eq!(sorted, expected);
    // Many small runs with a final fan-in of 2: several passes, all counted.
    assert!(metrics.spill_files > 40, "{metrics}");
    assert!(metrics.merge_passes >= 5, "{metrics}");
    assert_eq!(
        metrics.peak_pages_used, MIN_EXTERNAL_SORTER_PAGES,
        "{metrics}"
    );
}

#[test]
fn an_ample_budget_sorts_in_memory_without_touching_the_disk() {
    let setup = OperatorSetup::new(32 * 1024, 64);
    let records: Vec<(i64, u64)> = (0..10_000u64)
        .map(|i| ((i * 7919 % 10_007) as i64, i))
        .collect();
    let (sorted, metrics) = sort_external(
        &setup,
        <(i64, u64)>::serializer(),
        key_comparator(),
        SortOrder::Unstable,
        &records,
    );
    assert!(sorted.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(
        (
            metrics.spill_files,
            metrics.bytes_spilled,
            metrics.merge_passes
        ),
        (0, 0, 0)
    );
}

#[test]
fn an_empty_input_gives_an_empty_output() {
    let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES);
    let (sorted, metrics) = sort_external(
        &setup,
        String::serializer(),
        String::comparator(),
        SortOrder::Stable,
        &[],
    );
    assert!(sorted.is_empty());
    assert_eq!(metrics.spill_files, 0);
}

#[test]
fn a_record_larger_than_all_sorter_memory_is_a_run_of_its_own() {
    let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES);
    let records = vec![
        "m".to_string(),
        "z".repeat(50_000),
        "a".to_string(),
        "b".repeat(30_000),
        "c".to_string(),
    ];
    let (sorted, metrics) = sort_external(
        &setup,
        String::serializer(),
        String::comparator(),
        SortOrder::Stable,
        &records,
    );
    let mut expected = records.clone();
    expected.sort();
    assert_eq!(sorted, expected);
    assert!(metrics.spill_files >= 3, "{metrics}");
}

#[test]
fn too_few_pages_fail_at_construction() {
    let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES - 1);
    let error = ExternalSorter::new(
        <u64>::serializer(),
        <u64>::comparator(),
        SortOrder::Stable,
        setup.all_pages("sort"),
        Arc::clone(&setup.io),
    )
    .unwrap_err();
    assert!(matches!(
        error,
        WeirError::TooFewPages {
            operator: "external sorter",
            given: 4,
            required: 5
        }
    ));
    assert!(error.to_string().contains("at least 5 pages"), "{error}");
}

#[test]
fn dropping_the_output_early_deletes_the_spill_files() {
    let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES);
    let mut sorter = ExternalSorter::new(
        <u64>::serializer(),
        <u64>::comparator(),
        SortOrder::Unstable,
        setup.all_pages("sort"),
        Arc::clone(&setup.io),
    )
    .unwrap();
    for i in 0..10_000u64 {
        sorter.write(&(i * 31 % 977)).unwrap();
    }
    let mut output = sorter.finish().unwrap();
    assert_eq!(output.next().unwrap().unwrap(), 0);
    assert!(!output.is_in_memory());
    drop(output);
    setup.assert_clean();
}

#[test]
fn dropping_the_sorter_midway_deletes_the_spill_files() {
    let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES);
    let mut sorter = ExternalSorter::new(
        <u64>::serializer(),
        <u64>::comparator(),
        SortOrder::Unstable,
        setup.all_pages("sort"),
        Arc::clone(&setup.io),
    )
    .unwrap();
    for i in 0..10_000u64 {
        sorter.write(&i).unwrap();
    }
    assert!(sorter.spilled_runs() > 2);
    drop(sorter);
    setup.assert_clean();
}

#[test]
fn the_output_keeps_the_io_manager_alive_when_it_holds_the_only_handle() {
    let dir = tempfile::tempdir().unwrap();
    let memory = MemoryManager::new(ByteSize::kib(20), PageSize::new(4096).unwrap()).unwrap();
    let io = Arc::new(IoManager::new(&[dir.path().to_path_buf()]).unwrap());
    let pages = memory.reservation("sort").allocate_pages(5).unwrap();
    let mut sorter = ExternalSorter::new(
        <u64>::serializer(),
        <u64>::comparator(),
        SortOrder::Unstable,
        pages,
        io,
    )
    .unwrap();
    for i in (0..5_000u64).rev() {
        sorter.write(&i).unwrap();
    }
    let sorted = sorter
        .finish()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(sorted, (0..5_000u64).collect::<Vec<_>>());
    assert_eq!(memory.used_pages(), 0);
}

#[test]
fn all_none_keys_come_out_in_input_order() {
    let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES);
    let records: Vec<(Option<u32>, u32)> = (0..5_000).map(|i| (None, i)).collect();
    let comparator =
        KeyedComparator::new(|r: &(Option<u32>, u32)| &r.0, <Option<u32>>::comparator());
    let (sorted, metrics) = sort_external(
        &setup,
        <(Option<u32>, u32)>::serializer(),
        comparator,
        SortOrder::Stable,
        &records,
    );
    assert_eq!(sorted, records);
    assert!(metrics.spill_files > 1, "{metrics}");
}

#[test]
fn the_combiner_shrinks_what_is_spilled() {
    let records: Vec<(u32, u64)> = (0..20_000u64).map(|i| ((i % 10) as u32, i)).collect();
    let spilled = |combine: bool| {
        let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES + 4);
        let comparator = KeyedComparator::new(|r: &(u32, u64)| &r.0, IntComparator::<u32>::new());
        let mut sorter = ExternalSorter::new(
            <(u32, u64)>::serializer(),
            comparator,
            SortOrder::Stable,
            setup.all_pages("sort"),
            Arc::clone(&setup.io),
        )
        .unwrap();
        if combine {
            sorter = sorter.with_combiner(Arc::new(|a: (u32, u64), b: (u32, u64)| {
                Ok((a.0, a.1 + b.1))
            }));
        }
        for record in &records {
            sorter.write(record).unwrap();
        }
        let mut output = sorter.finish().unwrap();
        let mut total = 0u64;
        for record in output.by_ref() {
            total += record.unwrap().1;
        }
        let metrics = output.metrics().clone();
        drop(output);
        setup.assert_clean();
        (total, metrics.bytes_spilled)
    };
    let (plain_total, plain_bytes) = spilled(false);
    let (combined_total, combined_bytes) = spilled(true);
    assert_eq!(plain_total, combined_total);
    assert!(
        combined_bytes * 20 < plain_bytes,
        "{combined_bytes} vs {plain_bytes}"
    );
}

#[test]
fn a_failing_combiner_stops_the_sort_and_leaves_no_file_or_page() {
    // A limit of 100 fails while a run spills (on the spill thread); 5000 only in the merges.
    for limit in [100u64, 5_000] {
        let setup = OperatorSetup::new(4096, MIN_EXTERNAL_SORTER_PAGES);
        let comparator = KeyedComparator::new(|r: &(u32, u64)| &r.0, IntComparator::<u32>::new());
        let mut sorter = ExternalSorter::new(
            <(u32, u64)>::serializer(),
            comparator,
            SortOrder::Stable,
            setup.all_pages("sort"),
            Arc::clone(&setup.io),
        )
        .unwrap()
        .with_combiner(Arc::new(move |a: (u32, u64), b: (u32, u64)| {
            if a.1 + b.1 > limit {
                // Any user error; the record-too-large variant stands in for it.
                Err(WeirError::RecordTooLarge {
                    bytes: a.1 + b.1,
                    limit,
                })
            } else {
                Ok((a.0, a.1 + b.1))
            }
        }));
        let mut failure = None;
        for i in 0..20_000u64 {
            if let Err(error) = sorter.write(&((i % 3) as u32, 1)) {
                failure = Some(error);
                break;
            }
        }
        let failure = match failure {
            Some(error) => {
                assert_eq!(limit, 100, "only the low limit fails while writing");
                drop(sorter);
                error
            }
            None => sorter
                .finish()
                .expect_err("the combiner fails in an intermediate merge"),
        };
        assert!(
            matches!(failure, WeirError::RecordTooLarge { limit: l, .. } if l == limit),
            "{failure}"
        );
        setup.assert_clean();
    }
}
