//! Helpers of the managed keyed state tests: a managed backend over a small MemoryManager with
//! 4 KiB pages and a temporary spill directory, and the files left in it.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use weir::memory::{ByteSize, IoManager, MemoryManager, PageSize};
use weir::state::managed::ManagedStateSetup;
use weir::state::{AggregateFunction, KeyGroupRange, KeyedStateBackend, StateKey};

pub const PAGE_BYTES: usize = 4096;

/// A MemoryManager, an IoManager over a temporary directory, and backends made of them.
pub struct ManagedEnv {
    pub dir: tempfile::TempDir,
    pub io: Arc<IoManager>,
    pub memory: MemoryManager,
}

impl ManagedEnv {
    pub fn new() -> ManagedEnv {
        let dir = tempfile::tempdir().unwrap();
        let io = Arc::new(IoManager::new(&[dir.path().to_path_buf()]).unwrap());
        let memory =
            MemoryManager::new(ByteSize::mib(16), PageSize::new(PAGE_BYTES).unwrap()).unwrap();
        ManagedEnv { dir, io, memory }
    }

    pub fn setup(&self, share_bytes: u64) -> ManagedStateSetup {
        ManagedStateSetup::new(self.memory.clone(), Arc::clone(&self.io), share_bytes)
    }

    pub fn backend<K: StateKey>(
        &self,
        max_parallelism: u32,
        key_groups: KeyGroupRange,
        share_bytes: u64,
    ) -> KeyedStateBackend<K> {
        KeyedStateBackend::new_managed("op", max_parallelism, key_groups, &self.setup(share_bytes))
            .unwrap()
    }

    /// Files under the spill directory.
    pub fn spill_files(&self) -> usize {
        count_files(self.dir.path())
    }
}

pub fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() { count_files(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// (count, sum) of i64 values; result "count/sum".
pub struct CountSum;

impl AggregateFunction<i64, (u64, i64), String> for CountSum {
    fn create_accumulator(&self) -> (u64, i64) {
        (0, 0)
    }

    fn add(&self, value: &i64, acc: &mut (u64, i64)) {
        acc.0 += 1;
        acc.1 += value;
    }

    fn get_result(&self, acc: &(u64, i64)) -> String {
        format!("{}/{}", acc.0, acc.1)
    }

    fn merge(&self, a: (u64, i64), b: (u64, i64)) -> (u64, i64) {
        (a.0 + b.0, a.1 + b.1)
    }
}
