//! [`TaggedUnion`]: a record of one of two inputs (Flink's `TaggedUnion` of co-grouped
//! streams), with [`TaggedUnionSerializer`] and [`InputTagSerializer`], the writer of one side.
//!
//! ```text
//!   serialized:  [ 0x00 ][ A … ]     One(a)    from the first input
//!                [ 0x01 ][ B … ]     Two(b)    from the second input
//! ```
//!
//! Two-input operators (connect, joins, the broadcast state pattern) read both inputs through
//! one input gate: the producers of each input write their records with their side's marker
//! ([`InputTagSerializer`], so a producer never builds the union value), and the consumer
//! reads `TaggedUnion<A, B>` and dispatches on the marker. Window joins union two streams the
//! same way before their window.

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::error::WeirError;
use crate::types::deserialize_problem::{DeserializeProblem, invalid, read_failure};
use crate::types::type_serializer::{DefaultSerializer, TypeSerializer};

const FIRST: u8 = 0;
const SECOND: u8 = 1;

/// A value of the first (`One`) or the second (`Two`) input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaggedUnion<A, B> {
    One(A),
    Two(B),
}

/// Serializes [`TaggedUnion`]s as a marker byte and the value. See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct TaggedUnionSerializer<SA, SB> {
    pub one: SA,
    pub two: SB,
}

fn read_marker<R: SegmentSource>(
    type_name: &'static str,
    input: &mut PagedInputView<R>,
) -> Result<u8, WeirError> {
    input
        .read_u8()
        .map_err(|error| read_failure(type_name, error))
}

impl<SA: TypeSerializer, SB: TypeSerializer> TypeSerializer for TaggedUnionSerializer<SA, SB> {
    type Value = TaggedUnion<SA::Value, SB::Value>;

    #[inline]
    fn serialize<W: SegmentTarget>(
        &self,
        value: &Self::Value,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        match value {
            TaggedUnion::One(one) => {
                out.write_u8(FIRST)?;
                self.one.serialize(one, out)
            }
            TaggedUnion::Two(two) => {
                out.write_u8(SECOND)?;
                self.two.serialize(two, out)
            }
        }
    }

    #[inline]
    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<Self::Value, WeirError> {
        let type_name = std::any::type_name::<Self::Value>();
        match read_marker(type_name, input)? {
            FIRST => self.one.deserialize(input).map(TaggedUnion::One),
            SECOND => self.two.deserialize(input).map(TaggedUnion::Two),
            byte => Err(invalid(
                type_name,
                DeserializeProblem::InvalidTaggedUnionMarker { byte },
            )),
        }
    }

    fn skip<R: SegmentSource>(&self, input: &mut PagedInputView<R>) -> Result<(), WeirError> {
        let type_name = std::any::type_name::<Self::Value>();
        match read_marker(type_name, input)? {
            FIRST => self.one.skip(input),
            SECOND => self.two.skip(input),
            byte => Err(invalid(
                type_name,
                DeserializeProblem::InvalidTaggedUnionMarker { byte },
            )),
        }
    }
}

impl<A: DefaultSerializer, B: DefaultSerializer> DefaultSerializer for TaggedUnion<A, B> {
    type Serializer = TaggedUnionSerializer<A::Serializer, B::Serializer>;
}

/// Writes values of one side of a [`TaggedUnion`] (`input` 0 or 1) in the union's format, so
/// a producer feeding one input of a two-input operator serializes its own records without
/// wrapping them. Reading checks the marker.
#[derive(Debug, Clone, Copy)]
pub struct InputTagSerializer<S> {
    input: u8,
    inner: S,
}

impl<S> InputTagSerializer<S> {
    /// The writer of the first input's records.
    pub fn first(inner: S) -> InputTagSerializer<S> {
        InputTagSerializer {
            input: FIRST,
            inner,
        }
    }

    /// The writer of the second input's records.
    pub fn second(inner: S) -> InputTagSerializer<S> {
        InputTagSerializer {
            input: SECOND,
            inner,
        }
    }
}

impl<S: TypeSerializer> TypeSerializer for InputTagSerializer<S> {
    type Value = S::Value;

    #[inline]
    fn serialize<W: SegmentTarget>(
        &self,
        value: &S::Value,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        out.write_u8(self.input)?;
        self.inner.serialize(value, out)
    }

    #[inline]
    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<S::Value, WeirError> {
        self.check_marker(input)?;
        self.inner.deserialize(input)
    }

    fn skip<R: SegmentSource>(&self, input: &mut PagedInputView<R>) -> Result<(), WeirError> {
        self.check_marker(input)?;
        self.inner.skip(input)
    }
}

impl<S: TypeSerializer> InputTagSerializer<S> {
    fn check_marker<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<(), WeirError> {
        let type_name = std::any::type_name::<S::Value>();
        let found = read_marker(type_name, input)?;
        if found == self.input {
            Ok(())
        } else {
            Err(invalid(
                type_name,
                DeserializeProblem::UnexpectedInputTag {
                    expected: self.input,
                    found,
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::test_pages::{bytes_source, round_trip, serialize_all, source_of};
    use crate::types::{IntSerializer, StringSerializer};

    type Union = TaggedUnionSerializer<IntSerializer<i64>, StringSerializer>;

    #[test]
    fn both_sides_round_trip() {
        round_trip(
            &Union::default(),
            &[
                TaggedUnion::One(-7i64),
                TaggedUnion::Two("hello".to_owned()),
                TaggedUnion::One(i64::MAX),
                TaggedUnion::Two(String::new()),
            ],
        );
    }

    #[test]
    fn one_side_writes_what_the_union_reads() {
        let first = InputTagSerializer::first(IntSerializer::<i64>::default());
        let second = InputTagSerializer::second(StringSerializer);
        round_trip(&first, &[5i64, 6]);
        round_trip(&second, &["x".to_owned()]);
        let union = Union::default();
        let mut input = source_of(serialize_all(&first, &[5i64]));
        assert_eq!(union.deserialize(&mut input).unwrap(), TaggedUnion::One(5));
        let mut input = source_of(serialize_all(&second, &["x".to_owned()]));
        assert_eq!(
            union.deserialize(&mut input).unwrap(),
            TaggedUnion::Two("x".to_owned())
        );
    }

    #[test]
    fn bad_markers_are_errors_not_panics() {
        let union = Union::default();
        let error = union
            .deserialize(&mut bytes_source(&[7u8, 0, 0]))
            .unwrap_err();
        assert!(
            error.to_string().contains("tagged union marker byte 7"),
            "{error}"
        );
        let first = InputTagSerializer::first(IntSerializer::<i64>::default());
        let error = first
            .deserialize(&mut bytes_source(&[1u8, 0, 0, 0, 0, 0, 0, 0, 0]))
            .unwrap_err();
        assert!(error.to_string().contains("input 1"), "{error}");
    }
}
