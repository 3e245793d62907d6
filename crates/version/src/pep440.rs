//! Python versions (PEP 440), parsed and ordered exactly as PyPA `packaging.version.Version`
//! does.
//!
//! Accepted forms follow packaging's regular expression (matched case-insensitively, with
//! surrounding whitespace): `v? [N!] N(.N)* [{-_.}?(a|alpha|b|beta|c|rc|pre|preview){-_.}?N?]
//! [-N | {-_.}?(post|rev|r){-_.}?N?] [{-_.}?dev{-_.}?N?] [+local]`.
//! Order: epoch; release with trailing zeros ignored; a dev release of a final version before
//! its pre-releases; pre-releases (`a` < `b` < `rc`, then number) before the final release;
//! post-releases after it; dev releases before what they are a dev release of; a local
//! version after the same public version, segments compared numerically when all digits
//! (numbers above strings) and as lowercased strings otherwise.
//!
//! Unicode matters where Python's case-insensitive matching makes it matter: `ſ` matches `s`
//! (`poſt`), `İ`/`ı` match `i` (`prevİew`), `K` (Kelvin) matches `k`, and all four are
//! allowed in local versions; whitespace is Python's `str.isspace`.

use crate::num::cmp_digits;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pre<'a> {
    /// A dev release of a final version (`1.0.dev0`): before all its pre-releases.
    DevOfFinal,
    /// `a`/`b`/`rc` (rank 0/1/4; 2 and 3 are Unicode spellings of `preview`) and the number
    /// (digits, empty = 0).
    Label(u8, &'a [u8]),
    /// No pre-release.
    None,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Pep440<'a> {
    epoch: &'a [u8],
    /// The release segment: digits separated by dots.
    release: &'a [u8],
    pre: Pre<'a>,
    /// (0 for `post`, 1 for the Unicode spelling `poſt`; the number).
    post: Option<(u8, &'a [u8])>,
    dev: Option<&'a [u8]>,
    /// The local label after `+`: segments separated by `-`, `_` or `.`.
    local: Option<&'a [u8]>,
}

/// Python's `str.isspace`, which `\s` follows.
fn py_space(c: char) -> bool {
    matches!(c, '\t'..='\r' | '\u{1c}'..='\u{1f}' | ' ' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}')
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
        )
}

/// The length of the character at `s[i..]` if it matches the ASCII lowercase letter `l` under
/// Python's case-insensitive matching.
#[inline]
fn letter_at(s: &[u8], i: usize, l: u8) -> Option<usize> {
    let c = *s.get(i)?;
    if c.to_ascii_lowercase() == l {
        return Some(1);
    }
    let rest = &s[i..];
    match l {
        b's' if rest.starts_with("ſ".as_bytes()) => Some(2),
        b'i' if rest.starts_with("İ".as_bytes()) || rest.starts_with("ı".as_bytes()) => Some(2),
        b'k' if rest.starts_with("K".as_bytes()) => Some(3),
        _ => None,
    }
}

/// Matches `word` (ASCII lowercase) at `s[i..]`; returns the end.
fn word_at(s: &[u8], mut i: usize, word: &str) -> Option<usize> {
    for &l in word.as_bytes() {
        i += letter_at(s, i, l)?;
    }
    Some(i)
}

/// A local-version character (`[a-z0-9]` case-insensitively): its byte length.
fn local_char_at(s: &[u8], i: usize) -> Option<usize> {
    let c = *s.get(i)?;
    if c.is_ascii_alphanumeric() {
        return Some(1);
    }
    let rest = &s[i..];
    for (u, len) in [("ſ", 2), ("İ", 2), ("ı", 2), ("K", 3)] {
        if rest.starts_with(u.as_bytes()) {
            return Some(len);
        }
    }
    None
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn is_sep(c: Option<&u8>) -> bool {
    matches!(c, Some(b'-' | b'_' | b'.'))
}

fn digits_at(s: &[u8], i: usize) -> usize {
    s[i.min(s.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

/// `[-_.]? LABEL [-_.]? N?` at `i`, with the labels tried in the regular expression's order.
/// Returns (index of the matched label, number digits, end).
fn labelled<'a>(s: &'a [u8], i: usize, labels: &[&str]) -> Option<(usize, &'a [u8], usize)> {
    let start = if is_sep(s.get(i)) { i + 1 } else { i };
    let (which, mut j) = labels
        .iter()
        .enumerate()
        .find_map(|(k, w)| word_at(s, start, w).map(|e| (k, e)))?;
    if is_sep(s.get(j)) {
        j += 1;
    }
    let n = digits_at(s, j);
    Some((which, &s[j..j + n], j + n))
}

pub(crate) fn parse(input: &str) -> Result<Pep440<'_>, &'static str> {
    let t = input.trim_matches(py_space);
    let s = t.as_bytes();
    if s.is_empty() {
        return Err("version string is empty");
    }
    let mut i = 0;
    if let Some(n) = letter_at(s, 0, b'v') {
        i += n;
    }
    // Epoch: digits followed by '!'.
    let mut epoch: &[u8] = b"";
    let n = digits_at(s, i);
    if n > 0 && s.get(i + n) == Some(&b'!') {
        epoch = &s[i..i + n];
        i += n + 1;
    }
    // Release.
    let rel_start = i;
    let n = digits_at(s, i);
    if n == 0 {
        return Err("expected a release number");
    }
    i += n;
    while s.get(i) == Some(&b'.') && s.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1 + digits_at(s, i + 1);
    }
    let release = &s[rel_start..i];
    // Pre-release.
    let mut pre = Pre::None;
    if let Some((k, n, end)) = labelled(
        s,
        i,
        &["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"],
    ) {
        // packaging keeps the lowercased label as a string key after mapping alpha→a,
        // beta→b and c/pre/preview→rc; only a Unicode spelling of "preview" escapes the
        // mapping ("previ̇ew" from İ, "prevıew" from ı) and sorts between b and rc.
        let label = &s[i..end];
        let rank = match k {
            0 | 1 => 0,
            2 | 3 => 1,
            4 if contains(label, "İ") => 2,
            4 if contains(label, "ı") => 3,
            _ => 4,
        };
        pre = Pre::Label(rank, n);
        i = end;
    }
    // Post-release.
    let mut post = None;
    if s.get(i) == Some(&b'-') && digits_at(s, i + 1) > 0 {
        let n = digits_at(s, i + 1);
        post = Some((0, &s[i + 1..i + 1 + n]));
        i += 1 + n;
    } else if let Some((k, n, end)) = labelled(s, i, &["post", "rev", "r"]) {
        // As above: "poſt" stays "poſt" (not "post") and sorts after it.
        post = Some((u8::from(k == 0 && contains(&s[i..end], "ſ")), n));
        i = end;
    }
    // Dev release.
    let mut dev = None;
    if let Some((_, n, end)) = labelled(s, i, &["dev"]) {
        dev = Some(n);
        i = end;
    }
    // Local version.
    let mut local = None;
    if s.get(i) == Some(&b'+') {
        let start = i + 1;
        let mut j = start;
        loop {
            let seg = j;
            while let Some(n) = local_char_at(s, j) {
                j += n;
            }
            if j == seg {
                return Err("local version segments must be non-empty letters or digits");
            }
            if is_sep(s.get(j)) {
                j += 1;
            } else {
                break;
            }
        }
        local = Some(&s[start..j]);
        i = j;
    }
    if i != s.len() {
        return Err("not a PEP 440 version");
    }
    if pre == Pre::None && post.is_none() && dev.is_some() {
        pre = Pre::DevOfFinal;
    }
    Ok(Pep440 {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

fn cmp_release(a: &[u8], b: &[u8]) -> Ordering {
    let mut ia = a.split(|&c| c == b'.');
    let mut ib = b.split(|&c| c == b'.');
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => {
                let o = cmp_digits(x.unwrap_or(b"0"), y.unwrap_or(b"0"));
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

fn cmp_pre(a: Pre<'_>, b: Pre<'_>) -> Ordering {
    match (a, b) {
        (Pre::DevOfFinal, Pre::DevOfFinal) | (Pre::None, Pre::None) => Ordering::Equal,
        (Pre::DevOfFinal, _) | (_, Pre::None) => Ordering::Less,
        (_, Pre::DevOfFinal) | (Pre::None, _) => Ordering::Greater,
        (Pre::Label(ra, na), Pre::Label(rb, nb)) => ra.cmp(&rb).then_with(|| cmp_digits(na, nb)),
    }
}

/// The code points of a local segment as Python's `str.lower()` makes them.
fn lowered(seg: &[u8]) -> impl Iterator<Item = u32> + '_ {
    // Segments hold only ASCII alphanumerics and ſ İ ı K (see `local_char_at`).
    std::str::from_utf8(seg)
        .unwrap_or("")
        .chars()
        .flat_map(|c| {
            let (x, y) = match c {
                'İ' => (0x69, Some(0x307)),
                'K' => (0x6b, None),
                c => (u32::from(c.to_ascii_lowercase()), None),
            };
            std::iter::once(x).chain(y)
        })
}

fn cmp_local(a: Option<&[u8]>, b: Option<&[u8]>) -> Ordering {
    let (a, b) = match (a, b) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Less,
        (Some(_), None) => return Ordering::Greater,
        (Some(a), Some(b)) => (a, b),
    };
    let mut ia = a.split(|&c| c == b'.' || c == b'-' || c == b'_');
    let mut ib = b.split(|&c| c == b'.' || c == b'-' || c == b'_');
    loop {
        let (x, y) = match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (x, y),
        };
        let dx = x.iter().all(u8::is_ascii_digit);
        let dy = y.iter().all(u8::is_ascii_digit);
        let o = match (dx, dy) {
            (true, true) => cmp_digits(x, y),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => lowered(x).cmp(lowered(y)),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
}

pub(crate) fn cmp(a: &Pep440<'_>, b: &Pep440<'_>) -> Ordering {
    cmp_digits(a.epoch, b.epoch)
        .then_with(|| cmp_release(a.release, b.release))
        .then_with(|| cmp_pre(a.pre, b.pre))
        .then_with(|| match (a.post, b.post) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some((lx, x)), Some((ly, y))) => lx.cmp(&ly).then_with(|| cmp_digits(x, y)),
        })
        .then_with(|| match (a.dev, b.dev) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => cmp_digits(x, y),
        })
        .then_with(|| cmp_local(a.local, b.local))
}
