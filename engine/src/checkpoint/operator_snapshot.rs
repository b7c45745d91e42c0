//! [`OperatorSnapshot`]: the state of one operator subtask at a checkpoint, as bytes, shaped so
//! it can be handed out again at any parallelism.
//!
//! ```text
//!  OperatorSnapshot
//!  ├─ keyed:    key group ──▶ section name ──▶ bytes      e.g. 17 ──▶ "state:count" ──▶ …
//!  │                                                            17 ──▶ "timers:window" ──▶ …
//!  └─ operator: state name ──▶ (Split | Union, [entry bytes, …])
//! ```
//!
//! * Keyed sections: each keyed state (and each timer service) writes the entries of one key
//!   group into one section. On restore a subtask takes the groups of its new
//!   [`KeyGroupRange`], whichever old subtask wrote them.
//! * Operator list state (Flink's `ListState` of an `OperatorStateStore`): `Split` entries are
//!   concatenated over the old subtasks and dealt out again in contiguous, even slices (Flink's
//!   round-robin redistribution of operator list state); `Union` entries go, all of them, to
//!   every new subtask (Flink's `UnionListState`); `Broadcast` entries are the same on every
//!   old subtask (broadcast state) and each new subtask gets one copy.
//!
//! Keyed sections are [`SectionBytes`]: in memory, or ranges of a file (a spool the managed
//! backend streamed its state into, or the state file a restore reads from); redistribution
//! moves the handles, never the bytes. The file format is in
//! [`state_file`](super::state_file).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checkpoint::section_bytes::SectionBytes;
use crate::error::WeirError;
use crate::state::key_group::KeyGroupRange;

/// How operator list state is handed out on restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RedistributeMode {
    /// Entries are split among the new subtasks.
    Split,
    /// Every new subtask gets every entry.
    Union,
    /// Every subtask wrote the same entries (broadcast state): new subtask `i` gets the copy
    /// of old subtask `i mod old parallelism` (Flink's `BROADCAST` mode).
    Broadcast,
}

/// One operator list state of a subtask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorListState {
    pub mode: RedistributeMode,
    pub entries: Vec<Vec<u8>>,
}

/// The state of one operator subtask. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct OperatorSnapshot {
    /// Key group ──▶ section name ──▶ bytes.
    pub keyed: BTreeMap<u32, BTreeMap<String, SectionBytes>>,
    /// State name ──▶ entries.
    pub operator: BTreeMap<String, OperatorListState>,
}

impl OperatorSnapshot {
    pub fn is_empty(&self) -> bool {
        self.keyed.is_empty() && self.operator.is_empty()
    }

    /// Bytes of state held (sections and entries, without the encoding's framing).
    pub fn state_bytes(&self) -> u64 {
        let keyed: usize = self
            .keyed
            .values()
            .flat_map(|sections| sections.values())
            .map(|section| section.len() as usize)
            .sum();
        let operator: usize = self
            .operator
            .values()
            .flat_map(|list| list.entries.iter())
            .map(Vec::len)
            .sum();
        (keyed + operator) as u64
    }

    /// Adds the bytes of section `name` for `key_group`.
    pub fn put_keyed(&mut self, key_group: u32, name: &str, bytes: Vec<u8>) {
        self.put_keyed_section(key_group, name, SectionBytes::Inline(bytes));
    }

    /// Adds section `name` for `key_group` (in memory or in a file).
    pub fn put_keyed_section(&mut self, key_group: u32, name: &str, section: SectionBytes) {
        self.keyed
            .entry(key_group)
            .or_default()
            .insert(name.to_owned(), section);
    }

    /// Section `name` of `key_group`, if written.
    pub fn keyed_section(&self, key_group: u32, name: &str) -> Option<&SectionBytes> {
        self.keyed
            .get(&key_group)
            .and_then(|sections| sections.get(name))
    }

    /// Names of every keyed section present in any key group.
    pub fn keyed_section_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .keyed
            .values()
            .flat_map(|sections| sections.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Hands the snapshots of an operator's old subtasks out to `new_parallelism` subtasks (see
/// the module docs). Key groups outside `[0, max_parallelism)` are an error: the state was
/// written with another `pipeline.max-parallelism`.
pub fn redistribute(
    operator: &str,
    old: Vec<OperatorSnapshot>,
    new_parallelism: usize,
    max_parallelism: u32,
) -> Result<Vec<OperatorSnapshot>, WeirError> {
    let mut new: Vec<OperatorSnapshot> = (0..new_parallelism)
        .map(|_| OperatorSnapshot::default())
        .collect();
    let ranges: Vec<KeyGroupRange> = (0..new_parallelism)
        .map(|subtask| KeyGroupRange::for_subtask(max_parallelism, new_parallelism, subtask))
        .collect();
    let mut split: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    // Broadcast state name ──▶ the copy of each old subtask that wrote one.
    let mut broadcast: BTreeMap<String, Vec<Vec<Vec<u8>>>> = BTreeMap::new();
    for snapshot in old {
        for (key_group, sections) in snapshot.keyed {
            let Some(owner) = ranges.iter().position(|range| range.contains(key_group)) else {
                return Err(WeirError::IncompatibleState {
                    operator: operator.to_owned(),
                    problem: format!(
                        "it holds key group {key_group}, but pipeline.max-parallelism is \
                         {max_parallelism}; restore with the max parallelism the state was \
                         written with"
                    ),
                });
            };
            new[owner]
                .keyed
                .entry(key_group)
                .or_default()
                .extend(sections);
        }
        for (name, list) in snapshot.operator {
            match list.mode {
                RedistributeMode::Split => split.entry(name).or_default().extend(list.entries),
                RedistributeMode::Broadcast => {
                    broadcast.entry(name).or_default().push(list.entries);
                }
                RedistributeMode::Union => {
                    for target in &mut new {
                        let entry = target.operator.entry(name.clone()).or_insert_with(|| {
                            OperatorListState {
                                mode: RedistributeMode::Union,
                                entries: Vec::new(),
                            }
                        });
                        entry.entries.extend(list.entries.iter().cloned());
                    }
                }
            }
        }
    }
    for (name, copies) in broadcast {
        for (subtask, target) in new.iter_mut().enumerate() {
            target.operator.insert(
                name.clone(),
                OperatorListState {
                    mode: RedistributeMode::Broadcast,
                    entries: copies[subtask % copies.len()].clone(),
                },
            );
        }
    }
    for (name, entries) in split {
        let count = entries.len();
        let mut entries = entries.into_iter();
        for (subtask, target) in new.iter_mut().enumerate() {
            // Contiguous even slices: the first `count % p` subtasks get one more.
            let take = count / new_parallelism + usize::from(subtask < count % new_parallelism);
            target.operator.insert(
                name.clone(),
                OperatorListState {
                    mode: RedistributeMode::Split,
                    entries: entries.by_ref().take(take).collect(),
                },
            );
        }
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(groups: &[u32], split: &[&str], union: &[&str]) -> OperatorSnapshot {
        let mut snapshot = OperatorSnapshot::default();
        for &group in groups {
            snapshot.put_keyed(group, "state:count", vec![group as u8]);
        }
        snapshot.operator.insert(
            "splits".into(),
            OperatorListState {
                mode: RedistributeMode::Split,
                entries: split.iter().map(|e| e.as_bytes().to_vec()).collect(),
            },
        );
        snapshot.operator.insert(
            "pending".into(),
            OperatorListState {
                mode: RedistributeMode::Union,
                entries: union.iter().map(|e| e.as_bytes().to_vec()).collect(),
            },
        );
        snapshot
    }

    #[test]
    fn key_groups_follow_their_new_owner_and_lists_are_split_or_unioned() {
        // max parallelism 4, from 2 subtasks (groups 0-1, 2-3) to 3 (0-1, 2, 3).
        let old = vec![
            snapshot(&[0, 1], &["a", "b", "c"], &["u1"]),
            snapshot(&[2, 3], &["d"], &["u2"]),
        ];
        let new = redistribute("op", old, 3, 4).unwrap();
        let groups: Vec<Vec<u32>> = new
            .iter()
            .map(|s| s.keyed.keys().copied().collect())
            .collect();
        assert_eq!(groups, vec![vec![0, 1], vec![2], vec![3]]);
        let splits: Vec<usize> = new
            .iter()
            .map(|s| s.operator["splits"].entries.len())
            .collect();
        assert_eq!(splits, vec![2, 1, 1]);
        for subtask in &new {
            assert_eq!(subtask.operator["pending"].entries.len(), 2);
        }
        let section = new[2].keyed_section(3, "state:count").unwrap();
        assert_eq!(&*section.read().unwrap(), &[3u8][..]);
    }

    #[test]
    fn broadcast_state_gives_every_new_subtask_one_copy() {
        let copy = |tag: &str| {
            let mut snapshot = OperatorSnapshot::default();
            snapshot.operator.insert(
                "rules".into(),
                OperatorListState {
                    mode: RedistributeMode::Broadcast,
                    entries: vec![b"r1".to_vec(), tag.as_bytes().to_vec()],
                },
            );
            snapshot
        };
        for new_parallelism in [1, 2, 5] {
            let new = redistribute(
                "op",
                vec![copy("a"), copy("b"), copy("c")],
                new_parallelism,
                8,
            )
            .unwrap();
            for (subtask, snapshot) in new.iter().enumerate() {
                let list = &snapshot.operator["rules"];
                assert_eq!(list.mode, RedistributeMode::Broadcast);
                let tag = ["a", "b", "c"][subtask % 3].as_bytes().to_vec();
                assert_eq!(list.entries, vec![b"r1".to_vec(), tag]);
            }
        }
    }

    #[test]
    fn a_group_beyond_max_parallelism_is_incompatible_state() {
        let old = vec![snapshot(&[200], &[], &[])];
        let error = redistribute("Window(Tumbling)", old, 2, 128).unwrap_err();
        assert!(error.to_string().contains("Window(Tumbling)"), "{error}");
    }
}
