//! Spill round trips: blocks written through the I/O manager read back byte for byte, over page
//! sizes, full and partial payloads, one and several directories, several readers of one file,
//! and with every page back in its pool at the end.

mod io_support;

use std::sync::Arc;

use io_support::*;
use weir_memory::{BLOCK_HEADER_BYTES, IoManager};

#[test]
fn blocks_round_trip_over_page_sizes_and_pages_in_flight() {
    for page_size in PAGE_SIZES {
        let memory = memory(page_size, 8);
        let (_dirs, paths) = temp_dirs(1);
        let io = IoManager::new(&paths).unwrap();
        let blocks = if page_size == 1 << 20 { 12 } else { 60 };
        let lengths = lengths(page_size, blocks);
        for pages in [1, 2, 4] {
            let file = write_file(&io, &memory, &lengths, pages);
            let expected_bytes: u64 = lengths.iter().map(|&len| len as u64).sum();
            assert_eq!(file.payload_bytes(), expected_bytes);
            assert_eq!(
                std::fs::metadata(file.path()).unwrap().len(),
                expected_bytes + (blocks * BLOCK_HEADER_BYTES) as u64
            );
            assert_eq!(file.file_bytes(), expected_bytes + (blocks * 16) as u64);
            read_and_check(&io, &memory, &file, &lengths, pages);
            assert_all_pages_back(&memory);
        }
    }
}

#[test]
fn channels_go_round_robin_over_several_directories() {
    let page_size = 32 * 1024;
    let memory = memory(page_size, 8);
    let (_dirs, paths) = temp_dirs(3);
    let io = IoManager::new(&paths).unwrap();
    let spill_dirs = io.spill_directories();
    assert_eq!(spill_dirs.len(), 3);
    for (spill_dir, configured) in spill_dirs.iter().zip(&paths) {
        assert_eq!(spill_dir.parent().unwrap(), configured);
    }
    let lengths = lengths(page_size, 20);
    let files: Vec<_> = (0..7)
        .map(|_| write_file(&io, &memory, &lengths, 3))
        .collect();
    for (n, file) in files.iter().enumerate() {
        assert_eq!(file.path().parent().unwrap(), spill_dirs[n % 3]);
        assert_eq!(
            file.path().file_name().unwrap(),
            format!("{n}.channel").as_str()
        );
    }
    for file in &files {
        read_and_check(&io, &memory, file, &lengths, 3);
    }
    assert_eq!(
        listing(&spill_dirs[0]),
        ["0.channel", "3.channel", "6.channel"]
    );
    drop(files);
    for spill_dir in &spill_dirs {
        assert!(listing(spill_dir).is_empty());
    }
    assert_all_pages_back(&memory);
}

#[test]
fn writers_and_readers_on_many_threads_share_the_io_threads() {
    let page_size = 4096;
    let memory = memory(page_size, 64);
    let (_dirs, paths) = temp_dirs(2);
    let io = Arc::new(IoManager::new(&paths).unwrap());
    std::thread::scope(|scope| {
        for t in 0..6 {
            let (io, memory) = (Arc::clone(&io), memory.clone());
            scope.spawn(move || {
                let lengths = lengths(page_size, 100 + t * 17);
                let file = write_file(&io, &memory, &lengths, 4);
                read_and_check(&io, &memory, &file, &lengths, 4);
                read_and_check(&io, &memory, &file, &lengths, 2);
            });
        }
    });
    assert_all_pages_back(&memory);
}

#[test]
fn one_file_is_read_by_several_readers_at_once() {
    let page_size = 32 * 1024;
    let memory = memory(page_size, 16);
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let lengths = lengths(page_size, 30);
    let file = write_file(&io, &memory, &lengths, 4);
    let owner = memory.reservation("readers");
    let mut readers: Vec<_> = (0..3)
        .map(|_| {
            let mut reader = io.create_block_reader(&file).unwrap();
            for page in owner.allocate_pages(2).unwrap() {
                reader.read_block(page).unwrap();
            }
            reader
        })
        .collect();
    // Interleave the readers block by block.
    for (block, &length) in lengths.iter().enumerate() {
        for reader in &mut readers {
            let filled = reader.next_block().unwrap().unwrap();
            check(filled.payload(), block as u64, length);
            reader.read_block(filled.into_segment()).unwrap();
        }
    }
    for mut reader in readers {
        assert!(reader.next_block().unwrap().is_none());
        assert_eq!(reader.blocks_delivered(), 30);
        assert_eq!(reader.close().len(), 2);
    }
    // The readers are gone; the file lives while the SpillFile does.
    assert!(file.path().exists());
    read_and_check(&io, &memory, &file, &lengths, 1);
    assert_all_pages_back(&memory);
}

#[test]
fn an_empty_file_reads_as_no_blocks() {
    let memory = memory(4096, 2);
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let file = write_file(&io, &memory, &[], 2);
    assert_eq!((file.block_count(), file.file_bytes()), (0, 0));
    let mut reader = io.create_block_reader(&file).unwrap();
    assert!(reader.next_block().unwrap().is_none());
    reader
        .read_block(memory.reservation("r").allocate_page().unwrap())
        .unwrap();
    assert!(reader.next_block().unwrap().is_none());
    assert_eq!(reader.pages_held(), 1);
    assert_eq!(reader.close().len(), 1);
    assert_all_pages_back(&memory);
}

#[test]
fn synchronous_write_and_read_use_one_page() {
    let page_size = 4096;
    let memory = memory(page_size, 1);
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let mut page = memory.reservation("sync").allocate_page().unwrap();
    let mut writer = io.create_block_writer(io.create_channel()).unwrap();
    for block in 0..10 {
        fill(&mut page, block, 100 + block as usize);
        page = writer
            .write_block_and_wait(page, 100 + block as usize)
            .unwrap();
        assert!(writer.try_returned_segment().unwrap().is_none());
    }
    let (file, pages) = writer.close();
    assert!(pages.is_empty());
    let file = Arc::new(file.unwrap());
    let mut reader = io.create_block_reader(&file).unwrap();
    for block in 0..10 {
        reader.read_block(page).unwrap();
        let filled = reader.next_block().unwrap().unwrap();
        check(filled.payload(), block, 100 + block as usize);
        page = filled.into_segment();
    }
    reader.read_block(page).unwrap();
    assert!(reader.next_block().unwrap().is_none());
    let pages = reader.close();
    assert_eq!(pages.len(), 1);
    drop(pages);
    assert_all_pages_back(&memory);
}

#[test]
fn try_returned_segment_hands_back_written_pages_without_waiting() {
    let memory = memory(4096, 4);
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let mut writer = io.create_block_writer(io.create_channel()).unwrap();
    assert!(writer.try_returned_segment().unwrap().is_none());
    for page in memory.reservation("w").allocate_pages(4).unwrap() {
        writer.write_block(page, 4096).unwrap();
    }
    assert_eq!(writer.pages_held(), 4);
    let mut back = Vec::new();
    while back.len() < 4 {
        match writer.try_returned_segment().unwrap() {
            Some(page) => back.push(page),
            None => std::thread::yield_now(),
        }
    }
    assert_eq!(writer.pages_held(), 0);
    let (file, pages) = writer.close();
    assert!(pages.is_empty());
    assert_eq!(file.unwrap().block_count(), 4);
    drop(back);
    assert_all_pages_back(&memory);
}
