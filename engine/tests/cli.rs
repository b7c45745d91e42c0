//! The `weir` binary end to end: precedence of the conf folder, `--conf` and `-D`, the printed
//! plan and configuration, and every problem reported at once with exit code 1.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `weir` from `dir`, with `WEIR_CONF_DIR` set to `conf_dir` when given.
fn weir(dir: &Path, conf_dir: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("WEIR_CONF_DIR");
    if let Some(conf_dir) = conf_dir {
        command.env("WEIR_CONF_DIR", conf_dir);
    }
    command.output().expect("weir runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A conf folder holding `text` as its `weir-conf.yaml`.
fn conf_dir(root: &Path, text: &str) -> std::path::PathBuf {
    let dir = root.join("conf");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("weir-conf.yaml"), text).unwrap();
    dir
}

/// The row of `key` in `weir config` output, split into words.
fn config_row(output: &str, key: &str) -> Vec<String> {
    output
        .lines()
        .find(|line| line.split_whitespace().next() == Some(key))
        .unwrap_or_else(|| panic!("no row for {key} in\n{output}"))
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn memory_plan_with_defaults() {
    let root = tempfile::tempdir().unwrap();
    let output = weir(root.path(), None, &["memory-plan"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for needle in [
        "1811939328",
        "taskmanager.memory.overhead.min",
        "19660 pages of 32k",
        "4915 buffers of 32k",
        "memory plan: process 1.69 GiB",
        "this process: heap",
    ] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
}

#[test]
fn the_heap_counter_is_installed() {
    let root = tempfile::tempdir().unwrap();
    let text = stdout(&weir(root.path(), None, &["memory-plan"]));
    let line = text
        .lines()
        .find(|line| line.starts_with("this process: heap"))
        .unwrap();
    assert!(!line.starts_with("this process: heap 0 B"), "{line}");
}

#[test]
fn precedence_is_defaults_conf_dir_conf_argument_dynamic_properties() {
    let root = tempfile::tempdir().unwrap();
    let conf = conf_dir(
        root.path(),
        "taskmanager.memory.process.size: 2g\n\
         taskmanager.numberOfTaskSlots: 2\n\
         taskmanager.memory.managed.fraction: 0.3\n",
    );
    let extra = root.path().join("extra.yaml");
    std::fs::write(
        &extra,
        "taskmanager.numberOfTaskSlots: 3\ntaskmanager.memory.process.size: 3g\n",
    )
    .unwrap();
    let output = weir(
        root.path(),
        Some(&conf),
        &[
            "config",
            "--conf",
            extra.to_str().unwrap(),
            "-D",
            "taskmanager.memory.process.size=4g",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let conf_file = conf.join("weir-conf.yaml").display().to_string();
    assert!(
        text.contains(&format!("conf file: {conf_file} (from WEIR_CONF_DIR)")),
        "{text}"
    );
    assert_eq!(
        config_row(&text, "taskmanager.memory.process.size"),
        ["taskmanager.memory.process.size", "4g", "-D"]
    );
    assert_eq!(
        config_row(&text, "taskmanager.numberOfTaskSlots"),
        [
            "taskmanager.numberOfTaskSlots",
            "3",
            "--conf",
            &format!("{}:1", extra.display())
        ]
    );
    assert_eq!(
        config_row(&text, "taskmanager.memory.managed.fraction"),
        [
            "taskmanager.memory.managed.fraction",
            "0.3",
            &format!("{conf_file}:3")
        ]
    );
    assert_eq!(
        config_row(&text, "taskmanager.memory.segment-size"),
        ["taskmanager.memory.segment-size", "32k", "default"]
    );
    // The derived keys show what the plan derived.
    let heap = config_row(&text, "taskmanager.memory.task.heap.size");
    assert_eq!(heap[2..], ["derived", "(weir", "memory-plan)"], "{heap:?}");

    // -D after the subcommand works as well as before it, and the plan follows the config.
    let plan = weir(
        root.path(),
        Some(&conf),
        &[
            "-D",
            "taskmanager.memory.segment-size=1m",
            "memory-plan",
            "-D",
            "taskmanager.memory.managed.size=1g",
        ],
    );
    assert!(plan.status.success(), "{}", stderr(&plan));
    let plan = stdout(&plan);
    assert!(plan.contains("1024 pages of 1m"), "{plan}");
    assert!(plan.contains("512 pages"), "2 slots: {plan}");
}

#[test]
fn the_conf_folder_is_found_in_the_working_directory() {
    let root = tempfile::tempdir().unwrap();
    conf_dir(root.path(), "taskmanager.numberOfTaskSlots: 5\n");
    let text = stdout(&weir(root.path(), None, &["config"]));
    assert!(text.contains("(conf/ in the working directory)"), "{text}");
    assert_eq!(config_row(&text, "taskmanager.numberOfTaskSlots")[1], "5");
}

#[test]
fn every_problem_is_reported_at_once_and_the_exit_code_is_one() {
    let root = tempfile::tempdir().unwrap();
    let conf = conf_dir(
        root.path(),
        "taskmanager.memory.proces.size: 2g\n\
         taskmanager.memory.managed.fraction: 1.5\n\
         io.tmp.dirs: ','\n",
    );
    for command in ["config", "memory-plan"] {
        let output = weir(
            root.path(),
            Some(&conf),
            &[
                command,
                "-D",
                "taskmanager.numberOfTaskSlots=0",
                "-D",
                "oops",
            ],
        );
        assert_eq!(output.status.code(), Some(1));
        assert!(stdout(&output).is_empty(), "{}", stdout(&output));
        let text = stderr(&output);
        let file = conf.join("weir-conf.yaml").display().to_string();
        assert!(
            text.starts_with("weir: error: invalid configuration, 5 problems:"),
            "{text}"
        );
        for needle in [
            format!("{file}:1: unknown key 'taskmanager.memory.proces.size'; did you mean 'taskmanager.memory.process.size'?"),
            format!("{file}:2: taskmanager.memory.managed.fraction: invalid value '1.5' (too large); expected a decimal number in [0, 1)"),
            format!("{file}:3: io.tmp.dirs: invalid value ','"),
            "-D: taskmanager.numberOfTaskSlots: invalid value '0' (too small); expected a whole number >= 1".to_string(),
            "-D 'oops' is not of the form key=value".to_string(),
        ] {
            assert!(text.contains(&needle), "{needle} missing in\n{text}");
        }
    }
}

#[test]
fn impossible_memory_combinations_fail_with_the_keys_and_bytes() {
    let root = tempfile::tempdir().unwrap();
    let output = weir(
        root.path(),
        None,
        &[
            "memory-plan",
            "-D",
            "taskmanager.memory.task.heap.size=1g",
            "-D",
            "taskmanager.memory.managed.size=512m",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains(
            "taskmanager.memory.task.heap.size (1g) + taskmanager.memory.managed.size (512m) + \
             taskmanager.memory.network.min (64m) exceed the 1536m left by \
             taskmanager.memory.process.size (1728m) after runtime overhead (192m) by 64m"
        ),
        "{text}"
    );
    // weir config prints the table and then the conflict.
    let output = weir(
        root.path(),
        None,
        &["config", "-D", "taskmanager.memory.managed.size=2g"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        config_row(&stdout(&output), "taskmanager.memory.managed.size")[1],
        "2g"
    );
    assert!(
        stderr(&output).contains("exceed the 1536m left"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn conf_folder_errors_name_the_path() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("nowhere");
    let output = weir(root.path(), Some(&missing), &["config"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!(
            "WEIR_CONF_DIR is set to {}, which is not a folder",
            missing.display()
        )),
        "{}",
        stderr(&output)
    );

    let output = weir(
        root.path(),
        None,
        &["memory-plan", "--conf", "missing.yaml"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot read conf file missing.yaml"),
        "{}",
        stderr(&output)
    );

    let bad_yaml = root.path().join("bad.yaml");
    std::fs::write(&bad_yaml, "a: [1,\n").unwrap();
    let output = weir(
        root.path(),
        None,
        &["config", "--conf", bad_yaml.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("{}:", bad_yaml.display())),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("YAML syntax error"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn print_defaults_yaml_matches_the_shipped_file() {
    let root = tempfile::tempdir().unwrap();
    let output = weir(root.path(), None, &["config", "--print-defaults-yaml"]);
    assert!(output.status.success());
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../conf/weir-conf.yaml"),
    )
    .unwrap();
    assert_eq!(stdout(&output), shipped);
}

#[test]
fn a_bad_command_line_exits_with_two() {
    let root = tempfile::tempdir().unwrap();
    let output = weir(root.path(), None, &["no-such-command"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_reader_that_goes_away_is_not_a_failure() {
    let root = tempfile::tempdir().unwrap();
    for args in [
        &["config"][..],
        &["memory-plan"],
        &["config", "--print-defaults-yaml"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(args)
            .current_dir(root.path())
            .env_remove("WEIR_CONF_DIR")
            .stdout(writer)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).is_empty(), "{args:?}: {}", stderr(&output));
    }
}
