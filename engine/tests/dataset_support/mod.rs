//! Helpers for DataSet API tests: an environment with small pages and a small managed budget
//! (so sorts, joins and exchanges spill), spilling into a temporary directory that the test
//! checks is empty afterwards.

#![allow(dead_code)]

use tempfile::TempDir;
use weir::api::ExecutionEnvironment;
use weir::config::Configuration;

pub struct TestEnv {
    pub env: ExecutionEnvironment,
    pub spill_dir: TempDir,
}

impl TestEnv {
    /// `parallelism` subtasks; `managed` managed memory (e.g. "2m"), 4 KiB pages; `extra`
    /// further `-D` pairs.
    pub fn new(parallelism: usize, managed: &str, extra: &[(&str, &str)]) -> TestEnv {
        let spill_dir = tempfile::tempdir().unwrap();
        let spill = spill_dir.path().display().to_string();
        let mut pairs = vec![
            ("taskmanager.memory.segment-size", "4k"),
            ("taskmanager.memory.managed.size", managed),
            ("taskmanager.memory.network.min", "4m"),
            ("taskmanager.memory.network.max", "4m"),
            ("io.tmp.dirs", spill.as_str()),
        ];
        pairs.extend_from_slice(extra);
        let config = Configuration::from_pairs(pairs).unwrap();
        let env = ExecutionEnvironment::new(config);
        env.set_parallelism(parallelism);
        TestEnv { env, spill_dir }
    }

    /// Every spill file is gone (the IoManager removes its directory at shutdown).
    pub fn assert_no_spill_files(&self) {
        let leftovers: Vec<_> = walk(self.spill_dir.path());
        assert!(leftovers.is_empty(), "spill files left: {leftovers:?}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Sorted copy, for comparing outputs whose order does not matter.
pub fn sorted<T: Ord + Clone>(values: &[T]) -> Vec<T> {
    let mut values = values.to_vec();
    values.sort();
    values
}
