//! Composer / Packagist versions: normalised like `Composer\Semver\VersionParser::normalize`
//! (Composer 2's composer/semver 3), then ordered like `Composer\Semver\Comparator`, which is
//! PHP's `version_compare` on the normalised strings.
//!
//! Normalisation: `v1.2` → `1.2.0.0`; stability suffixes become `-alpha`, `-beta`, `-RC`,
//! `-patch` (from `a`/`alpha`, `b`/`beta`, `rc`, `p`/`pl`/`patch`) followed by their number,
//! `-stable` is dropped, `-dev` is kept; `@stability` flags and `+build` metadata are dropped;
//! date versions (`2010-01-02`) become dotted; numeric branches (`1.0.x-dev`) become
//! `1.0.9999999.9999999-dev`. Order: numbers by value; dev < alpha = a < beta = b < RC = rc <
//! (number) < patch = pl = p; so `1.0-dev` < `1.0-alpha` < `1.0-beta` < `1.0-RC` < `1.0` <
//! `1.0-patch`.
//!
//! Named branches (`dev-master`, `master`), aliases (`1.0 as 2.0`) and other strings Composer
//! rejects are errors: they have no place in an order.

use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub(crate) struct Composer(String);

fn ci_starts(s: &[u8], i: usize, word: &str) -> bool {
    s.len() >= i + word.len() && s[i..i + word.len()].eq_ignore_ascii_case(word.as_bytes())
}

fn digits(s: &[u8], i: usize) -> usize {
    s[i.min(s.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

/// The modifier part of Composer's version expressions, anchored at both ends:
/// `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$`.
/// Returns (stability, its number text, dev).
#[allow(clippy::type_complexity)]
fn modifier(s: &[u8]) -> Option<(Option<&[u8]>, &[u8], bool)> {
    let mut i = 0;
    if matches!(s.first(), Some(b'.' | b'_' | b'-')) {
        i = 1;
    }
    let mut stability = None;
    let mut number: &[u8] = b"";
    if let Some(label) = [
        "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
    ]
    .iter()
    .find(|l| ci_starts(s, i, l))
    {
        stability = Some(&s[i..i + label.len()]);
        i += label.len();
        let start = i;
        loop {
            let j = if matches!(s.get(i), Some(b'.' | b'-')) {
                i + 1
            } else {
                i
            };
            let n = digits(s, j);
            if n == 0 {
                break;
            }
            i = j + n;
        }
        number = &s[start..i];
    }
    let mut dev = false;
    let j = if matches!(s.get(i), Some(b'.' | b'-')) {
        i + 1
    } else {
        i
    };
    if ci_starts(s, j, "dev") {
        dev = true;
        i = j + 3;
    }
    (i == s.len()).then_some((stability, number, dev))
}

/// Whether `s` is `\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?` as a whole.
fn is_date(s: &[u8]) -> bool {
    fn rest(s: &[u8], reps: usize) -> bool {
        // Either end here (after at least one pair), or the optional tail, or another pair.
        if reps >= 1 {
            if s.is_empty() {
                return true;
            }
            let t = if matches!(s[0], b'.' | b':' | b'-') {
                &s[1..]
            } else {
                s
            };
            if (1..=3).contains(&t.len()) && t.iter().all(u8::is_ascii_digit) {
                return true;
            }
        }
        if reps < 6 {
            for skip in [1usize, 0] {
                if skip == 1 && !matches!(s.first(), Some(b'.' | b':' | b'-')) {
                    continue;
                }
                let t = &s[skip..];
                if t.len() >= 2 && t[..2].iter().all(u8::is_ascii_digit) && rest(&t[2..], reps + 1)
                {
                    return true;
                }
            }
        }
        false
    }
    s.len() >= 4 && s[..4].iter().all(u8::is_ascii_digit) && rest(&s[4..], 0)
}

fn expand_stability(s: &[u8]) -> String {
    let lower = String::from_utf8_lossy(s).to_ascii_lowercase();
    match lower.as_str() {
        "a" => "alpha".to_owned(),
        "b" => "beta".to_owned(),
        "p" | "pl" => "patch".to_owned(),
        "rc" => "RC".to_owned(),
        _ => lower,
    }
}

/// Appends the modifier the way `normalize` does; `None` for a plain `stable` (dropped).
fn with_modifier(
    mut version: String,
    stability: Option<&[u8]>,
    number: &[u8],
    dev: bool,
) -> String {
    if let Some(st) = stability {
        if st == b"stable" {
            return version;
        }
        version.push('-');
        version.push_str(&expand_stability(st));
        let n = String::from_utf8_lossy(number);
        version.push_str(n.trim_start_matches(['.', '-']));
    }
    if dev {
        version.push_str("-dev");
    }
    version
}

/// `VersionParser::normalize`, for versions (not constraints).
pub(crate) fn normalize(input: &str) -> Result<String, &'static str> {
    let mut v = input.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B']);
    if v.is_empty() {
        return Err("version string is empty");
    }
    if v.bytes().any(|c| c.is_ascii_whitespace() || c == b',') {
        return Err("not a single version");
    }
    // A trailing stability flag.
    if let Some(at) = v.rfind('@') {
        let flag = &v[at + 1..];
        if ["stable", "RC", "beta", "alpha", "dev"]
            .iter()
            .any(|f| f.eq_ignore_ascii_case(flag))
        {
            v = &v[..at];
        }
    }
    if matches!(v, "master" | "trunk" | "default") || ci_starts(v.as_bytes(), 0, "dev-") {
        return Err("a branch name, which has no version order");
    }
    // Build metadata.
    if let Some(plus) = v.find('+')
        && plus > 0
        && plus + 1 < v.len()
    {
        v = &v[..plus];
    }
    let b = v.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'v' | b'V')) {
        i = 1;
    }
    // Classical: up to five digits, then up to three `.N`.
    let major = digits(b, i);
    if (1..=5).contains(&major) {
        let mut j = i + major;
        let mut parts = vec![&v[i..i + major]];
        while parts.len() < 4 && b.get(j) == Some(&b'.') && digits(b, j + 1) > 0 {
            let n = digits(b, j + 1);
            parts.push(&v[j + 1..j + 1 + n]);
            j += 1 + n;
        }
        if let Some((stability, number, dev)) = modifier(&b[j..]) {
            while parts.len() < 4 {
                parts.push("0");
            }
            return Ok(with_modifier(parts.join("."), stability, number, dev));
        }
    }
    // Date based: the longest run of digits and [.:-] that ends in a digit.
    let run = b[i..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || matches!(c, b'.' | b':' | b'-'))
        .count();
    let mut end = i + run;
    while end > i && !b[end - 1].is_ascii_digit() {
        end -= 1;
    }
    if is_date(&b[i..end])
        && let Some((stability, number, dev)) = modifier(&b[end..])
    {
        let date: String = v[i..end]
            .chars()
            .map(|c| if c.is_ascii_digit() { c } else { '.' })
            .collect();
        return Ok(with_modifier(date, stability, number, dev));
    }
    // Numeric branches: `1.0.x-dev`, `2.*-dev`.
    let lower_end = b.len();
    if lower_end >= 3 && b[lower_end - 3..].eq_ignore_ascii_case(b"dev") {
        let mut name = &v[..lower_end - 3];
        if name.ends_with(['.', '-']) {
            name = &name[..name.len() - 1];
        }
        if let Some(n) = normalize_branch(name) {
            return Ok(n);
        }
    }
    Err("not a Composer version")
}

/// `VersionParser::normalizeBranch` for numeric branches (`None` for named ones).
fn normalize_branch(name: &str) -> Option<String> {
    let name = name.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B']);
    let b = name.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'v' | b'V')));
    let n = digits(b, i);
    if n == 0 {
        return None;
    }
    let mut out = String::from(&name[i..i + n]);
    i += n;
    let mut parts = 1;
    while parts < 4 && b.get(i) == Some(&b'.') {
        let d = digits(b, i + 1);
        if d > 0 {
            out.push_str(&name[i..i + 1 + d]);
            i += 1 + d;
        } else if matches!(b.get(i + 1), Some(b'x' | b'X' | b'*')) {
            out.push_str(".x");
            i += 2;
        } else {
            return None;
        }
        parts += 1;
    }
    if i != b.len() {
        return None;
    }
    while parts < 4 {
        out.push_str(".x");
        parts += 1;
    }
    Some(out.replace('x', "9999999") + "-dev")
}

pub(crate) fn parse(s: &str) -> Result<Composer, &'static str> {
    normalize(s).map(Composer)
}

pub(crate) fn cmp(a: &Composer, b: &Composer) -> Ordering {
    version_compare(a.0.as_bytes(), b.0.as_bytes())
}

// ------------------------------------------------------------------ PHP's version_compare

/// `php_canonicalize_version`: `-`, `_`, `+` and other non-alphanumerics become single dots,
/// and a dot is put between letters and digits.
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 2);
    let Some((&first, rest)) = v.split_first() else {
        return out;
    };
    out.push(first);
    let mut lp = first;
    let isdig = |c: u8| c.is_ascii_digit();
    let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    for &c in rest {
        let lq = *out.last().unwrap_or(&0);
        if matches!(c, b'-' | b'_' | b'+') {
            if lq != b'.' {
                out.push(b'.');
            }
        } else if (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)) {
            if lq != b'.' {
                out.push(b'.');
            }
            out.push(c);
        } else if !c.is_ascii_alphanumeric() {
            if lq != b'.' {
                out.push(b'.');
            }
        } else {
            out.push(c);
        }
        lp = c;
    }
    out
}

/// `compare_special_version_forms`: forms are matched by prefix.
fn special_form(s: &[u8]) -> i32 {
    const FORMS: [(&str, i32); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| s.starts_with(name.as_bytes()))
        .map_or(-1, |&(_, order)| order)
}

fn cmp_forms(a: &[u8], b: &[u8]) -> Ordering {
    special_form(a).cmp(&special_form(b))
}

/// `strtol` on a segment that starts with a digit (saturating, as strtol does).
fn strtol(s: &[u8]) -> i64 {
    let mut v: i64 = 0;
    for &c in s.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    v
}

/// PHP's `version_compare` (without operator).
pub(crate) fn version_compare(v1: &[u8], v2: &[u8]) -> Ordering {
    if v1.is_empty() || v2.is_empty() {
        return (!v1.is_empty()).cmp(&!v2.is_empty());
    }
    let c1 = if v1[0] == b'#' {
        v1.to_vec()
    } else {
        canonicalize(v1)
    };
    let c2 = if v2[0] == b'#' {
        v2.to_vec()
    } else {
        canonicalize(v2)
    };
    // Walk the dot-separated segments like the C code: `n` is "there is more after this".
    let (mut p1, mut p2) = (&c1[..], &c2[..]);
    let (mut more1, mut more2) = (true, true);
    let mut compare = Ordering::Equal;
    while !p1.is_empty() && !p2.is_empty() && more1 && more2 {
        let (s1, r1) = match p1.iter().position(|&c| c == b'.') {
            Some(k) => (&p1[..k], Some(&p1[k + 1..])),
            None => (p1, None),
        };
        let (s2, r2) = match p2.iter().position(|&c| c == b'.') {
            Some(k) => (&p2[..k], Some(&p2[k + 1..])),
            None => (p2, None),
        };
        let d1 = s1.first().is_some_and(u8::is_ascii_digit);
        let d2 = s2.first().is_some_and(u8::is_ascii_digit);
        compare = match (d1, d2) {
            (true, true) => strtol(s1).cmp(&strtol(s2)),
            (false, false) => cmp_forms(s1, s2),
            (true, false) => cmp_forms(b"#N#", s2),
            (false, true) => cmp_forms(s1, b"#N#"),
        };
        if compare != Ordering::Equal {
            break;
        }
        more1 = r1.is_some();
        more2 = r2.is_some();
        if let Some(r) = r1 {
            p1 = r;
        }
        if let Some(r) = r2 {
            p2 = r;
        }
    }
    if compare == Ordering::Equal {
        if more1 {
            if p1.first().is_some_and(u8::is_ascii_digit) {
                compare = Ordering::Greater;
            } else {
                compare = version_compare(p1, b"#N#");
            }
        } else if more2 {
            if p2.first().is_some_and(u8::is_ascii_digit) {
                compare = Ordering::Less;
            } else {
                compare = version_compare(b"#N#", p2);
            }
        }
    }
    compare
}
