//! RubyGems versions, validated and ordered exactly as `Gem::Version` does.
//!
//! Accepted: `N(.X)*` where the first segment is digits and the others are ASCII
//! alphanumerics, optionally followed by `-pre(.pre)*` with `[0-9A-Za-z-]` identifiers, and
//! surrounding whitespace. Every `-` means `.pre.`. The version splits into runs of digits
//! (numbers, any size) and runs of letters (strings); trailing zeros are dropped from the
//! numeric prefix and from the part from the first string on, separately. Segments then
//! compare pairwise, a missing one counting as 0: numbers by value, strings bytewise, and a
//! string below a number, so any letter makes a pre-release (`1.0.a` < `1.0`).
//!
//! One deliberate difference: RubyGems reads an empty (or blank) string as version `0`; here
//! it is an error, being a data error in every feed.

use crate::num::{cmp_digits, is_zero};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg<'a> {
    /// Digits, leading zeros stripped (empty for zero).
    Num(&'a [u8]),
    Str(&'a [u8]),
}

const ZERO: Seg<'static> = Seg::Num(b"");

#[derive(Debug, Clone)]
pub(crate) struct Gem<'a> {
    /// The stripped version text (before `-` → `.pre.`), for the identical-string shortcut.
    text: &'a str,
    /// Canonical segments.
    segs: Vec<Seg<'a>>,
}

/// Ruby's `\s`: ASCII whitespace including vertical tab.
fn ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// `[0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?` over the whole string.
fn well_formed(b: &[u8]) -> bool {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return false;
    }
    let mut i = n;
    while b.get(i) == Some(&b'.') {
        let m = b[i + 1..].iter().take_while(|&&c| alnum(c)).count();
        if m == 0 {
            return false;
        }
        i += 1 + m;
    }
    if i == b.len() {
        return true;
    }
    if b[i] != b'-' {
        return false;
    }
    i += 1;
    loop {
        let m = b[i..]
            .iter()
            .take_while(|&&c| alnum(c) || c == b'-')
            .count();
        if m == 0 {
            return false;
        }
        i += m;
        if i == b.len() {
            return true;
        }
        if b[i] != b'.' {
            return false;
        }
        i += 1;
    }
}

pub(crate) fn parse(s: &str) -> Result<Gem<'_>, &'static str> {
    let text = s.trim_matches(ruby_space);
    if text.is_empty() {
        return Err("version string is empty");
    }
    let b = text.as_bytes();
    if !well_formed(b) {
        return Err("malformed version number string");
    }
    // Segments: runs of digits or of letters ("-" only adds the string "pre").
    let mut raw: Vec<Seg<'_>> = Vec::with_capacity(8);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'-' {
            raw.push(Seg::Str(b"pre"));
            i += 1;
        } else if c.is_ascii_digit() {
            let n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let d = &b[i..i + n];
            let z = d.iter().take_while(|&&c| c == b'0').count();
            raw.push(Seg::Num(&d[z..]));
            i += n;
        } else if c.is_ascii_alphabetic() {
            let n = b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            raw.push(Seg::Str(&b[i..i + n]));
            i += n;
        } else {
            i += 1;
        }
    }
    // Canonical: drop trailing zeros of the numeric prefix and of the rest, separately.
    let split = raw
        .iter()
        .position(|s| matches!(s, Seg::Str(_)))
        .unwrap_or(raw.len());
    let trim = |part: &[Seg<'_>]| {
        part.iter()
            .rposition(|s| *s != ZERO && !matches!(s, Seg::Num(d) if is_zero(d)))
            .map_or(0, |p| p + 1)
    };
    let head = trim(&raw[..split]);
    let tail = trim(&raw[split..]);
    let mut segs = Vec::with_capacity(head + tail);
    segs.extend_from_slice(&raw[..head]);
    segs.extend_from_slice(&raw[split..split + tail]);
    Ok(Gem { text, segs })
}

pub(crate) fn cmp(a: &Gem<'_>, b: &Gem<'_>) -> Ordering {
    if a.text == b.text || a.segs == b.segs {
        return Ordering::Equal;
    }
    for i in 0..a.segs.len().max(b.segs.len()) {
        let x = a.segs.get(i).copied().unwrap_or(ZERO);
        let y = b.segs.get(i).copied().unwrap_or(ZERO);
        let o = match (x, y) {
            (Seg::Num(p), Seg::Num(q)) => cmp_digits(p, q),
            (Seg::Str(p), Seg::Str(q)) => p.cmp(q),
            (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
            (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}
