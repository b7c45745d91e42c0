//! Windows and timers (issue 7, point 4): Flink's window model over keyed streams.
//!
//! ```text
//!   element ──key──▶ WindowAssigner ──▶ windows ──▶ (merging: MergingWindowSet)
//!                                         │
//!                     window contents in keyed state (namespace = window)
//!                                         │
//!                     Trigger (on_element / timers) ──Fire──▶ [Evictor] ──▶ window function
//!                                                    └─Purge─▶ contents dropped
//!   InternalTimerService: event/processing-time timers per (key, window, time)
//! ```
//!
//! * Windows: [`TimeWindow`] `[start, end)` and [`GlobalWindow`].
//! * Assigners: [`TumblingEventTimeWindows`], [`TumblingProcessingTimeWindows`],
//!   [`SlidingEventTimeWindows`], [`SlidingProcessingTimeWindows`],
//!   [`EventTimeSessionWindows`] (fixed or dynamic gap), [`ProcessingTimeSessionWindows`],
//!   [`GlobalWindows`].
//! * Triggers: [`EventTimeTrigger`], [`ProcessingTimeTrigger`], [`CountTrigger`],
//!   [`PurgingTrigger`], [`ContinuousEventTimeTrigger`], [`NeverTrigger`],
//!   [`EndOfStreamTrigger`], or a custom [`Trigger`].
//! * Evictors: [`CountEvictor`], [`TimeEvictor`], or a custom [`Evictor`].
//!
//! Times are `i64` milliseconds since the epoch (event time and processing time).

mod continuous_event_time_trigger;
mod count_evictor;
mod count_trigger;
mod event_time_trigger;
mod evictor;
mod global_windows;
mod internal_timer_service;
mod merging_window_set;
mod process_window_function;
mod processing_time_trigger;
mod purging_trigger;
mod session_windows;
mod sliding_windows;
mod time_evictor;
mod trigger;
mod tumbling_windows;
mod window;
mod window_assigner;
mod window_function;
mod window_operator;
mod window_trigger_context;

pub use continuous_event_time_trigger::ContinuousEventTimeTrigger;
pub use count_evictor::CountEvictor;
pub use count_trigger::CountTrigger;
pub use event_time_trigger::EventTimeTrigger;
pub use evictor::{Evictor, EvictorContext, TimestampedValue};
pub use global_windows::{EndOfStreamTrigger, GlobalWindows, NeverTrigger};
pub use internal_timer_service::{InternalTimerService, Timer};
pub use merging_window_set::MergingWindowSet;
pub use process_window_function::{KeyedStateStore, ProcessWindowContext, ProcessWindowFunction};
pub use processing_time_trigger::ProcessingTimeTrigger;
pub use purging_trigger::PurgingTrigger;
pub use session_windows::{
    DynamicEventTimeSessionWindows, DynamicProcessingTimeSessionWindows, EventTimeSessionWindows,
    ProcessingTimeSessionWindows, SessionGapExtractor,
};
pub use sliding_windows::{SlidingEventTimeWindows, SlidingProcessingTimeWindows};
pub use time_evictor::TimeEvictor;
pub use trigger::{OnMergeContext, Trigger, TriggerContext, TriggerResult};
pub use tumbling_windows::{TumblingEventTimeWindows, TumblingProcessingTimeWindows};
pub use window::{GlobalWindow, GlobalWindowSerializer, TimeWindow, TimeWindowSerializer, Window};
pub use window_assigner::{WindowAssigner, WindowAssignerContext};
pub use window_function::WindowFunction;
pub use window_operator::{KeySelector, WindowOperator, WindowOperatorBuilder, window_operator};
