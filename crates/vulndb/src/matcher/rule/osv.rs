//! OSV `affected[]` entries compiled: the `versions` list sorted for binary search and each
//! SEMVER/ECOSYSTEM range's events ordered the way the OSV algorithm walks them, so evaluating
//! an installed version compares parsed versions only.

use super::verdict::{Parsed, Verdict, concat, first_fix_above};
use crate::record::{OsvEvent, OsvRange, OsvRangeKind, Status};
use crowsnest_version::{Ecosystem, Version, VersionError};
use std::cmp::Ordering;

/// An OSV `affected[]` entry, ready to evaluate.
#[derive(Debug)]
pub(crate) struct OsvRule<'a> {
    /// The parseable entries of the `versions` list in ascending order (a stable sort, so equal
    /// versions keep record order). PyPI records list every affected release, hundreds for
    /// Django, so a listed version is found by binary search. Entries that do not parse are
    /// dropped: they could only match an installed version with the same text, which would
    /// then parse too.
    versions: Vec<(&'a str, Version<'a>)>,
    /// Whether the record has a `versions` list at all (it makes the rule evaluable).
    listed: bool,
    ranges: Vec<OsvRangeC<'a>>,
    /// `fixed` events of every range (GIT included), in record order: the fix candidates.
    fixes: Vec<Version<'a>>,
}

#[derive(Debug)]
enum OsvRangeC<'a> {
    Git,
    /// An event version is malformed: the range (and so the rule) cannot be evaluated.
    Malformed(VersionError),
    Ok {
        kind: OsvRangeKind,
        /// Non-limit events sorted as the OSV algorithm walks them; `None` is `introduced: "0"`.
        sorted: Vec<(&'a OsvEvent, Option<Version<'a>>)>,
        /// Limit events in record order; `None` is `limit: "*"`.
        limits: Vec<(&'a OsvEvent, Option<Version<'a>>)>,
    },
}

pub(super) fn event_version(e: &OsvEvent) -> &str {
    match e {
        OsvEvent::Introduced(v)
        | OsvEvent::Fixed(v)
        | OsvEvent::LastAffected(v)
        | OsvEvent::Limit(v) => v,
    }
}

fn event_key(e: &OsvEvent) -> &'static str {
    match e {
        OsvEvent::Introduced(_) => "introduced",
        OsvEvent::Fixed(_) => "fixed",
        OsvEvent::LastAffected(_) => "last_affected",
        OsvEvent::Limit(_) => "limit",
    }
}

/// OSV's spelling of an event (`fixed 1.2.3`).
fn describe_event(e: &OsvEvent) -> String {
    concat(&[event_key(e), " ", event_version(e)])
}

fn kind_name(kind: OsvRangeKind) -> &'static str {
    match kind {
        OsvRangeKind::Semver => "SEMVER",
        OsvRangeKind::Ecosystem => "ECOSYSTEM",
        OsvRangeKind::Git => "GIT",
    }
}

/// Among events at equal versions, open before close (`introduced X`, `fixed X` is empty).
fn tie_rank(e: &OsvEvent) -> u8 {
    match e {
        OsvEvent::Introduced(_) => 0,
        OsvEvent::LastAffected(_) => 1,
        OsvEvent::Fixed(_) => 2,
        OsvEvent::Limit(_) => 3,
    }
}

impl<'a> OsvRule<'a> {
    pub(super) fn compile(
        eco: Ecosystem,
        ranges: &'a [OsvRange],
        versions: &'a [String],
    ) -> OsvRule<'a> {
        let listed = !versions.is_empty();
        let mut versions: Vec<(&str, Version<'_>)> = versions
            .iter()
            .filter_map(|v| Some((v.as_str(), Version::parse(eco, v).ok()?)))
            .collect();
        versions.sort_by(|(_, a), (_, b)| a.compare(b).unwrap_or(Ordering::Equal));
        let fixes = ranges
            .iter()
            .flat_map(|r| &r.events)
            .filter_map(|e| match e {
                OsvEvent::Fixed(v) => Version::parse(eco, v).ok(),
                _ => None,
            })
            .collect();
        let ranges = ranges.iter().map(|r| compile_range(eco, r)).collect();
        OsvRule {
            versions,
            listed,
            ranges,
            fixes,
        }
    }

    /// The OSV evaluation: listed versions first, then each SEMVER/ECOSYSTEM range in order
    /// (GIT ranges are ignored); a malformed range met before an affected one is an error.
    pub(super) fn evaluate<'c>(
        &'c self,
        text: &str,
        raw: &[OsvRange],
        installed: &Parsed<'_>,
        explain: bool,
    ) -> (String, Verdict<'c, 'a>) {
        let installed = match installed {
            Ok(v) => v,
            Err(e) => return (format!("cannot evaluate: {e}"), Verdict::Unknown),
        };
        let affected = |rule: String| {
            let fix = first_fix_above(Some(installed), self.fixes.iter());
            (
                rule,
                fix.map_or(Verdict::Affected(Status::Open), Verdict::Fixed),
            )
        };
        // The listed versions equal to the installed one; the same text wins over the first
        // equal one in record order.
        let from = self
            .versions
            .partition_point(|(_, v)| v.compare(installed) == Some(Ordering::Less));
        let equal = self.versions[from..]
            .iter()
            .take_while(|(_, v)| v.compare(installed) == Some(Ordering::Equal));
        let mut first_equal = None;
        for (v, _) in equal {
            if *v == text {
                return affected(format!("{v} is listed in the affected versions"));
            }
            first_equal.get_or_insert(*v);
        }
        if let Some(v) = first_equal {
            return affected(format!(
                "{text} equals {v}, listed in the affected versions"
            ));
        }
        let mut evaluable = self.listed;
        let mut git = 0usize;
        for (index, range) in self.ranges.iter().enumerate() {
            let (kind, sorted, limits) = match range {
                OsvRangeC::Git => {
                    git += 1;
                    continue;
                }
                OsvRangeC::Malformed(e) => {
                    return (format!("cannot evaluate: {e}"), Verdict::Unknown);
                }
                OsvRangeC::Ok {
                    kind,
                    sorted,
                    limits,
                } => (*kind, sorted, limits),
            };
            evaluable = true;
            if let Some(rule) = range_hit(text, installed, sorted, limits) {
                let which = if self.ranges.len() > 1 {
                    format!(" #{}", index + 1)
                } else {
                    String::new()
                };
                return affected(concat(&[kind_name(kind), " range", &which, ": ", &rule]));
            }
        }
        if evaluable {
            let words = if explain {
                let described: Vec<String> = raw
                    .iter()
                    .map(|r| {
                        let ev: Vec<String> = r.events.iter().map(describe_event).collect();
                        format!("{} [{}]", kind_name(r.kind), ev.join(", "))
                    })
                    .collect();
                format!("{text} is outside {}", described.join("; "))
            } else {
                String::new()
            };
            (words, Verdict::NotAffected)
        } else if git > 0 {
            (
                format!(
                    "only GIT ranges ({git}), which cannot be evaluated against a package version"
                ),
                Verdict::Unknown,
            )
        } else {
            (
                "no ranges and no affected versions to evaluate".to_string(),
                Verdict::Unknown,
            )
        }
    }
}

fn compile_range<'a>(eco: Ecosystem, range: &'a OsvRange) -> OsvRangeC<'a> {
    if range.kind == OsvRangeKind::Git {
        return OsvRangeC::Git;
    }
    let mut parsed = Vec::with_capacity(range.events.len());
    for e in &range.events {
        let open = match e {
            OsvEvent::Introduced(v) => v == "0",
            OsvEvent::Limit(v) => v == "*",
            _ => false,
        };
        let at = if open {
            None
        } else {
            match Version::parse(eco, event_version(e)) {
                Ok(v) => Some(v),
                Err(err) => return OsvRangeC::Malformed(err),
            }
        };
        parsed.push((e, at));
    }
    let (limits, mut sorted): (Vec<_>, Vec<_>) = parsed
        .into_iter()
        .partition(|(e, _)| matches!(e, OsvEvent::Limit(_)));
    // The order depends only on the record, so it is computed once (a stable sort, as the
    // per-version evaluation does).
    sorted.sort_by(|(ea, a), (eb, b)| {
        let by_version = match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.compare(y).unwrap_or(Ordering::Equal),
        };
        by_version.then_with(|| tie_rank(ea).cmp(&tie_rank(eb)))
    });
    OsvRangeC::Ok {
        kind: range.kind,
        sorted,
        limits,
    }
}

/// One SEMVER/ECOSYSTEM range: `Some(rule in words)` when the installed version is inside.
fn range_hit(
    text: &str,
    installed: &Version<'_>,
    sorted: &[(&OsvEvent, Option<Version<'_>>)],
    limits: &[(&OsvEvent, Option<Version<'_>>)],
) -> Option<String> {
    let cmp_to = |at: &Option<Version<'_>>| at.as_ref().and_then(|a| installed.compare(a));
    if !limits.is_empty()
        && !limits
            .iter()
            .any(|(_, at)| at.is_none() || cmp_to(at) == Some(Ordering::Less))
    {
        return None;
    }
    let mut affected_by: Option<usize> = None;
    for (i, (event, at)) in sorted.iter().enumerate() {
        let c = cmp_to(at);
        if c == Some(Ordering::Less) {
            // Events are in ascending order: this one and all after it are above the installed
            // version, and an event above it never changes the state.
            break;
        }
        match event {
            OsvEvent::Introduced(_) => {
                if at.is_none() || c != Some(Ordering::Less) {
                    affected_by = Some(i);
                }
            }
            OsvEvent::Fixed(_) => {
                if c != Some(Ordering::Less) {
                    affected_by = None;
                }
            }
            OsvEvent::LastAffected(_) => {
                if c == Some(Ordering::Greater) {
                    affected_by = None;
                }
            }
            OsvEvent::Limit(_) => {}
        }
    }
    let i = affected_by?;
    let (start, start_at) = &sorted[i];
    let end = sorted[i + 1..]
        .iter()
        .map(|(e, _)| *e)
        .find(|e| matches!(e, OsvEvent::Fixed(_) | OsvEvent::LastAffected(_)));
    let mut rule = if start_at.is_none() {
        concat(&[text, " is in a range introduced from the start"])
    } else {
        concat(&[
            text,
            " is at or after ",
            event_key(start),
            " ",
            event_version(start),
        ])
    };
    match end {
        Some(OsvEvent::Fixed(v)) => {
            rule.push_str(" and before fixed ");
            rule.push_str(v);
        }
        Some(e) => {
            rule.push_str(" and at or before ");
            rule.push_str(event_key(e));
            rule.push(' ');
            rule.push_str(event_version(e));
        }
        None => rule.push_str(" with no fix after it"),
    }
    let bounded: Vec<String> = limits
        .iter()
        .filter(|(_, at)| at.is_some())
        .map(|(e, _)| describe_event(e))
        .collect();
    if !bounded.is_empty() {
        rule.push_str(&format!(" (below {})", bounded.join(", ")));
    }
    Some(rule)
}
