//! [`PathList`]: a list of directories, such as the spill directories of `io.tmp.dirs`.
//!
//! Accepted as a YAML list (`io.tmp.dirs: [/data1/tmp, /data2/tmp]`) or as one string whose
//! entries are separated by `,` or `:` (`/data1/tmp,/data2/tmp`, the form `-D` takes). Spaces
//! around entries and empty entries are dropped; at least one directory must remain.

use std::fmt;
use std::path::{Path, PathBuf};

/// A non-empty list of directories, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathList(Vec<PathBuf>);

/// What a path-list option accepts; used in error messages and the conf file.
pub const PATH_LIST_FORM: &str =
    "a list of directories: a YAML list, or paths separated by ',' or ':'";

impl PathList {
    /// A list of one directory.
    pub fn single(path: PathBuf) -> PathList {
        PathList(vec![path])
    }

    /// Splits one string at `,` and `:`.
    pub fn parse_text(text: &str) -> Result<PathList, &'static str> {
        PathList::from_entries(text.split([',', ':']))
    }

    /// Takes the entries of a YAML list; an entry may itself hold several paths.
    pub fn parse_items(items: &[String]) -> Result<PathList, &'static str> {
        PathList::from_entries(items.iter().flat_map(|item| item.split([',', ':'])))
    }

    fn from_entries<'a>(entries: impl Iterator<Item = &'a str>) -> Result<PathList, &'static str> {
        let paths: Vec<PathBuf> = entries
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(PathBuf::from)
            .collect();
        if paths.is_empty() {
            return Err("no directory given");
        }
        Ok(PathList(paths))
    }

    pub fn paths(&self) -> &[PathBuf] {
        &self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        self.0.iter().map(PathBuf::as_path)
    }
}

/// Prints the entries separated by `,`, the form that parses back.
impl fmt::Display for PathList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, path) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", path.display())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &PathList) -> Vec<&str> {
        list.iter().map(|path| path.to_str().unwrap()).collect()
    }

    #[test]
    fn splits_text_at_commas_and_colons() {
        let list = PathList::parse_text(" /data1/tmp, /data2/tmp:/data3/tmp ,").unwrap();
        assert_eq!(paths(&list), ["/data1/tmp", "/data2/tmp", "/data3/tmp"]);
        assert_eq!(list.to_string(), "/data1/tmp,/data2/tmp,/data3/tmp");
        assert_eq!(PathList::parse_text(&list.to_string()), Ok(list));
    }

    #[test]
    fn takes_yaml_list_items() {
        let items = vec!["/a".to_string(), "/b,/c".to_string()];
        assert_eq!(
            paths(&PathList::parse_items(&items).unwrap()),
            ["/a", "/b", "/c"]
        );
    }

    #[test]
    fn rejects_an_empty_list() {
        assert_eq!(PathList::parse_text(" , : "), Err("no directory given"));
        assert_eq!(PathList::parse_items(&[]), Err("no directory given"));
    }
}
