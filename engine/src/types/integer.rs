//! Integers: [`IntSerializer`] (fixed width), [`VarIntSerializer`] (LEB128) and
//! [`IntComparator`].
//!
//! # Serialized forms
//!
//! ```text
//!   IntSerializer<T>      [ b0 b1 … bw-1 ]        w = size_of::<T>() bytes, little-endian
//!                                                  (two's complement for signed types)
//!   VarIntSerializer<T>   [ 1xxxxxxx … 0xxxxxxx ]  LEB128, 7 bits per byte, low group first,
//!                                                  1–10 bytes; signed types zig-zag first
//!                                                  (0, -1, 1, -2 → 0, 1, 2, 3)
//! ```
//!
//! Fixed width is the default: every value has the same length ([`TypeSerializer::fixed_length`])
//! and reads without branches. The varint form is smaller for small magnitudes; a decoded varint
//! that does not fit `T` is a [`DeserializeProblem::UnsignedVarintOutOfRange`] or
//! [`DeserializeProblem::SignedVarintOutOfRange`].
//!
//! # Normalized key
//!
//! ```text
//!   unsigned:  v.to_be_bytes()                     0x0000 < 0x0001 < … < 0xffff
//!   signed:    (v as unsigned ^ 1 << (w*8-1)).to_be_bytes()
//!              i16::MIN → 00 00,  -1 → 7f ff,  0 → 80 00,  i16::MAX → ff ff
//! ```
//!
//! Big-endian puts the most significant byte first, so memcmp order is numeric order; flipping
//! the sign bit moves negative numbers below positive ones. The key has `w` bytes and is complete.
//! The hash is xxh3 of the little-endian bytes.

use std::cmp::Ordering;
use std::marker::PhantomData;

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::WeirError;
use crate::types::deserialize_problem::{DeserializeProblem, invalid, read_failure};
use crate::types::normalized_key::write_key_prefix;
use crate::types::type_comparator::{DefaultComparator, TypeComparator};
use crate::types::type_serializer::{DefaultSerializer, TypeSerializer};

/// Serializes an integer type `T` at its full width, little-endian.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntSerializer<T>(PhantomData<fn() -> T>);

/// Serializes an integer type `T` as a LEB128 varint (zig-zag for signed types).
#[derive(Debug, Clone, Copy, Default)]
pub struct VarIntSerializer<T>(PhantomData<fn() -> T>);

/// Orders an integer type `T` numerically; normalized key: big-endian with the sign bit flipped.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntComparator<T>(PhantomData<fn() -> T>);

impl<T> IntSerializer<T> {
    pub const fn new() -> IntSerializer<T> {
        IntSerializer(PhantomData)
    }
}

impl<T> VarIntSerializer<T> {
    pub const fn new() -> VarIntSerializer<T> {
        VarIntSerializer(PhantomData)
    }
}

impl<T> IntComparator<T> {
    pub const fn new() -> IntComparator<T> {
        IntComparator(PhantomData)
    }
}

macro_rules! int_types {
    ($($ty:ident, sign bit $sign:expr;)*) => {$(
        impl TypeSerializer for IntSerializer<$ty> {
            type Value = $ty;

            #[inline]
            fn serialize<W: SegmentTarget>(
                &self,
                value: &$ty,
                out: &mut PagedOutputView<W>,
            ) -> Result<(), WeirError> {
                Ok(out.write_bytes(&value.to_le_bytes())?)
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
                Ok(<$ty>::from_le_bytes(bytes))
            }

            fn fixed_length(&self) -> Option<usize> {
                Some(size_of::<$ty>())
            }
        }

        impl TypeComparator for IntComparator<$ty> {
            type Value = $ty;

            #[inline]
            fn compare(&self, a: &$ty, b: &$ty) -> Ordering {
                a.cmp(b)
            }

            fn normalized_key_len(&self) -> usize {
                size_of::<$ty>()
            }

            fn normalized_key_is_complete(&self) -> bool {
                true
            }

            #[inline]
            fn write_normalized_key(&self, value: &$ty, target: &mut [u8]) {
                let key = (value.cast_unsigned_bits() ^ $sign).to_be_bytes();
                write_key_prefix(&key, target);
            }

            #[inline]
            fn hash(&self, value: &$ty, seed: u64) -> u64 {
                xxh3_64_with_seed(&value.to_le_bytes(), seed)
            }
        }

        impl DefaultSerializer for $ty {
            type Serializer = IntSerializer<$ty>;
        }

        impl DefaultComparator for $ty {
            type Comparator = IntComparator<$ty>;
        }
    )*};
}

/// The bits of an integer as the unsigned type of the same width.
trait CastUnsignedBits {
    type Unsigned;
    fn cast_unsigned_bits(self) -> Self::Unsigned;
}

macro_rules! cast_unsigned_bits {
    ($($ty:ident => $unsigned:ident),*) => {$(
        impl CastUnsignedBits for $ty {
            type Unsigned = $unsigned;
            #[inline(always)]
            #[allow(clippy::cast_sign_loss, clippy::unnecessary_cast)]
            fn cast_unsigned_bits(self) -> $unsigned {
                self as $unsigned
            }
        }
    )*};
}

cast_unsigned_bits!(
    u8 => u8, u16 => u16, u32 => u32, u64 => u64, u128 => u128,
    i8 => u8, i16 => u16, i32 => u32, i64 => u64, i128 => u128
);

int_types! {
    u8, sign bit 0;
    u16, sign bit 0;
    u32, sign bit 0;
    u64, sign bit 0;
    u128, sign bit 0;
    i8, sign bit 1 << 7;
    i16, sign bit 1 << 15;
    i32, sign bit 1 << 31;
    i64, sign bit 1 << 63;
    i128, sign bit 1 << 127;
}

macro_rules! varint_types {
    ($($ty:ident: $write:ident, $read:ident, $wide:ident, $problem:ident;)*) => {$(
        impl TypeSerializer for VarIntSerializer<$ty> {
            type Value = $ty;

            #[inline]
            fn serialize<W: SegmentTarget>(
                &self,
                value: &$ty,
                out: &mut PagedOutputView<W>,
            ) -> Result<(), WeirError> {
                Ok(out.$write(*value as $wide)?)
            }

            #[inline]
            fn deserialize<R: SegmentSource>(
                &self,
                input: &mut PagedInputView<R>,
            ) -> Result<$ty, WeirError> {
                let wide = input
                    .$read()
                    .map_err(|error| read_failure(stringify!($ty), error))?;
                <$ty>::try_from(wide).map_err(|_| {
                    invalid(
                        stringify!($ty),
                        DeserializeProblem::$problem { value: wide },
                    )
                })
            }
        }
    )*};
}

varint_types! {
    u16: write_var_u64, read_var_u64, u64, UnsignedVarintOutOfRange;
    u32: write_var_u64, read_var_u64, u64, UnsignedVarintOutOfRange;
    u64: write_var_u64, read_var_u64, u64, UnsignedVarintOutOfRange;
    i16: write_var_i64, read_var_i64, i64, SignedVarintOutOfRange;
    i32: write_var_i64, read_var_i64, i64, SignedVarintOutOfRange;
    i64: write_var_i64, read_var_i64, i64, SignedVarintOutOfRange;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::test_pages::{round_trip, serialize_all, source_of};

    fn key<C: TypeComparator>(comparator: &C, value: &C::Value) -> Vec<u8> {
        let mut target = vec![0u8; comparator.normalized_key_len()];
        comparator.write_normalized_key(value, &mut target);
        target
    }

    #[test]
    fn signed_keys_flip_the_sign_bit_big_endian() {
        let comparator = IntComparator::<i16>::new();
        assert_eq!(key(&comparator, &i16::MIN), [0x00, 0x00]);
        assert_eq!(key(&comparator, &-1), [0x7f, 0xff]);
        assert_eq!(key(&comparator, &0), [0x80, 0x00]);
        assert_eq!(key(&comparator, &i16::MAX), [0xff, 0xff]);
        assert_eq!(
            key(&IntComparator::<u32>::new(), &0x0102_0304),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn fixed_width_and_varints_round_trip() {
        round_trip(
            &IntSerializer::<i64>::new(),
            &[i64::MIN, -1, 0, 1, i64::MAX],
        );
        round_trip(&IntSerializer::<u8>::new(), &[0, 7, 255]);
        round_trip(&IntSerializer::<i128>::new(), &[i128::MIN, 0, i128::MAX]);
        round_trip(
            &VarIntSerializer::<i32>::new(),
            &[i32::MIN, -1, 0, 300, i32::MAX],
        );
        round_trip(&VarIntSerializer::<u64>::new(), &[0, 127, 128, u64::MAX]);
    }

    #[test]
    fn a_varint_too_large_for_the_type_is_an_error() {
        let pages = serialize_all(&VarIntSerializer::<u64>::new(), &[70_000]);
        let mut input = source_of(pages);
        let error = VarIntSerializer::<u16>::new()
            .deserialize(&mut input)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot deserialize u16: varint value 70000 does not fit the integer type"
        );
    }
}
