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

    /// A buffer over `segment` with its first `len` bytes as data, e.g. a buffer that went to a
    /// spill file as a segment and came back filled. The segment keeps its home: it returns to
    /// the pool it came from when the buffer drops. Panics past the capacity.
    pub fn from_segment(segment: MemorySegment, len: usize) -> NetworkBuffer {
        let mut buffer = NetworkBuffer { segment, len: 0 };
        buffer.set_len(len);
        buffer
    }

    /// The segment, e.g. to hand it to a [`crate::BlockChannelWriter`]; it still returns to its
    /// pool when dropped.
    pub fn into_segment(self) -> MemorySegment {
        self.segment
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
