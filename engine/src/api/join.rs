//! [`JoinOperator`]: the join of two data sets on a key, with a strategy hint (Flink's
//! `JoinHint`), finished by a join function.
//!
//! | hint                    | shipping                         | local strategy               |
//! |-------------------------|----------------------------------|------------------------------|
//! | `BroadcastHashFirst`    | first broadcast, second forward  | hash join building first     |
//! | `BroadcastHashSecond`   | second broadcast, first forward  | hash join building second    |
//! | `RepartitionHashFirst`  | both hash-partitioned by key     | hash join building first     |
//! | `RepartitionHashSecond` | both hash-partitioned by key     | hash join building second    |
//! | `RepartitionSortMerge`  | both hash-partitioned by key     | sort both, merge             |
//! | `OptimizerChooses`      | from the inputs' size estimates (below)                         |
//!
//! The optimizer broadcasts a side whose estimated size times the parallelism is below the
//! other side's size, when the join type allows it (a broadcast side must not be an outer
//! side: its unmatched records would be emitted by every subtask); otherwise it repartitions
//! both and builds the hash table on the smaller side (the second when sizes are unknown).
//! Outer sides that would need an invalid broadcast are a program error, reported at execute.

use std::sync::Arc;

use crate::api::data::{Data, Key};
use crate::api::data_set::{DataSet, hash_partitioner, memory_use};
use crate::api::functions::{FlatJoinFunction, UserError};
use crate::graph::plan::ShipStrategy;
use crate::operators::join::JoinType;
use crate::runtime::collector::Output;
use crate::runtime::drivers::erased::TwoInput;
use crate::runtime::drivers::join_driver::{JoinSpec, LocalJoinStrategy, min_join_pages, run_join};
use crate::runtime::drivers::key_groups::KeyFn;
use crate::runtime::partitioner::Partitioner;

/// How a join runs (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinHint {
    #[default]
    OptimizerChooses,
    BroadcastHashFirst,
    BroadcastHashSecond,
    RepartitionHashFirst,
    RepartitionHashSecond,
    RepartitionSortMerge,
}

/// A join being defined: `left.join(&right, lk, rk).hint(..).with(|l, r| ..)`.
pub struct JoinOperator<L, R, K> {
    left: DataSet<L>,
    right: DataSet<R>,
    join_type: JoinType,
    left_key: KeyFn<L, K>,
    right_key: KeyFn<R, K>,
    hint: JoinHint,
    name: Option<String>,
}

impl<L, R, K> std::fmt::Debug for JoinOperator<L, R, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinOperator")
            .field("left", &self.left)
            .field("right", &self.right)
            .field("join_type", &self.join_type)
            .field("hint", &self.hint)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct JoinClosure<F>(F);

impl<L, R, U, F> FlatJoinFunction<L, R, U> for JoinClosure<F>
where
    F: FnMut(Option<&L>, Option<&R>, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
{
    #[inline]
    fn join(
        &mut self,
        left: Option<&L>,
        right: Option<&R>,
        out: &mut Output<'_, U>,
    ) -> Result<(), UserError> {
        (self.0)(left, right, out);
        Ok(())
    }
}

impl<L: Data + Sync, R: Data + Sync, K: Key> JoinOperator<L, R, K> {
    pub(crate) fn new(
        left: DataSet<L>,
        right: DataSet<R>,
        join_type: JoinType,
        left_key: KeyFn<L, K>,
        right_key: KeyFn<R, K>,
    ) -> JoinOperator<L, R, K> {
        JoinOperator {
            left,
            right,
            join_type,
            left_key,
            right_key,
            hint: JoinHint::OptimizerChooses,
            name: None,
        }
    }

    /// How to run the join (see the module docs).
    pub fn hint(mut self, hint: JoinHint) -> Self {
        self.hint = hint;
        self
    }

    /// Names the join operator.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Inner join: one output per matching pair.
    pub fn with<U: Data, F>(self, mut function: F) -> DataSet<U>
    where
        F: FnMut(&L, &R) -> U + Clone + Send + Sync + 'static,
    {
        if self.join_type != JoinType::Inner {
            self.left.env.add_problem(format!(
                "a {:?} join needs `with_outer` (its function sees unmatched records as None)",
                self.join_type
            ));
        }
        self.flat_with(
            move |left: Option<&L>, right: Option<&R>, out: &mut Output<'_, U>| {
                if let (Some(left), Some(right)) = (left, right) {
                    out.emit(function(left, right));
                }
            },
        )
    }

    /// Any join type: one output per pair, a side `None` for unmatched records of outer sides.
    pub fn with_outer<U: Data, F>(self, mut function: F) -> DataSet<U>
    where
        F: FnMut(Option<&L>, Option<&R>) -> U + Clone + Send + Sync + 'static,
    {
        self.flat_with(
            move |left: Option<&L>, right: Option<&R>, out: &mut Output<'_, U>| {
                out.emit(function(left, right));
            },
        )
    }

    /// Any number of outputs per pair.
    pub fn flat_with<U: Data, F>(self, function: F) -> DataSet<U>
    where
        F: FnMut(Option<&L>, Option<&R>, &mut Output<'_, U>) + Clone + Send + Sync + 'static,
    {
        self.with_function(JoinClosure(function))
    }

    /// With a join function struct (open/close hooks).
    pub fn with_function<U: Data, F: FlatJoinFunction<L, R, U>>(self, function: F) -> DataSet<U> {
        let (strategy, broadcast) = self.choose_strategy();
        let env_parallelism = self.left.env.parallelism();
        let (parallelism, first, second) = match broadcast {
            Some(Side::First) => {
                let parallelism = self.right.parallelism_of_node();
                (
                    parallelism,
                    self.left
                        .edge(0, ShipStrategy::Broadcast, Partitioner::Broadcast),
                    self.right.forward_edge(1, parallelism),
                )
            }
            Some(Side::Second) => {
                let parallelism = self.left.parallelism_of_node();
                (
                    parallelism,
                    self.left.forward_edge(0, parallelism),
                    self.right
                        .edge(1, ShipStrategy::Broadcast, Partitioner::Broadcast),
                )
            }
            None => (
                env_parallelism,
                self.left
                    .edge(0, ShipStrategy::Hash, hash_partitioner(&self.left_key)),
                self.right
                    .edge(1, ShipStrategy::Hash, hash_partitioner(&self.right_key)),
            ),
        };
        let spec = Arc::new(JoinSpec {
            join_type: self.join_type,
            strategy,
            left_key: Arc::clone(&self.left_key),
            right_key: Arc::clone(&self.right_key),
            function,
        });
        let operator = TwoInput::new(move |context, a, b, out| run_join(context, &spec, a, b, out));
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| format!("Join ({:?}, {strategy:?})", self.join_type));
        let estimate = self
            .left
            .estimated_bytes()
            .zip(self.right.estimated_bytes())
            .map(|(a, b)| a.max(b));
        self.left.two_input(
            name,
            parallelism,
            first,
            second,
            operator,
            memory_use(min_join_pages(strategy)),
            estimate,
        )
    }

    /// The local strategy and the broadcast side, from the hint or the estimates.
    fn choose_strategy(&self) -> (LocalJoinStrategy, Option<Side>) {
        let can_broadcast_first = matches!(self.join_type, JoinType::Inner | JoinType::RightOuter);
        let can_broadcast_second = matches!(self.join_type, JoinType::Inner | JoinType::LeftOuter);
        let refuse = |side: &str| {
            self.left.env.add_problem(format!(
                "a {:?} join cannot broadcast its {side} input: that input's unmatched records would be emitted by every subtask",
                self.join_type
            ));
        };
        match self.hint {
            JoinHint::BroadcastHashFirst => {
                if !can_broadcast_first {
                    refuse("first");
                }
                (LocalJoinStrategy::HashBuildFirst, Some(Side::First))
            }
            JoinHint::BroadcastHashSecond => {
                if !can_broadcast_second {
                    refuse("second");
                }
                (LocalJoinStrategy::HashBuildSecond, Some(Side::Second))
            }
            JoinHint::RepartitionHashFirst => (LocalJoinStrategy::HashBuildFirst, None),
            JoinHint::RepartitionHashSecond => (LocalJoinStrategy::HashBuildSecond, None),
            JoinHint::RepartitionSortMerge => (LocalJoinStrategy::SortMerge, None),
            JoinHint::OptimizerChooses => {
                let parallelism = self.left.env.parallelism() as u64;
                match (self.left.estimated_bytes(), self.right.estimated_bytes()) {
                    (Some(first), Some(second)) => {
                        if can_broadcast_second && second.saturating_mul(parallelism) < first {
                            (LocalJoinStrategy::HashBuildSecond, Some(Side::Second))
                        } else if can_broadcast_first && first.saturating_mul(parallelism) < second
                        {
                            (LocalJoinStrategy::HashBuildFirst, Some(Side::First))
                        } else if first < second {
                            (LocalJoinStrategy::HashBuildFirst, None)
                        } else {
                            (LocalJoinStrategy::HashBuildSecond, None)
                        }
                    }
                    _ => (LocalJoinStrategy::HashBuildSecond, None),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    First,
    Second,
}
