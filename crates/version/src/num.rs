//! Arbitrary-length decimal comparisons on digit slices, without parsing into integers.

use std::cmp::Ordering;

/// Strips leading ASCII zeros.
#[inline]
pub(crate) fn strip_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|&&c| c == b'0').count();
    &d[n..]
}

/// Compares two runs of ASCII digits as non-negative integers of any length.
#[inline]
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_zeros(a);
    let b = strip_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Whether a run of digits is all zeros (or empty).
#[inline]
pub(crate) fn is_zero(d: &[u8]) -> bool {
    d.iter().all(|&c| c == b'0')
}

#[inline]
pub(crate) fn all_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn digits() {
        assert_eq!(cmp_digits(b"0010", b"10"), Ordering::Equal);
        assert_eq!(
            cmp_digits(b"99999999999999999999999", b"100000000000000000000000"),
            Ordering::Less
        );
        assert_eq!(cmp_digits(b"", b"0"), Ordering::Equal);
        assert_eq!(cmp_digits(b"2", b"10"), Ordering::Less);
    }
}
