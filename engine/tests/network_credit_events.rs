//! Streaming behaviour of the data exchange (engine/src/runtime/network) with producer and
//! consumer threads: credit-based flow control (credits bound the buffers in flight, the rest
//! waits in the backlog, slow consumers backpressure the writer with bounded memory), in-order
//! channel events across many buffers, flushing partial buffers, blocking single channels
//! (barrier alignment), the backpressure and idle metrics, cancellation during waits and
//! consumers that go away.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use weir::WeirError;
use weir::memory::{IoManager, NetworkBufferPool, PageSize};
use weir::runtime::network::{
    CancelToken, ChannelEvent, CheckpointBarrier, InputGate, PartitionKind, ReaderItem,
    RecordReader, RecordWriter, ResultPartition, SnapshotKind,
};
use weir::types::DefaultSerializer;

const PAGE_BYTES: usize = 4096;
const POLL: Duration = Duration::from_millis(20);

/// A global pool of 4 KiB buffers, a spill directory and a cancel token.
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

    /// A pipelined partition whose pool holds exactly `pool_buffers`.
    fn pipelined(
        &self,
        name: &str,
        subpartitions: usize,
        pool_buffers: usize,
    ) -> Arc<ResultPartition> {
        ResultPartition::new(
            name,
            PartitionKind::Pipelined,
            subpartitions,
            self.buffers
                .create_local_pool(name, pool_buffers, pool_buffers)
                .unwrap(),
            Arc::clone(&self.io),
            self.cancel.clone(),
        )
    }

    fn reader<T: DefaultSerializer>(
        &self,
        channels: Vec<(Arc<ResultPartition>, usize)>,
        credit: usize,
    ) -> RecordReader<T::Serializer> {
        let gate = InputGate::with_credits(
            "gate",
            channels,
            self.buffers.create_local_pool("gate", 1, 1).unwrap(),
            self.cancel.clone(),
            credit,
        )
        .unwrap();
        RecordReader::new(gate, T::serializer())
    }

    fn assert_all_buffers_free(&self) {
        assert_eq!(
            self.buffers.free_buffers(),
            self.buffers.total_buffers(),
            "every network buffer is back in the global pool"
        );
    }
}

fn barrier(id: u64) -> ChannelEvent {
    ChannelEvent::Barrier(CheckpointBarrier {
        id,
        timestamp_ms: id as i64 * 1000,
        kind: SnapshotKind::Checkpoint,
    })
}

/// What one channel carried, in order.
#[derive(Debug, Clone, PartialEq)]
enum Seen<T> {
    Record(T),
    Event(ChannelEvent),
}

/// Reads until `Finished`, per channel, skipping timeouts.
fn read_all<S: weir::types::TypeSerializer>(
    reader: &mut RecordReader<S>,
) -> Vec<Vec<Seen<S::Value>>> {
    let mut seen: Vec<Vec<Seen<S::Value>>> = (0..reader.num_channels()).map(|_| vec![]).collect();
    let mut ended = vec![false; reader.num_channels()];
    loop {
        match reader.next_element(POLL).unwrap() {
            ReaderItem::Record { channel, value } => {
                assert!(!ended[channel]);
                seen[channel].push(Seen::Record(value));
            }
            ReaderItem::Event { channel, event } => {
                assert!(!ended[channel]);
                seen[channel].push(Seen::Event(event));
            }
            ReaderItem::ChannelEnded { channel } => {
                assert!(!ended[channel], "a channel ends once");
                ended[channel] = true;
            }
            ReaderItem::Timeout => {}
            ReaderItem::Finished => {
                assert!(ended.iter().all(|&ended| ended), "every end came before");
                return seen;
            }
        }
    }
}

/// The time this thread spent on a CPU.
fn thread_cpu_time() -> Duration {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    let nanos: u64 = schedstat
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    Duration::from_nanos(nanos)
}

/// One step of a producer in the property test.
#[derive(Debug, Clone)]
enum Step {
    Emit { subpartition: usize, len: usize },
    Flush,
    Watermark,
}

fn steps(subpartitions: usize) -> impl Strategy<Value = Vec<Step>> {
    let len = prop_oneof![
        6 => 1usize..64,
        2 => 64usize..PAGE_BYTES,
        1 => PAGE_BYTES..3 * PAGE_BYTES,
    ];
    let step = prop_oneof![
        12 => (0..subpartitions, len).prop_map(|(subpartition, len)| Step::Emit { subpartition, len }),
        1 => Just(Step::Flush),
        2 => Just(Step::Watermark),
    ];
    prop::collection::vec(step, 0..400)
}

fn plan() -> impl Strategy<Value = (usize, usize, usize, Vec<Step>)> {
    (1usize..=3, 1usize..=4, 0usize..=4).prop_flat_map(|(subpartitions, credit, extra)| {
        (
            Just(subpartitions),
            Just(credit),
            Just(extra),
            steps(subpartitions),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Records of 1 byte to 3 pages and watermarks, through pools from the minimum up and
    /// credits from 1 up: every channel sees exactly what was sent to it, in order, and never
    /// more buffers in flight than its credit.
    #[test]
    fn events_and_records_arrive_in_order_across_many_buffers(
        (subpartitions, credit, extra, steps) in plan()
    ) {
        let env = Exchange::new(32);
        let partition = env.pipelined("p", subpartitions, subpartitions + 1 + extra);
        let channels = (0..subpartitions).map(|sub| (Arc::clone(&partition), sub)).collect();
        let mut reader = env.reader::<Vec<u8>>(channels, credit);
        let mut expected: Vec<Vec<Seen<Vec<u8>>>> = vec![vec![]; subpartitions];
        let mut watermark = 0;
        for (index, step) in steps.iter().enumerate() {
            match *step {
                Step::Emit { subpartition, len } => {
                    let record: Vec<u8> = (0..len).map(|i| (i + index) as u8).collect();
                    expected[subpartition].push(Seen::Record(record));
                }
                Step::Flush => {}
                Step::Watermark => {
                    watermark += 1;
                    for channel in &mut expected {
                        channel.push(Seen::Event(ChannelEvent::Watermark(watermark)));
                    }
                }
            }
        }
        let writer_partition = Arc::clone(&partition);
        let producer = thread::spawn(move || {
            let mut writer = RecordWriter::new(writer_partition, <Vec<u8>>::serializer()).unwrap();
            let mut watermark = 0;
            for (index, step) in steps.iter().enumerate() {
                match *step {
                    Step::Emit { subpartition, len } => {
                        let record: Vec<u8> = (0..len).map(|i| (i + index) as u8).collect();
                        writer.emit(subpartition, &record).unwrap();
                    }
                    Step::Flush => writer.flush().unwrap(),
                    Step::Watermark => {
                        watermark += 1;
                        writer.broadcast_event(ChannelEvent::Watermark(watermark)).unwrap();
                    }
                }
            }
            writer.finish().unwrap();
        });
        let seen = read_all(&mut reader);
        producer.join().unwrap();
        prop_assert_eq!(seen, expected);
        for sub in 0..subpartitions {
            let flow = partition.subpartition_flow(sub).unwrap();
            prop_assert!(flow.peak_in_flight_buffers <= credit, "{flow:?}");
            prop_assert_eq!(flow.backlog_buffers, 0);
        }
        drop((reader, partition));
        env.assert_all_buffers_free();
    }
}

#[test]
fn credits_bound_the_buffers_in_flight_and_the_rest_waits_in_the_backlog() {
    let env = Exchange::new(32);
    let pool_buffers = 10;
    let credit = 3;
    let partition = env.pipelined("p", 1, pool_buffers);
    let mut reader = env.reader::<Vec<u8>>(vec![(Arc::clone(&partition), 0)], credit);
    let writer_partition = Arc::clone(&partition);
    let producer = thread::spawn(move || {
        let mut writer = RecordWriter::new(writer_partition, <Vec<u8>>::serializer()).unwrap();
        for i in 0..400u32 {
            writer.emit(0, &vec![i as u8; 1000]).unwrap();
        }
        writer.finish().unwrap();
    });
    // The consumer reads nothing yet: the producer fills its credit, then its backlog, then
    // waits for a buffer with its pool dry (its open buffer was sealed into the backlog).
    let started = Instant::now();
    loop {
        let flow = partition.subpartition_flow(0).unwrap();
        if flow.backlog_buffers == pool_buffers - credit {
            assert_eq!(flow.in_flight_buffers, credit, "{flow:?}");
            assert_eq!(flow.credit, 0, "{flow:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{flow:?}");
        thread::sleep(Duration::from_millis(5));
    }
    thread::sleep(Duration::from_millis(50));
    assert!(!producer.is_finished(), "the writer waits: backpressure");
    let stats = partition.pool().stats().unwrap();
    assert_eq!(stats.held, pool_buffers, "memory never grew: {stats:?}");
    let mut count = 0u32;
    while let Some(record) = reader.next().unwrap() {
        assert_eq!(record, vec![count as u8; 1000]);
        count += 1;
    }
    assert_eq!(count, 400);
    producer.join().unwrap();
    let flow = partition.subpartition_flow(0).unwrap();
    assert_eq!(flow.peak_in_flight_buffers, credit);
    assert!(partition.backpressured_time() >= Duration::from_millis(40));
    drop((reader, partition));
    env.assert_all_buffers_free();
}

#[test]
fn a_slow_consumer_backpressures_the_writer_and_memory_stays_bounded() {
    let env = Exchange::new(32);
    let partition = env.pipelined("p", 2, 5);
    let channels = vec![(Arc::clone(&partition), 0), (Arc::clone(&partition), 1)];
    let mut reader = env.reader::<(u64, u64)>(channels, 2);
    let writer_partition = Arc::clone(&partition);
    let producer = thread::spawn(move || {
        let mut writer = RecordWriter::new(writer_partition, <(u64, u64)>::serializer()).unwrap();
        for i in 0..20_000u64 {
            writer.emit((i % 2) as usize, &(i, i * 3)).unwrap();
            if i % 5_000 == 0 {
                writer
                    .broadcast_event(ChannelEvent::Watermark(i as i64))
                    .unwrap();
            }
        }
        writer.finish().unwrap();
    });
    let mut next = [0u64, 1];
    let mut records = 0;
    let mut peak_held = 0;
    loop {
        match reader.next_element(POLL).unwrap() {
            ReaderItem::Record { channel, value } => {
                assert_eq!(value, (next[channel], next[channel] * 3));
                next[channel] += 2;
                records += 1;
                if records % 500 == 0 {
                    thread::sleep(Duration::from_millis(2));
                    peak_held = peak_held.max(partition.pool().stats().unwrap().held);
                }
            }
            ReaderItem::Event { channel, event } => {
                let ChannelEvent::Watermark(at) = event else {
                    panic!("{event:?}")
                };
                // Exactly the records up to the watermark came before it on its channel.
                let expected_next = at as u64 + if channel == 0 { 2 } else { 1 };
                assert_eq!(next[channel], expected_next, "channel {channel} at {at}");
            }
            ReaderItem::ChannelEnded { .. } | ReaderItem::Timeout => {}
            ReaderItem::Finished => break,
        }
    }
    producer.join().unwrap();
    assert_eq!(records, 20_000);
    assert!(peak_held <= 5, "memory stayed within the pool: {peak_held}");
    assert!(
        partition.backpressured_time() > Duration::ZERO,
        "the writer waited for buffers"
    );
    for sub in 0..2 {
        assert!(
            partition
                .subpartition_flow(sub)
                .unwrap()
                .peak_in_flight_buffers
                <= 2
        );
    }
    drop((reader, partition));
    env.assert_all_buffers_free();
}

#[test]
fn a_slow_producer_makes_the_reader_idle() {
    let env = Exchange::new(16);
    let partition = env.pipelined("p", 1, 3);
    let mut reader = env.reader::<u64>(vec![(Arc::clone(&partition), 0)], 2);
    let writer_partition = Arc::clone(&partition);
    let producer = thread::spawn(move || {
        let mut writer = RecordWriter::new(writer_partition, u64::serializer()).unwrap();
        for i in 0..10u64 {
            thread::sleep(Duration::from_millis(10));
            writer.emit(0, &i).unwrap();
            writer.flush().unwrap();
        }
        writer.finish().unwrap();
    });
    let seen = read_all(&mut reader);
    producer.join().unwrap();
    assert_eq!(seen[0], (0..10).map(Seen::Record).collect::<Vec<_>>());
    assert!(
        reader.idle_time() >= Duration::from_millis(50),
        "idle {:?}",
        reader.idle_time()
    );
}

#[test]
fn flush_hands_partial_buffers_to_a_waiting_reader() {
    let env = Exchange::new(16);
    let partition = env.pipelined("p", 1, 3);
    let mut writer = RecordWriter::new(Arc::clone(&partition), u64::serializer()).unwrap();
    let mut reader = env.reader::<u64>(vec![(Arc::clone(&partition), 0)], 2);
    writer.emit(0, &42).unwrap();
    // Not flushed: the record sits in the writer's open buffer.
    assert_eq!(
        reader.next_element(Duration::from_millis(30)).unwrap(),
        ReaderItem::Timeout
    );
    let consumer = thread::spawn(move || {
        let item = reader.next_element(Duration::from_secs(10)).unwrap();
        (item, reader)
    });
    thread::sleep(Duration::from_millis(30));
    writer.flush().unwrap();
    let (item, mut reader) = consumer.join().unwrap();
    assert_eq!(
        item,
        ReaderItem::Record {
            channel: 0,
            value: 42
        }
    );
    // Flushing after every record (a buffer timeout of 0) is just as correct.
    for i in 0..100 {
        writer.emit(0, &i).unwrap();
        writer.flush().unwrap();
        assert_eq!(
            reader.next_element(Duration::from_secs(10)).unwrap(),
            ReaderItem::Record {
                channel: 0,
                value: i
            }
        );
    }
    assert_eq!(partition.metrics().buffers_out, 101);
    writer.finish().unwrap();
    assert_eq!(
        reader.next_element(POLL).unwrap(),
        ReaderItem::ChannelEnded { channel: 0 }
    );
    assert_eq!(reader.next_element(POLL).unwrap(), ReaderItem::Finished);
}

/// Barrier alignment: after the barrier of channel 0, channel 0 is blocked and not read while
/// channel 1 goes on; its writer runs out of credit and buffers and waits. Once channel 1's
/// barrier came, both are unblocked and everything arrives in order.
#[test]
fn a_blocked_channel_is_not_read_while_another_goes_on() {
    let env = Exchange::new(32);
    let fast = env.pipelined("fast", 1, 4);
    let slow = env.pipelined("slow", 1, 4);
    let mut reader = env.reader::<u64>(vec![(Arc::clone(&fast), 0), (Arc::clone(&slow), 0)], 2);
    let fast_partition = Arc::clone(&fast);
    let fast_producer = thread::spawn(move || {
        let mut writer = RecordWriter::new(fast_partition, u64::serializer()).unwrap();
        for i in 0..1_000u64 {
            writer.emit(0, &i).unwrap();
        }
        writer.broadcast_event(barrier(1)).unwrap();
        // Far more than the credit and the pool hold: the writer waits while blocked.
        for i in 1_000..20_000u64 {
            writer.emit(0, &i).unwrap();
        }
        writer.finish().unwrap();
    });
    // The slow producer starts once channel 0 is blocked.
    let (start_slow, slow_may_start) = std::sync::mpsc::channel::<()>();
    let slow_partition = Arc::clone(&slow);
    let slow_producer = thread::spawn(move || {
        let mut writer = RecordWriter::new(slow_partition, u64::serializer()).unwrap();
        slow_may_start.recv().unwrap();
        for i in 0..300u64 {
            writer.emit(0, &i).unwrap();
            if i % 30 == 29 {
                writer.flush().unwrap();
                thread::sleep(Duration::from_millis(10));
            }
        }
        writer.broadcast_event(barrier(1)).unwrap();
        for i in 300..600u64 {
            writer.emit(0, &i).unwrap();
        }
        writer.finish().unwrap();
    });
    let mut next = [0u64; 2];
    let mut barriers = [false; 2];
    let mut read_while_blocked = 0;
    let mut ended = 0;
    loop {
        match reader.next_element(POLL).unwrap() {
            ReaderItem::Record { channel, value } => {
                assert!(!reader.is_channel_blocked(channel));
                assert_eq!(value, next[channel]);
                next[channel] += 1;
                if reader.is_channel_blocked(0) {
                    assert_eq!(channel, 1);
                    read_while_blocked += 1;
                }
            }
            ReaderItem::Event { channel, event } => {
                assert_eq!(event, barrier(1));
                assert_eq!(
                    next[channel],
                    [1_000, 300][channel],
                    "the barrier is in order"
                );
                barriers[channel] = true;
                reader.block_channel(channel);
                if channel == 0 {
                    start_slow.send(()).unwrap();
                }
                if barriers == [true, true] {
                    reader.unblock_all_channels();
                }
            }
            ReaderItem::ChannelEnded { .. } => ended += 1,
            ReaderItem::Timeout => {}
            ReaderItem::Finished => break,
        }
        if reader.is_channel_blocked(0) {
            let flow = fast.subpartition_flow(0).unwrap();
            assert!(flow.in_flight_buffers <= 2, "{flow:?}");
        }
    }
    fast_producer.join().unwrap();
    slow_producer.join().unwrap();
    assert_eq!(ended, 2);
    assert_eq!(next, [20_000, 600]);
    assert_eq!(read_while_blocked, 300, "channel 1 went on");
    assert!(
        fast.backpressured_time() > Duration::ZERO,
        "the blocked channel's writer waited"
    );
    drop((reader, fast, slow));
    env.assert_all_buffers_free();
}

#[test]
fn waiting_with_only_blocked_channels_holding_data_does_not_spin() {
    let env = Exchange::new(16);
    let busy = env.pipelined("busy", 1, 3);
    let quiet = env.pipelined("quiet", 1, 3);
    let mut busy_writer = RecordWriter::new(Arc::clone(&busy), u64::serializer()).unwrap();
    let _quiet_writer = RecordWriter::new(Arc::clone(&quiet), u64::serializer()).unwrap();
    let mut reader = env.reader::<u64>(vec![(Arc::clone(&busy), 0), (Arc::clone(&quiet), 0)], 2);
    busy_writer.broadcast_event(barrier(7)).unwrap();
    busy_writer.emit(0, &1).unwrap();
    busy_writer.flush().unwrap();
    assert_eq!(
        reader.next_element(POLL).unwrap(),
        ReaderItem::Event {
            channel: 0,
            event: barrier(7)
        }
    );
    reader.block_channel(0);
    let cpu_before = thread_cpu_time();
    let idle_before = reader.idle_time();
    let started = Instant::now();
    assert_eq!(
        reader.next_element(Duration::from_millis(300)).unwrap(),
        ReaderItem::Timeout
    );
    let waited = started.elapsed();
    let cpu = thread_cpu_time() - cpu_before;
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert!(
        cpu < Duration::from_millis(60),
        "waiting used {cpu:?} of CPU"
    );
    assert!(reader.idle_time() - idle_before >= Duration::from_millis(250));
    // Blocking every channel that could deliver: the wait sleeps, it does not spin either.
    reader.block_channel(1);
    let cpu_before = thread_cpu_time();
    assert_eq!(
        reader.next_element(Duration::from_millis(200)).unwrap(),
        ReaderItem::Timeout
    );
    assert!(thread_cpu_time() - cpu_before < Duration::from_millis(40));
    reader.unblock_all_channels();
    assert_eq!(
        reader.next_element(POLL).unwrap(),
        ReaderItem::Record {
            channel: 0,
            value: 1
        }
    );
}

#[test]
fn cancel_wakes_a_writer_out_of_credit_and_a_reader_waiting_for_input() {
    let env = Exchange::new(16);
    let stuck = env.pipelined("stuck", 1, 3);
    let quiet = env.pipelined("quiet", 1, 3);
    let quiet_writer = RecordWriter::new(Arc::clone(&quiet), u64::serializer()).unwrap();
    let mut reader = env.reader::<u64>(vec![(Arc::clone(&stuck), 0), (Arc::clone(&quiet), 0)], 1);
    let writer_partition = Arc::clone(&stuck);
    let writer = thread::spawn(move || {
        let mut writer = RecordWriter::new(writer_partition, u64::serializer()).unwrap();
        writer.broadcast_event(barrier(1)).unwrap();
        let mut i = 0u64;
        loop {
            if let Err(error) = writer.emit(0, &i) {
                return (error, Instant::now());
            }
            i += 1;
        }
    });
    assert!(matches!(
        reader.next_element(Duration::from_secs(10)).unwrap(),
        ReaderItem::Event { channel: 0, .. }
    ));
    reader.block_channel(0);
    let cancel = env.cancel.clone();
    let canceler = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        let canceled_at = Instant::now();
        cancel.cancel();
        canceled_at
    });
    let error = reader.next_element(Duration::from_secs(30)).unwrap_err();
    let reader_returned = Instant::now();
    let canceled_at = canceler.join().unwrap();
    assert!(matches!(error, WeirError::Canceled { .. }), "{error}");
    let (error, writer_returned) = writer.join().unwrap();
    assert!(matches!(error, WeirError::Canceled { .. }), "{error}");
    assert!(reader_returned.duration_since(canceled_at) < Duration::from_secs(1));
    assert!(writer_returned.duration_since(canceled_at) < Duration::from_secs(1));
    assert!(stuck.backpressured_time() > Duration::from_millis(100));
    drop((reader, stuck, quiet, quiet_writer));
    env.assert_all_buffers_free();
}

#[test]
fn a_consumer_going_away_releases_its_backlog_and_the_writer_finishes() {
    let env = Exchange::new(16);
    let partition = env.pipelined("p", 2, 4);
    let channels = vec![(Arc::clone(&partition), 0), (Arc::clone(&partition), 1)];
    let mut reader = env.reader::<Vec<u8>>(channels, 1);
    let writer_partition = Arc::clone(&partition);
    let producer = thread::spawn(move || {
        let mut writer = RecordWriter::new(writer_partition, <Vec<u8>>::serializer()).unwrap();
        for i in 0..2_000usize {
            writer.emit(i % 2, &vec![i as u8; 700]).unwrap();
            if i % 100 == 0 {
                writer.broadcast_event(ChannelEvent::Idle(false)).unwrap();
            }
        }
        writer.finish()
    });
    for _ in 0..50 {
        reader.next_element(Duration::from_secs(10)).unwrap();
    }
    thread::sleep(Duration::from_millis(30));
    drop(reader);
    producer
        .join()
        .unwrap()
        .expect("the writer finishes without its consumer");
    for sub in 0..2 {
        assert_eq!(partition.subpartition_flow(sub).unwrap().backlog_buffers, 0);
    }
    assert_eq!(partition.buffers_in_memory(), 0);
    drop(partition);
    env.assert_all_buffers_free();
}

#[test]
fn a_gate_without_credit_is_rejected() {
    let env = Exchange::new(8);
    let partition = env.pipelined("p", 1, 2);
    let error = InputGate::with_credits(
        "no-credit",
        vec![(Arc::clone(&partition), 0)],
        env.buffers.create_local_pool("g", 1, 1).unwrap(),
        env.cancel.clone(),
        0,
    )
    .unwrap_err();
    assert!(
        matches!(error, WeirError::NoCreditPerChannel { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("buffers-per-channel"));
    // The subpartition was not claimed: a gate with credit can still read it.
    let gate = InputGate::with_credits(
        "with-credit",
        vec![(Arc::clone(&partition), 0)],
        env.buffers.create_local_pool("g2", 1, 1).unwrap(),
        env.cancel.clone(),
        4,
    )
    .unwrap();
    assert_eq!(gate.buffers_per_channel(), 4);
}
