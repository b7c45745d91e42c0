//! [`KeyGroups`]: a key-sorted record stream cut into groups of equal keys, each handed out as
//! an iterator (what group-reduce and co-group functions see).
//!
//! ```text
//!   sorted: (a,1) (a,4) (b,2) (c,7) (c,1)
//!   groups: [a: (a,1) (a,4)]  [b: (b,2)]  [c: (c,7) (c,1)]
//! ```
//!
//! The first record of the next group is kept as a lookahead; a group iterator stops at the
//! first record whose key differs. Whatever a function leaves unread is skipped before the
//! next group. A read error ends the group and is kept for the driver to return.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::error::WeirError;
use crate::types::TypeComparator;

/// A key selector shared by the instances of an operator.
pub(crate) type KeyFn<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// See the module docs.
pub(crate) struct KeyGroups<T, K, KC, I> {
    input: I,
    key: KeyFn<T, K>,
    key_comparator: KC,
    lookahead: Option<T>,
    current_key: Option<K>,
    error: Option<WeirError>,
    ended: bool,
}

impl<T, K, KC, I> KeyGroups<T, K, KC, I>
where
    KC: TypeComparator<Value = K>,
    I: Iterator<Item = Result<T, WeirError>>,
{
    pub(crate) fn new(input: I, key: KeyFn<T, K>, key_comparator: KC) -> KeyGroups<T, K, KC, I> {
        KeyGroups {
            input,
            key,
            key_comparator,
            lookahead: None,
            current_key: None,
            error: None,
            ended: false,
        }
    }

    fn pull(&mut self) -> Option<T> {
        if self.ended {
            return None;
        }
        match self.input.next() {
            Some(Ok(record)) => Some(record),
            Some(Err(error)) => {
                self.error.get_or_insert(error);
                self.ended = true;
                None
            }
            None => {
                self.ended = true;
                None
            }
        }
    }

    /// Moves to the next group (skipping what is left of the current one) and returns its
    /// key; `None` at the end or after an error (see [`KeyGroups::take_error`]).
    pub(crate) fn next_key(&mut self) -> Option<&K> {
        self.skip_group();
        if self.lookahead.is_none() {
            self.lookahead = self.pull();
        }
        let first = self.lookahead.as_ref()?;
        self.current_key = Some((self.key)(first));
        self.current_key.as_ref()
    }

    /// The key of the group [`KeyGroups::next_key`] moved to, without moving.
    pub(crate) fn peek_key(&mut self) -> Option<&K> {
        if self.current_key.is_none() {
            return self.next_key();
        }
        self.current_key.as_ref()
    }

    /// The next record of the current group.
    pub(crate) fn next_in_group(&mut self) -> Option<T> {
        self.current_key.as_ref()?;
        let record = match self.lookahead.take() {
            Some(record) => record,
            None => match self.pull() {
                Some(record) => record,
                None => {
                    self.current_key = None;
                    return None;
                }
            },
        };
        let current = self.current_key.as_ref()?;
        if self.key_comparator.compare(current, &(self.key)(&record)) == Ordering::Equal {
            Some(record)
        } else {
            self.lookahead = Some(record);
            self.current_key = None;
            None
        }
    }

    /// Reads past the rest of the current group, so the next [`KeyGroups::peek_key`] sees
    /// the following key.
    pub(crate) fn skip_group(&mut self) {
        while self.current_key.is_some() {
            if self.next_in_group().is_none() {
                break;
            }
        }
    }

    /// The current group as an iterator.
    pub(crate) fn group(&mut self) -> GroupRecords<'_, T, K, KC, I> {
        GroupRecords { groups: self }
    }

    /// The read error that ended the input, if any.
    pub(crate) fn take_error(&mut self) -> Result<(), WeirError> {
        match self.error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// The records of one group.
pub(crate) struct GroupRecords<'a, T, K, KC, I> {
    groups: &'a mut KeyGroups<T, K, KC, I>,
}

impl<T, K, KC, I> Iterator for GroupRecords<'_, T, K, KC, I>
where
    KC: TypeComparator<Value = K>,
    I: Iterator<Item = Result<T, WeirError>>,
{
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.groups.next_in_group()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DefaultComparator;

    fn groups_of(records: Vec<(u32, u32)>) -> Vec<Vec<(u32, u32)>> {
        let mut groups = KeyGroups::new(
            records.into_iter().map(Ok),
            Arc::new(|record: &(u32, u32)| record.0),
            u32::comparator(),
        );
        let mut out = Vec::new();
        while groups.next_key().is_some() {
            out.push(groups.group().collect());
        }
        groups.take_error().unwrap();
        out
    }

    #[test]
    fn cuts_a_sorted_stream_into_groups() {
        assert_eq!(
            groups_of(vec![(1, 1), (1, 2), (2, 3), (3, 4), (3, 5)]),
            vec![vec![(1, 1), (1, 2)], vec![(2, 3)], vec![(3, 4), (3, 5)]]
        );
        assert!(groups_of(vec![]).is_empty());
    }

    #[test]
    fn unread_records_are_skipped_and_errors_kept() {
        let input = vec![
            Ok((1, 1)),
            Ok((1, 2)),
            Ok((2, 3)),
            Err(WeirError::Canceled {
                component: "test".to_owned(),
            }),
        ];
        let mut groups = KeyGroups::new(
            input.into_iter(),
            Arc::new(|record: &(u32, u32)| record.0),
            u32::comparator(),
        );
        assert_eq!(groups.next_key(), Some(&1));
        assert_eq!(groups.group().next(), Some((1, 1)));
        assert_eq!(groups.next_key(), Some(&2));
        assert_eq!(groups.group().collect::<Vec<_>>(), vec![(2, 3)]);
        assert_eq!(groups.next_key(), None);
        assert!(matches!(
            groups.take_error(),
            Err(WeirError::Canceled { .. })
        ));
    }
}
