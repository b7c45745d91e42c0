//! [`SpanningRecord`]: the bytes of one record that spans buffers, gathered per channel.
//!
//! When a buffer ends in the middle of a record, the reader copies the record's bytes so far
//! into this area and returns the buffer at once (it must not hold buffers of one channel while
//! waiting for that channel, and the producer's pool may be tiny). The following buffers of the
//! channel add their continuation bytes; when the record is complete it is deserialized from
//! here.
//!
//! ```text
//!   buffer k  [.. | rec D head]   buffer k+1 [ D middle ]   buffer k+2 [D tail | E ..]
//!                      │                         │                        │
//!                      ▼                         ▼                        ▼
//!   area pages  [ D head | D middle ...... ][ ... D tail |    ]   → deserialize D
//! ```
//!
//! The area is made of unpooled pages of the buffer size, outside the network pool (a record
//! may be many pages long, and taking them from the pool could starve the producers). It keeps up
//! to [`KEPT_PAGES`] pages between records and counts what it allocates.

use weir_memory::{MemorySegment, PageSize, PagesSource};

use crate::error::WeirError;

/// Pages kept for the next spanning record; longer records allocate and free the rest.
const KEPT_PAGES: usize = 2;

#[derive(Debug, Default)]
pub(crate) struct SpanningRecord {
    pages: Vec<MemorySegment>,
    len_bytes: usize,
    in_progress: bool,
    /// Pages allocated over the area's life.
    pub(crate) pages_allocated: u64,
    /// Most pages held at once.
    pub(crate) peak_pages: usize,
}

impl SpanningRecord {
    pub(crate) fn in_progress(&self) -> bool {
        self.in_progress
    }

    pub(crate) fn len_bytes(&self) -> usize {
        self.len_bytes
    }

    /// Starts a record with its first bytes.
    pub(crate) fn start(&mut self, bytes: &[u8], page_size: usize) -> Result<(), WeirError> {
        self.in_progress = true;
        self.len_bytes = 0;
        self.append(bytes, page_size)
    }

    /// Adds the next bytes of the record.
    pub(crate) fn append(&mut self, mut bytes: &[u8], page_size: usize) -> Result<(), WeirError> {
        while !bytes.is_empty() {
            let page_index = self.len_bytes / page_size;
            let offset = self.len_bytes % page_size;
            if page_index == self.pages.len() {
                self.pages
                    .push(MemorySegment::allocate_unpooled(PageSize::new(page_size)?)?);
                self.pages_allocated += 1;
                self.peak_pages = self.peak_pages.max(self.pages.len());
            }
            let n = bytes.len().min(page_size - offset);
            self.pages[page_index].put_bytes(offset, &bytes[..n]);
            self.len_bytes += n;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    /// The gathered bytes as a source for one view.
    pub(crate) fn source(&self, page_size: usize) -> PagesSource<'_> {
        let used_pages = self.len_bytes.div_ceil(page_size).max(1);
        let last_page_bytes = self.len_bytes - (used_pages - 1) * page_size;
        PagesSource::new(
            &self.pages[..used_pages.min(self.pages.len())],
            0,
            last_page_bytes,
        )
    }

    /// The record was read: forget its bytes, keep a few pages.
    pub(crate) fn clear(&mut self) {
        self.in_progress = false;
        self.len_bytes = 0;
        self.pages.truncate(KEPT_PAGES);
    }
}

#[cfg(test)]
mod tests {
    use weir_memory::PagedInputView;

    use super::*;

    #[test]
    fn gathers_bytes_over_many_pages_and_keeps_few() {
        let mut area = SpanningRecord::default();
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        area.start(&bytes[..100], 4096).unwrap();
        for chunk in bytes[100..].chunks(4096) {
            area.append(chunk, 4096).unwrap();
        }
        assert_eq!(area.len_bytes(), bytes.len());
        let mut back = vec![0; bytes.len()];
        let mut view = PagedInputView::new(area.source(4096));
        view.read_exact(&mut back).unwrap();
        assert!(view.at_end().unwrap());
        assert_eq!(back, bytes);
        assert_eq!(area.peak_pages, 5);
        area.clear();
        assert_eq!(area.pages.len(), KEPT_PAGES);
        assert!(!area.in_progress());
    }
}
