//! [`VoidNamespace`]: the namespace of plain keyed state (state that is not scoped to a
//! window), Flink's `VoidNamespace`. It serializes to zero bytes.

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::error::WeirError;
use crate::types::{DefaultSerializer, TypeSerializer};

/// The only namespace of keyed state outside windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VoidNamespace;

/// Writes nothing, reads [`VoidNamespace`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VoidNamespaceSerializer;

impl TypeSerializer for VoidNamespaceSerializer {
    type Value = VoidNamespace;

    fn serialize<W: SegmentTarget>(
        &self,
        _value: &VoidNamespace,
        _out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        Ok(())
    }

    fn deserialize<R: SegmentSource>(
        &self,
        _input: &mut PagedInputView<R>,
    ) -> Result<VoidNamespace, WeirError> {
        Ok(VoidNamespace)
    }

    fn fixed_length(&self) -> Option<usize> {
        Some(0)
    }
}

impl DefaultSerializer for VoidNamespace {
    type Serializer = VoidNamespaceSerializer;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::state_bytes::{from_bytes, to_bytes};

    #[test]
    fn serializes_to_nothing() {
        let mut bytes = Vec::new();
        to_bytes(&VoidNamespace::serializer(), &VoidNamespace, &mut bytes).unwrap();
        assert!(bytes.is_empty());
        assert_eq!(
            from_bytes(&VoidNamespace::serializer(), &bytes).unwrap(),
            VoidNamespace
        );
        assert!(from_bytes(&VoidNamespace::serializer(), &[1]).is_err());
    }
}
