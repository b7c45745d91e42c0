//! MemorySegment access: big-endian integer put/get, memcmp compare and swap of 16-byte keys.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weir_memory::{ByteSize, MemoryManager, PageSize};

fn segment_access(c: &mut Criterion) {
    let page_size = PageSize::DEFAULT;
    let manager = MemoryManager::new(ByteSize::mib(1), page_size).unwrap();
    let owner = manager.reservation("bench");
    let mut pages = owner.allocate_pages(2).unwrap();
    let mut b = pages.pop().unwrap();
    let mut a = pages.pop().unwrap();
    let size = a.size();
    let mut group = c.benchmark_group("memory_segment");
    group.throughput(Throughput::Bytes(size as u64));

    group.bench_function("put_i64_be/32k", |bench| {
        bench.iter(|| {
            for offset in (0..size).step_by(8) {
                a.put_i64_be(offset, black_box(offset as i64));
            }
        })
    });
    group.bench_function("get_i64_be/32k", |bench| {
        bench.iter(|| {
            let mut sum = 0i64;
            for offset in (0..size).step_by(8) {
                sum = sum.wrapping_add(a.get_i64_be(offset));
            }
            black_box(sum)
        })
    });
    b.put_bytes(0, a.as_slice());
    group.bench_function("compare_16b_keys/32k", |bench| {
        bench.iter(|| {
            let mut equal = 0usize;
            for offset in (0..size).step_by(16) {
                equal += a.compare(&b, offset, offset, 16).is_eq() as usize;
            }
            black_box(equal)
        })
    });
    group.bench_function("swap_16b_keys/32k", |bench| {
        bench.iter(|| {
            for offset in (0..size).step_by(16) {
                a.swap_with(offset, &mut b, offset, 16);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, segment_access);
criterion_main!(benches);
