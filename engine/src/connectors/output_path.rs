//! Preparing a job's output path once before it runs: [`prepare_output_path`] and
//! [`OutputLayout`].
//!
//! ```text
//!   parallelism 1, no forced directory      otherwise
//!   out.csv                                  out/
//!                                            ├── part-00000
//!                                            ├── part-00001     (zero-padded: name order =
//!                                            └── ...             subtask order)
//!   while writing, each subtask writes a hidden temporary file beside its final name:
//!   .out.csv.inprogress                      out/.part-00000.inprogress
//! ```
//!
//! [`WriteMode::NoOverwrite`] (Flink's default) refuses an existing path; [`WriteMode::Overwrite`]
//! deletes it (file or directory) first. Hidden names are skipped when the output is read back
//! as input (see [`enumerate_input_files`](super::enumerate_input_files)).

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::part_file_sink::PartFileWriter;
use crate::WeirError;

/// What to do when the output path exists (Flink's `FileSystem.WriteMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Fail: the path exists.
    NoOverwrite,
    /// Delete the existing file or directory first.
    Overwrite,
}

/// What preparing the output path failed to do (in
/// [`WeirError::PrepareOutputPath`](crate::WeirError::PrepareOutputPath)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputPathAction {
    Inspect,
    Remove,
    CreateDirectory,
}

impl std::fmt::Display for OutputPathAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OutputPathAction::Inspect => "inspect",
            OutputPathAction::Remove => "remove existing",
            OutputPathAction::CreateDirectory => "create directory for",
        })
    }
}

/// Where a job's subtasks write: one file, or one part file per subtask in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputLayout {
    SingleFile { path: PathBuf },
    Directory { path: PathBuf, parallelism: usize },
}

/// Checks and prepares `path` for a job writing with `parallelism` subtasks: see the module
/// docs. Call once, before the job runs.
pub fn prepare_output_path(
    path: &Path,
    mode: WriteMode,
    parallelism: usize,
    always_create_directory: bool,
) -> Result<OutputLayout, WeirError> {
    let prepare_error = |action, source| WeirError::PrepareOutputPath {
        path: path.to_path_buf(),
        action,
        source,
    };
    match fs::symlink_metadata(path) {
        Ok(metadata) => match mode {
            WriteMode::NoOverwrite => {
                return Err(WeirError::OutputPathExists {
                    path: path.to_path_buf(),
                });
            }
            WriteMode::Overwrite => {
                let removed = if metadata.is_dir() {
                    fs::remove_dir_all(path)
                } else {
                    fs::remove_file(path)
                };
                removed.map_err(|source| prepare_error(OutputPathAction::Remove, source))?;
            }
        },
        Err(source) if source.kind() == ErrorKind::NotFound => {}
        Err(source) => return Err(prepare_error(OutputPathAction::Inspect, source)),
    }
    let layout = if parallelism == 1 && !always_create_directory {
        OutputLayout::SingleFile {
            path: path.to_path_buf(),
        }
    } else {
        OutputLayout::Directory {
            path: path.to_path_buf(),
            parallelism,
        }
    };
    let directory = match &layout {
        OutputLayout::SingleFile { path } => path.parent().filter(|p| !p.as_os_str().is_empty()),
        OutputLayout::Directory { path, .. } => Some(path.as_path()),
    };
    if let Some(directory) = directory {
        fs::create_dir_all(directory)
            .map_err(|source| prepare_error(OutputPathAction::CreateDirectory, source))?;
    }
    Ok(layout)
}

impl OutputLayout {
    /// The output path the job was given.
    pub fn path(&self) -> &Path {
        match self {
            OutputLayout::SingleFile { path } | OutputLayout::Directory { path, .. } => path,
        }
    }

    /// Where subtask `subtask`'s output ends up once committed.
    ///
    /// # Panics
    /// If `subtask` is not below the parallelism the layout was prepared for.
    pub fn final_path(&self, subtask: usize) -> PathBuf {
        match self {
            OutputLayout::SingleFile { path } => {
                assert_eq!(subtask, 0, "a single-file output has only subtask 0");
                path.clone()
            }
            OutputLayout::Directory { path, parallelism } => {
                assert!(
                    subtask < *parallelism,
                    "subtask {subtask} of an output prepared for parallelism {parallelism}"
                );
                path.join(part_file_name(subtask, *parallelism))
            }
        }
    }

    /// Opens subtask `subtask`'s part file, under its hidden temporary name.
    pub fn open_part(&self, subtask: usize) -> Result<PartFileWriter, WeirError> {
        PartFileWriter::create(self.final_path(subtask))
    }

    /// After a failed job: removes the output directory if it is empty (uncommitted part files
    /// delete themselves when dropped). A single-file layout leaves nothing to remove.
    pub fn abort(&self) -> Result<(), WeirError> {
        let OutputLayout::Directory { path, .. } = self else {
            return Ok(());
        };
        match fs::remove_dir(path) {
            Ok(()) => Ok(()),
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::NotFound | ErrorKind::DirectoryNotEmpty
                ) =>
            {
                Ok(())
            }
            Err(source) => Err(WeirError::PrepareOutputPath {
                path: path.clone(),
                action: OutputPathAction::Remove,
                source,
            }),
        }
    }
}

/// `part-00042`: at least five digits, more if the parallelism needs them, so the names sort in
/// subtask order.
fn part_file_name(subtask: usize, parallelism: usize) -> String {
    let digits = (parallelism.saturating_sub(1)).to_string().len().max(5);
    format!("part-{subtask:0digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_sort_in_subtask_order() {
        assert_eq!(part_file_name(0, 4), "part-00000");
        assert_eq!(part_file_name(42, 100), "part-00042");
        assert_eq!(part_file_name(7, 200_000), "part-000007");
        let mut names: Vec<String> = (0..200_000)
            .step_by(9_999)
            .map(|subtask| part_file_name(subtask, 200_000))
            .collect();
        let in_subtask_order = names.clone();
        names.sort();
        assert_eq!(names, in_subtask_order);
    }

    #[test]
    fn layouts() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nested/out.csv");
        let layout = prepare_output_path(&file, WriteMode::NoOverwrite, 1, false).unwrap();
        assert_eq!(layout, OutputLayout::SingleFile { path: file.clone() });
        assert_eq!(layout.final_path(0), file);
        assert!(file.parent().unwrap().is_dir());

        let out = dir.path().join("out");
        let layout = prepare_output_path(&out, WriteMode::NoOverwrite, 1, true).unwrap();
        assert_eq!(layout.final_path(0), out.join("part-00000"));
        assert!(out.is_dir());
        layout.abort().unwrap();
        assert!(!out.exists());
    }
}
