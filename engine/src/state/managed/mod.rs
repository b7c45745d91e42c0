//! The managed keyed state backend (`state.backend.type: managed`): keyed state whose total
//! size is far larger than the operator's memory share spills to disk through the IoManager.
//!
//! ```text
//!   KeyedStateBackend (same API as the hashmap backend)
//!   ├─ working set: the typed heap tables (StateTable), their measured bytes limited by
//!   │    working_set_bytes ─── over the limit before an access ──▶ eviction round:
//!   │       clock over (state, key group): serialize every (key, namespace) of the group
//!   │       (not the current key) into the spill store, until half the limit is left
//!   └─ spill store (LSM): write buffer (in-memory sorter in managed pages) ──▶ sorted runs on
//!        disk in blocks of ~4 KiB, each run with a bloom filter and a sparse block index; at
//!        most MAX_RUNS runs (then the newest ones are merged, size-tiered)
//!
//!   access (key, namespace) not in the working set ──▶ spill store lookup (bloom: no I/O for
//!   keys never spilled) ──▶ loaded back into the working set (its copy becomes dead)
//! ```
//!
//! Budget of one operator subtask (its share of the job's managed memory, `share_bytes`):
//!
//! ```text
//!   store pages   = share / 2 / page size  (≥ MIN_STORE_PAGES): write buffer, one lookup page,
//!                   IO_PAGES for readers and writers — a reservation of the job's MemoryManager
//!   working set   = share − store pages × page size  (≥ MIN_WORKING_SET_BYTES): heap bytes of
//!                   the tables (measured like the hashmap backend's budget) plus the store's
//!                   heap indexes and pending tombstones
//! ```
//!
//! Heap indexes per spilled record: 10 bloom bits (1.25 bytes) and a share of the sparse index
//! of its run (a point of 24 bytes and a lookup key per block of ~4 KiB: with 50-byte records
//! about 0.5 bytes per record). Records of a run count until a merge drops them, dead copies
//! too (the store merges all runs before those outnumber the live entries, and an eviction
//! round that ends over the limit merges all runs before it gives up). The indexes count
//! against the working set, so the state a share can hold is bounded — roughly
//! `working set bytes / 2` spilled entries of that size, fewer while the working set also
//! holds entries — beyond that an access fails with
//! [`WeirError::ManagedStateWorkingSetExceeded`] instead of passing the plan.
//!
//! Eviction frees half the working set per round: with uniform access over ten times the
//! share, freeing three quarters was no faster (bench `state_spill`, size-tiered merges) and
//! with a state twice the share it loaded 11 % more entries back.
//!
//! Reads of spilled entries run on the operator's thread: each run keeps its file open and
//! reads the one block a lookup needs synchronously (no I/O-thread hand-off); iterating the
//! namespaces of one key or the keys of one state reads only the range of lookup keys with
//! that prefix (see [`sorted_run`]).
//!
//! Snapshots write the same sections as the hashmap backend (working-set entries, then the
//! spilled ones), so checkpoints restore into either backend.

pub mod bloom_filter;
pub mod lookup_key_comparator;
pub mod sorted_run;
pub mod sparse_index;
pub mod spill_store;
pub mod store_record;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use weir_memory::{IoManager, MemoryManager};

use crate::error::WeirError;
pub use spill_store::{IO_PAGES, MAX_RUNS, SpillStore, SpillStoreMetrics};

/// Fewest write-buffer pages.
pub const MIN_BUFFER_PAGES: usize = 2;

/// Fewest pages of the store: write buffer, lookup page, readers and writers.
pub const MIN_STORE_PAGES: usize = MIN_BUFFER_PAGES + 1 + IO_PAGES;

/// Smallest working set.
pub const MIN_WORKING_SET_BYTES: u64 = 16 * 1024;

/// What the managed backend of one operator subtask gets: the job's MemoryManager and
/// IoManager, its share of the managed memory, and the job's spill counters.
#[derive(Debug, Clone)]
pub struct ManagedStateSetup {
    pub memory: MemoryManager,
    pub io: Arc<IoManager>,
    /// This operator subtask's share of `taskmanager.memory.managed.size`.
    pub share_bytes: u64,
    pub counters: Arc<StateSpillCounters>,
}

impl ManagedStateSetup {
    /// A setup with counters of its own.
    pub fn new(memory: MemoryManager, io: Arc<IoManager>, share_bytes: u64) -> ManagedStateSetup {
        ManagedStateSetup {
            memory,
            io,
            share_bytes,
            counters: Arc::default(),
        }
    }
}

/// What the managed state of a whole job spilled (every backend adds to it; the job's summary
/// reports it).
#[derive(Debug, Default)]
pub struct StateSpillCounters {
    bytes_spilled: AtomicU64,
    spill_files: AtomicU64,
}

impl StateSpillCounters {
    pub fn add(&self, bytes_spilled: u64, spill_files: u64) {
        self.bytes_spilled
            .fetch_add(bytes_spilled, Ordering::Relaxed);
        self.spill_files.fetch_add(spill_files, Ordering::Relaxed);
    }

    /// Payload bytes written to spill files of keyed state (flushes and merges).
    pub fn bytes_spilled(&self) -> u64 {
        self.bytes_spilled.load(Ordering::Relaxed)
    }

    /// Spill files of keyed state written.
    pub fn spill_files(&self) -> u64 {
        self.spill_files.load(Ordering::Relaxed)
    }
}

/// How a share is split. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedStateBudget {
    pub working_set_bytes: u64,
    pub store_pages: usize,
    pub buffer_pages: usize,
}

impl ManagedStateBudget {
    /// Splits `share_bytes` with pages of `page_bytes`; too small a share is
    /// [`WeirError::ManagedStateShareTooSmall`] naming `operator`.
    pub fn split(
        operator: &str,
        share_bytes: u64,
        page_bytes: usize,
    ) -> Result<ManagedStateBudget, WeirError> {
        let page = page_bytes as u64;
        let required_bytes = MIN_STORE_PAGES as u64 * page + MIN_WORKING_SET_BYTES;
        let store_pages = (share_bytes / 2 / page) as usize;
        let store_pages = store_pages.max(MIN_STORE_PAGES);
        let store_bytes = store_pages as u64 * page;
        if share_bytes < required_bytes || share_bytes - store_bytes < MIN_WORKING_SET_BYTES {
            return Err(WeirError::ManagedStateShareTooSmall {
                operator: operator.to_owned(),
                share_bytes,
                required_bytes,
                page_bytes: page,
            });
        }
        Ok(ManagedStateBudget {
            working_set_bytes: share_bytes - store_bytes,
            store_pages,
            buffer_pages: store_pages - 1 - IO_PAGES,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_splits_in_half_and_too_small_a_share_names_the_keys() {
        let budget = ManagedStateBudget::split("Window", 1 << 20, 4096).unwrap();
        assert_eq!(budget.store_pages, 128);
        assert_eq!(budget.working_set_bytes, 512 * 1024);
        assert_eq!(budget.buffer_pages, 128 - 1 - IO_PAGES);
        let smallest = MIN_STORE_PAGES as u64 * 4096 + MIN_WORKING_SET_BYTES;
        assert!(ManagedStateBudget::split("Window", smallest, 4096).is_ok());
        let error = ManagedStateBudget::split("Window(agg)", smallest - 1, 4096).unwrap_err();
        let message = error.to_string();
        for needle in [
            "Window(agg)",
            &(smallest - 1).to_string(),
            &smallest.to_string(),
            "taskmanager.memory.managed.size",
            "taskmanager.memory.managed.fraction",
        ] {
            assert!(message.contains(needle), "{needle} missing in {message}");
        }
    }
}
