//! Corrupt and truncated input gives a `WeirError` naming the type and the problem, never a
//! panic; a full target during serialization is the view's `PagesFull`, the signal to spill.

mod types_support;

use std::fmt::Debug;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use types_support::{deserialize_from, serialized_bytes};
use weir::WeirError;
use weir::memory::{
    ByteSize, MemoryError, MemoryManager, PageSize, PagedOutputView, SegmentListTarget,
};
use weir::types::{
    BoolSerializer, BytesSerializer, DefaultSerializer, DeserializeProblem, FixedBytesSerializer,
    IntSerializer, OptionSerializer, SerdeSerializer, StringSerializer, TypeSerializer,
    VarIntSerializer,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Circle { radius: f64 },
    Polygon(Vec<(i32, i32)>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Drawing {
    name: String,
    shapes: Vec<Shape>,
    owner: Option<(u64, char)>,
}

fn drawing() -> Drawing {
    Drawing {
        name: "plan".into(),
        shapes: vec![
            Shape::Circle { radius: 1.5 },
            Shape::Polygon(vec![(0, 0), (300, -4), (1, 70_000)]),
        ],
        owner: Some((77, 'é')),
    }
}

fn problem(error: WeirError) -> (&'static str, DeserializeProblem) {
    match error {
        WeirError::Deserialize { type_name, problem } => (type_name, problem),
        other => panic!("expected a deserialize error, got {other:?}"),
    }
}

/// Every strict prefix of a serialized value is a truncated record.
fn every_prefix_is_truncated<S>(serializer: &S, value: &S::Value)
where
    S: TypeSerializer,
    S::Value: Debug,
{
    let bytes = serialized_bytes(serializer, value);
    for cut in 0..bytes.len() {
        let error = deserialize_from(serializer, &bytes[..cut]).unwrap_err();
        let (_, problem) = problem(error);
        assert!(
            matches!(problem, DeserializeProblem::Truncated { .. }),
            "{value:?} cut at {cut}: {problem}"
        );
    }
    deserialize_from(serializer, &bytes).unwrap();
}

#[test]
fn truncated_values_of_every_type_are_errors() {
    every_prefix_is_truncated(&IntSerializer::<i64>::new(), &-5);
    every_prefix_is_truncated(&IntSerializer::<u128>::new(), &u128::MAX);
    every_prefix_is_truncated(&VarIntSerializer::<u64>::new(), &u64::MAX);
    every_prefix_is_truncated(&<f64>::serializer(), &-0.0);
    every_prefix_is_truncated(&BoolSerializer, &true);
    every_prefix_is_truncated(&StringSerializer, &"grüße".to_string());
    every_prefix_is_truncated(&StringSerializer, &"x".repeat(300));
    every_prefix_is_truncated(&BytesSerializer, &vec![0; 200]);
    every_prefix_is_truncated(&FixedBytesSerializer::<10>, b"0123456789");
    every_prefix_is_truncated(&OptionSerializer(StringSerializer), &Some("ab".to_string()));
    every_prefix_is_truncated(
        &<(u8, String, Option<i32>, [u8; 2], bool, u16, f32, Vec<u8>)>::serializer(),
        &(1, "s".into(), Some(-1), *b"ok", true, 9, 0.5, vec![1, 2]),
    );
    every_prefix_is_truncated(&SerdeSerializer::<Drawing>::new(), &drawing());
}

#[test]
fn errors_name_the_type_and_the_problem() {
    let message = |error: WeirError| error.to_string();
    assert_eq!(
        message(deserialize_from(&BoolSerializer, &[7]).unwrap_err()),
        "cannot deserialize bool: invalid bool byte 7 (expected 0 or 1)"
    );
    assert_eq!(
        message(deserialize_from(&StringSerializer, &[2, 0xc3, 0x28]).unwrap_err()),
        "cannot deserialize String: string is not UTF-8 (invalid byte at offset 0)"
    );
    assert_eq!(
        message(deserialize_from(&IntSerializer::<u32>::new(), &[1, 2]).unwrap_err()),
        "cannot deserialize u32: truncated record: 2 more bytes needed"
    );
    assert_eq!(
        message(deserialize_from(&StringSerializer, &[0xff; 11]).unwrap_err()),
        "cannot deserialize String: malformed varint (longer than 10 bytes or past 64 bits)"
    );
    assert_eq!(
        message(deserialize_from(&<Option<u8>>::serializer(), &[5, 1]).unwrap_err()),
        "cannot deserialize core::option::Option<u8>: invalid Option marker byte 5 (expected 0 for None or 1 for Some)"
    );
    assert_eq!(
        message(
            deserialize_from(&VarIntSerializer::<i16>::new(), &[0x80, 0x80, 0x04]).unwrap_err()
        ),
        "cannot deserialize i16: varint value 32768 does not fit the integer type"
    );
    // A bad enum tag in a serde record: postcard says what was wrong.
    let (type_name, problem) =
        problem(deserialize_from(&SerdeSerializer::<Shape>::new(), &[2]).unwrap_err());
    assert!(type_name.ends_with("Shape"), "{type_name}");
    assert!(
        matches!(problem, DeserializeProblem::Postcard(_)),
        "{problem}"
    );
}

#[test]
fn a_huge_corrupt_length_fails_without_allocating_it() {
    // A length of 2^63 followed by 4 bytes: the reader must not reserve 2^63 bytes.
    let mut bytes = vec![0x80; 9];
    bytes.push(0x01);
    bytes.extend_from_slice(b"abcd");
    for result in [
        deserialize_from(&BytesSerializer, &bytes).map(drop),
        deserialize_from(&StringSerializer, &bytes).map(drop),
        deserialize_from(&SerdeSerializer::<String>::new(), &bytes).map(drop),
        deserialize_from(&SerdeSerializer::<Vec<u8>>::new(), &bytes).map(drop),
    ] {
        let (_, problem) = problem(result.unwrap_err());
        assert!(
            matches!(problem, DeserializeProblem::Truncated { .. }),
            "{problem}"
        );
    }
}

#[test]
fn a_full_target_is_pages_full() {
    let manager = MemoryManager::new(ByteSize::kib(8), PageSize::new(4096).unwrap()).unwrap();
    let pages = manager.reservation("full").allocate_pages(2).unwrap();
    let mut out = PagedOutputView::new(SegmentListTarget::new(pages).unwrap());
    out.write_bytes(&[0; 8190]).unwrap();
    let error = SerdeSerializer::<Drawing>::new()
        .serialize(&drawing(), &mut out)
        .unwrap_err();
    assert!(
        matches!(
            error,
            WeirError::Memory(MemoryError::PagesFull { pages: 2 })
        ),
        "{error:?}"
    );
    let error = StringSerializer
        .serialize(&"abc".to_string(), &mut out)
        .unwrap_err();
    assert!(matches!(
        error,
        WeirError::Memory(MemoryError::PagesFull { .. })
    ));
}

#[test]
fn a_sequence_without_a_length_cannot_be_serialized() {
    /// Serializes as a sequence whose iterator cannot tell its length up front.
    #[derive(Debug)]
    struct Holder;
    impl Serialize for Holder {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq([1u8, 2].into_iter().filter(|_| true))
        }
    }
    impl<'de> Deserialize<'de> for Holder {
        fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Holder, D::Error> {
            Ok(Holder)
        }
    }
    let manager = MemoryManager::new(ByteSize::kib(4), PageSize::new(4096).unwrap()).unwrap();
    let pages = manager.reservation("unsized").allocate_pages(1).unwrap();
    let mut out = PagedOutputView::new(SegmentListTarget::new(pages).unwrap());
    let error = SerdeSerializer::<Holder>::new()
        .serialize(&Holder, &mut out)
        .unwrap_err();
    assert!(matches!(error, WeirError::Serialize { .. }), "{error:?}");
    assert!(error.to_string().contains("Holder"), "{error}");
}

fn no_panic<S: TypeSerializer>(serializer: &S, bytes: &[u8]) {
    // Ok or Err are both fine for random bytes; only a panic or an abort would fail.
    let _ = deserialize_from(serializer, bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        no_panic(&BoolSerializer, &bytes);
        no_panic(&StringSerializer, &bytes);
        no_panic(&BytesSerializer, &bytes);
        no_panic(&VarIntSerializer::<i32>::new(), &bytes);
        no_panic(&<Option<(u8, String)>>::serializer(), &bytes);
        no_panic(&<(bool, Option<bool>, String, u64)>::serializer(), &bytes);
        no_panic(&SerdeSerializer::<Drawing>::new(), &bytes);
        no_panic(&SerdeSerializer::<(String, Vec<Shape>, char)>::new(), &bytes);
    }

    #[test]
    fn flipped_bytes_of_a_record_never_panic(index in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let mut bytes = serialized_bytes(&SerdeSerializer::<Drawing>::new(), &drawing());
        let at = index.index(bytes.len());
        bytes[at] ^= mask;
        no_panic(&SerdeSerializer::<Drawing>::new(), &bytes);
    }
}
