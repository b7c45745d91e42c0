//! [`Configuration`]: the resolved value of every option and where it came from.
//!
//! Sources are read in order of precedence, lowest first; a later source overrides an earlier
//! one key by key:
//!
//! ```text
//!  built-in defaults  <  conf/weir-conf.yaml  <  --conf FILE  <  -D key=value
//!  (options.rs)          (conf_dir.rs finds it)   (ConfigOverrides)
//! ```
//!
//! Every entry of every source is checked, including those a later source overrides, and every
//! problem is collected: unknown keys (with a suggestion), values the option's type or range
//! rejects, duplicate keys and YAML problems in a file, `-D` arguments without '=', a missing
//! conf folder. [`Configuration::load`] returns them all at once as
//! [`WeirError::InvalidConfiguration`], or a configuration in which every value is valid, so
//! [`Configuration::get`] cannot fail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::conf_dir::{ConfFileLocation, ConfSearch, locate_conf_file};
use crate::config::config_option::{ConfigOption, OptionDescriptor};
use crate::config::key_suggestion::suggest_key;
use crate::config::option_value::OptionValue;
use crate::config::options::{ALL_OPTIONS, find_option};
use crate::config::raw_entry::{RawEntry, RawValue};
use crate::config::value_source::ValueSource;
use crate::config::yaml_conf_file::{ConfFileRole, read_conf_file};
use crate::error::WeirError;

/// What the command line adds on top of the conf folder's file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigOverrides {
    /// `--conf FILE`: a YAML file applied over `conf/weir-conf.yaml`.
    pub conf_file: Option<PathBuf>,
    /// `-D key=value` arguments as given, applied last in order.
    pub dynamic_properties: Vec<String>,
}

/// A value some source set, already checked against its option.
#[derive(Debug, Clone)]
struct SetValue {
    raw: RawValue,
    /// The canonical text of the parsed value (`1728 mb` → `1728m`).
    text: Option<String>,
    source: ValueSource,
}

/// The resolved configuration: every option's value and its [`ValueSource`].
#[derive(Debug, Clone)]
pub struct Configuration {
    /// The options some source set, by key; all others have their default.
    set_values: BTreeMap<&'static str, SetValue>,
    conf_file: ConfFileLocation,
    conf_argument: Option<PathBuf>,
}

/// One option as `weir config` prints it.
#[derive(Debug, Clone)]
pub struct ResolvedOption {
    pub option: &'static dyn OptionDescriptor,
    /// The value in effect; `None` when it is left to be derived (see
    /// [`OptionDescriptor::derived_default`]).
    pub value: Option<String>,
    pub source: ValueSource,
}

impl Configuration {
    /// Built-in defaults only.
    pub fn defaults() -> Configuration {
        Configuration {
            set_values: BTreeMap::new(),
            conf_file: ConfFileLocation::NotFound {
                searched: Vec::new(),
            },
            conf_argument: None,
        }
    }

    /// Reads the conf folder found from this process (`WEIR_CONF_DIR`, the executable's
    /// location, the working directory), then `overrides`.
    pub fn load(overrides: &ConfigOverrides) -> Result<Configuration, WeirError> {
        Configuration::load_with(&ConfSearch::from_process(), overrides)
    }

    /// [`Configuration::load`] with the conf folder search given explicitly.
    pub fn load_with(
        search: &ConfSearch,
        overrides: &ConfigOverrides,
    ) -> Result<Configuration, WeirError> {
        let mut resolver = Resolver::default();

        let conf_file = locate_conf_file(search).unwrap_or_else(|problem| {
            resolver.problems.push(problem);
            ConfFileLocation::NotFound {
                searched: Vec::new(),
            }
        });
        if let Some(path) = conf_file.path() {
            let contents = read_conf_file(path, ConfFileRole::ConfDir);
            resolver.add_source(contents.entries, contents.problems);
        }
        if let Some(path) = &overrides.conf_file {
            let contents = read_conf_file(path, ConfFileRole::ConfArgument);
            resolver.add_source(contents.entries, contents.problems);
        }
        for argument in &overrides.dynamic_properties {
            match parse_dynamic_property(argument) {
                Ok(entry) => resolver.add_source(vec![entry], Vec::new()),
                Err(problem) => resolver.problems.push(problem),
            }
        }

        WeirError::check_all(resolver.problems)?;
        Ok(Configuration {
            set_values: resolver.set_values,
            conf_file,
            conf_argument: overrides.conf_file.clone(),
        })
    }

    /// Defaults overridden by `(key, value)` pairs, as if each were given with `-D`.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Configuration, WeirError> {
        let entries = pairs
            .into_iter()
            .map(|(key, value)| RawEntry {
                key: key.to_string(),
                value: Some(RawValue::Text(value.to_string())),
                source: ValueSource::DynamicProperty,
            })
            .collect();
        Configuration::from_entries(entries)
    }

    /// Defaults overridden by `entries`, later entries winning.
    pub fn from_entries(entries: Vec<RawEntry>) -> Result<Configuration, WeirError> {
        let mut resolver = Resolver::default();
        resolver.add_source(entries, Vec::new());
        WeirError::check_all(resolver.problems)?;
        Ok(Configuration {
            set_values: resolver.set_values,
            ..Configuration::defaults()
        })
    }

    /// The value of `option`: the one set by the highest source, else its default.
    pub fn get<T: OptionValue>(&self, option: &ConfigOption<T>) -> T {
        match self.set_values.get(option.key) {
            Some(set) => option.parse(&set.raw).unwrap_or_else(|reason| {
                panic!(
                    "{} was checked when the configuration was resolved, yet now fails: {reason}",
                    option.key
                )
            }),
            None => option.default_value(),
        }
    }

    /// Sets `option` from the job program (it wins over every other source, like a setting
    /// in Flink's code over `flink-conf.yaml`).
    pub fn set<T: OptionValue>(&mut self, option: &ConfigOption<T>, value: T) {
        let text = value.to_text();
        self.set_values.insert(
            option.key,
            SetValue {
                raw: RawValue::Text(text.clone().unwrap_or_default()),
                text,
                source: ValueSource::Program,
            },
        );
    }

    /// Where the value of `key` comes from.
    pub fn source(&self, key: &str) -> ValueSource {
        self.set_values
            .get(key)
            .map(|set| set.source.clone())
            .unwrap_or(ValueSource::Default)
    }

    /// Every option with its value and source, in the order of [`ALL_OPTIONS`].
    pub fn resolved_options(&self) -> Vec<ResolvedOption> {
        ALL_OPTIONS
            .iter()
            .map(|&option| match self.set_values.get(option.key()) {
                Some(set) => ResolvedOption {
                    option,
                    value: set.text.clone(),
                    source: set.source.clone(),
                },
                None => ResolvedOption {
                    option,
                    value: option.effective_default_text(),
                    source: ValueSource::Default,
                },
            })
            .collect()
    }

    /// Every value a conf file or `-D` set (defaults left out), as a flat YAML document that
    /// reads back to the same configuration. A per-job YARN cluster ships it to its
    /// ApplicationMaster as the conf file there. Values are single-quoted scalars (`'` doubled),
    /// so any text survives.
    pub fn to_yaml(&self) -> String {
        let mut yaml =
            String::from("# The configuration of the submitting client (set values only).\n");
        for (key, set) in &self.set_values {
            if let Some(text) = &set.text {
                yaml.push_str(key);
                yaml.push_str(": '");
                yaml.push_str(&text.replace('\'', "''"));
                yaml.push_str("'\n");
            }
        }
        yaml
    }

    /// The conf folder's file that was read, or where it was looked for.
    pub fn conf_file(&self) -> &ConfFileLocation {
        &self.conf_file
    }

    /// The file given with `--conf`.
    pub fn conf_argument(&self) -> Option<&Path> {
        self.conf_argument.as_deref()
    }
}

/// `key=value` from a `-D` argument; spaces around key and value are dropped.
pub fn parse_dynamic_property(argument: &str) -> Result<RawEntry, WeirError> {
    match argument.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok(RawEntry {
            key: key.trim().to_string(),
            value: Some(RawValue::Text(value.trim().to_string())),
            source: ValueSource::DynamicProperty,
        }),
        _ => Err(WeirError::MalformedDynamicProperty {
            argument: argument.to_string(),
        }),
    }
}

/// Applies sources in order of precedence, collecting every problem.
#[derive(Debug, Default)]
struct Resolver {
    /// Per key, the last valid value.
    set_values: BTreeMap<&'static str, SetValue>,
    problems: Vec<WeirError>,
}

impl Resolver {
    /// Adds the problems found while reading a source, then checks each of its entries against
    /// the options: unknown keys and rejected values become problems, valid values override.
    fn add_source(&mut self, entries: Vec<RawEntry>, reading_problems: Vec<WeirError>) {
        self.problems.extend(reading_problems);
        for entry in entries {
            self.add_entry(entry);
        }
    }

    fn add_entry(&mut self, entry: RawEntry) {
        let Some(option) = find_option(&entry.key) else {
            let suggestion = suggest_key(&entry.key, ALL_OPTIONS.iter().map(|option| option.key()));
            self.problems.push(WeirError::UnknownKey {
                key: entry.key,
                origin: entry.source,
                suggestion,
            });
            return;
        };
        // `key:` without a value leaves the option as the lower sources have it.
        let Some(raw) = entry.value else {
            return;
        };
        match option.check(&raw) {
            Ok(text) => {
                self.set_values.insert(
                    option.key(),
                    SetValue {
                        raw,
                        text,
                        source: entry.source,
                    },
                );
            }
            Err(reason) => self.problems.push(WeirError::InvalidValue {
                key: option.key(),
                value: raw.to_string(),
                origin: entry.source,
                reason,
                accepted: option.accepted_form(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::conf_dir::CONF_FILE_NAME;
    use crate::config::options::{
        IO_TMP_DIRS, MANAGED_FRACTION, NUMBER_OF_TASK_SLOTS, PROCESS_SIZE, SEGMENT_SIZE,
        TASK_HEAP_SIZE, YARN_APPLICATION_NAME,
    };
    use std::fs;
    use weir_memory::{ByteSize, PageSize};

    /// A conf folder holding `conf_text`, and a search that finds it through `WEIR_CONF_DIR`.
    fn conf_dir(conf_text: &str) -> (tempfile::TempDir, ConfSearch) {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CONF_FILE_NAME), conf_text).unwrap();
        let search = ConfSearch {
            conf_dir_env: Some(dir.path().to_path_buf()),
            executable: None,
            working_dir: None,
        };
        (dir, search)
    }

    fn problems(error: WeirError) -> Vec<String> {
        error.problems().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = Configuration::defaults();
        assert_eq!(config.get(&PROCESS_SIZE), ByteSize::mib(1728));
        assert_eq!(config.get(&MANAGED_FRACTION), 0.4);
        assert_eq!(config.get(&SEGMENT_SIZE), PageSize::DEFAULT);
        assert_eq!(config.get(&NUMBER_OF_TASK_SLOTS), 1);
        assert_eq!(config.get(&TASK_HEAP_SIZE), None);
        assert_eq!(config.get(&IO_TMP_DIRS).paths(), [std::env::temp_dir()]);
        assert_eq!(config.source(PROCESS_SIZE.key), ValueSource::Default);
    }

    #[test]
    fn later_sources_win_and_each_value_remembers_its_source() {
        let (dir, search) = conf_dir(
            "taskmanager.memory.process.size: 2g\n\
             taskmanager.numberOfTaskSlots: 2\n\
             taskmanager.memory.managed.fraction: 0.3\n",
        );
        let extra = dir.path().join("extra.yaml");
        fs::write(
            &extra,
            "taskmanager.numberOfTaskSlots: 3\ntaskmanager.memory.process.size: 3g\n",
        )
        .unwrap();
        let overrides = ConfigOverrides {
            conf_file: Some(extra.clone()),
            dynamic_properties: vec![
                "taskmanager.memory.process.size=4g".to_string(),
                " taskmanager.memory.process.size = 5g ".to_string(),
            ],
        };
        let config = Configuration::load_with(&search, &overrides).unwrap();
        let conf_path = dir.path().join(CONF_FILE_NAME);

        assert_eq!(config.get(&PROCESS_SIZE), ByteSize::gib(5));
        assert_eq!(
            config.source(PROCESS_SIZE.key),
            ValueSource::DynamicProperty
        );
        assert_eq!(config.get(&NUMBER_OF_TASK_SLOTS), 3);
        assert_eq!(
            config.source(NUMBER_OF_TASK_SLOTS.key),
            ValueSource::ConfArgument {
                path: extra.clone(),
                line: 1
            }
        );
        assert_eq!(config.get(&MANAGED_FRACTION), 0.3);
        assert_eq!(
            config.source(MANAGED_FRACTION.key).to_string(),
            format!("{}:3", conf_path.display())
        );
        assert_eq!(config.get(&SEGMENT_SIZE), PageSize::DEFAULT);
        assert_eq!(config.conf_file().path(), Some(conf_path.as_path()));
        assert_eq!(config.conf_argument(), Some(extra.as_path()));
    }

    #[test]
    fn nested_and_flat_files_resolve_alike() {
        let (_flat_dir, flat) = conf_dir(
            "taskmanager.memory.process.size: 2g\ntaskmanager.memory.managed.fraction: 0.25\n",
        );
        let (_nested_dir, nested) = conf_dir(
            "taskmanager:\n  memory:\n    process.size: 2g\n    managed:\n      fraction: 0.25\n",
        );
        for search in [flat, nested] {
            let config = Configuration::load_with(&search, &ConfigOverrides::default()).unwrap();
            assert_eq!(config.get(&PROCESS_SIZE), ByteSize::gib(2));
            assert_eq!(config.get(&MANAGED_FRACTION), 0.25);
        }
    }

    #[test]
    fn resolved_options_list_every_option_with_canonical_values() {
        let config = Configuration::from_pairs([
            ("taskmanager.memory.process.size", "2048 mb"),
            ("io.tmp.dirs", "/a, /b"),
        ])
        .unwrap();
        let resolved = config.resolved_options();
        assert_eq!(resolved.len(), ALL_OPTIONS.len());
        let find = |key: &str| {
            resolved
                .iter()
                .find(|option| option.option.key() == key)
                .unwrap()
        };
        assert_eq!(find(PROCESS_SIZE.key).value.as_deref(), Some("2g"));
        assert_eq!(find(PROCESS_SIZE.key).source, ValueSource::DynamicProperty);
        assert_eq!(find(IO_TMP_DIRS.key).value.as_deref(), Some("/a,/b"));
        assert_eq!(find(TASK_HEAP_SIZE.key).value, None);
        assert_eq!(find(MANAGED_FRACTION.key).value.as_deref(), Some("0.4"));
        assert_eq!(find(MANAGED_FRACTION.key).source, ValueSource::Default);
    }

    #[test]
    fn reports_every_problem_of_every_source_at_once() {
        let (dir, search) = conf_dir(
            "taskmanager.memory.proces.size: 2g\n\
             taskmanager.memory.managed.fraction: 1.5\n\
             taskmanager.memory.segment-size: 48k\n\
             taskmanager.numberOfTaskSlots: 2\n\
             taskmanager:\n  numberOfTaskSlots: 3\n",
        );
        let extra = dir.path().join("extra.yaml");
        fs::write(&extra, "io.tmp.dirs: ','\n").unwrap();
        let overrides = ConfigOverrides {
            conf_file: Some(extra.clone()),
            dynamic_properties: vec![
                "taskmanager.memory.process.size".to_string(),
                "taskmanager.memory.process.size=12 parsecs".to_string(),
            ],
        };
        let error = Configuration::load_with(&search, &overrides).unwrap_err();
        let conf = dir.path().join(CONF_FILE_NAME).display().to_string();
        let extra = extra.display().to_string();
        assert_eq!(
            problems(error),
            [
                format!("{conf}:6: duplicate key 'taskmanager.numberOfTaskSlots', already set at {conf}:4"),
                format!("{conf}:1: unknown key 'taskmanager.memory.proces.size'; did you mean 'taskmanager.memory.process.size'?"),
                format!("{conf}:2: taskmanager.memory.managed.fraction: invalid value '1.5' (too large); expected a decimal number in [0, 1)"),
                format!("{conf}:3: taskmanager.memory.segment-size: invalid value '48k' (not a power of two from 4k to 1m); expected a memory size that is a power of two from 4k to 1m, such as 32k"),
                format!("--conf {extra}:1: io.tmp.dirs: invalid value ',' (no directory given); expected a list of directories: a YAML list, or paths separated by ',' or ':'"),
                "-D 'taskmanager.memory.process.size' is not of the form key=value".to_string(),
                "-D: taskmanager.memory.process.size: invalid value '12 parsecs' (unknown unit); expected a memory size such as 512m, 1g or 64kb (units b, k, m, g, t)".to_string(),
            ]
        );
    }

    #[test]
    fn a_missing_conf_argument_is_reported_with_the_other_problems() {
        let (dir, search) = conf_dir("");
        let missing = dir.path().join("missing.yaml");
        let overrides = ConfigOverrides {
            conf_file: Some(missing.clone()),
            dynamic_properties: vec!["nope=1".to_string()],
        };
        let problems = problems(Configuration::load_with(&search, &overrides).unwrap_err());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with(&format!("cannot read conf file {}", missing.display())));
        assert_eq!(problems[1], "-D: unknown key 'nope'");
    }

    #[test]
    fn a_key_without_a_value_keeps_the_lower_value() {
        let (_dir, search) =
            conf_dir("taskmanager.memory.process.size:\ntaskmanager.memory.task.heap.size: ~\n");
        let config = Configuration::load_with(&search, &ConfigOverrides::default()).unwrap();
        assert_eq!(config.get(&PROCESS_SIZE), ByteSize::mib(1728));
        assert_eq!(config.source(PROCESS_SIZE.key), ValueSource::Default);
        assert_eq!(config.get(&TASK_HEAP_SIZE), None);
    }

    #[test]
    fn dynamic_properties_need_an_equals_sign_and_a_key() {
        let entry = parse_dynamic_property("io.tmp.dirs=/a=b").unwrap();
        assert_eq!(entry.key, "io.tmp.dirs");
        assert_eq!(entry.value, Some(RawValue::Text("/a=b".to_string())));
        for bad in ["taskmanager.numberOfTaskSlots", "=4", " = 4", ""] {
            assert!(
                matches!(
                    parse_dynamic_property(bad),
                    Err(WeirError::MalformedDynamicProperty { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn yaml_scalars_of_every_type_are_parsed_by_the_option() {
        let (_dir, search) = conf_dir(
            "taskmanager.numberOfTaskSlots: 4\n\
             taskmanager.memory.managed.fraction: 0.25\n\
             taskmanager.memory.process.size: 1073741824\n\
             io.tmp.dirs: [/x, /y]\n",
        );
        let config = Configuration::load_with(&search, &ConfigOverrides::default()).unwrap();
        assert_eq!(config.get(&NUMBER_OF_TASK_SLOTS), 4);
        assert_eq!(config.get(&MANAGED_FRACTION), 0.25);
        assert_eq!(config.get(&PROCESS_SIZE), ByteSize::gib(1));
        assert_eq!(config.get(&IO_TMP_DIRS).to_string(), "/x,/y");
    }

    #[test]
    fn set_values_round_trip_through_yaml() {
        let config = Configuration::from_pairs([
            ("taskmanager.memory.process.size", "1 g"),
            ("io.tmp.dirs", "/x:/y"),
            ("yarn.application.name", "it's a 'test': #1"),
        ])
        .unwrap();
        let yaml = config.to_yaml();
        assert!(!yaml.contains("numberOfTaskSlots"), "{yaml}");
        let (_dir, search) = conf_dir(&yaml);
        let read = Configuration::load_with(&search, &ConfigOverrides::default()).unwrap();
        assert_eq!(read.get(&PROCESS_SIZE), ByteSize::gib(1));
        assert_eq!(read.get(&IO_TMP_DIRS).to_string(), "/x,/y");
        assert_eq!(
            read.get(&YARN_APPLICATION_NAME).as_deref(),
            Some("it's a 'test': #1")
        );
        assert_eq!(read.get(&NUMBER_OF_TASK_SLOTS), 1);
    }
}
