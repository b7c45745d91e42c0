//! [`JobProgress`]: counters the sources (and streaming sinks) bump while a job runs, read by
//! the progress line and the end-of-job summary.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Records and bytes read by the sources so far, and the stage that runs.
#[derive(Debug)]
pub struct JobProgress {
    records_read: AtomicU64,
    bytes_read: AtomicU64,
    records_skipped: AtomicU64,
    bytes_written: AtomicU64,
    records_written: AtomicU64,
    stage: Mutex<String>,
    started: Instant,
}

impl Default for JobProgress {
    fn default() -> JobProgress {
        JobProgress {
            records_read: AtomicU64::new(0),
            bytes_read: AtomicU64::new(0),
            records_skipped: AtomicU64::new(0),
            bytes_written: AtomicU64::new(0),
            records_written: AtomicU64::new(0),
            stage: Mutex::new(String::new()),
            started: Instant::now(),
        }
    }
}

impl JobProgress {
    pub(crate) fn add_read(&self, records: u64, bytes: u64) {
        self.records_read.fetch_add(records, Ordering::Relaxed);
        self.bytes_read.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Bad input records skipped (`--skip-bad-records` style options).
    pub(crate) fn add_skipped(&self, records: u64) {
        self.records_skipped.fetch_add(records, Ordering::Relaxed);
    }

    pub fn records_skipped(&self) -> u64 {
        self.records_skipped.load(Ordering::Relaxed)
    }

    pub(crate) fn add_written(&self, bytes: u64) {
        self.bytes_written.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn bytes_written(&self) -> u64 {
        self.bytes_written.load(Ordering::Relaxed)
    }

    /// Records taken by the sinks of a streaming job.
    pub(crate) fn add_records_written(&self, records: u64) {
        self.records_written.fetch_add(records, Ordering::Relaxed);
    }

    pub fn records_written(&self) -> u64 {
        self.records_written.load(Ordering::Relaxed)
    }

    pub(crate) fn set_stage(&self, stage: String) {
        *self
            .stage
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = stage;
    }

    pub fn records_read(&self) -> u64 {
        self.records_read.load(Ordering::Relaxed)
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    pub fn stage(&self) -> String {
        self.stage
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// One line: `stage 2/3 Reduce -> Sink | 1.2M records, 120.0 MiB read | 3.4 s`.
    pub fn line(&self) -> String {
        format!(
            "{} | {} records, {} read | {:.1} s",
            self.stage(),
            self.records_read(),
            weir_memory::ByteSize::new(self.bytes_read()).human(),
            self.started.elapsed().as_secs_f64()
        )
    }
}
