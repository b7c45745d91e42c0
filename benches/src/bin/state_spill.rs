//! `state_spill`: keyed-state accesses through the managed state backend when the state is ten
//! times larger than the operator's share (eviction, spill runs, loads back, merges), against
//! the same accesses with an ample share (everything stays in the working set), in one run.
//!
//! ```text
//!  workload   --updates accesses over --keys u64 keys, uniform random order (SplitMix64):
//!             --namespaces 0 (default): reducing-state adds (i64 sum), VoidNamespace: one
//!                                       (key, namespace) entry per key
//!             --namespaces n:           every key first gets n i64 namespaces (not timed), then
//!                                       per access namespaces() of the key (what the interval
//!                                       join does per record) and a reducing add into one of
//!                                       the n namespaces
//!  spill      share = measured state bytes / --ratio   (the state is --ratio times the share)
//!  baseline   share = 4 × the state                    (no eviction)
//!  check      both runs must end with the same sums, read back key by key (and namespace by
//!             namespace), and see the same namespaces() counts
//! ```
//!
//! Output, one line on stdout:
//!
//! ```text
//!  bench=state_spill config=keys=…/ratio=10/page=32k/namespaces=n rows=<accesses> seconds=…
//!  rows_per_s=… baseline_rows_per_s=… ratio=<spill / baseline> peak_rss_mib=<spill run>
//!  baseline_rss_mib=… start_rss_mib=<RSS when the spill run started> share_mib=… state_mib=…
//!  bytes_spilled_mib=… spill_files=… loads=… block_reads=…
//! ```
//!
//! The spill run's RSS peak includes what the process kept from the baseline run before it
//! (the allocator may keep freed heap); `start_rss_mib` says how much that was.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use clap::Parser;
use weir::state::managed::ManagedStateSetup;
use weir::state::{KeyGroupRange, KeyedStateBackend, ReducingStateDescriptor, VoidNamespace};
use weir_benches::test_data::SplitMix64;
use weir_memory::{ByteSize, IoManager, MemoryManager, PageSize, ResidentSetSampler};

#[derive(Debug, Parser)]
#[command(about = "Managed keyed state: accesses/s with a state 10x its share vs an ample share")]
struct Args {
    /// Distinct keys.
    #[arg(long, default_value_t = 500_000)]
    keys: u64,
    /// Accesses (reducing adds, with namespaces(): each one call and one add) per run.
    #[arg(long, default_value_t = 2_000_000)]
    updates: u64,
    /// 0: one VoidNamespace entry per key; n: i64 namespaces 0..n per key, and every access
    /// asks namespaces() of its key first.
    #[arg(long, default_value_t = 0)]
    namespaces: u64,
    /// State bytes over share bytes in the spill run.
    #[arg(long, default_value_t = 10)]
    ratio: u64,
    /// Page size in KiB.
    #[arg(long, default_value_t = 32)]
    page_kib: usize,
    /// Spill directory (default: the system temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

const MAX_PARALLELISM: u32 = 128;

struct Outcome {
    seconds: f64,
    peak_rss_mib: f64,
    start_rss_mib: f64,
    state_bytes: u64,
    checksum: i64,
    bytes_spilled: u64,
    spill_files: u64,
    loads: u64,
    block_reads: u64,
}

/// What the timed loop and the read-back produced.
struct Driven {
    seconds: f64,
    state_bytes: u64,
    checksum: i64,
}

fn sum(a: &i64, b: &i64) -> i64 {
    a.wrapping_add(*b)
}

/// One reducing add per access, VoidNamespace.
fn drive_updates(args: &Args, state: &mut KeyedStateBackend<u64>) -> Result<Driven> {
    let handle =
        state.reducing_state::<VoidNamespace, i64>(&ReducingStateDescriptor::new("sum", sum))?;
    let mut random = SplitMix64::new(7);
    let started = Instant::now();
    let mut state_bytes = 0;
    for update in 0..args.updates {
        let key = random.next_u64() % args.keys;
        state.set_current_key(key);
        state.reducing_add(handle, &VoidNamespace, (update % 1000) as i64)?;
        state_bytes = state_bytes.max(state.heap_bytes());
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut checksum = 0i64;
    for key in 0..args.keys {
        state.set_current_key(key);
        let value = state.reducing_get(handle, &VoidNamespace).copied();
        checksum = checksum.wrapping_add(value.unwrap_or(0));
    }
    Ok(Driven {
        seconds,
        state_bytes,
        checksum,
    })
}

/// namespaces() of the key, then one reducing add into one of its namespaces, per access.
fn drive_namespaces(args: &Args, state: &mut KeyedStateBackend<u64>) -> Result<Driven> {
    let handle = state.reducing_state::<i64, i64>(&ReducingStateDescriptor::new("sum", sum))?;
    // Not timed: every key gets all its namespaces, so the timed accesses find a full state
    // (mostly spilled in the spill run).
    for key in 0..args.keys {
        state.set_current_key(key);
        for namespace in 0..args.namespaces as i64 {
            state.reducing_add(handle, &namespace, namespace)?;
        }
    }
    let mut state_bytes = state.heap_bytes();
    let mut random = SplitMix64::new(7);
    let started = Instant::now();
    let mut namespace_count = 0i64;
    for update in 0..args.updates {
        let draw = random.next_u64();
        let key = draw % args.keys;
        let namespace = ((draw >> 32) % args.namespaces) as i64;
        state.set_current_key(key);
        namespace_count += state.namespaces(handle).len() as i64;
        state.reducing_add(handle, &namespace, (update % 1000) as i64)?;
        state_bytes = state_bytes.max(state.heap_bytes());
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut checksum = namespace_count;
    for key in 0..args.keys {
        state.set_current_key(key);
        for namespace in 0..args.namespaces as i64 {
            let value = state.reducing_get(handle, &namespace).copied();
            checksum = checksum.wrapping_mul(31).wrapping_add(value.unwrap_or(-1));
        }
    }
    Ok(Driven {
        seconds,
        state_bytes,
        checksum,
    })
}

fn run(args: &Args, io: &Arc<IoManager>, share_bytes: u64) -> Result<Outcome> {
    let page_size = PageSize::new(args.page_kib * 1024)?;
    let memory = MemoryManager::new(ByteSize::new(share_bytes + (1 << 20)), page_size)?;
    let setup = ManagedStateSetup::new(memory.clone(), Arc::clone(io), share_bytes);
    let start_rss = weir_memory::resident_set_size()?;
    let sampler = ResidentSetSampler::start(Duration::from_millis(20));
    let mut state = KeyedStateBackend::<u64>::new_managed(
        "state_spill",
        MAX_PARALLELISM,
        KeyGroupRange::all(MAX_PARALLELISM),
        &setup,
    )?;
    let driven = if args.namespaces == 0 {
        drive_updates(args, &mut state)?
    } else {
        drive_namespaces(args, &mut state)?
    };
    state.check_failure()?;
    let metrics = state.spill_metrics().unwrap_or_default();
    drop(state);
    let peak = sampler.stop();
    ensure!(memory.used_pages() == 0, "pages not returned");
    let mib = |bytes: u64| bytes as f64 / (1 << 20) as f64;
    Ok(Outcome {
        seconds: driven.seconds,
        peak_rss_mib: mib(peak.bytes()),
        start_rss_mib: mib(start_rss.bytes()),
        state_bytes: driven.state_bytes,
        checksum: driven.checksum,
        bytes_spilled: metrics.bytes_spilled,
        spill_files: metrics.spill_files,
        loads: metrics.loads,
        block_reads: metrics.block_reads,
    })
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let io = Arc::new(IoManager::new(&[dir])?);
    // The baseline first: it measures the state's bytes, which size the spill run's share.
    let entries_per_key = args.namespaces.max(1);
    let ample = run(
        &args,
        &io,
        4 * (args.keys * entries_per_key * 200).max(1 << 20),
    )?;
    let share_bytes = (ample.state_bytes * 2 / args.ratio).max(1 << 20);
    let spill = run(&args, &io, share_bytes)?;
    ensure!(spill.checksum == ample.checksum, "the runs disagree");
    ensure!(
        spill.spill_files > 0,
        "the spill run did not spill (share {share_bytes} bytes, state {} bytes)",
        ample.state_bytes
    );
    let rate = args.updates as f64 / spill.seconds;
    let baseline_rate = args.updates as f64 / ample.seconds;
    let mib = |bytes: u64| bytes as f64 / (1 << 20) as f64;
    println!(
        "bench=state_spill config=keys={}/ratio={}/page={}k/namespaces={} rows={} seconds={:.3} \
         rows_per_s={:.0} baseline_rows_per_s={:.0} ratio={:.3} peak_rss_mib={:.1} \
         baseline_rss_mib={:.1} start_rss_mib={:.1} share_mib={:.1} state_mib={:.1} \
         bytes_spilled_mib={:.1} spill_files={} loads={} block_reads={}",
        args.keys,
        args.ratio,
        args.page_kib,
        args.namespaces,
        args.updates,
        spill.seconds,
        rate,
        baseline_rate,
        rate / baseline_rate,
        spill.peak_rss_mib,
        ample.peak_rss_mib,
        spill.start_rss_mib,
        mib(share_bytes),
        mib(ample.state_bytes),
        mib(spill.bytes_spilled),
        spill.spill_files,
        spill.loads,
        spill.block_reads,
    );
    io.shutdown();
    Ok(())
}
