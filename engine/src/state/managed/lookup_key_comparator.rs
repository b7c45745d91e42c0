//! [`LookupKeyComparator`]: orders whole [`store_record`](crate::state::managed::store_record)s
//! by their lookup keys (as bytes), so that the store's write buffer is an
//! [`InMemorySorter`](crate::operators::sort::InMemorySorter): records and sort index in the
//! buffer's pages, radix-sorted on a key prefix, no heap per record.
//!
//! ```text
//!   record:          | header (9) | lookup key                          | value |
//!   normalized key:               | first n bytes of the lookup key, zeros past its end |
//! ```
//!
//! Bytes compare like the keys (a shorter key padded with zeros never sorts after a longer
//! one it is a prefix of), but two keys may pad to the same bytes ("ab" and "ab\0"), and keys
//! longer than the prefix tie on it, so the normalized key is not complete: ties are decided
//! by comparing the lookup keys.

use std::cmp::Ordering;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::state::managed::store_record::StoreRecord;
use crate::types::TypeComparator;

/// Normalized key bytes a sort index keeps per record.
const NORMALIZED_KEY_BYTES: usize = 24;

/// Orders records by lookup key. See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct LookupKeyComparator;

impl TypeComparator for LookupKeyComparator {
    type Value = Vec<u8>;

    fn compare(&self, a: &Vec<u8>, b: &Vec<u8>) -> Ordering {
        StoreRecord::parse(a)
            .lookup_key
            .cmp(StoreRecord::parse(b).lookup_key)
    }

    fn normalized_key_len(&self) -> usize {
        NORMALIZED_KEY_BYTES
    }

    fn normalized_key_is_complete(&self) -> bool {
        false
    }

    #[inline]
    fn write_normalized_key(&self, value: &Vec<u8>, target: &mut [u8]) {
        let key = StoreRecord::parse(value).lookup_key;
        let len = key.len().min(target.len());
        target[..len].copy_from_slice(&key[..len]);
        target[len..].fill(0);
    }

    fn hash(&self, value: &Vec<u8>, seed: u64) -> u64 {
        xxh3_64_with_seed(StoreRecord::parse(value).lookup_key, seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::managed::store_record::{RecordKind, encode_record};

    fn record(key: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode_record(RecordKind::Put, key, b"value", &mut bytes);
        bytes
    }

    #[test]
    fn normalized_keys_never_contradict_the_order_of_lookup_keys() {
        let keys: [&[u8]; 7] = [
            b"\0\0\0\x01\0\0\0\x02",
            b"\0\0\0\x01\0\0\0\x02\0",
            b"\0\0\0\x01\0\0\0\x02\x01",
            b"\0\0\0\x01\0\0\0\x02abcdefghijklmnopqrstuvwxyz",
            b"\0\0\0\x01\0\0\0\x02abcdefghijklmnopqrstuvwxyZ",
            b"\0\0\0\x01\0\0\0\x03",
            b"\0\0\0\x02\0\0\0\x00",
        ];
        let comparator = LookupKeyComparator;
        for a in keys {
            for b in keys {
                let (ra, rb) = (record(a), record(b));
                assert_eq!(comparator.compare(&ra, &rb), a.cmp(b));
                for len in [4, 8, 9, NORMALIZED_KEY_BYTES] {
                    let (mut na, mut nb) = (vec![7u8; len], vec![7u8; len]);
                    comparator.write_normalized_key(&ra, &mut na);
                    comparator.write_normalized_key(&rb, &mut nb);
                    if a < b {
                        assert!(na <= nb, "{a:?} {b:?} at {len}");
                    }
                    if a == b {
                        assert_eq!(na, nb);
                        assert_eq!(comparator.hash(&ra, 3), comparator.hash(&rb, 3));
                    }
                }
            }
        }
    }
}
