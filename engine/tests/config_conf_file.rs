//! `conf/weir-conf.yaml` against the options in code: the shipped file is exactly what the code
//! generates, every key in it is known, and every default in it is valid and equal to the
//! built-in one.

use std::path::PathBuf;

use weir::config::options::ALL_OPTIONS;
use weir::config::{ConfSearch, ConfigOverrides, Configuration, ValueSource, conf_file_template};

fn shipped_conf_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conf")
}

fn shipped_conf_file() -> String {
    let path = shipped_conf_dir().join("weir-conf.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn the_shipped_conf_file_is_what_the_code_generates() {
    assert!(
        shipped_conf_file() == conf_file_template(),
        "conf/weir-conf.yaml is out of date; regenerate it with \
         `cargo run -p weir -- config --print-defaults-yaml > conf/weir-conf.yaml`"
    );
}

/// The `# key: value` and `# key:` entry lines of the file, uncommented. A key is dotted words
/// (`io.tmp.dirs`), which tells it from comment prose such as `# Accepted: ...`.
fn entry_lines(text: &str) -> Vec<String> {
    let is_key = |key: &str| {
        key.contains('.')
            && key.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
    };
    text.lines()
        .filter_map(|line| line.strip_prefix("# "))
        .filter(|line| {
            line.split_once(':').is_some_and(|(key, rest)| {
                is_key(key) && (rest.is_empty() || rest.starts_with(' '))
            })
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn every_key_is_listed_once_and_its_default_is_valid() {
    let text = shipped_conf_file();
    let entries = entry_lines(&text);
    let keys: Vec<&str> = entries
        .iter()
        .map(|line| line.split(':').next().unwrap())
        .collect();
    let known: Vec<&str> = ALL_OPTIONS.iter().map(|option| option.key()).collect();
    assert_eq!(keys, known, "entry lines:\n{}", entries.join("\n"));

    // Uncommented, the file sets every key with a default to that default.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("weir-conf.yaml"), entries.join("\n")).unwrap();
    let search = ConfSearch {
        conf_dir_env: Some(dir.path().to_path_buf()),
        executable: None,
        working_dir: None,
    };
    let uncommented = Configuration::load_with(&search, &ConfigOverrides::default()).unwrap();
    let defaults = Configuration::defaults();
    for (set, default) in uncommented
        .resolved_options()
        .iter()
        .zip(defaults.resolved_options())
    {
        let key = set.option.key();
        assert_eq!(set.value, default.value, "{key}");
        match set.option.default_text() {
            Some(_) => assert!(
                matches!(set.source, ValueSource::ConfFile { .. }),
                "{key}: {:?}",
                set.source
            ),
            None => assert_eq!(set.source, ValueSource::Default, "{key}"),
        }
    }
}

#[test]
fn the_shipped_file_as_is_changes_nothing() {
    let search = ConfSearch {
        conf_dir_env: Some(shipped_conf_dir()),
        executable: None,
        working_dir: None,
    };
    let config = Configuration::load_with(&search, &ConfigOverrides::default()).unwrap();
    assert!(
        config
            .resolved_options()
            .iter()
            .all(|option| option.source == ValueSource::Default)
    );
}
