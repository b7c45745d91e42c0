//! The map-partition driver: the user function sees its whole partition as one iterator,
//! while records still arrive one call at a time.
//!
//! The function runs on a thread of its own that reads batches of records from a bounded
//! channel; `collect` fills a batch and sends it when full, and waits when the function is
//! behind (so memory stays at a few batches). `finish` marks the input complete, closes the
//! channel and joins the thread, which has called `close` and finished downstream by then. A
//! driver dropped without `finish` (the task failed) closes the channel without that mark: the
//! thread stops without finishing downstream, and the drop waits for it, so nothing of the
//! task outlives it.
//!
//! ```text
//!   task thread: collect ─▶ batch[1024] ─▶ channel (2 batches) ─▶ function thread:
//!                                                         map_partition(iter, out) ─▶ downstream
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use crate::api::functions::{Group, MapPartitionFunction, RuntimeContext};
use crate::error::WeirError;
use crate::runtime::collector::{Collector, Output};
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::task::panic_message;

const BATCH_RECORDS: usize = 1024;
const BATCHES_IN_FLIGHT: usize = 2;

pub(crate) struct MapPartitionDriver<In> {
    sender: Option<Sender<Vec<In>>>,
    batch: Vec<In>,
    worker: Option<JoinHandle<Result<(), WeirError>>>,
    /// Set by `finish` before the channel closes: the input ended, not the task.
    complete: Arc<AtomicBool>,
    context: RuntimeContext,
}

impl<In: Send + 'static> MapPartitionDriver<In> {
    pub(crate) fn open<Out, F>(
        mut function: F,
        context: &RuntimeContext,
        mut out: Box<dyn Collector<Out>>,
    ) -> Result<MapPartitionDriver<In>, WeirError>
    where
        F: MapPartitionFunction<In, Out>,
        Out: Send + 'static,
    {
        function
            .open(context)
            .map_err(|error| user_failure(context, error))?;
        let (sender, receiver) = crossbeam_channel::bounded::<Vec<In>>(BATCHES_IN_FLIGHT);
        let worker_context = context.clone();
        let complete = Arc::new(AtomicBool::new(false));
        let worker_complete = Arc::clone(&complete);
        let worker = std::thread::Builder::new()
            .name(format!(
                "{} ({}/{})",
                context.operator_name,
                context.subtask_index + 1,
                context.parallelism
            ))
            .spawn(move || {
                run_function(
                    function,
                    &worker_context,
                    &receiver,
                    &worker_complete,
                    &mut *out,
                )
            })
            .map_err(|source| WeirError::SpawnThread {
                name: "map partition",
                source,
            })?;
        Ok(MapPartitionDriver {
            sender: Some(sender),
            batch: Vec::with_capacity(BATCH_RECORDS),
            worker: Some(worker),
            complete,
            context: context.clone(),
        })
    }

    /// Joins the function thread and returns its outcome.
    fn join(&mut self) -> Result<(), WeirError> {
        self.sender = None;
        match self.worker.take() {
            None => Ok(()),
            Some(worker) => match worker.join() {
                Ok(outcome) => outcome,
                Err(panic) => Err(WeirError::UserFunction {
                    operator: self.context.operator_name.clone(),
                    subtask: self.context.subtask_index,
                    parallelism: self.context.parallelism,
                    message: format!("panicked: {}", panic_message(panic.as_ref())),
                }),
            },
        }
    }

    fn send_batch(&mut self) -> Result<(), WeirError> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_RECORDS));
        let sent = match &self.sender {
            Some(sender) => sender.send(batch).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The function thread stopped early: its outcome says why.
        self.join()?;
        Err(WeirError::CollectAfterFinish {
            operator: self.context.operator_name.clone(),
        })
    }
}

fn run_function<In, Out, F>(
    mut function: F,
    context: &RuntimeContext,
    receiver: &Receiver<Vec<In>>,
    complete: &AtomicBool,
    out: &mut dyn Collector<Out>,
) -> Result<(), WeirError>
where
    F: MapPartitionFunction<In, Out>,
{
    let mut records = receiver.iter().flatten();
    let mut group = Group::new(&mut records);
    let mut output = Output::new(out);
    let called = function.map_partition(&mut group, &mut output);
    let emitted = output.into_result();
    called.map_err(|error| user_failure(context, error))?;
    emitted?;
    // Drain what the function left unread so the sender is never stuck.
    for _ in records.by_ref() {}
    if !complete.load(Ordering::SeqCst) {
        return Err(WeirError::Canceled {
            component: context.operator_name.clone(),
        });
    }
    function
        .close()
        .map_err(|error| user_failure(context, error))?;
    out.finish()
}

impl<In: Send + 'static> Collector<In> for MapPartitionDriver<In> {
    #[inline]
    fn collect(&mut self, record: In) -> Result<(), WeirError> {
        self.batch.push(record);
        if self.batch.len() == BATCH_RECORDS {
            self.send_batch()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        if !self.batch.is_empty() {
            self.send_batch()?;
        }
        self.complete.store(true, Ordering::SeqCst);
        self.join()
    }
}

impl<In> Drop for MapPartitionDriver<In> {
    fn drop(&mut self) {
        // Unless `finish` ran: the input is cut short, so the thread stops without finishing
        // downstream. Wait for it, so it holds nothing of the task after the task ends.
        self.sender = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}
