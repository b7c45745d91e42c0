//! The ApplicationMaster side: what a process learns inside its AM container
//! ([`ContainerEnvironment`]), the request table per container size
//! ([`ContainerRequestTable`]), and the shim the engine plugs into ([`ApplicationMaster`],
//! [`AmHandler`], [`AmHandle`]). This crate never depends on the engine: the engine implements
//! `AmHandler` and decides how each container is launched.

pub mod application_master;
pub mod container_environment;
pub mod container_exit_status;
pub mod container_request_table;

pub use application_master::{
    AllocatedContainer, AmConfig, AmHandle, AmHandler, AmOutcome, ApplicationMaster,
    CompletedContainer, ContainerLaunchDecision,
};
pub use container_environment::{ContainerEnvironment, WEIR_YARN_SCHEDULER_ADDRESS};
pub use container_exit_status::describe_exit_status;
pub use container_request_table::{AllocationMatch, Ask, ContainerRequestTable, ContainerSpec};
