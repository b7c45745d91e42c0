//! `hdfs://` and `viewfs://` staging through the `hdfs-native` client: a thin adapter from
//! [`StagingFileSystem`] to `hdfs_native::Client` (`mkdirs`, `create` + write + `close`,
//! `rename`, `get_file_info`, `delete`).
//!
//! The client is built from the URI's `scheme://authority` (a NameNode `host:port`, an HA
//! nameservice or a viewfs mount table) and reads `core-site.xml`/`hdfs-site.xml` from
//! `HADOOP_CONF_DIR` (or `$HADOOP_HOME/etc/hadoop`) itself, so HA nameservices resolve as in
//! Java. It acts as the given Hadoop user (SIMPLE auth; Kerberos is not wired here).
//! Modification times come from the NameNode (`HdfsFileStatusProto.modification_time`, ms),
//! which is exactly what the NodeManager compares.
//!
//! The home directory is `/user/<user>` (HDFS's default `dfs.user.home.dir.prefix`).
//!
//! Not covered by tests in this repository: there is no HDFS to run against.

use std::path::Path;

use bytes::Bytes;
use hdfs_native::{Client, ClientBuilder, HdfsError, WriteOptions};
use tokio::io::AsyncReadExt;

use super::file_uri::FileUri;
use super::staging_file_system::{BoxFuture, FileStatus, StagingFileSystem, temporary_upload_name};
use crate::error::YarnError;

/// Bytes read from the local file per write call.
const UPLOAD_CHUNK_BYTES: usize = 1 << 20;

/// An HDFS (or viewfs) file system for one `scheme://authority`.
#[derive(Debug, Clone)]
pub struct HdfsFileSystem {
    client: Client,
    /// `scheme://authority`, e.g. `hdfs://nameservice1`.
    root: FileUri,
    user: String,
}

impl HdfsFileSystem {
    /// A client for `uri`'s file system acting as `user`. Connections are made lazily, on the
    /// first operation.
    pub fn connect(uri: &FileUri, user: &str) -> Result<HdfsFileSystem, YarnError> {
        let root = FileUri {
            path: "/".to_string(),
            ..uri.clone()
        };
        let client = ClientBuilder::new()
            .with_url(root.file_system_root())
            .with_user(user)
            .build()
            .map_err(hdfs_error("connect to", &root.to_string()))?;
        Ok(HdfsFileSystem {
            client,
            root,
            user: user.to_string(),
        })
    }

    /// The path of `uri` on this file system, after checking that `uri` belongs to it.
    fn path_of(&self, uri: &str) -> Result<String, YarnError> {
        let parsed = FileUri::parse(uri)?;
        if parsed.scheme != self.root.scheme
            || parsed.host != self.root.host
            || parsed.port != self.root.port
        {
            return Err(YarnError::StagingUri {
                uri: uri.to_string(),
                detail: format!(
                    "not on the staging file system {}",
                    self.root.file_system_root()
                ),
            });
        }
        Ok(parsed.path)
    }

    async fn upload_to(
        &self,
        local: &Path,
        remote_path: &str,
        remote_uri: &str,
        permission: u32,
        overwrite: bool,
    ) -> Result<FileStatus, YarnError> {
        let local_error = |source| YarnError::LocalFile {
            path: local.to_path_buf(),
            source,
        };
        let mut source = tokio::fs::File::open(local).await.map_err(local_error)?;
        let metadata = source.metadata().await.map_err(local_error)?;
        if !metadata.is_file() {
            return Err(local_error(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            )));
        }
        let (parent, name) = remote_path
            .rsplit_once('/')
            .ok_or_else(|| YarnError::StagingUri {
                uri: remote_uri.to_string(),
                detail: "not an absolute path".to_string(),
            })?;
        let temporary = format!("{parent}/{}", temporary_upload_name(name)?);
        let result = async {
            let options = WriteOptions::default()
                .permission(permission)
                .overwrite(false)
                .create_parent(false);
            let mut writer = self
                .client
                .create(&temporary, options)
                .await
                .map_err(hdfs_error("create a temporary file for", remote_uri))?;
            let mut buffer = vec![0u8; UPLOAD_CHUNK_BYTES];
            loop {
                let read = source.read(&mut buffer).await.map_err(local_error)?;
                if read == 0 {
                    break;
                }
                writer
                    .write_bytes(Bytes::copy_from_slice(&buffer[..read]))
                    .await
                    .map_err(hdfs_error("write", remote_uri))?;
            }
            writer
                .close()
                .await
                .map_err(hdfs_error("close", remote_uri))?;
            match self.client.rename(&temporary, remote_path, overwrite).await {
                Ok(()) => {}
                Err(error) if !overwrite && is_already_exists(&error) => {
                    return Err(YarnError::StagingFileExists {
                        uri: remote_uri.to_string(),
                    });
                }
                Err(error) => return Err(hdfs_error("rename the upload to", remote_uri)(error)),
            }
            let status = self
                .client
                .get_file_info(remote_path)
                .await
                .map_err(hdfs_error("read the status of", remote_uri))?;
            Ok(status_of(&status))
        }
        .await;
        if result.is_err() {
            // Best effort; the temporary file may not even exist.
            let _ = self.client.delete(&temporary, false).await;
        }
        result
    }
}

fn is_already_exists(error: &HdfsError) -> bool {
    match error {
        HdfsError::AlreadyExists(_) => true,
        HdfsError::RPCError(class_name, _) => class_name.ends_with("FileAlreadyExistsException"),
        _ => false,
    }
}

fn hdfs_error<'a>(
    operation: &'static str,
    uri: &'a str,
) -> impl FnOnce(HdfsError) -> YarnError + 'a {
    move |source| YarnError::Hdfs {
        operation,
        uri: uri.to_string(),
        source: Box::new(source),
    }
}

fn status_of(status: &hdfs_native::client::FileStatus) -> FileStatus {
    FileStatus {
        size_bytes: status.length as u64,
        modification_time_ms: i64::try_from(status.modification_time).unwrap_or(i64::MAX),
        is_directory: status.isdir,
    }
}

impl StagingFileSystem for HdfsFileSystem {
    fn home_directory(&self) -> String {
        self.root.join("user").join(&self.user).to_string()
    }

    fn mkdirs<'a>(&'a self, uri: &'a str, permission: u32) -> BoxFuture<'a, Result<(), YarnError>> {
        Box::pin(async move {
            let path = self.path_of(uri)?;
            self.client
                .mkdirs(&path, permission, true)
                .await
                .map_err(hdfs_error("create directory", uri))
        })
    }

    fn upload<'a>(
        &'a self,
        local: &'a Path,
        remote_uri: &'a str,
        permission: u32,
        overwrite: bool,
    ) -> BoxFuture<'a, Result<FileStatus, YarnError>> {
        Box::pin(async move {
            let path = self.path_of(remote_uri)?;
            self.upload_to(local, &path, remote_uri, permission, overwrite)
                .await
        })
    }

    fn file_status<'a>(
        &'a self,
        uri: &'a str,
    ) -> BoxFuture<'a, Result<Option<FileStatus>, YarnError>> {
        Box::pin(async move {
            let path = self.path_of(uri)?;
            match self.client.get_file_info(&path).await {
                Ok(status) => Ok(Some(status_of(&status))),
                Err(HdfsError::FileNotFound(_)) => Ok(None),
                Err(error) => Err(hdfs_error("read the status of", uri)(error)),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        uri: &'a str,
        recursive: bool,
    ) -> BoxFuture<'a, Result<bool, YarnError>> {
        Box::pin(async move {
            let path = self.path_of(uri)?;
            self.client
                .delete(&path, recursive)
                .await
                .map_err(hdfs_error("delete", uri))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a NameNode the adapter still builds (connections are lazy) and maps URIs to
    /// paths. (A refused connection is not tested: hdfs-native retries it for longer than a
    /// unit test should wait.)
    #[tokio::test]
    async fn builds_lazily_and_checks_the_file_system_of_uris() {
        let root = FileUri::parse("hdfs://127.0.0.1:1/").unwrap();
        let file_system = HdfsFileSystem::connect(&root, "alice").unwrap();
        assert_eq!(
            file_system.home_directory(),
            "hdfs://127.0.0.1:1/user/alice"
        );
        assert_eq!(
            file_system.path_of("hdfs://127.0.0.1:1/a/b").unwrap(),
            "/a/b"
        );
        for other in [
            "hdfs://elsewhere:1/x",
            "hdfs://127.0.0.1/x",
            "viewfs://127.0.0.1:1/x",
        ] {
            let result = file_system.file_status(other).await;
            assert!(
                matches!(result, Err(YarnError::StagingUri { .. })),
                "{other}: {result:?}"
            );
        }
    }
}
