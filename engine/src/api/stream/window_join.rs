//! Window joins and co-groups of two streams (Flink's `JoinedStreams` and
//! `CoGroupedStreams`): the records of both streams with equal keys that fall into the same
//! window are joined (every pair) or co-grouped (both lists at once) when the window fires.
//!
//! ```text
//!   a.join(&b).where_key(ka).equal_to(kb).window(assigner).apply(|x, y| …)
//!   a.co_group(&b).where_key(ka).equal_to(kb).window(assigner).apply(|xs, ys, out| …)
//!
//!   a ─map One──┐ union   key_by(ka | kb)   window(assigner)   process: split by tag ─▶ f
//!   b ─map Two──┘──────▶ TaggedUnion<A, B> ────────────────▶ ───────────────────────▶ out
//! ```
//!
//! As in Flink, this is a window operator over the tagged union of both streams, so it has
//! the window operator's semantics: event- or processing-time windows of any assigner, window
//! contents in keyed state (checkpointed, restorable at another parallelism), results stamped
//! with the window's max timestamp, and `allowed_lateness` for late firings. An inner join
//! emits nothing for a window where one side is empty; a co-group is called whenever the
//! window holds records of either side.

use std::sync::Arc;
use std::time::Duration;

use crate::api::Data;
use crate::api::stream::data_stream::DataStream;
use crate::error::WeirError;
use crate::runtime::stream::stream_collector::StreamCollector;
use crate::state::StateKey;
use crate::types::TaggedUnion;
use crate::windowing::{ProcessWindowContext, ProcessWindowFunction, Window, WindowAssigner};

/// The key of a record of one side.
type SideKey<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// Two streams to join in windows: name the keys with [`JoinedStreams::where_key`] and
/// [`JoinedStreamsWhere::equal_to`].
pub struct JoinedStreams<A, B> {
    first: DataStream<A>,
    second: DataStream<B>,
}

impl<A, B> std::fmt::Debug for JoinedStreams<A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinedStreams")
            .field("first", &self.first)
            .field("second", &self.second)
            .finish()
    }
}

impl<A: Data> DataStream<A> {
    /// Joins this stream with `other` in windows (Flink's `join`; finish with
    /// [`WindowJoin::apply`]).
    pub fn join<B: Data>(&self, other: &DataStream<B>) -> JoinedStreams<A, B> {
        JoinedStreams {
            first: self.clone(),
            second: other.clone(),
        }
    }

    /// Co-groups this stream with `other` in windows (Flink's `coGroup`; finish with
    /// [`WindowJoin::co_group_apply`]). The same builder as [`DataStream::join`].
    pub fn co_group<B: Data>(&self, other: &DataStream<B>) -> JoinedStreams<A, B> {
        self.join(other)
    }
}

impl<A: Data, B: Data> JoinedStreams<A, B> {
    /// The key of the first stream's records (Flink's `where`).
    pub fn where_key<K, F>(self, key: F) -> JoinedStreamsWhere<K, A, B>
    where
        K: StateKey + Clone,
        F: Fn(&A) -> K + Send + Sync + 'static,
    {
        JoinedStreamsWhere {
            streams: self,
            key1: Arc::new(key),
        }
    }
}

/// [`JoinedStreams`] with the first key; name the second with
/// [`JoinedStreamsWhere::equal_to`].
pub struct JoinedStreamsWhere<K, A, B> {
    streams: JoinedStreams<A, B>,
    key1: SideKey<A, K>,
}

impl<K, A, B> std::fmt::Debug for JoinedStreamsWhere<K, A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinedStreamsWhere")
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}

impl<K: StateKey + Clone, A: Data, B: Data> JoinedStreamsWhere<K, A, B> {
    /// The key of the second stream's records (Flink's `equalTo`).
    pub fn equal_to<F>(self, key: F) -> JoinedStreamsKeyed<K, A, B>
    where
        F: Fn(&B) -> K + Send + Sync + 'static,
    {
        JoinedStreamsKeyed {
            streams: self.streams,
            key1: self.key1,
            key2: Arc::new(key),
        }
    }
}

/// Both keys named; choose the windows with [`JoinedStreamsKeyed::window`].
pub struct JoinedStreamsKeyed<K, A, B> {
    streams: JoinedStreams<A, B>,
    key1: SideKey<A, K>,
    key2: SideKey<B, K>,
}

impl<K, A, B> std::fmt::Debug for JoinedStreamsKeyed<K, A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinedStreamsKeyed")
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}

impl<K: StateKey + Clone, A: Data, B: Data> JoinedStreamsKeyed<K, A, B> {
    /// The windows both sides are cut into.
    pub fn window<W: Window, S: WindowAssigner<TaggedUnion<A, B>, W> + 'static>(
        self,
        assigner: S,
    ) -> WindowJoin<K, A, B, W, S> {
        WindowJoin {
            keyed: self,
            assigner,
            allowed_lateness: Duration::ZERO,
            _window: std::marker::PhantomData,
        }
    }
}

/// A window join or co-group ready to run: [`WindowJoin::apply`] / [`WindowJoin::co_group_apply`].
pub struct WindowJoin<K, A, B, W, S> {
    keyed: JoinedStreamsKeyed<K, A, B>,
    assigner: S,
    allowed_lateness: Duration,
    _window: std::marker::PhantomData<fn() -> W>,
}

impl<K, A, B, W, S: WindowAssigner<TaggedUnion<A, B>, W>> std::fmt::Debug
    for WindowJoin<K, A, B, W, S>
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowJoin")
            .field("assigner", &self.assigner.name())
            .field("allowed_lateness", &self.allowed_lateness)
            .finish()
    }
}

impl<K, A, B, W, S> WindowJoin<K, A, B, W, S>
where
    K: StateKey + Clone,
    A: Data,
    B: Data,
    W: Window,
    S: WindowAssigner<TaggedUnion<A, B>, W> + 'static,
{
    /// Records up to `lateness` behind the watermark still join (the window fires again).
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.allowed_lateness = lateness;
        self
    }

    /// Inner join: `join(a, b)` for every pair of a window (none when a side is empty).
    pub fn apply<O: Data, F>(self, join: F) -> DataStream<O>
    where
        F: Fn(&A, &B) -> O + Send + Sync + 'static,
    {
        self.run(
            "Window Join",
            CoGroupWindow(Arc::new(
                move |firsts: &[&A], seconds: &[&B], out: &mut StreamCollector<'_, O>| {
                    for first in firsts {
                        for second in seconds {
                            out.collect(join(first, second));
                        }
                    }
                },
            )),
        )
    }

    /// Co-group: `co_group(firsts, seconds, out)` once per key and window with records of
    /// either side.
    pub fn co_group_apply<O: Data, F>(self, co_group: F) -> DataStream<O>
    where
        F: Fn(&[&A], &[&B], &mut StreamCollector<'_, O>) + Send + Sync + 'static,
    {
        self.run("Window CoGroup", CoGroupWindow(Arc::new(co_group)))
    }

    fn run<O: Data>(self, name: &str, function: CoGroupWindow<A, B, O>) -> DataStream<O> {
        let JoinedStreamsKeyed {
            streams,
            key1,
            key2,
        } = self.keyed;
        let firsts = streams
            .first
            .map(TaggedUnion::<A, B>::One)
            .name("Tag first input");
        let seconds = streams
            .second
            .map(TaggedUnion::<A, B>::Two)
            .name("Tag second input");
        firsts
            .union(&[seconds])
            .key_by(move |record: &TaggedUnion<A, B>| match record {
                TaggedUnion::One(first) => key1(first),
                TaggedUnion::Two(second) => key2(second),
            })
            .window(self.assigner)
            .allowed_lateness(self.allowed_lateness)
            .process(function)
            .name(name)
    }
}

/// The co-group function of a window: the records of each side, in arrival order.
type CoGroupFn<A, B, O> = Arc<dyn Fn(&[&A], &[&B], &mut StreamCollector<'_, O>) + Send + Sync>;

/// The window function splitting a window's tagged records by side.
struct CoGroupWindow<A, B, O>(CoGroupFn<A, B, O>);

impl<K: StateKey, A, B, O, W> ProcessWindowFunction<K, TaggedUnion<A, B>, O, W>
    for CoGroupWindow<A, B, O>
{
    fn process(
        &self,
        _key: &K,
        _context: &mut ProcessWindowContext<'_, K, W>,
        elements: &[TaggedUnion<A, B>],
        out: &mut StreamCollector<'_, O>,
    ) -> Result<(), WeirError> {
        let mut firsts = Vec::new();
        let mut seconds = Vec::new();
        for element in elements {
            match element {
                TaggedUnion::One(first) => firsts.push(first),
                TaggedUnion::Two(second) => seconds.push(second),
            }
        }
        (self.0)(&firsts, &seconds, out);
        Ok(())
    }
}
