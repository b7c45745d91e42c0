//! [`TypeComparator`]: orders values, writes their normalized keys and hashes them.
//!
//! The contract that sort, join and aggregation rely on, for any values `a` and `b` and any
//! prefix length `n <= normalized_key_len()` (`key_n(v)` = the `n` bytes
//! [`TypeComparator::write_normalized_key`] writes for `v`):
//!
//! ```text
//!   compare(a, b) == Less     ⇒  key_n(a) <= key_n(b)            (memcmp)
//!   compare(a, b) == Equal    ⇒  key_n(a) == key_n(b)  and  hash(a, s) == hash(b, s)
//!   complete, n == key len:      key_n(a) == key_n(b)  ⇒  compare(a, b) == Equal
//! ```
//!
//! So a sort orders by the prefix bytes and calls `compare` only when two prefixes are equal and
//! the comparator is not complete at that length
//! ([`TypeComparator::normalized_key_is_complete_at`]).

use std::cmp::Ordering;

use crate::types::order::{Order, Ordered};
use crate::types::then_comparator::ThenComparator;

/// Orders values (keys or whole records) and writes their normalized key.
pub trait TypeComparator: Clone + Send + Sync + 'static {
    type Value;

    fn compare(&self, a: &Self::Value, b: &Self::Value) -> Ordering;

    /// Bytes of normalized key this comparator would like to write (0 = no normalized key).
    fn normalized_key_len(&self) -> usize;

    /// True when equal normalized keys of full length imply equal values (ints, fixed-width
    /// keys), so a sort never needs the full comparison on prefix ties.
    fn normalized_key_is_complete(&self) -> bool;

    /// Writes the first `target.len()` bytes (≤ normalized_key_len(), may be shorter) of the
    /// normalized key: memcmp order of these bytes must agree with `compare`
    /// (a ≤ b ⇒ prefix(a) ≤ prefix(b)).
    ///
    /// The built-in comparators also accept a longer `target` and fill the bytes past their key
    /// with zeros.
    fn write_normalized_key(&self, value: &Self::Value, target: &mut [u8]);

    /// Stable 64-bit hash of the value (xxh3 with `seed`), equal for equal values across
    /// processes: used for hash partitioning and hash-join recursion with new seeds.
    fn hash(&self, value: &Self::Value, seed: u64) -> u64;

    /// True when normalized keys of `len_bytes` bytes decide every comparison: the comparator is
    /// complete and `len_bytes` covers its whole key.
    fn normalized_key_is_complete_at(&self, len_bytes: usize) -> bool {
        self.normalized_key_is_complete() && len_bytes >= self.normalized_key_len()
    }

    /// This comparator in `order` ([`Order::Ascending`] keeps it as it is).
    fn with_order(self, order: Order) -> Ordered<Self> {
        Ordered::new(self, order)
    }

    /// This comparator reversed: the comparison and the normalized key bytes are inverted.
    fn descending(self) -> Ordered<Self> {
        Ordered::new(self, Order::Descending)
    }

    /// Orders by this comparator, then by `next` among equals (a secondary sort key on the same
    /// value).
    fn then<B>(self, next: B) -> ThenComparator<Self, B>
    where
        B: TypeComparator<Value = Self::Value>,
    {
        ThenComparator::new(self, next)
    }
}

/// Types with a built-in comparator: every integer, float, `bool`, `String`, `Vec<u8>`,
/// `[u8; N]`, `Option` and tuple of these, all ascending.
pub trait DefaultComparator: Sized {
    type Comparator: TypeComparator<Value = Self> + Default;

    /// The built-in ascending comparator of this type.
    fn comparator() -> Self::Comparator {
        Self::Comparator::default()
    }
}
