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
//! of the real feeds. OSV entries compile in [`osv`]; what a rule yields and the pieces every
//! kind evaluates with are in [`verdict`].

mod osv;
mod verdict;

pub(crate) use verdict::{Parsed, Verdict};

use crate::record::{Op, Rule, Status, VersionSet};
use crowsnest_version::{Ecosystem, Version, VersionError};
use osv::OsvRule;
use std::cmp::Ordering;
use verdict::{both, concat, first_fix_above};

/// One rule with its versions parsed.
#[derive(Debug)]
pub(crate) enum Compiled<'a> {
    FixedIn(Parsed<'a>),
    Status,
    Osv(OsvRule<'a>),
    Set(SetRule<'a>),
}

/// An advisory-style rule: affected when in `affected` and not in `unaffected`.
#[derive(Debug)]
pub(crate) struct SetRule<'a> {
    affected: Vec<Vec<(Op, Parsed<'a>)>>,
    unaffected: Vec<Vec<(Op, Parsed<'a>)>>,
    fixed: Vec<Option<Version<'a>>>,
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

#[cfg(test)]
mod tests {
    //! Differential test: every rule of the real feeds, compiled, against the text-based
    //! evaluation it replaces (`compare` on strings, `osv::evaluate`), on versions taken from
    //! the rules themselves and their neighbours, malformed ones included.

    use super::osv::event_version;
    use super::*;
    use crate::db::Database;
    use crate::import::ImportOptions;
    use crate::record::{OsvEvent, OsvRangeKind};
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
