//! Shared by the join tests: generated rows, a nested-loop oracle, the schema and the output
//! collector (pages and spill directory: `operator_support`).

#![allow(dead_code)]

use proptest::prelude::*;
use weir::operators::join::{JoinInputs, JoinSchema, JoinType};
use weir::operators::metrics::OperatorMetrics;
use weir::types::{DefaultComparator, DefaultSerializer, IntComparator, OptionComparator};

/// A row: join key, id (unique per side), payload.
pub type Row = (Option<u16>, u32, Vec<u8>);
/// One output row as the ids of its left and right rows.
pub type IdPair = (Option<u32>, Option<u32>);

/// The page size of the tests: small, so that records straddle and exceed pages.
pub const PAGE_BYTES: usize = 4096;

/// How keys are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Uniform over `0..domain` (a small domain gives many duplicates).
    Uniform(u16),
    /// Half the rows have key 7, the rest uniform over `0..domain`.
    HotKey(u16),
    /// Every key is `None`.
    AllNone,
    /// A tenth `None`, the rest uniform over `0..domain`.
    SomeNone(u16),
}

/// How payload lengths are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payloads {
    /// 1 to 40 bytes.
    Small,
    /// Mostly small, one in 20 from one to three pages.
    Mixed,
}

/// SplitMix64.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

/// `count` rows with ids from `first_id`.
pub fn rows(seed: u64, count: usize, keys: Keys, payloads: Payloads, first_id: u32) -> Vec<Row> {
    let mut random = Random::new(seed);
    (0..count)
        .map(|i| {
            let key = match keys {
                Keys::Uniform(domain) => Some(random.below(domain as u64) as u16),
                Keys::HotKey(domain) => {
                    if random.below(2) == 0 {
                        Some(7)
                    } else {
                        Some(random.below(domain as u64) as u16)
                    }
                }
                Keys::AllNone => None,
                Keys::SomeNone(domain) => {
                    if random.below(10) == 0 {
                        None
                    } else {
                        Some(random.below(domain as u64) as u16)
                    }
                }
            };
            let length = match payloads {
                Payloads::Small => 1 + random.below(40) as usize,
                Payloads::Mixed if random.below(20) == 0 => {
                    PAGE_BYTES + random.below(2 * PAGE_BYTES as u64) as usize
                }
                Payloads::Mixed => 1 + random.below(40) as usize,
            };
            let id = first_id + i as u32;
            (key, id, vec![id as u8; length])
        })
        .collect()
}

/// The join by nested loops over the rows, as sorted id pairs.
pub fn nested_loop_join(left: &[Row], right: &[Row], join_type: JoinType) -> Vec<IdPair> {
    let mut out = Vec::new();
    let mut right_matched = vec![false; right.len()];
    for l in left {
        let mut matched = false;
        for (j, r) in right.iter().enumerate() {
            if l.0 == r.0 {
                matched = true;
                right_matched[j] = true;
                out.push((Some(l.1), Some(r.1)));
            }
        }
        if !matched && join_type.emits_unmatched_left() {
            out.push((Some(l.1), None));
        }
    }
    if join_type.emits_unmatched_right() {
        for (r, matched) in right.iter().zip(right_matched) {
            if !matched {
                out.push((None, Some(r.1)));
            }
        }
    }
    out.sort();
    out
}

/// The same join as [`nested_loop_join`], with the right rows grouped by key first: for
/// inputs too large for the nested loop in a debug test.
pub fn grouped_join(left: &[Row], right: &[Row], join_type: JoinType) -> Vec<IdPair> {
    let mut groups: std::collections::HashMap<Option<u16>, Vec<usize>> = Default::default();
    for (j, r) in right.iter().enumerate() {
        groups.entry(r.0).or_default().push(j);
    }
    let mut out = Vec::new();
    let mut right_matched = vec![false; right.len()];
    for l in left {
        match groups.get(&l.0) {
            Some(group) => {
                for &j in group {
                    right_matched[j] = true;
                    out.push((Some(l.1), Some(right[j].1)));
                }
            }
            None if join_type.emits_unmatched_left() => out.push((Some(l.1), None)),
            None => {}
        }
    }
    if join_type.emits_unmatched_right() {
        for (r, matched) in right.iter().zip(right_matched) {
            if !matched {
                out.push((None, Some(r.1)));
            }
        }
    }
    out.sort();
    out
}

/// The schema of the tests: rows on both sides, joined on their `Option<u16>` key.
pub fn row_inputs() -> impl JoinSchema<
    LeftSerializer = <Row as DefaultSerializer>::Serializer,
    RightSerializer = <Row as DefaultSerializer>::Serializer,
    KeyComparator = OptionComparator<IntComparator<u16>>,
> + Clone {
    JoinInputs::new(
        Row::serializer(),
        Row::serializer(),
        <Option<u16>>::comparator(),
        |row: &Row| row.0,
        |row: &Row| row.0,
    )
}

/// Collects output rows as id pairs, checking that every emitted row is what it claims.
pub fn collector(
    out: &mut Vec<IdPair>,
) -> impl FnMut(Option<&Row>, Option<&Row>) -> Result<(), weir::WeirError> + '_ {
    |l, r| {
        if let (Some(l), Some(r)) = (l, r) {
            assert_eq!(l.0, r.0, "joined rows have equal keys");
        }
        for row in l.iter().chain(r.iter()) {
            assert!(row.2.iter().all(|&b| b == row.1 as u8), "payload intact");
        }
        out.push((l.map(|row| row.1), r.map(|row| row.1)));
        Ok(())
    }
}

/// What every finished join must show: no spill file left, every one of its `pages` back, at
/// most that many used at the peak, and metrics that count `inputs` records in and the output
/// out. Returns the output sorted, for comparing with an oracle.
pub fn check_finished_join(
    spill_files_left: usize,
    pages_back: usize,
    pages: usize,
    metrics: &OperatorMetrics,
    inputs: usize,
    mut out: Vec<IdPair>,
) -> Vec<IdPair> {
    assert_eq!(
        spill_files_left, 0,
        "every spill file is gone after the join"
    );
    assert_eq!(pages_back, pages, "every page comes back");
    assert!(metrics.peak_pages_used <= pages);
    assert_eq!(metrics.records_in, inputs as u64);
    assert_eq!(metrics.records_out, out.len() as u64);
    out.sort();
    out
}

/// Key distributions for property tests: many and few distinct keys, one hot key holding
/// about half the rows, all `None`, some `None`.
pub fn keys_strategy() -> impl Strategy<Value = Keys> {
    prop_oneof![
        (1u16..2000).prop_map(Keys::Uniform),
        (1u16..8).prop_map(Keys::Uniform),
        (1u16..500).prop_map(Keys::HotKey),
        Just(Keys::AllNone),
        (1u16..300).prop_map(Keys::SomeNone),
    ]
}

/// Rows as the `Result` items an operator's input iterator yields.
pub fn ok_rows(rows: &[Row]) -> impl Iterator<Item = Result<Row, weir::WeirError>> + '_ {
    rows.iter().cloned().map(Ok)
}
