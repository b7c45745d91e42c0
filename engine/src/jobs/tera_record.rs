//! The TeraSort record: 100 bytes, as `gensort -a` writes them, so GNU sort and other tools can
//! read them as lines.
//!
//! ```text
//!   0         10  12                               44  46                                  98 99 100
//!   [key: 10 printable chars][2 spaces][row id: 32 hex digits][2 spaces][52 filler chars][\r][\n]
//! ```
//!
//! The key's bytes are uniform over the 95 printable ASCII characters `' '..='~'`; the filler
//! repeats a letter derived from the row id. Sorting compares the key as unsigned bytes.

use crate::api::RecordRandom;

pub const TERA_RECORD_BYTES: usize = 100;
pub const TERA_KEY_BYTES: usize = 10;

/// Record `row` of the data set with `seed`.
pub fn tera_record(seed: u64, row: u64) -> [u8; TERA_RECORD_BYTES] {
    let mut random = RecordRandom::for_record(seed, row);
    let mut record = [b' '; TERA_RECORD_BYTES];
    for byte in &mut record[..TERA_KEY_BYTES] {
        *byte = b' ' + random.below(95) as u8;
    }
    let row_id = format!("{row:032X}");
    record[12..44].copy_from_slice(row_id.as_bytes());
    let filler = b'A' + (row % 26) as u8;
    record[46..98].fill(filler);
    record[98] = b'\r';
    record[99] = b'\n';
    record
}

/// The key of a record.
#[inline]
pub(crate) fn tera_key(record: &[u8; TERA_RECORD_BYTES]) -> [u8; TERA_KEY_BYTES] {
    let mut key = [0u8; TERA_KEY_BYTES];
    key.copy_from_slice(&record[..TERA_KEY_BYTES]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_printable_lines_with_their_row_id() {
        let record = tera_record(1, 255);
        assert!(record[..98].iter().all(|b| (b' '..=b'~').contains(b)));
        assert_eq!(&record[98..], b"\r\n");
        assert_eq!(&record[12..44], format!("{:032X}", 255).as_bytes());
        assert_eq!(record, tera_record(1, 255));
        assert_ne!(tera_key(&record), tera_key(&tera_record(1, 256)));
    }
}
