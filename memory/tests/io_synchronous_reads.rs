//! `SynchronousBlockReader`: single blocks read at their offsets, in any order, on the calling
//! thread; wrong offsets, blocks past the end, flipped bytes and short files are `CorruptBlock`s
//! naming the file, the block and the offset; the file lives until the reader drops.

mod io_support;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;

use io_support::*;
use weir_memory::{BLOCK_HEADER_BYTES, IoManager, MemoryError};

const BLOCKS: usize = 12;

fn offset_of(lengths: &[usize], block: usize) -> u64 {
    lengths[..block]
        .iter()
        .map(|&len| (BLOCK_HEADER_BYTES + len) as u64)
        .sum()
}

fn assert_corrupt(error: MemoryError, block: u64, offset: u64, reason: &str) {
    match &error {
        MemoryError::CorruptBlock {
            block: b,
            offset: o,
            reason: r,
            ..
        } => {
            assert_eq!((*b, *o), (block, offset), "{error}");
            assert!(r.contains(reason), "{error}");
        }
        other => panic!("expected a corrupt block, got {other:?}"),
    }
}

#[test]
fn blocks_read_in_any_order_and_bad_positions_or_bytes_are_corrupt_blocks() {
    for page_size in PAGE_SIZES {
        let memory = memory(page_size, 4);
        let (_dirs, paths) = temp_dirs(1);
        let io = IoManager::new(&paths).unwrap();
        let lengths = lengths(page_size, BLOCKS);
        let file = write_file(&io, &memory, &lengths, 2);
        let reader = io.create_synchronous_block_reader(&file).unwrap();
        assert_eq!(reader.block_count(), BLOCKS as u64);
        let owner = memory.reservation("reader");
        let mut page = owner.allocate_page().unwrap();
        // Backwards, then every third block, then forwards: no state between reads.
        let order = (0..BLOCKS)
            .rev()
            .chain((0..BLOCKS).step_by(3))
            .chain(0..BLOCKS);
        for (read, block) in order.enumerate() {
            // Hints: exact, short (a second read), none, and the page.
            let hint = match read % 4 {
                0 => lengths[block],
                1 => lengths[block] / 2,
                2 => 0,
                _ => page_size,
            };
            let payload_len = reader
                .read_block_at(block as u64, offset_of(&lengths, block), hint, &mut page)
                .unwrap();
            check(
                &page.as_slice()[..payload_len],
                block as u64,
                lengths[block],
            );
        }
        // A wrong offset (inside a payload, or another block's header) and a block past the
        // end.
        let error = reader
            .read_block_at(3, offset_of(&lengths, 3) + 1, page_size, &mut page)
            .unwrap_err();
        assert_corrupt(error, 3, offset_of(&lengths, 3) + 1, "bad magic");
        let error = reader
            .read_block_at(4, offset_of(&lengths, 5), page_size, &mut page)
            .unwrap_err();
        assert_corrupt(error, 4, offset_of(&lengths, 5), "sequence number");
        let error = reader
            .read_block_at(BLOCKS as u64, offset_of(&lengths, BLOCKS - 1), 0, &mut page)
            .unwrap_err();
        assert_corrupt(
            error,
            BLOCKS as u64,
            offset_of(&lengths, BLOCKS - 1),
            "the file holds 12 blocks",
        );

        // A flipped payload byte fails the checksum; the other blocks still read.
        let handle = OpenOptions::new()
            .read(true)
            .write(true)
            .open(file.path())
            .unwrap();
        let at = offset_of(&lengths, 5) + BLOCK_HEADER_BYTES as u64 + lengths[5] as u64 / 2;
        let mut byte = [0u8];
        handle.read_exact_at(&mut byte, at).unwrap();
        handle.write_all_at(&[byte[0] ^ 0x5a], at).unwrap();
        let error = reader
            .read_block_at(5, offset_of(&lengths, 5), 16, &mut page)
            .unwrap_err();
        assert_corrupt(error, 5, offset_of(&lengths, 5), "checksum mismatch");
        reader
            .read_block_at(6, offset_of(&lengths, 6), page_size, &mut page)
            .unwrap();

        // A file cut inside the last block's payload, and before a header.
        let last = BLOCKS - 1;
        handle
            .set_len(offset_of(&lengths, last) + BLOCK_HEADER_BYTES as u64 + 1)
            .unwrap();
        for hint in [0, 1, page_size] {
            let error = reader
                .read_block_at(last as u64, offset_of(&lengths, last), hint, &mut page)
                .unwrap_err();
            assert_corrupt(
                error,
                last as u64,
                offset_of(&lengths, last),
                "ends inside the block payload (1 of",
            );
        }
        handle.set_len(offset_of(&lengths, last) + 5).unwrap();
        let error = reader
            .read_block_at(last as u64, offset_of(&lengths, last), page_size, &mut page)
            .unwrap_err();
        assert_corrupt(
            error,
            last as u64,
            offset_of(&lengths, last),
            "ends inside the block header (5 of 16 bytes)",
        );

        // The reader keeps the file: it is deleted when the reader drops too.
        let path = file.path().to_path_buf();
        drop(file);
        assert!(path.exists());
        drop(reader);
        assert!(!path.exists());
        drop(page);
        assert_all_pages_back(&memory);
    }
}

#[test]
fn a_shut_down_manager_opens_no_reader() {
    let memory = memory(4096, 2);
    let (_dirs, paths) = temp_dirs(1);
    let io = IoManager::new(&paths).unwrap();
    let file = write_file(&io, &memory, &[4096, 10], 1);
    io.shutdown();
    assert!(matches!(
        io.create_synchronous_block_reader(&file).unwrap_err(),
        MemoryError::IoManagerShutDown
    ));
}
