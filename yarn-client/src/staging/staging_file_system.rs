//! The few file-system operations staging needs, behind one object-safe async trait, and the
//! choice of implementation by URI scheme.
//!
//! | scheme           | implementation                 | notes                                   |
//! |------------------|--------------------------------|-----------------------------------------|
//! | `file`           | [`LocalFileSystem`]            | single node, or a path every NM shares  |
//! | `hdfs`, `viewfs` | [`HdfsFileSystem`] (hdfs-native) | configuration from `HADOOP_CONF_DIR`  |
//!
//! Uploads never expose a partial file under its final name:
//!
//! ```text
//!  local file ──copy──► <dir>/.<name>.<random>.weir-upload ──rename──► <dir>/<name>
//!                        (deleted on any failure)                      (stat read back)
//! ```

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use super::file_uri::FileUri;
use super::hdfs_file_system::HdfsFileSystem;
use super::local_file_system::LocalFileSystem;
use crate::error::YarnError;

/// A boxed, sendable future: the return type of [`StagingFileSystem`]'s async methods (the
/// trait is used as `Box<dyn StagingFileSystem>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What YARN needs to know about a staged file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStatus {
    pub size_bytes: u64,
    /// Modification time as the NodeManager's `FileSystem.getFileStatus` reports it, in ms;
    /// `LocalResourceProto.timestamp` must equal it.
    pub modification_time_ms: i64,
    pub is_directory: bool,
}

/// The staging operations. Every URI argument is fully qualified and must belong to this file
/// system (same scheme and authority).
pub trait StagingFileSystem: Send + Sync + fmt::Debug {
    /// The user's home directory as a URI (`hdfs://nn/user/alice`, `file:///home/alice`).
    fn home_directory(&self) -> String;

    /// Creates `uri` and missing parents with `permission` (before the umask, as Hadoop does);
    /// existing directories are left as they are.
    fn mkdirs<'a>(&'a self, uri: &'a str, permission: u32) -> BoxFuture<'a, Result<(), YarnError>>;

    /// Copies `local` to `remote_uri` through a temporary file in the same directory and a
    /// rename, then reads the final file's status back. The parent directory must exist.
    /// With `overwrite` false an existing `remote_uri` is left alone and the result is
    /// [`YarnError::StagingFileExists`].
    fn upload<'a>(
        &'a self,
        local: &'a Path,
        remote_uri: &'a str,
        permission: u32,
        overwrite: bool,
    ) -> BoxFuture<'a, Result<FileStatus, YarnError>>;

    /// The status of `uri`, `None` when it does not exist.
    fn file_status<'a>(
        &'a self,
        uri: &'a str,
    ) -> BoxFuture<'a, Result<Option<FileStatus>, YarnError>>;

    /// Deletes `uri` (a directory only when empty or `recursive`); `false` when it did not
    /// exist.
    fn delete<'a>(
        &'a self,
        uri: &'a str,
        recursive: bool,
    ) -> BoxFuture<'a, Result<bool, YarnError>>;
}

/// The file system for `uri`'s scheme, acting as Hadoop user `user`.
pub fn file_system_for(uri: &str, user: &str) -> Result<Box<dyn StagingFileSystem>, YarnError> {
    let parsed = FileUri::parse(uri)?;
    match parsed.scheme.as_str() {
        "file" => Ok(Box::new(LocalFileSystem::new())),
        "hdfs" | "viewfs" => Ok(Box::new(HdfsFileSystem::connect(&parsed, user)?)),
        other => Err(YarnError::StagingUri {
            uri: uri.to_string(),
            detail: format!(
                "the '{other}' file system is not supported for staging; use hdfs://, viewfs:// \
                 or file:// (a path every NodeManager can read)"
            ),
        }),
    }
}

/// The name of the temporary file an upload to `final_name` writes first: hidden, unique, and
/// recognisable (`.weir-upload` suffix).
pub(crate) fn temporary_upload_name(final_name: &str) -> Result<String, YarnError> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|error| YarnError::StagingIo {
        operation: "generate a temporary name for",
        uri: final_name.to_string(),
        source: std::io::Error::other(error.to_string()),
    })?;
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(".{final_name}.{suffix}{TEMPORARY_UPLOAD_SUFFIX}"))
}

/// Suffix of in-progress uploads.
pub const TEMPORARY_UPLOAD_SUFFIX: &str = ".weir-upload";
