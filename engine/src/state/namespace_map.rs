//! [`NamespaceMap`]: the namespaces of one key in one state, and what each holds.
//!
//! Most keys have very few namespaces: plain keyed state has exactly one ([`VoidNamespace`]),
//! a key in tumbling windows one or two open windows. Up to [`INLINE_NAMESPACES`] of them live
//! inline, in the key's own hash-map entry (no allocation, and no second cache miss after the
//! key's bucket on every access — the hot path of a window operator); up to
//! [`SMALL_NAMESPACES`] in a small vector, searched linearly; a key with more (sliding windows
//! with a small slide, many open sessions) moves to a hash map:
//!
//! ```text
//!   Small: [(ns₀, v₀), (ns₁, v₁)] inline   ≤ INLINE_NAMESPACES, in the key's entry
//!          [(ns₀, v₀), …, ] on the heap     ≤ SMALL_NAMESPACES, linear search
//!   Large: { ns ──▶ v }                     foldhash map
//! ```
//!
//! A small map that shrinks back to the inline capacity moves back inline.
//!
//! [`VoidNamespace`]: crate::state::VoidNamespace

use std::hash::Hash;

use foldhash::{HashMap, HashMapExt};
use smallvec::{SmallVec, smallvec};

/// Namespaces kept inline in the key's entry.
pub const INLINE_NAMESPACES: usize = 2;

/// Namespaces kept in a vector before moving to a hash map.
pub const SMALL_NAMESPACES: usize = 8;

/// Namespace ──▶ value for one key. See the module docs.
#[derive(Debug)]
pub enum NamespaceMap<N, V> {
    Small(SmallVec<[(N, V); INLINE_NAMESPACES]>),
    Large(HashMap<N, V>),
}

impl<N: Hash + Eq, V> NamespaceMap<N, V> {
    /// A map with one entry.
    pub fn with_entry(namespace: N, value: V) -> NamespaceMap<N, V> {
        NamespaceMap::Small(smallvec![(namespace, value)])
    }

    pub fn len(&self) -> usize {
        match self {
            NamespaceMap::Small(entries) => entries.len(),
            NamespaceMap::Large(map) => map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn get(&self, namespace: &N) -> Option<&V> {
        match self {
            NamespaceMap::Small(entries) => entries
                .iter()
                .find(|(candidate, _)| candidate == namespace)
                .map(|(_, value)| value),
            NamespaceMap::Large(map) => map.get(namespace),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, namespace: &N) -> Option<&mut V> {
        match self {
            NamespaceMap::Small(entries) => entries
                .iter_mut()
                .find(|(candidate, _)| candidate == namespace)
                .map(|(_, value)| value),
            NamespaceMap::Large(map) => map.get_mut(namespace),
        }
    }

    /// Inserts an entry for a namespace that has none (callers check with `get` first).
    pub fn insert_new(&mut self, namespace: N, value: V) {
        match self {
            NamespaceMap::Small(entries) if entries.len() < SMALL_NAMESPACES => {
                debug_assert!(entries.iter().all(|(candidate, _)| *candidate != namespace));
                entries.push((namespace, value));
            }
            NamespaceMap::Small(entries) => {
                let mut map = HashMap::with_capacity(entries.len() * 2);
                map.extend(entries.drain(..));
                map.insert(namespace, value);
                *self = NamespaceMap::Large(map);
            }
            NamespaceMap::Large(map) => {
                let previous = map.insert(namespace, value);
                debug_assert!(previous.is_none());
            }
        }
    }

    pub fn remove(&mut self, namespace: &N) -> Option<V> {
        match self {
            NamespaceMap::Small(entries) => {
                let position = entries
                    .iter()
                    .position(|(candidate, _)| candidate == namespace)?;
                let removed = entries.swap_remove(position).1;
                if entries.spilled() && entries.len() <= INLINE_NAMESPACES {
                    entries.shrink_to_fit();
                }
                Some(removed)
            }
            NamespaceMap::Large(map) => map.remove(namespace),
        }
    }

    pub fn iter(&self) -> NamespaceIter<'_, N, V> {
        match self {
            NamespaceMap::Small(entries) => NamespaceIter::Small(entries.iter()),
            NamespaceMap::Large(map) => NamespaceIter::Large(map.iter()),
        }
    }

    /// Keeps the entries for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&N, &mut V) -> bool) {
        match self {
            NamespaceMap::Small(entries) => {
                entries.retain_mut(|(namespace, value)| keep(namespace, value));
                if entries.spilled() && entries.len() <= INLINE_NAMESPACES {
                    entries.shrink_to_fit();
                }
            }
            NamespaceMap::Large(map) => map.retain(|namespace, value| keep(namespace, value)),
        }
    }
}

/// Iterates the entries of a [`NamespaceMap`].
#[derive(Debug)]
pub enum NamespaceIter<'a, N, V> {
    Small(std::slice::Iter<'a, (N, V)>),
    Large(std::collections::hash_map::Iter<'a, N, V>),
}

impl<'a, N, V> Iterator for NamespaceIter<'a, N, V> {
    type Item = (&'a N, &'a V);

    fn next(&mut self) -> Option<(&'a N, &'a V)> {
        match self {
            NamespaceIter::Small(iter) => iter.next().map(|(namespace, value)| (namespace, value)),
            NamespaceIter::Large(iter) => iter.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn grows_from_small_to_large_and_agrees_with_a_btree_map() {
        let mut map = NamespaceMap::with_entry(0u32, 0u64);
        let mut model = BTreeMap::from([(0u32, 0u64)]);
        for step in 1..200u32 {
            let namespace = (step * 7) % 23;
            if step % 3 == 0 {
                assert_eq!(map.remove(&namespace), model.remove(&namespace));
            } else if let Some(value) = map.get_mut(&namespace) {
                *value += 1;
                *model.get_mut(&namespace).unwrap() += 1;
            } else {
                map.insert_new(namespace, u64::from(step));
                model.insert(namespace, u64::from(step));
            }
            assert_eq!(map.len(), model.len());
            let mut entries: Vec<(u32, u64)> = map.iter().map(|(n, v)| (*n, *v)).collect();
            entries.sort();
            assert_eq!(
                entries,
                model.iter().map(|(n, v)| (*n, *v)).collect::<Vec<_>>()
            );
        }
        assert!(matches!(map, NamespaceMap::Large(_)));
        // A small map that shrinks moves back inline.
        let mut small = NamespaceMap::with_entry(1u32, 1u64);
        for namespace in 2..=5 {
            small.insert_new(namespace, 0);
        }
        assert!(matches!(&small, NamespaceMap::Small(entries) if entries.spilled()));
        for namespace in 3..=5 {
            small.remove(&namespace);
        }
        assert!(matches!(&small, NamespaceMap::Small(entries) if !entries.spilled()));
        assert_eq!(small.get(&2), Some(&0));
        map.retain(|namespace, _| namespace % 2 == 0);
        model.retain(|namespace, _| namespace % 2 == 0);
        assert_eq!(map.len(), model.len());
        for (namespace, value) in &model {
            assert_eq!(map.get(namespace), Some(value));
        }
    }
}
