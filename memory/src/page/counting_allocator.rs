//! A global allocator that counts heap bytes, so heap can be reported beside managed memory.
//!
//! Counting must not slow allocation down: with one shared counter, every allocation of every
//! task thread would update the same cache line, and on two busy cores that costs more than the
//! allocation itself (measured: WordCount ran 1.6x slower). So each thread counts into a slot of
//! its own (one cache line each, [`SLOTS`] of them; its only writer, so a plain load and store
//! suffice) and moves its
//! count to the shared total only when it has drifted by [`FLUSH_BYTES`]:
//!
//! ```text
//!   thread A ─ alloc/free ─▶ slot[a].pending ──(|pending| ≥ 64 KiB)──▶ ALLOCATED (+ peak)
//!   thread B ─ alloc/free ─▶ slot[b].pending ──────────────────────────▶
//!   allocated now = ALLOCATED + Σ pending          peak: of ALLOCATED, at flush granularity
//! ```
//!
//! Slots outlive their threads, so nothing is lost when a thread ends. The peak can miss up to
//! `FLUSH_BYTES` per thread slot in use.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

/// Thread slots; threads beyond this many share slots.
const SLOTS: usize = 256;
/// Bytes a slot may drift before it moves its count to the shared total.
const FLUSH_BYTES: isize = 64 << 10;

/// One thread's pending count, alone in its cache line.
#[repr(align(128))]
struct Slot {
    pending: AtomicIsize,
}

static SLOT_COUNTS: [Slot; SLOTS] = [const {
    Slot {
        pending: AtomicIsize::new(0),
    }
}; SLOTS];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

#[repr(align(128))]
struct Total(AtomicIsize);

static ALLOCATED_BYTES: Total = Total(AtomicIsize::new(0));
static PEAK_ALLOCATED_BYTES: Total = Total(AtomicIsize::new(0));

thread_local! {
    /// This thread's slot index, `usize::MAX` until its first allocation. A const-initialized
    /// `Cell` needs no destructor and no allocation, so the allocator may use it.
    static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Wraps the system allocator and counts the bytes currently allocated on the heap.
///
/// The `weir` binary installs it with `#[global_allocator]`; read the figures with
/// [`crate::heap_accounting`]. See the module docs for how counting stays cheap.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAllocator;

impl CountingAllocator {
    pub(crate) fn allocated_bytes() -> usize {
        let pending: isize = SLOT_COUNTS
            .iter()
            .map(|slot| slot.pending.load(Ordering::Relaxed))
            .sum();
        (ALLOCATED_BYTES.0.load(Ordering::Relaxed) + pending).max(0) as usize
    }

    pub(crate) fn peak_allocated_bytes() -> usize {
        (PEAK_ALLOCATED_BYTES.0.load(Ordering::Relaxed).max(0) as usize)
            .max(Self::allocated_bytes())
    }

    pub(crate) fn reset_peak() {
        PEAK_ALLOCATED_BYTES
            .0
            .store(Self::allocated_bytes() as isize, Ordering::Relaxed);
    }

    fn slot() -> &'static Slot {
        let index = SLOT
            .try_with(|slot| {
                let mut index = slot.get();
                if index == usize::MAX {
                    index = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS;
                    slot.set(index);
                }
                index
            })
            // While the thread's locals are torn down: share slot 0.
            .unwrap_or(0);
        &SLOT_COUNTS[index]
    }

    #[inline]
    fn changed(bytes: isize) {
        let slot = Self::slot();
        // A load and a store, not a locked add: a slot has one writer while at most `SLOTS`
        // threads exist (beyond that, two threads sharing a slot may lose each other's
        // updates: the figures get approximate, nothing else).
        let pending = slot.pending.load(Ordering::Relaxed) + bytes;
        if pending.abs() < FLUSH_BYTES {
            slot.pending.store(pending, Ordering::Relaxed);
        } else {
            slot.pending.store(0, Ordering::Relaxed);
            let moved = pending;
            let now = ALLOCATED_BYTES.0.fetch_add(moved, Ordering::Relaxed) + moved;
            if now > PEAK_ALLOCATED_BYTES.0.load(Ordering::Relaxed) {
                PEAK_ALLOCATED_BYTES.0.fetch_max(now, Ordering::Relaxed);
            }
        }
    }

    fn added(bytes: usize) {
        Self::changed(bytes as isize);
    }

    fn removed(bytes: usize) {
        Self::changed(-(bytes as isize));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds exactly as for `System`; the counters never touch the memory.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees (non-zero size layout).
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Self::added(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::added(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `ptr` came from this allocator (hence from `System`)
        // with this `layout`.
        unsafe { System.dealloc(ptr, layout) };
        Self::removed(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees about `ptr`, `layout` and `new_size`.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            Self::removed(layout.size());
            Self::added(new_size);
        }
        new_ptr
    }
}
