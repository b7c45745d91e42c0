//! Failures end to end: a user function failing or panicking in one subtask fails the job with
//! the operator, the subtask and the message, and leaves no output file and no spill file;
//! bad inputs and outputs give errors that name the file, line, column or key.

mod dataset_support;

use dataset_support::TestEnv;
use weir::WeirError;
use weir::api::{Group, MapFunction, Output, UserError};

#[derive(Clone)]
struct FailOn(u64);

impl MapFunction<u64, u64> for FailOn {
    fn map(&mut self, value: u64) -> Result<u64, UserError> {
        if value == self.0 {
            return Err(format!("cannot map {value}").into());
        }
        Ok(value)
    }
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_failing_function_fails_the_job_with_its_operator_subtask_and_message() {
    let test = TestEnv::new(3, "1m", &[]);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("result");
    test.env
        .generate_sequence(0, 99_999)
        .map_with(FailOn(77_777))
        .name("Checked map")
        .group_by(|n: &u64| n % 100)
        .reduce(|a, b| a + b)
        .write_as_text(target.to_str().unwrap());
    let error = test.env.execute("failing").unwrap_err();
    match &error {
        WeirError::UserFunction {
            operator,
            subtask,
            parallelism,
            message,
        } => {
            assert_eq!(operator, "Checked map");
            assert_eq!(*parallelism, 3);
            assert!(*subtask < 3);
            assert_eq!(message, "cannot map 77777");
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(error.to_string().contains("Checked map"), "{error}");
    // Nothing that looks like output is left: no part file, no temporary file.
    assert!(files_in(&target).is_empty(), "{:?}", files_in(&target));
    test.assert_no_spill_files();
}

#[test]
fn a_panicking_function_fails_the_job_with_the_panic_message() {
    let test = TestEnv::new(2, "1m", &[]);
    let error = test
        .env
        .generate_sequence(0, 9_999)
        .map(|n: u64| {
            if n == 5_000 {
                panic!("record {n} is cursed")
            } else {
                n
            }
        })
        .count()
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("record 5000 is cursed"), "{text}");
    test.assert_no_spill_files();
}

#[test]
fn missing_inputs_and_existing_outputs_fail_before_anything_runs() {
    let test = TestEnv::new(1, "1m", &[]);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt");
    let error = test
        .env
        .read_text_file(missing.to_str().unwrap())
        .count()
        .unwrap_err();
    assert!(
        matches!(error, WeirError::InputPathNotFound { .. }),
        "{error:?}"
    );

    let existing = dir.path().join("exists");
    std::fs::write(&existing, "keep me").unwrap();
    test.env
        .generate_sequence(0, 9)
        .write_as_text(existing.to_str().unwrap());
    let error = test.env.execute("exists").unwrap_err();
    assert!(
        matches!(error, WeirError::OutputPathExists { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("--overwrite"));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");

    let overwriting = TestEnv::new(1, "1m", &[("fs.overwrite-files", "true")]);
    overwriting
        .env
        .generate_sequence(0, 2)
        .write_as_text(existing.to_str().unwrap());
    overwriting.env.execute("overwrite").unwrap();
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "0\n1\n2\n");
}

#[test]
fn a_malformed_csv_line_names_file_line_column_and_value_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    let mut text = String::new();
    for i in 0..500 {
        text.push_str(&format!("{i},{}\n", i * 2));
    }
    text.push_str("500,oops\n");
    std::fs::write(&path, text).unwrap();
    let test = TestEnv::new(2, "1m", &[]);
    let rows = test.env.read_csv_file::<(u32, u32)>(
        path.to_str().unwrap(),
        weir::connectors::CsvOptions::default(),
    );
    let error = rows.count().unwrap_err();
    let text = error.to_string();
    assert!(text.contains("rows.csv:501"), "{text}");
    assert!(text.contains("column 2"), "{text}");
    assert!(text.contains("oops"), "{text}");

    let skipping = TestEnv::new(2, "1m", &[]);
    let options = weir::connectors::CsvOptions::default().with_skip_bad_records(true);
    let count = skipping
        .env
        .read_csv_file::<(u32, u32)>(path.to_str().unwrap(), options)
        .count()
        .unwrap();
    assert_eq!(count, 500);
    let result = skipping.env.job_results();
    assert_eq!(result.last().unwrap().records_skipped, 1);
}

#[test]
fn too_little_managed_memory_names_the_operator_and_the_key_to_raise() {
    // 16 pages of 4 KiB split over 2 slots: 8 pages, fewer than a co-group's two sorters need.
    let test = TestEnv::new(2, "64k", &[]);
    let numbers = test.env.generate_sequence(0, 99);
    let error = numbers
        .co_group(
            &numbers,
            |n: &u64| *n,
            |n: &u64| *n,
            |a: &mut Group<'_, u64>, _b: &mut Group<'_, u64>, out: &mut Output<'_, u64>| {
                out.emit(a.count() as u64)
            },
        )
        .name("Tight co-group")
        .count()
        .unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(error, WeirError::NotEnoughManagedMemory { .. }),
        "{error:?}"
    );
    assert!(text.contains("Tight co-group"), "{text}");
    assert!(text.contains("taskmanager.memory.managed.size"), "{text}");
    test.assert_no_spill_files();
}

#[test]
fn program_mistakes_are_reported_at_execute() {
    let test = TestEnv::new(1, "1m", &[]);
    let data = test.env.from_collection(vec![(1u32, String::from("a"))]);
    let error = data
        .group_by(|p: &(u32, String)| p.0)
        .aggregate(weir::api::Aggregation::Sum, 1)
        .count()
        .unwrap_err();
    assert!(error.to_string().contains("not a number"), "{error}");
    let fresh = TestEnv::new(1, "1m", &[]);
    assert!(matches!(
        fresh.env.execute("nothing"),
        Err(WeirError::NoSinks)
    ));
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Person {
    name: String,
    age: u32,
    email: Option<String>,
}

weir::serde_record!(Person);

#[test]
fn csv_rows_deserialize_into_serde_structs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.csv");
    std::fs::write(
        &path,
        "name,age,email\n\"Smith, Ann\",41,ann@example.org\nBo,7,\n",
    )
    .unwrap();
    let test = TestEnv::new(2, "1m", &[]);
    let options = weir::connectors::CsvOptions::default().with_header(true);
    let mut people = test
        .env
        .read_csv_serde::<Person>(path.to_str().unwrap(), options)
        .collect()
        .unwrap();
    people.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        people,
        vec![
            Person {
                name: "Bo".into(),
                age: 7,
                email: None
            },
            Person {
                name: "Smith, Ann".into(),
                age: 41,
                email: Some("ann@example.org".into())
            },
        ]
    );
}
