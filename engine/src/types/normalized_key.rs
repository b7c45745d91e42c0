//! Writing normalized-key bytes: the one primitive every built-in comparator uses.
//!
//! Each built-in comparator first maps a value to an order-preserving byte string (big-endian
//! integers with the sign bit flipped, transformed float bits, the bytes of a string, …) and then
//! writes a prefix of it with [`write_key_prefix`]: as many bytes as the target holds, zeros
//! past the end of the key.

/// Bytes of normalized key the variable-length comparators ([`crate::types::StringComparator`],
/// [`crate::types::BytesComparator`]) write unless told otherwise.
pub const DEFAULT_VARIABLE_KEY_BYTES: usize = 16;

/// Copies the first `target.len()` bytes of `key` into `target` and fills what is left of
/// `target` with zeros.
#[inline]
pub fn write_key_prefix(key: &[u8], target: &mut [u8]) {
    if key.len() >= target.len() {
        target.copy_from_slice(&key[..target.len()]);
    } else {
        let (head, tail) = target.split_at_mut(key.len());
        head.copy_from_slice(key);
        tail.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_a_prefix_and_pads_with_zeros() {
        let mut short = [9u8; 2];
        write_key_prefix(&[1, 2, 3], &mut short);
        assert_eq!(short, [1, 2]);
        let mut long = [9u8; 5];
        write_key_prefix(&[1, 2, 3], &mut long);
        assert_eq!(long, [1, 2, 3, 0, 0]);
        write_key_prefix(&[1, 2, 3], &mut []);
    }
}
