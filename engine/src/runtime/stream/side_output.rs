//! [`SideOutput`]: one side output of an operator subtask — the links that read it — with a
//! typed face for emitting (downcast through the [`OutputTag`]'s type) and an untyped one for
//! the control calls every operator passes on (watermarks, snapshots, end of input).
//!
//! [`SideOutputLinks`] holds an operator's side outputs by tag id. Tags nobody reads have no
//! entry: records emitted to them are dropped (as in Flink).
//!
//! [`OutputTag`]: crate::api::stream::OutputTag

use std::any::Any;

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_control::ChainControl;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};

/// See the module docs.
pub(crate) trait SideOutput {
    /// The typed link, as `&mut TypedSideOutput<X>` behind `dyn Any`.
    fn as_any_mut(&mut self) -> &mut dyn Any;

    fn control(&mut self) -> &mut dyn ChainControl;

    fn next_processing_time(&self) -> Option<i64>;

    /// The output itself, to take its typed link (`Box<TypedSideOutput<X>>` behind `Any`).
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// The side output of records of type `X`.
pub(crate) struct TypedSideOutput<X> {
    pub(crate) link: Box<dyn ChainLink<X>>,
}

impl<X: 'static> SideOutput for TypedSideOutput<X> {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn control(&mut self) -> &mut dyn ChainControl {
        &mut self.link
    }

    fn next_processing_time(&self) -> Option<i64> {
        self.link.as_ref().next_processing_time()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// The side outputs of one operator subtask: tag id ──▶ output.
#[derive(Default)]
pub(crate) struct SideOutputLinks {
    outputs: Vec<(String, Box<dyn SideOutput>)>,
}

impl SideOutputLinks {
    pub(crate) fn new(outputs: Vec<(String, Box<dyn SideOutput>)>) -> SideOutputLinks {
        SideOutputLinks { outputs }
    }

    /// Emits `value` with `timestamp` to the side output `tag_id` (records of type `X`).
    pub(crate) fn emit<X: 'static>(
        &mut self,
        tag_id: &str,
        value: X,
        timestamp: Option<i64>,
    ) -> Result<(), WeirError> {
        let Some((_, output)) = self.outputs.iter_mut().find(|(id, _)| id == tag_id) else {
            return Ok(());
        };
        // Two tags with one id and different record types are a program mistake.
        let typed = output
            .as_any_mut()
            .downcast_mut::<TypedSideOutput<X>>()
            .ok_or_else(|| WeirError::InvalidProgram {
                problems: vec![format!(
                    "side output {tag_id} is emitted with {} records but read with another type; \
                     give each OutputTag its own id",
                    std::any::type_name::<X>()
                )],
            })?;
        typed.link.process_element(value, timestamp)
    }

    fn each(
        &mut self,
        mut call: impl FnMut(&mut dyn ChainControl) -> Result<(), WeirError>,
    ) -> Result<(), WeirError> {
        self.outputs
            .iter_mut()
            .try_for_each(|(_, output)| call(output.control()))
    }

    pub(crate) fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.each(|control| control.process_watermark(watermark))
    }

    pub(crate) fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.each(|control| control.process_watermark_status(idle))
    }

    pub(crate) fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        self.each(|control| control.on_processing_time(now_ms))
    }

    pub(crate) fn next_processing_time(&self) -> Option<i64> {
        self.outputs
            .iter()
            .filter_map(|(_, output)| output.next_processing_time())
            .min()
    }

    pub(crate) fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.each(|control| control.snapshot_state(barrier, snapshot))
    }

    pub(crate) fn notify_checkpoint_complete(
        &mut self,
        checkpoint_id: u64,
    ) -> Result<(), WeirError> {
        self.each(|control| control.notify_checkpoint_complete(checkpoint_id))
    }

    pub(crate) fn finish(&mut self) -> Result<(), WeirError> {
        self.each(|control| control.finish())
    }
}
