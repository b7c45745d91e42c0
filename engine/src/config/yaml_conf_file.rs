//! Reading a YAML conf file into flat [`RawEntry`]s, each with its file and line.
//!
//! Flink's flat form and nested maps are both accepted and mean the same; nested keys are joined
//! with '.':
//!
//! ```yaml
//! taskmanager.memory.process.size: 1728m      # flat
//! taskmanager:                                # nested: taskmanager.memory.managed.fraction
//!   memory:
//!     managed:
//!       fraction: 0.4
//! io.tmp.dirs: [/data1/tmp, /data2/tmp]       # a list (only list options accept one)
//! ```
//!
//! The file is read with saphyr's event parser rather than into a tree, because only the events
//! keep what the messages need: the line of every key, both lines of a duplicate key (a tree
//! keeps one), and every scalar's original text (`0.40` stays `0.40`, `1728m` stays a string),
//! which the option's type then parses. The receiver keeps a stack of open maps and lists:
//!
//! ```text
//!  MappingStart ──> push Map{prefix}          Scalar in key position   ──> pending key = prefix.key
//!  SequenceStart ─> push List{key}            Scalar in value position ──> entry(pending key, text)
//!  MappingEnd ────> pop                       Scalar in a List         ──> list item
//!  SequenceEnd ───> pop, entry(key, items)    anything else (aliases, maps in lists, lists of
//!                                             lists, complex keys) ──> problem, subtree skipped
//! ```
//!
//! Problems are collected, not returned at the first: a YAML syntax error ends the file (the
//! parser cannot go on), every other problem is reported with the rest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use saphyr_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};

use crate::config::raw_entry::{RawEntry, RawValue};
use crate::config::value_source::ValueSource;
use crate::error::WeirError;

/// Which layer a conf file belongs to; decides the [`ValueSource`] of its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfFileRole {
    /// `weir-conf.yaml` of the conf folder.
    ConfDir,
    /// The file given with `--conf FILE`.
    ConfArgument,
}

impl ConfFileRole {
    fn source(self, path: &Path, line: usize) -> ValueSource {
        let path = path.to_path_buf();
        match self {
            ConfFileRole::ConfDir => ValueSource::ConfFile { path, line },
            ConfFileRole::ConfArgument => ValueSource::ConfArgument { path, line },
        }
    }
}

/// What a conf file holds: its entries in file order, and every problem found in it.
#[derive(Debug, Default)]
pub struct ConfFileContents {
    pub entries: Vec<RawEntry>,
    pub problems: Vec<WeirError>,
}

/// Reads and flattens the conf file at `path`.
pub fn read_conf_file(path: &Path, role: ConfFileRole) -> ConfFileContents {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_conf_yaml(&text, path, role),
        Err(source) => ConfFileContents {
            entries: Vec::new(),
            problems: vec![WeirError::ReadConfFile {
                path: path.to_path_buf(),
                source,
            }],
        },
    }
}

/// Flattens the YAML `text`; `path` is only used to name the file in sources and problems.
pub fn parse_conf_yaml(text: &str, path: &Path, role: ConfFileRole) -> ConfFileContents {
    let mut receiver = FlatteningReceiver::new(path, role);
    let mut parser = Parser::new_from_str(text);
    if let Err(error) = parser.load(&mut receiver, true) {
        return ConfFileContents {
            entries: Vec::new(),
            problems: vec![WeirError::YamlSyntax {
                path: path.to_path_buf(),
                line: error.marker().line(),
                column: error.marker().col() + 1,
                message: error.info().to_string(),
            }],
        };
    }
    ConfFileContents {
        entries: receiver.entries,
        problems: receiver.problems,
    }
}

/// An open collection.
enum Frame {
    /// A map whose keys get `prefix` (with a '.') in front; `pending_key` is the key waiting for
    /// its value.
    Map {
        prefix: String,
        pending_key: Option<PendingKey>,
    },
    /// A list that is the value of `key`.
    List {
        key: String,
        line: usize,
        items: Vec<String>,
    },
}

struct PendingKey {
    /// `None` for a key that was rejected: its value is skipped.
    key: Option<String>,
    line: usize,
}

/// Builds flat entries from parser events; see the module docs.
struct FlatteningReceiver<'a> {
    path: &'a Path,
    role: ConfFileRole,
    stack: Vec<Frame>,
    /// Depth inside a rejected collection whose events are skipped.
    skip_depth: usize,
    documents: usize,
    /// Whether a second document was met; everything from there on is ignored.
    ignore_rest: bool,
    first_line_of_key: HashMap<String, usize>,
    entries: Vec<RawEntry>,
    problems: Vec<WeirError>,
}

impl<'a> FlatteningReceiver<'a> {
    fn new(path: &'a Path, role: ConfFileRole) -> Self {
        FlatteningReceiver {
            path,
            role,
            stack: Vec::new(),
            skip_depth: 0,
            documents: 0,
            ignore_rest: false,
            first_line_of_key: HashMap::new(),
            entries: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn unsupported(&mut self, line: usize, construct: &'static str) {
        self.problems.push(WeirError::UnsupportedYaml {
            path: PathBuf::from(self.path),
            line,
            construct,
        });
    }

    /// Records a finished `key: value`, or a duplicate-key problem naming both lines.
    fn add_entry(&mut self, key: String, value: Option<RawValue>, line: usize) {
        if let Some(&first_line) = self.first_line_of_key.get(&key) {
            self.problems.push(WeirError::DuplicateKey {
                key,
                first: self.role.source(self.path, first_line),
                second: self.role.source(self.path, line),
            });
            return;
        }
        self.first_line_of_key.insert(key.clone(), line);
        self.entries.push(RawEntry {
            key,
            value,
            source: self.role.source(self.path, line),
        });
    }

    /// Takes the pending key of the innermost map if a value is expected there; `None` when
    /// the innermost frame is a list, or a map waiting for a key.
    fn take_pending_key(&mut self) -> Option<PendingKey> {
        match self.stack.last_mut() {
            Some(Frame::Map { pending_key, .. }) => pending_key.take(),
            _ => None,
        }
    }

    fn in_key_position(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending_key: None,
                ..
            })
        )
    }

    /// A node that is not allowed where it is: report it, keep the map in step (a rejected key
    /// swallows its value) and skip its subtree if it is a collection.
    fn reject_node(&mut self, line: usize, construct: &'static str, is_collection: bool) {
        self.unsupported(line, construct);
        if self.in_key_position() {
            if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
                *pending_key = Some(PendingKey { key: None, line });
            }
        } else {
            self.take_pending_key();
        }
        if is_collection {
            self.skip_depth = 1;
        }
    }

    fn on_scalar(&mut self, text: &str, style: ScalarStyle, line: usize) {
        let is_null =
            style == ScalarStyle::Plain && matches!(text, "" | "~" | "null" | "Null" | "NULL");
        match self.stack.last_mut() {
            None => {
                if !is_null {
                    self.unsupported(line, "a document that is a single value");
                }
            }
            Some(Frame::List { items, .. }) => {
                if !is_null {
                    items.push(text.to_string());
                }
            }
            Some(Frame::Map {
                prefix,
                pending_key,
            }) => match pending_key.take() {
                None => {
                    let key = if prefix.is_empty() {
                        text.to_string()
                    } else {
                        format!("{prefix}.{text}")
                    };
                    *pending_key = Some(PendingKey {
                        key: Some(key),
                        line,
                    });
                }
                Some(PendingKey { key: None, .. }) => {}
                Some(PendingKey {
                    key: Some(key),
                    line: key_line,
                }) => {
                    let value = (!is_null).then(|| RawValue::Text(text.to_string()));
                    self.add_entry(key, value, key_line);
                }
            },
        }
    }

    fn on_mapping_start(&mut self, line: usize) {
        if self.stack.is_empty() {
            self.stack.push(Frame::Map {
                prefix: String::new(),
                pending_key: None,
            });
        } else if matches!(self.stack.last(), Some(Frame::List { .. })) {
            self.reject_node(line, "a map inside a list", true);
        } else if self.in_key_position() {
            self.reject_node(line, "a map used as a key", true);
        } else {
            match self.take_pending_key() {
                Some(PendingKey {
                    key: Some(prefix), ..
                }) => self.stack.push(Frame::Map {
                    prefix,
                    pending_key: None,
                }),
                _ => self.skip_depth = 1,
            }
        }
    }

    fn on_sequence_start(&mut self, line: usize) {
        if self.stack.is_empty() {
            self.reject_node(line, "a list at the top level", true);
        } else if matches!(self.stack.last(), Some(Frame::List { .. })) {
            self.reject_node(line, "a list inside a list", true);
        } else if self.in_key_position() {
            self.reject_node(line, "a list used as a key", true);
        } else {
            match self.take_pending_key() {
                Some(PendingKey {
                    key: Some(key),
                    line: key_line,
                }) => self.stack.push(Frame::List {
                    key,
                    line: key_line,
                    items: Vec::new(),
                }),
                _ => self.skip_depth = 1,
            }
        }
    }

    fn on_collection_end(&mut self) {
        if let Some(Frame::List { key, line, items }) = self.stack.pop() {
            self.add_entry(key, Some(RawValue::List(items)), line);
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for FlatteningReceiver<'_> {
    fn on_event(&mut self, event: Event<'input>, span: Span) {
        let line = span.start.line();
        if self.ignore_rest {
            return;
        }
        if self.skip_depth > 0 {
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) => self.skip_depth += 1,
                Event::MappingEnd | Event::SequenceEnd => self.skip_depth -= 1,
                _ => {}
            }
            return;
        }
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.unsupported(line, "a second YAML document (---)");
                    self.ignore_rest = true;
                }
            }
            Event::Scalar(text, style, _anchor, _tag) => self.on_scalar(&text, style, line),
            Event::Alias(_) => self.reject_node(line, "an alias (*name)", false),
            Event::MappingStart(..) => self.on_mapping_start(line),
            Event::SequenceStart(..) => self.on_sequence_start(line),
            Event::MappingEnd | Event::SequenceEnd => self.on_collection_end(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConfFileContents {
        parse_conf_yaml(
            text,
            Path::new("/conf/weir-conf.yaml"),
            ConfFileRole::ConfDir,
        )
    }

    /// (key, value text, line) of every entry.
    fn entries(contents: &ConfFileContents) -> Vec<(String, Option<String>, usize)> {
        contents
            .entries
            .iter()
            .map(|entry| {
                let ValueSource::ConfFile { line, .. } = entry.source else {
                    panic!("unexpected source {:?}", entry.source)
                };
                (
                    entry.key.clone(),
                    entry.value.as_ref().map(ToString::to_string),
                    line,
                )
            })
            .collect()
    }

    fn messages(contents: &ConfFileContents) -> Vec<String> {
        contents.problems.iter().map(ToString::to_string).collect()
    }

    fn entry(key: &str, value: &str, line: usize) -> (String, Option<String>, usize) {
        (key.to_string(), Some(value.to_string()), line)
    }

    #[test]
    fn reads_the_flat_form_with_lines() {
        let contents = parse(
            "# comment\n\
             taskmanager.memory.process.size: 1728m\n\
             \n\
             taskmanager.memory.managed.fraction: 0.40\n\
             taskmanager.numberOfTaskSlots: 4\n",
        );
        assert!(contents.problems.is_empty(), "{:?}", messages(&contents));
        assert_eq!(
            entries(&contents),
            [
                entry("taskmanager.memory.process.size", "1728m", 2),
                entry("taskmanager.memory.managed.fraction", "0.40", 4),
                entry("taskmanager.numberOfTaskSlots", "4", 5),
            ]
        );
    }

    #[test]
    fn flattens_nested_maps_like_the_flat_form() {
        let nested = parse(
            "taskmanager:\n\
             \x20 memory:\n\
             \x20   process:\n\
             \x20     size: 1728m\n\
             \x20   managed.fraction: 0.4\n\
             \x20 numberOfTaskSlots: 2\n\
             io: {tmp: {dirs: /tmp}}\n",
        );
        assert!(nested.problems.is_empty(), "{:?}", messages(&nested));
        assert_eq!(
            entries(&nested),
            [
                entry("taskmanager.memory.process.size", "1728m", 4),
                entry("taskmanager.memory.managed.fraction", "0.4", 5),
                entry("taskmanager.numberOfTaskSlots", "2", 6),
                entry("io.tmp.dirs", "/tmp", 7),
            ]
        );
    }

    #[test]
    fn keeps_scalars_of_every_type_as_written() {
        let contents = parse("a: 0x10\nb: 1_000\nc: true\nd: '012'\ne: 1e3\nf: \"x y\"\n");
        let values: Vec<_> = entries(&contents)
            .into_iter()
            .map(|(_, value, _)| value.unwrap())
            .collect();
        assert_eq!(values, ["0x10", "1_000", "true", "012", "1e3", "x y"]);
    }

    #[test]
    fn reads_lists_and_empty_values() {
        let contents = parse(
            "io.tmp.dirs:\n  - /data1\n  - /data2\n\
             other: [a, b]\n\
             taskmanager.memory.task.heap.size:\n\
             tilde: ~\n",
        );
        assert!(contents.problems.is_empty(), "{:?}", messages(&contents));
        assert_eq!(
            entries(&contents),
            [
                entry("io.tmp.dirs", "[/data1, /data2]", 1),
                entry("other", "[a, b]", 4),
                ("taskmanager.memory.task.heap.size".to_string(), None, 5),
                ("tilde".to_string(), None, 6),
            ]
        );
    }

    #[test]
    fn an_empty_or_comment_only_file_has_no_entries() {
        for text in ["", "# only a comment\n", "---\n"] {
            let contents = parse(text);
            assert!(
                contents.entries.is_empty() && contents.problems.is_empty(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn duplicate_keys_name_both_lines() {
        let contents = parse(
            "taskmanager.memory.process.size: 1g\n\
             taskmanager:\n\
             \x20 memory.process.size: 2g\n\
             a: 1\n\
             a: 2\n",
        );
        assert_eq!(
            messages(&contents),
            [
                "/conf/weir-conf.yaml:3: duplicate key 'taskmanager.memory.process.size', already set at /conf/weir-conf.yaml:1",
                "/conf/weir-conf.yaml:5: duplicate key 'a', already set at /conf/weir-conf.yaml:4",
            ]
        );
        // The first value is kept.
        assert_eq!(
            entries(&contents)[0],
            entry("taskmanager.memory.process.size", "1g", 1)
        );
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let contents = parse("a: 1\nb: [1, 2\nc: 3\n");
        let problems = messages(&contents);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("/conf/weir-conf.yaml:")
                && problems[0].contains("YAML syntax error"),
            "{problems:?}"
        );
        let contents = parse("a: 1\n  b: 2\n");
        assert!(
            messages(&contents)[0].starts_with("/conf/weir-conf.yaml:2:"),
            "{:?}",
            messages(&contents)
        );
    }

    #[test]
    fn unsupported_shapes_are_all_reported_and_skipped() {
        let contents = parse(
            "a: &anchor 1\n\
             b: *anchor\n\
             c: [[1, 2], 3]\n\
             d:\n  - {x: 1}\n\
             ? [k]\n: v\n\
             e: 5\n",
        );
        assert_eq!(
            messages(&contents),
            [
                "/conf/weir-conf.yaml:2: an alias (*name) is not supported in a conf file; write `key: value` lines or nested maps of them",
                "/conf/weir-conf.yaml:3: a list inside a list is not supported in a conf file; write `key: value` lines or nested maps of them",
                "/conf/weir-conf.yaml:5: a map inside a list is not supported in a conf file; write `key: value` lines or nested maps of them",
                "/conf/weir-conf.yaml:6: a list used as a key is not supported in a conf file; write `key: value` lines or nested maps of them",
            ]
        );
        assert_eq!(
            entries(&contents),
            [
                entry("a", "1", 1),
                entry("c", "[3]", 3),
                entry("d", "[]", 4),
                entry("e", "5", 8),
            ]
        );
    }

    #[test]
    fn a_top_level_list_or_scalar_or_second_document_is_rejected() {
        assert!(messages(&parse("- a\n- b\n"))[0].contains(":1: a list at the top level"));
        assert!(
            messages(&parse("just text\n"))[0].contains(":1: a document that is a single value")
        );
        let two = parse("a: 1\n---\nb: 2\n");
        assert!(
            messages(&two)[0].contains(":2: a second YAML document"),
            "{:?}",
            messages(&two)
        );
        assert_eq!(entries(&two), [entry("a", "1", 1)]);
    }

    #[test]
    fn a_missing_file_is_a_problem_naming_it() {
        let contents = read_conf_file(
            Path::new("/no/such/weir-conf.yaml"),
            ConfFileRole::ConfArgument,
        );
        assert!(
            messages(&contents)[0].starts_with("cannot read conf file /no/such/weir-conf.yaml: ")
        );
    }

    #[test]
    fn the_conf_argument_role_marks_its_entries() {
        let contents = parse_conf_yaml("a: 1\n", Path::new("x.yaml"), ConfFileRole::ConfArgument);
        assert_eq!(contents.entries[0].source.to_string(), "--conf x.yaml:1");
    }
}
