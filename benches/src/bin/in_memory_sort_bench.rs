//! `in_memory_sort_bench`: the in-memory sorter against `slice::sort_unstable_by` on a `Vec` of
//! the same records, measured in the same run, with the sorter's write and sort phases timed
//! apart.
//!
//! ```text
//!  shape       record                                   sorter comparator
//!  pairs       (i64 key, u64 value), 16 bytes           the i64 (8-byte complete prefix)
//!  records100  ([u8; 10] key, [u8; 90] payload)         the 10 key bytes (24-byte prefix slot)
//!  strings     String "key-<16 hex digits>"              the string (16-byte prefix, which
//!                                                       ties only on the first 12 digits)
//!  strings_tied String "<24-byte common head><16 hex>"  the same; every prefix ties, so every
//!                                                       comparison deserializes records
//! ```
//!
//! Per run: write every record into a new sorter over enough pages (the same pages every run;
//! timed: `write`), sort (timed: `sort`), then sort a clone of the Vec (the clone is not timed)
//! and check that both orders agree record by record. With `--runs N` the median run is
//! printed, one line per shape:
//!
//! ```text
//!  bench=in_memory_sort config=pairs/stable=false/algorithm=Auto rows=1000000 seconds=0.0629
//!    rows_per_s=15895706 baseline_rows_per_s=17570455 ratio=0.905 peak_rss_mib=64
//!    write_seconds=0.0220 sort_seconds=0.0409 sort_rows_per_s=24436193 sort_ratio=1.391
//! ```
//!
//! (`rows_per_s` and `ratio` count write + sort; `sort_ratio` counts the sort alone.)

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use clap::{Parser, ValueEnum};
use weir::memory::{ByteSize, MemoryManager, PageSize};
use weir::operators::sort::{InMemorySorter, SortAlgorithm, SortOrder};
use weir::types::{
    DefaultComparator, DefaultSerializer, FixedBytesComparator, IntComparator, KeyedComparator,
    TypeComparator, TypeSerializer,
};
use weir_benches::test_data::random_u64s;
use weir_memory::ResidentSetSampler;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Shape {
    Pairs,
    Records100,
    Strings,
    StringsTied,
}

/// In-memory sort in pages against slice::sort_unstable_by on a Vec, one line per shape.
#[derive(Debug, Parser)]
struct Args {
    /// Records per shape.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    rows: usize,
    /// Shapes to run (all by default).
    #[arg(long, value_enum, value_delimiter = ',')]
    shapes: Vec<Shape>,
    /// Runs per shape; the median is printed.
    #[arg(long, default_value_t = 3, value_name = "N")]
    runs: usize,
    /// Page size in KiB.
    #[arg(long, default_value_t = 32, value_name = "N")]
    page_kib: usize,
    /// Sort with SortOrder::Stable (the baseline then uses the stable slice::sort_by).
    #[arg(long)]
    stable: bool,
    /// The sorter's algorithm: what `sort()` picks (auto), or one forced through `sort_with`.
    #[arg(long, value_enum, default_value_t = Algorithm::Auto)]
    algorithm: Algorithm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Algorithm {
    Auto,
    Radix,
    Comparison,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("in_memory_sort_bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    ensure!(args.rows > 0, "--rows must be at least 1");
    ensure!(args.runs > 0, "--runs must be at least 1");
    let page_size = PageSize::new(args.page_kib * 1024)?;
    let shapes = if args.shapes.is_empty() {
        vec![
            Shape::Pairs,
            Shape::Records100,
            Shape::Strings,
            Shape::StringsTied,
        ]
    } else {
        args.shapes.clone()
    };
    for shape in shapes {
        match shape {
            Shape::Pairs => {
                let records: Vec<(i64, u64)> = random_u64s(args.rows, 1)
                    .into_iter()
                    .enumerate()
                    .map(|(i, k)| (k as i64, i as u64))
                    .collect();
                let comparator =
                    KeyedComparator::new(|r: &(i64, u64)| &r.0, IntComparator::<i64>::new());
                measure(
                    &args,
                    "pairs",
                    page_size,
                    <(i64, u64)>::serializer(),
                    comparator,
                    &records,
                    |a, b| a.0.cmp(&b.0),
                )?;
            }
            Shape::Records100 => {
                let records: Vec<([u8; 10], [u8; 90])> = random_u64s(args.rows * 2, 2)
                    .chunks(2)
                    .map(|pair| {
                        let mut key = [0u8; 10];
                        key[..8].copy_from_slice(&pair[0].to_be_bytes());
                        key[8..].copy_from_slice(&pair[1].to_be_bytes()[..2]);
                        (key, [b'v'; 90])
                    })
                    .collect();
                let comparator = KeyedComparator::new(
                    |r: &([u8; 10], [u8; 90])| &r.0,
                    FixedBytesComparator::<10>::new(),
                );
                measure(
                    &args,
                    "records100",
                    page_size,
                    <([u8; 10], [u8; 90])>::serializer(),
                    comparator,
                    &records,
                    |a, b| a.0.cmp(&b.0),
                )?;
            }
            Shape::Strings | Shape::StringsTied => {
                let (name, head) = match shape {
                    Shape::Strings => ("strings", "key-"),
                    _ => ("strings_tied", "common-head-of-24-bytes-"),
                };
                let records: Vec<String> = random_u64s(args.rows, 3)
                    .into_iter()
                    .map(|k| format!("{head}{k:016x}"))
                    .collect();
                measure(
                    &args,
                    name,
                    page_size,
                    String::serializer(),
                    String::comparator(),
                    &records,
                    |a, b| a.cmp(b),
                )?;
            }
        }
    }
    Ok(())
}

struct Run {
    write: Duration,
    sort: Duration,
    baseline: Duration,
}

fn measure<S, C>(
    args: &Args,
    name: &str,
    page_size: PageSize,
    serializer: S,
    comparator: C,
    records: &[S::Value],
    compare: fn(&S::Value, &S::Value) -> std::cmp::Ordering,
) -> Result<()>
where
    S: TypeSerializer,
    S::Value: Clone + PartialEq,
    C: TypeComparator<Value = S::Value>,
{
    let order = if args.stable {
        SortOrder::Stable
    } else {
        SortOrder::Unstable
    };
    let sampler = ResidentSetSampler::start(Duration::from_millis(20));
    // Enough pages for twice the records' Vec size (serialized records plus the index), and
    // room for a page of index and a few of records however few the records are.
    let budget_bytes =
        (std::mem::size_of_val(records) * 2 + records.len() * 40).max(8 * page_size.bytes()) as u64;
    let manager = MemoryManager::new(ByteSize::new(budget_bytes), page_size)?;
    let mut pages = manager
        .reservation("bench")
        .allocate_pages(manager.total_pages())?;
    let mut runs = Vec::new();
    for _ in 0..args.runs {
        let mut sorter = InMemorySorter::new(serializer.clone(), comparator.clone(), order, pages)?;
        let start = Instant::now();
        for record in records {
            ensure!(sorter.write(record)?, "the bench gives enough pages");
        }
        let written = Instant::now();
        match args.algorithm {
            Algorithm::Auto => sorter.sort()?,
            Algorithm::Radix => sorter.sort_with(SortAlgorithm::Radix)?,
            Algorithm::Comparison => sorter.sort_with(SortAlgorithm::Comparison)?,
        }
        let sorted = Instant::now();

        let mut vec = records.to_vec();
        let start_baseline = Instant::now();
        if args.stable {
            vec.sort_by(compare);
        } else {
            vec.sort_unstable_by(compare);
        }
        let baseline = start_baseline.elapsed();
        for (i, (record, expected)) in sorter.iter().zip(&vec).enumerate() {
            let record = record?;
            let agree = if args.stable {
                &record == expected
            } else {
                compare(&record, expected).is_eq()
            };
            ensure!(agree, "sorter and Vec disagree at record {i}");
        }
        pages = sorter.into_pages();
        runs.push(Run {
            write: written - start,
            sort: sorted - written,
            baseline,
        });
    }
    drop(pages);
    let peak_rss_mib = sampler.stop().bytes() as f64 / (1 << 20) as f64;
    runs.sort_by_key(|run| run.write + run.sort);
    let run = &runs[runs.len() / 2];
    let rows = records.len() as f64;
    let seconds = (run.write + run.sort).as_secs_f64();
    let baseline_rows_per_s = rows / run.baseline.as_secs_f64();
    println!(
        "bench=in_memory_sort config={name}/stable={}/algorithm={:?} rows={} seconds={seconds:.4} \
         rows_per_s={:.0} baseline_rows_per_s={baseline_rows_per_s:.0} ratio={:.3} \
         peak_rss_mib={peak_rss_mib:.0} write_seconds={:.4} sort_seconds={:.4} \
         sort_rows_per_s={:.0} sort_ratio={:.3}",
        args.stable,
        args.algorithm,
        records.len(),
        rows / seconds,
        (rows / seconds) / baseline_rows_per_s,
        run.write.as_secs_f64(),
        run.sort.as_secs_f64(),
        rows / run.sort.as_secs_f64(),
        (rows / run.sort.as_secs_f64()) / baseline_rows_per_s,
    );
    Ok(())
}
