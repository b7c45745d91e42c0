//! A container size as the scheduler sees it (memory in MiB, virtual cores), with YARN's
//! normalization and its `<memory:…, vCores:…>` text form used in diagnostics.
//!
//! The mini cluster schedules like YARN's default CapacityScheduler setup, which uses the
//! `DefaultResourceCalculator`: only memory is scheduled. Memory is rounded up to a multiple of
//! the minimum allocation, and a normalized container carries one virtual core whatever was
//! asked (exactly what that calculator returns), so `scheduler_resource_types` is `[MEMORY]`.

use std::fmt;

use crate::proto::yarn_records::ResourceProto;

/// Memory (MiB) and virtual cores of a container or node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Resource {
    pub memory_mb: i64,
    pub vcores: i32,
}

impl Resource {
    pub const fn new(memory_mb: i64, vcores: i32) -> Self {
        Resource { memory_mb, vcores }
    }

    /// From the wire form (absent fields read as 0, like Java's getters).
    pub fn from_proto(proto: &ResourceProto) -> Resource {
        Resource::new(proto.memory.unwrap_or(0), proto.virtual_cores.unwrap_or(0))
    }

    pub fn to_proto(&self) -> ResourceProto {
        ResourceProto {
            memory: Some(self.memory_mb),
            virtual_cores: Some(self.vcores),
            resource_value_map: Vec::new(),
        }
    }

    /// Whether `other` fits into `self` (memory only, as the memory-only calculator decides).
    pub fn fits_memory(&self, other: &Resource) -> bool {
        other.memory_mb <= self.memory_mb
    }

    pub fn plus(&self, other: &Resource) -> Resource {
        Resource::new(
            self.memory_mb.saturating_add(other.memory_mb),
            self.vcores.saturating_add(other.vcores),
        )
    }

    pub fn minus(&self, other: &Resource) -> Resource {
        Resource::new(
            self.memory_mb.saturating_sub(other.memory_mb),
            self.vcores.saturating_sub(other.vcores),
        )
    }

    /// The size YARN's memory-only calculator allocates for `asked`: memory raised to at least
    /// `minimum_mb` and rounded up to a multiple of it, capped at `maximum_mb`; one vcore.
    pub fn normalize(asked: &Resource, minimum_mb: i64, maximum_mb: i64) -> Resource {
        let step = minimum_mb.max(1);
        let at_least = asked.memory_mb.max(minimum_mb);
        let rounded = at_least
            .checked_add(step - 1)
            .map(|v| v / step * step)
            .unwrap_or(maximum_mb);
        Resource::new(rounded.min(maximum_mb), 1)
    }
}

/// YARN's `Resource.toString()` form, e.g. `<memory:1024, vCores:1>`.
impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<memory:{}, vCores:{}>", self.memory_mb, self.vcores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_rounds_up_to_multiples_of_the_minimum() {
        assert_eq!(
            Resource::normalize(&Resource::new(1, 3), 128, 8192),
            Resource::new(128, 1)
        );
        assert_eq!(
            Resource::normalize(&Resource::new(128, 1), 128, 8192),
            Resource::new(128, 1)
        );
        assert_eq!(
            Resource::normalize(&Resource::new(129, 1), 128, 8192),
            Resource::new(256, 1)
        );
        assert_eq!(
            Resource::normalize(&Resource::new(1000, 1), 1024, 8192),
            Resource::new(1024, 1)
        );
        assert_eq!(
            Resource::normalize(&Resource::new(0, 0), 128, 8192),
            Resource::new(128, 1)
        );
        assert_eq!(
            Resource::normalize(&Resource::new(i64::MAX, 1), 128, 8192),
            Resource::new(8192, 1)
        );
    }

    #[test]
    fn displays_like_yarn() {
        assert_eq!(
            Resource::new(1536, 2).to_string(),
            "<memory:1536, vCores:2>"
        );
    }
}
