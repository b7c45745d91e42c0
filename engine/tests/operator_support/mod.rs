//! Shared by the operator tests (sort, join, aggregation): managed pages from a memory manager,
//! an I/O manager spilling into a fresh temporary directory, and the check that an operator left
//! neither a page nor a spill file behind.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use weir::memory::{ByteSize, IoManager, MemoryManager, MemorySegment, PageSize};

/// `pages` pages of `page_bytes` and a spill directory that goes with the value.
pub struct OperatorSetup {
    pub memory: MemoryManager,
    pub io: Arc<IoManager>,
    _dir: tempfile::TempDir,
}

impl OperatorSetup {
    pub fn new(page_bytes: usize, pages: usize) -> OperatorSetup {
        let dir = tempfile::tempdir().unwrap();
        let io = Arc::new(IoManager::new(&[dir.path().to_path_buf()]).unwrap());
        let memory = MemoryManager::new(
            ByteSize::new((page_bytes * pages) as u64),
            PageSize::new(page_bytes).unwrap(),
        )
        .unwrap();
        OperatorSetup {
            memory,
            io,
            _dir: dir,
        }
    }

    /// Every page of the memory manager, for one operator named `owner`.
    pub fn all_pages(&self, owner: &str) -> Vec<MemorySegment> {
        self.memory
            .reservation(owner)
            .allocate_pages(self.memory.total_pages())
            .unwrap()
    }

    pub fn spill_files(&self) -> usize {
        spill_files(&self.io)
    }

    /// Every page is back and no spill file is left.
    pub fn assert_clean(&self) {
        assert_eq!(self.memory.used_pages(), 0, "pages not given back");
        for dir in self.io.spill_directories() {
            assert_eq!(files_in(&dir), 0, "spill files left in {}", dir.display());
        }
    }
}

/// Files in the I/O manager's spill directories.
pub fn spill_files(io: &IoManager) -> usize {
    io.spill_directories().iter().map(|dir| files_in(dir)).sum()
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.count())
        .unwrap_or(0)
}
