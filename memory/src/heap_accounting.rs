//! Heap and resident-memory figures of this process.
//!
//! Managed and network memory are counted by their pools; the heap is counted by
//! [`crate::CountingAllocator`] when the binary installs it as its global allocator (the `weir`
//! binary does), and the resident set size comes from `/proc/self/status`. Together they let a
//! TaskManager report where its memory went and check it against
//! `taskmanager.memory.process.size`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::byte_size::ByteSize;
use crate::error::MemoryError;
use crate::page::CountingAllocator;

/// Heap bytes counted by [`CountingAllocator`]. Both are zero when it is not installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapUsage {
    pub allocated: ByteSize,
    pub peak_allocated: ByteSize,
}

/// Current and peak heap use as counted by [`CountingAllocator`].
pub fn heap_usage() -> HeapUsage {
    HeapUsage {
        allocated: ByteSize::new(CountingAllocator::allocated_bytes() as u64),
        peak_allocated: ByteSize::new(CountingAllocator::peak_allocated_bytes() as u64),
    }
}

impl HeapUsage {
    /// Starts a new peak measurement from the current allocation level.
    pub fn reset_peak() {
        CountingAllocator::reset_peak();
    }
}

/// The resident set size of this process (`VmRSS`).
pub fn resident_set_size() -> Result<ByteSize, MemoryError> {
    status_field(Path::new("/proc/self/status"), "VmRSS:")
}

/// The kernel's peak resident set size of this process (`VmHWM`), at least the current one.
///
/// Caveat: Linux updates the high-water mark when mappings are torn down, not when
/// `MADV_DONTNEED` drops pages, so a peak that managed memory gave back is missed. Use
/// [`ResidentSetSampler`] to measure the peak of a job.
pub fn peak_resident_set_size() -> Result<ByteSize, MemoryError> {
    let status_path = Path::new("/proc/self/status");
    let hwm = status_field(status_path, "VmHWM:")?;
    Ok(hwm.max(status_field(status_path, "VmRSS:")?))
}

/// Samples the resident set size on a background thread and keeps the maximum.
///
/// Stop it with [`ResidentSetSampler::stop`], which returns the peak seen (including one last
/// sample taken at stop).
#[derive(Debug)]
pub struct ResidentSetSampler {
    peak_bytes: Arc<AtomicU64>,
    stop: Option<crossbeam_channel::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ResidentSetSampler {
    /// Starts sampling every `interval`.
    pub fn start(interval: std::time::Duration) -> ResidentSetSampler {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let peak_bytes = Arc::new(AtomicU64::new(0));
        let peak = Arc::clone(&peak_bytes);
        let thread = std::thread::Builder::new()
            .name("rss-sampler".into())
            .spawn(move || {
                loop {
                    if let Ok(rss) = resident_set_size() {
                        peak.fetch_max(rss.bytes(), Ordering::Relaxed);
                    }
                    if !matches!(
                        stopped.recv_timeout(interval),
                        Err(crossbeam_channel::RecvTimeoutError::Timeout)
                    ) {
                        return;
                    }
                }
            })
            .ok();
        ResidentSetSampler {
            peak_bytes,
            stop: Some(stop),
            thread,
        }
    }

    /// The largest resident set size sampled so far.
    pub fn peak_so_far(&self) -> ByteSize {
        ByteSize::new(self.peak_bytes.load(Ordering::Relaxed))
    }

    /// Stops sampling and returns the peak resident set size seen.
    pub fn stop(mut self) -> ByteSize {
        self.finish()
    }

    fn finish(&mut self) -> ByteSize {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Ok(rss) = resident_set_size() {
            self.peak_bytes.fetch_max(rss.bytes(), Ordering::Relaxed);
        }
        self.peak_so_far()
    }
}

impl Drop for ResidentSetSampler {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.finish();
        }
    }
}

fn status_field(path: &Path, field: &str) -> Result<ByteSize, MemoryError> {
    let status = std::fs::read_to_string(path).map_err(|source| MemoryError::Io {
        path: path.into(),
        action: "reading",
        source,
    })?;
    parse_status_field(&status, field).ok_or_else(|| MemoryError::Io {
        path: path.into(),
        action: "parsing",
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("no '{field} <n> kB' line"),
        ),
    })
}

fn parse_status_field(status: &str, field: &str) -> Option<ByteSize> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    let mut parts = line[field.len()..].split_whitespace();
    let kib: u64 = parts.next()?.parse().ok()?;
    (parts.next()? == "kB").then_some(ByteSize::kib(kib))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_status_lines() {
        let status = "Name:\tweir\nVmHWM:\t  204800 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(
            parse_status_field(status, "VmRSS:"),
            Some(ByteSize::mib(10))
        );
        assert_eq!(
            parse_status_field(status, "VmHWM:"),
            Some(ByteSize::kib(204800))
        );
        assert_eq!(parse_status_field(status, "VmSwap:"), None);
    }

    #[test]
    fn resident_set_grows_when_managed_pages_are_touched_and_drops_when_they_return() {
        use crate::{MemoryManager, PageSize};
        let manager =
            MemoryManager::new(ByteSize::mib(64), PageSize::new(1 << 20).unwrap()).unwrap();
        let sampler = ResidentSetSampler::start(std::time::Duration::from_millis(1));
        let before = resident_set_size().unwrap();
        let owner = manager.reservation("rss-test");
        let mut pages = owner.allocate_pages(64).unwrap();
        for page in &mut pages {
            page.fill(0, page.size(), 1);
        }
        let touched = resident_set_size().unwrap();
        // Wait (bounded) until the sampler has seen the touched pages.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while sampler.peak_so_far() < touched.saturating_sub(ByteSize::mib(8))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        drop(pages);
        let after = resident_set_size().unwrap();
        // Other test threads allocate too, so compare with generous slack.
        assert!(
            touched.bytes() >= before.bytes() + ByteSize::mib(48).bytes(),
            "{before} -> {touched}"
        );
        assert!(
            after.bytes() + ByteSize::mib(48).bytes() <= touched.bytes(),
            "{touched} -> {after}"
        );
        assert!(sampler.stop() >= touched.saturating_sub(ByteSize::mib(8)));
        assert!(peak_resident_set_size().unwrap() >= after);
    }
}
