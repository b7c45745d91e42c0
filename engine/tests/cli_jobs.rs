//! The built-in jobs through the `weir` binary: WordCount against an oracle, TeraGen → TeraSort
//! → TeraValidate with managed memory small enough to spill at parallelism 1, 2 and 3, TPC-H
//! Q3 and Q10 on a small hand-made dataset with known results, the metrics JSON, and the errors
//! a user meets (unknown job or argument, existing output, missing input), each with a clear
//! message and no half-written output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `weir` with a spill directory and small pages; `args` after `run`.
fn weir_run(spill: &Path, args: &[&str]) -> Output {
    std::fs::create_dir_all(spill).unwrap();
    let spill_arg = format!("io.tmp.dirs={}", spill.display());
    let mut all = vec![
        "run",
        "-D",
        "taskmanager.memory.segment-size=4k",
        "-D",
        &spill_arg,
    ];
    all.extend_from_slice(args);
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(&all)
        .env_remove("WEIR_CONF_DIR")
        .output()
        .expect("weir runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Files (not directories) under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(files_under(&path));
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn word_oracle(text: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for word in text
        .to_lowercase()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
    {
        *counts.entry(word.to_owned()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn word_count_matches_an_oracle_over_files_and_prints_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("spill");
    let input = dir.path().join("text");
    std::fs::create_dir_all(&input).unwrap();
    let mut all = String::new();
    for file in 0..3 {
        let mut body = String::new();
        for line in 0..2000 {
            body.push_str(&format!(
                "The Quick_brown fox{} jumps-over THE lazy dog {} ünïcode-words\n",
                line % 97,
                (line * 7 + file) % 13
            ));
        }
        std::fs::write(input.join(format!("part-{file}.txt")), &body).unwrap();
        all.push_str(&body);
    }
    let output_dir = dir.path().join("counts");
    let result = weir_run(
        &spill,
        &[
            "-p",
            "2",
            "-c",
            "WordCount",
            "--input",
            input.to_str().unwrap(),
            "--output",
            output_dir.to_str().unwrap(),
        ],
    );
    assert_success(&result);
    let stderr = text(&result.stderr);
    assert!(stderr.contains("memory plan:"), "{stderr}");
    assert!(stderr.contains("records in"), "{stderr}");
    let mut counted = BTreeMap::new();
    for file in files_under(&output_dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("part-"), "{name}");
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let (word, count) = line.rsplit_once(',').unwrap();
            assert!(
                counted
                    .insert(word.to_owned(), count.parse::<u64>().unwrap())
                    .is_none()
            );
        }
    }
    assert_eq!(counted, word_oracle(&all));

    let printed = weir_run(&spill, &["-c", "WordCount"]);
    assert_success(&printed);
    let lines = text(&printed.stdout);
    assert!(
        lines
            .lines()
            .any(|line| line == "to,9" || line.starts_with("to,")),
        "{lines}"
    );
    assert!(files_under(&spill).is_empty(), "{:?}", files_under(&spill));
}

#[test]
fn tera_sort_spills_and_validates_at_parallelism_one_two_and_three() {
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("spill");
    let generated = dir.path().join("generated");
    let result = weir_run(
        &spill,
        &[
            "-p",
            "3",
            "-c",
            "TeraGen",
            "--records",
            "30000",
            "--output",
            generated.to_str().unwrap(),
            "--seed",
            "7",
        ],
    );
    assert_success(&result);
    let total: u64 = files_under(&generated)
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert_eq!(total, 3_000_000);
    let input_check = weir_run(
        &spill,
        &["-c", "TeraValidate", "--input", generated.to_str().unwrap()],
    );
    let input_checksum = text(&input_check.stdout)
        .lines()
        .find(|line| line.starts_with("checksum"))
        .unwrap()
        .to_owned();
    // Unsorted input fails validation with exit code 1.
    assert_eq!(
        input_check.status.code(),
        Some(1),
        "{}",
        text(&input_check.stderr)
    );

    for parallelism in ["1", "2", "3"] {
        let sorted = dir.path().join(format!("sorted-{parallelism}"));
        let metrics = dir.path().join(format!("metrics-{parallelism}.json"));
        let result = weir_run(
            &spill,
            &[
                "-p",
                parallelism,
                "-D",
                "taskmanager.memory.managed.size=600k",
                "-D",
                "fs.output.always-create-directory=true",
                "--metrics-json",
                metrics.to_str().unwrap(),
                "-c",
                "TeraSort",
                "--input",
                generated.to_str().unwrap(),
                "--output",
                sorted.to_str().unwrap(),
            ],
        );
        assert_success(&result);
        let json = std::fs::read_to_string(&metrics).unwrap();
        let spilled: u64 = json
            .split("\"bytes_spilled\":")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            spilled > 0,
            "TeraSort at -p {parallelism} should spill: {json}"
        );
        let validated = weir_run(
            &spill,
            &["-c", "TeraValidate", "--input", sorted.to_str().unwrap()],
        );
        assert_success(&validated);
        let stdout = text(&validated.stdout);
        assert!(stdout.contains("records 30000"), "{stdout}");
        assert!(
            stdout.contains(&input_checksum),
            "{stdout} vs {input_checksum}"
        );
        assert_eq!(
            files_under(&sorted).len(),
            parallelism.parse::<usize>().unwrap()
        );
    }
    assert!(files_under(&spill).is_empty(), "{:?}", files_under(&spill));
}

fn tpch_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tpch-tiny")
}

#[test]
fn tpch_queries_give_the_known_results() {
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("spill");
    for (job, expected) in [
        ("TPCHQuery3", "q3.expected"),
        ("TPCHQuery10", "q10.expected"),
    ] {
        for parallelism in ["1", "3"] {
            let out = dir.path().join(format!("{job}-{parallelism}.txt"));
            let result = weir_run(
                &spill,
                &[
                    "-p",
                    parallelism,
                    "-c",
                    job,
                    "--input",
                    tpch_dir().to_str().unwrap(),
                    "--output",
                    out.to_str().unwrap(),
                ],
            );
            assert_success(&result);
            let expected = std::fs::read_to_string(tpch_dir().join(expected)).unwrap();
            assert_eq!(
                std::fs::read_to_string(&out).unwrap(),
                expected,
                "{job} -p {parallelism}"
            );
        }
    }
}

#[test]
fn user_errors_are_clear_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("spill");
    let unknown = weir_run(&spill, &["-c", "WordCounter"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("unknown job 'WordCounter'"),
        "{}",
        text(&unknown.stderr)
    );

    let bad_argument = weir_run(
        &spill,
        &["-c", "TeraGen", "--records", "ten", "--output", "x"],
    );
    assert_eq!(bad_argument.status.code(), Some(1));
    assert!(
        text(&bad_argument.stderr).contains("--records"),
        "{}",
        text(&bad_argument.stderr)
    );

    let missing = weir_run(
        &spill,
        &[
            "-c",
            "WordCount",
            "--input",
            dir.path().join("absent").to_str().unwrap(),
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("does not exist"),
        "{}",
        text(&missing.stderr)
    );

    let existing = dir.path().join("existing");
    std::fs::create_dir_all(&existing).unwrap();
    std::fs::write(existing.join("keep"), "data").unwrap();
    let refused = weir_run(
        &spill,
        &[
            "-c",
            "TeraGen",
            "--records",
            "10",
            "--output",
            existing.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("--overwrite"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(files_under(&existing), vec![existing.join("keep")]);

    let replaced = weir_run(
        &spill,
        &[
            "--overwrite",
            "-c",
            "TeraGen",
            "--records",
            "10",
            "--output",
            existing.to_str().unwrap(),
        ],
    );
    assert_success(&replaced);
    assert!(!existing.join("keep").exists());

    let examples = Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("examples")
        .output()
        .unwrap();
    assert_success(&examples);
    for job in [
        "WordCount",
        "TeraGen",
        "TeraSort",
        "TeraValidate",
        "TPCHQuery3",
        "TPCHQuery10",
    ] {
        assert!(text(&examples.stdout).contains(job), "{job}");
    }
}

#[test]
fn a_job_program_runs_under_weir_run_with_its_configuration() {
    // `cargo test` builds the examples beside the test binaries.
    let weir = Path::new(env!("CARGO_BIN_EXE_weir"));
    let program = weir.parent().unwrap().join("examples/word_count_program");
    assert!(program.is_file(), "{} not built", program.display());
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("spill");
    let input = dir.path().join("words.txt");
    std::fs::write(&input, "b a b c b a\nA B\n").unwrap();
    let result = weir_run(
        &spill,
        &[
            "-p",
            "2",
            program.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--top",
            "2",
        ],
    );
    assert_success(&result);
    let lines: Vec<String> = text(&result.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(lines, ["4 b", "3 a"]);
    // The program saw weir run's configuration: the summary reports on stderr.
    assert!(
        text(&result.stderr).contains("memory plan:"),
        "{}",
        text(&result.stderr)
    );

    let missing = weir_run(&spill, &[dir.path().join("nope").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("does not exist"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn ctrl_c_cancels_the_job_exits_130_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("spill");
    std::fs::create_dir_all(&spill).unwrap();
    let out = dir.path().join("generated");
    let spill_arg = format!("io.tmp.dirs={}", spill.display());
    let child = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args([
            "run",
            "-p",
            "2",
            "-D",
            &spill_arg,
            "-c",
            "TeraGen",
            "--records",
            "2000000000",
            "--output",
            out.to_str().unwrap(),
        ])
        .env_remove("WEIR_CONF_DIR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it writes, then interrupt it as a terminal's Ctrl-C would.
    let started = std::time::Instant::now();
    while files_under(&out).is_empty() && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let result = child.wait_with_output().unwrap();
    assert_eq!(result.status.code(), Some(130), "{}", text(&result.stderr));
    assert!(
        text(&result.stderr).contains("canceled"),
        "{}",
        text(&result.stderr)
    );
    assert!(files_under(&out).is_empty(), "{:?}", files_under(&out));
    assert!(files_under(&spill).is_empty(), "{:?}", files_under(&spill));
}
