//! [`MemorySegment`]: a fixed-size page of memory with safe, explicit-endian accessors.
//!
//! A segment is the unit in which Weir hands out memory: the [`crate::MemoryManager`] gives
//! operators segments from the managed budget, the [`crate::NetworkBufferPool`] wraps them as
//! network buffers, paged views write records across them and the I/O manager spills them.
//!
//! A segment knows where it came from. When it is dropped, its page goes back to its home (the
//! memory manager's free list, a buffer pool, or the kernel for unpooled segments), so memory is
//! returned on every path, errors and panics included.
//!
//! All accessors take a byte offset and panic when the access does not fit inside the segment,
//! like slice indexing: an out-of-bounds access is a bug in the caller, never bad user input.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use crate::error::MemoryError;
use crate::page::Page;
use crate::page_size::PageSize;

/// Where a segment's page goes when the segment is dropped.
pub(crate) trait Recycler: Send + Sync {
    fn recycle(&self, page: Page);
}

/// A fixed-size page of memory. See the module docs.
pub struct MemorySegment {
    /// Always `Some` except during `drop`.
    page: Option<Page>,
    home: Option<Arc<dyn Recycler>>,
}

impl fmt::Debug for MemorySegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySegment")
            .field("size", &self.size())
            .finish()
    }
}

impl Drop for MemorySegment {
    fn drop(&mut self) {
        if let (Some(page), Some(home)) = (self.page.take(), self.home.take()) {
            home.recycle(page);
        }
    }
}

macro_rules! int_accessors {
    ($($ty:ty => $get_be:ident, $get_le:ident, $put_be:ident, $put_le:ident;)*) => {$(
        #[doc = concat!("Reads a big-endian `", stringify!($ty), "` at `offset`.")]
        #[inline]
        pub fn $get_be(&self, offset: usize) -> $ty {
            <$ty>::from_be_bytes(self.array(offset))
        }
        #[doc = concat!("Reads a little-endian `", stringify!($ty), "` at `offset`.")]
        #[inline]
        pub fn $get_le(&self, offset: usize) -> $ty {
            <$ty>::from_le_bytes(self.array(offset))
        }
        #[doc = concat!("Writes `value` as a big-endian `", stringify!($ty), "` at `offset`.")]
        #[inline]
        pub fn $put_be(&mut self, offset: usize, value: $ty) {
            self.put_bytes(offset, &value.to_be_bytes());
        }
        #[doc = concat!("Writes `value` as a little-endian `", stringify!($ty), "` at `offset`.")]
        #[inline]
        pub fn $put_le(&mut self, offset: usize, value: $ty) {
            self.put_bytes(offset, &value.to_le_bytes());
        }
    )*};
}

impl MemorySegment {
    pub(crate) fn new(page: Page, home: Option<Arc<dyn Recycler>>) -> MemorySegment {
        MemorySegment {
            page: Some(page),
            home,
        }
    }

    /// A segment outside every pool and budget, backed by its own small mapping. For tests and
    /// tools; operators take their segments from the [`crate::MemoryManager`].
    pub fn allocate_unpooled(page_size: PageSize) -> Result<MemorySegment, MemoryError> {
        Ok(MemorySegment::new(
            Page::allocate_unpooled(page_size.bytes())?,
            None,
        ))
    }

    #[inline]
    fn page(&self) -> &Page {
        self.page
            .as_ref()
            .expect("segment holds its page until dropped")
    }

    /// Size of the segment in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        self.page().len()
    }

    /// The whole segment as bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        self.page().bytes()
    }

    /// The whole segment as mutable bytes.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        self.page
            .as_mut()
            .expect("segment holds its page until dropped")
            .bytes_mut()
    }

    #[inline]
    fn array<const N: usize>(&self, offset: usize) -> [u8; N] {
        self.as_slice()[offset..offset + N]
            .try_into()
            .expect("slice has length N")
    }

    /// Reads the byte at `offset`.
    #[inline]
    pub fn get_u8(&self, offset: usize) -> u8 {
        self.as_slice()[offset]
    }

    /// Writes the byte at `offset`.
    #[inline]
    pub fn put_u8(&mut self, offset: usize, value: u8) {
        self.as_mut_slice()[offset] = value;
    }

    int_accessors! {
        u16 => get_u16_be, get_u16_le, put_u16_be, put_u16_le;
        i16 => get_i16_be, get_i16_le, put_i16_be, put_i16_le;
        u32 => get_u32_be, get_u32_le, put_u32_be, put_u32_le;
        i32 => get_i32_be, get_i32_le, put_i32_be, put_i32_le;
        u64 => get_u64_be, get_u64_le, put_u64_be, put_u64_le;
        i64 => get_i64_be, get_i64_le, put_i64_be, put_i64_le;
        f32 => get_f32_be, get_f32_le, put_f32_be, put_f32_le;
        f64 => get_f64_be, get_f64_le, put_f64_be, put_f64_le;
    }

    /// Copies `target.len()` bytes starting at `offset` into `target`.
    #[inline]
    pub fn get_bytes(&self, offset: usize, target: &mut [u8]) {
        target.copy_from_slice(&self.as_slice()[offset..offset + target.len()]);
    }

    /// Copies `source` into the segment starting at `offset`.
    #[inline]
    pub fn put_bytes(&mut self, offset: usize, source: &[u8]) {
        self.as_mut_slice()[offset..offset + source.len()].copy_from_slice(source);
    }

    /// Copies `len` bytes from `self[offset..]` to `target[target_offset..]`.
    #[inline]
    pub fn copy_to(
        &self,
        offset: usize,
        target: &mut MemorySegment,
        target_offset: usize,
        len: usize,
    ) {
        target.as_mut_slice()[target_offset..target_offset + len]
            .copy_from_slice(&self.as_slice()[offset..offset + len]);
    }

    /// Moves `len` bytes inside the segment from `from` to `to`; the ranges may overlap.
    #[inline]
    pub fn copy_within(&mut self, from: usize, to: usize, len: usize) {
        self.as_mut_slice().copy_within(from..from + len, to);
    }

    /// Compares `self[offset..offset+len]` with `other[other_offset..other_offset+len]` as
    /// unsigned bytes (memcmp order), the order of normalized keys.
    #[inline]
    pub fn compare(
        &self,
        other: &MemorySegment,
        offset: usize,
        other_offset: usize,
        len: usize,
    ) -> Ordering {
        self.as_slice()[offset..offset + len]
            .cmp(&other.as_slice()[other_offset..other_offset + len])
    }

    /// Compares two ranges inside this segment in memcmp order.
    #[inline]
    pub fn compare_within(&self, offset: usize, other_offset: usize, len: usize) -> Ordering {
        let bytes = self.as_slice();
        bytes[offset..offset + len].cmp(&bytes[other_offset..other_offset + len])
    }

    /// Swaps `self[offset..offset+len]` with `other[other_offset..other_offset+len]`.
    #[inline]
    pub fn swap_with(
        &mut self,
        offset: usize,
        other: &mut MemorySegment,
        other_offset: usize,
        len: usize,
    ) {
        self.as_mut_slice()[offset..offset + len]
            .swap_with_slice(&mut other.as_mut_slice()[other_offset..other_offset + len]);
    }

    /// Swaps two non-overlapping ranges inside this segment.
    ///
    /// Panics if the ranges overlap.
    #[inline]
    pub fn swap_within(&mut self, offset: usize, other_offset: usize, len: usize) {
        let (low, high) = if offset <= other_offset {
            (offset, other_offset)
        } else {
            (other_offset, offset)
        };
        assert!(
            low + len <= high,
            "swap_within ranges overlap: {offset}, {other_offset}, len {len}"
        );
        let (head, tail) = self.as_mut_slice().split_at_mut(high);
        head[low..low + len].swap_with_slice(&mut tail[..len]);
    }

    /// Sets `len` bytes starting at `offset` to `value`.
    #[inline]
    pub fn fill(&mut self, offset: usize, len: usize, value: u8) {
        self.as_mut_slice()[offset..offset + len].fill(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments() -> Vec<MemorySegment> {
        [4 * 1024, 32 * 1024, 1024 * 1024]
            .into_iter()
            .map(|size| MemorySegment::allocate_unpooled(PageSize::new(size).unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn integers_round_trip_in_both_byte_orders_up_to_the_last_byte() {
        for mut segment in segments() {
            let end = segment.size();
            segment.put_i64_be(end - 8, -2);
            assert_eq!(segment.get_i64_be(end - 8), -2);
            assert_eq!(segment.as_slice()[end - 8..], (-2i64).to_be_bytes());
            segment.put_u32_le(0, 0xdead_beef);
            assert_eq!(segment.get_u32_le(0), 0xdead_beef);
            assert_eq!(segment.get_u32_be(0), 0xefbe_adde);
            segment.put_f64_le(16, -0.5);
            assert_eq!(segment.get_f64_le(16), -0.5);
            segment.put_i16_be(30, i16::MIN);
            assert_eq!(segment.get_i16_be(30), i16::MIN);
        }
    }

    #[test]
    #[should_panic]
    fn access_past_the_end_panics() {
        let segment = MemorySegment::allocate_unpooled(PageSize::new(4096).unwrap()).unwrap();
        segment.get_u64_be(4096 - 7);
    }

    #[test]
    fn compare_orders_bytes_unsigned() {
        let mut segments = segments();
        let mut b = segments.pop().unwrap();
        let mut a = segments.pop().unwrap();
        a.put_bytes(0, &[1, 0x80, 3]);
        b.put_bytes(10, &[1, 0x7f, 9]);
        assert_eq!(a.compare(&b, 0, 10, 3), Ordering::Greater);
        assert_eq!(a.compare(&b, 0, 10, 1), Ordering::Equal);
        a.put_bytes(100, &[1, 0x80, 3]);
        assert_eq!(a.compare_within(0, 100, 3), Ordering::Equal);
    }

    #[test]
    fn swap_and_copy_between_segments() {
        let mut segments = segments();
        let mut b = segments.pop().unwrap();
        let mut a = segments.pop().unwrap();
        a.put_bytes(0, b"hello");
        b.put_bytes(7, b"world");
        a.swap_with(0, &mut b, 7, 5);
        assert_eq!(&a.as_slice()[..5], b"world");
        assert_eq!(&b.as_slice()[7..12], b"hello");
        b.copy_to(7, &mut a, 1000, 5);
        assert_eq!(&a.as_slice()[1000..1005], b"hello");
        a.swap_within(0, 1000, 5);
        assert_eq!(&a.as_slice()[..5], b"hello");
        assert_eq!(&a.as_slice()[1000..1005], b"world");
        a.copy_within(0, 2, 5);
        assert_eq!(&a.as_slice()[..7], b"hehello");
    }

    #[test]
    #[should_panic(expected = "overlap")]
    fn swap_within_rejects_overlap() {
        let mut segment = MemorySegment::allocate_unpooled(PageSize::new(4096).unwrap()).unwrap();
        segment.swap_within(0, 4, 8);
    }
}
