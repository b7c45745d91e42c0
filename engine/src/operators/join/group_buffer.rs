//! [`GroupBuffer`]: the right records of one join key, held while every left record of that
//! key is joined with all of them (the cross product of a sort-merge join's equal-key groups).
//!
//! ```text
//!   push(r) ─▶ RecordArea in the buffer's pages ── full? ─▶ copy the area to a SpillWriter
//!                                                           (one page), later records too
//!   for_each(f): in memory: walk the area          spilled: a SpillReader over the run,
//!                                                           reading ahead in the free pages
//! ```
//!
//! However large a group is, the buffer never holds more than its pages: a spilled group is
//! read back from its file once per left record of the key. The run is deleted at
//! [`GroupBuffer::clear`] or drop.

use std::sync::Arc;

use weir_memory::{IoManager, MemorySegment, PageSize};

use crate::error::WeirError;
use crate::operators::join::record_pointers::RecordPointers;
use crate::operators::metrics::OperatorMetrics;
use crate::operators::record_area::{Appended, RecordArea};
use crate::operators::spill::{SpillReader, SpillWriter, SpilledRun};
use crate::types::TypeSerializer;

/// Pages a group buffer needs at least: one for records, one to spill and read back with.
pub const MIN_GROUP_BUFFER_PAGES: usize = 2;

/// Records of one key in pages, spilled when they outgrow them. See the module docs.
#[derive(Debug)]
pub struct GroupBuffer<S: TypeSerializer> {
    serializer: S,
    area: RecordArea,
    free: Vec<MemorySegment>,
    /// The page a spill writer or reader works in, when neither has it.
    spill_page: Option<MemorySegment>,
    writer: Option<SpillWriter>,
    run: Option<SpilledRun>,
    scratch: Vec<u8>,
}

impl<S: TypeSerializer> GroupBuffer<S> {
    /// A buffer in `pages` (at least [`MIN_GROUP_BUFFER_PAGES`]; the caller checks).
    pub fn new(serializer: S, mut pages: Vec<MemorySegment>) -> Result<GroupBuffer<S>, WeirError> {
        assert!(
            pages.len() >= MIN_GROUP_BUFFER_PAGES,
            "the caller checks the pages"
        );
        let page_size = PageSize::new(pages[0].size())?;
        let spill_page = pages.pop();
        Ok(GroupBuffer {
            area: RecordArea::new(page_size, serializer.fixed_length()),
            serializer,
            free: pages,
            spill_page,
            writer: None,
            run: None,
            scratch: Vec::new(),
        })
    }

    /// Pages holding records or in a spill writer.
    pub fn used_pages(&self) -> usize {
        self.area.page_count() + usize::from(self.writer.is_some())
    }

    /// Adds a record of the group.
    pub fn push(&mut self, record: &S::Value, io: &Arc<IoManager>) -> Result<(), WeirError> {
        debug_assert!(self.run.is_none(), "push after end");
        if let Some(writer) = &mut self.writer {
            return writer.write(&self.serializer, record);
        }
        if let Appended::At(_) = self.area.append(&self.serializer, record, &mut self.free)? {
            return Ok(());
        }
        let page = self
            .spill_page
            .take()
            .expect("the spill page is home while pushing");
        let mut writer = SpillWriter::create(io, vec![page])?;
        let mut pointers = RecordPointers::new(&self.area, self.serializer.fixed_length());
        while let Some((pointer, length)) = pointers.next(&self.area)? {
            let (mut view, _) = self.area.reader_at(pointer)?;
            self.scratch.resize(length, 0);
            view.read_exact(&mut self.scratch)?;
            writer.write_serialized(&self.scratch)?;
        }
        self.area.clear(&mut self.free);
        writer.write(&self.serializer, record)?;
        self.writer = Some(writer);
        Ok(())
    }

    /// Ends the group: a spilled group's file is closed and ready to read.
    pub fn end(&mut self, metrics: &mut OperatorMetrics) -> Result<(), WeirError> {
        if let Some(writer) = self.writer.take() {
            let (run, mut pages) = writer.close()?;
            metrics.note_spilled(&run);
            self.spill_page = pages.pop();
            self.free.append(&mut pages);
            self.run = Some(run);
        }
        Ok(())
    }

    /// Calls `f` with every record of the (ended) group, in push order.
    pub fn for_each<F>(&mut self, io: &Arc<IoManager>, mut f: F) -> Result<(), WeirError>
    where
        F: FnMut(&S::Value) -> Result<(), WeirError>,
    {
        match &self.run {
            Some(run) => {
                // The area is empty: every page reads ahead.
                let mut pages = std::mem::take(&mut self.free);
                pages.extend(self.spill_page.take());
                let mut reader = SpillReader::open(io, run, pages)?;
                let outcome = (|| {
                    while let Some(record) = reader.next(&self.serializer)? {
                        f(&record)?;
                    }
                    Ok(())
                })();
                self.free = reader.close();
                self.spill_page = self.free.pop();
                outcome
            }
            None => {
                let mut pointers = RecordPointers::new(&self.area, self.serializer.fixed_length());
                while let Some((pointer, _)) = pointers.next(&self.area)? {
                    f(&self.area.read(&self.serializer, pointer)?)?;
                }
                Ok(())
            }
        }
    }

    /// Empties the buffer for the next group (a spilled group's file is deleted).
    pub fn clear(&mut self) -> Result<(), WeirError> {
        if let Some(writer) = self.writer.take() {
            let (_, mut pages) = writer.close()?;
            self.spill_page = pages.pop();
            self.free.append(&mut pages);
        }
        self.run = None;
        self.area.clear(&mut self.free);
        Ok(())
    }

    /// Ends the buffer and returns its pages.
    pub fn into_pages(mut self) -> Vec<MemorySegment> {
        // A failing close drops the writer's pages back to their pool; nothing to return then.
        let _ = self.clear();
        let mut pages = std::mem::take(&mut self.free);
        pages.extend(self.spill_page.take());
        pages
    }
}
