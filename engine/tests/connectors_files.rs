//! File connectors end to end: splits read every line once, CSV records and bad-record errors,
//! part files that appear only on commit.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde::Deserialize;
use weir::WeirError;
use weir::connectors::{
    CsvOptions, CsvProblem, CsvReader, FileInputSplit, FromCsvRecord, InputFile, LineReader,
    SerdeCsv, ToCsvRecord, WriteMode, assign_splits, create_input_splits, enumerate_input_files,
    prepare_output_path,
};

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, bytes).unwrap();
    path
}

/// The lines of `text` as the reader defines them: split at `\n`, a `\r` before it dropped, a
/// last line without `\n` kept, nothing after a final `\n`.
fn oracle_lines(text: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let last = lines.pop().unwrap();
    for line in &mut lines {
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    if !last.is_empty() {
        lines.push(last);
    }
    lines
}

fn read_split_lines(split: &FileInputSplit, buffer_bytes: usize) -> Vec<(u64, Vec<u8>)> {
    let mut reader = LineReader::open(split, buffer_bytes).unwrap();
    let mut lines = Vec::new();
    while let Some(line) = reader.next_line().unwrap() {
        let line = line.to_vec();
        lines.push((reader.line_start_offset(), line));
    }
    lines
}

fn file_line_strategy() -> impl Strategy<Value = Vec<u8>> {
    // Lines of 0 to 40 bytes (many empty and short ones), some ending in \r.
    let line = (
        prop::collection::vec(prop::sample::select(b"ab,\"x y".to_vec()), 0..40),
        any::<bool>(),
    );
    (prop::collection::vec(line, 0..60), any::<bool>()).prop_map(|(lines, final_newline)| {
        let mut text = Vec::new();
        for (index, (mut bytes, crlf)) in lines.iter().cloned().enumerate() {
            if crlf {
                bytes.push(b'\r');
            }
            text.extend_from_slice(&bytes);
            if index + 1 < lines.len() || final_newline {
                text.push(b'\n');
            }
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the split count and buffer size, the splits together return each line of the
    /// file exactly once, in order, at its true offset.
    #[test]
    fn every_line_is_read_by_exactly_one_split(
        text in file_line_strategy(),
        min_splits in 1usize..=8,
        buffer_bytes in prop::sample::select(vec![1usize, 2, 3, 7, 64, 1 << 20]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), "input.txt", &text);
        let files = enumerate_input_files(path.to_str().unwrap()).unwrap();
        let splits = create_input_splits(&files, min_splits);
        prop_assert!(splits.len() >= min_splits.min(text.len()));
        let mut lines = Vec::new();
        for split in &splits {
            lines.extend(read_split_lines(split, buffer_bytes));
        }
        let expected = oracle_lines(&text);
        let got: Vec<Vec<u8>> = lines.iter().map(|(_, line)| line.clone()).collect();
        prop_assert_eq!(&got, &expected);
        for (offset, line) in &lines {
            let offset = *offset as usize;
            prop_assert!(offset == 0 || text[offset - 1] == b'\n');
            prop_assert!(text[offset..].starts_with(line));
        }
    }
}

#[test]
fn directories_and_globs_feed_splits_and_skip_hidden_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_file(root, "in/a.csv", b"1\n2\n");
    write_file(root, "in/sub/b.csv", b"3\n");
    write_file(root, "in/_SUCCESS", b"");
    write_file(root, "in/.a.csv.crc", b"garbage\n");
    write_file(root, "in/sub/.part-00000.inprogress", b"garbage\n");
    let files = enumerate_input_files(root.join("in").to_str().unwrap()).unwrap();
    assert_eq!(
        files,
        [
            InputFile {
                path: root.join("in/a.csv"),
                len: 4
            },
            InputFile {
                path: root.join("in/sub/b.csv"),
                len: 2
            },
        ]
    );
    let glob = format!("{}/in/**/*.csv", root.display());
    assert_eq!(enumerate_input_files(&glob).unwrap(), files);

    let splits = create_input_splits(&files, 3);
    let assigned = assign_splits(splits, 2);
    let mut values: Vec<i64> = Vec::new();
    for subtask in &assigned {
        for split in subtask {
            let reader = CsvReader::<(i64,)>::open(split, CsvOptions::default()).unwrap();
            for record in reader {
                values.push(record.unwrap().0);
            }
        }
    }
    values.sort();
    assert_eq!(values, [1, 2, 3]);
}

fn read_all<T: FromCsvRecord>(path: &Path, options: &CsvOptions, min_splits: usize) -> Vec<T> {
    let files = enumerate_input_files(path.to_str().unwrap()).unwrap();
    let mut records = Vec::new();
    for split in create_input_splits(&files, min_splits) {
        let mut reader = CsvReader::<T>::open(&split, options.clone()).unwrap();
        while let Some(record) = reader.next_record().unwrap() {
            records.push(record);
        }
    }
    records
}

#[test]
fn csv_with_header_quotes_and_options_in_any_split_count() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id,name,score,comment\r\n\
                1,plain,1.5,\r\n\
                2,\"Smith, Jane\",-0.25,\"said \"\"hi\"\"\"\r\n\
                \r\n\
                3,\"\",1e3,x\n\
                4,last,0,\"no newline\"";
    let path = write_file(dir.path(), "people.csv", text.as_bytes());
    let options = CsvOptions::default().with_header(true);
    type Row = (u32, String, f64, Option<String>);
    let expected: Vec<Row> = vec![
        (1, "plain".into(), 1.5, None),
        (2, "Smith, Jane".into(), -0.25, Some("said \"hi\"".into())),
        (3, String::new(), 1000.0, Some("x".into())),
        (4, "last".into(), 0.0, Some("no newline".into())),
    ];
    for min_splits in 1..=8 {
        assert_eq!(read_all::<Row>(&path, &options, min_splits), expected);
    }
}

#[test]
fn comment_lines_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "c.csv", b"# a comment\n1\n#2\n3\n");
    let options = CsvOptions::default().with_comment_prefix("#");
    assert_eq!(read_all::<(i32,)>(&path, &options, 1), [(1,), (3,)]);
}

#[derive(Debug, Deserialize, PartialEq)]
struct LineItem {
    order_key: i64,
    part_key: i64,
    quantity: f64,
    return_flag: char,
    ship_date: String,
    comment: Option<String>,
}

#[test]
fn tbl_lines_into_serde_structs_and_tuples() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "lineitem.tbl",
        b"1|155190|17|N|1996-03-13|egular courts above the|\n\
          1|67310|36|R|1996-04-12||\n",
    );
    let items: Vec<SerdeCsv<LineItem>> = read_all(&path, &CsvOptions::tbl(), 1);
    assert_eq!(
        items[0].0,
        LineItem {
            order_key: 1,
            part_key: 155190,
            quantity: 17.0,
            return_flag: 'N',
            ship_date: "1996-03-13".into(),
            comment: Some("egular courts above the".into()),
        }
    );
    assert_eq!(items[1].0.comment, None);
    let tuples: Vec<(i64, i64, f64, char, String, String)> = read_all(&path, &CsvOptions::tbl(), 3);
    assert_eq!(tuples.len(), 2);
    assert_eq!(tuples[1].3, 'R');
}

/// 2000 numbered lines; line 1234 (1-based) has a bad second field.
fn file_with_bad_line(dir: &Path) -> (PathBuf, String) {
    let mut text = String::new();
    let bad_value = "x".repeat(150);
    for number in 1..=2000 {
        if number == 1234 {
            text.push_str(&format!("{number},{bad_value}\n"));
        } else {
            text.push_str(&format!("{number},{}\n", number * 2));
        }
    }
    (write_file(dir, "numbers.csv", text.as_bytes()), bad_value)
}

#[test]
fn a_bad_record_names_file_line_column_and_value_in_any_split() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bad_value) = file_with_bad_line(dir.path());
    for min_splits in [1, 2, 5, 8] {
        let files = enumerate_input_files(path.to_str().unwrap()).unwrap();
        let splits = create_input_splits(&files, min_splits);
        let mut errors = Vec::new();
        let mut good = 0;
        for split in &splits {
            let mut reader = CsvReader::<(u32, u32)>::open(split, CsvOptions::default()).unwrap();
            loop {
                match reader.next_record() {
                    Ok(Some(_)) => good += 1,
                    Ok(None) => break,
                    Err(error) => {
                        errors.push((split.start, error));
                        break;
                    }
                }
            }
        }
        assert_eq!(errors.len(), 1, "split count {min_splits}");
        let (split_start, error) = errors.pop().unwrap();
        if min_splits > 1 {
            assert!(split_start > 0, "the bad line should be in a later split");
        }
        assert!(good >= 1233 - 1);
        let message = error.to_string();
        match error {
            WeirError::BadRecord {
                path: error_path,
                line,
                column,
                value,
                problem,
            } => {
                assert_eq!(error_path, path);
                assert_eq!(line, 1234);
                assert_eq!(column, Some(2));
                assert_eq!(value, bad_value);
                assert!(matches!(
                    problem,
                    CsvProblem::InvalidField {
                        type_name: "u32",
                        ..
                    }
                ));
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(message.contains("numbers.csv:1234"), "{message}");
        assert!(message.contains("column 2"), "{message}");
        assert!(
            message.contains("bytes in all"),
            "value truncated: {message}"
        );
        assert!(message.len() < 400, "{message}");
    }
}

#[test]
fn structural_problems_report_the_whole_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "q.csv", b"1,ok\n2,\"open quote\n3,a,b\n");
    let files = enumerate_input_files(path.to_str().unwrap()).unwrap();
    let split = create_input_splits(&files, 1).remove(0);
    let mut reader = CsvReader::<(u32, String)>::open(&split, CsvOptions::default()).unwrap();
    assert_eq!(reader.next_record().unwrap(), Some((1, "ok".into())));
    let error = reader.next_record().unwrap_err();
    assert!(
        matches!(&error, WeirError::BadRecord { line: 2, column: Some(2), value, problem: CsvProblem::UnterminatedQuote, .. } if value == "2,\"open quote"),
        "{error}"
    );
    assert!(error.to_string().contains("cannot span lines"), "{error}");
    let error = reader.next_record().unwrap_err();
    assert!(
        matches!(
            &error,
            WeirError::BadRecord {
                line: 3,
                column: None,
                problem: CsvProblem::FieldCount {
                    expected: 2,
                    found: 3
                },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(reader.next_record().unwrap(), None);
}

#[test]
fn skip_bad_records_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = file_with_bad_line(dir.path());
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"2001\n\"2002,4004\n")
        .unwrap();
    let files = enumerate_input_files(path.to_str().unwrap()).unwrap();
    let options = CsvOptions::default().with_skip_bad_records(true);
    let mut good = 0;
    let mut skipped = 0;
    for split in create_input_splits(&files, 4) {
        let mut reader = CsvReader::<(u32, u32)>::open(&split, options.clone()).unwrap();
        while let Some((number, double)) = reader.next_record().unwrap() {
            assert_eq!(double, number * 2);
            good += 1;
        }
        skipped += reader.skipped_records();
        assert!(reader.bytes_read() >= split.length.min(1));
    }
    assert_eq!(good, 1999);
    assert_eq!(skipped, 3);
}

fn dir_entries(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(path)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn part_files_appear_only_on_commit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let layout = prepare_output_path(&out, WriteMode::NoOverwrite, 3, false).unwrap();
    let mut pending = Vec::new();
    for subtask in 0..3 {
        let mut writer = layout.open_part(subtask).unwrap();
        let mut line = Vec::new();
        (subtask as u32, "a,b", 0.5).write_csv_record(&mut line, b',');
        writer.write_all(&line).unwrap();
        pending.push(writer.finish().unwrap());
    }
    assert_eq!(
        dir_entries(&out),
        [
            ".part-00000.inprogress",
            ".part-00001.inprogress",
            ".part-00002.inprogress"
        ]
    );
    // Hidden temporary files are not input.
    assert!(matches!(
        enumerate_input_files(out.to_str().unwrap()),
        Ok(files) if files.is_empty()
    ));
    let committed: Vec<PathBuf> = pending
        .into_iter()
        .map(|file| file.commit().unwrap())
        .collect();
    assert_eq!(committed[2], out.join("part-00002"));
    assert_eq!(
        dir_entries(&out),
        ["part-00000", "part-00001", "part-00002"]
    );
    assert_eq!(
        fs::read_to_string(out.join("part-00001")).unwrap(),
        "1,\"a,b\",0.5\n"
    );
    let read_back: Vec<(u32, String, f64)> = read_all(&out, &CsvOptions::default(), 2);
    assert_eq!(read_back.len(), 3);
}

#[test]
fn a_failed_job_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let layout = prepare_output_path(&out, WriteMode::NoOverwrite, 2, false).unwrap();
    let mut unfinished = layout.open_part(0).unwrap();
    unfinished.write_all(&vec![b'x'; 3 << 20]).unwrap();
    let mut finished = layout.open_part(1).unwrap();
    finished.write_all(b"done\n").unwrap();
    let pending = finished.finish().unwrap();
    assert_eq!(dir_entries(&out).len(), 2);
    drop(unfinished);
    drop(pending);
    assert!(dir_entries(&out).is_empty());
    layout.abort().unwrap();
    assert!(!out.exists());

    let single = dir.path().join("single.csv");
    let layout = prepare_output_path(&single, WriteMode::NoOverwrite, 1, false).unwrap();
    let mut writer = layout.open_part(0).unwrap();
    writer.write_all(b"x\n").unwrap();
    drop(writer);
    layout.abort().unwrap();
    assert!(dir_entries(dir.path()).is_empty());
}

#[test]
fn no_overwrite_refuses_and_overwrite_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result");
    fs::create_dir_all(out.join("old")).unwrap();
    fs::write(out.join("old/part-00000"), b"stale").unwrap();

    let error = prepare_output_path(&out, WriteMode::NoOverwrite, 2, false).unwrap_err();
    assert!(matches!(&error, WeirError::OutputPathExists { path } if *path == out));
    assert!(error.to_string().contains("--overwrite"), "{error}");
    assert!(out.join("old/part-00000").exists());

    let layout = prepare_output_path(&out, WriteMode::Overwrite, 2, false).unwrap();
    assert!(dir_entries(&out).is_empty());
    for subtask in 0..2 {
        let mut writer = layout.open_part(subtask).unwrap();
        writer.write_all(b"new\n").unwrap();
        writer.finish().unwrap().commit().unwrap();
    }
    assert_eq!(dir_entries(&out), ["part-00000", "part-00001"]);

    // A directory replaced by a single file, and a file by a file.
    let layout = prepare_output_path(&out, WriteMode::Overwrite, 1, false).unwrap();
    let mut writer = layout.open_part(0).unwrap();
    writer.write_all(b"one\n").unwrap();
    assert_eq!(writer.finish().unwrap().commit().unwrap(), out);
    assert_eq!(fs::read_to_string(&out).unwrap(), "one\n");
    assert!(prepare_output_path(&out, WriteMode::NoOverwrite, 1, false).is_err());
    prepare_output_path(&out, WriteMode::Overwrite, 1, false).unwrap();
    assert!(!out.exists());
}

#[test]
fn unwritable_output_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = write_file(dir.path(), "file", b"");
    // A directory cannot be created under a regular file.
    let error =
        prepare_output_path(&blocker.join("out"), WriteMode::Overwrite, 2, false).unwrap_err();
    assert!(
        matches!(error, WeirError::PrepareOutputPath { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("file/out"), "{error}");
}
