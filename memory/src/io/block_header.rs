//! [`BlockHeader`]: the fixed 16 bytes in front of every block of a spill file.
//!
//! ```text
//!  byte  0        4                8                12               16
//!        +--------+----------------+----------------+----------------+
//!        | magic  | payload length | CRC32C of the  | block sequence |
//!        | "WBLK" | (bytes, u32)   | payload (u32)  | number (u32)   |
//!        +--------+----------------+----------------+----------------+
//!        all fields little-endian; the payload follows directly
//! ```
//!
//! The sequence number is the block's index in its file (its low 32 bits), so a reader that
//! lands on the wrong block (a length field that was corrupted into a plausible value) notices
//! even when the magic happens to match. The checksum covers the payload only; each header field
//! is checked on its own (magic, sequence, length against the page size).

/// Bytes of the header in front of every block of a spill file.
pub const BLOCK_HEADER_BYTES: usize = 16;

/// `"WBLK"` read as a little-endian `u32`.
const MAGIC: u32 = u32::from_le_bytes(*b"WBLK");

/// The decoded header of one block. See the module docs for the byte layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockHeader {
    pub(crate) payload_len: u32,
    pub(crate) checksum: u32,
    pub(crate) sequence: u32,
}

impl BlockHeader {
    /// The header for `payload` as block number `block` of its file.
    #[inline]
    pub(crate) fn for_payload(payload: &[u8], block: u64) -> BlockHeader {
        BlockHeader {
            payload_len: u32::try_from(payload.len()).expect("a page is at most 1 MiB"),
            checksum: crc32c::crc32c(payload),
            sequence: block as u32,
        }
    }

    #[inline]
    pub(crate) fn encode(&self) -> [u8; BLOCK_HEADER_BYTES] {
        let mut bytes = [0u8; BLOCK_HEADER_BYTES];
        bytes[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.payload_len.to_le_bytes());
        bytes[8..12].copy_from_slice(&self.checksum.to_le_bytes());
        bytes[12..16].copy_from_slice(&self.sequence.to_le_bytes());
        bytes
    }

    /// Decodes and checks the header of block number `block`, whose payload must fit into
    /// `max_payload` bytes. The error is the reason for a [`crate::MemoryError::CorruptBlock`].
    pub(crate) fn decode(
        bytes: &[u8; BLOCK_HEADER_BYTES],
        block: u64,
        max_payload: usize,
    ) -> Result<BlockHeader, String> {
        let field = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let magic = field(0);
        if magic != MAGIC {
            return Err(format!(
                "bad magic {magic:#010x}, expected {MAGIC:#010x} (\"WBLK\")"
            ));
        }
        let header = BlockHeader {
            payload_len: field(4),
            checksum: field(8),
            sequence: field(12),
        };
        if header.sequence != block as u32 {
            return Err(format!(
                "block sequence number {} where {} was expected",
                header.sequence, block as u32
            ));
        }
        if header.payload_len as usize > max_payload {
            return Err(format!(
                "payload length {} exceeds the page size {max_payload}",
                header.payload_len
            ));
        }
        Ok(header)
    }

    /// Checks `payload` (the block's `payload_len` bytes) against the stored checksum.
    #[inline]
    pub(crate) fn verify(&self, payload: &[u8]) -> Result<(), String> {
        let actual = crc32c::crc32c(payload);
        if actual == self.checksum {
            Ok(())
        } else {
            Err(format!(
                "checksum mismatch: the header says {:#010x}, the payload has {actual:#010x}",
                self.checksum
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_little_endian_magic_length_checksum_sequence() {
        let payload = b"hello spill";
        let bytes = BlockHeader::for_payload(payload, 7).encode();
        assert_eq!(&bytes[0..4], b"WBLK");
        assert_eq!(&bytes[4..8], &11u32.to_le_bytes());
        assert_eq!(&bytes[8..12], &crc32c::crc32c(payload).to_le_bytes());
        assert_eq!(&bytes[12..16], &7u32.to_le_bytes());
        let header = BlockHeader::decode(&bytes, 7, 4096).unwrap();
        assert_eq!(header.payload_len, 11);
        header.verify(payload).unwrap();
    }

    #[test]
    fn sequence_number_keeps_the_low_32_bits() {
        let bytes = BlockHeader::for_payload(&[], (1 << 32) + 3).encode();
        assert_eq!(&bytes[12..16], &3u32.to_le_bytes());
        assert!(BlockHeader::decode(&bytes, (1 << 32) + 3, 0).is_ok());
    }

    #[test]
    fn every_field_is_checked() {
        let good = BlockHeader::for_payload(&[1, 2, 3], 2).encode();

        let mut bad_magic = good;
        bad_magic[1] ^= 0xff;
        let reason = BlockHeader::decode(&bad_magic, 2, 4096).unwrap_err();
        assert!(reason.contains("bad magic"), "{reason}");

        let reason = BlockHeader::decode(&good, 3, 4096).unwrap_err();
        assert!(
            reason.contains("sequence number 2 where 3 was expected"),
            "{reason}"
        );

        let reason = BlockHeader::decode(&good, 2, 2).unwrap_err();
        assert!(
            reason.contains("payload length 3 exceeds the page size 2"),
            "{reason}"
        );

        let header = BlockHeader::decode(&good, 2, 4096).unwrap();
        let reason = header.verify(&[1, 2, 4]).unwrap_err();
        assert!(reason.contains("checksum mismatch"), "{reason}");
    }
}
