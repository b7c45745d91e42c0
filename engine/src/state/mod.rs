//! Keyed and operator state (DESIGN §8).
//!
//! Keyed state is partitioned into key groups ([`key_group`]): a key's group is a stable hash of
//! the key modulo `pipeline.max-parallelism`, and each subtask of a keyed operator owns a
//! contiguous range of groups. State is snapshotted per key group, so a job's state can be
//! restored at another parallelism by handing out the groups again.

pub mod key_group;
