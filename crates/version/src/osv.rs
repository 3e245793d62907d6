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

use crate::{Ecosystem, VersionError, compare, validate};
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
/// Entries of `versions` are compared as exact strings first, then by the ecosystem's order
/// (so `1.0` in the list matches `1.0.0` under SemVer-unaware ecosystems that equate them);
/// malformed list entries are skipped, since the list is informational.
pub fn evaluate(eco: Ecosystem, version: &str, ranges: &[Range], versions: &[String]) -> Result<Verdict, VersionError> {
    validate(eco, version)?;

    if let Some(hit) = versions.iter().find(|v| v.as_str() == version) {
        return Ok(Verdict::Affected { rule: format!("{hit} is listed in the affected versions") });
    }
    for v in versions {
        if compare(eco, version, v) == Ok(Ordering::Equal) {
            return Ok(Verdict::Affected {
                rule: format!("{version} equals {v}, listed in the affected versions"),
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
        if let Some(rule) = evaluate_range(eco, version, range)? {
            let which = if ranges.len() > 1 { format!(" #{}", index + 1) } else { String::new() };
            return Ok(Verdict::Affected { rule: format!("{} range{which}: {rule}", range.kind.as_osv()) });
        }
    }

    if evaluable {
        Ok(Verdict::NotAffected)
    } else if git > 0 {
        Ok(Verdict::Unknown {
            note: format!("only GIT ranges ({git}), which cannot be evaluated against a package version"),
        })
    } else {
        Ok(Verdict::Unknown { note: "no ranges and no affected versions to evaluate".to_owned() })
    }
}

/// Evaluates one SEMVER/ECOSYSTEM range; `Some(rule)` when `version` is inside it.
fn evaluate_range(eco: Ecosystem, version: &str, range: &Range) -> Result<Option<String>, VersionError> {
    // Validate every event first so a malformed record fails whatever the version.
    for e in &range.events {
        if !is_zero_introduced(e) && !is_unbounded_limit(e) {
            validate(eco, e.version())?;
        }
    }
    let cmp = |a: &str, b: &str| compare(eco, a, b).unwrap_or(Ordering::Equal);

    // Limits: the version must be below at least one of them.
    let limits: Vec<&Event> = range.events.iter().filter(|e| matches!(e, Event::Limit(_))).collect();
    if !limits.is_empty()
        && !limits.iter().any(|l| is_unbounded_limit(l) || cmp(version, l.version()) == Ordering::Less)
    {
        return Ok(None);
    }

    let mut sorted: Vec<&Event> = range.events.iter().filter(|e| !matches!(e, Event::Limit(_))).collect();
    sorted.sort_by(|a, b| {
        let by_version = match (is_zero_introduced(a), is_zero_introduced(b)) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => cmp(a.version(), b.version()),
        };
        by_version.then_with(|| a.tie_rank().cmp(&b.tie_rank()))
    });

    let mut affected_by: Option<usize> = None;
    for (i, e) in sorted.iter().enumerate() {
        match e {
            Event::Introduced(v) => {
                if is_zero_introduced(e) || cmp(version, v) != Ordering::Less {
                    affected_by = Some(i);
                }
            }
            Event::Fixed(v) => {
                if cmp(version, v) != Ordering::Less {
                    affected_by = None;
                }
            }
            Event::LastAffected(v) => {
                if cmp(version, v) == Ordering::Greater {
                    affected_by = None;
                }
            }
            Event::Limit(_) => {}
        }
    }

    Ok(affected_by.map(|i| {
        let start = sorted[i];
        let end = sorted[i + 1..].iter().find(|e| matches!(e, Event::Fixed(_) | Event::LastAffected(_)));
        let mut rule = format!("{version} is at or after {start}");
        if let Some(end) = end {
            match end {
                Event::Fixed(v) => rule.push_str(&format!(" and before fixed {v}")),
                _ => rule.push_str(&format!(" and at or before {end}")),
            }
        } else {
            rule.push_str(" with no fix after it");
        }
        let bounded: Vec<String> = limits.iter().filter(|l| !is_unbounded_limit(l)).map(|l| l.to_string()).collect();
        if !bounded.is_empty() {
            rule.push_str(&format!(" (below {})", bounded.join(", ")));
        }
        rule
    }))
}
