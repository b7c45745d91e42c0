//! [`RecordPointers`]: walks the records of a [`RecordArea`] in the order they were written,
//! yielding each record's pointer.
//!
//! Records lie back to back in the area's byte space (see `record_area.rs`), so the next
//! pointer is this one plus the record's length: the fixed length of the serializer, or the
//! `u32` length prefix plus its four bytes.

use crate::error::WeirError;
use crate::operators::record_area::{LENGTH_PREFIX_BYTES, RecordArea};

/// Pointers of the records of one area, first to last.
#[derive(Debug, Clone, Copy)]
pub struct RecordPointers {
    next: u64,
    end: u64,
    fixed_length: Option<usize>,
}

impl RecordPointers {
    /// Every record of `area`, written by a serializer of `fixed_length`.
    pub fn new(area: &RecordArea, fixed_length: Option<usize>) -> RecordPointers {
        RecordPointers {
            next: 0,
            end: area.occupied_bytes(),
            fixed_length,
        }
    }

    /// The next record's pointer and its length (without the length prefix).
    pub fn next(&mut self, area: &RecordArea) -> Result<Option<(u64, usize)>, WeirError> {
        if self.next >= self.end {
            return Ok(None);
        }
        let pointer = self.next;
        let (length, stride) = match self.fixed_length {
            Some(length) => (length, length),
            None => {
                let (_, prefix) = area.reader_at(pointer)?;
                let length = prefix.expect("an area of variable-length records has prefixes");
                (length as usize, length as usize + LENGTH_PREFIX_BYTES)
            }
        };
        self.next += stride as u64;
        Ok(Some((pointer, length)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::record_area::Appended;
    use crate::types::{DefaultSerializer, StringSerializer, TypeSerializer};
    use weir_memory::{ByteSize, MemoryManager, PageSize};

    #[test]
    fn walks_fixed_and_variable_records_across_pages() {
        let page_size = PageSize::new(4096).unwrap();
        let manager = MemoryManager::new(ByteSize::kib(128), page_size).unwrap();
        let mut free = manager.reservation("t").allocate_pages(32).unwrap();

        let mut area = RecordArea::new(page_size, None);
        let records: Vec<String> = (0..40).map(|i| "s".repeat(i * 97 % 3000)).collect();
        let mut pointers = Vec::new();
        for record in &records {
            let Appended::At(pointer) = area.append(&StringSerializer, record, &mut free).unwrap()
            else {
                panic!("32 pages hold them");
            };
            pointers.push(pointer);
        }
        let mut walk = RecordPointers::new(&area, None);
        let mut walked = Vec::new();
        while let Some((pointer, _)) = walk.next(&area).unwrap() {
            assert_eq!(
                area.read(&StringSerializer, pointer).unwrap(),
                records[walked.len()]
            );
            walked.push(pointer);
        }
        assert_eq!(walked, pointers);
        area.clear(&mut free);

        let serializer = <(u64, u32)>::serializer();
        let mut area = RecordArea::new(page_size, serializer.fixed_length());
        for i in 0..1000u64 {
            assert!(matches!(
                area.append(&serializer, &(i, i as u32), &mut free).unwrap(),
                Appended::At(_)
            ));
        }
        let mut walk = RecordPointers::new(&area, serializer.fixed_length());
        let mut count = 0u64;
        while let Some((pointer, length)) = walk.next(&area).unwrap() {
            assert_eq!(length, 12);
            assert_eq!(
                area.read(&serializer, pointer).unwrap(),
                (count, count as u32)
            );
            count += 1;
        }
        assert_eq!(count, 1000);
        area.clear(&mut free);
    }
}
