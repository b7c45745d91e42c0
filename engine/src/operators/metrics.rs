//! [`OperatorMetrics`]: what one operator instance did with its memory and the disk.
//!
//! Every operator over pages (sorter, joins, aggregations) keeps one of these and hands out a
//! copy through its `metrics()` method. They are plain counters updated on the operator's own
//! thread, so reading them costs nothing; the runtime (a later issue) collects them per
//! operator instance and prints or exports them.
//!
//! | field                     | meaning                                                      |
//! |---------------------------|--------------------------------------------------------------|
//! | `pages_reserved`          | managed pages the operator was given                          |
//! | `peak_pages_used`         | most of those pages holding data at one time                  |
//! | `records_in/out`          | records consumed (all inputs) and produced                    |
//! | `bytes_spilled`           | payload bytes written to spill files                          |
//! | `spill_files`             | spill files written                                           |
//! | `merge_passes`            | merge passes over spilled runs (external sort)                |
//! | `recursion_depth`         | deepest level of re-partitioning reached (hash join/aggregate)|
//! | `sort_merge_fallbacks`    | partitions joined by sort-merge (join) or aggregated by sorting (aggregation) because recursion could not split them |
//! | `nested_loop_fallbacks`   | partitions joined by block nested loop for the same reason     |
//! | `bloom_filtered_records`  | probe records a bloom filter kept from being spilled          |

use std::fmt;

use crate::operators::spill::SpilledRun;

/// Counters of one operator instance. See the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorMetrics {
    pub pages_reserved: usize,
    pub peak_pages_used: usize,
    pub records_in: u64,
    pub records_out: u64,
    pub bytes_spilled: u64,
    pub spill_files: u64,
    pub merge_passes: u32,
    pub recursion_depth: u32,
    pub sort_merge_fallbacks: u32,
    pub nested_loop_fallbacks: u32,
    pub bloom_filtered_records: u64,
}

impl OperatorMetrics {
    /// Metrics of an operator given `pages_reserved` pages.
    pub fn with_pages(pages_reserved: usize) -> OperatorMetrics {
        OperatorMetrics {
            pages_reserved,
            ..OperatorMetrics::default()
        }
    }

    /// Notes that `used` pages hold data now (keeps the peak).
    #[inline]
    pub fn note_pages_used(&mut self, used: usize) {
        self.peak_pages_used = self.peak_pages_used.max(used);
    }

    /// Counts a finished spill file.
    pub fn note_spilled(&mut self, run: &SpilledRun) {
        self.spill_files += 1;
        self.bytes_spilled += run.bytes();
    }

    /// Notes that recursion reached `level` (the top level is 0).
    pub fn note_recursion(&mut self, level: u32) {
        self.recursion_depth = self.recursion_depth.max(level);
    }
}

impl fmt::Display for OperatorMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pages {}/{} peak, records {} in / {} out, spilled {} bytes in {} files, \
             {} merge passes, recursion depth {}, fallbacks {} sort-merge / {} nested-loop, \
             {} records skipped by bloom filters",
            self.peak_pages_used,
            self.pages_reserved,
            self.records_in,
            self.records_out,
            self.bytes_spilled,
            self.spill_files,
            self.merge_passes,
            self.recursion_depth,
            self.sort_merge_fallbacks,
            self.nested_loop_fallbacks,
            self.bloom_filtered_records,
        )
    }
}
