//! The normalised records every importer produces and the database stores: advisories (what is
//! known about one vulnerability from one feed record), entries (one rule for one package in one
//! namespace) and per-CVE enrichment (NVD CVSS, CISA KEV, EPSS). Importers fill a [`Collector`];
//! the database freezes it; the matcher evaluates entries against installed versions.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// A CVSS score with the vector it came from (when known) and who published it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Cvss {
    pub(crate) score: Option<f64>,
    pub(crate) vector: Option<String>,
    /// `nvd`, `ubuntu`, `osv:PyPI`, `rubysec`…
    pub(crate) source: String,
}

/// What one feed record says about one vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Advisory {
    /// CVE id when the record names one, else the feed's own id.
    pub(crate) id: String,
    pub(crate) aliases: Vec<String>,
    /// Feed label (`debian-dsa`, `ubuntu`, `osv:Go`…).
    pub(crate) source: String,
    /// The vendor's own severity word.
    pub(crate) severity: Option<String>,
    pub(crate) cvss: Option<Cvss>,
    /// Unix seconds.
    pub(crate) published: Option<i64>,
    pub(crate) fix_date: Option<i64>,
    pub(crate) description: String,
    pub(crate) link: String,
}

/// A vendor statement that is not a version range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// Affected, no fix published yet.
    Open,
    WillNotFix,
    Deferred,
    NotAffected,
}

/// One comparison of a constraint (`>= 1.2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    /// Whether a version that compares `ord` to the constraint's version satisfies it.
    pub(crate) fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Op::Lt => ord == Less,
            Op::Le => ord != Greater,
            Op::Gt => ord == Greater,
            Op::Ge => ord != Less,
            Op::Eq => ord == Equal,
            Op::Ne => ord != Equal,
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "=",
            Op::Ne => "!=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Cmp {
    pub(crate) op: Op,
    pub(crate) version: String,
}

/// A union of intervals: a version is in the set when every comparison of some clause holds.
/// An empty clause matches every version; an empty set matches none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct VersionSet {
    pub(crate) clauses: Vec<Vec<Cmp>>,
}

impl VersionSet {
    pub(crate) fn describe(&self) -> String {
        self.clauses
            .iter()
            .map(|c| {
                if c.is_empty() {
                    "*".to_string()
                } else {
                    c.iter()
                        .map(|m| format!("{}{}", m.op.symbol(), m.version))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            })
            .collect::<Vec<_>>()
            .join(" || ")
    }
}

/// One OSV range event, kept in the database's own serialisable form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum OsvEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum OsvRangeKind {
    Semver,
    Ecosystem,
    Git,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct OsvRange {
    pub(crate) kind: OsvRangeKind,
    pub(crate) events: Vec<OsvEvent>,
}

/// How to decide whether an installed version is affected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum Rule {
    /// Affected when installed < the version (distribution feeds: the first fixed build).
    FixedIn(String),
    /// The vendor's statement for every version of the package in that release.
    Status(Status),
    /// OSV `ranges` and `versions`.
    Osv {
        ranges: Vec<OsvRange>,
        versions: Vec<String>,
    },
    /// Affected when in `affected` and in none of `unaffected` (advisory-style requirement lists).
    Set {
        affected: VersionSet,
        unaffected: VersionSet,
        /// Versions to tell the user to move to.
        fixed: Vec<String>,
    },
}

/// One rule for one package name in one namespace, pointing at its advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) advisory: u32,
    pub(crate) rule: Rule,
    /// Restricts the entry to packages of this rpm module stream (`name:stream`); `Some("")`
    /// means "any modular build", `None` means "non-modular builds only" for rpm namespaces.
    pub(crate) module: Option<String>,
    /// Free-text note from the vendor (`Vulnerable code not present`).
    pub(crate) note: Option<String>,
}

/// An [`Entry`] as the database stores it: the rule and the note are indices into tables shared
/// by all entries. Feeds repeat themselves (an erratum names the same fixed build for every
/// binary package, a tracker the same note for every release): the snapshot's 1,020,871 entries
/// hold 51,826 distinct rules and 10,136 distinct notes, so a shared table makes the database
/// smaller and quicker to load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredEntry {
    pub(crate) advisory: u32,
    /// Index into the rule table.
    pub(crate) rule: u32,
    /// As [`Entry::module`].
    pub(crate) module: Option<String>,
    /// Index into the note table.
    pub(crate) note: Option<u32>,
}

/// Per-CVE facts from the enrichment feeds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Enrichment {
    pub(crate) nvd: Option<Cvss>,
    pub(crate) nvd_published: Option<i64>,
    /// CISA KEV `dateAdded` (Unix seconds); presence means "exploited in the wild".
    pub(crate) kev_added: Option<i64>,
    pub(crate) epss: Option<f64>,
    pub(crate) epss_percentile: Option<f64>,
}

/// Accumulates what the importers read; the database is built from it.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    pub(crate) advisories: Vec<Advisory>,
    /// namespace → normalised package name → entries.
    pub(crate) entries: HashMap<String, HashMap<String, Vec<Entry>>>,
    pub(crate) enrichment: HashMap<String, Enrichment>,
    /// CVE ids a source says were rejected by their CNA (NVD `Rejected`, `** REJECT **`
    /// descriptions): no entry of any feed reported under such an id is kept, because the id
    /// names no vulnerability any more.
    pub(crate) rejected: HashSet<String>,
}

impl Collector {
    pub(crate) fn add_advisory(&mut self, advisory: Advisory) -> u32 {
        self.advisories.push(advisory);
        u32::try_from(self.advisories.len() - 1).unwrap_or(u32::MAX)
    }

    pub(crate) fn add_entry(&mut self, namespace: &str, name: &str, entry: Entry) {
        self.entries
            .entry(namespace.to_string())
            .or_default()
            .entry(name.to_string())
            .or_default()
            .push(entry);
    }

    pub(crate) fn reject(&mut self, cve: &str) {
        self.rejected.insert(cve.to_string());
    }

    pub(crate) fn enrich(&mut self, cve: &str) -> &mut Enrichment {
        self.enrichment.entry(cve.to_string()).or_default()
    }
}

/// Picks the id a finding is reported under: the first CVE among `ids`, else the first id.
/// Returns (id, aliases-without-id).
pub(crate) fn primary_id(ids: &[String]) -> (String, Vec<String>) {
    let pos = ids.iter().position(|i| i.starts_with("CVE-")).unwrap_or(0);
    let id = ids.get(pos).cloned().unwrap_or_default();
    let mut aliases: Vec<String> = Vec::new();
    for (i, a) in ids.iter().enumerate() {
        if i != pos && !aliases.contains(a) && a != &id {
            aliases.push(a.clone());
        }
    }
    (id, aliases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_id_prefers_cve() {
        let ids = vec![
            "GHSA-aaaa".to_string(),
            "CVE-2020-1".to_string(),
            "PYSEC-1".to_string(),
        ];
        let (id, aliases) = primary_id(&ids);
        assert_eq!(id, "CVE-2020-1");
        assert_eq!(aliases, vec!["GHSA-aaaa", "PYSEC-1"]);
    }
}
