//! [`DeserializeProblem`]: what was wrong with the bytes a serializer was asked to read.
//!
//! It travels inside [`WeirError::Deserialize`] together with the name of the type being read,
//! e.g. `cannot deserialize bool: invalid bool byte 7`. Failures of the page source itself (a
//! spill file that cannot be read, a corrupt block) are not deserialization problems and stay
//! [`WeirError::Memory`].

use weir_memory::MemoryError;

use crate::error::WeirError;

/// Why bytes could not be read back as a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeserializeProblem {
    #[error("truncated record: {needed} more bytes needed")]
    Truncated { needed: usize },

    #[error("invalid bool byte {byte} (expected 0 or 1)")]
    InvalidBool { byte: u8 },

    #[error("invalid Option marker byte {byte} (expected 0 for None or 1 for Some)")]
    InvalidOptionMarker { byte: u8 },

    #[error("invalid timestamp marker byte {byte} (expected 0 for none or 1 for a timestamp)")]
    InvalidTimestampMarker { byte: u8 },

    #[error(
        "invalid tagged union marker byte {byte} (expected 0 for the first input or 1 for the second)"
    )]
    InvalidTaggedUnionMarker { byte: u8 },

    #[error(
        "a record of input {found} where only input {expected} may come (a two-input exchange is miswired)"
    )]
    UnexpectedInputTag { expected: u8, found: u8 },

    #[error("string is not UTF-8 (invalid byte at offset {valid_up_to})")]
    NotUtf8 { valid_up_to: usize },

    #[error("malformed varint (longer than 10 bytes or past 64 bits)")]
    MalformedVarint,

    #[error("varint value {value} does not fit the integer type")]
    UnsignedVarintOutOfRange { value: u64 },

    #[error("varint value {value} does not fit the integer type")]
    SignedVarintOutOfRange { value: i64 },

    #[error("length {length} exceeds the limit of {max} bytes")]
    LengthTooLarge { length: u64, max: u64 },

    /// Reported by postcard while decoding a serde type (bad enum tag, bad char, custom error of
    /// a `Deserialize` impl, …).
    #[error("postcard: {0}")]
    Postcard(postcard::Error),
}

/// The error for a failed read of a `type_name` value: end of data and malformed varints or
/// lengths are problems of the data ([`WeirError::Deserialize`]); anything else is a failure of
/// the source ([`WeirError::Memory`]).
pub(crate) fn read_failure(type_name: &'static str, error: MemoryError) -> WeirError {
    let problem = match error {
        MemoryError::EndOfData { needed } => DeserializeProblem::Truncated { needed },
        MemoryError::MalformedVarint => DeserializeProblem::MalformedVarint,
        MemoryError::MalformedLength { length, max } => {
            DeserializeProblem::LengthTooLarge { length, max }
        }
        other => return WeirError::Memory(other),
    };
    WeirError::Deserialize { type_name, problem }
}

/// A [`WeirError::Deserialize`] for `type_name`.
pub(crate) fn invalid(type_name: &'static str, problem: DeserializeProblem) -> WeirError {
    WeirError::Deserialize { type_name, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_data_is_a_truncated_record_but_io_failures_stay_memory_errors() {
        let error = read_failure("u64", MemoryError::EndOfData { needed: 3 });
        assert_eq!(
            error.to_string(),
            "cannot deserialize u64: truncated record: 3 more bytes needed"
        );
        let error = read_failure("u64", MemoryError::IoManagerShutDown);
        assert!(matches!(
            error,
            WeirError::Memory(MemoryError::IoManagerShutDown)
        ));
    }
}
