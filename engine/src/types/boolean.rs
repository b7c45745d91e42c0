//! `bool`: [`BoolSerializer`] and [`BoolComparator`].
//!
//! ```text
//!   serialized:      [ 0x00 ] false   [ 0x01 ] true      any other byte is an InvalidBool error
//!   normalized key:  [ 0x00 ] false   [ 0x01 ] true      1 byte, complete; false < true
//! ```

use std::cmp::Ordering;

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::WeirError;
use crate::types::deserialize_problem::{DeserializeProblem, invalid, read_failure};
use crate::types::normalized_key::write_key_prefix;
use crate::types::type_comparator::{DefaultComparator, TypeComparator};
use crate::types::type_serializer::{DefaultSerializer, TypeSerializer};

/// Serializes `bool` as one byte, 0 or 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct BoolSerializer;

/// Orders `bool` with `false` first.
#[derive(Debug, Clone, Copy, Default)]
pub struct BoolComparator;

impl TypeSerializer for BoolSerializer {
    type Value = bool;

    #[inline]
    fn serialize<W: SegmentTarget>(
        &self,
        value: &bool,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        Ok(out.write_u8(u8::from(*value))?)
    }

    #[inline]
    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<bool, WeirError> {
        match input
            .read_u8()
            .map_err(|error| read_failure("bool", error))?
        {
            0 => Ok(false),
            1 => Ok(true),
            byte => Err(invalid("bool", DeserializeProblem::InvalidBool { byte })),
        }
    }

    fn fixed_length(&self) -> Option<usize> {
        Some(1)
    }
}

impl TypeComparator for BoolComparator {
    type Value = bool;

    #[inline]
    fn compare(&self, a: &bool, b: &bool) -> Ordering {
        a.cmp(b)
    }

    fn normalized_key_len(&self) -> usize {
        1
    }

    fn normalized_key_is_complete(&self) -> bool {
        true
    }

    #[inline]
    fn write_normalized_key(&self, value: &bool, target: &mut [u8]) {
        write_key_prefix(&[u8::from(*value)], target);
    }

    #[inline]
    fn hash(&self, value: &bool, seed: u64) -> u64 {
        xxh3_64_with_seed(&[u8::from(*value)], seed)
    }
}

impl DefaultSerializer for bool {
    type Serializer = BoolSerializer;
}

impl DefaultComparator for bool {
    type Comparator = BoolComparator;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::test_pages::{bytes_source, round_trip};

    #[test]
    fn round_trips_and_rejects_other_bytes() {
        round_trip(&BoolSerializer, &[true, false, true]);
        let error = BoolSerializer
            .deserialize(&mut bytes_source(&[7]))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot deserialize bool: invalid bool byte 7 (expected 0 or 1)"
        );
    }
}
