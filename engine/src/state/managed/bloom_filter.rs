//! [`BloomFilter`]: a bit set that says "maybe" or "no" for the lookup keys of one sorted run.
//!
//! ```text
//!   h = xxh3(lookup key)        h2 = h rotated by 32 bits, made odd
//!   bit i (i = 0..HASHES)   =   high 64 bits of (h + i·h2 mod 2⁶⁴) × bit count
//!                               (double hashing; a multiply maps the 64-bit probe onto the
//!                               bits without a division)
//! ```
//!
//! [`BITS_PER_KEY`] bits and [`HASHES`] probes per key give about 1 % false positives, so a
//! lookup of a key that was never spilled reads no block of a run 99 times in 100. The bits
//! live on the heap: 1.25 bytes per spilled record.

use xxhash_rust::xxh3::xxh3_64;

/// Bits of the filter per record of its run.
pub const BITS_PER_KEY: usize = 10;

/// Probes per key (about `BITS_PER_KEY × ln 2`).
pub const HASHES: u32 = 7;

/// The hash a filter is built from and probed with.
#[inline]
pub fn bloom_hash(lookup_key: &[u8]) -> u64 {
    xxh3_64(lookup_key)
}

/// The filter of one run. See the module docs.
#[derive(Debug, Clone)]
pub struct BloomFilter {
    words: Vec<u64>,
    bit_count: u64,
}

impl BloomFilter {
    /// An empty filter sized for `keys` keys.
    pub fn with_capacity(keys: usize) -> BloomFilter {
        let bit_count = (keys.max(1) * BITS_PER_KEY).div_ceil(64) * 64;
        BloomFilter {
            words: vec![0; bit_count / 64],
            bit_count: bit_count as u64,
        }
    }

    /// Heap bytes of the bits.
    pub fn heap_bytes(&self) -> u64 {
        (self.words.len() * 8) as u64
    }

    /// Bit number `probe` of `hash`.
    #[inline]
    fn bit(&self, hash: u64, probe: u32) -> u64 {
        let h2 = hash.rotate_left(32) | 1;
        let probe_hash = hash.wrapping_add(u64::from(probe).wrapping_mul(h2));
        ((u128::from(probe_hash) * u128::from(self.bit_count)) >> 64) as u64
    }

    pub fn insert(&mut self, hash: u64) {
        for probe in 0..HASHES {
            let bit = self.bit(hash, probe);
            self.words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
    }

    /// False when the key of `hash` was certainly not inserted.
    #[inline]
    pub fn may_contain(&self, hash: u64) -> bool {
        (0..HASHES).all(|probe| {
            let bit = self.bit(hash, probe);
            self.words[(bit / 64) as usize] & (1 << (bit % 64)) != 0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_keys_are_found_and_few_others_are() {
        let mut filter = BloomFilter::with_capacity(10_000);
        for key in 0..10_000u64 {
            filter.insert(bloom_hash(&key.to_le_bytes()));
        }
        for key in 0..10_000u64 {
            assert!(filter.may_contain(bloom_hash(&key.to_le_bytes())));
        }
        let false_positives = (10_000..110_000u64)
            .filter(|key| filter.may_contain(bloom_hash(&key.to_le_bytes())))
            .count();
        assert!(false_positives < 2_000, "{false_positives} of 100000");
        assert_eq!(filter.heap_bytes(), 12_504);
    }
}
