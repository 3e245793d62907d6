//! Maven versions, ordered as `org.apache.maven.artifact.versioning.ComparableVersion` does
//! (Maven 4 / current master: release aliases, combination items, MNG-5568, MNG-6964,
//! MNG-7644 and MNG-7714 behaviour).
//!
//! The version is lowercased and split into items at `.` and `-` and at every switch between
//! ASCII digits and other characters. Numbers compare by value and above everything else; a
//! `-` (or a switch from digits to letters) opens a nested list, which sorts below numbers of
//! the enclosing list; a qualifier directly followed by a number (`rc1`, `alpha-2`, `sp-1`) is
//! one combination item. Known qualifiers order as alpha (`a` before a digit) < beta (`b`) <
//! milestone (`m`) < rc = cr < snapshot < (none) = ga = final = release < sp, and unknown ones
//! come after them in lexical order. Trailing zeros and empty qualifiers are dropped
//! (`1.0.0` = `1` = `1-0`).
//!
//! Inputs longer than 256 characters are rejected, as current Maven does; so are non-ASCII
//! decimal digits, where Maven's own behaviour is inconsistent.

use crate::num::cmp_digits;
use std::cmp::Ordering;

const MAX_LEN: usize = 256;

/// A qualifier's rank: known ones by index, unknown ones after them by text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Qual {
    Known(u8),
    Unknown(String),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: u8 = 5;

impl Qual {
    fn new(value: &str, followed_by_digit: bool) -> Qual {
        let mut v = value;
        if followed_by_digit && v.encode_utf16().count() == 1 {
            v = match v {
                "a" => "alpha",
                "b" => "beta",
                "m" => "milestone",
                other => other,
            };
        }
        if v == "cr" {
            v = "rc";
        }
        if matches!(v, "ga" | "final" | "release") {
            return Qual::Known(RELEASE);
        }
        match QUALIFIERS.iter().position(|q| *q == v) {
            Some(i) => Qual::Known(i as u8),
            None => Qual::Unknown(v.to_owned()),
        }
    }
    fn cmp(&self, other: &Qual) -> Ordering {
        match (self, other) {
            (Qual::Known(a), Qual::Known(b)) => a.cmp(b),
            (Qual::Known(_), Qual::Unknown(_)) => Ordering::Less,
            (Qual::Unknown(_), Qual::Known(_)) => Ordering::Greater,
            // Java compares strings by UTF-16 code units.
            (Qual::Unknown(a), Qual::Unknown(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        }
    }
    fn cmp_null(&self) -> Ordering {
        self.cmp(&Qual::Known(RELEASE))
    }
}

#[derive(Debug, Clone)]
enum Item {
    /// Digits without leading zeros ("0" for zero).
    Num(String),
    /// A qualifier; `empty` remembers whether its text was empty (the only null string).
    Str {
        q: Qual,
        empty: bool,
    },
    /// A qualifier directly followed by a number.
    Comb {
        q: Qual,
        n: String,
    },
    List(Vec<Item>),
}

fn num(d: &str) -> Item {
    let t = d.trim_start_matches('0');
    Item::Num(if t.is_empty() {
        "0".to_owned()
    } else {
        t.to_owned()
    })
}

fn string_item(s: &str, followed_by_digit: bool) -> Item {
    Item::Str {
        q: Qual::new(s, followed_by_digit),
        empty: s.is_empty(),
    }
}

fn parse_item(comb: bool, digit: bool, buf: &str) -> Item {
    if comb {
        let v: String = buf.chars().filter(|&c| c != '-').collect();
        let idx = v.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        Item::Comb {
            q: Qual::new(&v[..idx], true),
            n: match num(&v[idx..]) {
                Item::Num(n) => n,
                _ => unreachable!(),
            },
        }
    } else if digit {
        num(buf)
    } else {
        string_item(buf, false)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Num(n) => n == "0",
            Item::Str { empty, .. } => *empty,
            Item::Comb { .. } => false,
            Item::List(l) => l.is_empty(),
        }
    }

    fn is_list(&self) -> bool {
        matches!(self, Item::List(_))
    }

    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Num(n) => {
                if n == "0" {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str { q, .. } => q.cmp_null(),
            Item::Comb { q, n } => match q.cmp_null() {
                Ordering::Equal => num_cmp_null(n),
                r => r,
            },
            Item::List(l) => {
                for i in l {
                    let r = i.cmp_null();
                    if r != Ordering::Equal {
                        return r;
                    }
                }
                Ordering::Equal
            }
        }
    }

    fn cmp(&self, other: &Item) -> Ordering {
        use Ordering::*;
        match (self, other) {
            (Item::Num(a), Item::Num(b)) => cmp_digits(a.as_bytes(), b.as_bytes()),
            (Item::Num(_), _) => Greater,

            (Item::Str { .. }, Item::Num(_)) => Less,
            (Item::Str { q: a, .. }, Item::Str { q: b, .. }) => a.cmp(b),
            (Item::Str { q: a, .. }, Item::Comb { q: b, n }) => match a.cmp(b) {
                Equal if a.cmp_null() == Equal => num_cmp_null(n).reverse(),
                Equal => Less,
                r => r,
            },
            (Item::Str { .. }, Item::List(_)) => other.cmp(self).reverse(),

            (Item::Comb { .. }, Item::Num(_)) => Less,
            (Item::Comb { q: a, n }, Item::Str { q: b, .. }) => match a.cmp(b) {
                Equal if a.cmp_null() == Equal => num_cmp_null(n),
                Equal => Greater,
                r => r,
            },
            (Item::Comb { q: a, n: x }, Item::Comb { q: b, n: y }) => a
                .cmp(b)
                .then_with(|| cmp_digits(x.as_bytes(), y.as_bytes())),
            (Item::Comb { .. }, Item::List(_)) => other.cmp(self).reverse(),

            (Item::List(_), Item::Num(_)) => Less,
            (Item::List(l), Item::Str { .. } | Item::Comb { .. }) => {
                let mut r = match l.first() {
                    None => other.cmp_null().reverse(),
                    Some(first) => first.cmp(other),
                };
                for i in l.iter().skip(1) {
                    if r != Equal {
                        break;
                    }
                    r = i.cmp_null();
                }
                r
            }
            (Item::List(l), Item::List(m)) => cmp_lists(l, m),
        }
    }
}

fn cmp_lists(l: &[Item], m: &[Item]) -> Ordering {
    for i in 0..l.len().max(m.len()) {
        let r = match (l.get(i), m.get(i)) {
            (None, None) => Ordering::Equal,
            (None, Some(y)) => y.cmp_null().reverse(),
            (Some(x), None) => x.cmp_null(),
            (Some(x), Some(y)) => x.cmp(y),
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    Ordering::Equal
}

fn num_cmp_null(n: &str) -> Ordering {
    if n == "0" {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

/// `ListItem.normalize`: drops null items that end the list or precede a qualifier (directly
/// or as the head of the nested list that follows), then unwraps a lone nested list.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if !list[i].is_null() {
            continue;
        }
        let remove = match list.get(i + 1) {
            None => true,
            Some(Item::Str { .. }) => true,
            Some(Item::List(next)) => {
                matches!(next.first(), Some(Item::Comb { .. } | Item::Str { .. }))
            }
            Some(_) => false,
        };
        if remove {
            list.remove(i);
        }
    }
    if list.len() == 1
        && list[0].is_list()
        && let Some(Item::List(inner)) = list.pop()
    {
        *list = inner;
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Maven(Vec<Item>);

pub(crate) fn parse(input: &str) -> Result<Maven, &'static str> {
    if input.is_empty() {
        return Err("version string is empty");
    }
    if input.encode_utf16().count() > MAX_LEN {
        return Err("longer than 256 characters");
    }
    if input.chars().any(|c| c.is_numeric() && !c.is_ascii_digit()) {
        return Err("non-ASCII digits are not supported");
    }
    let lower = input.to_lowercase();
    let chars: Vec<(usize, char)> = lower.char_indices().collect();
    let n = chars.len();
    let byte_at = |k: usize| if k < n { chars[k].0 } else { lower.len() };
    let text = |a: usize, b: usize| &lower[byte_at(a)..byte_at(b)];

    // The chain of nested lists: levels[k + 1] becomes the last item of levels[k].
    let mut levels: Vec<Vec<Item>> = vec![Vec::new()];
    let (mut is_digit, mut is_comb, mut start) = (false, false, 0usize);
    macro_rules! cur {
        () => {
            levels.last_mut().expect("at least one level")
        };
    }
    for i in 0..n {
        let c = chars[i].1;
        if c == '.' {
            let item = if i == start {
                Item::Num("0".to_owned())
            } else {
                parse_item(is_comb, is_digit, text(start, i))
            };
            cur!().push(item);
            is_comb = false;
            start = i + 1;
        } else if c == '-' {
            if i == start {
                cur!().push(Item::Num("0".to_owned()));
            } else {
                if !is_digit && i != n - 1 && chars[i + 1].1.is_ascii_digit() {
                    // X-1 is read as X1.
                    is_comb = true;
                    continue;
                }
                let item = parse_item(is_comb, is_digit, text(start, i));
                cur!().push(item);
            }
            start = i + 1;
            if !cur!().is_empty() {
                levels.push(Vec::new());
            }
            is_comb = false;
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                is_comb = true;
                if !cur!().is_empty() {
                    levels.push(Vec::new());
                }
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                let item = parse_item(is_comb, true, text(start, i));
                cur!().push(item);
                start = i;
                levels.push(Vec::new());
                is_comb = false;
            }
            is_digit = false;
        }
    }
    if n > start {
        if !is_digit && !cur!().is_empty() {
            levels.push(Vec::new());
        }
        let item = parse_item(is_comb, is_digit, text(start, n));
        cur!().push(item);
    }
    // Normalise from the deepest list up, each child being the last item of its parent.
    let mut child: Option<Vec<Item>> = None;
    while let Some(mut level) = levels.pop() {
        if let Some(c) = child.take() {
            level.push(Item::List(c));
        }
        normalize(&mut level);
        child = Some(level);
    }
    Ok(Maven(child.unwrap_or_default()))
}

pub(crate) fn cmp(a: &Maven, b: &Maven) -> Ordering {
    cmp_lists(&a.0, &b.0)
}
