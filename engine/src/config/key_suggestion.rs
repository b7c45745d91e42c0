//! "Did you mean ...?" for unknown keys.
//!
//! A known key is suggested when it is close to the unknown one: at most
//! [`MAX_EDIT_DISTANCE`] single-character edits apart ignoring case (typos:
//! `taskmanager.memory.proces.size`), or sharing its last two dot-separated parts (a missing or
//! wrong start: `taskmanager.memory.heap.size` → `taskmanager.memory.task.heap.size`). Of
//! several candidates the one with the fewest edits wins.

/// Typos up to this many edits get a suggestion.
pub const MAX_EDIT_DISTANCE: usize = 3;

/// The known key closest to `unknown`, if one is close enough.
pub fn suggest_key<'k>(unknown: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let unknown_lower = unknown.to_lowercase();
    known
        .into_iter()
        .map(|key| (edit_distance(&unknown_lower, &key.to_lowercase()), key))
        .filter(|&(distance, key)| {
            distance <= MAX_EDIT_DISTANCE || same_last_parts(&unknown_lower, &key.to_lowercase())
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, key)| key)
}

/// Whether both keys have at least two dot-separated parts and the last two are the same.
fn same_last_parts(a: &str, b: &str) -> bool {
    let last_two = |key: &str| -> Option<(String, String)> {
        let mut parts = key.rsplit('.');
        let last = parts.next()?;
        let before_last = parts.next()?;
        Some((before_last.to_string(), last.to_string()))
    };
    matches!((last_two(a), last_two(b)), (Some(a), Some(b)) if a == b)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, a_char) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, &b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != b_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 5] = [
        "taskmanager.memory.process.size",
        "taskmanager.memory.task.heap.size",
        "taskmanager.memory.managed.size",
        "taskmanager.numberOfTaskSlots",
        "io.tmp.dirs",
    ];

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("size", "size"), 0);
    }

    #[test]
    fn suggests_close_keys() {
        for (unknown, expected) in [
            (
                "taskmanager.memory.proces.size",
                Some("taskmanager.memory.process.size"),
            ),
            (
                "taskmanager.numberoftaskslots",
                Some("taskmanager.numberOfTaskSlots"),
            ),
            ("io.tmp.dir", Some("io.tmp.dirs")),
            (
                "taskmanager.memory.heap.size",
                Some("taskmanager.memory.task.heap.size"),
            ),
            (
                "memory.managed.size",
                Some("taskmanager.memory.managed.size"),
            ),
            ("jobmanager.rpc.address", None),
            ("size", None),
            ("", None),
        ] {
            assert_eq!(suggest_key(unknown, KNOWN), expected, "{unknown}");
        }
    }
}
