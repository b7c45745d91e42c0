//! [`InternalTimerService`]: event-time and processing-time timers of a keyed operator, per
//! (key, namespace, time), deduplicated and fired in time order (Flink's
//! `InternalTimerServiceImpl` over two `HeapPriorityQueueSet`s).
//!
//! ```text
//!   register(k, n, t) ──▶ registered: (k, n, t) ──▶ seq      (hash map: dedup, delete)
//!                         heap:       (t, seq, (k, n, t))    (min-heap by time, then seq)
//!
//!   delete(k, n, t)   ──▶ removed from `registered` only; its heap entry is stale and skipped
//!                         (the heap top is always live; the heap is compacted when more than
//!                         half of it is stale)
//!   pop_event_timer(watermark)   ──▶ the earliest live timer with t <= watermark, if any
//!   pop_processing_timer(now)    ──▶ the same for processing time
//! ```
//!
//! Registering a timer that exists is a hash lookup by borrowed key and namespace (no clone, no
//! allocation), which is what a window operator does for almost every element. Timers with the
//! same time fire in registration order.
//!
//! # Snapshot layout
//!
//! One keyed section `"timers:<name>"` per key group that has timers; the group of a timer is
//! the key group of its key.
//!
//! ```text
//!   [ version u8 = 1 | count varint ]
//!   count × [ kind u8 (0 event time, 1 processing time) | time i64 LE | key | namespace ]
//! ```
//!
//! Key and namespace use their types' [`crate::types::DefaultSerializer`]s; timers are written in firing
//! order, so a restored service fires them in the same order.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::hash::{Hash, Hasher};

use hashbrown::{Equivalent, HashMap};
use weir_memory::MemoryError;

use crate::checkpoint::OperatorSnapshot;
use crate::error::WeirError;
use crate::state::key_group::{KeyGroupRange, key_group_of};
use crate::state::state_bytes::{read_with, write_with};
use crate::state::{StateKey, StateNamespace};
use crate::types::{TypeSerializer, read_failure};

/// Version byte in front of each timer section.
const TIMER_SECTION_VERSION: u8 = 1;

/// A timer: fires for `key` and `namespace` at `timestamp`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timer<K, N> {
    pub key: K,
    pub namespace: N,
    pub timestamp: i64,
}

/// A timer made of borrowed parts, to look one up without building it. Its hash must equal
/// the derived hash of [`Timer`]: the fields in the same order.
struct TimerRef<'a, K, N> {
    key: &'a K,
    namespace: &'a N,
    timestamp: i64,
}

impl<K: Hash, N: Hash> Hash for TimerRef<'_, K, N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
        self.namespace.hash(state);
        self.timestamp.hash(state);
    }
}

impl<K: Eq, N: Eq> Equivalent<Timer<K, N>> for TimerRef<'_, K, N> {
    fn equivalent(&self, timer: &Timer<K, N>) -> bool {
        self.timestamp == timer.timestamp
            && *self.key == timer.key
            && *self.namespace == timer.namespace
    }
}

/// A heap entry; the heap is a max-heap, so the order is reversed: earliest first.
#[derive(Debug)]
struct QueuedTimer<K, N> {
    seq: u64,
    timer: Timer<K, N>,
}

impl<K, N> PartialEq for QueuedTimer<K, N> {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}

impl<K, N> Eq for QueuedTimer<K, N> {}

impl<K, N> PartialOrd for QueuedTimer<K, N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K, N> Ord for QueuedTimer<K, N> {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.timer.timestamp, other.seq).cmp(&(self.timer.timestamp, self.seq))
    }
}

/// The timers of one time domain. See the module docs.
#[derive(Debug)]
struct TimerQueue<K, N> {
    /// Live timers and the sequence number of their heap entry.
    registered: HashMap<Timer<K, N>, u64, foldhash::fast::RandomState>,
    heap: BinaryHeap<QueuedTimer<K, N>>,
    next_seq: u64,
}

impl<K: Hash + Eq + Clone, N: Hash + Eq + Clone> TimerQueue<K, N> {
    fn new() -> TimerQueue<K, N> {
        TimerQueue {
            registered: HashMap::with_hasher(foldhash::fast::RandomState::default()),
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    #[inline]
    fn register(&mut self, key: &K, namespace: &N, timestamp: i64) -> bool {
        let probe = TimerRef {
            key,
            namespace,
            timestamp,
        };
        if self.registered.contains_key(&probe) {
            return false;
        }
        let timer = Timer {
            key: key.clone(),
            namespace: namespace.clone(),
            timestamp,
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.registered.insert(timer.clone(), seq);
        self.heap.push(QueuedTimer { seq, timer });
        true
    }

    fn delete(&mut self, key: &K, namespace: &N, timestamp: i64) -> bool {
        let probe = TimerRef {
            key,
            namespace,
            timestamp,
        };
        if self.registered.remove(&probe).is_none() {
            return false;
        }
        self.drop_stale_top();
        if self.heap.len() > 2 * self.registered.len() + 64 {
            let registered = &self.registered;
            self.heap
                .retain(|queued| registered.get(&queued.timer) == Some(&queued.seq));
        }
        true
    }

    fn is_live(&self, queued: &QueuedTimer<K, N>) -> bool {
        self.registered.get(&queued.timer) == Some(&queued.seq)
    }

    /// Keeps the invariant that the heap's top is a live timer.
    fn drop_stale_top(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.is_live(top) {
                break;
            }
            self.heap.pop();
        }
    }

    fn next_time(&self) -> Option<i64> {
        self.heap.peek().map(|top| top.timer.timestamp)
    }

    fn pop_due(&mut self, limit: i64) -> Option<Timer<K, N>> {
        if self.heap.peek()?.timer.timestamp > limit {
            return None;
        }
        let queued = self.heap.pop().expect("peeked");
        self.registered.remove(&queued.timer);
        self.drop_stale_top();
        Some(queued.timer)
    }

    fn len(&self) -> usize {
        self.registered.len()
    }

    /// Live timers in firing order.
    fn in_firing_order(&self) -> Vec<(&Timer<K, N>, u64)> {
        let mut timers: Vec<(&Timer<K, N>, u64)> = self
            .registered
            .iter()
            .map(|(timer, &seq)| (timer, seq))
            .collect();
        timers.sort_unstable_by_key(|(timer, seq)| (timer.timestamp, *seq));
        timers
    }
}

/// A timer and its kind (0 event time, 1 processing time), as written in a snapshot.
type TimerOfKind<'a, K, N> = (u8, &'a Timer<K, N>);

/// Event- and processing-time timers of one operator. See the module docs.
#[derive(Debug)]
pub struct InternalTimerService<K: StateKey, N> {
    name: String,
    section: String,
    max_parallelism: u32,
    key_groups: KeyGroupRange,
    comparator: K::Comparator,
    event_time: TimerQueue<K, N>,
    processing_time: TimerQueue<K, N>,
    current_watermark: i64,
}

impl<K, N> InternalTimerService<K, N>
where
    K: StateKey,
    N: StateNamespace,
{
    /// Timers named `name` (the snapshot section is `"timers:<name>"`) of a subtask owning
    /// `key_groups` of `max_parallelism`.
    pub fn new(
        name: &str,
        max_parallelism: u32,
        key_groups: KeyGroupRange,
    ) -> InternalTimerService<K, N> {
        InternalTimerService {
            name: name.to_owned(),
            section: format!("timers:{name}"),
            max_parallelism,
            key_groups,
            comparator: K::comparator(),
            event_time: TimerQueue::new(),
            processing_time: TimerQueue::new(),
            current_watermark: i64::MIN,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Registers an event-time timer; `false` if it already existed.
    #[inline]
    pub fn register_event_time_timer(&mut self, key: &K, namespace: &N, time: i64) -> bool {
        self.event_time.register(key, namespace, time)
    }

    /// Deletes an event-time timer; `false` if there was none.
    pub fn delete_event_time_timer(&mut self, key: &K, namespace: &N, time: i64) -> bool {
        self.event_time.delete(key, namespace, time)
    }

    /// Registers a processing-time timer; `false` if it already existed.
    #[inline]
    pub fn register_processing_time_timer(&mut self, key: &K, namespace: &N, time: i64) -> bool {
        self.processing_time.register(key, namespace, time)
    }

    /// Deletes a processing-time timer; `false` if there was none.
    pub fn delete_processing_time_timer(&mut self, key: &K, namespace: &N, time: i64) -> bool {
        self.processing_time.delete(key, namespace, time)
    }

    /// The highest watermark passed to [`InternalTimerService::pop_event_timer`]
    /// (`i64::MIN` before the first).
    pub fn current_watermark(&self) -> i64 {
        self.current_watermark
    }

    /// Advances the watermark to `watermark` and takes the earliest event-time timer at or
    /// before it. Call until `None` to fire everything due.
    pub fn pop_event_timer(&mut self, watermark: i64) -> Option<Timer<K, N>> {
        self.current_watermark = self.current_watermark.max(watermark);
        self.event_time.pop_due(watermark)
    }

    /// Takes the earliest processing-time timer at or before `now_ms`.
    pub fn pop_processing_timer(&mut self, now_ms: i64) -> Option<Timer<K, N>> {
        self.processing_time.pop_due(now_ms)
    }

    /// The time of the earliest processing-time timer.
    pub fn next_processing_time(&self) -> Option<i64> {
        self.processing_time.next_time()
    }

    /// The time of the earliest event-time timer.
    pub fn next_event_time(&self) -> Option<i64> {
        self.event_time.next_time()
    }

    pub fn num_event_time_timers(&self) -> usize {
        self.event_time.len()
    }

    pub fn num_processing_time_timers(&self) -> usize {
        self.processing_time.len()
    }

    /// The keyed-section name the timers are written under: `"timers:<name>"`.
    pub fn section_name(&self) -> &str {
        &self.section
    }

    /// Writes every timer into `snapshot`, one section per key group (see the module docs).
    pub fn snapshot_into(&self, snapshot: &mut OperatorSnapshot) -> Result<(), WeirError> {
        let mut by_group: BTreeMap<u32, Vec<TimerOfKind<'_, K, N>>> = BTreeMap::new();
        for (kind, queue) in [(0u8, &self.event_time), (1u8, &self.processing_time)] {
            for (timer, _) in queue.in_firing_order() {
                let group = key_group_of(&self.comparator, &timer.key, self.max_parallelism);
                by_group.entry(group).or_default().push((kind, timer));
            }
        }
        let key_serializer = K::serializer();
        let namespace_serializer = N::serializer();
        for (group, timers) in by_group {
            let mut bytes = Vec::new();
            write_with(&mut bytes, |out| {
                out.write_u8(TIMER_SECTION_VERSION)?;
                out.write_var_u64(timers.len() as u64)?;
                for (kind, timer) in timers {
                    out.write_u8(kind)?;
                    out.write_i64_le(timer.timestamp)?;
                    key_serializer.serialize(&timer.key, out)?;
                    namespace_serializer.serialize(&timer.namespace, out)?;
                }
                Ok(())
            })?;
            snapshot.put_keyed(group, &self.section, bytes);
        }
        Ok(())
    }

    /// Adds the timers of this subtask's key groups from `snapshot`.
    pub fn restore_from(&mut self, snapshot: &OperatorSnapshot) -> Result<(), WeirError> {
        let key_serializer = K::serializer();
        let namespace_serializer = N::serializer();
        for group in self.key_groups.iter() {
            let Some(section) = snapshot.keyed_section(group, &self.section) else {
                continue;
            };
            let bytes = &*section.read()?;
            let corrupt = |problem: String| WeirError::CorruptSnapshot {
                what: format!("{} of key group {group}", self.section),
                problem,
            };
            let timers = read_with(bytes, |input| {
                let read = |error: MemoryError| read_failure("timer section", error);
                let version = input.read_u8().map_err(read)?;
                if version != TIMER_SECTION_VERSION {
                    return Err(corrupt(format!(
                        "format version {version}, this build reads version {TIMER_SECTION_VERSION}"
                    )));
                }
                let count = input.read_var_u64().map_err(read)?;
                // Not more than the bytes can hold (a timer takes at least 9 bytes).
                let mut timers = Vec::with_capacity(count.min(bytes.len() as u64 / 9) as usize);
                for _ in 0..count {
                    let kind = input.read_u8().map_err(read)?;
                    let timestamp = input.read_i64_le().map_err(read)?;
                    let key = key_serializer.deserialize(input)?;
                    let namespace = namespace_serializer.deserialize(input)?;
                    timers.push((kind, timestamp, key, namespace));
                }
                if !input.at_end().map_err(read)? {
                    return Err(corrupt(format!("bytes left after {count} timers")));
                }
                Ok(timers)
            })?;
            for (kind, timestamp, key, namespace) in timers {
                let key_group = key_group_of(&self.comparator, &key, self.max_parallelism);
                if key_group != group {
                    return Err(corrupt(format!(
                        "a timer's key belongs to key group {key_group}"
                    )));
                }
                match kind {
                    0 => self.event_time.register(&key, &namespace, timestamp),
                    1 => self.processing_time.register(&key, &namespace, timestamp),
                    other => return Err(corrupt(format!("unknown timer kind {other}"))),
                };
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::redistribute;
    use crate::windowing::window::TimeWindow;

    fn service(range: KeyGroupRange) -> InternalTimerService<String, TimeWindow> {
        InternalTimerService::new("window", 16, range)
    }

    fn drain_event(
        timers: &mut InternalTimerService<String, TimeWindow>,
        watermark: i64,
    ) -> Vec<(String, i64)> {
        std::iter::from_fn(|| timers.pop_event_timer(watermark))
            .map(|timer| (timer.key, timer.timestamp))
            .collect()
    }

    #[test]
    fn timers_are_deduplicated_and_fire_in_time_then_registration_order() {
        let mut timers = service(KeyGroupRange::all(16));
        let w = TimeWindow::new(0, 10);
        assert!(timers.register_event_time_timer(&"b".into(), &w, 9));
        assert!(!timers.register_event_time_timer(&"b".into(), &w, 9));
        assert!(timers.register_event_time_timer(&"a".into(), &w, 9));
        assert!(timers.register_event_time_timer(&"c".into(), &w, 3));
        assert!(timers.register_event_time_timer(&"c".into(), &w, 20));
        assert_eq!(timers.num_event_time_timers(), 4);
        assert_eq!(timers.next_event_time(), Some(3));
        assert_eq!(drain_event(&mut timers, 2), []);
        assert_eq!(timers.current_watermark(), 2);
        assert_eq!(
            drain_event(&mut timers, 9),
            [("c".into(), 3), ("b".into(), 9), ("a".into(), 9)]
        );
        assert_eq!(timers.current_watermark(), 9);
        assert_eq!(drain_event(&mut timers, i64::MAX), [("c".into(), 20)]);
        assert_eq!(timers.num_event_time_timers(), 0);
    }

    #[test]
    fn deleted_timers_never_fire_and_reregistered_ones_fire_once() {
        let mut timers = service(KeyGroupRange::all(16));
        let w = TimeWindow::new(0, 10);
        timers.register_processing_time_timer(&"k".into(), &w, 5);
        timers.register_processing_time_timer(&"k".into(), &w, 7);
        assert!(timers.delete_processing_time_timer(&"k".into(), &w, 5));
        assert!(!timers.delete_processing_time_timer(&"k".into(), &w, 5));
        // The top is always live: the next time skips the deleted timer.
        assert_eq!(timers.next_processing_time(), Some(7));
        timers.register_processing_time_timer(&"k".into(), &w, 5);
        timers.delete_processing_time_timer(&"k".into(), &w, 7);
        timers.register_processing_time_timer(&"k".into(), &w, 7);
        let fired: Vec<i64> = std::iter::from_fn(|| timers.pop_processing_timer(100))
            .map(|timer| timer.timestamp)
            .collect();
        assert_eq!(fired, [5, 7]);
        assert_eq!(timers.next_processing_time(), None);
        // Many deletions compact the heap.
        for time in 0..1000 {
            timers.register_processing_time_timer(&"k".into(), &w, time);
        }
        for time in 1..1000 {
            timers.delete_processing_time_timer(&"k".into(), &w, time);
        }
        assert!(timers.processing_time.heap.len() <= 2 + 64);
        assert_eq!(timers.pop_processing_timer(i64::MAX).unwrap().timestamp, 0);
        assert!(timers.pop_processing_timer(i64::MAX).is_none());
    }

    #[test]
    fn snapshot_and_restore_at_another_parallelism_fire_the_same_timers() {
        let mut timers = service(KeyGroupRange::all(16));
        let mut expected = Vec::new();
        for i in 0..200i64 {
            let key = format!("key-{}", i % 37);
            let w = TimeWindow::new(i * 10, i * 10 + 10);
            timers.register_event_time_timer(&key, &w, i * 7 % 101);
            timers.register_processing_time_timer(&key, &w, i);
            expected.push((key, i * 7 % 101));
        }
        expected.sort();
        expected.dedup();
        let mut snapshot = OperatorSnapshot::default();
        timers.snapshot_into(&mut snapshot).unwrap();
        assert!(snapshot.keyed_section_names() == ["timers:window"]);

        let parts = redistribute("op", vec![snapshot], 3, 16).unwrap();
        let mut fired = Vec::new();
        let mut processing = 0;
        for (subtask, part) in parts.iter().enumerate() {
            let range = KeyGroupRange::for_subtask(16, 3, subtask);
            let mut restored = service(range);
            restored.restore_from(part).unwrap();
            let mut last = i64::MIN;
            for (key, time) in drain_event(&mut restored, i64::MAX) {
                assert!(time >= last, "in time order");
                last = time;
                fired.push((key, time));
            }
            processing += restored.num_processing_time_timers();
        }
        fired.sort();
        assert_eq!(fired, expected);
        assert_eq!(processing, 200);
    }

    #[test]
    fn corrupt_sections_are_errors() {
        let mut timers = service(KeyGroupRange::all(16));
        timers.register_event_time_timer(&"x".into(), &TimeWindow::new(0, 1), 0);
        let mut snapshot = OperatorSnapshot::default();
        timers.snapshot_into(&mut snapshot).unwrap();
        let (&group, sections) = snapshot.keyed.iter().next().unwrap();
        let bytes = sections["timers:window"].read().unwrap().to_vec();
        for broken in [
            bytes[..bytes.len() - 1].to_vec(),
            [bytes.clone(), vec![0]].concat(),
            [vec![9], bytes[1..].to_vec()].concat(),
        ] {
            let mut bad = OperatorSnapshot::default();
            bad.put_keyed(group, "timers:window", broken);
            assert!(service(KeyGroupRange::all(16)).restore_from(&bad).is_err());
        }
        // A timer under the wrong key group.
        let mut moved = OperatorSnapshot::default();
        moved.put_keyed((group + 1) % 16, "timers:window", bytes);
        let error = service(KeyGroupRange::all(16))
            .restore_from(&moved)
            .unwrap_err();
        assert!(error.to_string().contains("key group"), "{error}");
    }
}
