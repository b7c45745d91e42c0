//! [`JoinType`]: which unmatched records a join emits besides the matching pairs.

/// Inner or outer join of a left and a right input.
///
/// ```text
///   type        matching pairs   left rows without a match   right rows without a match
///   Inner       (l, r)           -                           -
///   LeftOuter   (l, r)           (l, None)                   -
///   RightOuter  (l, r)           -                           (None, r)
///   FullOuter   (l, r)           (l, None)                   (None, r)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinType {
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
}

impl JoinType {
    /// Every join type, for tests and benches that run them all.
    pub const ALL: [JoinType; 4] = [
        JoinType::Inner,
        JoinType::LeftOuter,
        JoinType::RightOuter,
        JoinType::FullOuter,
    ];

    /// True when left records without a match are emitted as `(Some(l), None)`.
    #[inline]
    pub fn emits_unmatched_left(self) -> bool {
        matches!(self, JoinType::LeftOuter | JoinType::FullOuter)
    }

    /// True when right records without a match are emitted as `(None, Some(r))`.
    #[inline]
    pub fn emits_unmatched_right(self) -> bool {
        matches!(self, JoinType::RightOuter | JoinType::FullOuter)
    }

    /// The same join seen with the inputs swapped (left outer becomes right outer).
    pub fn swapped(self) -> JoinType {
        match self {
            JoinType::LeftOuter => JoinType::RightOuter,
            JoinType::RightOuter => JoinType::LeftOuter,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outer_sides_and_swapping() {
        assert!(!JoinType::Inner.emits_unmatched_left());
        assert!(!JoinType::Inner.emits_unmatched_right());
        assert!(JoinType::LeftOuter.emits_unmatched_left());
        assert!(!JoinType::LeftOuter.emits_unmatched_right());
        assert!(JoinType::RightOuter.emits_unmatched_right());
        assert!(JoinType::FullOuter.emits_unmatched_left());
        assert!(JoinType::FullOuter.emits_unmatched_right());
        for join_type in JoinType::ALL {
            assert_eq!(join_type.swapped().swapped(), join_type);
            assert_eq!(
                join_type.swapped().emits_unmatched_left(),
                join_type.emits_unmatched_right()
            );
        }
    }
}
