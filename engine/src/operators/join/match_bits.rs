//! [`MatchBits`]: one bit per record in pages, for remembering which probe records found a
//! partner across several passes (the block nested-loop join of a left outer join).
//!
//! ```text
//!   bit i lives in page i / (page bytes × 8), byte (i / 8) % page bytes, bit i % 8
//! ```

use weir_memory::MemorySegment;

/// Pages needed for `bits` bits on pages of `page_bytes`.
pub fn match_bits_pages(bits: u64, page_bytes: usize) -> usize {
    bits.div_ceil(page_bytes as u64 * 8) as usize
}

/// A bit per record, all clear at first. See the module docs.
#[derive(Debug)]
pub struct MatchBits {
    pages: Vec<MemorySegment>,
    page_bits_shift: u32,
}

impl MatchBits {
    /// Clear bits over `pages` (all of one size).
    pub fn new(mut pages: Vec<MemorySegment>, page_bytes: usize) -> MatchBits {
        for page in &mut pages {
            page.fill(0, page_bytes, 0);
        }
        MatchBits {
            pages,
            page_bits_shift: (page_bytes * 8).trailing_zeros(),
        }
    }

    #[inline]
    fn locate(&self, bit: u64) -> (usize, usize, u8) {
        let page = (bit >> self.page_bits_shift) as usize;
        let in_page = bit & ((1 << self.page_bits_shift) - 1);
        (page, (in_page / 8) as usize, 1 << (in_page % 8))
    }

    #[inline]
    pub fn set(&mut self, bit: u64) {
        let (page, byte, mask) = self.locate(bit);
        let old = self.pages[page].get_u8(byte);
        self.pages[page].put_u8(byte, old | mask);
    }

    #[inline]
    pub fn get(&self, bit: u64) -> bool {
        let (page, byte, mask) = self.locate(bit);
        self.pages[page].get_u8(byte) & mask != 0
    }

    pub fn into_pages(self) -> Vec<MemorySegment> {
        self.pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_memory::{ByteSize, MemoryManager, PageSize};

    #[test]
    fn bits_across_pages() {
        let manager = MemoryManager::new(ByteSize::kib(16), PageSize::new(4096).unwrap()).unwrap();
        let bits = 70_000u64;
        let pages = manager
            .reservation("bits")
            .allocate_pages(match_bits_pages(bits, 4096))
            .unwrap();
        assert_eq!(pages.len(), 3);
        let mut set = MatchBits::new(pages, 4096);
        for bit in (0..bits).filter(|bit| bit % 3 == 0) {
            set.set(bit);
        }
        assert!((0..bits).all(|bit| set.get(bit) == (bit % 3 == 0)));
        assert_eq!(set.into_pages().len(), 3);
    }
}
