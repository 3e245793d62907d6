//! Alpine (apk-tools) versions: `digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}`, with
//! the validation and order of apk-tools' current tokenizer.
//!
//! Tokens, in the only order they may appear: the initial number; `.N` numbers; one
//! lowercase letter; `_suffix[N]` any number of times, the suffix being one of `alpha`,
//! `beta`, `pre`, `rc` (pre-releases) or `cvs`, `svn`, `git`, `hg`, `p` (post-releases); a
//! `~hash` of lowercase hex digits; a `-rN` revision.
//! Two versions are compared token by token while the token kinds agree: numbers by value
//! (but a `.N` number with a leading zero on either side compares as a string), letters and
//! hashes as strings, suffixes by their rank above. Where the kinds first differ (or one
//! version ends), a pre-release suffix loses; otherwise the version whose next token comes
//! earlier in the sequence above is the greater (so `1.0.1` > `1.0a` > `1.0_p1` > `1.0~ab`
//! > `1.0-r1` > `1.0`).

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; below `NONE` are pre-releases.
const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
const SUFFIX_NONE: u8 = 4;

fn suffix_rank(s: &[u8]) -> Option<u8> {
    SUFFIXES
        .iter()
        .position(|x| x.as_bytes() == s)
        .map(|i| if i < 4 { i as u8 } else { i as u8 + 1 })
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    value: &'a [u8],
    number: u64,
    suffix: u8,
}

struct Tokens<'a> {
    rest: &'a [u8],
    tok: Token<'a>,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a [u8]) -> Self {
        let mut t = Tokens {
            rest: s,
            tok: Token {
                kind: Kind::InitialDigit,
                value: b"",
                number: 0,
                suffix: 0,
            },
        };
        t.digits();
        t
    }

    /// Takes a run of digits as the current token's value (wrapping like apk's u64 parse).
    fn digits(&mut self) {
        let n = self.rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let (d, rest) = self.rest.split_at(n);
        self.tok.value = d;
        self.tok.number = d.iter().fold(0u64, |v, &c| {
            v.wrapping_mul(10).wrapping_add(u64::from(c - b'0'))
        });
        self.rest = rest;
        if n == 0 {
            self.tok.kind = Kind::Invalid;
        }
    }

    fn span(&mut self, ok: impl Fn(u8) -> bool) -> &'a [u8] {
        let n = self.rest.iter().take_while(|&&c| ok(c)).count();
        let (v, rest) = self.rest.split_at(n);
        self.rest = rest;
        v
    }

    fn advance(&mut self) {
        let prev = self.tok.kind;
        let Some(&c) = self.rest.first() else {
            self.tok.kind = Kind::End;
            return;
        };
        let kind = match c {
            b'a'..=b'z' if prev <= Kind::Digit => {
                self.tok.value = &self.rest[..1];
                self.rest = &self.rest[1..];
                Kind::Letter
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if prev > Kind::Digit {
                        self.tok.kind = Kind::Invalid;
                        return;
                    }
                    self.rest = &self.rest[1..];
                }
                let kind = match prev {
                    Kind::InitialDigit | Kind::Digit => Kind::Digit,
                    Kind::Suffix => Kind::SuffixNo,
                    _ => Kind::Invalid,
                };
                if kind == Kind::Invalid {
                    self.tok.kind = kind;
                    return;
                }
                self.tok.kind = kind;
                self.digits();
                return;
            }
            b'_' if prev <= Kind::SuffixNo => {
                self.rest = &self.rest[1..];
                let v = self.span(|c| c.is_ascii_lowercase());
                self.tok.value = v;
                match suffix_rank(v) {
                    Some(r) => {
                        self.tok.suffix = r;
                        Kind::Suffix
                    }
                    None => Kind::Invalid,
                }
            }
            b'~' if prev < Kind::CommitHash => {
                self.rest = &self.rest[1..];
                let v = self.span(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
                self.tok.value = v;
                if v.is_empty() {
                    Kind::Invalid
                } else {
                    Kind::CommitHash
                }
            }
            b'-' if prev < Kind::RevisionNo && self.rest.get(1) == Some(&b'r') => {
                self.rest = &self.rest[2..];
                self.tok.kind = Kind::RevisionNo;
                self.digits();
                return;
            }
            _ => Kind::Invalid,
        };
        self.tok.kind = kind;
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Apk<'a>(&'a [u8]);

pub(crate) fn parse(s: &str) -> Result<Apk<'_>, &'static str> {
    if s.is_empty() {
        return Err("version string is empty");
    }
    let mut t = Tokens::new(s.as_bytes());
    while t.tok.kind < Kind::End {
        t.advance();
    }
    if t.tok.kind == Kind::End {
        Ok(Apk(s.as_bytes()))
    } else {
        Err("not an apk version: digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}")
    }
}

fn cmp_token(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        Kind::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Kind::Digit | Kind::InitialDigit | Kind::SuffixNo | Kind::RevisionNo => {
            a.number.cmp(&b.number)
        }
        Kind::Letter => a.value.first().cmp(&b.value.first()),
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

pub(crate) fn cmp(a: &Apk<'_>, b: &Apk<'_>) -> Ordering {
    let mut ta = Tokens::new(a.0);
    let mut tb = Tokens::new(b.0);
    while ta.tok.kind == tb.tok.kind && ta.tok.kind < Kind::End {
        let o = cmp_token(&ta.tok, &tb.tok);
        if o != Ordering::Equal {
            return o;
        }
        ta.advance();
        tb.advance();
    }
    let (ka, kb) = (ta.tok.kind, tb.tok.kind);
    if ka == kb {
        return Ordering::Equal;
    }
    if ka == Kind::Suffix && ta.tok.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if kb == Kind::Suffix && tb.tok.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    // The version whose next token kind comes earlier is the greater.
    kb.cmp(&ka)
}
