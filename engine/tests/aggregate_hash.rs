//! The hash aggregator and hash distinct against simple oracles (a `HashMap` fold in input
//! order, a first-seen map, a `BTreeSet`): random and duplicate-heavy keys, one hot key holding
//! half the input, empty input, `None` keys, records from 1 byte to several pages, budgets from
//! the minimum (recursive spills) to ample (no spill). After each run every page is back and
//! every spill file is gone, also after a failing reduce.

mod operator_support;

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::sync::Arc;

use proptest::prelude::*;

use operator_support::OperatorSetup;

use weir::WeirError;
use weir::memory::MemorySegment;
use weir::operators::aggregate::{HashAggregator, MIN_HASH_AGGREGATOR_PAGES};
use weir::operators::metrics::OperatorMetrics;
use weir::types::{DefaultComparator, DefaultSerializer, TypeComparator, TypeSerializer};

const PAGE_BYTES: usize = 4096;

/// Aggregates `records` (writing them in order); returns the output and the metrics, and checks
/// the counts, the pages and the cleanup.
fn aggregate<S, KC, KF, R>(
    setup: &OperatorSetup,
    serializer: S,
    key_selector: KF,
    key_comparator: KC,
    reduce: R,
    records: Vec<S::Value>,
) -> (Vec<S::Value>, OperatorMetrics)
where
    S: TypeSerializer,
    KC: TypeComparator,
    KF: Fn(&S::Value) -> KC::Value + Clone + Send + Sync + 'static,
    R: Fn(S::Value, S::Value) -> Result<S::Value, WeirError> + Clone + Send + Sync + 'static,
{
    let input = records.len() as u64;
    let mut aggregator = HashAggregator::new(
        serializer,
        key_selector,
        key_comparator,
        reduce,
        setup.all_pages("aggregate"),
        Arc::clone(&setup.io),
    )
    .unwrap();
    for record in records {
        aggregator.write(record).unwrap();
    }
    let mut output = Vec::new();
    let finished = aggregator
        .finish(|record| {
            output.push(record);
            Ok(())
        })
        .unwrap();
    check_finished(
        setup,
        finished.metrics.clone(),
        finished.pages,
        input,
        &output,
    );
    (output, finished.metrics)
}

fn check_finished<T>(
    setup: &OperatorSetup,
    metrics: OperatorMetrics,
    pages: Vec<MemorySegment>,
    input: u64,
    output: &[T],
) {
    assert_eq!(pages.len(), metrics.pages_reserved, "every page comes back");
    assert_eq!(metrics.pages_reserved, setup.memory.total_pages());
    drop(pages);
    setup.assert_clean();
    assert_eq!(metrics.records_in, input);
    assert_eq!(metrics.records_out, output.len() as u64);
    assert!(metrics.peak_pages_used <= metrics.pages_reserved);
    assert_eq!(metrics.spill_files == 0, metrics.bytes_spilled == 0);
}

/// The oracle: folds records per key in input order.
fn fold_by_key<T: Clone, K: Hash + Eq + Ord>(
    records: &[T],
    key: impl Fn(&T) -> K,
    reduce: impl Fn(T, T) -> T,
) -> Vec<(K, T)> {
    let mut groups: HashMap<K, T> = HashMap::new();
    for record in records {
        let k = key(record);
        let folded = match groups.remove(&k) {
            Some(earlier) => reduce(earlier, record.clone()),
            None => record.clone(),
        };
        groups.insert(k, folded);
    }
    let mut sorted: Vec<_> = groups.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
}

fn keyed<T, K: Ord>(records: Vec<T>, key: impl Fn(&T) -> K) -> Vec<(K, T)> {
    let mut keyed: Vec<_> = records.into_iter().map(|r| (key(&r), r)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed
}

fn sum(a: (u64, u64), b: (u64, u64)) -> Result<(u64, u64), WeirError> {
    Ok((a.0, a.1.wrapping_add(b.1)))
}

fn first(record: &(u64, u64)) -> u64 {
    record.0
}

/// Keys: random, duplicate-heavy, or one hot key holding about half the input.
fn u64_keys() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![
        prop::collection::vec(any::<u64>(), 0..3000),
        prop::collection::vec(0u64..8, 0..3000),
        prop::collection::vec(0u64..3000, 0..6000),
        prop::collection::vec(prop_oneof![Just(42u64), 0u64..4000], 0..6000),
    ]
}

/// A record with an optional key, a count and a payload from empty to several pages; the fold
/// adds the counts and keeps the longer payload (the earlier on a tie), so a folded record
/// changes length.
type Wide = (Option<u16>, u64, String);

fn wide_key(record: &Wide) -> Option<u16> {
    record.0
}

fn fold_wide(a: Wide, b: Wide) -> Wide {
    let payload = if b.2.len() > a.2.len() { b.2 } else { a.2 };
    (a.0, a.1 + b.1, payload)
}

fn wide_records() -> impl Strategy<Value = Vec<Wide>> {
    let key = prop_oneof![
        1 => Just(None),
        4 => (0u16..60).prop_map(Some),
        4 => Just(Some(7)),
    ];
    let payload = prop_oneof![
        8 => 0usize..40,
        2 => 40usize..600,
        1 => 3000usize..(3 * PAGE_BYTES),
    ]
    .prop_map(|len| "p".repeat(len));
    prop::collection::vec((key, 1u64..100, payload), 0..500)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn sums_match_a_hashmap_under_any_budget(
        keys in u64_keys(),
        pages in MIN_HASH_AGGREGATOR_PAGES..48,
    ) {
        let records: Vec<(u64, u64)> =
            keys.iter().enumerate().map(|(i, &k)| (k, i as u64 * 31)).collect();
        let expected = fold_by_key(&records, first, |a, b| sum(a, b).unwrap());
        let setup = OperatorSetup::new(PAGE_BYTES, pages);
        let (output, _) = aggregate(
            &setup,
            <(u64, u64)>::serializer(),
            first,
            u64::comparator(),
            sum,
            records,
        );
        prop_assert_eq!(keyed(output, first), expected);
    }

    #[test]
    fn variable_length_folds_with_none_keys_and_large_records_match(
        records in wide_records(),
        pages in MIN_HASH_AGGREGATOR_PAGES..40,
    ) {
        let expected = fold_by_key(&records, wide_key, fold_wide);
        let setup = OperatorSetup::new(PAGE_BYTES, pages);
        let (output, _) = aggregate(
            &setup,
            <Wide>::serializer(),
            wide_key,
            <Option<u16>>::comparator(),
            |a, b| Ok(fold_wide(a, b)),
            records,
        );
        prop_assert_eq!(keyed(output, wide_key), expected);
    }

    #[test]
    fn distinct_keeps_the_first_record_of_each_key(
        keys in u64_keys(),
        pages in MIN_HASH_AGGREGATOR_PAGES..40,
    ) {
        let records: Vec<(u64, u64)> =
            keys.iter().enumerate().map(|(i, &k)| (k, i as u64)).collect();
        let expected = fold_by_key(&records, first, |earlier, _| earlier);
        let setup = OperatorSetup::new(PAGE_BYTES, pages);
        let mut distinct = HashAggregator::distinct(
            <(u64, u64)>::serializer(),
            first,
            u64::comparator(),
            setup.all_pages("aggregate"),
            Arc::clone(&setup.io),
        )
        .unwrap();
        let input = records.len() as u64;
        for record in records {
            distinct.write(record).unwrap();
        }
        let mut output = Vec::new();
        let finished = distinct.finish(|record| { output.push(record); Ok(()) }).unwrap();
        check_finished(&setup, finished.metrics, finished.pages, input, &output);
        prop_assert_eq!(keyed(output, first), expected);
    }

    #[test]
    fn distinct_whole_records_from_one_byte_match_a_btreeset(
        records in prop_oneof![
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..3), 0..3000),
            prop::collection::vec(prop::collection::vec(0u8..4, 0..(2 * PAGE_BYTES)), 0..40),
        ],
        pages in MIN_HASH_AGGREGATOR_PAGES..24,
    ) {
        let expected: BTreeSet<Vec<u8>> = records.iter().cloned().collect();
        let setup = OperatorSetup::new(PAGE_BYTES, pages);
        let mut distinct = HashAggregator::distinct(
            <Vec<u8>>::serializer(),
            Vec::clone,
            <Vec<u8>>::comparator(),
            setup.all_pages("aggregate"),
            Arc::clone(&setup.io),
        )
        .unwrap();
        let input = records.len() as u64;
        for record in records {
            distinct.write(record).unwrap();
        }
        let mut output = Vec::new();
        let finished = distinct.finish(|record| { output.push(record); Ok(()) }).unwrap();
        check_finished(&setup, finished.metrics, finished.pages, input, &output);
        prop_assert_eq!(output.len(), expected.len(), "no record twice");
        prop_assert_eq!(output.into_iter().collect::<BTreeSet<_>>(), expected);
    }
}

#[test]
fn one_byte_records_fold_per_value() {
    let records: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let setup = OperatorSetup::new(PAGE_BYTES, MIN_HASH_AGGREGATOR_PAGES);
    // The record is its own key; the fold keeps it, so the output is the set of values.
    let (output, metrics) = aggregate(
        &setup,
        u8::serializer(),
        |b: &u8| *b,
        u8::comparator(),
        |a, _| Ok(a),
        records,
    );
    assert_eq!(
        output.into_iter().collect::<BTreeSet<_>>(),
        (0..251).collect()
    );
    assert_eq!(metrics.records_out, 251);
}

#[test]
fn many_keys_in_the_fewest_pages_recurse_over_several_levels() {
    let records: Vec<(u64, u64)> = (0..60_000u64).map(|i| (i % 20_000, i)).collect();
    let expected = fold_by_key(&records, first, |a, b| sum(a, b).unwrap());
    let setup = OperatorSetup::new(PAGE_BYTES, MIN_HASH_AGGREGATOR_PAGES);
    let (output, metrics) = aggregate(
        &setup,
        <(u64, u64)>::serializer(),
        first,
        u64::comparator(),
        sum,
        records,
    );
    assert_eq!(keyed(output, first), expected);
    assert!(metrics.recursion_depth >= 2, "{metrics}");
    assert!(metrics.spill_files >= 4, "{metrics}");
    assert_eq!(metrics.sort_merge_fallbacks, 0, "{metrics}");
}

#[test]
fn ample_memory_never_spills() {
    let records: Vec<(u64, u64)> = (0..30_000u64).map(|i| (i % 1_000, i)).collect();
    let setup = OperatorSetup::new(PAGE_BYTES, 256);
    let (output, metrics) = aggregate(
        &setup,
        <(u64, u64)>::serializer(),
        first,
        u64::comparator(),
        sum,
        records,
    );
    assert_eq!(output.len(), 1_000);
    assert_eq!((metrics.spill_files, metrics.recursion_depth), (0, 0));
}

#[test]
fn empty_input_gives_nothing_and_every_page() {
    let setup = OperatorSetup::new(PAGE_BYTES, MIN_HASH_AGGREGATOR_PAGES);
    let (output, metrics) = aggregate(
        &setup,
        <(u64, u64)>::serializer(),
        first,
        u64::comparator(),
        sum,
        Vec::new(),
    );
    assert!(output.is_empty());
    assert_eq!(metrics.spill_files, 0);
}

#[test]
fn records_larger_than_all_memory_fold_through_the_sort_fallback() {
    // Six 4 KiB pages; records of one key of 30 KB each can never be in the table, so recursion
    // cannot shrink their run and the sort-based fallback folds them.
    type Big = (u32, u64, String);
    let mut records: Vec<Big> = Vec::new();
    for i in 0..200u64 {
        records.push(((i % 50) as u32, i, format!("small{i}")));
        if i % 40 == 0 {
            records.push((1_000, i, "B".repeat(30_000 + i as usize)));
        }
    }
    let fold = |a: Big, b: Big| (a.0, a.1 + b.1, a.2);
    let expected = fold_by_key(&records, |r: &Big| r.0, fold);
    let setup = OperatorSetup::new(PAGE_BYTES, MIN_HASH_AGGREGATOR_PAGES);
    let (output, metrics) = aggregate(
        &setup,
        <Big>::serializer(),
        |r: &Big| r.0,
        u32::comparator(),
        move |a, b| Ok(fold(a, b)),
        records,
    );
    assert_eq!(keyed(output, |r: &Big| r.0), expected);
    assert!(metrics.sort_merge_fallbacks >= 1, "{metrics}");
}

#[test]
fn fewer_pages_than_the_minimum_fail_at_construction() {
    for given in 0..MIN_HASH_AGGREGATOR_PAGES {
        let setup = OperatorSetup::new(PAGE_BYTES, MIN_HASH_AGGREGATOR_PAGES);
        let pages = setup
            .memory
            .reservation("aggregate")
            .allocate_pages(given)
            .unwrap();
        let error = HashAggregator::new(
            <(u64, u64)>::serializer(),
            first,
            u64::comparator(),
            sum,
            pages,
            Arc::clone(&setup.io),
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                WeirError::TooFewPages { operator: "hash aggregator", given: g, required }
                    if g == given && required == MIN_HASH_AGGREGATOR_PAGES
            ),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("hash aggregator needs at least 6 pages"),
            "{error}"
        );
        setup.assert_clean();
    }
}

#[test]
fn a_failing_reduce_stops_the_aggregation_and_leaves_no_file() {
    let setup = OperatorSetup::new(PAGE_BYTES, MIN_HASH_AGGREGATOR_PAGES);
    let reduce = |a: (u64, u64), b: (u64, u64)| {
        if a.1 + b.1 > 1_000_000 {
            Err(WeirError::RecordTooLarge {
                bytes: a.1 + b.1,
                limit: 1_000_000,
            })
        } else {
            Ok((a.0, a.1 + b.1))
        }
    };
    let mut aggregator = HashAggregator::new(
        <(u64, u64)>::serializer(),
        first,
        u64::comparator(),
        reduce,
        setup.all_pages("aggregate"),
        Arc::clone(&setup.io),
    )
    .unwrap();
    // Enough distinct keys to spill, then one key that overflows while being folded.
    for i in 0..5_000u64 {
        aggregator.write((i, 1)).unwrap();
    }
    assert!(aggregator.spilled_partitions() > 0);
    assert!(setup.spill_files() > 0);
    let mut error = None;
    for i in 0..100u64 {
        if let Err(e) = aggregator.write((3, 600_000 + i)) {
            error = Some(e);
            break;
        }
    }
    // The key may be in a spilled partition: then the fold fails in finish.
    let error = match error {
        Some(error) => {
            drop(aggregator);
            error
        }
        None => aggregator.finish(|_| Ok(())).unwrap_err(),
    };
    assert!(matches!(error, WeirError::RecordTooLarge { .. }), "{error}");
    setup.assert_clean();
}

#[test]
fn peak_pages_used_is_up_to_date_while_writing_and_small_inputs_take_few_pages() {
    let setup = OperatorSetup::new(PAGE_BYTES, 512);
    let mut aggregator = HashAggregator::new(
        <(u64, u64)>::serializer(),
        first,
        u64::comparator(),
        sum,
        setup.all_pages("aggregate"),
        Arc::clone(&setup.io),
    )
    .unwrap();
    // 100 keys of 20-byte entries: one slot page and a page for each partition holding keys.
    for i in 0..1_000u64 {
        aggregator.write((i % 100, i)).unwrap();
    }
    let while_writing = aggregator.metrics().peak_pages_used;
    assert!((2..=40).contains(&while_writing), "{while_writing}");
    // 20 000 keys need more slot and entry pages: the peak follows before finish.
    for i in 0..40_000u64 {
        aggregator.write((i % 20_000, i)).unwrap();
    }
    let later = aggregator.metrics().peak_pages_used;
    assert!(later > while_writing + 100, "{later} vs {while_writing}");
    let mut groups = 0;
    let finished = aggregator
        .finish(|_| {
            groups += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(groups, 20_000);
    assert_eq!(finished.metrics.spill_files, 0);
    assert_eq!(finished.metrics.peak_pages_used, later);
    check_finished(
        &setup,
        finished.metrics,
        finished.pages,
        41_000,
        &[(); 20_000],
    );
}

/// Compares u64 keys but hashes every key to one value, under every seed.
#[derive(Debug, Clone)]
struct ConstantHash;

impl TypeComparator for ConstantHash {
    type Value = u64;

    fn compare(&self, a: &u64, b: &u64) -> std::cmp::Ordering {
        a.cmp(b)
    }

    fn normalized_key_len(&self) -> usize {
        8
    }

    fn normalized_key_is_complete(&self) -> bool {
        true
    }

    fn write_normalized_key(&self, value: &u64, target: &mut [u8]) {
        target.copy_from_slice(&value.to_be_bytes()[..target.len()]);
    }

    fn hash(&self, _value: &u64, _seed: u64) -> u64 {
        42
    }
}

#[test]
fn keys_whose_hashes_all_collide_fold_in_memory_or_through_the_fallback() {
    let records: Vec<(u64, u64)> = (0..3_000u64).map(|i| (i * 7 % 400, i)).collect();
    let expected = fold_by_key(&records, first, |a, b| sum(a, b).unwrap());
    // Ample memory: 400 keys on one slot chain, told apart by comparing keys.
    let setup = OperatorSetup::new(PAGE_BYTES, 64);
    let (output, metrics) = aggregate(
        &setup,
        <(u64, u64)>::serializer(),
        first,
        ConstantHash,
        sum,
        records.clone(),
    );
    assert_eq!(keyed(output, first), expected);
    assert_eq!(metrics.spill_files, 0, "{metrics}");
    // The fewest pages and more keys than one slot page indexes: every level puts every key
    // in one partition and one probe sequence, spills it, and recursion goes on until the
    // sort-based fallback takes what is left.
    let records: Vec<(u64, u64)> = (0..6_000u64).map(|i| (i * 7 % 1_500, i)).collect();
    let expected = fold_by_key(&records, first, |a, b| sum(a, b).unwrap());
    let setup = OperatorSetup::new(PAGE_BYTES, MIN_HASH_AGGREGATOR_PAGES);
    let (output, metrics) = aggregate(
        &setup,
        <(u64, u64)>::serializer(),
        first,
        ConstantHash,
        sum,
        records,
    );
    assert_eq!(keyed(output, first), expected);
    assert!(metrics.spill_files >= 2, "{metrics}");
    assert!(metrics.recursion_depth >= 1, "{metrics}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// As a combiner the aggregator sends partial groups on when nearly full instead of
    /// spilling; folding its output again gives the oracle's result.
    #[test]
    fn combining_flushes_partial_groups_that_fold_to_the_oracle(
        keys in u64_keys(),
        pages in MIN_HASH_AGGREGATOR_PAGES..24,
    ) {
        let records: Vec<(u64, u64)> =
            keys.iter().enumerate().map(|(i, &k)| (k, i as u64 * 31)).collect();
        let expected = fold_by_key(&records, first, |a, b| sum(a, b).unwrap());
        let setup = OperatorSetup::new(PAGE_BYTES, pages);
        let input = records.len() as u64;
        let mut combiner = HashAggregator::new(
            <(u64, u64)>::serializer(),
            first,
            u64::comparator(),
            sum,
            setup.all_pages("combine"),
            Arc::clone(&setup.io),
        )
        .unwrap();
        let mut partial = Vec::new();
        for record in records {
            combiner
                .write_combining(record, |out| {
                    partial.push(out);
                    Ok(())
                })
                .unwrap();
        }
        let finished = combiner
            .finish(|out| {
                partial.push(out);
                Ok(())
            })
            .unwrap();
        prop_assert_eq!(finished.metrics.spill_files, 0, "a combiner of small records never spills");
        check_finished(&setup, finished.metrics.clone(), finished.pages, input, &partial);
        let refolded = fold_by_key(&partial, first, |a, b| sum(a, b).unwrap());
        prop_assert_eq!(refolded, expected);
    }
}
