//! Inventory × database → findings. Each package is placed in exactly one namespace
//! ([`crate::distro`]), its entries are evaluated with that namespace's comparator, verdicts for
//! the same vulnerability id are combined, and the finding is enriched (NVD, KEV, EPSS) and given
//! its severity and risk factors. `explain` runs the same evaluation and returns every step.

use crate::db::Database;
use crate::distro::{self, Target};
use crate::record::{Advisory, Entry, OsvEvent, OsvRangeKind, Rule, Status, VersionSet};
use crowsnest_model::{Finding, FixStatus, Inventory, Package, Severity};
use crowsnest_version::{Ecosystem, compare, osv};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// Options for matching; `Default` uses the current time.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MatchOptions {
    /// "Now" for the `Recent vulnerability` risk factor (Unix seconds).
    pub now: i64,
    /// A vulnerability published within this many days is "recent".
    pub recent_days: i64,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            now: jiff::Timestamp::now().as_second(),
            recent_days: 30,
        }
    }
}

impl MatchOptions {
    pub fn at(now: i64) -> MatchOptions {
        MatchOptions {
            now,
            ..MatchOptions::default()
        }
    }
}

/// What one entry says about one installed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Affected; `fix` is the vendor's status for it.
    Affected { fix: FixStatus },
    /// Not affected (outside the ranges, at or above the fix, or the vendor says so).
    NotAffected,
    /// The entry could not be evaluated (malformed version); never reported as a finding.
    Unknown,
}

/// One rule applied, for `db explain` and for a finding's `applicable_rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Vulnerability id (CVE preferred).
    pub id: String,
    /// Feed the rule came from.
    pub source: String,
    /// The rule in words, with the comparison made.
    pub rule: String,
    pub outcome: Outcome,
}

/// Matches inventories against one database. Build once, reuse for many inventories.
pub struct Matcher<'a> {
    db: &'a Database,
    /// OSV ranges converted to the comparator crate's types once, by entry index.
    osv: HashMap<usize, Vec<osv::Range>>,
    opts: MatchOptions,
}

impl std::fmt::Debug for Matcher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("entries", &self.db.entries.len())
            .finish()
    }
}

fn convert(ranges: &[crate::record::OsvRange]) -> Vec<osv::Range> {
    ranges
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
                    OsvEvent::Introduced(v) => osv::Event::Introduced(v.clone()),
                    OsvEvent::Fixed(v) => osv::Event::Fixed(v.clone()),
                    OsvEvent::LastAffected(v) => osv::Event::LastAffected(v.clone()),
                    OsvEvent::Limit(v) => osv::Event::Limit(v.clone()),
                })
                .collect(),
        })
        .collect()
}

/// Combined verdicts of all entries for one vulnerability id on one package.
#[derive(Default)]
struct Acc {
    advisories: Vec<u32>,
    /// Distribution fixed versions (`FixedIn`), all of them.
    fixed_in: Vec<String>,
    statuses: Vec<Status>,
    /// Range/set verdicts that said affected, with the fix to move to.
    range_hits: Vec<Option<String>>,
    rules: Vec<String>,
    fix_advisory: Option<u32>,
}

impl<'a> Matcher<'a> {
    pub fn new(db: &'a Database) -> Matcher<'a> {
        Matcher::with_options(db, MatchOptions::default())
    }

    pub fn with_options(db: &'a Database, opts: MatchOptions) -> Matcher<'a> {
        let osv = db
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match &e.rule {
                Rule::Osv { ranges, .. } => Some((i, convert(ranges))),
                _ => None,
            })
            .collect();
        Matcher { db, osv, opts }
    }

    /// All findings for an inventory, sorted by package then id.
    pub fn match_inventory(&self, inv: &Inventory) -> Vec<Finding> {
        let mut out = Vec::new();
        for pkg in &inv.packages {
            self.match_package_into(inv.os.as_ref(), pkg, &mut out);
        }
        out.sort_by(|a, b| {
            (&a.package_name, &a.package_version, &a.id).cmp(&(
                &b.package_name,
                &b.package_version,
                &b.id,
            ))
        });
        out
    }

    /// Findings for one package.
    pub fn match_package(
        &self,
        os: Option<&crowsnest_model::OsInfo>,
        pkg: &Package,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        self.match_package_into(os, pkg, &mut out);
        out
    }

    fn match_package_into(
        &self,
        os: Option<&crowsnest_model::OsInfo>,
        pkg: &Package,
        out: &mut Vec<Finding>,
    ) {
        let Ok(target) = distro::target(os, pkg) else {
            return;
        };
        let mut acc: BTreeMap<&str, Acc> = BTreeMap::new();
        let mut not_affected: std::collections::HashSet<&str> = std::collections::HashSet::new();
        self.evaluate(&target, false, |adv_idx, adv, step_rule, outcome, entry| {
            let slot = acc.entry(adv.id.as_str()).or_default();
            if !slot.advisories.contains(&adv_idx) {
                slot.advisories.push(adv_idx);
            }
            match (&entry.rule, outcome) {
                (Rule::Status(Status::NotAffected), _) => {
                    not_affected.insert(adv.id.as_str());
                }
                (Rule::FixedIn(v), _) => {
                    slot.fixed_in.push(v.clone());
                    slot.rules.push(step_rule);
                }
                (Rule::Status(s), _) => {
                    slot.statuses.push(*s);
                    slot.rules.push(step_rule);
                }
                (_, Outcome::Affected { fix }) => {
                    slot.range_hits.push(match fix {
                        FixStatus::Fixed(v) => Some(v),
                        _ => None,
                    });
                    slot.rules.push(step_rule);
                    if slot.fix_advisory.is_none() {
                        slot.fix_advisory = Some(adv_idx);
                    }
                }
                _ => {}
            }
        });
        for (id, a) in acc {
            // A vendor's explicit "not affected" for this release wins.
            if not_affected.contains(id) {
                continue;
            }
            let fix = if !a.fixed_in.is_empty() {
                // Several fixes for one id (a DSA and its follow-up): the newest one counts.
                let newest = a
                    .fixed_in
                    .iter()
                    .max_by(|x, y| compare(target.eco, x, y).unwrap_or(Ordering::Equal))
                    .cloned()
                    .unwrap_or_default();
                match compare(target.eco, &target.version, &newest) {
                    Ok(Ordering::Less) => FixStatus::Fixed(newest),
                    _ => continue,
                }
            } else if !a.statuses.is_empty() {
                match a.statuses[0] {
                    Status::Open => FixStatus::Open,
                    Status::WillNotFix => FixStatus::WillNotFix,
                    Status::Deferred => FixStatus::Deferred,
                    Status::NotAffected => continue,
                }
            } else if !a.range_hits.is_empty() {
                let mut fixes: Vec<String> = a.range_hits.iter().flatten().cloned().collect();
                fixes.sort_by(|x, y| compare(target.eco, x, y).unwrap_or(Ordering::Equal));
                match fixes.into_iter().next() {
                    Some(v) => FixStatus::Fixed(v),
                    None => FixStatus::Open,
                }
            } else {
                continue;
            };
            out.push(self.finding(pkg, &target, id, &a, fix));
        }
    }

    /// Runs every entry for the target and calls `f` with each verdict.
    /// `explain` asks for the text of every step; matching only needs the affected ones, and
    /// skips distribution fixes the installed version is already past (the newest fix of an id
    /// decides, and it is affected exactly when some fix is above the installed version).
    fn evaluate(
        &self,
        target: &Target,
        explain: bool,
        mut f: impl FnMut(u32, &'a Advisory, String, Outcome, &'a Entry),
    ) {
        let mut seen_keys: Vec<&str> = Vec::new();
        for key in &target.keys {
            if seen_keys.contains(&key.as_str()) {
                continue;
            }
            seen_keys.push(key);
            let entries = self.db.lookup(&target.namespace, key);
            let base = self
                .db
                .index
                .get(&target.namespace)
                .and_then(|m| m.get(key.as_str()))
                .map(|(s, _)| *s as usize)
                .unwrap_or(0);
            for (offset, entry) in entries.iter().enumerate() {
                if !stream_applies(&target.namespace, entry, target.stream.as_deref()) {
                    continue;
                }
                let adv = &self.db.advisories[entry.advisory as usize];
                if !explain
                    && let Rule::FixedIn(fixed) = &entry.rule
                    && compare(target.eco, &target.version, fixed) != Ok(Ordering::Less)
                {
                    continue;
                }
                let (rule, outcome) = self.evaluate_entry(target, base + offset, entry, explain);
                f(entry.advisory, adv, rule, outcome, entry);
            }
        }
    }

    fn evaluate_entry(
        &self,
        t: &Target,
        index: usize,
        entry: &Entry,
        explain: bool,
    ) -> (String, Outcome) {
        let v = t.version.as_str();
        match &entry.rule {
            Rule::FixedIn(fixed) => match compare(t.eco, v, fixed) {
                Ok(Ordering::Less) => (
                    format!("{v} < {fixed} (fixed in {fixed})"),
                    Outcome::Affected {
                        fix: FixStatus::Fixed(fixed.clone()),
                    },
                ),
                Ok(_) => (
                    format!("{v} >= {fixed} (fixed in {fixed})"),
                    Outcome::NotAffected,
                ),
                Err(e) => (format!("cannot compare: {e}"), Outcome::Unknown),
            },
            Rule::Status(s) => {
                let note = entry
                    .note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                let (word, outcome) = match s {
                    Status::Open => (
                        "open: no fix yet",
                        Outcome::Affected {
                            fix: FixStatus::Open,
                        },
                    ),
                    Status::WillNotFix => (
                        "will not fix",
                        Outcome::Affected {
                            fix: FixStatus::WillNotFix,
                        },
                    ),
                    Status::Deferred => (
                        "fix deferred",
                        Outcome::Affected {
                            fix: FixStatus::Deferred,
                        },
                    ),
                    Status::NotAffected => ("vendor says not affected", Outcome::NotAffected),
                };
                (format!("{word}{note}"), outcome)
            }
            Rule::Osv { versions, .. } => {
                let Some(ranges) = self.osv.get(&index) else {
                    return ("no ranges".into(), Outcome::Unknown);
                };
                match osv::evaluate(t.eco, v, ranges, versions) {
                    Ok(osv::Verdict::Affected { rule }) => {
                        let fix = first_fix_above(
                            t.eco,
                            v,
                            ranges.iter().flat_map(|r| {
                                r.events.iter().filter_map(|e| match e {
                                    osv::Event::Fixed(f) => Some(f.as_str()),
                                    _ => None,
                                })
                            }),
                        );
                        (
                            rule,
                            Outcome::Affected {
                                fix: fix.map_or(FixStatus::Open, FixStatus::Fixed),
                            },
                        )
                    }
                    Ok(osv::Verdict::NotAffected) => (
                        if explain {
                            format!("{v} is outside {}", describe_ranges(ranges))
                        } else {
                            String::new()
                        },
                        Outcome::NotAffected,
                    ),
                    Ok(osv::Verdict::Unknown { note }) => (note, Outcome::Unknown),
                    Err(e) => (format!("cannot evaluate: {e}"), Outcome::Unknown),
                }
            }
            Rule::Set {
                affected,
                unaffected,
                fixed,
            } => {
                let inside = |set: &VersionSet| -> Result<bool, crowsnest_version::VersionError> {
                    for clause in &set.clauses {
                        let mut all = true;
                        for c in clause {
                            let ord = compare(t.eco, v, &c.version)?;
                            let ok = match c.op {
                                crate::record::Op::Lt => ord == Ordering::Less,
                                crate::record::Op::Le => ord != Ordering::Greater,
                                crate::record::Op::Gt => ord == Ordering::Greater,
                                crate::record::Op::Ge => ord != Ordering::Less,
                                crate::record::Op::Eq => ord == Ordering::Equal,
                                crate::record::Op::Ne => ord != Ordering::Equal,
                            };
                            if !ok {
                                all = false;
                                break;
                            }
                        }
                        if all {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                };
                match (inside(affected), inside(unaffected)) {
                    (Ok(true), Ok(false)) => {
                        let fix = first_fix_above(t.eco, v, fixed.iter().map(String::as_str));
                        (
                            format!(
                                "{v} is in {} and not in [{}]",
                                affected.describe(),
                                unaffected.describe()
                            ),
                            Outcome::Affected {
                                fix: fix.map_or(FixStatus::Open, FixStatus::Fixed),
                            },
                        )
                    }
                    (Ok(_), Ok(_)) if !explain => (String::new(), Outcome::NotAffected),
                    (Ok(_), Ok(_)) => (
                        format!(
                            "{v} is outside {} or within [{}]",
                            affected.describe(),
                            unaffected.describe()
                        ),
                        Outcome::NotAffected,
                    ),
                    (Err(e), _) | (_, Err(e)) => (format!("cannot compare: {e}"), Outcome::Unknown),
                }
            }
        }
    }

    fn finding(&self, pkg: &Package, t: &Target, id: &str, a: &Acc, fix: FixStatus) -> Finding {
        let advs: Vec<&Advisory> = a
            .advisories
            .iter()
            .map(|i| &self.db.advisories[*i as usize])
            .collect();
        let mut aliases: Vec<String> = Vec::new();
        let mut sources: Vec<String> = Vec::new();
        for adv in &advs {
            for al in &adv.aliases {
                if al != id && !aliases.contains(al) {
                    aliases.push(al.clone());
                }
            }
            if !sources.contains(&adv.source) {
                sources.push(adv.source.clone());
            }
        }
        let enrich = self.db.enrichment.get(id);
        let vendor_severity = advs.iter().find_map(|a| a.severity.clone());
        let feed_cvss = advs.iter().filter_map(|a| a.cvss.as_ref()).max_by_key(|c| {
            (
                c.score.is_some(),
                c.vector.as_deref().is_some_and(|v| v.starts_with("CVSS:3")),
            )
        });
        let cvss = enrich.and_then(|e| e.nvd.as_ref()).or(feed_cvss);
        if let Some(c) = cvss
            && !sources.contains(&c.source)
        {
            sources.push(c.source.clone());
        }
        let severity = vendor_severity
            .as_deref()
            .and_then(Severity::from_vendor)
            .or_else(|| cvss.and_then(|c| c.score).map(Severity::from_cvss))
            .unwrap_or(Severity::Unknown);
        let published = advs
            .iter()
            .filter_map(|a| a.published)
            .chain(enrich.and_then(|e| e.nvd_published))
            .min();
        let fix_date = match &fix {
            FixStatus::Fixed(_) => a
                .fix_advisory
                .and_then(|i| self.db.advisories[i as usize].fix_date)
                .or_else(|| advs.iter().filter_map(|a| a.fix_date).max()),
            _ => None,
        };
        let kev = enrich.is_some_and(|e| e.kev_added.is_some());
        if kev {
            sources.push("cisa-kev".into());
        }
        let epss = enrich.and_then(|e| e.epss);
        if epss.is_some() {
            sources.push("epss".into());
        }
        let mut risk = Vec::new();
        if matches!(fix, FixStatus::Fixed(_)) {
            risk.push("Has fix".to_string());
        }
        match severity {
            Severity::Critical => risk.push("Critical severity".into()),
            Severity::High => risk.push("High severity".into()),
            Severity::Medium => risk.push("Medium severity".into()),
            _ => {}
        }
        if kev {
            risk.push("Exploit exists - in the wild".into());
        }
        if let Some(vector) = cvss.and_then(|c| c.vector.as_deref()) {
            let v3 = vector.starts_with("CVSS:3") || vector.starts_with("CVSS:4");
            let av = crate::cvss::metric(vector, "AV");
            if av == Some("N") {
                risk.push("Attack vector: network".into());
            }
            let ac = crate::cvss::metric(vector, "AC");
            if ac == Some("L") {
                risk.push("Attack complexity: low".into());
            }
            // Availability impact: High → DoS - High, Low → DoS - Low (v3/v4 vectors only).
            let a_impact =
                crate::cvss::metric(vector, "A").or_else(|| crate::cvss::metric(vector, "VA"));
            if v3 {
                match a_impact {
                    Some("H") => risk.push("DoS - High".into()),
                    Some("L") => risk.push("DoS - Low".into()),
                    _ => {}
                }
            }
        }
        if let Some(p) = published
            && p <= self.opts.now
            && self.opts.now - p <= self.opts.recent_days * 86_400
        {
            risk.push("Recent vulnerability".into());
        }
        let mut fixed_versions: Vec<String> = a.range_hits.iter().flatten().cloned().collect();
        if let FixStatus::Fixed(v) = &fix
            && !fixed_versions.contains(v)
        {
            fixed_versions.insert(0, v.clone());
        }
        let source_name = if pkg.kind.is_os() {
            t.keys.first().filter(|k| **k != pkg.name).cloned()
        } else {
            None
        };
        Finding {
            id: id.to_string(),
            aliases,
            package_name: pkg.name.clone(),
            package_version: pkg.version.clone(),
            package_kind: pkg.kind,
            source_name,
            fix,
            fixed_versions,
            vendor_severity,
            severity,
            cvss: cvss.and_then(|c| c.score),
            cvss_vector: cvss.and_then(|c| c.vector.clone()),
            cvss_source: cvss.map(|c| c.source.clone()),
            sources,
            published,
            fix_date,
            description: advs
                .iter()
                .map(|a| a.description.as_str())
                .find(|d| !d.is_empty())
                .unwrap_or_default()
                .to_string(),
            link: advs.first().map(|a| a.link.clone()).unwrap_or_default(),
            kev,
            epss,
            risk_factors: risk,
            applicable_rules: a.rules.clone(),
            layer_digest: pkg.layer_digest.clone(),
            package_path: pkg.path.clone(),
        }
    }

    /// Every rule that applies to `package` at `version` in `namespace`, with its verdict.
    /// `namespace` is an OSV ecosystem (`PyPI`) or a distribution release (`debian:bookworm`);
    /// for distributions `package` is the SOURCE package name.
    pub fn explain(
        &self,
        namespace: &str,
        package: &str,
        version: &str,
        stream: Option<&str>,
    ) -> Result<Vec<Step>, String> {
        let eco = distro::namespace_ecosystem(namespace)
            .ok_or_else(|| format!("unknown namespace {namespace:?}"))?;
        let target = Target {
            namespace: namespace.to_string(),
            eco,
            keys: vec![crate::names::normalise(namespace, package)],
            version: version.to_string(),
            stream: stream.map(str::to_string),
        };
        let mut steps = Vec::new();
        self.evaluate(&target, true, |_, adv, rule, outcome, _| {
            steps.push(Step {
                id: adv.id.clone(),
                source: adv.source.clone(),
                rule,
                outcome,
            });
        });
        Ok(steps)
    }
}

/// The lowest fixed version above `installed`.
fn first_fix_above<'s>(
    eco: Ecosystem,
    installed: &str,
    fixes: impl Iterator<Item = &'s str>,
) -> Option<String> {
    let mut above: Vec<&str> = fixes
        .filter(|f| compare(eco, installed, f) == Ok(Ordering::Less))
        .collect();
    above.sort_by(|a, b| compare(eco, a, b).unwrap_or(Ordering::Equal));
    above.first().map(|s| s.to_string())
}

fn describe_ranges(ranges: &[osv::Range]) -> String {
    ranges
        .iter()
        .map(|r| {
            let ev: Vec<String> = r.events.iter().map(|e| e.to_string()).collect();
            format!("{} [{}]", r.kind.as_osv(), ev.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// rpm module streams: an entry built in a module applies only to installed builds of that
/// stream; a non-modular entry only to non-modular builds. Other namespaces ignore streams.
fn stream_applies(namespace: &str, entry: &Entry, stream: Option<&str>) -> bool {
    let rpm = namespace.starts_with("almalinux:")
        || namespace.starts_with("rocky:")
        || namespace.starts_with("redhat:");
    if !rpm {
        return true;
    }
    match (&entry.module, stream) {
        (None, None) => true,
        (None, Some(_)) => matches!(entry.rule, Rule::Status(_)),
        (Some(_), None) => false,
        (Some(streams), Some(s)) => streams.is_empty() || streams.split(',').any(|x| x == s),
    }
}
