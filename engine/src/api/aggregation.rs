//! [`Aggregation`] over tuple fields: `group_by(..).aggregate(Aggregation::Sum, 1)` (Flink's
//! field aggregations), through [`TupleAggregate`], implemented for tuples of numbers, strings
//! and booleans up to 12 fields.
//!
//! Sum works on number fields (integers wrap like Flink's Java arithmetic would overflow;
//! floats add); min and max on every supported field type. The other fields of the result are
//! those of the group's last record, as in Flink.

/// A field aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    Sum,
    Min,
    Max,
}

/// A value that can be aggregated as a tuple field.
pub trait AggregatableField: Clone {
    /// Whether [`Aggregation::Sum`] applies.
    const SUMMABLE: bool;

    /// `self = self ⊕ other`.
    fn aggregate(&mut self, other: &Self, aggregation: Aggregation);
}

macro_rules! int_field {
    ($($ty:ty),*) => {$(
        impl AggregatableField for $ty {
            const SUMMABLE: bool = true;

            #[inline]
            fn aggregate(&mut self, other: &Self, aggregation: Aggregation) {
                match aggregation {
                    Aggregation::Sum => *self = self.wrapping_add(*other),
                    Aggregation::Min => *self = (*self).min(*other),
                    Aggregation::Max => *self = (*self).max(*other),
                }
            }
        }
    )*};
}

int_field!(
    u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, usize, isize
);

macro_rules! float_field {
    ($($ty:ty),*) => {$(
        impl AggregatableField for $ty {
            const SUMMABLE: bool = true;

            #[inline]
            fn aggregate(&mut self, other: &Self, aggregation: Aggregation) {
                match aggregation {
                    Aggregation::Sum => *self += *other,
                    Aggregation::Min => *self = self.min(*other),
                    Aggregation::Max => *self = self.max(*other),
                }
            }
        }
    )*};
}

float_field!(f32, f64);

macro_rules! ordered_field {
    ($($ty:ty),*) => {$(
        impl AggregatableField for $ty {
            const SUMMABLE: bool = false;

            fn aggregate(&mut self, other: &Self, aggregation: Aggregation) {
                match aggregation {
                    Aggregation::Sum => {}
                    Aggregation::Min => {
                        if *other < *self {
                            *self = other.clone();
                        }
                    }
                    Aggregation::Max => {
                        if *other > *self {
                            *self = other.clone();
                        }
                    }
                }
            }
        }
    )*};
}

ordered_field!(String, bool, char);

/// A tuple whose fields can be aggregated by index.
pub trait TupleAggregate: Sized {
    /// Number of fields.
    const ARITY: usize;

    /// Whether `aggregation` applies to field `field` (it exists, and is a number for sums).
    fn supports(field: usize, aggregation: Aggregation) -> bool;

    /// Folds `other`'s field `field` into `self`'s.
    fn aggregate_field(&mut self, other: &Self, field: usize, aggregation: Aggregation);
}

macro_rules! tuple_aggregate {
    ($arity:expr; $($field:tt $ty:ident),+) => {
        impl<$($ty: AggregatableField),+> TupleAggregate for ($($ty,)+) {
            const ARITY: usize = $arity;

            fn supports(field: usize, aggregation: Aggregation) -> bool {
                match field {
                    $($field => aggregation != Aggregation::Sum || $ty::SUMMABLE,)+
                    _ => false,
                }
            }

            #[inline]
            fn aggregate_field(&mut self, other: &Self, field: usize, aggregation: Aggregation) {
                match field {
                    $($field => self.$field.aggregate(&other.$field, aggregation),)+
                    _ => {}
                }
            }
        }
    };
}

tuple_aggregate!(1; 0 A);
tuple_aggregate!(2; 0 A, 1 B);
tuple_aggregate!(3; 0 A, 1 B, 2 C);
tuple_aggregate!(4; 0 A, 1 B, 2 C, 3 D);
tuple_aggregate!(5; 0 A, 1 B, 2 C, 3 D, 4 E);
tuple_aggregate!(6; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
tuple_aggregate!(7; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
tuple_aggregate!(8; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);
tuple_aggregate!(9; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I);
tuple_aggregate!(10; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J);
tuple_aggregate!(11; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K);
tuple_aggregate!(12; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_aggregate_by_index() {
        let mut a = (String::from("b"), 3i64, 2.5f64);
        let b = (String::from("a"), 4i64, 1.0f64);
        a.aggregate_field(&b, 1, Aggregation::Sum);
        a.aggregate_field(&b, 2, Aggregation::Min);
        a.aggregate_field(&b, 0, Aggregation::Min);
        assert_eq!(a, (String::from("a"), 7, 1.0));
        assert!(<(String, i64, f64)>::supports(1, Aggregation::Sum));
        assert!(!<(String, i64, f64)>::supports(0, Aggregation::Sum));
        assert!(<(String, i64, f64)>::supports(0, Aggregation::Max));
        assert!(!<(String, i64, f64)>::supports(3, Aggregation::Max));
    }
}
