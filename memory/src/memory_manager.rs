//! [`MemoryManager`]: the managed-memory budget of a TaskManager, handed out as pages.
//!
//! The whole budget is one anonymous mapping, cut into pages of `taskmanager.memory.segment-size`
//! when the manager starts (no page is resident until it is first written). Operators never
//! allocate memory for records themselves: they open a named [`MemoryReservation`] and take
//! pages from it. A page knows its reservation, so when its [`MemorySegment`] drops, the page goes
//! back to the manager and the owner's count goes down. Returned pages first join a small *dirty*
//! list (at most [`RELEASE_BATCH_BYTES`]); the next request reuses them while they are still
//! resident, and when the list is full the whole batch goes back to the kernel (`MADV_DONTNEED`,
//! one call per run of adjacent pages), so resident memory really drops, at most one batch late.
//! Nothing can be allocated past the budget: a request that
//! does not fit fails at once with [`MemoryError::Exhausted`], naming the requester and the
//! largest holders, and the operator spills or waits.
//!
//! ```text
//!   MemoryManager ──reservation("sort/2")──▶ MemoryReservation ──allocate_pages(n)──▶ [MemorySegment; n]
//!        ▲                                         │ counts held pages per owner            │
//!        ├──────── dirty list (reused first) ◀─────┴──────────── segment dropped ◀─────────┘
//!        └──────── clean list ◀── madvise(DONTNEED) per batch of the dirty list
//! ```
//!
//! [`MemoryManager::close`] reports every owner that still holds pages (a leak); dropping a
//! manager with pages out logs the same report.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::byte_size::ByteSize;
use crate::error::MemoryError;
use crate::memory_segment::{MemorySegment, Recycler};
use crate::page::{Page, PageArena};
use crate::page_size::PageSize;

/// The managed-memory budget. Cheap to clone; all clones share one budget.
#[derive(Clone)]
pub struct MemoryManager {
    shared: Arc<ManagerShared>,
}

struct ManagerShared {
    page_size: PageSize,
    total_pages: usize,
    state: Mutex<ManagerState>,
    peak_used_pages: AtomicUsize,
}

/// Returned pages stay resident up to this many bytes before they go back to the kernel.
pub const RELEASE_BATCH_BYTES: usize = 2 << 20;

struct ManagerState {
    /// Pages given back to the kernel (not resident until written again).
    clean: Vec<Page>,
    /// Returned pages that are still resident; reused first.
    dirty: Vec<Page>,
    release_batch_pages: usize,
    owners: Vec<Weak<OwnerAccount>>,
}

/// The named holder of pages; shared by a reservation and all of its segments.
struct OwnerAccount {
    name: String,
    held_pages: AtomicUsize,
    limit_pages: Option<usize>,
    manager: Arc<ManagerShared>,
}

/// A named owner's claim on the managed budget; pages are taken through it.
///
/// Dropping the reservation does not take pages away from segments still alive: each segment
/// returns its page when it drops. [`MemoryReservation::held_pages`] counts those segments.
pub struct MemoryReservation {
    account: Arc<OwnerAccount>,
}

impl fmt::Debug for MemoryManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryManager")
            .field("page_size", &self.shared.page_size)
            .field("total_pages", &self.shared.total_pages)
            .field("free_pages", &self.free_pages())
            .finish()
    }
}

impl fmt::Debug for MemoryReservation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReservation")
            .field("owner", &self.account.name)
            .field("held_pages", &self.held_pages())
            .field("limit_pages", &self.account.limit_pages)
            .finish()
    }
}

impl ManagerShared {
    fn lock(&self) -> MutexGuard<'_, ManagerState> {
        // A panic while holding this lock cannot leave the free list inconsistent (every
        // mutation is a single push/pop/drain), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Recycler for OwnerAccount {
    fn recycle(&self, page: Page) {
        self.held_pages.fetch_sub(1, Ordering::Relaxed);
        let mut state = self.manager.lock();
        state.dirty.push(page);
        if state.dirty.len() >= state.release_batch_pages {
            state.release_dirty();
        }
    }
}

impl ManagerState {
    fn free_len(&self) -> usize {
        self.clean.len() + self.dirty.len()
    }

    /// Returns every dirty page to the kernel.
    fn release_dirty(&mut self) {
        let mut batch = std::mem::take(&mut self.dirty);
        Page::release_all_to_os(&mut batch);
        // Highest index first, so `pop` hands out low pages first.
        self.clean.extend(batch.into_iter().rev());
    }

    /// Takes `count` pages, resident ones first.
    fn take(&mut self, count: usize) -> Vec<Page> {
        let from_dirty = count.min(self.dirty.len());
        let mut pages = self.dirty.split_off(self.dirty.len() - from_dirty);
        let from_clean = count - from_dirty;
        pages.extend(self.clean.drain(self.clean.len() - from_clean..).rev());
        pages
    }
}

impl MemoryManager {
    /// Maps `budget` bytes, rounded down to whole pages of `page_size`.
    pub fn new(budget: ByteSize, page_size: PageSize) -> Result<MemoryManager, MemoryError> {
        let page_count = page_size.pages_in(budget);
        let mut clean = PageArena::map_pages(page_size.bytes(), page_count)?;
        // Hand out low pages first: `take` takes from the end.
        clean.reverse();
        let release_batch_pages = (RELEASE_BATCH_BYTES / page_size.bytes()).max(1);
        Ok(MemoryManager {
            shared: Arc::new(ManagerShared {
                page_size,
                total_pages: page_count,
                state: Mutex::new(ManagerState {
                    clean,
                    dirty: Vec::new(),
                    release_batch_pages,
                    owners: Vec::new(),
                }),
                peak_used_pages: AtomicUsize::new(0),
            }),
        })
    }

    pub fn page_size(&self) -> PageSize {
        self.shared.page_size
    }

    pub fn total_pages(&self) -> usize {
        self.shared.total_pages
    }

    /// The budget in bytes (whole pages).
    pub fn total_bytes(&self) -> ByteSize {
        ByteSize::new((self.shared.total_pages * self.shared.page_size.bytes()) as u64)
    }

    pub fn free_pages(&self) -> usize {
        self.shared.lock().free_len()
    }

    /// Returns every free page that is still resident to the kernel now, instead of waiting for
    /// a full batch (for example when a job ends).
    pub fn release_free_pages_to_os(&self) {
        self.shared.lock().release_dirty();
    }

    pub fn used_pages(&self) -> usize {
        self.shared.total_pages - self.free_pages()
    }

    /// The most pages that were out at once since the manager started.
    pub fn peak_used_pages(&self) -> usize {
        self.shared.peak_used_pages.load(Ordering::Relaxed)
    }

    /// Opens a reservation for `owner` that may take pages up to the whole budget.
    pub fn reservation(&self, owner: impl Into<String>) -> MemoryReservation {
        self.register(owner.into(), None)
    }

    /// Opens a reservation for `owner` that may hold at most `limit_pages` pages at once (an
    /// operator's share of its slot).
    pub fn reservation_with_limit(
        &self,
        owner: impl Into<String>,
        limit_pages: usize,
    ) -> MemoryReservation {
        self.register(owner.into(), Some(limit_pages))
    }

    fn register(&self, name: String, limit_pages: Option<usize>) -> MemoryReservation {
        let account = Arc::new(OwnerAccount {
            name,
            held_pages: AtomicUsize::new(0),
            limit_pages,
            manager: Arc::clone(&self.shared),
        });
        let mut state = self.shared.lock();
        state.owners.retain(|owner| owner.strong_count() > 0);
        state.owners.push(Arc::downgrade(&account));
        MemoryReservation { account }
    }

    /// Owners that hold pages right now, largest first.
    pub fn holders(&self) -> Vec<(String, usize)> {
        holders(&self.shared.lock())
    }

    /// Closes the manager: `Ok` when every page is back, else [`MemoryError::Leak`] naming each
    /// owner that still holds pages.
    pub fn close(self) -> Result<(), MemoryError> {
        let leaks = self.holders();
        if leaks.is_empty() {
            Ok(())
        } else {
            Err(MemoryError::Leak { leaks })
        }
    }
}

impl Drop for ManagerShared {
    fn drop(&mut self) {
        // Segments keep the shared state alive, so this only runs once every page is back;
        // it is a consistency check on the accounting.
        let free = self
            .state
            .get_mut()
            .map(|s| s.free_len())
            .unwrap_or(self.total_pages);
        debug_assert_eq!(
            free, self.total_pages,
            "memory manager dropped with pages missing"
        );
    }
}

impl Drop for MemoryManager {
    fn drop(&mut self) {
        // The last user handle going away while segments are still out is a leak worth a log line.
        if Arc::strong_count(&self.shared) > 1 {
            let leaks = self.holders();
            let users = Arc::strong_count(&self.shared)
                - 1
                - self
                    .shared
                    .lock()
                    .owners
                    .iter()
                    .filter(|o| o.strong_count() > 0)
                    .count();
            if !leaks.is_empty() && users == 0 {
                tracing::error!(error = %MemoryError::Leak { leaks }, "managed memory leak");
            }
        }
    }
}

fn holders(state: &ManagerState) -> Vec<(String, usize)> {
    let mut holders: Vec<(String, usize)> = state
        .owners
        .iter()
        .filter_map(Weak::upgrade)
        .map(|owner| (owner.name.clone(), owner.held_pages.load(Ordering::Relaxed)))
        .filter(|(_, pages)| *pages > 0)
        .collect();
    holders.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    holders
}

impl MemoryReservation {
    pub fn owner(&self) -> &str {
        &self.account.name
    }

    /// Pages currently held by this owner's segments.
    pub fn held_pages(&self) -> usize {
        self.account.held_pages.load(Ordering::Relaxed)
    }

    pub fn limit_pages(&self) -> Option<usize> {
        self.account.limit_pages
    }

    pub fn page_size(&self) -> PageSize {
        self.account.manager.page_size
    }

    /// Takes one page.
    pub fn allocate_page(&self) -> Result<MemorySegment, MemoryError> {
        Ok(self
            .allocate_pages(1)?
            .pop()
            .expect("allocate_pages(1) returns one page"))
    }

    /// Takes `count` pages, all or nothing.
    pub fn allocate_pages(&self, count: usize) -> Result<Vec<MemorySegment>, MemoryError> {
        let account = &self.account;
        let shared = &account.manager;
        let held = account.held_pages.load(Ordering::Relaxed);
        if let Some(limit) = account.limit_pages
            && held + count > limit
        {
            return Err(MemoryError::OwnerLimitExceeded {
                owner: account.name.clone(),
                requested_pages: count,
                held_pages: held,
                limit_pages: limit,
            });
        }
        let pages = {
            let mut state = shared.lock();
            if state.free_len() < count {
                return Err(MemoryError::Exhausted {
                    owner: account.name.clone(),
                    requested_pages: count,
                    free_pages: state.free_len(),
                    total_pages: shared.total_pages,
                    page_size: shared.page_size.bytes(),
                    largest_holders: holders(&state).into_iter().take(3).collect(),
                });
            }
            account.held_pages.fetch_add(count, Ordering::Relaxed);
            let pages = state.take(count);
            shared
                .peak_used_pages
                .fetch_max(shared.total_pages - state.free_len(), Ordering::Relaxed);
            pages
        };
        let home: Arc<dyn Recycler> = Arc::clone(account) as Arc<dyn Recycler>;
        Ok(pages
            .into_iter()
            .map(|page| MemorySegment::new(page, Some(Arc::clone(&home))))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager(pages: usize, page_size: usize) -> MemoryManager {
        let page_size = PageSize::new(page_size).unwrap();
        MemoryManager::new(ByteSize::new((pages * page_size.bytes()) as u64), page_size).unwrap()
    }

    #[test]
    fn budget_rounds_down_to_whole_pages() {
        let manager = MemoryManager::new(
            ByteSize::new(100 * 1024 + 5),
            PageSize::new(32 * 1024).unwrap(),
        )
        .unwrap();
        assert_eq!(manager.total_pages(), 3);
        assert_eq!(manager.total_bytes(), ByteSize::kib(96));
    }

    #[test]
    fn pages_return_to_the_free_list_when_segments_drop() {
        for page_size in [4096, 32 * 1024, 1 << 20] {
            let manager = manager(8, page_size);
            let sort = manager.reservation("sort");
            let mut pages = sort.allocate_pages(5).unwrap();
            assert_eq!(pages[4].size(), page_size);
            pages[4].put_u64_be(page_size - 8, 42);
            assert_eq!((manager.free_pages(), sort.held_pages()), (3, 5));
            pages.truncate(2);
            assert_eq!((manager.free_pages(), sort.held_pages()), (6, 2));
            drop(pages);
            assert_eq!(manager.free_pages(), 8);
            assert_eq!(manager.peak_used_pages(), 5);
            manager.close().unwrap();
        }
    }

    #[test]
    fn pages_released_to_the_os_read_as_zero() {
        let manager = manager(2, 4096);
        let owner = manager.reservation("a");
        let mut page = owner.allocate_page().unwrap();
        page.fill(0, 4096, 0xab);
        drop(page);
        manager.release_free_pages_to_os();
        let pages = owner.allocate_pages(2).unwrap();
        assert!(
            pages
                .iter()
                .all(|page| page.as_slice().iter().all(|&b| b == 0))
        );
    }

    #[test]
    fn returned_pages_are_released_in_batches() {
        // 1 MiB pages: a batch is 2 pages, so returning 5 pages releases 4 and keeps 1 resident.
        let manager = manager(8, 1 << 20);
        let owner = manager.reservation("batch");
        drop(owner.allocate_pages(5).unwrap());
        {
            let state = manager.shared.lock();
            assert_eq!((state.dirty.len(), state.clean.len()), (1, 7));
        }
        // Resident pages are handed out first.
        let reused = owner.allocate_pages(2).unwrap();
        assert_eq!(manager.shared.lock().dirty.len(), 0);
        drop(reused);
        manager.release_free_pages_to_os();
        assert_eq!(manager.shared.lock().clean.len(), 8);
    }

    #[test]
    fn exhaustion_names_requester_and_largest_holders() {
        let manager = manager(10, 4096);
        let _join = manager.reservation("join/1").allocate_pages(6).unwrap();
        let _sort = manager.reservation("sort/0").allocate_pages(3).unwrap();
        let error = manager.reservation("agg/3").allocate_pages(2).unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(
                error,
                MemoryError::Exhausted {
                    requested_pages: 2,
                    free_pages: 1,
                    ..
                }
            ),
            "{text}"
        );
        assert!(text.contains("'agg/3' requested 2 pages (8k)"), "{text}");
        assert!(
            text.contains("'join/1' 6 pages, 'sort/0' 3 pages"),
            "{text}"
        );
        // A failed request takes nothing.
        assert_eq!(manager.free_pages(), 1);
    }

    #[test]
    fn owner_limit_is_enforced_before_the_budget() {
        let manager = manager(10, 4096);
        let op = manager.reservation_with_limit("op", 4);
        let held = op.allocate_pages(3).unwrap();
        let error = op.allocate_pages(2).unwrap_err();
        assert!(matches!(
            error,
            MemoryError::OwnerLimitExceeded {
                held_pages: 3,
                limit_pages: 4,
                ..
            }
        ));
        drop(held);
        assert_eq!(op.allocate_pages(4).unwrap().len(), 4);
    }

    #[test]
    fn close_reports_leaks_by_owner() {
        let manager = manager(4, 4096);
        let leaked = manager.reservation("window/7").allocate_pages(2).unwrap();
        let error = manager.clone().close().unwrap_err();
        assert!(
            error
                .to_string()
                .contains("2 pages still held: 'window/7' 2 pages"),
            "{error}"
        );
        drop(leaked);
        manager.close().unwrap();
    }

    #[test]
    fn concurrent_owners_never_exceed_the_budget() {
        let manager = manager(64, 4096);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let manager = manager.clone();
                scope.spawn(move || {
                    let owner = manager.reservation(format!("t{t}"));
                    for i in 0..500 {
                        if let Ok(pages) = owner.allocate_pages(1 + (i % 20)) {
                            assert!(manager.used_pages() <= 64);
                            drop(pages);
                        }
                    }
                });
            }
        });
        assert_eq!(manager.free_pages(), 64);
        assert!(manager.peak_used_pages() <= 64);
    }
}
