//! [`RawEntry`]: one `key: value` as a source wrote it, before it is checked against the
//! options. Every source (conf file, `--conf` file, `-D`) is turned into a list of these.

use std::fmt;

use crate::config::value_source::ValueSource;

/// A value as written: YAML scalars of every type (int, float, bool, string) are kept as their
/// text and parsed by the option's type; a YAML list keeps its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    Text(String),
    List(Vec<String>),
}

impl fmt::Display for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawValue::Text(text) => f.write_str(text),
            RawValue::List(items) => write!(f, "[{}]", items.join(", ")),
        }
    }
}

/// One `key: value` with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// The full dotted key; nested YAML maps are joined with '.'.
    pub key: String,
    /// `None` for a key written without a value (`key:` or `key: ~`), which leaves the option
    /// at its default.
    pub value: Option<RawValue>,
    pub source: ValueSource,
}
