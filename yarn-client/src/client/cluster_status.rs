//! Typed views of the cluster-wide answers of `getClusterMetrics` and `getClusterNodes`, as
//! `weir yarn nodes` prints them.

use std::fmt;

use crate::error::YarnError;
use crate::proto::yarn_records::{NodeReportProto, YarnClusterMetricsProto};

/// Node manager counts by state (`YarnClusterMetricsProto`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterMetrics {
    pub node_managers: i32,
    pub active_node_managers: i32,
    pub decommissioned_node_managers: i32,
    pub decommissioning_node_managers: i32,
    pub lost_node_managers: i32,
    pub unhealthy_node_managers: i32,
    pub rebooted_node_managers: i32,
    pub shutdown_node_managers: i32,
}

impl ClusterMetrics {
    /// The view of the wire message; absent counts are 0.
    pub fn from_proto(proto: &YarnClusterMetricsProto) -> ClusterMetrics {
        ClusterMetrics {
            node_managers: proto.num_node_managers.unwrap_or(0),
            active_node_managers: proto.num_active_nms.unwrap_or(0),
            decommissioned_node_managers: proto.num_decommissioned_nms.unwrap_or(0),
            decommissioning_node_managers: proto.num_decommissioning_nms.unwrap_or(0),
            lost_node_managers: proto.num_lost_nms.unwrap_or(0),
            unhealthy_node_managers: proto.num_unhealthy_nms.unwrap_or(0),
            rebooted_node_managers: proto.num_rebooted_nms.unwrap_or(0),
            shutdown_node_managers: proto.num_shutdown_nms.unwrap_or(0),
        }
    }
}

/// `NodeStateProto`: the RM's view of one NodeManager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    New,
    Running,
    Unhealthy,
    Decommissioned,
    Lost,
    Rebooted,
    Decommissioning,
    Shutdown,
}

impl NodeState {
    /// Every state, in proto order.
    pub const ALL: [NodeState; 8] = [
        NodeState::New,
        NodeState::Running,
        NodeState::Unhealthy,
        NodeState::Decommissioned,
        NodeState::Lost,
        NodeState::Rebooted,
        NodeState::Decommissioning,
        NodeState::Shutdown,
    ];

    /// The proto enum number (`NS_NEW = 1` … `NS_SHUTDOWN = 8`).
    pub fn to_proto(self) -> i32 {
        match self {
            NodeState::New => 1,
            NodeState::Running => 2,
            NodeState::Unhealthy => 3,
            NodeState::Decommissioned => 4,
            NodeState::Lost => 5,
            NodeState::Rebooted => 6,
            NodeState::Decommissioning => 7,
            NodeState::Shutdown => 8,
        }
    }

    /// The state for a proto enum number, `None` for numbers this version does not know.
    pub fn from_proto(value: i32) -> Option<NodeState> {
        NodeState::ALL
            .into_iter()
            .find(|state| state.to_proto() == value)
    }

    /// Hadoop's name without the `NS_` prefix, as `yarn node -list` prints it.
    pub fn name(self) -> &'static str {
        match self {
            NodeState::New => "NEW",
            NodeState::Running => "RUNNING",
            NodeState::Unhealthy => "UNHEALTHY",
            NodeState::Decommissioned => "DECOMMISSIONED",
            NodeState::Lost => "LOST",
            NodeState::Rebooted => "REBOOTED",
            NodeState::Decommissioning => "DECOMMISSIONING",
            NodeState::Shutdown => "SHUTDOWN",
        }
    }

    /// Parses the name, with or without `NS_`, case-insensitively.
    pub fn from_name(name: &str) -> Option<NodeState> {
        let name = match name.get(..3) {
            Some(prefix) if prefix.eq_ignore_ascii_case("NS_") => &name[3..],
            _ => name,
        };
        NodeState::ALL
            .into_iter()
            .find(|state| state.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for NodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One NodeManager as the ResourceManager reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeReport {
    /// `host:port` of the NodeManager's IPC server (ContainerManagementProtocol).
    pub node_address: String,
    pub http_address: String,
    pub rack: String,
    /// `None` when the RM sent a state number this version does not know.
    pub state: Option<NodeState>,
    pub num_containers: i32,
    pub used_memory_mb: i64,
    pub used_vcores: i32,
    pub capability_memory_mb: i64,
    pub capability_vcores: i32,
    pub health_report: String,
    /// The report as received.
    pub raw: NodeReportProto,
}

impl NodeReport {
    /// The typed view of `raw`; `address` names the RM for errors.
    pub fn from_proto(raw: NodeReportProto, address: &str) -> Result<NodeReport, YarnError> {
        let node_id = raw
            .node_id
            .as_ref()
            .ok_or_else(|| YarnError::MissingResponseField {
                address: address.to_string(),
                method: "getClusterNodes",
                field: "nodeId",
            })?;
        let node_address = format!(
            "{}:{}",
            node_id.host.as_deref().unwrap_or_default(),
            node_id.port.unwrap_or(0)
        );
        let used = raw.used.clone().unwrap_or_default();
        let capability = raw.capability.clone().unwrap_or_default();
        Ok(NodeReport {
            node_address,
            http_address: raw.http_address.clone().unwrap_or_default(),
            rack: raw.rack_name.clone().unwrap_or_default(),
            state: raw.node_state.and_then(NodeState::from_proto),
            num_containers: raw.num_containers.unwrap_or(0),
            used_memory_mb: used.memory.unwrap_or(0),
            used_vcores: used.virtual_cores.unwrap_or(0),
            capability_memory_mb: capability.memory.unwrap_or(0),
            capability_vcores: capability.virtual_cores.unwrap_or(0),
            health_report: raw.health_report.clone().unwrap_or_default(),
            raw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::yarn_records::{NodeIdProto, ResourceProto};

    #[test]
    fn node_states_round_trip() {
        for state in NodeState::ALL {
            assert_eq!(NodeState::from_proto(state.to_proto()), Some(state));
            assert_eq!(NodeState::from_name(state.name()), Some(state));
        }
        assert_eq!(NodeState::from_name("ns_running"), Some(NodeState::Running));
        assert_eq!(NodeState::from_proto(0), None);
    }

    #[test]
    fn node_report_view_reads_address_resources_and_state() {
        let raw = NodeReportProto {
            node_id: Some(NodeIdProto {
                host: Some("nm1".to_string()),
                port: Some(45454),
            }),
            http_address: Some("nm1:8042".to_string()),
            rack_name: Some("/default-rack".to_string()),
            used: Some(ResourceProto {
                memory: Some(2048),
                virtual_cores: Some(2),
                ..Default::default()
            }),
            capability: Some(ResourceProto {
                memory: Some(8192),
                virtual_cores: Some(8),
                ..Default::default()
            }),
            num_containers: Some(2),
            node_state: Some(2),
            ..Default::default()
        };
        let report = NodeReport::from_proto(raw, "rm:8032").unwrap();
        assert_eq!(report.node_address, "nm1:45454");
        assert_eq!(report.state, Some(NodeState::Running));
        assert_eq!((report.used_memory_mb, report.capability_vcores), (2048, 8));
        let error = NodeReport::from_proto(NodeReportProto::default(), "rm:8032").unwrap_err();
        assert!(error.to_string().contains("nodeId"), "{error}");
    }

    #[test]
    fn metrics_default_absent_counts_to_zero() {
        let metrics = ClusterMetrics::from_proto(&YarnClusterMetricsProto {
            num_node_managers: Some(3),
            num_active_nms: Some(2),
            num_lost_nms: Some(1),
            ..Default::default()
        });
        assert_eq!(metrics.node_managers, 3);
        assert_eq!(metrics.active_node_managers, 2);
        assert_eq!(metrics.lost_node_managers, 1);
        assert_eq!(metrics.unhealthy_node_managers, 0);
    }
}
