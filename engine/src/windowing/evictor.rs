//! [`Evictor`]: removes elements from a window's contents before and/or after the window
//! function runs (Flink's `Evictor`; only with a process window function, since the elements
//! must all be kept).
//!
//! ```text
//!   fire ──▶ contents [e0 e1 … en] ──evict_before──▶ window function ──evict_after──▶ stored back
//! ```
//!
//! Elements carry their timestamps ([`TimestampedValue`]); an evictor removes elements in place
//! from the `Vec`, keeping the order of the rest.

use crate::error::WeirError;

/// An element of a window with its event timestamp (`None` when it had none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampedValue<T> {
    pub value: T,
    pub timestamp: Option<i64>,
}

/// What an evictor may read besides the elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvictorContext {
    pub current_processing_time: i64,
    pub current_watermark: i64,
}

/// Removes elements from a window. See the module docs.
pub trait Evictor<T, W>: Send + Sync {
    /// Before the window function runs.
    fn evict_before(
        &self,
        elements: &mut Vec<TimestampedValue<T>>,
        window: &W,
        ctx: &EvictorContext,
    ) -> Result<(), WeirError>;

    /// After the window function ran; what remains is stored back as the window's contents.
    fn evict_after(
        &self,
        elements: &mut Vec<TimestampedValue<T>>,
        window: &W,
        ctx: &EvictorContext,
    ) -> Result<(), WeirError>;

    /// The evictor's name for operator names ("CountEvictor").
    fn name(&self) -> &'static str;
}
