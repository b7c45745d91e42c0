//! Helpers shared by the `io_*` integration tests: memory managers per page size, a block
//! pattern that tells blocks apart, and write/read loops that keep several pages in flight.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use weir_memory::{
    BlockChannelWriter, ByteSize, IoManager, MemoryError, MemoryManager, MemorySegment, PageSize,
    SpillFile,
};

/// The page sizes every suite runs over.
pub const PAGE_SIZES: [usize; 3] = [4 * 1024, 32 * 1024, 1024 * 1024];

/// A manager with `pages` pages of `page_size` bytes.
pub fn memory(page_size: usize, pages: usize) -> MemoryManager {
    let page_size = PageSize::new(page_size).unwrap();
    MemoryManager::new(ByteSize::new((page_size.bytes() * pages) as u64), page_size).unwrap()
}

/// Asserts that every page is back in `memory`.
pub fn assert_all_pages_back(memory: &MemoryManager) {
    assert_eq!(
        memory.free_pages(),
        memory.total_pages(),
        "pages still out: {:?}",
        memory.holders()
    );
}

/// Payload lengths for a page size: full pages, partial ones, an empty and a one-byte block.
pub fn lengths(page_size: usize, blocks: usize) -> Vec<usize> {
    (0..blocks)
        .map(|block| match block % 5 {
            0 | 3 => page_size,
            1 => page_size / 3 + 7,
            2 => {
                if block % 10 == 2 {
                    0
                } else {
                    1
                }
            }
            _ => page_size - 16,
        })
        .collect()
}

/// Fills the first `len` bytes of `segment` with a pattern of block `block`.
pub fn fill(segment: &mut MemorySegment, block: u64, len: usize) {
    segment.fill(0, len, (block as u8).wrapping_mul(31).wrapping_add(1));
    if len >= 16 {
        segment.put_u64_le(0, block);
        segment.put_u64_le(len - 8, !block);
    }
}

/// Checks a payload against the pattern of block `block`.
pub fn check(payload: &[u8], block: u64, len: usize) {
    assert_eq!(payload.len(), len, "length of block {block}");
    let mut expected = vec![(block as u8).wrapping_mul(31).wrapping_add(1); len];
    if len >= 16 {
        expected[..8].copy_from_slice(&block.to_le_bytes());
        expected[len - 8..].copy_from_slice(&(!block).to_le_bytes());
    }
    assert!(
        payload == expected.as_slice(),
        "payload of block {block} differs"
    );
}

/// Writes blocks of `lengths` through a new channel with `pages` pages (write-behind: the next
/// page is the one that comes back first); returns the file.
pub fn write_file(
    io: &IoManager,
    memory: &MemoryManager,
    lengths: &[usize],
    pages: usize,
) -> Arc<SpillFile> {
    let owner = memory.reservation("writer");
    let mut free = owner.allocate_pages(pages).unwrap();
    let mut writer = io.create_block_writer(io.create_channel()).unwrap();
    for (block, &len) in lengths.iter().enumerate() {
        let mut page = match free.pop() {
            Some(page) => page,
            None => writer.next_returned_segment().unwrap(),
        };
        fill(&mut page, block as u64, len);
        writer.write_block(page, len).unwrap();
    }
    let (file, back) = writer.close();
    assert_eq!(back.len() + free.len(), pages);
    let file = file.unwrap();
    assert_eq!(file.block_count(), lengths.len() as u64);
    Arc::new(file)
}

/// Reads `file` with `pages` pages of read-ahead and checks every block.
pub fn read_and_check(
    io: &IoManager,
    memory: &MemoryManager,
    file: &Arc<SpillFile>,
    lengths: &[usize],
    pages: usize,
) {
    let owner = memory.reservation("reader");
    let mut reader = io.create_block_reader(file).unwrap();
    for page in owner.allocate_pages(pages).unwrap() {
        reader.read_block(page).unwrap();
    }
    let mut block = 0;
    while let Some(filled) = reader.next_block().unwrap() {
        check(filled.payload(), block, lengths[block as usize]);
        block += 1;
        reader.read_block(filled.into_segment()).unwrap();
    }
    assert_eq!(block, lengths.len() as u64);
    assert!(reader.next_block().unwrap().is_none());
    assert_eq!(reader.close().len(), pages);
}

/// Writes one block per page of `pages` and closes, for tests that only need a file.
pub fn write_blocks(
    writer: BlockChannelWriter,
    pages: Vec<MemorySegment>,
    len: usize,
) -> (Result<SpillFile, MemoryError>, Vec<MemorySegment>) {
    let mut writer = writer;
    for (block, mut page) in pages.into_iter().enumerate() {
        fill(&mut page, block as u64, len);
        writer.write_block(page, len).unwrap();
    }
    writer.close()
}

/// The names in `dir`, sorted; empty for a directory that does not exist.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// `n` fresh temporary directories and their paths.
pub fn temp_dirs(n: usize) -> (Vec<tempfile::TempDir>, Vec<PathBuf>) {
    let dirs: Vec<tempfile::TempDir> = (0..n).map(|_| tempfile::tempdir().unwrap()).collect();
    let paths = dirs.iter().map(|dir| dir.path().to_path_buf()).collect();
    (dirs, paths)
}
