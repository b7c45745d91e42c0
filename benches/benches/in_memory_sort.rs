//! In-memory sort over pages against `slice::sort_unstable_by_key` (ipnsort, the same as `sort_unstable_by`) on a `Vec` of the same records.
//!
//! - `pairs`: 1M (i64 key, u64 value) records; the 8-byte normalized key is complete, so the
//!   sorter never deserializes a record while sorting.
//! - `records100`: 200k records of 100 bytes with a 10-byte key (`[u8; 10]` + `[u8; 90]`), the
//!   TeraSort shape; the key fits the 24-byte prefix slot and is complete.
//!
//! Each iteration writes the records into the sorter (timed: serialization is part of what the
//! sorter costs against a Vec that already holds them) and sorts; the baseline clones the Vec
//! outside the timed part and sorts it. Throughput is records.

use std::cell::RefCell;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use weir::memory::{ByteSize, MemoryManager, MemorySegment, PageSize};
use weir::operators::sort::{InMemorySorter, SortOrder};
use weir::types::{
    DefaultSerializer, FixedBytesComparator, IntComparator, KeyedComparator, TypeComparator,
    TypeSerializer,
};

const PAIRS: usize = 1_000_000;
const RECORDS100: usize = 200_000;

/// Deterministic pseudo-random numbers (SplitMix64).
fn random_u64s(count: usize, mut state: u64) -> Vec<u64> {
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
        .collect()
}

fn sort_in_pages<S, C>(
    serializer: &S,
    comparator: &C,
    pages: Vec<MemorySegment>,
    records: &[S::Value],
) -> Vec<MemorySegment>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    let mut sorter = InMemorySorter::new(
        serializer.clone(),
        comparator.clone(),
        SortOrder::Unstable,
        pages,
    )
    .unwrap();
    for record in records {
        assert!(
            sorter.write(record).unwrap(),
            "the bench gives enough pages"
        );
    }
    sorter.sort().unwrap();
    black_box(sorter.len());
    sorter.into_pages()
}

fn pairs(c: &mut Criterion) {
    let keys = random_u64s(PAIRS, 1);
    let records: Vec<(i64, u64)> = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| (k as i64, i as u64))
        .collect();
    let manager = MemoryManager::new(ByteSize::mib(64), PageSize::DEFAULT).unwrap();
    let pool = RefCell::new(
        manager
            .reservation("bench")
            .allocate_pages(manager.total_pages())
            .unwrap(),
    );
    let serializer = <(i64, u64)>::serializer();
    let comparator = KeyedComparator::new(|r: &(i64, u64)| &r.0, IntComparator::<i64>::new());

    let mut group = c.benchmark_group("in_memory_sort/pairs_1m");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PAIRS as u64));
    group.bench_function("sorter_in_pages", |bench| {
        bench.iter_batched(
            || pool.take(),
            |pages| *pool.borrow_mut() = sort_in_pages(&serializer, &comparator, pages, &records),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("vec_sort_unstable_by_key", |bench| {
        bench.iter_batched(
            || records.clone(),
            |mut vec| {
                vec.sort_unstable_by_key(|record| record.0);
                vec
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

type Record100 = ([u8; 10], [u8; 90]);

fn records100(c: &mut Criterion) {
    let randoms = random_u64s(RECORDS100 * 2, 2);
    let records: Vec<Record100> = randoms
        .chunks(2)
        .map(|pair| {
            let mut key = [0u8; 10];
            key[..8].copy_from_slice(&pair[0].to_be_bytes());
            key[8..].copy_from_slice(&pair[1].to_be_bytes()[..2]);
            (key, [b'v'; 90])
        })
        .collect();
    let manager = MemoryManager::new(ByteSize::mib(64), PageSize::DEFAULT).unwrap();
    let pool = RefCell::new(
        manager
            .reservation("bench")
            .allocate_pages(manager.total_pages())
            .unwrap(),
    );
    let serializer = <Record100>::serializer();
    let comparator = KeyedComparator::new(|r: &Record100| &r.0, FixedBytesComparator::<10>::new());

    let mut group = c.benchmark_group("in_memory_sort/records100_200k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS100 as u64));
    group.bench_function("sorter_in_pages", |bench| {
        bench.iter_batched(
            || pool.take(),
            |pages| *pool.borrow_mut() = sort_in_pages(&serializer, &comparator, pages, &records),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("vec_sort_unstable_by_key", |bench| {
        bench.iter_batched(
            || records.clone(),
            |mut vec| {
                vec.sort_unstable_by_key(|record| record.0);
                vec
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, pairs, records100);
criterion_main!(benches);
