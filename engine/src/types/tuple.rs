//! Tuples: a tuple of serializers serializes a tuple, a tuple of comparators compares one.
//!
//! Implemented for `()` and tuples of 1 to 12 fields:
//!
//! ```text
//!   serialized:      [ field 0 ][ field 1 ] … [ field n-1 ]     back to back, no lengths, no count
//!   normalized key:  [ key 0   ][ key 1   ] … up to and including the first incomplete field
//!   fixed length:    sum of the fields' fixed lengths, if every field has one
//! ```
//!
//! Fields compare in order, each with its own comparator, so per-field direction is just a field
//! comparator wrapped in [`crate::types::Ordered`]:
//! `(IntComparator::<i32>::new(), StringComparator::new().descending())`.
//! The key layout and why it stops after an incomplete field are in
//! [`crate::types::CompositeKeyLayout`]; the tuple's key is complete when every field's is. The
//! hash chains the fields: field `i` hashes with field `i-1`'s hash as its seed. `()` serializes
//! to nothing and compares equal, with an empty, complete key.

use std::cmp::Ordering;

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::WeirError;
use crate::types::composite_key::{CompositeKeyLayout, CompositeKeyWriter};
use crate::types::type_comparator::{DefaultComparator, TypeComparator};
use crate::types::type_serializer::{DefaultSerializer, TypeSerializer};

impl TypeSerializer for () {
    type Value = ();

    fn serialize<W: SegmentTarget>(
        &self,
        _value: &(),
        _out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        Ok(())
    }

    fn deserialize<R: SegmentSource>(
        &self,
        _input: &mut PagedInputView<R>,
    ) -> Result<(), WeirError> {
        Ok(())
    }

    fn fixed_length(&self) -> Option<usize> {
        Some(0)
    }
}

impl TypeComparator for () {
    type Value = ();

    fn compare(&self, _a: &(), _b: &()) -> Ordering {
        Ordering::Equal
    }

    fn normalized_key_len(&self) -> usize {
        0
    }

    fn normalized_key_is_complete(&self) -> bool {
        true
    }

    fn write_normalized_key(&self, _value: &(), target: &mut [u8]) {
        target.fill(0);
    }

    fn hash(&self, _value: &(), seed: u64) -> u64 {
        xxh3_64_with_seed(&[], seed)
    }
}

impl DefaultSerializer for () {
    type Serializer = ();
}

impl DefaultComparator for () {
    type Comparator = ();
}

macro_rules! tuple_impls {
    ($($field:ident $index:tt),+) => {
        impl<$($field: TypeSerializer),+> TypeSerializer for ($($field,)+) {
            type Value = ($($field::Value,)+);

            #[inline]
            fn serialize<W: SegmentTarget>(
                &self,
                value: &Self::Value,
                out: &mut PagedOutputView<W>,
            ) -> Result<(), WeirError> {
                $(self.$index.serialize(&value.$index, out)?;)+
                Ok(())
            }

            #[inline]
            fn deserialize<R: SegmentSource>(
                &self,
                input: &mut PagedInputView<R>,
            ) -> Result<Self::Value, WeirError> {
                Ok(($(self.$index.deserialize(input)?,)+))
            }

            fn fixed_length(&self) -> Option<usize> {
                Some(0 $(+ self.$index.fixed_length()?)+)
            }

            fn skip<R: SegmentSource>(
                &self,
                input: &mut PagedInputView<R>,
            ) -> Result<(), WeirError> {
                $(self.$index.skip(input)?;)+
                Ok(())
            }
        }

        impl<$($field: TypeComparator),+> TypeComparator for ($($field,)+) {
            type Value = ($($field::Value,)+);

            #[inline]
            fn compare(&self, a: &Self::Value, b: &Self::Value) -> Ordering {
                $(
                    match self.$index.compare(&a.$index, &b.$index) {
                        Ordering::Equal => {}
                        decided => return decided,
                    }
                )+
                Ordering::Equal
            }

            fn normalized_key_len(&self) -> usize {
                self.layout().len()
            }

            fn normalized_key_is_complete(&self) -> bool {
                self.layout().is_complete()
            }

            #[inline]
            fn write_normalized_key(&self, value: &Self::Value, target: &mut [u8]) {
                let mut writer = CompositeKeyWriter::new(target);
                // Each push after a `false` is a no-op; the writer remembers that it is closed.
                $(writer.push(&self.$index, &value.$index);)+
                writer.finish();
            }

            #[inline]
            fn hash(&self, value: &Self::Value, seed: u64) -> u64 {
                let hash = seed;
                $(let hash = self.$index.hash(&value.$index, hash);)+
                hash
            }
        }

        impl<$($field: TypeComparator),+> TupleLayout for ($($field,)+) {
            fn layout(&self) -> CompositeKeyLayout {
                let mut layout = CompositeKeyLayout::new();
                $(layout.push(&self.$index);)+
                layout
            }
        }

        impl<$($field: DefaultSerializer),+> DefaultSerializer for ($($field,)+) {
            type Serializer = ($($field::Serializer,)+);
        }

        impl<$($field: DefaultComparator),+> DefaultComparator for ($($field,)+) {
            type Comparator = ($($field::Comparator,)+);
        }
    };
}

/// The composite key layout of a tuple of comparators.
trait TupleLayout {
    fn layout(&self) -> CompositeKeyLayout;
}

tuple_impls!(A 0);
tuple_impls!(A 0, B 1);
tuple_impls!(A 0, B 1, C 2);
tuple_impls!(A 0, B 1, C 2, D 3);
tuple_impls!(A 0, B 1, C 2, D 3, E 4);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::test_pages::round_trip;
    use crate::types::{
        BoolSerializer, FixedBytesSerializer, IntComparator, IntSerializer, OptionSerializer,
        StringComparator, StringSerializer,
    };

    #[test]
    fn tuples_round_trip_and_sum_fixed_lengths() {
        let serializer = <(i64, String, bool)>::serializer();
        round_trip(
            &serializer,
            &[(1, "a".to_string(), true), (-5, "x".repeat(5000), false)],
        );
        assert_eq!(serializer.fixed_length(), None);
        let fixed = (
            IntSerializer::<u32>::new(),
            FixedBytesSerializer::<3>,
            BoolSerializer,
        );
        assert_eq!(fixed.fixed_length(), Some(8));
        round_trip(&fixed, &[(7, *b"abc", true), (u32::MAX, [0; 3], false)]);
        let twelve = <(u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, Option<String>)>::serializer();
        round_trip(
            &twelve,
            &[(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, Some("z".into()))],
        );
        round_trip(&(OptionSerializer(StringSerializer),), &[(None,)]);
        round_trip(&(), &[(), ()]);
    }

    #[test]
    fn keys_stop_after_an_incomplete_field() {
        let comparator = (
            IntComparator::<u8>::new(),
            StringComparator::with_key_len(2),
            IntComparator::<u8>::new(),
        );
        assert_eq!(comparator.normalized_key_len(), 3);
        assert!(!comparator.normalized_key_is_complete());
        let mut key = [0xaa; 5];
        comparator.write_normalized_key(&(1, "abc".to_string(), 9), &mut key);
        assert_eq!(key, [1, b'a', b'b', 0, 0]);
        let complete = (
            IntComparator::<u8>::new(),
            IntComparator::<i8>::new().descending(),
        );
        assert!(complete.normalized_key_is_complete());
        assert_eq!(complete.normalized_key_len(), 2);
        assert_eq!(complete.compare(&(1, 1), &(1, 2)), Ordering::Greater);
    }
}
