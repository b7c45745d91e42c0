//! In-memory sort over pages, by radix sort and by comparison sort, against
//! `slice::sort_unstable_by` (ipnsort) on a `Vec` of the same records.
//!
//! ```text
//!  group                         records                                   why
//!  pairs_1m, pairs_10m           (i64 key, u64 value)                      8-byte complete prefix
//!  records100_1m                 ([u8; 10] key, [u8; 90] payload)          TeraSort shape; key in
//!                                                                          the 24-byte slot
//!  pairs_1k, pairs_100k          (i64, u64)                                where radix starts to
//!  strings_100k                  "key-<16 hex digits>"                     pay: small inputs, and
//!                                                                          a 16-byte prefix that
//!                                                                          is not complete
//! ```
//!
//! Each group has `sorter_radix` and `sorter_comparison` (`InMemorySorter::sort_with` each
//! algorithm) and `vec_sort_unstable_by`. A sorter iteration writes the records into the
//! sorter (timed: serialization is part of what the sorter costs against a Vec that already
//! holds them) and sorts; the baseline clones the Vec outside the timed part and sorts it.
//! Throughput is records. `in_memory_sort_bench` (benches/src/bin) reports the write and sort
//! phases apart.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use weir::memory::{ByteSize, MemoryManager, MemorySegment, PageSize};
use weir::operators::sort::{InMemorySorter, SortAlgorithm, SortOrder};
use weir::types::{
    DefaultComparator, DefaultSerializer, FixedBytesComparator, IntComparator, KeyedComparator,
    TypeComparator, TypeSerializer,
};
use weir_benches::test_data::random_u64s;

fn sort_in_pages<S, C>(
    serializer: &S,
    comparator: &C,
    algorithm: SortAlgorithm,
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
    sorter.sort_with(algorithm).unwrap();
    black_box(sorter.len());
    sorter.into_pages()
}

/// Benchmarks the sorter on `records` with each algorithm (in 32 KiB pages, twice the Vec's
/// size plus 40 bytes a record) beside `sort_unstable_by(compare)` on a clone of the Vec.
fn sorter_against_vec<S, C>(
    c: &mut Criterion,
    group_name: &str,
    serializer: S,
    comparator: C,
    records: &[S::Value],
    compare: fn(&S::Value, &S::Value) -> Ordering,
) where
    S: TypeSerializer,
    S::Value: Clone,
    C: TypeComparator<Value = S::Value>,
{
    let budget_bytes = (std::mem::size_of_val(records) * 2 + records.len() * 40)
        .max(8 * PageSize::DEFAULT.bytes()) as u64;
    let manager = MemoryManager::new(ByteSize::new(budget_bytes), PageSize::DEFAULT).unwrap();
    let pool = RefCell::new(
        manager
            .reservation("bench")
            .allocate_pages(manager.total_pages())
            .unwrap(),
    );
    let mut group = c.benchmark_group(group_name);
    // Ten samples of the million-record groups take minutes already; the small groups need
    // more to see through the noise of a shared machine.
    group.sample_size(if records.len() >= 1_000_000 { 10 } else { 60 });
    group.throughput(Throughput::Elements(records.len() as u64));
    for (name, algorithm) in [
        ("sorter_radix", SortAlgorithm::Radix),
        ("sorter_comparison", SortAlgorithm::Comparison),
    ] {
        group.bench_function(name, |bench| {
            bench.iter_batched(
                || pool.take(),
                |pages| {
                    *pool.borrow_mut() =
                        sort_in_pages(&serializer, &comparator, algorithm, pages, records)
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.bench_function("vec_sort_unstable_by", |bench| {
        bench.iter_batched(
            || records.to_vec(),
            |mut vec| {
                vec.sort_unstable_by(compare);
                vec
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn pair_records(count: usize) -> Vec<(i64, u64)> {
    random_u64s(count, 1)
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k as i64, i as u64))
        .collect()
}

fn pairs_of(c: &mut Criterion, group_name: &str, count: usize) {
    let records = pair_records(count);
    let comparator = KeyedComparator::new(|r: &(i64, u64)| &r.0, IntComparator::<i64>::new());
    sorter_against_vec(
        c,
        group_name,
        <(i64, u64)>::serializer(),
        comparator,
        &records,
        |a, b| a.0.cmp(&b.0),
    );
}

fn pairs(c: &mut Criterion) {
    pairs_of(c, "in_memory_sort/pairs_1m", 1_000_000);
    pairs_of(c, "in_memory_sort/pairs_10m", 10_000_000);
}

type Record100 = ([u8; 10], [u8; 90]);

fn records100(c: &mut Criterion) {
    let count = 1_000_000;
    let records: Vec<Record100> = random_u64s(count * 2, 2)
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
        "in_memory_sort/records100_1m",
        <Record100>::serializer(),
        comparator,
        &records,
        |a, b| a.0.cmp(&b.0),
    );
}

/// Where the radix sort starts to pay: small inputs, and keys whose prefix is not complete.
fn radix_threshold(c: &mut Criterion) {
    pairs_of(c, "in_memory_sort/pairs_1k", 1_000);
    pairs_of(c, "in_memory_sort/pairs_100k", 100_000);
    let strings: Vec<String> = random_u64s(100_000, 3)
        .into_iter()
        .map(|k| format!("key-{k:016x}"))
        .collect();
    sorter_against_vec(
        c,
        "in_memory_sort/strings_100k",
        String::serializer(),
        String::comparator(),
        &strings,
        |a, b| a.cmp(b),
    );
}

criterion_group!(benches, pairs, records100, radix_threshold);
criterion_main!(benches);
