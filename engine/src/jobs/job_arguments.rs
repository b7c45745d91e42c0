//! Parsing a built-in job's arguments with clap, reporting problems as [`WeirError`]s that
//! name the job.

use clap::Parser;

use crate::error::WeirError;

/// Parses `arguments` (without the job name) into `A`.
pub(crate) fn parse_job_arguments<A: Parser>(
    job: &str,
    arguments: &[String],
) -> Result<A, WeirError> {
    let words = std::iter::once(job.to_owned()).chain(arguments.iter().cloned());
    A::try_parse_from(words).map_err(|error| WeirError::JobArguments {
        job: job.to_owned(),
        message: error.render().to_string().trim_end().to_owned(),
    })
}
