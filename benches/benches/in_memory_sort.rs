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
use weir_benches::test_data::random_u64s;

const PAIRS: usize = 1_000_000;
const RECORDS100: usize = 200_000;

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

/// Benchmarks the sorter on `records` (in 64 MiB of 32 KiB pages) beside
/// `sort_unstable_by_key(key)` on a clone of the Vec.
fn sorter_against_vec<S, C, K>(
    c: &mut Criterion,
    group_name: &str,
    serializer: S,
    comparator: C,
    records: &[S::Value],
    key: fn(&S::Value) -> K,
) where
    S: TypeSerializer,
    S::Value: Clone,
    C: TypeComparator<Value = S::Value>,
    K: Ord,
{
    let manager = MemoryManager::new(ByteSize::mib(64), PageSize::DEFAULT).unwrap();
    let pool = RefCell::new(
        manager
            .reservation("bench")
            .allocate_pages(manager.total_pages())
            .unwrap(),
    );
    let mut group = c.benchmark_group(group_name);
    group.sample_size(10);
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("sorter_in_pages", |bench| {
        bench.iter_batched(
            || pool.take(),
            |pages| *pool.borrow_mut() = sort_in_pages(&serializer, &comparator, pages, records),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("vec_sort_unstable_by_key", |bench| {
        bench.iter_batched(
            || records.to_vec(),
            |mut vec| {
                vec.sort_unstable_by_key(key);
                vec
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn pairs(c: &mut Criterion) {
    let records: Vec<(i64, u64)> = random_u64s(PAIRS, 1)
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k as i64, i as u64))
        .collect();
    let comparator = KeyedComparator::new(|r: &(i64, u64)| &r.0, IntComparator::<i64>::new());
    sorter_against_vec(
        c,
        "in_memory_sort/pairs_1m",
        <(i64, u64)>::serializer(),
        comparator,
        &records,
        |record| record.0,
    );
}

type Record100 = ([u8; 10], [u8; 90]);

fn records100(c: &mut Criterion) {
    let records: Vec<Record100> = random_u64s(RECORDS100 * 2, 2)
        .chunks(2)
        .map(|pair| {
            let mut key = [0u8; 10];
            key[..8].copy_from_slice(&pair[0].to_be_bytes());
            key[8..].copy_from_slice(&pair[1].to_be_bytes()[..2]);
            (key, [b'v'; 90])
        })
        .collect();
    let comparator = KeyedComparator::new(|r: &Record100| &r.0, FixedBytesComparator::<10>::new());
    sorter_against_vec(
        c,
        "in_memory_sort/records100_200k",
        <Record100>::serializer(),
        comparator,
        &records,
        |record| record.0,
    );
}

criterion_group!(benches, pairs, records100);
criterion_main!(benches);
