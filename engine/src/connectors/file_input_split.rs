//! Cutting input files into byte ranges ([`FileInputSplit`]) and handing them to subtasks.
//!
//! ```text
//!   file a (70 MiB)   [ split 0: 0..32M ][ split 1: 32M..64M ][2: 64M..70M]
//!   file b (3 MiB)    [ split 3: 0..3M ]
//!   file c (0 bytes)  (no split)
//!
//!   assign_splits(.., parallelism 2), largest first to the lightest subtask:
//!     subtask 0: [0]          32 MiB
//!     subtask 1: [1, 2, 3]    41 MiB
//! ```
//!
//! As in Flink's `FileInputFormat.createInputSplits`, the split size is
//! `min(total_bytes / min_splits, MAX_SPLIT_BYTES)` (at least 1), so there are at least `min_splits`
//! splits whenever the input has at least that many bytes, and no split is larger than a
//! local file system "block" (32 MiB). A file's last split may be up to 10% larger than the
//! others rather than leave a tiny tail split. Split boundaries are byte offsets, not line
//! boundaries: the [`LineReader`](super::LineReader) decides which lines a split owns.
//!
//! Empty files yield **no** split (they hold no records).

use std::path::PathBuf;

use super::file_enumeration::InputFile;

/// The largest split: Flink's default block size of a local file system.
pub const MAX_SPLIT_BYTES: u64 = 32 << 20;

/// How much larger than the split size a file's last split may be (Flink's
/// `MAX_SPLIT_SIZE_DISCREPANCY`).
const LAST_SPLIT_SLACK: f64 = 1.1;

/// A byte range `start..start + length` of one file, read by one subtask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInputSplit {
    /// The split's position among all splits of the input (0, 1, 2, ... in file order).
    pub split_number: usize,
    pub path: PathBuf,
    pub start: u64,
    pub length: u64,
    /// The file's whole length, when it was listed.
    pub file_len: u64,
}

impl FileInputSplit {
    /// The offset just past the split's range.
    pub fn end(&self) -> u64 {
        self.start + self.length
    }
}

/// Splits `files` (in the given order) into ranges, at least `min_splits` of them when the input
/// has at least that many bytes. Empty files yield no split.
pub fn create_input_splits(files: &[InputFile], min_splits: usize) -> Vec<FileInputSplit> {
    let total_bytes: u64 = files.iter().map(|file| file.len).sum();
    let min_splits = min_splits.max(1) as u64;
    let split_bytes = (total_bytes / min_splits).clamp(1, MAX_SPLIT_BYTES);
    let last_split_limit = (split_bytes as f64 * LAST_SPLIT_SLACK) as u64;

    let mut splits = Vec::new();
    for file in files {
        let mut start = 0;
        while start < file.len {
            let remaining = file.len - start;
            let length = if remaining <= last_split_limit {
                remaining
            } else {
                split_bytes
            };
            splits.push(FileInputSplit {
                split_number: splits.len(),
                path: file.path.clone(),
                start,
                length,
                file_len: file.len,
            });
            start += length;
        }
    }
    splits
}

/// Distributes `splits` over `parallelism` subtasks, balanced by bytes: the largest split goes to
/// the subtask with the fewest bytes so far (the lowest index on ties). Deterministic; each
/// subtask's splits come back in split order so it reads files front to back.
///
/// # Panics
/// If `parallelism` is 0 (the runtime validates parallelism before it gets here).
pub fn assign_splits(splits: Vec<FileInputSplit>, parallelism: usize) -> Vec<Vec<FileInputSplit>> {
    assert!(
        parallelism > 0,
        "assign_splits needs a parallelism of at least 1"
    );
    let mut by_size = splits;
    by_size.sort_by(|a, b| {
        b.length
            .cmp(&a.length)
            .then(a.split_number.cmp(&b.split_number))
    });
    let mut assigned: Vec<Vec<FileInputSplit>> = vec![Vec::new(); parallelism];
    let mut assigned_bytes = vec![0u64; parallelism];
    for split in by_size {
        let lightest = (0..parallelism)
            .min_by_key(|&subtask| (assigned_bytes[subtask], subtask))
            .expect("parallelism is at least 1");
        assigned_bytes[lightest] += split.length;
        assigned[lightest].push(split);
    }
    for subtask_splits in &mut assigned {
        subtask_splits.sort_by_key(|split| split.split_number);
    }
    assigned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, len: u64) -> InputFile {
        InputFile {
            path: PathBuf::from(name),
            len,
        }
    }

    /// The splits of each file cover it exactly, in order, without gaps or overlaps.
    fn assert_covers(files: &[InputFile], splits: &[FileInputSplit]) {
        for file in files {
            let mut next = 0;
            for split in splits.iter().filter(|split| split.path == file.path) {
                assert_eq!(split.start, next);
                assert!(split.length > 0);
                assert_eq!(split.file_len, file.len);
                next = split.end();
            }
            assert_eq!(next, file.len);
        }
        for (index, split) in splits.iter().enumerate() {
            assert_eq!(split.split_number, index);
        }
    }

    #[test]
    fn large_files_are_cut_at_the_block_size() {
        let files = [file("a", 70 << 20), file("b", 3 << 20), file("c", 0)];
        let splits = create_input_splits(&files, 1);
        assert_covers(&files, &splits);
        let lengths: Vec<u64> = splits.iter().map(|split| split.length).collect();
        assert_eq!(lengths, [32 << 20, 32 << 20, 6 << 20, 3 << 20]);
    }

    #[test]
    fn small_inputs_still_reach_the_minimum_split_count() {
        for min_splits in 1..=9 {
            for len in [1u64, 7, 100, 1000, 4097] {
                let files = [file("a", len)];
                let splits = create_input_splits(&files, min_splits);
                assert_covers(&files, &splits);
                assert!(
                    splits.len() >= min_splits.min(len as usize),
                    "{len} bytes into {min_splits}: {splits:?}"
                );
            }
        }
    }

    #[test]
    fn the_last_split_absorbs_a_small_tail() {
        // 105 bytes in 4: splits of 26, and the last 27 bytes stay one split.
        let lengths: Vec<u64> = create_input_splits(&[file("a", 105)], 4)
            .iter()
            .map(|split| split.length)
            .collect();
        assert_eq!(lengths, [26, 26, 26, 27]);
        // 100 bytes in 3: 33, 33, and 34 rather than a split of 1 byte.
        let lengths: Vec<u64> = create_input_splits(&[file("b", 100)], 3)
            .iter()
            .map(|split| split.length)
            .collect();
        assert_eq!(lengths, [33, 33, 34]);
        // 33 MiB: one split, 3% above the block size.
        let splits = create_input_splits(&[file("d", 33 << 20)], 1);
        assert_eq!(splits.len(), 1);
    }

    #[test]
    fn empty_inputs_have_no_splits() {
        assert!(create_input_splits(&[], 4).is_empty());
        assert!(create_input_splits(&[file("a", 0)], 4).is_empty());
    }

    #[test]
    fn assignment_balances_bytes_deterministically() {
        let files = [file("a", 70 << 20), file("b", 3 << 20), file("c", 40 << 20)];
        let splits = create_input_splits(&files, 1);
        let assigned = assign_splits(splits.clone(), 3);
        assert_eq!(assigned, assign_splits(splits.clone(), 3));
        let bytes: Vec<u64> = assigned
            .iter()
            .map(|splits| splits.iter().map(|split| split.length).sum())
            .collect();
        assert_eq!(bytes.iter().sum::<u64>(), 113 << 20);
        let (min, max) = (bytes.iter().min().unwrap(), bytes.iter().max().unwrap());
        assert!(max - min <= 32 << 20, "{bytes:?}");
        let mut numbers: Vec<usize> = assigned.iter().flatten().map(|s| s.split_number).collect();
        numbers.sort();
        assert_eq!(numbers, (0..splits.len()).collect::<Vec<_>>());
        for subtask in &assigned {
            assert!(subtask.is_sorted_by_key(|split| split.split_number));
        }
    }

    #[test]
    fn more_subtasks_than_splits_leaves_some_empty() {
        let splits = create_input_splits(&[file("a", 10)], 1);
        let assigned = assign_splits(splits, 4);
        assert_eq!(
            assigned.iter().map(Vec::len).collect::<Vec<_>>(),
            [1, 0, 0, 0]
        );
    }
}
