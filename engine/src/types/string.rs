//! `String`: [`StringSerializer`] and [`StringComparator`].
//!
//! ```text
//!   serialized:      [ length: LEB128 varint ][ UTF-8 bytes … ]   invalid UTF-8: NotUtf8 error
//!   normalized key:  the first key_len UTF-8 bytes, zero-padded   16 by default; never complete
//! ```
//!
//! Strings are ordered by their UTF-8 bytes, which is the order of Rust's `str` (and Unicode code
//! point order). The normalized key follows the rules of byte arrays (see
//! [`crate::types::BytesComparator`]): `"ab"` and `"ab\0"` share the key `61 62 00 00 …`, so ties
//! always fall back to `compare`. A key may end in the middle of a multi-byte character; that is
//! harmless, because the key is only ever compared as bytes.

use std::cmp::Ordering;

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::WeirError;
use crate::types::byte_array::{read_length_prefixed, skip_length_prefixed};
use crate::types::deserialize_problem::{DeserializeProblem, invalid};
use crate::types::normalized_key::{DEFAULT_VARIABLE_KEY_BYTES, write_key_prefix};
use crate::types::type_comparator::{DefaultComparator, TypeComparator};
use crate::types::type_serializer::{DefaultSerializer, TypeSerializer};

/// Serializes `String` as a varint length and the UTF-8 bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct StringSerializer;

/// Orders `String` by UTF-8 bytes; normalized key: the first bytes, zero-padded.
#[derive(Debug, Clone, Copy)]
pub struct StringComparator {
    key_len: usize,
}

impl StringComparator {
    /// Writes keys of [`DEFAULT_VARIABLE_KEY_BYTES`].
    pub const fn new() -> StringComparator {
        StringComparator::with_key_len(DEFAULT_VARIABLE_KEY_BYTES)
    }

    /// Writes keys of `key_len` bytes (0: no normalized key).
    pub const fn with_key_len(key_len: usize) -> StringComparator {
        StringComparator { key_len }
    }
}

impl Default for StringComparator {
    fn default() -> StringComparator {
        StringComparator::new()
    }
}

impl TypeSerializer for StringSerializer {
    type Value = String;

    #[inline]
    fn serialize<W: SegmentTarget>(
        &self,
        value: &String,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        Ok(out.write_length_prefixed(value.as_bytes())?)
    }

    #[inline]
    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<String, WeirError> {
        let bytes = read_length_prefixed(input, "String")?;
        String::from_utf8(bytes).map_err(|error| {
            invalid(
                "String",
                DeserializeProblem::NotUtf8 {
                    valid_up_to: error.utf8_error().valid_up_to(),
                },
            )
        })
    }

    fn skip<R: SegmentSource>(&self, input: &mut PagedInputView<R>) -> Result<(), WeirError> {
        skip_length_prefixed(input, "String")
    }
}

impl TypeComparator for StringComparator {
    type Value = String;

    #[inline]
    fn compare(&self, a: &String, b: &String) -> Ordering {
        a.as_bytes().cmp(b.as_bytes())
    }

    fn normalized_key_len(&self) -> usize {
        self.key_len
    }

    fn normalized_key_is_complete(&self) -> bool {
        false
    }

    #[inline]
    fn write_normalized_key(&self, value: &String, target: &mut [u8]) {
        write_key_prefix(value.as_bytes(), target);
    }

    #[inline]
    fn hash(&self, value: &String, seed: u64) -> u64 {
        xxh3_64_with_seed(value.as_bytes(), seed)
    }
}

impl DefaultSerializer for String {
    type Serializer = StringSerializer;
}

impl DefaultComparator for String {
    type Comparator = StringComparator;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::test_pages::{bytes_source, round_trip};

    #[test]
    fn round_trips_unicode_and_long_strings() {
        round_trip(
            &StringSerializer,
            &[
                String::new(),
                "a\0b".to_string(),
                "grüße, 世界".to_string(),
                "x".repeat(9_000),
            ],
        );
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let error = StringSerializer
            .deserialize(&mut bytes_source(&[3, b'a', 0xff, b'b']))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot deserialize String: string is not UTF-8 (invalid byte at offset 1)"
        );
    }

    #[test]
    fn order_is_code_point_order() {
        let comparator = StringComparator::new();
        let a = "z".to_string();
        let b = "é".to_string();
        assert_eq!(comparator.compare(&a, &b), a.cmp(&b));
        assert_eq!(comparator.compare(&a, &b), Ordering::Less);
    }
}
