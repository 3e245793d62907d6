//! The ignore file (`.crowsnestignore` by default): findings a team has decided to accept, each
//! optionally limited to one package and to a date.
//!
//! ```text
//! # One rule per line; `#` starts a comment.
//! CVE-2019-1549                          # this id in every package
//! CVE-2020-1967 libssl1.1                # only in this package (binary or source name)
//! CVE-2020-1967 pkg:apk/alpine/libcrypto1.1
//! CVE-2021-23840 exp:2026-06-30          # until the end of that day (UTC); then reported again
//! ```
//!
//! The first word is the vulnerability id (matched case-insensitively against the finding's id
//! and aliases). Any later word is `exp:YYYY-MM-DD` or a package, given by name or purl; a rule
//! may name at most one package and one date.

use crate::error::ReportError;
use crate::purl::{self, PurlKey};
use jiff::civil::Date;
use std::path::{Path, PathBuf};

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    pub line: usize,
    pub id: String,
    /// A package name or purl, as written.
    pub package: Option<String>,
    /// Last day the rule applies.
    pub expires: Option<Date>,
}

/// A parsed ignore file.
#[derive(Debug, Clone, Default)]
pub struct IgnoreFile {
    pub path: PathBuf,
    pub rules: Vec<IgnoreRule>,
}

impl IgnoreRule {
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| d < today)
    }

    /// Does this rule cover a finding with these ids, in a package with these names and purl?
    pub(crate) fn covers(&self, ids: &[&str], names: &[&str], pkg_purl: Option<&PurlKey>) -> bool {
        if !ids.iter().any(|i| i.eq_ignore_ascii_case(&self.id)) {
            return false;
        }
        match &self.package {
            None => true,
            Some(p) => match purl::parse(p) {
                Some(want) => pkg_purl.is_some_and(|have| want.covers(have)),
                None => names.iter().any(|n| n == p),
            },
        }
    }
}

impl IgnoreFile {
    pub fn load(path: &Path) -> Result<IgnoreFile, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        IgnoreFile::parse(path, &text)
    }

    /// Parses the file's text; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<IgnoreFile, ReportError> {
        let mut rules = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let bad = |message: String| ReportError::Ignore {
                path: path.to_path_buf(),
                line,
                message,
            };
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let mut words = content.split_whitespace();
            let Some(id) = words.next() else { continue };
            if id.starts_with("exp:") || id.starts_with("pkg:") {
                return Err(bad(format!(
                    "a rule starts with the vulnerability id, not {id:?}"
                )));
            }
            let mut rule = IgnoreRule {
                line,
                id: id.to_string(),
                package: None,
                expires: None,
            };
            for w in words {
                if let Some(d) = w.strip_prefix("exp:") {
                    if rule.expires.is_some() {
                        return Err(bad("more than one exp: date".into()));
                    }
                    let date: Date = d
                        .parse()
                        .map_err(|_| bad(format!("{w:?} is not a date; write exp:YYYY-MM-DD")))?;
                    rule.expires = Some(date);
                } else if rule.package.is_some() {
                    return Err(bad(format!(
                        "more than one package ({:?} and {w:?}); write one rule per package",
                        rule.package.as_deref().unwrap_or_default()
                    )));
                } else if w.starts_with("pkg:") && purl::parse(w).is_none() {
                    return Err(bad(format!("{w:?} is not a valid package URL")));
                } else {
                    rule.package = Some(w.to_string());
                }
            }
            rules.push(rule);
        }
        Ok(IgnoreFile {
            path: path.to_path_buf(),
            rules,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<IgnoreFile, ReportError> {
        IgnoreFile::parse(Path::new(".crowsnestignore"), s)
    }

    #[test]
    fn parses_ids_packages_and_dates() {
        let f = parse(
            "# accepted risks\n\nCVE-1\nCVE-2 libssl1.1  # only there\nCVE-3 exp:2026-06-30 pkg:apk/alpine/musl\n",
        )
        .unwrap();
        assert_eq!(f.rules.len(), 3);
        assert_eq!(f.rules[1].package.as_deref(), Some("libssl1.1"));
        assert_eq!(f.rules[2].line, 5);
        let d: Date = "2026-06-30".parse().unwrap();
        assert_eq!(f.rules[2].expires, Some(d));
        assert!(!f.rules[2].expired(d), "the last day still applies");
        assert!(f.rules[2].expired("2026-07-01".parse().unwrap()));
        let musl = purl::parse("pkg:apk/alpine/musl@1.1.22-r3").unwrap();
        assert!(f.rules[2].covers(&["cve-3"], &["musl"], Some(&musl)));
        assert!(f.rules[1].covers(&["CVE-2"], &["libssl1.1", "openssl"], None));
        assert!(!f.rules[1].covers(&["CVE-2"], &["libcrypto1.1", "openssl"], None));
    }

    #[test]
    fn malformed_lines_name_their_line() {
        for (text, line) in [
            ("CVE-1 exp:2026-13-01", 1),
            ("CVE-1\nCVE-2 exp:tomorrow", 2),
            ("CVE-1 a b", 1),
            ("CVE-1 exp:2026-01-01 exp:2026-01-02", 1),
            ("exp:2026-01-01 CVE-1", 1),
            ("\n\nCVE-1 pkg:", 3),
        ] {
            match parse(text) {
                Err(ReportError::Ignore { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
