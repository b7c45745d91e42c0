//! [`RecordSource`]: the pull side of an exchange, as the head operator of a task sees it.

use crate::error::WeirError;
use crate::runtime::network::RecordReader;
use crate::types::TypeSerializer;

/// Records of one input of a task, read from its input gate.
pub trait RecordSource<T>: Send {
    /// The next record; `None` once every channel of the input has ended.
    fn next_record(&mut self) -> Result<Option<T>, WeirError>;

    /// Records read so far.
    fn records_read(&self) -> u64;
}

impl<S: TypeSerializer> RecordSource<S::Value> for RecordReader<S> {
    #[inline]
    fn next_record(&mut self) -> Result<Option<S::Value>, WeirError> {
        self.next()
    }

    fn records_read(&self) -> u64 {
        self.records_in()
    }
}

/// A record source as an iterator of results (what the join operators take); ends after the
/// first error.
pub(crate) struct SourceIter<'a, T> {
    source: &'a mut dyn RecordSource<T>,
    failed: bool,
}

impl<'a, T> SourceIter<'a, T> {
    pub(crate) fn new(source: &'a mut dyn RecordSource<T>) -> SourceIter<'a, T> {
        SourceIter {
            source,
            failed: false,
        }
    }
}

impl<T> Iterator for SourceIter<'_, T> {
    type Item = Result<T, WeirError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = self.source.next_record().transpose();
        self.failed = matches!(next, Some(Err(_)));
        next
    }
}
