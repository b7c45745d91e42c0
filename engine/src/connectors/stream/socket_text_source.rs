//! [`SocketTextSource`]: lines of text from a TCP socket (Flink's `socketTextStream`).
//!
//! ```text
//!   subtask 0: connect(host:port) ──▶ non-blocking reads ──▶ split at the delimiter ──▶ lines
//!   other subtasks: no split, their input ends at once
//!   the peer closes the connection ──▶ the rest (if any) is a last line ──▶ end of input
//! ```
//!
//! **At most once.** A socket cannot be replayed: the split's state is empty, and a job
//! restored from a checkpoint connects again and reads whatever the peer sends from then on.
//! Lines received after the last checkpoint and before a failure are lost (as in Flink). Use
//! it for demos and tests, not where results must be exact.
//!
//! With `\n` as the delimiter a `\r` before it is dropped too. Text that is not UTF-8 is
//! decoded lossily (U+FFFD), as Flink decodes socket text.

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

use super::source::{InputStatus, ReaderOutput, Source, SourceReader};
use crate::error::WeirError;

/// How long `poll_next` asks to wait when nothing arrived.
const SOCKET_RETRY_AFTER: Duration = Duration::from_millis(5);

/// Lines emitted per `poll_next` at most.
const SOCKET_BATCH_LINES: usize = 4096;

/// See the module docs.
#[derive(Debug, Clone)]
pub struct SocketTextSource {
    host: String,
    port: u16,
    delimiter: u8,
}

impl SocketTextSource {
    /// Lines separated by `delimiter` (usually `b'\n'`) from `host:port`.
    pub fn new(host: impl Into<String>, port: u16, delimiter: u8) -> Self {
        SocketTextSource {
            host: host.into(),
            port,
            delimiter,
        }
    }

    fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl Source<String> for SocketTextSource {
    fn name(&self) -> String {
        format!("SocketTextSource({})", self.address())
    }

    fn is_bounded(&self) -> bool {
        false
    }

    fn initial_splits(&self, parallelism: usize) -> Result<Vec<Vec<Vec<u8>>>, WeirError> {
        // One split with an empty state (nothing to replay), for subtask 0.
        let mut splits = vec![Vec::new(); parallelism.max(1)];
        splits[0].push(Vec::new());
        Ok(splits)
    }

    fn create_reader(
        &self,
        _subtask: usize,
        _parallelism: usize,
        splits: Vec<Vec<u8>>,
    ) -> Result<Box<dyn SourceReader<String>>, WeirError> {
        let connection = if splits.is_empty() {
            None
        } else {
            let address = self.address();
            let connect_error = |source| WeirError::SocketConnect {
                address: address.clone(),
                source,
            };
            let stream =
                TcpStream::connect((self.host.as_str(), self.port)).map_err(connect_error)?;
            stream.set_nonblocking(true).map_err(connect_error)?;
            Some(stream)
        };
        Ok(Box::new(SocketTextReader {
            address: self.address(),
            delimiter: self.delimiter,
            connection,
            buffer: Vec::with_capacity(64 << 10),
            scanned: 0,
            splits: splits.len().min(1),
        }))
    }
}

struct SocketTextReader {
    address: String,
    delimiter: u8,
    /// `None` without a split, or once the peer closed the connection.
    connection: Option<TcpStream>,
    /// Received bytes not yet emitted (a partial line at the end).
    buffer: Vec<u8>,
    /// `buffer[..scanned]` holds no delimiter.
    scanned: usize,
    splits: usize,
}

impl SocketTextReader {
    /// Emits every complete line in the buffer (up to a batch); returns how many.
    fn emit_lines(&mut self, output: &mut dyn ReaderOutput<String>) -> Result<usize, WeirError> {
        let mut start = 0;
        let mut emitted = 0;
        let mut search_from = self.scanned;
        while emitted < SOCKET_BATCH_LINES {
            let Some(at) = memchr::memchr(self.delimiter, &self.buffer[search_from..]) else {
                break;
            };
            let end = search_from + at;
            let mut line = &self.buffer[start..end];
            if self.delimiter == b'\n' {
                line = line.strip_suffix(b"\r").unwrap_or(line);
            }
            output.collect(0, String::from_utf8_lossy(line).into_owned(), None)?;
            emitted += 1;
            start = end + 1;
            search_from = start;
        }
        self.buffer.drain(..start);
        self.scanned = if emitted == SOCKET_BATCH_LINES {
            0
        } else {
            self.buffer.len()
        };
        Ok(emitted)
    }
}

impl SourceReader<String> for SocketTextReader {
    fn poll_next(
        &mut self,
        output: &mut dyn ReaderOutput<String>,
    ) -> Result<InputStatus, WeirError> {
        let Some(connection) = &mut self.connection else {
            return Ok(InputStatus::EndOfInput);
        };
        let mut chunk = [0u8; 64 << 10];
        let mut closed = false;
        // Read what is there now, up to a bounded amount per poll.
        for _ in 0..16 {
            match connection.read(&mut chunk) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(count) => self.buffer.extend_from_slice(&chunk[..count]),
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(WeirError::SocketRead {
                        address: self.address.clone(),
                        source,
                    });
                }
            }
        }
        let emitted = self.emit_lines(output)?;
        if closed {
            self.connection = None;
            self.finish_after_close(output)?;
            return Ok(InputStatus::EndOfInput);
        }
        Ok(if emitted > 0 {
            InputStatus::MoreAvailable
        } else {
            InputStatus::NothingAvailable {
                retry_after: SOCKET_RETRY_AFTER,
            }
        })
    }

    fn snapshot_state(&mut self, _checkpoint_id: u64) -> Result<Vec<Vec<u8>>, WeirError> {
        // Nothing to replay: the split is only kept so a restored job reads the socket again.
        Ok(vec![Vec::new(); self.splits])
    }

    fn split_count(&self) -> usize {
        self.splits
    }
}

impl SocketTextReader {
    /// After the peer closed: every remaining line, then the rest as a last line.
    fn finish_after_close(
        &mut self,
        output: &mut dyn ReaderOutput<String>,
    ) -> Result<(), WeirError> {
        while self.emit_lines(output)? == SOCKET_BATCH_LINES {}
        if !self.buffer.is_empty() {
            let rest = std::mem::take(&mut self.buffer);
            let mut line = rest.as_slice();
            if self.delimiter == b'\n' {
                line = line.strip_suffix(b"\r").unwrap_or(line);
            }
            output.collect(0, String::from_utf8_lossy(line).into_owned(), None)?;
        }
        self.scanned = 0;
        output.split_finished(0);
        Ok(())
    }
}
