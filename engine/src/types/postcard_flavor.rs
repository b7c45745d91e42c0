//! postcard flavors over paged views: serde values are encoded straight into pages and decoded
//! straight out of them, with no per-record buffer.
//!
//! ```text
//!   value ── serde ──▶ postcard::Serializer<PageWriter> ──try_push / try_extend──▶ PagedOutputView
//!   value ◀── serde ── postcard::Deserializer<PageReader> ◀──pop / try_take_n*──── PagedInputView
//! ```
//!
//! postcard hands every byte or byte run to the flavor; [`PageWriter`] passes them to the output
//! view, which continues on the next page where needed, so a record may straddle any number of
//! pages. postcard's own error type cannot carry ours, so a view failure (pages full, a failed
//! read of a spill file, end of data) is parked in the flavor, postcard is told
//! `SerializeBufferFull` / `DeserializeUnexpectedEnd`, and the caller takes the parked
//! [`MemoryError`] back out to report it precisely.
//!
//! Reading has three ways to hand out bytes:
//!
//! - `pop`: one byte (varints, tags, `u8`s);
//! - `try_take_n_temp`: bytes that serde copies right away (`String`, `f64`, `char`, byte
//!   buffers): read into a small inline buffer (≤ 16 bytes) or a scratch `Vec` the flavor
//!   reuses for the whole record;
//! - `try_take_n`: bytes borrowed for the deserializer's lifetime `'de` (types that deserialize
//!   via `deserialize_str` / `deserialize_bytes`, e.g. `uuid`, `chrono`). Page bytes cannot be
//!   lent out while the view moves on, so each such run is copied into a [`BorrowedBytes`] chain
//!   that lives as long as the deserializer: a list of `OnceCell` links, appended through a
//!   shared reference, all in safe Rust. Records that never call it never allocate a link.

use std::cell::OnceCell;

use postcard::{de_flavors, ser_flavors};
use weir_memory::{MemoryError, PagedInputView, PagedOutputView, SegmentSource, SegmentTarget};

use crate::types::byte_array::read_bytes_into;

/// A postcard serialization flavor writing into a [`PagedOutputView`].
pub(crate) struct PageWriter<'v, W: SegmentTarget> {
    out: &'v mut PagedOutputView<W>,
    failure: Option<MemoryError>,
}

impl<'v, W: SegmentTarget> PageWriter<'v, W> {
    pub(crate) fn new(out: &'v mut PagedOutputView<W>) -> PageWriter<'v, W> {
        PageWriter { out, failure: None }
    }

    /// The view failure that stopped serialization, if that is what stopped it.
    pub(crate) fn take_failure(&mut self) -> Option<MemoryError> {
        self.failure.take()
    }

    fn fail(&mut self, error: MemoryError) -> postcard::Error {
        self.failure = Some(error);
        postcard::Error::SerializeBufferFull
    }
}

impl<W: SegmentTarget> ser_flavors::Flavor for PageWriter<'_, W> {
    type Output = ();

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.out.write_bytes(data).map_err(|error| self.fail(error))
    }

    #[inline]
    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.out.write_u8(data).map_err(|error| self.fail(error))
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Bytes lent to a deserializer for its whole lifetime: a chain of links, each holding one run.
#[derive(Default)]
pub(crate) struct BorrowedBytes {
    bytes: Box<[u8]>,
    next: OnceCell<Box<BorrowedBytes>>,
}

impl BorrowedBytes {
    /// Appends `bytes` after this link (which must be the last) and returns the new last link.
    fn append(&self, bytes: Vec<u8>) -> &BorrowedBytes {
        self.next.get_or_init(|| {
            Box::new(BorrowedBytes {
                bytes: bytes.into_boxed_slice(),
                next: OnceCell::new(),
            })
        })
    }
}

impl Drop for BorrowedBytes {
    // Unlinks the chain iteratively, so that a record with very many borrowed runs cannot
    // overflow the stack with recursive drops.
    fn drop(&mut self) {
        let mut next = self.next.take();
        while let Some(mut link) = next {
            next = link.next.take();
        }
    }
}

/// Largest run `try_take_n_temp` serves from the inline buffer.
const INLINE_BYTES: usize = 16;

/// A postcard deserialization flavor reading from a [`PagedInputView`].
pub(crate) struct PageReader<'de, R: SegmentSource> {
    input: &'de mut PagedInputView<R>,
    inline: [u8; INLINE_BYTES],
    scratch: Vec<u8>,
    borrowed_tail: &'de BorrowedBytes,
    failure: Option<MemoryError>,
}

impl<'de, R: SegmentSource> PageReader<'de, R> {
    /// Reads from `input`; bytes postcard borrows are kept in the chain starting at `borrowed`.
    pub(crate) fn new(
        input: &'de mut PagedInputView<R>,
        borrowed: &'de BorrowedBytes,
    ) -> PageReader<'de, R> {
        PageReader {
            input,
            inline: [0; INLINE_BYTES],
            scratch: Vec::new(),
            borrowed_tail: borrowed,
            failure: None,
        }
    }

    fn fail(&mut self, error: MemoryError) -> postcard::Error {
        self.failure = Some(error);
        postcard::Error::DeserializeUnexpectedEnd
    }
}

impl<'de, R: SegmentSource + 'de> de_flavors::Flavor<'de> for PageReader<'de, R> {
    /// The view failure that stopped deserialization, if that is what stopped it.
    type Remainder = Option<MemoryError>;
    type Source = ();

    #[inline]
    fn pop(&mut self) -> postcard::Result<u8> {
        self.input.read_u8().map_err(|error| self.fail(error))
    }

    fn try_take_n(&mut self, ct: usize) -> postcard::Result<&'de [u8]> {
        let mut bytes = Vec::new();
        if let Err(error) = read_bytes_into(self.input, ct, &mut bytes) {
            return Err(self.fail(error));
        }
        let tail: &'de BorrowedBytes = self.borrowed_tail;
        let link = tail.append(bytes);
        self.borrowed_tail = link;
        Ok(&link.bytes)
    }

    #[inline]
    fn try_take_n_temp<'a>(&'a mut self, ct: usize) -> postcard::Result<&'a [u8]>
    where
        'de: 'a,
    {
        if ct <= INLINE_BYTES {
            if let Err(error) = self.input.read_exact(&mut self.inline[..ct]) {
                return Err(self.fail(error));
            }
            return Ok(&self.inline[..ct]);
        }
        if let Err(error) = read_bytes_into(self.input, ct, &mut self.scratch) {
            return Err(self.fail(error));
        }
        Ok(&self.scratch)
    }

    fn finalize(self) -> postcard::Result<Option<MemoryError>> {
        Ok(self.failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_borrowed_chain_drops_without_recursion() {
        let root = BorrowedBytes::default();
        let mut tail = &root;
        for _ in 0..200_000 {
            tail = tail.append(vec![1]);
        }
        assert_eq!(&*tail.bytes, &[1]);
        drop(root);
    }
}
