//! [`NetworkBufferPool`]: the TaskManager's fixed set of network buffers, shared out among
//! [`LocalBufferPool`]s.
//!
//! The global pool maps `taskmanager.memory.network.*` worth of segments once, at start, and
//! never grows. Every result partition and input gate gets a local pool with a *required* and a
//! *maximum* number of buffers. Creating a local pool fails at once when the required buffers of
//! all pools would exceed the total ([`MemoryError::InsufficientNetworkBuffers`]), so a pool can
//! always reach its required count. Buffers beyond the required ones (the *excess*) are
//! redistributed among the pools in proportion to how many more each may take (`max -
//! required`), every time a pool is created or destroyed:
//!
//! ```text
//!   total 100, pools A (req 10, max 40) and B (req 20, max ∞)
//!   excess = 100 - 30 = 70, capacities 30 and ∞  →  A size 40, B size 60
//! ```
//!
//! A pool's *size* is how many buffers it may hold (in use + available). Buffers are taken from
//! the global free list lazily, on request. When a pool shrank below what it holds, returning
//! buffers go to the global pool until it fits again, and the global pool hands them to pools
//! that are waiting and have room (round robin among pools).
//!
//! Waiting is FIFO per local pool: a request that finds no buffer joins the pool's queue, and a
//! returned buffer goes straight to the head of the queue, never to a newer request. Requests
//! block ([`LocalBufferPool::request_buffer_blocking`]), block with a timeout, or await a future
//! ([`LocalBufferPool::request_buffer_async`]); a dropped future or a timed-out wait leaves the
//! queue and passes on any buffer it was handed.
//!
//! Locking: one mutex guards the global free list and the state of every local pool, so the
//! accounting is one consistent picture and no lock order between pools exists. A waiter's own
//! slot has a second mutex, only ever taken while the state lock is held or alone. No segment is
//! ever dropped while the state lock is held (pages move as [`Page`]s inside it), so recycling
//! cannot re-enter the lock.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::byte_size::ByteSize;
use crate::error::MemoryError;
use crate::local_buffer_pool::{LocalBufferPool, Waiter};
use crate::page::{Page, PageArena};
use crate::page_size::PageSize;

/// The global pool of network buffers. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct NetworkBufferPool {
    pub(crate) shared: Arc<PoolShared>,
}

pub(crate) struct PoolShared {
    pub(crate) segment_size: PageSize,
    pub(crate) total_buffers: usize,
    state: Mutex<PoolState>,
}

pub(crate) struct PoolState {
    total: usize,
    free: Vec<Page>,
    pools: BTreeMap<u64, LocalState>,
    next_pool_id: u64,
    required_total: usize,
    /// Where the next round of global dispatch starts, for fairness among pools.
    dispatch_cursor: u64,
}

pub(crate) struct LocalState {
    pub(crate) name: String,
    pub(crate) required: usize,
    pub(crate) max: usize,
    /// How many buffers the pool may hold (in use + available) after redistribution.
    pub(crate) size: usize,
    /// Buffers taken from the global free list: in use + available.
    pub(crate) held: usize,
    pub(crate) available: Vec<Page>,
    pub(crate) waiters: VecDeque<Arc<Waiter>>,
}

impl fmt::Debug for NetworkBufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkBufferPool")
            .field("segment_size", &self.shared.segment_size)
            .field("total_buffers", &self.shared.total_buffers)
            .field("free_buffers", &self.free_buffers())
            .finish()
    }
}

impl NetworkBufferPool {
    /// Maps `buffer_count` buffers of `segment_size` bytes.
    pub fn new(
        buffer_count: usize,
        segment_size: PageSize,
    ) -> Result<NetworkBufferPool, MemoryError> {
        let mut free = PageArena::map_pages(segment_size.bytes(), buffer_count)?;
        free.reverse();
        Ok(NetworkBufferPool {
            shared: Arc::new(PoolShared {
                segment_size,
                total_buffers: buffer_count,
                state: Mutex::new(PoolState {
                    total: buffer_count,
                    free,
                    pools: BTreeMap::new(),
                    next_pool_id: 0,
                    required_total: 0,
                    dispatch_cursor: 0,
                }),
            }),
        })
    }

    /// As many buffers as fit into `network_memory` (rounded down).
    pub fn with_memory(
        network_memory: ByteSize,
        segment_size: PageSize,
    ) -> Result<NetworkBufferPool, MemoryError> {
        NetworkBufferPool::new(segment_size.pages_in(network_memory), segment_size)
    }

    pub fn segment_size(&self) -> PageSize {
        self.shared.segment_size
    }

    pub fn total_buffers(&self) -> usize {
        self.shared.total_buffers
    }

    /// Buffers on the global free list (not held by any local pool).
    pub fn free_buffers(&self) -> usize {
        self.shared.lock().free.len()
    }

    /// Buffers not yet promised to a local pool as required buffers.
    pub fn unreserved_buffers(&self) -> usize {
        self.shared.total_buffers - self.shared.lock().required_total
    }

    /// Creates a local pool that can always get `required` buffers and may grow to `max`
    /// (`usize::MAX` for no limit) when buffers are spare.
    pub fn create_local_pool(
        &self,
        name: impl Into<String>,
        required: usize,
        max: usize,
    ) -> Result<LocalBufferPool, MemoryError> {
        let name = name.into();
        if max < required || max == 0 {
            return Err(MemoryError::InvalidBufferPoolSize {
                pool: name,
                required,
                max,
            });
        }
        let mut state = self.shared.lock();
        let unreserved = self.shared.total_buffers - state.required_total;
        if required > unreserved {
            return Err(MemoryError::InsufficientNetworkBuffers {
                pool: name,
                required,
                available: unreserved,
                total: self.shared.total_buffers,
            });
        }
        let id = state.next_pool_id;
        state.next_pool_id += 1;
        state.required_total += required;
        state.pools.insert(
            id,
            LocalState {
                name: name.clone(),
                required,
                max,
                size: required,
                held: 0,
                available: Vec::new(),
                waiters: VecDeque::new(),
            },
        );
        state.redistribute();
        drop(state);
        Ok(LocalBufferPool::new(Arc::clone(&self.shared), id, name))
    }
}

impl PoolShared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, PoolState> {
        // Every mutation under this lock keeps the accounting consistent step by step (moves of
        // single pages with their counters), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl PoolState {
    pub(crate) fn pool(&self, id: u64) -> Option<&LocalState> {
        self.pools.get(&id)
    }

    pub(crate) fn pool_mut(&mut self, id: u64) -> Option<&mut LocalState> {
        self.pools.get_mut(&id)
    }

    /// A buffer for pool `id` without waiting: an available one, or a new one from the global
    /// free list while the pool is below its size. Never overtakes queued waiters.
    pub(crate) fn try_take(&mut self, id: u64) -> Option<Page> {
        let pool = self.pools.get_mut(&id)?;
        if !pool.waiters.is_empty() {
            return None;
        }
        if let Some(page) = pool.available.pop() {
            return Some(page);
        }
        if pool.held < pool.size {
            let page = self.free.pop()?;
            pool.held += 1;
            return Some(page);
        }
        None
    }

    /// A buffer of pool `id` comes back (or pool `id` is gone).
    pub(crate) fn give_back(&mut self, id: u64, page: Page) {
        let Some(pool) = self.pools.get_mut(&id) else {
            self.free.push(page);
            self.dispatch_free();
            return;
        };
        if pool.held > pool.size {
            pool.held -= 1;
            self.free.push(page);
            self.dispatch_free();
            return;
        }
        let mut page = Some(page);
        while let Some(waiter) = pool.waiters.pop_front() {
            match waiter.deliver(page.take().expect("page present until delivered")) {
                Ok(()) => return,
                Err(returned) => page = Some(returned),
            }
        }
        pool.available
            .push(page.expect("page present until delivered"));
    }

    /// Hands global free buffers to pools that are waiting and below their size, round robin.
    fn dispatch_free(&mut self) {
        while !self.free.is_empty() {
            let cursor = self.dispatch_cursor;
            let next = self
                .pools
                .range(cursor..)
                .chain(self.pools.range(..cursor))
                .find(|(_, pool)| !pool.waiters.is_empty() && pool.held < pool.size)
                .map(|(id, _)| *id);
            let Some(id) = next else { return };
            self.dispatch_cursor = id + 1;
            let page = self.free.pop().expect("checked non-empty");
            let pool = self.pools.get_mut(&id).expect("found above");
            pool.held += 1;
            let mut page = Some(page);
            while let Some(waiter) = pool.waiters.pop_front() {
                match waiter.deliver(page.take().expect("page present until delivered")) {
                    Ok(()) => break,
                    Err(returned) => page = Some(returned),
                }
            }
            if let Some(page) = page {
                pool.held -= 1;
                self.free.push(page);
            }
        }
    }

    /// Removes pool `id`: its available buffers go back to the global list, its waiters fail.
    pub(crate) fn destroy(&mut self, id: u64) -> Vec<Arc<Waiter>> {
        let Some(pool) = self.pools.remove(&id) else {
            return Vec::new();
        };
        self.required_total -= pool.required;
        self.free.extend(pool.available);
        self.redistribute();
        pool.waiters.into()
    }

    /// Recomputes every pool's size from the excess buffers, gives back what shrunken pools
    /// have spare, and serves waiting pools that grew.
    fn redistribute(&mut self) {
        let excess = self.total - self.required_total;
        let capacities: Vec<(u64, u128)> = self
            .pools
            .iter()
            .map(|(id, pool)| (*id, (pool.max - pool.required) as u128))
            .collect();
        let capacity_total: u128 = capacities.iter().map(|(_, c)| c).sum();
        let mut handed_out = 0usize;
        for (id, capacity) in &capacities {
            let share = if capacity_total <= excess as u128 {
                *capacity as usize
            } else {
                (excess as u128 * capacity / capacity_total) as usize
            };
            handed_out += share;
            let pool = self.pools.get_mut(id).expect("id from the same map");
            pool.size = pool.required + share;
        }
        // Rounding leftovers, one each, to pools that can still grow.
        let mut leftover = excess.saturating_sub(handed_out);
        for pool in self.pools.values_mut() {
            if leftover == 0 {
                break;
            }
            if pool.size < pool.max && capacity_total > excess as u128 {
                pool.size += 1;
                leftover -= 1;
            }
        }
        for pool in self.pools.values_mut() {
            while pool.held > pool.size {
                let Some(page) = pool.available.pop() else {
                    break;
                };
                pool.held -= 1;
                self.free.push(page);
            }
        }
        self.dispatch_free();
    }
}
