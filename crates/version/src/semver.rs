//! SemVer 2.0.0 precedence (semver.org §11), with the adapters npm, crates.io and Go need.
//!
//! Build metadata is validated and ignored. Numbers of any length compare numerically.

use crate::num::{all_digits, cmp_digits};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Sem<'a> {
    pub(crate) major: &'a [u8],
    pub(crate) minor: &'a [u8],
    pub(crate) patch: &'a [u8],
    /// Pre-release identifiers without the leading `-`; empty when none.
    pub(crate) pre: &'a [u8],
}

/// A numeric identifier: `0` or digits without a leading zero.
fn numeric_ok(d: &[u8]) -> bool {
    all_digits(d) && (d.len() == 1 || d[0] != b'0')
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// Splits `MAJOR.MINOR.PATCH[-PRE][+BUILD]` (no prefix) and validates it strictly.
pub(crate) fn parse_core(s: &[u8]) -> Result<Sem<'_>, &'static str> {
    let (rest, build) = match s.iter().position(|&c| c == b'+') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    if let Some(build) = build
        && build
            .split(|&c| c == b'.')
            .any(|id| id.is_empty() || !id.iter().all(|&c| ident_char(c)))
    {
        return Err("build metadata must be dot-separated non-empty [0-9A-Za-z-] identifiers");
    }
    let (core, pre) = match rest.iter().position(|&c| c == b'-') {
        Some(p) => (&rest[..p], Some(&rest[p + 1..])),
        None => (rest, None),
    };
    let mut parts = core.split(|&c| c == b'.');
    let (Some(major), Some(minor), Some(patch), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("expected MAJOR.MINOR.PATCH");
    };
    for n in [major, minor, patch] {
        if !numeric_ok(n) {
            return Err("version numbers must be digits without leading zeros");
        }
    }
    let pre = match pre {
        None => &rest[rest.len()..],
        Some(pre) => {
            for id in pre.split(|&c| c == b'.') {
                if id.is_empty() || !id.iter().all(|&c| ident_char(c)) {
                    return Err(
                        "pre-release must be dot-separated non-empty [0-9A-Za-z-] identifiers",
                    );
                }
                if all_digits(id) && !numeric_ok(id) {
                    return Err("numeric pre-release identifiers must not have leading zeros");
                }
            }
            pre
        }
    };
    Ok(Sem {
        major,
        minor,
        patch,
        pre,
    })
}

/// Strict SemVer 2.0.0 (also crates.io): no prefix, no spaces.
pub(crate) fn parse_strict(s: &str) -> Result<Sem<'_>, &'static str> {
    if s.is_empty() {
        return Err("version string is empty");
    }
    parse_core(s.as_bytes())
}

/// JavaScript's `String.prototype.trim` whitespace.
fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0B' | '\x0C' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
    ) || matches!(
        c,
        '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// Largest integer node-semver accepts for MAJOR, MINOR and PATCH (`Number.MAX_SAFE_INTEGER`).
const JS_MAX_SAFE: u64 = (1 << 53) - 1;

/// npm, as node-semver's `clean` reads a version: trimmed, any run of leading `=` and `v`
/// dropped, then strict SemVer 2.0.0 of at most 256 characters whose numbers are at most
/// 2^53 - 1.
pub(crate) fn parse_npm(s: &str) -> Result<Sem<'_>, &'static str> {
    let t = s.trim_matches(js_space).trim_start_matches(['=', 'v']);
    if t.is_empty() {
        return Err("version string is empty");
    }
    if t.encode_utf16().count() > 256 {
        return Err("longer than 256 characters");
    }
    let v = parse_core(t.as_bytes())?;
    for n in [v.major, v.minor, v.patch] {
        if n.len() > 16
            || n.iter()
                .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'))
                > JS_MAX_SAFE
        {
            return Err("version numbers above 2^53 - 1");
        }
    }
    Ok(v)
}

/// node-semver's order: as SemVer, except that numeric pre-release identifiers compare as
/// JavaScript numbers (exactly up to 2^53, rounded beyond, where two different identifiers
/// that round alike end the comparison as equal).
pub(crate) fn cmp_npm(a: &Sem<'_>, b: &Sem<'_>) -> Ordering {
    cmp_digits(a.major, b.major)
        .then_with(|| cmp_digits(a.minor, b.minor))
        .then_with(|| cmp_digits(a.patch, b.patch))
        .then_with(|| match (a.pre.is_empty(), b.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let mut ia = a.pre.split(|&c| c == b'.');
                let mut ib = b.pre.split(|&c| c == b'.');
                loop {
                    let (x, y) = match (ia.next(), ib.next()) {
                        (None, None) => return Ordering::Equal,
                        (None, Some(_)) => return Ordering::Less,
                        (Some(_), None) => return Ordering::Greater,
                        (Some(x), Some(y)) => (x, y),
                    };
                    let o = match (all_digits(x), all_digits(y)) {
                        (true, true) if x == y => Ordering::Equal,
                        (true, true) if x.len().max(y.len()) <= 15 => cmp_digits(x, y),
                        // node-semver keeps these as strings and compares them as `+a`, `+b`;
                        // when the rounded numbers are equal its comparison ends there, equal.
                        (true, true) => return js_number(x).total_cmp(&js_number(y)),
                        (true, false) => Ordering::Less,
                        (false, true) => Ordering::Greater,
                        (false, false) => x.cmp(y),
                    };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
            }
        })
}

fn js_number(d: &[u8]) -> f64 {
    std::str::from_utf8(d)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::INFINITY)
}

/// Go modules (golang.org/x/mod/semver): `v` is accepted and optional (OSV's Go records
/// omit it); `vMAJOR` and `vMAJOR.MINOR` are shorthands for `.0.0` / `.0`;
/// `+incompatible` is build metadata. Pseudo-versions are ordinary pre-releases.
pub(crate) fn parse_go(s: &str) -> Result<Sem<'_>, &'static str> {
    let b = s.as_bytes();
    let b = b.strip_prefix(b"v").unwrap_or(b);
    if b.is_empty() {
        return Err("version string is empty");
    }
    if !b.contains(&b'-') && !b.contains(&b'+') {
        let mut parts = b.split(|&c| c == b'.');
        let major = parts.next().unwrap_or_default();
        match (parts.next(), parts.next()) {
            (None, _) if numeric_ok(major) => {
                return Ok(Sem {
                    major,
                    minor: b"0",
                    patch: b"0",
                    pre: b"",
                });
            }
            (Some(minor), None) if numeric_ok(major) && numeric_ok(minor) => {
                return Ok(Sem {
                    major,
                    minor,
                    patch: b"0",
                    pre: b"",
                });
            }
            _ => {}
        }
    }
    parse_core(b)
}

pub(crate) fn cmp(a: &Sem<'_>, b: &Sem<'_>) -> Ordering {
    cmp_digits(a.major, b.major)
        .then_with(|| cmp_digits(a.minor, b.minor))
        .then_with(|| cmp_digits(a.patch, b.patch))
        .then_with(|| cmp_pre(a.pre, b.pre, false))
}

/// Pre-release precedence: none > some; identifiers left to right, numeric ones by value
/// and below alphanumeric ones, which compare in ASCII order (or ignoring ASCII case when
/// `ignore_case`, as NuGet does); a shorter list that is a prefix of the other is lower.
pub(crate) fn cmp_pre(a: &[u8], b: &[u8], ignore_case: bool) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut ia = a.split(|&c| c == b'.');
    let mut ib = b.split(|&c| c == b'.');
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (all_digits(x), all_digits(y)) {
                    (true, true) => cmp_digits(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) if ignore_case => x
                        .iter()
                        .map(u8::to_ascii_lowercase)
                        .cmp(y.iter().map(u8::to_ascii_lowercase)),
                    (false, false) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}
