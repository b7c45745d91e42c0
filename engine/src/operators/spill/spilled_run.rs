//! [`SpilledRun`]: a finished spill file of serialized records.

use std::sync::Arc;

use weir_memory::SpillFile;

/// A spill file holding `records` serialized records. Cloning shares the file; it is deleted
/// when the last clone drops.
#[derive(Debug, Clone)]
pub struct SpilledRun {
    file: Arc<SpillFile>,
    records: u64,
}

impl SpilledRun {
    pub(crate) fn new(file: SpillFile, records: u64) -> SpilledRun {
        SpilledRun {
            file: Arc::new(file),
            records,
        }
    }

    pub fn file(&self) -> &Arc<SpillFile> {
        &self.file
    }

    /// Records in the run.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Serialized bytes of the records (block headers not included).
    pub fn bytes(&self) -> u64 {
        self.file.payload_bytes()
    }

    /// Blocks in the file: the pages a reader needs to read it all, one after another.
    pub fn blocks(&self) -> u64 {
        self.file.block_count()
    }
}
