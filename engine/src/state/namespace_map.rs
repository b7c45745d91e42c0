//! [`NamespaceMap`]: the namespaces of one key in one state, and what each holds.
//!
//! Most keys have very few namespaces: plain keyed state has exactly one ([`VoidNamespace`]),
//! a key in tumbling windows one or two open windows. Those live in a small vector searched
//! linearly (no hashing, one allocation); a key with many namespaces (sliding windows with a
//! small slide, many open sessions) moves to a hash map once it passes
//! [`SMALL_NAMESPACES`] entries:
//!
//! ```text
//!   Small: [(ns₀, v₀), (ns₁, v₁), …]     ≤ SMALL_NAMESPACES, linear search
//!   Large: { ns ──▶ v }                  foldhash map
//! ```
//!
//! [`VoidNamespace`]: crate::state::VoidNamespace

use std::hash::Hash;

use foldhash::{HashMap, HashMapExt};

/// Namespaces kept in a vector before moving to a hash map.
pub const SMALL_NAMESPACES: usize = 8;

/// Namespace ──▶ value for one key. See the module docs.
#[derive(Debug)]
pub enum NamespaceMap<N, V> {
    Small(Vec<(N, V)>),
    Large(HashMap<N, V>),
}

impl<N: Hash + Eq, V> NamespaceMap<N, V> {
    /// A map with one entry.
    pub fn with_entry(namespace: N, value: V) -> NamespaceMap<N, V> {
        NamespaceMap::Small(vec![(namespace, value)])
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
                Some(entries.swap_remove(position).1)
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
                entries.retain_mut(|(namespace, value)| keep(namespace, value))
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
        map.retain(|namespace, _| namespace % 2 == 0);
        model.retain(|namespace, _| namespace % 2 == 0);
        assert_eq!(map.len(), model.len());
        for (namespace, value) in &model {
            assert_eq!(map.get(namespace), Some(value));
        }
    }
}
