//! The sort-merge join against a nested-loop oracle over inputs sorted by key: random and
//! duplicate-heavy keys, one hot key holding half the input (a group larger than the pages,
//! spilled and re-read), `None` keys, empty inputs, records from 1 byte to three pages,
//! budgets from the minimum to ample; every join type; every page back and every spill file
//! gone; unsorted input and too few pages fail clearly; two spilling `ExternalSorter`s feed
//! the join.

mod join_support;
mod operator_support;

use std::sync::Arc;

use proptest::prelude::*;

use operator_support::{OperatorSetup, spill_files};

use join_support::{
    IdPair, Keys, PAGE_BYTES, Payloads, Row, check_finished_join, collector, keys_strategy,
    nested_loop_join, ok_rows, row_inputs, rows,
};
use weir::WeirError;
use weir::memory::{IoManager, MemoryManager};
use weir::operators::join::{JoinType, MIN_SORT_MERGE_JOIN_PAGES, SortMergeJoin};
use weir::operators::metrics::OperatorMetrics;
use weir::operators::sort::{ExternalSorter, MIN_EXTERNAL_SORTER_PAGES, SortOrder};
use weir::types::{
    DefaultComparator, DefaultSerializer, IntComparator, KeyedComparator, OptionComparator,
    TypeComparator,
};

fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    let comparator = <Option<u16>>::comparator();
    rows.sort_by(|a, b| comparator.compare(&a.0, &b.0));
    rows
}

fn sort_merge_join(
    left: &[Row],
    right: &[Row],
    join_type: JoinType,
    pages: usize,
) -> (Vec<IdPair>, OperatorMetrics) {
    let env = OperatorSetup::new(PAGE_BYTES, pages);
    let (io, memory) = (&env.io, &env.memory);
    let reservation = memory.reservation("join");
    let mut join = SortMergeJoin::new(
        row_inputs(),
        join_type,
        reservation.allocate_pages(pages).unwrap(),
        Arc::clone(io),
    )
    .unwrap();
    let mut out = Vec::new();
    join.join(ok_rows(left), ok_rows(right), &mut collector(&mut out))
        .unwrap();
    let metrics = join.metrics().clone();
    let spill_files_left = spill_files(io);
    let pages_back = join.into_pages().len();
    let inputs = left.len() + right.len();
    let out = check_finished_join(spill_files_left, pages_back, pages, &metrics, inputs, out);
    (out, metrics)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn matches_the_nested_loop_oracle(
        seed in any::<u64>(),
        left_count in 0usize..600,
        right_count in 0usize..600,
        left_keys in keys_strategy(),
        right_keys in keys_strategy(),
        payloads in prop_oneof![Just(Payloads::Small), Just(Payloads::Mixed)],
        pages in prop_oneof![Just(MIN_SORT_MERGE_JOIN_PAGES), 3usize..12, Just(300usize)],
        join_type in prop_oneof![
            Just(JoinType::Inner),
            Just(JoinType::LeftOuter),
            Just(JoinType::RightOuter),
            Just(JoinType::FullOuter),
        ],
    ) {
        let left = sorted(rows(seed, left_count, left_keys, payloads, 0));
        let right = sorted(rows(seed ^ 0x5EED, right_count, right_keys, payloads, 1_000_000));
        prop_assume!(nested_loop_join(&left, &right, JoinType::Inner).len() < 60_000);
        let (out, _) = sort_merge_join(&left, &right, join_type, pages);
        prop_assert_eq!(out, nested_loop_join(&left, &right, join_type));
    }
}

#[test]
fn a_hot_key_group_larger_than_the_pages_spills_and_is_reread() {
    let left = sorted(rows(1, 400, Keys::HotKey(100), Payloads::Small, 0));
    let right = sorted(rows(2, 2000, Keys::HotKey(100), Payloads::Mixed, 100_000));
    for join_type in JoinType::ALL {
        let (out, metrics) = sort_merge_join(&left, &right, join_type, MIN_SORT_MERGE_JOIN_PAGES);
        assert_eq!(
            out,
            nested_loop_join(&left, &right, join_type),
            "{join_type:?}"
        );
        assert!(
            metrics.spill_files >= 1 && metrics.bytes_spilled > 0,
            "{metrics}"
        );
    }
}

#[test]
fn ample_memory_spills_nothing_and_empty_inputs_join() {
    let some = sorted(rows(3, 1000, Keys::SomeNone(200), Payloads::Small, 0));
    for join_type in JoinType::ALL {
        let (out, metrics) = sort_merge_join(&some, &some, join_type, 300);
        assert_eq!(out, nested_loop_join(&some, &some, join_type));
        assert_eq!(metrics.spill_files, 0);
        for (left, right) in [
            (&[][..], &some[..]),
            (&some[..], &[][..]),
            (&[][..], &[][..]),
        ] {
            let (out, _) = sort_merge_join(left, right, join_type, MIN_SORT_MERGE_JOIN_PAGES);
            assert_eq!(out, nested_loop_join(left, right, join_type));
        }
    }
}

#[test]
fn unsorted_input_fails_clearly() {
    let env = OperatorSetup::new(PAGE_BYTES, 8);
    let (io, memory) = (&env.io, &env.memory);
    let reservation = memory.reservation("join");
    let left = sorted(rows(4, 100, Keys::Uniform(50), Payloads::Small, 0));
    let mut right = sorted(rows(5, 100, Keys::Uniform(50), Payloads::Small, 1000));
    right.swap(10, 90);
    let mut join = SortMergeJoin::new(
        row_inputs(),
        JoinType::FullOuter,
        reservation.allocate_pages(8).unwrap(),
        Arc::clone(io),
    )
    .unwrap();
    let mut ignore = |_: Option<&Row>, _: Option<&Row>| Ok(());
    let error = join
        .join(ok_rows(&left), ok_rows(&right), &mut ignore)
        .unwrap_err();
    assert!(
        matches!(error, WeirError::JoinInputNotSorted { input: "right", .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("sorted by the join key"),
        "{error}"
    );
    assert_eq!(join.into_pages().len(), 8);
    assert_eq!(spill_files(io), 0);
}

#[test]
fn fewer_pages_than_the_minimum_fail_at_construction() {
    let env = OperatorSetup::new(PAGE_BYTES, 4);
    let (io, memory) = (&env.io, &env.memory);
    let reservation = memory.reservation("join");
    let error = SortMergeJoin::new(
        row_inputs(),
        JoinType::Inner,
        reservation
            .allocate_pages(MIN_SORT_MERGE_JOIN_PAGES - 1)
            .unwrap(),
        Arc::clone(io),
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            WeirError::TooFewPages {
                operator: "sort-merge join",
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(reservation.held_pages(), 0);
}

fn row_key(row: &Row) -> &Option<u16> {
    &row.0
}

type ByKey = KeyedComparator<Row, OptionComparator<IntComparator<u16>>, fn(&Row) -> &Option<u16>>;

/// Sorts `rows` by key with an [`ExternalSorter`] in `pages` test pages.
fn external_sorter(
    rows: &[Row],
    pages: usize,
    memory: &MemoryManager,
    io: &Arc<IoManager>,
) -> ExternalSorter<<Row as DefaultSerializer>::Serializer, ByKey> {
    let comparator: ByKey = KeyedComparator::new(row_key, <Option<u16>>::comparator());
    let mut sorter = ExternalSorter::new(
        Row::serializer(),
        comparator,
        SortOrder::Unstable,
        memory.reservation("sort").allocate_pages(pages).unwrap(),
        Arc::clone(io),
    )
    .unwrap();
    for row in rows {
        sorter.write(row).unwrap();
    }
    sorter
}

/// Two external sorters (spilling at small budgets) feed the join; checks the pages and
/// spill files of all three afterwards.
fn join_of_external_sorts(
    left: &[Row],
    right: &[Row],
    join_type: JoinType,
    sort_pages: usize,
    join_pages: usize,
) -> Vec<IdPair> {
    let env = OperatorSetup::new(PAGE_BYTES, 2 * sort_pages + join_pages);
    let (io, memory) = (&env.io, &env.memory);
    let mut left_sorted = external_sorter(left, sort_pages, memory, io)
        .finish()
        .unwrap();
    let mut right_sorted = external_sorter(right, sort_pages, memory, io)
        .finish()
        .unwrap();
    assert!(
        !left_sorted.is_in_memory() && !right_sorted.is_in_memory(),
        "both sorts spill"
    );
    let mut join = SortMergeJoin::new(
        row_inputs(),
        join_type,
        memory
            .reservation("join")
            .allocate_pages(join_pages)
            .unwrap(),
        Arc::clone(io),
    )
    .unwrap();
    let mut out = Vec::new();
    join.join(
        &mut left_sorted,
        &mut right_sorted,
        &mut collector(&mut out),
    )
    .unwrap();
    assert_eq!(join.metrics().records_in, (left.len() + right.len()) as u64);
    assert_eq!(join.into_pages().len(), join_pages);
    assert_eq!(left_sorted.into_pages().len(), sort_pages);
    assert_eq!(right_sorted.into_pages().len(), sort_pages);
    assert_eq!(spill_files(io), 0, "every run and group file is gone");
    out.sort();
    out
}

#[test]
fn spilling_external_sorters_feed_the_join() {
    let cases = [
        (Keys::Uniform(3000), Keys::SomeNone(3000), Payloads::Mixed),
        (Keys::HotKey(400), Keys::Uniform(400), Payloads::Small),
        (Keys::Uniform(5), Keys::AllNone, Payloads::Small),
    ];
    for (case, (left_keys, right_keys, payloads)) in cases.into_iter().enumerate() {
        let seed = case as u64 * 7;
        let left = rows(seed, 2000, left_keys, payloads, 0);
        let right = rows(seed + 1, 1200, right_keys, payloads, 100_000);
        for join_type in JoinType::ALL {
            let out = join_of_external_sorts(
                &left,
                &right,
                join_type,
                MIN_EXTERNAL_SORTER_PAGES,
                MIN_SORT_MERGE_JOIN_PAGES,
            );
            assert_eq!(
                out,
                nested_loop_join(&left, &right, join_type),
                "case {case}, {join_type:?}"
            );
        }
    }
}
