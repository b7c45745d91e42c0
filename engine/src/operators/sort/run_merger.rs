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
//! The last input may be a sorted [`InMemorySorter`] instead of a spilled run: the external
//! sorter's last run, when the other runs leave room for it, is merged straight from memory and
//! never touches the disk.
//!
//! Records equal under the comparator come out in input order (runs, then the in-memory run), so
//! runs spilled in input order merge into a stable order.

use weir_memory::{IoManager, MemorySegment};

use crate::error::WeirError;
use crate::operators::sort::in_memory_sorter::InMemorySorter;
use crate::operators::sort::loser_tree::LoserTree;
use crate::operators::spill::{SpillReader, SpilledRun};
use crate::types::{TypeComparator, TypeSerializer};

/// Merges runs. See the module docs.
pub struct RunMerger<S: TypeSerializer, C: TypeComparator<Value = S::Value>> {
    readers: Vec<SpillReader>,
    /// A sorted in-memory run, input number `readers.len()`, and its next position.
    in_memory: Option<(InMemorySorter<S, C>, usize)>,
    /// Pages no reader needs (all of them when there is no spilled run), kept for `close`.
    spare: Vec<MemorySegment>,
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
        pages: Vec<MemorySegment>,
        serializer: S,
        comparator: C,
    ) -> Result<RunMerger<S, C>, WeirError> {
        RunMerger::open_with_in_memory_run(io, runs, pages, None, serializer, comparator)
    }

    /// Like [`RunMerger::open`], with `in_memory` (sorted) as the last input.
    pub fn open_with_in_memory_run(
        io: &IoManager,
        runs: &[SpilledRun],
        mut pages: Vec<MemorySegment>,
        in_memory: Option<InMemorySorter<S, C>>,
        serializer: S,
        comparator: C,
    ) -> Result<RunMerger<S, C>, WeirError> {
        if (runs.is_empty() && in_memory.is_none()) || pages.len() < runs.len() {
            return Err(WeirError::TooFewPages {
                operator: "merge of sorted runs",
                given: pages.len(),
                required: runs.len().max(1),
            });
        }
        let readers_count = runs.len().max(1);
        let (share, extra) = (pages.len() / readers_count, pages.len() % readers_count);
        let mut readers = Vec::with_capacity(runs.len());
        let mut heads = Vec::with_capacity(runs.len());
        for (i, run) in runs.iter().enumerate() {
            let count = share + usize::from(i < extra);
            let reader_pages = pages.split_off(pages.len() - count);
            let mut reader = SpillReader::open(io, run, reader_pages)?;
            heads.push(reader.next(&serializer)?);
            readers.push(reader);
        }
        let in_memory = match in_memory {
            Some(sorter) => {
                heads.push(sorter.read_sorted(0).transpose()?);
                Some((sorter, 1))
            }
            None => None,
        };
        let tree = LoserTree::new(heads, |a, b| comparator.compare(a, b));
        Ok(RunMerger {
            readers,
            in_memory,
            spare: pages,
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
        let next = match self.readers.get_mut(input) {
            Some(reader) => reader.next(&self.serializer)?,
            None => {
                let (sorter, position) = self
                    .in_memory
                    .as_mut()
                    .expect("the input after the readers is the in-memory run");
                let next = sorter.read_sorted(*position).transpose()?;
                *position += 1;
                next
            }
        };
        let comparator = &self.comparator;
        Ok(self
            .tree
            .replace_winner(next, |a, b| comparator.compare(a, b)))
    }

    /// Waits for the readers and returns their pages.
    pub fn close(self) -> Vec<MemorySegment> {
        let mut pages: Vec<MemorySegment> = self
            .readers
            .into_iter()
            .flat_map(SpillReader::close)
            .collect();
        if let Some((sorter, _)) = self.in_memory {
            pages.append(&mut sorter.into_pages());
        }
        pages.extend(self.spare);
        pages
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
