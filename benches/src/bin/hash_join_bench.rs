//! `hash_join_bench`: Weir's hybrid hash join against a `std` `HashMap` join over the same
//! rows, in the same run.
//!
//! Rows are `(u64 key, [u8; 32] payload)` (40 bytes serialized). The build (right) side has
//! keys `0..build_rows`, each once; every probe (left) row's key is a
//! pseudo-random build key, so an inner join emits exactly one row per probe row. Rows are
//! generated on the fly from their index for both contestants (no input `Vec` of 10 M rows);
//! both count the output rows and fold their keys and payload bytes into a checksum, which
//! must agree.
//!
//! ```text
//!   weir      HybridHashJoin in --memory-mib of managed pages (--page-kib), spilling to --dir
//!   baseline  HashMap<u64, Vec<[u8; 32]>> built from the build rows, probed row by row
//! ```
//!
//! One line per memory budget (default: half the build side's bytes, and ample memory):
//!
//! ```text
//! bench=hash_join config=probe=10000000,build=1000000,memory_mib=19,page_kib=32 rows=11000000
//!   seconds=… rows_per_s=… baseline_rows_per_s=… ratio=… peak_rss_mib=… spilled_mib=… depth=…
//! ```
//!
//! `rows` counts input rows (probe + build); `ratio` is Weir's rows/s over the baseline's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use weir::WeirError;
use weir::operators::join::{HybridHashJoin, JoinInputs, JoinType};
use weir::types::{DefaultComparator, DefaultSerializer};
use weir_benches::test_data::mix64;
use weir_memory::{ByteSize, IoManager, MemoryManager, PageSize, ResidentSetSampler};

/// Hybrid hash join throughput against a HashMap join, one line per memory budget.
#[derive(Debug, Parser)]
struct Args {
    /// Probe (left) rows.
    #[arg(long, default_value_t = 10_000_000)]
    probe_rows: u64,
    /// Build (right) rows.
    #[arg(long, default_value_t = 1_000_000)]
    build_rows: u64,
    /// Managed memory of the join in MiB; repeat for several runs. Default: half the build
    /// side's serialized bytes, and ample (four times them plus 16 MiB).
    #[arg(long, value_name = "MIB")]
    memory_mib: Vec<u64>,
    /// Page size in KiB (a power of two from 4 to 1024).
    #[arg(long, default_value_t = 32)]
    page_kib: usize,
    /// Directory to spill to. Default: the system temporary directory.
    #[arg(long, env = "WEIR_SPILL_DIR")]
    dir: Option<PathBuf>,
}

type Row = (u64, [u8; 32]);

const ROW_BYTES: u64 = 40;

fn payload(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&mix64(seed ^ i as u64).to_le_bytes());
    }
    bytes
}

/// Build row `i`: key `i` (a hash join does not care about the order of its input).
fn build_row(i: u64) -> Row {
    (i, payload(i))
}

fn probe_row(i: u64, build_rows: u64) -> Row {
    let key = mix64(i ^ 0x5151) % build_rows;
    (key, payload(!i))
}

/// Adds an output row to an order-independent checksum (Weir emits spilled partitions later).
fn fold(checksum: u64, probe: &Row, build: &Row) -> u64 {
    checksum.wrapping_add(mix64(
        probe.0 ^ (u64::from(probe.1[0]) << 40) ^ (u64::from(build.1[31]) << 48),
    ))
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hash_join_bench: error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    ensure!(args.build_rows > 0, "--build-rows must be at least 1");
    let page_size = PageSize::new(args.page_kib * 1024)
        .with_context(|| format!("--page-kib {}", args.page_kib))?;
    let build_mib = (args.build_rows * ROW_BYTES).div_ceil(1 << 20);
    let budgets = if args.memory_mib.is_empty() {
        vec![(build_mib / 2).max(1), build_mib * 4 + 16]
    } else {
        args.memory_mib.clone()
    };
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let io = Arc::new(
        IoManager::new(std::slice::from_ref(&dir))
            .with_context(|| format!("cannot spill to {}", dir.display()))?,
    );
    let (baseline_time, baseline_rows, baseline_checksum) = baseline(&args);
    let rows = args.probe_rows + args.build_rows;
    let baseline_rate = rows as f64 / baseline_time.as_secs_f64();
    for memory_mib in budgets {
        let sampler = ResidentSetSampler::start(Duration::from_millis(20));
        let (time, out_rows, checksum, metrics) = weir_join(&args, &io, page_size, memory_mib)?;
        let peak_rss = sampler.stop();
        ensure!(
            out_rows == baseline_rows && checksum == baseline_checksum,
            "weir emitted {out_rows} rows (checksum {checksum:x}), the baseline \
             {baseline_rows} (checksum {baseline_checksum:x})"
        );
        let rate = rows as f64 / time.as_secs_f64();
        println!(
            "bench=hash_join config=probe={},build={},memory_mib={memory_mib},page_kib={} \
             rows={rows} seconds={:.3} rows_per_s={rate:.0} baseline_rows_per_s={baseline_rate:.0} \
             ratio={:.3} peak_rss_mib={} spilled_mib={:.1} depth={} fallbacks={} bloom_filtered={}",
            args.probe_rows,
            args.build_rows,
            args.page_kib,
            time.as_secs_f64(),
            rate / baseline_rate,
            peak_rss.bytes() >> 20,
            metrics.bytes_spilled as f64 / f64::from(1 << 20),
            metrics.recursion_depth,
            metrics.nested_loop_fallbacks,
            metrics.bloom_filtered_records,
        );
    }
    io.shutdown();
    Ok(())
}

fn baseline(args: &Args) -> (Duration, u64, u64) {
    let start = Instant::now();
    let mut table: HashMap<u64, Vec<[u8; 32]>> = HashMap::new();
    for i in 0..args.build_rows {
        let (key, payload) = build_row(i);
        table.entry(key).or_default().push(payload);
    }
    let mut out_rows = 0u64;
    let mut checksum = 0u64;
    for i in 0..args.probe_rows {
        let probe = probe_row(i, args.build_rows);
        if let Some(payloads) = table.get(&probe.0) {
            for payload in payloads {
                out_rows += 1;
                checksum = fold(checksum, &probe, &(probe.0, *payload));
            }
        }
    }
    (start.elapsed(), out_rows, checksum)
}

fn weir_join(
    args: &Args,
    io: &Arc<IoManager>,
    page_size: PageSize,
    memory_mib: u64,
) -> Result<(
    Duration,
    u64,
    u64,
    weir::operators::metrics::OperatorMetrics,
)> {
    let memory = MemoryManager::new(ByteSize::mib(memory_mib), page_size)
        .context("reserving the join's managed memory")?;
    let reservation = memory.reservation("hash_join_bench");
    let pages = reservation
        .allocate_pages(memory.total_pages())
        .context("allocating the join's pages")?;
    let inputs = JoinInputs::new(
        Row::serializer(),
        Row::serializer(),
        u64::comparator(),
        |row: &Row| row.0,
        |row: &Row| row.0,
    );
    let start = Instant::now();
    let mut join = HybridHashJoin::new(inputs, JoinType::Inner, pages, Arc::clone(io))?;
    let mut out_rows = 0u64;
    let mut checksum = 0u64;
    let mut emit = |probe: Option<&Row>, build: Option<&Row>| -> Result<(), WeirError> {
        if let (Some(probe), Some(build)) = (probe, build) {
            out_rows += 1;
            checksum = fold(checksum, probe, build);
        }
        Ok(())
    };
    let build_rows = args.build_rows;
    join.join(
        (0..build_rows).map(|i| Ok(build_row(i))),
        (0..args.probe_rows).map(|i| Ok(probe_row(i, build_rows))),
        &mut emit,
    )?;
    let elapsed = start.elapsed();
    let metrics = join.metrics().clone();
    drop(join.into_pages());
    Ok((elapsed, out_rows, checksum, metrics))
}
