//! `network_stream`: `(u64, u64)` records through one pipelined result partition with
//! credit-based flow control into one input gate, one producer thread and one consumer thread,
//! the way a streaming exchange runs (`RecordWriter::emit`, `RecordReader::next_element`).
//!
//! Configurations, one output line each:
//!
//! ```text
//!  credit          records only; buffers are sent when full
//!  flush_events    plus a flush every --flush-every records (a busy buffer timeout) and a
//!                  watermark broadcast every --watermark-every records
//! ```
//!
//! Baseline: a crossbeam bounded channel (capacity: the credit per channel) of
//! `Vec<(u64, u64)>` batches of 1024 records between the same two threads; the consumer sums
//! the same values. Both consumers check the sum.
//!
//! ```text
//!  bench=network_stream config=credit,page_kib=32,credit=2,pool_buffers=8 rows=… seconds=…
//!   rows_per_s=… baseline_rows_per_s=… ratio=… peak_rss_mib=… backpressured_ms=… idle_ms=…
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use weir::runtime::network::{
    CancelToken, ChannelEvent, InputGate, PartitionKind, ReaderItem, RecordReader, RecordWriter,
    ResultPartition,
};
use weir::types::DefaultSerializer;
use weir_benches::test_data::SplitMix64;
use weir_memory::{IoManager, NetworkBufferPool, PageSize, ResidentSetSampler};

/// Throughput of a pipelined exchange with credits against a crossbeam channel of batches.
#[derive(Debug, Parser)]
struct Args {
    /// Records to send.
    #[arg(long, default_value_t = 20_000_000)]
    rows: u64,
    /// Network buffer size in KiB.
    #[arg(long, default_value_t = 32)]
    page_kib: usize,
    /// Credit per channel (taskmanager.network.memory.buffers-per-channel).
    #[arg(long, default_value_t = 2)]
    credit: usize,
    /// Buffers of the partition's pool.
    #[arg(long, default_value_t = 8)]
    pool_buffers: usize,
    /// flush_events: records between flushes.
    #[arg(long, default_value_t = 10_000)]
    flush_every: u64,
    /// flush_events: records between watermarks.
    #[arg(long, default_value_t = 100_000)]
    watermark_every: u64,
}

const BATCH_RECORDS: usize = 1024;

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("network_stream: error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    ensure!(args.credit >= 1, "--credit must be at least 1");
    ensure!(args.pool_buffers >= 2, "--pool-buffers must be at least 2");
    ensure!(
        args.flush_every >= 1 && args.watermark_every >= 1,
        "--flush-every and --watermark-every must be at least 1"
    );
    let page_size = PageSize::new(args.page_kib * 1024).context("--page-kib")?;
    let keys = {
        let mut random = SplitMix64::new(7);
        (0..4096)
            .map(|_| random.next_u64() >> 8)
            .collect::<Vec<u64>>()
    };
    let expected_sum = (0..args.rows)
        .map(|row| record(&keys, row))
        .fold(0u64, |sum, (key, value)| {
            sum.wrapping_add(key).wrapping_add(value)
        });

    let baseline = baseline_seconds(&keys, args.rows, args.credit, expected_sum)?;
    let baseline_rate = args.rows as f64 / baseline;
    for (name, with_flushes) in [("credit", false), ("flush_events", true)] {
        let sampler = ResidentSetSampler::start(Duration::from_millis(20));
        let run = exchange(&args, &keys, page_size, with_flushes, expected_sum)?;
        let peak_rss = sampler.stop();
        let rate = args.rows as f64 / run.seconds;
        let flush_config = if with_flushes {
            format!(
                ",flush_every={},watermark_every={}",
                args.flush_every, args.watermark_every
            )
        } else {
            String::new()
        };
        println!(
            "bench=network_stream config={name},page_kib={},credit={},pool_buffers={}{flush_config} \
             rows={} seconds={:.3} rows_per_s={rate:.0} baseline_rows_per_s={baseline_rate:.0} \
             ratio={:.3} peak_rss_mib={} backpressured_ms={} idle_ms={}",
            args.page_kib,
            args.credit,
            args.pool_buffers,
            args.rows,
            run.seconds,
            rate / baseline_rate,
            peak_rss.bytes() >> 20,
            run.backpressured.as_millis(),
            run.idle.as_millis(),
        );
    }
    Ok(())
}

#[inline]
fn record(keys: &[u64], row: u64) -> (u64, u64) {
    (keys[row as usize % keys.len()], row)
}

struct Run {
    seconds: f64,
    backpressured: Duration,
    idle: Duration,
}

fn exchange(
    args: &Args,
    keys: &[u64],
    page_size: PageSize,
    with_flushes: bool,
    expected_sum: u64,
) -> Result<Run> {
    let buffers = NetworkBufferPool::new(args.pool_buffers + 2, page_size)?;
    let dir = std::env::temp_dir();
    let io = Arc::new(IoManager::new(std::slice::from_ref(&dir)).context("spill directory")?);
    let cancel = CancelToken::new();
    let partition = ResultPartition::new(
        "bench",
        PartitionKind::Pipelined,
        1,
        buffers.create_local_pool("bench-partition", args.pool_buffers, args.pool_buffers)?,
        io,
        cancel.clone(),
    );
    let gate = InputGate::with_credits(
        "bench-gate",
        vec![(Arc::clone(&partition), 0)],
        buffers.create_local_pool("bench-gate", 1, 1)?,
        cancel,
        args.credit,
    )?;
    let rows = args.rows;
    let (flush_every, watermark_every) = (args.flush_every, args.watermark_every);
    let produce = {
        let partition = Arc::clone(&partition);
        move || -> Result<()> {
            let mut writer = RecordWriter::new(partition, <(u64, u64)>::serializer())?;
            for row in 0..rows {
                writer.emit(0, &record(keys, row))?;
                if with_flushes {
                    if row % flush_every == 0 {
                        writer.flush()?;
                    }
                    if row % watermark_every == 0 {
                        writer.broadcast_event(ChannelEvent::Watermark(row as i64))?;
                    }
                }
            }
            writer.finish()?;
            Ok(())
        }
    };
    let consume = move || -> Result<(u64, u64, Duration)> {
        let mut reader = RecordReader::new(gate, <(u64, u64)>::serializer());
        let (mut count, mut sum) = (0u64, 0u64);
        loop {
            match reader.next_element(Duration::from_millis(100))? {
                ReaderItem::Record { value, .. } => {
                    count += 1;
                    sum = sum.wrapping_add(value.0).wrapping_add(value.1);
                }
                ReaderItem::Finished => break,
                ReaderItem::Event { .. } | ReaderItem::ChannelEnded { .. } => {}
                ReaderItem::Timeout => {}
            }
        }
        Ok((count, sum, reader.idle_time()))
    };
    let start = Instant::now();
    let (count, sum, idle) = thread::scope(|scope| -> Result<(u64, u64, Duration)> {
        let producer = scope.spawn(produce);
        let consumed = consume();
        producer.join().expect("the producer thread panicked")?;
        consumed
    })?;
    let seconds = start.elapsed().as_secs_f64();
    ensure!(count == rows, "read {count} of {rows} records");
    ensure!(sum == expected_sum, "checksum mismatch");
    Ok(Run {
        seconds,
        backpressured: partition.backpressured_time(),
        idle,
    })
}

/// The same records in `Vec` batches of [`BATCH_RECORDS`] through a bounded crossbeam channel
/// of `capacity` batches.
fn baseline_seconds(keys: &[u64], rows: u64, capacity: usize, expected_sum: u64) -> Result<f64> {
    let (sender, receiver) = crossbeam_channel::bounded::<Vec<(u64, u64)>>(capacity);
    let start = Instant::now();
    let sum = thread::scope(|scope| {
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH_RECORDS);
            for row in 0..rows {
                batch.push(record(keys, row));
                if batch.len() == BATCH_RECORDS {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_RECORDS));
                    sender.send(full).expect("the consumer lives");
                }
            }
            if !batch.is_empty() {
                sender.send(batch).expect("the consumer lives");
            }
        });
        let mut sum = 0u64;
        for batch in receiver {
            for (key, value) in batch {
                sum = sum.wrapping_add(key).wrapping_add(value);
            }
        }
        sum
    });
    let seconds = start.elapsed().as_secs_f64();
    ensure!(sum == expected_sum, "baseline checksum mismatch");
    Ok(seconds)
}
