//! The sort-merge join against a nested-loop oracle over inputs sorted by key: random and
//! duplicate-heavy keys, one hot key holding half the input (a group larger than the pages,
//! spilled and re-read), `None` keys, empty inputs, records from 1 byte to three pages,
//! budgets from the minimum to ample; every join type; every page back and every spill file
//! gone; unsorted input and too few pages fail clearly.

mod join_support;

use std::sync::Arc;

use proptest::prelude::*;

use join_support::{
    IdPair, Keys, Payloads, Row, collector, nested_loop_join, ok_rows, row_inputs, rows, setup,
    spill_files,
};
use weir::WeirError;
use weir::operators::join::{JoinType, MIN_SORT_MERGE_JOIN_PAGES, SortMergeJoin};
use weir::operators::metrics::OperatorMetrics;
use weir::types::{DefaultComparator, TypeComparator};

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
    let (_dir, io, memory) = setup(pages);
    let reservation = memory.reservation("join");
    let mut join = SortMergeJoin::new(
        row_inputs(),
        join_type,
        reservation.allocate_pages(pages).unwrap(),
        Arc::clone(&io),
    )
    .unwrap();
    let mut out = Vec::new();
    join.join(ok_rows(left), ok_rows(right), &mut collector(&mut out))
        .unwrap();
    assert_eq!(spill_files(&io), 0, "the last group's spill file is gone");
    let metrics = join.metrics().clone();
    assert_eq!(join.into_pages().len(), pages, "every page comes back");
    assert!(metrics.peak_pages_used <= pages);
    assert_eq!(metrics.records_in, (left.len() + right.len()) as u64);
    assert_eq!(metrics.records_out, out.len() as u64);
    out.sort();
    (out, metrics)
}

fn keys_strategy() -> impl Strategy<Value = Keys> {
    prop_oneof![
        (1u16..2000).prop_map(Keys::Uniform),
        (1u16..8).prop_map(Keys::Uniform),
        (1u16..500).prop_map(Keys::HotKey),
        Just(Keys::AllNone),
        (1u16..300).prop_map(Keys::SomeNone),
    ]
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
    let (_dir, io, memory) = setup(8);
    let reservation = memory.reservation("join");
    let left = sorted(rows(4, 100, Keys::Uniform(50), Payloads::Small, 0));
    let mut right = sorted(rows(5, 100, Keys::Uniform(50), Payloads::Small, 1000));
    right.swap(10, 90);
    let mut join = SortMergeJoin::new(
        row_inputs(),
        JoinType::FullOuter,
        reservation.allocate_pages(8).unwrap(),
        Arc::clone(&io),
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
    assert_eq!(spill_files(&io), 0);
}

#[test]
fn fewer_pages_than_the_minimum_fail_at_construction() {
    let (_dir, io, memory) = setup(4);
    let reservation = memory.reservation("join");
    let error = SortMergeJoin::new(
        row_inputs(),
        JoinType::Inner,
        reservation
            .allocate_pages(MIN_SORT_MERGE_JOIN_PAGES - 1)
            .unwrap(),
        Arc::clone(&io),
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
