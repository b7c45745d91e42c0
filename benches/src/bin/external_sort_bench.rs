//! `external_sort_bench`: Weir's external sort of 100-byte records beside GNU `sort` and `dd` on
//! the same file, in the same run.
//!
//! ```text
//!  1. input   <dir>/sort-input-<size>MiB.txt, gensort ASCII layout (test_data::sort_record_line),
//!             made once and reused; read once so every contender starts from the page cache
//!  2. dd      dd if=input of=<dir>/dd.out bs=1M           the raw read + write of the bytes
//!  3. GNU     LC_ALL=C sort -S <memory>M -T <dir> -o <dir>/gnu.out input
//!  4. Weir    this binary again (--mode weir) in its own process: read the input, ExternalSorter
//!             in <memory> MiB of managed pages spilling to <dir>, write <dir>/weir.out
//!  5. check   weir.out must equal gnu.out byte for byte (random 10-byte keys have no ties), or
//!             the run fails
//! ```
//!
//! GNU sort and Weir each run under `/usr/bin/time` for their peak resident memory. The raw I/O
//! time of an external sort with one spill pass is two `dd` copies (read input + write spill,
//! read spill + write output); the goal is within 3x of that, and faster than GNU sort.
//!
//! Output, one line on stdout:
//!
//! ```text
//!  bench=external_sort config=1024MiB/256MiB rows=… seconds=… rows_per_s=… mb_per_s=…
//!  baseline=gnu_sort baseline_seconds=… baseline_mb_per_s=… ratio=… dd_seconds=… io_ratio=…
//!  peak_rss_mib=… baseline_rss_mib=…
//!  spill_files=… bytes_spilled=… merge_passes=…
//! ```
//!
//! `ratio` is GNU sort's time over Weir's (above 1: Weir is faster); `io_ratio` is Weir's time
//! over two `dd` copies (the goal is at most 3).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::{Parser, ValueEnum};

use weir::operators::sort::{ExternalSorter, SortOrder};
use weir::types::{DefaultComparator, DefaultSerializer, KeyedComparator};
use weir_benches::test_data::{SORT_RECORD_BYTES, SplitMix64, sort_record_line};
use weir_memory::{ByteSize, IoManager, MemoryManager, PageSize};

#[derive(Debug, Parser)]
#[command(about = "External sort of 100-byte records: Weir vs GNU sort vs dd")]
struct Args {
    /// Folder for the input, the outputs and the spill files.
    #[arg(long, default_value = "target/bench-data")]
    dir: PathBuf,
    /// Input size in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// Memory for sorting in MiB (Weir's managed memory, GNU sort's -S).
    #[arg(long, default_value_t = 256)]
    memory_mib: u64,
    /// Weir's page size in KiB.
    #[arg(long, default_value_t = 32)]
    page_kib: usize,
    #[arg(long, value_enum, default_value_t = Mode::All)]
    mode: Mode,
    /// (--mode weir) the file to sort.
    #[arg(long)]
    input: Option<PathBuf>,
    /// (--mode weir) where to write the sorted records.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Run dd, GNU sort and Weir and print the comparison.
    All,
    /// Only Weir's sort of --input into --output (what `all` runs in a child process).
    Weir,
}

type Record = ([u8; 10], [u8; 90]);

fn record_key(record: &Record) -> &[u8; 10] {
    &record.0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    match args.mode {
        Mode::Weir => {
            let input = args.input.as_deref().context("--mode weir needs --input")?;
            let output = args
                .output
                .as_deref()
                .context("--mode weir needs --output")?;
            weir_sort(&args, input, output)
        }
        Mode::All => compare_all(&args),
    }
}

/// Sorts `input` into `output` and prints `seconds=… input_seconds=… finish_seconds=…
/// spill_files=… bytes_spilled=… merge_passes=… rows=…` (input: reading and writing into the
/// sorter; finish: the last spill and intermediate merges; the rest is the final merge).
fn weir_sort(args: &Args, input: &Path, output: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let memory = MemoryManager::new(
        ByteSize::mib(args.memory_mib),
        PageSize::new(args.page_kib * 1024)?,
    )?;
    let io = Arc::new(IoManager::new(std::slice::from_ref(&args.dir))?);
    let pages = memory
        .reservation("external sort")
        .allocate_pages(memory.total_pages())?;
    let comparator = KeyedComparator::new(
        record_key as fn(&Record) -> &[u8; 10],
        <[u8; 10]>::comparator(),
    );
    let mut sorter = ExternalSorter::new(
        Record::serializer(),
        comparator,
        SortOrder::Unstable,
        pages,
        io,
    )?;
    let mut file = File::open(input).with_context(|| format!("opening {}", input.display()))?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut filled = 0;
    loop {
        let n = file
            .read(&mut buffer[filled..])
            .with_context(|| format!("reading {}", input.display()))?;
        filled += n;
        let whole = filled / SORT_RECORD_BYTES * SORT_RECORD_BYTES;
        for line in buffer[..whole].chunks_exact(SORT_RECORD_BYTES) {
            let mut record: Record = ([0; 10], [0; 90]);
            record.0.copy_from_slice(&line[..10]);
            record.1.copy_from_slice(&line[10..]);
            sorter.write(&record)?;
        }
        buffer.copy_within(whole..filled, 0);
        filled -= whole;
        if n == 0 {
            break;
        }
    }
    ensure!(
        filled == 0,
        "{} ends with a partial record of {filled} bytes: records are {SORT_RECORD_BYTES} bytes",
        input.display()
    );
    let input_seconds = started.elapsed().as_secs_f64();
    let sorted = sorter.finish()?;
    let finish_seconds = started.elapsed().as_secs_f64() - input_seconds;
    let out = File::create(output).with_context(|| format!("creating {}", output.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut sorted = sorted;
    for record in sorted.by_ref() {
        let record = record?;
        out.write_all(&record.0)?;
        out.write_all(&record.1)?;
    }
    out.flush()
        .with_context(|| format!("writing {}", output.display()))?;
    let metrics = sorted.metrics().clone();
    drop(sorted);
    println!(
        "seconds={:.3} input_seconds={input_seconds:.3} finish_seconds={finish_seconds:.3} \
         spill_files={} bytes_spilled={} merge_passes={} rows={}",
        started.elapsed().as_secs_f64(),
        metrics.spill_files,
        metrics.bytes_spilled,
        metrics.merge_passes,
        metrics.records_out,
    );
    Ok(())
}

fn compare_all(args: &Args) -> anyhow::Result<()> {
    let input = args
        .dir
        .join(format!("sort-input-{}MiB.txt", args.size_mib));
    let rows = ensure_input(&input, args.size_mib)?;
    // Every contender starts with the input in the page cache.
    std::io::copy(&mut File::open(&input)?, &mut std::io::sink())?;

    let dd_out = args.dir.join("dd.out");
    let started = Instant::now();
    let status = Command::new("dd")
        .arg(format!("if={}", input.display()))
        .arg(format!("of={}", dd_out.display()))
        .args(["bs=1M", "status=none"])
        .status()
        .context("running dd")?;
    let dd_seconds = started.elapsed().as_secs_f64();
    ensure!(status.success(), "dd failed: {status}");
    std::fs::remove_file(&dd_out)?;

    let gnu_out = args.dir.join("gnu.out");
    let (gnu_seconds, gnu_rss_kib, _) = timed(
        Command::new("sort")
            .env("LC_ALL", "C")
            .arg("-S")
            .arg(format!("{}M", args.memory_mib))
            .arg("-T")
            .arg(&args.dir)
            .arg("-o")
            .arg(&gnu_out)
            .arg(&input),
    )?;

    let weir_out = args.dir.join("weir.out");
    let (weir_seconds, weir_rss_kib, weir_stdout) = timed(
        Command::new(std::env::current_exe()?)
            .args(["--mode", "weir"])
            .arg("--dir")
            .arg(&args.dir)
            .arg("--memory-mib")
            .arg(args.memory_mib.to_string())
            .arg("--page-kib")
            .arg(args.page_kib.to_string())
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&weir_out),
    )?;
    let same = Command::new("cmp")
        .arg("-s")
        .arg(&weir_out)
        .arg(&gnu_out)
        .status()
        .context("running cmp")?;
    if !same.success() {
        bail!(
            "{} differs from GNU sort's {}: Weir's output is wrong",
            weir_out.display(),
            gnu_out.display()
        );
    }
    std::fs::remove_file(&weir_out)?;
    std::fs::remove_file(&gnu_out)?;
    let megabytes = (rows * SORT_RECORD_BYTES as u64) as f64 / 1e6;
    let field = |name: &str| -> String {
        weir_stdout
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or("-")
            .to_string()
    };
    println!(
        "bench=external_sort config={}MiB/{}MiB rows={rows} seconds={weir_seconds:.2} \
         rows_per_s={:.0} mb_per_s={:.0} baseline=gnu_sort baseline_seconds={gnu_seconds:.2} \
         baseline_mb_per_s={:.0} ratio={:.2} \
         dd_seconds={dd_seconds:.2} io_ratio={:.2} peak_rss_mib={:.0} baseline_rss_mib={:.0} \
         spill_files={} bytes_spilled={} merge_passes={}",
        args.size_mib,
        args.memory_mib,
        rows as f64 / weir_seconds,
        megabytes / weir_seconds,
        megabytes / gnu_seconds,
        gnu_seconds / weir_seconds,
        weir_seconds / (2.0 * dd_seconds),
        weir_rss_kib as f64 / 1024.0,
        gnu_rss_kib as f64 / 1024.0,
        field("spill_files"),
        field("bytes_spilled"),
        field("merge_passes"),
    );
    Ok(())
}

/// Writes the input file unless it exists with the right size; returns its record count.
fn ensure_input(path: &Path, size_mib: u64) -> anyhow::Result<u64> {
    let rows = size_mib * 1024 * 1024 / SORT_RECORD_BYTES as u64;
    let bytes = rows * SORT_RECORD_BYTES as u64;
    if std::fs::metadata(path).is_ok_and(|m| m.len() == bytes) {
        return Ok(rows);
    }
    let partial = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&partial)?);
    let mut random = SplitMix64::new(0x5EED);
    let mut line = [0u8; SORT_RECORD_BYTES];
    for index in 0..rows {
        sort_record_line(&mut random, index, &mut line);
        out.write_all(&line)?;
    }
    out.flush()?;
    drop(out);
    std::fs::rename(&partial, path)?;
    Ok(rows)
}

/// Runs `command` under `/usr/bin/time -f %M`: wall seconds, peak RSS in KiB, stdout.
fn timed(command: &mut Command) -> anyhow::Result<(f64, u64, String)> {
    let mut timed = Command::new("/usr/bin/time");
    timed.args(["-f", "%M"]).arg(command.get_program());
    timed.args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let started = Instant::now();
    let output = timed
        .output()
        .with_context(|| format!("running {:?}", command.get_program()))?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "{:?} failed ({}): {stderr}",
        command.get_program(),
        output.status
    );
    let rss_kib = stderr
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .with_context(|| format!("no peak RSS from /usr/bin/time in {stderr:?}"))?;
    Ok((
        seconds,
        rss_kib,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}
