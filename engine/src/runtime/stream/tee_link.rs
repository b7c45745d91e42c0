//! [`TeeLink`] and [`DiscardLink`]: an operator output feeding several links, or none.
//!
//! A record goes to every target (cloned for all but the last); every control call goes to
//! every target in order, so each downstream operator sees the same sequence of records,
//! watermarks and snapshots.

use crate::error::WeirError;
use crate::runtime::network::CheckpointBarrier;
use crate::runtime::stream::chain_link::{ChainLink, TaskSnapshot};

/// Feeds every target. See the module docs.
pub(crate) struct TeeLink<T> {
    targets: Vec<Box<dyn ChainLink<T>>>,
}

impl<T> TeeLink<T> {
    pub(crate) fn new(targets: Vec<Box<dyn ChainLink<T>>>) -> TeeLink<T> {
        TeeLink { targets }
    }
}

impl<T: Clone> ChainLink<T> for TeeLink<T> {
    #[inline]
    fn process_element(&mut self, value: T, timestamp: Option<i64>) -> Result<(), WeirError> {
        let Some((last, rest)) = self.targets.split_last_mut() else {
            return Ok(());
        };
        for target in rest {
            target.process_element(value.clone(), timestamp)?;
        }
        last.process_element(value, timestamp)
    }

    fn process_watermark(&mut self, watermark: i64) -> Result<(), WeirError> {
        self.targets
            .iter_mut()
            .try_for_each(|target| target.process_watermark(watermark))
    }

    fn process_watermark_status(&mut self, idle: bool) -> Result<(), WeirError> {
        self.targets
            .iter_mut()
            .try_for_each(|target| target.process_watermark_status(idle))
    }

    fn on_processing_time(&mut self, now_ms: i64) -> Result<(), WeirError> {
        self.targets
            .iter_mut()
            .try_for_each(|target| target.on_processing_time(now_ms))
    }

    fn next_processing_time(&self) -> Option<i64> {
        self.targets
            .iter()
            .filter_map(|target| target.next_processing_time())
            .min()
    }

    fn snapshot_state(
        &mut self,
        barrier: &CheckpointBarrier,
        snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        self.targets
            .iter_mut()
            .try_for_each(|target| target.snapshot_state(barrier, snapshot))
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), WeirError> {
        self.targets
            .iter_mut()
            .try_for_each(|target| target.notify_checkpoint_complete(checkpoint_id))
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        self.targets
            .iter_mut()
            .try_for_each(|target| target.finish())
    }
}

/// The output of an operator nobody consumes (a sink's): records and events end here.
pub(crate) struct DiscardLink;

impl<T> ChainLink<T> for DiscardLink {
    fn process_element(&mut self, _value: T, _timestamp: Option<i64>) -> Result<(), WeirError> {
        Ok(())
    }

    fn process_watermark(&mut self, _watermark: i64) -> Result<(), WeirError> {
        Ok(())
    }

    fn process_watermark_status(&mut self, _idle: bool) -> Result<(), WeirError> {
        Ok(())
    }

    fn on_processing_time(&mut self, _now_ms: i64) -> Result<(), WeirError> {
        Ok(())
    }

    fn next_processing_time(&self) -> Option<i64> {
        None
    }

    fn snapshot_state(
        &mut self,
        _barrier: &CheckpointBarrier,
        _snapshot: &mut TaskSnapshot,
    ) -> Result<(), WeirError> {
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, _checkpoint_id: u64) -> Result<(), WeirError> {
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WeirError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::stream::test_link::{Recorded, RecordingLink};

    #[test]
    fn every_target_gets_every_record_and_event_in_order() {
        let first = RecordingLink::<u32>::new();
        let second = RecordingLink::<u32>::new();
        let mut tee = TeeLink::new(vec![Box::new(first.clone()), Box::new(second.clone())]);
        tee.process_element(1, Some(10)).unwrap();
        tee.process_watermark(5).unwrap();
        tee.process_element(2, None).unwrap();
        tee.finish().unwrap();
        assert_eq!(first.calls(), second.calls());
        assert_eq!(
            first.calls(),
            vec![
                Recorded::Record(1, Some(10)),
                Recorded::Watermark(5),
                Recorded::Record(2, None),
                Recorded::Finish
            ]
        );
        assert_eq!(second.watermarks(), vec![5]);
    }
}
