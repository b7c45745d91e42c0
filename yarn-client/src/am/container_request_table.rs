//! The ApplicationMaster's table of outstanding container requests, one row per container size.
//!
//! The ResourceManager keeps its own copy of this table keyed by (priority, resource name) and
//! **replaces** a row with whatever the AM sends (yarn-protocol.md §2.5 rule 4): `num_containers`
//! is the absolute number still wanted, not an increment. Re-sending the original count after
//! containers arrived would make the RM allocate them again, so each row tracks two counts:
//!
//! ```text
//!              request_containers(spec, n)      container allocated at row's priority
//!   wanted  ──────────── += n ───────────────►  ───────────── -= 1 ─────────────────►
//!   rm_count  (what the RM holds, as far as we know)
//!             set to `wanted` when an ask is sent  ──────────── -= 1 ─────────────────►
//!
//!   an ask for a row is sent only while rm_count != wanted (the wanted count changed);
//!   after a re-register the RM knows nothing: rm_count = unknown, every row with wanted > 0
//!   is sent again.
//! ```
//!
//! Every distinct [`ContainerSpec`] gets its own priority (1, 2, 3, … in order of first use),
//! exactly like Flink's `TaskExecutorProcessSpecContainerResourcePriorityAdapter`: the RM
//! normalizes allocated sizes upward, so containers are matched back to their row by priority,
//! never by size. A container arriving at a priority whose row wants nothing more (or at an
//! unknown priority) is surplus and must be released at once.
//!
//! A race the RM protocol cannot rule out: when the wanted count changes while the RM has just
//! allocated containers the AM has not yet received, the new absolute count overwrites the RM's
//! decremented one and the RM may allocate a few containers too many. Those arrive as surplus
//! and are released; the table never asks for more than it wants.

use std::fmt;

/// The size of a container the ApplicationMaster asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerSpec {
    /// Memory in MiB (YARN's `ResourceProto.memory`).
    pub memory_mb: i64,
    /// Virtual cores (`ResourceProto.virtual_cores`).
    pub vcores: i32,
}

impl ContainerSpec {
    /// A spec of `memory_mb` MiB and `vcores` virtual cores.
    pub fn new(memory_mb: i64, vcores: i32) -> ContainerSpec {
        ContainerSpec { memory_mb, vcores }
    }
}

impl fmt::Display for ContainerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<memory:{} MiB, vCores:{}>", self.memory_mb, self.vcores)
    }
}

/// One row to send in the next `allocate`: the absolute number of containers still wanted at
/// this priority and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ask {
    pub priority: i32,
    pub spec: ContainerSpec,
    pub count: u32,
}

/// What an allocated container is, judged by its priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationMatch {
    /// It fills an outstanding request for this spec (the row's counts went down by one).
    Requested(ContainerSpec),
    /// Nobody wants it (any more): release it at once.
    Surplus,
}

#[derive(Clone, Debug)]
struct RequestRow {
    spec: ContainerSpec,
    priority: i32,
    /// Containers of this spec the AM still wants.
    wanted: u32,
    /// The RM's count for this row as far as we know; `None` = the RM has no row (never sent,
    /// or forgotten by a re-register).
    rm_count: Option<u32>,
}

/// Outstanding container requests per size; see the module docs.
#[derive(Clone, Debug)]
pub struct ContainerRequestTable {
    rows: Vec<RequestRow>,
    next_priority: i32,
}

impl Default for ContainerRequestTable {
    fn default() -> Self {
        ContainerRequestTable::new()
    }
}

impl ContainerRequestTable {
    /// The first priority handed out; lower numbers are more important to YARN, and 0 is left
    /// free like Flink does.
    pub const FIRST_PRIORITY: i32 = 1;

    /// An empty table.
    pub fn new() -> ContainerRequestTable {
        ContainerRequestTable {
            rows: Vec::new(),
            next_priority: Self::FIRST_PRIORITY,
        }
    }

    /// Wants `count` more containers of `spec`; returns the row's priority.
    pub fn add(&mut self, spec: ContainerSpec, count: u32) -> i32 {
        let row = self.row_for(spec);
        row.wanted = row.wanted.saturating_add(count);
        row.priority
    }

    /// Wants up to `count` fewer containers of `spec` (not yet allocated); returns how many
    /// requests were actually withdrawn.
    pub fn cancel(&mut self, spec: ContainerSpec, count: u32) -> u32 {
        match self.rows.iter_mut().find(|row| row.spec == spec) {
            Some(row) => {
                let cancelled = count.min(row.wanted);
                row.wanted -= cancelled;
                cancelled
            }
            None => 0,
        }
    }

    /// Containers still wanted over all sizes.
    pub fn outstanding(&self) -> u32 {
        self.rows
            .iter()
            .fold(0u32, |sum, row| sum.saturating_add(row.wanted))
    }

    /// Containers of `spec` still wanted.
    pub fn outstanding_for(&self, spec: ContainerSpec) -> u32 {
        self.rows
            .iter()
            .find(|row| row.spec == spec)
            .map_or(0, |row| row.wanted)
    }

    /// The priority of `spec`'s row, if it was ever requested.
    pub fn priority_of(&self, spec: ContainerSpec) -> Option<i32> {
        self.rows
            .iter()
            .find(|row| row.spec == spec)
            .map(|row| row.priority)
    }

    /// The spec requested at `priority`, if any.
    pub fn spec_at(&self, priority: i32) -> Option<ContainerSpec> {
        self.rows
            .iter()
            .find(|row| row.priority == priority)
            .map(|row| row.spec)
    }

    /// The rows to send in the next `allocate`: those whose wanted count differs from what the
    /// RM holds. A row the RM never saw is sent only if something is wanted.
    pub fn pending_asks(&self) -> Vec<Ask> {
        self.rows
            .iter()
            .filter(|row| match row.rm_count {
                Some(count) => count != row.wanted,
                None => row.wanted > 0,
            })
            .map(|row| Ask {
                priority: row.priority,
                spec: row.spec,
                count: row.wanted,
            })
            .collect()
    }

    /// Records that `asks` reached the RM (call only after a successful `allocate`; after a
    /// failed one the rows stay pending and go out again).
    pub fn mark_sent(&mut self, asks: &[Ask]) {
        for ask in asks {
            if let Some(row) = self
                .rows
                .iter_mut()
                .find(|row| row.priority == ask.priority)
            {
                row.rm_count = Some(ask.count);
            }
        }
    }

    /// The RM forgot every row (the AM re-registered after an RM restart or fail-over): the
    /// whole table is pending again.
    pub fn mark_all_unsent(&mut self) {
        for row in &mut self.rows {
            row.rm_count = None;
        }
    }

    /// Matches one allocated container by its priority. A match lowers both counts of the row
    /// (the RM decremented its copy when it allocated); anything else is surplus.
    pub fn match_allocated(&mut self, priority: i32) -> AllocationMatch {
        let Some(row) = self.rows.iter_mut().find(|row| row.priority == priority) else {
            return AllocationMatch::Surplus;
        };
        row.rm_count = row.rm_count.map(|count| count.saturating_sub(1));
        if row.wanted == 0 {
            return AllocationMatch::Surplus;
        }
        row.wanted -= 1;
        AllocationMatch::Requested(row.spec)
    }

    fn row_for(&mut self, spec: ContainerSpec) -> &mut RequestRow {
        let index = match self.rows.iter().position(|row| row.spec == spec) {
            Some(index) => index,
            None => {
                self.rows.push(RequestRow {
                    spec,
                    priority: self.next_priority,
                    wanted: 0,
                    rm_count: None,
                });
                self.next_priority += 1;
                self.rows.len() - 1
            }
        };
        &mut self.rows[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: ContainerSpec = ContainerSpec {
        memory_mb: 1024,
        vcores: 1,
    };
    const LARGE: ContainerSpec = ContainerSpec {
        memory_mb: 4096,
        vcores: 2,
    };

    fn send(table: &mut ContainerRequestTable) -> Vec<Ask> {
        let asks = table.pending_asks();
        table.mark_sent(&asks);
        asks
    }

    #[test]
    fn each_size_gets_its_own_priority_in_order_of_first_use() {
        let mut table = ContainerRequestTable::new();
        assert_eq!(table.add(SMALL, 2), 1);
        assert_eq!(table.add(LARGE, 1), 2);
        assert_eq!(table.add(SMALL, 1), 1, "same size keeps its priority");
        assert_eq!(table.priority_of(LARGE), Some(2));
        assert_eq!(table.spec_at(1), Some(SMALL));
        assert_eq!(table.spec_at(3), None);
        assert_eq!(table.outstanding(), 4);
        assert_eq!(table.outstanding_for(SMALL), 3);
    }

    #[test]
    fn an_ask_is_sent_once_with_the_absolute_count() {
        let mut table = ContainerRequestTable::new();
        table.add(SMALL, 3);
        assert_eq!(
            send(&mut table),
            vec![Ask {
                priority: 1,
                spec: SMALL,
                count: 3
            }]
        );
        assert!(
            send(&mut table).is_empty(),
            "unchanged rows are not re-sent"
        );
        table.add(SMALL, 2);
        assert_eq!(
            send(&mut table)[0].count,
            5,
            "absolute count, not the increment"
        );
    }

    #[test]
    fn allocations_lower_the_remaining_count_without_a_new_ask() {
        let mut table = ContainerRequestTable::new();
        table.add(SMALL, 3);
        send(&mut table);
        assert_eq!(table.match_allocated(1), AllocationMatch::Requested(SMALL));
        assert_eq!(table.match_allocated(1), AllocationMatch::Requested(SMALL));
        assert_eq!(table.outstanding(), 1);
        assert!(
            table.pending_asks().is_empty(),
            "the RM decremented its own copy; re-sending would over-allocate"
        );
        // Asking for more sends the remaining count plus the new ones, never the original 3.
        table.add(SMALL, 1);
        assert_eq!(send(&mut table)[0].count, 2);
    }

    #[test]
    fn containers_beyond_the_wanted_count_are_surplus() {
        let mut table = ContainerRequestTable::new();
        table.add(SMALL, 1);
        send(&mut table);
        assert_eq!(table.match_allocated(1), AllocationMatch::Requested(SMALL));
        assert_eq!(table.match_allocated(1), AllocationMatch::Surplus);
        assert_eq!(
            table.match_allocated(7),
            AllocationMatch::Surplus,
            "unknown priority"
        );
        assert_eq!(table.outstanding(), 0);
        assert!(table.pending_asks().is_empty());
    }

    #[test]
    fn allocations_match_by_priority_even_when_normalized_upward() {
        let mut table = ContainerRequestTable::new();
        let small = table.add(SMALL, 1);
        let large = table.add(LARGE, 1);
        send(&mut table);
        // The RM rounds 1024 MiB up to, say, 2048 MiB; only the priority tells the row.
        assert_eq!(
            table.match_allocated(large),
            AllocationMatch::Requested(LARGE)
        );
        assert_eq!(
            table.match_allocated(small),
            AllocationMatch::Requested(SMALL)
        );
    }

    #[test]
    fn cancelling_sends_the_lowered_count_and_zero_withdraws_the_row() {
        let mut table = ContainerRequestTable::new();
        table.add(SMALL, 3);
        send(&mut table);
        assert_eq!(table.cancel(SMALL, 1), 1);
        assert_eq!(send(&mut table)[0].count, 2);
        assert_eq!(table.cancel(SMALL, 10), 2, "only what is outstanding");
        assert_eq!(send(&mut table)[0].count, 0, "0 withdraws the RM's row");
        assert_eq!(table.cancel(LARGE, 1), 0, "never requested");
        assert!(table.pending_asks().is_empty());
    }

    #[test]
    fn a_row_never_sent_and_not_wanted_is_not_sent() {
        let mut table = ContainerRequestTable::new();
        table.add(SMALL, 1);
        table.cancel(SMALL, 1);
        assert!(table.pending_asks().is_empty());
    }

    #[test]
    fn a_failed_allocate_leaves_the_asks_pending() {
        let mut table = ContainerRequestTable::new();
        table.add(SMALL, 2);
        let asks = table.pending_asks();
        // allocate failed: mark_sent is not called
        assert_eq!(table.pending_asks(), asks);
    }

    #[test]
    fn the_whole_table_is_resent_after_re_register() {
        let mut table = ContainerRequestTable::new();
        table.add(SMALL, 2);
        table.add(LARGE, 1);
        send(&mut table);
        table.match_allocated(2); // LARGE satisfied
        table.match_allocated(1); // one SMALL still wanted
        assert!(table.pending_asks().is_empty());
        table.mark_all_unsent();
        let asks = send(&mut table);
        assert_eq!(
            asks,
            vec![Ask {
                priority: 1,
                spec: SMALL,
                count: 1
            }],
            "every row still wanted, with its remaining count; satisfied rows stay quiet"
        );
        assert!(table.pending_asks().is_empty());
    }

    #[test]
    fn asks_marked_sent_reflect_the_count_that_was_sent_not_a_later_change() {
        let mut table = ContainerRequestTable::new();
        table.add(SMALL, 2);
        let asks = table.pending_asks();
        table.add(SMALL, 1); // changed while the allocate was in flight
        table.mark_sent(&asks);
        assert_eq!(table.pending_asks()[0].count, 3);
    }
}
