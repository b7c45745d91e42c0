//! [`SparseIndex`]: where in a sorted run to start reading for a lookup key — the first key of
//! every block (the first record that starts in it), kept on the heap.
//!
//! ```text
//!   run file:  |hdr|rec rec rec rec|hdr|rec rec re|hdr|c rec rec|hdr|rec …   blocks of about
//!                  ^ point 0           ^ point 1          ^ point 2          RUN_BLOCK_BYTES
//!   points: [ (block u64, header offset u64, record offset in block u32, key end u32) ]
//!   keys:   [ key 0 | key 1 | key 2 | … ]     one vector; key i ends at points[i].key_end
//! ```
//!
//! A point lookup reads the block of the last point whose key is ≤ the wanted key and scans
//! from the point's offset. A block without a point (the middle of a record longer than a
//! block) is read only as part of the record before it. The next point's header offset bounds
//! the bytes to read. Heap: 24 bytes and the key per point — for 4 KiB blocks and records of
//! ~30 bytes, about a quarter of a byte per record (the bloom filter takes 1.25).

/// Heap bytes of a point beyond its key.
const POINT_BYTES: u64 = 24;

/// Where a record starts: its block (number and byte offset of the block's header in the
/// file) and its byte offset in the block's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunPosition {
    pub block: u64,
    pub block_offset: u64,
    pub offset: u32,
}

/// What [`SparseIndex::find`] and [`SparseIndex::seek`] point at: where to start, and the
/// header offset of the next indexed block (the start's block ends at or before it), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedStart {
    pub position: RunPosition,
    pub next_block_offset: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct IndexPoint {
    block: u64,
    block_offset: u64,
    offset: u32,
    key_end: u32,
}

/// The index of one run. See the module docs.
#[derive(Debug, Default)]
pub struct SparseIndex {
    points: Vec<IndexPoint>,
    keys: Vec<u8>,
}

impl SparseIndex {
    /// Adds a point: the record at `position` with lookup key `key`, greater than the keys
    /// added before.
    pub fn push(&mut self, position: RunPosition, key: &[u8]) {
        debug_assert!(
            self.points.is_empty() || key > self.key(self.points.len() - 1),
            "index points come in ascending key order"
        );
        self.keys.extend_from_slice(key);
        self.points.push(IndexPoint {
            block: position.block,
            block_offset: position.block_offset,
            offset: position.offset,
            key_end: u32::try_from(self.keys.len()).expect("index keys stay below 4 GiB"),
        });
    }

    /// Frees unused capacity (after the last point).
    pub fn shrink_to_fit(&mut self) {
        self.points.shrink_to_fit();
        self.keys.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Heap bytes of the points and keys.
    pub fn heap_bytes(&self) -> u64 {
        self.points.capacity() as u64 * POINT_BYTES + self.keys.capacity() as u64
    }

    fn key(&self, index: usize) -> &[u8] {
        let start = match index {
            0 => 0,
            _ => self.points[index - 1].key_end as usize,
        };
        &self.keys[start..self.points[index].key_end as usize]
    }

    fn start(&self, index: usize) -> IndexedStart {
        let point = self.points[index];
        IndexedStart {
            position: RunPosition {
                block: point.block,
                block_offset: point.block_offset,
                offset: point.offset,
            },
            next_block_offset: self.points.get(index + 1).map(|next| next.block_offset),
        }
    }

    /// Where a record with lookup key `key` would be: the last point whose key is ≤ `key`;
    /// `None` when every key of the run is greater.
    pub fn find(&self, key: &[u8]) -> Option<IndexedStart> {
        let index = self.partition_point(|point_key| point_key <= key);
        index.checked_sub(1).map(|index| self.start(index))
    }

    /// Where to start reading for the first record with a lookup key ≥ `key`: the last point
    /// whose key is ≤ `key` (every record before it is smaller), else the first point; `None`
    /// for an empty run.
    pub fn seek(&self, key: &[u8]) -> Option<IndexedStart> {
        if self.points.is_empty() {
            return None;
        }
        Some(self.find(key).unwrap_or_else(|| self.start(0)))
    }

    fn partition_point(&self, below: impl Fn(&[u8]) -> bool) -> usize {
        let (mut low, mut high) = (0, self.points.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if below(self.key(middle)) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_and_seek_pick_the_point_to_start_from() {
        let mut index = SparseIndex::default();
        assert_eq!(index.find(b"a"), None);
        assert_eq!(index.seek(b"a"), None);
        let position = |block: u64, offset| RunPosition {
            block,
            block_offset: block * 100,
            offset,
        };
        index.push(position(0, 0), b"b");
        index.push(position(1, 0), b"d");
        index.push(position(2, 17), b"dd");
        index.push(position(4, 0), b"f");
        index.shrink_to_fit();
        assert_eq!(index.len(), 4);
        assert_eq!(index.heap_bytes(), 4 * POINT_BYTES + 5);
        let at = |block, offset, next: Option<u64>| {
            Some(IndexedStart {
                position: position(block, offset),
                next_block_offset: next,
            })
        };
        // find: the last point ≤ key.
        assert_eq!(index.find(b"a"), None);
        assert_eq!(index.find(b"b"), at(0, 0, Some(100)));
        assert_eq!(index.find(b"c"), at(0, 0, Some(100)));
        assert_eq!(index.find(b"d"), at(1, 0, Some(200)));
        assert_eq!(index.find(b"da"), at(1, 0, Some(200)));
        assert_eq!(index.find(b"dd"), at(2, 17, Some(400)));
        assert_eq!(index.find(b"z"), at(4, 0, None));
        // seek: the last point ≤ key, else the first.
        assert_eq!(index.seek(b""), at(0, 0, Some(100)));
        assert_eq!(index.seek(b"a"), at(0, 0, Some(100)));
        assert_eq!(index.seek(b"c"), at(0, 0, Some(100)));
        assert_eq!(index.seek(b"d"), at(1, 0, Some(200)));
        assert_eq!(index.seek(b"de"), at(2, 17, Some(400)));
        assert_eq!(index.seek(b"z"), at(4, 0, None));
    }
}
