//! The `weir` command. See `weir --help` and the README.

mod cli;

use std::process::ExitCode;

use weir_memory::CountingAllocator;

/// Counts heap bytes so `weir` can report heap beside managed and network memory.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() -> ExitCode {
    cli::run()
}
