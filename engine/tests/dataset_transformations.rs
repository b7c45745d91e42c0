//! DataSet transformations end to end on the local executor, against simple oracles: the
//! record functions, grouping (reduce, aggregate, count, group-reduce, sorted groups, first-n,
//! combine), distinct, union, partitionings, sort-partition and global first-n, at parallelism
//! 1 to 3 with budgets small enough that sorts, hash tables and exchanges spill.

mod dataset_support;

use std::collections::{BTreeMap, BTreeSet};

use dataset_support::{TestEnv, sorted};
use proptest::prelude::*;
use weir::api::{Aggregation, Group, Order, Output};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    }
}

fn pairs() -> impl Strategy<Value = Vec<(u32, i64)>> {
    prop_oneof![
        prop::collection::vec((0u32..50, -1000i64..1000), 0..3000),
        prop::collection::vec((0u32..5000, -1000i64..1000), 0..3000),
        // A hot key holding about half the input.
        prop::collection::vec((prop_oneof![Just(7u32), 0u32..100], -10i64..10), 0..3000),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn reduce_aggregate_and_count_match_a_map(input in pairs(), parallelism in 1usize..=3) {
        let test = TestEnv::new(parallelism, "1m", &[]);
        let data = test.env.from_collection(input.clone()).rebalance();
        let sums = sorted(&data.group_by(|p: &(u32, i64)| p.0).reduce(|a, b| (a.0, a.1 + b.1)).collect().unwrap());
        let mins = sorted(&data.group_by(|p: &(u32, i64)| p.0).aggregate(Aggregation::Min, 1).collect().unwrap());
        let counts = sorted(&data.group_by(|p: &(u32, i64)| p.0).count().collect().unwrap());
        let mut oracle_sum = BTreeMap::new();
        let mut oracle_min = BTreeMap::new();
        let mut oracle_count = BTreeMap::new();
        for &(k, v) in &input {
            *oracle_sum.entry(k).or_insert(0) += v;
            let min = oracle_min.entry(k).or_insert(v);
            *min = (*min).min(v);
            *oracle_count.entry(k).or_insert(0u64) += 1;
        }
        prop_assert_eq!(sums, oracle_sum.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(mins, oracle_min.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(counts, oracle_count.into_iter().collect::<Vec<_>>());
        test.assert_no_spill_files();
    }

    #[test]
    fn group_reduce_sees_whole_groups_and_sorted_groups_are_ordered(input in pairs(), parallelism in 1usize..=3) {
        let test = TestEnv::new(parallelism, "1m", &[]);
        let data = test.env.from_collection(input.clone());
        let sizes = data
            .group_by(|p: &(u32, i64)| p.0)
            .reduce_group(|group: &mut Group<'_, (u32, i64)>, out: &mut Output<'_, (u32, u64)>| {
                let mut key = None;
                let mut size = 0;
                for (k, _) in group {
                    key = Some(k);
                    size += 1;
                }
                out.emit((key.unwrap(), size));
            })
            .collect()
            .unwrap();
        let firsts = data
            .group_by(|p: &(u32, i64)| p.0)
            .sort_group(|p: &(u32, i64)| p.1, Order::Descending)
            .first(2)
            .collect()
            .unwrap();
        let mut groups: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
        for &(k, v) in &input {
            groups.entry(k).or_default().push(v);
        }
        let oracle_sizes: Vec<(u32, u64)> = groups.iter().map(|(k, v)| (*k, v.len() as u64)).collect();
        prop_assert_eq!(sorted(&sizes), oracle_sizes);
        let mut oracle_firsts = Vec::new();
        for (k, mut values) in groups {
            values.sort_by(|a, b| b.cmp(a));
            oracle_firsts.extend(values.into_iter().take(2).map(|v| (k, v)));
        }
        prop_assert_eq!(sorted(&firsts), sorted(&oracle_firsts));
        test.assert_no_spill_files();
    }

    #[test]
    fn distinct_union_and_record_functions(input in pairs(), other in pairs(), parallelism in 1usize..=3) {
        let test = TestEnv::new(parallelism, "1m", &[]);
        let a = test.env.from_collection(input.clone());
        let b = test.env.from_collection(other.clone());
        let result = a
            .union(&b)
            .filter(|p: &(u32, i64)| p.1 % 3 != 0)
            .flat_map(|p: (u32, i64), out: &mut Output<'_, (u32, i64)>| {
                out.emit(p);
                out.emit((p.0, p.1 * 2));
            })
            .map(|p: (u32, i64)| (p.0 % 17, p.1.signum()))
            .distinct()
            .collect()
            .unwrap();
        let oracle: BTreeSet<(u32, i64)> = input
            .iter()
            .chain(other.iter())
            .filter(|p| p.1 % 3 != 0)
            .flat_map(|&p| [p, (p.0, p.1 * 2)])
            .map(|p| (p.0 % 17, p.1.signum()))
            .collect();
        prop_assert_eq!(sorted(&result), oracle.into_iter().collect::<Vec<_>>());
        test.assert_no_spill_files();
    }

    #[test]
    fn range_partition_and_sort_partition_give_a_global_order(keys in prop::collection::vec(any::<u64>(), 0..4000), parallelism in 1usize..=3) {
        let test = TestEnv::new(parallelism, "1m", &[]);
        let sorted_keys = test
            .env
            .from_collection(keys.clone())
            .rebalance()
            .partition_by_range(|k: &u64| *k)
            .sort_partition(|k: &u64| *k, Order::Ascending)
            .collect()
            .unwrap();
        let mut oracle = keys.clone();
        oracle.sort_unstable();
        prop_assert_eq!(sorted_keys, oracle);
        test.assert_no_spill_files();
    }
}

#[test]
fn sequences_generators_and_counts() {
    let test = TestEnv::new(3, "1m", &[]);
    let env = &test.env;
    assert_eq!(env.generate_sequence(1, 10_000).count().unwrap(), 10_000);
    let sum: u64 = env
        .generate_sequence(1, 100)
        .collect()
        .unwrap()
        .iter()
        .sum();
    assert_eq!(sum, 5050);
    let generated = env
        .generate(1000, 42, |i, random| (i, random.below(10)))
        .collect()
        .unwrap();
    let again = env
        .generate(1000, 42, |i, random| (i, random.below(10)))
        .collect()
        .unwrap();
    assert_eq!(sorted(&generated), sorted(&again));
    assert_eq!(generated.len(), 1000);
}

#[test]
fn first_n_partitionings_and_map_partition() {
    let test = TestEnv::new(3, "1m", &[]);
    let env = &test.env;
    let numbers = env.generate_sequence(0, 9_999);
    assert_eq!(numbers.first(25).count().unwrap(), 25);
    let hashed = numbers
        .partition_by_hash(|n: &u64| n % 10)
        .map_partition(|values: &mut Group<'_, u64>, out: &mut Output<'_, u64>| {
            let residues: BTreeSet<u64> = values.map(|n| n % 10).collect();
            for residue in residues {
                out.emit(residue);
            }
        })
        .collect()
        .unwrap();
    // Each residue lives in exactly one partition.
    assert_eq!(sorted(&hashed), (0..10).collect::<Vec<_>>());
    let custom = numbers
        .partition_custom(|n: &u64| *n, |n: &u64, parts: usize| (*n as usize) % parts)
        .map_partition(
            |values: &mut Group<'_, u64>, out: &mut Output<'_, (u64, u64)>| {
                let all: Vec<u64> = values.collect();
                let residue = all.first().map_or(0, |n| n % 3);
                assert!(all.iter().all(|n| n % 3 == residue));
                out.emit((residue, all.len() as u64));
            },
        )
        .collect()
        .unwrap();
    assert_eq!(custom.iter().map(|c| c.1).sum::<u64>(), 10_000);
    let combined = numbers
        .map(|n: u64| (n % 4, 1u64))
        .group_by(|p: &(u64, u64)| p.0)
        .combine_group(
            |group: &mut Group<'_, (u64, u64)>, out: &mut Output<'_, (u64, u64)>| {
                let mut key = 0;
                let mut total = 0;
                for (k, c) in group {
                    key = k;
                    total += c;
                }
                out.emit((key, total));
            },
        )
        .group_by(|p: &(u64, u64)| p.0)
        .sum(1)
        .collect()
        .unwrap();
    assert_eq!(
        sorted(&combined),
        vec![(0, 2500), (1, 2500), (2, 2500), (3, 2500)]
    );
    test.assert_no_spill_files();
}

#[test]
fn pipelined_exchanges_give_the_same_results_as_blocking_ones() {
    let blocking = TestEnv::new(3, "2m", &[]);
    let pipelined = TestEnv::new(
        3,
        "2m",
        &[("execution.batch-shuffle-mode", "ALL_EXCHANGES_PIPELINED")],
    );
    let mut results = Vec::new();
    for test in [&blocking, &pipelined] {
        let numbers = test
            .env
            .generate_sequence(0, 24_999)
            .union(&test.env.generate_sequence(25_000, 49_999));
        let sums = numbers
            .map(|n: u64| (n % 1000, n))
            .group_by(|p: &(u64, u64)| p.0)
            .reduce(|a, b| (a.0, a.1 + b.1));
        let joined = sums
            .join(
                &numbers.filter(|n: &u64| n.is_multiple_of(7)),
                |p: &(u64, u64)| p.0,
                |n: &u64| *n,
            )
            .with(|p, n| (p.0, p.1, *n))
            .partition_by_range(|t: &(u64, u64, u64)| t.0)
            .sort_partition(|t: &(u64, u64, u64)| t.0, Order::Ascending)
            .collect()
            .unwrap();
        results.push(joined);
        test.assert_no_spill_files();
    }
    assert_eq!(results[0], results[1]);
    let expected: Vec<(u64, u64, u64)> = (0..1000u64)
        .filter(|k| k % 7 == 0)
        .map(|k| (k, (0..50u64).map(|i| i * 1000 + k).sum(), k))
        .collect();
    assert_eq!(results[0], expected);
}
