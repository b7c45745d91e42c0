//! [`TwoInputLink`]: the input of a two-input operator (connect, the broadcast state pattern,
//! interval join), and [`TwoInputHead`], which puts one at the head of a task.
//!
//! ```text
//!   producers of input 1 ─ [0x00][A …] ─┐
//!                                        ├─▶ one input gate ─▶ InputProcessor<TaggedUnion<A, B>>
//!   producers of input 2 ─ [0x01][B …] ─┘        (one watermark valve, one barrier alignment
//!                                                  over the channels of both inputs)
//!                                                      │
//!                                  TwoInputHead ◀──────┘  One(a) ─▶ process_element1(a)
//!                                                          Two(b) ─▶ process_element2(b)
//! ```
//!
//! A two-input operator always heads its task. Its channels of both inputs share one gate, so
//! barrier alignment covers both inputs (Flink's two-input checkpoint barrier handler) and the
//! watermark it sees is the minimum over the active channels of both inputs — the same as
//! Flink's minimum of the two inputs' watermarks, where an idle input does not hold the other
//! back. Every control call (watermark, timers, snapshot, end of input) has the meaning it has
//! on [`ChainLink`].

use std::marker::PhantomData;

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};
use crate::types::TaggedUnion;

/// The input of a two-input operator. See the module docs.
pub trait TwoInputLink<A, B> {
    /// One record of the first input.
    fn process_element1(&mut self, value: A, timestamp: Option<i64>) -> Result<(), WeirError>;

    /// One record of the second input.
    fn process_element2(&mut self, value: B, timestamp: Option<i64>) -> Result<(), WeirError>;

    /// The combined watermark of both inputs advanced to `watermark`.
    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError>;

    /// Both inputs became idle (`true`) or one became active again (`false`).
    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError>;

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError>;

    fn next_processing_time(&self) -> Option<i64>;

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError>;

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError>;

    /// Both inputs ended (after the final watermark).
    fn finish(&mut self) -> Result<(), WeirError>;
}

/// A [`TwoInputLink`] as the [`ChainLink`] of the task's tagged input (generic over the
/// operator, so a record costs one dynamic call, the task's into its head). See the module
/// docs.
pub struct TwoInputHead<A, B, L> {
    link: L,
    _inputs: PhantomData<fn(A, B)>,
}

impl<A, B, L> std::fmt::Debug for TwoInputHead<A, B, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoInputHead").finish_non_exhaustive()
    }
}

impl<A, B, L: TwoInputLink<A, B>> TwoInputHead<A, B, L> {
    pub fn new(link: L) -> TwoInputHead<A, B, L> {
        TwoInputHead {
            link,
            _inputs: PhantomData,
        }
    }
}

impl<A, B, L: TwoInputLink<A, B>> ChainLink<TaggedUnion<A, B>> for TwoInputHead<A, B, L> {
    #[inline]
    fn process_element(
        &mut self,
        value: TaggedUnion<A, B>,
        timestamp: Option<i64>,
    ) -> Result<(), WeirError> {
        match value {
            TaggedUnion::One(one) => self.link.process_element1(one, timestamp),
            TaggedUnion::Two(two) => self.link.process_element2(two, timestamp),
        }
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.link.process_watermark(watermark)
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.link.process_watermark_status(idle)
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        self.link.on_processing_time(now_ms)
    }

    fn next_processing_time(&self) -> Option<i64> {
        self.link.next_processing_time()
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.link.snapshot_state(barrier, snapshot)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.link.notify_checkpoint_complete(checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.link.finish()
    }
}
