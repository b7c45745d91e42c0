//! Spill I/O through the [`IoManager`]: 64 MiB written as 64 blocks of 1 MiB pages, and read back,
//! with 4 pages in flight.
//!
//! ```text
//!  spill/write   4 pages ──write_block──▶ I/O thread ──writev──▶ <dir>/weir-io-…/n.channel
//!                   ▲                          │                  (page cache, no sync)
//!                   └──next_returned_segment◀──┘
//!  spill/read    4 pages ──read_block───▶ I/O thread ──preadv──▶ the same file, prepared once
//!                   ▲                          │                  (page cache, warm)
//!                   └──────next_block◀─────────┘
//! ```
//!
//! The memory manager holds exactly the 4 pages in flight; they are filled with random bytes once
//! and only stamped with the block number per block (every 4 KiB), so the figures are the I/O
//! manager's: queueing, CRC32C of every block, one `writev`/`preadv` per block, handing pages
//! back. A `spill/write` iteration ends when `close` has returned the finished file; deleting it
//! is not timed. `spill/read` checks the stamps of every block it reads (the reader checks every
//! CRC), so it cannot measure an empty read.
//!
//! Everything here runs against the **warm page cache**: writes are not synced and the file that
//! `spill/read` reads stays cached. Disk throughput — writes with `fdatasync` and reads after the
//! file was dropped from the page cache — is what `scripts/spill-vs-dd.sh` measures, beside `dd`.
//!
//! The spill directory is `$WEIR_SPILL_DIR`, else the system temporary directory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weir_benches::test_data::{STAMP_STRIDE, fill_random, stamp};
use weir_memory::{ByteSize, IoManager, MemoryManager, MemorySegment, PageSize, SpillFile};

const PAGE_BYTES: usize = 1024 * 1024;
const IN_FLIGHT: usize = 4;
const BLOCKS: u64 = 64;
fn spill_dir() -> PathBuf {
    std::env::var_os("WEIR_SPILL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

fn check(payload: &[u8], block: u64) {
    assert_eq!(payload.len(), PAGE_BYTES, "length of block {block}");
    for offset in [0, PAGE_BYTES / 2, PAGE_BYTES - STAMP_STRIDE] {
        let stamped = u64::from_le_bytes(payload[offset..offset + 8].try_into().unwrap());
        assert_eq!(stamped, block, "stamp at byte {offset} of block {block}");
    }
}

/// Writes `BLOCKS` blocks from `pages` (write-behind: the next page is the first one back) and
/// puts every page back into `pages`.
fn write_file(io: &IoManager, pages: &mut Vec<MemorySegment>) -> SpillFile {
    let mut writer = io.create_block_writer(io.create_channel()).unwrap();
    for block in 0..BLOCKS {
        let mut page = match pages.pop() {
            Some(page) => page,
            None => writer.next_returned_segment().unwrap(),
        };
        stamp(&mut page, block);
        writer.write_block(page, PAGE_BYTES).unwrap();
    }
    let (file, back) = writer.close();
    pages.extend(back);
    file.unwrap()
}

/// Reads `file` with every page of `pages` as a read request in flight, checks each block and
/// puts every page back into `pages`.
fn read_file(io: &IoManager, file: &Arc<SpillFile>, pages: &mut Vec<MemorySegment>) {
    let mut reader = io.create_block_reader(file).unwrap();
    for page in pages.drain(..) {
        reader.read_block(page).unwrap();
    }
    let mut block = 0;
    while let Some(filled) = reader.next_block().unwrap() {
        check(filled.payload(), block);
        block += 1;
        reader.read_block(filled.into_segment()).unwrap();
    }
    assert_eq!(block, BLOCKS, "blocks read back");
    pages.extend(reader.close());
}

fn spill(c: &mut Criterion) {
    let page_size = PageSize::new(PAGE_BYTES).unwrap();
    let memory =
        MemoryManager::new(ByteSize::new((PAGE_BYTES * IN_FLIGHT) as u64), page_size).unwrap();
    let owner = memory.reservation("bench-spill");
    let mut pages = owner.allocate_pages(IN_FLIGHT).unwrap();
    for (seed, page) in pages.iter_mut().enumerate() {
        fill_random(page, 0x9E37_79B9_7F4A_7C15 ^ seed as u64);
    }
    let io = IoManager::new(&[spill_dir()]).unwrap();

    let mut group = c.benchmark_group("spill");
    group.throughput(Throughput::Bytes(BLOCKS * PAGE_BYTES as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));

    group.bench_function("write", |bench| {
        bench.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            for _ in 0..iterations {
                let start = Instant::now();
                let file = write_file(&io, &mut pages);
                timed += start.elapsed();
                drop(file);
            }
            timed
        })
    });

    let file = Arc::new(write_file(&io, &mut pages));
    group.bench_function("read", |bench| {
        bench.iter(|| read_file(&io, &file, &mut pages))
    });
    group.finish();

    drop(file);
    assert_eq!(pages.len(), IN_FLIGHT, "every page came back");
}

criterion_group!(benches, spill);
criterion_main!(benches);
