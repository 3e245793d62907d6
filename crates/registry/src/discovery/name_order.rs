//! Natural version order of tag names: the cheap key that picks which tags of a very large
//! repository are worth resolving when `cap` orders by creation date (see
//! [`DiscoveryLimits::date_cap_candidates`](super::DiscoveryLimits::date_cap_candidates)).
//!
//! A tag is read as runs of digits and runs of other characters; digit runs compare as numbers
//! (`1.10` after `1.9`, `build-100` after `build-99`, `20240301` after `20231231`), other runs
//! compare bytewise, and a number ranks above text at the same place. Tags without any digit
//! (`latest`, `stable`, `main`) rank above every numbered tag, since such names usually follow
//! the newest build. Equal-looking names (`01` and `1`) fall back to bytewise order, so the
//! order is total. This guesses recency from names: it is right for versions, build numbers
//! and dates, and says nothing for names such as commit hashes.

use std::cmp::Ordering;

/// A tag ordered by [`natural_cmp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Natural(pub(crate) String);

impl Ord for Natural {
    fn cmp(&self, other: &Natural) -> Ordering {
        natural_cmp(&self.0, &other.0)
    }
}

impl PartialOrd for Natural {
    fn partial_cmp(&self, other: &Natural) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `a` against `b` in natural version order (greater = ranks as newer).
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let digits = |s: &str| s.bytes().any(|c| c.is_ascii_digit());
    match (digits(a), digits(b)) {
        (false, true) => return Ordering::Greater,
        (true, false) => return Ordering::Less,
        _ => {}
    }
    let (mut x, mut y) = (runs(a), runs(b));
    loop {
        let o = match (x.next(), y.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(p), Some(q)) => run_cmp(p, q),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
}

fn run_cmp(p: &str, q: &str) -> Ordering {
    let num = |s: &str| s.as_bytes()[0].is_ascii_digit();
    match (num(p), num(q)) {
        (true, true) => {
            let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
            p.len().cmp(&q.len()).then_with(|| p.cmp(q))
        }
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => p.cmp(q),
    }
}

/// The maximal runs of digits and of non-digits of `s`, in order.
fn runs(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let first = rest.as_bytes().first()?;
        let digit = first.is_ascii_digit();
        let end = rest
            .bytes()
            .position(|c| c.is_ascii_digit() != digit)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        rest = tail;
        Some(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn newest_first(tags: &[&str]) -> Vec<String> {
        let mut v: Vec<Natural> = tags.iter().map(|t| Natural(t.to_string())).collect();
        v.sort_by(|a, b| b.cmp(a));
        v.into_iter().map(|n| n.0).collect()
    }

    #[test]
    fn numbers_compare_as_numbers() {
        assert_eq!(
            newest_first(&[
                "1.9.0",
                "1.10.0",
                "1.2.10",
                "v1.11.0",
                "1.10.0-rc1",
                "latest"
            ]),
            [
                "latest",
                "1.10.0-rc1",
                "1.10.0",
                "1.9.0",
                "1.2.10",
                "v1.11.0"
            ]
        );
        assert_eq!(
            newest_first(&[
                "build-99",
                "build-100",
                "20231231",
                "20240301",
                "build-0100"
            ]),
            [
                "20240301",
                "20231231",
                "build-100",
                "build-0100",
                "build-99"
            ]
        );
        // Longer than any integer type: still compared as a number, without overflow.
        let big = "9".repeat(40);
        assert_eq!(natural_cmp(&big, &"9".repeat(39)), Ordering::Greater);
        assert_eq!(natural_cmp("01", "1"), "01".cmp("1"));
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
    }
}
