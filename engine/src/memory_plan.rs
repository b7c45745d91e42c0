//! [`MemoryPlan`]: how a TaskManager's `taskmanager.memory.process.size` splits into the budgets
//! Weir enforces, following Flink's `TaskExecutorProcessUtils` without the JVM parts (no
//! metaspace, no framework heap or off-heap: Weir has no JVM and no framework heap apart from
//! the task heap).
//!
//! ```text
//!  taskmanager.memory.process.size ────────────────────────────────────────────────────────┐
//!  ├─ runtime overhead   overhead.fraction × process size, within overhead.min/max          │
//!  └─ total memory       = process size − runtime overhead                                   │
//!     ├─ managed memory  managed.size, else managed.fraction × total memory   (whole pages) │
//!     ├─ network memory  network.fraction × total memory, within network.min/max (whole     │
//!     │                  buffers of taskmanager.memory.segment-size)                         │
//!     └─ task heap       the rest                                                            │
//!  ──────────────────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! When `taskmanager.memory.task.heap.size` is set, the task heap is fixed and network memory
//! takes the rest instead, which must then lie within `network.min` and `network.max` (as in
//! Flink). Managed and network memory are whole pages; the bytes below one page that rounding
//! leaves go to the task heap when it is derived, else to the runtime overhead, so the four
//! parts always add up to the process size exactly.
//!
//! Managed memory is split equally among `taskmanager.numberOfTaskSlots` slots; a slot with
//! managed memory needs at least [`MIN_MANAGED_PAGES_PER_SLOT`] pages (a sort needs a few pages
//! for its index and its records, a merge one per input). Managed memory of zero is allowed
//! (jobs without sorts, joins or managed state need none).
//!
//! Every problem found is reported, each naming the keys involved and the bytes by which they
//! conflict.

use std::fmt;

use weir_memory::{ByteSize, PageSize};

use crate::config::Configuration;
use crate::config::options::{
    MANAGED_FRACTION, MANAGED_SIZE, NETWORK_FRACTION, NETWORK_MAX, NETWORK_MIN,
    NUMBER_OF_TASK_SLOTS, OVERHEAD_FRACTION, OVERHEAD_MAX, OVERHEAD_MIN, PROCESS_SIZE,
    SEGMENT_SIZE, TASK_HEAP_SIZE,
};
use crate::error::{WeirError, size_in_message};

/// The fewest managed pages a slot with managed memory may get.
pub const MIN_MANAGED_PAGES_PER_SLOT: usize = 16;

/// One part of the plan with the setting that decided it, as printed in the plan and in
/// conflicts: `taskmanager.memory.managed.size (1g)` or
/// `taskmanager.memory.managed.fraction 0.4 (614 MiB (644243456 bytes))`.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryClaim {
    /// The key whose value decided the size, or for a part that is what the others leave, that
    /// rule ("the rest of the total memory").
    pub key: &'static str,
    /// The fraction applied, when the key is a fraction.
    pub fraction: Option<f64>,
    pub size: ByteSize,
}

impl MemoryClaim {
    fn sized(key: &'static str, size: ByteSize) -> MemoryClaim {
        MemoryClaim {
            key,
            fraction: None,
            size,
        }
    }

    /// `key` or `key fraction`: what decided this part.
    pub fn setting(&self) -> String {
        match self.fraction {
            Some(fraction) => format!("{} {fraction}", self.key),
            None => self.key.to_string(),
        }
    }
}

impl fmt::Display for MemoryClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.setting(), size_in_message(self.size))
    }
}

/// How the task heap was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskHeapSource {
    /// `taskmanager.memory.task.heap.size` was set.
    Configured,
    /// The rest of the total memory after managed and network memory.
    Remainder,
}

/// The TaskManager memory plan. The parts add up to `process_size` exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryPlan {
    pub process_size: ByteSize,
    /// Thread stacks, allocator overhead, code and other memory outside the budgets.
    pub runtime_overhead: MemoryClaim,
    /// Heap memory for user code and operator objects.
    pub task_heap: ByteSize,
    pub task_heap_source: TaskHeapSource,
    /// Pages for sorts, joins, aggregations and state.
    pub managed: MemoryClaim,
    /// Network buffers.
    pub network: MemoryClaim,
    pub page_size: PageSize,
    pub slots: u32,
}

impl MemoryPlan {
    /// Derives the plan from the memory keys of `config`, reporting every conflict at once.
    pub fn from_config(config: &Configuration) -> Result<MemoryPlan, WeirError> {
        let process = config.get(&PROCESS_SIZE);
        let page_size = config.get(&SEGMENT_SIZE);
        let page = page_size.bytes() as u64;
        let slots = config.get(&NUMBER_OF_TASK_SLOTS);
        let mut problems = Vec::new();

        let overhead_min = config.get(&OVERHEAD_MIN);
        let overhead_max = config.get(&OVERHEAD_MAX);
        let network_min = config.get(&NETWORK_MIN);
        let network_max = config.get(&NETWORK_MAX);
        for (min_key, min, max_key, max) in [
            (
                OVERHEAD_MIN.key,
                overhead_min,
                OVERHEAD_MAX.key,
                overhead_max,
            ),
            (NETWORK_MIN.key, network_min, NETWORK_MAX.key, network_max),
        ] {
            if min > max {
                problems.push(WeirError::MemoryMinAboveMax {
                    min_key,
                    min,
                    max_key,
                    max,
                });
            }
        }
        WeirError::check_all(problems)?;

        let overhead = fraction_within(
            process,
            config.get(&OVERHEAD_FRACTION),
            (OVERHEAD_FRACTION.key, OVERHEAD_MIN.key, OVERHEAD_MAX.key),
            (overhead_min, overhead_max),
        );
        if overhead.size >= process {
            return Err(WeirError::InvalidConfiguration {
                problems: vec![WeirError::OverheadExceedsProcess {
                    overhead,
                    process_key: PROCESS_SIZE.key,
                    process,
                }],
            });
        }
        let total = process.saturating_sub(overhead.size);

        let managed = match config.get(&MANAGED_SIZE) {
            Some(size) => MemoryClaim::sized(MANAGED_SIZE.key, size.round_down_to(page)),
            None => {
                let fraction = config.get(&MANAGED_FRACTION);
                MemoryClaim {
                    key: MANAGED_FRACTION.key,
                    fraction: Some(fraction),
                    size: total.multiply(fraction).round_down_to(page),
                }
            }
        };

        let over_committed = |claims: Vec<MemoryClaim>, leaves_no_task_heap: bool| {
            let claimed: u64 = claims.iter().map(|claim| claim.size.bytes()).sum();
            WeirError::MemoryOverCommitted {
                claims,
                available: total,
                process_key: PROCESS_SIZE.key,
                process,
                overhead: overhead.size,
                excess: ByteSize::new(claimed.saturating_sub(total.bytes())),
                leaves_no_task_heap,
            }
        };

        let plan = match config.get(&TASK_HEAP_SIZE) {
            Some(task_heap) => {
                let heap_claim = MemoryClaim::sized(TASK_HEAP_SIZE.key, task_heap);
                let rest = total
                    .bytes()
                    .checked_sub(task_heap.bytes())
                    .and_then(|rest| rest.checked_sub(managed.size.bytes()));
                let network_bytes = match rest {
                    Some(rest) if rest >= network_min.bytes() => rest,
                    _ => {
                        let network_claim = MemoryClaim::sized(NETWORK_MIN.key, network_min);
                        return Err(WeirError::InvalidConfiguration {
                            problems: vec![over_committed(
                                vec![heap_claim, managed, network_claim],
                                false,
                            )],
                        });
                    }
                };
                let network = ByteSize::new(network_bytes);
                if network > network_max {
                    return Err(WeirError::InvalidConfiguration {
                        problems: vec![WeirError::NetworkMemoryAboveMax {
                            network,
                            max_key: NETWORK_MAX.key,
                            max: network_max,
                            claims: vec![heap_claim, managed],
                            process_key: PROCESS_SIZE.key,
                            process,
                            overhead: overhead.size,
                        }],
                    });
                }
                // Whole buffers; the bytes below one buffer join the runtime overhead.
                let network_whole = network.round_down_to(page);
                let network_whole = if network_whole < network_min {
                    ByteSize::new(network_whole.bytes() + page)
                } else {
                    network_whole
                };
                let rounding = network.saturating_sub(network_whole);
                MemoryPlan {
                    process_size: process,
                    runtime_overhead: MemoryClaim {
                        size: ByteSize::new(overhead.size.bytes() + rounding.bytes()),
                        ..overhead
                    },
                    task_heap,
                    task_heap_source: TaskHeapSource::Configured,
                    managed,
                    network: MemoryClaim::sized("the rest of the total memory", network_whole),
                    page_size,
                    slots,
                }
            }
            None => {
                let mut network = fraction_within(
                    total,
                    config.get(&NETWORK_FRACTION),
                    (NETWORK_FRACTION.key, NETWORK_MIN.key, NETWORK_MAX.key),
                    (network_min, network_max),
                );
                let whole = network.size.round_down_to(page);
                network.size = if whole < network_min && whole.bytes() + page <= network_max.bytes()
                {
                    ByteSize::new(whole.bytes() + page)
                } else {
                    whole
                };
                let claimed = managed.size.bytes() + network.size.bytes();
                if claimed >= total.bytes() {
                    return Err(WeirError::InvalidConfiguration {
                        problems: vec![over_committed(vec![managed, network], true)],
                    });
                }
                MemoryPlan {
                    process_size: process,
                    runtime_overhead: overhead,
                    task_heap: ByteSize::new(total.bytes() - claimed),
                    task_heap_source: TaskHeapSource::Remainder,
                    managed,
                    network,
                    page_size,
                    slots,
                }
            }
        };

        let pages_per_slot = plan.managed_pages_per_slot();
        if plan.managed.size > ByteSize::ZERO && pages_per_slot < MIN_MANAGED_PAGES_PER_SLOT {
            let needed = MIN_MANAGED_PAGES_PER_SLOT as u64 * u64::from(slots) * page;
            return Err(WeirError::InvalidConfiguration {
                problems: vec![WeirError::TooLittleManagedMemoryPerSlot {
                    slots_key: NUMBER_OF_TASK_SLOTS.key,
                    slots,
                    managed: plan.managed.clone(),
                    page_size,
                    pages_per_slot,
                    min_pages_per_slot: MIN_MANAGED_PAGES_PER_SLOT,
                    shortfall: ByteSize::new(needed).saturating_sub(plan.managed.size),
                }],
            });
        }
        debug_assert_eq!(plan.sum_of_parts(), plan.process_size);
        Ok(plan)
    }

    /// Process size minus runtime overhead: what managed, network and task heap share.
    pub fn total_memory(&self) -> ByteSize {
        self.process_size.saturating_sub(self.runtime_overhead.size)
    }

    /// Runtime overhead + task heap + managed + network.
    pub fn sum_of_parts(&self) -> ByteSize {
        ByteSize::new(
            self.runtime_overhead.size.bytes()
                + self.task_heap.bytes()
                + self.managed.size.bytes()
                + self.network.size.bytes(),
        )
    }

    pub fn managed_pages(&self) -> usize {
        self.page_size.pages_in(self.managed.size)
    }

    /// Managed pages of one slot; the pages left over by the division stay unused.
    pub fn managed_pages_per_slot(&self) -> usize {
        self.managed_pages() / self.slots as usize
    }

    /// Managed memory of one slot.
    pub fn managed_per_slot(&self) -> ByteSize {
        ByteSize::new(self.managed_pages_per_slot() as u64 * self.page_size.bytes() as u64)
    }

    /// The number of network buffers (one page each).
    pub fn network_buffers(&self) -> usize {
        self.page_size.pages_in(self.network.size)
    }

    /// The plan in one line, for the start of a job.
    pub fn summary_line(&self) -> String {
        format!(
            "memory plan: process {} = overhead {} + task heap {} + managed {} ({} pages of {}, {} per slot × {}) + network {} ({} buffers)",
            self.process_size.human(),
            self.runtime_overhead.size.human(),
            self.task_heap.human(),
            self.managed.size.human(),
            self.managed_pages(),
            self.page_size,
            self.managed_per_slot().human(),
            self.slots,
            self.network.size.human(),
            self.network_buffers(),
        )
    }
}

impl fmt::Display for MemoryPlan {
    /// The table `weir memory-plan` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let page = self.page_size;
        let heap_setting = match self.task_heap_source {
            TaskHeapSource::Configured => TASK_HEAP_SIZE.key.to_string(),
            TaskHeapSource::Remainder => "the rest of the total memory".to_string(),
        };
        let rows: [(&str, ByteSize, String, String); 7] = [
            (
                "process size",
                self.process_size,
                String::new(),
                PROCESS_SIZE.key.to_string(),
            ),
            (
                "├─ runtime overhead",
                self.runtime_overhead.size,
                String::new(),
                self.runtime_overhead.setting(),
            ),
            (
                "└─ total memory",
                self.total_memory(),
                String::new(),
                "process size - runtime overhead".to_string(),
            ),
            (
                "   ├─ task heap",
                self.task_heap,
                String::new(),
                heap_setting,
            ),
            (
                "   ├─ managed memory",
                self.managed.size,
                format!("{} pages of {page}", self.managed_pages()),
                self.managed.setting(),
            ),
            (
                "   │  └─ per slot",
                self.managed_per_slot(),
                format!("{} pages", self.managed_pages_per_slot()),
                format!("{} slot(s): {}", self.slots, NUMBER_OF_TASK_SLOTS.key),
            ),
            (
                "   └─ network memory",
                self.network.size,
                format!("{} buffers of {page}", self.network_buffers()),
                self.network.setting(),
            ),
        ];
        writeln!(f, "TaskManager memory plan")?;
        writeln!(
            f,
            "  {:<24} {:>11} {:>14}  {:<26} decided by",
            "part", "size", "bytes", "units"
        )?;
        for (name, size, units, setting) in rows {
            writeln!(
                f,
                "  {name:<24} {:>11} {:>14}  {units:<26} {setting}",
                size.human(),
                size.bytes(),
            )?;
        }
        Ok(())
    }
}

/// `fraction × base`, raised to `min` or lowered to `max`; the claim names the key that won.
fn fraction_within(
    base: ByteSize,
    fraction: f64,
    (fraction_key, min_key, max_key): (&'static str, &'static str, &'static str),
    (min, max): (ByteSize, ByteSize),
) -> MemoryClaim {
    let size = base.multiply(fraction);
    if size < min {
        MemoryClaim::sized(min_key, min)
    } else if size > max {
        MemoryClaim::sized(max_key, max)
    } else {
        MemoryClaim {
            key: fraction_key,
            fraction: Some(fraction),
            size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(pairs: &[(&str, &str)]) -> Result<MemoryPlan, WeirError> {
        MemoryPlan::from_config(&Configuration::from_pairs(pairs.iter().copied()).unwrap())
    }

    fn problem(pairs: &[(&str, &str)]) -> String {
        let error = plan(pairs).unwrap_err();
        let problems = error.problems();
        assert_eq!(problems.len(), 1, "{error}");
        problems[0].to_string()
    }

    const MIB: u64 = 1 << 20;

    #[test]
    fn default_plan_for_flinks_default_size() {
        let plan = plan(&[]).unwrap();
        assert_eq!(plan.process_size, ByteSize::mib(1728));
        // 0.1 × 1728m = 172.8m is below overhead.min.
        assert_eq!(
            plan.runtime_overhead,
            MemoryClaim::sized(OVERHEAD_MIN.key, ByteSize::mib(192))
        );
        assert_eq!(plan.total_memory(), ByteSize::mib(1536));
        // 0.4 × 1536m = 644245094.4 bytes, down to whole 32k pages.
        assert_eq!(plan.managed.size.bytes(), 19660 * 32 * 1024);
        assert_eq!(plan.managed_pages(), 19660);
        assert_eq!(plan.managed_pages_per_slot(), 19660);
        // 0.1 × 1536m = 153.6m, down to whole buffers.
        assert_eq!(plan.network_buffers(), 4915);
        assert_eq!(plan.network.key, NETWORK_FRACTION.key);
        assert_eq!(plan.task_heap_source, TaskHeapSource::Remainder);
        assert_eq!(plan.sum_of_parts(), plan.process_size);
        assert!(plan.task_heap > ByteSize::mib(700), "{}", plan.task_heap);
    }

    #[test]
    fn plans_for_several_process_sizes() {
        // (process size, overhead MiB, managed pages, network buffers), 32k pages.
        let table: [(&str, u64, usize, usize); 5] = [
            ("512m", 192, 4096, 2048), // network.min 64m = 2048 buffers
            ("1g", 192, 10649, 2662),  // 0.4 and 0.1 of 832m
            ("1728m", 192, 19660, 4915),
            ("4g", 409, 47185, 11796),    // overhead 0.1 × 4g = 409.6m
            ("16g", 1024, 196608, 32768), // overhead and network at their max 1g
        ];
        for (size, overhead_mib, managed_pages, buffers) in table {
            let plan = plan(&[(PROCESS_SIZE.key, size)]).unwrap();
            assert_eq!(
                plan.runtime_overhead.size.bytes() / MIB,
                overhead_mib,
                "{size}"
            );
            assert_eq!(plan.managed_pages(), managed_pages, "{size}");
            assert_eq!(plan.network_buffers(), buffers, "{size}");
            assert_eq!(plan.sum_of_parts(), plan.process_size, "{size}");
            assert!(plan.task_heap > ByteSize::ZERO, "{size}");
        }
    }

    #[test]
    fn slots_split_managed_memory() {
        let plan = plan(&[(NUMBER_OF_TASK_SLOTS.key, "3")]).unwrap();
        assert_eq!(plan.managed_pages_per_slot(), 19660 / 3);
        assert_eq!(
            plan.managed_per_slot().bytes(),
            (19660 / 3) as u64 * 32 * 1024
        );
    }

    #[test]
    fn explicit_managed_size_and_page_size() {
        let plan = plan(&[
            (MANAGED_SIZE.key, "1g"),
            (SEGMENT_SIZE.key, "1m"),
            (PROCESS_SIZE.key, "4g"),
        ])
        .unwrap();
        assert_eq!(
            plan.managed,
            MemoryClaim::sized(MANAGED_SIZE.key, ByteSize::gib(1))
        );
        assert_eq!(plan.managed_pages(), 1024);
        assert_eq!(plan.network.size.bytes() % MIB, 0);
        assert_eq!(plan.sum_of_parts(), plan.process_size);
    }

    #[test]
    fn a_fixed_task_heap_leaves_network_memory_the_rest() {
        let fixed = plan(&[(TASK_HEAP_SIZE.key, "800m"), (MANAGED_SIZE.key, "600m")]).unwrap();
        assert_eq!(fixed.task_heap, ByteSize::mib(800));
        assert_eq!(fixed.task_heap_source, TaskHeapSource::Configured);
        assert_eq!(fixed.network.size, ByteSize::mib(1536 - 800 - 600));
        assert_eq!(fixed.runtime_overhead.size, ByteSize::mib(192));
        assert_eq!(fixed.sum_of_parts(), fixed.process_size);

        // A rest that is not whole buffers: the odd bytes join the overhead.
        let odd = plan(&[
            (TASK_HEAP_SIZE.key, "800m"),
            (MANAGED_SIZE.key, "600m"),
            (PROCESS_SIZE.key, "1769473k"), // 1728m + 1k
        ])
        .unwrap();
        assert_eq!(odd.network.size, ByteSize::mib(136));
        assert_eq!(odd.runtime_overhead.size, ByteSize::new((192 << 20) + 1024));
        assert_eq!(odd.sum_of_parts(), odd.process_size);
    }

    #[test]
    fn conflicts_name_the_keys_and_the_bytes() {
        assert_eq!(
            problem(&[(MANAGED_SIZE.key, "1400m")]),
            "taskmanager.memory.managed.size (1400m) + taskmanager.memory.network.fraction 0.1 \
             (154 MiB (161054720 bytes)) exceed the 1536m left by \
             taskmanager.memory.process.size (1728m) after runtime overhead (192m) by \
             17.6 MiB (18448384 bytes), leaving no task heap"
        );
        assert_eq!(
            problem(&[(TASK_HEAP_SIZE.key, "1g"), (MANAGED_SIZE.key, "512m")]),
            "taskmanager.memory.task.heap.size (1g) + taskmanager.memory.managed.size (512m) + \
             taskmanager.memory.network.min (64m) exceed the 1536m left by \
             taskmanager.memory.process.size (1728m) after runtime overhead (192m) by 64m"
        );
        assert_eq!(
            problem(&[(TASK_HEAP_SIZE.key, "100m"), (MANAGED_SIZE.key, "100m")]),
            "the 1336m left for network memory by taskmanager.memory.process.size (1728m) after \
             runtime overhead (192m), taskmanager.memory.task.heap.size (100m) + \
             taskmanager.memory.managed.size (100m) is above taskmanager.memory.network.max (1g) \
             by 312m; raise the task heap or leave it unset"
        );
        assert_eq!(
            problem(&[(PROCESS_SIZE.key, "128m")]),
            "runtime overhead taskmanager.memory.overhead.min (192m) leaves nothing of \
             taskmanager.memory.process.size (128m): it is larger by 64m"
        );
        assert_eq!(
            problem(&[(NUMBER_OF_TASK_SLOTS.key, "2000")]),
            "taskmanager.numberOfTaskSlots (2000) splits taskmanager.memory.managed.fraction 0.4 \
             (614 MiB (644218880 bytes)) into 9 pages of 32k per slot, fewer than the 16 a slot \
             needs: managed memory is short by 386 MiB (404357120 bytes)"
        );
    }

    #[test]
    fn min_above_max_is_reported_for_each_pair() {
        let error = plan(&[(OVERHEAD_MIN.key, "2g"), (NETWORK_MIN.key, "2g")]).unwrap_err();
        let problems: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "taskmanager.memory.overhead.min (2g) is larger than taskmanager.memory.overhead.max (1g) by 1g",
                "taskmanager.memory.network.min (2g) is larger than taskmanager.memory.network.max (1g) by 1g",
            ]
        );
    }

    #[test]
    fn zero_managed_memory_is_allowed() {
        let plan = plan(&[
            (MANAGED_FRACTION.key, "0"),
            (NUMBER_OF_TASK_SLOTS.key, "64"),
        ])
        .unwrap();
        assert_eq!(plan.managed_pages(), 0);
        assert_eq!(plan.sum_of_parts(), plan.process_size);
    }

    #[test]
    fn summary_line_and_table() {
        let plan = plan(&[]).unwrap();
        let line = plan.summary_line();
        assert!(
            line.starts_with("memory plan: process 1.69 GiB = overhead 192 MiB"),
            "{line}"
        );
        assert!(line.contains("4915 buffers"), "{line}");
        let table = plan.to_string();
        for needle in [
            "taskmanager.memory.overhead.min",
            "taskmanager.memory.managed.fraction 0.4",
            "19660 pages of 32k",
            "4915 buffers of 32k",
            "1811939328",
        ] {
            assert!(table.contains(needle), "{needle} missing in\n{table}");
        }
    }
}
