//! [`ConfigOption`]: one configuration key with its type, default, accepted range and doc,
//! defined once in [`crate::config::options`] and used for reading values, for `weir config`
//! and for writing `conf/weir-conf.yaml`.
//!
//! Code reads a typed value with `configuration.get(&options::PROCESS_SIZE)`; code that treats
//! every option alike (validation, printing) goes through the type-erased
//! [`OptionDescriptor`].

use std::fmt;
use std::ops::Bound;

use crate::config::option_value::OptionValue;
use crate::config::raw_entry::RawValue;

/// A configuration key and everything known about it.
pub struct ConfigOption<T: OptionValue> {
    /// Flink's key name, e.g. `taskmanager.memory.process.size`.
    pub key: &'static str,
    pub default: OptionDefault<T>,
    /// The values accepted beyond what the type accepts.
    pub range: ValueRange<T>,
    /// What the option does, for people; written above the key in the conf file.
    pub doc: &'static str,
}

/// The value an option has when no source sets it.
#[derive(Debug)]
pub enum OptionDefault<T: 'static> {
    /// A fixed value: listed in the conf file as `# key: value`.
    Fixed(T),
    /// No fixed value: `how` says how it is derived (printed in the conf file and by
    /// `weir config`) and `value` computes it when the configuration is read. For `Option<_>`
    /// options `value` gives `None` and the consumer derives the value (e.g. the memory plan).
    Derived { how: &'static str, value: fn() -> T },
}

/// The accepted values of an ordered type, as two bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueRange<T> {
    pub min: Bound<T>,
    pub max: Bound<T>,
}

impl<T> ValueRange<T> {
    /// No restriction beyond the type.
    pub const ANY: ValueRange<T> = ValueRange {
        min: Bound::Unbounded,
        max: Bound::Unbounded,
    };
}

impl<T: OptionValue> ValueRange<T> {
    /// Why `value` is outside the range, if it is.
    fn check(&self, value: &T) -> Result<(), &'static str> {
        let too_small = match &self.min {
            Bound::Included(min) => value < min,
            Bound::Excluded(min) => value <= min,
            Bound::Unbounded => false,
        };
        let too_large = match &self.max {
            Bound::Included(max) => value > max,
            Bound::Excluded(max) => value >= max,
            Bound::Unbounded => false,
        };
        if too_small {
            Err("too small")
        } else if too_large {
            Err("too large")
        } else {
            Ok(())
        }
    }

    /// The range as text, starting with a space: `" >= 1"`, `" in [0, 1)"`, or `""`.
    fn describe(&self) -> String {
        let text = |value: &T| value.to_text().unwrap_or_default();
        match (&self.min, &self.max) {
            (Bound::Unbounded, Bound::Unbounded) => String::new(),
            (Bound::Included(min), Bound::Unbounded) => format!(" >= {}", text(min)),
            (Bound::Excluded(min), Bound::Unbounded) => format!(" > {}", text(min)),
            (Bound::Unbounded, Bound::Included(max)) => format!(" <= {}", text(max)),
            (Bound::Unbounded, Bound::Excluded(max)) => format!(" < {}", text(max)),
            (min, max) => {
                let (open, min) = match min {
                    Bound::Included(min) => ('[', min),
                    Bound::Excluded(min) => ('(', min),
                    Bound::Unbounded => unreachable!("matched above"),
                };
                let (close, max) = match max {
                    Bound::Included(max) => (']', max),
                    Bound::Excluded(max) => (')', max),
                    Bound::Unbounded => unreachable!("matched above"),
                };
                format!(" in {open}{}, {}{close}", text(min), text(max))
            }
        }
    }
}

impl<T: OptionValue> ConfigOption<T> {
    /// The value when no source sets the key.
    pub fn default_value(&self) -> T {
        match &self.default {
            OptionDefault::Fixed(value) => value.clone(),
            OptionDefault::Derived { value, .. } => value(),
        }
    }

    /// Reads a raw value: the type's syntax, then the range.
    pub fn parse(&self, raw: &RawValue) -> Result<T, &'static str> {
        let value = T::parse_raw(raw)?;
        self.range.check(&value)?;
        Ok(value)
    }
}

impl<T: OptionValue> fmt::Debug for ConfigOption<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigOption")
            .field("key", &self.key)
            .field("default", &self.default_text())
            .finish_non_exhaustive()
    }
}

/// What validation and printing need to know about an option, whatever its type.
pub trait OptionDescriptor: fmt::Debug + Sync {
    fn key(&self) -> &'static str;

    fn doc(&self) -> &'static str;

    /// Completes "expected ...": the type's form and the range, e.g. "a decimal number in [0, 1)".
    fn accepted_form(&self) -> String;

    /// The fixed default in canonical text; `None` when the default is derived.
    fn default_text(&self) -> Option<String>;

    /// How the value is derived when the option has no fixed default.
    fn derived_default(&self) -> Option<&'static str>;

    /// The text of the value in effect when no source sets the key (a computed default
    /// included); `None` when it is left to the consumer to derive.
    fn effective_default_text(&self) -> Option<String>;

    /// Checks a raw value; returns its canonical text or the reason it was rejected.
    fn check(&self, raw: &RawValue) -> Result<Option<String>, &'static str>;
}

impl<T: OptionValue> OptionDescriptor for ConfigOption<T> {
    fn key(&self) -> &'static str {
        self.key
    }

    fn doc(&self) -> &'static str {
        self.doc
    }

    fn accepted_form(&self) -> String {
        format!("{}{}", T::FORM, self.range.describe())
    }

    fn default_text(&self) -> Option<String> {
        match &self.default {
            OptionDefault::Fixed(value) => value.to_text(),
            OptionDefault::Derived { .. } => None,
        }
    }

    fn derived_default(&self) -> Option<&'static str> {
        match &self.default {
            OptionDefault::Fixed(_) => None,
            OptionDefault::Derived { how, .. } => Some(how),
        }
    }

    fn effective_default_text(&self) -> Option<String> {
        self.default_value().to_text()
    }

    fn check(&self, raw: &RawValue) -> Result<Option<String>, &'static str> {
        self.parse(raw).map(|value| value.to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_memory::ByteSize;

    const FRACTION: ConfigOption<f64> = ConfigOption {
        key: "test.fraction",
        default: OptionDefault::Fixed(0.25),
        range: ValueRange {
            min: Bound::Included(0.0),
            max: Bound::Excluded(1.0),
        },
        doc: "A fraction.",
    };

    const SLOTS: ConfigOption<u32> = ConfigOption {
        key: "test.slots",
        default: OptionDefault::Fixed(1),
        range: ValueRange {
            min: Bound::Included(1),
            max: Bound::Unbounded,
        },
        doc: "Slots.",
    };

    const DERIVED_SIZE: ConfigOption<Option<ByteSize>> = ConfigOption {
        key: "test.size",
        default: OptionDefault::Derived {
            how: "the rest",
            value: || None,
        },
        range: ValueRange::ANY,
        doc: "A size.",
    };

    fn text(value: &str) -> RawValue {
        RawValue::Text(value.to_string())
    }

    #[test]
    fn floats_are_checked_against_their_range() {
        assert_eq!(FRACTION.parse(&text("0")), Ok(0.0));
        assert_eq!(FRACTION.parse(&text("0.99")), Ok(0.99));
        assert_eq!(FRACTION.parse(&text("1")), Err("too large"));
        assert_eq!(FRACTION.parse(&text("-0.1")), Err("too small"));
        assert_eq!(FRACTION.parse(&text("x")), Err("not a decimal number"));
        assert_eq!(FRACTION.accepted_form(), "a decimal number in [0, 1)");
    }

    #[test]
    fn ints_are_checked_against_their_range() {
        assert_eq!(SLOTS.parse(&text("8")), Ok(8));
        assert_eq!(SLOTS.parse(&text("0")), Err("too small"));
        assert_eq!(SLOTS.accepted_form(), "a whole number >= 1");
        assert_eq!(SLOTS.check(&text("08")), Ok(Some("8".to_string())));
    }

    #[test]
    fn fixed_and_derived_defaults() {
        assert_eq!(FRACTION.default_text().as_deref(), Some("0.25"));
        assert_eq!(FRACTION.derived_default(), None);
        assert_eq!(DERIVED_SIZE.default_text(), None);
        assert_eq!(DERIVED_SIZE.derived_default(), Some("the rest"));
        assert_eq!(DERIVED_SIZE.effective_default_text(), None);
        assert_eq!(DERIVED_SIZE.default_value(), None);
    }

    #[test]
    fn describes_every_bound_shape() {
        let range = |min, max| ValueRange::<u32> { min, max }.describe();
        assert_eq!(range(Bound::Unbounded, Bound::Unbounded), "");
        assert_eq!(range(Bound::Excluded(0), Bound::Unbounded), " > 0");
        assert_eq!(range(Bound::Unbounded, Bound::Included(9)), " <= 9");
        assert_eq!(range(Bound::Unbounded, Bound::Excluded(9)), " < 9");
        assert_eq!(range(Bound::Excluded(1), Bound::Included(9)), " in (1, 9]");
    }
}
