//! The data exchange between tasks (engine/src/runtime/network): records from several producers
//! reach several consumers exactly once and in per-producer order, through pipelined and
//! blocking partitions, under tiny pools (backpressure, spilling) and ample ones; cancellation,
//! failures and early consumers end cleanly, with every buffer back and every spill file gone.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use weir::WeirError;
use weir::memory::{IoManager, LocalBufferPool, NetworkBufferPool, PageSize};
use weir::runtime::network::{
    CancelToken, InputGate, PartitionKind, RecordReader, RecordWriter, ResultPartition,
};
use weir::types::{DefaultSerializer, TypeSerializer};

const PAGE_BYTES: usize = 4096;

/// A global network pool of 4 KiB buffers and a spill directory that goes with the value.
struct Exchange {
    buffers: NetworkBufferPool,
    io: Arc<IoManager>,
    cancel: CancelToken,
    _dir: tempfile::TempDir,
}

impl Exchange {
    fn new(total_buffers: usize) -> Exchange {
        let dir = tempfile::tempdir().unwrap();
        Exchange {
            buffers: NetworkBufferPool::new(total_buffers, PageSize::new(PAGE_BYTES).unwrap())
                .unwrap(),
            io: Arc::new(IoManager::new(&[dir.path().to_path_buf()]).unwrap()),
            cancel: CancelToken::new(),
            _dir: dir,
        }
    }

    fn pool(&self, name: &str, required: usize, max: usize) -> LocalBufferPool {
        self.buffers.create_local_pool(name, required, max).unwrap()
    }

    fn partition(
        &self,
        name: &str,
        kind: PartitionKind,
        subpartitions: usize,
        pool_required: usize,
        pool_max: usize,
    ) -> Arc<ResultPartition> {
        ResultPartition::new(
            name,
            kind,
            subpartitions,
            self.pool(name, pool_required, pool_max),
            Arc::clone(&self.io),
            self.cancel.clone(),
        )
    }

    fn gate(&self, name: &str, channels: Vec<(Arc<ResultPartition>, usize)>) -> InputGate {
        InputGate::new(name, channels, self.pool(name, 1, 4), self.cancel.clone()).unwrap()
    }

    fn spill_files(&self) -> usize {
        self.io
            .spill_directories()
            .iter()
            .map(|dir| std::fs::read_dir(dir).unwrap().count())
            .sum()
    }

    fn assert_all_buffers_free(&self) {
        assert_eq!(
            self.buffers.free_buffers(),
            self.buffers.total_buffers(),
            "every network buffer is back in the global pool"
        );
    }
}

/// Record types of the property tests, each telling which producer wrote it.
trait TestRecord: Clone + PartialEq + std::fmt::Debug + Sync + DefaultSerializer {
    fn make(producer: usize, seq: usize, len: usize) -> Self;
    fn producer(&self) -> usize;
}

impl TestRecord for Vec<u8> {
    fn make(producer: usize, seq: usize, len: usize) -> Self {
        let mut bytes: Vec<u8> = (0..len).map(|i| (i * 31 + seq) as u8).collect();
        bytes[0] = producer as u8;
        bytes
    }
    fn producer(&self) -> usize {
        self[0] as usize
    }
}

impl TestRecord for String {
    fn make(producer: usize, seq: usize, len: usize) -> Self {
        let mut text = producer.to_string();
        text.extend((1..len).map(|i| char::from(b'a' + ((i + seq) % 26) as u8)));
        text
    }
    fn producer(&self) -> usize {
        self[..1].parse().unwrap()
    }
}

impl TestRecord for (u64, String) {
    fn make(producer: usize, seq: usize, len: usize) -> Self {
        (
            ((producer as u64) << 32) | seq as u64,
            "x".repeat(len.saturating_sub(8)),
        )
    }
    fn producer(&self) -> usize {
        (self.0 >> 32) as usize
    }
}

/// What a producer writes: (subpartition, record length) per record.
type Plan = Vec<Vec<(usize, usize)>>;

struct Run<T> {
    sent: Vec<Vec<(usize, T)>>,
    received: Vec<Vec<T>>,
    partitions: Vec<Arc<ResultPartition>>,
}

/// Runs `plan` (one list per producer) through one partition per producer into `consumers`
/// gates. Blocking: producers finish before consumers start; pipelined: all at once.
fn exchange<T: TestRecord>(
    exchange: &Exchange,
    kind: PartitionKind,
    plan: &Plan,
    consumers: usize,
    pool_extra: usize,
) -> Run<T> {
    let partitions: Vec<Arc<ResultPartition>> = (0..plan.len())
        .map(|p| {
            exchange.partition(
                &format!("p{p}"),
                kind,
                consumers,
                consumers + 1,
                consumers + 1 + pool_extra,
            )
        })
        .collect();
    let sent: Vec<Vec<(usize, T)>> = plan
        .iter()
        .enumerate()
        .map(|(p, records)| {
            records
                .iter()
                .enumerate()
                .map(|(seq, &(sub, len))| (sub, T::make(p, seq, len)))
                .collect()
        })
        .collect();
    let gates: Vec<InputGate> = (0..consumers)
        .map(|c| {
            let channels = partitions.iter().map(|p| (Arc::clone(p), c)).collect();
            exchange.gate(&format!("c{c}"), channels)
        })
        .collect();
    let received = thread::scope(|scope| {
        let producers: Vec<_> = partitions
            .iter()
            .zip(&sent)
            .map(|(partition, records)| {
                let partition = Arc::clone(partition);
                scope.spawn(move || {
                    let mut writer = RecordWriter::new(partition, T::serializer()).unwrap();
                    for (sub, record) in records {
                        writer.emit(*sub, record).unwrap();
                    }
                    assert_eq!(writer.records_out(), records.len() as u64);
                    writer.finish().unwrap();
                })
            })
            .collect();
        if kind == PartitionKind::Blocking {
            for producer in producers {
                producer.join().unwrap();
            }
        }
        let readers: Vec<_> = gates
            .into_iter()
            .map(|gate| {
                scope.spawn(move || {
                    let mut reader = RecordReader::new(gate, T::serializer());
                    let mut records = Vec::new();
                    while let Some(record) = reader.next().unwrap() {
                        records.push(record);
                    }
                    assert_eq!(reader.records_in(), records.len() as u64);
                    records
                })
            })
            .collect();
        readers
            .into_iter()
            .map(|reader| reader.join().unwrap())
            .collect::<Vec<_>>()
    });
    Run {
        sent,
        received,
        partitions,
    }
}

/// Every record arrives exactly once, at its subpartition's consumer, in its producer's order.
fn check_oracle<T: TestRecord>(run: &Run<T>) {
    for (consumer, received) in run.received.iter().enumerate() {
        for (producer, sent) in run.sent.iter().enumerate() {
            let expected: Vec<&T> = sent
                .iter()
                .filter(|(sub, _)| *sub == consumer)
                .map(|(_, record)| record)
                .collect();
            let got: Vec<&T> = received
                .iter()
                .filter(|record| record.producer() == producer)
                .collect();
            assert_eq!(
                got.len(),
                expected.len(),
                "consumer {consumer}, producer {producer}"
            );
            assert!(got == expected, "consumer {consumer}, producer {producer}");
        }
    }
}

fn record_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        6 => 1usize..64,
        3 => 64usize..3000,
        1 => 3000usize..(3 * PAGE_BYTES + 500),
    ]
}

fn plan(max_producers: usize, max_consumers: usize) -> impl Strategy<Value = (Plan, usize)> {
    (1..=max_producers, 1..=max_consumers).prop_flat_map(|(producers, consumers)| {
        let records = proptest::collection::vec((0..consumers, record_len()), 0..120);
        (
            proptest::collection::vec(records, producers),
            Just(consumers),
        )
    })
}

fn run_and_check<T: TestRecord>(kind: PartitionKind, plan: &Plan, consumers: usize, extra: usize) {
    let env = Exchange::new(64);
    let run = exchange::<T>(&env, kind, plan, consumers, extra);
    check_oracle(&run);
    for partition in &run.partitions {
        let metrics = partition.metrics();
        let capacity = (consumers + 1 + extra) * PAGE_BYTES;
        let bytes: usize = plan[partition.name()[1..].parse::<usize>().unwrap()]
            .iter()
            .map(|&(_, len)| len)
            .sum();
        if kind == PartitionKind::Blocking && bytes > 2 * capacity {
            // At most the pool's required buffers stay in memory after finish.
            assert!(metrics.bytes_spilled > 0, "{metrics:?}");
            assert!(metrics.spill_files > 0, "{metrics:?}");
        }
        if kind == PartitionKind::Pipelined {
            assert_eq!(metrics.bytes_spilled, 0);
        }
    }
    assert_eq!(env.spill_files(), 0, "every spill file is gone once read");
    drop(run);
    env.assert_all_buffers_free();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn byte_records_arrive_once_in_order_pipelined((plan, consumers) in plan(3, 3), extra in 0usize..3) {
        run_and_check::<Vec<u8>>(PartitionKind::Pipelined, &plan, consumers, extra);
    }

    #[test]
    fn byte_records_arrive_once_in_order_blocking((plan, consumers) in plan(3, 3), extra in 0usize..3) {
        run_and_check::<Vec<u8>>(PartitionKind::Blocking, &plan, consumers, extra);
    }

    #[test]
    fn string_records_arrive_once_in_order_both_kinds((plan, consumers) in plan(3, 3), blocking in any::<bool>()) {
        let kind = if blocking { PartitionKind::Blocking } else { PartitionKind::Pipelined };
        run_and_check::<String>(kind, &plan, consumers, 0);
    }

    #[test]
    fn tuple_records_arrive_once_in_order_both_kinds((plan, consumers) in plan(3, 3), blocking in any::<bool>()) {
        let kind = if blocking { PartitionKind::Blocking } else { PartitionKind::Pipelined };
        run_and_check::<(u64, String)>(kind, &plan, consumers, 1);
    }
}

#[test]
fn blocking_partition_with_a_tiny_pool_spills_and_deletes_its_files() {
    let env = Exchange::new(16);
    // 2 producers x 2 consumers, 3 buffers per partition: 1.2 MB must spill.
    let plan: Plan = (0..2)
        .map(|_| (0..600).map(|i| (i % 2, 1000 + (i * 7) % 3000)).collect())
        .collect();
    let run = exchange::<Vec<u8>>(&env, PartitionKind::Blocking, &plan, 2, 0);
    check_oracle(&run);
    for partition in &run.partitions {
        let metrics = partition.metrics();
        assert_eq!(
            metrics.spill_files, 2,
            "one file per subpartition: {metrics:?}"
        );
        assert!(metrics.bytes_spilled > 1_000_000, "{metrics:?}");
        assert_eq!(
            partition.buffers_in_memory(),
            0,
            "consumers took everything"
        );
    }
    assert_eq!(env.spill_files(), 0);
    drop(run);
    env.assert_all_buffers_free();
}

#[test]
fn a_finished_blocking_partition_keeps_at_most_its_required_buffers() {
    let env = Exchange::new(64);
    // Required 3, max 40: the pool may grow while producing, but not stay big after finish.
    let partition = env.partition("wide", PartitionKind::Blocking, 2, 3, 40);
    let mut writer = RecordWriter::new(Arc::clone(&partition), <Vec<u8>>::serializer()).unwrap();
    for i in 0..100 {
        writer.emit(i % 2, &vec![i as u8; 2000]).unwrap();
    }
    writer.finish().unwrap();
    assert!(partition.buffers_in_memory() <= 3);
    assert!(partition.metrics().bytes_spilled > 0);
    let mut reader = RecordReader::new(
        env.gate(
            "g",
            vec![(Arc::clone(&partition), 0), (Arc::clone(&partition), 1)],
        ),
        <Vec<u8>>::serializer(),
    );
    let mut count = 0;
    while let Some(record) = reader.next().unwrap() {
        assert_eq!(record.len(), 2000);
        count += 1;
    }
    assert_eq!(count, 100);
    assert_eq!(env.spill_files(), 0);
    drop((reader, partition));
    env.assert_all_buffers_free();
}

#[test]
fn pipelined_tiny_pool_backpressures_without_deadlock() {
    let env = Exchange::new(32);
    // 3 producers x 3 consumers, 4 buffers per producer, 2 MB in total of records up to 3 pages.
    let plan: Plan = (0..3)
        .map(|p| {
            (0..400)
                .map(|i| ((i + p) % 3, [20, 900, 5000, 13000][(i * 7 + p) % 4]))
                .collect()
        })
        .collect();
    let run = exchange::<Vec<u8>>(&env, PartitionKind::Pipelined, &plan, 3, 0);
    check_oracle(&run);
    for partition in &run.partitions {
        assert!(
            partition.metrics().buffers_out > 4 * 20,
            "buffers were recycled many times"
        );
        let stats = partition.pool().stats().unwrap();
        assert!(stats.held <= 4, "memory never grew: {stats:?}");
    }
    drop(run);
    env.assert_all_buffers_free();
}

#[test]
// The serializer of `()` is `()` itself.
#[allow(clippy::unit_arg)]
fn zero_length_records_are_counted_not_lost() {
    let env = Exchange::new(16);
    let partition = env.partition("units", PartitionKind::Pipelined, 1, 2, 2);
    let mut writer = RecordWriter::new(Arc::clone(&partition), <()>::serializer()).unwrap();
    let mut reader = RecordReader::new(
        env.gate("g", vec![(Arc::clone(&partition), 0)]),
        <()>::serializer(),
    );
    for _ in 0..10_000 {
        writer.emit(0, &()).unwrap();
    }
    writer.finish().unwrap();
    let mut count = 0;
    while reader.next().unwrap().is_some() {
        count += 1;
    }
    assert_eq!(count, 10_000);
}

#[test]
fn flush_hands_partial_buffers_to_a_pipelined_consumer() {
    let env = Exchange::new(16);
    let partition = env.partition("flushing", PartitionKind::Pipelined, 1, 2, 2);
    let mut writer = RecordWriter::new(Arc::clone(&partition), String::serializer()).unwrap();
    let mut reader = RecordReader::new(
        env.gate("g", vec![(Arc::clone(&partition), 0)]),
        String::serializer(),
    );
    for i in 0..5 {
        writer.emit(0, &format!("record {i}")).unwrap();
        writer.flush().unwrap();
        // The consumer gets it now, long before the buffer is full or the writer finishes.
        assert_eq!(reader.next().unwrap(), Some(format!("record {i}")));
    }
    writer.finish().unwrap();
    assert_eq!(reader.next().unwrap(), None);
}

#[test]
fn cancel_while_the_writer_waits_for_a_buffer_returns_canceled_promptly() {
    let env = Exchange::new(16);
    let partition = env.partition("stuck", PartitionKind::Pipelined, 1, 2, 2);
    // A consumer that never reads: the writer runs out of buffers.
    let gate = env.gate("idle", vec![(Arc::clone(&partition), 0)]);
    let cancel = env.cancel.clone();
    let writer = thread::spawn(move || {
        let mut writer = RecordWriter::new(partition, <Vec<u8>>::serializer()).unwrap();
        loop {
            if let Err(error) = writer.emit(0, &vec![7; 1000]) {
                return (error, Instant::now());
            }
        }
    });
    thread::sleep(Duration::from_millis(200));
    let canceled_at = Instant::now();
    cancel.cancel();
    let (error, returned_at) = writer.join().unwrap();
    assert!(matches!(error, WeirError::Canceled { .. }), "{error}");
    assert!(returned_at.duration_since(canceled_at) < Duration::from_secs(1));
    // The reader sees the cancellation too.
    let mut reader = RecordReader::new(gate, <Vec<u8>>::serializer());
    let error = loop {
        match reader.next() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("a canceled exchange must not end normally"),
            Err(error) => break error,
        }
    };
    assert!(matches!(error, WeirError::Canceled { .. }), "{error}");
    drop(reader);
    env.assert_all_buffers_free();
}

#[test]
fn cancel_wakes_a_reader_waiting_for_data() {
    let env = Exchange::new(16);
    let partition = env.partition("quiet", PartitionKind::Pipelined, 1, 2, 2);
    let _writer = RecordWriter::new(Arc::clone(&partition), String::serializer()).unwrap();
    let mut reader = RecordReader::new(
        env.gate("waiting", vec![(Arc::clone(&partition), 0)]),
        String::serializer(),
    );
    let cancel = env.cancel.clone();
    let canceler = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        cancel.cancel();
    });
    let started = Instant::now();
    let error = reader.next().unwrap_err();
    assert!(matches!(error, WeirError::Canceled { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    canceler.join().unwrap();
}

fn read_until_error<S: TypeSerializer>(reader: &mut RecordReader<S>) -> WeirError {
    loop {
        match reader.next() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("a failed partition must not look like a short input"),
            Err(error) => return error,
        }
    }
}

#[test]
fn a_writer_dropped_without_finish_makes_readers_fail() {
    for kind in [PartitionKind::Pipelined, PartitionKind::Blocking] {
        let env = Exchange::new(32);
        // 4 buffers: one sealed and one open per subpartition, so the writer never waits
        // for this (same-thread) reader.
        let partition = env.partition("dropped", kind, 2, 3, 4);
        let mut writer =
            RecordWriter::new(Arc::clone(&partition), <Vec<u8>>::serializer()).unwrap();
        let mut reader = RecordReader::new(
            env.gate(
                "g",
                vec![(Arc::clone(&partition), 0), (Arc::clone(&partition), 1)],
            ),
            <Vec<u8>>::serializer(),
        );
        for i in 0..12 {
            writer.emit(i % 2, &vec![1; 700]).unwrap();
        }
        drop(writer);
        let error = read_until_error(&mut reader);
        assert!(
            matches!(&error, WeirError::PartitionFailed { reason, .. } if reason.contains("dropped before finish")),
            "{kind:?}: {error}"
        );
        drop((reader, partition));
        assert_eq!(env.spill_files(), 0);
        env.assert_all_buffers_free();
    }
}

#[test]
fn a_failed_partition_reports_its_reason_to_consumers() {
    let env = Exchange::new(16);
    let partition = env.partition("failing", PartitionKind::Blocking, 1, 2, 2);
    let mut writer = RecordWriter::new(Arc::clone(&partition), String::serializer()).unwrap();
    writer.emit(0, &"a".to_string()).unwrap();
    partition.fail("the map function panicked".to_string());
    assert!(matches!(
        writer.emit(0, &"b".to_string()),
        Err(WeirError::PartitionFailed { .. })
    ));
    let mut reader = RecordReader::new(
        env.gate("g", vec![(Arc::clone(&partition), 0)]),
        String::serializer(),
    );
    let error = read_until_error(&mut reader);
    assert!(
        error.to_string().contains("the map function panicked"),
        "{error}"
    );
    assert!(error.to_string().contains("failing"), "{error}");
}

#[test]
fn a_blocking_reader_dropped_early_returns_every_buffer_and_spill_file() {
    let env = Exchange::new(16);
    let partition = env.partition("big", PartitionKind::Blocking, 2, 3, 3);
    let mut writer = RecordWriter::new(Arc::clone(&partition), <Vec<u8>>::serializer()).unwrap();
    for i in 0..400 {
        writer.emit(i % 2, &vec![i as u8; 3000]).unwrap();
    }
    writer.finish().unwrap();
    assert!(env.spill_files() == 2, "both subpartitions spilled");
    let gate_pool = env.pool("g", 1, 4);
    let gate = InputGate::new(
        "g",
        vec![(Arc::clone(&partition), 0), (Arc::clone(&partition), 1)],
        gate_pool.clone(),
        env.cancel.clone(),
    )
    .unwrap();
    let mut reader = RecordReader::new(gate, <Vec<u8>>::serializer());
    for _ in 0..10 {
        reader.next().unwrap().unwrap();
    }
    drop(reader);
    // The partition still lives, but holds nothing for the gone consumer.
    assert_eq!(env.spill_files(), 0);
    assert_eq!(partition.buffers_in_memory(), 0);
    let stats = gate_pool.stats().unwrap();
    assert_eq!(
        stats.available, stats.held,
        "no gate buffer in use: {stats:?}"
    );
    let stats = partition.pool().stats().unwrap();
    assert_eq!(
        stats.available, stats.held,
        "no partition buffer in use: {stats:?}"
    );
    drop((partition, gate_pool));
    env.assert_all_buffers_free();
}

#[test]
fn a_pipelined_reader_dropped_early_lets_the_producer_finish() {
    let env = Exchange::new(16);
    let partition = env.partition("stream", PartitionKind::Pipelined, 1, 2, 2);
    let mut reader = RecordReader::new(
        env.gate("g", vec![(Arc::clone(&partition), 0)]),
        <Vec<u8>>::serializer(),
    );
    let producer = {
        let partition = Arc::clone(&partition);
        thread::spawn(move || {
            let mut writer = RecordWriter::new(partition, <Vec<u8>>::serializer()).unwrap();
            for i in 0..2000 {
                writer.emit(0, &vec![i as u8; 1500]).unwrap();
            }
            writer.finish()
        })
    };
    for _ in 0..5 {
        reader.next().unwrap().unwrap();
    }
    drop(reader);
    producer.join().unwrap().unwrap();
    let stats = partition.pool().stats().unwrap();
    assert_eq!(
        stats.available, stats.held,
        "nothing left queued: {stats:?}"
    );
    drop(partition);
    env.assert_all_buffers_free();
}

#[test]
fn construction_checks_pools_and_claims() {
    let env = Exchange::new(16);
    let partition = env.partition("small", PartitionKind::Pipelined, 3, 3, 8);
    let error = RecordWriter::new(Arc::clone(&partition), String::serializer()).unwrap_err();
    assert!(
        matches!(
            error,
            WeirError::TooFewNetworkBuffers {
                given: 3,
                required: 4,
                ..
            }
        ),
        "{error}"
    );
    let partition = env.partition("ok", PartitionKind::Blocking, 1, 2, 2);
    let _writer = RecordWriter::new(Arc::clone(&partition), String::serializer()).unwrap();
    assert!(matches!(
        RecordWriter::new(Arc::clone(&partition), String::serializer()),
        Err(WeirError::PartitionAlreadyAttached { .. })
    ));
    let _gate = env.gate("first", vec![(Arc::clone(&partition), 0)]);
    let second = InputGate::new(
        "second",
        vec![(Arc::clone(&partition), 0)],
        env.pool("second", 1, 1),
        env.cancel.clone(),
    );
    assert!(matches!(
        second,
        Err(WeirError::SubpartitionAlreadyConsumed { .. })
    ));
    let out_of_range = InputGate::new(
        "third",
        vec![(Arc::clone(&partition), 5)],
        env.pool("third", 1, 1),
        env.cancel.clone(),
    );
    assert!(matches!(
        out_of_range,
        Err(WeirError::SubpartitionOutOfRange { count: 1, .. })
    ));
}

#[test]
fn a_reader_with_the_wrong_serializer_fails_instead_of_misreading() {
    let env = Exchange::new(16);
    let partition = env.partition("typed", PartitionKind::Blocking, 1, 2, 2);
    let mut writer = RecordWriter::new(Arc::clone(&partition), <Vec<u8>>::serializer()).unwrap();
    for i in 0..50 {
        // 11 serialized bytes each: a varint length of 10 and 10 bytes.
        writer.emit(0, &vec![i as u8; 10]).unwrap();
    }
    writer.finish().unwrap();
    // Reading them as u64 (8 bytes each) cannot end on the record boundaries of the buffer.
    let mut reader = RecordReader::new(
        env.gate("g", vec![(Arc::clone(&partition), 0)]),
        <u64>::serializer(),
    );
    let error = read_until_error(&mut reader);
    assert!(
        matches!(
            error,
            WeirError::BufferFraming { .. } | WeirError::Deserialize { .. }
        ),
        "{error}"
    );
}
