//! [`RunMerger`]: merges sorted spilled runs into one sorted stream of records, through a
//! [`LoserTree`] over one [`SpillReader`] per run.
//!
//! ```text
//!   run 0 ─ SpillReader (p pages read ahead) ─┐
//!   run 1 ─ SpillReader (p pages read ahead) ─┼─▶ LoserTree ─▶ next record
//!   …                                         │
//!   run k-1 ─ SpillReader ────────────────────┘      pages split evenly: p = pages / k
//! ```
//!
//! Records equal under the comparator come out in run order, so runs spilled in input order
//! merge into a stable order.

use weir_memory::{IoManager, MemorySegment};

use crate::error::WeirError;
use crate::operators::sort::loser_tree::LoserTree;
use crate::operators::spill::{SpillReader, SpilledRun};
use crate::types::{TypeComparator, TypeSerializer};

/// Merges runs. See the module docs.
pub struct RunMerger<S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    readers: Vec<SpillReader>,
    tree: LoserTree<S::Value>,
    serializer: S,
    comparator: C,
}

impl<S, C> RunMerger<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    /// Opens a reader per run, each with an even share of all `pages` (at least one page per run),
    /// and reads the first record of each.
    pub fn open(
        io: &IoManager,
        runs: &[SpilledRun],
        mut pages: Vec<MemorySegment>,
        serializer: S,
        comparator: C,
    ) -> Result<RunMerger<S, C>, WeirError> {
        if runs.is_empty() || pages.len() < runs.len() {
            return Err(WeirError::TooFewPages {
                operator: "merge of sorted runs",
                given: pages.len(),
                required: runs.len().max(1),
            });
        }
        let (share, extra) = (pages.len() / runs.len(), pages.len() % runs.len());
        let mut readers = Vec::with_capacity(runs.len());
        let mut heads = Vec::with_capacity(runs.len());
        for (i, run) in runs.iter().enumerate() {
            let count = share + usize::from(i < extra);
            let reader_pages = pages.split_off(pages.len() - count);
            let mut reader = SpillReader::open(io, run, reader_pages)?;
            heads.push(reader.next(&serializer)?);
            readers.push(reader);
        }
        let tree = LoserTree::new(heads, |a, b| comparator.compare(a, b));
        Ok(RunMerger {
            readers,
            tree,
            serializer,
            comparator,
        })
    }

    /// The next record in merged order, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<S::Value>, WeirError> {
        if self.tree.winner().is_none() {
            return Ok(None);
        }
        let input = self.tree.winner_input();
        let next = self.readers[input].next(&self.serializer)?;
        let comparator = &self.comparator;
        Ok(self
            .tree
            .replace_winner(next, |a, b| comparator.compare(a, b)))
    }

    /// Waits for the readers and returns their pages.
    pub fn close(self) -> Vec<MemorySegment> {
        self.readers
            .into_iter()
            .flat_map(SpillReader::close)
            .collect()
    }
}

impl<S, C> std::fmt::Debug for RunMerger<S, C>
where
    S: TypeSerializer,
    C: TypeComparator<Value = S::Value>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunMerger")
            .field("readers", &self.readers)
            .finish_non_exhaustive()
    }
}
