//! Nothing left behind: spill files go when their `SpillFile` or unfinished writer drops, spill
//! directories when the I/O manager drops, and directories of dead processes when the next I/O
//! manager starts, while directories of live processes stay.

mod io_support;

use std::path::Path;

use io_support::*;
use weir_memory::IoManager;

#[test]
fn a_spill_file_is_deleted_when_it_drops() {
    let memory = memory(4096, 4);
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let spill_dir = &io.spill_directories()[0];
    let file = write_file(&io, &memory, &lengths(4096, 10), 2);
    assert_eq!(listing(spill_dir), ["0.channel"]);
    let reader = io.create_block_reader(&file).unwrap();
    drop(file);
    // The reader still shares the file.
    assert_eq!(listing(spill_dir), ["0.channel"]);
    drop(reader);
    assert!(listing(spill_dir).is_empty());
    assert_all_pages_back(&memory);
}

#[test]
fn a_writer_dropped_without_close_waits_and_deletes_its_file() {
    for page_size in PAGE_SIZES {
        let memory = memory(page_size, 8);
        let (_dirs, paths) = temp_dirs(1);
        let io = IoManager::new(&paths).unwrap();
        let spill_dir = &io.spill_directories()[0];
        let mut writer = io.create_block_writer(io.create_channel()).unwrap();
        for page in memory.reservation("w").allocate_pages(8).unwrap() {
            writer.write_block(page, page_size).unwrap();
        }
        assert_eq!(listing(spill_dir), ["0.channel"]);
        drop(writer);
        assert!(listing(spill_dir).is_empty());
        assert_all_pages_back(&memory);
    }
}

#[test]
fn dropping_the_io_manager_removes_its_spill_directories() {
    let memory = memory(4096, 4);
    let (_dirs, paths) = temp_dirs(2);
    let io = IoManager::new(&paths).unwrap();
    let spill_dirs = io.spill_directories();
    let kept = write_file(&io, &memory, &lengths(4096, 5), 2);
    let _also_kept = write_file(&io, &memory, &lengths(4096, 5), 2);
    for (spill_dir, configured) in spill_dirs.iter().zip(&paths) {
        assert_eq!(listing(configured).len(), 1);
        assert_eq!(listing(spill_dir).len(), 1);
    }
    drop(io);
    for configured in &paths {
        assert!(listing(configured).is_empty());
    }
    // Files that outlive the manager drop quietly.
    drop(kept);
    assert_all_pages_back(&memory);
}

/// The parts of this process's spill directory name: (scope, pid, start time).
fn own_name_parts(spill_dir: &Path) -> (String, String, String) {
    let name = spill_dir.file_name().unwrap().to_str().unwrap();
    let parts: Vec<&str> = name.split('-').collect();
    assert_eq!(&parts[..2], ["weir", "io"], "{name}");
    assert_eq!(parts.len(), 6, "{name}");
    assert_eq!(parts[3], std::process::id().to_string(), "{name}");
    (
        parts[2].to_string(),
        parts[3].to_string(),
        parts[4].to_string(),
    )
}

#[test]
fn stale_directories_of_dead_processes_are_removed_at_start() {
    let (_dirs, paths) = temp_dirs(1);
    let root = &paths[0];
    let first = IoManager::new(&paths).unwrap();
    let first_dir = first.spill_directories()[0].clone();
    let (scope, pid, start) = own_name_parts(&first_dir);

    // A child that ran and was reaped: its pid is dead (or reused by a later process).
    let mut child = std::process::Command::new("sleep")
        .arg("10")
        .spawn()
        .unwrap();
    let child_pid = child.id();
    let stat = std::fs::read_to_string(format!("/proc/{child_pid}/stat")).unwrap();
    let child_start = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .nth(19)
        .unwrap()
        .to_string();
    child.kill().unwrap();
    child.wait().unwrap();

    let make = |name: &str| {
        let dir = root.join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("0.channel"), b"spilled").unwrap();
        name.to_string()
    };
    // Dead: a reaped child, a pid above the kernel's limit, this pid with another start time.
    make(&format!("weir-io-{scope}-{child_pid}-{child_start}-0"));
    make(&format!("weir-io-{scope}-4194305-77-0"));
    make(&format!("weir-io-{scope}-{pid}-1-0"));
    // Kept: a live owner (this process), another scope, a name that is not ours.
    let live = make(&format!("weir-io-{scope}-{pid}-{start}-999999"));
    let other_scope = make("weir-io-00000000-4194305-77-0");
    let not_ours = make("weir-io-something-else");

    let second = IoManager::new(&paths).unwrap();
    let second_dir = second.spill_directories()[0].clone();
    let mut expected = vec![
        first_dir.file_name().unwrap().to_str().unwrap().to_string(),
        second_dir
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string(),
        live.clone(),
        not_ours,
    ];
    if scope != "00000000" {
        expected.push(other_scope);
    }
    expected.sort();
    assert_eq!(listing(root), expected);

    drop(first);
    drop(second);
    std::fs::remove_dir_all(root.join(&live)).unwrap();
    assert_eq!(listing(root).len(), expected.len() - 3);
}
