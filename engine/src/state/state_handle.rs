//! State handles: what registering a keyed state returns.
//!
//! A handle is the index of the state's table in its [`KeyedStateBackend`] plus the state's
//! types (as `PhantomData`), so it is `Copy + Send`, costs nothing to pass around, and every
//! access through it is typed at compile time. The backend finds the table by index and checks
//! its type with one `downcast` (a type-id compare). A handle belongs to the backend that
//! returned it.
//!
//! [`KeyedStateBackend`]: crate::state::KeyedStateBackend

use crate::state::StateNamespace;
use crate::state::state_kind::{MergingKind, StateKind};

/// A handle of any keyed state (value, list, map, reducing, aggregating).
pub trait StateHandle: Copy + Send + Sync + 'static {
    /// The namespace type of the state.
    type Namespace: StateNamespace;
    /// How the state stores its entries.
    type Kind: StateKind;

    /// Index of the state in its backend.
    fn state_index(&self) -> usize;
}

/// A handle of a state whose namespaces can be merged (list, reducing, aggregating), for
/// merging windows.
pub trait MergingStateHandle: StateHandle<Kind: MergingKind> {}

/// Defines a handle type `$name<$($param),*>` for kind `$kind`.
macro_rules! state_handle {
    ($(#[$doc:meta])* $name:ident<N $(, $param:ident)*> => $kind:ty, where $($bounds:tt)*) => {
        $(#[$doc])*
        pub struct $name<N $(, $param)*> {
            index: u32,
            _types: std::marker::PhantomData<fn() -> (N $(, $param)*)>,
        }

        impl<N $(, $param)*> $name<N $(, $param)*> {
            pub(crate) fn new(index: usize) -> Self {
                $name {
                    index: u32::try_from(index).expect("fewer than 2^32 states per backend"),
                    _types: std::marker::PhantomData,
                }
            }
        }

        impl<N $(, $param)*> Clone for $name<N $(, $param)*> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<N $(, $param)*> Copy for $name<N $(, $param)*> {}

        impl<N $(, $param)*> std::fmt::Debug for $name<N $(, $param)*> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).field("index", &self.index).finish()
            }
        }

        impl<N $(, $param)*> $crate::state::StateHandle for $name<N $(, $param)*>
        where
            N: $crate::state::StateNamespace,
            $($bounds)*
        {
            type Namespace = N;
            type Kind = $kind;

            #[inline]
            fn state_index(&self) -> usize {
                self.index as usize
            }
        }
    };
}

pub(crate) use state_handle;
