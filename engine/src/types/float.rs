//! Floats: [`FloatSerializer`] and [`FloatComparator`] for `f32` and `f64`.
//!
//! # Serialized form
//!
//! ```text
//!   [ IEEE 754 bits, little-endian ]   4 bytes (f32) / 8 bytes (f64)
//!                                      every bit kept, NaN payloads too
//! ```
//!
//! # Order: Java's `Double.compare`, which Flink sorts by
//!
//! ```text
//!   -inf < negative normals < negative subnormals < -0.0
//!        < +0.0 < positive subnormals < positive normals < +inf < NaN (every NaN)
//! ```
//!
//! `-0.0` sorts before `+0.0` and they are **not equal** (they hash differently); all NaNs are
//! equal to each other (whatever their sign and payload) and greater than `+inf`. This is a
//! total order, so sorting and grouping never meet an incomparable pair.
//!
//! # Normalized key
//!
//! ```text
//!   bits = v is NaN ? canonical quiet NaN (0x7ff8…0) : v.to_bits()
//!   key  = sign bit set ? !bits : bits | sign bit        → big-endian, 4 / 8 bytes, complete
//!
//!   -inf  f64 fff0000000000000 → 000fffffffffffff
//!   -0.0      8000000000000000 → 7fffffffffffffff
//!   +0.0      0000000000000000 → 8000000000000000
//!   +inf      7ff0000000000000 → fff0000000000000
//!   NaN       7ff8000000000000 → fff8000000000000
//! ```
//!
//! Positive floats order like their bits read as unsigned integers; setting the sign bit moves
//! them above all negatives. Negative floats order in reverse of their bits; complementing
//! reverses them and clears the sign bit. `compare` compares these keys, so it agrees with the
//! bytes exactly. The hash is xxh3 of the little-endian bits with NaN made canonical.

use std::cmp::Ordering;
use std::marker::PhantomData;

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::WeirError;
use crate::types::deserialize_problem::read_failure;
use crate::types::normalized_key::write_key_prefix;
use crate::types::type_comparator::{DefaultComparator, TypeComparator};
use crate::types::type_serializer::{DefaultSerializer, TypeSerializer};

/// Serializes `f32` or `f64` as its IEEE bits, little-endian.
#[derive(Debug, Clone, Copy, Default)]
pub struct FloatSerializer<T>(PhantomData<fn() -> T>);

/// Orders `f32` or `f64` like Java's `Double.compare` (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct FloatComparator<T>(PhantomData<fn() -> T>);

impl<T> FloatSerializer<T> {
    pub const fn new() -> FloatSerializer<T> {
        FloatSerializer(PhantomData)
    }
}

impl<T> FloatComparator<T> {
    pub const fn new() -> FloatComparator<T> {
        FloatComparator(PhantomData)
    }
}

macro_rules! float_types {
    ($($ty:ident: $bits:ident, canonical NaN $nan:expr;)*) => {$(
        impl FloatComparator<$ty> {
            /// The bits of `value` with NaN made canonical: equal for values `compare` finds equal.
            #[inline]
            pub fn canonical_bits(value: $ty) -> $bits {
                if value.is_nan() { $nan } else { value.to_bits() }
            }

            /// The normalized key as an unsigned integer: its order is the comparator's order.
            #[inline]
            pub fn sort_key(value: $ty) -> $bits {
                const SIGN: $bits = 1 << ($bits::BITS - 1);
                let bits = Self::canonical_bits(value);
                if bits & SIGN != 0 { !bits } else { bits | SIGN }
            }
        }

        impl TypeSerializer for FloatSerializer<$ty> {
            type Value = $ty;

            #[inline]
            fn serialize<W: SegmentTarget>(
                &self,
                value: &$ty,
                out: &mut PagedOutputView<W>,
            ) -> Result<(), WeirError> {
                Ok(out.write_bytes(&value.to_bits().to_le_bytes())?)
            }

            #[inline]
            fn deserialize<R: SegmentSource>(
                &self,
                input: &mut PagedInputView<R>,
            ) -> Result<$ty, WeirError> {
                let mut bytes = [0u8; size_of::<$ty>()];
                input
                    .read_exact(&mut bytes)
                    .map_err(|error| read_failure(stringify!($ty), error))?;
                Ok(<$ty>::from_bits(<$bits>::from_le_bytes(bytes)))
            }

            fn fixed_length(&self) -> Option<usize> {
                Some(size_of::<$ty>())
            }
        }

        impl TypeComparator for FloatComparator<$ty> {
            type Value = $ty;

            #[inline]
            fn compare(&self, a: &$ty, b: &$ty) -> Ordering {
                Self::sort_key(*a).cmp(&Self::sort_key(*b))
            }

            fn normalized_key_len(&self) -> usize {
                size_of::<$ty>()
            }

            fn normalized_key_is_complete(&self) -> bool {
                true
            }

            #[inline]
            fn write_normalized_key(&self, value: &$ty, target: &mut [u8]) {
                write_key_prefix(&Self::sort_key(*value).to_be_bytes(), target);
            }

            #[inline]
            fn hash(&self, value: &$ty, seed: u64) -> u64 {
                xxh3_64_with_seed(&Self::canonical_bits(*value).to_le_bytes(), seed)
            }
        }

        impl DefaultSerializer for $ty {
            type Serializer = FloatSerializer<$ty>;
        }

        impl DefaultComparator for $ty {
            type Comparator = FloatComparator<$ty>;
        }
    )*};
}

float_types! {
    f32: u32, canonical NaN 0x7fc0_0000;
    f64: u64, canonical NaN 0x7ff8_0000_0000_0000;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::test_pages::{serialize_all, source_of};

    #[test]
    fn keys_follow_java_double_compare() {
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
        for pair in ordered.windows(2) {
            assert_eq!(comparator.compare(&pair[0], &pair[1]), Ordering::Less);
            assert!(
                FloatComparator::<f64>::sort_key(pair[0])
                    < FloatComparator::<f64>::sort_key(pair[1])
            );
        }
        let negative_nan = f64::from_bits(0xfff8_0000_0000_0001);
        assert_eq!(
            comparator.compare(&negative_nan, &f64::NAN),
            Ordering::Equal
        );
        assert_eq!(
            comparator.hash(&negative_nan, 7),
            comparator.hash(&f64::NAN, 7)
        );
        assert_ne!(comparator.hash(&-0.0, 7), comparator.hash(&0.0, 7));
        assert_eq!(
            FloatComparator::<f64>::sort_key(f64::NAN),
            0xfff8_0000_0000_0000
        );
        let f32_comparator = FloatComparator::<f32>::new();
        assert_eq!(
            f32_comparator.compare(&f32::INFINITY, &f32::NAN),
            Ordering::Less
        );
        assert_eq!(f32_comparator.compare(&-0.0, &0.0), Ordering::Less);
    }

    #[test]
    fn serialization_keeps_every_bit() {
        let values = [f64::from_bits(0xfff8_dead_beef_0001), -0.0, 5e-324];
        let mut input = source_of(serialize_all(&FloatSerializer::<f64>::new(), &values));
        for value in values {
            let read = FloatSerializer::<f64>::new()
                .deserialize(&mut input)
                .unwrap();
            assert_eq!(read.to_bits(), value.to_bits());
        }
    }
}
