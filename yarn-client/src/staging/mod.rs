//! Staging: putting the Weir binary, its configuration and shipped files where the
//! NodeManagers can download them, and describing each as a `LocalResourceProto`.
//!
//! ```text
//!  client ──► Stager ──► dyn StagingFileSystem ──► LocalFileSystem  (file://)
//!               │                               └─► HdfsFileSystem   (hdfs://, viewfs://)
//!               └──► LocalResourceProto {URL, size, timestamp = remote mtime, FILE, APPLICATION}
//!                        → ContainerLaunchContextProto.local_resources of the AM and TMs
//! ```
//!
//! - [`file_uri`]: URIs split into `URLProto` parts (port -1 when absent).
//! - [`staging_file_system`]: the object-safe async trait, [`FileStatus`], [`file_system_for`].
//! - [`local_file_system`], [`hdfs_file_system`]: the two implementations.
//! - [`stager`]: the layout under the staging root, binary reuse by content hash, link names.

pub mod file_uri;
pub mod hdfs_file_system;
pub mod local_file_system;
pub mod stager;
pub mod staging_file_system;

pub use file_uri::FileUri;
pub use hdfs_file_system::HdfsFileSystem;
pub use local_file_system::LocalFileSystem;
pub use stager::{Stager, validate_link_name};
pub use staging_file_system::{
    BoxFuture, FileStatus, StagingFileSystem, TEMPORARY_UPLOAD_SUFFIX, file_system_for,
};
