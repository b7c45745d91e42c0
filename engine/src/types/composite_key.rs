//! Normalized keys made of several parts: tuple fields and chained comparators.
//!
//! The parts' keys are written one after another, each at its full length:
//!
//! ```text
//!   (i32, String, u8) with key lengths 4, 16, 1:
//!   [ i32 key: 4 ][ String key: 16 ]                        21 bytes, incomplete
//!                                   ^ the String key is incomplete: nothing may follow it
//!   (i32, u8, String):
//!   [ i32 key: 4 ][ u8: 1 ][ String key: 16 ]               21 bytes, incomplete
//! ```
//!
//! Why the layout stops after the first incomplete part: two values whose incomplete parts are
//! different but have equal keys (`"ab"` and `"ab\0"`) are ordered by that part, not by the parts
//! after it, so bytes of later parts could contradict the order. A complete part's key is equal
//! only for equal values, so the next part's bytes decide exactly when the next part decides.
//! The composite is complete when every part is. A shorter target is simply cut off (any prefix
//! of an order-preserving fixed-width key preserves the order); a longer one is zero-filled.

use crate::types::type_comparator::TypeComparator;

/// The length and completeness of a composite normalized key, built part by part.
#[derive(Debug, Clone, Copy)]
pub struct CompositeKeyLayout {
    len: usize,
    open: bool,
}

impl CompositeKeyLayout {
    pub fn new() -> CompositeKeyLayout {
        CompositeKeyLayout { len: 0, open: true }
    }

    /// Adds the next part; parts after an incomplete one add nothing.
    #[inline]
    pub fn push<C: TypeComparator>(&mut self, comparator: &C) {
        if self.open {
            self.len += comparator.normalized_key_len();
            self.open = comparator.normalized_key_is_complete();
        }
    }

    /// Bytes of the composite key.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when every part pushed so far is complete.
    pub fn is_complete(&self) -> bool {
        self.open
    }
}

impl Default for CompositeKeyLayout {
    fn default() -> CompositeKeyLayout {
        CompositeKeyLayout::new()
    }
}

/// Writes a composite normalized key into `target`, part by part, with the layout of
/// [`CompositeKeyLayout`]. Call [`CompositeKeyWriter::finish`] to zero the unwritten rest.
#[derive(Debug)]
pub struct CompositeKeyWriter<'t> {
    target: &'t mut [u8],
    position: usize,
    open: bool,
}

impl<'t> CompositeKeyWriter<'t> {
    pub fn new(target: &'t mut [u8]) -> CompositeKeyWriter<'t> {
        let open = !target.is_empty();
        CompositeKeyWriter {
            target,
            position: 0,
            open,
        }
    }

    /// Writes the next part's key of `value` (cut off at the end of the target). Returns
    /// `false` when no later part can be written: the target is full or this part is incomplete.
    #[inline]
    pub fn push<C: TypeComparator>(&mut self, comparator: &C, value: &C::Value) -> bool {
        if !self.open {
            return false;
        }
        let len = comparator.normalized_key_len();
        let end = (self.position + len).min(self.target.len());
        comparator.write_normalized_key(value, &mut self.target[self.position..end]);
        self.position = end;
        self.open = comparator.normalized_key_is_complete() && end < self.target.len();
        self.open
    }

    /// Fills the bytes no part wrote with zeros.
    pub fn finish(self) {
        self.target[self.position..].fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{IntComparator, StringComparator};

    #[test]
    fn stops_after_the_first_incomplete_part() {
        let int = IntComparator::<u16>::new();
        let string = StringComparator::with_key_len(3);
        let mut layout = CompositeKeyLayout::new();
        layout.push(&int);
        layout.push(&string);
        layout.push(&int);
        assert_eq!(layout.len(), 5);
        assert!(!layout.is_complete());

        let mut target = [0xaa; 8];
        let mut writer = CompositeKeyWriter::new(&mut target);
        assert!(writer.push(&int, &0x0102));
        assert!(!writer.push(&string, &"x".to_string()));
        assert!(!writer.push(&int, &0x0304));
        writer.finish();
        assert_eq!(target, [1, 2, b'x', 0, 0, 0, 0, 0]);
    }

    #[test]
    fn cuts_parts_off_at_a_short_target() {
        let int = IntComparator::<u32>::new();
        let mut target = [0u8; 6];
        let mut writer = CompositeKeyWriter::new(&mut target);
        assert!(writer.push(&int, &0x0102_0304));
        assert!(!writer.push(&int, &0x0506_0708));
        writer.finish();
        assert_eq!(target, [1, 2, 3, 4, 5, 6]);
    }
}
