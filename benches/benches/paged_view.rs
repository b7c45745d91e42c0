//! Paged views: writing and reading records (u64 key, varint, 20-byte string) across pages.
//! Pages are taken and returned outside the timed part, so the figures are the views' own.

use std::cell::RefCell;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use weir_memory::{
    ByteSize, MemoryManager, MemorySegment, PageSize, PagedInputView, PagedOutputView,
    SegmentListSource, SegmentListTarget,
};

const RECORDS: u64 = 500_000;
const PAYLOAD: &[u8; 20] = b"abcdefghijklmnopqrst";
/// 8 + 3 (varint of values < 2^21) + 1 + 20 bytes; the first 128 and 16384 are shorter.
const DATA_BYTES: u64 = 16 * 1024 * 1024;

fn write_records(pages: Vec<MemorySegment>) -> (Vec<(MemorySegment, usize)>, u64) {
    let mut view = PagedOutputView::new(SegmentListTarget::new(pages).unwrap());
    for i in 0..RECORDS {
        view.write_u64_be(i).unwrap();
        view.write_var_u64(i).unwrap();
        view.write_length_prefixed(PAYLOAD).unwrap();
    }
    let written = view.bytes_written();
    let (target, used) = view.finish();
    (target.into_pages(used).0, written)
}

fn paged_view(c: &mut Criterion) {
    let mut group = c.benchmark_group("paged_view");
    for page_size in [4096, 32 * 1024, 1 << 20] {
        let page_size = PageSize::new(page_size).unwrap();
        let manager = MemoryManager::new(ByteSize::mib(64), page_size).unwrap();
        let owner = manager.reservation("bench");
        let pages_needed = (DATA_BYTES as usize).div_ceil(page_size.bytes());
        let (pages, bytes) = write_records(owner.allocate_pages(pages_needed).unwrap());
        let pool = RefCell::new(pages.into_iter().map(|(page, _)| page).collect::<Vec<_>>());
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(format!("write/{page_size}"), |bench| {
            bench.iter_batched(
                || pool.take(),
                |pages| {
                    let (filled, written) = write_records(pages);
                    *pool.borrow_mut() = filled.into_iter().map(|(page, _)| page).collect();
                    written
                },
                BatchSize::PerIteration,
            );
        });
        let (filled, _) = write_records(owner.allocate_pages(pages_needed).unwrap());
        let source = RefCell::new(Some(filled));
        group.bench_function(format!("read/{page_size}"), |bench| {
            bench.iter_batched(
                || source.take().expect("pages return after each read"),
                |pages| {
                    let mut view = PagedInputView::new(SegmentListSource::new(pages));
                    let mut text = Vec::with_capacity(32);
                    let mut sum = 0u64;
                    for _ in 0..RECORDS {
                        sum = sum.wrapping_add(view.read_u64_be().unwrap());
                        sum = sum.wrapping_add(view.read_var_u64().unwrap());
                        view.read_length_prefixed(&mut text, 64).unwrap();
                    }
                    *source.borrow_mut() = Some(view.into_source().into_pages());
                    black_box(sum)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, paged_view);
criterion_main!(benches);
