//! [`SpillWriter`]: serializes records into pages and writes the pages as blocks of one spill
//! file, with write-behind.

use weir_memory::{
    BlockChannelWriter, IoManager, MemoryError, MemorySegment, PagedOutputView, SegmentTarget,
};

use crate::error::WeirError;
use crate::operators::spill::SpilledRun;
use crate::types::TypeSerializer;

/// Writes one run of records. See the module docs of [`crate::operators::spill`].
#[derive(Debug)]
pub struct SpillWriter {
    target: BlockTarget,
    /// Write position in the current page.
    position: usize,
    records: u64,
    pages: usize,
}

/// The pages of a writer: the one being filled, the spare ones, and those in flight.
#[derive(Debug)]
struct BlockTarget {
    writer: BlockChannelWriter,
    /// `None` only after a failed block write took it.
    current: Option<MemorySegment>,
    spare: Vec<MemorySegment>,
}

impl SegmentTarget for BlockTarget {
    fn current_mut(&mut self) -> &mut MemorySegment {
        self.current
            .as_mut()
            .expect("SpillWriter::write checks for a page before it writes")
    }

    fn advance(&mut self, used_bytes: usize) -> Result<(), MemoryError> {
        let full = self.current.take().expect("advance follows current_mut");
        self.writer.write_block(full, used_bytes)?;
        let next = match self.spare.pop() {
            Some(page) => page,
            None => self.writer.next_returned_segment()?,
        };
        self.current = Some(next);
        Ok(())
    }
}

impl SpillWriter {
    /// A writer of a new spill file in `io`'s next directory, working in `pages` (at least one;
    /// each page beyond the first is one more block in flight).
    pub fn create(io: &IoManager, mut pages: Vec<MemorySegment>) -> Result<SpillWriter, WeirError> {
        let Some(current) = pages.pop() else {
            return Err(WeirError::TooFewPages {
                operator: "spill writer",
                given: 0,
                required: 1,
            });
        };
        let writer = io.create_block_writer(io.create_channel())?;
        let count = pages.len() + 1;
        Ok(SpillWriter {
            target: BlockTarget {
                writer,
                current: Some(current),
                spare: pages,
            },
            position: 0,
            records: 0,
            pages: count,
        })
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Pages the writer works in.
    pub fn pages(&self) -> usize {
        self.pages
    }

    fn check_usable(&self) -> Result<(), WeirError> {
        if self.target.current.is_none() {
            return Err(WeirError::SpillWriterFailed {
                path: self.target.writer.path().to_path_buf(),
            });
        }
        Ok(())
    }

    /// Appends one record.
    pub fn write<S: TypeSerializer>(
        &mut self,
        serializer: &S,
        record: &S::Value,
    ) -> Result<(), WeirError> {
        self.check_usable()?;
        let mut view = PagedOutputView::new_at(&mut self.target, self.position);
        let outcome = serializer.serialize(record, &mut view);
        self.position = view.finish().1;
        outcome?;
        self.records += 1;
        Ok(())
    }

    /// Appends one record given as the bytes its serializer wrote (copied from pages, e.g. a
    /// sorter's record area, without deserializing).
    pub fn write_serialized(&mut self, bytes: &[u8]) -> Result<(), WeirError> {
        self.check_usable()?;
        let mut view = PagedOutputView::new_at(&mut self.target, self.position);
        let outcome = view.write_bytes(bytes);
        self.position = view.finish().1;
        outcome?;
        self.records += 1;
        Ok(())
    }

    /// Writes the last page, waits for every write and returns the run with all the pages.
    /// On failure the file is deleted and the pages go back to their pool.
    pub fn close(self) -> Result<(SpilledRun, Vec<MemorySegment>), WeirError> {
        let BlockTarget {
            mut writer,
            current,
            mut spare,
        } = self.target;
        let mut first_error = None;
        if let Some(page) = current {
            if self.position > 0 {
                if let Err(error) = writer.write_block(page, self.position) {
                    first_error = Some(error);
                }
            } else {
                spare.push(page);
            }
        }
        let (file, mut returned) = writer.close();
        spare.append(&mut returned);
        match (first_error, file) {
            (None, Ok(file)) => Ok((SpilledRun::new(file, self.records), spare)),
            (Some(error), _) | (None, Err(error)) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::spill::SpillReader;
    use crate::types::{DefaultSerializer, StringSerializer};
    use weir_memory::{ByteSize, MemoryManager, PageSize};

    fn setup() -> (tempfile::TempDir, IoManager, MemoryManager) {
        let dir = tempfile::tempdir().unwrap();
        let io = IoManager::new(&[dir.path().to_path_buf()]).unwrap();
        let memory = MemoryManager::new(ByteSize::kib(64), PageSize::new(4096).unwrap()).unwrap();
        (dir, io, memory)
    }

    #[test]
    fn records_of_every_size_round_trip_through_a_run() {
        let (_dir, io, memory) = setup();
        let pages = memory.reservation("test").allocate_pages(3).unwrap();
        let mut writer = SpillWriter::create(&io, pages).unwrap();
        // From empty to several pages long.
        let records: Vec<String> = (0..200).map(|i| "r".repeat(i * i % 13_000)).collect();
        for record in &records {
            writer.write(&StringSerializer, record).unwrap();
        }
        let (run, pages) = writer.close().unwrap();
        assert_eq!(pages.len(), 3);
        assert_eq!(run.records(), 200);
        assert!(run.bytes() > records.iter().map(String::len).sum::<usize>() as u64);
        let mut pages = pages;
        for read_pages in [1, 3] {
            let mut reader = SpillReader::open(&io, &run, pages.split_off(3 - read_pages)).unwrap();
            let mut back = Vec::new();
            while let Some(record) = reader.next(&StringSerializer).unwrap() {
                back.push(record);
            }
            assert_eq!(back, records);
            let mut back_pages = reader.close();
            assert_eq!(back_pages.len(), read_pages);
            pages.append(&mut back_pages);
        }
    }

    #[test]
    fn an_empty_run_reads_as_empty_and_its_file_goes_with_the_run() {
        let (_dir, io, memory) = setup();
        let pages = memory.reservation("test").allocate_pages(2).unwrap();
        let writer = SpillWriter::create(&io, pages).unwrap();
        let (run, pages) = writer.close().unwrap();
        assert_eq!((run.records(), run.blocks()), (0, 0));
        let mut reader = SpillReader::open(&io, &run, pages).unwrap();
        assert_eq!(reader.next(&<u64>::serializer()).unwrap(), None);
        assert_eq!(reader.close().len(), 2);
        let path = run.file().path().to_path_buf();
        assert!(path.exists());
        drop(run);
        assert!(!path.exists());
    }

    #[test]
    fn serialized_bytes_are_written_as_records() {
        let (_dir, io, memory) = setup();
        let pages = memory.reservation("test").allocate_pages(1).unwrap();
        let mut writer = SpillWriter::create(&io, pages).unwrap();
        for i in 0..1000u64 {
            writer.write_serialized(&i.to_le_bytes()).unwrap();
        }
        let (run, pages) = writer.close().unwrap();
        let mut reader = SpillReader::open(&io, &run, pages).unwrap();
        let serializer = crate::types::IntSerializer::<u64>::default();
        for i in 0..1000u64 {
            assert_eq!(reader.next(&serializer).unwrap(), Some(i));
        }
        assert_eq!(reader.next(&serializer).unwrap(), None);
    }

    #[test]
    fn no_pages_is_a_clear_error() {
        let (_dir, io, _memory) = setup();
        let error = SpillWriter::create(&io, Vec::new()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("spill writer needs at least 1 pages"),
            "{error}"
        );
    }
}
