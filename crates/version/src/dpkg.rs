//! Debian package versions, exactly as dpkg parses (`parseversion`) and orders
//! (`dpkg_version_compare` / `verrevcmp`) them.
//!
//! `[epoch:]upstream[-revision]`: the epoch is a decimal number (default 0); the revision is
//! everything after the last `-`. Upstream and revision are compared by alternating
//! non-digit and digit runs: in non-digit runs `~` sorts before everything (even the end
//! of the string), then the end, then letters, then every other character; digit runs
//! compare numerically.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Dpkg<'a> {
    pub(crate) epoch: u32,
    pub(crate) upstream: &'a [u8],
    pub(crate) revision: &'a [u8],
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Parses like dpkg's `parseversion`, but treats its warnings ("version number does not
/// start with digit", "invalid character") as errors too.
pub(crate) fn parse(s: &str) -> Result<Dpkg<'_>, &'static str> {
    let b = s.as_bytes();
    let start = b
        .iter()
        .position(|&c| !is_blank(c))
        .ok_or("version string is empty")?;
    let b = &b[start..];
    let end = b.iter().position(|&c| is_blank(c)).unwrap_or(b.len());
    if b[end..].iter().any(|&c| !is_blank(c)) {
        return Err("version string has embedded spaces");
    }
    let mut v = &b[..end];
    let mut epoch = 0u32;
    if let Some(colon) = v.iter().position(|&c| c == b':') {
        // strtol's reading: an optional sign, then digits, up to the colon.
        let e = &v[..colon];
        let (neg, digits) = match e.first() {
            Some(b'+') => (false, &e[1..]),
            Some(b'-') => (true, &e[1..]),
            _ => (false, e),
        };
        if digits.is_empty() {
            return Err("epoch in version is empty");
        }
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err("epoch in version is not number");
        }
        let mut n: u64 = 0;
        for &d in digits {
            n = n.saturating_mul(10).saturating_add(u64::from(d - b'0'));
        }
        if neg && n != 0 {
            return Err("epoch in version is negative");
        }
        if n > i32::MAX as u64 {
            return Err("epoch in version is too big");
        }
        epoch = n as u32;
        v = &v[colon + 1..];
        if v.is_empty() {
            return Err("nothing after colon in version number");
        }
    }
    let (upstream, revision) = match v.iter().rposition(|&c| c == b'-') {
        Some(h) => {
            if h + 1 == v.len() {
                return Err("revision number is empty");
            }
            (&v[..h], &v[h + 1..])
        }
        None => (v, &v[v.len()..]),
    };
    match upstream.first() {
        None => return Err("version number is empty"),
        Some(c) if !c.is_ascii_digit() => return Err("version number does not start with digit"),
        _ => {}
    }
    if upstream
        .iter()
        .any(|&c| !c.is_ascii_alphanumeric() && !b".-+~:".contains(&c))
    {
        return Err("invalid character in version number");
    }
    if revision
        .iter()
        .any(|&c| !c.is_ascii_alphanumeric() && !b".+~".contains(&c))
    {
        return Err("invalid character in revision number");
    }
    Ok(Dpkg {
        epoch,
        upstream,
        revision,
    })
}

pub(crate) fn cmp(a: &Dpkg<'_>, b: &Dpkg<'_>) -> Ordering {
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| verrevcmp(a.upstream, b.upstream))
        .then_with(|| verrevcmp(a.revision, b.revision))
}

#[inline]
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
pub(crate) fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0usize, 0usize);
    let at = |k: usize| a.get(k).copied();
    let bt = |k: usize| b.get(k).copied();
    while i < a.len() || j < b.len() {
        while at(i).is_some_and(|c| !c.is_ascii_digit())
            || bt(j).is_some_and(|c| !c.is_ascii_digit())
        {
            let (ac, bc) = (order(at(i)), order(bt(j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(i) == Some(b'0') {
            i += 1;
        }
        while bt(j) == Some(b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while let (Some(x), Some(y)) = (at(i), bt(j)) {
            if !(x.is_ascii_digit() && y.is_ascii_digit()) {
                break;
            }
            if first_diff == Ordering::Equal {
                first_diff = x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
        if at(i).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Greater;
        }
        if bt(j).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}
