//! NuGet versions (`NuGet.Versioning.NuGetVersion` with `VersionComparer.Default`): SemVer 2.0.0
//! extended with a fourth number and NuGet's leniencies.
//!
//! `Major[.Minor[.Patch[.Revision]]][-label(.label)*][+metadata]`: one to four numbers (leading
//! zeros allowed, each at most 2^31 - 1, missing ones are 0); labels are non-empty
//! `[0-9A-Za-z-]` without leading zeros on numeric ones; metadata is validated and ignored.
//! Surrounding whitespace is trimmed. Labels compare pairwise: numbers (what `Int32.TryParse`
//! accepts) by value and before text, text ignoring ASCII case; a release sorts after its
//! pre-releases and a shorter label list first.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy)]
pub(crate) struct NuGet<'a> {
    numbers: [u32; 4],
    /// Release labels without the leading `-`; empty for a release.
    labels: &'a [u8],
}

fn label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

pub(crate) fn parse(s: &str) -> Result<NuGet<'_>, &'static str> {
    let b = s.trim().as_bytes();
    if b.is_empty() {
        return Err("version string is empty");
    }
    // Sections as NuGet splits them: the first '-' or '+' ends the numbers, then the first
    // '+' ends the labels.
    let cut = b
        .iter()
        .position(|&c| c == b'-' || c == b'+')
        .unwrap_or(b.len());
    let (nums, rest) = b.split_at(cut);
    let (labels, meta) = match rest.first() {
        Some(b'-') => {
            let r = &rest[1..];
            match r.iter().position(|&c| c == b'+') {
                Some(p) => (Some(&r[..p]), Some(&r[p + 1..])),
                None => (Some(r), None),
            }
        }
        Some(_) => (None, Some(&rest[1..])),
        None => (None, None),
    };
    let mut numbers = [0u32; 4];
    for (count, part) in nums.split(|&c| c == b'.').enumerate() {
        if count == 4 {
            return Err("at most four version numbers");
        }
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return Err("version numbers must be digits");
        }
        let mut v: u64 = 0;
        for &d in part {
            v = v * 10 + u64::from(d - b'0');
            if v > i32::MAX as u64 {
                return Err("version number too large");
            }
        }
        numbers[count] = v as u32;
    }
    let labels = match labels {
        None => &b[b.len()..],
        Some(l) => {
            for part in l.split(|&c| c == b'.') {
                if part.is_empty() || !part.iter().all(|&c| label_char(c)) {
                    return Err(
                        "release labels must be dot-separated non-empty [0-9A-Za-z-] identifiers",
                    );
                }
                if part.len() > 1 && part[0] == b'0' && part.iter().all(u8::is_ascii_digit) {
                    return Err("numeric release labels must not have leading zeros");
                }
            }
            l
        }
    };
    if let Some(m) = meta
        && m.split(|&c| c == b'.')
            .any(|p| p.is_empty() || !p.iter().all(|&c| label_char(c)))
    {
        return Err("metadata must be dot-separated non-empty [0-9A-Za-z-] identifiers");
    }
    Ok(NuGet { numbers, labels })
}

/// `Int32.TryParse` on a label (which holds only `[0-9A-Za-z-]`).
fn as_int(label: &[u8]) -> Option<i64> {
    let (neg, digits) = match label {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, label),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        v = v * 10 + i64::from(d - b'0');
        if v > 1 << 31 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&v)
        .then_some(v)
}

fn cmp_label(a: &[u8], b: &[u8]) -> Ordering {
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a
            .iter()
            .map(u8::to_ascii_uppercase)
            .cmp(b.iter().map(u8::to_ascii_uppercase)),
    }
}

pub(crate) fn cmp(a: &NuGet<'_>, b: &NuGet<'_>) -> Ordering {
    a.numbers
        .cmp(&b.numbers)
        .then_with(|| match (a.labels.is_empty(), b.labels.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let mut ia = a.labels.split(|&c| c == b'.');
                let mut ib = b.labels.split(|&c| c == b'.');
                loop {
                    match (ia.next(), ib.next()) {
                        (None, None) => return Ordering::Equal,
                        (None, Some(_)) => return Ordering::Less,
                        (Some(_), None) => return Ordering::Greater,
                        (Some(x), Some(y)) => {
                            let o = cmp_label(x, y);
                            if o != Ordering::Equal {
                                return o;
                            }
                        }
                    }
                }
            }
        })
}
