//! `state_checkpoint`: a checkpoint and a restore of managed keyed state many times larger than
//! the operator's share, with the process's resident memory sampled throughout, against a plain
//! sequential write of the same number of bytes (with fsync) in the same run.
//!
//! ```text
//!  fill       --keys value-state entries (u64 key, --value-bytes string), written in key
//!             order into a managed backend with a --share-mib share: most of it spills
//!  checkpoint snapshot_into (sections streamed to a spool) + the state file written
//!             (sections copied in 64 KiB chunks, fsync)           ── timed, RSS sampled
//!  restore    the state file opened, its sections restored one at a time into a new
//!             managed backend with the same share                  ── timed, RSS sampled
//!  baseline   the state file's size written with BufWriter + fsync (the disk's rate)
//!  check      every key read back from the restored backend
//! ```
//!
//! Output, one line on stdout:
//!
//! ```text
//!  bench=state_checkpoint config=keys=…/value=…/share=…m rows=<keys> seconds=<checkpoint>
//!  rows_per_s=… baseline_rows_per_s=<keys / baseline seconds> ratio=<checkpoint / baseline
//!  rate> peak_rss_mib=<during the checkpoint> rss_before_mib=… state_file_mib=…
//!  restore_seconds=… restore_peak_rss_mib=…
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use clap::Parser;
use weir::checkpoint::OperatorSnapshot;
use weir::checkpoint::state_file::{open_state_file, write_state_file};
use weir::state::managed::ManagedStateSetup;
use weir::state::{KeyGroupRange, KeyedStateBackend, ValueStateDescriptor, VoidNamespace};
use weir_memory::{ByteSize, IoManager, MemoryManager, PageSize, ResidentSetSampler};

#[derive(Debug, Parser)]
#[command(about = "Managed keyed state: checkpoint and restore of state far larger than its share")]
struct Args {
    /// Keys (one value-state entry each).
    #[arg(long, default_value_t = 1_000_000)]
    keys: u64,
    /// Bytes of each value.
    #[arg(long, default_value_t = 100)]
    value_bytes: usize,
    /// The operator's managed-memory share in MiB.
    #[arg(long, default_value_t = 8)]
    share_mib: u64,
    /// Directory for spill files, the spool and the state file (default: the system temporary
    /// directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

const MAX_PARALLELISM: u32 = 128;

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn value_of(key: u64, value_bytes: usize) -> String {
    let mut value = format!("{key:020}");
    while value.len() < value_bytes {
        value.push(char::from(b'a' + (key % 26) as u8));
    }
    value.truncate(value_bytes);
    value
}

fn backend(setup: &ManagedStateSetup) -> Result<KeyedStateBackend<u64>> {
    Ok(KeyedStateBackend::new_managed(
        "state_checkpoint",
        MAX_PARALLELISM,
        KeyGroupRange::all(MAX_PARALLELISM),
        setup,
    )?)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let root = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let work = tempfile::Builder::new()
        .prefix("state-checkpoint")
        .tempdir_in(&root)?;
    std::fs::create_dir(work.path().join("io"))?;
    let io = Arc::new(IoManager::new(&[work.path().join("io")])?);
    let share_bytes = args.share_mib << 20;
    let memory = MemoryManager::new(ByteSize::new(2 * share_bytes), PageSize::new(32 * 1024)?)?;
    let setup = ManagedStateSetup::new(memory.clone(), Arc::clone(&io), share_bytes);
    let descriptor = ValueStateDescriptor::<String>::new("payload");

    let mut state = backend(&setup)?;
    let value = state.value_state::<VoidNamespace, String>(&descriptor)?;
    for key in 0..args.keys {
        state.set_current_key(key);
        state.update_value(value, &VoidNamespace, value_of(key, args.value_bytes))?;
    }
    state.check_failure()?;
    ensure!(
        state.spill_metrics().unwrap_or_default().spill_files > 0,
        "the state did not spill; raise --keys or lower --share-mib"
    );

    let rss_before = weir_memory::resident_set_size()?;
    let sampler = ResidentSetSampler::start(Duration::from_millis(5));
    let started = Instant::now();
    let mut snapshot = OperatorSnapshot::default();
    state.snapshot_into(&mut snapshot)?;
    let written = write_state_file(work.path(), "state_checkpoint-0", &snapshot)?;
    drop(snapshot);
    let checkpoint_seconds = started.elapsed().as_secs_f64();
    let checkpoint_peak = sampler.stop();
    drop(state);

    let baseline_file = work.path().join("baseline");
    let started = Instant::now();
    {
        let mut out =
            std::io::BufWriter::with_capacity(64 * 1024, std::fs::File::create(&baseline_file)?);
        let chunk = vec![0x5au8; 64 * 1024];
        let mut left = written.size_bytes;
        while left > 0 {
            let take = left.min(chunk.len() as u64) as usize;
            out.write_all(&chunk[..take])?;
            left -= take as u64;
        }
        out.into_inner()?.sync_all()?;
    }
    let baseline_seconds = started.elapsed().as_secs_f64();
    std::fs::remove_file(&baseline_file)?;

    let sampler = ResidentSetSampler::start(Duration::from_millis(5));
    let started = Instant::now();
    let restored_snapshot = open_state_file(work.path(), &written)?;
    let mut restored = backend(&setup)?;
    restored.restore_from(&restored_snapshot)?;
    let value = restored.value_state::<VoidNamespace, String>(&descriptor)?;
    drop(restored_snapshot);
    let restore_seconds = started.elapsed().as_secs_f64();
    let restore_peak = sampler.stop();
    for key in 0..args.keys {
        restored.set_current_key(key);
        let found = restored.value(value, &VoidNamespace);
        ensure!(
            found.as_deref() == Some(value_of(key, args.value_bytes).as_str()),
            "key {key} restored as {found:?}"
        );
    }
    restored.check_failure()?;
    drop(restored);
    ensure!(memory.used_pages() == 0, "pages not returned");

    let rate = args.keys as f64 / checkpoint_seconds;
    let baseline_rate = args.keys as f64 / baseline_seconds;
    println!(
        "bench=state_checkpoint config=keys={}/value={}/share={}m rows={} seconds={:.3} \
         rows_per_s={:.0} baseline_rows_per_s={:.0} ratio={:.3} peak_rss_mib={:.1} \
         rss_before_mib={:.1} state_file_mib={:.1} restore_seconds={:.3} \
         restore_peak_rss_mib={:.1}",
        args.keys,
        args.value_bytes,
        args.share_mib,
        args.keys,
        checkpoint_seconds,
        rate,
        baseline_rate,
        rate / baseline_rate,
        mib(checkpoint_peak.bytes()),
        mib(rss_before.bytes()),
        mib(written.size_bytes),
        restore_seconds,
        mib(restore_peak.bytes()),
    );
    io.shutdown();
    Ok(())
}
