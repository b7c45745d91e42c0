//! Test support: values through 4 KiB pages that grow on demand, straddling page boundaries.

use std::fmt::Debug;

use weir_memory::{
    MemoryError, MemorySegment, PageSize, PagedInputView, PagedOutputView, SegmentListSource,
    SegmentTarget,
};

use crate::types::type_serializer::TypeSerializer;

/// A target that takes a new unpooled page whenever the current one is full.
pub(crate) struct GrowingTarget {
    filled: Vec<(MemorySegment, usize)>,
    current: MemorySegment,
}

impl GrowingTarget {
    pub(crate) fn new() -> GrowingTarget {
        GrowingTarget {
            filled: Vec::new(),
            current: page(),
        }
    }

    pub(crate) fn into_pages(mut self, used_in_current: usize) -> Vec<(MemorySegment, usize)> {
        self.filled.push((self.current, used_in_current));
        self.filled
    }
}

impl SegmentTarget for GrowingTarget {
    fn current_mut(&mut self) -> &mut MemorySegment {
        &mut self.current
    }

    fn advance(&mut self, used_bytes: usize) -> Result<(), MemoryError> {
        let full = std::mem::replace(&mut self.current, page());
        self.filled.push((full, used_bytes));
        Ok(())
    }
}

fn page() -> MemorySegment {
    MemorySegment::allocate_unpooled(PageSize::new(PageSize::MIN).unwrap()).unwrap()
}

/// `lead` filler bytes, then every value.
pub(crate) fn serialize_after<S: TypeSerializer>(
    serializer: &S,
    lead: usize,
    values: &[S::Value],
) -> Vec<(MemorySegment, usize)> {
    let mut out = PagedOutputView::new(GrowingTarget::new());
    out.write_bytes(&vec![0xee; lead]).unwrap();
    for value in values {
        serializer.serialize(value, &mut out).unwrap();
    }
    let (target, used) = out.finish();
    target.into_pages(used)
}

pub(crate) fn serialize_all<S: TypeSerializer>(
    serializer: &S,
    values: &[S::Value],
) -> Vec<(MemorySegment, usize)> {
    serialize_after(serializer, 0, values)
}

pub(crate) fn source_of(pages: Vec<(MemorySegment, usize)>) -> PagedInputView<SegmentListSource> {
    PagedInputView::new(SegmentListSource::new(pages))
}

/// A view over exactly `bytes`.
pub(crate) fn bytes_source(bytes: &[u8]) -> PagedInputView<SegmentListSource> {
    let mut out = PagedOutputView::new(GrowingTarget::new());
    out.write_bytes(bytes).unwrap();
    let (target, used) = out.finish();
    source_of(target.into_pages(used))
}

/// Writes `values` after leads that put them at the start of a page and across its end, reads
/// them back, skips them, and checks the fixed length.
pub(crate) fn round_trip<S>(serializer: &S, values: &[S::Value])
where
    S: TypeSerializer,
    S::Value: PartialEq + Debug,
{
    for lead in [0, PageSize::MIN - 3, PageSize::MIN - 1] {
        let pages = serialize_after(serializer, lead, values);
        let written: usize = pages.iter().map(|(_, used)| used).sum();
        if let Some(len) = serializer.fixed_length() {
            assert_eq!(written - lead, len * values.len());
        }
        let mut input = source_of(pages);
        input.skip_bytes(lead).unwrap();
        for value in values {
            assert_eq!(&serializer.deserialize(&mut input).unwrap(), value);
        }
        assert!(input.at_end().unwrap());

        let mut input = source_of(serialize_after(serializer, lead, values));
        input.skip_bytes(lead).unwrap();
        for _ in values {
            serializer.skip(&mut input).unwrap();
        }
        assert!(input.at_end().unwrap());
    }
}
