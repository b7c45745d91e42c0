//! [`SourceDriver`]: the head of a source task — a source operator and the chain it feeds —
//! behind an untyped face for the task loop.
//!
//! ```text
//!   task loop ── poll(now) ──▶ SourceOperator::poll ── records, watermarks ──▶ chain
//!             ── checkpoint trigger ──▶ source position + chain snapshot (barrier goes out last)
//!             ── end of input ──▶ final watermark, chain.finish()
//! ```

use crate::api::Data;
use crate::connectors::stream::{InputStatus, SourceOperator};
use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_control::ChainControl;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};

/// The head of a source task (see the module docs).
pub(crate) trait SourceDriver {
    /// Reads what is available now into the chain.
    fn poll(&mut self, now_ms: i64) -> Result<InputStatus, WeirError>;

    /// Snapshots the source position, then the chain (whose writers send the barrier on).
    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError>;

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError>;

    /// The input ended: the final watermark, then the end of the chain.
    fn finish(&mut self) -> Result<(), WeirError>;

    /// The chain the source feeds.
    fn chain(&mut self) -> &mut dyn ChainControl;

    /// Records emitted so far, and records skipped as bad input.
    fn records(&self) -> (u64, u64);
}

/// A typed source operator with its chain.
pub(crate) struct TypedSourceDriver<T: Data> {
    operator: SourceOperator<T>,
    head: Box<dyn ChainLink<T>>,
}

impl<T: Data> TypedSourceDriver<T> {
    pub(crate) fn new(operator: SourceOperator<T>, head: Box<dyn ChainLink<T>>) -> Self {
        TypedSourceDriver { operator, head }
    }
}

impl<T: Data> SourceDriver for TypedSourceDriver<T> {
    fn poll(&mut self, now_ms: i64) -> Result<InputStatus, WeirError> {
        self.operator.poll(&mut self.head, now_ms)
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.operator.snapshot_state(barrier, snapshot)?;
        self.head.as_mut().snapshot_state(barrier, snapshot)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.operator.notify_checkpoint_complete(checkpoint_id)?;
        self.head.as_mut().notify_checkpoint_complete(checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.operator.finish(&mut self.head)?;
        self.head.as_mut().finish()
    }

    fn chain(&mut self) -> &mut dyn ChainControl {
        &mut self.head
    }

    fn records(&self) -> (u64, u64) {
        (
            self.operator.records_emitted(),
            self.operator.skipped_records(),
        )
    }
}
