//! The streaming plan: [`StreamGraph`] (one [`StreamNode`] per operator of a DataStream
//! program) and its chaining into [`StreamJobGraph`] (one [`StreamVertex`] per task kind).
//!
//! Like the batch plan, the graph is untyped: typed operators hide behind object-safe
//! factories that pass typed values as `Box<dyn Any>` (a `Box<dyn ChainLink<T>>` downstream),
//! and the DataStream API builds nodes and edges with matching types.
//!
//! **Chaining** (Flink's rules): a node joins its input's chain when it has exactly one input
//! edge, the edge is forward (asked for, or by default), both have the same parallelism, and neither side disabled
//! chaining. A chain is a tree: an operator may feed several chained operators (and network
//! edges) at once; its output fans out through a tee.
//!
//! ```text
//!   source ─fwd─▶ map ─fwd─▶ filter ─hash─▶ window ─fwd─▶ sink        (p = 2 everywhere)
//!   └──────── vertex 0 (chain) ──────┘      └─── vertex 1 ──────┘
//! ```
//!
//! **Exchanges** are all-to-all: every producer subtask has one subpartition per consumer
//! subtask and every consumer reads all producers; the partitioner decides which subpartition
//! a record goes to (forward: the producer's own index). Watermarks, idleness and barriers go
//! to every subpartition.

use std::any::Any;
use std::sync::Arc;

use crate::error::WeirError;
use crate::runtime::network::{InputGate, ResultPartition};
use crate::runtime::stream::chain_link::OperatorSetup;
use crate::runtime::stream::side_output::SideOutput;
use crate::runtime::stream::source_driver::SourceDriver;
use crate::runtime::stream::task_input::TaskInput;
use crate::runtime::stream::writer_link::WriterContext;

/// Index of a node in [`StreamGraph::nodes`].
pub(crate) type StreamNodeId = usize;

/// A typed value behind `dyn Any`, living on one task thread (chain links are not `Send`: a
/// task creates its operators on its own thread).
pub(crate) type LinkBox = Box<dyn Any>;

/// Side outputs of an operator subtask: tag id ──▶ its links.
pub(crate) type SideOutputs = Vec<(String, Box<dyn SideOutput>)>;

/// How records of an edge are spread over the consumer's subtasks.
#[derive(Clone)]
pub(crate) enum StreamPartitioning {
    /// No partitioning asked for: forward (and chained) at equal parallelism, rebalance
    /// otherwise (Flink's default).
    Default,
    /// `forward()`: producer subtask i to consumer subtask i; needs equal parallelism.
    Forward,
    /// By key group of the record's key (keyBy). The typed partitioner of this and of `Custom`
    /// lives in the edge's exchange factory.
    Hash,
    /// Round robin over all consumers.
    Rebalance,
    /// Round robin over the consumers "near" the producer (Flink's rescale).
    Rescale,
    /// Every record to every consumer.
    Broadcast,
    /// Everything to consumer 0.
    Global,
    /// A user partitioner.
    Custom,
}

impl StreamPartitioning {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            StreamPartitioning::Default | StreamPartitioning::Forward => "FORWARD",
            StreamPartitioning::Hash => "HASH",
            StreamPartitioning::Rebalance => "REBALANCE",
            StreamPartitioning::Rescale => "RESCALE",
            StreamPartitioning::Broadcast => "BROADCAST",
            StreamPartitioning::Global => "GLOBAL",
            StreamPartitioning::Custom => "CUSTOM",
        }
    }
}

/// Makes the source operator of one subtask.
pub(crate) trait SourceNodeFactory: Send + Sync {
    /// The source of subtask `setup.subtask`, emitting into `output` (`Box<dyn ChainLink<T>>`).
    fn create(
        &self,
        setup: &OperatorSetup,
        output: LinkBox,
    ) -> Result<Box<dyn SourceDriver>, WeirError>;
}

/// Makes a one-input operator of one subtask.
pub(crate) trait OperatorNodeFactory: Send + Sync {
    /// The operator's input (`Box<dyn ChainLink<In>>`) emitting into `output`
    /// (`Box<dyn ChainLink<Out>>`) and `side_outputs`.
    fn create(
        &self,
        setup: &OperatorSetup,
        output: LinkBox,
        side_outputs: SideOutputs,
    ) -> Result<LinkBox, WeirError>;

    /// Runs once before the job starts with the node's parallelism (a file sink checks and
    /// prepares its output path here).
    fn prepare(&self, _parallelism: usize) -> Result<(), WeirError> {
        Ok(())
    }
}

/// Typed glue for a node's output type `T`.
pub(crate) trait StreamOutputFactory: Send + Sync {
    /// One `Box<dyn ChainLink<T>>` feeding all `targets` (each a `Box<dyn ChainLink<T>>`); a
    /// link that drops records (and passes nothing on) when there are none.
    fn fan_out(&self, targets: Vec<LinkBox>) -> LinkBox;

    /// The same fan-out as a side output of records `T`.
    fn side_output(&self, targets: Vec<LinkBox>) -> Box<dyn SideOutput>;
}

/// Makes both ends of an exchange for one record type.
pub(crate) trait StreamExchangeFactory: Send + Sync {
    /// A `Box<dyn ChainLink<T>>` that serializes into `partition` as `partitioning` says.
    fn writer(
        &self,
        partition: Arc<ResultPartition>,
        context: WriterContext,
    ) -> Result<LinkBox, WeirError>;

    /// The task input reading `gate` into `head` (a `Box<dyn ChainLink<T>>`), aligning
    /// checkpoint barriers when `exactly_once`.
    fn input(&self, gate: InputGate, head: LinkBox, exactly_once: bool) -> Box<dyn TaskInput>;
}

/// The operator of a node.
#[derive(Clone)]
pub(crate) enum StreamOperatorKind {
    Source(Arc<dyn SourceNodeFactory>),
    OneInput(Arc<dyn OperatorNodeFactory>),
}

/// An input edge of a node.
#[derive(Clone)]
pub(crate) struct StreamEdge {
    pub source: StreamNodeId,
    /// The edge carries this side output of `source` instead of its main output.
    pub side_output: Option<String>,
    pub partitioning: StreamPartitioning,
    pub exchange: Arc<dyn StreamExchangeFactory>,
}

/// One operator of a streaming program.
#[derive(Clone)]
pub(crate) struct StreamNode {
    pub name: String,
    /// Set by the program (`.uid(..)`); otherwise derived from the node's position.
    pub uid: Option<String>,
    pub parallelism: usize,
    pub inputs: Vec<StreamEdge>,
    pub operator: StreamOperatorKind,
    pub output: Arc<dyn StreamOutputFactory>,
    /// Typed glue for each side output this node has: tag id ──▶ fan-out of that type.
    pub side_output_types: Vec<(String, Arc<dyn StreamOutputFactory>)>,
    /// `disable_chaining()` / `start_new_chain()`.
    pub chain_to_input: bool,
    pub chain_from_here: bool,
    /// A sink: kept when the program executes.
    pub is_sink: bool,
    /// A union: a pass-through of its inputs (see [`StreamGraph::with_unions_resolved`]).
    pub is_union: bool,
}

impl StreamNode {
    /// The uid state is stored under: the program's, or one from the node's position and name.
    pub(crate) fn state_uid(&self, id: StreamNodeId) -> String {
        match &self.uid {
            Some(uid) => uid.clone(),
            None => format!("{id}-{}", self.name),
        }
    }
}

/// The operators of a streaming program, in definition order (inputs first).
#[derive(Clone, Default)]
pub(crate) struct StreamGraph {
    pub nodes: Vec<StreamNode>,
}

impl StreamGraph {
    pub(crate) fn add(&mut self, node: StreamNode) -> StreamNodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// The graph with every partitioned read of a union (`a.union(&b).key_by(..)`, a
    /// rebalance, …) turned into reads of the union's inputs with that partitioning, as Flink's
    /// virtual union does: the records go from each input straight to the consumer instead of
    /// through the union's task and a second network hop. A consumer that reads a union
    /// forward (default) is chained to it, so the union costs nothing there and stays.
    /// Node ids do not change; a union nobody reads any more is dropped with the unreachable
    /// nodes.
    pub(crate) fn with_unions_resolved(&self) -> StreamGraph {
        let mut resolved = self.clone();
        // Definition order: a union's inputs are resolved before anything reads the union.
        for id in 0..resolved.nodes.len() {
            let inputs = std::mem::take(&mut resolved.nodes[id].inputs);
            let mut expanded = Vec::with_capacity(inputs.len());
            for edge in inputs {
                let source = &resolved.nodes[edge.source];
                let partitioned = !matches!(
                    edge.partitioning,
                    StreamPartitioning::Default | StreamPartitioning::Forward
                );
                if source.is_union && edge.side_output.is_none() && partitioned {
                    expanded.extend(source.inputs.iter().map(|input| StreamEdge {
                        source: input.source,
                        side_output: input.side_output.clone(),
                        partitioning: edge.partitioning.clone(),
                        exchange: Arc::clone(&edge.exchange),
                    }));
                } else {
                    expanded.push(edge);
                }
            }
            resolved.nodes[id].inputs = expanded;
        }
        resolved
    }

    /// The nodes the sinks depend on, in definition order.
    pub(crate) fn reachable_from_sinks(&self) -> Vec<StreamNodeId> {
        let mut needed = vec![false; self.nodes.len()];
        let mut stack: Vec<StreamNodeId> = (0..self.nodes.len())
            .filter(|&node| self.nodes[node].is_sink)
            .collect();
        while let Some(node) = stack.pop() {
            if !needed[node] {
                needed[node] = true;
                stack.extend(self.nodes[node].inputs.iter().map(|edge| edge.source));
            }
        }
        (0..self.nodes.len()).filter(|&node| needed[node]).collect()
    }
}

/// One task kind: a chain of nodes (a tree rooted at `head`), run by `parallelism` subtasks.
#[derive(Debug, Clone)]
pub(crate) struct StreamVertex {
    pub head: StreamNodeId,
    /// Every node of the chain, head first, in definition order.
    pub nodes: Vec<StreamNodeId>,
    pub parallelism: usize,
    pub name: String,
}

/// A network edge between two vertices.
#[derive(Clone)]
pub(crate) struct StreamJobEdge {
    pub source_vertex: usize,
    pub source_node: StreamNodeId,
    pub target_vertex: usize,
    pub edge: StreamEdge,
}

/// The chained graph. See the module docs.
#[derive(Clone)]
pub(crate) struct StreamJobGraph {
    pub vertices: Vec<StreamVertex>,
    pub edges: Vec<StreamJobEdge>,
}

impl StreamJobGraph {
    pub(crate) fn build(graph: &StreamGraph) -> Result<StreamJobGraph, WeirError> {
        let nodes = graph.reachable_from_sinks();
        if nodes.is_empty() {
            return Err(WeirError::NoSinks);
        }
        let mut vertex_of: Vec<Option<usize>> = vec![None; graph.nodes.len()];
        let mut vertices: Vec<StreamVertex> = Vec::new();
        for &id in &nodes {
            let node = &graph.nodes[id];
            let chain_into = match node.inputs.as_slice() {
                [edge]
                    if matches!(
                        edge.partitioning,
                        StreamPartitioning::Default | StreamPartitioning::Forward
                    ) && node.chain_to_input
                        && !node.chain_from_here
                        && graph.nodes[edge.source].parallelism == node.parallelism
                        && matches!(node.operator, StreamOperatorKind::OneInput(_)) =>
                {
                    vertex_of[edge.source]
                }
                _ => None,
            };
            match chain_into {
                Some(vertex) => {
                    vertices[vertex].nodes.push(id);
                    vertex_of[id] = Some(vertex);
                }
                None => {
                    vertex_of[id] = Some(vertices.len());
                    vertices.push(StreamVertex {
                        head: id,
                        nodes: vec![id],
                        parallelism: node.parallelism,
                        name: String::new(),
                    });
                }
            }
        }
        for vertex in &mut vertices {
            let names: Vec<&str> = vertex
                .nodes
                .iter()
                .map(|&id| graph.nodes[id].name.as_str())
                .collect();
            vertex.name = names.join(" -> ");
        }
        let mut edges = Vec::new();
        for (target_vertex, vertex) in vertices.iter().enumerate() {
            for &id in &vertex.nodes {
                for edge in &graph.nodes[id].inputs {
                    let source_vertex = vertex_of[edge.source].expect("inputs are reachable");
                    if source_vertex == target_vertex {
                        continue; // chained
                    }
                    if matches!(edge.partitioning, StreamPartitioning::Forward)
                        && vertices[source_vertex].parallelism != vertex.parallelism
                    {
                        return Err(WeirError::ForwardParallelismMismatch {
                            upstream: graph.nodes[edge.source].name.clone(),
                            upstream_parallelism: vertices[source_vertex].parallelism,
                            downstream: graph.nodes[id].name.clone(),
                            downstream_parallelism: vertex.parallelism,
                        });
                    }
                    debug_assert_eq!(id, vertex.head, "only a chain's head has network inputs");
                    edges.push(StreamJobEdge {
                        source_vertex,
                        source_node: edge.source,
                        target_vertex,
                        edge: edge.clone(),
                    });
                }
            }
        }
        Ok(StreamJobGraph { vertices, edges })
    }

    /// The nodes of `vertex` fed (by chaining) from `node`'s main output or side output `tag`.
    pub(crate) fn chained_consumers(
        &self,
        graph: &StreamGraph,
        vertex: usize,
        node: StreamNodeId,
        tag: Option<&str>,
    ) -> Vec<StreamNodeId> {
        self.vertices[vertex]
            .nodes
            .iter()
            .copied()
            .filter(|&consumer| {
                consumer != self.vertices[vertex].head
                    && graph.nodes[consumer]
                        .inputs
                        .iter()
                        .any(|edge| edge.source == node && edge.side_output.as_deref() == tag)
            })
            .collect()
    }

    /// The network edges leaving `node` (main output or side output `tag`).
    pub(crate) fn network_outputs(&self, node: StreamNodeId, tag: Option<&str>) -> Vec<usize> {
        (0..self.edges.len())
            .filter(|&index| {
                let edge = &self.edges[index];
                edge.source_node == node && edge.edge.side_output.as_deref() == tag
            })
            .collect()
    }
}

/// A typed value behind `dyn Any` that failed to downcast: a bug in Weir's glue.
pub(crate) fn downcast<T: Any>(value: LinkBox, what: &str) -> Box<T> {
    value
        .downcast::<T>()
        .unwrap_or_else(|_| panic!("{what}: the stream graph wired mismatched types"))
}
