//! Records and keys: how values are written into pages, and how keys are ordered and hashed.
//!
//! Records flow between tasks and through sort, join and aggregation **serialized** in pages
//! (DESIGN §4). Two traits carry a type through them:
//!
//! ```text
//!          TypeSerializer::serialize                TypeSerializer::deserialize
//!   value ──────────────────────────▶ PagedOutputView ═══ pages ═══▶ PagedInputView ──▶ value
//!                                     (a value may straddle two or more pages)
//!
//!          TypeComparator::write_normalized_key
//!   key ───┬─────────────────────────▶ [k0 k1 … kn-1]   memcmp order agrees with compare
//!          ├─ compare(a, b)   the full order: decides ties of incomplete normalized keys
//!          └─ hash(v, seed)   xxh3, equal for equal keys in every process: partitioning,
//!                             hash-join recursion with a new seed
//! ```
//!
//! # Built-in types
//!
//! | value             | serializer → bytes                             | comparator → key bytes, complete? |
//! |-------------------|------------------------------------------------|-----------------------------------|
//! | `u8`…`u128`, `i8`…`i128` | [`IntSerializer`]: width, little-endian | [`IntComparator`]: width, yes     |
//! | `u16`…`i64`       | [`VarIntSerializer`]: 1–10, LEB128 (zig-zag)   | [`IntComparator`]: width, yes     |
//! | `f32`, `f64`      | [`FloatSerializer`]: 4 / 8, IEEE bits          | [`FloatComparator`]: 4 / 8, yes   |
//! | `bool`            | [`BoolSerializer`]: 1                          | [`BoolComparator`]: 1, yes        |
//! | `String`          | [`StringSerializer`]: varint length + UTF-8    | [`StringComparator`]: 16, no      |
//! | `Vec<u8>`         | [`BytesSerializer`]: varint length + bytes     | [`BytesComparator`]: 16, no       |
//! | `[u8; N]`         | [`FixedBytesSerializer`]: N                    | [`FixedBytesComparator`]: N, yes  |
//! | `Option<T>`       | [`OptionSerializer`]: 1 marker + T             | [`OptionComparator`]: 1 + T's, T's |
//! | `()`, tuples ≤ 12 | tuple of serializers: fields back to back      | tuple of comparators: see below   |
//! | serde types       | [`SerdeSerializer`]: postcard                  | [`KeyedComparator`] on a field    |
//!
//! String and byte-array key lengths are configurable (`with_key_len`), and so is a cap on
//! `[u8; N]` keys (complete only when all N bytes fit). A tuple's key is its fields' keys
//! concatenated up to and including the first incomplete one ([`CompositeKeyLayout`]).
//!
//! Any comparator can be turned around with [`TypeComparator::descending`] ([`Ordered`], per
//! field inside tuples), chained with [`TypeComparator::then`] ([`ThenComparator`]), and applied
//! to a key inside a record with [`KeyedComparator`] (borrowed key) or
//! [`ComputedKeyComparator`] (computed key). [`DefaultSerializer`] and [`DefaultComparator`]
//! name the built-in serializer and comparator of a type: `<(i64, String)>::serializer()`.
//!
//! # Normalized keys
//!
//! A normalized key is a fixed-width byte string per value such that comparing two of them with
//! `memcmp` never contradicts [`TypeComparator::compare`]: `compare(a, b) == Less` implies
//! `key(a) <= key(b)`, and equal values have equal keys. Any prefix of a normalized key keeps this
//! property, so a sort may store as few bytes as it likes. When a comparator is **complete**
//! ([`TypeComparator::normalized_key_is_complete`]), equal full-length keys also imply equal
//! values, and a sort never needs the full comparison. The rules per type are in each file.
//!
//! Deserializing corrupt or truncated input returns [`WeirError::Deserialize`] naming the type
//! and the [`DeserializeProblem`]; it never panics, and a corrupt length never makes it allocate much more than the input holds.
//!
//! [`WeirError::Deserialize`]: crate::WeirError::Deserialize

mod boolean;
mod byte_array;
mod composite_key;
pub(crate) mod deserialize_problem;
mod fixed_bytes;
mod float;
mod integer;
mod keyed_comparator;
mod normalized_key;
mod option;
mod order;
mod postcard_flavor;
mod serde_serializer;
mod string;
mod tagged_union;
mod then_comparator;
mod tuple;
mod type_comparator;
mod type_serializer;

#[cfg(test)]
pub(crate) mod test_pages;

pub use boolean::{BoolComparator, BoolSerializer};
pub use byte_array::{BytesComparator, BytesSerializer};
pub use composite_key::{CompositeKeyLayout, CompositeKeyWriter};
pub use deserialize_problem::DeserializeProblem;
pub(crate) use deserialize_problem::read_failure;
pub use fixed_bytes::{FixedBytesComparator, FixedBytesSerializer};
pub use float::{FloatComparator, FloatSerializer};
pub use integer::{IntComparator, IntSerializer, VarIntSerializer};
pub use keyed_comparator::{ComputedKeyComparator, KeyedComparator};
pub use normalized_key::{DEFAULT_VARIABLE_KEY_BYTES, write_key_prefix};
pub use option::{OptionComparator, OptionSerializer};
pub use order::{Order, Ordered};
pub use serde_serializer::SerdeSerializer;
pub use string::{StringComparator, StringSerializer};
pub use tagged_union::{InputTagSerializer, TaggedUnion, TaggedUnionSerializer};
pub use then_comparator::ThenComparator;
pub use type_comparator::{DefaultComparator, TypeComparator};
pub use type_serializer::{DefaultSerializer, TypeSerializer};
