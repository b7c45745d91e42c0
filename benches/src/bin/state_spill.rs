//! `state_spill`: keyed-state updates through the managed state backend when the state is ten
//! times larger than the operator's share (eviction, spill runs, loads back, merges), against
//! the same updates with an ample share (everything stays in the working set), in one run.
//!
//! ```text
//!  workload   --updates reducing-state adds (i64 sum) over --keys u64 keys, uniform random
//!             order (SplitMix64), VoidNamespace: one (key, namespace) entry per key
//!  spill      share = measured state bytes / --ratio   (the state is --ratio times the share)
//!  baseline   share = 4 × the state                    (no eviction)
//!  check      both runs must end with the same sum over all keys, read back key by key
//! ```
//!
//! Output, one line on stdout:
//!
//! ```text
//!  bench=state_spill config=keys=…/ratio=10/page=32k rows=<updates> seconds=… rows_per_s=…
//!  baseline_rows_per_s=… ratio=<spill / baseline> peak_rss_mib=<spill run> baseline_rss_mib=…
//!  share_mib=… state_mib=… bytes_spilled_mib=… spill_files=… loads=…
//! ```

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
#[command(about = "Managed keyed state: updates/s with a state 10x its share vs an ample share")]
struct Args {
    /// Distinct keys (the state holds one entry per key).
    #[arg(long, default_value_t = 500_000)]
    keys: u64,
    /// Updates (reducing adds) per run.
    #[arg(long, default_value_t = 2_000_000)]
    updates: u64,
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
    state_bytes: u64,
    checksum: i64,
    bytes_spilled: u64,
    spill_files: u64,
    loads: u64,
}

fn run(args: &Args, io: &Arc<IoManager>, share_bytes: u64) -> Result<Outcome> {
    let page_size = PageSize::new(args.page_kib * 1024)?;
    let memory = MemoryManager::new(ByteSize::new(share_bytes + (1 << 20)), page_size)?;
    let setup = ManagedStateSetup::new(memory.clone(), Arc::clone(io), share_bytes);
    let sampler = ResidentSetSampler::start(Duration::from_millis(20));
    let mut state = KeyedStateBackend::<u64>::new_managed(
        "state_spill",
        MAX_PARALLELISM,
        KeyGroupRange::all(MAX_PARALLELISM),
        &setup,
    )?;
    let sum = state.reducing_state::<VoidNamespace, i64>(&ReducingStateDescriptor::new(
        "sum",
        |a: &i64, b: &i64| a.wrapping_add(*b),
    ))?;
    let mut random = SplitMix64::new(7);
    let started = Instant::now();
    let mut state_bytes = 0;
    for update in 0..args.updates {
        let key = random.next_u64() % args.keys;
        state.set_current_key(key);
        state.reducing_add(sum, &VoidNamespace, (update % 1000) as i64)?;
        state_bytes = state_bytes.max(state.heap_bytes());
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut checksum = 0i64;
    for key in 0..args.keys {
        state.set_current_key(key);
        checksum = checksum.wrapping_add(
            state
                .reducing_get(sum, &VoidNamespace)
                .copied()
                .unwrap_or(0),
        );
    }
    state.check_failure()?;
    let metrics = state.spill_metrics().unwrap_or_default();
    drop(state);
    let peak = sampler.stop();
    ensure!(memory.used_pages() == 0, "pages not returned");
    Ok(Outcome {
        seconds,
        peak_rss_mib: peak.bytes() as f64 / (1 << 20) as f64,
        state_bytes,
        checksum,
        bytes_spilled: metrics.bytes_spilled,
        spill_files: metrics.spill_files,
        loads: metrics.loads,
    })
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let io = Arc::new(IoManager::new(&[dir])?);
    // The baseline first: it measures the state's bytes, which size the spill run's share.
    let ample = run(&args, &io, 4 * (args.keys * 200).max(1 << 20))?;
    let share_bytes = (ample.state_bytes * 2 / args.ratio).max(1 << 20);
    let spill = run(&args, &io, share_bytes)?;
    ensure!(spill.checksum == ample.checksum, "the runs disagree");
    ensure!(spill.spill_files > 0, "the spill run did not spill");
    let rate = args.updates as f64 / spill.seconds;
    let baseline_rate = args.updates as f64 / ample.seconds;
    let mib = |bytes: u64| bytes as f64 / (1 << 20) as f64;
    println!(
        "bench=state_spill config=keys={}/ratio={}/page={}k rows={} seconds={:.3} \
         rows_per_s={:.0} baseline_rows_per_s={:.0} ratio={:.3} peak_rss_mib={:.1} \
         baseline_rss_mib={:.1} share_mib={:.1} state_mib={:.1} bytes_spilled_mib={:.1} \
         spill_files={} loads={}",
        args.keys,
        args.ratio,
        args.page_kib,
        args.updates,
        spill.seconds,
        rate,
        baseline_rate,
        rate / baseline_rate,
        spill.peak_rss_mib,
        ample.peak_rss_mib,
        mib(share_bytes),
        mib(ample.state_bytes),
        mib(spill.bytes_spilled),
        spill.spill_files,
        spill.loads,
    );
    io.shutdown();
    Ok(())
}
