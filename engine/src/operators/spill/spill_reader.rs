//! [`SpillReader`]: reads the records of a [`SpilledRun`] back, with read-ahead.

use weir_memory::{
    BlockChannelReader, FilledBlock, IoManager, MemoryError, MemorySegment, PagedInputView,
    SegmentSource,
};

use crate::error::WeirError;
use crate::operators::spill::SpilledRun;
use crate::types::TypeSerializer;

/// Reads one run. See the module docs of [`crate::operators::spill`].
#[derive(Debug)]
pub struct SpillReader {
    source: BlockSource,
    /// Read position in the current block.
    position: usize,
    records_left: u64,
}

#[derive(Debug)]
struct BlockSource {
    reader: BlockChannelReader,
    current: Option<FilledBlock>,
}

impl SegmentSource for BlockSource {
    fn current(&self) -> Option<(&MemorySegment, usize)> {
        self.current
            .as_ref()
            .map(|block| (block.segment(), block.payload_len()))
    }

    fn advance(&mut self) -> Result<bool, MemoryError> {
        if let Some(block) = self.current.take() {
            // The consumed page reads the next block not yet asked for (read-ahead).
            self.reader.read_block(block.into_segment())?;
        }
        self.current = self.reader.next_block()?;
        Ok(self.current.is_some())
    }
}

impl SpillReader {
    /// A reader of `run` working in `pages` (at least one; every page is one block read ahead).
    pub fn open(
        io: &IoManager,
        run: &SpilledRun,
        pages: Vec<MemorySegment>,
    ) -> Result<SpillReader, WeirError> {
        if pages.is_empty() {
            return Err(WeirError::TooFewPages {
                operator: "spill reader",
                given: 0,
                required: 1,
            });
        }
        let mut reader = io.create_block_reader(run.file())?;
        for page in pages {
            reader.read_block(page)?;
        }
        let current = reader.next_block()?;
        Ok(SpillReader {
            source: BlockSource { reader, current },
            position: 0,
            records_left: run.records(),
        })
    }

    /// Records not read yet.
    pub fn records_left(&self) -> u64 {
        self.records_left
    }

    /// The next record, or `None` after the last.
    pub fn next<S: TypeSerializer>(
        &mut self,
        serializer: &S,
    ) -> Result<Option<S::Value>, WeirError> {
        if self.records_left == 0 {
            return Ok(None);
        }
        let mut view = PagedInputView::new_at(&mut self.source, self.position);
        let record = serializer.deserialize(&mut view);
        self.position = view.finish().1;
        let record = record?;
        self.records_left -= 1;
        Ok(Some(record))
    }

    /// Waits for the reads in flight and returns every page.
    pub fn close(self) -> Vec<MemorySegment> {
        let BlockSource { reader, current } = self.source;
        let mut pages = reader.close();
        pages.extend(current.map(FilledBlock::into_segment));
        pages
    }
}
