//! `WordCount [--input PATH]... [--output PATH]`: the classic.
//!
//! Each line is lowercased and split at every character that is not an ASCII letter, digit or
//! underscore; empty tokens are dropped. Pairs `(word, 1)` are summed per word by a hash
//! combiner before the exchange and a hash reduce after it. Output lines are `word,count`, in
//! no particular order.

use std::io::Write;

use clap::Parser;

use crate::api::{DataSet, ExecutionEnvironment, Output};
use crate::error::WeirError;
use crate::jobs::JobOutcome;
use crate::jobs::job_arguments::parse_job_arguments;

#[derive(Debug, Parser)]
struct WordCountArguments {
    /// Input text: a file, directory or glob (repeatable).
    #[arg(long)]
    input: Vec<String>,
    /// Output directory (or file at parallelism 1); prints when absent.
    #[arg(long)]
    output: Option<String>,
}

/// The text counted when no --input is given.
const SAMPLE_TEXT: &[&str] = &[
    "To be, or not to be,--that is the question:--",
    "Whether 'tis nobler in the mind to suffer",
    "The slings and arrows of outrageous fortune",
    "Or to take arms against a sea of troubles,",
    "And by opposing end them?--To die,--to sleep,--",
    "No more; and by a sleep to say we end",
    "The heartache, and the thousand natural shocks",
    "That flesh is heir to,--'tis a consummation",
    "Devoutly to be wish'd. To die,--to sleep;--",
    "To sleep! perchance to dream:--ay, there's the rub;",
];

/// Emits the words of `line` (see the module docs).
pub(crate) fn tokenize(line: &str, mut emit: impl FnMut(&str)) {
    let lowered;
    let text = if line
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        lowered = line.to_lowercase();
        lowered.as_str()
    } else {
        line
    };
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if !token.is_empty() {
            emit(token);
        }
    }
}

pub(crate) fn run(
    env: &ExecutionEnvironment,
    arguments: &[String],
) -> Result<JobOutcome, WeirError> {
    let arguments: WordCountArguments = parse_job_arguments("WordCount", arguments)?;
    let text: DataSet<String> = match arguments.input.split_first() {
        None => env.from_collection(SAMPLE_TEXT.iter().map(|line| (*line).to_owned()).collect()),
        Some((first, rest)) => rest.iter().fold(env.read_text_file(first), |text, path| {
            text.union(&env.read_text_file(path))
        }),
    };
    let counts = text
        .flat_map(|line: String, out: &mut Output<'_, (String, u64)>| {
            tokenize(&line, |word| out.emit((word.to_owned(), 1)));
        })
        .name("Tokenize")
        .group_by(|pair: &(String, u64)| pair.0.clone())
        .reduce(|a, b| (a.0, a.1 + b.1))
        .name("Sum");
    let format = |(word, count): &(String, u64), line: &mut Vec<u8>| {
        let _ = write!(line, "{word},{count}");
    };
    match &arguments.output {
        Some(path) => {
            counts.write_as_text_with(path, format);
            env.execute("WordCount")?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for (word, count) in counts.collect()? {
                if writeln!(out, "{word},{count}").is_err() {
                    break;
                }
            }
            let _ = out.flush();
        }
    }
    Ok(JobOutcome::Succeeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        tokenize(line, |word| words.push(word.to_owned()));
        words
    }

    #[test]
    fn tokens_are_lowercased_runs_of_ascii_word_characters() {
        assert_eq!(
            words("To be, or NOT_to-be 42x"),
            ["to", "be", "or", "not_to", "be", "42x"]
        );
        assert_eq!(words("--'tis  "), ["tis"]);
        assert!(words("").is_empty());
        // Non-ASCII letters separate words; a Kelvin sign lowercases to an ASCII 'k'.
        assert_eq!(words("naïve \u{212A}m"), ["na", "ve", "km"]);
    }
}
