//! [`Downstream`]: what an operator emits into — its main output link and its side outputs —
//! and the control calls an operator passes on to both after handling them itself.
//!
//! ```text
//!   operator ──records──▶ output (Box<dyn ChainLink<O>>)
//!            ──tagged───▶ side outputs (SideOutputLinks)
//!   watermark / idleness / processing time / snapshot / completion / finish ──▶ side, then output
//! ```

use crate::error::WeirError;
use crate::graph::stream_graph::{LinkBox, SideOutputs};
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};
use crate::runtime::stream::side_output::SideOutputLinks;
use crate::runtime::stream::typed_glue::unbox_link;

/// See the module docs.
pub(crate) struct Downstream<O> {
    pub(crate) output: Box<dyn ChainLink<O>>,
    pub(crate) side: SideOutputLinks,
}

impl<O> Downstream<O> {
    pub(crate) fn new(output: Box<dyn ChainLink<O>>, side: SideOutputLinks) -> Downstream<O> {
        Downstream { output, side }
    }
}

impl<O: 'static> Downstream<O> {
    /// The downstream an operator factory is given: its output (a `Box<dyn ChainLink<O>>`)
    /// and its side outputs.
    pub(crate) fn from_factory(output: LinkBox, side: SideOutputs) -> Downstream<O> {
        Downstream::new(unbox_link(output), SideOutputLinks::new(side))
    }
}

impl<O> Downstream<O> {
    pub(crate) fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.side.process_watermark(watermark)?;
        self.output.process_watermark(watermark)
    }

    pub(crate) fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.side.process_watermark_status(idle)?;
        self.output.process_watermark_status(idle)
    }

    pub(crate) fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        self.side.on_processing_time(now_ms)?;
        self.output.on_processing_time(now_ms)
    }

    /// The earliest processing-time timer downstream, with the operator's own (`own`).
    pub(crate) fn next_processing_time(&self, own: Option<i64>) -> Option<i64> {
        [
            own,
            self.side.next_processing_time(),
            self.output.next_processing_time(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub(crate) fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.side.snapshot_state(barrier, snapshot)?;
        self.output.snapshot_state(barrier, snapshot)
    }

    pub(crate) fn notify_checkpoint_complete(
        &mut self,
        checkpoint_id: u64,
    ) -> Result<(), WeirError> {
        self.side.notify_checkpoint_complete(checkpoint_id)?;
        self.output.notify_checkpoint_complete(checkpoint_id)
    }

    pub(crate) fn finish(&mut self) -> Result<(), WeirError> {
        self.side.finish()?;
        self.output.finish()
    }
}
