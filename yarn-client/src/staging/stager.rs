//! Staging of an application's files, turning each into the `LocalResourceProto` a container
//! launch context lists.
//!
//! ```text
//! <staging root>/                       yarn.staging-directory, default: home dir on fs.defaultFS
//!   .weir/                              0700
//!     bin/weir-<sha1 of the binary>     shared by all applications; uploaded once per content
//!     application_<ts>_<id>/            0700, one per application; deleted by cleanup()
//!       weir-conf.yaml                  upload_file(local, "weir-conf.yaml")
//!       conf/extra/a.txt                ship_files([".../conf"]) → link "conf/extra/a.txt"
//! ```
//!
//! Every resource is a FILE with APPLICATION visibility; its size and timestamp are read back
//! from the staging file system after the upload, because the NodeManager refuses a resource
//! whose modification time differs from `timestamp` ("changed on src filesystem").
//!
//! Link names (where the NM links the resource inside the container's working directory) are
//! relative `/`-separated paths. The NM creates the parent directories of a name holding `/`
//! and writes every name into a bash script between double quotes, so a link name must be
//! non-empty, relative, without empty, `.`, `..` or `*` segments, and free of `"`, `$`, `` ` ``,
//! `\`, `:` and control characters. Each name may be used once per application.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha1::{Digest, Sha1};

use super::file_uri::FileUri;
use super::staging_file_system::{FileStatus, StagingFileSystem, file_system_for};
use crate::error::YarnError;
use crate::ids::ApplicationId;
use crate::proto::yarn_records::{
    LocalResourceProto, LocalResourceTypeProto, LocalResourceVisibilityProto,
};

/// The directory under the staging root that holds everything Weir stages.
pub const WEIR_STAGING_DIR: &str = ".weir";
/// Directory permission of `.weir`, `.weir/bin` and the application directories (as Flink).
pub const STAGING_DIR_PERMISSION: u32 = 0o700;
/// Permission of uploaded files.
pub const STAGED_FILE_PERMISSION: u32 = 0o644;
/// Name prefix of the shared binaries in `.weir/bin`.
pub const BINARY_NAME_PREFIX: &str = "weir-";

/// Uploads one application's files to its staging directory.
#[derive(Debug)]
pub struct Stager {
    file_system: Box<dyn StagingFileSystem>,
    staging_root: FileUri,
    application_id: ApplicationId,
    /// Link names handed out so far (each may be used once).
    link_names: Mutex<BTreeSet<String>>,
}

impl Stager {
    /// A stager on `file_system` with `staging_root` (a fully qualified URI on it).
    pub fn new(
        file_system: Box<dyn StagingFileSystem>,
        staging_root: &str,
        application_id: ApplicationId,
    ) -> Result<Stager, YarnError> {
        Ok(Stager {
            file_system,
            staging_root: FileUri::parse(staging_root)?,
            application_id,
            link_names: Mutex::new(BTreeSet::new()),
        })
    }

    /// Opens the staging file system. The root is `configured_root` (`yarn.staging-directory`;
    /// a path without scheme is on `default_fs`) or else `user`'s home directory on
    /// `default_fs` (`fs.defaultFS`).
    pub fn open(
        configured_root: Option<&str>,
        default_fs: &str,
        user: &str,
        application_id: ApplicationId,
    ) -> Result<Stager, YarnError> {
        let configured = configured_root
            .map(str::trim)
            .filter(|root| !root.is_empty());
        let root = match configured {
            Some(root) => Some(FileUri::qualify(root, default_fs)?),
            None => None,
        };
        let file_system_uri = match &root {
            Some(root) => root.to_string(),
            None => FileUri::parse(default_fs)?.to_string(),
        };
        let file_system = file_system_for(&file_system_uri, user)?;
        let root = match root {
            Some(root) => root.to_string(),
            None => file_system.home_directory(),
        };
        Stager::new(file_system, &root, application_id)
    }

    pub fn staging_root(&self) -> &FileUri {
        &self.staging_root
    }

    /// `<root>/.weir/<application id>`: this application's files.
    pub fn application_dir(&self) -> FileUri {
        self.staging_root
            .join(WEIR_STAGING_DIR)
            .join(&self.application_id.to_string())
    }

    /// `<root>/.weir/bin`: binaries shared by all applications.
    pub fn binary_dir(&self) -> FileUri {
        self.staging_root.join(WEIR_STAGING_DIR).join("bin")
    }

    /// Stages the executable once per content: `<root>/.weir/bin/weir-<sha1 hex>`. An existing
    /// file of that name and the same size is reused without uploading (its content is
    /// identified by the name; uploads are atomic, so a file under that name is complete).
    pub async fn upload_binary(&self, local: &Path) -> Result<LocalResourceProto, YarnError> {
        let owned = local.to_path_buf();
        let (digest, size_bytes) = tokio::task::spawn_blocking(move || sha1_of_file(&owned))
            .await
            .map_err(|join_error| YarnError::LocalFile {
                path: local.to_path_buf(),
                source: io::Error::other(join_error.to_string()),
            })??;
        let remote = self
            .binary_dir()
            .join(&format!("{BINARY_NAME_PREFIX}{digest}"));
        let remote_uri = remote.to_string();
        if let Some(status) = self.reusable(&remote_uri, size_bytes).await? {
            tracing::debug!(uri = %remote_uri, "reusing the staged binary");
            return Ok(local_resource(&remote, &status));
        }
        self.file_system
            .mkdirs(&self.binary_dir().to_string(), STAGING_DIR_PERMISSION)
            .await?;
        match self
            .file_system
            .upload(local, &remote_uri, STAGED_FILE_PERMISSION, false)
            .await
        {
            Ok(status) => Ok(local_resource(&remote, &status)),
            // Another submission uploaded the same binary in the meantime: use theirs, never
            // replace it (that would change the timestamp their containers expect).
            Err(YarnError::StagingFileExists { .. }) => {
                match self.reusable(&remote_uri, size_bytes).await? {
                    Some(status) => Ok(local_resource(&remote, &status)),
                    None => Err(YarnError::StagingIo {
                        operation: "reuse the staged binary",
                        uri: remote_uri,
                        source: io::Error::other(format!(
                            "the file exists but is not a regular file of {size_bytes} bytes; \
                             delete it"
                        )),
                    }),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// The status of `uri` when it is a regular file of `size_bytes`.
    async fn reusable(&self, uri: &str, size_bytes: u64) -> Result<Option<FileStatus>, YarnError> {
        Ok(self
            .file_system
            .file_status(uri)
            .await?
            .filter(|status| !status.is_directory && status.size_bytes == size_bytes))
    }

    /// Stages one file as `<application dir>/<link_name>`; the resource is meant to be linked
    /// as `link_name` in the container.
    pub async fn upload_file(
        &self,
        local: &Path,
        link_name: &str,
    ) -> Result<LocalResourceProto, YarnError> {
        validate_link_name(link_name)?;
        self.claim_link_name(link_name)?;
        let result = self.upload_claimed(local, link_name).await;
        if result.is_err() {
            self.release_link_name(link_name);
        }
        result
    }

    async fn upload_claimed(
        &self,
        local: &Path,
        link_name: &str,
    ) -> Result<LocalResourceProto, YarnError> {
        let remote = self.application_dir().join(link_name);
        let parent = remote.parent().unwrap_or_else(|| self.application_dir());
        self.file_system
            .mkdirs(&self.application_dir().to_string(), STAGING_DIR_PERMISSION)
            .await?;
        self.file_system
            .mkdirs(&parent.to_string(), STAGING_DIR_PERMISSION)
            .await?;
        let status = self
            .file_system
            .upload(local, &remote.to_string(), STAGED_FILE_PERMISSION, true)
            .await?;
        Ok(local_resource(&remote, &status))
    }

    /// Stages files and directory trees. A file is linked under its file name; every regular
    /// file below a directory `d` is linked as `d/<path relative to d>` (symbolic links are
    /// followed; empty directories are not represented). Returns `(link name, resource)` pairs
    /// sorted by link name.
    pub async fn ship_files(
        &self,
        paths: &[PathBuf],
    ) -> Result<Vec<(String, LocalResourceProto)>, YarnError> {
        let mut files = Vec::new();
        for path in paths {
            let owned = path.clone();
            let found = tokio::task::spawn_blocking(move || files_to_ship(&owned))
                .await
                .map_err(|join_error| YarnError::LocalFile {
                    path: path.clone(),
                    source: io::Error::other(join_error.to_string()),
                })??;
            files.extend(found);
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut resources = Vec::with_capacity(files.len());
        for (link_name, local) in files {
            let resource = self.upload_file(&local, &link_name).await?;
            resources.push((link_name, resource));
        }
        Ok(resources)
    }

    /// Deletes this application's staging directory (the shared binaries stay).
    pub async fn cleanup(&self) -> Result<(), YarnError> {
        self.file_system
            .delete(&self.application_dir().to_string(), true)
            .await
            .map(|_| ())
    }

    fn claim_link_name(&self, link_name: &str) -> Result<(), YarnError> {
        let mut names = self
            .link_names
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if names.insert(link_name.to_string()) {
            Ok(())
        } else {
            Err(YarnError::InvalidLinkName {
                link_name: link_name.to_string(),
                reason: "already used by another resource of this application",
            })
        }
    }

    fn release_link_name(&self, link_name: &str) {
        let mut names = self
            .link_names
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        names.remove(link_name);
    }
}

/// A FILE resource with APPLICATION visibility for the staged file `remote`.
fn local_resource(remote: &FileUri, status: &FileStatus) -> LocalResourceProto {
    LocalResourceProto {
        resource: Some(remote.to_url_proto()),
        size: Some(i64::try_from(status.size_bytes).unwrap_or(i64::MAX)),
        timestamp: Some(status.modification_time_ms),
        r#type: Some(LocalResourceTypeProto::File as i32),
        visibility: Some(LocalResourceVisibilityProto::Application as i32),
        pattern: None,
        should_be_uploaded_to_shared_cache: None,
    }
}

/// Checks a link name against what the NodeManager's launch script can use (module docs).
pub fn validate_link_name(link_name: &str) -> Result<(), YarnError> {
    let invalid = |reason| {
        Err(YarnError::InvalidLinkName {
            link_name: link_name.to_string(),
            reason,
        })
    };
    if link_name.is_empty() {
        return invalid("empty");
    }
    if link_name.starts_with('/') {
        return invalid("must be relative to the container's working directory");
    }
    if link_name
        .chars()
        .any(|c| matches!(c, '"' | '$' | '`' | '\\' | ':') || c.is_control())
    {
        return invalid("contains one of \" $ ` \\ : or a control character");
    }
    for segment in link_name.split('/') {
        match segment {
            "" => return invalid("has an empty path segment (a trailing or doubled '/')"),
            "." | ".." => return invalid("has a '.' or '..' segment"),
            "*" => return invalid("has a '*' segment (YARN's wildcard link)"),
            _ => {}
        }
    }
    Ok(())
}

/// Lower-case hex SHA-1 of a file's content, and its size.
fn sha1_of_file(path: &Path) -> Result<(String, u64), YarnError> {
    let error = |source| YarnError::LocalFile {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(error)?;
    if !file.metadata().map_err(error)?.is_file() {
        return Err(error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let mut hasher = Sha1::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size_bytes = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(error)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size_bytes += read as u64;
    }
    let digest = hasher.finalize();
    Ok((
        digest.iter().map(|b| format!("{b:02x}")).collect(),
        size_bytes,
    ))
}

/// `(link name, local path)` of every regular file to ship for `path`.
fn files_to_ship(path: &Path) -> Result<Vec<(String, PathBuf)>, YarnError> {
    let error = |path: &Path, source| YarnError::LocalFile {
        path: path.to_path_buf(),
        source,
    };
    let metadata = fs::metadata(path).map_err(|source| error(path, source))?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| {
            error(
                path,
                io::Error::new(io::ErrorKind::InvalidInput, "has no file name"),
            )
        })?;
    if metadata.is_file() {
        return Ok(vec![(name, path.to_path_buf())]);
    }
    if !metadata.is_dir() {
        return Err(error(
            path,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "neither a file nor a directory",
            ),
        ));
    }
    let mut files = Vec::new();
    let mut visited = BTreeSet::new();
    walk(path, &name, &metadata, &mut visited, &mut files)?;
    Ok(files)
}

fn walk(
    dir: &Path,
    link_prefix: &str,
    metadata: &fs::Metadata,
    visited: &mut BTreeSet<(u64, u64)>,
    files: &mut Vec<(String, PathBuf)>,
) -> Result<(), YarnError> {
    let error = |path: &Path, source| YarnError::LocalFile {
        path: path.to_path_buf(),
        source,
    };
    if !visited.insert((metadata.dev(), metadata.ino())) {
        return Err(error(
            dir,
            io::Error::new(io::ErrorKind::InvalidInput, "symbolic link cycle"),
        ));
    }
    let entries = fs::read_dir(dir).map_err(|source| error(dir, source))?;
    for entry in entries {
        let entry = entry.map_err(|source| error(dir, source))?;
        let path = entry.path();
        let metadata = fs::metadata(&path).map_err(|source| error(&path, source))?;
        let link_name = format!("{link_prefix}/{}", entry.file_name().to_string_lossy());
        if metadata.is_dir() {
            walk(&path, &link_name, &metadata, visited, files)?;
        } else if metadata.is_file() {
            files.push((link_name, path));
        }
    }
    visited.remove(&(metadata.dev(), metadata.ino()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::staging::LocalFileSystem;
    use crate::staging::TEMPORARY_UPLOAD_SUFFIX;

    struct Fixture {
        _dir: tempfile::TempDir,
        local: PathBuf,
        root: PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("local");
        let root = dir.path().join("staging");
        fs::create_dir_all(&local).unwrap();
        fs::create_dir_all(&root).unwrap();
        Fixture {
            local,
            root,
            _dir: dir,
        }
    }

    fn app(id: i32) -> ApplicationId {
        ApplicationId::new(1_700_000_000_000, id)
    }

    fn stager(fixture: &Fixture, application: ApplicationId) -> Stager {
        Stager::new(
            Box::new(LocalFileSystem::new()),
            &format!("file://{}", fixture.root.display()),
            application,
        )
        .unwrap()
    }

    fn file_of(resource: &LocalResourceProto) -> PathBuf {
        PathBuf::from(resource.resource.as_ref().unwrap().file.clone().unwrap())
    }

    fn assert_matches_file(resource: &LocalResourceProto) {
        let path = file_of(resource);
        let metadata = fs::metadata(&path).unwrap();
        assert_eq!(resource.size, Some(metadata.len() as i64));
        assert_eq!(
            resource.timestamp,
            Some(LocalFileSystem::modification_time_ms(&metadata))
        );
        let url = resource.resource.as_ref().unwrap();
        assert_eq!(url.scheme.as_deref(), Some("file"));
        assert_eq!(url.host, None);
        assert_eq!(url.port, Some(-1));
        assert!(path.is_absolute());
        assert_eq!(resource.r#type(), LocalResourceTypeProto::File);
        assert_eq!(
            resource.visibility(),
            LocalResourceVisibilityProto::Application
        );
    }

    fn all_files(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(all_files(&path));
            } else {
                found.push(path);
            }
        }
        found
    }

    #[tokio::test]
    async fn binary_is_uploaded_once_per_content() {
        let fixture = fixture();
        let binary = fixture.local.join("weir");
        fs::write(&binary, b"\x7fELF pretend binary").unwrap();

        let first = stager(&fixture, app(1))
            .upload_binary(&binary)
            .await
            .unwrap();
        assert_matches_file(&first);
        let remote = file_of(&first);
        let expected_name = format!(
            "weir-{}",
            Sha1::digest(b"\x7fELF pretend binary")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        assert_eq!(remote, fixture.root.join(".weir/bin").join(&expected_name));
        assert_eq!(fs::read(&remote).unwrap(), fs::read(&binary).unwrap());

        // Age the staged copy: a rewrite would move its mtime to "now".
        let old = SystemTime::now() - Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(&remote)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let aged_ms = LocalFileSystem::modification_time_ms(&fs::metadata(&remote).unwrap());

        let second = stager(&fixture, app(2))
            .upload_binary(&binary)
            .await
            .unwrap();
        assert_eq!(file_of(&second), remote);
        assert_eq!(second.timestamp, Some(aged_ms));
        assert_eq!(
            LocalFileSystem::modification_time_ms(&fs::metadata(&remote).unwrap()),
            aged_ms,
            "the reused binary was not rewritten"
        );

        // Different content → a different name, both kept.
        fs::write(&binary, b"\x7fELF another build").unwrap();
        let third = stager(&fixture, app(3))
            .upload_binary(&binary)
            .await
            .unwrap();
        assert_ne!(file_of(&third), remote);
        assert_matches_file(&third);
        assert_eq!(
            fs::read_dir(fixture.root.join(".weir/bin"))
                .unwrap()
                .count(),
            2
        );
    }

    #[tokio::test]
    async fn a_same_named_file_of_another_size_is_neither_reused_nor_replaced() {
        let fixture = fixture();
        let binary = fixture.local.join("weir");
        fs::write(&binary, b"content").unwrap();
        let stager = stager(&fixture, app(1));
        let first = stager.upload_binary(&binary).await.unwrap();
        // Simulate a truncated leftover under the final name (e.g. written by another tool).
        fs::write(file_of(&first), b"cont").unwrap();
        let again = stager.upload_binary(&binary).await;
        // The upload refuses to replace the shared file and says so.
        match again {
            Err(YarnError::StagingIo { uri, .. }) => assert!(uri.contains(".weir/bin/weir-")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn upload_file_goes_to_the_application_dir() {
        let fixture = fixture();
        let config = fixture.local.join("weir-conf.yaml");
        fs::write(&config, b"jobmanager.memory: 1g\n").unwrap();
        let stager = stager(&fixture, app(7));
        let resource = stager.upload_file(&config, "weir-conf.yaml").await.unwrap();
        assert_matches_file(&resource);
        let app_dir = fixture.root.join(".weir/application_1700000000000_0007");
        assert_eq!(file_of(&resource), app_dir.join("weir-conf.yaml"));
        assert_eq!(fs::metadata(&app_dir).unwrap().mode() & 0o777, 0o700);
        assert_eq!(
            stager.application_dir().to_string(),
            format!("file://{}", app_dir.display())
        );

        // A link name is used once per application.
        let duplicate = stager.upload_file(&config, "weir-conf.yaml").await;
        assert!(
            matches!(duplicate, Err(YarnError::InvalidLinkName { .. })),
            "{duplicate:?}"
        );
    }

    #[tokio::test]
    async fn ships_files_and_nested_directories() {
        let fixture = fixture();
        let tree = fixture.local.join("conf");
        fs::create_dir_all(tree.join("sub/deeper")).unwrap();
        fs::create_dir_all(tree.join("empty")).unwrap();
        fs::write(tree.join("top.txt"), b"top").unwrap();
        fs::write(tree.join("sub/mid.txt"), b"mid").unwrap();
        fs::write(tree.join("sub/deeper/leaf.bin"), [0u8, 1, 2]).unwrap();
        symlink(tree.join("top.txt"), tree.join("sub/link.txt")).unwrap();
        let single = fixture.local.join("udf.so");
        fs::write(&single, b"lib").unwrap();

        let stager = stager(&fixture, app(1));
        let shipped = stager
            .ship_files(&[tree.clone(), single.clone()])
            .await
            .unwrap();
        let names: Vec<&str> = shipped.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "conf/sub/deeper/leaf.bin",
                "conf/sub/link.txt",
                "conf/sub/mid.txt",
                "conf/top.txt",
                "udf.so"
            ]
        );
        for (name, resource) in &shipped {
            assert_matches_file(resource);
            let remote = file_of(resource);
            assert_eq!(remote, stager_path(&fixture, 1).join(name));
            let local_name = name.strip_prefix("conf/").unwrap_or(name);
            let local = if *name == "udf.so" {
                single.clone()
            } else {
                tree.join(local_name)
            };
            assert_eq!(
                fs::read(&remote).unwrap(),
                fs::read(&local).unwrap(),
                "{name}"
            );
        }
    }

    fn stager_path(fixture: &Fixture, id: i32) -> PathBuf {
        fixture.root.join(".weir").join(app(id).to_string())
    }

    #[tokio::test]
    async fn symlink_cycles_are_reported() {
        let fixture = fixture();
        let tree = fixture.local.join("loop");
        fs::create_dir_all(tree.join("a")).unwrap();
        symlink(&tree, tree.join("a/back")).unwrap();
        let result = stager(&fixture, app(1)).ship_files(&[tree]).await;
        match result {
            Err(YarnError::LocalFile { source, .. }) => {
                assert!(source.to_string().contains("cycle"), "{source}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn cleanup_removes_the_application_dir_only() {
        let fixture = fixture();
        let binary = fixture.local.join("weir");
        fs::write(&binary, b"bin").unwrap();
        let config = fixture.local.join("c.yaml");
        fs::write(&config, b"c").unwrap();
        let stager = stager(&fixture, app(1));
        let binary_resource = stager.upload_binary(&binary).await.unwrap();
        stager.upload_file(&config, "c.yaml").await.unwrap();
        assert!(stager_path(&fixture, 1).exists());
        stager.cleanup().await.unwrap();
        assert!(!stager_path(&fixture, 1).exists());
        assert!(file_of(&binary_resource).exists());
        // Idempotent.
        stager.cleanup().await.unwrap();
    }

    #[tokio::test]
    async fn missing_local_files_are_named() {
        let fixture = fixture();
        let missing = fixture.local.join("not-there");
        let stager = stager(&fixture, app(1));
        for result in [
            stager.upload_binary(&missing).await.map(|_| ()),
            stager.upload_file(&missing, "x").await.map(|_| ()),
            stager
                .ship_files(std::slice::from_ref(&missing))
                .await
                .map(|_| ()),
        ] {
            match result {
                Err(error @ YarnError::LocalFile { .. }) => {
                    assert!(error.to_string().contains("not-there"), "{error}")
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        // The failed upload_file released its link name.
        let present = fixture.local.join("x");
        fs::write(&present, b"x").unwrap();
        stager.upload_file(&present, "x").await.unwrap();
    }

    #[tokio::test]
    async fn failed_upload_leaves_no_temporary_files() {
        let fixture = fixture();
        let config = fixture.local.join("c.yaml");
        fs::write(&config, b"c").unwrap();
        let stager = stager(&fixture, app(1));
        // A non-empty directory occupies the target name, so the final rename fails.
        let target = stager_path(&fixture, 1).join("c.yaml");
        fs::create_dir_all(target.join("occupied")).unwrap();
        fs::write(target.join("occupied/f"), b"f").unwrap();
        let result = stager.upload_file(&config, "c.yaml").await;
        assert!(
            matches!(result, Err(YarnError::StagingIo { .. })),
            "{result:?}"
        );
        let leftovers: Vec<PathBuf> = all_files(&fixture.root)
            .into_iter()
            .filter(|path| path.to_string_lossy().ends_with(TEMPORARY_UPLOAD_SUFFIX))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn link_names() {
        for good in ["weir", "conf/a.yaml", "lib/x-1.2.so", ".hidden", "a b"] {
            validate_link_name(good).unwrap();
        }
        for bad in [
            "", "/abs", "a//b", "a/", "../x", "a/./b", "*", "a/*", "a\"b", "$HOME", "a`b", "a\\b",
            "c:d", "a\nb",
        ] {
            assert!(
                matches!(
                    validate_link_name(bad),
                    Err(YarnError::InvalidLinkName { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn open_picks_the_root() {
        let fixture = fixture();
        let configured = format!("file://{}", fixture.root.display());
        let stager =
            Stager::open(Some(&configured), "hdfs://unused:8020", "alice", app(1)).unwrap();
        assert_eq!(stager.staging_root().to_string(), configured);
        let stager = Stager::open(
            Some(fixture.root.to_str().unwrap()),
            "file:///",
            "alice",
            app(1),
        )
        .unwrap();
        assert_eq!(stager.staging_root().to_string(), configured);
        let stager = Stager::open(None, "file:///", "alice", app(1)).unwrap();
        assert_eq!(stager.staging_root().scheme, "file");
        assert_eq!(
            stager.staging_root().to_string(),
            LocalFileSystem::new().home_directory()
        );
        match Stager::open(Some("s3a://bucket/staging"), "file:///", "alice", app(1)) {
            Err(YarnError::StagingUri { uri, detail }) => {
                assert_eq!(uri, "s3a://bucket/staging");
                assert!(detail.contains("s3a"), "{detail}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
