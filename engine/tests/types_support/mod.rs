//! Shared by the `types_*` tests: values through 4 KiB pages from a MemoryManager, and the
//! normalized-key contract checked for every pair of values.

#![allow(dead_code)]

use std::cmp::Ordering;
use std::fmt::Debug;

use weir::WeirError;
use weir::memory::{
    ByteSize, MemoryManager, MemorySegment, PageSize, PagedInputView, PagedOutputView,
    SegmentListSource, SegmentListTarget,
};
use weir::types::{TypeComparator, TypeSerializer};

pub const PAGE_BYTES: usize = 4096;

/// A manager of 4 KiB pages (1 MiB in all, enough for every test value list).
pub fn manager() -> MemoryManager {
    MemoryManager::new(ByteSize::mib(1), PageSize::new(PAGE_BYTES).unwrap()).unwrap()
}

/// Writes `lead` filler bytes, then `values`, into all pages of `manager`.
pub fn write_values<S: TypeSerializer>(
    manager: &MemoryManager,
    serializer: &S,
    lead: usize,
    values: &[S::Value],
) -> Vec<(MemorySegment, usize)> {
    let pages = manager
        .reservation("types-test")
        .allocate_pages(manager.free_pages())
        .unwrap();
    let mut out = PagedOutputView::new(SegmentListTarget::new(pages).unwrap());
    out.write_bytes(&vec![0xee; lead]).unwrap();
    for value in values {
        serializer.serialize(value, &mut out).unwrap();
    }
    let (target, used) = out.finish();
    let (filled, _unused) = target.into_pages(used);
    filled
}

/// Every value written after `lead` bytes reads back `same` as written, `skip` passes over each,
/// and fixed-length serializers write exactly their length. All pages go back to the manager.
pub fn round_trip_by<S, F>(serializer: &S, lead: usize, values: &[S::Value], same: F)
where
    S: TypeSerializer,
    S::Value: Debug,
    F: Fn(&S::Value, &S::Value) -> bool,
{
    let manager = manager();
    let pages = write_values(&manager, serializer, lead, values);
    let written: usize = pages.iter().map(|(_, used)| used).sum();
    if let Some(len) = serializer.fixed_length() {
        assert_eq!(written - lead, len * values.len());
    }
    let mut input = PagedInputView::new(SegmentListSource::new(pages));
    input.skip_bytes(lead).unwrap();
    for value in values {
        let read = serializer.deserialize(&mut input).unwrap();
        assert!(same(&read, value), "read {read:?}, wrote {value:?}");
    }
    assert!(input.at_end().unwrap());
    let pages = input.into_source().into_pages();

    let mut input = PagedInputView::new(SegmentListSource::new(pages));
    input.skip_bytes(lead).unwrap();
    for _ in values {
        serializer.skip(&mut input).unwrap();
    }
    assert!(input.at_end().unwrap());
    drop(input);
    assert_eq!(manager.free_pages(), manager.total_pages());
}

pub fn round_trip<S>(serializer: &S, lead: usize, values: &[S::Value])
where
    S: TypeSerializer,
    S::Value: Debug + PartialEq,
{
    round_trip_by(serializer, lead, values, |a, b| a == b);
}

/// The serialized bytes of `value`.
pub fn serialized_bytes<S: TypeSerializer>(serializer: &S, value: &S::Value) -> Vec<u8> {
    let manager = manager();
    let pages = write_values(&manager, serializer, 0, std::slice::from_ref(value));
    pages
        .iter()
        .flat_map(|(page, used)| page.as_slice()[..*used].to_vec())
        .collect()
}

/// Deserializes one value from exactly `bytes` (laid out from the end of a page, so that even
/// short inputs cross a page boundary).
pub fn deserialize_from<S: TypeSerializer>(
    serializer: &S,
    bytes: &[u8],
) -> Result<S::Value, WeirError> {
    let manager = manager();
    let lead = PAGE_BYTES - bytes.len().min(3);
    let pages = manager.reservation("corrupt").allocate_pages(8).unwrap();
    let mut out = PagedOutputView::new(SegmentListTarget::new(pages).unwrap());
    out.write_bytes(&vec![0; lead]).unwrap();
    out.write_bytes(bytes).unwrap();
    let (target, used) = out.finish();
    let (filled, _) = target.into_pages(used);
    let mut input = PagedInputView::new(SegmentListSource::new(filled));
    input.skip_bytes(lead).unwrap();
    serializer.deserialize(&mut input)
}

/// The normalized key of `value` in `len` bytes.
pub fn key<C: TypeComparator>(comparator: &C, value: &C::Value, len: usize) -> Vec<u8> {
    let mut target = vec![0x5a; len];
    comparator.write_normalized_key(value, &mut target);
    target
}

/// Prefix lengths to check: short ones, the full key, and one longer than it.
pub fn prefix_lengths<C: TypeComparator>(comparator: &C) -> Vec<usize> {
    let full = comparator.normalized_key_len();
    let mut lengths: Vec<usize> = [0, 1, 3, 8, 16, full, full + 2]
        .into_iter()
        .filter(|&len| len <= full + 2)
        .collect();
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

/// The contract of `TypeComparator` for every pair of `values` at every prefix length:
/// `compare` is antisymmetric; `Less` ⇒ key ≤; `Equal` ⇒ equal keys and hashes; and where the
/// comparator is complete at that length, key order is exactly `compare`'s order.
pub fn check_comparator<C>(comparator: &C, values: &[C::Value])
where
    C: TypeComparator,
    C::Value: Debug,
{
    for len in prefix_lengths(comparator) {
        let keys: Vec<Vec<u8>> = values
            .iter()
            .map(|value| key(comparator, value, len))
            .collect();
        let complete = comparator.normalized_key_is_complete_at(len);
        for (a, key_a) in values.iter().zip(&keys) {
            for (b, key_b) in values.iter().zip(&keys) {
                let order = comparator.compare(a, b);
                assert_eq!(order, comparator.compare(b, a).reverse(), "{a:?} vs {b:?}");
                let key_order = key_a.cmp(key_b);
                match order {
                    Ordering::Less => assert_ne!(
                        key_order,
                        Ordering::Greater,
                        "{a:?} < {b:?} but key {key_a:02x?} > {key_b:02x?} at {len} bytes"
                    ),
                    Ordering::Greater => assert_ne!(
                        key_order,
                        Ordering::Less,
                        "{a:?} > {b:?} but key {key_a:02x?} < {key_b:02x?} at {len} bytes"
                    ),
                    Ordering::Equal => {
                        assert_eq!(key_a, key_b, "{a:?} == {b:?}, {len} bytes");
                        for seed in [0, 1, u64::MAX] {
                            assert_eq!(comparator.hash(a, seed), comparator.hash(b, seed));
                        }
                    }
                }
                if complete {
                    assert_eq!(
                        key_order, order,
                        "complete key at {len} bytes: {a:?} vs {b:?}, keys {key_a:02x?} {key_b:02x?}"
                    );
                }
            }
        }
    }
}

/// [`check_comparator`] for `comparator` and for it reversed, which must invert every order.
pub fn check_both_orders<C>(comparator: C, values: &[C::Value])
where
    C: TypeComparator,
    C::Value: Debug,
{
    check_comparator(&comparator, values);
    let descending = comparator.clone().descending();
    check_comparator(&descending, values);
    for a in values {
        for b in values {
            assert_eq!(descending.compare(a, b), comparator.compare(a, b).reverse());
        }
    }
}
