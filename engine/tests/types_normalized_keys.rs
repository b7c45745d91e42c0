//! Normalized keys agree with the full comparison for random values, at prefix lengths from 0
//! bytes to past the full key, ascending and descending: `compare(a, b) == Less` ⇒
//! `key(a) <= key(b)`, equal values have equal keys and hashes, and complete keys decide alone.

mod types_support;

use std::cmp::Ordering;

use proptest::prelude::*;
use types_support::{check_both_orders, check_comparator, key};
use weir::types::{
    BoolComparator, BytesComparator, ComputedKeyComparator, DefaultComparator,
    FixedBytesComparator, FloatComparator, IntComparator, KeyedComparator, OptionComparator, Order,
    StringComparator, TypeComparator,
};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ab\u{0}]{0,20}",
        1 => "[a\u{0}é\u{10ffff}]{0,6}",
        1 => any::<String>(),
    ]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::collection::vec(prop::sample::select(vec![0u8, 1, 0xff]), 0..20),
        1 => proptest::collection::vec(any::<u8>(), 0..24),
    ]
}

fn float64() -> impl Strategy<Value = f64> {
    prop_oneof![
        2 => any::<u64>().prop_map(f64::from_bits),
        1 => (1u64..1 << 52).prop_map(|bits| f64::from_bits(bits | (bits & 1) << 63)),
        2 => prop::sample::select(vec![
            0.0, -0.0, f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY,
            f64::MIN_POSITIVE, -f64::MIN_POSITIVE, 1.0, -1.0, f64::MAX, f64::MIN, 5e-324, -5e-324,
        ]),
    ]
}

fn float32() -> impl Strategy<Value = f32> {
    prop_oneof![
        2 => any::<u32>().prop_map(f32::from_bits),
        1 => prop::sample::select(vec![
            0.0, -0.0, f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e-45, -1e-45,
        ]),
    ]
}

/// Small integers (many ties and neighbours) mixed with any.
macro_rules! int_checks {
    ($($name:ident: $ty:ty;)*) => {$(
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(24))]
            #[test]
            fn $name(values in proptest::collection::vec(
                prop_oneof![any::<$ty>(), (0 as $ty)..(3 as $ty), Just(<$ty>::MIN), Just(<$ty>::MAX)],
                0..24,
            )) {
                check_both_orders(IntComparator::<$ty>::new(), &values);
                // Complete: the full key orders exactly like the numbers.
                for a in &values {
                    for b in &values {
                        let width = size_of::<$ty>();
                        let comparator = IntComparator::<$ty>::new();
                        prop_assert_eq!(key(&comparator, a, width).cmp(&key(&comparator, b, width)), a.cmp(b));
                    }
                }
            }
        }
    )*};
}

int_checks! {
    u8_keys: u8;
    u16_keys: u16;
    u32_keys: u32;
    u64_keys: u64;
    u128_keys: u128;
    i8_keys: i8;
    i16_keys: i16;
    i32_keys: i32;
    i64_keys: i64;
    i128_keys: i128;
}

type Mixed = (i32, String, Option<f64>, bool);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn float_keys(doubles in proptest::collection::vec(float64(), 0..30),
                  singles in proptest::collection::vec(float32(), 0..30)) {
        check_both_orders(FloatComparator::<f64>::new(), &doubles);
        check_both_orders(FloatComparator::<f32>::new(), &singles);
        // Agrees with total_cmp on everything but NaN sign and payload (all NaNs are equal).
        let comparator = FloatComparator::<f64>::new();
        for a in doubles.iter().filter(|v| !v.is_nan()) {
            for b in doubles.iter().filter(|v| !v.is_nan()) {
                prop_assert_eq!(comparator.compare(a, b), a.total_cmp(b));
            }
            prop_assert_eq!(comparator.compare(a, &f64::NAN), Ordering::Less);
        }
    }

    #[test]
    fn bool_keys(values in proptest::collection::vec(any::<bool>(), 0..8)) {
        check_both_orders(BoolComparator, &values);
    }

    #[test]
    fn string_keys(values in proptest::collection::vec(text(), 0..24), key_len in 0usize..20) {
        check_both_orders(StringComparator::new(), &values);
        check_both_orders(StringComparator::with_key_len(key_len), &values);
        let comparator = StringComparator::new();
        for a in &values {
            for b in &values {
                prop_assert_eq!(comparator.compare(a, b), a.cmp(b));
            }
        }
    }

    #[test]
    fn byte_array_keys(values in proptest::collection::vec(bytes(), 0..24), key_len in 0usize..20) {
        check_both_orders(BytesComparator::new(), &values);
        check_both_orders(BytesComparator::with_key_len(key_len), &values);
    }

    #[test]
    fn fixed_byte_array_keys(values in proptest::collection::vec(
        prop_oneof![any::<[u8; 10]>(), any::<u8>().prop_map(|b| [b; 10]), Just([0; 10])], 0..24)
    ) {
        check_both_orders(FixedBytesComparator::<10>::new(), &values);
        check_both_orders(FixedBytesComparator::<10>::with_key_len(4), &values);
    }

    #[test]
    fn option_keys(ints in proptest::collection::vec(proptest::option::of(-3i16..3), 0..16),
                   strings in proptest::collection::vec(proptest::option::of(text()), 0..16),
                   floats in proptest::collection::vec(proptest::option::of(float64()), 0..16)) {
        check_both_orders(<Option<i16>>::comparator(), &ints);
        check_both_orders(OptionComparator(StringComparator::with_key_len(5)), &strings);
        check_both_orders(OptionComparator(FloatComparator::<f64>::new().descending()), &floats);
        let comparator = <Option<i16>>::comparator();
        for a in &ints {
            for b in &ints {
                prop_assert_eq!(comparator.compare(a, b), a.cmp(b));
            }
        }
    }

    #[test]
    fn tuple_keys_with_mixed_directions(
        values in proptest::collection::vec(
            (-2i32..2, text(), proptest::option::of(float64()), any::<bool>()), 0..24),
        orders in proptest::collection::vec(prop::sample::select(vec![Order::Ascending, Order::Descending]), 4),
    ) {
        let comparator = (
            IntComparator::<i32>::new().with_order(orders[0]),
            StringComparator::with_key_len(3).with_order(orders[1]),
            OptionComparator(FloatComparator::<f64>::new()).with_order(orders[2]),
            BoolComparator.with_order(orders[3]),
        );
        check_both_orders(comparator.clone(), &values);
        // The tuple order is the field orders applied lexicographically.
        let oracle = |a: &Mixed, b: &Mixed| {
            orders[0].apply(a.0.cmp(&b.0))
                .then(orders[1].apply(a.1.cmp(&b.1)))
                .then(orders[2].apply(OptionComparator(FloatComparator::<f64>::new()).compare(&a.2, &b.2)))
                .then(orders[3].apply(a.3.cmp(&b.3)))
        };
        for a in &values {
            for b in &values {
                prop_assert_eq!(comparator.compare(a, b), oracle(a, b));
            }
        }
    }

    #[test]
    fn complete_tuple_keys(values in proptest::collection::vec(
        (-2i64..2, any::<Option<u8>>(), float64(), any::<[u8; 2]>(), -1i8..1, any::<bool>(), 0u16..3, any::<u32>()),
        0..24,
    )) {
        let comparator = (
            IntComparator::<i64>::new(),
            <Option<u8>>::comparator().descending(),
            FloatComparator::<f64>::new(),
            FixedBytesComparator::<2>::new().descending(),
            IntComparator::<i8>::new(),
            BoolComparator.descending(),
            IntComparator::<u16>::new(),
            IntComparator::<u32>::new().descending(),
        );
        prop_assert!(comparator.normalized_key_is_complete());
        prop_assert_eq!(comparator.normalized_key_len(), 8 + 2 + 8 + 2 + 1 + 1 + 2 + 4);
        check_both_orders(comparator, &values);
    }

    #[test]
    fn keyed_and_chained_record_keys(values in proptest::collection::vec(
        (text(), -3i64..3, any::<u32>()).prop_map(|(name, amount, id)| Record { name, amount, id }),
        0..24,
    )) {
        check_both_orders(KeyedComparator::new(|r: &Record| &r.name, StringComparator::with_key_len(4)), &values);
        let chained = KeyedComparator::new(|r: &Record| &r.amount, IntComparator::<i64>::new())
            .then(KeyedComparator::new(|r: &Record| &r.name, StringComparator::with_key_len(2)).descending())
            .then(KeyedComparator::new(|r: &Record| &r.id, IntComparator::<u32>::new()));
        check_both_orders(chained, &values);
        let computed = ComputedKeyComparator::new(
            |r: &Record| (r.amount, r.id),
            <(i64, u32)>::comparator(),
        );
        prop_assert!(computed.normalized_key_is_complete());
        check_both_orders(computed, &values);
    }
}

#[derive(Debug, Clone)]
struct Record {
    name: String,
    amount: i64,
    id: u32,
}

#[test]
fn strings_with_embedded_zeros_tie_on_the_key_and_compare_decides() {
    let comparator = StringComparator::with_key_len(4);
    let short = "ab".to_string();
    let zero = "ab\0".to_string();
    let longer = "ab\0\0x".to_string();
    assert_eq!(key(&comparator, &short, 4), key(&comparator, &zero, 4));
    assert_eq!(key(&comparator, &zero, 4), key(&comparator, &longer, 4));
    assert_eq!(comparator.compare(&short, &zero), Ordering::Less);
    assert_eq!(comparator.compare(&zero, &longer), Ordering::Less);
    assert!(!comparator.normalized_key_is_complete());
    check_comparator(
        &comparator,
        &[short, zero, longer, "a".into(), "abc".into()],
    );
}

#[test]
fn float_keys_order_every_special_value() {
    let ordered = [
        f64::NEG_INFINITY,
        f64::MIN,
        -1.0,
        -f64::MIN_POSITIVE,
        -5e-324,
        -0.0,
        0.0,
        5e-324,
        f64::MIN_POSITIVE,
        1.0,
        f64::MAX,
        f64::INFINITY,
        f64::NAN,
    ];
    let comparator = FloatComparator::<f64>::new();
    let keys: Vec<Vec<u8>> = ordered.iter().map(|v| key(&comparator, v, 8)).collect();
    assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "{keys:02x?}");
    assert_eq!(
        key(&comparator, &-0.0, 8),
        [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(key(&comparator, &0.0, 8), [0x80, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        key(&comparator, &f64::NAN, 8),
        key(&comparator, &-f64::NAN, 8)
    );
    check_both_orders(comparator, &ordered);
}

#[test]
fn descending_keys_are_the_complement() {
    let comparator = IntComparator::<i32>::new();
    for value in [i32::MIN, -1, 0, 7, i32::MAX] {
        let ascending = key(&comparator, &value, 4);
        let descending = key(&comparator.descending(), &value, 4);
        assert!(ascending.iter().zip(&descending).all(|(a, d)| *a == !*d));
    }
}

/// Hashes are part of the on-the-wire contract (partitioning must agree across processes and
/// releases), so their values are pinned.
#[test]
fn hashes_are_stable_xxh3_values() {
    let pinned = [
        IntComparator::<i64>::new().hash(&42, 0),
        IntComparator::<u32>::new().hash(&42, 7),
        StringComparator::new().hash(&"weir".to_string(), 0),
        <(i64, String)>::comparator().hash(&(1, "a".to_string()), 0),
        <Option<i64>>::comparator().hash(&None, 0),
        FloatComparator::<f64>::new().hash(&-f64::NAN, 0),
    ];
    let expected = [
        xxh3(&42i64.to_le_bytes(), 0),
        xxh3(&42u32.to_le_bytes(), 7),
        xxh3(b"weir", 0),
        xxh3(b"a", xxh3(&1i64.to_le_bytes(), 0)),
        xxh3(b"", 0),
        xxh3(&0x7ff8_0000_0000_0000u64.to_le_bytes(), 0),
    ];
    assert_eq!(pinned, expected);
    assert_eq!(pinned, PINNED);
}

fn xxh3(bytes: &[u8], seed: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(bytes, seed)
}

/// `xxh3_64_with_seed` results; the fifth is XXH3's published value for empty input, seed 0.
const PINNED: [u64; 6] = [
    0xd5a6_f8c8_38df_27c8,
    0x920d_b9c1_bd0e_5560,
    0x0983_1dc7_4181_7118,
    0xb75e_6b65_6538_4fa1,
    0x2d06_8005_38d3_94c2,
    0x0aa6_1dcf_a381_c167,
];
