//! Which files an input spec names: one file, a directory (recursively), or a glob pattern.
//!
//! ```text
//!   spec ──┬─ has * ? [ ──▶ glob matches ─┐
//!          └─ a path ─────────────────────┤
//!                                         ▼
//!                     file ──▶ InputFile { path, len }
//!                     dir  ──▶ its files, recursively, skipping hidden names
//!                                         │
//!                                         ▼
//!                           sorted by path, duplicates removed
//! ```
//!
//! Like Flink's `FileInputFormat` (and Hadoop's hidden-file filter), names starting with `.` or
//! `_` are skipped inside directories (`_SUCCESS`, `.part-00000.inprogress`, `.crc` files), and
//! so are glob matches with a hidden name below the pattern's literal part (`**` does not enter
//! `_temporary/`). A file or directory the user names literally is always read.

use std::fs;
use std::path::{Path, PathBuf};

use crate::WeirError;

/// One file to read, with its length when it was listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    pub len: u64,
}

/// The files `spec` names, sorted by path: a file, every file under a directory, or every file
/// matching a glob pattern (`*`, `?`, `[abc]`, `[!abc]`, `**` for any depth).
///
/// Errors: [`WeirError::InputPathNotFound`] for a missing path,
/// [`WeirError::InputPatternMatchedNothing`] for a pattern with no match,
/// [`WeirError::InvalidInputPattern`] for a malformed pattern, and [`WeirError::ReadInput`]
/// with the I/O error for anything unreadable.
pub fn enumerate_input_files(spec: &str) -> Result<Vec<InputFile>, WeirError> {
    let mut files = Vec::new();
    if is_glob_pattern(spec) {
        let literal_prefix = literal_prefix(spec);
        let matches = glob::glob(spec).map_err(|error| WeirError::InvalidInputPattern {
            pattern: spec.to_string(),
            position: error.pos,
            reason: error.msg,
        })?;
        for entry in matches {
            let path = entry.map_err(|error| WeirError::ReadInput {
                path: error.path().to_path_buf(),
                source: error.into(),
            })?;
            if !has_hidden_component_below(&path, &literal_prefix) {
                collect_path(&path, &mut files)?;
            }
        }
        if files.is_empty() {
            return Err(WeirError::InputPatternMatchedNothing {
                pattern: spec.to_string(),
            });
        }
    } else {
        let path = Path::new(spec);
        match fs::metadata(path) {
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                return Err(WeirError::InputPathNotFound {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(WeirError::ReadInput {
                    path: path.to_path_buf(),
                    source,
                });
            }
            Ok(_) => collect_path(path, &mut files)?,
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

/// Whether `spec` uses glob syntax (then it is matched, never opened as a path).
fn is_glob_pattern(spec: &str) -> bool {
    spec.contains(['*', '?', '['])
}

/// The leading components of a pattern that hold no glob syntax: `data/in/**/*.csv` →
/// `data/in`. Hidden names there were written by the user, not matched.
fn literal_prefix(spec: &str) -> PathBuf {
    Path::new(spec)
        .components()
        .take_while(|component| !is_glob_pattern(&component.as_os_str().to_string_lossy()))
        .collect()
}

/// Whether a glob match has a hidden name below the pattern's literal prefix (`**` may cross
/// hidden directories such as `_temporary`).
fn has_hidden_component_below(path: &Path, literal_prefix: &Path) -> bool {
    path.strip_prefix(literal_prefix)
        .unwrap_or(path)
        .components()
        .any(|component| is_hidden(Path::new(component.as_os_str())))
}

/// Names starting with `.` or `_` are hidden (Hadoop's and Flink's convention).
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with('.') || name.starts_with('_'))
}

/// Adds `path` if it is a file, or every visible file under it if it is a directory.
fn collect_path(path: &Path, files: &mut Vec<InputFile>) -> Result<(), WeirError> {
    let metadata = fs::metadata(path).map_err(|source| WeirError::ReadInput {
        path: path.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        files.push(InputFile {
            path: path.to_path_buf(),
            len: metadata.len(),
        });
        return Ok(());
    }
    let read_error = |source| WeirError::ReadInput {
        path: path.to_path_buf(),
        source,
    };
    let mut children = Vec::new();
    for entry in fs::read_dir(path).map_err(read_error)? {
        let child = entry.map_err(read_error)?.path();
        if !is_hidden(&child) {
            children.push(child);
        }
    }
    children.sort();
    for child in children {
        collect_path(&child, files)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    fn names(files: &[InputFile], root: &Path) -> Vec<String> {
        files
            .iter()
            .map(|file| {
                file.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    #[test]
    fn a_directory_lists_visible_files_recursively_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("b.csv"), b"12345");
        write(&root.join("a.csv"), b"1");
        write(&root.join("sub/c.csv"), b"");
        write(&root.join(".hidden"), b"x");
        write(&root.join("_SUCCESS"), b"");
        write(&root.join("_tmp/d.csv"), b"x");
        write(&root.join("sub/.e.inprogress"), b"x");
        let files = enumerate_input_files(root.to_str().unwrap()).unwrap();
        assert_eq!(names(&files, root), ["a.csv", "b.csv", "sub/c.csv"]);
        assert_eq!(files[1].len, 5);
    }

    #[test]
    fn a_file_named_directly_is_read_even_if_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("_data");
        write(&path, b"abc");
        let files = enumerate_input_files(path.to_str().unwrap()).unwrap();
        assert_eq!(files, [InputFile { path, len: 3 }]);
    }

    #[test]
    fn globs_match_files_and_skip_hidden_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("x/part-1.tbl"), b"1");
        write(&root.join("x/part-2.tbl"), b"1");
        write(&root.join("x/_part-3.tbl"), b"1");
        write(&root.join("y/deep/part-9.tbl"), b"1");
        write(&root.join("y/other.csv"), b"1");
        write(&root.join("y/_temporary/part-5.tbl"), b"1");
        write(&root.join(".y/part-6.tbl"), b"1");
        let pattern = format!("{}/**/part-?.tbl", root.display());
        let files = enumerate_input_files(&pattern).unwrap();
        assert_eq!(
            names(&files, root),
            ["x/part-1.tbl", "x/part-2.tbl", "y/deep/part-9.tbl"]
        );
        // Hidden names the user wrote themselves are followed.
        let hidden_root = root.join("_staging");
        write(&hidden_root.join("part-7.tbl"), b"1");
        let pattern = format!("{}/*.tbl", hidden_root.display());
        assert_eq!(enumerate_input_files(&pattern).unwrap().len(), 1);
        let pattern = format!("{}/x/part-[2-3].tbl", root.display());
        let files = enumerate_input_files(&pattern).unwrap();
        assert_eq!(names(&files, root), ["x/part-2.tbl"]);
    }

    #[test]
    fn missing_paths_and_empty_globs_are_named_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.csv");
        let error = enumerate_input_files(missing.to_str().unwrap()).unwrap_err();
        assert!(matches!(&error, WeirError::InputPathNotFound { path } if *path == missing));
        assert!(error.to_string().contains("nope.csv"), "{error}");

        let pattern = format!("{}/*.csv", dir.path().display());
        let error = enumerate_input_files(&pattern).unwrap_err();
        assert!(
            matches!(&error, WeirError::InputPatternMatchedNothing { pattern: p } if *p == pattern)
        );

        let error = enumerate_input_files("data/[a.csv").unwrap_err();
        assert!(
            matches!(error, WeirError::InvalidInputPattern { .. }),
            "{error}"
        );
    }
}
