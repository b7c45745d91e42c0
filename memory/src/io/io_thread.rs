//! The I/O thread of one spill directory: serves the block requests of the files in that
//! directory, one at a time, in the order they were queued.
//!
//! A request carries its page and its channel (file handle, return queue). Serving it always
//! ends with the page on the channel's return queue, whatever happened: written or filled, failed
//! (with the error), or skipped because an earlier block of the same channel failed or the I/O
//! manager is shutting down. The thread ends when the I/O manager drops its queue sender and the
//! queue is empty, so every request queued before shutdown gets its answer.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;

use crate::io::block_channel_reader::ReadRequest;
use crate::io::block_channel_writer::WriteRequest;

/// One unit of work for an I/O thread.
pub(crate) enum IoRequest {
    Write(WriteRequest),
    Read(ReadRequest),
}

impl IoRequest {
    /// Serves the request; `shutting_down` fails it instead (the page still goes back).
    fn serve(self, shutting_down: bool) {
        match self {
            IoRequest::Write(request) => request.serve(shutting_down),
            IoRequest::Read(request) => request.serve(shutting_down),
        }
    }
}

/// Starts the I/O thread `weir-io-<index>`.
pub(crate) fn spawn(
    index: usize,
    requests: Receiver<IoRequest>,
    shutting_down: Arc<AtomicBool>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("weir-io-{index}"))
        .spawn(move || {
            for request in requests {
                request.serve(shutting_down.load(Ordering::Acquire));
            }
        })
}
