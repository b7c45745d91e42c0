//! Flink's legacy YARN flags of `flink run` (`-yjm 1024m`, `-ynm NAME`, `-yqu QUEUE`, `-yd`) have
//! several letters after one dash, which clap does not parse. Before parsing, the arguments of
//! `weir run` up to the job (`-c JOB`, or the first argument that is not an option) are
//! rewritten to their long forms (`--yjm`, `--ynm`, `--yqu`, `--detached`); the job's own
//! arguments are never touched.

use std::ffi::OsString;

/// The legacy spellings, what they become, and whether a value follows.
const LEGACY_FLAGS: [(&str, &str, bool); 4] = [
    ("-yjm", "--yjm", true),
    ("-ynm", "--ynm", true),
    ("-yqu", "--yqu", true),
    ("-yd", "--detached", false),
];

/// Options of `weir run` (and the global ones) that take a value, so the value is not mistaken
/// for the job program's path.
const OPTIONS_WITH_VALUE: [&str; 10] = [
    "-p",
    "--parallelism",
    "-m",
    "--jobmanager",
    "--metrics-json",
    "--conf",
    "-D",
    "--yjm",
    "--ynm",
    "--yqu",
];

/// `arguments` (the program name first) with the legacy flags of `weir run` rewritten.
pub fn normalize(arguments: Vec<OsString>) -> Vec<OsString> {
    let mut normalized = Vec::with_capacity(arguments.len());
    let mut iter = arguments.into_iter();
    normalized.extend(iter.next());
    // Global options may precede the subcommand.
    let mut in_run = false;
    while let Some(argument) = iter.next() {
        let text = argument.to_str().unwrap_or_default().to_owned();
        if !in_run {
            in_run = text == "run";
            let takes_value = OPTIONS_WITH_VALUE.contains(&text.as_str());
            normalized.push(argument);
            if takes_value {
                normalized.extend(iter.next());
            }
            if !in_run && !text.starts_with('-') && !takes_value {
                // Another subcommand: leave everything else as it is.
                normalized.extend(iter);
                return normalized;
            }
            continue;
        }
        if let Some((_, long, takes_value)) =
            LEGACY_FLAGS.iter().find(|(legacy, _, _)| *legacy == text)
        {
            normalized.push(OsString::from(long));
            if *takes_value {
                normalized.extend(iter.next());
            }
            continue;
        }
        let is_job = text == "-c" || text == "--class";
        let takes_value = is_job || OPTIONS_WITH_VALUE.contains(&text.as_str());
        normalized.push(argument);
        if takes_value {
            normalized.extend(iter.next());
        }
        if is_job || !(text.starts_with('-') || takes_value) {
            // The job (or the job program's path): what follows is the job's.
            normalized.extend(iter);
            return normalized;
        }
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(arguments: &[&str]) -> Vec<String> {
        normalize(arguments.iter().map(OsString::from).collect())
            .into_iter()
            .map(|argument| argument.into_string().unwrap())
            .collect()
    }

    #[test]
    fn legacy_flags_before_the_job_become_long_options() {
        assert_eq!(
            run(&[
                "weir",
                "-D",
                "a=b",
                "run",
                "-m",
                "yarn-cluster",
                "-yjm",
                "1024m",
                "-ynm",
                "n",
                "-yqu",
                "q",
                "-yd",
                "-c",
                "WordCount",
                "-yjm",
                "x"
            ]),
            [
                "weir",
                "-D",
                "a=b",
                "run",
                "-m",
                "yarn-cluster",
                "--yjm",
                "1024m",
                "--ynm",
                "n",
                "--yqu",
                "q",
                "--detached",
                "-c",
                "WordCount",
                "-yjm",
                "x"
            ]
        );
    }

    #[test]
    fn values_of_legacy_flags_are_not_mistaken_for_the_program() {
        assert_eq!(
            run(&["weir", "run", "-yjm", "512", "-ynm", "a name", "-c", "J"]),
            ["weir", "run", "--yjm", "512", "--ynm", "a name", "-c", "J"]
        );
    }

    #[test]
    fn arguments_of_a_job_program_and_other_subcommands_are_untouched() {
        assert_eq!(
            run(&["weir", "run", "-p", "2", "prog", "-yjm", "1"]),
            ["weir", "run", "-p", "2", "prog", "-yjm", "1"]
        );
        assert_eq!(
            run(&["weir", "yarn", "kill", "-yd"]),
            ["weir", "yarn", "kill", "-yd"]
        );
        // A value that looks like a flag stays a value.
        assert_eq!(
            run(&["weir", "run", "--ynm", "-yd", "-c", "J"]),
            ["weir", "run", "--ynm", "-yd", "-c", "J"]
        );
    }
}
