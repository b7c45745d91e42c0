//! `network_exchange_bench`: records through one result partition into one input gate (the
//! local data exchange of `weir::runtime::network`), against an in-process memcpy baseline.
//!
//! Configurations, one output line each:
//!
//! ```text
//!  blocking_in_memory  producer writes everything, then the consumer reads; the pool holds it all
//!  blocking_spilling   the same with a pool of `--small-pool` buffers: most buffers are spilled
//!  pipelined           producer and consumer threads at once, pool of `--small-pool` buffers
//! ```
//!
//! Records are `Vec<u8>` of `--record-bytes` serialized bytes (a 1-byte varint length and the
//! payload). The baseline copies every record into a 32 KiB chunk and, when the chunk is full,
//! copies each record back out into a new `Vec<u8>` (what the reader hands out): the same bytes
//! moved and the same allocations, without framing, pools, threads or I/O.
//!
//! ```text
//!  bench=network_exchange config=blocking_spilling,record_bytes=100,page_kib=32 rows=… seconds=…
//!   rows_per_s=… baseline_rows_per_s=… ratio=… peak_rss_mib=… gib_per_s=… spilled_mib=…
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use weir::runtime::network::{
    CancelToken, InputGate, PartitionKind, RecordReader, RecordWriter, ResultPartition,
};
use weir::types::DefaultSerializer;
use weir_benches::test_data::SplitMix64;
use weir_memory::{IoManager, NetworkBufferPool, PageSize, ResidentSetSampler};

/// Throughput of the local data exchange against a memcpy baseline.
#[derive(Debug, Parser)]
struct Args {
    /// Records to send.
    #[arg(long, default_value_t = 5_000_000)]
    rows: u64,
    /// Serialized bytes per record (2..=128: a one-byte length prefix and the payload).
    #[arg(long, default_value_t = 100)]
    record_bytes: usize,
    /// Network buffer size in KiB.
    #[arg(long, default_value_t = 32)]
    page_kib: usize,
    /// Buffers of the partition pool in the spilling and pipelined configurations.
    #[arg(long, default_value_t = 8)]
    small_pool: usize,
    /// Spill directory. Default: the system temporary directory.
    #[arg(long, env = "WEIR_SPILL_DIR")]
    dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("network_exchange_bench: error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    ensure!(
        (2..=128).contains(&args.record_bytes),
        "--record-bytes must be from 2 to 128"
    );
    ensure!(args.small_pool >= 2, "--small-pool must be at least 2");
    let page_size = PageSize::new(args.page_kib * 1024).context("--page-kib")?;
    let payload = args.record_bytes - 1;
    let records = record_variants(payload);
    let data_bytes = args.rows * args.record_bytes as u64;
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let io = Arc::new(IoManager::new(std::slice::from_ref(&dir)).context("spill directory")?);

    let baseline = baseline_seconds(&records, args.rows, page_size.bytes());
    let baseline_rate = args.rows as f64 / baseline;

    let all_in_memory = (data_bytes as usize).div_ceil(page_size.bytes()) + 4;
    for (name, kind, pool_buffers) in [
        ("blocking_in_memory", PartitionKind::Blocking, all_in_memory),
        (
            "blocking_spilling",
            PartitionKind::Blocking,
            args.small_pool,
        ),
        ("pipelined", PartitionKind::Pipelined, args.small_pool),
    ] {
        let sampler = ResidentSetSampler::start(Duration::from_millis(20));
        let (seconds, spilled) =
            exchange_seconds(&args, &records, page_size, &io, kind, pool_buffers)?;
        let peak_rss = sampler.stop();
        let rate = args.rows as f64 / seconds;
        println!(
            "bench=network_exchange config={name},record_bytes={},page_kib={},pool_buffers={pool_buffers} \
             rows={} seconds={seconds:.3} rows_per_s={rate:.0} baseline_rows_per_s={baseline_rate:.0} \
             ratio={:.3} peak_rss_mib={} gib_per_s={:.2} spilled_mib={:.1}",
            args.record_bytes,
            args.page_kib,
            args.rows,
            rate / baseline_rate,
            peak_rss.bytes() >> 20,
            data_bytes as f64 / seconds / (1u64 << 30) as f64,
            spilled as f64 / (1u64 << 20) as f64,
        );
    }
    Ok(())
}

/// A few different payloads, so records are not all equal.
fn record_variants(payload: usize) -> Vec<Vec<u8>> {
    let mut random = SplitMix64::new(42);
    (0..16)
        .map(|_| (0..payload).map(|_| random.next_u64() as u8).collect())
        .collect()
}

fn exchange_seconds(
    args: &Args,
    records: &[Vec<u8>],
    page_size: PageSize,
    io: &Arc<IoManager>,
    kind: PartitionKind,
    pool_buffers: usize,
) -> Result<(f64, u64)> {
    let buffers = NetworkBufferPool::new(pool_buffers + 4, page_size)?;
    let cancel = CancelToken::new();
    let partition = ResultPartition::new(
        "bench",
        kind,
        1,
        buffers.create_local_pool("bench-partition", pool_buffers, pool_buffers)?,
        Arc::clone(io),
        cancel.clone(),
    );
    let gate = InputGate::new(
        "bench-gate",
        vec![(Arc::clone(&partition), 0)],
        buffers.create_local_pool("bench-gate", 4, 4)?,
        cancel,
    )?;
    let rows = args.rows;
    let produce = {
        let partition = Arc::clone(&partition);
        move || -> Result<()> {
            let mut writer = RecordWriter::new(partition, <Vec<u8>>::serializer())?;
            for row in 0..rows {
                writer.emit(0, &records[row as usize % records.len()])?;
            }
            writer.finish()?;
            Ok(())
        }
    };
    let consume = move || -> Result<(u64, u64)> {
        let mut reader = RecordReader::new(gate, <Vec<u8>>::serializer());
        let (mut count, mut checksum) = (0u64, 0u64);
        while let Some(record) = reader.next()? {
            count += 1;
            checksum = checksum.wrapping_add(record[0] as u64);
        }
        Ok((count, checksum))
    };
    let start = Instant::now();
    let (count, checksum) = thread::scope(|scope| -> Result<(u64, u64)> {
        if kind == PartitionKind::Blocking {
            produce()?;
            consume()
        } else {
            let producer = scope.spawn(produce);
            let consumed = consume();
            producer.join().expect("the producer thread panicked")?;
            consumed
        }
    })?;
    let seconds = start.elapsed().as_secs_f64();
    ensure!(count == rows, "read {count} of {rows} records");
    let expected: u64 = (0..rows)
        .map(|row| records[row as usize % records.len()][0] as u64)
        .fold(0, u64::wrapping_add);
    ensure!(checksum == expected, "checksum mismatch");
    Ok((seconds, partition.metrics().bytes_spilled))
}

/// Copies each record into a chunk of `chunk_bytes`, and each full chunk's records back out
/// into new vectors.
fn baseline_seconds(records: &[Vec<u8>], rows: u64, chunk_bytes: usize) -> f64 {
    let record_bytes = records[0].len() + 1;
    let mut chunk: Vec<u8> = Vec::with_capacity(chunk_bytes);
    let mut checksum = 0u64;
    let drain = |chunk: &mut Vec<u8>, checksum: &mut u64| {
        for record in chunk.chunks(record_bytes) {
            let out = std::hint::black_box(record[1..].to_vec());
            *checksum = checksum.wrapping_add(out[0] as u64);
        }
        chunk.clear();
    };
    let start = Instant::now();
    for row in 0..rows {
        if chunk.len() + record_bytes > chunk_bytes {
            drain(&mut chunk, &mut checksum);
        }
        let record = &records[row as usize % records.len()];
        chunk.push(record.len() as u8);
        chunk.extend_from_slice(record);
    }
    drain(&mut chunk, &mut checksum);
    std::hint::black_box(checksum);
    start.elapsed().as_secs_f64()
}
