//! [`JoinSchema`] and [`JoinInputs`]: the two record types of a join, their serializers, and
//! how a key is taken from each and compared.
//!
//! Both sides map their records to one key type `K` (`left_key: Fn(&L) -> K`,
//! `right_key: Fn(&R) -> K`), and one [`TypeComparator`] over `K` hashes keys
//! (`hash(&key, seed)`, hash joins) and decides equality (`compare == Equal`, every join) and
//! order (sort-merge joins). Keys are equal exactly when the comparator says so: an
//! `Option` key's `None` equals `None` (as in Flink's DataSet joins), not the SQL rule that
//! NULL matches nothing. A caller that wants SQL semantics filters `None` keys out before
//! the join (and emits them itself for outer joins).

use crate::types::{TypeComparator, TypeSerializer};

/// The left record type of a schema.
pub type LeftOf<J> = <<J as JoinSchema>::LeftSerializer as TypeSerializer>::Value;
/// The right record type of a schema.
pub type RightOf<J> = <<J as JoinSchema>::RightSerializer as TypeSerializer>::Value;
/// The key type of a schema.
pub type KeyOf<J> = <<J as JoinSchema>::KeyComparator as TypeComparator>::Value;

/// What a join operator needs to know about its inputs. [`JoinInputs`] is the implementation
/// built from closures; the trait keeps the operators' type parameters to one.
pub trait JoinSchema {
    type LeftSerializer: TypeSerializer;
    type RightSerializer: TypeSerializer;
    type KeyComparator: TypeComparator;

    fn left_serializer(&self) -> &Self::LeftSerializer;
    fn right_serializer(&self) -> &Self::RightSerializer;
    fn key_comparator(&self) -> &Self::KeyComparator;
    fn left_key(&self, left: &LeftOf<Self>) -> KeyOf<Self>;
    fn right_key(&self, right: &RightOf<Self>) -> KeyOf<Self>;
}

/// A [`JoinSchema`] from two serializers, a key comparator and two key extractors.
#[derive(Debug, Clone)]
pub struct JoinInputs<LS, RS, KC, LK, RK> {
    left_serializer: LS,
    right_serializer: RS,
    key_comparator: KC,
    left_key: LK,
    right_key: RK,
}

impl<LS, RS, KC, LK, RK> JoinInputs<LS, RS, KC, LK, RK>
where
    LS: TypeSerializer,
    RS: TypeSerializer,
    KC: TypeComparator,
    LK: Fn(&LS::Value) -> KC::Value,
    RK: Fn(&RS::Value) -> KC::Value,
{
    pub fn new(
        left_serializer: LS,
        right_serializer: RS,
        key_comparator: KC,
        left_key: LK,
        right_key: RK,
    ) -> JoinInputs<LS, RS, KC, LK, RK> {
        JoinInputs {
            left_serializer,
            right_serializer,
            key_comparator,
            left_key,
            right_key,
        }
    }
}

impl<LS, RS, KC, LK, RK> JoinSchema for JoinInputs<LS, RS, KC, LK, RK>
where
    LS: TypeSerializer,
    RS: TypeSerializer,
    KC: TypeComparator,
    LK: Fn(&LS::Value) -> KC::Value,
    RK: Fn(&RS::Value) -> KC::Value,
{
    type LeftSerializer = LS;
    type RightSerializer = RS;
    type KeyComparator = KC;

    #[inline]
    fn left_serializer(&self) -> &LS {
        &self.left_serializer
    }

    #[inline]
    fn right_serializer(&self) -> &RS {
        &self.right_serializer
    }

    #[inline]
    fn key_comparator(&self) -> &KC {
        &self.key_comparator
    }

    #[inline]
    fn left_key(&self, left: &LS::Value) -> KC::Value {
        (self.left_key)(left)
    }

    #[inline]
    fn right_key(&self, right: &RS::Value) -> KC::Value {
        (self.right_key)(right)
    }
}
