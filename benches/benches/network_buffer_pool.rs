//! Network buffer pools: request + recycle from one thread and from two threads sharing a pool.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weir_memory::{NetworkBufferPool, PageSize};

fn request_recycle(c: &mut Criterion) {
    let global = NetworkBufferPool::new(256, PageSize::DEFAULT).unwrap();
    let mut group = c.benchmark_group("network_buffer_pool");
    group.throughput(Throughput::Elements(1));

    let local = global.create_local_pool("bench-1", 8, 64).unwrap();
    group.bench_function("request_recycle/1_thread", |bench| {
        bench.iter(|| drop(black_box(local.request_buffer_blocking().unwrap())))
    });
    drop(local);

    // Two threads, one pool of 4 buffers (contention and waiting), and two pools (the global
    // lock shared by independent pools).
    for (name, pools, buffers) in [
        ("2_threads_shared_pool", 1, 4),
        ("2_threads_two_pools", 2, 16),
    ] {
        let locals: Vec<_> = (0..pools)
            .map(|i| {
                global
                    .create_local_pool(format!("bench-{i}"), buffers, buffers)
                    .unwrap()
            })
            .collect();
        group.bench_function(format!("request_recycle/{name}"), |bench| {
            bench.iter_custom(|iterations| {
                let per_thread = iterations.div_ceil(2);
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for thread in 0..2 {
                        let local = &locals[thread % locals.len()];
                        scope.spawn(move || {
                            let mut held = Vec::with_capacity(2);
                            for i in 0..per_thread {
                                held.push(local.request_buffer_blocking().unwrap());
                                if i % 2 == 1 {
                                    held.clear();
                                }
                            }
                        });
                    }
                });
                start
                    .elapsed()
                    .mul_f64(iterations as f64 / (2 * per_thread) as f64)
                    .max(Duration::from_nanos(1))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, request_recycle);
criterion_main!(benches);
