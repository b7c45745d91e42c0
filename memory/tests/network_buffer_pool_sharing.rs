//! Network buffer pools: sizing, redistribution, FIFO waiting, drop while waiting, destroy.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use weir_memory::{MemoryError, NetworkBuffer, NetworkBufferPool, PageSize};

fn pool(buffers: usize) -> NetworkBufferPool {
    NetworkBufferPool::new(buffers, PageSize::new(4096).unwrap()).unwrap()
}

fn take(pool: &weir_memory::LocalBufferPool, n: usize) -> Vec<NetworkBuffer> {
    (0..n)
        .map(|_| pool.request_buffer().unwrap().expect("a buffer"))
        .collect()
}

#[test]
fn required_buffers_beyond_the_total_fail_with_a_clear_error() {
    let global = pool(10);
    let _a = global.create_local_pool("partition-a", 6, 6).unwrap();
    let error = global.create_local_pool("gate-b", 5, 8).unwrap_err();
    assert!(matches!(
        error,
        MemoryError::InsufficientNetworkBuffers {
            required: 5,
            available: 4,
            total: 10,
            ..
        }
    ));
    let text = error.to_string();
    assert!(text.contains("required 5, available 4"), "{text}");
    assert!(text.contains("taskmanager.memory.network"), "{text}");
    assert!(matches!(
        global.create_local_pool("bad", 3, 2),
        Err(MemoryError::InvalidBufferPoolSize { .. })
    ));
}

#[test]
fn excess_buffers_are_redistributed_up_to_each_maximum() {
    let global = pool(100);
    let a = global.create_local_pool("a", 10, 40).unwrap();
    assert_eq!(a.stats().unwrap().size, 40, "alone, a grows to its maximum");
    let b = global.create_local_pool("b", 20, usize::MAX).unwrap();
    // Proportional to capacity (30 vs unbounded): nearly all of the excess of 70 goes to b.
    let (size_a, size_b) = (a.stats().unwrap().size, b.stats().unwrap().size);
    assert_eq!(size_a + size_b, 100);
    assert!((10..=11).contains(&size_a), "{size_a}");
    let c = global.create_local_pool("c", 10, 30).unwrap();
    let sizes: Vec<usize> = [&a, &b, &c]
        .iter()
        .map(|p| p.stats().unwrap().size)
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 100, "{sizes:?}");
    assert!(
        sizes[0] >= 10 && sizes[0] <= 40 && sizes[2] >= 10 && sizes[2] <= 30,
        "{sizes:?}"
    );
    drop(b);
    assert_eq!((a.stats().unwrap().size, c.stats().unwrap().size), (40, 30));
}

#[test]
fn a_pool_takes_buffers_lazily_and_returns_them_on_drop() {
    let global = pool(8);
    let local = global.create_local_pool("p", 2, 4).unwrap();
    assert_eq!(global.free_buffers(), 8);
    let mut buffers = take(&local, 4);
    assert!(local.request_buffer().unwrap().is_none(), "size 4 reached");
    assert_eq!(global.free_buffers(), 4);
    buffers[0].segment_mut().put_u32_be(0, 7);
    buffers[0].set_len(4);
    assert_eq!(buffers[0].data(), &[0, 0, 0, 7]);
    buffers.pop();
    let stats = local.stats().unwrap();
    assert_eq!((stats.held, stats.available), (4, 1));
    drop(buffers);
    drop(local);
    assert_eq!(global.free_buffers(), 8);
    assert_eq!(global.unreserved_buffers(), 8);
}

#[test]
fn a_shrunken_pool_gives_returning_buffers_to_a_waiting_pool() {
    let global = pool(10);
    let a = global.create_local_pool("a", 2, 10).unwrap();
    let held_by_a = take(&a, 10);
    // b needs its 4 required buffers, which a holds as excess.
    let b = global.create_local_pool("b", 4, 4).unwrap();
    assert_eq!(a.stats().unwrap().size, 6);
    assert!(b.request_buffer().unwrap().is_none());
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| b.request_buffer_blocking().unwrap());
        while b.stats().unwrap().waiters == 0 {
            std::thread::yield_now();
        }
        drop(held_by_a);
        let got = waiting.join().unwrap();
        assert_eq!(got.capacity(), 4096);
    });
    let (sa, sb) = (a.stats().unwrap(), b.stats().unwrap());
    assert!(sa.held <= sa.size && sb.held <= sb.size, "{sa:?} {sb:?}");
}

#[test]
fn blocked_requests_are_served_in_fifo_order() {
    let global = pool(1);
    let local = global.create_local_pool("fifo", 1, 1).unwrap();
    let first = local.request_buffer().unwrap().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|scope| {
        for waiter in 0..6 {
            while local.stats().unwrap().waiters != waiter {
                std::thread::yield_now();
            }
            let (local, order) = (&local, Arc::clone(&order));
            scope.spawn(move || {
                let buffer = local.request_buffer_blocking().unwrap();
                order.lock().unwrap().push(waiter);
                drop(buffer);
            });
            while local.stats().unwrap().waiters != waiter + 1 {
                std::thread::yield_now();
            }
        }
        // A non-blocking request must not overtake the queue.
        drop(first);
    });
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4, 5]);
}

#[test]
fn non_blocking_requests_do_not_overtake_waiters() {
    let global = pool(1);
    let local = global.create_local_pool("q", 1, 1).unwrap();
    let held = local.request_buffer().unwrap().unwrap();
    let mut request = pin!(local.request_buffer_async());
    let mut context = Context::from_waker(Waker::noop());
    assert!(request.as_mut().poll(&mut context).is_pending());
    drop(held);
    assert!(
        local.request_buffer().unwrap().is_none(),
        "the queued future owns the returned buffer"
    );
    let Poll::Ready(Ok(buffer)) = request.as_mut().poll(&mut context) else {
        panic!("buffer delivered")
    };
    assert_eq!(buffer.capacity(), 4096);
}

#[test]
fn dropping_a_waiting_future_passes_its_buffer_on() {
    let global = pool(1);
    let local = global.create_local_pool("drop", 1, 1).unwrap();
    let held = local.request_buffer().unwrap().unwrap();
    let mut context = Context::from_waker(Waker::noop());
    let mut second = Box::pin(local.request_buffer_async());
    {
        let mut abandoned = pin!(local.request_buffer_async());
        assert!(abandoned.as_mut().poll(&mut context).is_pending());
        assert!(second.as_mut().poll(&mut context).is_pending());
        assert_eq!(local.stats().unwrap().waiters, 2);
        drop(held); // delivered to `abandoned`, which is dropped without being polled again
    }
    assert_eq!(
        local.stats().unwrap().waiters,
        0,
        "the buffer went on to `second`"
    );
    let Poll::Ready(Ok(buffer)) = second.as_mut().poll(&mut context) else {
        panic!("buffer passed on")
    };
    drop(buffer);
    drop(second);

    // Plain case: a single waiter dropped after delivery returns the buffer to the pool.
    let global = pool(1);
    let local = global.create_local_pool("drop2", 1, 1).unwrap();
    let held = local.request_buffer().unwrap().unwrap();
    let mut request = Box::pin(local.request_buffer_async());
    assert!(request.as_mut().poll(&mut context).is_pending());
    drop(held);
    drop(request);
    assert_eq!(local.stats().unwrap().waiters, 0);
    assert!(
        local.request_buffer().unwrap().is_some(),
        "the buffer came back to the pool"
    );
}

#[test]
fn timed_out_requests_leave_the_queue() {
    let global = pool(1);
    let local = global.create_local_pool("t", 1, 1).unwrap();
    let held = local.request_buffer().unwrap().unwrap();
    assert!(
        local
            .request_buffer_timeout(Duration::from_millis(20))
            .unwrap()
            .is_none()
    );
    assert_eq!(local.stats().unwrap().waiters, 0);
    drop(held);
    assert!(
        local
            .request_buffer_timeout(Duration::from_millis(20))
            .unwrap()
            .is_some()
    );
}

#[test]
fn destroy_fails_waiters_and_later_requests() {
    let global = pool(2);
    let local = global.create_local_pool("cancelled-task", 2, 2).unwrap();
    let held = take(&local, 2);
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| local.request_buffer_blocking());
        while local.stats().unwrap().waiters == 0 {
            std::thread::yield_now();
        }
        local.destroy();
        let error = waiter.join().unwrap().unwrap_err();
        assert!(error.to_string().contains("cancelled-task"), "{error}");
    });
    assert!(matches!(
        local.request_buffer(),
        Err(MemoryError::BufferPoolDestroyed { .. })
    ));
    assert_eq!(global.unreserved_buffers(), 2, "required buffers released");
    drop(held);
    assert_eq!(global.free_buffers(), 2);
}

#[test]
fn many_threads_share_pools_without_losing_buffers() {
    let global = pool(32);
    let pools: Vec<_> = (0..4)
        .map(|i| global.create_local_pool(format!("p{i}"), 4, 16).unwrap())
        .collect();
    std::thread::scope(|scope| {
        for (index, local) in pools.iter().enumerate() {
            scope.spawn(move || {
                let mut held = Vec::new();
                for step in 0..2000 {
                    if (step + index) % 3 == 2 || held.len() >= 6 {
                        held.clear();
                    }
                    match step % 3 {
                        0 => held.push(local.request_buffer_blocking().unwrap()),
                        1 => held.extend(
                            local
                                .request_buffer_timeout(Duration::from_millis(1))
                                .unwrap(),
                        ),
                        _ => held.extend(local.request_buffer().unwrap()),
                    }
                    let stats = local.stats().unwrap();
                    assert!(stats.held <= stats.max);
                }
            });
        }
    });
    for local in &pools {
        let stats = local.stats().unwrap();
        assert_eq!(
            (stats.waiters, stats.held, stats.available),
            (0, stats.held, stats.held)
        );
    }
    drop(pools);
    assert_eq!(global.free_buffers(), 32);
}
