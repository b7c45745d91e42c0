//! [`ThenComparator`]: a secondary order on the same value, e.g. records by `dept` then by
//! `salary` descending.
//!
//! ```text
//!   let by_dept = KeyedComparator::new(|r: &Employee| &r.dept, StringComparator::new());
//!   let by_salary = KeyedComparator::new(|r: &Employee| &r.salary, IntComparator::<i64>::new());
//!   by_dept.then(by_salary.descending())
//! ```
//!
//! The normalized key is the first comparator's key followed by the second's, with the rules of
//! [`crate::types::CompositeKeyLayout`] (nothing follows an incomplete part). The hash combines
//! both: the second comparator hashes with the first one's hash as its seed.

use std::cmp::Ordering;

use crate::types::composite_key::{CompositeKeyLayout, CompositeKeyWriter};
use crate::types::type_comparator::TypeComparator;

/// Orders by `first`, then by `second` among values `first` finds equal. Made by
/// [`TypeComparator::then`].
#[derive(Debug, Clone, Default)]
pub struct ThenComparator<A, B> {
    first: A,
    second: B,
}

impl<A, B> ThenComparator<A, B> {
    pub fn new(first: A, second: B) -> ThenComparator<A, B> {
        ThenComparator { first, second }
    }
}

impl<A, B> TypeComparator for ThenComparator<A, B>
where
    A: TypeComparator,
    B: TypeComparator<Value = A::Value>,
{
    type Value = A::Value;

    #[inline]
    fn compare(&self, a: &A::Value, b: &A::Value) -> Ordering {
        self.first
            .compare(a, b)
            .then_with(|| self.second.compare(a, b))
    }

    fn normalized_key_len(&self) -> usize {
        self.layout().len()
    }

    fn normalized_key_is_complete(&self) -> bool {
        self.layout().is_complete()
    }

    fn write_normalized_key(&self, value: &A::Value, target: &mut [u8]) {
        let mut writer = CompositeKeyWriter::new(target);
        if writer.push(&self.first, value) {
            writer.push(&self.second, value);
        }
        writer.finish();
    }

    #[inline]
    fn hash(&self, value: &A::Value, seed: u64) -> u64 {
        self.second.hash(value, self.first.hash(value, seed))
    }
}

impl<A: TypeComparator, B: TypeComparator> ThenComparator<A, B> {
    fn layout(&self) -> CompositeKeyLayout {
        let mut layout = CompositeKeyLayout::new();
        layout.push(&self.first);
        layout.push(&self.second);
        layout
    }
}
