//! The logical plan: one [`PlanNode`] per operator of a program, connected by [`PlanEdge`]s.
//!
//! The DataSet API is typed; the plan is not. Each node holds its operator behind one of three
//! object-safe traits ([`SourceNode`], [`OneInputNode`], [`TwoInputNode`]) whose methods pass
//! typed values as `Box<dyn Any>`: a `Box<dyn Collector<T>>` downstream, a
//! `Box<dyn RecordSource<T>>` upstream. The typed implementations (in `crate::runtime::drivers`)
//! downcast them back; the API builds nodes and edges with matching types, so a failed
//! downcast is a bug in Weir, not in a program.
//!
//! An edge carries its [`ShipStrategy`] and an [`ExchangeFactory`] typed on the records it
//! carries: it makes the writer on the producing side and the reader on the consuming side.

use std::any::Any;
use std::sync::Arc;

use crate::error::WeirError;
use crate::runtime::network::{InputGate, ResultPartition};
use crate::runtime::operator_context::{MetricsSlot, OperatorContext};

/// A typed value behind `dyn Any` (see the module docs).
pub(crate) type AnyBox = Box<dyn Any + Send>;

/// Index of a node in [`Plan::nodes`].
pub(crate) type NodeId = usize;

/// How records travel from one operator's subtasks to the next one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShipStrategy {
    /// Subtask i to subtask i (equal parallelism).
    Forward,
    /// By a hash of the key.
    Hash,
    /// By key ranges from sampled boundaries.
    Range,
    /// Every record to every subtask.
    Broadcast,
    /// Round robin.
    Rebalance,
    /// By a user partitioner.
    Custom,
}

impl ShipStrategy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ShipStrategy::Forward => "FORWARD",
            ShipStrategy::Hash => "HASH",
            ShipStrategy::Range => "RANGE",
            ShipStrategy::Broadcast => "BROADCAST",
            ShipStrategy::Rebalance => "REBALANCE",
            ShipStrategy::Custom => "CUSTOM",
        }
    }
}

/// Makes both ends of an exchange for one record type.
pub(crate) trait ExchangeFactory: Send + Sync {
    /// A `Box<dyn Collector<T>>` writing into `partition` (of `subpartitions`) of producer
    /// `subtask`.
    fn writer(
        &self,
        partition: Arc<ResultPartition>,
        subpartitions: usize,
        subtask: usize,
        operator: &str,
    ) -> Result<AnyBox, WeirError>;

    /// A `Box<dyn RecordSource<T>>` reading `gate`.
    fn reader(&self, gate: InputGate) -> AnyBox;
}

/// Typed glue for a node's output type.
pub(crate) trait OutputFactory: Send + Sync {
    /// One `Box<dyn Collector<T>>` feeding all `targets` (each a `Box<dyn Collector<T>>`); a
    /// discarding one when there are none. It counts the records into `slot`'s
    /// `records_out`.
    fn fan_out(&self, targets: Vec<AnyBox>, slot: MetricsSlot) -> AnyBox;
}

/// An operator that reads from outside the job (files, collections, generators).
pub(crate) trait SourceNode: Send + Sync {
    /// Decides what each of `parallelism` subtasks reads (one `Box<dyn Any>` per subtask). Runs
    /// once before the job starts, so a missing input fails the job before anything runs.
    fn plan_work(&self, parallelism: usize) -> Result<Vec<AnyBox>, WeirError>;

    /// Reads this subtask's `work` into `out` (a `Box<dyn Collector<T>>`), then finishes it.
    fn run(
        &self,
        context: &mut OperatorContext,
        work: AnyBox,
        out: AnyBox,
    ) -> Result<(), WeirError>;
}

/// An operator with one input: chained by call, or at the head of a task reading a gate.
pub(crate) trait OneInputNode: Send + Sync {
    /// The operator's input collector (`Box<dyn Collector<In>>`) emitting into `out`
    /// (`Box<dyn Collector<Out>>`).
    fn create(&self, context: &mut OperatorContext, out: AnyBox) -> Result<AnyBox, WeirError>;

    /// Reads every record of `input` (`Box<dyn RecordSource<In>>`) into `collector` (from
    /// [`OneInputNode::create`]) and finishes it.
    fn pump(
        &self,
        context: &OperatorContext,
        input: AnyBox,
        collector: AnyBox,
    ) -> Result<(), WeirError>;

    /// Runs once before the job starts with the node's parallelism (a file sink checks and
    /// prepares its output path here).
    fn prepare(&self, _parallelism: usize) -> Result<(), WeirError> {
        Ok(())
    }

    /// Runs once after the job ended: a file sink commits its part files when every task
    /// `succeeded`, and deletes them otherwise.
    fn end_job(&self, _succeeded: bool) -> Result<(), WeirError> {
        Ok(())
    }
}

/// An operator with two inputs (joins, co-group, cross). It decides the order in which it
/// reads them.
pub(crate) trait TwoInputNode: Send + Sync {
    fn run(
        &self,
        context: &mut OperatorContext,
        first: AnyBox,
        second: AnyBox,
        out: AnyBox,
    ) -> Result<(), WeirError>;
}

/// The operator of a node.
#[derive(Clone)]
pub(crate) enum NodeOperator {
    Source(Arc<dyn SourceNode>),
    OneInput(Arc<dyn OneInputNode>),
    TwoInput(Arc<dyn TwoInputNode>),
}

/// Managed memory an operator wants from its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryUse {
    /// Share among the memory users of the slot (Flink's operator weights).
    pub weight: u32,
    /// Fewest pages it can work in; below that the job does not start.
    pub min_pages: usize,
}

/// An input of a node.
#[derive(Clone)]
pub(crate) struct PlanEdge {
    pub source: NodeId,
    /// Which input of the target (0, or 1 for the second input of a two-input operator).
    pub input: usize,
    pub ship: ShipStrategy,
    pub exchange: Arc<dyn ExchangeFactory>,
    /// The exchange must be blocking whatever the shuffle mode (range sampling).
    pub force_blocking: bool,
}

/// One operator of the plan.
#[derive(Clone)]
pub(crate) struct PlanNode {
    pub name: String,
    pub parallelism: usize,
    pub inputs: Vec<PlanEdge>,
    pub operator: NodeOperator,
    pub output: Arc<dyn OutputFactory>,
    pub memory: Option<MemoryUse>,
    /// Estimated output bytes (join strategy choice), when known.
    pub estimated_bytes: Option<u64>,
    /// A sink: the end of a branch, kept when the plan is executed.
    pub is_sink: bool,
}

/// The operators of a program, in the order they were defined (inputs come first).
#[derive(Clone, Default)]
pub(crate) struct Plan {
    pub nodes: Vec<PlanNode>,
}

impl Plan {
    pub(crate) fn add(&mut self, node: PlanNode) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// The nodes the given sinks depend on (themselves included), in definition order.
    pub(crate) fn reachable_from(&self, sinks: &[NodeId]) -> Vec<NodeId> {
        let mut needed = vec![false; self.nodes.len()];
        let mut stack: Vec<NodeId> = sinks.to_vec();
        while let Some(node) = stack.pop() {
            if !needed[node] {
                needed[node] = true;
                stack.extend(self.nodes[node].inputs.iter().map(|edge| edge.source));
            }
        }
        (0..self.nodes.len()).filter(|&node| needed[node]).collect()
    }
}
