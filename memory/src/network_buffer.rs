//! [`NetworkBuffer`]: a segment from a local buffer pool plus the length of the data in it.

use std::fmt;

use crate::memory_segment::MemorySegment;

/// A network buffer: a [`MemorySegment`] of the [`crate::NetworkBufferPool`] and how many of its
/// bytes hold data. It returns to its [`crate::LocalBufferPool`] when dropped.
pub struct NetworkBuffer {
    segment: MemorySegment,
    len: usize,
}

impl fmt::Debug for NetworkBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkBuffer")
            .field("capacity", &self.capacity())
            .field("len", &self.len)
            .finish()
    }
}

impl NetworkBuffer {
    pub(crate) fn new(segment: MemorySegment) -> NetworkBuffer {
        NetworkBuffer { segment, len: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.segment.size()
    }

    /// Bytes of data in the buffer.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Declares how many bytes of the segment hold data. Panics past the capacity.
    pub fn set_len(&mut self, len: usize) {
        assert!(
            len <= self.capacity(),
            "buffer length {len} exceeds capacity {}",
            self.capacity()
        );
        self.len = len;
    }

    /// The data bytes.
    pub fn data(&self) -> &[u8] {
        &self.segment.as_slice()[..self.len]
    }

    pub fn segment(&self) -> &MemorySegment {
        &self.segment
    }

    pub fn segment_mut(&mut self) -> &mut MemorySegment {
        &mut self.segment
    }
}
