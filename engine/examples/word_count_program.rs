//! A job program: a Rust binary that links `weir` and defines its job with the DataSet API,
//! run with `weir run` like a Flink jar with `flink run`.
//!
//! ```text
//! cargo build --release -p weir --example word_count_program
//! weir run -p 2 target/release/examples/word_count_program --input README.md --top 10
//! ```
//!
//! It counts the words of its input and prints the most frequent ones: group, sum, then a
//! global top-n (each subtask's top n, then one sorted group). `weir run` passes its
//! configuration (`-p`, `-D`, `--conf`) through the environment, which
//! `ExecutionEnvironment::get_execution_environment` reads; started on its own, the program uses
//! `conf/weir-conf.yaml` and the defaults.

use weir::api::{ExecutionEnvironment, Group, Order, Output};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = None;
    let mut top = 10u64;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--input" => input = arguments.next(),
            "--top" => top = arguments.next().ok_or("--top needs a number")?.parse()?,
            other => {
                return Err(
                    format!("unknown argument {other}; usage: --input PATH [--top N]").into(),
                );
            }
        }
    }
    let input = input.ok_or("usage: word_count_program --input PATH [--top N]")?;

    let env = ExecutionEnvironment::get_execution_environment()?;
    let counts = env
        .read_text_file(&input)
        .flat_map(|line: String, out: &mut Output<'_, (String, u64)>| {
            for word in line
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                out.emit((word.to_lowercase(), 1));
            }
        })
        .group_by(|pair: &(String, u64)| pair.0.clone())
        .sum(1);
    let most_frequent = counts
        .sort_partition(|pair: &(String, u64)| pair.1, Order::Descending)
        .map_partition(
            move |pairs: &mut Group<'_, (String, u64)>, out: &mut Output<'_, (String, u64)>| {
                for pair in pairs.take(top as usize) {
                    out.emit(pair);
                }
            },
        )
        .group_by(|_: &(String, u64)| ())
        .sort_group(
            |pair: &(String, u64)| (u64::MAX - pair.1, pair.0.clone()),
            Order::Ascending,
        )
        .first(top);
    for (word, count) in most_frequent.collect()? {
        println!("{count:>8} {word}");
    }
    Ok(())
}
