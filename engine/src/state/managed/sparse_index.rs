//! [`SparseIndex`]: where in a sorted run to start reading for a lookup key — the first key of
//! every [`INDEX_INTERVAL_BYTES`] of records (and of every block), kept on the heap.
//!
//! ```text
//!   run bytes:   |rec rec rec rec|rec rec rec rec|rec rec …     (blocks of one page each)
//!                 ^ point 0       ^ point 1       ^ point 2      a point at least every
//!                                                               INDEX_INTERVAL_BYTES, and at
//!                                                               the first record of a block
//!   points: [ (block u64, offset in block u32, key end u32) ]   16 bytes each
//!   keys:   [ key 0 | key 1 | key 2 | … ]                       one vector, key i ends at
//!                                                               points[i].key_end
//! ```
//!
//! A point lookup reads the block of the last point whose key is ≤ the wanted key and scans
//! from the point's offset: at most about [`INDEX_INTERVAL_BYTES`] of records (plus one
//! record), not a whole page. Heap: 16 bytes and the key per point — for 4 KiB between points
//! and records of ~30 bytes, about a quarter of a byte per record (the bloom filter takes 1.25).

/// Bytes of records between two index points (at most, plus one record).
pub const INDEX_INTERVAL_BYTES: u64 = 4096;

/// Heap bytes of a point beyond its key.
const POINT_BYTES: u64 = 16;

/// Where a record starts: its block and its byte offset in the block's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunPosition {
    pub block: u64,
    pub offset: u32,
}

#[derive(Debug, Clone, Copy)]
struct IndexPoint {
    block: u64,
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

    fn position(&self, index: usize) -> RunPosition {
        let point = self.points[index];
        RunPosition {
            block: point.block,
            offset: point.offset,
        }
    }

    /// Where a record with lookup key `key` would be: the last point whose key is ≤ `key`;
    /// `None` when every key of the run is greater.
    pub fn find(&self, key: &[u8]) -> Option<RunPosition> {
        let index = self.partition_point(|point_key| point_key <= key);
        index.checked_sub(1).map(|index| self.position(index))
    }

    /// Where to start reading for the first record with a lookup key ≥ `key`: the last point
    /// whose key is ≤ `key` (every record before it is smaller), else the first point; `None`
    /// for an empty run.
    pub fn seek(&self, key: &[u8]) -> Option<RunPosition> {
        if self.points.is_empty() {
            return None;
        }
        Some(self.find(key).unwrap_or_else(|| self.position(0)))
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
        let at = |block, offset| RunPosition { block, offset };
        index.push(at(0, 0), b"b");
        index.push(at(0, 4096), b"d");
        index.push(at(1, 17), b"dd");
        index.push(at(3, 0), b"f");
        index.shrink_to_fit();
        assert_eq!(index.len(), 4);
        assert_eq!(index.heap_bytes(), 4 * POINT_BYTES + 5);
        // find: the last point ≤ key.
        assert_eq!(index.find(b"a"), None);
        assert_eq!(index.find(b"b"), Some(at(0, 0)));
        assert_eq!(index.find(b"c"), Some(at(0, 0)));
        assert_eq!(index.find(b"d"), Some(at(0, 4096)));
        assert_eq!(index.find(b"da"), Some(at(0, 4096)));
        assert_eq!(index.find(b"dd"), Some(at(1, 17)));
        assert_eq!(index.find(b"z"), Some(at(3, 0)));
        // seek: the last point ≤ key, else the first.
        assert_eq!(index.seek(b""), Some(at(0, 0)));
        assert_eq!(index.seek(b"a"), Some(at(0, 0)));
        assert_eq!(index.seek(b"c"), Some(at(0, 0)));
        assert_eq!(index.seek(b"d"), Some(at(0, 4096)));
        assert_eq!(index.seek(b"de"), Some(at(1, 17)));
        assert_eq!(index.seek(b"z"), Some(at(3, 0)));
    }
}
