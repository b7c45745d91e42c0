//! Comparing records by a key inside them: [`KeyedComparator`] (the key is borrowed from the
//! record) and [`ComputedKeyComparator`] (the key is computed from it).
//!
//! ```text
//!   record ──selector──▶ key ──key comparator──▶ compare / normalized key / hash
//! ```
//!
//! Sort, join and aggregation hold whole records and order them by a key, Flink's `KeySelector`.
//! The two flavours differ in what the selector returns:
//!
//! - [`KeyedComparator`] takes `for<'a> Fn(&'a T) -> &'a K`: a reference to a field. Nothing is
//!   copied or allocated per comparison, which matters because a sort calls `compare` on every
//!   prefix tie. This is the one to use whenever the key is a field (or a field of a field).
//! - [`ComputedKeyComparator`] takes `Fn(&T) -> K`: an owned key built per call, for keys that
//!   are not stored as such, e.g. `(r.a, r.b)` from two fields or a lower-cased name. It pays for
//!   building the key on each call (cheap for `Copy` keys, an allocation for `String` keys).
//!
//! Several fields with a direction each are either a computed tuple key or a chain of borrowed
//! keys with [`TypeComparator::then`], which copies nothing:
//!
//! ```
//! use weir::types::{IntComparator, KeyedComparator, StringComparator, TypeComparator};
//!
//! struct Employee { dept: String, salary: i64 }
//!
//! let by_dept = KeyedComparator::new(|e: &Employee| &e.dept, StringComparator::new());
//! let by_salary = KeyedComparator::new(|e: &Employee| &e.salary, IntComparator::<i64>::new());
//! let by_dept_then_salary_desc = by_dept.then(by_salary.descending());
//! let a = Employee { dept: "ops".into(), salary: 10 };
//! let b = Employee { dept: "ops".into(), salary: 20 };
//! assert!(by_dept_then_salary_desc.compare(&a, &b).is_gt());
//! ```
//!
//! The selector must be `Clone + Send + Sync + 'static` like every comparator: a closure that
//! captures nothing (or only such values), or a `fn`. The normalized key, its completeness and
//! the hash are the key comparator's.

use std::any::type_name;
use std::cmp::Ordering;
use std::fmt;
use std::marker::PhantomData;

use crate::types::type_comparator::TypeComparator;

/// Compares records `T` by a key they contain, borrowed by `selector` (see the module docs).
pub struct KeyedComparator<T, C, F> {
    selector: F,
    key_comparator: C,
    record: PhantomData<fn(&T)>,
}

impl<T, C, F> KeyedComparator<T, C, F>
where
    T: 'static,
    C: TypeComparator,
    F: for<'a> Fn(&'a T) -> &'a C::Value + Clone + Send + Sync + 'static,
{
    /// Orders records by `key_comparator` applied to `selector(record)`.
    pub fn new(selector: F, key_comparator: C) -> KeyedComparator<T, C, F> {
        KeyedComparator {
            selector,
            key_comparator,
            record: PhantomData,
        }
    }

    /// The key of `record`.
    #[inline]
    pub fn key<'a>(&self, record: &'a T) -> &'a C::Value {
        (self.selector)(record)
    }

    pub fn key_comparator(&self) -> &C {
        &self.key_comparator
    }
}

impl<T, C, F> TypeComparator for KeyedComparator<T, C, F>
where
    T: 'static,
    C: TypeComparator,
    F: for<'a> Fn(&'a T) -> &'a C::Value + Clone + Send + Sync + 'static,
{
    type Value = T;

    #[inline]
    fn compare(&self, a: &T, b: &T) -> Ordering {
        self.key_comparator
            .compare((self.selector)(a), (self.selector)(b))
    }

    fn normalized_key_len(&self) -> usize {
        self.key_comparator.normalized_key_len()
    }

    fn normalized_key_is_complete(&self) -> bool {
        self.key_comparator.normalized_key_is_complete()
    }

    #[inline]
    fn write_normalized_key(&self, value: &T, target: &mut [u8]) {
        self.key_comparator
            .write_normalized_key((self.selector)(value), target);
    }

    #[inline]
    fn hash(&self, value: &T, seed: u64) -> u64 {
        self.key_comparator.hash((self.selector)(value), seed)
    }
}

impl<T, C: Clone, F: Clone> Clone for KeyedComparator<T, C, F> {
    fn clone(&self) -> Self {
        KeyedComparator {
            selector: self.selector.clone(),
            key_comparator: self.key_comparator.clone(),
            record: PhantomData,
        }
    }
}

impl<T, C: fmt::Debug, F> fmt::Debug for KeyedComparator<T, C, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedComparator")
            .field("record", &type_name::<T>())
            .field("key_comparator", &self.key_comparator)
            .finish_non_exhaustive()
    }
}

/// Compares records `T` by a key computed from them by `selector` (see the module docs).
pub struct ComputedKeyComparator<T, C, F> {
    selector: F,
    key_comparator: C,
    record: PhantomData<fn(&T)>,
}

impl<T, C, F> ComputedKeyComparator<T, C, F>
where
    T: 'static,
    C: TypeComparator,
    F: Fn(&T) -> C::Value + Clone + Send + Sync + 'static,
{
    /// Orders records by `key_comparator` applied to `selector(record)`.
    pub fn new(selector: F, key_comparator: C) -> ComputedKeyComparator<T, C, F> {
        ComputedKeyComparator {
            selector,
            key_comparator,
            record: PhantomData,
        }
    }

    /// The key of `record`.
    #[inline]
    pub fn key(&self, record: &T) -> C::Value {
        (self.selector)(record)
    }

    pub fn key_comparator(&self) -> &C {
        &self.key_comparator
    }
}

impl<T, C, F> TypeComparator for ComputedKeyComparator<T, C, F>
where
    T: 'static,
    C: TypeComparator,
    F: Fn(&T) -> C::Value + Clone + Send + Sync + 'static,
{
    type Value = T;

    #[inline]
    fn compare(&self, a: &T, b: &T) -> Ordering {
        self.key_comparator
            .compare(&(self.selector)(a), &(self.selector)(b))
    }

    fn normalized_key_len(&self) -> usize {
        self.key_comparator.normalized_key_len()
    }

    fn normalized_key_is_complete(&self) -> bool {
        self.key_comparator.normalized_key_is_complete()
    }

    #[inline]
    fn write_normalized_key(&self, value: &T, target: &mut [u8]) {
        self.key_comparator
            .write_normalized_key(&(self.selector)(value), target);
    }

    #[inline]
    fn hash(&self, value: &T, seed: u64) -> u64 {
        self.key_comparator.hash(&(self.selector)(value), seed)
    }
}

impl<T, C: Clone, F: Clone> Clone for ComputedKeyComparator<T, C, F> {
    fn clone(&self) -> Self {
        ComputedKeyComparator {
            selector: self.selector.clone(),
            key_comparator: self.key_comparator.clone(),
            record: PhantomData,
        }
    }
}

impl<T, C: fmt::Debug, F> fmt::Debug for ComputedKeyComparator<T, C, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComputedKeyComparator")
            .field("record", &type_name::<T>())
            .field("key_comparator", &self.key_comparator)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{IntComparator, StringComparator};

    #[derive(Debug)]
    struct Order {
        customer: String,
        amount: i64,
        id: u32,
    }

    fn order(customer: &str, amount: i64, id: u32) -> Order {
        Order {
            customer: customer.to_string(),
            amount,
            id,
        }
    }

    #[test]
    fn borrowed_keys_compare_key_and_hash_by_the_field() {
        let by_customer = KeyedComparator::new(|o: &Order| &o.customer, StringComparator::new());
        let a = order("ann", 5, 1);
        let b = order("bob", 1, 2);
        assert_eq!(by_customer.compare(&a, &b), Ordering::Less);
        assert_eq!(
            by_customer.hash(&a, 3),
            StringComparator::new().hash(&"ann".to_string(), 3)
        );
        let mut key = [0u8; 4];
        by_customer.write_normalized_key(&b, &mut key);
        assert_eq!(&key, b"bob\0");
        assert!(format!("{by_customer:?}").contains("KeyedComparator"));
    }

    #[test]
    fn computed_and_chained_keys() {
        let by_amount_then_id = ComputedKeyComparator::new(
            |o: &Order| (o.amount, o.id),
            (
                IntComparator::<i64>::new(),
                IntComparator::<u32>::new().descending(),
            ),
        );
        assert!(by_amount_then_id.normalized_key_is_complete());
        assert_eq!(by_amount_then_id.normalized_key_len(), 12);
        assert_eq!(
            by_amount_then_id.compare(&order("x", 1, 1), &order("y", 1, 2)),
            Ordering::Greater
        );
        let chained = KeyedComparator::new(|o: &Order| &o.customer, StringComparator::new()).then(
            KeyedComparator::new(|o: &Order| &o.amount, IntComparator::<i64>::new()),
        );
        assert_eq!(chained.normalized_key_len(), 16);
        assert!(!chained.normalized_key_is_complete());
        assert_eq!(
            chained.compare(&order("a", 2, 0), &order("a", 1, 0)),
            Ordering::Greater
        );
        let complete_first =
            KeyedComparator::new(|o: &Order| &o.amount, IntComparator::<i64>::new()).then(
                KeyedComparator::new(|o: &Order| &o.customer, StringComparator::new()),
            );
        assert_eq!(complete_first.normalized_key_len(), 24);
    }
}
