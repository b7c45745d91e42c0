//! The hybrid hash join against a nested-loop oracle: random and duplicate-heavy keys, one hot
//! key holding half the input, `None` keys, empty inputs, records from 1 byte to three pages,
//! budgets from the minimum (recursive spills, fallbacks) to ample; every join type; every
//! page back and every spill file gone afterwards; too few pages fail at construction.

mod join_support;
mod operator_support;

use std::sync::Arc;

use proptest::prelude::*;

use operator_support::{OperatorSetup, spill_files};

use join_support::{
    IdPair, Keys, PAGE_BYTES, Payloads, Row, check_finished_join, collector, grouped_join,
    keys_strategy, nested_loop_join, ok_rows, row_inputs, rows,
};
use weir::WeirError;
use weir::memory::IoManager;
use weir::operators::join::{
    HybridHashJoin, JoinType, MAX_RECURSION_DEPTH, MIN_HYBRID_HASH_JOIN_PAGES,
};
use weir::operators::metrics::OperatorMetrics;

/// Runs the join of `left` (probe) and `right` (build) in `pages` test pages and checks the
/// pages and spill files afterwards; returns the sorted output and the metrics.
fn hybrid_join(
    left: &[Row],
    right: &[Row],
    join_type: JoinType,
    pages: usize,
) -> (Vec<IdPair>, OperatorMetrics) {
    let env = OperatorSetup::new(PAGE_BYTES, pages);
    let (io, memory) = (&env.io, &env.memory);
    let reservation = memory.reservation("join");
    let mut join = HybridHashJoin::new(
        row_inputs(),
        join_type,
        reservation.allocate_pages(pages).unwrap(),
        Arc::clone(io),
    )
    .unwrap();
    let mut out = Vec::new();
    join.join(ok_rows(right), ok_rows(left), &mut collector(&mut out))
        .unwrap();
    let metrics = join.metrics().clone();
    let spill_files_left = spill_files(io);
    let pages_back = join.into_pages().len();
    let inputs = left.len() + right.len();
    let out = check_finished_join(spill_files_left, pages_back, pages, &metrics, inputs, out);
    (out, metrics)
}

fn join_type_strategy() -> impl Strategy<Value = JoinType> {
    prop_oneof![
        Just(JoinType::Inner),
        Just(JoinType::LeftOuter),
        Just(JoinType::RightOuter),
        Just(JoinType::FullOuter),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn matches_the_nested_loop_oracle(
        seed in any::<u64>(),
        left_count in 0usize..700,
        right_count in 0usize..700,
        left_keys in keys_strategy(),
        right_keys in keys_strategy(),
        payloads in prop_oneof![Just(Payloads::Small), Just(Payloads::Mixed)],
        pages in prop_oneof![
            Just(MIN_HYBRID_HASH_JOIN_PAGES),
            MIN_HYBRID_HASH_JOIN_PAGES..24,
            Just(400usize),
        ],
        join_type in join_type_strategy(),
    ) {
        let left = rows(seed, left_count, left_keys, payloads, 0);
        let right = rows(seed ^ 0xABCD, right_count, right_keys, payloads, 1_000_000);
        // Many equal keys on both sides make huge outputs; keep each case small.
        prop_assume!(nested_loop_join(&left, &right, JoinType::Inner).len() < 60_000);
        let (out, _) = hybrid_join(&left, &right, join_type, pages);
        prop_assert_eq!(out, nested_loop_join(&left, &right, join_type));
    }
}

#[test]
fn every_join_type_with_ample_memory_spills_nothing() {
    let left = rows(1, 3000, Keys::Uniform(1000), Payloads::Small, 0);
    let right = rows(2, 2000, Keys::SomeNone(1000), Payloads::Small, 100_000);
    for join_type in JoinType::ALL {
        let (out, metrics) = hybrid_join(&left, &right, join_type, 400);
        assert_eq!(
            out,
            nested_loop_join(&left, &right, join_type),
            "{join_type:?}"
        );
        assert_eq!(metrics.spill_files, 0, "{metrics}");
        assert_eq!(metrics.recursion_depth, 0);
    }
}

#[test]
fn the_minimum_budget_recurses_over_several_levels() {
    // About 45 KiB of build rows in levels of two partitions and two record pages: three or
    // four levels.
    let left = rows(3, 1500, Keys::Uniform(20_000), Payloads::Small, 0);
    let right = rows(4, 1500, Keys::Uniform(20_000), Payloads::Small, 100_000);
    for join_type in JoinType::ALL {
        let (out, metrics) = hybrid_join(&left, &right, join_type, MIN_HYBRID_HASH_JOIN_PAGES);
        assert_eq!(
            out,
            nested_loop_join(&left, &right, join_type),
            "{join_type:?}"
        );
        assert!(metrics.recursion_depth >= 2, "{metrics}");
        assert!(
            metrics.spill_files > 0 && metrics.bytes_spilled > 0,
            "{metrics}"
        );
        assert_eq!(
            metrics.nested_loop_fallbacks, 0,
            "distinct keys split: {metrics}"
        );
    }
}

#[test]
fn partitions_past_the_deepest_level_fall_back() {
    // 180 KiB of build rows at the minimum budget need more levels than MAX_RECURSION_DEPTH.
    let left = rows(18, 6000, Keys::Uniform(20_000), Payloads::Small, 0);
    let right = rows(19, 6000, Keys::Uniform(20_000), Payloads::Small, 100_000);
    for join_type in [JoinType::Inner, JoinType::FullOuter] {
        let (out, metrics) = hybrid_join(&left, &right, join_type, MIN_HYBRID_HASH_JOIN_PAGES);
        assert_eq!(
            out,
            nested_loop_join(&left, &right, join_type),
            "{join_type:?}"
        );
        assert_eq!(
            metrics.recursion_depth,
            MAX_RECURSION_DEPTH + 1,
            "{metrics}"
        );
        assert!(metrics.nested_loop_fallbacks > 0, "{metrics}");
    }
}

#[test]
fn one_hot_key_falls_back_to_the_block_nested_loop_join() {
    // Half of each side has key 7: no seed splits them.
    let left = rows(5, 1500, Keys::HotKey(5000), Payloads::Small, 0);
    let right = rows(6, 1500, Keys::HotKey(5000), Payloads::Small, 100_000);
    for join_type in JoinType::ALL {
        let (out, metrics) = hybrid_join(&left, &right, join_type, 8);
        assert_eq!(
            out,
            nested_loop_join(&left, &right, join_type),
            "{join_type:?}"
        );
        assert!(metrics.nested_loop_fallbacks >= 1, "{metrics}");
    }
}

#[test]
fn outer_joins_of_a_hot_key_with_many_probe_rows_complete_at_the_minimum_budget() {
    // Half the probe rows (35 000) share key 7. The build rows are too many for the levels up
    // to MAX_RECURSION_DEPTH at the minimum budget, so key 7's partition falls back with more
    // probe rows than a page of match bits could track: the fallback must still complete in
    // the minimum budget, for unmatched rows on either side.
    let left = rows(21, 70_000, Keys::HotKey(60_000), Payloads::Small, 0);
    let mut right = rows(22, 24_000, Keys::Uniform(60_000), Payloads::Small, 100_000);
    right.push((Some(7), 500_000, vec![500_000u32 as u8; 9]));
    // The nested-loop oracle is too slow here; the grouped one agrees with it on a sample.
    assert_eq!(
        grouped_join(&left[..3000], &right[..3000], JoinType::FullOuter),
        nested_loop_join(&left[..3000], &right[..3000], JoinType::FullOuter)
    );
    for join_type in JoinType::ALL {
        let (out, metrics) = hybrid_join(&left, &right, join_type, MIN_HYBRID_HASH_JOIN_PAGES);
        assert_eq!(out, grouped_join(&left, &right, join_type), "{join_type:?}");
        assert!(metrics.nested_loop_fallbacks >= 1, "{metrics}");
    }
}

#[test]
fn outer_joins_of_a_hot_key_on_both_sides_complete_at_the_minimum_budget() {
    // Key 7 holds half of each side: recursion cannot split it, and the build side's key 7
    // rows fill several blocks.
    let left = rows(23, 3000, Keys::HotKey(5000), Payloads::Small, 0);
    let right = rows(24, 1200, Keys::HotKey(5000), Payloads::Small, 100_000);
    for join_type in JoinType::ALL {
        let (out, metrics) = hybrid_join(&left, &right, join_type, MIN_HYBRID_HASH_JOIN_PAGES);
        assert_eq!(
            out,
            nested_loop_join(&left, &right, join_type),
            "{join_type:?}"
        );
        assert!(metrics.nested_loop_fallbacks >= 1, "{metrics}");
    }
}

#[test]
fn none_keys_join_each_other() {
    let left = rows(7, 300, Keys::AllNone, Payloads::Small, 0);
    let right = rows(8, 200, Keys::SomeNone(50), Payloads::Small, 100_000);
    for join_type in JoinType::ALL {
        for pages in [MIN_HYBRID_HASH_JOIN_PAGES, 200] {
            let (out, _) = hybrid_join(&left, &right, join_type, pages);
            assert_eq!(out, nested_loop_join(&left, &right, join_type));
        }
    }
}

#[test]
fn empty_inputs() {
    let some = rows(9, 500, Keys::Uniform(100), Payloads::Small, 0);
    for join_type in JoinType::ALL {
        for (left, right) in [
            (&[][..], &some[..]),
            (&some[..], &[][..]),
            (&[][..], &[][..]),
        ] {
            let (out, metrics) = hybrid_join(left, right, join_type, MIN_HYBRID_HASH_JOIN_PAGES);
            assert_eq!(
                out,
                nested_loop_join(left, right, join_type),
                "{join_type:?}"
            );
            if right.is_empty() {
                assert_eq!(metrics.spill_files, 0);
            }
        }
    }
}

#[test]
fn records_of_several_pages_join_at_the_minimum_budget() {
    let left = rows(10, 120, Keys::Uniform(30), Payloads::Mixed, 0);
    let right = rows(11, 120, Keys::Uniform(30), Payloads::Mixed, 100_000);
    assert!(
        right
            .iter()
            .any(|row| row.2.len() > join_support::PAGE_BYTES)
    );
    for join_type in JoinType::ALL {
        let (out, metrics) = hybrid_join(&left, &right, join_type, MIN_HYBRID_HASH_JOIN_PAGES);
        assert_eq!(
            out,
            nested_loop_join(&left, &right, join_type),
            "{join_type:?}"
        );
        assert!(metrics.spill_files > 0, "{metrics}");
    }
}

#[test]
fn bloom_filters_keep_unmatchable_probe_rows_from_spilling() {
    // Build keys are even, probe keys odd: no probe row can match.
    let right: Vec<Row> = rows(12, 4000, Keys::Uniform(10_000), Payloads::Small, 100_000)
        .into_iter()
        .map(|(key, id, payload)| (key.map(|k| k * 2), id, payload))
        .collect();
    let left: Vec<Row> = rows(13, 4000, Keys::Uniform(10_000), Payloads::Small, 0)
        .into_iter()
        .map(|(key, id, payload)| (key.map(|k| k * 2 + 1), id, payload))
        .collect();
    for join_type in [JoinType::Inner, JoinType::LeftOuter] {
        let (out, metrics) = hybrid_join(&left, &right, join_type, 16);
        assert_eq!(out, nested_loop_join(&left, &right, join_type));
        assert!(
            metrics.bloom_filtered_records > 2000,
            "most probe rows of spilled partitions are filtered: {metrics}"
        );
    }
}

#[test]
fn fewer_pages_than_the_minimum_fail_at_construction() {
    let env = OperatorSetup::new(PAGE_BYTES, MIN_HYBRID_HASH_JOIN_PAGES);
    let (io, memory) = (&env.io, &env.memory);
    let reservation = memory.reservation("join");
    for given in [0, MIN_HYBRID_HASH_JOIN_PAGES - 1] {
        let error = HybridHashJoin::new(
            row_inputs(),
            JoinType::Inner,
            reservation.allocate_pages(given).unwrap(),
            Arc::clone(io),
        )
        .unwrap_err();
        assert!(
            matches!(error, WeirError::TooFewPages { operator: "hybrid hash join", given: g, required }
                if g == given && required == MIN_HYBRID_HASH_JOIN_PAGES),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("hybrid hash join needs at least"),
            "{error}"
        );
    }
    assert_eq!(
        reservation.held_pages(),
        0,
        "the pages of a failed construction come back"
    );
}

#[test]
fn calls_out_of_order_fail_and_an_emit_error_stops_the_join() {
    let env = OperatorSetup::new(PAGE_BYTES, 64);
    let (io, memory) = (&env.io, &env.memory);
    let reservation = memory.reservation("join");
    let left = rows(14, 100, Keys::Uniform(10), Payloads::Small, 0);
    let right = rows(15, 100, Keys::Uniform(10), Payloads::Small, 1000);

    let mut join = HybridHashJoin::new(
        row_inputs(),
        JoinType::Inner,
        reservation.allocate_pages(64).unwrap(),
        Arc::clone(io),
    )
    .unwrap();
    join.build_all(ok_rows(&right)).unwrap();
    let mut ignore = |_: Option<&Row>, _: Option<&Row>| Ok(());
    join.probe(&left[0], &mut ignore).unwrap();
    let error = join.build(&right[0]).unwrap_err();
    assert!(
        matches!(error, WeirError::JoinCallOutOfOrder { call: "build", .. }),
        "{error}"
    );
    join.finish(&mut ignore).unwrap();
    assert!(join.finish(&mut ignore).is_err());
    assert_eq!(join.into_pages().len(), 64);

    let mut join = HybridHashJoin::new(
        row_inputs(),
        JoinType::Inner,
        reservation.allocate_pages(64).unwrap(),
        Arc::clone(io),
    )
    .unwrap();
    let mut failing =
        |_: Option<&Row>, _: Option<&Row>| Err(WeirError::RecordTooLarge { bytes: 1, limit: 0 });
    let error = join
        .join(ok_rows(&right), ok_rows(&left), &mut failing)
        .unwrap_err();
    assert!(matches!(error, WeirError::RecordTooLarge { .. }));
    drop(join);
    assert_eq!(reservation.held_pages(), 0);
    assert_eq!(spill_files(io), 0);
}

#[test]
fn spill_files_are_gone_when_a_join_is_dropped_midway() {
    let env = OperatorSetup::new(PAGE_BYTES, 8);
    let (io, memory) = (&env.io, &env.memory);
    let reservation = memory.reservation("join");
    let left = rows(16, 3000, Keys::Uniform(3000), Payloads::Small, 0);
    let right = rows(17, 3000, Keys::Uniform(3000), Payloads::Small, 10_000);
    let mut join = HybridHashJoin::new(
        row_inputs(),
        JoinType::FullOuter,
        reservation.allocate_pages(8).unwrap(),
        Arc::clone(io),
    )
    .unwrap();
    join.build_all(ok_rows(&right)).unwrap();
    let mut ignore = |_: Option<&Row>, _: Option<&Row>| Ok(());
    join.probe_all(ok_rows(&left[..1000]), &mut ignore).unwrap();
    assert!(spill_files(io) > 0);
    assert_eq!(join.into_pages().len(), 8);
    assert_eq!(spill_files(io), 0);
    let _: &IoManager = io;
}
