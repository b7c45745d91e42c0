//! # weir-benches
//!
//! Benchmarks of Weir, never timed unit tests:
//!
//! * `benches/*.rs`: criterion kernels, one file per subject, each with `Throughput` set so
//!   figures compare across runs (`cargo bench -p weir-benches --bench <name>`).
//! * `src/bin/*.rs`: end-to-end runners that `scripts/` call beside a baseline measured in the
//!   same run (for example `scripts/spill-vs-dd.sh`).

pub mod test_data;
