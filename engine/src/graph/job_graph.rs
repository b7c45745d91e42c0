//! [`JobGraph`]: the plan's operators chained into tasks.
//!
//! A node is chained to its input (runs in the same task, records passed by call) when the
//! edge between them is forward, the parallelisms are equal, the input has no other consumer,
//! the node has exactly one input and the edge need not be blocking. Otherwise the node heads
//! a new vertex and the edge becomes an exchange. Because a chained input has no other
//! consumer, a chain is a line and only its last node (the tail) has outgoing edges.
//!
//! ```text
//!   plan:   source ─fwd─▶ flat_map ─hash─▶ reduce ─fwd─▶ sink
//!   jobs:   [source → flat_map] ══hash══▶ [reduce → sink]
//! ```

use crate::graph::plan::{NodeId, NodeOperator, Plan, PlanEdge, ShipStrategy};

/// One chain of operators, run by `parallelism` subtasks.
#[derive(Clone)]
pub(crate) struct JobVertex {
    /// Plan nodes, head first.
    pub chain: Vec<NodeId>,
    pub parallelism: usize,
    /// Edges into the head, indexes into [`JobGraph::edges`].
    pub inputs: Vec<usize>,
    /// Edges out of the tail, indexes into [`JobGraph::edges`].
    pub outputs: Vec<usize>,
    /// A readable name: the chained operators' names joined by " -> ".
    pub name: String,
}

impl JobVertex {
    pub(crate) fn head(&self) -> NodeId {
        self.chain[0]
    }

    pub(crate) fn tail(&self) -> NodeId {
        *self.chain.last().expect("a vertex has at least one node")
    }
}

/// An exchange between two vertices.
#[derive(Clone)]
pub(crate) struct JobEdge {
    pub source: usize,
    pub target: usize,
    pub plan_edge: PlanEdge,
}

/// The vertices of a job in an order where every vertex comes after its inputs.
#[derive(Clone)]
pub(crate) struct JobGraph {
    pub vertices: Vec<JobVertex>,
    pub edges: Vec<JobEdge>,
}

impl JobGraph {
    /// Chains the nodes of `plan` reachable from `sinks`.
    pub(crate) fn build(plan: &Plan, sinks: &[NodeId]) -> JobGraph {
        let nodes = plan.reachable_from(sinks);
        let mut consumers = vec![0usize; plan.nodes.len()];
        for &node in &nodes {
            for edge in &plan.nodes[node].inputs {
                consumers[edge.source] += 1;
            }
        }
        let mut vertex_of: Vec<Option<usize>> = vec![None; plan.nodes.len()];
        let mut vertices: Vec<JobVertex> = Vec::new();
        for &node in &nodes {
            let plan_node = &plan.nodes[node];
            let chain_into = match (plan_node.inputs.as_slice(), &plan_node.operator) {
                ([edge], NodeOperator::OneInput(_))
                    if edge.ship == ShipStrategy::Forward
                        && !edge.force_blocking
                        && consumers[edge.source] == 1
                        && !plan.nodes[edge.source].is_sink
                        && plan.nodes[edge.source].parallelism == plan_node.parallelism =>
                {
                    vertex_of[edge.source]
                }
                _ => None,
            };
            match chain_into {
                Some(vertex) => {
                    vertices[vertex].chain.push(node);
                    vertex_of[node] = Some(vertex);
                }
                None => {
                    vertex_of[node] = Some(vertices.len());
                    vertices.push(JobVertex {
                        chain: vec![node],
                        parallelism: plan_node.parallelism,
                        inputs: Vec::new(),
                        outputs: Vec::new(),
                        name: String::new(),
                    });
                }
            }
        }
        let mut edges = Vec::new();
        for (target, vertex) in vertices.iter_mut().enumerate() {
            for edge in &plan.nodes[vertex.head()].inputs {
                let source = vertex_of[edge.source].expect("inputs are reachable");
                let mut plan_edge = edge.clone();
                if plan_edge.ship == ShipStrategy::Forward
                    && plan.nodes[edge.source].parallelism != vertex.parallelism
                {
                    // A parallelism changed after the edge was made: spread round robin.
                    plan_edge.ship = ShipStrategy::Rebalance;
                }
                vertex.inputs.push(edges.len());
                edges.push(JobEdge {
                    source,
                    target,
                    plan_edge,
                });
            }
            vertex.name = vertex
                .chain
                .iter()
                .map(|&node| plan.nodes[node].name.as_str())
                .collect::<Vec<_>>()
                .join(" -> ");
        }
        for (index, edge) in edges.iter().enumerate() {
            vertices[edge.source].outputs.push(index);
        }
        JobGraph { vertices, edges }
    }
}
