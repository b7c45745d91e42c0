//! [`Data`] and [`Key`]: what a record type and a key type of a DataSet need.
//!
//! Records cross task boundaries serialized (DESIGN §4), so a record type names its serializer
//! ([`DefaultSerializer`]); every built-in type (integers, floats, `bool`, `String`, `Vec<u8>`,
//! `[u8; N]`, `Option`, tuples up to 12) has one. A serde-derived struct gets one with
//! [`crate::serde_record!`]. Records are `Clone` because one output may feed several consumers
//! (Flink copies records between chained operators for the same reason).
//!
//! A key additionally orders and hashes ([`DefaultComparator`]): the same built-in types.

use crate::types::{DefaultComparator, DefaultSerializer};

/// A record type of a DataSet.
pub trait Data: DefaultSerializer + Clone + Send + Sync + 'static {}

impl<T: DefaultSerializer + Clone + Send + Sync + 'static> Data for T {}

/// A key type: a record type that can also be compared, hashed and written as a normalized key.
pub trait Key: Data + DefaultComparator {}

impl<T: Data + DefaultComparator> Key for T {}

/// Gives a serde-derived type (`#[derive(Serialize, Deserialize, Clone)]`) a serializer, so it
/// can be a DataSet record: `weir::serde_record!(Order);`. The encoding is postcard
/// ([`crate::types::SerdeSerializer`]).
#[macro_export]
macro_rules! serde_record {
    ($($record:ty),+ $(,)?) => {$(
        impl $crate::types::DefaultSerializer for $record {
            type Serializer = $crate::types::SerdeSerializer<$record>;
        }
    )+};
}
