//! Memory enforcement for one container, the way YARN's `ContainersMonitorImpl` does it with
//! `ProcfsBasedProcessTree` (Linux, no cgroups).
//!
//! Every `monitor_interval` the container task calls [`ProcessTree::sample`] for the container's
//! root pid (the `bash launch_container.sh` process, which `exec`s the user command) and hands
//! the tree to [`MemoryMonitor::check`]:
//!
//! ```text
//!   /proc/*/stat ──► all processes ──► keep those whose ppid chain reaches the root pid
//!                                          │
//!            ages: (pid, start time) ──►  age += 1 for processes seen before, 1 for new ones
//!                                          │
//!   vmem check (if enabled) ─┐   over limit  ⇔  usage(all) > 2 × limit
//!   pmem check (if enabled) ─┘                 or usage(processes with age > 1) > limit
//!                                          │
//!                 OverLimit { exit_status: -103 | -104, diagnostics } ──► the container task
//!                 kills the process group (SIGTERM, SIGKILL after the delay)
//! ```
//!
//! The "age" rule is YARN's: a freshly forked child briefly shows its parent's whole RSS, so
//! only processes that were already present at the previous sample count against the limit,
//! unless the tree is more than twice over it. Virtual memory is checked before physical
//! memory, as in YARN.
//!
//! The kill diagnostics are YARN's text, byte for byte in shape:
//!
//! ```text
//! Container [pid=<root>,containerID=<id>] is running <N>B beyond the 'PHYSICAL' memory limit.
//!   Current usage: 70.5 MB of 64 MB physical memory used; 2.1 GB of 134.4 MB virtual memory used.
//!   Killing container.\n
//! Dump of the process-tree for <id> :\n
//! \t|- PID PPID PGRPID SESSID CMD_NAME USER_MODE_TIME(MILLIS) SYSTEM_TIME(MILLIS) VMEM_USAGE(BYTES) RSSMEM_USAGE(PAGES) FULL_CMD_LINE\n
//! \t|- 4598 4359 4359 4359 (python3) 232 18 17444765696 30784 python3 -c ... \n
//! ```
//! (the first line is one line; it is wrapped here). Sizes use Hadoop's
//! `TraditionalBinaryPrefix.long2String(n, "", 1)` ([`format_binary_prefix`]).
//!
//! The module also answers "is this process (group) still alive" from /proc, treating zombies
//! as dead: a reaped-late zombie holds no memory and runs nothing, and on hosts whose init does
//! not reap orphans `kill(pid, 0)` would report such a process alive forever.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::time::SystemTime;

/// Exit status of a container killed for exceeding its virtual memory (`ContainerExitStatus`).
pub const KILLED_EXCEEDED_VMEM: i32 = -103;
/// Exit status of a container killed for exceeding its physical memory (`ContainerExitStatus`).
pub const KILLED_EXCEEDED_PMEM: i32 = -104;
/// `yarn.nodemanager.vmem-pmem-ratio` default.
pub const DEFAULT_VMEM_PMEM_RATIO: f32 = 2.1;

/// One process as read from `/proc/<pid>/stat` and `/proc/<pid>/cmdline`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: i32,
    pub ppid: i32,
    pub process_group: i32,
    pub session: i32,
    /// `comm`, the executable name the kernel keeps (at most 15 bytes).
    pub name: String,
    /// Process state letter (`R`, `S`, `Z`, ...).
    pub state: char,
    pub user_time_ticks: u64,
    pub system_time_ticks: u64,
    /// Start time in clock ticks after boot; with the pid it identifies a process across samples.
    pub start_time_ticks: u64,
    pub vmem_bytes: u64,
    pub rss_pages: u64,
    /// The command line with NUL separators turned into spaces (as YARN prints it).
    pub command_line: String,
}

/// The fields of `/proc/<pid>/stat` that the monitor needs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct StatFields {
    pid: i32,
    name: String,
    state: char,
    ppid: i32,
    process_group: i32,
    session: i32,
    user_time_ticks: u64,
    system_time_ticks: u64,
    start_time_ticks: u64,
    vmem_bytes: u64,
    rss_pages: u64,
}

/// Parses one `/proc/<pid>/stat` line. The name sits between the first `(` and the LAST `)`
/// because it may itself contain spaces and parentheses. Returns `None` for a malformed line.
fn parse_stat(line: &str) -> Option<StatFields> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    if close < open {
        return None;
    }
    let pid = line[..open].trim().parse().ok()?;
    let name = line[open + 1..close].to_string();
    // Fields after the name, numbered from 3 (state) as in proc(5).
    let rest: Vec<&str> = line[close + 1..].split_whitespace().collect();
    let field = |number: usize| rest.get(number - 3).copied();
    let state = field(3)?.chars().next()?;
    Some(StatFields {
        pid,
        name,
        state,
        ppid: field(4)?.parse().ok()?,
        process_group: field(5)?.parse().ok()?,
        session: field(6)?.parse().ok()?,
        user_time_ticks: field(14)?.parse().ok()?,
        system_time_ticks: field(15)?.parse().ok()?,
        start_time_ticks: field(22)?.parse().ok()?,
        vmem_bytes: field(23)?.parse().ok()?,
        rss_pages: field(24)?.parse().ok()?,
    })
}

/// Reads one process; `None` when it vanished meanwhile or its stat line is unreadable.
fn read_process(proc_dir: &Path, pid: i32) -> Option<ProcessInfo> {
    let dir = proc_dir.join(pid.to_string());
    let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
    let fields = parse_stat(&stat)?;
    let command_line = match std::fs::read(dir.join("cmdline")) {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).replace('\0', " "),
        _ => fields.name.clone(),
    };
    Some(ProcessInfo {
        pid: fields.pid,
        ppid: fields.ppid,
        process_group: fields.process_group,
        session: fields.session,
        name: fields.name,
        state: fields.state,
        user_time_ticks: fields.user_time_ticks,
        system_time_ticks: fields.system_time_ticks,
        start_time_ticks: fields.start_time_ticks,
        vmem_bytes: fields.vmem_bytes,
        rss_pages: fields.rss_pages,
        command_line,
    })
}

/// The stat fields of every process in `/proc` (processes that vanish while reading are skipped).
fn read_all_stats(proc_dir: &Path) -> io::Result<Vec<StatFields>> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(proc_dir)? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(fields) = parse_stat(&stat)
            && fields.pid == pid
        {
            all.push(fields);
        }
    }
    Ok(all)
}

/// A container's process tree: the root process and every live descendant (by parent pid).
/// Processes that left the tree (double fork, reparented to init) are not part of it, exactly as
/// in YARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessTree {
    root_pid: i32,
    /// Sorted by pid.
    processes: Vec<ProcessInfo>,
    page_size_bytes: u64,
}

impl ProcessTree {
    /// Samples the tree rooted at `root_pid` from `/proc`. An empty tree means the root is gone.
    pub fn sample(root_pid: i32) -> io::Result<ProcessTree> {
        Self::sample_from(Path::new("/proc"), root_pid)
    }

    fn sample_from(proc_dir: &Path, root_pid: i32) -> io::Result<ProcessTree> {
        let stats = read_all_stats(proc_dir)?;
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        let mut present = HashSet::new();
        for stat in &stats {
            present.insert(stat.pid);
            children.entry(stat.ppid).or_default().push(stat.pid);
        }
        let mut processes = Vec::new();
        if present.contains(&root_pid) {
            let mut pending = vec![root_pid];
            let mut seen = HashSet::new();
            while let Some(pid) = pending.pop() {
                if !seen.insert(pid) {
                    continue;
                }
                if let Some(info) = read_process(proc_dir, pid) {
                    processes.push(info);
                }
                if let Some(kids) = children.get(&pid) {
                    pending.extend(kids.iter().copied());
                }
            }
        }
        Ok(Self::from_processes(root_pid, processes, page_size_bytes()))
    }

    /// A tree from already-read processes (tests and callers with their own source).
    pub fn from_processes(
        root_pid: i32,
        mut processes: Vec<ProcessInfo>,
        page_size_bytes: u64,
    ) -> ProcessTree {
        processes.sort_by_key(|p| p.pid);
        ProcessTree {
            root_pid,
            processes,
            page_size_bytes,
        }
    }

    pub fn root_pid(&self) -> i32 {
        self.root_pid
    }

    pub fn processes(&self) -> &[ProcessInfo] {
        &self.processes
    }

    pub fn is_empty(&self) -> bool {
        self.processes.is_empty()
    }

    /// Resident set size of the whole tree.
    pub fn rss_bytes(&self) -> u64 {
        self.processes
            .iter()
            .map(|p| p.rss_pages * self.page_size_bytes)
            .sum()
    }

    /// Virtual size of the whole tree.
    pub fn vmem_bytes(&self) -> u64 {
        self.processes.iter().map(|p| p.vmem_bytes).sum()
    }

    /// YARN's process-tree dump (`ProcfsBasedProcessTree.getProcessTreeDump`), one line per
    /// process, times in milliseconds, RSS in pages.
    pub fn dump(&self) -> String {
        let millis_per_tick = 1000 / clock_ticks_per_second().max(1);
        let mut out = String::from(
            "\t|- PID PPID PGRPID SESSID CMD_NAME USER_MODE_TIME(MILLIS) SYSTEM_TIME(MILLIS) \
             VMEM_USAGE(BYTES) RSSMEM_USAGE(PAGES) FULL_CMD_LINE\n",
        );
        for p in &self.processes {
            let _ = writeln!(
                out,
                "\t|- {} {} {} {} ({}) {} {} {} {} {}",
                p.pid,
                p.ppid,
                p.process_group,
                p.session,
                p.name,
                p.user_time_ticks * millis_per_tick,
                p.system_time_ticks * millis_per_tick,
                p.vmem_bytes,
                p.rss_pages,
                p.command_line
            );
        }
        out
    }
}

/// Memory limits of one container, in bytes, with YARN's switches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryLimits {
    pub pmem_limit_bytes: u64,
    /// `(long) (vmem-pmem-ratio × pmem)` computed in `float` as YARN does.
    pub vmem_limit_bytes: u64,
    pub pmem_check: bool,
    pub vmem_check: bool,
}

impl MemoryLimits {
    /// Limits for a container of `memory_limit_bytes` with YARN's float arithmetic for vmem.
    pub fn new(
        memory_limit_bytes: u64,
        pmem_check: bool,
        vmem_check: bool,
        vmem_pmem_ratio: f32,
    ) -> MemoryLimits {
        // YARN: `long vmemBytes = (long) (pmemRatio * pmemBytes)` with a float ratio.
        let vmem_limit_bytes = (vmem_pmem_ratio * memory_limit_bytes as f32) as u64;
        MemoryLimits {
            pmem_limit_bytes: memory_limit_bytes,
            vmem_limit_bytes,
            pmem_check,
            vmem_check,
        }
    }
}

/// The memory use of a container's process tree at one sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUsage {
    pub rss_bytes: u64,
    pub vmem_bytes: u64,
    pub process_count: usize,
    pub sampled_at: SystemTime,
}

/// Outcome of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemoryVerdict {
    WithinLimits,
    /// Kill the container; `exit_status` is -103 (virtual) or -104 (physical) and
    /// `diagnostics` is YARN's kill message with the process-tree dump.
    OverLimit {
        exit_status: i32,
        diagnostics: String,
    },
}

/// Per-container monitor state: the limits and the age of every process seen so far.
#[derive(Debug)]
pub struct MemoryMonitor {
    container_id: String,
    limits: MemoryLimits,
    /// (pid, start time) → number of consecutive samples the process was present in.
    ages: HashMap<(i32, u64), u32>,
}

impl MemoryMonitor {
    pub fn new(container_id: impl Into<String>, limits: MemoryLimits) -> MemoryMonitor {
        MemoryMonitor {
            container_id: container_id.into(),
            limits,
            ages: HashMap::new(),
        }
    }

    pub fn limits(&self) -> MemoryLimits {
        self.limits
    }

    /// Records a new sample (advancing process ages) and decides whether the container is over
    /// its limits.
    pub fn check(&mut self, tree: &ProcessTree) -> (MemoryUsage, MemoryVerdict) {
        let mut ages = HashMap::with_capacity(tree.processes.len());
        for p in &tree.processes {
            let key = (p.pid, p.start_time_ticks);
            let age = self.ages.get(&key).map_or(1, |age| age.saturating_add(1));
            ages.insert(key, age);
        }
        self.ages = ages;
        let usage = MemoryUsage {
            rss_bytes: tree.rss_bytes(),
            vmem_bytes: tree.vmem_bytes(),
            process_count: tree.processes.len(),
            sampled_at: SystemTime::now(),
        };
        if tree.is_empty() {
            return (usage, MemoryVerdict::WithinLimits);
        }
        let aged =
            |p: &&ProcessInfo| self.ages.get(&(p.pid, p.start_time_ticks)).copied() > Some(1);
        let aged_vmem: u64 = tree
            .processes
            .iter()
            .filter(aged)
            .map(|p| p.vmem_bytes)
            .sum();
        let aged_rss: u64 = tree
            .processes
            .iter()
            .filter(aged)
            .map(|p| p.rss_pages * tree.page_size_bytes)
            .sum();
        let limits = self.limits;
        let verdict = if limits.vmem_check
            && is_over_limit(usage.vmem_bytes, aged_vmem, limits.vmem_limit_bytes)
        {
            MemoryVerdict::OverLimit {
                exit_status: KILLED_EXCEEDED_VMEM,
                diagnostics: self.kill_message(
                    "virtual",
                    usage,
                    usage.vmem_bytes,
                    limits.vmem_limit_bytes,
                    tree,
                ),
            }
        } else if limits.pmem_check
            && is_over_limit(usage.rss_bytes, aged_rss, limits.pmem_limit_bytes)
        {
            MemoryVerdict::OverLimit {
                exit_status: KILLED_EXCEEDED_PMEM,
                diagnostics: self.kill_message(
                    "physical",
                    usage,
                    usage.rss_bytes,
                    limits.pmem_limit_bytes,
                    tree,
                ),
            }
        } else {
            MemoryVerdict::WithinLimits
        };
        (usage, verdict)
    }

    fn kill_message(
        &self,
        memory_kind: &str,
        usage: MemoryUsage,
        current_bytes: u64,
        limit_bytes: u64,
        tree: &ProcessTree,
    ) -> String {
        let beyond_bytes = current_bytes as i128 - limit_bytes as i128;
        format!(
            "Container [pid={},containerID={}] is running {}B beyond the '{}' memory limit. \
             Current usage: {}B of {}B physical memory used; {}B of {}B virtual memory used. \
             Killing container.\nDump of the process-tree for {} :\n{}",
            tree.root_pid,
            self.container_id,
            beyond_bytes,
            memory_kind.to_uppercase(),
            format_binary_prefix(usage.rss_bytes),
            format_binary_prefix(self.limits.pmem_limit_bytes),
            format_binary_prefix(usage.vmem_bytes),
            format_binary_prefix(self.limits.vmem_limit_bytes),
            self.container_id,
            tree.dump()
        )
    }
}

/// YARN's `isProcessTreeOverLimit`: more than twice the limit at once, or processes older than
/// one sample above the limit.
fn is_over_limit(current_bytes: u64, aged_bytes: u64, limit_bytes: u64) -> bool {
    current_bytes > limit_bytes.saturating_mul(2) || aged_bytes > limit_bytes
}

/// Hadoop's `TraditionalBinaryPrefix.long2String(n, "", 1)`: below 1024 the plain number,
/// otherwise one decimal and a binary prefix (`70.5 M`), no decimals when exact (`64 M`).
/// Rounding is half-up on the exact quotient, as Java's `%.1f` does.
pub fn format_binary_prefix(n: u64) -> String {
    const SYMBOLS: [char; 6] = ['K', 'M', 'G', 'T', 'P', 'E'];
    if n < 1024 {
        return n.to_string();
    }
    // Largest prefix not above n: 2^(10 × (index + 1)).
    let mut index = 0usize;
    while index + 1 < SYMBOLS.len() && n >= 1u64 << (10 * (index + 2)) {
        index += 1;
    }
    let render = |index: usize| -> String {
        let shift = 10 * (index as u32 + 1);
        let unit = 1u128 << shift;
        if u128::from(n) % unit == 0 {
            return (u128::from(n) >> shift).to_string();
        }
        let tenths = (u128::from(n) * 10 + unit / 2) / unit;
        format!("{}.{}", tenths / 10, tenths % 10)
    };
    let mut text = render(index);
    // Java's special case: 1023.96 K rounds to "1024.0"; use the next prefix instead.
    if text.starts_with("1024") && index + 1 < SYMBOLS.len() {
        index += 1;
        text = render(index);
    }
    format!("{text} {}", SYMBOLS[index])
}

/// System page size in bytes.
pub fn page_size_bytes() -> u64 {
    rustix::param::page_size() as u64
}

/// Kernel clock ticks per second (`CLK_TCK`).
pub fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// Whether `pid` exists and is not a zombie.
pub fn is_process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            parse_stat(&stat).is_some_and(|fields| fields.state != 'Z' && fields.state != 'X')
        }
        Err(_) => false,
    }
}

/// Pids of the live (non-zombie) processes whose process group is `process_group`.
pub fn live_members_of_process_group(process_group: i32) -> io::Result<Vec<i32>> {
    let mut members: Vec<i32> = read_all_stats(Path::new("/proc"))?
        .into_iter()
        .filter(|s| s.process_group == process_group && s.state != 'Z' && s.state != 'X')
        .map(|s| s.pid)
        .collect();
    members.sort_unstable();
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: i32, ppid: i32, start: u64, rss_pages: u64, vmem_bytes: u64) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid,
            process_group: 100,
            session: 100,
            name: format!("p{pid}"),
            state: 'S',
            user_time_ticks: 3,
            system_time_ticks: 1,
            start_time_ticks: start,
            vmem_bytes,
            rss_pages,
            command_line: format!("/bin/p{pid} --flag "),
        }
    }

    const MIB: u64 = 1 << 20;

    #[test]
    fn parses_stat_with_spaces_and_parentheses_in_the_name() {
        let line = "4242 (my (odd) name) S 4000 4100 4100 0 -1 4194560 100 0 0 0 \
                    17 5 0 0 20 0 1 0 987654 123456789 2048 18446744073709551615 \
                    1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let fields = parse_stat(line).expect("parses");
        assert_eq!(fields.pid, 4242);
        assert_eq!(fields.name, "my (odd) name");
        assert_eq!(fields.state, 'S');
        assert_eq!(fields.ppid, 4000);
        assert_eq!(fields.process_group, 4100);
        assert_eq!(fields.session, 4100);
        assert_eq!(fields.user_time_ticks, 17);
        assert_eq!(fields.system_time_ticks, 5);
        assert_eq!(fields.start_time_ticks, 987654);
        assert_eq!(fields.vmem_bytes, 123456789);
        assert_eq!(fields.rss_pages, 2048);
    }

    #[test]
    fn malformed_stat_lines_are_rejected() {
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("12 (x"), None);
        assert_eq!(parse_stat("12 (x) S 1 2"), None);
        assert_eq!(
            parse_stat("abc (x) S 1 2 3 0 0 0 0 0 0 0 1 1 0 0 0 0 1 0 5 6 7"),
            None
        );
    }

    #[test]
    fn binary_prefix_matches_hadoop_long2string() {
        assert_eq!(format_binary_prefix(0), "0");
        assert_eq!(format_binary_prefix(1023), "1023");
        assert_eq!(format_binary_prefix(1024), "1 K");
        assert_eq!(format_binary_prefix(64 * MIB), "64 M");
        assert_eq!(format_binary_prefix(1 << 30), "1 G");
        assert_eq!(format_binary_prefix(73_912_320), "70.5 M");
        // 1.25 MiB is an exact tie: Java rounds half up.
        assert_eq!(format_binary_prefix(1_310_720), "1.3 M");
        assert_eq!(format_binary_prefix((1 << 30) + 6_283_264), "1.0 G");
        // 1023.96 K would print "1024.0 K": Java moves to the next prefix.
        assert_eq!(format_binary_prefix(1024 * 1024 - 40), "1.0 M");
        assert_eq!(format_binary_prefix((21 * (1u64 << 30)) / 10), "2.1 G");
    }

    #[test]
    fn vmem_limit_uses_float_arithmetic_like_yarn() {
        let limits = MemoryLimits::new(1 << 30, true, true, 2.1);
        assert_eq!(
            limits.vmem_limit_bytes,
            (2.1f32 * (1u64 << 30) as f32) as u64
        );
        assert_eq!(limits.pmem_limit_bytes, 1 << 30);
    }

    #[test]
    fn new_processes_count_only_when_twice_over_the_limit() {
        let page = 4096;
        let limit = 64 * MIB;
        let limits = MemoryLimits::new(limit, true, false, 2.1);
        let mut monitor = MemoryMonitor::new("container_1_0001_01_000002", limits);
        // 100 MiB: over the limit but under twice the limit.
        let tree = ProcessTree::from_processes(
            10,
            vec![process(10, 1, 7, (100 * MIB) / page, 1 << 30)],
            page,
        );
        let (usage, verdict) = monitor.check(&tree);
        assert_eq!(usage.rss_bytes, 100 * MIB);
        assert_eq!(
            verdict,
            MemoryVerdict::WithinLimits,
            "first sample: the process is new"
        );
        let (_, verdict) = monitor.check(&tree);
        let MemoryVerdict::OverLimit {
            exit_status,
            diagnostics,
        } = verdict
        else {
            panic!("second sample must be over the limit");
        };
        assert_eq!(exit_status, KILLED_EXCEEDED_PMEM);
        assert!(
            diagnostics.starts_with(&format!(
                "Container [pid=10,containerID=container_1_0001_01_000002] is running {}B beyond \
                 the 'PHYSICAL' memory limit. Current usage: 100 MB of 64 MB physical memory used; \
                 1 GB of 134.4 MB virtual memory used. Killing container.\n\
                 Dump of the process-tree for container_1_0001_01_000002 :\n\
                 \t|- PID PPID PGRPID SESSID CMD_NAME",
                36 * MIB
            )),
            "{diagnostics}"
        );
        assert!(
            diagnostics.contains("\n\t|- 10 1 100 100 (p10) "),
            "{diagnostics}"
        );
        assert!(diagnostics.ends_with(&format!(
            " {} {} /bin/p10 --flag \n",
            1u64 << 30,
            (100 * MIB) / page
        )));
    }

    #[test]
    fn a_tree_twice_over_the_limit_is_killed_at_once() {
        let page = 4096;
        let limits = MemoryLimits::new(64 * MIB, true, false, 2.1);
        let mut monitor = MemoryMonitor::new("c", limits);
        let tree =
            ProcessTree::from_processes(10, vec![process(10, 1, 7, (130 * MIB) / page, 0)], page);
        assert!(matches!(
            monitor.check(&tree).1,
            MemoryVerdict::OverLimit {
                exit_status: -104,
                ..
            }
        ));
    }

    #[test]
    fn a_replaced_pid_starts_young_again() {
        let page = 4096;
        let limits = MemoryLimits::new(64 * MIB, true, false, 2.1);
        let mut monitor = MemoryMonitor::new("c", limits);
        let first =
            ProcessTree::from_processes(10, vec![process(10, 1, 7, (100 * MIB) / page, 0)], page);
        assert_eq!(monitor.check(&first).1, MemoryVerdict::WithinLimits);
        // Same pid, different start time: a different process.
        let second =
            ProcessTree::from_processes(10, vec![process(10, 1, 8, (100 * MIB) / page, 0)], page);
        assert_eq!(monitor.check(&second).1, MemoryVerdict::WithinLimits);
        assert!(matches!(
            monitor.check(&second).1,
            MemoryVerdict::OverLimit { .. }
        ));
    }

    #[test]
    fn vmem_is_checked_first_and_disabled_checks_never_kill() {
        let page = 4096;
        let both = MemoryLimits::new(64 * MIB, true, true, 1.0);
        let tree = ProcessTree::from_processes(
            10,
            vec![process(10, 1, 7, (200 * MIB) / page, 300 * MIB)],
            page,
        );
        let mut monitor = MemoryMonitor::new("c", both);
        let MemoryVerdict::OverLimit {
            exit_status,
            diagnostics,
        } = monitor.check(&tree).1
        else {
            panic!("over the limit");
        };
        assert_eq!(exit_status, KILLED_EXCEEDED_VMEM);
        assert!(diagnostics.contains("beyond the 'VIRTUAL' memory limit"));
        let mut unchecked = MemoryMonitor::new("c", MemoryLimits::new(64 * MIB, false, false, 1.0));
        assert_eq!(unchecked.check(&tree).1, MemoryVerdict::WithinLimits);
        assert_eq!(unchecked.check(&tree).1, MemoryVerdict::WithinLimits);
    }

    #[test]
    fn samples_this_process_tree_from_proc() {
        let own_pid = std::process::id() as i32;
        let tree = ProcessTree::sample(own_pid).expect("read /proc");
        assert_eq!(tree.processes()[0].pid, own_pid);
        assert!(tree.rss_bytes() > 0);
        assert!(tree.vmem_bytes() >= tree.rss_bytes());
        assert!(is_process_alive(own_pid));
        assert!(
            ProcessTree::sample(i32::MAX)
                .expect("read /proc")
                .is_empty()
        );
        assert!(!is_process_alive(i32::MAX));
    }
}
