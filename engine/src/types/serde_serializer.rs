//! [`SerdeSerializer`]: any serde-derived type, encoded with postcard straight into pages.
//!
//! ```text
//!   #[derive(Serialize, Deserialize)]
//!   struct Click { user: u64, url: String, at_ms: i64, referrer: Option<String> }
//!
//!   serialized (postcard 1.0 wire format, fields in declaration order, no names, no length):
//!   [ user: varint ][ url: varint len + UTF-8 ][ at_ms: zig-zag varint ]
//!   [ referrer: 00 (None) | 01 + varint len + UTF-8 ]
//! ```
//!
//! postcard's format is compact (varints for every integer wider than a byte, no field names)
//! and self-delimiting for a known type, so records need no length prefix. It is not
//! self-describing: the reader must use the same type, and enums that serde tags internally
//! (`#[serde(tag = "…")]`) or untagged enums cannot be read back. The encoding runs through the
//! flavors of `postcard_flavor.rs` directly on the paged views: no intermediate `Vec` per
//! record, and records may straddle pages.
//!
//! Values are read as owned ([`serde::de::DeserializeOwned`]); types that borrow from the input
//! (`&str` fields) are not records. Errors: a full target is the view's
//! [`weir_memory::MemoryError`] ([`WeirError::Memory`]); a value postcard cannot encode (a
//! sequence without a known length) is [`WeirError::Serialize`]; corrupt or truncated input is
//! [`WeirError::Deserialize`], with postcard's reason or [`DeserializeProblem::Truncated`].
//!
//! Keys of serde records are compared with [`crate::types::KeyedComparator`] on a field.

use std::any::type_name;
use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::error::WeirError;
use crate::types::deserialize_problem::{DeserializeProblem, invalid, read_failure};
use crate::types::postcard_flavor::{BorrowedBytes, PageReader, PageWriter};
use crate::types::type_serializer::TypeSerializer;

/// Serializes any `T: Serialize + DeserializeOwned` with postcard over the paged views.
pub struct SerdeSerializer<T> {
    value: PhantomData<fn() -> T>,
}

impl<T> SerdeSerializer<T> {
    pub const fn new() -> SerdeSerializer<T> {
        SerdeSerializer { value: PhantomData }
    }
}

impl<T> Default for SerdeSerializer<T> {
    fn default() -> SerdeSerializer<T> {
        SerdeSerializer::new()
    }
}

impl<T> Clone for SerdeSerializer<T> {
    fn clone(&self) -> SerdeSerializer<T> {
        *self
    }
}

impl<T> Copy for SerdeSerializer<T> {}

impl<T> fmt::Debug for SerdeSerializer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SerdeSerializer<{}>", type_name::<T>())
    }
}

impl<T> TypeSerializer for SerdeSerializer<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    type Value = T;

    fn serialize<W: SegmentTarget>(
        &self,
        value: &T,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        let mut serializer = postcard::Serializer {
            output: PageWriter::new(out),
        };
        match value.serialize(&mut serializer) {
            Ok(()) => Ok(()),
            Err(error) => match serializer.output.take_failure() {
                Some(failure) => Err(WeirError::Memory(failure)),
                None => Err(WeirError::Serialize {
                    type_name: type_name::<T>(),
                    error,
                }),
            },
        }
    }

    fn deserialize<R: SegmentSource>(&self, input: &mut PagedInputView<R>) -> Result<T, WeirError> {
        let borrowed = BorrowedBytes::default();
        let mut deserializer =
            postcard::Deserializer::from_flavor(PageReader::new(input, &borrowed));
        let result = T::deserialize(&mut deserializer);
        // The reader's finalize cannot fail; it hands back the parked view failure.
        let failure = deserializer.finalize().ok().flatten();
        match (result, failure) {
            (Ok(value), _) => Ok(value),
            (Err(_), Some(failure)) => Err(read_failure(type_name::<T>(), failure)),
            (Err(error), None) => Err(invalid(
                type_name::<T>(),
                DeserializeProblem::Postcard(error),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::types::test_pages::{bytes_source, round_trip};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Kind {
        View,
        Buy { amount_cents: u64 },
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Click {
        user: u64,
        url: String,
        at_ms: i64,
        referrer: Option<String>,
        kind: Kind,
        weight: f64,
        tags: Vec<String>,
    }

    fn click(user: u64, url_len: usize) -> Click {
        Click {
            user,
            url: "u".repeat(url_len),
            at_ms: -7,
            referrer: user.is_multiple_of(2).then(|| "ref".to_string()),
            kind: if user.is_multiple_of(3) {
                Kind::View
            } else {
                Kind::Buy {
                    amount_cents: user * 100,
                }
            },
            weight: 0.25,
            tags: vec!["a".into(), "βγ".into()],
        }
    }

    #[test]
    fn structs_round_trip_across_pages() {
        let values: Vec<Click> = (0..20).map(|i| click(i, i as usize * 700)).collect();
        round_trip(&SerdeSerializer::<Click>::new(), &values);
    }

    #[test]
    fn wire_format_is_postcard() {
        let value = (5u32, "hi".to_string());
        let pages = crate::types::test_pages::serialize_all(
            &SerdeSerializer::new(),
            std::slice::from_ref(&value),
        );
        let (page, used) = &pages[0];
        assert_eq!(
            &page.as_slice()[..*used],
            &postcard::to_stdvec(&value).unwrap()[..]
        );
    }

    #[test]
    fn bad_enum_tags_and_truncation_are_errors() {
        let error = SerdeSerializer::<Kind>::new()
            .deserialize(&mut bytes_source(&[9]))
            .unwrap_err();
        assert!(matches!(
            error,
            WeirError::Deserialize {
                problem: DeserializeProblem::Postcard(_),
                ..
            }
        ));
        let error = SerdeSerializer::<Click>::new()
            .deserialize(&mut bytes_source(&[1, 5, b'a']))
            .unwrap_err();
        assert!(
            matches!(
                error,
                WeirError::Deserialize {
                    problem: DeserializeProblem::Truncated { needed: 4 },
                    ..
                }
            ),
            "{error}"
        );
    }
}
