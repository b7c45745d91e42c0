//! [`ByteSize`]: a number of bytes, parsed and printed in Flink's memory-size syntax.
//!
//! Accepted input: a non-negative integer or decimal number, optional spaces, and an optional
//! unit, case-insensitive. Units are binary (1 k = 1024 bytes):
//!
//! | unit | accepted spellings |
//! |---|---|
//! | bytes | (none), `b`, `bytes` |
//! | KiB | `k`, `kb`, `kibibytes` |
//! | MiB | `m`, `mb`, `mebibytes` |
//! | GiB | `g`, `gb`, `gibibytes` |
//! | TiB | `t`, `tb`, `tebibytes` |
//!
//! A decimal such as `1.5g` must come out as a whole number of bytes. `Display` prints the
//! largest unit that divides the value exactly (`1728m`, `32kb` → `32k`), so every printed size
//! parses back to the same value; [`ByteSize::human`] prints a rounded figure for people.

use std::fmt;
use std::str::FromStr;

/// A number of bytes. See the module docs for the syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(u64);

/// Why a size string was rejected; printed after the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteSizeParseError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for ByteSizeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a memory size ({}); expected a number with an optional unit b, k/kb, m/mb, g/gb or t/tb, e.g. 512m, 1g, 64kb",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ByteSizeParseError {}

const UNITS: [(&str, u64); 5] = [
    ("t", 1 << 40),
    ("g", 1 << 30),
    ("m", 1 << 20),
    ("k", 1 << 10),
    ("", 1),
];

impl ByteSize {
    pub const ZERO: ByteSize = ByteSize(0);

    pub const fn new(bytes: u64) -> ByteSize {
        ByteSize(bytes)
    }

    pub const fn kib(n: u64) -> ByteSize {
        ByteSize(n << 10)
    }

    pub const fn mib(n: u64) -> ByteSize {
        ByteSize(n << 20)
    }

    pub const fn gib(n: u64) -> ByteSize {
        ByteSize(n << 30)
    }

    pub const fn bytes(self) -> u64 {
        self.0
    }

    pub fn saturating_sub(self, other: ByteSize) -> ByteSize {
        ByteSize(self.0.saturating_sub(other.0))
    }

    pub fn checked_add(self, other: ByteSize) -> Option<ByteSize> {
        self.0.checked_add(other.0).map(ByteSize)
    }

    /// `self * fraction`, rounded down to a whole byte.
    pub fn multiply(self, fraction: f64) -> ByteSize {
        ByteSize((self.0 as f64 * fraction).floor() as u64)
    }

    /// Rounds down to a multiple of `unit` bytes.
    pub fn round_down_to(self, unit: u64) -> ByteSize {
        ByteSize(self.0 - self.0 % unit)
    }

    /// A rounded figure for people: `1.69 GiB`, `153.6 MiB`, `512 B`.
    pub fn human(self) -> String {
        const NAMES: [&str; 5] = ["TiB", "GiB", "MiB", "KiB", "B"];
        for (name, (_, factor)) in NAMES.iter().zip(UNITS) {
            if self.0 >= factor && factor > 1 {
                let value = self.0 as f64 / factor as f64;
                let text = if value >= 100.0 {
                    format!("{value:.0}")
                } else if value >= 10.0 {
                    format!("{value:.1}")
                } else {
                    format!("{value:.2}")
                };
                let text = if text.contains('.') {
                    text.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    text
                };
                return format!("{text} {name}");
            }
        }
        format!("{} B", self.0)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0");
        }
        for (unit, factor) in UNITS {
            if self.0.is_multiple_of(factor) {
                let unit = if unit.is_empty() { "b" } else { unit };
                return write!(f, "{}{unit}", self.0 / factor);
            }
        }
        unreachable!("factor 1 divides everything")
    }
}

impl FromStr for ByteSize {
    type Err = ByteSizeParseError;

    fn from_str(input: &str) -> Result<ByteSize, ByteSizeParseError> {
        let error = |reason| ByteSizeParseError {
            input: input.to_string(),
            reason,
        };
        let text = input.trim().to_ascii_lowercase();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        if number.is_empty() {
            return Err(error("no number"));
        }
        let factor: u64 = match unit.trim() {
            "" | "b" | "bytes" => 1,
            "k" | "kb" | "kibibytes" => 1 << 10,
            "m" | "mb" | "mebibytes" => 1 << 20,
            "g" | "gb" | "gibibytes" => 1 << 30,
            "t" | "tb" | "tebibytes" => 1 << 40,
            _ => return Err(error("unknown unit")),
        };
        let bytes = match number.split_once('.') {
            None => number
                .parse::<u64>()
                .map_err(|_| error("number too large"))?
                .checked_mul(factor),
            Some((whole, frac)) => {
                if frac.contains('.') || (whole.is_empty() && frac.is_empty()) {
                    return Err(error("malformed number"));
                }
                let whole: u64 = if whole.is_empty() {
                    0
                } else {
                    whole.parse().map_err(|_| error("number too large"))?
                };
                // Exact decimal arithmetic: whole*factor + frac*factor/10^digits.
                if frac.len() > 18 {
                    return Err(error("too many decimal places"));
                }
                let scale = 10u128.pow(frac.len() as u32);
                let frac_value: u128 = if frac.is_empty() {
                    0
                } else {
                    frac.parse().map_err(|_| error("malformed number"))?
                };
                let frac_bytes = frac_value * factor as u128;
                if !frac_bytes.is_multiple_of(scale) {
                    return Err(error("not a whole number of bytes"));
                }
                whole
                    .checked_mul(factor)
                    .and_then(|w| w.checked_add((frac_bytes / scale) as u64))
            }
        };
        bytes.map(ByteSize).ok_or_else(|| error("number too large"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flink_spellings() {
        for (text, bytes) in [
            ("0", 0),
            ("100", 100),
            ("100 bytes", 100),
            ("64kb", 64 << 10),
            ("64 KB", 64 << 10),
            ("512m", 512 << 20),
            ("1728 mb", 1728 << 20),
            ("1g", 1 << 30),
            ("1.5g", 3 << 29),
            ("0.5 k", 512),
            ("2t", 2 << 40),
            (" 7 mebibytes ", 7 << 20),
        ] {
            assert_eq!(text.parse::<ByteSize>().unwrap().bytes(), bytes, "{text}");
        }
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        for text in [
            "",
            "m",
            "12 parsecs",
            "1.2.3m",
            "-1m",
            "0.3b",
            "99999999999999999999",
            "20000000t",
        ] {
            let error = text.parse::<ByteSize>().unwrap_err();
            assert!(error.to_string().contains("512m"), "{error}");
        }
    }

    #[test]
    fn display_parses_back_exactly() {
        for bytes in [
            0,
            1,
            1023,
            1024,
            32 << 10,
            1728 << 20,
            (1 << 30) + 1,
            5 << 40,
        ] {
            let size = ByteSize::new(bytes);
            assert_eq!(size.to_string().parse::<ByteSize>().unwrap(), size);
        }
        assert_eq!(ByteSize::mib(1728).to_string(), "1728m");
        assert_eq!(ByteSize::kib(32).to_string(), "32k");
    }

    #[test]
    fn human_rounds() {
        assert_eq!(ByteSize::mib(1728).human(), "1.69 GiB");
        assert_eq!(ByteSize::new(512).human(), "512 B");
        assert_eq!(ByteSize::mib(192).human(), "192 MiB");
    }
}
