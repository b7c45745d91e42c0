//! # weir-yarn
//!
//! Weir's native Hadoop YARN integration: Hadoop IPC, the YARN client and ApplicationMaster
//! protocols as hand-written prost messages, staging, and the ApplicationMaster shim that the
//! engine plugs into through a handler trait (so this crate never depends on `weir`).
//!
//! Nothing is implemented yet: the YARN foundation is its own issue (see DESIGN.md §9). The crate
//! exists now so that the workspace layout is fixed and its dependency direction (it depends on
//! nothing in the workspace) is checked by the build from the start.
