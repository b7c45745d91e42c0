//! Resource localization for the test NodeManager: YARN's `ResourceLocalizationService` +
//! `FSDownload` for local (`file://`) resources of APPLICATION visibility.
//!
//! For each resource of a container:
//!
//! ```text
//!   verify source   exists?           no  → "File file:<src> does not exist"
//!                   mtime == expected? no  → "Resource file:<src> changed on src filesystem - expected: …"
//!                   size  == expected? no  → same wording with sizes (stricter than YARN, see below)
//!        │
//!   per-app file cache    <app_dir>/filecache/<n>_tmp/<name>   copy (FILE) or unpack (ARCHIVE)
//!                         chmod: files 0500, directories 0700
//!                         rename <n>_tmp → <n>                  (the entry appears atomically)
//!        │
//!   link into the container's working dir    <work_dir>/<link_name> → <app_dir>/filecache/<n>/<name>
//!                                            (parent directories of `a/b/link` are created)
//! ```
//!
//! The cache is keyed like YARN's per-application `LocalResourcesTracker`: (application
//! directory, source path, timestamp, kind). A second container of the same application that
//! asks for the same resource reuses the entry without checking the source again (a "cache hit"
//! in `LOCALIZATION_COUNTERS`); concurrent requests wait for one download. A failed download is
//! not cached. Cache directory numbers start at 10 and grow per launcher, as YARN's do.
//!
//! Archives are unpacked into a directory named after the archive, by file name, like
//! `FSDownload.unpack`: `.tar`, `.tar.gz` and `.tgz` with the system `tar` (Hadoop itself shells
//! out to `tar` on Unix), `.zip` and `.jar` with the system `unzip` (Hadoop uses Java's zip
//! reader; a host without `unzip` gets a clear error). Any other ARCHIVE is copied as is, which is
//! what YARN does after logging "Cannot unpack".
//!
//! Deliberate differences from YARN: all resources are treated as APPLICATION visibility (no
//! public or per-user cache); the source size is checked too (YARN only compares the
//! modification time), because a wrong `LocalResource.size` is a client bug worth catching;
//! times in messages are printed in UTC (`+0000`) rather than the NodeManager's zone.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, UNIX_EPOCH};

use tokio::sync::OnceCell;

use super::container_launcher::now_ms;
use crate::error::YarnError;

/// Mode of a localized file (`FSDownload` PRIVATE/APPLICATION file permission `r-x------`).
pub const LOCALIZED_FILE_MODE: u32 = 0o500;
/// Mode of a localized directory (`rwx------`).
pub const LOCALIZED_DIRECTORY_MODE: u32 = 0o700;
/// First cache directory number (YARN's trackers start their sequence at 10).
const FIRST_CACHE_DIRECTORY_NUMBER: u64 = 10;

/// `LocalResourceType` of a resource (PATTERN is not supported by the test cluster).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LocalResourceKind {
    /// Copied as is.
    File,
    /// Unpacked into a directory.
    Archive,
}

impl LocalResourceKind {
    /// The Java enum constant name.
    pub fn yarn_name(self) -> &'static str {
        match self {
            LocalResourceKind::File => "FILE",
            LocalResourceKind::Archive => "ARCHIVE",
        }
    }
}

/// One entry of a container launch context's `local_resources`, with the URL already turned
/// into a local path by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceToLocalize {
    /// Key of the `local_resources` map: the path of the link inside the working directory
    /// (may contain `/`).
    pub link_name: String,
    pub source: PathBuf,
    pub expected_size_bytes: i64,
    pub expected_timestamp_ms: i64,
    pub kind: LocalResourceKind,
}

/// YARN's `LOCALIZATION_COUNTERS`: bytes and files downloaded vs. taken from the cache, and the
/// time spent, rendered as `missed_bytes,cached_bytes,missed_files,cached_files,millis`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LocalizationCounters {
    pub bytes_missed: u64,
    pub bytes_cached: u64,
    pub files_missed: u64,
    pub files_cached: u64,
    pub millis: u64,
}

impl std::fmt::Display for LocalizationCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{},{},{},{},{}",
            self.bytes_missed, self.bytes_cached, self.files_missed, self.files_cached, self.millis
        )
    }
}

/// A resource that is in the cache and linked into the working directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalizedResource {
    pub link_name: String,
    /// `<app_dir>/filecache/<n>/<name>`.
    pub cache_path: PathBuf,
    pub size_bytes: u64,
    pub cache_hit: bool,
}

/// The result of localizing all resources of one container.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Localization {
    pub resources: Vec<LocalizedResource>,
    pub counters: LocalizationCounters,
}

/// A resource that could not be localized, and why.
#[derive(Debug)]
pub struct LocalizationFailure {
    pub resource: ResourceToLocalize,
    pub error: YarnError,
}

impl LocalizationFailure {
    /// The diagnostics YARN's NodeManager records for the container (without the Java stack
    /// trace): `Failed to download resource { { file:<src>, <ts>, FILE, null },pending,
    /// [(<container>)],<n>,DOWNLOADING}` and the exception line.
    pub fn diagnostics(&self, container_id: &str) -> String {
        let exception_class = match self.error {
            YarnError::LocalizationSourceMissing { .. } => "java.io.FileNotFoundException",
            _ => "java.io.IOException",
        };
        format!(
            "Failed to download resource {{ {{ file:{}, {}, {}, null }},pending,[({})],{},DOWNLOADING}}\n{}: {}",
            self.resource.source.display(),
            self.resource.expected_timestamp_ms,
            self.resource.kind.yarn_name(),
            container_id,
            monotonic_nanos(),
            exception_class,
            self.error
        )
    }
}

/// Nanoseconds on a monotonic clock (what `LocalizedResource` prints as its creation stamp).
fn monotonic_nanos() -> u128 {
    static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos()
}

/// Checks a `local_resources` key: relative, no `..`, not empty.
pub fn validate_link_name(link_name: &str) -> Result<(), String> {
    let path = Path::new(link_name);
    if link_name.is_empty() {
        return Err("a local resource has an empty name".to_string());
    }
    if path.is_absolute() {
        return Err(format!(
            "local resource name '{link_name}' must be a relative path (YARN: \"Destination must be relative\")"
        ));
    }
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!(
            "local resource name '{link_name}' must stay inside the working directory (no '..')"
        ));
    }
    if path.components().all(|c| matches!(c, Component::CurDir)) {
        return Err(format!("local resource name '{link_name}' names no file"));
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CacheKey {
    app_dir: PathBuf,
    source: PathBuf,
    timestamp_ms: i64,
    kind: LocalResourceKind,
}

#[derive(Clone, Debug)]
struct CachedResource {
    path: PathBuf,
    size_bytes: u64,
}

type CacheCell = Arc<OnceCell<CachedResource>>;

/// The NodeManager's cache of localized resources, shared by all containers of a launcher.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct FileCache {
    inner: Arc<FileCacheInner>,
}

#[derive(Debug)]
struct FileCacheInner {
    next_directory_number: AtomicU64,
    entries: Mutex<HashMap<CacheKey, CacheCell>>,
}

impl Default for FileCache {
    fn default() -> Self {
        Self::new()
    }
}

impl FileCache {
    pub fn new() -> FileCache {
        FileCache {
            inner: Arc::new(FileCacheInner {
                next_directory_number: AtomicU64::new(FIRST_CACHE_DIRECTORY_NUMBER),
                entries: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Forgets the cache entries of an application (call it when the application's directory is
    /// deleted). Files are not touched.
    pub fn forget_application(&self, app_dir: &Path) {
        self.entries().retain(|key, _| key.app_dir != app_dir);
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, CacheCell>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts).
        self.inner
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Localizes `resources` for a container: verify, copy or unpack into
    /// `<app_dir>/filecache`, and link into `work_dir` (which must exist). Stops at the first
    /// failure.
    pub async fn localize(
        &self,
        app_dir: &Path,
        work_dir: &Path,
        resources: &[ResourceToLocalize],
    ) -> Result<Localization, LocalizationFailure> {
        let started = Instant::now();
        let mut localization = Localization::default();
        for resource in resources {
            let fail = |error: YarnError| LocalizationFailure {
                resource: resource.clone(),
                error,
            };
            validate_link_name(&resource.link_name).map_err(|detail| {
                fail(YarnError::LocalizationIo {
                    resource_path: resource.source.clone(),
                    action: "link",
                    path: work_dir.join(&resource.link_name),
                    source: io::Error::new(io::ErrorKind::InvalidInput, detail),
                })
            })?;
            let key = CacheKey {
                app_dir: app_dir.to_path_buf(),
                source: resource.source.clone(),
                timestamp_ms: resource.expected_timestamp_ms,
                kind: resource.kind,
            };
            let cell = self.entries().entry(key).or_default().clone();
            let downloaded_here = std::sync::atomic::AtomicBool::new(false);
            let cached = cell
                .get_or_try_init(|| {
                    downloaded_here.store(true, Ordering::Relaxed);
                    let inner = self.inner.clone();
                    let resource = resource.clone();
                    let filecache = app_dir.join("filecache");
                    async move {
                        let resource_path = resource.source.clone();
                        let next_number =
                            move || inner.next_directory_number.fetch_add(1, Ordering::Relaxed);
                        tokio::task::spawn_blocking(move || {
                            download(&resource, &filecache, next_number)
                        })
                        .await
                        .map_err(|join_error| {
                            YarnError::LocalizationIo {
                                resource_path: resource_path.clone(),
                                action: "download",
                                path: resource_path,
                                source: io::Error::other(join_error.to_string()),
                            }
                        })?
                    }
                })
                .await
                .map_err(fail)?
                .clone();
            let cache_hit = !downloaded_here.load(Ordering::Relaxed);
            let link = work_dir.join(&resource.link_name);
            link_into_work_dir(&cached.path, &link).map_err(|source| {
                fail(YarnError::LocalizationIo {
                    resource_path: resource.source.clone(),
                    action: "create the symlink",
                    path: link.clone(),
                    source,
                })
            })?;
            if cache_hit {
                localization.counters.bytes_cached += cached.size_bytes;
                localization.counters.files_cached += 1;
            } else {
                localization.counters.bytes_missed += cached.size_bytes;
                localization.counters.files_missed += 1;
            }
            localization.resources.push(LocalizedResource {
                link_name: resource.link_name.clone(),
                cache_path: cached.path,
                size_bytes: cached.size_bytes,
                cache_hit,
            });
        }
        localization.counters.millis = started.elapsed().as_millis() as u64;
        Ok(localization)
    }
}

/// `ln -sf -- <target> <link>` with `mkdir -p` of the link's parent.
fn link_into_work_dir(target: &Path, link: &Path) -> io::Result<()> {
    if let Some(parent) = link.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::symlink_metadata(link) {
        Ok(meta) if meta.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a directory of that name already exists in the working directory",
            ));
        }
        Ok(_) => std::fs::remove_file(link)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::os::unix::fs::symlink(target, link)
}

/// Modification time in milliseconds since the epoch, truncated like Java's `lastModified()`.
pub fn modification_time_ms(metadata: &std::fs::Metadata) -> io::Result<i64> {
    let modified = metadata.modified()?;
    Ok(match modified.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_millis() as i64,
        Err(before) => -(before.duration().as_millis() as i64),
    })
}

/// Verifies the source and creates the cache entry `<filecache>/<n>/<name>` (blocking).
fn download(
    resource: &ResourceToLocalize,
    filecache: &Path,
    next_number: impl Fn() -> u64,
) -> Result<CachedResource, YarnError> {
    let source = &resource.source;
    let io_error =
        |action: &'static str, path: &Path, source_error: io::Error| YarnError::LocalizationIo {
            resource_path: source.clone(),
            action,
            path: path.to_path_buf(),
            source: source_error,
        };
    let metadata = match std::fs::metadata(source) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(YarnError::LocalizationSourceMissing {
                resource_path: source.clone(),
            });
        }
        Err(e) => return Err(io_error("read the attributes of", source, e)),
    };
    let actual_timestamp_ms = modification_time_ms(&metadata)
        .map_err(|e| io_error("read the modification time of", source, e))?;
    if actual_timestamp_ms != resource.expected_timestamp_ms {
        return Err(YarnError::LocalizationChanged {
            resource_path: source.clone(),
            expected_timestamp_ms: resource.expected_timestamp_ms,
            actual_timestamp_ms,
            checked_at_ms: now_ms(),
        });
    }
    if metadata.is_file()
        && i64::try_from(metadata.len()).ok() != Some(resource.expected_size_bytes)
    {
        return Err(YarnError::LocalizationSizeChanged {
            resource_path: source.clone(),
            expected_size_bytes: resource.expected_size_bytes,
            actual_size_bytes: metadata.len(),
        });
    }
    let name = source.file_name().ok_or_else(|| {
        io_error(
            "find the file name of",
            source,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the source path has no file name",
            ),
        )
    })?;

    std::fs::create_dir_all(filecache).map_err(|e| io_error("create", filecache, e))?;
    // The next directory number that no earlier NodeManager run left behind.
    let (final_dir, work_dir) = loop {
        let number = next_number();
        let final_dir = filecache.join(number.to_string());
        let work_dir = filecache.join(format!("{number}_tmp"));
        if !final_dir.exists() && !work_dir.exists() {
            break (final_dir, work_dir);
        }
    };
    std::fs::create_dir_all(&work_dir).map_err(|e| io_error("create", &work_dir, e))?;
    let result = (|| {
        let destination = work_dir.join(name);
        let size_bytes = match resource.kind {
            LocalResourceKind::File => copy_recursively(source, &destination)
                .map_err(|e| io_error("copy into the file cache", &destination, e))?,
            LocalResourceKind::Archive => {
                unpack(source, &destination, &metadata).map_err(|e| match e {
                    UnpackError::Io(action, path, error) => io_error(action, &path, error),
                    UnpackError::Tool(detail) => YarnError::LocalizationUnpack {
                        archive_path: source.clone(),
                        detail,
                    },
                })?
            }
        };
        set_localized_permissions(&destination)
            .map_err(|e| io_error("set the permissions of", &destination, e))?;
        std::fs::set_permissions(&work_dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| io_error("set the permissions of", &work_dir, e))?;
        std::fs::rename(&work_dir, &final_dir)
            .map_err(|e| io_error("rename into place", &final_dir, e))?;
        Ok(CachedResource {
            path: final_dir.join(name),
            size_bytes,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&work_dir);
    }
    result
}

/// Copies a file or a directory tree; returns the bytes copied.
fn copy_recursively(from: &Path, to: &Path) -> io::Result<u64> {
    let metadata = std::fs::metadata(from)?;
    if metadata.is_dir() {
        std::fs::create_dir_all(to)?;
        let mut total = 0;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            total += copy_recursively(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(total)
    } else {
        std::fs::copy(from, to)
    }
}

enum UnpackError {
    Io(&'static str, PathBuf, io::Error),
    Tool(String),
}

/// Unpacks an ARCHIVE into the directory `destination` (or copies it when the extension is not
/// an archive format YARN knows). Returns the archive's size.
fn unpack(
    source: &Path,
    destination: &Path,
    metadata: &std::fs::Metadata,
) -> Result<u64, UnpackError> {
    let lower_name = source
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut command = if lower_name.ends_with(".jar") || lower_name.ends_with(".zip") {
        let mut unzip = std::process::Command::new("unzip");
        unzip
            .arg("-q")
            .arg("-o")
            .arg(source)
            .arg("-d")
            .arg(destination);
        unzip
    } else if lower_name.ends_with(".tar.gz")
        || lower_name.ends_with(".tgz")
        || lower_name.ends_with(".tar")
    {
        let mut tar = std::process::Command::new("tar");
        tar.arg("-x");
        if !lower_name.ends_with(".tar") {
            tar.arg("-z");
        }
        tar.arg("--no-same-owner")
            .arg("-f")
            .arg(source)
            .arg("-C")
            .arg(destination);
        tar
    } else {
        // YARN logs "Cannot unpack" and keeps the file.
        return copy_recursively(source, destination).map_err(|e| {
            UnpackError::Io("copy into the file cache", destination.to_path_buf(), e)
        });
    };
    std::fs::create_dir_all(destination)
        .map_err(|e| UnpackError::Io("create", destination.to_path_buf(), e))?;
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.stdin(std::process::Stdio::null()).output().map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            UnpackError::Tool(format!(
                "the '{program}' command is not installed on this NodeManager host; install it or ship the \
                 resource as a .tar.gz"
            ))
        } else {
            UnpackError::Tool(format!("cannot run '{program}': {e}"))
        }
    })?;
    if !output.status.success() {
        return Err(UnpackError::Tool(format!(
            "'{program}' failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(metadata.len())
}

/// `FSDownload.changePermissions` for APPLICATION resources: files 0500, directories 0700,
/// symlinks untouched.
fn set_localized_permissions(path: &Path) -> io::Result<()> {
    let metadata = std::fs::symlink_metadata(path)?;
    if metadata.file_type().is_symlink() {
        return Ok(());
    }
    if metadata.is_dir() {
        // Children first would fail once the directory is read-only for others; 0700 keeps it
        // writable for the owner, so the order does not matter.
        std::fs::set_permissions(
            path,
            std::fs::Permissions::from_mode(LOCALIZED_DIRECTORY_MODE),
        )?;
        for entry in std::fs::read_dir(path)? {
            set_localized_permissions(&entry?.path())?;
        }
        Ok(())
    } else {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(LOCALIZED_FILE_MODE))
    }
}

/// A file's modification time as [`ResourceToLocalize::expected_timestamp_ms`] wants it.
pub fn timestamp_ms_of(path: &Path) -> io::Result<i64> {
    modification_time_ms(&std::fs::metadata(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(source: &Path, link_name: &str, kind: LocalResourceKind) -> ResourceToLocalize {
        let metadata = std::fs::metadata(source).unwrap();
        ResourceToLocalize {
            link_name: link_name.to_string(),
            source: source.to_path_buf(),
            expected_size_bytes: metadata.len() as i64,
            expected_timestamp_ms: modification_time_ms(&metadata).unwrap(),
            kind,
        }
    }

    fn layout() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let app_dir = root
            .path()
            .join("usercache/alice/appcache/application_1_0001");
        let work_dir = app_dir.join("container_1_0001_01_000001");
        std::fs::create_dir_all(&work_dir).unwrap();
        (root, app_dir, work_dir)
    }

    #[test]
    fn link_names_must_stay_inside_the_working_directory() {
        assert!(validate_link_name("flink.jar").is_ok());
        assert!(validate_link_name("lib/sub/x.so").is_ok());
        assert!(validate_link_name("").is_err());
        assert!(validate_link_name("/etc/passwd").is_err());
        assert!(validate_link_name("../escape").is_err());
        assert!(validate_link_name("a/../../b").is_err());
        assert!(validate_link_name(".").is_err());
    }

    #[test]
    fn counters_render_like_yarn() {
        let counters = LocalizationCounters {
            bytes_missed: 5,
            bytes_cached: 7,
            files_missed: 1,
            files_cached: 2,
            millis: 3,
        };
        assert_eq!(counters.to_string(), "5,7,1,2,3");
    }

    #[tokio::test]
    async fn files_are_copied_once_per_application_and_linked_for_each_container() {
        let (root, app_dir, work_dir) = layout();
        let source = root.path().join("weir-tool.sh");
        std::fs::write(&source, b"#!/bin/sh\necho hi\n").unwrap();
        let cache = FileCache::new();
        let first = cache
            .localize(
                &app_dir,
                &work_dir,
                &[resource(&source, "bin/tool.sh", LocalResourceKind::File)],
            )
            .await
            .expect("localizes");
        let entry = &first.resources[0];
        assert_eq!(entry.cache_path, app_dir.join("filecache/10/weir-tool.sh"));
        assert!(!entry.cache_hit);
        let mode = std::fs::metadata(&entry.cache_path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o500);
        assert_eq!(
            std::fs::read_link(work_dir.join("bin/tool.sh")).unwrap(),
            entry.cache_path
        );
        assert_eq!(first.counters.files_missed, 1);
        assert_eq!(first.counters.bytes_missed, 18);

        let second_work_dir = app_dir.join("container_1_0001_01_000002");
        std::fs::create_dir_all(&second_work_dir).unwrap();
        let second = cache
            .localize(
                &app_dir,
                &second_work_dir,
                &[resource(&source, "tool.sh", LocalResourceKind::File)],
            )
            .await
            .expect("localizes from the cache");
        assert!(second.resources[0].cache_hit);
        assert_eq!(second.resources[0].cache_path, entry.cache_path);
        assert_eq!(
            (second.counters.files_cached, second.counters.bytes_cached),
            (1, 18)
        );
        assert!(!app_dir.join("filecache/11").exists(), "no second copy");

        cache.forget_application(&app_dir);
        let third = cache
            .localize(
                &app_dir,
                &second_work_dir,
                &[resource(&source, "again.sh", LocalResourceKind::File)],
            )
            .await
            .expect("localizes again");
        assert!(!third.resources[0].cache_hit);
        assert_eq!(
            third.resources[0].cache_path,
            app_dir.join("filecache/11/weir-tool.sh")
        );
    }

    #[tokio::test]
    async fn cache_directories_left_by_an_earlier_run_are_skipped() {
        let (root, app_dir, work_dir) = layout();
        std::fs::create_dir_all(app_dir.join("filecache/10")).unwrap();
        std::fs::create_dir_all(app_dir.join("filecache/11_tmp")).unwrap();
        let source = root.path().join("a.txt");
        std::fs::write(&source, b"a").unwrap();
        let localized = FileCache::new()
            .localize(
                &app_dir,
                &work_dir,
                &[resource(&source, "a.txt", LocalResourceKind::File)],
            )
            .await
            .unwrap();
        assert_eq!(
            localized.resources[0].cache_path,
            app_dir.join("filecache/12/a.txt")
        );
    }

    #[tokio::test]
    async fn a_changed_timestamp_or_size_or_missing_source_fails_with_yarn_wording() {
        let (root, app_dir, work_dir) = layout();
        let source = root.path().join("conf.yaml");
        std::fs::write(&source, b"a: 1\n").unwrap();
        let cache = FileCache::new();

        let mut stale = resource(&source, "conf.yaml", LocalResourceKind::File);
        stale.expected_timestamp_ms -= 1000;
        let failure = cache
            .localize(&app_dir, &work_dir, &[stale.clone()])
            .await
            .unwrap_err();
        let message = failure.error.to_string();
        let prefix = format!(
            "Resource file:{} changed on src filesystem - expected: \"",
            source.display()
        );
        assert!(message.starts_with(&prefix), "{message}");
        assert!(
            message.contains("\", was: \"") && message.contains("+0000\", current time: \""),
            "{message}"
        );
        let diagnostics = failure.diagnostics("container_1_0001_01_000001");
        assert!(
            diagnostics.starts_with(&format!(
                "Failed to download resource {{ {{ file:{}, {}, FILE, null }},pending,[(container_1_0001_01_000001)],",
                source.display(),
                stale.expected_timestamp_ms
            )),
            "{diagnostics}"
        );
        assert!(
            diagnostics.contains(",DOWNLOADING}\njava.io.IOException: Resource file:"),
            "{diagnostics}"
        );

        let mut wrong_size = resource(&source, "conf.yaml", LocalResourceKind::File);
        wrong_size.expected_size_bytes += 1;
        let message = cache
            .localize(&app_dir, &work_dir, &[wrong_size])
            .await
            .unwrap_err()
            .error
            .to_string();
        assert!(
            message.contains("changed on src filesystem - expected size: 6 bytes, was: 5 bytes"),
            "{message}"
        );

        let mut missing = resource(&source, "gone", LocalResourceKind::File);
        missing.source = root.path().join("gone.bin");
        let failure = cache
            .localize(&app_dir, &work_dir, &[missing])
            .await
            .unwrap_err();
        assert_eq!(
            failure.error.to_string(),
            format!(
                "File file:{} does not exist",
                root.path().join("gone.bin").display()
            )
        );
        assert!(
            failure
                .diagnostics("c")
                .contains("\njava.io.FileNotFoundException: File file:")
        );
        assert!(
            !work_dir.join("conf.yaml").exists(),
            "nothing linked after failures"
        );
        let cache_entries = std::fs::read_dir(app_dir.join("filecache")).map_or(0, |d| d.count());
        assert_eq!(cache_entries, 0, "failed downloads leave no cache entries");
    }

    #[tokio::test]
    async fn tar_gz_archives_are_unpacked_into_a_directory() {
        let (root, app_dir, work_dir) = layout();
        let content = root.path().join("content");
        std::fs::create_dir_all(content.join("conf")).unwrap();
        std::fs::write(content.join("conf/a.txt"), b"archived\n").unwrap();
        let archive = root.path().join("bundle.tar.gz");
        let status = std::process::Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(&content)
            .arg("conf")
            .status()
            .expect("tar runs");
        assert!(status.success());
        let localized = FileCache::new()
            .localize(
                &app_dir,
                &work_dir,
                &[resource(&archive, "bundle", LocalResourceKind::Archive)],
            )
            .await
            .expect("unpacks");
        let cache_path = &localized.resources[0].cache_path;
        assert!(cache_path.is_dir());
        assert_eq!(
            std::fs::read(work_dir.join("bundle/conf/a.txt")).unwrap(),
            b"archived\n"
        );
        let dir_mode = std::fs::metadata(cache_path.join("conf"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        let file_mode = std::fs::metadata(cache_path.join("conf/a.txt"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!((dir_mode, file_mode), (0o700, 0o500));
    }

    #[tokio::test]
    async fn a_corrupt_archive_fails_with_the_tool_output() {
        let (root, app_dir, work_dir) = layout();
        let archive = root.path().join("broken.tgz");
        std::fs::write(&archive, b"this is not gzip").unwrap();
        let failure = FileCache::new()
            .localize(
                &app_dir,
                &work_dir,
                &[resource(&archive, "broken", LocalResourceKind::Archive)],
            )
            .await
            .unwrap_err();
        let message = failure.error.to_string();
        assert!(
            message.starts_with(&format!(
                "cannot unpack archive file:{}: 'tar' failed",
                archive.display()
            )),
            "{message}"
        );
    }
}
