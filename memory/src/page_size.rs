//! [`PageSize`]: the validated size of a memory segment.

use std::fmt;

use crate::byte_size::ByteSize;
use crate::error::MemoryError;

/// The size of every [`crate::MemorySegment`] of a pool: a power of two from
/// [`PageSize::MIN`] (4 KiB) to [`PageSize::MAX`] (1 MiB). Flink's key for it is
/// `taskmanager.memory.segment-size`; the default is 32 KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageSize(u32);

impl PageSize {
    pub const MIN: usize = 4 * 1024;
    pub const MAX: usize = 1024 * 1024;
    pub const DEFAULT: PageSize = PageSize(32 * 1024);

    /// Validates `bytes`: a power of two in `MIN..=MAX`.
    pub fn new(bytes: usize) -> Result<PageSize, MemoryError> {
        if bytes.is_power_of_two() && (Self::MIN..=Self::MAX).contains(&bytes) {
            Ok(PageSize(bytes as u32))
        } else {
            Err(MemoryError::InvalidPageSize {
                bytes: bytes as u64,
            })
        }
    }

    #[inline]
    pub fn bytes(self) -> usize {
        self.0 as usize
    }

    /// How many whole pages fit into `size` (rounded down).
    pub fn pages_in(self, size: ByteSize) -> usize {
        (size.bytes() / self.0 as u64) as usize
    }
}

impl fmt::Display for PageSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ByteSize::new(self.0 as u64).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_powers_of_two_from_4k_to_1m_only() {
        for ok in [4096, 8192, 32768, 1 << 20] {
            assert_eq!(PageSize::new(ok).unwrap().bytes(), ok);
        }
        for bad in [0, 1, 2048, 4095, 5000, 2 << 20] {
            assert!(
                matches!(PageSize::new(bad), Err(MemoryError::InvalidPageSize { .. })),
                "{bad}"
            );
        }
    }
}
