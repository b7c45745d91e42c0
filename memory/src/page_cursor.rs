//! Page cursors: [`SegmentTarget`]s and [`SegmentSource`]s over pages that somebody else owns,
//! for structures that keep records back to back in a `Vec` of pages (a sorter's record area, a
//! hash table partition) and write or read them in place.
//!
//! ```text
//!   pages (every page but the last full)            free list
//!   +--------+--------+--------+------+             +------+------+
//!   | page 0 | page 1 | page 2 |…     |  ◀── push ──| page | page |   AppendTarget
//!   +--------+--------+--------+------+             +------+------+
//!        ▲ OverwriteTarget / PagesSource from a page on; OnePage* inside a single page
//! ```
//!
//! | cursor            | writes / reads                                   | past the end            |
//! |-------------------|--------------------------------------------------|-------------------------|
//! | [`AppendTarget`]  | at the end of `pages`, pages taken from `free`   | `PagesFull` when `free` is empty |
//! | [`OverwriteTarget`] | over bytes already written, from a page on     | `PagesFull` after the last page |
//! | [`OnePageTarget`] | inside one page                                  | `PagesFull`             |
//! | [`PagesSource`]   | full pages from a page on, the last to its limit | end of data             |
//! | [`OnePageSource`] | one page up to a limit                           | end of data             |
//!
//! A failed move never loses data: the owner sees [`MemoryError::PagesFull`] and decides (roll
//! back and spill, or report a broken invariant).

use crate::error::MemoryError;
use crate::memory_segment::MemorySegment;
use crate::paged_view::{SegmentSource, SegmentTarget};

/// Writes at the end of `pages`, taking each next page from `free`. See the module docs.
#[derive(Debug)]
pub struct AppendTarget<'a> {
    pages: &'a mut Vec<MemorySegment>,
    free: &'a mut Vec<MemorySegment>,
}

impl<'a> AppendTarget<'a> {
    /// A target writing into the last of `pages`, which must not be empty before the first
    /// write.
    pub fn new(pages: &'a mut Vec<MemorySegment>, free: &'a mut Vec<MemorySegment>) -> Self {
        AppendTarget { pages, free }
    }
}

impl SegmentTarget for AppendTarget<'_> {
    fn current_mut(&mut self) -> &mut MemorySegment {
        self.pages
            .last_mut()
            .expect("the owner takes a write page before it writes")
    }

    fn advance(&mut self, _used_bytes: usize) -> Result<(), MemoryError> {
        let page = self.free.pop().ok_or(MemoryError::PagesFull {
            pages: self.pages.len(),
        })?;
        self.pages.push(page);
        Ok(())
    }
}

/// Writes over bytes already written, from page `page` of `pages` on. See the module docs.
#[derive(Debug)]
pub struct OverwriteTarget<'a> {
    pages: &'a mut [MemorySegment],
    page: usize,
}

impl<'a> OverwriteTarget<'a> {
    pub fn new(pages: &'a mut [MemorySegment], page: usize) -> Self {
        OverwriteTarget { pages, page }
    }
}

impl SegmentTarget for OverwriteTarget<'_> {
    fn current_mut(&mut self) -> &mut MemorySegment {
        &mut self.pages[self.page]
    }

    fn advance(&mut self, _used_bytes: usize) -> Result<(), MemoryError> {
        if self.page + 1 >= self.pages.len() {
            return Err(MemoryError::PagesFull {
                pages: self.pages.len(),
            });
        }
        self.page += 1;
        Ok(())
    }
}

/// Writes inside one page; moving past its end fails. See the module docs.
#[derive(Debug)]
pub struct OnePageTarget<'a> {
    page: &'a mut MemorySegment,
}

impl<'a> OnePageTarget<'a> {
    pub fn new(page: &'a mut MemorySegment) -> Self {
        OnePageTarget { page }
    }
}

impl SegmentTarget for OnePageTarget<'_> {
    #[inline]
    fn current_mut(&mut self) -> &mut MemorySegment {
        self.page
    }

    fn advance(&mut self, _used_bytes: usize) -> Result<(), MemoryError> {
        Err(MemoryError::PagesFull { pages: 1 })
    }
}

/// Reads `pages` from page `page` on: every page but the last is valid to its end, the last up
/// to `last_page_bytes`. See the module docs.
#[derive(Debug)]
pub struct PagesSource<'a> {
    pages: &'a [MemorySegment],
    page: usize,
    last_page_bytes: usize,
}

impl<'a> PagesSource<'a> {
    pub fn new(pages: &'a [MemorySegment], page: usize, last_page_bytes: usize) -> Self {
        PagesSource {
            pages,
            page,
            last_page_bytes,
        }
    }
}

impl SegmentSource for PagesSource<'_> {
    fn current(&self) -> Option<(&MemorySegment, usize)> {
        let page = self.pages.get(self.page)?;
        let limit = if self.page + 1 == self.pages.len() {
            self.last_page_bytes
        } else {
            page.size()
        };
        Some((page, limit))
    }

    fn advance(&mut self) -> Result<bool, MemoryError> {
        if self.page + 1 < self.pages.len() {
            self.page += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

/// Reads one page up to `limit` bytes. See the module docs.
#[derive(Debug)]
pub struct OnePageSource<'a> {
    page: &'a MemorySegment,
    limit: usize,
}

impl<'a> OnePageSource<'a> {
    pub fn new(page: &'a MemorySegment, limit: usize) -> Self {
        OnePageSource { page, limit }
    }
}

impl SegmentSource for OnePageSource<'_> {
    #[inline]
    fn current(&self) -> Option<(&MemorySegment, usize)> {
        Some((self.page, self.limit))
    }

    fn advance(&mut self) -> Result<bool, MemoryError> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PageSize;
    use crate::paged_view::{PagedInputView, PagedOutputView};

    fn pages(count: usize) -> Vec<MemorySegment> {
        (0..count)
            .map(|_| {
                MemorySegment::allocate_unpooled(PageSize::new(PageSize::MIN).unwrap()).unwrap()
            })
            .collect()
    }

    #[test]
    fn append_takes_pages_from_the_free_list_and_fails_when_it_is_empty() {
        let mut written = pages(1);
        let mut free = pages(1);
        let bytes: Vec<u8> = (0..6000u32).map(|i| i as u8).collect();
        let mut view = PagedOutputView::new(AppendTarget::new(&mut written, &mut free));
        view.write_bytes(&bytes).unwrap();
        let end = view.position_in_page();
        assert!(matches!(
            view.write_bytes(&[0; 4096]),
            Err(MemoryError::PagesFull { pages: 2 })
        ));
        assert_eq!((written.len(), free.len()), (2, 0));
        let mut back = vec![0; bytes.len()];
        PagedInputView::new(PagesSource::new(&written, 0, end))
            .read_exact(&mut back)
            .unwrap();
        assert_eq!(back, bytes);
    }

    #[test]
    fn overwrite_crosses_pages_and_stops_after_the_last() {
        let mut written = pages(2);
        let mut view = PagedOutputView::new_at(OverwriteTarget::new(&mut written, 0), 4090);
        view.write_bytes(&[7; 10]).unwrap();
        assert!(view.write_bytes(&[0; 4096]).is_err());
        assert_eq!(written[0].get_u8(4095), 7);
        assert_eq!(written[1].get_u8(3), 7);
    }

    #[test]
    fn one_page_cursors_stay_inside_their_page() {
        let mut page = pages(1).pop().unwrap();
        let mut view = PagedOutputView::new_at(OnePageTarget::new(&mut page), 4094);
        view.write_bytes(&[1, 2]).unwrap();
        assert!(view.write_bytes(&[3]).is_err());
        let mut source = PagedInputView::new_at(OnePageSource::new(&page, 4096), 4094);
        assert_eq!(source.read_u16_be().unwrap(), 0x0102);
        assert!(source.read_u8().is_err());
    }
}
