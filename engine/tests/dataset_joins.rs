//! Joins, co-group and cross end to end against nested-loop oracles: every join type with every
//! hint (and the optimizer's choice), with duplicate keys, a hot key, empty sides and budgets
//! that force the hash join to spill, at parallelism 1 to 3.

mod dataset_support;

use std::collections::BTreeMap;

use dataset_support::{TestEnv, sorted};
use proptest::prelude::*;
use weir::api::{Group, JoinHint, Output};

type Left = (u32, u64);
type Right = (u32, String);
type Joined = (Option<u64>, Option<String>);

fn side<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = Vec<(u32, T)>> {
    prop_oneof![
        prop::collection::vec((0u32..40, value.clone()), 0..400),
        prop::collection::vec((prop_oneof![Just(3u32), 0u32..400], value), 0..400),
    ]
}

fn oracle(left: &[Left], right: &[Right], keep_left: bool, keep_right: bool) -> Vec<Joined> {
    let mut out = Vec::new();
    let mut right_matched = vec![false; right.len()];
    for l in left {
        let mut matched = false;
        for (index, r) in right.iter().enumerate() {
            if l.0 == r.0 {
                matched = true;
                right_matched[index] = true;
                out.push((Some(l.1), Some(r.1.clone())));
            }
        }
        if !matched && keep_left {
            out.push((Some(l.1), None));
        }
    }
    if keep_right {
        for (index, r) in right.iter().enumerate() {
            if !right_matched[index] {
                out.push((None, Some(r.1.clone())));
            }
        }
    }
    sorted(&out)
}

const HINTS: [JoinHint; 6] = [
    JoinHint::OptimizerChooses,
    JoinHint::BroadcastHashFirst,
    JoinHint::BroadcastHashSecond,
    JoinHint::RepartitionHashFirst,
    JoinHint::RepartitionHashSecond,
    JoinHint::RepartitionSortMerge,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn every_join_type_and_hint_matches_the_oracle(
        left in side(0u64..1_000_000),
        right in side("[a-z]{0,40}"),
        parallelism in 1usize..=3,
    ) {
        let test = TestEnv::new(parallelism, "512k", &[]);
        let l = test.env.from_collection(left.clone()).rebalance();
        let r = test.env.from_collection(right.clone()).rebalance();
        for hint in HINTS {
            let inner = l
                .join(&r, |a: &Left| a.0, |b: &Right| b.0)
                .hint(hint)
                .with(|a, b| (Some(a.1), Some(b.1.clone())))
                .collect()
                .unwrap();
            prop_assert_eq!(sorted(&inner), oracle(&left, &right, false, false), "inner {:?}", hint);
            if !matches!(hint, JoinHint::BroadcastHashSecond) {
                let right_outer = l
                    .right_outer_join(&r, |a: &Left| a.0, |b: &Right| b.0)
                    .hint(hint)
                    .with_outer(|a, b| (a.map(|a| a.1), b.map(|b| b.1.clone())))
                    .collect()
                    .unwrap();
                prop_assert_eq!(sorted(&right_outer), oracle(&left, &right, false, true), "right {:?}", hint);
            }
            if !matches!(hint, JoinHint::BroadcastHashFirst) {
                let left_outer = l
                    .left_outer_join(&r, |a: &Left| a.0, |b: &Right| b.0)
                    .hint(hint)
                    .with_outer(|a, b| (a.map(|a| a.1), b.map(|b| b.1.clone())))
                    .collect()
                    .unwrap();
                prop_assert_eq!(sorted(&left_outer), oracle(&left, &right, true, false), "left {:?}", hint);
            }
            if !matches!(hint, JoinHint::BroadcastHashFirst | JoinHint::BroadcastHashSecond) {
                let full = l
                    .full_outer_join(&r, |a: &Left| a.0, |b: &Right| b.0)
                    .hint(hint)
                    .with_outer(|a, b| (a.map(|a| a.1), b.map(|b| b.1.clone())))
                    .collect()
                    .unwrap();
                prop_assert_eq!(sorted(&full), oracle(&left, &right, true, true), "full {:?}", hint);
            }
        }
        test.assert_no_spill_files();
    }

    #[test]
    fn co_group_sees_both_groups_of_every_key(left in side(0u64..100), right in side("[a-c]{1,3}"), parallelism in 1usize..=3) {
        let test = TestEnv::new(parallelism, "512k", &[]);
        let l = test.env.from_collection(left.clone());
        let r = test.env.from_collection(right.clone());
        let groups = l
            .co_group(&r, |a: &Left| a.0, |b: &Right| b.0,
                |a: &mut Group<'_, Left>, b: &mut Group<'_, Right>, out: &mut Output<'_, (u32, u64, u64)>| {
                    let lefts: Vec<Left> = a.collect();
                    let rights: Vec<Right> = b.collect();
                    let key = lefts.first().map(|x| x.0).or(rights.first().map(|x| x.0)).unwrap();
                    out.emit((key, lefts.len() as u64, rights.len() as u64));
                })
            .collect()
            .unwrap();
        let mut oracle: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
        for (k, _) in &left {
            oracle.entry(*k).or_default().0 += 1;
        }
        for (k, _) in &right {
            oracle.entry(*k).or_default().1 += 1;
        }
        let oracle: Vec<(u32, u64, u64)> = oracle.into_iter().map(|(k, (a, b))| (k, a, b)).collect();
        prop_assert_eq!(sorted(&groups), oracle);
        test.assert_no_spill_files();
    }
}

#[test]
fn cross_gives_every_pair() {
    let test = TestEnv::new(2, "512k", &[]);
    let a = test.env.generate_sequence(0, 2999);
    let b = test
        .env
        .from_collection(vec!["x".to_owned(), "y".to_owned(), "z".to_owned()]);
    let pairs = a
        .cross(&b, |n: &u64, s: &String| (*n, s.clone()))
        .collect()
        .unwrap();
    let mut oracle = Vec::new();
    for n in 0..3000u64 {
        for s in ["x", "y", "z"] {
            oracle.push((n, s.to_owned()));
        }
    }
    assert_eq!(sorted(&pairs), sorted(&oracle));
    test.assert_no_spill_files();
}
