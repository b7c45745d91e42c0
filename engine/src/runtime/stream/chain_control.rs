//! [`ChainControl`]: the untyped face of a chain's head, for the task loop.
//!
//! The task loop does not know its chain's record type; every control call of a
//! [`ChainLink`] has none in its signature, so any `Box<dyn ChainLink<T>>` is a
//! `ChainControl`.

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};

/// The control calls of a chain (see [`ChainLink`] for what each does).
pub(crate) trait ChainControl {
    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError>;
    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError>;
    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError>;
    fn next_processing_time(&self) -> Option<i64>;
    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError>;
    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError>;
    fn finish(&mut self) -> Result<(), WeirError>;
}

impl<T> ChainControl for Box<dyn ChainLink<T>> {
    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        (**self).process_watermark(watermark)
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        (**self).process_watermark_status(idle)
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        (**self).on_processing_time(now_ms)
    }

    fn next_processing_time(&self) -> Option<i64> {
        (**self).next_processing_time()
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        (**self).snapshot_state(barrier, snapshot)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        (**self).notify_checkpoint_complete(checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        (**self).finish()
    }
}
