//! Inventory × database → findings. Each package is placed in exactly one namespace
//! ([`crate::distro`]), its entries are evaluated with that namespace's comparator, verdicts for
//! the same vulnerability id are combined, and the finding is enriched (NVD, KEV, EPSS) and given
//! its severity and risk factors. `explain` runs the same evaluation and returns every step.

mod rule;

use crate::db::Database;
use crate::distro::{self, OsNamespace, Target};
use crate::record::{Advisory, Rule, Status, StoredEntry};
use crowsnest_model::{Finding, FixStatus, Inventory, Package, Severity};
use crowsnest_version::{Ecosystem, Version};
use rule::{Compiled, Parsed, Verdict};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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

/// Matches inventories against one database. Build once, reuse for many inventories: the
/// rules of each package name are compiled (versions parsed) the first time a package looks
/// them up, and kept for every later package and inventory this matcher sees. Building one is
/// cheap, so a matcher per image costs only the compilation of the rules that image meets.
pub struct Matcher<'a> {
    db: &'a Database,
    /// Compiled rules by the index of a name's first entry; filled lazily, shared by threads.
    compiled: RwLock<HashMap<u32, Arc<Slot<'a>>>>,
    opts: MatchOptions,
}

/// The compiled rules of one (namespace, name), parallel to its database entries.
struct Slot<'a> {
    eco: Ecosystem,
    entries: &'a [StoredEntry],
    rules: Vec<Compiled<'a>>,
}

impl std::fmt::Debug for Matcher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("entries", &self.db.entries.len())
            .finish()
    }
}

/// One evaluated rule of one package, kept until the verdicts of its id are combined.
struct Hit<'c, 'a> {
    id: &'a str,
    advisory: u32,
    rule: &'a Rule,
    verdict: Verdict<'c, 'a>,
    /// The step in words (empty for verdicts that never reach a finding).
    step: String,
}

impl<'a> Matcher<'a> {
    pub fn new(db: &'a Database) -> Matcher<'a> {
        Matcher::with_options(db, MatchOptions::default())
    }

    pub fn with_options(db: &'a Database, opts: MatchOptions) -> Matcher<'a> {
        Matcher {
            db,
            compiled: RwLock::new(HashMap::new()),
            opts,
        }
    }

    /// All findings for an inventory, sorted by package then id.
    pub fn match_inventory(&self, inv: &Inventory) -> Vec<Finding> {
        let os = distro::inventory_namespace(inv.os.as_ref());
        // Packages in (name, version) order and each package's findings in id order leave the
        // final sort (kept for packages of equal name and version) next to nothing to do.
        let mut order: Vec<&Package> = inv.packages.iter().collect();
        order.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        let mut out = Vec::new();
        for pkg in order {
            self.match_package_into(&os, pkg, &mut out);
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
        self.match_package_into(&distro::inventory_namespace(os), pkg, &mut out);
        out
    }

    /// The compiled rules of `name` in `namespace` (compiled on first use).
    fn slot(&self, namespace: &str, name: &str, eco: Ecosystem) -> Option<Arc<Slot<'a>>> {
        let (start, entries) = self.db.lookup(namespace, name)?;
        let cached = self
            .compiled
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&start)
            .cloned();
        if let Some(slot) = cached.filter(|s| s.eco == eco) {
            return Some(slot);
        }
        let slot = Arc::new(Slot {
            eco,
            entries,
            rules: entries
                .iter()
                .map(|e| Compiled::compile(eco, self.db.rule(e)))
                .collect(),
        });
        self.compiled
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(start, Arc::clone(&slot));
        Some(slot)
    }

    fn match_package_into(&self, os: &OsNamespace, pkg: &Package, out: &mut Vec<Finding>) {
        let Some(target) = distro::target(os, pkg) else {
            return;
        };
        let installed = Version::parse(target.eco, target.version);
        let mut slots: [Option<Arc<Slot<'a>>>; 2] = [None, None];
        for (slot, key) in slots.iter_mut().zip(target.keys()) {
            *slot = self.slot(target.namespace, key, target.eco);
        }
        let slots = slots.iter().flatten();
        let mut hits: Vec<Hit<'_, 'a>> =
            Vec::with_capacity(slots.clone().map(|s| s.entries.len()).sum());
        self.evaluate(&target, slots, &installed, false, |hit| hits.push(hit));
        // Group by id (a stable sort keeps each id's rules in evaluation order).
        hits.sort_by(|a, b| a.id.cmp(b.id));
        let mut rest = hits.as_mut_slice();
        while let Some(first) = rest.first() {
            let id = first.id;
            let n = rest.iter().take_while(|h| h.id == id).count();
            let (group, tail) = std::mem::take(&mut rest).split_at_mut(n);
            rest = tail;
            if let Some(finding) = self.combine(pkg, &target, &installed, group) {
                out.push(finding);
            }
        }
    }

    /// Combines the verdicts for one id into a finding, or none.
    fn combine(
        &self,
        pkg: &Package,
        target: &Target<'_>,
        installed: &Parsed<'_>,
        group: &mut [Hit<'_, 'a>],
    ) -> Option<Finding> {
        // A vendor's explicit "not affected" for this release wins.
        if group
            .iter()
            .any(|h| matches!(h.rule, Rule::Status(Status::NotAffected)))
        {
            return None;
        }
        let fixed_in = group.iter().filter_map(|h| match (&h.rule, h.verdict) {
            (Rule::FixedIn(_), Verdict::Fixed(v)) => Some(v),
            _ => None,
        });
        let status = group.iter().find_map(|h| match h.rule {
            Rule::Status(s) => Some(s),
            _ => None,
        });
        let range_hits = || {
            group.iter().filter_map(|h| match (&h.rule, h.verdict) {
                (Rule::Osv { .. } | Rule::Set { .. }, Verdict::Fixed(v)) => Some(Some(v)),
                (Rule::Osv { .. } | Rule::Set { .. }, Verdict::Affected(_)) => Some(None),
                _ => None,
            })
        };
        let fix = if group.iter().any(|h| matches!(h.rule, Rule::FixedIn(_))) {
            // Several fixes for one id (a DSA and its follow-up): the newest one counts.
            let newest = fixed_in.max_by(|x, y| x.compare(y).unwrap_or(Ordering::Equal))?;
            match installed {
                Ok(i) if i.compare(newest) == Some(Ordering::Less) => {
                    FixStatus::Fixed(newest.as_str().to_string())
                }
                _ => return None,
            }
        } else if let Some(s) = status {
            match s {
                Status::Open => FixStatus::Open,
                Status::WillNotFix => FixStatus::WillNotFix,
                Status::Deferred => FixStatus::Deferred,
                Status::NotAffected => return None,
            }
        } else if range_hits().next().is_some() {
            match range_hits()
                .flatten()
                .min_by(|x, y| x.compare(y).unwrap_or(Ordering::Equal))
            {
                Some(v) => FixStatus::Fixed(v.as_str().to_string()),
                None => FixStatus::Open,
            }
        } else {
            return None;
        };
        let mut advisories: Vec<u32> = Vec::with_capacity(group.len());
        for h in group.iter() {
            if !advisories.contains(&h.advisory) {
                advisories.push(h.advisory);
            }
        }
        let fix_advisory = group
            .iter()
            .find(|h| {
                matches!(h.rule, Rule::Osv { .. } | Rule::Set { .. })
                    && matches!(h.verdict, Verdict::Fixed(_) | Verdict::Affected(_))
            })
            .map(|h| h.advisory);
        let range_fixes: Vec<String> = range_hits()
            .flatten()
            .map(|v| v.as_str().to_string())
            .collect();
        let id = group[0].id;
        let rules = group
            .iter_mut()
            .filter(|h| match h.rule {
                Rule::FixedIn(_) => true,
                Rule::Status(s) => *s != Status::NotAffected,
                _ => matches!(h.verdict, Verdict::Fixed(_) | Verdict::Affected(_)),
            })
            .map(|h| std::mem::take(&mut h.step))
            .collect();
        Some(self.finding(
            pkg,
            target,
            id,
            &advisories,
            fix_advisory,
            rules,
            range_fixes,
            fix,
        ))
    }

    /// Runs every entry for the target and calls `f` with each verdict.
    /// `explain` asks for the text of every step; matching only needs the affected ones, and
    /// skips distribution fixes the installed version is already past (the newest fix of an id
    /// decides, and it is affected exactly when some fix is above the installed version).
    fn evaluate<'c>(
        &self,
        target: &Target<'_>,
        slots: impl Iterator<Item = &'c Arc<Slot<'a>>>,
        installed: &Parsed<'_>,
        explain: bool,
        mut f: impl FnMut(Hit<'c, 'a>),
    ) where
        'a: 'c,
    {
        let rpm = is_rpm_namespace(target.namespace);
        for slot in slots {
            for (entry, compiled) in slot.entries.iter().zip(&slot.rules) {
                let rule = self.db.rule(entry);
                if rpm && !stream_applies(entry, rule, target.stream) {
                    continue;
                }
                if !explain && compiled.is_passed_fix(installed) {
                    continue;
                }
                let note = self.db.note(entry);
                let (step, verdict) =
                    compiled.evaluate(rule, note, target.version, installed, explain);
                f(Hit {
                    id: &self.db.advisories[entry.advisory as usize].id,
                    advisory: entry.advisory,
                    rule,
                    verdict,
                    step,
                });
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        pkg: &Package,
        t: &Target<'_>,
        id: &str,
        advisories: &[u32],
        fix_advisory: Option<u32>,
        applicable_rules: Vec<String>,
        range_fixes: Vec<String>,
        fix: FixStatus,
    ) -> Finding {
        let advs: Vec<&Advisory> = advisories
            .iter()
            .map(|i| &self.db.advisories[*i as usize])
            .collect();
        let mut aliases: Vec<String> = Vec::with_capacity(4);
        // Feeds, the CVSS source, KEV and EPSS.
        let mut sources: Vec<String> = Vec::with_capacity(advs.len() + 3);
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
        // Several feeds on one id: the vendor word of the most authoritative one (see
        // `source_rank`), and the feed CVSS with a score and a v3 vector first, then by rank.
        let vendor_severity = advs
            .iter()
            .filter(|a| a.severity.is_some())
            .min_by_key(|a| source_rank(&a.source))
            .and_then(|a| a.severity.clone());
        let feed_cvss = advs
            .iter()
            .filter_map(|a| a.cvss.as_ref().map(|c| (c, source_rank(&a.source))))
            .max_by_key(|(c, rank)| {
                (
                    c.score.is_some(),
                    c.vector.as_deref().is_some_and(|v| v.starts_with("CVSS:3")),
                    std::cmp::Reverse(*rank),
                )
            })
            .map(|(c, _)| c);
        let cvss = enrich.and_then(|e| e.nvd.as_ref()).or(feed_cvss);
        if let Some(c) = cvss
            && !sources.contains(&c.source)
        {
            sources.push(c.source.clone());
        }
        let severity = Severity::rate(vendor_severity.as_deref(), cvss.and_then(|c| c.score));
        let published = advs
            .iter()
            .filter_map(|a| a.published)
            .chain(enrich.and_then(|e| e.nvd_published))
            .min();
        let fix_date = match &fix {
            FixStatus::Fixed(_) => fix_advisory
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
        let mut risk = Vec::with_capacity(7);
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
            let m = crate::cvss::risk_metrics(vector);
            if m.av == Some("N") {
                risk.push("Attack vector: network".into());
            }
            if m.ac == Some("L") {
                risk.push("Attack complexity: low".into());
            }
            // Availability impact: High → DoS - High, Low → DoS - Low (v3/v4 vectors only).
            let a_impact = m.availability;
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
        let mut fixed_versions = range_fixes;
        if let FixStatus::Fixed(v) = &fix
            && !fixed_versions.contains(v)
        {
            fixed_versions.insert(0, v.clone());
        }
        let source_name = if pkg.kind.is_os() {
            Some(t.key.to_string()).filter(|k| *k != pkg.name)
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
            applicable_rules,
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
            namespace,
            eco,
            key: crate::names::normalise(namespace, package),
            also: None,
            version,
            stream,
        };
        let installed = Version::parse(eco, version);
        let slots: Vec<Arc<Slot<'a>>> = target
            .keys()
            .filter_map(|k| self.slot(namespace, k, eco))
            .collect();
        let mut steps = Vec::new();
        self.evaluate(&target, slots.iter(), &installed, true, |hit| {
            let adv = &self.db.advisories[hit.advisory as usize];
            let outcome = match hit.verdict {
                Verdict::Fixed(v) => Outcome::Affected {
                    fix: FixStatus::Fixed(v.as_str().to_string()),
                },
                Verdict::Affected(s) => Outcome::Affected {
                    fix: match s {
                        Status::WillNotFix => FixStatus::WillNotFix,
                        Status::Deferred => FixStatus::Deferred,
                        _ => FixStatus::Open,
                    },
                },
                Verdict::NotAffected => Outcome::NotAffected,
                Verdict::Unknown => Outcome::Unknown,
            };
            steps.push(Step {
                id: adv.id.clone(),
                source: adv.source.clone(),
                rule: hit.step,
                outcome,
            });
        });
        Ok(steps)
    }
}

/// Precedence of feeds that speak about the same id for the same package (lower wins) for the
/// severity word and the feed CVSS. OS namespaces only ever hold their distribution's own feeds,
/// so the order matters among language feeds: the GitHub Advisory Database (reviewed, with a
/// severity word and CVSS for every ecosystem) before each ecosystem's own database (PyPA,
/// RustSec, Go, RubySec, FriendsOfPHP, Node.js WG, RetireJS), before other OSV exports.
fn source_rank(source: &str) -> u8 {
    match source {
        "ghsa" => 1,
        s if s.starts_with("osv:") => 3,
        "go-vulndb" | "rustsec" | "pypa" | "rubysec" | "friendsofphp" | "nodejs-security-wg" => 2,
        _ => 0,
    }
}

fn is_rpm_namespace(namespace: &str) -> bool {
    namespace.starts_with("almalinux:")
        || namespace.starts_with("rocky:")
        || namespace.starts_with("redhat:")
        || namespace.starts_with("oracle:")
}

/// rpm module streams: an entry built in a module applies only to installed builds of that
/// stream; a non-modular entry only to non-modular builds. Other namespaces ignore streams.
fn stream_applies(entry: &StoredEntry, rule: &Rule, stream: Option<&str>) -> bool {
    match (&entry.module, stream) {
        (None, None) => true,
        (None, Some(_)) => matches!(rule, Rule::Status(_)),
        (Some(_), None) => false,
        (Some(streams), Some(s)) => streams.is_empty() || streams.split(',').any(|x| x == s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matcher_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Matcher<'static>>();
    }
}
