//! Configuration: every key Weir reads, its sources and their precedence.
//!
//! ```text
//!   options.rs           every key, once: type, default, accepted range, doc
//!        │
//!        ▼
//!   built-in defaults < conf/weir-conf.yaml < --conf FILE < -D key=value
//!                        (conf_dir.rs finds it; yaml_conf_file.rs reads it with lines)
//!        │
//!        ▼
//!   Configuration        every value checked, each with its ValueSource;
//!                        all problems of all sources reported at once
//! ```
//!
//! `conf/weir-conf.yaml` is generated from the options (`conf_file_template.rs`), and a test
//! compares the shipped file with it, so the file and the code cannot drift apart.

mod conf_dir;
mod conf_file_template;
mod config_option;
mod configuration;
mod duration;
mod key_suggestion;
mod option_value;
pub mod options;
mod path_list;
mod raw_entry;
mod value_source;
mod yaml_conf_file;

pub use conf_dir::{
    CONF_DIR_ENV, CONF_FILE_NAME, ConfDirChoice, ConfFileLocation, ConfSearch, locate_conf_file,
};
pub use conf_file_template::conf_file_template;
pub use config_option::{ConfigOption, OptionDefault, OptionDescriptor, ValueRange};
pub use configuration::{ConfigOverrides, Configuration, ResolvedOption, parse_dynamic_property};
pub use duration::{DURATION_FORM, format_duration, parse_duration};
pub use option_value::{
    BatchShuffleMode, CheckpointingMode, OptionValue, RestartStrategyType, StateBackendType,
};
pub use path_list::PathList;
pub use raw_entry::{RawEntry, RawValue};
pub use value_source::ValueSource;
