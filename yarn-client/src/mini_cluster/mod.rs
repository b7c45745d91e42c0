//! (being written)

pub mod container_launcher;
pub mod localizer;
pub mod memory_monitor;
