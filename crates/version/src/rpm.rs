//! RPM versions: `[epoch:]version[-release]` parsed like rpm's `parseEVR` and compared like
//! rpm 4.18's `rpmverCmp` (`rpm.ver` objects, the `rpm.vercmp` Lua function): epoch (missing
//! = 0), version, then release, each part with `rpmvercmp`; a missing release sorts before
//! any release (`1.0` < `1.0-0`).
//!
//! `rpmvercmp` walks alphanumeric segments (runs of digits or of ASCII letters; every other
//! character separates them): `~` sorts before anything, even the end of the string;
//! `^` sorts after the end of the string but before anything else; a numeric segment is
//! newer than an alphabetic one; numbers compare by value, letters in ASCII order; when all
//! segments are equal, the string with segments left over is newer.

use crate::num::cmp_digits;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Evr<'a> {
    /// Digits; empty means 0.
    pub(crate) epoch: &'a [u8],
    pub(crate) version: &'a [u8],
    pub(crate) release: Option<&'a [u8]>,
}

fn allowed(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"._+~^".contains(&c)
}

pub(crate) fn parse(s: &str) -> Result<Evr<'_>, &'static str> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err("version string is empty");
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let (epoch, rest) = if b.get(digits) == Some(&b':') {
        // An empty epoch (":1.0") is epoch 0, as rpm reads it.
        (&b[..digits], &b[digits + 1..])
    } else {
        (&b[..0], b)
    };
    let (version, release) = match rest.iter().rposition(|&c| c == b'-') {
        Some(p) => (&rest[..p], Some(&rest[p + 1..])),
        None => (rest, None),
    };
    if version.is_empty() {
        return Err("version is empty");
    }
    if !version.iter().all(|&c| allowed(c)) {
        return Err("version may only hold ASCII letters, digits and . _ + ~ ^");
    }
    if let Some(r) = release {
        if r.is_empty() {
            return Err("release is empty");
        }
        if !r.iter().all(|&c| allowed(c)) {
            return Err("release may only hold ASCII letters, digits and . _ + ~ ^");
        }
    }
    Ok(Evr {
        epoch,
        version,
        release,
    })
}

pub(crate) fn cmp(a: &Evr<'_>, b: &Evr<'_>) -> Ordering {
    cmp_digits(a.epoch, b.epoch)
        .then_with(|| rpmvercmp(a.version, b.version))
        .then_with(|| match (a.release, b.release) {
            (Some(x), Some(y)) => rpmvercmp(x, y),
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
        })
}

/// rpm's `rpmvercmp` on one part (version or release).
pub(crate) fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else { break };
        let isnum = ca.is_ascii_digit();
        let class = |c: &u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let ea = i + a[i..].iter().take_while(|c| class(c)).count();
        let eb = j + b[j..].iter().take_while(|c| class(c)).count();
        if eb == j {
            // Segments of different types: numeric is newer than alphabetic.
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let o = if isnum {
            cmp_digits(&a[i..ea], &b[j..eb])
        } else {
            a[i..ea].cmp(&b[j..eb])
        };
        if o != Ordering::Equal {
            return o;
        }
        i = ea;
        j = eb;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}
