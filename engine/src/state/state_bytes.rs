//! State bytes: any [`TypeSerializer`] value to a `Vec<u8>` and back.
//!
//! Serializers write into paged views ([`PagedOutputView`] over a [`SegmentTarget`]). Snapshots
//! and heap accounting want plain byte vectors instead, so this module bridges the two with a
//! reusable scratch page per thread:
//!
//! ```text
//!   to_bytes / write_with:                       from_bytes / read_with:
//!
//!   serializer ──▶ scratch page ──full──▶ Vec     slice ──copy chunk──▶ scratch page ──▶ serializer
//!                  (4 KiB)   ──finish──▶ Vec            (≤ 4 KiB at a time)
//! ```
//!
//! * [`VecTarget`] writes into the scratch page and appends each filled page (and, on
//!   [`VecTarget::finish_into`], the used part of the last one) to the vector, so values of
//!   any size work.
//! * [`SliceSource`] copies the slice into the scratch page one page-sized chunk at a time.
//! * [`serialized_len`] measures a value without keeping its bytes ([`TypeSerializer::fixed_length`]
//!   when the type has one, else a serialization into a counting target).
//!
//! Scratch pages are unpooled 4 KiB segments kept in a per-thread stack, so a steady state of
//! encoding allocates nothing; nested use (measuring a value while writing a snapshot) takes a
//! second page. Reading truncated or corrupt bytes fails with the serializer's
//! [`WeirError::Deserialize`]; bytes left over after a value fail with
//! [`WeirError::CorruptSnapshot`]. Nothing here panics on bad input.

use std::cell::RefCell;

use weir_memory::{
    MemoryError, MemorySegment, PageSize, PagedInputView, PagedOutputView, SegmentSource,
    SegmentTarget,
};

use crate::error::WeirError;
use crate::types::TypeSerializer;

/// Size of the scratch pages.
const SCRATCH_PAGE_BYTES: usize = PageSize::MIN;

/// Scratch pages kept per thread (more are allocated and dropped when nesting goes deeper).
const SCRATCH_PAGES_KEPT: usize = 4;

thread_local! {
    static SCRATCH_PAGES: RefCell<Vec<MemorySegment>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a scratch page of this thread (taken from the stack, or newly allocated).
fn with_scratch_page<R>(
    f: impl FnOnce(&mut MemorySegment) -> Result<R, WeirError>,
) -> Result<R, WeirError> {
    let taken = SCRATCH_PAGES.with(|pages| pages.borrow_mut().pop());
    let mut page = match taken {
        Some(page) => page,
        None => MemorySegment::allocate_unpooled(PageSize::new(SCRATCH_PAGE_BYTES)?)?,
    };
    let result = f(&mut page);
    SCRATCH_PAGES.with(|pages| {
        let mut pages = pages.borrow_mut();
        if pages.len() < SCRATCH_PAGES_KEPT {
            pages.push(page);
        }
    });
    result
}

/// A [`SegmentTarget`] that appends every filled page to a vector. See the module docs.
#[derive(Debug)]
pub struct VecTarget<'a> {
    page: &'a mut MemorySegment,
    out: &'a mut Vec<u8>,
}

impl VecTarget<'_> {
    /// Appends the `used_bytes` written into the last page.
    pub fn finish_into(self, used_bytes: usize) {
        self.out
            .extend_from_slice(&self.page.as_slice()[..used_bytes]);
    }
}

impl SegmentTarget for VecTarget<'_> {
    fn current_mut(&mut self) -> &mut MemorySegment {
        self.page
    }

    fn advance(&mut self, used_bytes: usize) -> Result<(), MemoryError> {
        self.out
            .extend_from_slice(&self.page.as_slice()[..used_bytes]);
        Ok(())
    }
}

/// A [`SegmentSource`] over a byte slice, copied into a page one chunk at a time.
#[derive(Debug)]
pub struct SliceSource<'a> {
    page: &'a mut MemorySegment,
    bytes: &'a [u8],
    /// Offset in `bytes` of the chunk held in `page`.
    chunk_start: usize,
    chunk_len: usize,
}

impl<'a> SliceSource<'a> {
    fn new(page: &'a mut MemorySegment, bytes: &'a [u8]) -> SliceSource<'a> {
        let mut source = SliceSource {
            page,
            bytes,
            chunk_start: 0,
            chunk_len: 0,
        };
        source.load_chunk();
        source
    }

    fn load_chunk(&mut self) {
        let chunk_len = (self.bytes.len() - self.chunk_start).min(self.page.size());
        self.page.put_bytes(
            0,
            &self.bytes[self.chunk_start..self.chunk_start + chunk_len],
        );
        self.chunk_len = chunk_len;
    }
}

impl SegmentSource for SliceSource<'_> {
    fn current(&self) -> Option<(&MemorySegment, usize)> {
        Some((&*self.page, self.chunk_len))
    }

    fn advance(&mut self) -> Result<bool, MemoryError> {
        let next = self.chunk_start + self.chunk_len;
        if next >= self.bytes.len() {
            return Ok(false);
        }
        self.chunk_start = next;
        self.load_chunk();
        Ok(true)
    }
}

/// A [`SegmentTarget`] that only counts the bytes written.
struct CountingTarget<'a> {
    page: &'a mut MemorySegment,
    counted_bytes: usize,
}

impl SegmentTarget for CountingTarget<'_> {
    fn current_mut(&mut self) -> &mut MemorySegment {
        self.page
    }

    fn advance(&mut self, used_bytes: usize) -> Result<(), MemoryError> {
        self.counted_bytes += used_bytes;
        Ok(())
    }
}

/// Appends what `write` writes through a paged view to `out`.
pub fn write_with<R>(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut PagedOutputView<VecTarget<'_>>) -> Result<R, WeirError>,
) -> Result<R, WeirError> {
    with_scratch_page(|page| {
        let mut view = PagedOutputView::new(VecTarget { page, out });
        let result = write(&mut view)?;
        let (target, used_bytes) = view.finish();
        target.finish_into(used_bytes);
        Ok(result)
    })
}

/// Reads `bytes` through a paged view with `read`.
pub fn read_with<R>(
    bytes: &[u8],
    read: impl FnOnce(&mut PagedInputView<SliceSource<'_>>) -> Result<R, WeirError>,
) -> Result<R, WeirError> {
    with_scratch_page(|page| {
        let mut view = PagedInputView::new(SliceSource::new(page, bytes));
        read(&mut view)
    })
}

/// Appends the serialized `value` to `out`.
pub fn to_bytes<S: TypeSerializer>(
    serializer: &S,
    value: &S::Value,
    out: &mut Vec<u8>,
) -> Result<(), WeirError> {
    write_with(out, |view| serializer.serialize(value, view))
}

/// Reads one value that fills `bytes` exactly.
pub fn from_bytes<S: TypeSerializer>(serializer: &S, bytes: &[u8]) -> Result<S::Value, WeirError> {
    read_with(bytes, |view| {
        let value = serializer.deserialize(view)?;
        let left_bytes = bytes.len() as u64 - view.bytes_read();
        if left_bytes > 0 {
            return Err(WeirError::CorruptSnapshot {
                what: format!("a serialized {}", std::any::type_name::<S::Value>()),
                problem: format!("{left_bytes} bytes are left after the value"),
            });
        }
        Ok(value)
    })
}

/// The serialized length of `value`: the serializer's fixed length, or the bytes one
/// serialization into a counting target takes.
pub fn serialized_len<S: TypeSerializer>(
    serializer: &S,
    value: &S::Value,
) -> Result<usize, WeirError> {
    if let Some(len) = serializer.fixed_length() {
        return Ok(len);
    }
    with_scratch_page(|page| {
        let mut view = PagedOutputView::new(CountingTarget {
            page,
            counted_bytes: 0,
        });
        serializer.serialize(value, &mut view)?;
        let (target, used_bytes) = view.finish();
        Ok(target.counted_bytes + used_bytes)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::types::DefaultSerializer;

    #[test]
    fn values_of_any_size_round_trip_and_append() {
        let serializer = String::serializer();
        for len in [
            0usize,
            1,
            100,
            SCRATCH_PAGE_BYTES - 1,
            SCRATCH_PAGE_BYTES,
            3 * SCRATCH_PAGE_BYTES + 7,
        ] {
            let value = "x".repeat(len);
            let mut bytes = vec![9u8];
            to_bytes(&serializer, &value, &mut bytes).unwrap();
            assert_eq!(bytes[0], 9, "to_bytes appends");
            assert_eq!(
                serialized_len(&serializer, &value).unwrap(),
                bytes.len() - 1
            );
            assert_eq!(from_bytes(&serializer, &bytes[1..]).unwrap(), value);
        }
    }

    #[test]
    fn truncated_trailing_and_garbage_bytes_are_errors() {
        let serializer = <(String, i64)>::serializer();
        let mut bytes = Vec::new();
        to_bytes(&serializer, &("a".repeat(5000), 7), &mut bytes).unwrap();
        for cut in [0, 1, 100, 4096, bytes.len() - 1] {
            assert!(
                matches!(
                    from_bytes(&serializer, &bytes[..cut]),
                    Err(WeirError::Deserialize { .. })
                ),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            from_bytes(&serializer, &longer),
            Err(WeirError::CorruptSnapshot { .. })
        ));
        // Varint length far beyond the data.
        assert!(from_bytes(&String::serializer(), &[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(from_bytes(&bool::serializer(), &[7]).is_err());
    }

    #[test]
    fn nested_use_takes_another_scratch_page() {
        let serializer = String::serializer();
        let mut out = Vec::new();
        let inner_len = write_with(&mut out, |view| {
            let len = serialized_len(&serializer, &"abc".to_owned())?;
            serializer.serialize(&"abc".to_owned(), view)?;
            Ok(len)
        })
        .unwrap();
        assert_eq!(inner_len, out.len());
        assert_eq!(from_bytes(&serializer, &out).unwrap(), "abc");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn random_values_round_trip(
            values in proptest::collection::vec(
                (any::<i64>(), proptest::option::of(".{0,40}"), proptest::collection::vec(any::<u8>(), 0..9000)),
                0..4,
            ),
        ) {
            let serializer = <(i64, Option<String>, Vec<u8>)>::serializer();
            for value in values {
                let mut bytes = Vec::new();
                to_bytes(&serializer, &value, &mut bytes).unwrap();
                prop_assert_eq!(serialized_len(&serializer, &value).unwrap(), bytes.len());
                prop_assert_eq!(from_bytes(&serializer, &bytes).unwrap(), value);
                // Any strict prefix is an error, never a panic.
                if !bytes.is_empty() {
                    prop_assert!(from_bytes(&serializer, &bytes[..bytes.len() / 2]).is_err());
                }
            }
        }
    }
}
