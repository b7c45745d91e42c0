//! [`HashPrefixed`]: a record serializer that writes the record's key hash in front of it, so
//! a hash table in pages can index, spill and bloom-filter its records without deserializing
//! them.
//!
//! ```text
//!   | key hash: u64 LE (8 B) | record as the inner serializer writes it |
//! ```

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::error::WeirError;
use crate::types::TypeSerializer;

/// Bytes of the hash in front of each record.
pub const HASH_PREFIX_BYTES: usize = 8;

/// Writes `hash` then the record. Set [`HashPrefixed::hash`] before each write; reading skips
/// the hash (read it with [`read_hash`] first when it is needed).
#[derive(Debug, Clone)]
pub struct HashPrefixed<S> {
    inner: S,
    /// The hash written in front of the next record.
    pub hash: u64,
}

impl<S: TypeSerializer> HashPrefixed<S> {
    pub fn new(inner: S) -> HashPrefixed<S> {
        HashPrefixed { inner, hash: 0 }
    }

    /// The serializer of the records behind the hash.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

/// Reads the hash in front of a record, leaving `input` at the record.
#[inline]
pub fn read_hash<R: SegmentSource>(input: &mut PagedInputView<R>) -> Result<u64, WeirError> {
    Ok(input.read_u64_le()?)
}

impl<S: TypeSerializer> TypeSerializer for HashPrefixed<S> {
    type Value = S::Value;

    #[inline]
    fn serialize<W: SegmentTarget>(
        &self,
        value: &S::Value,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        out.write_u64_le(self.hash)?;
        self.inner.serialize(value, out)
    }

    #[inline]
    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<S::Value, WeirError> {
        input.skip_bytes(HASH_PREFIX_BYTES)?;
        self.inner.deserialize(input)
    }

    fn fixed_length(&self) -> Option<usize> {
        self.inner.fixed_length().map(|len| len + HASH_PREFIX_BYTES)
    }
}
