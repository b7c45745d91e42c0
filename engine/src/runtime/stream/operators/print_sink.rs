//! [`PrintSink`]: writes each record's `Display` form as a line on stdout, prefixed with the
//! subtask (`3> record`) when the sink runs in parallel — Flink's `print()`. Lines appear as
//! records arrive (at-least-once: a restarted job prints replayed records again).

use std::fmt::Display;
use std::io::Write;

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};

pub(crate) struct PrintSink {
    /// `"2> "` or empty.
    prefix: String,
    line: String,
}

impl PrintSink {
    pub(crate) fn new(subtask: usize, parallelism: usize) -> PrintSink {
        PrintSink {
            prefix: if parallelism > 1 {
                format!("{}> ", subtask + 1)
            } else {
                String::new()
            },
            line: String::new(),
        }
    }

    fn flush(&self) -> Result<(), WeirError> {
        std::io::stdout()
            .lock()
            .flush()
            .map_err(|source| WeirError::WriteStdout { source })
    }
}

impl<T: Display> ChainLink<T> for PrintSink {
    fn process_element(&mut self, value: T, _timestamp: Option<i64>) -> Result<(), WeirError> {
        use std::fmt::Write as _;
        self.line.clear();
        let _ = writeln!(self.line, "{}{}", self.prefix, value);
        std::io::stdout()
            .lock()
            .write_all(self.line.as_bytes())
            .map_err(|source| WeirError::WriteStdout { source })
    }

    fn process_watermark(&mut self, _watermark: i64) -> Result<(), WeirError> {
        Ok(())
    }

    fn process_watermark_status(&mut self, _idle: bool) -> Result<(), WeirError> {
        Ok(())
    }

    fn on_processing_time(&mut self, _now_ms: i64) -> Result<(), WeirError> {
        Ok(())
    }

    fn next_processing_time(&self) -> Option<i64> {
        None
    }

    fn snapshot_state(
        &mut self,
        _barrier: &CheckpointBarrier,
        _snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.flush()
    }

    fn notify_checkpoint_complete(&mut self, _checkpoint_id: u64) -> Result<(), WeirError> {
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.flush()
    }
}
