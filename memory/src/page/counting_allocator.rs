//! A global allocator that counts heap bytes, so heap can be reported beside managed memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATED_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_ALLOCATED_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Wraps the system allocator and counts the bytes currently allocated on the heap.
///
/// The `weir` binary installs it with `#[global_allocator]`; read the figures with
/// [`crate::heap_accounting`]. The counting costs one relaxed atomic add per allocation and a
/// compare on the peak.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAllocator;

impl CountingAllocator {
    pub(crate) fn allocated_bytes() -> usize {
        ALLOCATED_BYTES.load(Ordering::Relaxed)
    }

    pub(crate) fn peak_allocated_bytes() -> usize {
        PEAK_ALLOCATED_BYTES.load(Ordering::Relaxed)
    }

    pub(crate) fn reset_peak() {
        PEAK_ALLOCATED_BYTES.store(ALLOCATED_BYTES.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    fn added(bytes: usize) {
        let now = ALLOCATED_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
        PEAK_ALLOCATED_BYTES.fetch_max(now, Ordering::Relaxed);
    }

    fn removed(bytes: usize) {
        ALLOCATED_BYTES.fetch_sub(bytes, Ordering::Relaxed);
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
