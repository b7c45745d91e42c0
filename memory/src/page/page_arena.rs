//! One anonymous mapping cut into equal pages; see the module docs of [`crate::page`].

use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;

use memmap2::{MmapMut, MmapOptions, UncheckedAdvice};

use crate::error::MemoryError;

/// Owns an anonymous mapping of `page_size * page_count` bytes.
///
/// Invariants:
/// * `base` points to the start of `map`, which is `page_size * page_count` bytes long and is
///   never moved, resized or unmapped while the arena lives (memmap2 unmaps on drop only).
/// * The arena is created together with all of its pages ([`PageArena::map_pages`]) and never
///   hands out another page afterwards, so no two `Page`s ever cover the same bytes.
pub(crate) struct PageArena {
    map: MmapMut,
    base: NonNull<u8>,
    page_size: usize,
    page_count: usize,
}

// SAFETY: the arena itself only ever reads `base` to derive page pointers at creation and to
// advise the kernel about ranges owned by a `&mut Page`; the bytes are accessed through `Page`s
// whose borrow rules prevent data races. The mapping is valid from any thread.
unsafe impl Send for PageArena {}
// SAFETY: see `Send`; `&PageArena` offers no access to page bytes.
unsafe impl Sync for PageArena {}

impl fmt::Debug for PageArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageArena")
            .field("page_size", &self.page_size)
            .field("page_count", &self.page_count)
            .finish()
    }
}

impl PageArena {
    /// Maps `page_count` pages of `page_size` bytes and returns all of them.
    ///
    /// The mapping is private and anonymous: the kernel backs a page with physical memory only
    /// when it is first written, and [`Page::release_to_os`] gives it back.
    pub(crate) fn map_pages(page_size: usize, page_count: usize) -> Result<Vec<Page>, MemoryError> {
        let total_bytes =
            page_size
                .checked_mul(page_count)
                .ok_or(MemoryError::MappingTooLarge {
                    page_size,
                    page_count,
                })?;
        if page_count == 0 {
            return Ok(Vec::new());
        }
        let mut map = MmapOptions::new()
            .len(total_bytes)
            .map_anon()
            .map_err(|source| MemoryError::MappingFailed {
                bytes: total_bytes as u64,
                source,
            })?;
        let base = NonNull::new(map.as_mut_ptr()).expect("mmap never returns a null mapping");
        let arena = Arc::new(PageArena {
            map,
            base,
            page_size,
            page_count,
        });
        let pages = (0..page_count)
            .map(|index| {
                // SAFETY: `index < page_count`, so `index * page_size + page_size <= total_bytes`
                // and the offset stays inside the mapping that `base` points to.
                let ptr = unsafe { arena.base.add(index * page_size) };
                Page {
                    ptr,
                    len: page_size,
                    index: index as u32,
                    arena: Arc::clone(&arena),
                }
            })
            .collect();
        Ok(pages)
    }
}

/// A page of a [`PageArena`]: the unique owner of `len` bytes at `ptr`.
///
/// Invariants (established by [`PageArena::map_pages`], the only constructor):
/// * `ptr..ptr+len` lies inside `arena`'s mapping, which lives as long as this `Page`.
/// * No other `Page` covers any of these bytes, and nothing else reads or writes them.
pub(crate) struct Page {
    ptr: NonNull<u8>,
    len: usize,
    index: u32,
    arena: Arc<PageArena>,
}

// SAFETY: a `Page` is the unique owner of its bytes (see the type's invariants), like a
// `Box<[u8]>`, so moving it to another thread is sound.
unsafe impl Send for Page {}
// SAFETY: shared access only yields `&[u8]`; mutation needs `&mut Page`.
unsafe impl Sync for Page {}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("index", &self.index)
            .field("len", &self.len)
            .finish()
    }
}

impl Page {
    /// A page that belongs to no pool: its own one-page arena.
    pub(crate) fn allocate_unpooled(size: usize) -> Result<Page, MemoryError> {
        let mut pages = PageArena::map_pages(size, 1)?;
        Ok(pages.pop().expect("map_pages(size, 1) returns one page"))
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Position of this page in its arena.
    pub(crate) fn index(&self) -> usize {
        self.index as usize
    }

    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: by the type's invariants `ptr..ptr+len` is valid, initialised (anonymous
        // mappings read as zero) and not mutated by anyone while `&self` is borrowed.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    #[inline]
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and `&mut self` guarantees this is the only live reference to
        // the page's bytes.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Hands the physical memory behind `pages` back to the kernel, one `MADV_DONTNEED` per run
    /// of adjacent pages of the same arena. Sorts `pages` by arena position.
    pub(crate) fn release_all_to_os(pages: &mut [Page]) {
        pages.sort_unstable_by_key(|page| (Arc::as_ptr(&page.arena) as usize, page.index));
        let mut start = 0;
        while start < pages.len() {
            let mut end = start + 1;
            while end < pages.len()
                && Arc::ptr_eq(&pages[end].arena, &pages[start].arena)
                && pages[end].index == pages[end - 1].index + 1
            {
                end += 1;
            }
            let first = &pages[start];
            let offset = first.index() * first.len;
            let len = (end - start) * first.len;
            // SAFETY: the range covers exactly the pages `start..end`, which are adjacent pages of
            // one arena and all owned through `&mut [Page]`; no reference to their old contents
            // exists, so replacing them with zero pages (what `MADV_DONTNEED` does to a private
            // anonymous mapping) cannot be observed.
            let result = unsafe {
                first
                    .arena
                    .map
                    .unchecked_advise_range(UncheckedAdvice::DontNeed, offset, len)
            };
            if let Err(error) = result {
                tracing::warn!(%error, "madvise(DONTNEED) failed; pages stay resident");
            }
            start = end;
        }
    }
}
