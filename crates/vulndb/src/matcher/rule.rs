//! Database rules with their version strings parsed once.
//!
//! A [`Rule`] stores versions as text; comparing text means parsing both sides on every
//! comparison, and a heavily advised package (glibc in Ubuntu, Django in PyPI) meets hundreds of
//! rules. The matcher therefore compiles the rules of one package name into [`Compiled`] rules
//! the first time that name is looked up (the parsed versions borrow the database's strings),
//! parses the installed version once per package, and evaluates each rule with comparisons of
//! parsed versions only.
//!
//! Verdicts, the fix reported and the text of every step are exactly those of the text-based
//! evaluation (`crowsnest_version::compare` and `crowsnest_version::osv::evaluate`), including
//! which error is reported when a version is malformed; the unit tests check that on every rule
//! of the real feeds.

use crate::record::{Op, OsvEvent, OsvRange, OsvRangeKind, Rule, Status, VersionSet};
use crowsnest_version::{Ecosystem, Version, VersionError};
use std::cmp::Ordering;

/// A version parsed under the namespace's rules, or why it could not be.
pub(crate) type Parsed<'a> = Result<Version<'a>, VersionError>;

/// One rule with its versions parsed.
#[derive(Debug)]
pub(crate) enum Compiled<'a> {
    FixedIn(Parsed<'a>),
    Status,
    Osv(OsvRule<'a>),
    Set(SetRule<'a>),
}

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

/// An advisory-style rule: affected when in `affected` and not in `unaffected`.
#[derive(Debug)]
pub(crate) struct SetRule<'a> {
    affected: Vec<Vec<(Op, Parsed<'a>)>>,
    unaffected: Vec<Vec<(Op, Parsed<'a>)>>,
    fixed: Vec<Option<Version<'a>>>,
}

/// What one rule says about the installed version.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Verdict<'c, 'a> {
    /// Affected; fixed in this version.
    Fixed(&'c Version<'a>),
    /// Affected with this vendor status (`Open` also when no fix is known).
    Affected(Status),
    NotAffected,
    /// Could not be evaluated (a malformed version); never reported as a finding.
    Unknown,
}

impl<'a> Compiled<'a> {
    pub(crate) fn compile(eco: Ecosystem, rule: &'a Rule) -> Compiled<'a> {
        match rule {
            Rule::FixedIn(v) => Compiled::FixedIn(Version::parse(eco, v)),
            Rule::Status(_) => Compiled::Status,
            Rule::Osv { ranges, versions } => {
                Compiled::Osv(OsvRule::compile(eco, ranges, versions))
            }
            Rule::Set {
                affected,
                unaffected,
                fixed,
            } => {
                let set = |s: &'a VersionSet| {
                    s.clauses
                        .iter()
                        .map(|c| {
                            c.iter()
                                .map(|m| (m.op, Version::parse(eco, &m.version)))
                                .collect()
                        })
                        .collect()
                };
                Compiled::Set(SetRule {
                    affected: set(affected),
                    unaffected: set(unaffected),
                    fixed: fixed.iter().map(|f| Version::parse(eco, f).ok()).collect(),
                })
            }
        }
    }

    /// True when this is a distribution fix the installed version is not below: matching skips
    /// it (the newest fix of an id decides, and it is affected exactly when some fix is above
    /// the installed version). An unparseable side is skipped too.
    pub(crate) fn is_passed_fix(&self, installed: &Parsed<'_>) -> bool {
        match self {
            Compiled::FixedIn(fixed) => !matches!(
                (installed, fixed),
                (Ok(i), Ok(f)) if i.compare(f) == Some(Ordering::Less)
            ),
            _ => false,
        }
    }

    /// The verdict on `installed` and, when wanted, the step in words. The text is always
    /// produced for an affected verdict or an unknown one; for "not affected" only when
    /// `explain` asks for it.
    pub(crate) fn evaluate<'c>(
        &'c self,
        rule: &Rule,
        note: Option<&str>,
        text: &str,
        installed: &Parsed<'_>,
        explain: bool,
    ) -> (String, Verdict<'c, 'a>) {
        match (self, rule) {
            (Compiled::FixedIn(fixed), Rule::FixedIn(fixed_text)) => match (installed, fixed) {
                (Ok(i), Ok(f)) if i.compare(f) == Some(Ordering::Less) => (
                    concat(&[text, " < ", fixed_text, " (fixed in ", fixed_text, ")"]),
                    Verdict::Fixed(f),
                ),
                (Ok(_), Ok(_)) => (
                    if explain {
                        format!("{text} >= {fixed_text} (fixed in {fixed_text})")
                    } else {
                        String::new()
                    },
                    Verdict::NotAffected,
                ),
                (Err(e), _) | (_, Err(e)) => (format!("cannot compare: {e}"), Verdict::Unknown),
            },
            (Compiled::Status, Rule::Status(s)) => {
                let (word, verdict) = match s {
                    Status::Open => ("open: no fix yet", Verdict::Affected(Status::Open)),
                    Status::WillNotFix => ("will not fix", Verdict::Affected(Status::WillNotFix)),
                    Status::Deferred => ("fix deferred", Verdict::Affected(Status::Deferred)),
                    Status::NotAffected => ("vendor says not affected", Verdict::NotAffected),
                };
                if !explain && matches!(verdict, Verdict::NotAffected) {
                    return (String::new(), verdict);
                }
                let words = match note {
                    Some(n) => format!("{word} ({n})"),
                    None => word.to_string(),
                };
                (words, verdict)
            }
            (Compiled::Osv(osv), Rule::Osv { ranges, .. }) => {
                osv.evaluate(text, ranges, installed, explain)
            }
            (
                Compiled::Set(set),
                Rule::Set {
                    affected,
                    unaffected,
                    ..
                },
            ) => match (
                inside(installed, &set.affected),
                inside(installed, &set.unaffected),
            ) {
                (Ok(true), Ok(false)) => (
                    format!(
                        "{text} is in {} and not in [{}]",
                        affected.describe(),
                        unaffected.describe()
                    ),
                    first_fix_above(installed.as_ref().ok(), set.fixed.iter().flatten())
                        .map_or(Verdict::Affected(Status::Open), Verdict::Fixed),
                ),
                (Ok(_), Ok(_)) if !explain => (String::new(), Verdict::NotAffected),
                (Ok(_), Ok(_)) => (
                    format!(
                        "{text} is outside {} or within [{}]",
                        affected.describe(),
                        unaffected.describe()
                    ),
                    Verdict::NotAffected,
                ),
                (Err(e), _) | (_, Err(e)) => (format!("cannot compare: {e}"), Verdict::Unknown),
            },
            // A compiled rule always comes from its own entry.
            _ => ("rule changed while compiled".into(), Verdict::Unknown),
        }
    }
}

/// Both versions, or the first error (the installed side first, as `compare` reports it).
fn both<'p, 'x, 'y>(
    a: &'p Parsed<'x>,
    b: &'p Parsed<'y>,
) -> Result<(&'p Version<'x>, &'p Version<'y>), VersionError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    }
}

/// Whether the installed version is in a union of intervals; the first malformed version met
/// (in evaluation order) is the error.
fn inside(installed: &Parsed<'_>, clauses: &[Vec<(Op, Parsed<'_>)>]) -> Result<bool, VersionError> {
    for clause in clauses {
        let mut all = true;
        for (op, at) in clause {
            let (i, v) = both(installed, at)?;
            if !op.holds(i.compare(v).unwrap_or(Ordering::Equal)) {
                all = false;
                break;
            }
        }
        if all {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The lowest fix above the installed version (the first of equal ones, in record order).
fn first_fix_above<'c, 'a: 'c>(
    installed: Option<&Version<'_>>,
    fixes: impl Iterator<Item = &'c Version<'a>>,
) -> Option<&'c Version<'a>> {
    let installed = installed?;
    fixes
        .filter(|f| installed.compare(f) == Some(Ordering::Less))
        .min_by(|a, b| a.compare(b).unwrap_or(Ordering::Equal))
}

fn event_version(e: &OsvEvent) -> &str {
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

/// Joins pieces into one exactly sized string (step texts are built for every affected rule;
/// this avoids the formatting machinery and regrowth).
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
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
    fn compile(eco: Ecosystem, ranges: &'a [OsvRange], versions: &'a [String]) -> OsvRule<'a> {
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
    fn evaluate<'c>(
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

#[cfg(test)]
mod tests {
    //! Differential test: every rule of the real feeds, compiled, against the text-based
    //! evaluation it replaces (`compare` on strings, `osv::evaluate`), on versions taken from
    //! the rules themselves and their neighbours, malformed ones included.

    use super::*;
    use crate::db::Database;
    use crate::import::ImportOptions;
    use crowsnest_version::{compare, osv};
    use std::path::PathBuf;

    /// A verdict both sides can produce, with the fix spelled out.
    #[derive(Debug, PartialEq, Eq)]
    enum Said {
        Fixed(String),
        Affected(Status),
        NotAffected,
        Unknown,
    }

    fn said(v: Verdict<'_, '_>) -> Said {
        match v {
            Verdict::Fixed(f) => Said::Fixed(f.as_str().to_string()),
            Verdict::Affected(s) => Said::Affected(s),
            Verdict::NotAffected => Said::NotAffected,
            Verdict::Unknown => Said::Unknown,
        }
    }

    /// The lowest fix above `v`, comparing text (the evaluation the matcher used to do).
    fn fix_by_text<'s>(eco: Ecosystem, v: &str, fixes: impl Iterator<Item = &'s str>) -> Said {
        let mut above: Vec<&str> = fixes
            .filter(|f| compare(eco, v, f) == Ok(Ordering::Less))
            .collect();
        above.sort_by(|a, b| compare(eco, a, b).unwrap_or(Ordering::Equal));
        above
            .first()
            .map_or(Said::Affected(Status::Open), |f| Said::Fixed(f.to_string()))
    }

    fn set_by_text(eco: Ecosystem, v: &str, set: &VersionSet) -> Result<bool, VersionError> {
        for clause in &set.clauses {
            let mut all = true;
            for c in clause {
                if !c.op.holds(compare(eco, v, &c.version)?) {
                    all = false;
                    break;
                }
            }
            if all {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn by_text(eco: Ecosystem, rule: &Rule, note: Option<&str>, v: &str) -> (String, Said) {
        match rule {
            Rule::FixedIn(fixed) => match compare(eco, v, fixed) {
                Ok(Ordering::Less) => (
                    format!("{v} < {fixed} (fixed in {fixed})"),
                    Said::Fixed(fixed.clone()),
                ),
                Ok(_) => (
                    format!("{v} >= {fixed} (fixed in {fixed})"),
                    Said::NotAffected,
                ),
                Err(e) => (format!("cannot compare: {e}"), Said::Unknown),
            },
            Rule::Status(s) => {
                let word = match s {
                    Status::Open => "open: no fix yet",
                    Status::WillNotFix => "will not fix",
                    Status::Deferred => "fix deferred",
                    Status::NotAffected => "vendor says not affected",
                };
                let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
                let said = match s {
                    Status::NotAffected => Said::NotAffected,
                    s => Said::Affected(*s),
                };
                (format!("{word}{note}"), said)
            }
            Rule::Osv { ranges, versions } => {
                let ranges: Vec<osv::Range> = ranges
                    .iter()
                    .map(|r| osv::Range {
                        kind: match r.kind {
                            OsvRangeKind::Semver => osv::RangeKind::Semver,
                            OsvRangeKind::Ecosystem => osv::RangeKind::Ecosystem,
                            OsvRangeKind::Git => osv::RangeKind::Git,
                        },
                        events: r
                            .events
                            .iter()
                            .map(|e| match e {
                                OsvEvent::Introduced(x) => osv::Event::Introduced(x.clone()),
                                OsvEvent::Fixed(x) => osv::Event::Fixed(x.clone()),
                                OsvEvent::LastAffected(x) => osv::Event::LastAffected(x.clone()),
                                OsvEvent::Limit(x) => osv::Event::Limit(x.clone()),
                            })
                            .collect(),
                    })
                    .collect();
                match osv::evaluate(eco, v, &ranges, versions) {
                    Ok(osv::Verdict::Affected { rule }) => {
                        let fixes = ranges.iter().flat_map(|r| {
                            r.events.iter().filter_map(|e| match e {
                                osv::Event::Fixed(f) => Some(f.as_str()),
                                _ => None,
                            })
                        });
                        (rule, fix_by_text(eco, v, fixes))
                    }
                    Ok(osv::Verdict::NotAffected) => {
                        let described: Vec<String> = ranges
                            .iter()
                            .map(|r| {
                                let ev: Vec<String> =
                                    r.events.iter().map(|e| e.to_string()).collect();
                                format!("{} [{}]", r.kind.as_osv(), ev.join(", "))
                            })
                            .collect();
                        (
                            format!("{v} is outside {}", described.join("; ")),
                            Said::NotAffected,
                        )
                    }
                    Ok(osv::Verdict::Unknown { note }) => (note, Said::Unknown),
                    Err(e) => (format!("cannot evaluate: {e}"), Said::Unknown),
                }
            }
            Rule::Set {
                affected,
                unaffected,
                fixed,
            } => match (
                set_by_text(eco, v, affected),
                set_by_text(eco, v, unaffected),
            ) {
                (Ok(true), Ok(false)) => (
                    format!(
                        "{v} is in {} and not in [{}]",
                        affected.describe(),
                        unaffected.describe()
                    ),
                    fix_by_text(eco, v, fixed.iter().map(String::as_str)),
                ),
                (Ok(_), Ok(_)) => (
                    format!(
                        "{v} is outside {} or within [{}]",
                        affected.describe(),
                        unaffected.describe()
                    ),
                    Said::NotAffected,
                ),
                (Err(e), _) | (_, Err(e)) => (format!("cannot compare: {e}"), Said::Unknown),
            },
        }
    }

    /// Versions the rule names (a sample of a long `versions` list), and neighbours of each.
    fn candidates(rule: &Rule) -> Vec<String> {
        let mut named: Vec<&str> = Vec::new();
        match rule {
            Rule::FixedIn(v) => named.push(v),
            Rule::Status(_) => {}
            Rule::Osv { ranges, versions } => {
                named.extend(ranges.iter().flat_map(|r| &r.events).map(event_version));
                let step = (versions.len() / 6).max(1);
                named.extend(versions.iter().step_by(step).map(String::as_str));
            }
            Rule::Set {
                affected,
                unaffected,
                fixed,
            } => {
                for set in [affected, unaffected] {
                    named.extend(set.clauses.iter().flatten().map(|c| c.version.as_str()));
                }
                named.extend(fixed.iter().map(String::as_str));
            }
        }
        named.truncate(12);
        let mut out: Vec<String> = ["0", "1.0", "999", "not a version", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for v in named {
            for suffix in ["", ".0", ".1", "-1", "~rc1", "a1", "-r1"] {
                out.push(format!("{v}{suffix}"));
            }
            if let Some(last) = v.char_indices().last().filter(|(_, c)| c.is_ascii_digit()) {
                // One below in the last digit, or a shorter version for a trailing 0.
                let (i, c) = last;
                let below = match c {
                    '0' => v[..i].trim_end_matches(['.', '-']).to_string(),
                    c => format!("{}{}", &v[..i], (c as u8 - 1) as char),
                };
                out.push(below);
            }
        }
        out
    }

    fn feeds() -> Vec<PathBuf> {
        let root = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vulndb"
        ));
        [
            "distro/alpine-secdb-legacy.tar.gz",
            "distro/debian-security-tracker-lists.tar.gz",
            "lang/friendsofphp-security-advisories.tar.gz",
            "lang/nodejs-security-wg.tar.gz",
            "lang/rubysec-ruby-advisory-db.tar.gz",
            "osv/almalinux-osv.tar.gz",
            "osv/go-vulndb.tar.gz",
            "osv/pypa-advisory-database.tar.gz",
            "osv/rustsec-osv.tar.gz",
            "osv/ghsa-sample",
        ]
        .iter()
        .map(|rel| {
            let p = root.join(rel);
            assert!(
                p.exists(),
                "missing shared feed {} (the workspace expects ../shared beside /work/main)",
                p.display()
            );
            p
        })
        .collect()
    }

    #[test]
    fn compiled_rules_agree_with_text_evaluation_on_the_real_feeds() {
        let (db, _) = Database::build(&feeds(), &ImportOptions::new()).expect("import");
        let mut checked = 0usize;
        let mut kinds = [0usize; 4];
        for (ns, names) in &db.index {
            let eco = crate::distro::namespace_ecosystem(ns).expect("known namespace");
            // Every name in small namespaces; a spread of names in large ones (debug builds).
            let mut names: Vec<(&String, &(u32, u32))> = names.iter().collect();
            names.sort();
            let step = (names.len() / 200).max(1);
            for (name, _) in names.into_iter().step_by(step) {
                let (_, entries) = db.lookup(ns, name).expect("indexed");
                for entry in entries {
                    let (rule, note) = (db.rule(entry), db.note(entry));
                    let compiled = Compiled::compile(eco, rule);
                    kinds[match rule {
                        Rule::FixedIn(_) => 0,
                        Rule::Status(_) => 1,
                        Rule::Osv { .. } => 2,
                        Rule::Set { .. } => 3,
                    }] += 1;
                    for v in candidates(rule) {
                        let installed = Version::parse(eco, &v);
                        let (text, verdict) = compiled.evaluate(rule, note, &v, &installed, true);
                        let want = by_text(eco, rule, note, &v);
                        assert_eq!((text, said(verdict)), want, "{ns} {name} {v:?}: {rule:?}");
                        if let Rule::FixedIn(fixed) = rule {
                            assert_eq!(
                                compiled.is_passed_fix(&installed),
                                compare(eco, &v, fixed) != Ok(Ordering::Less),
                                "{ns} {name} {v:?} vs {fixed}"
                            );
                        }
                        checked += 1;
                    }
                }
            }
        }
        // Every kind of rule was exercised, on many versions.
        assert!(kinds.iter().all(|&k| k > 50), "rules per kind {kinds:?}");
        assert!(checked > 100_000, "only {checked} evaluations");
    }
}
