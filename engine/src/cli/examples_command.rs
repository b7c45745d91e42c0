//! `weir examples`: the built-in jobs of `weir run -c`, their arguments and what they do.

use std::io::Write;

use weir::jobs::BUILT_IN_JOBS;

pub fn run(out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "Built-in jobs (weir run [-p N] [-D key=value]... -c <JOB> [arguments]):"
    )?;
    for job in BUILT_IN_JOBS {
        writeln!(out)?;
        writeln!(out, "  {} {}", job.name, job.arguments)?;
        writeln!(out, "      {}", job.description)?;
    }
    Ok(())
}
