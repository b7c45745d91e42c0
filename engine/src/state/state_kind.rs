//! [`StateKind`]: how one kind of keyed state (value, list, map, reducing, aggregating) stores,
//! measures, expires and encodes what it holds for one (key, namespace).
//!
//! The generic [`StateTable`](crate::state::state_table::StateTable) keeps the key groups,
//! keys and namespaces; a kind decides what an entry is:
//!
//! ```text
//!   kind          entry                                   entry bytes in a snapshot
//!   value         TtlValue<T>                             [ts i64]? T
//!   reducing      TtlValue<T>                             [ts i64]? T
//!   aggregating   TtlValue<Acc>                           [ts i64]? Acc
//!   list          ListEntry<T> (values + timestamps)      varint n, n × ([ts i64]? T)
//!   map           UK ──▶ TtlValue<UV>                     varint n, n × (UK [ts i64]? UV)
//! ```
//!
//! `[ts]?` is present only when the state has a TTL (both sides of a restore agree on that
//! through the state's fingerprint). A snapshot writes only the parts that have not expired.

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::error::WeirError;
use crate::state::state_bytes::serialized_len;
use crate::state::state_ttl_config::StateTtlConfig;
use crate::types::{DefaultSerializer, DeserializeProblem, TypeSerializer, VarIntSerializer};

/// How a kind of keyed state keeps its entries. See the module docs.
pub trait StateKind: Send + 'static {
    /// What the state holds for one (key, namespace).
    type Entry: Send + 'static;

    /// The kind and its value types, for the state's fingerprint (e.g. `value=i64`).
    fn type_description(&self) -> String;

    /// Heap bytes of `entry` beyond its inline size: the serialized length of its
    /// variable-size parts, and the elements of lists and maps.
    fn payload_heap_bytes(&self, entry: &Self::Entry) -> Result<u64, WeirError>;

    /// True when some part of `entry` has not expired at `now_ms`.
    fn has_live_part(&self, entry: &Self::Entry, ttl: &StateTtlConfig, now_ms: i64) -> bool;

    /// Drops the parts of `entry` that expired at `now_ms`; true when nothing is left.
    fn remove_expired(&self, entry: &mut Self::Entry, ttl: &StateTtlConfig, now_ms: i64) -> bool;

    /// Writes the live parts of `entry`; `ttl` is `Some((config, now_ms))` for a state with TTL.
    fn write_entry<W: SegmentTarget>(
        &self,
        entry: &Self::Entry,
        ttl: Option<(&StateTtlConfig, i64)>,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError>;

    /// Reads what [`StateKind::write_entry`] wrote (with TTL timestamps when `with_ttl`).
    fn read_entry<R: SegmentSource>(
        &self,
        with_ttl: bool,
        input: &mut PagedInputView<R>,
    ) -> Result<Self::Entry, WeirError>;
}

/// A kind whose entries of two namespaces can be merged into one.
pub trait MergingKind: StateKind {
    /// `into` and `from` combined (both live); `now_ms` is the time of the merge (a write).
    fn merge_entries(&self, into: Self::Entry, from: Self::Entry, now_ms: i64) -> Self::Entry;
}

/// A value with the processing time of its last write (or read, see
/// [`crate::state::UpdateType`]); the time is unused for states without TTL.
/// A kind whose entry is one [`TtlValue`] (value, reducing, aggregating state): everything
/// [`StateKind`] asks follows from the value's serializer and the kind's name.
pub trait SingleValueKind: Send + 'static {
    type Value: Send + 'static;
    type Serializer: TypeSerializer<Value = Self::Value>;

    fn serializer(&self) -> &Self::Serializer;

    /// The kind and its value type, e.g. `value=i64`.
    fn kind_description(&self) -> String;
}

impl<S: SingleValueKind> StateKind for S {
    type Entry = TtlValue<S::Value>;

    fn type_description(&self) -> String {
        self.kind_description()
    }

    fn payload_heap_bytes(&self, entry: &Self::Entry) -> Result<u64, WeirError> {
        variable_heap_bytes(self.serializer(), &entry.value)
    }

    fn has_live_part(&self, entry: &Self::Entry, ttl: &StateTtlConfig, now_ms: i64) -> bool {
        !ttl.is_expired(entry.timestamp_ms, now_ms)
    }

    fn remove_expired(&self, entry: &mut Self::Entry, ttl: &StateTtlConfig, now_ms: i64) -> bool {
        ttl.is_expired(entry.timestamp_ms, now_ms)
    }

    fn write_entry<W: SegmentTarget>(
        &self,
        entry: &Self::Entry,
        ttl: Option<(&StateTtlConfig, i64)>,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        write_ttl_value(self.serializer(), entry, ttl.is_some(), out)
    }

    fn read_entry<R: SegmentSource>(
        &self,
        with_ttl: bool,
        input: &mut PagedInputView<R>,
    ) -> Result<Self::Entry, WeirError> {
        read_ttl_value(self.serializer(), with_ttl, input)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TtlValue<V> {
    pub value: V,
    pub timestamp_ms: i64,
}

impl<V> TtlValue<V> {
    #[inline]
    pub fn new(value: V, timestamp_ms: i64) -> TtlValue<V> {
        TtlValue {
            value,
            timestamp_ms,
        }
    }

    #[inline]
    pub fn is_expired(&self, ttl: Option<&StateTtlConfig>, now_ms: i64) -> bool {
        ttl.is_some_and(|ttl| ttl.is_expired(self.timestamp_ms, now_ms))
    }
}

/// Serialized length of a variable-size value, 0 for fixed-length types (their size is part of
/// the inline size already).
#[inline]
pub fn variable_heap_bytes<S: TypeSerializer>(
    serializer: &S,
    value: &S::Value,
) -> Result<u64, WeirError> {
    if serializer.fixed_length().is_some() {
        return Ok(0);
    }
    Ok(serialized_len(serializer, value)? as u64)
}

/// Writes a TTL timestamp (for states with TTL).
pub fn write_timestamp<W: SegmentTarget>(
    timestamp_ms: i64,
    out: &mut PagedOutputView<W>,
) -> Result<(), WeirError> {
    i64::serializer().serialize(&timestamp_ms, out)
}

/// Reads a TTL timestamp.
pub fn read_timestamp<R: SegmentSource>(input: &mut PagedInputView<R>) -> Result<i64, WeirError> {
    i64::serializer().deserialize(input)
}

/// Writes a single-value entry (value, reducing, aggregating kinds).
pub fn write_ttl_value<S: TypeSerializer, W: SegmentTarget>(
    serializer: &S,
    entry: &TtlValue<S::Value>,
    with_ttl: bool,
    out: &mut PagedOutputView<W>,
) -> Result<(), WeirError> {
    if with_ttl {
        write_timestamp(entry.timestamp_ms, out)?;
    }
    serializer.serialize(&entry.value, out)
}

/// Reads a single-value entry.
pub fn read_ttl_value<S: TypeSerializer, R: SegmentSource>(
    serializer: &S,
    with_ttl: bool,
    input: &mut PagedInputView<R>,
) -> Result<TtlValue<S::Value>, WeirError> {
    let timestamp_ms = if with_ttl { read_timestamp(input)? } else { 0 };
    Ok(TtlValue::new(serializer.deserialize(input)?, timestamp_ms))
}

/// Writes the element count of a list or map.
pub fn write_length<W: SegmentTarget>(
    len: usize,
    out: &mut PagedOutputView<W>,
) -> Result<(), WeirError> {
    VarIntSerializer::<u64>::new().serialize(&(len as u64), out)
}

/// Reads an element count written by [`write_length`]; counts above `max_len` are corrupt.
pub fn read_length<R: SegmentSource>(
    max_len: u64,
    input: &mut PagedInputView<R>,
) -> Result<usize, WeirError> {
    let len = VarIntSerializer::<u64>::new().deserialize(input)?;
    if len > max_len {
        return Err(WeirError::Deserialize {
            type_name: "state element count",
            problem: DeserializeProblem::LengthTooLarge {
                length: len,
                max: max_len,
            },
        });
    }
    usize::try_from(len).map_err(|_| WeirError::Deserialize {
        type_name: "state element count",
        problem: DeserializeProblem::LengthTooLarge {
            length: len,
            max: usize::MAX as u64,
        },
    })
}

/// Longest list or map a snapshot may claim (guards restores against corrupt counts).
pub const MAX_RESTORED_ELEMENTS: u64 = 1 << 32;

/// Capacity to reserve for `len` elements read from a snapshot (bounded, so a corrupt count
/// fails on the missing bytes instead of a huge allocation).
pub fn bounded_capacity(len: usize) -> usize {
    len.min(4096)
}
