//! [`LoserTree`]: picks the smallest head among `k` sorted inputs in `log2 k` comparisons per
//! record (Knuth's tree of losers, as in Flink's merge of sorted runs).
//!
//! ```text
//!                 tree[0] = overall winner (input index)
//!                      │
//!                   tree[1]           each inner node keeps the LOSER of the match played there;
//!                 /        \          the winner moves up
//!            tree[2]      tree[3]
//!            /    \       /    \
//!   leaves: k+0   k+1   k+2   k+3     leaf k+i is input i (no storage; any k ≥ 1 works:
//!                                     node n has children 2n and 2n+1)
//! ```
//!
//! After the winner's input yields its next record, only the matches on the path from its leaf
//! to the root are replayed, against the losers stored there. An exhausted input holds `None`,
//! which loses to every record. Equal records are won by the lower input index, so merging runs
//! in input order keeps a stable sort stable.

use std::cmp::Ordering;

/// A tournament over the heads of `k` inputs. See the module docs.
#[derive(Debug)]
pub struct LoserTree<T> {
    heads: Vec<Option<T>>,
    /// `tree[0]` is the winner; `tree[1..k]` the losers of the inner nodes.
    tree: Vec<usize>,
}

impl<T> LoserTree<T> {
    /// A tree over the first records of `k = heads.len()` inputs (`None` for an empty input),
    /// ordered by `compare`.
    ///
    /// # Panics
    /// If `heads` is empty.
    pub fn new(heads: Vec<Option<T>>, compare: impl Fn(&T, &T) -> Ordering) -> LoserTree<T> {
        let k = heads.len();
        assert!(k > 0, "a loser tree needs at least one input");
        let mut tree = vec![0; k];
        let mut winners = vec![0; 2 * k];
        for (i, winner) in winners[k..].iter_mut().enumerate() {
            *winner = i;
        }
        for node in (1..k).rev() {
            let (a, b) = (winners[2 * node], winners[2 * node + 1]);
            let (winner, loser) = if beats(&heads, a, b, &compare) {
                (a, b)
            } else {
                (b, a)
            };
            winners[node] = winner;
            tree[node] = loser;
        }
        tree[0] = if k == 1 { 0 } else { winners[1] };
        LoserTree { heads, tree }
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.heads.len()
    }

    /// The input holding the smallest head.
    pub fn winner_input(&self) -> usize {
        self.tree[0]
    }

    /// The smallest head, or `None` when every input is exhausted.
    pub fn winner(&self) -> Option<&T> {
        self.heads[self.tree[0]].as_ref()
    }

    /// Replaces the winner's head with the next record of its input (`None` when it is
    /// exhausted), replays its path, and returns the old head.
    pub fn replace_winner(
        &mut self,
        next: Option<T>,
        compare: impl Fn(&T, &T) -> Ordering,
    ) -> Option<T> {
        let k = self.heads.len();
        let mut winner = self.tree[0];
        let old = std::mem::replace(&mut self.heads[winner], next);
        let mut node = (winner + k) / 2;
        while node >= 1 {
            if beats(&self.heads, self.tree[node], winner, &compare) {
                std::mem::swap(&mut self.tree[node], &mut winner);
            }
            node /= 2;
        }
        self.tree[0] = winner;
        old
    }
}

/// Whether input `a`'s head comes before input `b`'s: smaller record, or equal and lower index;
/// `None` (exhausted) comes after everything.
#[inline]
fn beats<T>(
    heads: &[Option<T>],
    a: usize,
    b: usize,
    compare: &impl Fn(&T, &T) -> Ordering,
) -> bool {
    match (&heads[a], &heads[b]) {
        (Some(x), Some(y)) => match compare(x, y) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => a < b,
        },
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => a < b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Merges sorted lists of (key, tag) by key through the tree.
    fn merge(lists: Vec<Vec<(u8, usize)>>) -> Vec<(u8, usize)> {
        let compare = |a: &(u8, usize), b: &(u8, usize)| a.0.cmp(&b.0);
        let mut inputs: Vec<_> = lists.into_iter().map(|l| l.into_iter()).collect();
        let heads = inputs.iter_mut().map(Iterator::next).collect();
        let mut tree = LoserTree::new(heads, compare);
        let mut out = Vec::new();
        while tree.winner().is_some() {
            let input = tree.winner_input();
            let next = inputs[input].next();
            out.push(tree.replace_winner(next, compare).unwrap());
        }
        out
    }

    proptest! {
        #[test]
        fn merging_sorted_inputs_equals_a_stable_sort_of_their_concatenation(
            mut lists in prop::collection::vec(prop::collection::vec(0u8..8, 0..20), 1..13)
        ) {
            for list in &mut lists {
                list.sort();
            }
            // Tag each record with (input, position) so stability is visible.
            let tagged: Vec<Vec<(u8, usize)>> = lists
                .iter()
                .enumerate()
                .map(|(i, l)| l.iter().enumerate().map(|(j, &k)| (k, i * 1000 + j)).collect())
                .collect();
            let mut expected: Vec<(u8, usize)> = tagged.concat();
            expected.sort_by_key(|r| r.0);
            prop_assert_eq!(merge(tagged), expected);
        }
    }

    #[test]
    fn one_input_and_all_empty_inputs() {
        assert_eq!(merge(vec![vec![(1, 0), (2, 1)]]), vec![(1, 0), (2, 1)]);
        assert_eq!(merge(vec![vec![], vec![], vec![]]), vec![]);
    }
}
