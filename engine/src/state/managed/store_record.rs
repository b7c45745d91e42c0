//! [`StoreRecord`]: one serialized entry (or tombstone) of the managed state's spill store.
//!
//! ```text
//!   byte 0         4              8      9
//!        +---------+--------------+------+----------------------------+-------------------+
//!        | key len | value len    | kind | lookup key                 | value             |
//!        | u32 LE  | u32 LE       | u8   | (key len bytes)            | (value len bytes) |
//!        +---------+--------------+------+----------------------------+-------------------+
//!   kind: 0 = put, 1 = tombstone (value len 0)
//!
//!   lookup key = u32 BE state id | u32 BE key group | key (K's serializer) | namespace (N's)
//!   value      = the entry as its StateKind writes it, with every TTL timestamp (nothing
//!                filtered), so loading it back gives exactly the entry that was evicted
//! ```
//!
//! Lookup keys compare as bytes: records of one state and key group are adjacent in a sorted
//! run, and two (key, namespace) pairs are equal exactly when their serialized bytes are
//! (serializers are deterministic and self-delimiting, so key ‖ namespace is unambiguous). The
//! key ‖ namespace part is byte for byte what a snapshot section holds in front of an entry.
//!
//! A record is self-describing, so [`StoreRecordSerializer`] reads it from any paged view (a
//! [`RecordArea`](crate::operators::record_area::RecordArea) of the write buffer, a
//! [`SpillReader`](crate::operators::spill::SpillReader) of a run) as its raw bytes.

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::error::WeirError;
use crate::types::TypeSerializer;
use crate::types::deserialize_problem::read_failure;

/// Bytes in front of the lookup key.
pub const RECORD_HEADER_BYTES: usize = 9;

/// Bytes of the state id and key group in front of key and namespace.
pub const LOOKUP_PREFIX_BYTES: usize = 8;

/// Longest lookup key or value a record may claim (guards reads against corrupt lengths).
const MAX_PART_BYTES: u32 = 1 << 30;

/// What a record says about its lookup key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// The entry of the lookup key is the value.
    Put,
    /// The lookup key has no entry (any older copy is dead).
    Tombstone,
}

/// A record's parts, borrowed from its bytes.
#[derive(Debug, Clone, Copy)]
pub struct StoreRecord<'a> {
    pub kind: RecordKind,
    pub lookup_key: &'a [u8],
    pub value: &'a [u8],
}

impl<'a> StoreRecord<'a> {
    /// Parses the bytes of one whole record (as written by [`encode_record`]).
    ///
    /// Panics on bytes that are not a record: they come from this process's own pages and
    /// checksummed spill blocks, read through [`StoreRecordSerializer`], which checked them.
    pub fn parse(bytes: &'a [u8]) -> StoreRecord<'a> {
        let key_len = u32::from_le_bytes(bytes[0..4].try_into().expect("4 bytes")) as usize;
        let value_len = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
        let kind = if bytes[8] == 0 {
            RecordKind::Put
        } else {
            RecordKind::Tombstone
        };
        let key_end = RECORD_HEADER_BYTES + key_len;
        StoreRecord {
            kind,
            lookup_key: &bytes[RECORD_HEADER_BYTES..key_end],
            value: &bytes[key_end..key_end + value_len],
        }
    }

    /// State id of the lookup key.
    pub fn state_id(&self) -> u32 {
        state_id_of(self.lookup_key)
    }

    /// Key group of the lookup key.
    pub fn key_group(&self) -> u32 {
        u32::from_be_bytes(self.lookup_key[4..8].try_into().expect("4 bytes"))
    }

    /// Key ‖ namespace bytes of the lookup key.
    pub fn key_and_namespace(&self) -> &'a [u8] {
        &self.lookup_key[LOOKUP_PREFIX_BYTES..]
    }
}

/// State id in front of a lookup key.
pub fn state_id_of(lookup_key: &[u8]) -> u32 {
    u32::from_be_bytes(lookup_key[0..4].try_into().expect("4 bytes"))
}

/// Starts a lookup key in `out` (cleared first): state id and key group; the caller appends
/// key and namespace.
pub fn start_lookup_key(state_id: u32, key_group: u32, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&state_id.to_be_bytes());
    out.extend_from_slice(&key_group.to_be_bytes());
}

/// Writes a whole record into `out` (cleared first).
pub fn encode_record(kind: RecordKind, lookup_key: &[u8], value: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&(lookup_key.len() as u32).to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.push(match kind {
        RecordKind::Put => 0,
        RecordKind::Tombstone => 1,
    });
    out.extend_from_slice(lookup_key);
    out.extend_from_slice(value);
}

/// Lookup-key and value lengths from the first [`RECORD_HEADER_BYTES`] of a record; a
/// [`WeirError::CorruptSnapshot`] for lengths or a kind that no record has.
#[inline]
pub fn record_lengths(header: &[u8]) -> Result<(usize, usize), WeirError> {
    let key_len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes"));
    let value_len = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
    if key_len < LOOKUP_PREFIX_BYTES as u32
        || key_len > MAX_PART_BYTES
        || value_len > MAX_PART_BYTES
        || header[8] > 1
    {
        return Err(WeirError::CorruptSnapshot {
            what: TYPE_NAME.to_owned(),
            problem: format!(
                "header with key length {key_len}, value length {value_len}, kind {}",
                header[8]
            ),
        });
    }
    Ok((key_len as usize, value_len as usize))
}

/// Reads and writes whole records as their raw bytes. See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreRecordSerializer;

const TYPE_NAME: &str = "managed state record";

impl TypeSerializer for StoreRecordSerializer {
    type Value = Vec<u8>;

    fn serialize<W: SegmentTarget>(
        &self,
        value: &Vec<u8>,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        out.write_bytes(value)?;
        Ok(())
    }

    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<Vec<u8>, WeirError> {
        let mut header = [0u8; RECORD_HEADER_BYTES];
        input
            .read_exact(&mut header)
            .map_err(|error| read_failure(TYPE_NAME, error))?;
        let (key_len, value_len) = record_lengths(&header)?;
        let total = RECORD_HEADER_BYTES + key_len + value_len;
        let mut bytes = vec![0u8; total];
        bytes[..RECORD_HEADER_BYTES].copy_from_slice(&header);
        input
            .read_exact(&mut bytes[RECORD_HEADER_BYTES..])
            .map_err(|error| read_failure(TYPE_NAME, error))?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::state_bytes::{read_with, write_with};

    #[test]
    fn records_round_trip_and_corrupt_headers_are_errors() {
        let mut key = Vec::new();
        start_lookup_key(3, 17, &mut key);
        key.extend_from_slice(b"key-and-namespace");
        let mut bytes = Vec::new();
        encode_record(RecordKind::Put, &key, &[7; 5000], &mut bytes);
        let mut written = Vec::new();
        write_with(&mut written, |view| {
            StoreRecordSerializer.serialize(&bytes, view)
        })
        .unwrap();
        let back = read_with(&written, |view| StoreRecordSerializer.deserialize(view)).unwrap();
        assert_eq!(back, bytes);
        let record = StoreRecord::parse(&back);
        assert_eq!(record.kind, RecordKind::Put);
        assert_eq!((record.state_id(), record.key_group()), (3, 17));
        assert_eq!(record.key_and_namespace(), b"key-and-namespace");
        assert_eq!(record.value, &[7; 5000][..]);

        encode_record(RecordKind::Tombstone, &key, &[], &mut bytes);
        assert_eq!(StoreRecord::parse(&bytes).kind, RecordKind::Tombstone);
        let mut corrupt = bytes.clone();
        corrupt[8] = 9;
        assert!(read_with(&corrupt, |view| StoreRecordSerializer.deserialize(view)).is_err());
        assert!(read_with(&bytes[..12], |view| StoreRecordSerializer.deserialize(view)).is_err());
    }
}
