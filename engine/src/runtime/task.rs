//! A task: one subtask of one job vertex, run on a thread of its own.
//!
//! The thread builds the chain from its tail to its head (exchange writers, then each chained
//! operator around the next), runs the head (a source, a one-input operator reading its gate,
//! or a two-input operator reading both), and reports the outcome. A panic anywhere in the
//! chain is caught and becomes the task's error with its message; any failure marks the
//! task's result partitions failed, so consumers never wait for data that will not come.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::WeirError;

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}

/// Who a task is, for error messages.
#[derive(Debug, Clone)]
pub(crate) struct TaskName {
    pub vertex: String,
    pub subtask: usize,
    pub parallelism: usize,
}

/// Runs `body` catching panics; the outcome names the task.
pub(crate) fn run_task(
    name: &TaskName,
    body: impl FnOnce() -> Result<(), WeirError>,
) -> Result<(), WeirError> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error),
        Err(payload) => Err(WeirError::TaskPanicked {
            task: name.vertex.clone(),
            subtask: name.subtask,
            parallelism: name.parallelism,
            message: panic_message(payload.as_ref()),
        }),
    }
}

/// Spawns a named task thread; when the task has ended (also by a panic), it sends `index`
/// to `done`, so the executor waits on one channel instead of polling the threads.
pub(crate) fn spawn_task(
    name: TaskName,
    index: usize,
    done: crossbeam_channel::Sender<usize>,
    body: impl FnOnce() -> Result<(), WeirError> + Send + 'static,
) -> Result<std::thread::JoinHandle<Result<(), WeirError>>, WeirError> {
    let thread_name = format!(
        "{} ({}/{})",
        name.vertex,
        name.subtask + 1,
        name.parallelism
    );
    std::thread::Builder::new()
        .name(thread_name.chars().take(60).collect())
        .spawn(move || {
            let outcome = run_task(&name, body);
            let _ = done.send(index);
            outcome
        })
        .map_err(|source| WeirError::SpawnThread {
            name: "task",
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_errors_with_their_message() {
        let name = TaskName {
            vertex: "Map".into(),
            subtask: 1,
            parallelism: 3,
        };
        let outcome = run_task(&name, || panic!("bad record {}", 7));
        match outcome {
            Err(WeirError::TaskPanicked {
                message,
                subtask: 1,
                ..
            }) => assert_eq!(message, "bad record 7"),
            other => panic!("{other:?}"),
        }
        assert!(run_task(&name, || Ok(())).is_ok());
    }
}
