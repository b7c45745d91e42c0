//! Corrupt and truncated spill files: a flipped byte in a payload or in any header field, a
//! file cut short anywhere, and a block longer than the reader's pages each give a
//! `CorruptBlock` naming the file, the block and its byte offset; the blocks before it read fine
//! and every page comes back.

mod io_support;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use io_support::*;
use weir_memory::{BLOCK_HEADER_BYTES, IoManager, MemoryError, MemoryManager, SpillFile};

const BLOCKS: usize = 10;

/// Byte offset of block `block`'s header.
fn offset_of(lengths: &[usize], block: usize) -> u64 {
    lengths[..block]
        .iter()
        .map(|&len| (BLOCK_HEADER_BYTES + len) as u64)
        .sum()
}

fn flip_byte(file: &SpillFile, at: u64) {
    let handle = OpenOptions::new()
        .read(true)
        .write(true)
        .open(file.path())
        .unwrap();
    let mut byte = [0u8];
    handle.read_exact_at(&mut byte, at).unwrap();
    handle.write_all_at(&[byte[0] ^ 0x5a], at).unwrap();
}

fn truncate(file: &SpillFile, len: u64) {
    OpenOptions::new()
        .write(true)
        .open(file.path())
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// Reads `file` with 3 pages of read-ahead, checking the blocks before `bad_block`, and returns
/// the error at `bad_block`. Checks that the error sticks and that every page comes back.
fn read_until_error(
    io: &IoManager,
    memory: &MemoryManager,
    file: &Arc<SpillFile>,
    lengths: &[usize],
    bad_block: usize,
) -> MemoryError {
    let owner = memory.reservation("reader");
    let mut reader = io.create_block_reader(file).unwrap();
    for page in owner.allocate_pages(3).unwrap() {
        reader.read_block(page).unwrap();
    }
    for (block, &length) in lengths.iter().enumerate().take(bad_block) {
        let filled = reader.next_block().unwrap().unwrap();
        check(filled.payload(), block as u64, length);
        // After the error was seen by the I/O thread, read_block may already report it.
        if reader.read_block(filled.into_segment()).is_err() {
            assert!(block + 3 > bad_block, "block {block} failed too early");
        }
    }
    let error = reader.next_block().unwrap_err();
    // The error sticks, and pages given later stay with the reader.
    assert_eq!(
        reader.next_block().unwrap_err().to_string(),
        error.to_string()
    );
    assert!(reader.read_block(owner.allocate_page().unwrap()).is_err());
    assert_eq!(reader.close().len(), 4);
    error
}

fn assert_corrupt(error: &MemoryError, file: &SpillFile, block: usize, offset: u64, reason: &str) {
    match error {
        MemoryError::CorruptBlock {
            path,
            block: b,
            offset: o,
            reason: r,
        } => {
            assert_eq!(path, file.path());
            assert_eq!((*b, *o), (block as u64, offset), "{error}");
            assert!(r.contains(reason), "{error}");
        }
        other => panic!("expected a corrupt block, got {other:?}"),
    }
    let text = error.to_string();
    assert!(text.contains(&file.path().display().to_string()), "{text}");
    assert!(
        text.contains(&format!("corrupt block {block} "))
            && text.contains(&format!("byte {offset}")),
        "{text}"
    );
}

/// Writes a file of `BLOCKS` blocks, lets `damage` hurt it and checks the error at `bad_block`.
fn check_damage(
    page_size: usize,
    bad_block: usize,
    damage: impl Fn(&SpillFile, &[usize]),
    reason: &str,
) {
    let memory = memory(page_size, 8);
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let lengths = lengths(page_size, BLOCKS);
    let file = write_file(&io, &memory, &lengths, 3);
    damage(&file, &lengths);
    let error = read_until_error(&io, &memory, &file, &lengths, bad_block);
    assert_corrupt(
        &error,
        &file,
        bad_block,
        offset_of(&lengths, bad_block),
        reason,
    );
    drop(file);
    assert_all_pages_back(&memory);
}

#[test]
fn a_flipped_payload_byte_fails_the_checksum_of_its_block() {
    for page_size in PAGE_SIZES {
        for bad_block in [0, 3, BLOCKS - 1] {
            check_damage(
                page_size,
                bad_block,
                |file, lengths| {
                    let at = offset_of(lengths, bad_block) + 16 + lengths[bad_block] as u64 / 2;
                    flip_byte(file, at)
                },
                "checksum mismatch",
            );
        }
    }
}

#[test]
fn every_header_field_is_checked() {
    // (byte in the header, reason). Block 5 is a full page, so a changed length either exceeds
    // the page or (after the flip made it smaller) fails the checksum.
    let cases = [
        (0, "bad magic"),
        (3, "bad magic"),
        (8, "checksum mismatch"),
        (11, "checksum mismatch"),
        (12, "sequence number"),
        (15, "sequence number"),
    ];
    for page_size in PAGE_SIZES {
        for (byte, reason) in cases {
            check_damage(
                page_size,
                5,
                |file, lengths| flip_byte(file, offset_of(lengths, 5) + byte),
                reason,
            );
        }
        // Length field: 0x5a in the low byte of a power of two makes it a bit larger than the
        // page; in the high byte, much larger.
        for byte in [4, 7] {
            check_damage(
                page_size,
                5,
                |file, lengths| flip_byte(file, offset_of(lengths, 5) + byte),
                "exceeds the page size",
            );
        }
        // A partial block (block 1) whose length grows but still fits the page.
        check_damage(
            page_size,
            1,
            |file, lengths| flip_byte(file, offset_of(lengths, 1) + 4),
            "checksum mismatch",
        );
    }
}

#[test]
fn a_truncated_file_names_the_block_where_it_ends() {
    for page_size in PAGE_SIZES {
        // Inside a payload, inside a header, exactly between two blocks, and an empty file.
        check_damage(
            page_size,
            8,
            |file, lengths| truncate(file, offset_of(lengths, 8) + 16 + 1),
            "ends inside the block payload (1 of",
        );
        check_damage(
            page_size,
            7,
            |file, lengths| truncate(file, offset_of(lengths, 7) + 5),
            "ends inside the block header (5 of 16 bytes)",
        );
        check_damage(
            page_size,
            4,
            |file, lengths| truncate(file, offset_of(lengths, 4)),
            "ends before this block",
        );
        check_damage(
            page_size,
            0,
            |file, _| truncate(file, 0),
            "ends before this block",
        );
        check_damage(
            page_size,
            BLOCKS - 1,
            |file, lengths| truncate(file, offset_of(lengths, BLOCKS) - 1),
            "ends inside the block payload",
        );
    }
}

#[test]
fn a_block_longer_than_the_readers_pages_is_corrupt() {
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let large = memory(32 * 1024, 4);
    let small = memory(4096, 4);
    let lengths = [100, 32 * 1024];
    let file = write_file(&io, &large, &lengths, 2);
    let error = read_until_error(&io, &small, &file, &lengths, 1);
    assert_corrupt(
        &error,
        &file,
        1,
        offset_of(&lengths, 1),
        "payload length 32768 exceeds the page size 4096",
    );
    drop(file);
    assert_all_pages_back(&large);
    assert_all_pages_back(&small);
}

#[test]
fn a_corrupt_file_can_be_read_again_up_to_the_damage() {
    let page_size = 4096;
    let memory = memory(page_size, 8);
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let lengths = lengths(page_size, BLOCKS);
    let file = write_file(&io, &memory, &lengths, 3);
    flip_byte(&file, offset_of(&lengths, 6) + 20);
    for _ in 0..2 {
        let error = read_until_error(&io, &memory, &file, &lengths, 6);
        assert_corrupt(&error, &file, 6, offset_of(&lengths, 6), "checksum");
    }
    drop(file);
    assert_all_pages_back(&memory);
}
