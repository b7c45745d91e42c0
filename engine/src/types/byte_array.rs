//! Byte arrays (`Vec<u8>`): [`BytesSerializer`] and [`BytesComparator`].
//!
//! # Serialized form
//!
//! ```text
//!   [ length: LEB128 varint, 1–10 bytes ][ bytes … ]
//! ```
//!
//! Reading never trusts the length: the bytes are read in chunks of at most 1 MiB, so a corrupt
//! length fails with [`DeserializeProblem::Truncated`] at the end of the data instead of
//! allocating what it claims.
//!
//! # Normalized key (also used by [`crate::types::StringComparator`])
//!
//! ```text
//!   key_len = 4:   "ab"    → 61 62 00 00        the first key_len bytes, zero-padded
//!                  "ab\0"  → 61 62 00 00        same key, different value: not complete
//!                  "abcde" → 61 62 63 64
//! ```
//!
//! Order is lexicographic by unsigned byte, a proper prefix first (`Ord` of `[u8]`). The key is
//! order-preserving: if `a < b` either `a` is a proper prefix of `b` (padding zeros ≤ `b`'s
//! bytes) or they first differ at a position where `a`'s byte is smaller (inside the key, which
//! is then smaller, or past it, where the keys are equal). It is **never complete**, even for
//! values shorter than the key: a real zero byte and padding look the same, and a length byte to
//! tell them apart would cost key bytes and still leave long values undecided. Ties therefore go
//! to `compare`, which is a plain `memcmp` of the values. The default key length is
//! [`DEFAULT_VARIABLE_KEY_BYTES`] (16); [`BytesComparator::with_key_len`] changes it. The hash is
//! xxh3 of the bytes.

use std::cmp::Ordering;

use weir_memory::{MemoryError, PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::WeirError;
use crate::types::deserialize_problem::read_failure;
use crate::types::normalized_key::{DEFAULT_VARIABLE_KEY_BYTES, write_key_prefix};
use crate::types::type_comparator::{DefaultComparator, TypeComparator};
use crate::types::type_serializer::{DefaultSerializer, TypeSerializer};

/// Serializes `Vec<u8>` as a varint length and the bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct BytesSerializer;

/// Orders `Vec<u8>` lexicographically; normalized key: the first bytes, zero-padded.
#[derive(Debug, Clone, Copy)]
pub struct BytesComparator {
    key_len: usize,
}

impl BytesComparator {
    /// Writes keys of [`DEFAULT_VARIABLE_KEY_BYTES`].
    pub const fn new() -> BytesComparator {
        BytesComparator::with_key_len(DEFAULT_VARIABLE_KEY_BYTES)
    }

    /// Writes keys of `key_len` bytes (0: no normalized key).
    pub const fn with_key_len(key_len: usize) -> BytesComparator {
        BytesComparator { key_len }
    }
}

impl Default for BytesComparator {
    fn default() -> BytesComparator {
        BytesComparator::new()
    }
}

impl TypeSerializer for BytesSerializer {
    type Value = Vec<u8>;

    #[inline]
    fn serialize<W: SegmentTarget>(
        &self,
        value: &Vec<u8>,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        Ok(out.write_length_prefixed(value)?)
    }

    #[inline]
    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<Vec<u8>, WeirError> {
        read_length_prefixed(input, "Vec<u8>")
    }

    fn skip<R: SegmentSource>(&self, input: &mut PagedInputView<R>) -> Result<(), WeirError> {
        skip_length_prefixed(input, "Vec<u8>")
    }
}

impl TypeComparator for BytesComparator {
    type Value = Vec<u8>;

    #[inline]
    fn compare(&self, a: &Vec<u8>, b: &Vec<u8>) -> Ordering {
        a.as_slice().cmp(b.as_slice())
    }

    fn normalized_key_len(&self) -> usize {
        self.key_len
    }

    fn normalized_key_is_complete(&self) -> bool {
        false
    }

    #[inline]
    fn write_normalized_key(&self, value: &Vec<u8>, target: &mut [u8]) {
        write_key_prefix(value, target);
    }

    #[inline]
    fn hash(&self, value: &Vec<u8>, seed: u64) -> u64 {
        xxh3_64_with_seed(value, seed)
    }
}

impl DefaultSerializer for Vec<u8> {
    type Serializer = BytesSerializer;
}

impl DefaultComparator for Vec<u8> {
    type Comparator = BytesComparator;
}

/// Bytes read per step when the length is not trusted yet.
const READ_CHUNK_BYTES: usize = 1 << 20;

/// Replaces `target`'s contents with the next `len` bytes of `input`, growing it chunk by chunk
/// as the bytes arrive. At the end of the data, [`MemoryError::EndOfData`] counts all `len`
/// bytes still missing.
pub(crate) fn read_bytes_into<R: SegmentSource>(
    input: &mut PagedInputView<R>,
    len: usize,
    target: &mut Vec<u8>,
) -> Result<(), MemoryError> {
    target.clear();
    while target.len() < len {
        let start = target.len();
        let end = start + (len - start).min(READ_CHUNK_BYTES);
        target.resize(end, 0);
        input
            .read_exact(&mut target[start..])
            .map_err(|error| match error {
                MemoryError::EndOfData { needed } => MemoryError::EndOfData {
                    needed: needed + (len - end),
                },
                other => other,
            })?;
    }
    Ok(())
}

/// Reads a varint length and that many bytes.
pub(crate) fn read_length_prefixed<R: SegmentSource>(
    input: &mut PagedInputView<R>,
    type_name: &'static str,
) -> Result<Vec<u8>, WeirError> {
    let len = read_length(input, type_name)?;
    let mut bytes = Vec::new();
    read_bytes_into(input, len, &mut bytes).map_err(|error| read_failure(type_name, error))?;
    Ok(bytes)
}

/// Skips a varint length and that many bytes.
pub(crate) fn skip_length_prefixed<R: SegmentSource>(
    input: &mut PagedInputView<R>,
    type_name: &'static str,
) -> Result<(), WeirError> {
    let len = read_length(input, type_name)?;
    input
        .skip_bytes(len)
        .map_err(|error| read_failure(type_name, error))
}

fn read_length<R: SegmentSource>(
    input: &mut PagedInputView<R>,
    type_name: &'static str,
) -> Result<usize, WeirError> {
    let len = input
        .read_var_u64()
        .map_err(|error| read_failure(type_name, error))?;
    usize::try_from(len).map_err(|_| {
        read_failure(
            type_name,
            MemoryError::MalformedLength {
                length: len,
                max: usize::MAX as u64,
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::test_pages::{bytes_source, round_trip};

    #[test]
    fn round_trips_empty_small_and_multi_page_arrays() {
        round_trip(
            &BytesSerializer,
            &[vec![], vec![0], vec![1, 2, 3], vec![0xab; 10_000], vec![]],
        );
    }

    #[test]
    fn a_corrupt_length_fails_without_allocating_it() {
        // Length 2^62, followed by 3 bytes.
        let mut bytes = vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
        bytes.extend_from_slice(&[1, 2, 3]);
        let error = BytesSerializer
            .deserialize(&mut bytes_source(&bytes))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "cannot deserialize Vec<u8>: truncated record: {} more bytes needed",
                (1u64 << 62) - 3
            )
        );
    }

    #[test]
    fn keys_are_zero_padded_prefixes() {
        let comparator = BytesComparator::with_key_len(4);
        let mut key = [0xff; 4];
        comparator.write_normalized_key(&vec![0x61, 0x62], &mut key);
        assert_eq!(key, [0x61, 0x62, 0, 0]);
        comparator.write_normalized_key(&vec![1, 2, 3, 4, 5], &mut key);
        assert_eq!(key, [1, 2, 3, 4]);
        assert!(!comparator.normalized_key_is_complete());
    }
}
