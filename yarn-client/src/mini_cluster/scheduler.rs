//! The mini cluster's scheduler: node capacities, each attempt's table of outstanding asks, and
//! the placement decisions. It knows nothing about tokens, processes or protocol messages; the
//! ResourceManager turns each [`Placement`] into a container.
//!
//! Ask table (per attempt; YARN's `AppSchedulingInfo`): keyed by
//! `(priority, allocation_request_id, resource_name)`, each `allocate` call **replaces** the
//! entries it names (`num_containers` is the absolute count still wanted; 0 deletes the entry).
//! Only the `*` (ANY) entries drive allocation; host and rack entries are kept (so a client may
//! send them) but this single-rack cluster places containers on any node.
//!
//! ```text
//!   schedule():  for attempt in FIFO order (application id, then attempt id)
//!                  AM container request first (managed AMs), then
//!                  ANY entries by priority (lower number first), allocation_request_id
//!                    while num_containers > 0 and some node has the memory:
//!                      place on the node with the most free memory; num_containers -= 1
//! ```
//!
//! Only memory is scheduled (YARN's default resource calculator): asks are validated against
//! the maximum allocation in memory and vcores, normalized to a multiple of the minimum
//! allocation, and given one vcore. An ask that fits no node right now simply waits; there are
//! no reservations or preemption.

use std::collections::BTreeMap;

use crate::ids::ApplicationAttemptId;
use crate::mini_cluster::resource::Resource;

/// `ResourceRequest.ANY`.
pub const ANY: &str = "*";

/// Key of an ask table entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AskKey {
    pub priority: i32,
    pub allocation_request_id: i64,
    pub resource_name: String,
}

/// One ask table entry (the parts of a `ResourceRequestProto` the scheduler uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// The normalized size of each container.
    pub capability: Resource,
    /// Containers still wanted.
    pub num_containers: i32,
    pub relax_locality: bool,
}

/// A placement decision: one container of `resource` on node `node` for `attempt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub attempt: ApplicationAttemptId,
    pub node: usize,
    pub resource: Resource,
    pub priority: i32,
    pub allocation_request_id: i64,
    /// The attempt's AM container (managed AMs only).
    pub is_am_container: bool,
}

#[derive(Debug)]
struct SchedulerNode {
    capability: Resource,
    used: Resource,
    containers: usize,
}

#[derive(Debug, Default)]
struct SchedulerApp {
    /// The AM container still to place, with its priority (YARN uses priority 0).
    am_request: Option<(Resource, i32)>,
    asks: BTreeMap<AskKey, Ask>,
}

/// Node bookkeeping, ask tables and placement.
#[derive(Debug)]
pub struct Scheduler {
    nodes: Vec<SchedulerNode>,
    minimum_mb: i64,
    configured_maximum: Resource,
    apps: BTreeMap<ApplicationAttemptId, SchedulerApp>,
}

impl Scheduler {
    /// A scheduler over `node_count` identical nodes.
    pub fn new(
        node_count: usize,
        node_capability: Resource,
        minimum_mb: i64,
        configured_maximum: Resource,
    ) -> Scheduler {
        let nodes = (0..node_count)
            .map(|_| SchedulerNode {
                capability: node_capability,
                used: Resource::default(),
                containers: 0,
            })
            .collect();
        Scheduler {
            nodes,
            minimum_mb,
            configured_maximum,
            apps: BTreeMap::new(),
        }
    }

    /// The largest container the scheduler hands out: the configured maximum, lowered to the
    /// largest node (YARN's "maximum allowed allocation … based on registered NodeManagers").
    pub fn maximum_allocation(&self) -> Resource {
        let largest_memory = self.nodes.iter().map(|n| n.capability.memory_mb).max();
        let largest_vcores = self.nodes.iter().map(|n| n.capability.vcores).max();
        Resource::new(
            largest_memory.map_or(self.configured_maximum.memory_mb, |m| {
                m.min(self.configured_maximum.memory_mb)
            }),
            largest_vcores.map_or(self.configured_maximum.vcores, |v| {
                v.min(self.configured_maximum.vcores)
            }),
        )
    }

    /// The size a container asked as `asked` gets.
    pub fn normalize(&self, asked: &Resource) -> Resource {
        Resource::normalize(asked, self.minimum_mb, self.maximum_allocation().memory_mb)
    }

    /// YARN's `SchedulerUtils.validateResourceRequest`: the message of the
    /// `InvalidResourceRequestException` for an ask below zero or above the maximum.
    pub fn validate(&self, asked: &Resource) -> Result<(), String> {
        let maximum = self.maximum_allocation();
        let checks = [
            ("memory-mb", asked.memory_mb, maximum.memory_mb),
            ("vcores", i64::from(asked.vcores), i64::from(maximum.vcores)),
        ];
        for (kind, value, max) in checks {
            if value < 0 {
                return Err(format!(
                    "Invalid resource request! Cannot allocate containers as requested \
                     resource is less than 0! Requested resource type=[{kind}], \
                     Requested resource={asked}"
                ));
            }
            if value > max {
                return Err(format!(
                    "Invalid resource request! Cannot allocate containers as requested \
                     resource is greater than maximum allowed allocation. Requested resource \
                     type=[{kind}], Requested resource={asked}, maximum allowed \
                     allocation={maximum}, please note that maximum allowed allocation is \
                     calculated by scheduler based on maximum resource of registered \
                     NodeManagers, which might be less than configured maximum \
                     allocation={}",
                    self.configured_maximum
                ));
            }
        }
        Ok(())
    }

    /// Registers an attempt; `am_request` is the AM container to place for a managed AM.
    pub fn add_attempt(
        &mut self,
        attempt: ApplicationAttemptId,
        am_request: Option<(Resource, i32)>,
    ) {
        self.apps.insert(
            attempt,
            SchedulerApp {
                am_request: am_request.map(|(r, p)| (self.normalize(&r), p)),
                asks: BTreeMap::new(),
            },
        );
    }

    /// Forgets an attempt's outstanding asks (its containers are released one by one).
    pub fn remove_attempt(&mut self, attempt: &ApplicationAttemptId) {
        self.apps.remove(attempt);
    }

    /// Applies one `allocate` call's asks with replace semantics. Capabilities must have been
    /// validated; they are normalized here.
    pub fn update_asks(
        &mut self,
        attempt: &ApplicationAttemptId,
        asks: impl IntoIterator<Item = (AskKey, Resource, i32, bool)>,
    ) {
        let normalized: Vec<_> = asks
            .into_iter()
            .map(|(key, capability, num, relax)| (key, self.normalize(&capability), num, relax))
            .collect();
        let Some(app) = self.apps.get_mut(attempt) else {
            return;
        };
        for (key, capability, num_containers, relax_locality) in normalized {
            if num_containers <= 0 {
                app.asks.remove(&key);
            } else {
                app.asks.insert(
                    key,
                    Ask {
                        capability,
                        num_containers,
                        relax_locality,
                    },
                );
            }
        }
    }

    /// The outstanding ask table of an attempt (for tests and diagnostics).
    pub fn asks(&self, attempt: &ApplicationAttemptId) -> Vec<(AskKey, Ask)> {
        self.apps
            .get(attempt)
            .map(|app| {
                app.asks
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Memory still wanted by an attempt's ANY asks (`needed_resources` in reports).
    pub fn pending(&self, attempt: &ApplicationAttemptId) -> Resource {
        let Some(app) = self.apps.get(attempt) else {
            return Resource::default();
        };
        let mut total = app.am_request.map(|(r, _)| r).unwrap_or_default();
        for (key, ask) in &app.asks {
            if key.resource_name == ANY {
                let n = i64::from(ask.num_containers);
                total = total.plus(&Resource::new(
                    ask.capability.memory_mb.saturating_mul(n),
                    ask.capability.vcores.saturating_mul(ask.num_containers),
                ));
            }
        }
        total
    }

    /// Places every container that fits now, in FIFO order.
    pub fn schedule(&mut self) -> Vec<Placement> {
        let mut placements = Vec::new();
        let attempts: Vec<ApplicationAttemptId> = self.apps.keys().copied().collect();
        for attempt in attempts {
            if let Some((resource, priority)) = self.apps.get(&attempt).and_then(|a| a.am_request) {
                match self.place(&resource) {
                    Some(node) => {
                        if let Some(app) = self.apps.get_mut(&attempt) {
                            app.am_request = None;
                        }
                        placements.push(Placement {
                            attempt,
                            node,
                            resource,
                            priority,
                            allocation_request_id: -1,
                            is_am_container: true,
                        });
                    }
                    // The AM goes first: no task containers before it runs.
                    None => continue,
                }
            }
            let keys: Vec<AskKey> = match self.apps.get(&attempt) {
                Some(app) => app
                    .asks
                    .keys()
                    .filter(|k| k.resource_name == ANY)
                    .cloned()
                    .collect(),
                None => continue,
            };
            for key in keys {
                loop {
                    let capability = match self.apps.get(&attempt).and_then(|a| a.asks.get(&key)) {
                        Some(ask) if ask.num_containers > 0 => ask.capability,
                        _ => break,
                    };
                    let Some(node) = self.place(&capability) else {
                        break;
                    };
                    if let Some(app) = self.apps.get_mut(&attempt)
                        && let Some(ask) = app.asks.get_mut(&key)
                    {
                        ask.num_containers -= 1;
                        if ask.num_containers == 0 {
                            app.asks.remove(&key);
                        }
                    }
                    placements.push(Placement {
                        attempt,
                        node,
                        resource: capability,
                        priority: key.priority,
                        allocation_request_id: key.allocation_request_id,
                        is_am_container: false,
                    });
                }
            }
        }
        placements
    }

    /// Returns a finished container's resources to its node.
    pub fn release(&mut self, node: usize, resource: &Resource) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.used = n.used.minus(resource);
            n.containers = n.containers.saturating_sub(1);
        }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Used resources and container count of a node.
    pub fn node_usage(&self, node: usize) -> (Resource, usize) {
        self.nodes
            .get(node)
            .map(|n| (n.used, n.containers))
            .unwrap_or_default()
    }

    /// Capability of a node.
    pub fn node_capability(&self, node: usize) -> Resource {
        self.nodes
            .get(node)
            .map(|n| n.capability)
            .unwrap_or_default()
    }

    /// Free memory of all nodes together (the headroom reported to AMs).
    pub fn available(&self) -> Resource {
        self.nodes.iter().fold(Resource::default(), |acc, n| {
            acc.plus(&n.capability.minus(&n.used))
        })
    }

    /// Reserves `resource` on the node with the most free memory that can hold it.
    fn place(&mut self, resource: &Resource) -> Option<usize> {
        let (index, node) = self
            .nodes
            .iter_mut()
            .enumerate()
            .filter(|(_, n)| n.capability.minus(&n.used).fits_memory(resource))
            .max_by(|(ia, a), (ib, b)| {
                let free_a = a.capability.memory_mb - a.used.memory_mb;
                let free_b = b.capability.memory_mb - b.used.memory_mb;
                // Most free memory first; on a tie the lower index wins.
                free_a.cmp(&free_b).then(ib.cmp(ia))
            })?;
        node.used = node.used.plus(resource);
        node.containers += 1;
        Some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ApplicationId;

    fn attempt(app: i32, attempt_id: i32) -> ApplicationAttemptId {
        ApplicationAttemptId {
            application_id: ApplicationId {
                cluster_timestamp: 1_700_000_000_000,
                id: app,
            },
            attempt_id,
        }
    }

    fn any(priority: i32) -> AskKey {
        AskKey {
            priority,
            allocation_request_id: -1,
            resource_name: ANY.to_string(),
        }
    }

    fn scheduler(nodes: usize, node_mb: i64) -> Scheduler {
        Scheduler::new(
            nodes,
            Resource::new(node_mb, 8),
            128,
            Resource::new(8192, 4),
        )
    }

    #[test]
    fn asks_replace_and_do_not_accumulate() {
        let mut s = scheduler(1, 1024);
        let a = attempt(1, 1);
        s.add_attempt(a, None);
        s.update_asks(&a, [(any(1), Resource::new(512, 1), 3, true)]);
        let first = s.schedule();
        assert_eq!(first.len(), 2, "only two 512 MB containers fit in 1024 MB");
        assert_eq!(s.asks(&a)[0].1.num_containers, 1);
        // The AM re-sends the remaining count: the table entry is replaced, not added to.
        s.update_asks(&a, [(any(1), Resource::new(512, 1), 1, true)]);
        assert!(s.schedule().is_empty(), "no room yet");
        s.release(first[0].node, &first[0].resource);
        let second = s.schedule();
        assert_eq!(second.len(), 1);
        assert!(s.asks(&a).is_empty());
        s.release(first[1].node, &first[1].resource);
        assert!(s.schedule().is_empty(), "nothing is wanted any more");
    }

    #[test]
    fn zero_count_cancels_an_entry() {
        let mut s = scheduler(1, 1024);
        let a = attempt(1, 1);
        s.add_attempt(a, None);
        s.update_asks(&a, [(any(1), Resource::new(512, 1), 2, true)]);
        assert_eq!(s.asks(&a).len(), 1);
        s.update_asks(&a, [(any(1), Resource::new(512, 1), 0, true)]);
        assert!(s.asks(&a).is_empty());
        assert!(s.schedule().is_empty(), "a cancelled ask allocates nothing");
        assert_eq!(s.pending(&a), Resource::default());
    }

    #[test]
    fn only_any_entries_allocate_and_priority_orders() {
        let mut s = scheduler(1, 8192);
        let a = attempt(1, 1);
        s.add_attempt(a, None);
        let host = AskKey {
            priority: 1,
            allocation_request_id: -1,
            resource_name: "somehost".into(),
        };
        s.update_asks(
            &a,
            [
                (host, Resource::new(100, 1), 5, true),
                (any(2), Resource::new(200, 1), 1, true),
                (any(1), Resource::new(100, 1), 1, true),
            ],
        );
        let placed = s.schedule();
        assert_eq!(placed.len(), 2);
        assert_eq!(placed[0].priority, 1);
        assert_eq!(placed[0].resource, Resource::new(128, 1), "normalized");
        assert_eq!(placed[1].priority, 2);
        assert_eq!(placed[1].resource, Resource::new(256, 1));
    }

    #[test]
    fn am_container_goes_first_and_fifo_across_apps() {
        let mut s = scheduler(2, 1024);
        let first = attempt(1, 1);
        let second = attempt(2, 1);
        s.add_attempt(second, Some((Resource::new(1024, 1), 0)));
        s.add_attempt(first, Some((Resource::new(1024, 1), 0)));
        let placed = s.schedule();
        assert_eq!(placed.len(), 2);
        assert_eq!(placed[0].attempt, first);
        assert!(placed[0].is_am_container);
        assert_ne!(placed[0].node, placed[1].node, "spread over the nodes");
        let third = attempt(3, 1);
        s.add_attempt(third, Some((Resource::new(512, 1), 0)));
        s.update_asks(&third, [(any(1), Resource::new(128, 1), 1, true)]);
        assert!(
            s.schedule().is_empty(),
            "no task containers before the AM container"
        );
        s.release(placed[0].node, &placed[0].resource);
        let placed = s.schedule();
        assert_eq!(placed.len(), 2);
        assert!(placed[0].is_am_container);
        assert_eq!(s.pending(&third), Resource::default());
    }

    #[test]
    fn validation_messages_are_yarn_like() {
        let s = Scheduler::new(1, Resource::new(4096, 8), 128, Resource::new(8192, 4));
        assert_eq!(s.maximum_allocation(), Resource::new(4096, 4));
        let err = s.validate(&Resource::new(5000, 1)).unwrap_err();
        assert!(err.contains("requested resource is greater than maximum allowed allocation"));
        assert!(
            err.contains("Requested resource=<memory:5000, vCores:1>"),
            "{err}"
        );
        assert!(
            err.contains("maximum allowed allocation=<memory:4096, vCores:4>"),
            "{err}"
        );
        let err = s.validate(&Resource::new(-1, 1)).unwrap_err();
        assert!(err.contains("less than 0"), "{err}");
        let err = s.validate(&Resource::new(128, 5)).unwrap_err();
        assert!(err.contains("type=[vcores]"), "{err}");
        s.validate(&Resource::new(4096, 4)).unwrap();
    }
}
