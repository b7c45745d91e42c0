//! `hash_aggregation_bench`: Weir's [`HashAggregator`] (sum per key over `(u64, u64)` records)
//! in a fixed budget of managed memory, beside a std `HashMap` aggregate over the same records
//! in the same run.
//!
//! ```text
//!  1. input     --rows records (key, value) in a Vec: the first --distinct-keys rows hold every
//!               key once, the rest draw keys at random among them; keys are scrambled u64s
//!  2. Weir      HashAggregator in --memory-mib of --page-kib pages, spilling to --dir;
//!               records written from the Vec, results summed into a checksum by the callback
//!  3. baseline  HashMap<u64, u64> entry().or_insert() += value over the same Vec, then the
//!               same checksum over its entries
//!  4. check     both see --distinct-keys groups and the same checksum, or the run fails
//! ```
//!
//! The resident set size is sampled during each phase (`peak_rss_mib` for Weir,
//! `baseline_rss_mib` for the HashMap; both include the input Vec). Weir runs first, so the
//! HashMap's heap cannot inflate Weir's figure.
//!
//! Output, one line on stdout:
//!
//! ```text
//!  bench=hash_aggregation config=<distinct>keys/<memory>MiB/<page>KiB rows=… seconds=…
//!  rows_per_s=… baseline_rows_per_s=… ratio=… peak_rss_mib=… baseline_rss_mib=…
//!  spill_files=… bytes_spilled=… recursion_depth=… sort_fallbacks=…
//! ```
//!
//! `ratio` is Weir's rate over the HashMap's (above 1: Weir is faster).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::Parser;

use weir::WeirError;
use weir::operators::aggregate::{HashAggregator, MIN_HASH_AGGREGATOR_PAGES};
use weir::types::{DefaultComparator, DefaultSerializer};
use weir_benches::test_data::{SplitMix64, mix64};
use weir_memory::{ByteSize, IoManager, MemoryManager, PageSize, ResidentSetSampler};

#[derive(Debug, Parser)]
#[command(about = "Hash aggregation (sum per key) in managed memory vs a std HashMap")]
struct Args {
    /// Input records.
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// Distinct keys among them (at most --rows).
    #[arg(long, default_value_t = 10_000_000)]
    distinct_keys: u64,
    /// Managed memory for the aggregation in MiB.
    #[arg(long, default_value_t = 64)]
    memory_mib: u64,
    /// Page size in KiB: a power of two from 4 to 1024.
    #[arg(long, default_value_t = 32)]
    page_kib: usize,
    /// Folder to spill to (the I/O manager makes its spill directory inside it).
    #[arg(long, default_value = "target/bench-data")]
    dir: PathBuf,
    /// Seed of the key generator.
    #[arg(long, default_value_t = 17)]
    seed: u64,
}

/// Groups and an order-independent checksum of (key, sum) pairs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Digest {
    groups: u64,
    checksum: u64,
}

impl Digest {
    fn add(&mut self, key: u64, sum: u64) {
        self.groups += 1;
        self.checksum = self.checksum.wrapping_add(mix64(key ^ sum.rotate_left(17)));
    }
}

fn input(args: &Args) -> Vec<(u64, u64)> {
    let mut random = SplitMix64::new(args.seed);
    (0..args.rows)
        .map(|row| {
            let key_index = if row < args.distinct_keys {
                row
            } else {
                random.next_u64() % args.distinct_keys
            };
            (mix64(key_index ^ args.seed), row)
        })
        .collect()
}

fn sum(a: (u64, u64), b: (u64, u64)) -> Result<(u64, u64), WeirError> {
    Ok((a.0, a.1.wrapping_add(b.1)))
}

struct WeirRun {
    digest: Digest,
    elapsed: Duration,
    peak_rss: ByteSize,
    spill_files: u64,
    bytes_spilled: u64,
    recursion_depth: u32,
    sort_fallbacks: u32,
}

fn run_weir(args: &Args, records: &[(u64, u64)]) -> anyhow::Result<WeirRun> {
    let page_size = PageSize::new(args.page_kib * 1024)
        .with_context(|| format!("--page-kib {}", args.page_kib))?;
    let memory = MemoryManager::new(ByteSize::mib(args.memory_mib), page_size)
        .context("reserving managed memory")?;
    ensure!(
        memory.total_pages() >= MIN_HASH_AGGREGATOR_PAGES,
        "--memory-mib {} holds {} pages, fewer than the {MIN_HASH_AGGREGATOR_PAGES} needed",
        args.memory_mib,
        memory.total_pages()
    );
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let io = Arc::new(
        IoManager::new(std::slice::from_ref(&args.dir))
            .with_context(|| format!("cannot spill to {}", args.dir.display()))?,
    );
    let pages = memory
        .reservation("hash_aggregation_bench")
        .allocate_pages(memory.total_pages())?;
    let sampler = ResidentSetSampler::start(Duration::from_millis(20));
    let start = Instant::now();
    let mut aggregator = HashAggregator::new(
        <(u64, u64)>::serializer(),
        |record: &(u64, u64)| record.0,
        u64::comparator(),
        sum,
        pages,
        Arc::clone(&io),
    )?;
    for &record in records {
        aggregator.write(record)?;
    }
    let mut digest = Digest::default();
    let finished = aggregator.finish(|(key, sum)| {
        digest.add(key, sum);
        Ok(())
    })?;
    let elapsed = start.elapsed();
    let peak_rss = sampler.stop();
    let metrics = finished.metrics;
    eprintln!("hash_aggregation_bench: weir {metrics}");
    Ok(WeirRun {
        digest,
        elapsed,
        peak_rss,
        spill_files: metrics.spill_files,
        bytes_spilled: metrics.bytes_spilled,
        recursion_depth: metrics.recursion_depth,
        sort_fallbacks: metrics.sort_merge_fallbacks,
    })
}

fn run_baseline(records: &[(u64, u64)]) -> (Digest, Duration, ByteSize) {
    let sampler = ResidentSetSampler::start(Duration::from_millis(20));
    let start = Instant::now();
    let mut groups: HashMap<u64, u64> = HashMap::new();
    for &(key, value) in records {
        let sum = groups.entry(key).or_insert(0);
        *sum = sum.wrapping_add(value);
    }
    let mut digest = Digest::default();
    for (&key, &sum) in &groups {
        digest.add(key, sum);
    }
    let elapsed = start.elapsed();
    let peak_rss = sampler.stop();
    drop(groups);
    (digest, elapsed, peak_rss)
}

fn mib(size: ByteSize) -> f64 {
    size.bytes() as f64 / (1024.0 * 1024.0)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.rows > 0, "--rows must be at least 1");
    ensure!(
        (1..=args.rows).contains(&args.distinct_keys),
        "--distinct-keys must be from 1 to --rows"
    );
    let records = input(&args);
    let weir = run_weir(&args, &records)?;
    let (baseline, baseline_elapsed, baseline_rss) = run_baseline(&records);
    ensure!(
        weir.digest == baseline,
        "Weir's result {:?} differs from the HashMap's {:?}",
        weir.digest,
        baseline
    );
    ensure!(
        weir.digest.groups == args.distinct_keys,
        "{} groups, expected {}",
        weir.digest.groups,
        args.distinct_keys
    );
    let rows = args.rows as f64;
    let rows_per_s = rows / weir.elapsed.as_secs_f64();
    let baseline_rows_per_s = rows / baseline_elapsed.as_secs_f64();
    println!(
        "bench=hash_aggregation config={}keys/{}MiB/{}KiB rows={} seconds={:.3} rows_per_s={:.0} \
         baseline_rows_per_s={:.0} ratio={:.3} peak_rss_mib={:.1} baseline_rss_mib={:.1} \
         spill_files={} bytes_spilled={} recursion_depth={} sort_fallbacks={}",
        args.distinct_keys,
        args.memory_mib,
        args.page_kib,
        args.rows,
        weir.elapsed.as_secs_f64(),
        rows_per_s,
        baseline_rows_per_s,
        rows_per_s / baseline_rows_per_s,
        mib(weir.peak_rss),
        mib(baseline_rss),
        weir.spill_files,
        weir.bytes_spilled,
        weir.recursion_depth,
        weir.sort_fallbacks,
    );
    Ok(())
}
