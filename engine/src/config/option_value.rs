//! [`OptionValue`]: the types a configuration option can hold, and how each is read from text.
//!
//! | type | accepted text |
//! |---|---|
//! | [`ByteSize`] | `512m`, `1g`, `64kb`, `1728 mb` (binary units, see `weir_memory::ByteSize`) |
//! | [`PageSize`] | a size that is a power of two from `4k` to `1m` |
//! | `u32`, `u64`, `i32`, `i64` | a whole number |
//! | `f64` | a finite decimal number (`0.4`, `1e-2`) |
//! | [`Duration`] | `10 s`, `5 min`, `100ms` (see [`crate::config::duration`]) |
//! | [`PathList`] | a YAML list, or paths separated by `,` or `:` |
//! | `bool` | `true` or `false` |
//! | `String` | any text (spaces around it are dropped) |
//! | [`BatchShuffleMode`] | `ALL_EXCHANGES_BLOCKING` or `ALL_EXCHANGES_PIPELINED` |
//! | [`CheckpointingMode`] | `EXACTLY_ONCE` or `AT_LEAST_ONCE` |
//! | [`StateBackendType`] | `hashmap` or `managed` |
//! | [`RestartStrategyType`] | `none`, `fixed-delay` or `exponential-delay` |
//! | `Option<T>` | as `T`; an option of this type has no fixed default |
//!
//! Parsing returns the *reason* a text was rejected (`"unknown unit"`); the caller adds the key,
//! the value, its source and the accepted form.

use std::num::IntErrorKind;
use std::time::Duration;

use weir_memory::{ByteSize, ByteSizeParseError, PageSize};

use crate::config::duration::{DURATION_FORM, format_duration, parse_duration};
use crate::config::path_list::{PATH_LIST_FORM, PathList};
use crate::config::raw_entry::RawValue;

/// A type that a configuration option can hold.
pub trait OptionValue: Clone + std::fmt::Debug + PartialOrd + Send + Sync + 'static {
    /// What an accepted value looks like, completing "expected ...".
    const FORM: &'static str;

    /// Reads a scalar's text.
    fn parse_text(text: &str) -> Result<Self, &'static str>;

    /// Reads the items of a YAML list; only list types accept one.
    fn parse_list(_items: &[String]) -> Result<Self, &'static str> {
        Err("a list is not accepted here")
    }

    /// The canonical text, which parses back to the same value; `None` for an absent value.
    fn to_text(&self) -> Option<String>;

    /// Reads a raw value of either shape.
    fn parse_raw(raw: &RawValue) -> Result<Self, &'static str> {
        match raw {
            RawValue::Text(text) => Self::parse_text(text),
            RawValue::List(items) => Self::parse_list(items),
        }
    }
}

impl OptionValue for ByteSize {
    const FORM: &'static str = "a memory size such as 512m, 1g or 64kb (units b, k, m, g, t)";

    fn parse_text(text: &str) -> Result<Self, &'static str> {
        text.parse()
            .map_err(|error: ByteSizeParseError| error.reason)
    }

    fn to_text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl OptionValue for PageSize {
    const FORM: &'static str = "a memory size that is a power of two from 4k to 1m, such as 32k";

    fn parse_text(text: &str) -> Result<Self, &'static str> {
        let size = ByteSize::parse_text(text)?;
        usize::try_from(size.bytes())
            .ok()
            .and_then(|bytes| PageSize::new(bytes).ok())
            .ok_or("not a power of two from 4k to 1m")
    }

    fn to_text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

macro_rules! whole_number_option_value {
    ($($int:ty),*) => {$(
        impl OptionValue for $int {
            const FORM: &'static str = "a whole number";

            fn parse_text(text: &str) -> Result<Self, &'static str> {
                text.trim().parse().map_err(|error: std::num::ParseIntError| match error.kind() {
                    IntErrorKind::PosOverflow => "number too large",
                    IntErrorKind::NegOverflow => "number too small",
                    IntErrorKind::Empty => "empty value",
                    _ => "not a whole number",
                })
            }

            fn to_text(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}

whole_number_option_value!(u32, u64, i32, i64);

impl OptionValue for bool {
    const FORM: &'static str = "true or false";

    fn parse_text(text: &str) -> Result<Self, &'static str> {
        match text.trim() {
            "true" | "TRUE" | "True" => Ok(true),
            "false" | "FALSE" | "False" => Ok(false),
            _ => Err("not true or false"),
        }
    }

    fn to_text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl OptionValue for String {
    const FORM: &'static str = "a text";

    fn parse_text(text: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty value");
        }
        Ok(text.to_owned())
    }

    fn to_text(&self) -> Option<String> {
        Some(self.clone())
    }
}

/// How a batch job's exchanges run (Flink's `execution.batch-shuffle-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BatchShuffleMode {
    /// Every exchange is blocking: a stage runs to its end, its output is kept (spilled when
    /// it does not fit), then the next stage starts. Needs the fewest slots and memory.
    AllExchangesBlocking,
    /// One-input exchanges are pipelined: producer and consumer run at once and share the
    /// slot's memory. Inputs of two-input operators stay blocking.
    AllExchangesPipelined,
}

impl OptionValue for BatchShuffleMode {
    const FORM: &'static str = "ALL_EXCHANGES_BLOCKING or ALL_EXCHANGES_PIPELINED";

    fn parse_text(text: &str) -> Result<Self, &'static str> {
        match text.trim() {
            "ALL_EXCHANGES_BLOCKING" => Ok(BatchShuffleMode::AllExchangesBlocking),
            "ALL_EXCHANGES_PIPELINED" => Ok(BatchShuffleMode::AllExchangesPipelined),
            _ => Err("not a batch shuffle mode"),
        }
    }

    fn to_text(&self) -> Option<String> {
        Some(
            match self {
                BatchShuffleMode::AllExchangesBlocking => "ALL_EXCHANGES_BLOCKING",
                BatchShuffleMode::AllExchangesPipelined => "ALL_EXCHANGES_PIPELINED",
            }
            .to_owned(),
        )
    }
}

/// Declares an enumerated option value: the type, its variants with their texts, and the form.
macro_rules! enum_option_value {
    ($(#[$meta:meta])* $name:ident, $form:literal, $problem:literal,
     { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl OptionValue for $name {
            const FORM: &'static str = $form;

            fn parse_text(text: &str) -> Result<Self, &'static str> {
                match text.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err($problem),
                }
            }

            fn to_text(&self) -> Option<String> {
                Some(
                    match self {
                        $($name::$variant => $text),+
                    }
                    .to_owned(),
                )
            }
        }
    };
}

enum_option_value!(
    /// How checkpoint barriers are handled (Flink's `execution.checkpointing.mode`).
    CheckpointingMode,
    "EXACTLY_ONCE or AT_LEAST_ONCE",
    "not a checkpointing mode",
    {
        /// Aligned barriers: an input that delivered the barrier waits until every input did.
        ExactlyOnce => "EXACTLY_ONCE",
        /// No alignment: records after a barrier may be processed before the snapshot.
        AtLeastOnce => "AT_LEAST_ONCE",
    }
);

enum_option_value!(
    /// Where keyed state lives (Flink's `state.backend.type`).
    StateBackendType,
    "hashmap or managed",
    "not a state backend",
    {
        /// Objects on the heap, counted against the task heap budget.
        HashMap => "hashmap",
        /// Serialized records in pages of managed memory, spilling to disk.
        Managed => "managed",
    }
);

enum_option_value!(
    /// What happens after a task failure (Flink's `restart-strategy.type`).
    RestartStrategyType,
    "none, fixed-delay or exponential-delay",
    "not a restart strategy",
    {
        /// The job fails.
        None => "none",
        /// Up to a number of restarts with a fixed delay between them.
        FixedDelay => "fixed-delay",
        /// Restarts with a delay that grows after each failure, up to a maximum.
        ExponentialDelay => "exponential-delay",
    }
);

impl OptionValue for f64 {
    const FORM: &'static str = "a decimal number";

    fn parse_text(text: &str) -> Result<Self, &'static str> {
        let number: f64 = text.trim().parse().map_err(|_| "not a decimal number")?;
        if number.is_finite() {
            Ok(number)
        } else {
            Err("not a finite number")
        }
    }

    fn to_text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl OptionValue for Duration {
    const FORM: &'static str = DURATION_FORM;

    fn parse_text(text: &str) -> Result<Self, &'static str> {
        parse_duration(text)
    }

    fn to_text(&self) -> Option<String> {
        Some(format_duration(*self))
    }
}

impl OptionValue for PathList {
    const FORM: &'static str = PATH_LIST_FORM;

    fn parse_text(text: &str) -> Result<Self, &'static str> {
        PathList::parse_text(text)
    }

    fn parse_list(items: &[String]) -> Result<Self, &'static str> {
        PathList::parse_items(items)
    }

    fn to_text(&self) -> Option<String> {
        Some(self.to_string())
    }
}

/// An option whose value is absent unless a source sets it (its default is derived elsewhere,
/// e.g. by the memory plan).
impl<T: OptionValue> OptionValue for Option<T> {
    const FORM: &'static str = T::FORM;

    fn parse_text(text: &str) -> Result<Self, &'static str> {
        T::parse_text(text).map(Some)
    }

    fn parse_list(items: &[String]) -> Result<Self, &'static str> {
        T::parse_list(items).map(Some)
    }

    fn to_text(&self) -> Option<String> {
        self.as_ref().and_then(T::to_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_flink_syntax() {
        assert_eq!(ByteSize::parse_text("1728 mb"), Ok(ByteSize::mib(1728)));
        assert_eq!(ByteSize::parse_text("64kb"), Ok(ByteSize::kib(64)));
        assert_eq!(ByteSize::parse_text("1g"), Ok(ByteSize::gib(1)));
        assert_eq!(ByteSize::parse_text("12 parsecs"), Err("unknown unit"));
        assert_eq!(ByteSize::mib(1728).to_text().as_deref(), Some("1728m"));
    }

    #[test]
    fn page_sizes_must_be_powers_of_two_from_4k_to_1m() {
        assert_eq!(PageSize::parse_text("32kb"), Ok(PageSize::DEFAULT));
        assert_eq!(PageSize::parse_text("1m").unwrap().bytes(), 1 << 20);
        for bad in ["3k", "2k", "2m", "33k"] {
            assert_eq!(
                PageSize::parse_text(bad),
                Err("not a power of two from 4k to 1m"),
                "{bad}"
            );
        }
        assert_eq!(PageSize::parse_text("32 lightyears"), Err("unknown unit"));
        assert_eq!(PageSize::DEFAULT.to_text().as_deref(), Some("32k"));
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(u32::parse_text(" 4 "), Ok(4));
        assert_eq!(u32::parse_text("-1"), Err("not a whole number"));
        assert_eq!(u32::parse_text("1.5"), Err("not a whole number"));
        assert_eq!(u32::parse_text("4294967296"), Err("number too large"));
        assert_eq!(u32::parse_text(""), Err("empty value"));
        assert_eq!(i64::parse_text("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            i64::parse_text("-9223372036854775809"),
            Err("number too small")
        );
    }

    #[test]
    fn decimal_numbers_must_be_finite() {
        assert_eq!(f64::parse_text("0.4"), Ok(0.4));
        assert_eq!(f64::parse_text("1e-1"), Ok(0.1));
        assert_eq!(f64::parse_text("1"), Ok(1.0));
        assert_eq!(f64::parse_text("forty"), Err("not a decimal number"));
        assert_eq!(f64::parse_text("NaN"), Err("not a finite number"));
        assert_eq!(f64::parse_text("inf"), Err("not a finite number"));
        assert_eq!(0.4f64.to_text().as_deref(), Some("0.4"));
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse_text("10 s"), Ok(Duration::from_secs(10)));
        assert_eq!(Duration::from_secs(300).to_text().as_deref(), Some("5 min"));
        assert_eq!(Duration::parse_text("10 parsecs"), Err("unknown unit"));
    }

    #[test]
    fn only_lists_accept_yaml_lists() {
        let items = vec!["/a".to_string(), "/b".to_string()];
        let list = PathList::parse_raw(&RawValue::List(items.clone())).unwrap();
        assert_eq!(list.to_string(), "/a,/b");
        assert_eq!(
            ByteSize::parse_raw(&RawValue::List(items)),
            Err("a list is not accepted here")
        );
    }

    proptest::proptest! {
        /// The canonical text of every size and duration parses back to the same value.
        #[test]
        fn canonical_text_round_trips(bytes in 0u64..(1 << 50), nanos in 0u64..(1 << 60)) {
            let size = ByteSize::new(bytes);
            proptest::prop_assert_eq!(ByteSize::parse_text(&size.to_text().unwrap()), Ok(size));
            let duration = Duration::from_nanos(nanos);
            proptest::prop_assert_eq!(
                Duration::parse_text(&duration.to_text().unwrap()),
                Ok(duration)
            );
        }
    }

    #[test]
    fn optional_values_parse_as_their_inner_type() {
        assert_eq!(
            Option::<ByteSize>::parse_text("1g"),
            Ok(Some(ByteSize::gib(1)))
        );
        assert_eq!(Option::<ByteSize>::parse_text("1x"), Err("unknown unit"));
        assert_eq!(None::<ByteSize>.to_text(), None);
    }
}
