//! [`WeirError`]: every way the `weir` crate fails, carrying the data to say why.
//!
//! Configuration problems name the key, the value, where it came from
//! ([`ValueSource`]: `file:line`, `--conf file:line` or `-D`) and the accepted form, so a
//! user can fix every one of them from the message alone. Validation collects all problems and
//! returns them together as [`WeirError::InvalidConfiguration`].

use std::path::PathBuf;

use weir_memory::{ByteSize, MemoryError, PageSize};

use crate::config::ValueSource;
use crate::memory_plan::MemoryClaim;
use crate::types::DeserializeProblem;

/// One error type for the whole `weir` crate.
#[derive(Debug, thiserror::Error)]
pub enum WeirError {
    // ---- reading configuration sources ----
    #[error("cannot read conf file {}: {source}", .path.display())]
    ReadConfFile {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "{variable} is set to {}, which is not a folder; point it at the folder holding weir-conf.yaml",
        .path.display()
    )]
    ConfDirNotFound {
        variable: &'static str,
        path: PathBuf,
    },

    #[error(
        "{variable} names the conf folder, but {} does not exist",
        .path.display()
    )]
    ConfFileNotInConfDir {
        variable: &'static str,
        path: PathBuf,
    },

    #[error("{}:{line}:{column}: YAML syntax error: {message}", .path.display())]
    YamlSyntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error(
        "{}:{line}: {construct} is not supported in a conf file; write `key: value` lines or nested maps of them",
        .path.display()
    )]
    UnsupportedYaml {
        path: PathBuf,
        line: usize,
        construct: &'static str,
    },

    #[error("{second}: duplicate key '{key}', already set at {first}")]
    DuplicateKey {
        key: String,
        first: ValueSource,
        second: ValueSource,
    },

    #[error("-D '{argument}' is not of the form key=value")]
    MalformedDynamicProperty { argument: String },

    // ---- checking values against the options ----
    #[error("{origin}: unknown key '{key}'{}", did_you_mean(*.suggestion))]
    UnknownKey {
        key: String,
        origin: ValueSource,
        suggestion: Option<&'static str>,
    },

    #[error("{origin}: {key}: invalid value '{value}' ({reason}); expected {accepted}")]
    InvalidValue {
        key: &'static str,
        value: String,
        origin: ValueSource,
        reason: &'static str,
        accepted: String,
    },

    // ---- memory plan conflicts ----
    #[error(
        "{min_key} ({min}) is larger than {max_key} ({max}) by {}",
        size_in_message(.min.saturating_sub(*.max))
    )]
    MemoryMinAboveMax {
        min_key: &'static str,
        min: ByteSize,
        max_key: &'static str,
        max: ByteSize,
    },

    #[error(
        "runtime overhead {overhead} leaves nothing of {process_key} ({process}): it is larger by {}",
        size_in_message(.overhead.size.saturating_sub(*.process))
    )]
    OverheadExceedsProcess {
        overhead: MemoryClaim,
        process_key: &'static str,
        process: ByteSize,
    },

    #[error(
        "{} exceed the {} left by {process_key} ({process}) after runtime overhead ({}) by {}{}",
        join_claims(.claims),
        size_in_message(*.available),
        size_in_message(*.overhead),
        size_in_message(*.excess),
        if *.leaves_no_task_heap { ", leaving no task heap" } else { "" }
    )]
    MemoryOverCommitted {
        claims: Vec<MemoryClaim>,
        available: ByteSize,
        process_key: &'static str,
        process: ByteSize,
        overhead: ByteSize,
        excess: ByteSize,
        leaves_no_task_heap: bool,
    },

    #[error(
        "the {} left for network memory by {process_key} ({process}) after runtime overhead ({}), {} is above {max_key} ({max}) by {}; raise the task heap or leave it unset",
        size_in_message(*.network),
        size_in_message(*.overhead),
        join_claims(.claims),
        size_in_message(.network.saturating_sub(*.max))
    )]
    NetworkMemoryAboveMax {
        network: ByteSize,
        max_key: &'static str,
        max: ByteSize,
        claims: Vec<MemoryClaim>,
        process_key: &'static str,
        process: ByteSize,
        overhead: ByteSize,
    },

    #[error(
        "{slots_key} ({slots}) splits {managed} into {pages_per_slot} pages of {page_size} per slot, fewer than the {min_pages_per_slot} a slot needs: managed memory is short by {}",
        size_in_message(*.shortfall)
    )]
    TooLittleManagedMemoryPerSlot {
        slots_key: &'static str,
        slots: u32,
        managed: MemoryClaim,
        page_size: PageSize,
        pages_per_slot: usize,
        min_pages_per_slot: usize,
        shortfall: ByteSize,
    },

    // ---- all problems at once ----
    #[error("invalid configuration, {}:{}", count_problems(.problems.len()), list_problems(.problems))]
    InvalidConfiguration { problems: Vec<WeirError> },

    #[error(transparent)]
    Memory(#[from] MemoryError),

    // ---- records and keys ----
    #[error("cannot deserialize {type_name}: {problem}")]
    Deserialize {
        type_name: &'static str,
        problem: DeserializeProblem,
    },

    #[error("cannot serialize {type_name} with postcard: {error}")]
    Serialize {
        type_name: &'static str,
        error: postcard::Error,
    },

    // ---- operators ----
    #[error(
        "the {operator} needs at least {required} pages of managed memory but was given {given}; \
         raise taskmanager.memory.managed.size or .fraction, or lower taskmanager.numberOfTaskSlots"
    )]
    TooFewPages {
        operator: &'static str,
        given: usize,
        required: usize,
    },

    #[error("a serialized record of {bytes} bytes is larger than the limit of {limit} bytes")]
    RecordTooLarge { bytes: u64, limit: u64 },

    #[error(
        "the spill writer of {} failed earlier and takes no more records",
        .path.display()
    )]
    SpillWriterFailed { path: PathBuf },

    #[error("cannot start thread {name}: {source}")]
    SpawnThread {
        name: &'static str,
        source: std::io::Error,
    },

    #[error("{operator}: {call} was called after {after}")]
    JoinCallOutOfOrder {
        operator: &'static str,
        call: &'static str,
        after: &'static str,
    },

    #[error(
        "the {operator} needs its {input} input sorted by the join key, but a key came after \
         a greater one (record {record})"
    )]
    JoinInputNotSorted {
        operator: &'static str,
        input: &'static str,
        record: u64,
    },

    // ---- connectors ----
    #[error("input path {} does not exist", .path.display())]
    InputPathNotFound { path: PathBuf },

    #[error("input pattern '{pattern}' matches no file")]
    InputPatternMatchedNothing { pattern: String },

    #[error("input pattern '{pattern}' is not a valid glob at character {position}: {reason}")]
    InvalidInputPattern {
        pattern: String,
        position: usize,
        reason: &'static str,
    },

    #[error("cannot read input {}: {source}", .path.display())]
    ReadInput {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "{}:{line}: bad record{}: {problem}; value '{}'",
        .path.display(),
        column_in_message(*.column),
        truncate_for_message(.value)
    )]
    BadRecord {
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// 1-based column (field) index, when one field is at fault.
        column: Option<usize>,
        /// The offending field, or the whole line when the line's structure is at fault.
        value: String,
        problem: crate::connectors::CsvProblem,
    },

    #[error("output path {} already exists; pass --overwrite to replace it", .path.display())]
    OutputPathExists { path: PathBuf },

    #[error("cannot {action} output path {}: {source}", .path.display())]
    PrepareOutputPath {
        path: PathBuf,
        action: crate::connectors::OutputPathAction,
        source: std::io::Error,
    },

    #[error("cannot write output file {} (final name {}): {source}", .temporary.display(), .path.display())]
    WriteOutputFile {
        path: PathBuf,
        temporary: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot commit output file {} as {}: {source}", .temporary.display(), .path.display())]
    CommitOutputFile {
        path: PathBuf,
        temporary: PathBuf,
        source: std::io::Error,
    },

    // ---- runtime ----
    #[error("{operator} received a record after its input ended (a bug in Weir)")]
    CollectAfterFinish { operator: String },

    #[error(
        "the custom partitioner of {operator} chose partition {chosen}, but there are only {partitions} (0..{partitions})"
    )]
    PartitionOutOfRange {
        operator: String,
        chosen: usize,
        partitions: usize,
    },

    #[error(
        "range partitioning needs key samples from all {expected} producers, but only {received} arrived"
    )]
    RangeSamplesMissing { expected: usize, received: usize },

    #[error("{operator} ({}/{parallelism}) failed: {message}", .subtask + 1)]
    UserFunction {
        operator: String,
        subtask: usize,
        parallelism: usize,
        message: String,
    },

    #[error("task {task} ({}/{parallelism}) panicked: {message}", .subtask + 1)]
    TaskPanicked {
        task: String,
        subtask: usize,
        parallelism: usize,
        message: String,
    },

    #[error("task {task} ({}/{parallelism}) failed: {source}", .subtask + 1)]
    TaskFailed {
        task: String,
        subtask: usize,
        parallelism: usize,
        source: Box<WeirError>,
    },

    #[error("{}: line {line} is not valid UTF-8 (at byte {byte} of the line)", .path.display())]
    InvalidUtf8 { path: PathBuf, line: u64, byte: u64 },

    #[error("{}: {len} bytes is not a whole number of {record_bytes}-byte records", .path.display())]
    TruncatedFixedRecordFile {
        path: PathBuf,
        len: u64,
        record_bytes: usize,
    },

    #[error("{operator}: the output was not prepared before the job started (a bug in Weir)")]
    SinkNotPrepared { operator: String },

    #[error(
        "not enough managed memory for {operator}: it needs at least {required_pages} pages of \
         {page_bytes} bytes but gets {given_pages} (the slot has {slot_pages} pages, shared by \
         {operators_in_slot} memory-using operators); raise taskmanager.memory.managed.size or \
         taskmanager.memory.process.size, or lower the parallelism"
    )]
    NotEnoughManagedMemory {
        operator: String,
        required_pages: usize,
        given_pages: usize,
        page_bytes: usize,
        slot_pages: usize,
        operators_in_slot: usize,
    },

    #[error("the program is invalid: {}", .problems.join("; "))]
    InvalidProgram { problems: Vec<String> },

    #[error("cannot write the metrics to {}: {source}", .path.display())]
    WriteMetrics {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "unknown job '{name}'; the built-in jobs are {known} (`weir examples` lists their arguments)"
    )]
    UnknownJob { name: String, known: String },

    #[error("{message}")]
    JobArguments { job: String, message: String },

    #[error(
        "the program defines no sink (write_as_text, write_as_csv, output, print, collect or count) to execute"
    )]
    NoSinks,

    // ---- runtime network ----
    #[error("{component} was canceled")]
    Canceled { component: String },

    #[error(
        "the {owner} needs at least {required} network buffers but its local buffer pool \
         guarantees {given}; raise taskmanager.memory.network.fraction/min or lower the parallelism"
    )]
    TooFewNetworkBuffers {
        owner: String,
        given: usize,
        required: usize,
    },

    #[error("result partition {partition} failed: {reason}")]
    PartitionFailed { partition: String, reason: String },

    #[error("result partition {partition} already has {what}")]
    PartitionAlreadyAttached {
        partition: String,
        what: &'static str,
    },

    #[error(
        "subpartition {subpartition} of result partition {partition} does not exist \
         (the partition has {count})"
    )]
    SubpartitionOutOfRange {
        partition: String,
        subpartition: usize,
        count: usize,
    },

    #[error(
        "subpartition {subpartition} of result partition {partition} is already read by another input gate"
    )]
    SubpartitionAlreadyConsumed {
        partition: String,
        subpartition: usize,
    },

    #[error(
        "input gate {gate}: a buffer of channel {channel} breaks the record framing: \
         {problem} (expected byte {expected}, found {found})"
    )]
    BufferFraming {
        gate: String,
        channel: usize,
        problem: &'static str,
        expected: usize,
        found: usize,
    },

    // ---- state and checkpoints ----
    #[error("{what} is corrupt: {problem}")]
    CorruptSnapshot { what: String, problem: String },

    #[error("the state of operator {operator} cannot be restored: {problem}")]
    IncompatibleState { operator: String, problem: String },
    // ---- keyed state backends (state/) ----
    #[error(
        "keyed state of operator {operator} needs more heap than its budget of {budget_bytes} \
         bytes: {used_bytes} bytes with state {state}; raise taskmanager.memory.task.heap.size \
         (or taskmanager.memory.process.size), or use state.backend.type: managed, which keeps \
         state in managed memory and spills it to disk"
    )]
    StateHeapBudgetExceeded {
        operator: String,
        state: String,
        used_bytes: u64,
        budget_bytes: u64,
    },
    // ---- checkpoint storage and restart strategies (checkpoint/) ----
    #[error(
        "{setting} is '{location}', but only file:// URIs and local paths are supported so far"
    )]
    UnsupportedCheckpointLocation {
        /// The key or argument that gave the location (`state.checkpoints.dir`, ...).
        setting: &'static str,
        location: String,
    },

    #[error(
        "execution.checkpointing.interval is {} but state.checkpoints.dir is not set; set \
         state.checkpoints.dir to a file:// URI or a local folder",
        crate::config::format_duration(*.interval)
    )]
    CheckpointDirectoryMissing { interval: std::time::Duration },

    #[error(
        "execution.checkpointing.interval is {}, below the least interval of {}",
        crate::config::format_duration(*.interval),
        crate::config::format_duration(*.min)
    )]
    CheckpointIntervalTooShort {
        interval: std::time::Duration,
        min: std::time::Duration,
    },

    #[error("cannot {action} {}: {source}", .path.display())]
    CheckpointIo {
        action: crate::checkpoint::CheckpointIoAction,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("no checkpoint or savepoint at {}: {problem}", .path.display())]
    CheckpointNotFound {
        path: PathBuf,
        problem: &'static str,
    },

    #[error(
        "incomplete checkpoint {}: it has no _metadata file, so it never completed and cannot \
         be restored; restore from a completed checkpoint (a chk-<id> folder with _metadata) \
         or a savepoint",
        .path.display()
    )]
    IncompleteCheckpoint { path: PathBuf },

    #[error(
        "the state file {} of operator {uid} (subtask {subtask}) listed in {} is missing",
        .file.display(),
        .metadata.display()
    )]
    StateFileMissing {
        metadata: PathBuf,
        file: PathBuf,
        uid: String,
        subtask: usize,
    },

    #[error(
        "task {task_index} acknowledged checkpoint {checkpoint_id} with the state of operator \
         uid '{uid}', which is not one of its operators (a bug in Weir)"
    )]
    UnknownOperatorInSnapshot {
        checkpoint_id: u64,
        task_index: usize,
        uid: String,
    },

    #[error(
        "restart-strategy.exponential-delay.initial-backoff ({}) is larger than \
         restart-strategy.exponential-delay.max-backoff ({})",
        crate::config::format_duration(*.initial),
        crate::config::format_duration(*.max)
    )]
    RestartBackoffBounds {
        initial: std::time::Duration,
        max: std::time::Duration,
    },
    // ---- streaming sources, watermarks and sinks ----
    #[error("cannot connect the socket source to {address}: {source}")]
    SocketConnect {
        address: String,
        source: std::io::Error,
    },

    #[error("cannot read from the socket source at {address}: {source}")]
    SocketRead {
        address: String,
        source: std::io::Error,
    },

    #[error(
        "the file sink's output path {} exists and is not a directory; give a directory path",
        .path.display()
    )]
    OutputPathNotADirectory { path: PathBuf },
    // ---- windows and timers ----
    #[error(
        "{assigner}: size {size_ms} ms, slide {slide_ms} ms and offset {offset_ms} ms must \
         satisfy size > 0, slide > 0 and |offset| < slide"
    )]
    InvalidWindowSize {
        assigner: &'static str,
        size_ms: i64,
        slide_ms: i64,
        offset_ms: i64,
    },

    #[error("{assigner}: the session gap must be positive, got {gap_ms} ms")]
    InvalidSessionGap { assigner: &'static str, gap_ms: i64 },

    #[error("{trigger}: the interval must be positive, got {interval_ms} ms")]
    InvalidTriggerInterval {
        trigger: &'static str,
        interval_ms: i64,
    },

    #[error(
        "{assigner}: a record has no event timestamp; event-time windows need timestamps \
         (assign them with a WatermarkStrategy), or use processing-time windows"
    )]
    MissingEventTimestamp { assigner: &'static str },

    #[error(
        "{trigger} cannot merge windows, so it cannot be used with the merging assigner {assigner}"
    )]
    TriggerCannotMerge {
        trigger: &'static str,
        assigner: &'static str,
    },

    #[error(
        "{operator}: per-window state is not available with merging (session) windows; use \
         global_state()"
    )]
    PerWindowStateWithMergingWindows { operator: String },

    #[error("{operator}: the allowed lateness cannot be negative, got {allowed_lateness_ms} ms")]
    NegativeAllowedLateness {
        operator: String,
        allowed_lateness_ms: i64,
    },
    // ---- streaming runtime ----
    #[error(
        "{upstream} (parallelism {upstream_parallelism}) feeds {downstream} (parallelism \
         {downstream_parallelism}) with a forward exchange, which needs equal parallelisms; use \
         rebalance(), rescale() or key_by() between them"
    )]
    ForwardParallelismMismatch {
        upstream: String,
        upstream_parallelism: usize,
        downstream: String,
        downstream_parallelism: usize,
    },

    #[error(
        "{operator} has parallelism {parallelism}, above pipeline.max-parallelism \
         {max_parallelism}; raise pipeline.max-parallelism (before the job's first \
         checkpoint: it cannot change across restores) or lower the parallelism"
    )]
    ParallelismAboveMax {
        operator: String,
        parallelism: usize,
        max_parallelism: u32,
    },

    #[error("the job failed after {restarts} restarts ({reason}): {cause}")]
    JobFailedAfterRestarts {
        restarts: u32,
        reason: String,
        cause: Box<WeirError>,
    },

    #[error("the savepoint was not taken: {reason}; the job was canceled")]
    SavepointNotTaken { reason: String },

    #[error("cannot write to stdout: {source}")]
    WriteStdout { source: std::io::Error },

    #[error(
        "result partition {partition} is blocking and carries no channel events (watermarks, \
         idleness, checkpoint barriers); streaming exchanges use pipelined partitions"
    )]
    EventOnBlockingPartition { partition: String },

    #[error(
        "{operator} asked for broadcast state '{name}', which its broadcast stream does not \
         declare (declared: {declared}); pass the state's MapStateDescriptor to \
         broadcast_state(..) or and_state(..)"
    )]
    UnknownBroadcastState {
        operator: String,
        name: String,
        declared: String,
    },

    #[error(
        "{operator} asked for broadcast state '{name}' with key and value types {asked}, but it \
         is declared with {declared}"
    )]
    BroadcastStateType {
        operator: String,
        name: String,
        asked: &'static str,
        declared: &'static str,
    },

    #[error(
        "{operator} got a record without a timestamp on its {input} input; it works in event \
         time: assign timestamps with assign_timestamps_and_watermarks(..) or the source's \
         WatermarkStrategy"
    )]
    MissingTimestamp {
        operator: String,
        input: &'static str,
    },

    #[error(
        "input gate {gate} would announce no credit to its pipelined channels and never receive \
         a buffer; taskmanager.network.memory.buffers-per-channel must be at least 1"
    )]
    NoCreditPerChannel { gate: String },

    // ---- managed keyed state (session 2) ----
    #[error(
        "operator {operator}: its managed-memory share of {share_bytes} bytes is too small for \
         state.backend.type: managed, which needs at least {required_bytes} bytes (pages of \
         {page_bytes} bytes for the spill store and a working set); raise \
         taskmanager.memory.managed.size or taskmanager.memory.managed.fraction, or lower the \
         parallelism"
    )]
    ManagedStateShareTooSmall {
        operator: String,
        share_bytes: u64,
        required_bytes: u64,
        page_bytes: u64,
    },

    #[error(
        "operator {operator}: the managed keyed state needs {used_bytes} bytes of working set \
         (the current key's entries and the spill indexes, after evicting everything else), \
         more than its {working_set_bytes} bytes; raise taskmanager.memory.managed.size or \
         taskmanager.memory.managed.fraction"
    )]
    ManagedStateWorkingSetExceeded {
        operator: String,
        used_bytes: u64,
        working_set_bytes: u64,
    },

    #[error(
        "operator {operator}: the managed keyed state failed before (that error was reported) \
         and cannot be used any more"
    )]
    ManagedStateUnusable { operator: String },
}

impl WeirError {
    /// The problems this error stands for: the list of an [`WeirError::InvalidConfiguration`],
    /// or the error itself.
    pub fn problems(&self) -> &[WeirError] {
        match self {
            WeirError::InvalidConfiguration { problems } => problems,
            other => std::slice::from_ref(other),
        }
    }

    /// `Ok(())` when there are no problems, else all of them as one error.
    pub fn check_all(problems: Vec<WeirError>) -> Result<(), WeirError> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(WeirError::InvalidConfiguration { problems })
        }
    }
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|key| format!("; did you mean '{key}'?"))
        .unwrap_or_default()
}

fn column_in_message(column: Option<usize>) -> String {
    column
        .map(|column| format!(" in column {column}"))
        .unwrap_or_default()
}

/// At most ~100 characters of a value in a message (the error keeps the whole value).
fn truncate_for_message(value: &str) -> String {
    const MAX_CHARS: usize = 100;
    match value.char_indices().nth(MAX_CHARS) {
        None => value.to_string(),
        Some((end, _)) => format!("{}… ({} bytes in all)", &value[..end], value.len()),
    }
}

fn join_claims(claims: &[MemoryClaim]) -> String {
    claims
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" + ")
}

fn count_problems(count: usize) -> String {
    if count == 1 {
        "1 problem".to_string()
    } else {
        format!("{count} problems")
    }
}

fn list_problems(problems: &[WeirError]) -> String {
    problems
        .iter()
        .map(|problem| format!("\n  - {problem}"))
        .collect()
}

/// A size in a message: exact and short when it is (`576m`, `32k`), otherwise rounded with the
/// exact bytes beside it (`1.1 GiB (1181116006 bytes)`).
pub(crate) fn size_in_message(size: ByteSize) -> String {
    const MIB: u64 = 1 << 20;
    if size.bytes().is_multiple_of(MIB) || size.bytes() < MIB {
        size.to_string()
    } else {
        format!("{} ({} bytes)", size.human(), size.bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_record_messages_truncate_the_value_but_keep_it_whole() {
        let value = "é".repeat(150);
        let error = WeirError::BadRecord {
            path: PathBuf::from("in/orders.csv"),
            line: 7,
            column: Some(3),
            value: value.clone(),
            problem: crate::connectors::CsvProblem::FieldCount {
                expected: 2,
                found: 3,
            },
        };
        let message = error.to_string();
        assert!(
            message.starts_with(
                "in/orders.csv:7: bad record in column 3: expected 2 fields, found 3; value 'éé"
            ),
            "{message}"
        );
        assert!(message.contains(&format!("{}… (300 bytes in all)'", "é".repeat(100))));
        assert!(!message.contains(&"é".repeat(101)));
        assert!(matches!(error, WeirError::BadRecord { value: kept, .. } if kept == value));
        assert_eq!(truncate_for_message("short"), "short");
    }

    #[test]
    fn sizes_in_messages_are_exact() {
        assert_eq!(size_in_message(ByteSize::mib(576)), "576m");
        assert_eq!(size_in_message(ByteSize::kib(32)), "32k");
        assert_eq!(
            size_in_message(ByteSize::new(1_181_116_006)),
            "1.1 GiB (1181116006 bytes)"
        );
    }

    #[test]
    fn lists_every_problem() {
        let error = WeirError::InvalidConfiguration {
            problems: vec![
                WeirError::MalformedDynamicProperty {
                    argument: "a".to_string(),
                },
                WeirError::UnknownKey {
                    key: "taskmanager.memory.proces.size".to_string(),
                    origin: ValueSource::DynamicProperty,
                    suggestion: Some("taskmanager.memory.process.size"),
                },
            ],
        };
        assert_eq!(
            error.to_string(),
            "invalid configuration, 2 problems:\n  \
             - -D 'a' is not of the form key=value\n  \
             - -D: unknown key 'taskmanager.memory.proces.size'; did you mean 'taskmanager.memory.process.size'?"
        );
        assert_eq!(error.problems().len(), 2);
    }
}
