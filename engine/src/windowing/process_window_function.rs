//! [`ProcessWindowFunction`]: the user function that sees a fired window's contents with its
//! context (Flink's `ProcessWindowFunction`), and [`ProcessWindowContext`], what it may read
//! and which keyed state it may use.
//!
//! ```text
//!   fire(key, window) ──▶ process(key, ctx, elements, out)     elements: every element (process),
//!                                                               or [result] (reduce/aggregate + process)
//!   cleanup(window)   ──▶ clear(ctx)                            drop per-window state here
//!
//!   ctx.window_state():  keyed state of the key, namespace = the window (not with merging windows)
//!   ctx.global_state():  keyed state of the key, namespace = VoidNamespace (shared by its windows)
//! ```

use crate::error::WeirError;
use crate::runtime::stream::StreamCollector;
use crate::state::{KeyedStateBackend, StateKey, VoidNamespace};

/// A window function over the whole contents of a window. See the module docs.
pub trait ProcessWindowFunction<K: StateKey, In, Out, W>: Send + Sync {
    /// Emits the result(s) of `window` of `key` into `out` (timestamp: the window's max
    /// timestamp).
    fn process(
        &self,
        key: &K,
        context: &mut ProcessWindowContext<'_, K, W>,
        elements: &[In],
        out: &mut StreamCollector<'_, Out>,
    ) -> Result<(), WeirError>;

    /// The window is cleaned up: clear per-window state kept in `context.window_state()`.
    fn clear(&self, _context: &mut ProcessWindowContext<'_, K, W>) -> Result<(), WeirError> {
        Ok(())
    }
}

/// What a [`ProcessWindowFunction`] may read and use. See the module docs.
pub struct ProcessWindowContext<'a, K: StateKey, W> {
    pub(crate) window: &'a W,
    pub(crate) current_watermark: i64,
    pub(crate) current_processing_time: i64,
    pub(crate) merging: bool,
    pub(crate) operator: &'a str,
    pub(crate) backend: &'a mut KeyedStateBackend<K>,
}

impl<K: StateKey, W> std::fmt::Debug for ProcessWindowContext<'_, K, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessWindowContext")
            .field("current_watermark", &self.current_watermark)
            .field("current_processing_time", &self.current_processing_time)
            .finish_non_exhaustive()
    }
}

impl<'a, K: StateKey, W: Clone> ProcessWindowContext<'a, K, W> {
    pub fn window(&self) -> &W {
        self.window
    }

    pub fn current_watermark(&self) -> i64 {
        self.current_watermark
    }

    pub fn current_processing_time(&self) -> i64 {
        self.current_processing_time
    }

    /// Keyed state of the current key scoped to this window. Not available with merging
    /// (session) windows, as in Flink: per-window state would not follow the merges.
    pub fn window_state(&mut self) -> Result<KeyedStateStore<'_, K, W>, WeirError> {
        if self.merging {
            return Err(WeirError::PerWindowStateWithMergingWindows {
                operator: self.operator.to_owned(),
            });
        }
        Ok(KeyedStateStore {
            backend: self.backend,
            namespace: self.window.clone(),
        })
    }

    /// Keyed state of the current key shared by all its windows.
    pub fn global_state(&mut self) -> KeyedStateStore<'_, K, VoidNamespace> {
        KeyedStateStore {
            backend: self.backend,
            namespace: VoidNamespace,
        }
    }
}

/// The keyed state backend with a fixed namespace: register states on
/// [`KeyedStateStore::backend`] (namespace type `N`) and access them with
/// [`KeyedStateStore::namespace`].
pub struct KeyedStateStore<'a, K: StateKey, N> {
    backend: &'a mut KeyedStateBackend<K>,
    namespace: N,
}

impl<K: StateKey, N> std::fmt::Debug for KeyedStateStore<'_, K, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedStateStore").finish_non_exhaustive()
    }
}

impl<K: StateKey, N> KeyedStateStore<'_, K, N> {
    /// The backend (current key already set) and the namespace to use, at once.
    pub fn parts(&mut self) -> (&mut KeyedStateBackend<K>, &N) {
        (self.backend, &self.namespace)
    }

    pub fn backend(&mut self) -> &mut KeyedStateBackend<K> {
        self.backend
    }

    pub fn namespace(&self) -> &N {
        &self.namespace
    }
}
