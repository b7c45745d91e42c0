//! Paged views: every value written reads back identically, across page boundaries, for page
//! sizes from 4 KiB to 1 MiB.

use proptest::prelude::*;
use weir_memory::{
    ByteSize, MemoryError, MemoryManager, PageSize, PagedInputView, PagedOutputView,
    SegmentListSource, SegmentListTarget,
};

#[derive(Debug, Clone, PartialEq)]
enum Value {
    U8(u8),
    I16Be(i16),
    U32Le(u32),
    I32Be(i32),
    I64Be(i64),
    U64Le(u64),
    F64Be(f64),
    VarU64(u64),
    VarI64(i64),
    Bytes(Vec<u8>),
}

fn value(max_bytes: usize) -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u8>().prop_map(Value::U8),
        any::<i16>().prop_map(Value::I16Be),
        any::<u32>().prop_map(Value::U32Le),
        any::<i32>().prop_map(Value::I32Be),
        any::<i64>().prop_map(Value::I64Be),
        any::<u64>().prop_map(Value::U64Le),
        any::<f64>()
            .prop_filter("NaN != NaN", |f| !f.is_nan())
            .prop_map(Value::F64Be),
        prop_oneof![any::<u64>(), 0u64..300, Just(u64::MAX)].prop_map(Value::VarU64),
        prop_oneof![any::<i64>(), -300i64..300, Just(i64::MIN)].prop_map(Value::VarI64),
        proptest::collection::vec(any::<u8>(), 0..max_bytes).prop_map(Value::Bytes),
    ]
}

fn write(view: &mut PagedOutputView<SegmentListTarget>, value: &Value) -> Result<(), MemoryError> {
    match value {
        Value::U8(v) => view.write_u8(*v),
        Value::I16Be(v) => view.write_i16_be(*v),
        Value::U32Le(v) => view.write_u32_le(*v),
        Value::I32Be(v) => view.write_i32_be(*v),
        Value::I64Be(v) => view.write_i64_be(*v),
        Value::U64Le(v) => view.write_u64_le(*v),
        Value::F64Be(v) => view.write_f64_be(*v),
        Value::VarU64(v) => view.write_var_u64(*v),
        Value::VarI64(v) => view.write_var_i64(*v),
        Value::Bytes(v) => view.write_length_prefixed(v),
    }
}

fn read(view: &mut PagedInputView<SegmentListSource>, like: &Value) -> Result<Value, MemoryError> {
    Ok(match like {
        Value::U8(_) => Value::U8(view.read_u8()?),
        Value::I16Be(_) => Value::I16Be(view.read_i16_be()?),
        Value::U32Le(_) => Value::U32Le(view.read_u32_le()?),
        Value::I32Be(_) => Value::I32Be(view.read_i32_be()?),
        Value::I64Be(_) => Value::I64Be(view.read_i64_be()?),
        Value::U64Le(_) => Value::U64Le(view.read_u64_le()?),
        Value::F64Be(_) => Value::F64Be(view.read_f64_be()?),
        Value::VarU64(_) => Value::VarU64(view.read_var_u64()?),
        Value::VarI64(_) => Value::VarI64(view.read_var_i64()?),
        Value::Bytes(_) => {
            let mut bytes = Vec::new();
            view.read_length_prefixed(&mut bytes, usize::MAX)?;
            Value::Bytes(bytes)
        }
    })
}

fn round_trip(page_size: usize, values: &[Value]) {
    let page_size = PageSize::new(page_size).unwrap();
    let manager = MemoryManager::new(ByteSize::mib(64), page_size).unwrap();
    let owner = manager.reservation("paged-view-test");
    let pages = owner.allocate_pages(manager.total_pages()).unwrap();
    let mut out = PagedOutputView::new(SegmentListTarget::new(pages).unwrap());
    for value in values {
        write(&mut out, value).unwrap();
    }
    let written = out.bytes_written();
    let (target, used) = out.finish();
    let (filled, unused) = target.into_pages(used);
    drop(unused);
    let total: usize = filled.iter().map(|(_, used)| used).sum();
    assert_eq!(total as u64, written);
    let mut input = PagedInputView::new(SegmentListSource::new(filled));
    for value in values {
        assert_eq!(&read(&mut input, value).unwrap(), value);
    }
    assert!(input.at_end().unwrap());
    assert!(matches!(
        input.read_u8(),
        Err(MemoryError::EndOfData { needed: 1 })
    ));
    drop(input);
    assert_eq!(manager.free_pages(), manager.total_pages());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn values_round_trip_on_4k_pages(values in proptest::collection::vec(value(9_000), 0..60)) {
        round_trip(4096, &values);
    }

    #[test]
    fn values_round_trip_on_32k_pages(values in proptest::collection::vec(value(70_000), 0..24)) {
        round_trip(32 * 1024, &values);
    }
}

#[test]
fn values_straddle_every_offset_of_a_page_boundary() {
    // An 8-byte value and a varint written at each of the last 10 offsets of a page.
    for page_size in [4096, 32 * 1024, 1 << 20] {
        for lead in page_size - 10..=page_size {
            let values = vec![
                Value::Bytes(vec![7; lead - 3]),
                Value::I64Be(-1234567890123),
                Value::VarU64(u64::MAX),
                Value::VarI64(i64::MIN),
                Value::Bytes(vec![9; 2 * page_size + 3]),
                Value::U32Le(0xfeed_beef),
            ];
            round_trip(page_size, &values);
        }
    }
}

#[test]
fn writing_past_the_given_pages_fails_with_pages_full() {
    let page = PageSize::new(4096).unwrap();
    let manager = MemoryManager::new(ByteSize::kib(8), page).unwrap();
    let pages = manager.reservation("full").allocate_pages(2).unwrap();
    let mut out = PagedOutputView::new(SegmentListTarget::new(pages).unwrap());
    out.write_bytes(&[1; 8192]).unwrap();
    assert!(matches!(
        out.write_u8(1),
        Err(MemoryError::PagesFull { pages: 2 })
    ));
}

#[test]
fn corrupt_varints_and_lengths_are_rejected() {
    let page = PageSize::new(4096).unwrap();
    let manager = MemoryManager::new(ByteSize::kib(4), page).unwrap();
    let pages = manager.reservation("corrupt").allocate_pages(1).unwrap();
    let mut out = PagedOutputView::new(SegmentListTarget::new(pages).unwrap());
    out.write_bytes(&[0xff; 11]).unwrap();
    out.write_var_u64(1 << 40).unwrap();
    let (target, used) = out.finish();
    let (filled, _) = target.into_pages(used);
    let mut input = PagedInputView::new(SegmentListSource::new(filled));
    assert!(matches!(
        input.read_var_u64(),
        Err(MemoryError::MalformedVarint)
    ));
    input.skip_bytes(1).unwrap();
    let mut bytes = Vec::new();
    assert!(matches!(
        input.read_length_prefixed(&mut bytes, 1 << 20),
        Err(MemoryError::MalformedLength { length, max }) if length == 1 << 40 && max == 1 << 20
    ));
}
