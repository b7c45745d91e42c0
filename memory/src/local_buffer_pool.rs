//! [`LocalBufferPool`]: the buffers of one result partition or input gate, and waiting for them.
//!
//! See [`crate::NetworkBufferPool`] for sizing and redistribution. This file holds the handle
//! users call, the FIFO waiter, and the future of an asynchronous request.
//!
//! ```text
//!  request ─▶ available buffer? ─yes─▶ NetworkBuffer
//!                │ no
//!                ▼
//!           below size and global free? ─yes─▶ take from global ─▶ NetworkBuffer
//!                │ no
//!                ▼
//!           join the FIFO queue ─▶ a returned buffer is delivered to the queue head
//! ```
//!
//! A pool lives while any handle or any of its buffers lives; its required buffers stay
//! reserved until then. [`LocalBufferPool::destroy`] ends it early (task cancellation): waiters
//! fail with [`MemoryError::BufferPoolDestroyed`], later requests fail the same way, and buffers
//! still out go back to the global pool when they drop.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::MemoryError;
use crate::memory_segment::{MemorySegment, Recycler};
use crate::network_buffer::NetworkBuffer;
use crate::network_buffer_pool::{LocalState, PoolShared};
use crate::page::Page;

/// A handle on a local buffer pool. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct LocalBufferPool {
    handle: Arc<LocalHandle>,
}

struct LocalHandle {
    shared: Arc<PoolShared>,
    id: u64,
    name: String,
}

/// One queued request. Its slot is written only while the pool state lock is held.
pub(crate) struct Waiter {
    slot: Mutex<WaiterSlot>,
    ready: Condvar,
}

#[derive(Default)]
struct WaiterSlot {
    page: Option<Page>,
    waker: Option<Waker>,
    destroyed: bool,
    abandoned: bool,
}

impl Waiter {
    fn new() -> Arc<Waiter> {
        Arc::new(Waiter {
            slot: Mutex::new(WaiterSlot::default()),
            ready: Condvar::new(),
        })
    }

    fn slot(&self) -> MutexGuard<'_, WaiterSlot> {
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands `page` to this waiter; gives it back if the waiter has left.
    pub(crate) fn deliver(&self, page: Page) -> Result<(), Page> {
        let mut slot = self.slot();
        if slot.abandoned {
            return Err(page);
        }
        slot.page = Some(page);
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
        self.ready.notify_one();
        Ok(())
    }

    fn fail_destroyed(&self) {
        let mut slot = self.slot();
        slot.destroyed = true;
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
        self.ready.notify_one();
    }
}

impl Recycler for LocalHandle {
    fn recycle(&self, page: Page) {
        self.shared.lock().give_back(self.id, page);
    }
}

impl Drop for LocalHandle {
    fn drop(&mut self) {
        let waiters = self.shared.lock().destroy(self.id);
        for waiter in waiters {
            waiter.fail_destroyed();
        }
    }
}

impl fmt::Debug for LocalBufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.handle.shared.lock();
        match state.pool(self.handle.id) {
            Some(pool) => f
                .debug_struct("LocalBufferPool")
                .field("name", &pool.name)
                .field("required", &pool.required)
                .field("max", &pool.max)
                .field("size", &pool.size)
                .field("held", &pool.held)
                .field("available", &pool.available.len())
                .field("waiters", &pool.waiters.len())
                .finish(),
            None => f
                .debug_struct("LocalBufferPool")
                .field("destroyed", &true)
                .finish(),
        }
    }
}

/// A snapshot of a local pool's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBufferPoolStats {
    pub name: String,
    pub required: usize,
    pub max: usize,
    /// Buffers the pool may hold now, after redistribution.
    pub size: usize,
    /// Buffers it holds (in use + available).
    pub held: usize,
    pub available: usize,
    pub waiters: usize,
}

impl LocalBufferPool {
    pub(crate) fn new(shared: Arc<PoolShared>, id: u64, name: String) -> LocalBufferPool {
        LocalBufferPool {
            handle: Arc::new(LocalHandle { shared, id, name }),
        }
    }

    pub fn name(&self) -> &str {
        &self.handle.name
    }

    /// The pool's counters, or `None` once it was destroyed.
    pub fn stats(&self) -> Option<LocalBufferPoolStats> {
        let state = self.handle.shared.lock();
        state
            .pool(self.handle.id)
            .map(|pool: &LocalState| LocalBufferPoolStats {
                name: pool.name.clone(),
                required: pool.required,
                max: pool.max,
                size: pool.size,
                held: pool.held,
                available: pool.available.len(),
                waiters: pool.waiters.len(),
            })
    }

    fn wrap(&self, page: Page) -> NetworkBuffer {
        let home: Arc<dyn Recycler> = Arc::clone(&self.handle) as Arc<dyn Recycler>;
        NetworkBuffer::new(MemorySegment::new(page, Some(home)))
    }

    fn destroyed_error(&self) -> MemoryError {
        MemoryError::BufferPoolDestroyed {
            pool: self.handle.name.clone(),
        }
    }

    /// A buffer if one is free for this pool right now, without waiting.
    pub fn request_buffer(&self) -> Result<Option<NetworkBuffer>, MemoryError> {
        let mut state = self.handle.shared.lock();
        if state.pool(self.handle.id).is_none() {
            return Err(self.destroyed_error());
        }
        Ok(state.try_take(self.handle.id).map(|page| {
            drop(state);
            self.wrap(page)
        }))
    }

    /// Takes a buffer now, or joins the FIFO queue and returns the waiter.
    fn take_or_enqueue(
        &self,
        waker: Option<&Waker>,
    ) -> Result<Result<Page, Arc<Waiter>>, MemoryError> {
        let mut state = self.handle.shared.lock();
        if let Some(page) = state.try_take(self.handle.id) {
            return Ok(Ok(page));
        }
        let Some(pool) = state.pool_mut(self.handle.id) else {
            return Err(self.destroyed_error());
        };
        let waiter = Waiter::new();
        waiter.slot().waker = waker.cloned();
        pool.waiters.push_back(Arc::clone(&waiter));
        Ok(Err(waiter))
    }

    /// Leaves the queue; a buffer delivered in the meantime is passed on (to the next waiter
    /// or the pool).
    fn abandon(&self, waiter: &Arc<Waiter>) {
        let mut state = self.handle.shared.lock();
        let delivered = {
            let mut slot = waiter.slot();
            slot.abandoned = true;
            slot.page.take()
        };
        if let Some(pool) = state.pool_mut(self.handle.id) {
            pool.waiters.retain(|queued| !Arc::ptr_eq(queued, waiter));
        }
        if let Some(page) = delivered {
            state.give_back(self.handle.id, page);
        }
    }

    /// Waits until a buffer is free for this pool.
    pub fn request_buffer_blocking(&self) -> Result<NetworkBuffer, MemoryError> {
        self.request_buffer_until(None)
            .map(|buffer| buffer.expect("no deadline, so no timeout"))
    }

    /// Waits at most `timeout` for a buffer; `Ok(None)` when the time ran out.
    pub fn request_buffer_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<NetworkBuffer>, MemoryError> {
        self.request_buffer_until(Some(Instant::now() + timeout))
    }

    fn request_buffer_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<Option<NetworkBuffer>, MemoryError> {
        let waiter = match self.take_or_enqueue(None)? {
            Ok(page) => return Ok(Some(self.wrap(page))),
            Err(waiter) => waiter,
        };
        let mut slot = waiter.slot();
        loop {
            if let Some(page) = slot.page.take() {
                drop(slot);
                return Ok(Some(self.wrap(page)));
            }
            if slot.destroyed {
                return Err(self.destroyed_error());
            }
            slot = match deadline {
                None => waiter
                    .ready
                    .wait(slot)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        drop(slot);
                        self.abandon(&waiter);
                        return Ok(None);
                    }
                    waiter
                        .ready
                        .wait_timeout(slot, deadline - now)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0
                }
            };
        }
    }

    /// A future that resolves to a buffer; dropping it leaves the queue.
    pub fn request_buffer_async(&self) -> BufferRequest<'_> {
        BufferRequest {
            pool: self,
            waiter: None,
            done: false,
        }
    }

    /// Ends the pool now: waiters fail, later requests fail, buffers still out return to the
    /// global pool when dropped, and the required buffers are released for other pools.
    pub fn destroy(&self) {
        let waiters = self.handle.shared.lock().destroy(self.handle.id);
        for waiter in waiters {
            waiter.fail_destroyed();
        }
    }
}

/// The future returned by [`LocalBufferPool::request_buffer_async`].
pub struct BufferRequest<'a> {
    pool: &'a LocalBufferPool,
    waiter: Option<Arc<Waiter>>,
    done: bool,
}

impl fmt::Debug for BufferRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferRequest")
            .field("queued", &self.waiter.is_some())
            .field("done", &self.done)
            .finish()
    }
}

impl Future for BufferRequest<'_> {
    type Output = Result<NetworkBuffer, MemoryError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Some(waiter) = &this.waiter else {
            return match this.pool.take_or_enqueue(Some(cx.waker())) {
                Ok(Ok(page)) => {
                    this.done = true;
                    Poll::Ready(Ok(this.pool.wrap(page)))
                }
                Ok(Err(waiter)) => {
                    this.waiter = Some(waiter);
                    Poll::Pending
                }
                Err(error) => {
                    this.done = true;
                    Poll::Ready(Err(error))
                }
            };
        };
        let mut slot = waiter.slot();
        if let Some(page) = slot.page.take() {
            drop(slot);
            this.done = true;
            return Poll::Ready(Ok(this.pool.wrap(page)));
        }
        if slot.destroyed {
            drop(slot);
            this.done = true;
            return Poll::Ready(Err(this.pool.destroyed_error()));
        }
        if !slot
            .waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            slot.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for BufferRequest<'_> {
    fn drop(&mut self) {
        if let Some(waiter) = self.waiter.take()
            && !self.done
        {
            self.pool.abandon(&waiter);
        }
    }
}
