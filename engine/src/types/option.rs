//! `Option<T>`: [`OptionSerializer`] and [`OptionComparator`].
//!
//! ```text
//!   serialized:      [ 0x00 ]                None         any other marker is an
//!                    [ 0x01 ][ T … ]         Some(v)      InvalidOptionMarker error
//!   normalized key:  [ 0x00 ][ 00 … 00 ]     None         1 + T's key bytes;
//!                    [ 0x01 ][ T's key ]     Some(v)      complete when T's is
//! ```
//!
//! `None` sorts first, like Flink's null-first default for ascending keys. The marker byte decides
//! `None` against `Some`, and among `Some` values T's key decides, so the key keeps T's
//! completeness. Descending (see [`crate::types::Order`]) reverses everything, `None` included;
//! wrap the inner comparator instead to keep `None` first. The hash of `None` is xxh3 of no bytes
//! with the seed; `Some(v)` hashes as `v`.

use std::cmp::Ordering;

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::WeirError;
use crate::types::deserialize_problem::{DeserializeProblem, invalid, read_failure};
use crate::types::type_comparator::{DefaultComparator, TypeComparator};
use crate::types::type_serializer::{DefaultSerializer, TypeSerializer};

/// Serializes `Option<S::Value>` as a marker byte and, for `Some`, the value.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionSerializer<S>(pub S);

/// Orders `Option<C::Value>` with `None` first, then `Some` values by `C`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionComparator<C>(pub C);

impl<S> OptionSerializer<S> {
    pub const fn new(inner: S) -> OptionSerializer<S> {
        OptionSerializer(inner)
    }
}

impl<C> OptionComparator<C> {
    pub const fn new(inner: C) -> OptionComparator<C> {
        OptionComparator(inner)
    }
}

impl<S: TypeSerializer> TypeSerializer for OptionSerializer<S> {
    type Value = Option<S::Value>;

    #[inline]
    fn serialize<W: SegmentTarget>(
        &self,
        value: &Option<S::Value>,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        match value {
            None => Ok(out.write_u8(0)?),
            Some(inner) => {
                out.write_u8(1)?;
                self.0.serialize(inner, out)
            }
        }
    }

    #[inline]
    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<Option<S::Value>, WeirError> {
        match read_marker::<S, R>(input)? {
            false => Ok(None),
            true => self.0.deserialize(input).map(Some),
        }
    }

    fn skip<R: SegmentSource>(&self, input: &mut PagedInputView<R>) -> Result<(), WeirError> {
        match read_marker::<S, R>(input)? {
            false => Ok(()),
            true => self.0.skip(input),
        }
    }
}

fn read_marker<S: TypeSerializer, R: SegmentSource>(
    input: &mut PagedInputView<R>,
) -> Result<bool, WeirError> {
    let type_name = std::any::type_name::<Option<S::Value>>();
    match input
        .read_u8()
        .map_err(|error| read_failure(type_name, error))?
    {
        0 => Ok(false),
        1 => Ok(true),
        byte => Err(invalid(
            type_name,
            DeserializeProblem::InvalidOptionMarker { byte },
        )),
    }
}

impl<C: TypeComparator> TypeComparator for OptionComparator<C> {
    type Value = Option<C::Value>;

    #[inline]
    fn compare(&self, a: &Option<C::Value>, b: &Option<C::Value>) -> Ordering {
        match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => self.0.compare(a, b),
        }
    }

    fn normalized_key_len(&self) -> usize {
        1 + self.0.normalized_key_len()
    }

    fn normalized_key_is_complete(&self) -> bool {
        self.0.normalized_key_is_complete()
    }

    #[inline]
    fn write_normalized_key(&self, value: &Option<C::Value>, target: &mut [u8]) {
        let Some((marker, rest)) = target.split_first_mut() else {
            return;
        };
        match value {
            None => {
                *marker = 0;
                rest.fill(0);
            }
            Some(inner) => {
                *marker = 1;
                self.0.write_normalized_key(inner, rest);
            }
        }
    }

    #[inline]
    fn hash(&self, value: &Option<C::Value>, seed: u64) -> u64 {
        match value {
            None => xxh3_64_with_seed(&[], seed),
            Some(inner) => self.0.hash(inner, seed),
        }
    }
}

impl<T: DefaultSerializer> DefaultSerializer for Option<T> {
    type Serializer = OptionSerializer<T::Serializer>;
}

impl<T: DefaultComparator> DefaultComparator for Option<T> {
    type Comparator = OptionComparator<T::Comparator>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::test_pages::{bytes_source, round_trip};
    use crate::types::{IntComparator, IntSerializer, StringSerializer};

    #[test]
    fn round_trips_and_rejects_bad_markers() {
        round_trip(
            &OptionSerializer(StringSerializer),
            &[None, Some("a".to_string()), None, Some(String::new())],
        );
        round_trip(
            &OptionSerializer(IntSerializer::<i32>::new()),
            &[Some(-1), None],
        );
        let error = OptionSerializer(IntSerializer::<i32>::new())
            .deserialize(&mut bytes_source(&[2]))
            .unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("invalid Option marker byte 2 (expected 0 for None or 1 for Some)"),
            "{error}"
        );
    }

    #[test]
    fn none_comes_first() {
        let comparator = OptionComparator(IntComparator::<i8>::new());
        let mut none = [9u8; 2];
        let mut min = [9u8; 2];
        comparator.write_normalized_key(&None, &mut none);
        comparator.write_normalized_key(&Some(i8::MIN), &mut min);
        assert_eq!(none, [0, 0]);
        assert_eq!(min, [1, 0]);
        assert_eq!(comparator.compare(&None, &Some(i8::MIN)), Ordering::Less);
        assert!(comparator.normalized_key_is_complete());
    }
}
