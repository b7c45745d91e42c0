//! `file://` staging: a single-node cluster, or a directory every NodeManager mounts at the same
//! path (NFS and the like). The NodeManager localizes these files with Hadoop's
//! `RawLocalFileSystem`, under its own OS user, so that user must be able to read the staging
//! directory (the application directory is created 0700: on a cluster whose NMs run as another
//! user, stage to HDFS instead).
//!
//! Modification times are reported exactly as Java's `File.lastModified()` does, which is what
//! the NodeManager compares with `LocalResourceProto.timestamp`: `mtime_sec * 1000 +
//! mtime_nsec / 1_000_000` (milliseconds, truncated).
//!
//! Operations run on tokio's blocking pool (std::fs).

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::file_uri::FileUri;
use super::staging_file_system::{BoxFuture, FileStatus, StagingFileSystem, temporary_upload_name};
use crate::error::YarnError;

/// The local file system (`file://`).
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalFileSystem;

impl LocalFileSystem {
    pub fn new() -> LocalFileSystem {
        LocalFileSystem
    }

    /// Modification time in ms as Java's `File.lastModified()` computes it.
    pub fn modification_time_ms(metadata: &fs::Metadata) -> i64 {
        metadata.mtime() * 1000 + metadata.mtime_nsec() / 1_000_000
    }
}

/// The local path of a `file://` URI.
fn local_path(uri: &str) -> Result<PathBuf, YarnError> {
    let parsed = FileUri::parse(uri)?;
    if parsed.scheme != "file" || parsed.host.is_some() || parsed.port.is_some() {
        return Err(YarnError::StagingUri {
            uri: uri.to_string(),
            detail: "expected a file:///absolute/path URI on the local file system".to_string(),
        });
    }
    Ok(PathBuf::from(parsed.path))
}

fn io_error<'a>(operation: &'static str, uri: &'a str) -> impl FnOnce(io::Error) -> YarnError + 'a {
    move |source| YarnError::StagingIo {
        operation,
        uri: uri.to_string(),
        source,
    }
}

fn status_of(metadata: &fs::Metadata) -> FileStatus {
    FileStatus {
        size_bytes: metadata.len(),
        modification_time_ms: LocalFileSystem::modification_time_ms(metadata),
        is_directory: metadata.is_dir(),
    }
}

/// Runs blocking file-system work off the async threads.
async fn blocking<T: Send + 'static>(
    uri: &str,
    work: impl FnOnce() -> Result<T, YarnError> + Send + 'static,
) -> Result<T, YarnError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join_error| YarnError::StagingIo {
            operation: "run the file operation for",
            uri: uri.to_string(),
            source: io::Error::other(join_error.to_string()),
        })?
}

impl StagingFileSystem for LocalFileSystem {
    fn home_directory(&self) -> String {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/".to_string());
        FileUri {
            scheme: "file".to_string(),
            user_info: None,
            host: None,
            port: None,
            path: "/".to_string(),
        }
        .join(&home)
        .to_string()
    }

    fn mkdirs<'a>(&'a self, uri: &'a str, permission: u32) -> BoxFuture<'a, Result<(), YarnError>> {
        Box::pin(async move {
            let path = local_path(uri)?;
            let owned_uri = uri.to_string();
            blocking(uri, move || {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(permission)
                    .create(&path)
                    .map_err(io_error("create directory", &owned_uri))
            })
            .await
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
            let remote = local_path(remote_uri)?;
            let local = local.to_path_buf();
            let owned_uri = remote_uri.to_string();
            blocking(remote_uri, move || {
                upload_blocking(&local, &remote, &owned_uri, permission, overwrite)
            })
            .await
        })
    }

    fn file_status<'a>(
        &'a self,
        uri: &'a str,
    ) -> BoxFuture<'a, Result<Option<FileStatus>, YarnError>> {
        Box::pin(async move {
            let path = local_path(uri)?;
            let owned_uri = uri.to_string();
            blocking(uri, move || match fs::metadata(&path) {
                Ok(metadata) => Ok(Some(status_of(&metadata))),
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(io_error("read the status of", &owned_uri)(error)),
            })
            .await
        })
    }

    fn delete<'a>(
        &'a self,
        uri: &'a str,
        recursive: bool,
    ) -> BoxFuture<'a, Result<bool, YarnError>> {
        Box::pin(async move {
            let path = local_path(uri)?;
            let owned_uri = uri.to_string();
            blocking(uri, move || {
                let metadata = match fs::symlink_metadata(&path) {
                    Ok(metadata) => metadata,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
                    Err(error) => return Err(io_error("delete", &owned_uri)(error)),
                };
                let result = if !metadata.is_dir() {
                    fs::remove_file(&path)
                } else if recursive {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_dir(&path)
                };
                result
                    .map(|()| true)
                    .map_err(io_error("delete", &owned_uri))
            })
            .await
        })
    }
}

/// Copy to a temporary sibling, then rename (or hard-link without `overwrite`, which fails
/// atomically when the destination exists). The temporary file is removed on every failure.
fn upload_blocking(
    local: &Path,
    remote: &Path,
    remote_uri: &str,
    permission: u32,
    overwrite: bool,
) -> Result<FileStatus, YarnError> {
    let local_error = |source| YarnError::LocalFile {
        path: local.to_path_buf(),
        source,
    };
    let mut source = fs::File::open(local).map_err(local_error)?;
    let metadata = source.metadata().map_err(local_error)?;
    if !metadata.is_file() {
        return Err(local_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let (Some(parent), Some(name)) = (remote.parent(), remote.file_name()) else {
        return Err(YarnError::StagingUri {
            uri: remote_uri.to_string(),
            detail: "cannot upload to the root directory".to_string(),
        });
    };
    let temporary = parent.join(temporary_upload_name(&name.to_string_lossy())?);
    let result = (|| {
        let mut target = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(permission)
            .open(&temporary)
            .map_err(io_error("create a temporary file for", remote_uri))?;
        io::copy(&mut source, &mut target).map_err(|error| {
            // A read error is the local file's fault, a write error the staging directory's.
            YarnError::StagingIo {
                operation: "copy data to",
                uri: format!("{remote_uri} (from {})", local.display()),
                source: error,
            }
        })?;
        target
            .set_permissions(fs::Permissions::from_mode(permission))
            .map_err(io_error("set the permission of", remote_uri))?;
        target.sync_all().map_err(io_error("flush", remote_uri))?;
        drop(target);
        if overwrite {
            fs::rename(&temporary, remote).map_err(io_error("rename the upload to", remote_uri))?;
        } else {
            match fs::hard_link(&temporary, remote) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(YarnError::StagingFileExists {
                        uri: remote_uri.to_string(),
                    });
                }
                Err(error) => return Err(io_error("link the upload to", remote_uri)(error)),
            }
            fs::remove_file(&temporary)
                .map_err(io_error("remove the temporary file of", remote_uri))?;
        }
        let uploaded = fs::metadata(remote).map_err(io_error("read the status of", remote_uri))?;
        Ok(status_of(&uploaded))
    })();
    if result.is_err() {
        // Best effort: the error being returned is the one that matters.
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn uri_of(path: &Path) -> String {
        format!("file://{}", path.display())
    }

    fn temporary_files(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| {
                name.ends_with(super::super::staging_file_system::TEMPORARY_UPLOAD_SUFFIX)
            })
            .collect()
    }

    #[tokio::test]
    async fn modification_time_is_javas_milliseconds() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"abc").unwrap();
        let mtime = UNIX_EPOCH + Duration::new(1_700_000_000, 987_654_321);
        fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let status = LocalFileSystem
            .file_status(&uri_of(&file))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status.modification_time_ms, 1_700_000_000_987);
        assert_eq!(status.size_bytes, 3);
        assert!(!status.is_directory);
        assert_eq!(
            LocalFileSystem
                .file_status(&uri_of(&dir.path().join("none")))
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn upload_replaces_or_refuses_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("local");
        fs::write(&local, b"first").unwrap();
        let remote = dir.path().join("remote");
        let remote_uri = uri_of(&remote);

        let status = LocalFileSystem
            .upload(&local, &remote_uri, 0o640, false)
            .await
            .unwrap();
        assert_eq!(status.size_bytes, 5);
        assert_eq!(fs::read(&remote).unwrap(), b"first");
        assert_eq!(
            fs::metadata(&remote).unwrap().permissions().mode() & 0o777,
            0o640
        );

        fs::write(&local, b"second!").unwrap();
        let refused = LocalFileSystem
            .upload(&local, &remote_uri, 0o640, false)
            .await;
        assert!(
            matches!(refused, Err(YarnError::StagingFileExists { .. })),
            "{refused:?}"
        );
        assert_eq!(fs::read(&remote).unwrap(), b"first");

        let status = LocalFileSystem
            .upload(&local, &remote_uri, 0o640, true)
            .await
            .unwrap();
        assert_eq!(status.size_bytes, 7);
        assert_eq!(fs::read(&remote).unwrap(), b"second!");
        assert!(temporary_files(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn failed_rename_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("local");
        fs::write(&local, b"data").unwrap();
        // A non-empty directory already holds the final name: the rename fails.
        let remote = dir.path().join("taken");
        fs::create_dir(&remote).unwrap();
        fs::write(remote.join("inside"), b"x").unwrap();
        let result = LocalFileSystem
            .upload(&local, &uri_of(&remote), 0o644, true)
            .await;
        assert!(
            matches!(result, Err(YarnError::StagingIo { .. })),
            "{result:?}"
        );
        assert!(temporary_files(dir.path()).is_empty());
        assert!(remote.join("inside").exists());
    }

    #[tokio::test]
    async fn missing_local_file_and_missing_parent() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        match LocalFileSystem
            .upload(&missing, &uri_of(&dir.path().join("r")), 0o644, true)
            .await
        {
            Err(YarnError::LocalFile { path, .. }) => assert_eq!(path, missing),
            other => panic!("unexpected {other:?}"),
        }
        let local = dir.path().join("local");
        fs::write(&local, b"data").unwrap();
        let no_parent = dir.path().join("no/such/dir/file");
        let result = LocalFileSystem
            .upload(&local, &uri_of(&no_parent), 0o644, true)
            .await;
        assert!(
            matches!(result, Err(YarnError::StagingIo { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn mkdirs_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b/c");
        LocalFileSystem
            .mkdirs(&uri_of(&nested), 0o700)
            .await
            .unwrap();
        assert!(nested.is_dir());
        assert_eq!(
            fs::metadata(&nested).unwrap().permissions().mode() & 0o777,
            0o700
        );
        LocalFileSystem
            .mkdirs(&uri_of(&nested), 0o700)
            .await
            .unwrap();
        fs::write(nested.join("f"), b"x").unwrap();
        let top = uri_of(&dir.path().join("a"));
        assert!(LocalFileSystem.delete(&top, false).await.is_err());
        assert!(LocalFileSystem.delete(&top, true).await.unwrap());
        assert!(!LocalFileSystem.delete(&top, true).await.unwrap());
        assert!(!dir.path().join("a").exists());
    }

    #[test]
    fn refuses_non_local_uris() {
        assert!(local_path("hdfs://nn/x").is_err());
        assert!(local_path("file://host/x").is_err());
        assert_eq!(local_path("file:///x/y").unwrap(), PathBuf::from("/x/y"));
    }
}
