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

/// A tag ordered by [`natural_cmp`], with whether it has a digit worked out once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Natural {
    tag: String,
    numbered: bool,
}

impl Natural {
    pub(crate) fn new(tag: &str) -> Natural {
        Natural {
            tag: tag.to_string(),
            numbered: tag.bytes().any(|c| c.is_ascii_digit()),
        }
    }
}

impl Ord for Natural {
    fn cmp(&self, other: &Natural) -> Ordering {
        self.numbered
            .cmp(&other.numbered)
            .reverse()
            .then_with(|| runs_cmp(self.tag.as_bytes(), other.tag.as_bytes()))
    }
}

impl PartialOrd for Natural {
    fn partial_cmp(&self, other: &Natural) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `a` against `b` in natural version order (greater = ranks as newer).
#[cfg(test)]
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    Natural::new(a).cmp(&Natural::new(b))
}

/// Run by run, in one pass over both names (it runs for every tag of a large repository).
fn runs_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let digit = |s: &[u8], i: usize| i < s.len() && s[i].is_ascii_digit();
    let (mut i, mut j) = (0, 0);
    loop {
        match (i < a.len(), j < b.len()) {
            (false, false) => return a.cmp(b),
            (false, true) => return Ordering::Less,
            (true, false) => return Ordering::Greater,
            (true, true) => {}
        }
        match (digit(a, i), digit(b, j)) {
            (true, true) => {
                while digit(a, i) && a[i] == b'0' {
                    i += 1;
                }
                while digit(b, j) && b[j] == b'0' {
                    j += 1;
                }
                let (si, sj) = (i, j);
                while digit(a, i) {
                    i += 1;
                }
                while digit(b, j) {
                    j += 1;
                }
                let o = (i - si)
                    .cmp(&(j - sj))
                    .then_with(|| a[si..i].cmp(&b[sj..j]));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => {
                // Two text runs compare bytewise; a run that ends first is the smaller.
                loop {
                    let (ea, eb) = (i >= a.len() || digit(a, i), j >= b.len() || digit(b, j));
                    match (ea, eb) {
                        (true, true) => break,
                        (true, false) => return Ordering::Less,
                        (false, true) => return Ordering::Greater,
                        (false, false) => match a[i].cmp(&b[j]) {
                            Ordering::Equal => (i, j) = (i + 1, j + 1),
                            o => return o,
                        },
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn newest_first(tags: &[&str]) -> Vec<String> {
        let mut v: Vec<Natural> = tags.iter().map(|t| Natural::new(t)).collect();
        v.sort_by(|a, b| b.cmp(a));
        v.into_iter().map(|n| n.tag).collect()
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
