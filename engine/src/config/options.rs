//! Every configuration key Weir reads, each defined once with its type, default and doc.
//!
//! Keys use Flink's names. [`ALL_OPTIONS`] lists them in the order of `conf/weir-conf.yaml`; a
//! key missing from it is unknown to validation, `weir config` and the conf file. Add a key here
//! only when code reads it.

use std::ops::Bound;
use std::path::PathBuf;
use std::time::Duration;

use weir_memory::{ByteSize, PageSize};

use crate::config::config_option::{ConfigOption, OptionDefault, OptionDescriptor, ValueRange};
use crate::config::option_value::{
    BatchShuffleMode, CheckpointingMode, RestartStrategyType, StateBackendType,
};
use crate::config::path_list::PathList;

/// A fraction of a memory budget: `[0, 1)`.
const FRACTION_RANGE: ValueRange<f64> = ValueRange {
    min: Bound::Included(0.0),
    max: Bound::Excluded(1.0),
};

pub static PROCESS_SIZE: ConfigOption<ByteSize> = ConfigOption {
    key: "taskmanager.memory.process.size",
    default: OptionDefault::Fixed(ByteSize::mib(1728)),
    range: ValueRange::ANY,
    doc: "Total memory of a TaskManager process: everything it may keep resident (runtime \
          overhead, task heap, managed memory and network buffers). Every other memory budget \
          is derived from it; `weir memory-plan` prints how.",
};

pub static TASK_HEAP_SIZE: ConfigOption<Option<ByteSize>> = ConfigOption {
    key: "taskmanager.memory.task.heap.size",
    default: OptionDefault::Derived {
        how: "the remainder of the total memory (process size minus runtime overhead) after \
              managed and network memory",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Heap memory for user code and for operator objects outside managed memory. When set, \
          network memory becomes the remainder instead and must stay within \
          taskmanager.memory.network.min and taskmanager.memory.network.max.",
};

pub static MANAGED_SIZE: ConfigOption<Option<ByteSize>> = ConfigOption {
    key: "taskmanager.memory.managed.size",
    default: OptionDefault::Derived {
        how: "taskmanager.memory.managed.fraction of the total memory (process size minus \
              runtime overhead)",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Managed memory: the pages that sorts, joins, aggregations and state backends work in, \
          split equally among the slots. Overrides taskmanager.memory.managed.fraction when set.",
};

pub static MANAGED_FRACTION: ConfigOption<f64> = ConfigOption {
    key: "taskmanager.memory.managed.fraction",
    default: OptionDefault::Fixed(0.4),
    range: FRACTION_RANGE,
    doc: "Share of the total memory (process size minus runtime overhead) used as managed \
          memory when taskmanager.memory.managed.size is not set.",
};

pub static NETWORK_FRACTION: ConfigOption<f64> = ConfigOption {
    key: "taskmanager.memory.network.fraction",
    default: OptionDefault::Fixed(0.1),
    range: FRACTION_RANGE,
    doc: "Share of the total memory (process size minus runtime overhead) used for network \
          buffers, kept within taskmanager.memory.network.min and taskmanager.memory.network.max.",
};

pub static NETWORK_MIN: ConfigOption<ByteSize> = ConfigOption {
    key: "taskmanager.memory.network.min",
    default: OptionDefault::Fixed(ByteSize::mib(64)),
    range: ValueRange::ANY,
    doc: "Least network memory.",
};

pub static NETWORK_MAX: ConfigOption<ByteSize> = ConfigOption {
    key: "taskmanager.memory.network.max",
    default: OptionDefault::Fixed(ByteSize::gib(1)),
    range: ValueRange::ANY,
    doc: "Most network memory.",
};

pub static OVERHEAD_FRACTION: ConfigOption<f64> = ConfigOption {
    key: "taskmanager.memory.overhead.fraction",
    default: OptionDefault::Fixed(0.1),
    range: FRACTION_RANGE,
    doc: "Share of the process size kept for runtime overhead: thread stacks, allocator \
          fragmentation and metadata, code and other native memory outside the budgets; kept \
          within taskmanager.memory.overhead.min and taskmanager.memory.overhead.max.",
};

pub static OVERHEAD_MIN: ConfigOption<ByteSize> = ConfigOption {
    key: "taskmanager.memory.overhead.min",
    default: OptionDefault::Fixed(ByteSize::mib(192)),
    range: ValueRange::ANY,
    doc: "Least runtime overhead.",
};

pub static OVERHEAD_MAX: ConfigOption<ByteSize> = ConfigOption {
    key: "taskmanager.memory.overhead.max",
    default: OptionDefault::Fixed(ByteSize::gib(1)),
    range: ValueRange::ANY,
    doc: "Most runtime overhead.",
};

pub static SEGMENT_SIZE: ConfigOption<PageSize> = ConfigOption {
    key: "taskmanager.memory.segment-size",
    default: OptionDefault::Fixed(PageSize::DEFAULT),
    range: ValueRange::ANY,
    doc: "Size of a memory segment: the page of managed memory and the size of one network \
          buffer.",
};

pub static NUMBER_OF_TASK_SLOTS: ConfigOption<u32> = ConfigOption {
    key: "taskmanager.numberOfTaskSlots",
    default: OptionDefault::Fixed(1),
    range: ValueRange {
        min: Bound::Included(1),
        max: Bound::Unbounded,
    },
    doc: "Number of slots of a TaskManager: how many parallel pipelines it runs at once. \
          Managed memory is split equally among the slots.",
};

pub static IO_TMP_DIRS: ConfigOption<PathList> = ConfigOption {
    key: "io.tmp.dirs",
    default: OptionDefault::Derived {
        how: "the system temp directory (TMPDIR, else /tmp)",
        value: || PathList::single(system_temp_dir()),
    },
    range: ValueRange::ANY,
    doc: "Directories for spill files of sorts, joins and blocking exchanges. Files are spread \
          over the directories round-robin with one I/O thread per directory, so list one \
          directory per disk.",
};

pub static PARALLELISM_DEFAULT: ConfigOption<u32> = ConfigOption {
    key: "parallelism.default",
    default: OptionDefault::Fixed(1),
    range: ValueRange {
        min: Bound::Included(1),
        max: Bound::Included(1024),
    },
    doc: "Parallelism of a job's operators when neither the program nor `weir run -p` sets \
          one.",
};

pub static BATCH_SHUFFLE_MODE: ConfigOption<BatchShuffleMode> = ConfigOption {
    key: "execution.batch-shuffle-mode",
    default: OptionDefault::Fixed(BatchShuffleMode::AllExchangesBlocking),
    range: ValueRange::ANY,
    doc: "How exchanges of batch jobs run. ALL_EXCHANGES_BLOCKING: stage by stage, each \
          exchange kept (and spilled when it does not fit) until its consumers read it. \
          ALL_EXCHANGES_PIPELINED: producers and consumers of one-input exchanges run at once \
          and share their slot's memory.",
};

pub static OVERWRITE_FILES: ConfigOption<bool> = ConfigOption {
    key: "fs.overwrite-files",
    default: OptionDefault::Fixed(false),
    range: ValueRange::ANY,
    doc: "Whether file sinks replace an existing output path (`weir run ... --overwrite`) \
          instead of refusing to start.",
};

pub static ALWAYS_CREATE_DIRECTORY: ConfigOption<bool> = ConfigOption {
    key: "fs.output.always-create-directory",
    default: OptionDefault::Fixed(false),
    range: ValueRange::ANY,
    doc: "Whether a file sink of parallelism 1 writes a directory with one part file, like \
          higher parallelisms, instead of a single file at the output path.",
};

pub static JOB_MANAGER_PROCESS_SIZE: ConfigOption<Option<ByteSize>> = ConfigOption {
    key: "jobmanager.memory.process.size",
    default: OptionDefault::Derived {
        how: "taskmanager.memory.process.size: a per-job YARN cluster runs its job inside the \
              ApplicationMaster, in local mode",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Memory of the ApplicationMaster container of `weir run -m yarn-cluster` (-yjm). The \
          job runs inside it with the memory plan of taskmanager.memory.process.size, which \
          must fit.",
};

pub static YARN_APPLICATION_NAME: ConfigOption<Option<String>> = ConfigOption {
    key: "yarn.application.name",
    default: OptionDefault::Derived {
        how: "\"Weir per-job cluster: <JOB>\"",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Name of the YARN application (-ynm).",
};

pub static YARN_APPLICATION_QUEUE: ConfigOption<Option<String>> = ConfigOption {
    key: "yarn.application.queue",
    default: OptionDefault::Derived {
        how: "the scheduler's default queue",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "YARN queue the application is submitted to (-yqu).",
};

pub static YARN_APPLICATION_TYPE: ConfigOption<String> = ConfigOption {
    key: "yarn.application.type",
    default: OptionDefault::Derived {
        how: "Weir",
        value: || "Weir".to_owned(),
    },
    range: ValueRange::ANY,
    doc: "Application type shown by YARN (and used by `weir yarn list` to find Weir's \
          applications).",
};

pub static YARN_APPLICATION_ATTEMPTS: ConfigOption<u32> = ConfigOption {
    key: "yarn.application-attempts",
    default: OptionDefault::Fixed(1),
    range: ValueRange {
        min: Bound::Included(1),
        max: Bound::Included(100),
    },
    doc: "How many times YARN may start the ApplicationMaster (the job reruns from its start \
          in a new attempt; its output is committed only when it succeeds). YARN caps it at \
          yarn.resourcemanager.am.max-attempts.",
};

pub static YARN_APPMASTER_VCORES: ConfigOption<u32> = ConfigOption {
    key: "yarn.appmaster.vcores",
    default: OptionDefault::Fixed(1),
    range: ValueRange {
        min: Bound::Included(1),
        max: Bound::Included(1024),
    },
    doc: "Virtual cores of the ApplicationMaster container.",
};

pub static YARN_STAGING_DIRECTORY: ConfigOption<Option<String>> = ConfigOption {
    key: "yarn.staging-directory",
    default: OptionDefault::Derived {
        how: "the user's home directory on fs.defaultFS (core-site.xml)",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Where the client uploads the weir binary (once per content), the configuration and \
          ship files: an hdfs:// or file:// URI (file:// only where every node sees the same \
          path).",
};

pub static YARN_SHIP_FILES: ConfigOption<Option<String>> = ConfigOption {
    key: "yarn.ship-files",
    default: OptionDefault::Derived {
        how: "nothing shipped",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Local files or directories, separated by ';', uploaded with the application and \
          linked into the ApplicationMaster's working directory under their file names.",
};

pub static YARN_HEARTBEAT_INTERVAL: ConfigOption<Duration> = ConfigOption {
    key: "yarn.heartbeat.interval",
    default: OptionDefault::Fixed(Duration::from_secs(5)),
    range: ValueRange {
        min: Bound::Included(Duration::from_millis(10)),
        max: Bound::Included(Duration::from_secs(600)),
    },
    doc: "Interval of the ApplicationMaster's heartbeat (allocate call) to the ResourceManager.",
};

pub static YARN_CONTAINER_REQUEST_HEARTBEAT_INTERVAL: ConfigOption<Duration> = ConfigOption {
    key: "yarn.heartbeat.container-request-interval",
    default: OptionDefault::Fixed(Duration::from_millis(500)),
    range: ValueRange {
        min: Bound::Included(Duration::from_millis(10)),
        max: Bound::Included(Duration::from_secs(600)),
    },
    doc: "Heartbeat interval while container requests are outstanding.",
};

pub static YARN_RESOURCEMANAGER_ADDRESS: ConfigOption<Option<String>> = ConfigOption {
    key: "yarn.resourcemanager.address",
    default: OptionDefault::Derived {
        how: "yarn-site.xml in YARN_CONF_DIR or HADOOP_CONF_DIR (with RM HA: every rm-id)",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "host:port of the ResourceManager's client port, over yarn-site.xml; several \
          addresses separated by ',' are tried in turn like RM HA. The scheduler address \
          follows the same host (port 8030) unless one is configured.",
};

pub static YARN_RESOURCEMANAGER_SCHEDULER_ADDRESS: ConfigOption<Option<String>> = ConfigOption {
    key: "yarn.resourcemanager.scheduler.address",
    default: OptionDefault::Derived {
        how: "yarn-site.xml in YARN_CONF_DIR or HADOOP_CONF_DIR",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "host:port of the ResourceManager's scheduler port, which the ApplicationMaster \
          registers with, over yarn-site.xml.",
};

pub static YARN_CONNECT_TIMEOUT: ConfigOption<Duration> = ConfigOption {
    key: "yarn.resourcemanager.connect.timeout",
    default: OptionDefault::Fixed(Duration::from_secs(2)),
    range: ValueRange {
        min: Bound::Included(Duration::from_millis(10)),
        max: Bound::Included(Duration::from_secs(600)),
    },
    doc: "How long one connection attempt to the ResourceManager may take.",
};

pub static YARN_CONNECT_MAX_WAIT: ConfigOption<Duration> = ConfigOption {
    key: "yarn.resourcemanager.connect.max-wait",
    default: OptionDefault::Fixed(Duration::from_secs(10)),
    range: ValueRange {
        min: Bound::Included(Duration::from_millis(10)),
        max: Bound::Included(Duration::from_secs(3600)),
    },
    doc: "How long the client keeps retrying (and failing over between RM HA addresses) \
          before it reports the ResourceManager unreachable (Hadoop waits 15 min by default).",
};

pub static YARN_CONNECT_RETRY_INTERVAL: ConfigOption<Duration> = ConfigOption {
    key: "yarn.resourcemanager.connect.retry-interval",
    default: OptionDefault::Fixed(Duration::from_millis(500)),
    range: ValueRange {
        min: Bound::Included(Duration::from_millis(1)),
        max: Bound::Included(Duration::from_secs(600)),
    },
    doc: "Pause between attempts to reach the ResourceManager.",
};

pub static YARN_RPC_TIMEOUT: ConfigOption<Duration> = ConfigOption {
    key: "yarn.resourcemanager.rpc-timeout",
    default: OptionDefault::Fixed(Duration::from_secs(60)),
    range: ValueRange {
        min: Bound::Included(Duration::from_millis(10)),
        max: Bound::Included(Duration::from_secs(3600)),
    },
    doc: "How long one call to the ResourceManager or a NodeManager may take.",
};

// ---- streaming: exchanges, time, state, checkpoints, restarts ----

pub static BUFFER_TIMEOUT: ConfigOption<Duration> = ConfigOption {
    key: "execution.buffer-timeout",
    default: OptionDefault::Fixed(Duration::from_millis(100)),
    range: ValueRange::ANY,
    doc: "Streaming: the longest a partly filled network buffer waits before it is sent \
          downstream. Lower means less latency and more, smaller buffers; 0 ms sends after \
          every record.",
};

pub static BUFFERS_PER_CHANNEL: ConfigOption<u32> = ConfigOption {
    key: "taskmanager.network.memory.buffers-per-channel",
    default: OptionDefault::Fixed(2),
    range: ValueRange {
        min: Bound::Included(1),
        max: Bound::Included(1024),
    },
    doc: "Streaming: the credit each input channel announces to its sender at the start and \
          keeps renewing as it consumes buffers (credit-based flow control). A sender sends a \
          buffer only against a credit.",
};

pub static FLOATING_BUFFERS_PER_GATE: ConfigOption<u32> = ConfigOption {
    key: "taskmanager.network.memory.floating-buffers-per-gate",
    default: OptionDefault::Fixed(8),
    range: ValueRange::ANY,
    doc: "Streaming: extra buffers a result partition may hold beyond one per subpartition, \
          for senders whose receivers have not yet announced credit.",
};

pub static AUTO_WATERMARK_INTERVAL: ConfigOption<Duration> = ConfigOption {
    key: "pipeline.auto-watermark-interval",
    default: OptionDefault::Fixed(Duration::from_millis(200)),
    range: ValueRange::ANY,
    doc: "Streaming: how often periodic watermark generators emit a watermark (processing \
          time). 0 ms emits after every record.",
};

pub static MAX_PARALLELISM: ConfigOption<u32> = ConfigOption {
    key: "pipeline.max-parallelism",
    default: OptionDefault::Fixed(128),
    range: ValueRange {
        min: Bound::Included(1),
        max: Bound::Included(32768),
    },
    doc: "Streaming: the number of key groups keyed state is split into; the highest \
          parallelism a job's keyed operators can be restored at. Must stay the same across \
          restores of a job's state.",
};

pub static STATE_BACKEND_TYPE: ConfigOption<StateBackendType> = ConfigOption {
    key: "state.backend.type",
    default: OptionDefault::Fixed(StateBackendType::HashMap),
    range: ValueRange::ANY,
    doc: "Streaming: where keyed state lives. hashmap: objects on the heap, counted against \
          the task heap budget. managed (serialized records in pages of managed memory, \
          spilling to disk) is not available yet and is refused.",
};

pub static CHECKPOINTING_INTERVAL: ConfigOption<Option<Duration>> = ConfigOption {
    key: "execution.checkpointing.interval",
    default: OptionDefault::Derived {
        how: "unset: checkpointing is off",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Streaming: how often a checkpoint starts. Unset turns checkpointing off.",
};

pub static CHECKPOINTING_MODE: ConfigOption<CheckpointingMode> = ConfigOption {
    key: "execution.checkpointing.mode",
    default: OptionDefault::Fixed(CheckpointingMode::ExactlyOnce),
    range: ValueRange::ANY,
    doc: "Streaming: EXACTLY_ONCE aligns checkpoint barriers (an input that delivered a \
          barrier waits for the others); AT_LEAST_ONCE does not, so records after a barrier \
          may be part of the state and be replayed after a restore.",
};

pub static CHECKPOINTING_TIMEOUT: ConfigOption<Duration> = ConfigOption {
    key: "execution.checkpointing.timeout",
    default: OptionDefault::Fixed(Duration::from_secs(600)),
    range: ValueRange::ANY,
    doc: "Streaming: a checkpoint not complete after this long is aborted and counted as \
          failed.",
};

pub static CHECKPOINTING_MIN_PAUSE: ConfigOption<Duration> = ConfigOption {
    key: "execution.checkpointing.min-pause",
    default: OptionDefault::Fixed(Duration::ZERO),
    range: ValueRange::ANY,
    doc: "Streaming: the least time between the end of one checkpoint and the start of the \
          next.",
};

pub static CHECKPOINTING_MAX_CONCURRENT: ConfigOption<u32> = ConfigOption {
    key: "execution.checkpointing.max-concurrent-checkpoints",
    default: OptionDefault::Fixed(1),
    range: ValueRange {
        min: Bound::Included(1),
        max: Bound::Included(1),
    },
    doc: "Streaming: checkpoints in progress at once. Only 1 is supported: a checkpoint \
          starts after the previous one completed or failed.",
};

pub static CHECKPOINTS_DIRECTORY: ConfigOption<Option<String>> = ConfigOption {
    key: "state.checkpoints.dir",
    default: OptionDefault::Derived {
        how: "unset: a job with checkpointing enabled must set it",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Streaming: where checkpoints are written (file:// or a local path), one folder \
          chk-<id> per checkpoint under a folder per job.",
};

pub static CHECKPOINTS_NUM_RETAINED: ConfigOption<u32> = ConfigOption {
    key: "state.checkpoints.num-retained",
    default: OptionDefault::Fixed(1),
    range: ValueRange {
        min: Bound::Included(1),
        max: Bound::Included(1000),
    },
    doc: "Streaming: completed checkpoints kept; older ones are deleted once a newer one \
          completes.",
};

pub static SAVEPOINTS_DIRECTORY: ConfigOption<Option<String>> = ConfigOption {
    key: "state.savepoints.dir",
    default: OptionDefault::Derived {
        how: "unset: `weir run --savepoint-dir` gives it per run",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Streaming: where savepoints are written (file:// or a local path), one folder \
          savepoint-<id> per savepoint.",
};

pub static SAVEPOINT_PATH: ConfigOption<Option<String>> = ConfigOption {
    key: "execution.savepoint.path",
    default: OptionDefault::Derived {
        how: "unset: the job starts without state (`weir run -s PATH` sets it)",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Streaming: the checkpoint or savepoint a job starts from: a chk-<id> or savepoint \
          folder, its _metadata file, or a job's checkpoint folder (its latest completed \
          checkpoint).",
};

pub static SAVEPOINT_IGNORE_UNCLAIMED_STATE: ConfigOption<bool> = ConfigOption {
    key: "execution.savepoint.ignore-unclaimed-state",
    default: OptionDefault::Fixed(false),
    range: ValueRange::ANY,
    doc: "Streaming: start from a checkpoint or savepoint that holds state of operators the \
          job no longer has (that state is dropped) instead of refusing to start.",
};

pub static RESTART_STRATEGY_TYPE: ConfigOption<Option<RestartStrategyType>> = ConfigOption {
    key: "restart-strategy.type",
    default: OptionDefault::Derived {
        how: "exponential-delay when checkpointing is enabled, none otherwise",
        value: || None,
    },
    range: ValueRange::ANY,
    doc: "Streaming: what happens when a task fails. none: the job fails. fixed-delay and \
          exponential-delay: the job restarts from its latest completed checkpoint.",
};

pub static FIXED_DELAY_ATTEMPTS: ConfigOption<u32> = ConfigOption {
    key: "restart-strategy.fixed-delay.attempts",
    default: OptionDefault::Fixed(1),
    range: ValueRange::ANY,
    doc: "Streaming, fixed-delay: restarts before the job fails.",
};

pub static FIXED_DELAY_DELAY: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.fixed-delay.delay",
    default: OptionDefault::Fixed(Duration::from_secs(1)),
    range: ValueRange::ANY,
    doc: "Streaming, fixed-delay: the wait before each restart.",
};

pub static EXPONENTIAL_DELAY_INITIAL_BACKOFF: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.exponential-delay.initial-backoff",
    default: OptionDefault::Fixed(Duration::from_secs(1)),
    range: ValueRange::ANY,
    doc: "Streaming, exponential-delay: the wait before the first restart.",
};

pub static EXPONENTIAL_DELAY_MAX_BACKOFF: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.exponential-delay.max-backoff",
    default: OptionDefault::Fixed(Duration::from_secs(60)),
    range: ValueRange::ANY,
    doc: "Streaming, exponential-delay: the longest wait between restarts.",
};

pub static EXPONENTIAL_DELAY_MULTIPLIER: ConfigOption<f64> = ConfigOption {
    key: "restart-strategy.exponential-delay.backoff-multiplier",
    default: OptionDefault::Fixed(1.5),
    range: ValueRange {
        min: Bound::Included(1.0),
        max: Bound::Unbounded,
    },
    doc: "Streaming, exponential-delay: the factor the wait grows by after each failure.",
};

pub static EXPONENTIAL_DELAY_RESET_THRESHOLD: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.exponential-delay.reset-backoff-threshold",
    default: OptionDefault::Fixed(Duration::from_secs(3600)),
    range: ValueRange::ANY,
    doc: "Streaming, exponential-delay: a job that ran this long without a failure starts \
          again from the initial backoff.",
};

pub static EXPONENTIAL_DELAY_JITTER: ConfigOption<f64> = ConfigOption {
    key: "restart-strategy.exponential-delay.jitter-factor",
    default: OptionDefault::Fixed(0.1),
    range: ValueRange {
        min: Bound::Included(0.0),
        max: Bound::Included(1.0),
    },
    doc: "Streaming, exponential-delay: random spread of each wait, as a fraction of it.",
};

pub static EXPONENTIAL_DELAY_ATTEMPTS: ConfigOption<u32> = ConfigOption {
    key: "restart-strategy.exponential-delay.attempts-before-reset-backoff",
    default: OptionDefault::Fixed(u32::MAX),
    range: ValueRange::ANY,
    doc: "Streaming, exponential-delay: restarts before the job fails, counted since the last \
          backoff reset.",
};

fn system_temp_dir() -> PathBuf {
    std::env::temp_dir()
}

/// Every option, in the order of `conf/weir-conf.yaml` and `weir config`.
pub static ALL_OPTIONS: &[&dyn OptionDescriptor] = &[
    &PROCESS_SIZE,
    &TASK_HEAP_SIZE,
    &MANAGED_SIZE,
    &MANAGED_FRACTION,
    &NETWORK_FRACTION,
    &NETWORK_MIN,
    &NETWORK_MAX,
    &OVERHEAD_FRACTION,
    &OVERHEAD_MIN,
    &OVERHEAD_MAX,
    &SEGMENT_SIZE,
    &NUMBER_OF_TASK_SLOTS,
    &IO_TMP_DIRS,
    &PARALLELISM_DEFAULT,
    &BATCH_SHUFFLE_MODE,
    &OVERWRITE_FILES,
    &ALWAYS_CREATE_DIRECTORY,
    &BUFFER_TIMEOUT,
    &BUFFERS_PER_CHANNEL,
    &FLOATING_BUFFERS_PER_GATE,
    &AUTO_WATERMARK_INTERVAL,
    &MAX_PARALLELISM,
    &STATE_BACKEND_TYPE,
    &CHECKPOINTING_INTERVAL,
    &CHECKPOINTING_MODE,
    &CHECKPOINTING_TIMEOUT,
    &CHECKPOINTING_MIN_PAUSE,
    &CHECKPOINTING_MAX_CONCURRENT,
    &CHECKPOINTS_DIRECTORY,
    &CHECKPOINTS_NUM_RETAINED,
    &SAVEPOINTS_DIRECTORY,
    &SAVEPOINT_PATH,
    &SAVEPOINT_IGNORE_UNCLAIMED_STATE,
    &RESTART_STRATEGY_TYPE,
    &FIXED_DELAY_ATTEMPTS,
    &FIXED_DELAY_DELAY,
    &EXPONENTIAL_DELAY_INITIAL_BACKOFF,
    &EXPONENTIAL_DELAY_MAX_BACKOFF,
    &EXPONENTIAL_DELAY_MULTIPLIER,
    &EXPONENTIAL_DELAY_RESET_THRESHOLD,
    &EXPONENTIAL_DELAY_JITTER,
    &EXPONENTIAL_DELAY_ATTEMPTS,
    &JOB_MANAGER_PROCESS_SIZE,
    &YARN_APPLICATION_NAME,
    &YARN_APPLICATION_QUEUE,
    &YARN_APPLICATION_TYPE,
    &YARN_APPLICATION_ATTEMPTS,
    &YARN_APPMASTER_VCORES,
    &YARN_STAGING_DIRECTORY,
    &YARN_SHIP_FILES,
    &YARN_HEARTBEAT_INTERVAL,
    &YARN_CONTAINER_REQUEST_HEARTBEAT_INTERVAL,
    &YARN_RESOURCEMANAGER_ADDRESS,
    &YARN_RESOURCEMANAGER_SCHEDULER_ADDRESS,
    &YARN_CONNECT_TIMEOUT,
    &YARN_CONNECT_MAX_WAIT,
    &YARN_CONNECT_RETRY_INTERVAL,
    &YARN_RPC_TIMEOUT,
];

/// The option with this exact key.
pub fn find_option(key: &str) -> Option<&'static dyn OptionDescriptor> {
    ALL_OPTIONS
        .iter()
        .copied()
        .find(|option| option.key() == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_unique_and_documented() {
        let mut keys = HashSet::new();
        for option in ALL_OPTIONS {
            assert!(keys.insert(option.key()), "{} listed twice", option.key());
            assert!(option.doc().ends_with('.'), "{}", option.key());
            assert!(
                option.default_text().is_some() != option.derived_default().is_some(),
                "{} needs exactly one of a fixed default and a derivation",
                option.key()
            );
        }
    }

    #[test]
    fn every_fixed_default_passes_its_own_check() {
        for option in ALL_OPTIONS {
            if let Some(text) = option.default_text() {
                let raw = crate::config::raw_entry::RawValue::Text(text.clone());
                assert_eq!(option.check(&raw), Ok(Some(text)), "{}", option.key());
            }
        }
    }

    #[test]
    fn io_tmp_dirs_defaults_to_the_system_temp_dir() {
        assert_eq!(
            IO_TMP_DIRS.default_value().paths(),
            [std::env::temp_dir()].as_slice()
        );
    }
}
