//! [`Collector`]: how records move inside a chain of operators, by call.
//!
//! A task runs one chain (DESIGN §6). Records inside it are passed from operator to operator
//! by calling `collect` on the next one; only at the end of the chain are they serialized into
//! network buffers (an exchange writer is a collector too). `finish` is the end of the input:
//! an operator that holds records (sort, aggregation) emits them then and finishes its own
//! downstream.
//!
//! ```text
//!   source ──collect──▶ map ──collect──▶ filter ──collect──▶ exchange writer ══▶ buffers
//!          ──finish───▶     ──finish───▶        ──finish───▶  (end of partition)
//! ```
//!
//! User functions do not see collectors: they emit through an [`Output`], which keeps the
//! first downstream error so a closure needs no `?`; the driver returns it after the call.

use crate::error::WeirError;

/// Receives the records of one operator's output.
pub trait Collector<T>: Send {
    fn collect(&mut self, record: T) -> Result<(), WeirError>;

    /// The input has ended: emit what is held and finish downstream.
    fn finish(&mut self) -> Result<(), WeirError>;
}

impl<T> Collector<T> for Box<dyn Collector<T>> {
    #[inline]
    fn collect(&mut self, record: T) -> Result<(), WeirError> {
        (**self).collect(record)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        (**self).finish()
    }
}

/// Where a user function emits records (`out.emit(value)`); see the module docs.
pub struct Output<'a, U> {
    downstream: &'a mut dyn Collector<U>,
    error: Option<WeirError>,
    emitted: u64,
}

impl<U> std::fmt::Debug for Output<'_, U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("emitted", &self.emitted)
            .finish()
    }
}

impl<'a, U> Output<'a, U> {
    pub(crate) fn new(downstream: &'a mut dyn Collector<U>) -> Output<'a, U> {
        Output {
            downstream,
            error: None,
            emitted: 0,
        }
    }

    /// Emits one record. After a downstream failure further records are dropped; the failure
    /// ends the task once the user function returns.
    #[inline]
    pub fn emit(&mut self, record: U) {
        if self.error.is_none() {
            self.emitted += 1;
            if let Err(error) = self.downstream.collect(record) {
                self.error = Some(error);
            }
        }
    }

    /// Records emitted so far through this output.
    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    /// The first downstream failure, if any.
    pub(crate) fn into_result(self) -> Result<(), WeirError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Sends every record to several collectors (one output feeding several consumers).
pub(crate) struct TeeCollector<T> {
    targets: Vec<Box<dyn Collector<T>>>,
}

impl<T> TeeCollector<T> {
    pub(crate) fn new(targets: Vec<Box<dyn Collector<T>>>) -> TeeCollector<T> {
        TeeCollector { targets }
    }
}

impl<T: Clone + Send> Collector<T> for TeeCollector<T> {
    fn collect(&mut self, record: T) -> Result<(), WeirError> {
        let Some((last, rest)) = self.targets.split_last_mut() else {
            return Ok(());
        };
        for target in rest {
            target.collect(record.clone())?;
        }
        last.collect(record)
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        for target in &mut self.targets {
            target.finish()?;
        }
        Ok(())
    }
}

/// Drops every record: the output of an operator nobody consumes.
pub(crate) struct DiscardCollector;

impl<T> Collector<T> for DiscardCollector {
    fn collect(&mut self, _record: T) -> Result<(), WeirError> {
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct VecCollector(Vec<u32>, bool);

    impl Collector<u32> for VecCollector {
        fn collect(&mut self, record: u32) -> Result<(), WeirError> {
            if record == 13 {
                return Err(WeirError::Canceled {
                    component: "test".to_owned(),
                });
            }
            self.0.push(record);
            Ok(())
        }

        fn finish(&mut self) -> Result<(), WeirError> {
            self.1 = true;
            Ok(())
        }
    }

    #[test]
    fn output_keeps_the_first_downstream_error_and_drops_later_records() {
        let mut target = VecCollector(Vec::new(), false);
        let mut out = Output::new(&mut target);
        out.emit(1);
        out.emit(13);
        out.emit(2);
        assert_eq!(out.emitted(), 2);
        assert!(matches!(out.into_result(), Err(WeirError::Canceled { .. })));
        assert_eq!(target.0, vec![1]);
    }

    #[test]
    fn tee_sends_every_record_to_every_target_and_finishes_all() {
        let mut tee = TeeCollector::new(vec![
            Box::new(VecCollector(Vec::new(), false)) as Box<dyn Collector<u32>>,
            Box::new(DiscardCollector),
        ]);
        tee.collect(5).unwrap();
        tee.finish().unwrap();
    }
}
