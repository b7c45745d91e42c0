//! [`Order`] and [`Ordered`]: ascending or descending, per comparator or per tuple field.
//!
//! Descending inverts both halves of a comparator: `compare` is reversed, and every byte of the
//! normalized key is complemented (`!b`). Complementing equal-length byte strings reverses their
//! memcmp order, and every normalized key has a fixed length, so the contract of
//! [`TypeComparator`] holds for the reversed comparator with the same completeness. Padding
//! bytes become `0xff`, consistently for every value.
//!
//! `Option` keys keep `None` first only ascending: `OptionComparator(c).descending()` puts `None`
//! last (the whole order reversed), `OptionComparator(c.descending())` keeps `None` first and
//! reverses the values.

use std::cmp::Ordering;

use crate::types::type_comparator::TypeComparator;

/// The direction of a sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Order {
    #[default]
    Ascending,
    Descending,
}

impl Order {
    /// `ordering` as seen in this direction.
    #[inline]
    pub fn apply(self, ordering: Ordering) -> Ordering {
        match self {
            Order::Ascending => ordering,
            Order::Descending => ordering.reverse(),
        }
    }

    /// The other direction.
    pub fn reverse(self) -> Order {
        match self {
            Order::Ascending => Order::Descending,
            Order::Descending => Order::Ascending,
        }
    }
}

/// A comparator in a chosen [`Order`]. Made by [`TypeComparator::descending`] and
/// [`TypeComparator::with_order`].
#[derive(Debug, Clone, Default)]
pub struct Ordered<C> {
    comparator: C,
    order: Order,
}

impl<C> Ordered<C> {
    pub fn new(comparator: C, order: Order) -> Ordered<C> {
        Ordered { comparator, order }
    }

    pub fn order(&self) -> Order {
        self.order
    }

    /// The comparator in its own (ascending) order.
    pub fn inner(&self) -> &C {
        &self.comparator
    }
}

impl<C: TypeComparator> TypeComparator for Ordered<C> {
    type Value = C::Value;

    #[inline]
    fn compare(&self, a: &C::Value, b: &C::Value) -> Ordering {
        self.order.apply(self.comparator.compare(a, b))
    }

    fn normalized_key_len(&self) -> usize {
        self.comparator.normalized_key_len()
    }

    fn normalized_key_is_complete(&self) -> bool {
        self.comparator.normalized_key_is_complete()
    }

    #[inline]
    fn write_normalized_key(&self, value: &C::Value, target: &mut [u8]) {
        self.comparator.write_normalized_key(value, target);
        if self.order == Order::Descending {
            for byte in target {
                *byte = !*byte;
            }
        }
    }

    #[inline]
    fn hash(&self, value: &C::Value, seed: u64) -> u64 {
        self.comparator.hash(value, seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::IntComparator;

    #[test]
    fn descending_reverses_compare_and_key_bytes() {
        let descending = IntComparator::<u16>::new().descending();
        assert_eq!(descending.compare(&1, &2), Ordering::Greater);
        let mut key = [0u8; 2];
        descending.write_normalized_key(&0x0102, &mut key);
        assert_eq!(key, [0xfe, 0xfd]);
        assert!(descending.normalized_key_is_complete());
        let ascending = IntComparator::<u16>::new().with_order(Order::Ascending);
        assert_eq!(ascending.compare(&1, &2), Ordering::Less);
        assert_eq!(Order::Descending.reverse(), Order::Ascending);
    }
}
