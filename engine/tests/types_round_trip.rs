//! Every built-in serializer and serde records read back what was written, over 4 KiB pages,
//! with values starting at random offsets so that they straddle page boundaries.

mod types_support;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use types_support::{PAGE_BYTES, round_trip, round_trip_by, serialized_bytes};
use weir::types::{
    BoolSerializer, BytesSerializer, DefaultSerializer, FixedBytesSerializer, FloatSerializer,
    IntSerializer, OptionSerializer, SerdeSerializer, StringSerializer, TypeSerializer,
    VarIntSerializer,
};

fn lead() -> impl Strategy<Value = usize> {
    prop_oneof![0..PAGE_BYTES, (PAGE_BYTES - 20)..PAGE_BYTES]
}

/// Strings with embedded zero bytes, shared prefixes, multi-byte characters and a few long ones.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ab\u{0}é]{0,12}",
        2 => any::<String>(),
        1 => "[x]{3000,9000}",
    ]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(0u8..3, 0..12),
        2 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => proptest::collection::vec(any::<u8>(), 4000..9000),
    ]
}

/// Any bit pattern, and the special values.
fn float64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        (1u64..1 << 52).prop_map(f64::from_bits),
        prop::sample::select(vec![
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
        ]),
    ]
}

fn float32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        (1u32..1 << 23).prop_map(f32::from_bits),
        prop::sample::select(vec![0.0, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY]),
    ]
}

macro_rules! int_round_trips {
    ($($name:ident: $ty:ty;)*) => {$(
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]
            #[test]
            fn $name(lead in lead(), values in proptest::collection::vec(any::<$ty>(), 0..40)) {
                round_trip(&IntSerializer::<$ty>::new(), lead, &values);
            }
        }
    )*};
}

int_round_trips! {
    u8_round_trips: u8;
    u16_round_trips: u16;
    u32_round_trips: u32;
    u64_round_trips: u64;
    u128_round_trips: u128;
    i8_round_trips: i8;
    i16_round_trips: i16;
    i32_round_trips: i32;
    i64_round_trips: i64;
    i128_round_trips: i128;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Event {
    Login,
    Purchase { cents: u64, currency: [u8; 3] },
    Note(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserRecord {
    id: u64,
    name: String,
    age: Option<u8>,
    score: i32,
    ratio: f32,
    payload: Vec<u8>,
    events: Vec<Event>,
    flags: (bool, char),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Login),
        (any::<u64>(), any::<[u8; 3]>())
            .prop_map(|(cents, currency)| Event::Purchase { cents, currency }),
        text().prop_map(Event::Note),
    ]
}

fn user_record() -> impl Strategy<Value = UserRecord> {
    (
        any::<u64>(),
        text(),
        any::<Option<u8>>(),
        any::<i32>(),
        -1e6f32..1e6,
        bytes(),
        proptest::collection::vec(event(), 0..4),
        any::<(bool, char)>(),
    )
        .prop_map(
            |(id, name, age, score, ratio, payload, events, flags)| UserRecord {
                id,
                name,
                age,
                score,
                ratio,
                payload,
                events,
                flags,
            },
        )
}

type Wide = (i32, String, Option<u8>, bool, f64, [u8; 3], Vec<u8>, i64);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn varints_round_trip(
        lead in lead(),
        unsigned in proptest::collection::vec(any::<u64>(), 0..30),
        signed in proptest::collection::vec(any::<i32>(), 0..30),
    ) {
        round_trip(&VarIntSerializer::<u64>::new(), lead, &unsigned);
        round_trip(&VarIntSerializer::<i32>::new(), lead, &signed);
    }

    #[test]
    fn floats_round_trip_bit_for_bit(
        lead in lead(),
        doubles in proptest::collection::vec(float64(), 0..40),
        singles in proptest::collection::vec(float32(), 0..40),
    ) {
        round_trip_by(&FloatSerializer::<f64>::new(), lead, &doubles, |a, b| a.to_bits() == b.to_bits());
        round_trip_by(&FloatSerializer::<f32>::new(), lead, &singles, |a, b| a.to_bits() == b.to_bits());
    }

    #[test]
    fn bools_round_trip(lead in lead(), values in proptest::collection::vec(any::<bool>(), 0..40)) {
        round_trip(&BoolSerializer, lead, &values);
    }

    #[test]
    fn strings_round_trip(lead in lead(), values in proptest::collection::vec(text(), 0..12)) {
        round_trip(&StringSerializer, lead, &values);
    }

    #[test]
    fn byte_arrays_round_trip(lead in lead(), values in proptest::collection::vec(bytes(), 0..12)) {
        round_trip(&BytesSerializer, lead, &values);
    }

    #[test]
    fn fixed_byte_arrays_round_trip(
        lead in lead(),
        tens in proptest::collection::vec(any::<[u8; 10]>(), 0..30),
        wide in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 100), 0..5),
    ) {
        round_trip(&FixedBytesSerializer::<10>, lead, &tens);
        let wide: Vec<[u8; 100]> = wide.into_iter().map(|v| v.try_into().unwrap()).collect();
        round_trip(&FixedBytesSerializer::<100>, lead, &wide);
    }

    #[test]
    fn options_round_trip(
        lead in lead(),
        strings in proptest::collection::vec(proptest::option::of(text()), 0..12),
        ints in proptest::collection::vec(any::<Option<i64>>(), 0..30),
        nested in proptest::collection::vec(any::<Option<Option<bool>>>(), 0..30),
    ) {
        round_trip(&OptionSerializer(StringSerializer), lead, &strings);
        round_trip(&<Option<i64>>::serializer(), lead, &ints);
        round_trip(&<Option<Option<bool>>>::serializer(), lead, &nested);
    }

    #[test]
    fn eight_field_tuples_round_trip(
        lead in lead(),
        values in proptest::collection::vec(
            (any::<i32>(), text(), any::<Option<u8>>(), any::<bool>(), float64(),
             any::<[u8; 3]>(), bytes(), any::<i64>()),
            0..8,
        ),
    ) {
        let serializer = <Wide>::serializer();
        round_trip_by(&serializer, lead, &values, |a, b| format!("{a:?}") == format!("{b:?}"));
    }

    #[test]
    fn serde_records_round_trip(lead in lead(), values in proptest::collection::vec(user_record(), 0..10)) {
        round_trip(&SerdeSerializer::<UserRecord>::new(), lead, &values);
    }
}

#[test]
fn fixed_lengths_are_declared_where_every_value_has_the_same_length() {
    assert_eq!(IntSerializer::<i16>::new().fixed_length(), Some(2));
    assert_eq!(IntSerializer::<u128>::new().fixed_length(), Some(16));
    assert_eq!(FloatSerializer::<f32>::new().fixed_length(), Some(4));
    assert_eq!(BoolSerializer.fixed_length(), Some(1));
    assert_eq!(FixedBytesSerializer::<7>.fixed_length(), Some(7));
    assert_eq!(<(u64, u64)>::serializer().fixed_length(), Some(16));
    assert_eq!(
        <(u64, [u8; 90], bool)>::serializer().fixed_length(),
        Some(99)
    );
    assert_eq!(<(u64, String)>::serializer().fixed_length(), None);
    assert_eq!(<Option<u64>>::serializer().fixed_length(), None);
    assert_eq!(VarIntSerializer::<u64>::new().fixed_length(), None);
    assert_eq!(StringSerializer.fixed_length(), None);
    assert_eq!(SerdeSerializer::<UserRecord>::new().fixed_length(), None);
}

#[test]
fn documented_byte_layouts() {
    assert_eq!(
        serialized_bytes(&IntSerializer::<i32>::new(), &-2),
        [0xfe, 0xff, 0xff, 0xff]
    );
    assert_eq!(serialized_bytes(&VarIntSerializer::<i64>::new(), &-2), [3]);
    assert_eq!(
        serialized_bytes(&VarIntSerializer::<u32>::new(), &300),
        [0xac, 0x02]
    );
    assert_eq!(
        serialized_bytes(&FloatSerializer::<f32>::new(), &1.0),
        [0, 0, 0x80, 0x3f]
    );
    assert_eq!(
        serialized_bytes(&StringSerializer, &"hé".to_string()),
        [3, b'h', 0xc3, 0xa9]
    );
    assert_eq!(serialized_bytes(&BytesSerializer, &vec![0, 9]), [2, 0, 9]);
    assert_eq!(serialized_bytes(&<Option<u8>>::serializer(), &None), [0]);
    assert_eq!(
        serialized_bytes(&<Option<u8>>::serializer(), &Some(7)),
        [1, 7]
    );
    assert_eq!(
        serialized_bytes(&<(u8, bool, [u8; 2])>::serializer(), &(1, true, *b"xy")),
        [1, 1, b'x', b'y']
    );
    assert_eq!(
        serialized_bytes(&SerdeSerializer::<(u32, String)>::new(), &(300, "a".into())),
        [0xac, 0x02, 1, b'a']
    );
}

#[test]
fn a_record_larger_than_several_pages_round_trips() {
    let record = UserRecord {
        id: 1,
        name: "n".repeat(3 * PAGE_BYTES + 17),
        age: Some(3),
        score: -1,
        ratio: 0.5,
        payload: vec![0xab; 5 * PAGE_BYTES],
        events: vec![Event::Note("z".repeat(PAGE_BYTES)), Event::Login],
        flags: (true, 'ß'),
    };
    for lead in [0, 1, PAGE_BYTES - 1] {
        round_trip(
            &SerdeSerializer::<UserRecord>::new(),
            lead,
            std::slice::from_ref(&record),
        );
    }
}
