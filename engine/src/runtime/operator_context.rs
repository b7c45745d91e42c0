//! [`OperatorContext`]: what one operator instance gets from its task: who it is, its share of
//! the slot's managed memory, the I/O manager, its task's mailbox and a place for its
//! metrics.

use std::sync::{Arc, Mutex};

use weir_memory::{IoManager, MemorySegment};

use crate::api::functions::RuntimeContext;
use crate::error::WeirError;
use crate::operators::metrics::OperatorMetrics;
use crate::runtime::mailbox::Mailbox;
use crate::runtime::progress::JobProgress;

/// Metrics of one operator instance, shared between the operator (which may finish inside a
/// collector call) and the executor that reads them at the end.
pub(crate) type MetricsSlot = Arc<Mutex<OperatorMetrics>>;

/// See the module docs.
pub struct OperatorContext {
    pub(crate) runtime: RuntimeContext,
    pub(crate) io: Arc<IoManager>,
    mailbox: Arc<Mailbox>,
    pub(crate) progress: Arc<JobProgress>,
    pages: Vec<MemorySegment>,
    metrics: MetricsSlot,
}

impl std::fmt::Debug for OperatorContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorContext")
            .field("runtime", &self.runtime)
            .field("pages", &self.pages.len())
            .finish_non_exhaustive()
    }
}

impl OperatorContext {
    pub(crate) fn new(
        runtime: RuntimeContext,
        io: Arc<IoManager>,
        mailbox: Arc<Mailbox>,
        progress: Arc<JobProgress>,
        pages: Vec<MemorySegment>,
        metrics: MetricsSlot,
    ) -> OperatorContext {
        OperatorContext {
            runtime,
            io,
            mailbox,
            progress,
            pages,
            metrics,
        }
    }

    /// Reads the task's mailbox at a safe point: `Err(Canceled)` when the task must stop.
    pub(crate) fn check_control(&self) -> Result<(), WeirError> {
        self.mailbox.check()
    }

    pub(crate) fn runtime(&self) -> &RuntimeContext {
        &self.runtime
    }

    pub(crate) fn name(&self) -> &str {
        &self.runtime.operator_name
    }

    /// This operator's managed pages (all of them; a second call gets none).
    pub(crate) fn take_pages(&mut self) -> Vec<MemorySegment> {
        std::mem::take(&mut self.pages)
    }

    pub(crate) fn metrics_slot(&self) -> MetricsSlot {
        Arc::clone(&self.metrics)
    }
}

/// Adds the memory and spill figures of a finished operator over pages to its slot (records
/// in and out are counted by the runtime's wrappers, so they are left alone).
pub(crate) fn record_operator_metrics(slot: &MetricsSlot, metrics: &OperatorMetrics) {
    let mut target = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    target.pages_reserved = target.pages_reserved.max(metrics.pages_reserved);
    target.peak_pages_used = target.peak_pages_used.max(metrics.peak_pages_used);
    target.bytes_spilled += metrics.bytes_spilled;
    target.spill_files += metrics.spill_files;
    target.merge_passes += metrics.merge_passes;
    target.recursion_depth = target.recursion_depth.max(metrics.recursion_depth);
    target.sort_merge_fallbacks += metrics.sort_merge_fallbacks;
    target.nested_loop_fallbacks += metrics.nested_loop_fallbacks;
    target.bloom_filtered_records += metrics.bloom_filtered_records;
}
