//! The cross driver: every pair of the first input (this subtask's share) and the second
//! input (broadcast, so every subtask sees all of it) — a block nested loop.
//!
//! The second input is written to a spill file first (through one write-behind page). The
//! first input is then read in blocks of [`BLOCK_RECORDS`] records; for each block the spilled
//! second input is read once (through the remaining pages as read-ahead) and the function is
//! called for each pair of the block and the record read.

use std::sync::Arc;

use crate::api::functions::CrossFunction;
use crate::error::WeirError;
use crate::operators::spill::{SpillReader, SpillWriter};
use crate::runtime::collector::Collector;
use crate::runtime::drivers::record_functions::user_failure;
use crate::runtime::operator_context::OperatorContext;
use crate::runtime::record_source::RecordSource;
use crate::types::DefaultSerializer;

/// First-input records crossed with one pass over the second input.
const BLOCK_RECORDS: usize = 1024;

/// Fewest pages of a cross: one to write the spill file, one to read it back.
pub(crate) const MIN_CROSS_PAGES: usize = 2;

pub(crate) fn run_cross<L, R, U, F>(
    context: &mut OperatorContext,
    function: &F,
    mut first: Box<dyn RecordSource<L>>,
    mut second: Box<dyn RecordSource<R>>,
    mut out: Box<dyn Collector<U>>,
) -> Result<(), WeirError>
where
    L: DefaultSerializer,
    R: DefaultSerializer,
    F: CrossFunction<L, R, U>,
{
    let runtime = context.runtime().clone();
    let mut function = function.clone();
    function
        .open(&runtime)
        .map_err(|error| user_failure(&runtime, error))?;
    let io = Arc::clone(&context.io);
    let mut pages = context.take_pages();
    let write_pages = pages.split_off(pages.len() - 1);
    let serializer = R::serializer();
    let mut writer = SpillWriter::create(&io, write_pages)?;
    while let Some(record) = second.next_record()? {
        writer.write(&serializer, &record)?;
    }
    let (run, write_pages) = writer.close()?;
    pages.extend(write_pages);
    let mut block = Vec::with_capacity(BLOCK_RECORDS);
    loop {
        block.clear();
        while block.len() < BLOCK_RECORDS {
            match first.next_record()? {
                Some(record) => block.push(record),
                None => break,
            }
        }
        if block.is_empty() {
            break;
        }
        let mut reader = SpillReader::open(&io, &run, std::mem::take(&mut pages))?;
        let outcome = (|| {
            while let Some(right) = reader.next(&serializer)? {
                for left in &block {
                    let crossed = function
                        .cross(left, &right)
                        .map_err(|error| user_failure(&runtime, error))?;
                    out.collect(crossed)?;
                }
            }
            Ok::<(), WeirError>(())
        })();
        pages = reader.close();
        outcome?;
        if block.len() < BLOCK_RECORDS {
            break;
        }
    }
    drop(run);
    function
        .close()
        .map_err(|error| user_failure(&runtime, error))?;
    out.finish()
}
