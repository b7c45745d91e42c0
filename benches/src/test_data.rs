//! Deterministic data for benchmarks, shared by the criterion kernels and the runners.
//!
//! Spill pages are random noise (so no layer below can compress or skip the data) stamped with
//! their block number every [`STAMP_STRIDE`] bytes, so a read-back can check it got the right
//! block without comparing whole pages.

use weir_memory::MemorySegment;

/// Distance between two block-number stamps in a spill page.
pub const STAMP_STRIDE: usize = 4096;

/// SplitMix64: a tiny deterministic generator, the same sequence for the same seed.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }
}

/// The SplitMix64 finalizer: a bijective scramble of a `u64`, for data derived from an index
/// (row `i`'s key is `mix64(i ^ seed)`) without a generator's state.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `count` pseudo-random numbers from SplitMix64, the same for the same `seed`.
pub fn random_u64s(count: usize, seed: u64) -> Vec<u64> {
    let mut random = SplitMix64::new(seed);
    (0..count).map(|_| random.next_u64()).collect()
}

/// Bytes of a sort benchmark record (the TeraSort / gensort layout).
pub const SORT_RECORD_BYTES: usize = 100;

/// Bytes of its key.
pub const SORT_KEY_BYTES: usize = 10;

/// Writes sort record number `index` as a text line, the gensort ASCII layout: a 10-byte random
/// key of printable characters, the record number in hex, filler, and a newline, 100 bytes in
/// all. As fixed-width lines, GNU `sort` sorts the same bytes.
///
/// ```text
///   0          10  12                     44                                        99
///   | key (10)  |  | record number, 32 hex |  filler (55 bytes of one letter)     |\n|
/// ```
pub fn sort_record_line(random: &mut SplitMix64, index: u64, line: &mut [u8; SORT_RECORD_BYTES]) {
    let (a, b) = (random.next_u64(), random.next_u64());
    for (i, byte) in line[..SORT_KEY_BYTES].iter_mut().enumerate() {
        let bits = if i < 5 {
            a >> (i * 12)
        } else {
            b >> ((i - 5) * 12)
        };
        // 95 printable ASCII characters, space to tilde.
        *byte = b' ' + (bits % 95) as u8;
    }
    line[10] = b' ';
    line[11] = b' ';
    let hex = format!("{index:032X}");
    line[12..44].copy_from_slice(hex.as_bytes());
    line[44..99].fill(b'A' + (index % 26) as u8);
    line[99] = b'\n';
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
