//! Writes the input of the streaming window benchmark: CSV lines `key,event_time_ms,value`.
//!
//! `--events N` events at `--events-per-second R` of event time (event `i` happens at
//! `start + i * 1000 / R` ms) over `--keys K` keys, each delayed by a random amount in
//! `[0, --out-of-orderness-ms]` so the file is out of order by at most that much; values are
//! random in `0..1000`. Deterministic for a given `--seed`. Written to a temporary name and
//! renamed at the end, so a file at PATH is always complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use weir_benches::test_data::SplitMix64;

#[derive(Parser)]
struct Args {
    /// Where to write the CSV file.
    #[arg(long)]
    output: PathBuf,
    #[arg(long, default_value_t = 50_000_000)]
    events: u64,
    #[arg(long, default_value_t = 10_000)]
    keys: u64,
    #[arg(long, default_value_t = 100_000)]
    events_per_second: u64,
    #[arg(long, default_value_t = 2_000)]
    out_of_orderness_ms: u64,
    /// Event time of the first event (ms since the epoch).
    #[arg(long, default_value_t = 1_700_000_000_000)]
    start_ms: i64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn below(random: &mut SplitMix64, bound: u64) -> u64 {
    if bound == 0 {
        0
    } else {
        random.next_u64() % bound
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.events_per_second > 0,
        "--events-per-second must be positive"
    );
    anyhow::ensure!(args.keys > 0, "--keys must be positive");
    let temporary = args.output.with_extension("csv.tmp");
    let file = File::create(&temporary)
        .with_context(|| format!("cannot create {}", temporary.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut random = SplitMix64::new(args.seed);
    let mut line = Vec::with_capacity(64);
    for i in 0..args.events {
        let time = args.start_ms + (i * 1000 / args.events_per_second) as i64
            - below(&mut random, args.out_of_orderness_ms + 1) as i64;
        let key = below(&mut random, args.keys);
        let value = below(&mut random, 1000);
        line.clear();
        writeln!(line, "{key},{time},{value}")?;
        out.write_all(&line)?;
    }
    out.flush()?;
    out.into_inner()
        .map_err(|error| error.into_error())?
        .sync_all()?;
    std::fs::rename(&temporary, &args.output).with_context(|| {
        format!(
            "cannot rename {} to {}",
            temporary.display(),
            args.output.display()
        )
    })?;
    Ok(())
}
