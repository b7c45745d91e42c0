//! `spill_throughput`: one spill file written and read back through the [`IoManager`], measured
//! the way `dd` measures a file, so `scripts/spill-vs-dd.sh` can put both side by side.
//!
//! Each run does, in this order, on one file of `--size-mib` in a spill directory under `--dir`:
//!
//! ```text
//!  measurement   what is timed                                         dd equivalent
//!  write_cached  write every block, close (page cache, no sync)        dd if=SRC of=F bs=1M
//!                ── file deleted ──
//!  write_synced  write every block, close, open the file, fdatasync    … conv=fdatasync
//!  read_warm     read every block back (the file is in the page cache) dd if=F of=/dev/null bs=1M
//!                ── fadvise(DONTNEED): the file leaves the page cache ──
//!  read_cold     read every block back (from the disk)                 the same, after dropping F
//!                ── file deleted ──
//! ```
//!
//! Blocks are `--block-kib` pages (1 MiB by default, the largest page size); the memory manager
//! holds exactly the `--in-flight` pages that the writer and the reader keep in flight. The pages
//! are filled with random bytes once and stamped with the block number every 4 KiB per block, so
//! no layer below can compress, deduplicate or skip the data; the reads check the stamps of every
//! block (and the reader checks every block's CRC32C), so a read that delivers nothing or the
//! wrong blocks fails instead of looking fast.
//!
//! The cold read only counts when the page cache really let go of the file: `Cached` in
//! `/proc/meminfo` must drop by at least half the file's size after the `fadvise`. Otherwise the
//! figure is reported as `-` with the reason, never as a warm read in disguise.
//!
//! Output, one line per measurement (with `--runs N`, the median of the runs), on stdout:
//!
//! ```text
//!  weir <measurement> <size> MiB <seconds> s <rate> MiB/s [note]
//!  weir write_cached 1024 MiB 0.530 s 1932.1 MiB/s
//! ```

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use weir_benches::test_data::{STAMP_STRIDE, fill_random, stamp};
use weir_memory::{
    ByteSize, IoManager, MemoryError, MemoryManager, MemorySegment, PageSize, SpillFile,
};

/// Spill throughput through Weir's IoManager: write (cached and fdatasync'ed), warm and cold read
/// of one file, one machine-readable line per measurement.
#[derive(Debug, Parser)]
struct Args {
    /// Directory to spill to (the I/O manager makes its spill directory inside it). Default: the
    /// system temporary directory.
    #[arg(long, env = "WEIR_SPILL_DIR", value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Size of the file in MiB.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    size_mib: u64,
    /// Block (page) size in KiB: a power of two from 4 to 1024.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    block_kib: usize,
    /// Pages in flight: the write-behind and read-ahead depth.
    #[arg(long, default_value_t = 4, value_name = "N")]
    in_flight: usize,
    /// Runs of the whole sequence; each figure is the median over the runs.
    #[arg(long, default_value_t = 1, value_name = "N")]
    runs: usize,
}

const MEASUREMENTS: [&str; 4] = ["write_cached", "write_synced", "read_warm", "read_cold"];

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spill_throughput: error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let block_bytes = args
        .block_kib
        .checked_mul(1024)
        .context("--block-kib is too large")?;
    let page_size = PageSize::new(block_bytes).with_context(|| {
        format!(
            "--block-kib {}: must be a power of two from 4 to 1024",
            args.block_kib
        )
    })?;
    ensure!(args.size_mib > 0, "--size-mib must be at least 1");
    ensure!(args.in_flight > 0, "--in-flight must be at least 1");
    ensure!(args.runs > 0, "--runs must be at least 1");
    let blocks = args.size_mib * 1024 / args.block_kib as u64;

    let memory = MemoryManager::new(
        ByteSize::new((block_bytes * args.in_flight) as u64),
        page_size,
    )
    .context("reserving the pages in flight")?;
    let owner = memory.reservation("spill_throughput");
    let mut pages = owner
        .allocate_pages(args.in_flight)
        .context("allocating the pages in flight")?;
    for (seed, page) in pages.iter_mut().enumerate() {
        fill_random(page, 0x9E37_79B9_7F4A_7C15 ^ seed as u64);
    }
    let io = IoManager::new(std::slice::from_ref(&dir))
        .with_context(|| format!("cannot spill to {}", dir.display()))?;
    eprintln!(
        "spill_throughput: {} MiB as {blocks} blocks of {} KiB, {} in flight, in {}, {} run(s)",
        args.size_mib,
        args.block_kib,
        args.in_flight,
        io.spill_directories()[0].display(),
        args.runs
    );

    let mut spill = Spill {
        io,
        pages,
        blocks,
        block_bytes,
    };
    let mut samples: [Vec<Duration>; 4] = Default::default();
    let mut cold_skipped = None;
    for _ in 0..args.runs {
        // write_cached: the file's dirty pages go away with it, unwritten (the script deletes
        // dd's file the same way before the next write).
        let start = Instant::now();
        let file = spill.write()?;
        samples[0].push(start.elapsed());
        drop(file);

        let start = Instant::now();
        let file = Arc::new(spill.write()?);
        let handle = File::open(file.path())
            .with_context(|| format!("opening {} to sync it", file.path().display()))?;
        handle
            .sync_data()
            .with_context(|| format!("fdatasync of {}", file.path().display()))?;
        samples[1].push(start.elapsed());

        let start = Instant::now();
        spill.read(&file)?;
        samples[2].push(start.elapsed());

        match drop_from_page_cache(&handle, file.file_bytes()) {
            CacheDrop::Dropped => {
                let start = Instant::now();
                spill.read(&file)?;
                samples[3].push(start.elapsed());
            }
            CacheDrop::NotDropped(reason) => cold_skipped = Some(reason),
        }
    }

    for (name, mut durations) in MEASUREMENTS.into_iter().zip(samples) {
        if durations.is_empty() {
            let reason = cold_skipped.as_deref().unwrap_or("no sample");
            println!("weir {name} {} MiB - s - MiB/s {reason}", args.size_mib);
            continue;
        }
        durations.sort();
        // Of an even count, the faster middle one (as the script does).
        let median = durations[(durations.len() - 1) / 2].as_secs_f64();
        println!(
            "weir {name} {} MiB {median:.3} s {:.1} MiB/s",
            args.size_mib,
            args.size_mib as f64 / median
        );
    }
    spill.io.shutdown();
    Ok(())
}

/// The I/O manager and the pages in flight, between measurements all in `pages`.
struct Spill {
    io: IoManager,
    pages: Vec<MemorySegment>,
    blocks: u64,
    block_bytes: usize,
}

impl Spill {
    /// Writes the file (write-behind: the next page is the first one back); every page comes
    /// back into `pages`, also on an error.
    fn write(&mut self) -> Result<SpillFile> {
        let mut writer = self
            .io
            .create_block_writer(self.io.create_channel())
            .context("creating a spill file")?;
        let written = (|| -> Result<(), MemoryError> {
            for block in 0..self.blocks {
                let mut page = match self.pages.pop() {
                    Some(page) => page,
                    None => writer.next_returned_segment()?,
                };
                stamp(&mut page, block);
                writer.write_block(page, self.block_bytes)?;
            }
            Ok(())
        })();
        let (file, back) = writer.close();
        self.pages.extend(back);
        written.context("writing the spill file")?;
        let file = file.context("closing the spill file")?;
        let on_disk = std::fs::metadata(file.path())
            .with_context(|| format!("reading the size of {}", file.path().display()))?
            .len();
        ensure!(
            on_disk == file.file_bytes(),
            "{} holds {on_disk} bytes, expected {}",
            file.path().display(),
            file.file_bytes()
        );
        Ok(file)
    }

    /// Reads the file with every page as a read request in flight and checks each block; every
    /// page comes back into `pages`, also on an error.
    fn read(&mut self, file: &Arc<SpillFile>) -> Result<()> {
        let mut reader = self
            .io
            .create_block_reader(file)
            .context("opening the spill file")?;
        let checked = (|| -> Result<u64> {
            for page in self.pages.drain(..) {
                reader.read_block(page)?;
            }
            let mut block = 0;
            while let Some(filled) = reader.next_block()? {
                check(filled.payload(), block, self.block_bytes, file.path())?;
                block += 1;
                reader.read_block(filled.into_segment())?;
            }
            Ok(block)
        })();
        self.pages.extend(reader.close());
        let blocks = checked.context("reading the spill file back")?;
        ensure!(
            blocks == self.blocks,
            "read {blocks} blocks back from {}, wrote {}",
            file.path().display(),
            self.blocks
        );
        Ok(())
    }
}

/// Checks the length and three stamps (first, middle, last) of a block read back.
fn check(payload: &[u8], block: u64, block_bytes: usize, path: &Path) -> Result<()> {
    ensure!(
        payload.len() == block_bytes,
        "block {block} of {} holds {} bytes, expected {block_bytes}",
        path.display(),
        payload.len()
    );
    let last = (block_bytes - 1) / STAMP_STRIDE * STAMP_STRIDE;
    for offset in [0, last / 2 / STAMP_STRIDE * STAMP_STRIDE, last] {
        let stamped = u64::from_le_bytes(
            payload[offset..offset + 8]
                .try_into()
                .expect("a stamp is 8 bytes"),
        );
        if stamped != block {
            bail!(
                "block {block} of {} carries block number {stamped} at byte {offset}",
                path.display()
            );
        }
    }
    Ok(())
}

enum CacheDrop {
    Dropped,
    NotDropped(String),
}

/// Asks the kernel to drop the (synced, clean) file from the page cache and checks that it did,
/// by the fall of `Cached` in `/proc/meminfo`.
fn drop_from_page_cache(handle: &File, file_bytes: u64) -> CacheDrop {
    let before = cached_bytes();
    if let Err(error) = rustix::fs::fadvise(handle, 0, None, rustix::fs::Advice::DontNeed) {
        return CacheDrop::NotDropped(format!("page-cache-not-dropped(fadvise: {error})"));
    }
    let (Some(before), Some(after)) = (before, cached_bytes()) else {
        return CacheDrop::NotDropped(
            "page-cache-drop-unverified(no Cached in /proc/meminfo)".to_string(),
        );
    };
    let dropped = before.saturating_sub(after);
    if dropped < file_bytes / 2 {
        return CacheDrop::NotDropped(format!(
            "page-cache-not-dropped(Cached fell by {} of {} MiB)",
            dropped >> 20,
            file_bytes >> 20
        ));
    }
    CacheDrop::Dropped
}

/// `Cached` of `/proc/meminfo` in bytes, if there is one.
fn cached_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|line| line.starts_with("Cached:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
