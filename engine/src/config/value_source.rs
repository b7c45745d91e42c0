//! [`ValueSource`]: where a configuration value came from, printed beside every value and
//! every problem so a user can find the line to change.

use std::fmt;
use std::path::PathBuf;

/// The layer and position a value was read from, lowest precedence first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueSource {
    /// The built-in default of the option.
    Default,
    /// A line of the conf folder's `weir-conf.yaml`.
    ConfFile { path: PathBuf, line: usize },
    /// A line of the file given with `--conf FILE`.
    ConfArgument { path: PathBuf, line: usize },
    /// A `-D key=value` argument.
    DynamicProperty,
    /// The job program (`env.enable_checkpointing(..)`, `env.set_max_parallelism(..)`).
    Program,
}

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueSource::Default => f.write_str("default"),
            ValueSource::ConfFile { path, line } => write!(f, "{}:{line}", path.display()),
            ValueSource::ConfArgument { path, line } => {
                write!(f, "--conf {}:{line}", path.display())
            }
            ValueSource::DynamicProperty => f.write_str("-D"),
            ValueSource::Program => f.write_str("the program"),
        }
    }
}
