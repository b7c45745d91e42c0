//! [`IoManager`]: the spill directories of a TaskManager and their I/O threads.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;

use crossbeam_channel::Sender;

use crate::error::MemoryError;
use crate::io::block_channel_reader::BlockChannelReader;
use crate::io::block_channel_writer::BlockChannelWriter;
use crate::io::file_channel_id::FileChannelId;
use crate::io::io_thread::{self, IoRequest};
use crate::io::spill_directory::SpillDirectory;
use crate::io::spill_file::SpillFile;
use crate::io::synchronous_block_reader::SynchronousBlockReader;

/// Spill files in `io.tmp.dirs`: one spill directory and one I/O thread per configured
/// directory, files spread over them in turn. See the [module docs](crate::io).
///
/// Share it as `Arc<IoManager>`; all methods take `&self`. Dropping it (or
/// [`IoManager::shutdown`]) stops the threads and deletes the spill directories.
pub struct IoManager {
    shared: Arc<IoShared>,
    spill_directories: Vec<SpillDirectory>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    next_channel: AtomicU64,
}

/// The part of the I/O manager that writers and readers keep to queue their requests.
pub(crate) struct IoShared {
    /// One queue per I/O thread; `None` once shut down.
    queues: RwLock<Option<Vec<Sender<IoRequest>>>>,
    shutting_down: Arc<AtomicBool>,
}

impl IoShared {
    /// Queues `request` for I/O thread `thread`; gives it back when the manager has shut down.
    #[inline]
    pub(crate) fn submit(&self, thread: usize, request: IoRequest) -> Result<(), IoRequest> {
        let queues = self.queues.read().unwrap_or_else(PoisonError::into_inner);
        match queues.as_ref() {
            Some(queues) => queues[thread % queues.len()]
                .send(request)
                .map_err(|error| error.into_inner()),
            None => Err(request),
        }
    }
}

impl fmt::Debug for IoManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoManager")
            .field("spill_directories", &self.spill_directories())
            .field("shut_down", &self.is_shut_down())
            .finish()
    }
}

impl IoManager {
    /// Starts the I/O manager over `dirs` (the entries of `io.tmp.dirs`): for each, removes the
    /// spill directories of dead processes, creates this process's spill directory and starts
    /// its I/O thread.
    ///
    /// Fails with [`MemoryError::NoSpillDirectories`] for an empty list,
    /// [`MemoryError::MissingDirectory`], [`MemoryError::NotADirectory`] or
    /// [`MemoryError::PermissionDenied`] naming the configured directory.
    pub fn new(dirs: &[PathBuf]) -> Result<IoManager, MemoryError> {
        if dirs.is_empty() {
            return Err(MemoryError::NoSpillDirectories);
        }
        let spill_directories = dirs
            .iter()
            .map(|dir| SpillDirectory::create(dir))
            .collect::<Result<Vec<_>, _>>()?;
        let shutting_down = Arc::new(AtomicBool::new(false));
        let mut queues = Vec::with_capacity(dirs.len());
        let mut threads = Vec::with_capacity(dirs.len());
        for (index, directory) in spill_directories.iter().enumerate() {
            let (sender, receiver) = crossbeam_channel::unbounded();
            match io_thread::spawn(index, receiver, Arc::clone(&shutting_down)) {
                Ok(thread) => threads.push(thread),
                Err(source) => {
                    drop(queues);
                    join_all(threads);
                    return Err(MemoryError::Io {
                        path: directory.path().to_path_buf(),
                        action: "starting its I/O thread",
                        source,
                    });
                }
            }
            queues.push(sender);
        }
        tracing::info!(
            directories = ?spill_directories.iter().map(|d| d.path()).collect::<Vec<_>>(),
            "I/O manager started"
        );
        Ok(IoManager {
            shared: Arc::new(IoShared {
                queues: RwLock::new(Some(queues)),
                shutting_down,
            }),
            spill_directories,
            threads: Mutex::new(threads),
            next_channel: AtomicU64::new(0),
        })
    }
}

impl IoManager {
    /// The spill directories of this process, one per configured directory, in configuration
    /// order.
    pub fn spill_directories(&self) -> Vec<PathBuf> {
        self.spill_directories
            .iter()
            .map(|dir| dir.path().to_path_buf())
            .collect()
    }

    /// Names a new spill file, `<n>.channel` in the next spill directory (round-robin).
    pub fn create_channel(&self) -> FileChannelId {
        let n = self.next_channel.fetch_add(1, Ordering::Relaxed);
        let thread = (n % self.spill_directories.len() as u64) as usize;
        let path = self.spill_directories[thread]
            .path()
            .join(format!("{n}.channel"));
        FileChannelId::new(path, thread)
    }

    /// Creates the file of `id` and a writer for it.
    pub fn create_block_writer(
        &self,
        id: FileChannelId,
    ) -> Result<BlockChannelWriter, MemoryError> {
        if self.is_shut_down() {
            return Err(MemoryError::IoManagerShutDown);
        }
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(id.path())
            .map_err(|error| match error.kind() {
                // The spill directory vanished (a tmp cleaner, or a shutdown).
                std::io::ErrorKind::NotFound => MemoryError::MissingDirectory {
                    path: id.path().parent().unwrap_or(id.path()).to_path_buf(),
                },
                _ => MemoryError::from_io(id.path(), "creating a spill file", error),
            })?;
        Ok(BlockChannelWriter::new(Arc::clone(&self.shared), id, file))
    }

    /// Opens a reader that reads the blocks of `file` from the start. Several readers of one
    /// file may be open at once; each reads the whole file.
    pub fn create_block_reader(
        &self,
        file: &Arc<SpillFile>,
    ) -> Result<BlockChannelReader, MemoryError> {
        if self.is_shut_down() {
            return Err(MemoryError::IoManagerShutDown);
        }
        let handle = File::open(file.path())
            .map_err(|error| MemoryError::from_io(file.path(), "opening a spill file", error))?;
        // Only a hint for the kernel's read-ahead; reading works the same without it.
        let _ = rustix::fs::fadvise(&handle, 0, None, rustix::fs::Advice::Sequential);
        Ok(BlockChannelReader::new(
            Arc::clone(&self.shared),
            Arc::clone(file),
            handle,
        ))
    }

    /// Opens a reader that starts at block `first_block` of `file`, whose header is at byte
    /// `offset` of the file (random access: a keyed-state run reads one block found through its
    /// sparse index). Every block before it is a full page for a file written page by page, so
    /// `offset = first_block × (BLOCK_HEADER_BYTES + page size)`; a wrong offset fails the first
    /// read as a corrupt block (magic and sequence number are checked).
    pub fn create_block_reader_at(
        &self,
        file: &Arc<SpillFile>,
        first_block: u64,
        offset: u64,
    ) -> Result<BlockChannelReader, MemoryError> {
        if self.is_shut_down() {
            return Err(MemoryError::IoManagerShutDown);
        }
        let first_block = first_block.min(file.block_count());
        let handle = File::open(file.path())
            .map_err(|error| MemoryError::from_io(file.path(), "opening a spill file", error))?;
        Ok(BlockChannelReader::new_at(
            Arc::clone(&self.shared),
            Arc::clone(file),
            handle,
            first_block,
            offset,
        ))
    }

    /// Opens `file` for synchronous reads of single blocks at known offsets on the caller's
    /// thread (see [`SynchronousBlockReader`]); the reader keeps the file open until it drops.
    pub fn create_synchronous_block_reader(
        &self,
        file: &Arc<SpillFile>,
    ) -> Result<SynchronousBlockReader, MemoryError> {
        if self.is_shut_down() {
            return Err(MemoryError::IoManagerShutDown);
        }
        let handle = File::open(file.path())
            .map_err(|error| MemoryError::from_io(file.path(), "opening a spill file", error))?;
        Ok(SynchronousBlockReader::new(Arc::clone(file), handle))
    }

    #[cfg(test)]
    pub(crate) fn shared(&self) -> &Arc<IoShared> {
        &self.shared
    }

    /// Whether [`IoManager::shutdown`] ran.
    pub fn is_shut_down(&self) -> bool {
        self.shared.shutting_down.load(Ordering::Acquire)
    }

    /// Stops the I/O threads and deletes the spill directories with every file in them.
    /// Requests still queued are answered with [`MemoryError::IoManagerShutDown`] (their pages go
    /// back to their writers and readers); later requests fail the same way. Idempotent; runs on
    /// drop.
    pub fn shutdown(&self) {
        let queues = {
            let mut queues = self
                .shared
                .queues
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            self.shared.shutting_down.store(true, Ordering::Release);
            queues.take()
        };
        let Some(queues) = queues else {
            return;
        };
        // The threads answer what is queued, then see the queues close and end.
        drop(queues);
        join_all(std::mem::take(
            &mut *self.threads.lock().unwrap_or_else(PoisonError::into_inner),
        ));
        for directory in &self.spill_directories {
            directory.remove();
        }
        tracing::info!("I/O manager shut down");
    }
}

impl Drop for IoManager {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn join_all(threads: Vec<JoinHandle<()>>) {
    for thread in threads {
        if thread.join().is_err() {
            tracing::error!("an I/O thread panicked");
        }
    }
}
