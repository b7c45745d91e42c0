//! Fixed-width byte arrays (`[u8; N]`): [`FixedBytesSerializer`] and [`FixedBytesComparator`].
//!
//! ```text
//!   serialized:      [ b0 b1 … bN-1 ]                 N bytes, no length
//!   normalized key:  [ b0 b1 … bk-1 ]                 k = min(N, cap) bytes, as they are
//! ```
//!
//! Order is lexicographic by unsigned byte. All values have the same length, so the bytes
//! themselves are the key: complete when the whole array fits (`k == N`, the default), a plain
//! prefix otherwise (e.g. a 100-byte record key capped at 16 key bytes). The hash is xxh3 of the
//! N bytes. Use these for keys like the 10-byte keys of TeraSort records.

use std::cmp::Ordering;

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::WeirError;
use crate::types::deserialize_problem::read_failure;
use crate::types::normalized_key::write_key_prefix;
use crate::types::type_comparator::{DefaultComparator, TypeComparator};
use crate::types::type_serializer::{DefaultSerializer, TypeSerializer};

/// Serializes `[u8; N]` as its N bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedBytesSerializer<const N: usize>;

/// Orders `[u8; N]` lexicographically; normalized key: the bytes (all N of them by default).
#[derive(Debug, Clone, Copy)]
pub struct FixedBytesComparator<const N: usize> {
    key_len: usize,
}

impl<const N: usize> FixedBytesComparator<N> {
    /// Writes all N bytes as the key (complete).
    pub const fn new() -> FixedBytesComparator<N> {
        FixedBytesComparator { key_len: N }
    }

    /// Writes at most `cap` bytes as the key; complete only when `cap >= N`.
    pub const fn with_key_len(cap: usize) -> FixedBytesComparator<N> {
        FixedBytesComparator {
            key_len: if cap < N { cap } else { N },
        }
    }
}

impl<const N: usize> Default for FixedBytesComparator<N> {
    fn default() -> FixedBytesComparator<N> {
        FixedBytesComparator::new()
    }
}

impl<const N: usize> TypeSerializer for FixedBytesSerializer<N> {
    type Value = [u8; N];

    #[inline]
    fn serialize<W: SegmentTarget>(
        &self,
        value: &[u8; N],
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        Ok(out.write_bytes(value)?)
    }

    #[inline]
    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<[u8; N], WeirError> {
        let mut bytes = [0u8; N];
        input
            .read_exact(&mut bytes)
            .map_err(|error| read_failure(std::any::type_name::<[u8; N]>(), error))?;
        Ok(bytes)
    }

    fn fixed_length(&self) -> Option<usize> {
        Some(N)
    }
}

impl<const N: usize> TypeComparator for FixedBytesComparator<N> {
    type Value = [u8; N];

    #[inline]
    fn compare(&self, a: &[u8; N], b: &[u8; N]) -> Ordering {
        a.cmp(b)
    }

    fn normalized_key_len(&self) -> usize {
        self.key_len
    }

    fn normalized_key_is_complete(&self) -> bool {
        self.key_len == N
    }

    #[inline]
    fn write_normalized_key(&self, value: &[u8; N], target: &mut [u8]) {
        write_key_prefix(value, target);
    }

    #[inline]
    fn hash(&self, value: &[u8; N], seed: u64) -> u64 {
        xxh3_64_with_seed(value, seed)
    }
}

impl<const N: usize> DefaultSerializer for [u8; N] {
    type Serializer = FixedBytesSerializer<N>;
}

impl<const N: usize> DefaultComparator for [u8; N] {
    type Comparator = FixedBytesComparator<N>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::test_pages::round_trip;

    #[test]
    fn round_trips_and_is_complete_only_when_it_fits() {
        round_trip(
            &FixedBytesSerializer::<10>,
            &[[0; 10], [0xff; 10], *b"0123456789"],
        );
        round_trip(&FixedBytesSerializer::<0>, &[[], []]);
        assert!(FixedBytesComparator::<10>::new().normalized_key_is_complete());
        assert!(FixedBytesComparator::<10>::with_key_len(16).normalized_key_is_complete());
        let capped = FixedBytesComparator::<10>::with_key_len(8);
        assert_eq!(capped.normalized_key_len(), 8);
        assert!(!capped.normalized_key_is_complete());
    }
}
