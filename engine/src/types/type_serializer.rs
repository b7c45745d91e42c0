//! [`TypeSerializer`]: writes values of one type into paged views and reads them back.
//!
//! A serializer is a small, cheaply cloned description of an encoding (most are zero-sized); it
//! holds no buffers, so one instance can be shared by every thread of an operator. The encoding
//! of each built-in type is documented in its file and summarized in [`crate::types`].

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::error::WeirError;
use crate::types::deserialize_problem::read_failure;

/// Writes/reads values in a compact binary form over paged views; values may straddle pages.
///
/// `serialize` fails only when the view fails (e.g. [`weir_memory::MemoryError::PagesFull`] as
/// [`WeirError::Memory`], the signal to spill) or, for serde types, when the value cannot be
/// encoded. `deserialize` of corrupt or truncated input fails with [`WeirError::Deserialize`]
/// (an I/O failure of the source stays [`WeirError::Memory`]); it never panics.
pub trait TypeSerializer: Clone + Send + Sync + 'static {
    type Value: Send + 'static;

    fn serialize<W: SegmentTarget>(
        &self,
        value: &Self::Value,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError>;

    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<Self::Value, WeirError>;

    /// Serialized length when every value has the same length (lets operators skip length
    /// prefixes).
    fn fixed_length(&self) -> Option<usize> {
        None
    }

    /// Moves `input` past one serialized value without building it. Fixed-length values are
    /// skipped by length; length-prefixed ones (strings, byte arrays) read only the prefix; the
    /// default deserializes the value and drops it.
    fn skip<R: SegmentSource>(&self, input: &mut PagedInputView<R>) -> Result<(), WeirError> {
        match self.fixed_length() {
            Some(len) => input
                .skip_bytes(len)
                .map_err(|error| read_failure(std::any::type_name::<Self::Value>(), error)),
            None => self.deserialize(input).map(drop),
        }
    }
}

/// Types with a built-in serializer: every integer, float, `bool`, `String`, `Vec<u8>`,
/// `[u8; N]`, `Option` and tuple of these. User structs use [`crate::types::SerdeSerializer`].
pub trait DefaultSerializer: Sized + Send + 'static {
    type Serializer: TypeSerializer<Value = Self> + Default;

    /// The built-in serializer of this type.
    fn serializer() -> Self::Serializer {
        Self::Serializer::default()
    }
}
