//! [`StreamRecord`] and its wire form: a record with its event-time timestamp, as it crosses
//! an exchange between streaming tasks.
//!
//! ```text
//!   no timestamp:   [ 0x00 ][ value … ]
//!   timestamp ts:   [ 0x01 ][ ts: i64 little-endian, 8 bytes ][ value … ]
//! ```
//!
//! Watermarks, idleness and barriers do not travel as records: they are channel events
//! ([`crate::runtime::network::ChannelEvent`]) at buffer boundaries.

use weir_memory::{PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::error::WeirError;
use crate::types::deserialize_problem::{invalid, read_failure};
use crate::types::{DeserializeProblem, TypeSerializer};

const NO_TIMESTAMP: u8 = 0;
const WITH_TIMESTAMP: u8 = 1;

/// A record and its timestamp (milliseconds of event time), if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord<T> {
    pub value: T,
    pub timestamp: Option<i64>,
}

/// Serializes [`StreamRecord`]s of `S::Value`. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct StreamRecordSerializer<S> {
    inner: S,
}

impl<S: TypeSerializer> StreamRecordSerializer<S> {
    pub fn new(inner: S) -> Self {
        StreamRecordSerializer { inner }
    }
}

fn write_failure(error: weir_memory::MemoryError) -> WeirError {
    WeirError::Memory(error)
}

impl<S: TypeSerializer> TypeSerializer for StreamRecordSerializer<S> {
    type Value = StreamRecord<S::Value>;

    #[inline]
    fn serialize<W: SegmentTarget>(
        &self,
        record: &Self::Value,
        out: &mut PagedOutputView<W>,
    ) -> Result<(), WeirError> {
        match record.timestamp {
            None => out.write_u8(NO_TIMESTAMP).map_err(write_failure)?,
            Some(timestamp) => {
                out.write_u8(WITH_TIMESTAMP).map_err(write_failure)?;
                out.write_bytes(&timestamp.to_le_bytes())
                    .map_err(write_failure)?;
            }
        }
        self.inner.serialize(&record.value, out)
    }

    #[inline]
    fn deserialize<R: SegmentSource>(
        &self,
        input: &mut PagedInputView<R>,
    ) -> Result<Self::Value, WeirError> {
        let read = |error| read_failure("stream record", error);
        let timestamp = match input.read_u8().map_err(read)? {
            NO_TIMESTAMP => None,
            WITH_TIMESTAMP => {
                let mut bytes = [0u8; 8];
                input.read_exact(&mut bytes).map_err(read)?;
                Some(i64::from_le_bytes(bytes))
            }
            byte => {
                return Err(invalid(
                    "stream record",
                    DeserializeProblem::InvalidTimestampMarker { byte },
                ));
            }
        };
        let value = self.inner.deserialize(input)?;
        Ok(StreamRecord { value, timestamp })
    }
}
