//! `weir memory-plan`: the TaskManager memory plan as a table, with this process's own heap and
//! resident memory beneath it (the figures the counting allocator and `/proc` give).

use std::io::Write;

use weir::MemoryPlan;
use weir::config::{ConfigOverrides, Configuration};
use weir_memory::{heap_usage, resident_set_size};

pub fn run(overrides: &ConfigOverrides, out: &mut impl Write) -> anyhow::Result<()> {
    let config = Configuration::load(overrides)?;
    let plan = MemoryPlan::from_config(&config)?;
    writeln!(out, "{plan}")?;
    writeln!(out, "{}", plan.summary_line())?;
    let heap = heap_usage();
    let resident = match resident_set_size() {
        Ok(rss) => rss.human(),
        Err(error) => format!("unknown ({error})"),
    };
    writeln!(
        out,
        "this process: heap {} allocated, resident set {resident}",
        heap.allocated.human()
    )?;
    Ok(())
}
