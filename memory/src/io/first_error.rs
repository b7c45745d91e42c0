//! [`FirstError`]: the first error of a channel, reported again by every later call.
//!
//! Once a block of a file failed, the file is useless: the writer or reader keeps the first
//! error and answers every later call with it (Flink's channels do the same). `std::io::Error`
//! is not `Clone`, so a report is a copy that keeps the variant, the path, the OS error code (or
//! the kind and message) and the reason.

use std::io;

use crate::error::MemoryError;

#[derive(Debug, Default)]
pub(crate) struct FirstError(Option<MemoryError>);

impl FirstError {
    /// Keeps `error` unless an earlier error is already kept.
    pub(crate) fn record(&mut self, error: MemoryError) {
        if self.0.is_none() {
            self.0 = Some(error);
        }
    }

    #[inline]
    pub(crate) fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// A copy of the kept error, if any.
    #[inline]
    pub(crate) fn report(&self) -> Option<MemoryError> {
        self.0.as_ref().map(copy_error)
    }

    /// The kept error itself (for the last report, when the channel closes).
    pub(crate) fn take(&mut self) -> Option<MemoryError> {
        self.0.take()
    }
}

fn copy_io_error(error: &io::Error) -> io::Error {
    match error.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(error.kind(), error.to_string()),
    }
}

/// Copies the errors a channel can record; any other variant becomes an `Io` error carrying its
/// message (channels never record one).
fn copy_error(error: &MemoryError) -> MemoryError {
    match error {
        MemoryError::MissingDirectory { path } => {
            MemoryError::MissingDirectory { path: path.clone() }
        }
        MemoryError::NotADirectory { path } => MemoryError::NotADirectory { path: path.clone() },
        MemoryError::PermissionDenied { path } => {
            MemoryError::PermissionDenied { path: path.clone() }
        }
        MemoryError::DiskFull { path } => MemoryError::DiskFull { path: path.clone() },
        MemoryError::Io {
            path,
            action,
            source,
        } => MemoryError::Io {
            path: path.clone(),
            action,
            source: copy_io_error(source),
        },
        MemoryError::CorruptBlock {
            path,
            block,
            offset,
            reason,
        } => MemoryError::CorruptBlock {
            path: path.clone(),
            block: *block,
            offset: *offset,
            reason: reason.clone(),
        },
        MemoryError::IoManagerShutDown => MemoryError::IoManagerShutDown,
        other => MemoryError::Io {
            path: Default::default(),
            action: "spilling",
            source: io::Error::other(other.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_copies_of_the_first_error_only() {
        let mut first = FirstError::default();
        assert!(first.report().is_none());
        first.record(MemoryError::Io {
            path: "/x/1.channel".into(),
            action: "writing a spill block",
            source: io::Error::from_raw_os_error(5),
        });
        first.record(MemoryError::IoManagerShutDown);
        for _ in 0..2 {
            let report = first.report().unwrap();
            let MemoryError::Io { source, .. } = &report else {
                panic!("{report:?}")
            };
            assert_eq!(source.raw_os_error(), Some(5));
            assert!(report.to_string().contains("/x/1.channel"), "{report}");
        }
        assert!(matches!(first.take(), Some(MemoryError::Io { .. })));
        assert!(!first.is_set());
    }

    #[test]
    fn copies_keep_kind_and_message_without_an_os_code() {
        let copy = copy_io_error(&io::Error::new(io::ErrorKind::UnexpectedEof, "short"));
        assert_eq!(copy.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(copy.to_string(), "short");
    }
}
