//! Prisma's `versionPattern` (api-reference §2.4): a tag template whose `%` tokens are read as
//! numbers so tags can be ordered newest-first without fetching a single manifest.
//!
//! Tokens: `%d` a version number (1–18 digits), `%Y` a 4-digit year, `%M` month, `%D` day,
//! `%H` hour, `%m` minute, `%s` second (2 digits each, range-checked), `%%` a literal `%`;
//! `*` matches any run of characters; everything else matches itself. Tags that do not match
//! are ignored by discovery. Keys compare the date fields first and the version numbers after,
//! which is Prisma's "the date wins" rule.

use crate::RegistryError;
use std::collections::HashSet;

/// A parsed `versionPattern`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionPattern {
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    Star,
    Field(Field),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Version,
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

impl Field {
    /// (min digits, max digits, allowed range, date slot or None for a version number)
    fn shape(self) -> (usize, usize, std::ops::RangeInclusive<u64>, Option<usize>) {
        match self {
            Field::Version => (1, 18, 0..=u64::MAX, None),
            Field::Year => (4, 4, 0..=9999, Some(0)),
            Field::Month => (2, 2, 1..=12, Some(1)),
            Field::Day => (2, 2, 1..=31, Some(2)),
            Field::Hour => (2, 2, 0..=23, Some(3)),
            Field::Minute => (2, 2, 0..=59, Some(4)),
            Field::Second => (2, 2, 0..=60, Some(5)),
        }
    }
}

/// The sortable value of a matching tag: date fields (year … second, 0 when absent) first,
/// then the version numbers in pattern order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TagKey {
    date: [u64; 6],
    version: Vec<u64>,
}

const MAX_TOKENS: usize = 32;

impl VersionPattern {
    pub fn parse(pattern: &str) -> Result<VersionPattern, RegistryError> {
        let bad =
            |why: &str| RegistryError::Spec(format!("invalid versionPattern {pattern:?}: {why}"));
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars();
        let flush = |literal: &mut String, tokens: &mut Vec<Token>| {
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(literal)));
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '%' => {
                    let field = match chars.next() {
                        Some('d') => Field::Version,
                        Some('Y') => Field::Year,
                        Some('M') => Field::Month,
                        Some('D') => Field::Day,
                        Some('H') => Field::Hour,
                        Some('m') => Field::Minute,
                        Some('s') => Field::Second,
                        Some('%') => {
                            literal.push('%');
                            continue;
                        }
                        Some(other) => return Err(bad(&format!("unknown token %{other}"))),
                        None => return Err(bad("ends with a lone %")),
                    };
                    flush(&mut literal, &mut tokens);
                    tokens.push(Token::Field(field));
                }
                '*' => {
                    flush(&mut literal, &mut tokens);
                    // Consecutive stars mean the same as one.
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                c => literal.push(c),
            }
        }
        flush(&mut literal, &mut tokens);
        if !tokens.iter().any(|t| matches!(t, Token::Field(_))) {
            return Err(bad(
                "it has no %d, %Y, %M, %D, %H, %m or %s token to order by",
            ));
        }
        if tokens.len() > MAX_TOKENS {
            return Err(bad(&format!("more than {MAX_TOKENS} tokens")));
        }
        Ok(VersionPattern { tokens })
    }

    /// The key of `tag`, or `None` when the tag does not fit the pattern.
    pub fn key(&self, tag: &str) -> Option<TagKey> {
        let mut key = TagKey {
            date: [0; 6],
            version: Vec::new(),
        };
        let mut failed = HashSet::new();
        self.match_from(0, tag.as_bytes(), 0, &mut key, &mut failed)
            .then_some(key)
    }

    /// Backtracking match. A (token, position) pair that failed once fails again whatever was
    /// captured before it, so remembering failures keeps `*` patterns polynomial.
    fn match_from(
        &self,
        t: usize,
        s: &[u8],
        pos: usize,
        key: &mut TagKey,
        failed: &mut HashSet<(usize, usize)>,
    ) -> bool {
        if failed.contains(&(t, pos)) {
            return false;
        }
        let ok = match self.tokens.get(t) {
            None => pos == s.len(),
            Some(Token::Literal(l)) => {
                s[pos..].starts_with(l.as_bytes())
                    && self.match_from(t + 1, s, pos + l.len(), key, failed)
            }
            Some(Token::Star) => (pos..=s.len()).any(|p| self.match_from(t + 1, s, p, key, failed)),
            Some(Token::Field(f)) => {
                let (min, max, range, slot) = f.shape();
                let digits = s[pos..].iter().take_while(|b| b.is_ascii_digit()).count();
                let mut found = false;
                // Longest first, so `%d%d`-free patterns read whole numbers.
                for len in (min..=max.min(digits)).rev() {
                    let text = std::str::from_utf8(&s[pos..pos + len]).unwrap_or("");
                    let Ok(value) = text.parse::<u64>() else {
                        continue;
                    };
                    if !range.contains(&value) {
                        continue;
                    }
                    let saved = (key.date, key.version.len());
                    match slot {
                        Some(i) => key.date[i] = value,
                        None => key.version.push(value),
                    }
                    if self.match_from(t + 1, s, pos + len, key, failed) {
                        found = true;
                        break;
                    }
                    key.date = saved.0;
                    key.version.truncate(saved.1);
                }
                found
            }
        };
        if !ok {
            failed.insert((t, pos));
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(pattern: &str, tags: &[&str]) -> Vec<String> {
        let p = VersionPattern::parse(pattern).unwrap();
        let mut keyed: Vec<(TagKey, &str)> = tags
            .iter()
            .filter_map(|t| p.key(t).map(|k| (k, *t)))
            .collect();
        keyed.sort_by(|a, b| b.cmp(a));
        keyed.into_iter().map(|(_, t)| t.to_string()).collect()
    }

    #[test]
    fn prisma_example() {
        let tags = ["myimage-3.0.0", "myimage-2.0.1", "myimage-2.0.0"];
        assert_eq!(
            order("*-%d.%d.%d", &tags)[..2],
            ["myimage-3.0.0", "myimage-2.0.1"]
        );
    }

    #[test]
    fn numeric_not_lexical_and_non_matching_ignored() {
        let tags = ["1.9.0", "1.10.0", "1.2.10", "latest", "1.2", "v1.11.0"];
        assert_eq!(order("%d.%d.%d", &tags), ["1.10.0", "1.9.0", "1.2.10"]);
    }

    #[test]
    fn date_wins_over_version() {
        let tags = [
            "9.0-20230101",
            "1.0-20240301",
            "5.0-20240301",
            "2.0-2024013",
        ];
        assert_eq!(
            order("%d.%d-%Y%M%D", &tags),
            ["5.0-20240301", "1.0-20240301", "9.0-20230101"]
        );
        // Out-of-range month: not a date, so not a match.
        assert!(
            VersionPattern::parse("%Y-%M")
                .unwrap()
                .key("2024-13")
                .is_none()
        );
        let full = VersionPattern::parse("build-%Y%M%D-%H%m%s").unwrap();
        assert!(full.key("build-20240102-235959").is_some());
        assert!(full.key("build-20240102-245959").is_none());
    }

    #[test]
    fn stars_and_literals() {
        let p = VersionPattern::parse("app-*-v%d").unwrap();
        assert!(p.key("app-x-y-v3").is_some());
        assert!(p.key("app--v3").is_some());
        assert!(p.key("app-x-v").is_none());
        assert!(p.key("ap-x-v3").is_none());
        let pct = VersionPattern::parse("%%%d").unwrap();
        assert!(pct.key("%7").is_some());
        // Pathological backtracking stays fast thanks to the failure memo.
        let p = VersionPattern::parse("*%d*%d*%d*%d*%d*%d*x").unwrap();
        assert!(p.key(&"1a".repeat(60)).is_none());
    }

    #[test]
    fn invalid_patterns() {
        for bad in ["", "latest", "*", "%q", "abc%"] {
            assert!(VersionPattern::parse(bad).is_err(), "{bad:?}");
        }
        assert!(VersionPattern::parse(&"%d.".repeat(17)).is_err());
        // Numbers too long for a version are not a match rather than an overflow.
        let p = VersionPattern::parse("%d").unwrap();
        assert!(p.key(&"9".repeat(40)).is_none());
    }
}
