//! Clear errors from the I/O manager: missing, non-directory and unwritable spill directories,
//! the errno → variant mapping (disk full, permission denied), and requests after shutdown, with
//! every page given back in each case.

mod io_support;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use io_support::*;
use weir_memory::{IoManager, MemoryError};

#[test]
fn a_missing_directory_is_named() {
    let (_dirs, mut paths) = temp_dirs(1);
    let missing = paths[0].join("not-created");
    paths.push(missing.clone());
    let error = IoManager::new(&paths).unwrap_err();
    assert!(
        matches!(&error, MemoryError::MissingDirectory { path } if path == &missing),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "spill directory {} does not exist: check io.tmp.dirs",
            missing.display()
        )
    );
    // The spill directory made in the first entry before the failure is gone again.
    assert!(listing(&paths[0]).is_empty());
}

#[test]
fn a_file_is_not_a_directory() {
    let (_dirs, paths) = temp_dirs(1);
    let file = paths[0].join("a-file");
    std::fs::write(&file, b"").unwrap();
    let error = IoManager::new(std::slice::from_ref(&file)).unwrap_err();
    assert!(
        matches!(&error, MemoryError::NotADirectory { path } if path == &file),
        "{error:?}"
    );
    assert!(error.to_string().contains("is not a directory"), "{error}");
}

#[test]
fn no_directories_is_an_error() {
    assert!(matches!(
        IoManager::new(&[]),
        Err(MemoryError::NoSpillDirectories)
    ));
}

/// sysfs refuses `mkdir` even to root (EPERM), unlike permission bits, which root ignores.
#[test]
fn an_unwritable_directory_is_permission_denied_even_for_root() {
    let sys = Path::new("/sys");
    if !sys.is_dir() {
        eprintln!("note: no /sys here, skipping the unwritable-directory test");
        return;
    }
    let error = IoManager::new(&[sys.to_path_buf()]).unwrap_err();
    assert!(
        matches!(&error, MemoryError::PermissionDenied { path } if path == sys),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "permission denied on /sys: check io.tmp.dirs"
    );
}

/// Permission bits: only meaningful when not running as root.
#[test]
fn a_read_only_directory_is_permission_denied() {
    use std::os::unix::fs::PermissionsExt;
    if rustix::process::geteuid().is_root() {
        eprintln!("note: running as root, which ignores permission bits; see the /sys test");
        return;
    }
    let (_dirs, paths) = temp_dirs(1);
    std::fs::set_permissions(&paths[0], std::fs::Permissions::from_mode(0o555)).unwrap();
    let error = IoManager::new(&paths).unwrap_err();
    std::fs::set_permissions(&paths[0], std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(
        matches!(&error, MemoryError::PermissionDenied { path } if path == &paths[0]),
        "{error:?}"
    );
}

#[test]
fn errno_maps_to_the_variant_a_user_can_act_on() {
    let path = PathBuf::from("/data/weir-io-x/3.channel");
    let map = |error: io::Error| MemoryError::from_io(&path, "writing a spill block", error);
    let errno = io::Error::from_raw_os_error;
    for error in [
        errno(rustix::io::Errno::NOSPC.raw_os_error()),
        errno(rustix::io::Errno::DQUOT.raw_os_error()),
        io::Error::from(io::ErrorKind::StorageFull),
    ] {
        let mapped = map(error);
        assert!(
            matches!(&mapped, MemoryError::DiskFull { path: p } if p == &path),
            "{mapped:?}"
        );
        assert!(
            mapped
                .to_string()
                .starts_with("disk full while writing /data/weir-io-x/3.channel"),
            "{mapped}"
        );
    }
    for errno_value in [
        rustix::io::Errno::ACCESS,
        rustix::io::Errno::PERM,
        rustix::io::Errno::ROFS,
    ] {
        let mapped = map(errno(errno_value.raw_os_error()));
        assert!(
            matches!(&mapped, MemoryError::PermissionDenied { path: p } if p == &path),
            "{errno_value:?} → {mapped:?}"
        );
    }
    let mapped = map(errno(rustix::io::Errno::NOTDIR.raw_os_error()));
    assert!(
        matches!(mapped, MemoryError::NotADirectory { .. }),
        "{mapped:?}"
    );
    // A missing file is not a missing directory.
    let mapped = map(errno(rustix::io::Errno::NOENT.raw_os_error()));
    assert!(matches!(mapped, MemoryError::Io { .. }), "{mapped:?}");
    let mapped = MemoryError::from_dir_io(
        "/data",
        "creating the spill directory",
        errno(rustix::io::Errno::NOENT.raw_os_error()),
    );
    assert!(
        matches!(mapped, MemoryError::MissingDirectory { .. }),
        "{mapped:?}"
    );
    let mapped = map(errno(rustix::io::Errno::IO.raw_os_error()));
    let text = mapped.to_string();
    assert!(matches!(mapped, MemoryError::Io { .. }), "{mapped:?}");
    assert!(
        text.starts_with("I/O error on /data/weir-io-x/3.channel while writing a spill block"),
        "{text}"
    );
}

#[test]
fn requests_after_shutdown_fail_and_give_every_page_back() {
    let page_size = 4096;
    let memory = memory(page_size, 16);
    let owner = memory.reservation("shutdown");
    let (_dirs, paths) = temp_dirs(2);
    let io = IoManager::new(&paths).unwrap();
    let lengths = lengths(page_size, 20);
    let file = write_file(&io, &memory, &lengths, 2);

    let mut writer = io.create_block_writer(io.create_channel()).unwrap();
    for page in owner.allocate_pages(4).unwrap() {
        writer.write_block(page, page_size).unwrap();
    }
    let mut reader = io.create_block_reader(&file).unwrap();
    for page in owner.allocate_pages(4).unwrap() {
        reader.read_block(page).unwrap();
    }
    let spill_dirs = io.spill_directories();

    io.shutdown();
    assert!(io.is_shut_down());
    for dir in &spill_dirs {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }

    // Queued work was either done or failed; new work fails at once. No page is lost.
    let error = writer
        .write_block(owner.allocate_page().unwrap(), 10)
        .unwrap_err();
    assert!(matches!(error, MemoryError::IoManagerShutDown), "{error:?}");
    assert_eq!(error.to_string(), "the I/O manager has shut down");
    assert!(writer.next_returned_segment().is_err());
    let (result, pages) = writer.close();
    assert!(matches!(result, Err(MemoryError::IoManagerShutDown)));
    assert_eq!(pages.len(), 5);

    let mut blocks = 0;
    loop {
        match reader.next_block() {
            Ok(Some(filled)) => {
                blocks += 1;
                if reader.read_block(filled.into_segment()).is_err() {
                    break;
                }
            }
            Ok(None) => panic!("the file has more blocks"),
            Err(error) => {
                assert!(matches!(error, MemoryError::IoManagerShutDown), "{error:?}");
                break;
            }
        }
    }
    assert!(blocks <= 20);
    assert_eq!(reader.close().len(), 4);

    assert!(matches!(
        io.create_block_writer(io.create_channel()),
        Err(MemoryError::IoManagerShutDown)
    ));
    assert!(matches!(
        io.create_block_reader(&file),
        Err(MemoryError::IoManagerShutDown)
    ));
    io.shutdown();
    drop(pages);
    drop(file);
    assert_all_pages_back(&memory);
}

#[test]
fn dropping_the_io_manager_under_live_writers_and_readers_is_safe() {
    let page_size = 32 * 1024;
    let memory = memory(page_size, 16);
    let owner = memory.reservation("drop");
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let lengths = lengths(page_size, 10);
    let file = write_file(&io, &memory, &lengths, 2);
    let mut writer = io.create_block_writer(io.create_channel()).unwrap();
    for page in owner.allocate_pages(3).unwrap() {
        writer.write_block(page, 1000).unwrap();
    }
    let mut reader = io.create_block_reader(&file).unwrap();
    for page in owner.allocate_pages(3).unwrap() {
        reader.read_block(page).unwrap();
    }
    drop(io);
    assert!(listing(&paths[0]).is_empty());
    drop(writer);
    drop(reader);
    drop(Arc::into_inner(file));
    assert_all_pages_back(&memory);
}
