//! Evaluation of an OSV `affected[]` entry's `ranges` and `versions` for one version,
//! following the OSV schema's evaluation algorithm.
//!
//! * A version listed in `versions` is affected.
//! * Each `SEMVER` / `ECOSYSTEM` range is evaluated on its own: events are sorted by version
//!   (`introduced: "0"` first), then walked in order: an `introduced` at or below the
//!   version turns "affected" on, a `fixed` at or below it turns it off, a `last_affected`
//!   strictly below it turns it off. `limit`s bound the range from above (exclusive): with
//!   limits present the version must be below one of them (`"*"` is no limit).
//! * `GIT` ranges cannot be evaluated against a package version and are ignored, with a note.
//! * A `SEMVER` range is compared with the package ecosystem's comparator too: every
//!   semver-based ecosystem's comparator already implements SemVer 2.0.0 precedence, and for
//!   the others the spec leaves the ecosystem's order as the only meaningful one.

use crate::{Ecosystem, Version, VersionError};
use std::cmp::Ordering;
use std::fmt;

/// The `type` of an OSV range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeKind {
    /// `SEMVER`: SemVer 2.0.0 versions.
    Semver,
    /// `ECOSYSTEM`: the package ecosystem's own versions.
    Ecosystem,
    /// `GIT`: commit hashes; never evaluated here.
    Git,
}

impl RangeKind {
    /// Parses an OSV range `type` (`"SEMVER"`, `"ECOSYSTEM"`, `"GIT"`).
    pub fn from_osv(s: &str) -> Option<RangeKind> {
        match s {
            "SEMVER" => Some(RangeKind::Semver),
            "ECOSYSTEM" => Some(RangeKind::Ecosystem),
            "GIT" => Some(RangeKind::Git),
            _ => None,
        }
    }
    /// The OSV spelling.
    pub fn as_osv(self) -> &'static str {
        match self {
            RangeKind::Semver => "SEMVER",
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::Git => "GIT",
        }
    }
}

/// One event of an OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    /// `introduced`: affected from this version on (`"0"`: from the start).
    Introduced(String),
    /// `fixed`: not affected from this version on.
    Fixed(String),
    /// `last_affected`: affected up to and including this version.
    LastAffected(String),
    /// `limit`: an exclusive upper bound of the range (`"*"`: none).
    Limit(String),
}

impl Event {
    /// The event's version string.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
    fn key(&self) -> &'static str {
        match self {
            Event::Introduced(_) => "introduced",
            Event::Fixed(_) => "fixed",
            Event::LastAffected(_) => "last_affected",
            Event::Limit(_) => "limit",
        }
    }
    /// Among events at equal versions: open before close, so that `introduced X` followed by
    /// `fixed X` is an empty range.
    fn tie_rank(&self) -> u8 {
        match self {
            Event::Introduced(_) => 0,
            Event::LastAffected(_) => 1,
            Event::Fixed(_) => 2,
            Event::Limit(_) => 3,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.key(), self.version())
    }
}

/// One OSV range: its type and its events, in any order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Range {
    pub kind: RangeKind,
    pub events: Vec<Event>,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The version is affected; `rule` says which range or list entry matched, in words.
    Affected { rule: String },
    /// The version is outside every evaluable range and not in `versions`.
    NotAffected,
    /// Nothing could be evaluated: only GIT ranges, or no ranges and no `versions`.
    Unknown { note: String },
}

fn is_zero_introduced(e: &Event) -> bool {
    matches!(e, Event::Introduced(v) if v == "0")
}

fn is_unbounded_limit(e: &Event) -> bool {
    matches!(e, Event::Limit(v) if v == "*")
}

/// OSV semantics: affected if `version` is in `versions` or in any evaluable range
/// (introduced "0" = from the start; fixed/limit exclusive; last_affected inclusive; events
/// sorted per the OSV spec's evaluation algorithm). GIT ranges are ignored with a note.
///
/// Errors when `version` or any event version of an evaluable range is malformed for `eco`.
/// Entries of `versions` match as exact strings or as equal versions in the ecosystem's
/// order (`1.3` and `1.3.0` under PEP 440); malformed entries of that informational list
/// are skipped.
pub fn evaluate(
    eco: Ecosystem,
    version: &str,
    ranges: &[Range],
    versions: &[String],
) -> Result<Verdict, VersionError> {
    let v = Version::parse(eco, version)?;
    evaluate_version(&v, ranges, versions)
}

/// [`evaluate`] for a version parsed once (the matcher's path: one installed version against
/// many records).
pub fn evaluate_version(
    version: &Version<'_>,
    ranges: &[Range],
    versions: &[String],
) -> Result<Verdict, VersionError> {
    let eco = version.ecosystem();
    let text = version.as_str();
    if let Some(hit) = versions.iter().find(|v| v.as_str() == text) {
        return Ok(Verdict::Affected {
            rule: format!("{hit} is listed in the affected versions"),
        });
    }
    for v in versions {
        if let Ok(listed) = Version::parse(eco, v)
            && listed.compare(version) == Some(Ordering::Equal)
        {
            return Ok(Verdict::Affected {
                rule: format!("{text} equals {v}, listed in the affected versions"),
            });
        }
    }

    let mut evaluable = !versions.is_empty();
    let mut git = 0usize;
    for (index, range) in ranges.iter().enumerate() {
        if range.kind == RangeKind::Git {
            git += 1;
            continue;
        }
        evaluable = true;
        if let Some(rule) = evaluate_range(version, range)? {
            let which = if ranges.len() > 1 {
                format!(" #{}", index + 1)
            } else {
                String::new()
            };
            return Ok(Verdict::Affected {
                rule: format!("{} range{which}: {rule}", range.kind.as_osv()),
            });
        }
    }

    if evaluable {
        Ok(Verdict::NotAffected)
    } else if git > 0 {
        Ok(Verdict::Unknown {
            note: format!(
                "only GIT ranges ({git}), which cannot be evaluated against a package version"
            ),
        })
    } else {
        Ok(Verdict::Unknown {
            note: "no ranges and no affected versions to evaluate".to_owned(),
        })
    }
}

/// One parsed event: `None` for `introduced: "0"` and `limit: "*"`.
struct Parsed<'e> {
    event: &'e Event,
    at: Option<Version<'e>>,
}

/// Evaluates one SEMVER/ECOSYSTEM range; `Some(rule)` when `version` is inside it.
fn evaluate_range(version: &Version<'_>, range: &Range) -> Result<Option<String>, VersionError> {
    let eco = version.ecosystem();
    // Parse every event first, so a malformed record fails whatever the version.
    let mut events = Vec::with_capacity(range.events.len());
    for e in &range.events {
        let at = if is_zero_introduced(e) || is_unbounded_limit(e) {
            None
        } else {
            Some(Version::parse(eco, e.version())?)
        };
        events.push(Parsed { event: e, at });
    }
    let cmp_to = |at: &Option<Version<'_>>| at.as_ref().and_then(|a| version.compare(a));

    // Limits: the version must be below at least one of them.
    let limits: Vec<&Parsed<'_>> = events
        .iter()
        .filter(|p| matches!(p.event, Event::Limit(_)))
        .collect();
    if !limits.is_empty()
        && !limits
            .iter()
            .any(|l| l.at.is_none() || cmp_to(&l.at) == Some(Ordering::Less))
    {
        return Ok(None);
    }

    let mut sorted: Vec<&Parsed<'_>> = events
        .iter()
        .filter(|p| !matches!(p.event, Event::Limit(_)))
        .collect();
    sorted.sort_by(|a, b| {
        let by_version = match (&a.at, &b.at) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.compare(y).unwrap_or(Ordering::Equal),
        };
        by_version.then_with(|| a.event.tie_rank().cmp(&b.event.tie_rank()))
    });

    let mut affected_by: Option<usize> = None;
    for (i, p) in sorted.iter().enumerate() {
        let c = cmp_to(&p.at);
        match p.event {
            Event::Introduced(_) => {
                if p.at.is_none() || c != Some(Ordering::Less) {
                    affected_by = Some(i);
                }
            }
            Event::Fixed(_) => {
                if c != Some(Ordering::Less) {
                    affected_by = None;
                }
            }
            Event::LastAffected(_) => {
                if c == Some(Ordering::Greater) {
                    affected_by = None;
                }
            }
            Event::Limit(_) => {}
        }
    }

    Ok(affected_by.map(|i| {
        let text = version.as_str();
        let start = sorted[i].event;
        let end = sorted[i + 1..]
            .iter()
            .map(|p| p.event)
            .find(|e| matches!(e, Event::Fixed(_) | Event::LastAffected(_)));
        let mut rule = if is_zero_introduced(start) {
            format!("{text} is in a range introduced from the start")
        } else {
            format!("{text} is at or after {start}")
        };
        match end {
            Some(Event::Fixed(v)) => rule.push_str(&format!(" and before fixed {v}")),
            Some(e) => rule.push_str(&format!(" and at or before {e}")),
            None => rule.push_str(" with no fix after it"),
        }
        let bounded: Vec<String> = limits
            .iter()
            .filter(|l| l.at.is_some())
            .map(|l| l.event.to_string())
            .collect();
        if !bounded.is_empty() {
            rule.push_str(&format!(" (below {})", bounded.join(", ")));
        }
        rule
    }))
}
