//! Deterministic data for benchmarks, shared by the criterion kernels and the runners.
//!
//! Spill pages are random noise (so no layer below can compress or skip the data) stamped with
//! their block number every [`STAMP_STRIDE`] bytes, so a read-back can check it got the right
//! block without comparing whole pages.

use weir_memory::MemorySegment;

/// Distance between two block-number stamps in a spill page.
pub const STAMP_STRIDE: usize = 4096;

/// `count` pseudo-random numbers from SplitMix64, the same for the same `seed`.
pub fn random_u64s(count: usize, seed: u64) -> Vec<u64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
        .collect()
}

/// Fills `page` with xorshift noise.
pub fn fill_random(page: &mut MemorySegment, seed: u64) {
    let mut state = seed | 1;
    for word in page.as_mut_slice().chunks_exact_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        word.copy_from_slice(&state.to_le_bytes());
    }
}

/// Writes `block` as a little-endian u64 at every multiple of [`STAMP_STRIDE`] in `page`.
pub fn stamp(page: &mut MemorySegment, block: u64) {
    for offset in (0..page.size()).step_by(STAMP_STRIDE) {
        page.put_u64_le(offset, block);
    }
}
