//! `weir memory-plan`: the TaskManager memory plan as a table, with this process's own heap and
//! resident memory beneath it (the figures the counting allocator and `/proc` give).

use weir::MemoryPlan;
use weir::config::{ConfigOverrides, Configuration};
use weir_memory::{heap_usage, resident_set_size};

pub fn run(overrides: &ConfigOverrides) -> anyhow::Result<()> {
    let config = Configuration::load(overrides)?;
    let plan = MemoryPlan::from_config(&config)?;
    print!("{plan}");
    println!();
    println!("{}", plan.summary_line());
    let heap = heap_usage();
    match resident_set_size() {
        Ok(rss) => println!(
            "this process: heap {} allocated, resident set {}",
            heap.allocated.human(),
            rss.human()
        ),
        Err(error) => println!(
            "this process: heap {} allocated, resident set unknown ({error})",
            heap.allocated.human()
        ),
    }
    Ok(())
}
