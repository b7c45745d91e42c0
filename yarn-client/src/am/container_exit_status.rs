//! The meaning of a completed container's exit status (Hadoop's `ContainerExitStatus`;
//! yarn-protocol.md §2.5): YARN's own negative codes, or the process's exit code.

/// Success.
pub const SUCCESS: i32 = 0;
/// Not set (proto2 default of `ContainerStatusProto.exit_status`).
pub const INVALID: i32 = -1000;
/// Released by the AM, or its node was lost.
pub const ABORTED: i32 = -100;
/// Killed by the NodeManager for exceeding the physical memory limit.
pub const KILLED_EXCEEDED_PMEM: i32 = -104;
/// Killed by the NodeManager for exceeding the virtual memory limit.
pub const KILLED_EXCEEDED_VMEM: i32 = -103;
/// Preempted by the scheduler.
pub const PREEMPTED: i32 = -102;

/// A short explanation of `exit_status` for diagnostics, e.g. `exit code 5` or
/// `killed for exceeding physical memory (-104)`.
pub fn describe_exit_status(exit_status: i32) -> String {
    let yarn_reason = match exit_status {
        SUCCESS => return "exit code 0 (success)".to_string(),
        INVALID => "exit status not set",
        ABORTED => "aborted: released by the application master or its node was lost",
        -101 => "the node's local or log disks failed",
        PREEMPTED => "preempted by the scheduler",
        KILLED_EXCEEDED_VMEM => "killed for exceeding virtual memory",
        KILLED_EXCEEDED_PMEM => "killed for exceeding physical memory",
        -105 => "killed by the application master",
        -106 => "killed by the resource manager",
        -107 => "killed because the application finished",
        -108 => "killed by the node manager's container scheduler",
        -109 => "killed for writing too many logs",
        143 => return "exit code 143 (SIGTERM)".to_string(),
        137 => return "exit code 137 (SIGKILL)".to_string(),
        code => return format!("exit code {code}"),
    };
    format!("{yarn_reason} ({exit_status})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yarn_codes_and_process_codes_are_told_apart() {
        assert_eq!(describe_exit_status(5), "exit code 5");
        assert_eq!(describe_exit_status(0), "exit code 0 (success)");
        assert!(describe_exit_status(-104).contains("physical memory"));
        assert!(describe_exit_status(-104).contains("(-104)"));
        assert!(describe_exit_status(-100).contains("released"));
        assert!(describe_exit_status(143).contains("SIGTERM"));
    }
}
